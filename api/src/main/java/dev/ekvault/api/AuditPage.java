package dev.ekvault.api;

import java.util.List;

/** A page of audit entries, newest first; {@code next} is the cursor of the following page, null on the last. */
public record AuditPage(List<AuditRecord> entries, String next) {}
