package dev.ekvault.api;

/** {@code POST /v1/auth/exchange} and {@code /v1/auth/oidc/exchange}: a short-lived JWT ({@code expiresIn} in seconds). */
public record AccessToken(String accessToken, long expiresIn, String tokenType) {}
