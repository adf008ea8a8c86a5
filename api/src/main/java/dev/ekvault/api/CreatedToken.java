package dev.ekvault.api;

/** The answer to creating (or rotating) an API token: the only time {@code token} is ever shown. */
public record CreatedToken(String id, String token, String name, String prefix, String permission, TokenScope scope,
                           String expiresAt) {}
