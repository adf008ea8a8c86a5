package dev.ekvault.api;

/** {@code GET /v1/workspace/{ws}/tokens} item: never the token itself, only its display prefix. */
public record TokenInfo(String id, String name, String prefix, String permission, TokenScope scope, String type,
                        boolean isOwner, String createdById, String createdAt, String expiresAt, String lastUsedAt,
                        String revokedAt) {}
