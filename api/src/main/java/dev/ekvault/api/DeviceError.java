package dev.ekvault.api;

/**
 * {@code POST /v1/auth/device/token} before (or instead of) a token: RFC 8628's {@code error}
 * ({@code authorization_pending}, {@code slow_down}, {@code access_denied}, {@code expired_token},
 * {@code invalid_grant}); {@code message} repeats it for clients that read only {@link ErrorBody}'s field.
 */
public record DeviceError(String error, String message) {}
