package dev.ekvault.server.crypto;

import dev.ekvault.server.store.Database;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Envelope encryption: every environment has its own data key, wrapped by the master key and stored beside the
 * data. Values are sealed with the environment's newest data key; the key id in each ciphertext names the key that
 * opens it. Unwrapped keys are cached (a key id is never reused, so a cached key is never stale).
 */
public final class DataKeys {
    private static final byte[] VERIFIER_PLAINTEXT = "ek master key check".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VERIFIER_AAD = Aad.of("ek/master-key-check/v1");

    private final MasterKey masterKey;
    private final Clock clock;
    private final DataKeyStore store = new DataKeyStore();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, SecretKey> unwrapped = new ConcurrentHashMap<>();
    private final Map<String, Integer> currentKeyId = new ConcurrentHashMap<>();

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
                    store.insertMasterKeyVerifier(c, masterKey.idHex(),
                            Aead.seal(masterKey.secretKey(), masterKey.id(), VERIFIER_PLAINTEXT, VERIFIER_AAD), clock.millis());
                }
                return null;
            });
            return;
        }
        checkVerifier(verifier);
    }

    /** Checks a database's stored verifier without touching anything; null means a database with none yet. */
    public void checkVerifier(byte[] verifier) {
        if (verifier == null) return;
        try {
            Aead.open(masterKey.secretKey(), verifier, VERIFIER_AAD);
        } catch (IntegrityException e) {
            throw new WrongMasterKeyException(String.format(
                    "the master key (id %s) is not the one this database was created with (id %08x); "
                            + "start with the original master key, nothing was changed", masterKey.idHex(), Aead.keyId(verifier)));
        }
    }

    /** Byte-level access for the startup check that must read before migrations run. */
    public byte[] readVerifier(Connection c) throws SQLException {
        return store.masterKeyVerifier(c);
    }

    /** Creates the first data key of a new environment, inside the caller's transaction. */
    public void createFor(Connection c, String workspaceId, String environmentId) throws SQLException {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        int keyId = 1;
        byte[] wrapped = Aead.seal(masterKey.secretKey(), masterKey.id(), raw, Aad.dataKey(workspaceId, environmentId, keyId));
        store.insert(c, environmentId, keyId, masterKey.idHex(), wrapped, clock.millis());
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
        Integer keyId = currentKeyId.get(environmentId);
        if (keyId == null) {
            DataKeyStore.WrappedKey newest = store.find(c, environmentId, null);
            if (newest == null) throw new IllegalStateException("environment has no data key");
            keyId = newest.keyId();
            unwrapped.computeIfAbsent(cacheKey(environmentId, keyId), k -> unwrap(workspaceId, environmentId, newest));
            currentKeyId.put(environmentId, keyId);
        }
        return Aead.seal(key(c, workspaceId, environmentId, keyId), keyId, plaintext, aad);
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
        byte[] raw = Aead.open(masterKey.secretKey(), wrapped.wrapped(), Aad.dataKey(workspaceId, environmentId, wrapped.keyId()));
        return new SecretKeySpec(raw, "AES");
    }

    private static String cacheKey(String environmentId, int keyId) {
        return environmentId + '/' + keyId;
    }
}
