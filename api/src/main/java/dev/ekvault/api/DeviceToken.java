package dev.ekvault.api;

/** {@code POST /v1/auth/device/token} once the login is approved: the {@code ek login} token ({@code expiresIn} in seconds). */
public record DeviceToken(String accessToken, String tokenType, long expiresIn) {}
