package dev.ekvault.server.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.Aead;
import dev.ekvault.server.crypto.IntegrityException;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.store.Database;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The server's Ed25519 signing keys, shared by every node through the {@code signing_key} table.
 *
 * <p>Each row holds the public key as a JWK and the private key (its 32-byte seed) sealed by the master key with
 * AES-GCM, the AAD binding it to its kid. On load every row's seed is opened and its public key derived and compared
 * with the stored JWK, so a row someone wrote without the master key (say, their own public key) is never used nor
 * published; such a row is logged and skipped.
 *
 * <p>One key is active (the newest non-retired one signs). {@link #rotate()} retires it and adds a new one in one
 * transaction; {@link #rotateIfDue()} does so when the active key is older than {@code keyRotation}, and is safe
 * to call from every node at once (only one of them rotates). A retired key stays published - in {@link #jwks()}
 * and to the verifier - until {@code lifetime + 60 s} after its retirement, by which time every token it signed has
 * expired; {@link #prune()} then deletes it. Publication is decided against the clock at each use, so a key stops
 * verifying on time even before it is pruned.
 *
 * <p>Keys live in an immutable snapshot swapped on {@link #reload()}; reading it takes no lock. The caller schedules
 * {@link #rotateIfDue()} and {@link #prune()}; nothing here sleeps or starts threads.
 */
public final class SigningKeys {
    private static final Logger LOG = Logger.getLogger(SigningKeys.class.getName());
    static final String AAD_PURPOSE = "ek/signing-key/v1";
    /** How long past {@code lifetime} a retired key stays published, for clock differences between nodes. */
    static final Duration PUBLICATION_SKEW = Duration.ofSeconds(60);

    /**
     * The key that signs: its kid, private half and {@link JwtTag} key. Package-private: only the issuer (and tests)
     * may hold it.
     */
    record SigningKey(String kid, Ed25519PrivateKeyParameters privateKey, byte[] tagKey, long createdAt) {
        @Override
        public String toString() {
            return "SigningKey[kid=" + kid + "]";
        }
    }

    /**
     * A key that verifies: its public half, as BC parameters and as a public-only JWK, and its {@link JwtTag} key
     * (secret: never published, never logged).
     */
    record PublicKey(String kid, Ed25519PublicKeyParameters key, OctetKeyPair jwk, byte[] tagKey, long createdAt, Long retiredAt) {
        @Override
        public String toString() {
            return "PublicKey[kid=" + kid + "]";
        }
    }

    private record Snapshot(SigningKey signing, List<PublicKey> keys, Map<String, PublicKey> byKid, Set<String> unusable) {}

    private final Database database;
    private final MasterKey masterKey;
    private final Clock clock;
    private final long graceMillis;
    private final long rotationMillis;
    private final SigningKeyStore store = new SigningKeyStore();
    private final SecureRandom random = new SecureRandom();
    private final AtomicLong reloads = new AtomicLong();
    private final ReentrantLock refreshLock = new ReentrantLock();
    private volatile Snapshot snapshot;

    /** Loads the keys, creating the first one on a database that has no usable active key. Run migrations first. */
    public SigningKeys(Database database, MasterKey masterKey, Config.Jwt config, Clock clock) {
        this.database = Objects.requireNonNull(database, "database");
        this.masterKey = Objects.requireNonNull(masterKey, "masterKey");
        this.clock = Objects.requireNonNull(clock, "clock");
        requirePositive(config.lifetime(), "jwt lifetime");
        requirePositive(config.keyRotation(), "jwt key rotation");
        this.graceMillis = config.lifetime().plus(PUBLICATION_SKEW).toMillis();
        this.rotationMillis = config.keyRotation().toMillis();
        this.snapshot = load();
        if (snapshot.signing() == null) {
            createFirstKey(snapshot.unusable());
            this.snapshot = load();
            if (snapshot.signing() == null) throw new IllegalStateException("no usable signing key after creating one");
        }
    }

    /**
     * Re-seals, inside the caller's transaction, every private key still sealed under {@code from} with {@code to} (a
     * master key rotation, {@code keyrotation/MasterKeyRotation}); returns how many. The keys themselves do not change,
     * so tokens they signed stay valid.
     */
    public static int reseal(Connection c, MasterKey from, MasterKey to) throws SQLException {
        SigningKeyStore store = new SigningKeyStore();
        int resealed = 0;
        for (SigningKeyStore.Row row : store.all(c)) {
            if (Aead.keyId(row.privateSealed()) != from.id()) continue;
            byte[] seed = from.open(row.privateSealed(), Aad.of(AAD_PURPOSE, row.kid()));
            try {
                store.updateSealed(c, row.kid(), to.seal(seed, Aad.of(AAD_PURPOSE, row.kid())));
            } finally {
                Arrays.fill(seed, (byte) 0);
            }
            resealed++;
        }
        return resealed;
    }

    /** The kid of the key that signs new tokens. */
    public String activeKid() {
        return signingKey().kid();
    }

    /**
     * Rotates now and tells every node through the change feed ({@code rotate-jwt-key}); returns the new key id.
     * Tokens already issued stay valid until they expire: the old key stays published.
     */
    public String rotateAndAnnounce() {
        rotate(true);
        return activeKid();
    }

    /** Retires the active key and makes a new one, in one transaction. */
    public void rotate() {
        rotate(false);
    }

    /** {@link #rotate()}; {@code announce}: the new key also goes to the change feed, so every node reloads at once. */
    private void rotate(boolean announce) {
        long now = clock.millis();
        SigningKeyStore.Row row = newKey(now);
        database.write(c -> {
            store.retireAllActive(c, now);
            store.insert(c, row, announce);
            return null;
        });
        refresh();
        LOG.info("rotated the JWT signing key; new kid " + row.kid());
    }

    /**
     * Rotates when the newest active key is at least {@code keyRotation} old; returns whether this call rotated.
     * Always re-reads the keys afterwards, so calling it on a schedule on every node also picks up the rotations
     * other nodes made. When two nodes find the key due at once, the conditional retire lets only one rotate.
     */
    public boolean rotateIfDue() {
        long now = clock.millis();
        boolean rotated = database.write(c -> {
            SigningKeyStore.Row active = store.newestActive(c);
            if (active != null && now - active.createdAt() < rotationMillis) return false;
            if (active != null && store.retire(c, active.kid(), now) == 0) return false;
            store.retireAllActive(c, now);
            store.insert(c, newKey(now), false); // every node rotates on its own schedule: nothing to announce
            return true;
        });
        refresh();
        if (rotated) LOG.info("rotated the JWT signing key (due); new kid " + activeKid());
        return rotated;
    }

    /** Deletes keys retired more than {@code lifetime + 60 s} ago; returns how many. */
    public int prune() {
        long cutoff = clock.millis() - graceMillis;
        int deleted = database.write(c -> store.deleteRetiredAtOrBefore(c, cutoff));
        if (deleted > 0) refresh();
        return deleted;
    }

    /** Re-reads the keys from the database: another node may have rotated. */
    public void reload() {
        reloads.incrementAndGet();
        refresh();
    }

    /** The published keys (active, then retired still within their grace), public parts only. */
    public JWKSet publicJwkSet() {
        long now = clock.millis();
        List<JWK> jwks = new ArrayList<>();
        for (PublicKey key : snapshot.keys()) if (isPublished(key, now)) jwks.add(key.jwk());
        return new JWKSet(jwks);
    }

    /** The JSON of {@link #publicJwkSet()}: what {@code /.well-known/jwks.json} serves. */
    public String jwks() {
        return publicJwkSet().toString(true);
    }

    /** The key that signs new tokens. */
    SigningKey signingKey() {
        SigningKey key = snapshot.signing();
        if (key == null) throw new IllegalStateException("no usable JWT signing key");
        return key;
    }

    /** The published key with this kid, or null when there is none (unknown, unusable or past its grace). */
    PublicKey publishedKey(String kid) {
        PublicKey key = snapshot.byKid().get(kid);
        return key != null && isPublished(key, clock.millis()) ? key : null;
    }

    /** How many times {@link #reload()} has run; for tests. */
    long reloadCount() {
        return reloads.get();
    }

    private boolean isPublished(PublicKey key, long now) {
        return key.retiredAt() == null || key.retiredAt() + graceMillis > now;
    }

    /** Loads and swaps in a new snapshot; serialised, so a slow load can never overwrite a newer one. */
    private void refresh() {
        refreshLock.lock();
        try {
            Snapshot loaded = load();
            if (loaded.signing() == null) LOG.severe("no usable active JWT signing key in the database; new tokens cannot be issued");
            snapshot = loaded;
        } finally {
            refreshLock.unlock();
        }
    }

    private Snapshot load() {
        long now = clock.millis();
        List<SigningKeyStore.Row> rows = database.read(c -> store.published(c, now - graceMillis));
        SigningKey signing = null;
        List<PublicKey> keys = new ArrayList<>();
        Map<String, PublicKey> byKid = new LinkedHashMap<>();
        Set<String> unusable = new HashSet<>();
        for (SigningKeyStore.Row row : rows) { // newest first
            Ed25519PrivateKeyParameters privateKey = open(row);
            if (privateKey == null) {
                unusable.add(row.kid());
                continue;
            }
            Ed25519PublicKeyParameters publicKey = privateKey.generatePublicKey();
            byte[] tagKey = JwtTag.keyOf(privateKey);
            PublicKey key = new PublicKey(row.kid(), publicKey, publicJwk(row.kid(), publicKey), tagKey, row.createdAt(), row.retiredAt());
            keys.add(key);
            byKid.put(key.kid(), key);
            if (signing == null && row.retiredAt() == null) signing = new SigningKey(row.kid(), privateKey, tagKey, row.createdAt());
        }
        return new Snapshot(signing, List.copyOf(keys), Map.copyOf(byKid), Set.copyOf(unusable));
    }

    /** The row's private key, after checking it against the stored public key; null (and logged) when unusable. */
    private Ed25519PrivateKeyParameters open(SigningKeyStore.Row row) {
        String problem;
        try {
            if (!Jws.ALGORITHM.equals(row.algorithm())) {
                problem = "algorithm " + row.algorithm() + " is not " + Jws.ALGORITHM;
            } else {
                OctetKeyPair stored = OctetKeyPair.parse(row.publicJwk());
                byte[] seed = masterKey.open(row.privateSealed(), Aad.of(AAD_PURPOSE, row.kid()));
                try {
                    if (seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
                        problem = "the sealed private key has the wrong length";
                    } else if (!Curve.Ed25519.equals(stored.getCurve()) || stored.isPrivate() || !row.kid().equals(stored.getKeyID())) {
                        problem = "the stored public JWK is not a public Ed25519 key with this kid";
                    } else {
                        Ed25519PrivateKeyParameters privateKey = new Ed25519PrivateKeyParameters(seed);
                        if (MessageDigest.isEqual(privateKey.generatePublicKey().getEncoded(), stored.getX().decode())) return privateKey;
                        problem = "the stored public key does not match the sealed private key";
                    }
                } finally {
                    Arrays.fill(seed, (byte) 0);
                }
            }
        } catch (IntegrityException e) {
            problem = "the sealed private key does not open with this master key: " + e.getMessage();
        } catch (ParseException | RuntimeException e) {
            problem = "the row cannot be read: " + e.getClass().getSimpleName();
        }
        LOG.severe("JWT signing key " + row.kid() + " is unusable and is neither used nor published: " + problem);
        return null;
    }

    private void createFirstKey(Set<String> unusable) {
        long now = clock.millis();
        SigningKeyStore.Row row = newKey(now);
        boolean created = database.write(c -> {
            for (String kid : store.activeKids(c)) {
                if (!unusable.contains(kid)) return false; // another node created one since we looked
            }
            store.insert(c, row, false);
            return true;
        });
        if (created) LOG.info("created the first JWT signing key, kid " + row.kid());
    }

    private SigningKeyStore.Row newKey(long now) {
        String kid = randomKid();
        Ed25519PrivateKeyParameters privateKey = new Ed25519PrivateKeyParameters(random);
        byte[] seed = privateKey.getEncoded();
        try {
            byte[] sealed = masterKey.seal(seed, Aad.of(AAD_PURPOSE, kid));
            return new SigningKeyStore.Row(kid, Jws.ALGORITHM, publicJwk(kid, privateKey.generatePublicKey()).toJSONString(), sealed, now, null);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    private static OctetKeyPair publicJwk(String kid, Ed25519PublicKeyParameters publicKey) {
        return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(publicKey.getEncoded()))
                .keyID(kid)
                .keyUse(KeyUse.SIGNATURE)
                .algorithm(JWSAlgorithm.EdDSA)
                .build();
    }

    private String randomKid() {
        byte[] bytes = new byte[12];
        random.nextBytes(bytes);
        return Jws.encode(bytes);
    }

    private static void requirePositive(Duration duration, String name) {
        if (duration == null || duration.toMillis() < 1000) throw new IllegalArgumentException(name + " must be at least one second");
    }
}
