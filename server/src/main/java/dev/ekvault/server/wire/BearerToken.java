package dev.ekvault.server.wire;

import java.util.Locale;

/** The credential of an {@code Authorization: Bearer …} header (the scheme is case-insensitive, RFC 9110 §11.1). */
public final class BearerToken {
    private BearerToken() {}

    /** The token, or null when the header is absent, of another scheme or empty. */
    public static String from(String header) {
        if (header == null || header.length() < 7 || !header.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) return null;
        String token = header.substring(7).strip();
        return token.isEmpty() ? null : token;
    }
}
