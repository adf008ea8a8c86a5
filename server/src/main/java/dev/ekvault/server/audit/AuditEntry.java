package dev.ekvault.server.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One audit entry as stored. Its canonical form is one line of JSON with every field, in this record's order, nulls
 * written as null and {@code before}/{@code after} as the canonical JSON they were stored as (keys sorted); the
 * entry's {@code hash} is the SHA-256 (hex) of that line's UTF-8 bytes. The line holds {@code prevHash}, the hash of
 * the workspace's previous entry ({@link #GENESIS} for the first), so changing, removing, inserting or reordering an
 * entry breaks the chain at that entry. The export writes the canonical line with {@code "hash"} appended, so anyone
 * can check a file with a few lines of code (README).
 */
public record AuditEntry(String workspaceId, long seq, String id, long at, String actorUserId, String credentialId,
                         String credentialKind, String clientAddress, String requestId, String action, String entityType,
                         String entityId, String projectId, String environmentId, String beforeJson, String afterJson,
                         String outcome, String prevHash, String hash) {
    public static final String GENESIS = "0".repeat(64);
    private static final JsonFactory JSON = new JsonFactory();
    private static final JsonStringEncoder ESCAPES = JsonStringEncoder.getInstance();

    /** The line that is hashed: every field but {@code hash}. */
    public String canonical() {
        return canonicalText(prevHash).toString();
    }

    /**
     * The canonical line in a builder, with {@code prevHash} as given. Written by hand, the way Jackson's generator
     * writes it (no spaces; strings escaped by Jackson's own encoder, which is the generator's; before and after raw):
     * the entries of every read are built here, and creating a generator for each was most of an entry's cost. The
     * stored hashes of entries written by the generator still verify (tested with text that JSON must escape).
     */
    private StringBuilder canonicalText(String prevHash) {
        StringBuilder out = new StringBuilder(640 + (beforeJson == null ? 0 : beforeJson.length()) + (afterJson == null ? 0 : afterJson.length()));
        out.append("{\"workspaceId\":");
        string(out, workspaceId);
        out.append(",\"seq\":").append(seq).append(",\"id\":");
        string(out, id);
        out.append(",\"at\":").append(at).append(",\"actorUserId\":");
        string(out, actorUserId);
        out.append(",\"credentialId\":");
        string(out, credentialId);
        out.append(",\"credentialKind\":");
        string(out, credentialKind);
        out.append(",\"clientAddress\":");
        string(out, clientAddress);
        out.append(",\"requestId\":");
        string(out, requestId);
        out.append(",\"action\":");
        string(out, action);
        out.append(",\"entityType\":");
        string(out, entityType);
        out.append(",\"entityId\":");
        string(out, entityId);
        out.append(",\"projectId\":");
        string(out, projectId);
        out.append(",\"environmentId\":");
        string(out, environmentId);
        out.append(",\"before\":").append(beforeJson == null ? "null" : beforeJson);
        out.append(",\"after\":").append(afterJson == null ? "null" : afterJson);
        out.append(",\"outcome\":");
        string(out, outcome);
        out.append(",\"prevHash\":");
        string(out, prevHash);
        return out.append('}');
    }

    private static void string(StringBuilder out, String value) {
        if (value == null) {
            out.append("null");
            return;
        }
        quoted(out, value);
    }

    /**
     * Appends {@code text} as a JSON string exactly as Jackson's generator writes it: what its encoder escapes (control
     * characters, the quote and the backslash) escaped by the encoder, anything else as it is. Text with nothing to
     * escape — ids, names, addresses: nearly every field — is copied whole: the encoder appends one character at a time,
     * and that was most of the cost of writing an entry's line.
     */
    static StringBuilder quoted(StringBuilder out, String text) {
        out.append('"');
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\') {
                ESCAPES.quoteAsString(text, out);
                return out.append('"');
            }
        }
        return out.append(text).append('"');
    }

    /** The export's line: the canonical line with the hash as its last field (what a stored group holds per entry). */
    public String exportLine() {
        return withHash(canonical(), hash);
    }

    private static String withHash(String canonical, String hash) {
        return canonical.substring(0, canonical.length() - 1) + ",\"hash\":\"" + hash + "\"}";
    }

    /** The hash this entry's content gives (compare with {@link #hash} to find an edited row). */
    public String computeHash() {
        return sha256(canonical());
    }

    /** An entry as appended to its chain, with its export line (its canonical form is built once for both). */
    record Chained(AuditEntry entry, String line) {}

    /** This draft with the sequence number, id and previous hash it takes in its chain, and its hash computed. */
    Chained chained(long seq, String id, String prevHash) {
        AuditEntry placed = placed(seq, id, prevHash);
        StringBuilder line = placed.canonicalText(prevHash);
        String hash = sha256(line);
        line.setLength(line.length() - 1); // the export line: the canonical one with the hash as its last field
        line.append(",\"hash\":\"").append(hash).append("\"}");
        return new Chained(placed.withHash(hash), line.toString());
    }

    /** This draft placed in its chain with its hash computed (no line: a compact line is written from the entry). */
    AuditEntry chainedEntry(long seq, String id, String prevHash) {
        AuditEntry placed = placed(seq, id, prevHash);
        return placed.withHash(sha256(placed.canonicalText(prevHash)));
    }

    private AuditEntry placed(long seq, String id, String prevHash) {
        return new AuditEntry(workspaceId, seq, id, at, actorUserId, credentialId, credentialKind, clientAddress, requestId,
                action, entityType, entityId, projectId, environmentId, beforeJson, afterJson, outcome, prevHash, null);
    }

    private AuditEntry withHash(String hash) {
        return new AuditEntry(workspaceId, seq, id, at, actorUserId, credentialId, credentialKind, clientAddress, requestId,
                action, entityType, entityId, projectId, environmentId, beforeJson, afterJson, outcome, prevHash, hash);
    }

    /**
     * Reads an export line (as a stored group holds it) back into an entry: {@code before} and {@code after} as the
     * exact text they are in the line. A line that is not one is an {@link IllegalArgumentException}.
     */
    static AuditEntry parse(String line) {
        return parse(line, null, null);
    }

    /**
     * Reads a stored line: an export line, or — after the first line of a group, {@code previous} being the entry before
     * it there and {@code first} the group's first entry — a compact line ({@link #compactLine}), whose missing fields are
     * the previous entry's, whose previous hash is the previous entry's hash, and whose id is the group's first id
     * numbered by its sequence number's distance from the first entry's ({@link #entryId}).
     */
    static AuditEntry parse(String line, AuditEntry previous, AuditEntry first) {
        boolean compact = previous != null && line.startsWith(COMPACT_START);
        String[] text = new String[FIELDS.length];
        long[] number = new long[2];
        if (compact) {
            String[] inherited = {previous.workspaceId, null, null, null, previous.actorUserId, previous.credentialId,
                    previous.credentialKind, previous.clientAddress, previous.requestId, previous.action, previous.entityType,
                    previous.entityId, previous.projectId, previous.environmentId, previous.beforeJson, previous.afterJson,
                    previous.outcome, previous.hash, null};
            System.arraycopy(inherited, 0, text, 0, text.length);
            number[1] = previous.at;
        }
        int seen = 0; // a bit per field of FIELDS
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException("an audit line is a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                int at = field(name);
                seen |= 1 << at;
                switch (name) {
                    case "seq" -> number[0] = integer(p, value);
                    case "at" -> number[1] = integer(p, value);
                    case "before", "after" -> text[at] = raw(p, value, line);
                    default -> {
                        if (compact && (at == 2 || at == 17)) throw new IllegalArgumentException("a compact audit line names no " + name);
                        if (value != JsonToken.VALUE_STRING && value != JsonToken.VALUE_NULL) throw new IllegalArgumentException(name + " is not text");
                        text[at] = value == JsonToken.VALUE_NULL ? null : p.getText();
                    }
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) throw new IllegalArgumentException("an audit line is one object");
        } catch (IOException e) {
            throw new IllegalArgumentException("an audit line is not JSON", e);
        }
        // an export line names every field (a null one as null); a compact line at least its sequence number and hash
        int required = compact ? 1 << 1 | 1 << 18 : (1 << FIELDS.length) - 1;
        if ((seen & required) != required) throw new IllegalArgumentException("an audit line lacks a field");
        if (compact) {
            if (first.id == null || groupId(first.id) == null) throw new IllegalArgumentException("a compact audit line follows a first line without an id");
            long index = number[0] - first.seq;
            if (index <= 0 || index > 0xFFFF) throw new IllegalArgumentException("a compact audit line's sequence number is outside its group");
            text[2] = entryId(first.id, (int) index);
        }
        return new AuditEntry(text[0], number[0], text[2], number[1], text[4], text[5], text[6], text[7], text[8], text[9], text[10],
                text[11], text[12], text[13], text[14], text[15], text[16], text[17], text[18]);
    }

    /** How a compact line starts (an export line starts with the workspace id). */
    private static final String COMPACT_START = "{\"seq\":";

    /**
     * This (chained) entry as a compact line after {@code previous}, the entry before it in the same stored group: its
     * sequence number, the fields whose values differ from the previous entry's (in the canonical order, written as the
     * canonical line writes them) and its hash. Its id and previous hash are not written: the group's first entry and the
     * previous entry give them ({@link #parse(String, AuditEntry, AuditEntry)}). The reads of one environment within a few
     * milliseconds differ in little more than the time and the request id, so their group is stored in an eighth of the
     * text, and storing that text was half of what recording a read cost.
     */
    String compactLine(AuditEntry previous) {
        StringBuilder out = new StringBuilder(160).append(COMPACT_START).append(seq);
        if (!java.util.Objects.equals(workspaceId, previous.workspaceId)) string(out.append(",\"workspaceId\":"), workspaceId);
        if (at != previous.at) out.append(",\"at\":").append(at);
        differing(out, "actorUserId", actorUserId, previous.actorUserId);
        differing(out, "credentialId", credentialId, previous.credentialId);
        differing(out, "credentialKind", credentialKind, previous.credentialKind);
        differing(out, "clientAddress", clientAddress, previous.clientAddress);
        differing(out, "requestId", requestId, previous.requestId);
        differing(out, "action", action, previous.action);
        differing(out, "entityType", entityType, previous.entityType);
        differing(out, "entityId", entityId, previous.entityId);
        differing(out, "projectId", projectId, previous.projectId);
        differing(out, "environmentId", environmentId, previous.environmentId);
        if (!java.util.Objects.equals(beforeJson, previous.beforeJson)) out.append(",\"before\":").append(beforeJson == null ? "null" : beforeJson);
        if (!java.util.Objects.equals(afterJson, previous.afterJson)) out.append(",\"after\":").append(afterJson == null ? "null" : afterJson);
        differing(out, "outcome", outcome, previous.outcome);
        return out.append(",\"hash\":\"").append(hash).append("\"}").toString();
    }

    private static void differing(StringBuilder out, String name, String value, String previous) {
        if (java.util.Objects.equals(value, previous)) return;
        out.append(",\"").append(name).append("\":");
        string(out, value);
    }

    /** The line's field names, in the record's order (seq and at are numbers, before and after raw JSON). */
    private static final String[] FIELDS = {"workspaceId", "seq", "id", "at", "actorUserId", "credentialId", "credentialKind",
            "clientAddress", "requestId", "action", "entityType", "entityId", "projectId", "environmentId", "before", "after", "outcome",
            "prevHash", "hash"};

    private static int field(String name) {
        for (int i = 0; i < FIELDS.length; i++) if (FIELDS[i].equals(name)) return i;
        throw new IllegalArgumentException("an audit line has no field " + name);
    }

    private static long integer(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.VALUE_NUMBER_INT) throw new IllegalArgumentException("a number field is not an integer");
        return p.getLongValue();
    }

    private static String raw(JsonParser p, JsonToken value, String line) throws IOException {
        if (value == JsonToken.VALUE_NULL) return null;
        if (value != JsonToken.START_OBJECT) throw new IllegalArgumentException("before and after are objects");
        int start = (int) p.currentTokenLocation().getCharOffset();
        p.skipChildren();
        return line.substring(start, (int) p.currentLocation().getCharOffset());
    }

    /**
     * A group's first entry id: a version-7 UUID (milliseconds first, then random bits from a fast, non-cryptographic
     * source) whose last 16 bits are zero; its entry {@code i} has {@code i} there ({@link #entryId}), so an entry's id
     * names its group's row ({@link #groupId}). Time-ordered ids land at the end of the id index. Nothing rests on an
     * id's being unguessable: it only names an entry to an admin who may read it anyway.
     */
    static String newGroupId(long millis) {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        long high = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFFFFFFFFFF0000L) | 0x8000000000000000L;
        return new java.util.UUID(high, low).toString();
    }

    /** The id of the entry at {@code index} (below 65,536) of the group whose first id is {@code groupId}. */
    static String entryId(String groupId, int index) {
        if (index == 0) return groupId;
        java.util.UUID first = java.util.UUID.fromString(groupId);
        return new java.util.UUID(first.getMostSignificantBits(), first.getLeastSignificantBits() | index).toString();
    }

    /** The first id of the group an entry id belongs to (an id stored before groups is its own group's), or null. */
    static String groupId(String entryId) {
        try {
            java.util.UUID id = java.util.UUID.fromString(entryId);
            return new java.util.UUID(id.getMostSignificantBits(), id.getLeastSignificantBits() & ~0xFFFFL).toString();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static String sha256(CharSequence text) {
        MessageDigest digest = SHA256.get();
        int length = text.length();
        byte[] buffer = ASCII_BUFFER.get();
        if (buffer.length < length) ASCII_BUFFER.set(buffer = new byte[Math.max(length, buffer.length * 2)]);
        for (int i = 0; i < length; i++) {
            char ch = text.charAt(i);
            if (ch >= 0x80) return HexFormat.of().formatHex(digest.digest(text.toString().getBytes(StandardCharsets.UTF_8)));
            buffer[i] = (byte) ch;
        }
        digest.update(buffer, 0, length); // ASCII is its own UTF-8: hashed without a String and its byte copy
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The bytes of an ASCII line being hashed, reused by the thread (most lines are ASCII). */
    private static final ThreadLocal<byte[]> ASCII_BUFFER = ThreadLocal.withInitial(() -> new byte[2048]);

    /** One digest per thread (looking the algorithm up again for every entry cost as much as hashing it). */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });
}
