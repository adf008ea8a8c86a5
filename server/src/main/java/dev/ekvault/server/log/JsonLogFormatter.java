package dev.ekvault.server.log;

import dev.ekvault.server.wire.WireTime;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One JSON object per line: time, level, logger, message, and the fields of a structured record (a map passed as
 * the record's single parameter). A throwable appears as its class and stack trace, which carry no request data.
 *
 * <p>Written by hand rather than through a JSON generator: every request logs a line, and building one here costs a
 * fraction of a generator's set-up. Strings are escaped as RFC 8259 requires (quote, backslash, control characters);
 * the time is ISO-8601 UTC with milliseconds.
 */
public final class JsonLogFormatter extends Formatter {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    @Override
    public String format(LogRecord record) {
        StringBuilder json = new StringBuilder(256);
        json.append("{\"time\":\"").append(WireTime.format(record.getMillis())).append('"');
        field(json, "level", record.getLevel().getName());
        field(json, "logger", record.getLoggerName());
        field(json, "message", formatMessage(record));
        Object[] parameters = record.getParameters();
        if (parameters != null && parameters.length == 1 && parameters[0] instanceof Map<?, ?> fields) {
            for (Map.Entry<?, ?> field : fields.entrySet()) {
                json.append(',');
                string(json, String.valueOf(field.getKey()));
                json.append(':');
                Object value = field.getValue();
                if (value instanceof Number n && isJsonNumber(n)) json.append(n);
                else if (value == null) json.append("null");
                else string(json, value.toString());
            }
        }
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            field(json, "error", trace.toString());
        }
        return json.append('}').append(System.lineSeparator()).toString();
    }

    @Override
    public String formatMessage(LogRecord record) {
        Object[] parameters = record.getParameters();
        if (parameters != null && parameters.length == 1 && parameters[0] instanceof Map) return record.getMessage();
        return super.formatMessage(record);
    }

    private static void field(StringBuilder json, String name, String value) {
        json.append(",\"").append(name).append("\":");
        if (value == null) json.append("null");
        else string(json, value);
    }

    /** A JSON string: quote, backslash and control characters escaped, everything else as it is (UTF-8 on the way out). */
    static void string(StringBuilder json, String value) {
        json.append('"');
        int plain = 0;
        while (plain < value.length()) { // most values need no escaping: appended in one go
            char c = value.charAt(plain);
            if (c < 0x20 || c == '"' || c == '\\' || c == '\u2028' || c == '\u2029') break;
            plain++;
        }
        json.append(value, 0, plain);
        for (int i = plain; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                case '\u2028' -> json.append("\\u2028"); // legal in JSON, but not in JavaScript source
                case '\u2029' -> json.append("\\u2029");
                default -> {
                    if (c < 0x20) json.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    else json.append(c);
                }
            }
        }
        json.append('"');
    }

    /** Finite numbers print as JSON numbers; NaN and infinities (not JSON) as strings. */
    private static boolean isJsonNumber(Number n) {
        return !(n instanceof Double d && (d.isNaN() || d.isInfinite())) && !(n instanceof Float f && (f.isNaN() || f.isInfinite()));
    }
}
