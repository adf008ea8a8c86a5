package dev.ekvault.server.jwt;

/**
 * What a verified access token says: the credential it was exchanged for ({@code sub}), its workspace ({@code ws}),
 * the user behind it ({@code uid}) and when it stops being accepted ({@code exp}, epoch milliseconds).
 */
public record VerifiedJwt(String credentialId, String workspaceId, String userId, long expiresAtMillis) {}
