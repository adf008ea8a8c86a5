package dev.ekvault.api;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * One step of a sync's setup wizard ({@code GET /v1/sync/{slug}/flow}): the fields to fill and the step after it
 * (null: the last).
 */
public record SyncForm(String syncConfigId, String provider, String step, String title, List<Field> fields, String next) {
    /**
     * {@code type}: text, secret, url, textarea, boolean or select (with its options). {@code value}: what the field
     * starts with when not null (a boolean's "true" or "false"; a form sends every field, so an unticked checkbox is false).
     */
    public record Field(String name, String label, String type, boolean required,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String hint,
                        @JsonInclude(JsonInclude.Include.NON_NULL) List<Option> options,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String value) {}

    public record Option(String value, String label) {}
}
