package dev.ekvault.api;

import java.util.List;

/** A page of reminders, soonest first; {@code next} is the cursor of the following page, null on the last. */
public record ReminderPage(List<ReminderInfo> reminders, String next) {}
