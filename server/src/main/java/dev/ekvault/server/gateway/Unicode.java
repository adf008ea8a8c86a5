package dev.ekvault.server.gateway;

import dev.ekvault.server.wire.ApiException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * Text from a request must be valid Unicode. Jackson reads overlong UTF-8 forms ({@code C0 AF} as {@code /}),
 * encoded surrogates and code points above U+10FFFF without complaint, and turns a JSON escape such as
 * {@code "\ud800"} into a lone surrogate, which the database and the response writer then replace with {@code ?}:
 * a value that is not the one sent. So the body's bytes are checked against the UTF-8 grammar before parsing, and
 * every string (and field name) of the parsed tree for surrogates that are not paired.
 */
final class Unicode {
    private Unicode() {}

    /**
     * The offset of the first byte that does not belong to a well-formed UTF-8 sequence (Unicode 15, table 3-7: no
     * overlong forms, no surrogates, nothing above U+10FFFF), or -1 when all of them do.
     */
    static int firstInvalidUtf8(byte[] bytes, int length) {
        int i = 0;
        while (i < length) {
            int lead = bytes[i];
            if (lead >= 0) {
                i++;
                continue;
            }
            lead &= 0xFF;
            int trailing;
            int low = 0x80;
            int high = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                trailing = 1;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                trailing = 2;
                if (lead == 0xE0) low = 0xA0;        // below: overlong
                else if (lead == 0xED) high = 0x9F;  // above: a surrogate
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                trailing = 3;
                if (lead == 0xF0) low = 0x90;        // below: overlong
                else if (lead == 0xF4) high = 0x8F;  // above: beyond U+10FFFF
            } else {
                return i;
            }
            if (i + trailing >= length) return i;
            int second = bytes[i + 1] & 0xFF;
            if (second < low || second > high) return i;
            for (int k = 2; k <= trailing; k++) {
                if ((bytes[i + k] & 0xC0) != 0x80) return i;
            }
            i += trailing + 1;
        }
        return -1;
    }

    /** True when every surrogate in {@code text} is a high one followed by a low one. */
    static boolean isWellFormed(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isLowSurrogate(c) || i + 1 == n || !Character.isLowSurrogate(text.charAt(i + 1))) return false;
            i++;
        }
        return true;
    }

    /**
     * Refuses, with a 400 that names it, the first string or field name in the tree that is not well-formed
     * ({@code field 'secrets[0].value' is not valid Unicode}). The path is only built for the one that fails.
     */
    static void requireWellFormed(JsonNode root) {
        Failure failure = firstMalformed(root);
        if (failure == null) return;
        String path = failure.path.toString();
        throw ApiException.badRequest(failure.fieldName
                ? (path.isEmpty() ? "a field name" : "a field name in '" + path + "'") + " is not valid Unicode"
                : "field '" + path + "' is not valid Unicode");
    }

    /** Where the walk stopped; the path is written from the innermost step outwards as the recursion unwinds. */
    private static final class Failure {
        final boolean fieldName;
        final StringBuilder path = new StringBuilder();

        Failure(boolean fieldName) {
            this.fieldName = fieldName;
        }

        Failure under(String name) {
            path.insert(0, path.isEmpty() || path.charAt(0) == '[' ? name : name + ".");
            return this;
        }
    }

    private static Failure firstMalformed(JsonNode node) {
        if (node.isTextual()) return isWellFormed(node.textValue()) ? null : new Failure(false);
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                Failure inner = firstMalformed(node.get(i));
                if (inner != null) return inner.under("[" + i + "]");
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (!isWellFormed(field.getKey())) return new Failure(true);
                Failure inner = firstMalformed(field.getValue());
                if (inner != null) return inner.under(field.getKey());
            }
        }
        return null;
    }
}
