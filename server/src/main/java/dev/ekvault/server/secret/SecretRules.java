package dev.ekvault.server.secret;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.wire.ApiException;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What a secret's fields may hold. Keys: letters, digits, '_' and '-' (what the CLI accepts, and what a shell
 * variable or {@code ${KEY}} reference can name), up to the configured length. Values: non-empty text up to the
 * configured number of UTF-8 bytes. Messages name the field and never repeat the value.
 */
final class SecretRules {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
    static final int MAX_NOTE_LENGTH = 1024;

    final Config.Limits limits;

    SecretRules(Config.Limits limits) {
        this.limits = limits;
    }

    String key(String key, String field) {
        if (key.isEmpty() || key.length() > limits.maxKeyLength()) {
            throw ApiException.badRequest("field '" + field + "' must be 1 to " + limits.maxKeyLength() + " characters");
        }
        if (!KEY.matcher(key).matches()) throw ApiException.badRequest("field '" + field + "' may hold only letters, digits, '_' and '-'");
        return key;
    }

    String value(String value, String field) {
        if (value.isEmpty()) throw ApiException.badRequest("field '" + field + "' must not be empty");
        checkSize(value, field);
        return value;
    }

    void checkSize(String value, String field) {
        // a UTF-8 character is at most 3 bytes per UTF-16 unit, so short strings skip the encoding
        if (value.length() * 3L > limits.maxValueBytes() && value.getBytes(StandardCharsets.UTF_8).length > limits.maxValueBytes()) {
            throw ApiException.badRequest("field '" + field + "' is larger than " + limits.maxValueBytes() + " bytes");
        }
    }

    /** {@code type} and {@code dataType}: short lowercase words such as {@code runtime} and {@code text}. */
    String kind(String value, String field) {
        if (!KIND.matcher(value).matches()) throw ApiException.badRequest("field '" + field + "' must be a short lowercase word such as 'runtime' or 'text'");
        return value;
    }

    String note(String note, String field) {
        if (note.length() > MAX_NOTE_LENGTH) throw ApiException.badRequest("field '" + field + "' must be at most " + MAX_NOTE_LENGTH + " characters");
        return note;
    }
}
