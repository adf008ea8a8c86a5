package dev.ekvault.server.secret;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.api.Secret;
import dev.ekvault.api.SecretValue;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.ApiException;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET …/secret/export?environmentId=…&format=dotenv|json|yaml}: one environment's values as a file, written so
 * that reading it back gives the exact values. Each key once, with the value a client would inject: the caller's own
 * personal override where it has one, else the shared value (what {@code ek run} and the SDKs use). Raw by default,
 * references expanded with {@code resolve=true}. The read is the list's, so its access rules and its {@code VIEW}
 * entry (naming the format) are the list's too.
 */
final class SecretExport {
    private SecretExport() {}

    enum Format {
        DOTENV("text/plain; charset=utf-8"), JSON("application/json"), YAML("application/yaml");

        final String contentType;

        Format(String contentType) {
            this.contentType = contentType;
        }

        final String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Format parse(String format) {
            for (Format f : values()) if (f.wire().equals(format)) return f;
            throw ApiException.badRequest("query parameter 'format' must be dotenv, json or yaml");
        }
    }

    /** An export's body and its content type (the route sends it). */
    record File(String contentType, byte[] bytes) {}

    /** The export; refusals (a missing environment, a bad format, a broken reference) come before any byte. */
    static File answer(SecretService secrets, Caller caller, String workspaceRef, String projectRef, String environmentId,
                          String format, boolean resolve, ObjectMapper json) {
        Format f = Format.parse(format);
        if (environmentId == null || environmentId.isEmpty()) {
            throw ApiException.badRequest("query parameter 'environmentId' is required for an export");
        }
        Map<String, String> values = injected(secrets.list(caller, workspaceRef, projectRef, environmentId, resolve, null, f.wire()), environmentId);
        String text = switch (f) {
            case DOTENV -> dotenv(values);
            case JSON -> {
                try {
                    yield json.writeValueAsString(values);
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException("cannot serialise an export", e);
                }
            }
            case YAML -> yaml(values);
        };
        return new File(f.contentType, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Key → value in one environment, a personal override winning over the shared value. */
    static Map<String, String> injected(List<Secret> secrets, String environmentId) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Secret secret : secrets) {
            String shared = null;
            String personal = null;
            for (SecretValue v : secret.values()) {
                if (!v.environmentId().equals(environmentId)) continue;
                if (v.isPersonal()) personal = v.value();
                else shared = v.value();
            }
            String value = personal != null ? personal : shared;
            if (value != null) values.put(secret.name(), value);
        }
        return values;
    }

    /** {@code KEY=value} lines (keys are letters, digits, '_' and '-': nothing to quote), each value quoted. */
    static String dotenv(Map<String, String> values) {
        StringBuilder out = new StringBuilder();
        values.forEach((key, value) -> out.append(key).append('=').append(dotenvValue(value)).append('\n'));
        return out.toString();
    }

    /**
     * One value, always quoted and always on one line. Double quotes by default, with {@code \\}, {@code \"},
     * {@code \n} and {@code \r} escaped: the escapes every dotenv reader decodes ({@code ek import}, the dashboard,
     * python-dotenv, godotenv), and everything else (quotes ', #, =, spaces, tabs, unicode) is literal there. But
     * readers that expand variables (python-dotenv, godotenv, docker compose) expand {@code $NAME} and
     * {@code ${NAME}} inside double quotes, and their escape for '$' is not one {@code ek import} knows; single quotes
     * are literal in all of them. So a value with a '$' is single-quoted when it can be: no ' (it cannot be escaped
     * there), no line break (not every reader joins lines), and no backslash pair or trailing backslash (python-dotenv
     * reads {@code \\} and {@code \'} inside single quotes). A value with a '$' that cannot be single-quoted stays in
     * double quotes: exact for {@code ek import} and the dashboard, which expand nothing.
     */
    static String dotenvValue(String value) {
        if (value.indexOf('$') >= 0 && literalFits(value)) return "'" + value + "'";
        StringBuilder out = new StringBuilder(value.length() + 8).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** Whether single quotes hold the value exactly in every dotenv dialect (see {@link #dotenvValue}). */
    static boolean literalFits(String value) {
        return value.indexOf('\'') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0
                && !value.contains("\\\\") && !value.endsWith("\\");
    }

    /**
     * A YAML mapping of double-quoted keys and values: a double-quoted scalar is never read as a number, boolean,
     * null or date ({@code 0123}, {@code true}, {@code ~}, {@code 1e3} stay text), and its escapes carry every
     * character. Everything YAML does not allow as is, or would fold (line breaks, other control characters, NEL,
     * U+2028/U+2029, the byte order mark), is escaped; the rest, emoji included, is written as UTF-8.
     */
    static String yaml(Map<String, String> values) {
        if (values.isEmpty()) return "{}\n";
        StringBuilder out = new StringBuilder();
        values.forEach((key, value) -> {
            yamlQuoted(out, key);
            out.append(": ");
            yamlQuoted(out, value);
            out.append('\n');
        });
        return out.toString();
    }

    private static void yamlQuoted(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029' || c == '\uFEFF' || c == '\uFFFE' || c == '\uFFFF') {
                        out.append(String.format(Locale.ROOT, "\\u%04X", (int) c));
                    } else {
                        out.append(c); // surrogate pairs pass through whole: values are well-formed Unicode
                    }
                }
            }
        }
        out.append('"');
    }
}
