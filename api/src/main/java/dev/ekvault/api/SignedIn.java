package dev.ekvault.api;

/**
 * The answer to a sign-in, sign-up or accepted invitation: who signed in and the CSRF token to echo in
 * {@code X-CSRF-Token}. The session itself is only in the HttpOnly cookie.
 */
public record SignedIn(String id, String email, String name, String csrfToken, String expiresAt) {}
