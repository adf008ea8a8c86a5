package dev.ekvault.server.jwt;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.Aead;
import dev.ekvault.server.crypto.IntegrityException;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.ekvault.server.jwt.JwtTesting.CONFIG;
import static dev.ekvault.server.jwt.JwtTesting.JSON;
import static dev.ekvault.server.jwt.JwtTesting.LIFETIME;
import static dev.ekvault.server.jwt.JwtTesting.ROTATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Signing keys on a real database: creation, sealing, sharing between nodes, rotation, publication and pruning. */
abstract class SigningKeysContract {
    private static final Duration GRACE = LIFETIME.plus(SigningKeys.PUBLICATION_SKEW);

    abstract Backend backend();

    record StoredKey(String kid, String algorithm, String publicJwk, byte[] privateSealed, long createdAt, Long retiredAt) {}

    private final TestClock clock = new TestClock();
    private final MasterKey masterKey = MasterKey.fromBase64(MasterKey.generateBase64());
    private Database database;

    @BeforeEach
    void open() throws Exception {
        database = JwtTesting.openDatabase(backend(), clock);
    }

    @AfterEach
    void close() {
        if (database != null) database.close();
    }

    private SigningKeys node() {
        return new SigningKeys(database, masterKey, CONFIG, clock);
    }

    private List<StoredKey> stored() {
        return database.read(c -> Sql.list(c, "SELECT kid, algorithm, public_jwk, private_sealed, created_at, retired_at "
                        + "FROM signing_key ORDER BY created_at, kid",
                r -> new StoredKey(r.getString(1), r.getString(2), r.getString(3), r.getBytes(4), r.getLong(5), Sql.nullableLong(r, 6))));
    }

    private StoredKey stored(String kid) {
        return stored().stream().filter(k -> k.kid().equals(kid)).findFirst().orElseThrow();
    }

    private List<String> publishedKids(SigningKeys keys) throws Exception {
        List<String> kids = new ArrayList<>();
        for (JsonNode key : JSON.readTree(keys.jwks()).get("keys")) kids.add(key.get("kid").asText());
        return kids;
    }

    @Test
    void theFirstStartCreatesOneKeyAndPublishesOnlyItsPublicHalf() throws Exception {
        SigningKeys keys = node();

        List<StoredKey> rows = stored();
        assertThat(rows).hasSize(1);
        StoredKey row = rows.get(0);
        assertThat(row.kid()).isEqualTo(keys.activeKid()).matches("[A-Za-z0-9_-]{16}");
        assertThat(row.algorithm()).isEqualTo("EdDSA");
        assertThat(row.retiredAt()).isNull();
        assertThat(row.createdAt()).isEqualTo(clock.millis());

        JsonNode jwks = JSON.readTree(keys.jwks());
        assertThat(jwks.get("keys")).hasSize(1);
        JsonNode jwk = jwks.get("keys").get(0);
        List<String> members = new ArrayList<>();
        jwk.fieldNames().forEachRemaining(members::add);
        assertThat(members).containsExactlyInAnyOrder("kty", "crv", "x", "kid", "use", "alg");
        assertThat(jwk.get("kty").asText()).isEqualTo("OKP");
        assertThat(jwk.get("crv").asText()).isEqualTo("Ed25519");
        assertThat(jwk.get("use").asText()).isEqualTo("sig");
        assertThat(jwk.get("alg").asText()).isEqualTo("EdDSA");
        assertThat(jwk.get("kid").asText()).isEqualTo(keys.activeKid());
        byte[] publicKey = keys.signingKey().privateKey().generatePublicKey().getEncoded();
        assertThat(jwk.get("x").asText()).isEqualTo(JwtTesting.b64(publicKey));
        assertThat(keys.publicJwkSet().getKeys()).allSatisfy(k -> assertThat(k.isPrivate()).isFalse());
    }

    @Test
    void thePrivateKeyIsStoredSealedByTheMasterKey() {
        SigningKeys keys = node();
        String kid = keys.activeKid();
        byte[] seed = keys.signingKey().privateKey().getEncoded();
        StoredKey row = stored(kid);

        assertThat(indexOf(row.privateSealed(), seed)).isEqualTo(-1);
        assertThat(indexOf(row.publicJwk().getBytes(StandardCharsets.UTF_8), seed)).isEqualTo(-1);
        assertThat(row.publicJwk()).doesNotContain("\"d\"")
                .doesNotContain(JwtTesting.b64(seed))
                .doesNotContain(Base64.getEncoder().encodeToString(seed))
                .doesNotContain(HexFormat.of().formatHex(seed));

        // sealed with this master key, bound to its kid
        assertThat(Aead.keyId(row.privateSealed())).isEqualTo(masterKey.id());
        assertThat(Aead.open(masterKey.secretKey(), row.privateSealed(), Aad.of(SigningKeys.AAD_PURPOSE, kid))).isEqualTo(seed);
        assertThatThrownBy(() -> Aead.open(masterKey.secretKey(), row.privateSealed(), Aad.of(SigningKeys.AAD_PURPOSE, "other-kid")))
                .isInstanceOf(IntegrityException.class);
        MasterKey other = MasterKey.fromBase64(MasterKey.generateBase64());
        assertThatThrownBy(() -> Aead.open(other.secretKey(), row.privateSealed(), Aad.of(SigningKeys.AAD_PURPOSE, kid)))
                .isInstanceOf(IntegrityException.class);
    }

    @Test
    void aSecondNodeLoadsTheSameKey() {
        SigningKeys first = node();
        SigningKeys second = node();

        assertThat(second.activeKid()).isEqualTo(first.activeKid());
        assertThat(stored()).hasSize(1);
        String token = new JwtIssuer(CONFIG, first, clock).issue("cred-1", "ws-1", "user-1");
        assertThat(new JwtVerifier(CONFIG, second, clock).verify(token).credentialId()).isEqualTo("cred-1");
    }

    @Test
    void aRetiredKeyVerifiesUntilLifetimePlusSkewAfterRetirementAndIsThenPruned() throws Exception {
        SigningKeys keys = node();
        JwtIssuer issuer = new JwtIssuer(CONFIG, keys, clock);
        JwtVerifier verifier = new JwtVerifier(CONFIG, keys, clock);
        SigningKeys.SigningKey old = keys.signingKey();
        String oldToken = issuer.issue("cred-1", "ws-1", "user-1");

        clock.advance(Duration.ofMinutes(1));
        keys.rotate();
        long retiredAt = clock.millis();

        String newKid = keys.activeKid();
        assertThat(newKid).isNotEqualTo(old.kid());
        String newToken = issuer.issue("cred-2", "ws-1", "user-1");
        assertThat(JwtTesting.decodeSegment(newToken, 0).get("kid").asText()).isEqualTo(newKid);
        assertThat(stored(old.kid()).retiredAt()).isEqualTo(retiredAt);
        assertThat(stored(newKid).retiredAt()).isNull();
        assertThat(publishedKids(keys)).containsExactly(newKid, old.kid());
        assertThat(verifier.verify(oldToken).credentialId()).isEqualTo("cred-1");
        assertThat(verifier.verify(newToken).credentialId()).isEqualTo("cred-2");

        // the last moment of the grace: a token the old key signed (say, by a node that had not yet heard) still verifies
        clock.advance(GRACE.minusMillis(1));
        String lateOldToken = JwtTesting.sign(old.privateKey(), JwtTesting.header(old.kid()), JwtTesting.validClaims(clock));
        assertThat(verifier.verify(lateOldToken).credentialId()).isEqualTo("cred-1");
        assertThat(publishedKids(keys)).containsExactly(newKid, old.kid());
        assertThat(keys.prune()).isZero();

        // grace over: not published, not verifying (cached or not), then deleted by prune
        clock.advance(Duration.ofMillis(1));
        assertThat(publishedKids(keys)).containsExactly(newKid);
        assertThatThrownBy(() -> verifier.verify(lateOldToken)).isInstanceOf(InvalidJwtException.class)
                .hasMessageContaining("no longer published");
        assertThatThrownBy(() -> new JwtVerifier(CONFIG, keys, clock).verify(lateOldToken)).isInstanceOf(InvalidJwtException.class)
                .hasMessageContaining("unknown kid");
        assertThat(stored()).extracting(StoredKey::kid).containsExactlyInAnyOrder(old.kid(), newKid);
        assertThat(keys.prune()).isEqualTo(1);
        assertThat(stored()).extracting(StoredKey::kid).containsExactly(newKid);
        assertThat(keys.prune()).isZero();
        String fresh = issuer.issue("cred-3", "ws-1", "user-1");
        assertThat(verifier.verify(fresh).credentialId()).isEqualTo("cred-3");
    }

    @Test
    void rotateIfDueRotatesOnlyWhenTheActiveKeyIsOldEnoughAndOnlyOnce() {
        SigningKeys first = node();
        SigningKeys second = node();
        String original = first.activeKid();

        assertThat(first.rotateIfDue()).isFalse();
        clock.advance(ROTATION.minusMillis(1));
        assertThat(first.rotateIfDue()).isFalse();
        assertThat(first.activeKid()).isEqualTo(original);
        assertThat(stored()).hasSize(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(first.rotateIfDue()).isTrue();
        String rotated = first.activeKid();
        assertThat(rotated).isNotEqualTo(original);
        assertThat(stored(original).retiredAt()).isEqualTo(clock.millis());

        // the other node finds it due by its own stale view, but the database says it was just done: no second rotation
        assertThat(second.activeKid()).isEqualTo(original);
        assertThat(second.rotateIfDue()).isFalse();
        assertThat(second.activeKid()).isEqualTo(rotated);
        assertThat(first.rotateIfDue()).isFalse();
        assertThat(stored()).hasSize(2);
        assertThat(stored()).filteredOn(k -> k.retiredAt() == null).extracting(StoredKey::kid).containsExactly(rotated);
    }

    @Test
    void nodesFindingTheKeyDueAtOnceRotateItOnce() throws Exception {
        List<SigningKeys> nodes = new ArrayList<>();
        for (int i = 0; i < 6; i++) nodes.add(node());
        String original = nodes.get(0).activeKid();
        clock.advance(ROTATION);

        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(nodes.size())) {
            for (SigningKeys node : nodes) results.add(threads.submit(() -> {
                start.await();
                return node.rotateIfDue();
            }));
            start.countDown();
            int rotations = 0;
            for (Future<Boolean> result : results) if (result.get()) rotations++;
            assertThat(rotations).isEqualTo(1);
        }
        List<StoredKey> active = stored().stream().filter(k -> k.retiredAt() == null).toList();
        assertThat(active).hasSize(1);
        assertThat(active.get(0).kid()).isNotEqualTo(original);
        for (SigningKeys node : nodes) assertThat(node.activeKid()).isEqualTo(active.get(0).kid());
    }

    @Test
    void aTokenSignedByAKeyAnotherNodeJustRotatedInIsAcceptedAfterAReload() throws Exception {
        SigningKeys first = node();
        SigningKeys second = node();
        JwtVerifier verifier = new JwtVerifier(CONFIG, second, clock);

        first.rotate();
        String token = new JwtIssuer(CONFIG, first, clock).issue("cred-1", "ws-1", "user-1");
        assertThat(publishedKids(second)).doesNotContain(first.activeKid());
        long reloads = second.reloadCount();

        assertThat(verifier.verify(token).credentialId()).isEqualTo("cred-1");
        assertThat(second.reloadCount()).isEqualTo(reloads + 1);
        assertThat(second.activeKid()).isEqualTo(first.activeKid());
        assertThat(publishedKids(second)).contains(first.activeKid());
    }

    @Test
    void aRowWhosePublicKeyWasSwappedIsNeitherUsedNorPublished() throws Exception {
        SigningKeys first = node();
        String kid = first.activeKid();
        Ed25519PrivateKeyParameters attacker = JwtTesting.newKey();
        String attackerJwk = new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(attacker.generatePublicKey().getEncoded()))
                .keyID(kid).build().toJSONString();
        database.write(c -> Sql.update(c, "UPDATE signing_key SET public_jwk = ? WHERE kid = ?", attackerJwk, kid));

        SigningKeys second = node();
        assertThat(second.activeKid()).isNotEqualTo(kid); // the tampered key is skipped, a usable one made
        assertThat(publishedKids(second)).containsExactly(second.activeKid());
        String forged = JwtTesting.sign(attacker, JwtTesting.header(kid), JwtTesting.validClaims(clock));
        assertThatThrownBy(() -> new JwtVerifier(CONFIG, second, clock).verify(forged)).isInstanceOf(InvalidJwtException.class)
                .hasMessageContaining("unknown kid");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
