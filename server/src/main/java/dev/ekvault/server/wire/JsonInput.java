package dev.ekvault.server.wire;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A JSON object from a request body, read field by field. Every problem becomes a 400 whose message names the
 * field by its full path ({@code secrets[3].key}) and never repeats the value it found, which may be a secret.
 */
public final class JsonInput {
    private final JsonNode node;
    private final String path;

    public JsonInput(JsonNode node, String path) {
        this.node = node;
        this.path = path;
    }

    /** An empty object: what a bodiless request reads as. */
    public static JsonInput empty() {
        return new JsonInput(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), "");
    }

    private String field(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private JsonNode get(String name) {
        JsonNode value = node.get(name);
        return value == null || value.isNull() ? null : value;
    }

    public boolean has(String name) {
        return get(name) != null;
    }

    public String requiredString(String name) {
        String value = optionalString(name, null);
        if (value == null) throw ApiException.badRequest("field '" + field(name) + "' is required");
        return value;
    }

    public String optionalString(String name, String fallback) {
        JsonNode value = get(name);
        if (value == null) return fallback;
        if (!value.isTextual()) throw ApiException.badRequest("field '" + field(name) + "' must be a string");
        return value.textValue();
    }

    public boolean optionalBoolean(String name, boolean fallback) {
        JsonNode value = get(name);
        if (value == null) return fallback;
        if (!value.isBoolean()) throw ApiException.badRequest("field '" + field(name) + "' must be true or false");
        return value.booleanValue();
    }

    /** A whole number in [{@code min}, {@code max}]. */
    public long requiredLong(String name, long min, long max) {
        JsonNode value = get(name);
        if (value == null) throw ApiException.badRequest("field '" + field(name) + "' is required");
        if (!value.canConvertToExactIntegral() || !value.canConvertToLong() || value.longValue() < min || value.longValue() > max) {
            throw ApiException.badRequest("field '" + field(name) + "' must be a whole number from " + min + " to " + max);
        }
        return value.longValue();
    }

    /** The elements of an array field, each read by {@code element} with its indexed path. */
    public <T> List<T> requiredArray(String name, int maxItems, Function<Element, T> element) {
        JsonNode value = get(name);
        if (value == null) throw ApiException.badRequest("field '" + field(name) + "' is required");
        if (!value.isArray()) throw ApiException.badRequest("field '" + field(name) + "' must be an array");
        if (value.size() > maxItems) {
            throw ApiException.badRequest("field '" + field(name) + "' has " + value.size() + " items; at most " + maxItems + " are allowed");
        }
        List<T> result = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) result.add(element.apply(new Element(value.get(i), field(name) + "[" + i + "]")));
        return result;
    }

    /** A field's JSON as it came (for the few fields that are documents of their own, like a JWK set), or null. */
    public JsonNode optionalJson(String name) {
        return get(name);
    }

    /** True when the field is present as an explicit {@code null}: how an update clears an optional value. */
    public boolean isExplicitNull(String name) {
        JsonNode value = node.get(name);
        return value != null && value.isNull();
    }

    public JsonInput optionalObject(String name) {
        JsonNode value = get(name);
        if (value == null) return null;
        if (!value.isObject()) throw ApiException.badRequest("field '" + field(name) + "' must be an object");
        return new JsonInput(value, field(name));
    }

    /** One element of an array, read as a string or as an object. */
    public record Element(JsonNode node, String path) {
        public String asString() {
            if (node == null || !node.isTextual()) throw ApiException.badRequest("field '" + path + "' must be a string");
            return node.textValue();
        }

        public JsonInput asObject() {
            if (node == null || !node.isObject()) throw ApiException.badRequest("field '" + path + "' must be an object");
            return new JsonInput(node, path);
        }
    }

    /** The whole object, for bodies whose shape is the client's own (preferences). */
    public JsonNode node() {
        return node;
    }

    /** The full path of a field of this object, for messages raised after reading. */
    public String pathOf(String name) {
        return field(name);
    }
}
