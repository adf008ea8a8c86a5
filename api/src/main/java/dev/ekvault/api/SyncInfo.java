package dev.ekvault.api;

import java.util.Map;

/**
 * A sync as its status page shows it: provider, name, status (draft, active, paused), the environment it pushes and
 * its non-secret settings, whether a credential is set (never the credential), who created it, and how it goes: the
 * last success, the last error with its reason, whether changes are pending, and when the next attempt is due.
 */
public record SyncInfo(String id, String provider, String name, String status, String projectId, String environmentId,
                       Map<String, String> settings, boolean deleteMissing, boolean sendValues, boolean hasCredential, String createdBy,
                       String createdAt, String updatedAt, String lastSuccessAt, String lastError, String lastErrorAt, boolean pending,
                       String nextAttemptAt, int attempts) {}
