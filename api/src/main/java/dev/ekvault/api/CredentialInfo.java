package dev.ekvault.api;

/**
 * {@code GET /v1/workspace/{ws}/credentials} item: every kind of credential in one table, newest first, with who
 * created it and when it was last used. {@code kind} is {@code api-token}, {@code cli-token} or {@code kubernetes}.
 */
public record CredentialInfo(String id, String kind, String name, String prefix, String permission, TokenScope scope,
                             String createdById, String createdByEmail, String createdAt, String expiresAt,
                             String lastUsedAt, String revokedAt) {}
