package dev.ekvault.server.http;

import dev.ekvault.server.testing.LogCapture;

import java.util.List;
import java.util.logging.Level;

/**
 * Records what every logger of this JVM publishes (ours and Jetty's, through slf4j-jdk14) while it is open, so a
 * test can assert that a malformed request left no warning and no stack trace behind.
 */
final class LogRecorder implements AutoCloseable {
    private final LogCapture capture = LogCapture.open();

    private LogRecorder() {}

    static LogRecorder open() {
        return new LogRecorder();
    }

    /**
     * As readable lines: anything carrying a throwable (a stack trace in the JSON log), any error, and our own
     * warnings. Jetty's one-line warnings about a client's malformed Host header are left out: they are Jetty's
     * account of the client's mistake, with no stack trace.
     */
    List<String> troubles() {
        return capture.records().stream()
                .filter(r -> r.getThrown() != null || r.getLevel().intValue() >= Level.SEVERE.intValue()
                        || r.getLevel().intValue() >= Level.WARNING.intValue() && String.valueOf(r.getLoggerName()).startsWith("dev.ekvault"))
                .map(r -> r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage()
                        + (r.getThrown() == null ? "" : " [" + r.getThrown() + "]"))
                .toList();
    }

    @Override
    public void close() {
        capture.close();
    }
}
