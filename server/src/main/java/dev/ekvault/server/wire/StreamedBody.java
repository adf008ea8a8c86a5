package dev.ekvault.server.wire;

import java.io.OutputStream;

/**
 * A 200 body written as it is produced (an export of any length), never held whole in memory. Whatever the route
 * must refuse is refused before it returns this: once the first bytes are out, a failure can only cut the body short.
 */
public record StreamedBody(String contentType, Writer writer) {
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws Exception;
    }
}
