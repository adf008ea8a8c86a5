package dev.ekvault.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code /v1/workspace/{ws}/reminders} item: a value's reminder with where it lives (secret, project, environment,
 * shared or the caller's own override). {@code due}: its date is at or before the server's now.
 */
public record ReminderInfo(String id, String type, String nextReminderDate,
                           @JsonInclude(JsonInclude.Include.NON_NULL) Integer intervalDays, boolean due,
                           String secretId, String secretName, String projectId, String projectName, String projectSlug,
                           String environmentId, String environmentName, boolean isPersonal) {}
