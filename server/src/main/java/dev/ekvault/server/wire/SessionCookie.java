package dev.ekvault.server.wire;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The dashboard's session cookie, in one place: its name, the {@code Set-Cookie} values that carry and clear it, and
 * the CSRF token derived from it. The cookie is HttpOnly (script cannot read it) and SameSite=Strict (other sites
 * cannot send it); {@code Secure} follows {@code http.secure-cookies}.
 */
public final class SessionCookie {
    public static final String NAME = "ek_session";
    /** The header a change made with the cookie must carry: another site's page cannot read the token to send it. */
    public static final String CSRF_HEADER = "X-CSRF-Token";

    private SessionCookie() {}

    /** The {@code Set-Cookie} value that carries a session for {@code maxAgeSeconds}. */
    public static String set(String sessionToken, boolean secure, long maxAgeSeconds) {
        return NAME + "=" + sessionToken + attributes(secure, maxAgeSeconds);
    }

    /** The {@code Set-Cookie} value that makes the browser forget the session (sign-out). */
    public static String clear(boolean secure) {
        return NAME + "=" + attributes(secure, 0);
    }

    private static String attributes(boolean secure, long maxAgeSeconds) {
        return "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + maxAgeSeconds + (secure ? "; Secure" : "");
    }

    /** Derived from the session token, so it needs no storage and dies with the session. */
    public static String csrfToken(String sessionToken) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("ek/csrf/v1:" + sessionToken).getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code header} is the session's CSRF token, compared in constant time. */
    public static boolean csrfMatches(String sessionToken, String header) {
        return header != null && MessageDigest.isEqual(csrfToken(sessionToken).getBytes(StandardCharsets.US_ASCII),
                header.getBytes(StandardCharsets.US_ASCII));
    }
}
