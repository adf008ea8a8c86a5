package dev.ekvault.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over a plain socket, for what {@link java.net.http.HttpClient} will not send as written: a
 * {@code Proxy-Authorization} header (the JDK client drops it when not talking to a proxy), an explicit
 * {@code Content-Length: 0}, or a body with no {@code Content-Type} at all; or a request that breaks HTTP itself
 * ({@link #exchange}). One request per connection.
 */
final class RawHttp {
    record Response(int status, Map<String, List<String>> headers, String body) {
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    private RawHttp() {}

    /**
     * Sends {@code method path} with the given header lines ("Name: value") and body; adds Host, Connection: close
     * and, when {@code body} is not null, its Content-Length.
     */
    static Response send(int port, String method, String path, List<String> headerLines, byte[] body) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
            head.append("Host: 127.0.0.1:").append(port).append("\r\n");
            head.append("Connection: close\r\n");
            for (String line : headerLines) head.append(line).append("\r\n");
            if (body != null) head.append("Content-Length: ").append(body.length).append("\r\n");
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) out.write(body);
            out.flush();
            return parse(socket.getInputStream().readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code request} exactly as given (a body shorter than its Content-Length, broken chunk framing…), half-closes
     * the connection if asked, and reads one response: up to the end of its body, without waiting for the connection to
     * close, and failing after {@code timeoutMillis} (a 30-second read timeout would hide a server that waits 30 s).
     */
    static Response exchange(int port, byte[] request, boolean halfClose, int timeoutMillis) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(timeoutMillis);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            if (halfClose) socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            while (!new String(raw.toByteArray(), StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) throw new IOException("connection closed before a complete response head: " + raw);
                raw.write(b);
            }
            String head = raw.toString(StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
            int length = head.indexOf("\r\ncontent-length:");
            if (length >= 0) {
                int end = head.indexOf("\r\n", length + 2);
                raw.write(in.readNBytes(Integer.parseInt(head.substring(length + "\r\ncontent-length:".length(), end).strip())));
            } else if (head.contains("\r\ntransfer-encoding: chunked")) {
                while (!raw.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n0\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) break;
                    raw.write(b);
                }
            }
            return parse(raw.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Response parse(byte[] raw) throws IOException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) throw new IOException("no complete response head in " + raw.length + " bytes");
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(lines[i].substring(colon + 1).strip());
        }
        byte[] rest = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        List<String> encoding = headers.get("transfer-encoding");
        if (encoding != null && encoding.get(0).equalsIgnoreCase("chunked")) rest = dechunk(rest);
        return new Response(status, headers, new String(rest, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] chunked) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = new java.io.ByteArrayInputStream(chunked);
        while (true) {
            StringBuilder size = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) throw new IOException("truncated chunk size");
                if (c != '\r') size.append((char) c);
            }
            int n = Integer.parseInt(size.toString().split(";")[0].strip(), 16);
            if (n == 0) return out.toByteArray();
            out.write(in.readNBytes(n));
            in.read(); // \r
            in.read(); // \n
        }
    }
}
