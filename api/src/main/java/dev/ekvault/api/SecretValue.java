package dev.ekvault.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One value of a secret: the shared value of an environment, or the caller's own personal override. {@code reminder}
 * is absent (not null) when the value has none, so a client that predates reminders reads the same shape as before.
 */
public record SecretValue(String environmentId, String value, boolean isPersonal,
                          @JsonInclude(JsonInclude.Include.NON_NULL) SecretReminder reminder) {
    public SecretValue(String environmentId, String value, boolean isPersonal) {
        this(environmentId, value, isPersonal, null);
    }
}
