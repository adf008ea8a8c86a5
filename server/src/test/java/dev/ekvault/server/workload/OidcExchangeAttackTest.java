package dev.ekvault.server.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestIssuer;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.ekvault.server.workload.OidcTesting.AUDIENCE;
import static dev.ekvault.server.workload.OidcTesting.JSON;
import static dev.ekvault.server.workload.OidcTesting.SECRETS;
import static dev.ekvault.server.workload.OidcTesting.accessToken;
import static dev.ekvault.server.workload.OidcTesting.exchange;
import static dev.ekvault.server.workload.OidcTesting.identity;
import static dev.ekvault.server.workload.OidcTesting.refused;
import static dev.ekvault.server.workload.OidcTesting.register;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exchange's attack matrix: tokens forged, re-labelled, re-keyed, mis-addressed or out of time, most of them
 * signed with the cluster's real key so that only the rule under test can refuse them. Each gets the one 401, and
 * the reason goes to the log, never the token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OidcExchangeAttackTest {
    TestServer s;
    TestIssuer cluster;
    TestIssuer attacker;
    TestIssuer.Key rsa;
    TestIssuer.Key ec;
    TestIssuer.Key ed;
    final List<LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Handler recorder = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    final Logger oidcLog = Logger.getLogger("dev.ekvault.server.workload");

    @BeforeAll
    void start() {
        // the per-identity exchange limit has its own test; here many valid exchanges happen within one minute
        s = TestServer.start(Backend.SQLITE, "--oidc-allow-http-issuers=true", "--rate-limit-exchanges-per-token-per-minute=1000");
        cluster = TestIssuer.start(s.clock);
        attacker = TestIssuer.start(s.clock);
        rsa = cluster.signingKey();
        ec = cluster.addKey("ES256");
        ed = cluster.addKey("EdDSA");
        s.createProject("web");
        String prod = s.createEnvironment("web", "production", false);
        s.createSecrets("web", List.of(prod), Map.of("KEY", "value"));
        register(s, identity("payments", cluster.issuer(), "system:serviceaccount:payments:api"));
        oidcLog.addHandler(recorder);
    }

    @AfterAll
    void stop() {
        oidcLog.removeHandler(recorder);
        if (attacker != null) attacker.close();
        if (cluster != null) cluster.close();
        if (s != null) s.close();
    }

    private ObjectNode claims() {
        return cluster.claims("payments", "api", AUDIENCE);
    }

    private static ObjectNode header(String alg, String kid) {
        ObjectNode header = JSON.createObjectNode().put("alg", alg);
        if (kid != null) header.put("kid", kid);
        return header;
    }

    private String signed(ObjectNode header, ObjectNode claims) {
        return TestIssuer.sign(header, claims, rsa);
    }

    private long now() {
        return s.clock.millis() / 1000;
    }

    @Test
    void theControlsPass() {
        for (TestIssuer.Key key : List.of(rsa, ec, ed)) {
            String jwt = accessToken(s, TestIssuer.sign(TestIssuer.header(key), claims(), key));
            assertThat(s.get(SECRETS, jwt).status()).as(key.alg()).isEqualTo(200);
        }
        assertThat(exchange(s, "acme", signed(TestIssuer.header(rsa), claims().put("aud", AUDIENCE))).status()).as("aud as a string").isEqualTo(200);
        assertThat(exchange(s, "acme", signed(TestIssuer.header(rsa).put("typ", "JWT"), claims())).status()).as("typ JWT").isEqualTo(200);
    }

    @Test
    void forgedAndBrokenTokensAreRefusedAlike() throws Exception {
        long now = now();
        Map<String, String> attacks = new LinkedHashMap<>();
        String payload = TestIssuer.b64(TestIssuer.bytes(claims()));

        attacks.put("alg none, unsigned", TestIssuer.b64(TestIssuer.bytes(header("none", null))) + "." + payload + ".");
        attacks.put("alg none, with a real signature", signed(header("none", rsa.kid()), claims()));
        for (Map.Entry<String, byte[]> secret : Map.of(
                "DER", rsa.pair().getPublic().getEncoded(),
                "PEM", ("-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(rsa.pair().getPublic().getEncoded())
                        + "\n-----END PUBLIC KEY-----\n").getBytes(StandardCharsets.US_ASCII),
                "JWK", rsa.jwk().toJSONString().getBytes(StandardCharsets.UTF_8)).entrySet()) {
            String input = TestIssuer.b64(TestIssuer.bytes(header("HS256", rsa.kid()))) + "." + payload;
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getValue(), "HmacSHA256"));
            attacks.put("HS256 keyed with the public key as " + secret.getKey(),
                    input + "." + TestIssuer.b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII))));
        }
        attacks.put("RS512 label", signed(header("RS512", rsa.kid()), claims()));
        attacks.put("PS256 label", signed(header("PS256", rsa.kid()), claims()));
        attacks.put("ES256 label on the RSA key", signed(header("ES256", rsa.kid()), claims()));
        attacks.put("EdDSA label on the RSA key", signed(header("EdDSA", rsa.kid()), claims()));
        attacks.put("RS256 label on the EC key's kid", TestIssuer.sign(header("RS256", ec.kid()), claims(), ec));
        attacks.put("ES256 signature under the Ed25519 kid", TestIssuer.sign(header("ES256", ed.kid()), claims(), ec));

        TestIssuer.Key forger = attacker.signingKey();
        String attackerJwks = attacker.issuer() + TestIssuer.JWKS_PATH;
        attacks.put("jku to the attacker's keys", TestIssuer.sign(header("RS256", forger.kid()).put("jku", attackerJwks), claims(), forger));
        attacks.put("jku beside the real kid", signed(header("RS256", rsa.kid()).put("jku", attackerJwks), claims()));
        ObjectNode withJwk = header("RS256", forger.kid());
        withJwk.set("jwk", JSON.readTree(forger.jwk().toJSONString()));
        attacks.put("the attacker's key embedded as jwk", TestIssuer.sign(withJwk, claims(), forger));
        attacks.put("x5u", signed(header("RS256", rsa.kid()).put("x5u", attacker.issuer() + "/cert.pem"), claims()));
        ObjectNode withX5c = header("RS256", rsa.kid());
        withX5c.putArray("x5c").add("MIIB");
        attacks.put("x5c", signed(withX5c, claims()));
        ObjectNode withCrit = header("RS256", rsa.kid());
        withCrit.putArray("crit").add("exp");
        attacks.put("crit", signed(withCrit, claims()));
        attacks.put("the real kid, signed by another key", TestIssuer.sign(TestIssuer.header(rsa), claims(), forger));
        attacks.put("a made-up kid", signed(header("RS256", "made-up"), claims()));
        attacks.put("no kid", signed(header("RS256", null), claims()));

        String good = signed(TestIssuer.header(rsa), claims());
        String[] parts = good.split("\\.");
        attacks.put("tampered claims", parts[0] + "." + TestIssuer.b64(TestIssuer.bytes(claims().put("sub", "system:serviceaccount:payments:admin")))
                + "." + parts[2]);
        attacks.put("bad signature", parts[0] + "." + parts[1] + "." + (parts[2].startsWith("A") ? "B" : "A") + parts[2].substring(1));

        attacks.put("wrong audience", signed(TestIssuer.header(rsa), cluster.claims("payments", "api", "someone-else")));
        attacks.put("no audience", signed(TestIssuer.header(rsa), (ObjectNode) claims().without("aud")));
        attacks.put("audience with a non-string entry", signed(TestIssuer.header(rsa), claims().set("aud", JSON.createArrayNode().add(AUDIENCE).add(7))));
        attacks.put("wrong namespace", signed(TestIssuer.header(rsa), cluster.claims("billing", "api", AUDIENCE)));
        attacks.put("wrong service account", signed(TestIssuer.header(rsa), cluster.claims("payments", "worker", AUDIENCE)));
        ObjectNode otherNamespaceBlock = claims();
        ((ObjectNode) otherNamespaceBlock.get("kubernetes.io")).put("namespace", "kube-system");
        attacks.put("kubernetes.io names another namespace than sub", signed(TestIssuer.header(rsa), otherNamespaceBlock));
        attacks.put("no sub", signed(TestIssuer.header(rsa), (ObjectNode) claims().without("sub")));
        attacks.put("another issuer's token", attacker.token("payments", "api", AUDIENCE));
        attacks.put("our issuer named, the attacker's key", TestIssuer.sign(TestIssuer.header(forger), claims(), forger));
        attacks.put("legacy secret token (no exp, no iat)", signed(TestIssuer.header(rsa), (ObjectNode) claims().without(List.of("exp", "iat", "nbf"))));

        attacks.put("expired", signed(TestIssuer.header(rsa), claims().put("iat", now - 3661).put("nbf", now - 3661).put("exp", now - 61)));
        attacks.put("too old", signed(TestIssuer.header(rsa), claims().put("iat", now - 86_400 - 61).put("nbf", now - 86_400 - 61).put("exp", now + 3600)));
        attacks.put("nbf in the future", signed(TestIssuer.header(rsa), claims().put("nbf", now + 61)));
        attacks.put("iat in the future", signed(TestIssuer.header(rsa), claims().put("iat", now + 61).put("exp", now + 3661)));
        attacks.put("exp not after iat", signed(TestIssuer.header(rsa), claims().put("iat", now).put("exp", now)));
        attacks.put("no exp", signed(TestIssuer.header(rsa), (ObjectNode) claims().without("exp")));
        attacks.put("no iat", signed(TestIssuer.header(rsa), (ObjectNode) claims().without("iat")));
        attacks.put("exp as a string", signed(TestIssuer.header(rsa), claims().put("exp", Long.toString(now + 3600))));
        attacks.put("exp with a fraction", signed(TestIssuer.header(rsa), claims().put("exp", now + 3600.5)));

        attacks.put("duplicate alg in the header", TestIssuer.sign(
                ("{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"" + rsa.kid() + "\"}").getBytes(StandardCharsets.UTF_8), TestIssuer.bytes(claims()), rsa));
        attacks.put("trailing content after the claims", TestIssuer.sign(TestIssuer.bytes(TestIssuer.header(rsa)),
                (claims().toString() + " {}").getBytes(StandardCharsets.UTF_8), rsa));
        attacks.put("claims that are an array", TestIssuer.sign(TestIssuer.bytes(TestIssuer.header(rsa)), "[]".getBytes(StandardCharsets.UTF_8), rsa));
        attacks.put("non-canonical base64url", nonCanonical(good));
        attacks.put("oversized", good + "A".repeat(ClusterToken.MAX_LENGTH));
        attacks.put("two segments", parts[0] + "." + parts[1]);
        attacks.put("four segments", good + ".AAAA");
        attacks.put("not base64url", "!!!.???.***");
        attacks.put("padded base64", parts[0] + "==." + parts[1] + "." + parts[2]);
        attacks.put("an API token", s.ownerToken);
        attacks.put("our own access token", s.post("/v1/auth/exchange", null, "{\"token\":\"" + s.ownerToken + "\"}").json().get("accessToken").asText());

        for (Map.Entry<String, String> attack : attacks.entrySet()) refused(attack.getKey(), exchange(s, "acme", attack.getValue()));
        assertThat(attacker.discoveryRequests() + attacker.jwksRequests()).as("nothing a token names is ever fetched").isZero();
        assertThat(exchange(s, "acme", good).status()).as("and the real token still passes").isEqualTo(200);
    }

    /** The same token with its header segment re-spelled: same bytes, non-zero trailing bits. */
    private static String nonCanonical(String token) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int dot = token.indexOf('.');
        String header = token.substring(0, dot);
        if (header.length() % 4 == 1 || header.length() % 4 == 0) {
            throw new IllegalStateException("this header has no spare bits; give it a different length");
        }
        char last = header.charAt(header.length() - 1);
        String respelled = header.substring(0, header.length() - 1) + alphabet.charAt(alphabet.indexOf(last) | 1);
        assertThat(Base64.getUrlDecoder().decode(respelled)).as("the JDK decodes both spellings alike").isEqualTo(Base64.getUrlDecoder().decode(header));
        return respelled + token.substring(dot);
    }

    @Test
    void timeIsTheServersClockWithTheSkewEitherWay() {
        String token = cluster.token("payments", "api", AUDIENCE); // valid one hour
        s.clock.advance(Duration.ofSeconds(3600 + 59));
        try {
            assertThat(exchange(s, "acme", token).status()).as("expired 59 s ago, within the skew").isEqualTo(200);
            s.clock.advance(Duration.ofSeconds(2));
            refused("expired 61 s ago", exchange(s, "acme", token));
        } finally {
            s.clock.advance(Duration.ofSeconds(-3600 - 61));
        }

        String longLived = cluster.sign(claims().put("exp", now() + 3 * 86_400));
        s.clock.advance(Duration.ofSeconds(86_400 + 59));
        try {
            assertThat(exchange(s, "acme", longLived).status()).as("a day old, within the skew").isEqualTo(200);
            s.clock.advance(Duration.ofSeconds(2));
            refused("older than the maximum token age", exchange(s, "acme", longLived));
        } finally {
            s.clock.advance(Duration.ofSeconds(-86_400 - 61));
        }

        assertThat(exchange(s, "acme", cluster.sign(claims().put("nbf", now() + 59))).status()).as("nbf within the skew").isEqualTo(200);
        String early = cluster.sign(claims().put("nbf", now() + 120));
        refused("nbf two minutes ahead", exchange(s, "acme", early));
        s.clock.advance(Duration.ofSeconds(60));
        try {
            assertThat(exchange(s, "acme", early).status()).as("the same token once its time has come").isEqualTo(200);
        } finally {
            s.clock.advance(Duration.ofSeconds(-60));
        }
    }

    @Test
    void theReasonGoesToTheLogAndTheTokenNever() {
        logged.clear();
        String wrongAudience = cluster.sign(cluster.claims("payments", "api", "someone-else"));
        String good = cluster.token("payments", "api", AUDIENCE);
        String signature = good.substring(good.lastIndexOf('.') + 1);
        String badSignature = good.substring(0, good.lastIndexOf('.') + 1) + (signature.charAt(0) == 'A' ? 'B' : 'A') + signature.substring(1);
        refused("wrong audience", exchange(s, "acme", wrongAudience));
        refused("bad signature", exchange(s, "acme", badSignature));
        List<String> messages = new ArrayList<>();
        for (LogRecord record : logged) messages.add(record.getMessage());
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("refused").contains("no identity").contains("system:serviceaccount:payments:api"));
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("refused").contains("signature does not verify"));
        for (String message : messages) {
            for (String token : List.of(wrongAudience, badSignature)) {
                for (String segment : token.split("\\.")) assertThat(message).doesNotContain(segment);
            }
        }
    }
}
