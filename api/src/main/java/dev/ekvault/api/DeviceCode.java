package dev.ekvault.api;

/** {@code POST /v1/auth/device/code}: RFC 8628's device authorization answer (times in seconds). */
public record DeviceCode(String deviceCode, String userCode, String verificationUri, String verificationUriComplete,
                         long expiresIn, int interval) {}
