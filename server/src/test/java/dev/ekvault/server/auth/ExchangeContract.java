package dev.ekvault.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Await;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /v1/auth/exchange} and the JWTs it returns, over real HTTP on each database. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ExchangeContract {
    abstract Backend backend();

    TestServer s;
    String prod;
    String dev;
    static final String SECRETS = "/v1/workspace/acme/project/web/secret";

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", false);
        s.createSecrets("web", List.of(prod, dev), Map.of("KEY", "value"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private HttpResult exchangeWithHeader(String token) {
        // the clients send Content-Type: application/json with no body
        return s.send(s.request("/v1/auth/exchange", token).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()));
    }

    @Test
    void theTokenInTheHeaderOrInTheBodyBuysAFifteenMinuteJwt() throws Exception {
        String inHeader = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        String inBody = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        for (HttpResult r : List.of(exchangeWithHeader(inHeader), s.post("/v1/auth/exchange", null, "{\"token\":\"" + inBody + "\"}"))) {
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            JsonNode body = r.json();
            assertThat(body.get("expiresIn").asInt()).isEqualTo(900);
            assertThat(body.get("tokenType").asText()).isEqualTo("Bearer");
            assertThat(body.size()).isEqualTo(3);
            String jwt = body.get("accessToken").asText();
            JsonNode header = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]));
            assertThat(header.get("alg").asText()).isEqualTo("EdDSA");
            assertThat(header.get("kid").asText()).isNotBlank();
            assertThat(s.get("/.well-known/jwks.json", null).json().get("keys").findValuesAsText("kid")).contains(header.get("kid").asText());
            assertThat(s.get(SECRETS, jwt).status()).isEqualTo(200);
            assertThat(r.headers().firstValue("RateLimit-Limit")).hasValue("10");
        }
    }

    @Test
    void theJwtCarriesTheTokensPermissionAndScope() {
        String token = s.createToken(s.ownerToken, "read", "{\"all\":false,\"environments\":[\"" + prod + "\"]}");
        String jwt = exchangeWithHeader(token).json().get("accessToken").asText();
        assertThat(s.get(SECRETS + "?environmentId=" + prod, jwt).status()).isEqualTo(200);
        assertThat(s.get(SECRETS + "?environmentId=" + dev, jwt).status()).isEqualTo(404);
        assertThat(s.post(SECRETS, jwt, "{\"environments\":[\"" + prod + "\"],\"secrets\":[{\"key\":\"N\",\"value\":\"v\"}]}").status()).isEqualTo(403);
    }

    @Test
    void aJwtDiesWithItsTokenWhenRevokedOrRotatedAndWhenItExpires() {
        var created = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"j\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}").json();
        String jwt = exchangeWithHeader(created.get("token").asText()).json().get("accessToken").asText();
        assertThat(s.get(SECRETS, jwt).status()).isEqualTo(200);
        s.delete("/v1/workspace/acme/tokens/" + created.get("id").asText(), s.ownerToken);
        assertThat(s.get(SECRETS, jwt).status()).as("revoked token's JWT").isEqualTo(401);

        var rotating = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"r\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}").json();
        String before = exchangeWithHeader(rotating.get("token").asText()).json().get("accessToken").asText();
        s.post("/v1/workspace/acme/tokens/" + rotating.get("id").asText() + "/rotate", s.ownerToken, "");
        assertThat(s.get(SECRETS, before).status()).as("rotated-away token's JWT").isEqualTo(401);

        String fresh = exchangeWithHeader(s.createToken(s.ownerToken, "read", "{\"all\":true}")).json().get("accessToken").asText();
        s.clock.advance(Duration.ofMinutes(15).plusSeconds(31));
        try {
            HttpResult expired = s.get(SECRETS, fresh);
            assertThat(expired.status()).as("expired JWT is 401, never 403").isEqualTo(401);
        } finally {
            s.clock.advance(Duration.ofMinutes(-15).minusSeconds(31));
        }
    }

    /**
     * The limit counts new JWTs: on a node whose JWTs live 120 s none is answered again a second later (it must have
     * 120 s left), so every exchange a second apart is a new one and counts.
     */
    @Test
    void theExchangeIsLimitedPerTokenAndBadGuessesDoNotSpendIt() {
        try (TestServer t = TestServer.start(backend(), "--jwt-lifetime-seconds=120")) {
            String token = t.createToken(t.ownerToken, "read", "{\"all\":true}");
            for (int i = 0; i < 30; i++) assertThat(exchange(t, "ek_live_" + "x".repeat(43)).status()).isEqualTo(401);
            for (int i = 1; i <= 10; i++) {
                HttpResult r = exchange(t, token);
                assertThat(r.status()).as("exchange " + i).isEqualTo(200);
                assertThat(r.headers().firstValue("RateLimit-Remaining")).hasValue(Integer.toString(10 - i));
                t.clock.advance(Duration.ofSeconds(1));
            }
            HttpResult refused = exchange(t, token);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
            assertThat(t.get("/v1/workspace/acme/project", token).status()).as("direct use is not limited by the exchange").isEqualTo(200);
            assertThat(exchange(t, t.createToken(t.ownerToken, "read", "{\"all\":true}")).status()).as("another token").isEqualTo(200);
        }
    }

    /**
     * The Java SDK exchanges before every uncached read: the same credential gets the JWT it was issued while that has
     * at least half its life left (with the seconds it has left), never counted against the limit; then a new one.
     * A revoked token gets nothing, cached JWT or not. Every exchange is an audit entry.
     */
    @Test
    void aRepeatedExchangeAnswersTheSameJwtUntilHalfItsLifeIsGone() throws Exception {
        String token = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        HttpResult first = exchangeWithHeader(token);
        String jwt = first.json().get("accessToken").asText();
        assertThat(first.headers().firstValue("RateLimit-Remaining")).hasValue("9");
        String credential = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]))
                .get("sub").asText();
        for (int i = 0; i < 15; i++) { // past the limit of 10, all answered
            HttpResult again = exchangeWithHeader(token);
            assertThat(again.status()).as("exchange " + i).isEqualTo(200);
            assertThat(again.json().get("accessToken").asText()).isEqualTo(jwt);
            assertThat(again.json().get("expiresIn").asLong()).isEqualTo(900);
        }
        try {
            s.clock.advance(Duration.ofSeconds(300));
            HttpResult later = exchangeWithHeader(token);
            assertThat(later.json().get("accessToken").asText()).isEqualTo(jwt);
            assertThat(later.json().get("expiresIn").asLong()).isEqualTo(600);
            assertThat(s.get(SECRETS, jwt).status()).isEqualTo(200);
            s.clock.advance(Duration.ofSeconds(151)); // 449 s left: less than half
            HttpResult fresh = exchangeWithHeader(token);
            assertThat(fresh.status()).isEqualTo(200);
            assertThat(fresh.json().get("accessToken").asText()).isNotEqualTo(jwt);
            assertThat(fresh.json().get("expiresIn").asLong()).isEqualTo(900);
            assertThat(fresh.headers().firstValue("RateLimit-Remaining")).as("a new JWT counts").isPresent();

            JsonNode exchanges = s.get("/v1/workspace/acme/audit?action=exchange&credential=" + credential + "&limit=100", s.ownerToken).json();
            assertThat(exchanges.get("entries")).hasSize(18);
            assertThat(exchanges.get("entries").findValues("after").stream().filter(a -> a.path("reused").asBoolean()).count()).isEqualTo(16);

            s.delete("/v1/workspace/acme/tokens/" + credential, s.ownerToken);
            assertThat(exchangeWithHeader(token).status()).as("a revoked token gets no JWT, cached or not").isEqualTo(401);
        } finally {
            s.clock.advance(Duration.ofSeconds(-451));
        }
    }

    /** A JWT signed by a key rotated away since is not answered again: the next exchange is signed by the new key. */
    @Test
    void aSigningKeyRotationEndsTheReuse() throws Exception {
        String token = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        String first = exchangeWithHeader(token).json().get("accessToken").asText();
        assertThat(exchangeWithHeader(token).json().get("accessToken").asText()).as("the control: reused").isEqualTo(first);
        s.server.signingKeys().rotateAndAnnounce();
        Await.until("the exchange is signed by the new key", Duration.ofSeconds(5), Duration.ofMillis(20),
                () -> !kid(exchangeWithHeader(token).json().get("accessToken").asText()).equals(kid(first)));
    }

    private static String kid(String jwt) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[0])).get("kid").asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A node accepts another node's JWTs whatever their lifetimes (up to the ceiling any node may be set to). */
    @Test
    void aNodeAcceptsJwtsLongerThanItsOwnLifetime() {
        if (backend() != Backend.POSTGRESQL) return; // several nodes share a PostgreSQL database
        String jwt = exchangeWithHeader(s.createToken(s.ownerToken, "read", "{\"all\":true}")).json().get("accessToken").asText();
        String token = s.createToken(s.ownerToken, "read", "{\"all\":true}"); // before the node starts: it loads every token
        try (TestServer shortLived = s.anotherNode(s.clock, "--jwt-lifetime-seconds=120")) {
            assertThat(shortLived.get(SECRETS, jwt).status()).isEqualTo(200);
            String own = exchange(shortLived, token).json().get("accessToken").asText();
            assertThat(s.get(SECRETS, own).status()).as("and the other way").isEqualTo(200);
        }
    }

    /**
     * A token created on one node, and the JWT it buys there, work on another node on their first use — before that
     * node has polled the change feed (here it would not poll for a minute).
     */
    @Test
    void aTokenAndItsJwtFromOneNodeWorkOnAnotherAtOnce() {
        if (backend() != Backend.POSTGRESQL) return; // several nodes share a PostgreSQL database
        try (TestServer b = s.anotherNode(s.clock, "--access-change-poll-millis=60000")) {
            assertThat(b.get(SECRETS, s.ownerToken).status()).as("the control: a token b loaded at start").isEqualTo(200);
            String token = s.createToken(s.ownerToken, "read", "{\"all\":true}");
            String jwt = exchangeWithHeader(token).json().get("accessToken").asText();
            assertThat(b.get(SECRETS, jwt).status()).as("the JWT, first use on b").isEqualTo(200);
            assertThat(b.get(SECRETS, token).status()).as("the token, first use on b").isEqualTo(200);
            assertThat(exchange(b, token).status()).as("exchanged on b").isEqualTo(200);
        }
    }

    private static HttpResult exchange(TestServer t, String token) {
        return t.send(t.request("/v1/auth/exchange", token).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()));
    }

    @Test
    void aJwtCannotBeExchangedAndNothingElseIsAccepted() {
        String jwt = exchangeWithHeader(s.createToken(s.ownerToken, "read", "{\"all\":true}")).json().get("accessToken").asText();
        assertThat(exchangeWithHeader(jwt).status()).isEqualTo(401);
        assertThat(exchangeWithHeader(null).status()).isEqualTo(401);
        assertThat(s.post("/v1/auth/exchange", null, "{\"token\":42}").status()).isEqualTo(400);
    }
}
