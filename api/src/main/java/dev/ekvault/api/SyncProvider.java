package dev.ekvault.api;

/** A provider syncs may be set up with ({@code GET /v1/sync}): its slug in {@code /v1/sync/{slug}/…} and its title. */
public record SyncProvider(String slug, String title) {}
