package dev.ekvault.api;

import java.util.List;

/** A secret with the values the caller may see. Timestamps are ISO-8601 UTC with milliseconds. */
public record Secret(String id, String name, String note, String type, String dataType,
                     List<SecretValue> values, String createdAt, String updatedAt) {}
