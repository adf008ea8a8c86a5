package dev.ekvault.api;

/** {@code GET /v1/workspace} item. */
public record Workspace(String id, String name, String slug, String ownerId) {}
