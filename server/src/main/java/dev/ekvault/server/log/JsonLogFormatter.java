package dev.ekvault.server.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One JSON object per line: time, level, logger, message, and the fields of a structured record (a map passed as
 * the record's single parameter). A throwable appears as its class and stack trace, which carry no request data.
 */
public final class JsonLogFormatter extends Formatter {
    private final JsonFactory factory = new JsonFactory();

    @Override
    public String format(LogRecord record) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = factory.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("time", Instant.ofEpochMilli(record.getMillis()).toString());
            json.writeStringField("level", record.getLevel().getName());
            json.writeStringField("logger", record.getLoggerName());
            json.writeStringField("message", formatMessage(record));
            Object[] parameters = record.getParameters();
            if (parameters != null && parameters.length == 1 && parameters[0] instanceof Map<?, ?> fields) {
                for (Map.Entry<?, ?> field : fields.entrySet()) {
                    json.writeFieldName(String.valueOf(field.getKey()));
                    Object value = field.getValue();
                    if (value instanceof Number n) json.writeNumber(n.toString());
                    else if (value == null) json.writeNull();
                    else json.writeString(value.toString());
                }
            }
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                json.writeStringField("error", trace.toString());
            }
            json.writeEndObject();
        } catch (IOException e) {
            return "{\"level\":\"SEVERE\",\"message\":\"log formatting failed\"}\n";
        }
        return out + System.lineSeparator();
    }

    @Override
    public String formatMessage(LogRecord record) {
        Object[] parameters = record.getParameters();
        if (parameters != null && parameters.length == 1 && parameters[0] instanceof Map) return record.getMessage();
        return super.formatMessage(record);
    }
}
