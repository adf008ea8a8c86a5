package dev.ekvault.server.access;

import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.FailureStreak;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * When each credential was last used, kept in memory on every request and written to the database in one batch
 * every few seconds, so a read request never waits on a write. Lists merge the pending values in.
 */
public final class CredentialUsage implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CredentialUsage.class.getName());

    private final Database database;
    private final CredentialStore store;
    private final Map<String, Long> pending = new ConcurrentHashMap<>();
    private ScheduledExecutorService flusher;

    public CredentialUsage(Database database, CredentialStore store) {
        this.database = database;
        this.store = store;
    }

    public void touch(String credentialId, long now) {
        pending.merge(credentialId, now, Math::max);
    }

    /** The latest known use: the pending one if newer than the stored one. */
    public Long lastUsed(String credentialId, Long stored) {
        Long recent = pending.get(credentialId);
        if (recent == null) return stored;
        return stored == null ? recent : Math.max(stored, recent);
    }

    public void start(long periodMillis) {
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ek-credential-usage");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(this::flushQuietly, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    public void flush() {
        if (pending.isEmpty()) return;
        Map<String, Long> batch = new HashMap<>();
        for (String id : pending.keySet()) {
            Long usedAt = pending.remove(id);
            if (usedAt != null) batch.put(id, usedAt);
        }
        try {
            database.write(c -> {
                for (Map.Entry<String, Long> use : batch.entrySet()) store.recordLastUse(c, use.getKey(), use.getValue());
                return null;
            });
        } catch (RuntimeException e) {
            batch.forEach((id, usedAt) -> pending.merge(id, usedAt, Math::max)); // try again next time
            throw e;
        }
    }

    private void flushQuietly() {
        try {
            flush();
            flushFailures.succeeded();
        } catch (RuntimeException e) {
            flushFailures.failed(e);
        }
    }

    private final FailureStreak flushFailures = new FailureStreak(LOG, "recording credential use");

    @Override
    public void close() {
        if (flusher != null) flusher.shutdownNow();
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warning("could not record credential use at shutdown (" + e.getClass().getSimpleName() + ")");
        }
    }
}
