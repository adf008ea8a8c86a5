package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An OCI image layout archive as {@code deploy/image/build} writes it, read with no container tool: its one manifest,
 * its config, and every layer's entries (path, owner, mode, size, kind). The JDK has no tar reader, so this holds the
 * little of the format the build writes (ustar headers, pax records for long names). Every digest is checked.
 */
record OciImage(JsonNode manifest, JsonNode config, List<Layer> layers, long archiveBytes) {

    record Entry(String path, int uid, int gid, int mode, long size, char type, String link) {
        boolean directory() {
            return type == '5';
        }

        boolean regularFile() {
            return type == '0' || type == '\0';
        }
    }

    /** A layer: its entries, and its size unpacked (the tar's length) and packed (the gzip's). */
    record Layer(String digest, String diffId, long packedBytes, long unpackedBytes, List<Entry> entries) {}

    static OciImage read(Path archive) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(archive)) {
            readTar(in, (entry, body) -> {
                if (entry.regularFile()) files.put(entry.path().replaceFirst("^\\./", ""), body.readAllBytes());
            });
        }
        JsonNode index = json(need(files, "index.json"));
        if (index.get("manifests").size() != 1) throw new AssertionError("the index names " + index.get("manifests").size() + " manifests");
        JsonNode manifest = json(blob(files, index.get("manifests").get(0).get("digest").asText()));
        JsonNode config = json(blob(files, manifest.get("config").get("digest").asText()));
        List<Layer> layers = new ArrayList<>();
        int n = 0;
        for (JsonNode layer : manifest.get("layers")) {
            String digest = layer.get("digest").asText();
            byte[] packed = blob(files, digest);
            MessageDigest sha = sha256();
            List<Entry> entries = new ArrayList<>();
            long unpacked;
            try (CountingStream counted = new CountingStream(new DigestInputStream(new GZIPInputStream(new java.io.ByteArrayInputStream(packed)), sha))) {
                readTar(counted, (entry, body) -> entries.add(entry));
                counted.transferTo(java.io.OutputStream.nullOutputStream()); // the end-of-archive blocks count toward the diff id
                unpacked = counted.count;
            }
            String diffId = "sha256:" + HexFormat.of().formatHex(sha.digest());
            layers.add(new Layer(digest, diffId, packed.length, unpacked, entries));
            String expected = config.get("rootfs").get("diff_ids").get(n++).asText();
            if (!expected.equals(diffId)) throw new AssertionError("layer " + digest + " unpacks to " + diffId + ", the config says " + expected);
        }
        return new OciImage(manifest, config, layers, Files.size(archive));
    }

    long unpackedBytes() {
        return layers.stream().mapToLong(Layer::unpackedBytes).sum();
    }

    /** Every layer's entries, later layers' entries after earlier ones'. */
    List<Entry> entries() {
        return layers.stream().flatMap(l -> l.entries().stream()).toList();
    }

    private static byte[] need(Map<String, byte[]> files, String name) {
        byte[] body = files.get(name);
        if (body == null) throw new AssertionError("the archive has no " + name + ": " + files.keySet());
        return body;
    }

    private static byte[] blob(Map<String, byte[]> files, String digest) {
        if (!digest.startsWith("sha256:")) throw new AssertionError("not a sha256 digest: " + digest);
        byte[] body = need(files, "blobs/sha256/" + digest.substring(7));
        String actual = "sha256:" + HexFormat.of().formatHex(sha256().digest(body));
        if (!actual.equals(digest)) throw new AssertionError("blob " + digest + " hashes to " + actual);
        return body;
    }

    private static JsonNode json(byte[] body) throws IOException {
        return EkJar.JSON.readTree(body);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    interface EntryReader {
        void read(Entry entry, InputStream body) throws IOException;
    }

    /** Calls {@code reader} for each entry with a stream of exactly its body; stops at the end-of-archive block. */
    static void readTar(InputStream in, EntryReader reader) throws IOException {
        Map<String, String> pax = Map.of();
        while (true) {
            byte[] header = in.readNBytes(512);
            if (header.length < 512) throw new IOException("the tar ends inside a header");
            if (allZero(header)) return;
            String name = text(header, 0, 100);
            String prefix = text(header, 345, 155);
            if (!prefix.isEmpty()) name = prefix + "/" + name;
            char type = (char) header[156];
            long size = octal(header, 124, 12);
            byte[] body = in.readNBytes((int) size);
            in.readNBytes((int) ((512 - size % 512) % 512)); // read, not skipped: the layer digest covers the padding
            if (type == 'x') {
                pax = paxRecords(body);
                continue;
            }
            if (type == 'g') continue;
            Entry entry = new Entry(pax.getOrDefault("path", name).replaceFirst("^\\./", ""), (int) octal(header, 108, 8),
                    (int) octal(header, 116, 8), (int) octal(header, 100, 8), size, type, pax.getOrDefault("linkpath", text(header, 157, 100)));
            pax = Map.of();
            reader.read(entry, new java.io.ByteArrayInputStream(body));
        }
    }

    private static Map<String, String> paxRecords(byte[] body) {
        Map<String, String> records = new LinkedHashMap<>();
        int at = 0;
        while (at < body.length) {
            int space = indexOf(body, (byte) ' ', at);
            int length = Integer.parseInt(new String(body, at, space - at, StandardCharsets.US_ASCII));
            String record = new String(body, space + 1, length - (space - at) - 2, StandardCharsets.UTF_8);
            int equals = record.indexOf('=');
            records.put(record.substring(0, equals), record.substring(equals + 1));
            at += length;
        }
        return records;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) if (bytes[i] == b) return i;
        throw new IllegalArgumentException("malformed pax record");
    }

    private static boolean allZero(byte[] block) {
        for (byte b : block) if (b != 0) return false;
        return true;
    }

    private static String text(byte[] header, int from, int length) {
        int end = from;
        while (end < from + length && header[end] != 0) end++;
        return new String(header, from, end - from, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] header, int from, int length) {
        String digits = text(header, from, length).trim();
        return digits.isEmpty() ? 0 : Long.parseLong(digits, 8);
    }

    /** Counts the bytes read through it: a layer's unpacked size. */
    private static final class CountingStream extends java.io.FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) count += n;
            return n;
        }
    }
}
