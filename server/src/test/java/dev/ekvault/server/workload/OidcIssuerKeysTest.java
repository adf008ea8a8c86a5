package dev.ekvault.server.workload;

import com.nimbusds.jose.jwk.JWK;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestIssuer;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ekvault.server.workload.OidcTesting.AUDIENCE;
import static dev.ekvault.server.workload.OidcTesting.exchange;
import static dev.ekvault.server.workload.OidcTesting.identity;
import static dev.ekvault.server.workload.OidcTesting.refused;
import static dev.ekvault.server.workload.OidcTesting.register;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * How the server gets a cluster's keys, against a real issuer over HTTP: discovery then JWKS, cached; a refetch for an
 * unknown kid at most once per interval however many arrive; a rotation picked up; slow, missing or broken issuers
 * answered with 503 and Retry-After (never 401); the keys fetched before serving while the issuer is down.
 * The server runs with a 500 ms fetch timeout and a 30 s refetch interval; time moves only by its test clock.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OidcIssuerKeysTest {
    private static final Duration INTERVAL = Duration.ofSeconds(30);
    private static final String UNAVAILABLE = "the cluster's signing keys cannot be fetched right now; retry later";

    TestServer s;
    final List<TestIssuer> clusters = new ArrayList<>();
    int namespaces;

    @BeforeAll
    void start() {
        s = TestServer.start(Backend.SQLITE, "--oidc-allow-http-issuers=true", "--oidc-fetch-timeout-millis=2000", // generous: a loaded CI machine must not time out a healthy issuer
                "--oidc-refetch-interval-seconds=" + INTERVAL.toSeconds(), "--rate-limit-exchanges-per-token-per-minute=1000");
    }

    @AfterAll
    void stop() {
        clusters.forEach(TestIssuer::close);
        if (s != null) s.close();
    }

    /** A fresh cluster (its own issuer URL, so its own cache entry) and an identity for its namespace's service account. */
    private Cluster cluster(TestIssuer.Mode mode) {
        TestIssuer issuer = TestIssuer.start(s.clock);
        clusters.add(issuer);
        issuer.mode(mode);
        String namespace = "ns" + (++namespaces);
        register(s, identity(namespace, issuer.issuer(), "system:serviceaccount:" + namespace + ":api"));
        return new Cluster(issuer, namespace);
    }

    private record Cluster(TestIssuer issuer, String namespace) {
        String token() {
            return issuer.token(namespace, "api", AUDIENCE);
        }

        String tokenWithKid(String kid) {
            TestIssuer.Key key = issuer.signingKey();
            return TestIssuer.sign(TestIssuer.header(key).put("kid", kid), issuer.claims(namespace, "api", AUDIENCE), key);
        }
    }

    private HttpResult exchangeOf(String token) {
        return exchange(s, "acme", token);
    }

    private void unavailable(String what, HttpResult r) {
        assertThat(r.status()).as(what + ": " + r).isEqualTo(503);
        assertThat(r.message()).as(what).isEqualTo(UNAVAILABLE);
        long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).as(what + ": Retry-After").isBetween(1L, INTERVAL.toSeconds());
    }

    private List<HttpResult> concurrently(int count, Callable<HttpResult> request) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<HttpResult>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) futures.add(pool.submit(request));
            List<HttpResult> results = new ArrayList<>();
            for (Future<HttpResult> f : futures) results.add(f.get());
            return results;
        }
    }

    @Test
    void theIssuerServesLikeKubeApiserver() throws Exception {
        Cluster c = cluster(TestIssuer.Mode.NORMAL);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> discovery = http.send(HttpRequest.newBuilder(URI.create(c.issuer().issuer() + TestIssuer.DISCOVERY_PATH)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(discovery.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(OidcTesting.JSON.readTree(discovery.body()).get("jwks_uri").asText()).isEqualTo(c.issuer().issuer() + TestIssuer.JWKS_PATH);
        HttpResponse<String> jwks = http.send(HttpRequest.newBuilder(URI.create(c.issuer().issuer() + TestIssuer.JWKS_PATH)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(jwks.headers().firstValue("Content-Type")).hasValue("application/jwk-set+json");
        assertThat(OidcTesting.JSON.readTree(jwks.body()).get("keys").get(0).get("kid").asText()).isEqualTo(c.issuer().signingKey().kid());
        assertThat(OidcTesting.JSON.readTree(jwks.body()).get("keys").get(0).has("d")).isFalse();
        assertThat(exchangeOf(c.token()).status()).isEqualTo(200);
    }

    @Test
    void discoveryThenTheKeySetAreFetchedOnceForManyAndCached() throws Exception {
        Cluster c = cluster(TestIssuer.Mode.NORMAL);
        assertThat(concurrently(20, () -> exchangeOf(c.token()))).allSatisfy(r -> assertThat(r.status()).isEqualTo(200));
        for (int i = 0; i < 5; i++) assertThat(exchangeOf(c.token()).status()).isEqualTo(200);
        assertThat(c.issuer().discoveryRequests()).as("one discovery for 25 exchanges, 20 of them at once").isEqualTo(1);
        assertThat(c.issuer().jwksRequests()).isEqualTo(1);
        s.clock.advance(Duration.ofMinutes(IssuerKeys.REFRESH_AFTER_MINUTES));
        assertThat(exchangeOf(c.token()).status()).isEqualTo(200);
        assertThat(c.issuer().jwksRequests()).as("refreshed once it is an hour old").isEqualTo(2);
    }

    @Test
    void theKeySetMayBeLabelledAnyJsonWay() {
        for (String type : List.of("application/jwk-set+json; charset=utf-8", "application/json", "Application/JSON;charset=UTF-8")) {
            Cluster c = cluster(TestIssuer.Mode.NORMAL);
            c.issuer().jwksContentType(type);
            assertThat(exchangeOf(c.token()).status()).as(type).isEqualTo(200);
        }
        Cluster c = cluster(TestIssuer.Mode.NORMAL);
        c.issuer().jwksContentType("application/octet-stream");
        unavailable("a key set that is not labelled JSON", exchangeOf(c.token()));
    }

    @Test
    void aFloodOfMadeUpKidsMakesAtMostOneFetchPerInterval() throws Exception {
        Cluster c = cluster(TestIssuer.Mode.NORMAL);
        assertThat(exchangeOf(c.token()).status()).isEqualTo(200);
        assertThat(c.issuer().jwksRequests()).isEqualTo(1);
        AtomicInteger n = new AtomicInteger();
        List<HttpResult> flood = concurrently(100, () -> exchangeOf(c.tokenWithKid("made-up-" + n.incrementAndGet())));
        assertThat(flood).allSatisfy(r -> refused("made-up kid", r));
        assertThat(c.issuer().jwksRequests()).as("the keys were fetched this interval: no refetch").isEqualTo(1);

        s.clock.advance(INTERVAL);
        flood = concurrently(100, () -> exchangeOf(c.tokenWithKid("made-up-" + n.incrementAndGet())));
        assertThat(flood).allSatisfy(r -> refused("made-up kid", r));
        assertThat(c.issuer().jwksRequests()).as("one refetch for the whole next interval").isEqualTo(2);
        assertThat(c.issuer().discoveryRequests()).isEqualTo(2);
        assertThat(exchangeOf(c.token()).status()).as("the real key is still known").isEqualTo(200);
    }

    @Test
    void aKeyRotationByTheClusterIsPickedUp() {
        Cluster c = cluster(TestIssuer.Mode.NORMAL);
        String beforeRotation = c.token();
        assertThat(exchangeOf(beforeRotation).status()).isEqualTo(200);
        s.clock.advance(INTERVAL);
        c.issuer().rotate();
        assertThat(exchangeOf(c.token()).status()).as("signed by the new key").isEqualTo(200);
        assertThat(c.issuer().jwksRequests()).isEqualTo(2);
        refused("signed by the key the cluster dropped", exchangeOf(beforeRotation));

        // a rotation that keeps the old key published for a while, as clusters do during a planned change
        s.clock.advance(INTERVAL);
        String old = c.token();
        TestIssuer.Key next = c.issuer().addKey("ES256");
        c.issuer().signWith(next);
        assertThat(exchangeOf(c.token()).status()).as("the new EC key").isEqualTo(200);
        assertThat(c.issuer().jwksRequests()).isEqualTo(3);
        assertThat(exchangeOf(old).status()).isEqualTo(200);
    }

    @Test
    void aSlowIssuerIsA503WithRetryAfterAndNotRetriedAtOnce() {
        Cluster c = cluster(TestIssuer.Mode.SLOW);
        unavailable("discovery slower than the fetch timeout", exchangeOf(c.token()));
        assertThat(c.issuer().discoveryRequests()).isEqualTo(1);
        unavailable("again within the interval", exchangeOf(c.token()));
        assertThat(c.issuer().discoveryRequests()).as("no second fetch within the interval").isEqualTo(1);

        c.issuer().mode(TestIssuer.Mode.NORMAL);
        s.clock.advance(INTERVAL);
        assertThat(exchangeOf(c.token()).status()).as("recovered").isEqualTo(200);
        assertThat(c.issuer().jwksRequests()).isEqualTo(1);
    }

    /**
     * A cluster that rotates while its issuer is down: the new kid is a 503 with a short Retry-After (the token is not
     * blamed), failures back off to at most a few seconds, and once the issuer answers again the new key is accepted
     * after that backoff, not after a whole refetch interval.
     */
    @Test
    void aRotatedKeyWhileTheIssuerIsDownIs503AndAcceptedSoonAfterItReturns() {
        Cluster c = cluster(TestIssuer.Mode.NORMAL);
        assertThat(exchangeOf(c.token()).status()).isEqualTo(200);
        c.issuer().mode(TestIssuer.Mode.NOT_FOUND);
        c.issuer().rotate();
        s.clock.advance(INTERVAL);
        int discoveries = c.issuer().discoveryRequests();
        for (int failure = 1; failure <= 5; failure++) {
            HttpResult r = exchangeOf(c.token());
            unavailable("new kid, issuer down, failure " + failure, r);
            long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).as("failure %d: a short, bounded backoff", failure)
                    .isEqualTo(Math.min(IssuerKeys.MAX_FAILURE_BACKOFF_SECONDS, 1L << (failure - 1)));
            assertThat(c.issuer().discoveryRequests()).as("one fetch per backoff").isEqualTo(discoveries + failure);
            unavailable("within the backoff", exchangeOf(c.token()));
            assertThat(c.issuer().discoveryRequests()).as("no fetch within the backoff").isEqualTo(discoveries + failure);
            s.clock.advance(Duration.ofSeconds(retryAfter));
        }
        c.issuer().mode(TestIssuer.Mode.NORMAL);
        assertThat(exchangeOf(c.token()).status()).as("the issuer is back: the new key works at once").isEqualTo(200);
        assertThat(exchangeOf(c.token()).status()).isEqualTo(200);
    }

    @Test
    void missingOrBrokenIssuersAre503() {
        for (TestIssuer.Mode mode : List.of(TestIssuer.Mode.NOT_FOUND, TestIssuer.Mode.GARBAGE, TestIssuer.Mode.WRONG_CONTENT_TYPE,
                TestIssuer.Mode.HUGE, TestIssuer.Mode.WRONG_ISSUER, TestIssuer.Mode.REDIRECT)) {
            Cluster c = cluster(mode);
            unavailable(mode.name(), exchangeOf(c.token()));
            assertThat(c.issuer().discoveryRequests()).as(mode + ": one request, no redirect followed").isEqualTo(1);
        }
        Cluster gone = cluster(TestIssuer.Mode.NORMAL);
        gone.issuer().close();
        unavailable("an issuer that refuses connections", exchangeOf(gone.token()));
    }

    @Test
    void theKeysFetchedBeforeServeWhileTheIssuerIsDown() {
        Cluster c = cluster(TestIssuer.Mode.NORMAL);
        assertThat(exchangeOf(c.token()).status()).isEqualTo(200);
        c.issuer().mode(TestIssuer.Mode.NOT_FOUND);
        s.clock.advance(Duration.ofHours(2));
        assertThat(exchangeOf(c.token()).status()).as("two hours later, the refresh fails, the cached key serves").isEqualTo(200);
        assertThat(c.issuer().discoveryRequests()).as("a refresh was tried").isEqualTo(2);
        unavailable("an unknown kid while the issuer is down", exchangeOf(c.tokenWithKid("new-kid")));

        s.clock.advance(Duration.ofHours(IssuerKeys.MAX_STALE_HOURS));
        unavailable("keys too old to trust", exchangeOf(c.token()));
        c.issuer().mode(TestIssuer.Mode.NORMAL);
        s.clock.advance(INTERVAL);
        assertThat(exchangeOf(c.token()).status()).isEqualTo(200);
    }

    @Test
    void httpIssuersAreNeverFetchedUnlessAllowed() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(new TestClock())) {
            Config.Oidc httpsOnly = new Config.Oidc(Duration.ofSeconds(60), Duration.ofDays(1), INTERVAL, Duration.ofMillis(500), 65536, false);
            IssuerKeys keys = new IssuerKeys(httpsOnly, new TestClock());
            assertThatThrownBy(() -> keys.key(issuer.issuer(), issuer.signingKey().kid())).isInstanceOf(IssuerKeys.Unavailable.class);
            assertThat(issuer.discoveryRequests()).isZero();

            Config.Oidc lab = new Config.Oidc(Duration.ofSeconds(60), Duration.ofDays(1), INTERVAL, Duration.ofMillis(500), 65536, true);
            JWK key = new IssuerKeys(lab, new TestClock()).key(issuer.issuer(), issuer.signingKey().kid());
            assertThat(key.getKeyID()).isEqualTo(issuer.signingKey().kid());
            assertThat(key.isPrivate()).isFalse();
        }
    }
}
