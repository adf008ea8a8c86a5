package dev.ekvault.server.crypto;

import dev.ekvault.server.store.Database;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Envelope encryption: every environment has its own data key, wrapped by the master key and stored beside the
 * data. Values are sealed with the environment's newest data key; the key id in each ciphertext names the key that
 * opens it, so an environment's key rotates ({@link #rotate}) with its older values still readable until they are
 * re-encrypted ({@code keyrotation/DataKeyRotation}) and the older key is retired ({@link #retireOlder}). Unwrapped keys
 * are cached (a key id is never reused in an environment, so a cached key is never stale); which key is the newest is
 * read at each seal, so a rotation on another node applies to the next write here.
 */
public final class DataKeys {
    private static final byte[] VERIFIER_PLAINTEXT = "ek master key check".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VERIFIER_AAD = Aad.of("ek/master-key-check/v1");

    private final MasterKey masterKey;
    private final Clock clock;
    private final DataKeyStore store = new DataKeyStore();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, SecretKey> unwrapped = new ConcurrentHashMap<>();

    public DataKeys(MasterKey masterKey, Clock clock) {
        this.masterKey = masterKey;
        this.clock = clock;
    }

    /**
     * Fails when the database was sealed under another master key, before anything is written; records this key's
     * verifier on a database that has none. Call after migrations have created the table.
     */
    public void verifyMasterKey(Database database) {
        byte[] verifier = database.read(store::masterKeyVerifier);
        if (verifier == null) {
            database.write(c -> {
                if (store.masterKeyVerifier(c) == null) {
                    store.insertMasterKeyVerifier(c, masterKey.idHex(), masterKey.seal(VERIFIER_PLAINTEXT, VERIFIER_AAD), clock.millis());
                }
                return null;
            });
            return;
        }
        checkVerifier(verifier);
    }

    /** Checks a database's stored verifier without touching anything; null means a database with none yet. */
    public void checkVerifier(byte[] verifier) {
        if (verifier == null || opens(masterKey, verifier)) return;
        throw new WrongMasterKeyException(String.format(
                "the master key (id %s) is not the one this database is sealed with (id %08x): start with that key (after a "
                        + "rotate-master-key, the new one); nothing was changed", masterKey.idHex(), Aead.keyId(verifier)));
    }

    /** Whether {@code key} is the master key the stored {@code verifier} was sealed with. */
    public static boolean opens(MasterKey key, byte[] verifier) {
        try {
            Aead.open(key.secretKey(), verifier, VERIFIER_AAD);
            return true;
        } catch (IntegrityException e) {
            return false;
        }
    }

    /** Byte-level access for the startup check that must read before migrations run. */
    public byte[] readVerifier(Connection c) throws SQLException {
        return store.masterKeyVerifier(c);
    }

    /**
     * A master key rotation's part in crypto, inside the caller's transaction: every data key still wrapped under
     * {@code from} is re-wrapped under {@code to} (the data key itself, and so every value, is unchanged); with
     * {@code newVerifier} the verifier is replaced too, which is what makes {@code from} refused from then on. Returns
     * how many data keys were re-wrapped.
     */
    public static int rewrap(Connection c, MasterKey from, MasterKey to, boolean newVerifier) throws SQLException {
        DataKeyStore store = new DataKeyStore();
        if (newVerifier) store.replaceMasterKeyVerifier(c, to.idHex(), to.seal(VERIFIER_PLAINTEXT, VERIFIER_AAD));
        int rewrapped = 0;
        for (DataKeyStore.Row row : store.wrappedUnder(c, from.idHex())) {
            byte[] aad = Aad.dataKey(row.workspaceId(), row.environmentId(), row.keyId());
            byte[] raw = from.open(row.wrapped(), aad);
            try {
                store.rewrap(c, row, to.idHex(), to.seal(raw, aad));
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
            rewrapped++;
        }
        return rewrapped;
    }

    /**
     * The id of the master key the database's verifier names, and so the one every node must seal with; a node whose key
     * is another is refused here rather than wrap a data key no other node could open.
     */
    private void requireCurrentMasterKey(Connection c) throws SQLException {
        byte[] verifier = store.masterKeyVerifier(c);
        if (verifier != null && Aead.keyId(verifier) != masterKey.id()) {
            throw new IllegalStateException("this node's master key " + masterKey.idHex() + " was rotated away (the database is sealed "
                    + "with " + MasterKey.hex(Aead.keyId(verifier)) + "): give the node the new key (master-key-next-file)");
        }
    }

    /** Creates the first data key of a new environment, inside the caller's transaction. */
    public void createFor(Connection c, String workspaceId, String environmentId) throws SQLException {
        insertKey(c, workspaceId, environmentId, 1);
    }

    /**
     * Rotates an environment's data key, inside the caller's transaction: a new key that every value written from now on
     * is sealed with; values under older keys stay readable until re-encrypted. Returns the new key's id.
     */
    public int rotate(Connection c, String workspaceId, String environmentId) throws SQLException {
        DataKeyStore.WrappedKey newest = store.find(c, environmentId, null);
        if (newest == null) throw new IllegalStateException("environment has no data key");
        return insertKey(c, workspaceId, environmentId, newest.keyId() + 1);
    }

    private int insertKey(Connection c, String workspaceId, String environmentId, int keyId) throws SQLException {
        requireCurrentMasterKey(c);
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        try {
            store.insert(c, environmentId, keyId, masterKey.idHex(), masterKey.seal(raw, Aad.dataKey(workspaceId, environmentId, keyId)),
                    clock.millis());
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        return keyId;
    }

    /** An environment with more than one data key, and where it is (the AAD and the journal name them). */
    public record Rotating(String environmentId, String workspaceId, String projectId) {}

    /** Environments with more than one data key: rotated, their older values still to be re-encrypted. */
    public List<Rotating> rotating(Connection c) throws SQLException {
        return store.rotating(c);
    }

    /** The id of an environment's newest data key (the one values are sealed with now); null when it has none. */
    public Integer newestKeyId(Connection c, String environmentId) throws SQLException {
        DataKeyStore.WrappedKey newest = store.find(c, environmentId, null);
        return newest == null ? null : newest.keyId();
    }

    /**
     * Deletes an environment's keys older than {@code keyId} once nothing is sealed under them (the caller checks, after
     * this, in the same transaction: on PostgreSQL the delete waits for writes that chose an older key). Returns how many
     * were deleted. Their unwrapped copies stay in memory: a read that took a ciphertext from the read cache just before
     * the cache is dropped (after the commit) still opens it.
     */
    public int retireOlder(Connection c, String environmentId, int keyId) throws SQLException {
        return store.deleteOlder(c, environmentId, keyId);
    }

    /** Locks these environments' keys for their deletion, before anything under them is deleted (see DataKeyStore). */
    public void lockForDeletion(Connection c, List<String> environmentIds) throws SQLException {
        store.lockForDeletion(c, environmentIds);
    }

    /**
     * Deletes an environment's data keys (the environment is being deleted, with every value they sealed) and forgets
     * them here; another node's unwrapped copy opens nothing, since no ciphertext under it is left.
     */
    public void deleteFor(Connection c, String environmentId) throws SQLException {
        store.delete(c, environmentId);
        unwrapped.keySet().removeIf(k -> k.startsWith(environmentId + '/'));
    }

    public byte[] seal(Connection c, String workspaceId, String environmentId, byte[] plaintext, byte[] aad) throws SQLException {
        return sealer(c, workspaceId, environmentId).seal(plaintext, aad);
    }

    /**
     * Seals under one key read once; each call a fresh nonce. Two are equal when they seal with the same key of the same
     * environment (a key id is never reused in an environment): values sealed with one before a transaction may be
     * written in it when the transaction's own sealer is equal.
     */
    public static final class Sealer {
        private final String environmentId;
        private final int keyId;
        private final SecretKey key;

        private Sealer(String environmentId, int keyId, SecretKey key) {
            this.environmentId = environmentId;
            this.keyId = keyId;
            this.key = key;
        }

        public byte[] seal(byte[] plaintext, byte[] aad) {
            return Aead.seal(key, keyId, plaintext, aad);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Sealer that && that.keyId == keyId && that.environmentId.equals(environmentId);
        }

        @Override
        public int hashCode() {
            return environmentId.hashCode() * 31 + keyId;
        }

        @Override
        public String toString() {
            return "Sealer[" + environmentId + "/" + keyId + "]"; // never the key
        }
    }

    /**
     * The environment's newest key, read once for a transaction that seals many values (a bulk create): the same key
     * {@link #seal} would read for each of them inside that transaction.
     */
    public Sealer sealer(Connection c, String workspaceId, String environmentId) throws SQLException {
        DataKeyStore.WrappedKey newest = store.newestForSealing(c, environmentId);
        if (newest == null) throw new IllegalStateException("environment has no data key");
        SecretKey key = unwrapped.computeIfAbsent(cacheKey(environmentId, newest.keyId()), k -> unwrap(workspaceId, environmentId, newest));
        return new Sealer(environmentId, newest.keyId(), key);
    }

    public byte[] open(Connection c, String workspaceId, String environmentId, byte[] ciphertext, byte[] aad) throws SQLException {
        return Aead.open(key(c, workspaceId, environmentId, Aead.keyId(ciphertext)), ciphertext, aad);
    }

    /** Makes sure the key that opens {@code ciphertext} is unwrapped in memory (for {@link #openLoaded}). */
    public void load(Connection c, String workspaceId, String environmentId, byte[] ciphertext) throws SQLException {
        key(c, workspaceId, environmentId, Aead.keyId(ciphertext));
    }

    /** Opens with a key already in memory; null when the key has not been loaded (read it with {@link #open}). */
    public byte[] openLoaded(String environmentId, byte[] ciphertext, byte[] aad) {
        SecretKey key = unwrapped.get(cacheKey(environmentId, Aead.keyId(ciphertext)));
        return key == null ? null : Aead.open(key, ciphertext, aad);
    }

    private SecretKey key(Connection c, String workspaceId, String environmentId, int keyId) throws SQLException {
        String cacheKey = cacheKey(environmentId, keyId);
        SecretKey key = unwrapped.get(cacheKey);
        if (key != null) return key;
        DataKeyStore.WrappedKey wrapped = store.find(c, environmentId, keyId);
        if (wrapped == null) throw new IntegrityException("no data key " + keyId + " for this environment");
        key = unwrap(workspaceId, environmentId, wrapped);
        unwrapped.put(cacheKey, key);
        return key;
    }

    private SecretKey unwrap(String workspaceId, String environmentId, DataKeyStore.WrappedKey wrapped) {
        byte[] raw = masterKey.open(wrapped.wrapped(), Aad.dataKey(workspaceId, environmentId, wrapped.keyId()));
        return new SecretKeySpec(raw, "AES");
    }

    private static String cacheKey(String environmentId, int keyId) {
        return environmentId + '/' + keyId;
    }
}
