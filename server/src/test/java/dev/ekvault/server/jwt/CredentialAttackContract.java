package dev.ekvault.server.jwt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import dev.ekvault.server.access.TokenFormat;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attack matrix over real HTTP: forged and broken JWTs (many signed with the server's real key, so only the rule
 * under test can refuse them) and broken API tokens. Each is refused with 401 and the one fixed message, never 403,
 * and no response names the reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CredentialAttackContract {
    abstract Backend backend();

    static final String SECRETS = "/v1/workspace/acme/project/web/secret";
    static final String UNAUTHORIZED = "missing, invalid or expired credential";
    TestServer s;
    String prod;
    String dev;
    ObjectNode realClaims;
    String kid;
    Ed25519PrivateKeyParameters key;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(backend());
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", false);
        s.createSecrets("web", List.of(prod, dev), Map.of("KEY", "value"));
        String jwt = exchange(s.createToken(s.ownerToken, "read-write", "{\"all\":true}"));
        realClaims = (ObjectNode) JwtTesting.decodeSegment(jwt, 1);
        kid = JwtTesting.decodeSegment(jwt, 0).get("kid").asText();
        key = s.server.signingKeys().signingKey().privateKey();
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private String exchange(String token) {
        return s.post("/v1/auth/exchange", null, "{\"token\":\"" + token + "\"}").json().get("accessToken").asText();
    }

    private ObjectNode claims() {
        return realClaims.deepCopy();
    }

    private String signed(String header, JsonNode claims) {
        return JwtTesting.sign(key, header, claims);
    }

    private void refused(String what, String credential) {
        HttpResult r = s.get(SECRETS, credential);
        assertThat(r.status()).as(what).isEqualTo(401);
        assertThat(r.message()).as(what).isEqualTo(UNAUTHORIZED);
    }

    @Test
    void theControlPasses() {
        assertThat(s.get(SECRETS, signed(JwtTesting.header(kid), claims())).status()).isEqualTo(200);
    }

    @Test
    void forgedAndBrokenJwtsAreRefused() throws Exception {
        long now = s.clock.millis() / 1000;
        Map<String, String> attacks = new LinkedHashMap<>();
        attacks.put("alg none", JwtTesting.b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + JwtTesting.b64(JwtTesting.claimsBytes(claims())) + ".");
        String hsInput = JwtTesting.b64("{\"alg\":\"HS256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}") + "." + JwtTesting.b64(JwtTesting.claimsBytes(claims()));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.generatePublicKey().getEncoded(), "HmacSHA256"));
        attacks.put("HS256 keyed with our public key", hsInput + "." + JwtTesting.b64(mac.doFinal(hsInput.getBytes(StandardCharsets.US_ASCII))));
        attacks.put("unknown kid", signed(JwtTesting.header("no-such-kid"), claims()));
        attacks.put("injected kid path", signed(JwtTesting.header("../../etc/passwd"), claims()));
        attacks.put("jku header", signed("{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"jku\":\"http://127.0.0.1:1/keys\"}", claims()));
        attacks.put("jwk header", signed("{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}}", claims()));
        attacks.put("x5u header", signed("{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"x5u\":\"http://127.0.0.1:1/cert\"}", claims()));
        attacks.put("signed by another key", JwtTesting.sign(JwtTesting.newKey(), JwtTesting.header(kid), claims()));
        String good = signed(JwtTesting.header(kid), claims());
        attacks.put("bad signature", good.substring(0, good.length() - 2) + (good.endsWith("A") ? "BB" : "AA"));
        attacks.put("tampered claims", good.split("\\.")[0] + "." + JwtTesting.b64(JwtTesting.claimsBytes(claims().put("sub", UUID.randomUUID().toString())))
                + "." + good.split("\\.")[2]);
        attacks.put("expired", signed(JwtTesting.header(kid), claims().put("iat", now - 1000).put("nbf", now - 1000).put("exp", now - 100)));
        attacks.put("nbf in the future", signed(JwtTesting.header(kid), claims().put("nbf", now + 300)));
        attacks.put("wrong issuer", signed(JwtTesting.header(kid), claims().put("iss", "https://evil.example")));
        attacks.put("wrong audience", signed(JwtTesting.header(kid), claims().put("aud", "someone-else")));
        attacks.put("another workspace", signed(JwtTesting.header(kid), claims().put("ws", UUID.randomUUID().toString())));
        attacks.put("another person", signed(JwtTesting.header(kid), claims().put("uid", UUID.randomUUID().toString())));
        attacks.put("unknown credential", signed(JwtTesting.header(kid), claims().put("sub", UUID.randomUUID().toString())));
        attacks.put("lifetime too long", signed(JwtTesting.header(kid), claims().put("exp", now + 86_400)));
        attacks.put("oversized", good + "A".repeat(5_000));
        attacks.put("two segments", good.substring(0, good.lastIndexOf('.')));
        attacks.put("four segments", good + ".AAAA");
        attacks.put("not base64", "!!!.???.***");
        for (Map.Entry<String, String> attack : attacks.entrySet()) refused(attack.getKey(), attack.getValue());
    }

    @Test
    void aJwtStopsWhenItsTokenIsRevoked() {
        JsonNode created = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"victim\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}").json();
        String jwt = exchange(created.get("token").asText());
        assertThat(s.get(SECRETS, jwt).status()).isEqualTo(200);
        s.delete("/v1/workspace/acme/tokens/" + created.get("id").asText(), s.ownerToken);
        refused("JWT of a revoked token", jwt);
    }

    @Test
    void brokenApiTokensAreRefused() {
        String real = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        refused("wrong prefix", "ek_test_" + real.substring(8));
        refused("truncated", real.substring(0, real.length() - 1));
        refused("one character longer", real + "x");
        refused("unknown", TokenFormat.generate());
        refused("not base62", real.substring(0, real.length() - 1) + "_");
        refused("lowercase scheme is fine but empty token is not", "");

        JsonNode revoked = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"gone\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}").json();
        s.delete("/v1/workspace/acme/tokens/" + revoked.get("id").asText(), s.ownerToken);
        refused("revoked", revoked.get("token").asText());

        JsonNode rotated = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"rot\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}").json();
        s.post("/v1/workspace/acme/tokens/" + rotated.get("id").asText() + "/rotate", s.ownerToken, "");
        refused("rotated away", rotated.get("token").asText());

        String shortLived = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"short\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}").json().get("token").asText();
        s.clock.advance(Duration.ofHours(24).plusSeconds(1));
        try {
            refused("expired", shortLived);
        } finally {
            s.clock.advance(Duration.ofHours(-24).minusSeconds(1));
        }
        assertThat(s.get(SECRETS, real).status()).as("positive control").isEqualTo(200);
    }

    @Test
    void validTokensOutsideTheirRightsGet403Or404() {
        String read = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        HttpResult write = s.post(SECRETS, read, "{\"environments\":[\"" + prod + "\"],\"secrets\":[{\"key\":\"W\",\"value\":\"v\"}]}");
        assertThat(write.status()).isEqualTo(403);
        String scoped = s.createToken(s.ownerToken, "read", "{\"all\":false,\"environments\":[\"" + prod + "\"]}");
        assertThat(s.get(SECRETS + "?environmentId=" + dev, scoped).status()).isEqualTo(404);
        assertThat(s.get(SECRETS + "?environmentId=" + dev, exchange(scoped)).status()).isEqualTo(404);
    }
}
