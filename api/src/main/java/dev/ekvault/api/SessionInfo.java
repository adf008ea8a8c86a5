package dev.ekvault.api;

/**
 * {@code GET /v1/me/sessions} item: one of the person's live sign-ins ({@code type} {@code session} or
 * {@code cli-login}); {@code expiresAt} may be null; {@code current} marks the one the request came with.
 */
public record SessionInfo(String id, String type, String createdAt, String expiresAt, boolean current) {}
