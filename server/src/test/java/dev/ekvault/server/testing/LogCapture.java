package dev.ekvault.server.testing;

import dev.ekvault.server.log.JsonLogFormatter;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Every record any logger of this JVM publishes while it is open (ours and Jetty's, through slf4j-jdk14): as they
 * came, the structured ones' fields by logger, and all as the JSON lines the server would write.
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final JsonLogFormatter formatter = new JsonLogFormatter();

    public static LogCapture open() {
        LogCapture capture = new LogCapture();
        Logger.getLogger("").addHandler(capture);
        return capture;
    }

    /** The fields of the structured records of {@code logger} (a request line, a security event), oldest first. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> fields(String logger) {
        return records.stream().filter(r -> logger.equals(r.getLoggerName()) && r.getParameters() != null
                        && r.getParameters().length == 1 && r.getParameters()[0] instanceof Map)
                .map(r -> (Map<String, Object>) r.getParameters()[0]).toList();
    }

    /** Every record as the JSON line the server would write. */
    public List<String> lines() {
        return records.stream().map(formatter::format).toList();
    }

    public List<LogRecord> records() {
        return List.copyOf(records);
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
