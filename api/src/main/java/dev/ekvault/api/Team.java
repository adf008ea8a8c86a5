package dev.ekvault.api;

/** {@code GET /v1/workspace/{ws}/team} item; {@code createdAt} is ISO-8601 UTC with milliseconds. */
public record Team(String id, String name, int projectCount, String createdAt) {}
