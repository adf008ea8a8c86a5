package dev.ekvault.server.jwt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ekvault.server.jwt.JwtTesting.CONFIG;
import static dev.ekvault.server.jwt.JwtTesting.LIFETIME;
import static dev.ekvault.server.jwt.JwtTesting.b64;
import static dev.ekvault.server.jwt.JwtTesting.header;
import static dev.ekvault.server.jwt.JwtTesting.sign;
import static dev.ekvault.server.jwt.JwtTesting.validClaims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The attack matrix: every way a token can be wrong is refused with {@link InvalidJwtException}, and never cached. */
class JwtVerifierTest {
    private final TestClock clock = new TestClock();
    private Database database;
    private SigningKeys keys;
    private JwtIssuer issuer;
    private JwtVerifier verifier;
    private String kid;
    private Ed25519PrivateKeyParameters ourKey;

    @BeforeEach
    void open() throws Exception {
        database = JwtTesting.openDatabase(Backend.SQLITE, clock);
        keys = new SigningKeys(database, MasterKey.fromBase64(MasterKey.generateBase64()), CONFIG, clock);
        issuer = new JwtIssuer(CONFIG, keys, clock);
        verifier = new JwtVerifier(CONFIG, keys, clock);
        kid = keys.activeKid();
        ourKey = keys.signingKey().privateKey();
    }

    @AfterEach
    void close() {
        if (database != null) database.close();
    }

    /** Rejected with the one exception type, for the expected reason, and not cached. */
    private void assertRejected(String token, String reason) {
        long cached = verifier.cachedTokens();
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(InvalidJwtException.class).hasMessageContaining(reason);
        assertThat(verifier.cachedTokens()).isEqualTo(cached);
    }

    private String ours(ObjectNode claims) {
        return sign(ourKey, header(kid), claims);
    }

    // --- valid tokens ---------------------------------------------------------------------------------------------

    @Test
    void aTokenTheIssuerMadeIsAcceptedAndThenServedFromTheCache() throws Exception {
        String token = issuer.issue("cred-1", "ws-1", "user-1");
        var header = JwtTesting.decodeSegment(token, 0);
        assertThat(header.get("alg").asText()).isEqualTo("EdDSA");
        assertThat(header.get("typ").asText()).isEqualTo("JWT");
        assertThat(header.get("kid").asText()).isEqualTo(kid);
        var claims = JwtTesting.decodeSegment(token, 1);
        long now = clock.millis() / 1000;
        assertThat(claims.get("iss").asText()).isEqualTo(JwtTesting.ISSUER);
        assertThat(claims.get("aud").asText()).isEqualTo("ek-api");
        assertThat(claims.get("iat").asLong()).isEqualTo(now);
        assertThat(claims.get("nbf").asLong()).isEqualTo(now);
        assertThat(claims.get("exp").asLong()).isEqualTo(now + LIFETIME.toSeconds());
        assertThat(claims.get("jti").asText()).hasSize(JwtTag.JTI_LENGTH);

        VerifiedJwt verified = verifier.verify(token);
        assertThat(verified).isEqualTo(new VerifiedJwt("cred-1", "ws-1", "user-1", (now + LIFETIME.toSeconds()) * 1000));
        assertThat(verifier.cachedTokens()).isEqualTo(1);
        assertThat(verifier.verify(token)).isEqualTo(verified);
        assertThat(verifier.cachedTokens()).isEqualTo(1);
        assertThat(issuer.issue("cred-1", "ws-1", "user-1")).isNotEqualTo(token); // jti differs
    }

    @Test
    void aStringAudienceOrAnArrayHoldingOursIsAccepted() {
        ObjectNode claims = validClaims(clock);
        claims.putArray("aud").add("other").add("ek-api");
        assertThat(verifier.verify(ours(claims)).workspaceId()).isEqualTo("ws-1");
    }

    @Test
    void claimsOutsideAsciiAreReadAsUtf8AndMalformedUtf8IsRefused() {
        assertThat(verifier.verify(ours(validClaims(clock).put("sub", "crédential-ü-😀"))).credentialId()).isEqualTo("crédential-ü-😀");
        String claims = b64(new byte[] {'{', '"', 's', 'u', 'b', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'}); // truncated sequence
        assertRejected(JwtTesting.b64(header(kid)) + "." + claims + "." + b64(new byte[64]), "claims are not a JSON object");
    }

    @Test
    void duplicateOrTrailingClaimsAreRefusedEvenSignedByOurKey() {
        // what the streaming claim reader must still refuse: two subjects (parsers could disagree on which), trailing
        // content after the object, and nesting past the limit
        String twoSubjects = "{\"iss\":\"" + JwtTesting.ISSUER + "\",\"aud\":\"ek-api\",\"sub\":\"cred-1\",\"sub\":\"cred-2\"}";
        assertRejected(Jws.sign(header(kid).getBytes(StandardCharsets.UTF_8), twoSubjects.getBytes(StandardCharsets.UTF_8), ourKey),
                "claims are not a JSON object");
        assertRejected(Jws.sign(header(kid).getBytes(StandardCharsets.UTF_8), "{}{}".getBytes(StandardCharsets.UTF_8), ourKey),
                "claims are not a JSON object");
        assertRejected(Jws.sign(header(kid).getBytes(StandardCharsets.UTF_8), "{\"a\":[[[[[1]]]]]}".getBytes(StandardCharsets.UTF_8), ourKey),
                "claims are not a JSON object");
    }

    @Test
    void aTokenWithoutTypIsAccepted() {
        String token = sign(ourKey, "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\"}", validClaims(clock));
        assertThat(verifier.verify(token).userId()).isEqualTo("user-1");
    }

    // --- presence and size ----------------------------------------------------------------------------------------

    @Test
    void nullBlankAndOversizedTokensAreRefused() {
        assertRejected(null, "no token");
        assertRejected("", "no token");
        assertRejected("   ", "no token");

        ObjectNode claims = validClaims(clock);
        String big = null;
        for (int pad = 0; big == null || big.length() < 5000; pad += 50) big = ours(claims.put("pad", "x".repeat(pad)));
        assertThat(big.length()).isBetween(5000, 5100);
        assertRejected(big, "longer than 4096");

        // just under the limit is fine: the limit is on length, not on what such tokens say
        String nearLimit = null;
        for (int pad = 0; nearLimit == null || nearLimit.length() < 4090; pad++) nearLimit = ours(claims.put("pad", "x".repeat(pad)));
        assertThat(nearLimit.length()).isBetween(4090, JwtVerifier.MAX_TOKEN_LENGTH);
        assertThat(verifier.verify(nearLimit).credentialId()).isEqualTo("cred-1");
    }

    // --- structure ------------------------------------------------------------------------------------------------

    @Test
    void segmentsMustBeExactlyThreeAndNonEmpty() {
        String token = issuer.issue("cred-1", "ws-1", "user-1");
        String[] parts = token.split("\\.");
        assertRejected(token + "." + parts[2], "more than three segments");
        assertRejected(parts[0] + "." + parts[1], "fewer than three segments");
        assertRejected(parts[0] + "." + parts[1] + ".", "empty segment");
        assertRejected("." + parts[1] + "." + parts[2], "empty segment");
        assertRejected(parts[0] + ".." + parts[2], "empty segment");
        assertRejected("abc", "fewer than three segments");
    }

    @Test
    void truncatedTokensAreRefused() {
        String token = issuer.issue("cred-1", "ws-1", "user-1");
        assertRejected(token.substring(0, token.length() - 1), "signature");
        assertRejected(token.substring(0, token.length() - 4), "signature");
        assertRejected(token.substring(0, token.lastIndexOf('.')), "fewer than three segments");
    }

    @Test
    void garbageBase64IsRefused() {
        String token = issuer.issue("cred-1", "ws-1", "user-1");
        String[] parts = token.split("\\.");
        assertRejected("!!!.###.$$$", "base64url");
        assertRejected(parts[0] + "=." + parts[1] + "." + parts[2], "base64url");             // padding
        assertRejected(parts[0] + "." + parts[1] + "." + parts[2] + "==", "base64url");
        assertRejected(parts[0] + " ." + parts[1] + "." + parts[2], "base64url");             // whitespace
        assertRejected(parts[0] + "." + parts[1] + "\n." + parts[2], "base64url");
        assertRejected(parts[0].replace('-', '+').replace('_', '/') + "+/." + parts[1] + "." + parts[2], "base64url");
        assertRejected("A." + parts[1] + "." + parts[2], "canonical");                         // 1 char: not base64 at all
        // same bytes, other spelling: the last character of a 64-byte signature carries 4 unused bits
        String sig = parts[2];
        char last = sig.charAt(sig.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char sibling = alphabet.charAt(alphabet.indexOf(last) ^ 1);
        assertRejected(parts[0] + "." + parts[1] + "." + sig.substring(0, sig.length() - 1) + sibling, "signature");
    }

    // --- header ---------------------------------------------------------------------------------------------------

    @Test
    void algNoneIsRefused() {
        String claims = b64(JwtTesting.claimsBytes(validClaims(clock)));
        assertRejected(b64("{\"alg\":\"none\"}") + "." + claims + ".", "empty segment");
        assertRejected(b64("{\"alg\":\"none\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}") + "." + claims + ".", "empty segment");
        // even with something in the signature place, and with a real signature by our key
        assertRejected(b64("{\"alg\":\"none\",\"kid\":\"" + kid + "\"}") + "." + claims + "." + b64(new byte[64]), "alg is not EdDSA");
        assertRejected(sign(ourKey, "{\"alg\":\"none\",\"kid\":\"" + kid + "\"}", validClaims(clock)), "alg is not EdDSA");
        assertRejected(sign(ourKey, "{\"kid\":\"" + kid + "\"}", validClaims(clock)), "alg is not EdDSA");
        assertRejected(sign(ourKey, "{\"alg\":\"eddsa\",\"kid\":\"" + kid + "\"}", validClaims(clock)), "alg is not EdDSA");
        assertRejected(sign(ourKey, "{\"alg\":\"Ed25519\",\"kid\":\"" + kid + "\"}", validClaims(clock)), "alg is not EdDSA");
        assertRejected(sign(ourKey, "{\"alg\":[\"EdDSA\"],\"kid\":\"" + kid + "\"}", validClaims(clock)), "alg is not EdDSA");
    }

    @Test
    void hs256WithThePublicKeyAsTheHmacSecretIsRefused() throws Exception {
        byte[] publicKey = ourKey.generatePublicKey().getEncoded();
        for (byte[] secret : List.of(publicKey, keys.jwks().getBytes(StandardCharsets.UTF_8))) {
            String input = b64("{\"alg\":\"HS256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}") + "." + b64(JwtTesting.claimsBytes(validClaims(clock)));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            String token = input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
            assertRejected(token, "alg is not EdDSA");
        }
    }

    @Test
    void aSignatureByAnotherKeyUnderOurKidIsRefused() {
        Ed25519PrivateKeyParameters attacker = JwtTesting.newKey();
        assertRejected(sign(attacker, header(kid), validClaims(clock)), "jti is not a tag of ours");
        // even with a tag of ours (which nobody outside has), the signature is still the proof
        assertRejected(JwtTesting.signTagged(attacker, ourTagKey(), header(kid), validClaims(clock)), "signature does not verify");
    }

    // --- the jti tag: forgeries refused before the signature check ---------------------------------------------------

    @Test
    void aRealTokensClaimsWithAnotherJtiAreRefusedBeforeTheSignature() throws Exception {
        String real = issuer.issue("cred-1", "ws-1", "user-1");
        ObjectNode claims = (ObjectNode) JwtTesting.decodeSegment(real, 1);
        Ed25519PrivateKeyParameters attacker = JwtTesting.newKey();
        for (String jti : List.of("forged-1", "", "x".repeat(JwtTag.JTI_LENGTH), b64(new byte[24]), claims.get("jti").asText() + "A")) {
            assertRejected(JwtTesting.signUntagged(attacker, header(kid), claims.deepCopy().put("jti", jti)), "jti is not a tag of ours");
        }
        assertRejected(JwtTesting.signUntagged(attacker, header(kid), (ObjectNode) claims.deepCopy().without("jti")), "jti is not a tag of ours");
        assertRejected(JwtTesting.signUntagged(attacker, header(kid), claims.deepCopy().put("jti", 7)), "jti is not a tag of ours");
    }

    @Test
    void aTagBindsEveryClaimTheServerActsOn() throws Exception {
        String real = issuer.issue("cred-1", "ws-1", "user-1");
        ObjectNode claims = (ObjectNode) JwtTesting.decodeSegment(real, 1);
        long iat = claims.get("iat").asLong();
        // the real jti moved onto claims that differ in one bound claim: refused, even signed by our own key
        for (ObjectNode changed : List.of(claims.deepCopy().put("sub", "cred-2"), claims.deepCopy().put("ws", "ws-2"),
                claims.deepCopy().put("uid", "user-2"), claims.deepCopy().put("exp", iat + 60),
                claims.deepCopy().put("iat", iat - 1), claims.deepCopy().put("nbf", iat - 1))) {
            assertRejected(JwtTesting.signUntagged(ourKey, header(kid), changed), "jti is not a tag of ours");
        }
        // a tag under a retired-then-new key does not carry over: tags are per signing key
        keys.rotate();
        String newKid = keys.activeKid();
        assertRejected(JwtTesting.signUntagged(keys.signingKey().privateKey(), header(newKid), claims), "jti is not a tag of ours");
        assertThat(verifier.verify(real).credentialId()).isEqualTo("cred-1"); // the old key's token is still good
    }

    @Test
    void aCachedTokensHeaderAndClaimsWithAnotherSignatureAreRefusedWithoutAVerification() {
        String real = issuer.issue("cred-1", "ws-1", "user-1");
        assertThat(verifier.verify(real).credentialId()).isEqualTo("cred-1");
        String input = real.substring(0, real.lastIndexOf('.'));
        byte[] signature = new byte[64];
        JwtTesting.RANDOM.nextBytes(signature);
        assertRejected(input + "." + b64(signature), "signature differs from the one verified");
        assertRejected(input + "." + real.substring(real.lastIndexOf('.') + 1) + "A", "signature differs from the one verified");
        assertRejected(input + "." + real.substring(real.lastIndexOf('.') + 2), "signature differs from the one verified");
        // a node that has not seen the real token verifies such a copy, and refuses it
        assertThatThrownBy(() -> new JwtVerifier(CONFIG, keys, clock).verify(input + "." + b64(signature)))
                .isInstanceOf(InvalidJwtException.class).hasMessageContaining("signature does not verify");
        assertThat(verifier.verify(real).credentialId()).isEqualTo("cred-1");
    }

    @Test
    void aCachedTokenSpelledWithOtherCharactersIsNotACacheHit() {
        String real = issuer.issue("cred-1", "ws-1", "user-1");
        assertThat(verifier.verify(real).credentialId()).isEqualTo("cred-1");
        int firstDot = real.indexOf('.');
        // U+012E and U+0141 have the low bytes of '.' and 'A': a cache keyed on low bytes would take these for the real one
        String otherDot = real.substring(0, firstDot) + '\u012E' + real.substring(firstDot + 1);
        assertRejected(otherDot, "segments");
        int a = real.indexOf('A');
        if (a >= 0 && a < real.lastIndexOf('.')) {
            assertRejected(real.substring(0, a) + '\u0141' + real.substring(a + 1), "base64url");
        }
        String latin1 = real.substring(0, firstDot) + '\u00AE' + real.substring(firstDot + 1); // 0xAE: not a dot either
        assertRejected(latin1, "segments");
        assertThat(verifier.verify(real).credentialId()).isEqualTo("cred-1");
    }

    @Test
    void theTagKeyIsNeitherPublishedNorTheSigningSeed() {
        String tagKey = b64(ourTagKey());
        assertThat(keys.jwks()).doesNotContain(tagKey);
        assertThat(ourTagKey()).isNotEqualTo(ourKey.getEncoded());
        assertThat(keys.publishedKey(kid).toString()).doesNotContain(tagKey).contains(kid);
    }

    private byte[] ourTagKey() {
        return JwtTag.keyOf(ourKey);
    }

    @Test
    void anUnknownKidIsRefused() {
        assertRejected(sign(JwtTesting.newKey(), header("made-up-kid"), validClaims(clock)), "unknown kid");
        assertRejected(sign(ourKey, header("made-up-kid"), validClaims(clock)), "unknown kid");
        assertRejected(sign(ourKey, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", validClaims(clock)), "no kid");
        assertRejected(sign(ourKey, "{\"alg\":\"EdDSA\",\"kid\":7}", validClaims(clock)), "no kid");
        assertRejected(sign(ourKey, header(""), validClaims(clock)), "kid is empty or too long");
        assertRejected(sign(ourKey, header("k".repeat(65)), validClaims(clock)), "kid is empty or too long");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "\"jku\":\"https://attacker.example/jwks.json\"",
            "\"x5u\":\"https://attacker.example/cert.pem\"",
            "\"x5c\":[\"MIIBszCCAVmgAwIBAgIUQ\"]",
            "\"crit\":[\"exp\"]",
            "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
            "\"cty\":\"JWT\"",
            "\"b64\":false",
    })
    void headerParametersThatNameAKeyOrChangeTheRulesAreRefusedEvenWithOurValidSignature(String parameter) {
        String control = sign(ourKey, header(kid), validClaims(clock));
        assertThat(verifier.verify(control).credentialId()).isEqualTo("cred-1"); // the same token without it is fine

        String hostile = sign(ourKey, "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"," + parameter + "}", validClaims(clock));
        String name = parameter.substring(1, parameter.indexOf('"', 1));
        assertRejected(hostile, "header parameter " + name + " is not allowed");
    }

    @Test
    void anEmbeddedJwkOfTheSignersOwnKeyIsRefused() {
        Ed25519PrivateKeyParameters attacker = JwtTesting.newKey();
        String jwk = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + b64(attacker.generatePublicKey().getEncoded()) + "\"}";
        assertRejected(sign(attacker, "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"jwk\":" + jwk + "}", validClaims(clock)),
                "header parameter jwk is not allowed");
        assertRejected(sign(attacker, "{\"alg\":\"EdDSA\",\"jwk\":" + jwk + "}", validClaims(clock)), "header parameter jwk is not allowed");
    }

    @Test
    void aHeaderThatIsNotAJsonObjectIsRefused() {
        String rest = "." + b64(JwtTesting.claimsBytes(validClaims(clock))) + "." + b64(new byte[64]);
        assertRejected(b64("not json") + rest, "header is not a JSON object");
        assertRejected(b64("[\"EdDSA\"]") + rest, "header is not a JSON object");
        assertRejected(b64("\"EdDSA\"") + rest, "header is not a JSON object");
        assertRejected(b64(header(kid) + "{}") + rest, "header is not a JSON object");                 // trailing content
        assertRejected(b64(new byte[] {'{', '"', 'a', (byte) 0xC3, '"', ':', '1', '}'}) + rest, "header is not a JSON object"); // bad UTF-8
        // a duplicate alg, where two parsers could disagree, even signed by our key
        assertRejected(sign(ourKey, "{\"alg\":\"none\",\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\"}", validClaims(clock)),
                "header is not a JSON object");
        assertRejected(sign(ourKey, "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"kid\":\"" + kid + "\"}", validClaims(clock)),
                "header is not a JSON object");
        assertRejected(b64("{\"alg\":\"EdDSA\",\"kid\":\"" + "k".repeat(400) + "\"}") + rest, "header too long");
    }

    @Test
    void aTypOtherThanJwtIsRefused() {
        assertRejected(sign(ourKey, "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"typ\":\"at+jwt\"}", validClaims(clock)), "typ is not JWT");
        assertRejected(sign(ourKey, "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"typ\":1}", validClaims(clock)), "typ is not JWT");
    }

    // --- signature and payload ------------------------------------------------------------------------------------

    @Test
    void aTamperedPayloadIsRefused() {
        String token = issuer.issue("cred-1", "ws-1", "user-1");
        String[] parts = token.split("\\.");
        ObjectNode claims = JwtTesting.tagged(validClaims(clock).put("ws", "someone-elses-workspace"), ourTagKey());
        assertRejected(parts[0] + "." + b64(JwtTesting.claimsBytes(claims)) + "." + parts[2], "signature does not verify");
        // a signed payload that is not a JSON object gets no further than that
        assertRejected(Jws.sign(header(kid).getBytes(StandardCharsets.UTF_8), "[1]".getBytes(StandardCharsets.UTF_8), ourKey),
                "claims are not a JSON object");
    }

    // --- claims ---------------------------------------------------------------------------------------------------

    @Test
    void claimsAreCheckedBeforeTheSignatureSoAForgedExpiredTokenCostsNoSignatureCheck() {
        Ed25519PrivateKeyParameters attacker = new Ed25519PrivateKeyParameters(new java.security.SecureRandom());
        long now = clock.millis() / 1000;
        ObjectNode expired = validClaims(clock).put("iat", now - 600).put("nbf", now - 600).put("exp", now - 60);
        assertRejected(sign(attacker, header(kid), expired), "expired");
        assertRejected(sign(attacker, header(kid), validClaims(clock).put("iss", "someone-else")), "wrong iss");
        assertRejected(sign(attacker, header(kid), validClaims(clock)), "jti is not a tag of ours");
    }

    @Test
    void anExpiredTokenIsRefusedAlsoWhenItWasCached() {
        String token = issuer.issue("cred-1", "ws-1", "user-1");
        assertThat(verifier.verify(token).credentialId()).isEqualTo("cred-1");

        clock.advance(LIFETIME.plus(dev.ekvault.server.config.Config.Jwt.DEFAULT_CLOCK_SKEW).minusMillis(1));
        assertThat(verifier.verify(token).credentialId()).isEqualTo("cred-1"); // within the skew
        clock.advance(Duration.ofMillis(1));
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(InvalidJwtException.class).hasMessageContaining("expired");
        assertThatThrownBy(() -> new JwtVerifier(CONFIG, keys, clock).verify(token)).isInstanceOf(InvalidJwtException.class)
                .hasMessageContaining("expired");
        assertThat(verifier.cachedTokens()).isZero();

        ObjectNode claims = validClaims(clock);
        long now = clock.millis() / 1000;
        assertRejected(ours(claims.put("iat", now - 600).put("nbf", now - 600).put("exp", now - 60)), "expired");
    }

    @Test
    void aTokenNotValidYetIsRefused() {
        long now = clock.millis() / 1000;
        assertRejected(ours(validClaims(clock).put("nbf", now + 300)), "nbf");
        assertRejected(ours(validClaims(clock).put("iat", now + 300).put("nbf", now).put("exp", now + 600)), "iat");
        // inside the skew is fine
        assertThat(verifier.verify(ours(validClaims(clock).put("nbf", now + 29).put("iat", now + 29))).userId()).isEqualTo("user-1");
    }

    /** jwt.clock-skew-seconds: a peer 40 s ahead is refused at the default 30 s and accepted at 60 s; 0 allows none. */
    @Test
    void theClockSkewIsTheSetting() {
        long now = clock.millis() / 1000;
        ObjectNode ahead40 = validClaims(clock).put("iat", now + 40).put("nbf", now + 40).put("exp", now + 40 + LIFETIME.toSeconds());
        assertRejected(ours(ahead40.deepCopy()), "not valid yet");
        JwtVerifier tolerant = new JwtVerifier(new Config.Jwt(JwtTesting.ISSUER, LIFETIME, JwtTesting.ROTATION, java.time.Duration.ofSeconds(60)), keys, clock);
        assertThat(tolerant.verify(ours(ahead40.deepCopy())).userId()).isEqualTo("user-1");
        JwtVerifier strict = new JwtVerifier(new Config.Jwt(JwtTesting.ISSUER, LIFETIME, JwtTesting.ROTATION, java.time.Duration.ZERO), keys, clock);
        assertThatThrownBy(() -> strict.verify(ours(validClaims(clock).put("iat", now + 1).put("nbf", now + 1))))
                .isInstanceOf(InvalidJwtException.class).hasMessageContaining("not valid yet");
        assertThat(strict.verify(ours(validClaims(clock))).userId()).isEqualTo("user-1");
    }

    @Test
    void aWrongIssuerOrAudienceIsRefused() {
        assertRejected(ours(validClaims(clock).put("iss", "https://attacker.example")), "wrong iss");
        assertRejected(ours(validClaims(clock).put("iss", JwtTesting.ISSUER + "/")), "wrong iss");
        assertRejected(ours((ObjectNode) validClaims(clock).without("iss")), "wrong iss");
        assertRejected(ours(validClaims(clock).put("aud", "other-api")), "aud");
        assertRejected(ours((ObjectNode) validClaims(clock).without("aud")), "aud");
        ObjectNode arrayWithoutOurs = validClaims(clock);
        arrayWithoutOurs.putArray("aud").add("other-api");
        assertRejected(ours(arrayWithoutOurs), "aud");
        ObjectNode arrayWithJunk = validClaims(clock);
        arrayWithJunk.putArray("aud").add("ek-api").add(7);
        assertRejected(ours(arrayWithJunk), "aud");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sub", "ws", "uid"})
    void aMissingOrMalformedSubjectClaimIsRefused(String name) {
        assertRejected(ours((ObjectNode) validClaims(clock).without(name)), name + " is missing");
        assertRejected(ours(validClaims(clock).put(name, "")), name + " is missing");
        assertRejected(ours(validClaims(clock).put(name, 42)), name + " is missing");
        assertRejected(ours(validClaims(clock).put(name, "x".repeat(257))), name + " is missing");
    }

    @Test
    void aLifetimeLongerThanAllowedIsRefused() {
        long now = clock.millis() / 1000;
        // the ceiling any node may be configured with, not this node's own lifetime: nodes set differently accept each other's
        long allowed = dev.ekvault.server.config.Config.Jwt.MAX_LIFETIME_SECONDS + dev.ekvault.server.config.Config.Jwt.DEFAULT_CLOCK_SKEW.toSeconds();
        assertThat(allowed).isGreaterThan(LIFETIME.toSeconds() + dev.ekvault.server.config.Config.Jwt.DEFAULT_CLOCK_SKEW.toSeconds());
        assertRejected(ours(validClaims(clock).put("exp", now + allowed + 1)), "lifetime longer than allowed");
        assertRejected(ours(validClaims(clock).put("exp", now + 365L * 24 * 3600)), "lifetime longer than allowed");
        assertThat(verifier.verify(ours(validClaims(clock).put("exp", now + allowed))).credentialId()).isEqualTo("cred-1");
    }

    @Test
    void timeClaimsMustBeInRangeIntegers() {
        long now = clock.millis() / 1000;
        assertRejected(ours((ObjectNode) validClaims(clock).without("exp")), "exp is not an integer");
        assertRejected(ours((ObjectNode) validClaims(clock).without("iat")), "iat is not an integer");
        assertRejected(ours((ObjectNode) validClaims(clock).without("nbf")), "nbf is not an integer");
        assertRejected(ours(validClaims(clock).put("exp", String.valueOf(now + 60))), "exp is not an integer");
        assertRejected(ours(validClaims(clock).put("exp", now + 60.5)), "exp is not an integer");
        assertRejected(ours(validClaims(clock).put("exp", Long.MAX_VALUE)), "exp is out of range");
        assertRejected(ours(validClaims(clock).put("iat", -1)), "iat is out of range");
        assertRejected(ours(validClaims(clock).put("exp", now).put("iat", now)), "exp is not after iat");
    }

    // --- the cache and the reload guard ---------------------------------------------------------------------------

    @Test
    void refusedTokensAreNeverCached() {
        String tampered = JwtTesting.signTagged(JwtTesting.newKey(), ourTagKey(), header(kid), validClaims(clock));
        for (int i = 0; i < 3; i++) assertRejected(tampered, "signature does not verify");
        long now = clock.millis() / 1000;
        String early = ours(validClaims(clock).put("nbf", now + 300));
        assertRejected(early, "nbf");
        assertThat(verifier.cachedTokens()).isZero();
        clock.advance(Duration.ofMinutes(5));
        assertThat(verifier.verify(early).credentialId()).isEqualTo("cred-1"); // judged afresh once it is valid
        assertThat(verifier.cachedTokens()).isEqualTo(1);
    }

    @Test
    void aFloodOfMadeUpKidsCausesOneReloadPerSecondAtMost() throws Exception {
        Ed25519PrivateKeyParameters attacker = JwtTesting.newKey();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            byte[] randomKid = new byte[12];
            JwtTesting.RANDOM.nextBytes(randomKid);
            tokens.add(sign(attacker, header(b64(randomKid)), validClaims(clock)));
        }
        long before = keys.reloadCount();
        AtomicInteger unknownKid = new AtomicInteger();
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            List<Future<?>> futures = new ArrayList<>();
            for (String token : tokens) {
                futures.add(threads.submit(() -> {
                    try {
                        verifier.verify(token);
                    } catch (InvalidJwtException e) {
                        if (e.getMessage().contains("unknown kid")) unknownKid.incrementAndGet();
                    }
                }));
            }
            for (Future<?> future : futures) future.get();
        }
        assertThat(unknownKid).hasValue(1000);
        assertThat(keys.reloadCount() - before).isEqualTo(1);

        clock.advance(Duration.ofMillis(999));
        assertRejected(tokens.get(0), "unknown kid");
        assertThat(keys.reloadCount() - before).isEqualTo(1);
        clock.advance(Duration.ofMillis(1));
        assertRejected(tokens.get(1), "unknown kid");
        assertRejected(tokens.get(2), "unknown kid");
        assertThat(keys.reloadCount() - before).isEqualTo(2);
        assertThat(verifier.cachedTokens()).isZero();
    }
}
