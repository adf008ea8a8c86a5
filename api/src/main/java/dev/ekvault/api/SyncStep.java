package dev.ekvault.api;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Map;

/**
 * The answer to a wizard step: the sync's id, the step taken, the next one (null once the sync is set up), its status,
 * and what may be shown once and never again (a signing secret the server generated).
 */
public record SyncStep(String syncConfigId, String step, String next, String status,
                       @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> shownOnce) {}
