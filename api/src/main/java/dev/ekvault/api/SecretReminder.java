package dev.ekvault.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A value's reminder, as the Enkryptify SDKs type it: {@code type} is {@code one_time} or {@code recurring},
 * {@code nextReminderDate} ISO-8601 UTC with milliseconds. {@code intervalDays} (ours) is how far a recurring reminder
 * moves on when it is completed; absent on a one-time reminder.
 */
public record SecretReminder(String id, String type, String nextReminderDate,
                             @JsonInclude(JsonInclude.Include.NON_NULL) Integer intervalDays) {}
