package dev.ekvault.api;

/** {@code GET /v1/workspace/{ws}/project/{prj}} and the answer to its update: one project with its team. */
public record ProjectDetail(String id, String name, String slug, String teamId, String teamName, String createdAt) {}
