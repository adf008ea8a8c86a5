package dev.ekvault.server.keyrotation;

import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.IntegrityException;
import dev.ekvault.server.secret.SecretStore;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Journal;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The background half of an environment's data key rotation ({@code POST …/environment/{env}/rotate-key} adds the new
 * key; values written from then on are sealed with it). Each run, on any node, re-encrypts the values and version rows
 * still sealed under an older key in transactions of at most {@link #BATCH} rows (each row replaced only if it is still
 * what was read, so a write in between wins), and retires the older keys of an environment that was already found
 * drained by an earlier run: a read that took an old ciphertext just before it was re-encrypted still finds its key.
 * The retirement re-checks, after deleting, that nothing is sealed under a deleted key (on PostgreSQL the delete waits
 * for a write that chose the old key before the rotation committed) and rolls back otherwise, so a value can never be
 * left under a key that is gone. Every step commits on its own: a crash loses at most one batch's work, and the next
 * run (on any node) takes over where the database says it stands.
 */
final class DataKeyRotation {
    private static final Logger LOG = Logger.getLogger(DataKeyRotation.class.getName());
    /** Rows per transaction: short enough not to hold SQLite's one writer for long. */
    static final int BATCH = 200;

    private final Database database;
    private final DataKeys dataKeys;
    private final SecretStore secrets;
    private final int batch;
    /** Environments this node found with nothing left to re-encrypt; the next run retires their older keys. */
    private final Set<String> drained = ConcurrentHashMap.newKeySet();

    DataKeyRotation(Database database, DataKeys dataKeys, SecretStore secrets) {
        this(database, dataKeys, secrets, BATCH);
    }

    /** {@code batch}: rows per transaction (tests make it small to see the batches). */
    DataKeyRotation(Database database, DataKeys dataKeys, SecretStore secrets, int batch) {
        this.database = database;
        this.dataKeys = dataKeys;
        this.secrets = secrets;
        this.batch = batch;
    }

    /** One run of the job: every environment with more than one data key moves on by as much as it can. */
    void run() {
        List<DataKeys.Rotating> rotating = database.read(dataKeys::rotating);
        drained.retainAll(rotating.stream().map(DataKeys.Rotating::environmentId).toList());
        for (DataKeys.Rotating env : rotating) {
            try {
                advance(env);
            } catch (IntegrityException e) {
                // a row that does not open under its own key: keep every key, so nothing readable becomes unreadable
                LOG.severe("data key rotation of environment " + env.environmentId() + " stopped: a stored value does not open ("
                        + e.getMessage() + "); its older keys are kept");
            }
        }
    }

    private void advance(DataKeys.Rotating env) {
        int moved;
        int total = 0;
        do {
            moved = database.write(c -> reencryptBatch(c, env));
            total += moved;
        } while (moved == batch);
        if (total > 0) {
            drained.remove(env.environmentId());
            LOG.info("data key rotation: re-encrypted " + total + " value(s) of environment " + env.environmentId());
            return;
        }
        if (drained.add(env.environmentId())) return; // drained now: retired by the next run
        try {
            Integer retired = database.write(c -> retire(c, env));
            drained.remove(env.environmentId());
            if (retired != null) LOG.info("data key rotation of environment " + env.environmentId() + " complete: older key(s) retired, "
                    + "key " + retired + " seals everything");
        } catch (WrittenMeanwhile e) {
            drained.remove(env.environmentId()); // a value under an older key appeared: re-encrypt it first
        }
    }

    private int reencryptBatch(java.sql.Connection c, DataKeys.Rotating env) throws SQLException {
        Integer newest = dataKeys.newestKeyId(c, env.environmentId());
        if (newest == null) return 0; // the environment was deleted meanwhile
        List<SecretStore.Sealed> rows = secrets.sealedNotUnder(c, env.environmentId(), newest, batch);
        for (SecretStore.Sealed row : rows) {
            byte[] aad = Aad.secretValue(row.workspaceId(), row.projectId(), row.environmentId(), row.secretId(), row.version(), row.ownerId());
            byte[] plain = dataKeys.open(c, row.workspaceId(), row.environmentId(), row.ciphertext(), aad);
            try {
                secrets.reseal(c, row, dataKeys.seal(c, row.workspaceId(), row.environmentId(), plain, aad));
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        }
        return rows.size();
    }

    /** Deletes the keys older than the newest, then makes sure nothing is sealed under them; journals the retirement. */
    private Integer retire(java.sql.Connection c, DataKeys.Rotating env) throws SQLException {
        Integer newest = dataKeys.newestKeyId(c, env.environmentId());
        if (newest == null) return null;
        int deleted = dataKeys.retireOlder(c, env.environmentId(), newest);
        if (deleted == 0) return null; // another node retired them first, and journalled it
        if (!secrets.sealedNotUnder(c, env.environmentId(), newest, 1).isEmpty()) throw new WrittenMeanwhile();
        // SECRET: the read path's cache (which holds ciphertexts) drops the project, on this node and through the feed
        Journal.changed(c, Journal.Change.of("retire", "data-key", env.workspaceId(), env.environmentId())
                .feed(ChangeFeed.Kind.SECRET).in(env.projectId(), env.environmentId())
                .after(Journal.fields("keyId", newest, "retiredKeys", deleted)));
        return newest;
    }

    /** A value was written under an older key after the batch that drained it: the retirement rolls back. */
    private static final class WrittenMeanwhile extends RuntimeException {
        WrittenMeanwhile() {
            super("a value was sealed under an older data key meanwhile", null, false, false);
        }
    }
}
