package dev.ekvault.server.wire;

import java.util.UUID;
import java.util.regex.Pattern;

/** Rules for the names and slugs of the workspace tree; each failure is a 400 that names the field. */
public final class FieldRules {
    public static final int MAX_NAME_LENGTH = 64;
    private static final Pattern SLUG = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?");
    private static final Pattern UUID_SHAPE = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private FieldRules() {}

    /** A display name: 1–64 characters after trimming, no control characters. */
    public static String name(String value, String field) {
        String trimmed = value.strip();
        if (trimmed.isEmpty() || trimmed.length() > MAX_NAME_LENGTH) {
            throw ApiException.badRequest("field '" + field + "' must be 1 to " + MAX_NAME_LENGTH + " characters");
        }
        for (int i = 0; i < trimmed.length(); i++) {
            if (Character.isISOControl(trimmed.charAt(i))) throw ApiException.badRequest("field '" + field + "' must not contain control characters");
        }
        return trimmed;
    }

    /**
     * A URL slug: lowercase letters, digits and inner hyphens, 1–64 characters, and not shaped like a UUID (paths
     * accept a slug or an id, so a slug must never be mistaken for an id).
     */
    public static String slug(String value, String field) {
        if (!SLUG.matcher(value).matches()) {
            throw ApiException.badRequest("field '" + field + "' must be 1 to 64 lowercase letters, digits or inner hyphens");
        }
        if (isUuid(value)) throw ApiException.badRequest("field '" + field + "' must not have the shape of an id");
        return value;
    }

    /** A slug made from a name: {@code "My API!"} becomes {@code my-api}. */
    public static String slugOf(String name, String field) {
        String slug = name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (slug.length() > 64) slug = slug.substring(0, 64).replaceAll("-+$", "");
        if (slug.isEmpty()) throw ApiException.badRequest("field '" + field + "' is required when the name has no letters or digits");
        return slug(slug, field);
    }

    public static boolean isUuid(String value) {
        return UUID_SHAPE.matcher(value).matches();
    }

    /** An id field: must be a UUID; anything else is a 400 naming the field. */
    public static String uuid(String value, String field) {
        if (!isUuid(value)) throw ApiException.badRequest("field '" + field + "' must be an id (UUID)");
        return value.toLowerCase(java.util.Locale.ROOT);
    }

    public static String newId() {
        return UUID.randomUUID().toString();
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /**
     * A version-7 UUID: {@code millis} first, then 74 random bits. For rows written many at a time (a bulk create's
     * secrets): the random ids of {@link #newId} land anywhere in a primary-key index, so each new row dirties a page of
     * its own in every index keyed by it (about 150 pages, 600 KB, to write and sync for a request of 50 secrets), where
     * ids in time order land together at the end. The time they show is the row's creation time, which the API shows
     * anyway.
     */
    public static String newOrderedId(long millis) {
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        long high = (millis << 16) | 0x7000L | ((random[0] & 0x0FL) << 8) | (random[1] & 0xFFL);
        long low = 0x8000000000000000L;
        for (int i = 2; i < 10; i++) low |= (random[i] & 0xFFL) << (8 * (9 - i));
        return new UUID(high, low & 0xBFFFFFFFFFFFFFFFL).toString();
    }
}
