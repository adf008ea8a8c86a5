package dev.ekvault.server.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.access.TokenFormat;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.LogCapture;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /metrics} on its own port: the numbers are there with the labels an operator needs, no label value is
 * ever an id, a path or a token whatever the traffic (the series stay the same set when the ids change), the port
 * wants its token when one is set, and there is no port unless asked for. Refused requests' log lines name the
 * client address and the reason, never the credential; security events are lines of their own.
 */
abstract class MetricsContract {
    abstract Backend backend();

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One sample of the exposition: its name, labels and value. */
    record Sample(String name, Map<String, String> labels, double value) {
        String series() {
            return name + new java.util.TreeMap<>(labels);
        }
    }

    static List<Sample> parse(String exposition) {
        List<Sample> samples = new ArrayList<>();
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("an exposition line: %s", line).isTrue();
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) labels.put(l.group(1), l.group(2));
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
        }
        return samples;
    }

    static double value(List<Sample> samples, String name, String... labels) {
        Map<String, String> wanted = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) wanted.put(labels[i], labels[i + 1]);
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(wanted.entrySet()))
                .mapToDouble(Sample::value).sum();
    }

    static HttpResponse<String> scrape(TestServer s, String authorization, String path) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.server.metricsPort() + path));
        if (authorization != null) request.header("Authorization", authorization);
        return HTTP.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A scrape once every answered request is counted: a request is observed just after its answer is written, so
     * the last few may still be on their way; two scrapes in a row with the same total are taken as settled.
     */
    static String settledScrape(TestServer s) {
        String[] last = {null};
        dev.ekvault.server.testing.Await.until("the request counts settle", Duration.ofSeconds(10), Duration.ofMillis(20), () -> {
            try {
                String now = scrape(s, null, "/metrics").body();
                boolean same = last[0] != null && value(parse(last[0]), "ek_http_request_duration_seconds_count")
                        == value(parse(now), "ek_http_request_duration_seconds_count");
                last[0] = now;
                return same;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return last[0];
    }

    private static HttpResult send(TestServer s, String method, String path, String authorization, String forwardedFor) {
        HttpRequest.Builder request = s.request(path, null).method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) request.header("Authorization", authorization);
        if (forwardedFor != null) request.header("X-Forwarded-For", forwardedFor);
        return s.send(request);
    }

    private static String createToken(TestServer s, String name, String permission, String expiresIn, List<String> ids) {
        HttpResult r = s.post("/v1/workspace/acme/tokens", s.ownerToken, "{\"name\":\"" + name + "\",\"permission\":\"" + permission
                + "\",\"scope\":{\"all\":true},\"expiresIn\":\"" + expiresIn + "\"}");
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        ids.add(r.json().get("id").asText());
        return r.json().get("token").asText();
    }

    private static String exchange(TestServer s, String token) {
        HttpResult r = send(s, "POST", "/v1/auth/exchange", "Bearer " + token, null);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r.json().get("accessToken").asText();
    }

    /**
     * Traffic with fresh ids every time: projects, environments and secrets made and read, a token made, used through
     * a JWT and revoked, unknown paths and ids, random tokens and methods. Every id, slug, path and token it used is
     * added to {@code used}.
     */
    private void traffic(TestServer s, List<String> used) {
        for (int i = 0; i < 3; i++) {
            String slug = "p-" + UUID.randomUUID().toString().substring(0, 8);
            String project = s.createProject(slug);
            String environment = s.createEnvironment(slug, "env-" + slug, false);
            s.createSecrets(slug, List.of(environment), Map.of("KEY_" + slug.substring(2).toUpperCase(), "value-" + UUID.randomUUID()));
            HttpResult list = s.get("/v1/workspace/acme/project/" + slug + "/secret?environmentId=" + environment, s.ownerToken);
            assertThat(list.status()).as("%s", list).isEqualTo(200);
            assertThat(s.get("/v1/workspace/acme/project/" + project + "/secret?environmentId=" + environment, s.ownerToken).status()).isEqualTo(200);
            used.addAll(List.of(slug, project, environment));
            String unknown = UUID.randomUUID().toString();
            assertThat(s.get("/v1/workspace/acme/project/" + unknown + "/secret", s.ownerToken).status()).isEqualTo(404);
            String randomPath = "/nowhere/" + UUID.randomUUID() + "/" + UUID.randomUUID();
            assertThat(s.get(randomPath, null).status()).isEqualTo(404);
            String randomToken = TokenFormat.generate();
            assertThat(s.get("/v1/workspace/acme/project", randomToken).status()).isEqualTo(401);
            String garbage = "x" + UUID.randomUUID();
            assertThat(s.get("/v1/workspace/" + UUID.randomUUID() + "/project", garbage).status()).isEqualTo(401);
            String method = "M" + UUID.randomUUID().toString().substring(0, 6).toUpperCase().replace('-', 'X');
            assertThat(send(s, method, "/v1/workspace/acme/project", "Bearer " + s.ownerToken, null).status()).isIn(400, 404, 405);
            used.addAll(List.of(unknown, randomPath, randomToken, garbage, method));
        }
        List<String> tokenIds = new ArrayList<>();
        String token = createToken(s, "t-" + UUID.randomUUID().toString().substring(0, 8), "read", "24h", tokenIds);
        String jwt = exchange(s, token);
        assertThat(s.get("/v1/workspace/acme/project", jwt).status()).isEqualTo(200);
        assertThat(s.get("/v1/workspace/acme/project", jwt).status()).isEqualTo(200);
        assertThat(s.delete("/v1/workspace/acme/tokens/" + tokenIds.get(0), s.ownerToken).status()).isIn(200, 204);
        assertThat(s.get("/v1/workspace/acme/project", token).status()).isEqualTo(401);
        used.addAll(List.of(token, jwt, tokenIds.get(0)));
    }

    @Test
    void theNumbersAreThereAndNoLabelEverHoldsAnIdAPathOrAToken() throws Exception {
        try (TestServer s = TestServer.start(backend(), "--metrics-port=0", "--rate-limit-per-ip-per-minute=0")) {
            List<String> used = new ArrayList<>(List.of(s.ownerToken, "acme", "owner@example.com"));
            traffic(s, used);
            HttpResponse<String> first = scrape(s, null, "/metrics");
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
            List<Sample> before = parse(settledScrape(s));

            // the numbers an operator reads, with the labels they are read by
            assertThat(value(before, "ek_http_request_duration_seconds_count", "route", "/v1/workspace/{ws}/project", "method", "POST",
                    "status", "201", "credential", "static")).isEqualTo(3);
            assertThat(value(before, "ek_http_request_duration_seconds_count", "route", Metrics.NO_ROUTE, "status", "404")).isEqualTo(3);
            assertThat(value(before, "ek_http_request_duration_seconds_count", "method", "other")).isEqualTo(3);
            assertThat(value(before, "ek_http_request_duration_seconds_bucket", "route", "/v1/workspace/{ws}/project", "method", "GET",
                    "status", "200", "le", "+Inf")).isEqualTo(2);
            assertThat(value(before, "ek_http_request_duration_seconds_count", "route", "/v1/workspace/{ws}/project/{prj}/secret",
                    "method", "GET", "status", "200")).as("reads answered once their audit entries are durable").isEqualTo(6);
            assertThat(value(before, "ek_auth_refusals_total", "reason", "unknown")).isEqualTo(3);
            assertThat(value(before, "ek_auth_refusals_total", "reason", "malformed")).isEqualTo(3);
            assertThat(value(before, "ek_auth_refusals_total", "reason", "revoked")).isEqualTo(1);
            assertThat(value(before, "ek_exchanges_total", "kind", "api-token", "outcome", "issued")).isEqualTo(1);
            assertThat(value(before, "ek_cache_requests_total", "cache", "jwt", "result", "hit")).isGreaterThanOrEqualTo(1);
            assertThat(value(before, "ek_cache_requests_total", "cache", "jwt", "result", "miss")).isGreaterThanOrEqualTo(1);
            if (backend() == Backend.SQLITE) {
                // every list read looks its project up; a second read is served from memory unless the change feed's
                // poll of the project's own writes dropped it in between
                assertThat(value(before, "ek_cache_requests_total", "cache", "secret-rows")).isGreaterThanOrEqualTo(6);
                assertThat(value(before, "ek_cache_requests_total", "cache", "secret-rows", "result", "hit")).isGreaterThanOrEqualTo(1);
            }
            assertThat(value(before, "ek_change_feed_lag_seconds_count", "kind", "credential")).as("the revocation was applied through the feed")
                    .isGreaterThanOrEqualTo(1);
            assertThat(value(before, "ek_db_transaction_seconds_count", "type", "write")).isGreaterThan(10);
            assertThat(value(before, "ek_db_connection_wait_seconds_count")).isGreaterThan(10);
            assertThat(value(before, "ek_db_pool_connections", "state", "max")).isEqualTo(10);
            assertThat(before).anyMatch(x -> x.name().equals("ek_audit_queue_entries"));
            assertThat(value(before, "ek_sync_pending")).isZero();
            assertThat(value(before, "ek_security_events_total", "event", "revocation")).isEqualTo(1);
            assertThat(value(before, "ek_security_events_total", "event", "credential-created")).as("the owner token's and ours").isEqualTo(2);
            assertThat(before).anyMatch(x -> x.name().startsWith("jvm_memory_used_bytes"));

            // the same traffic with other ids, paths and tokens makes no new series
            traffic(s, used);
            String exposition = settledScrape(s);
            List<Sample> after = parse(exposition);
            Set<String> seriesBefore = ekSeries(before);
            Set<String> seriesAfter = ekSeries(after);
            assertThat(seriesAfter).as("series after a second round with fresh ids").isEqualTo(seriesBefore);
            assertThat(value(after, "ek_http_request_duration_seconds_count", "route", Metrics.NO_ROUTE, "status", "404")).isEqualTo(6);
            assertThat(seriesAfter.size()).as("ek series (a histogram series is 16 lines)").isLessThan(600);
            for (String value : used) assertThat(exposition).as("the exposition holds nothing the traffic named").doesNotContain(value);
            for (Sample sample : after) {
                for (String label : sample.labels().values()) {
                    assertThat(label).as("%s", sample).doesNotContainPattern("[0-9a-f]{8}-[0-9a-f]{4}").doesNotContain("ek_live_");
                }
            }
        }
    }

    private static Set<String> ekSeries(List<Sample> samples) {
        Set<String> series = new TreeSet<>();
        for (Sample sample : samples) if (sample.name().startsWith("ek_")) series.add(sample.series());
        return series;
    }

    @Test
    void thereIsNoMetricsPortUnlessAskedAndItWantsItsTokenWhenSet() throws Exception {
        try (TestServer plain = TestServer.start(backend())) {
            assertThat(plain.server.metricsPort()).isEqualTo(-1);
            assertThat(plain.get("/metrics", null).status()).as("never on the API's port").isEqualTo(404);
        }
        String secret = "scrape-" + UUID.randomUUID();
        try (LogCapture log = LogCapture.open();
             TestServer s = TestServer.start(backend(), "--metrics-port=0", "--metrics-token=" + secret)) {
            assertThat(scrape(s, null, "/metrics").statusCode()).isEqualTo(401);
            assertThat(scrape(s, "Bearer wrong-" + secret.substring(7), "/metrics").statusCode()).isEqualTo(401);
            assertThat(scrape(s, "Bearer " + secret + "x", "/metrics").statusCode()).isEqualTo(401);
            HttpResponse<String> ok = scrape(s, "Bearer " + secret, "/metrics");
            assertThat(ok.statusCode()).as("the positive control").isEqualTo(200);
            assertThat(ok.body()).contains("ek_audit_queue_entries", "jvm_memory_used_bytes");
            assertThat(scrape(s, "Bearer " + secret, "/other").statusCode()).isEqualTo(404);
            assertThat(s.get("/metrics", secret).status()).as("never on the API's port").isEqualTo(404);
            assertThat(log.lines()).as("the scrape token is never logged").noneMatch(line -> line.contains(secret))
                    .anyMatch(line -> line.contains("metrics.token=******"));
        }
    }

    @Test
    void aMetricsPortInUseStopsTheStartNamingIt() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServer.start(backend(), "--metrics-port=" + port))
                    .rootCause().isInstanceOf(dev.ekvault.server.config.StartFailure.class)
                    .hasMessageContaining("cannot listen for metrics on 127.0.0.1:" + port);
        }
        try (TestServer s = TestServer.start(backend(), "--metrics-port=0")) {
            assertThat(scrape(s, null, "/metrics").statusCode()).as("the positive control: a free port").isEqualTo(200);
        }
    }

    @Test
    void refusedRequestLinesNameTheClientAndTheReasonNeverTheCredential() throws Exception {
        String client = "203.0.113.9";
        try (LogCapture log = LogCapture.open();
             // JWTs of 120 s: an exchange a second later is a new JWT, counted (a longer-lived one would be answered again)
             TestServer s = TestServer.start(backend(), "--rate-limit-trusted-proxies=127.0.0.1", "--rate-limit-exchanges-per-token-per-minute=1",
                     "--jwt-lifetime-seconds=120")) {
            List<String> ids = new ArrayList<>();
            String revoked = createToken(s, "gone", "read", "24h", ids);
            assertThat(s.delete("/v1/workspace/acme/tokens/" + ids.get(0), s.ownerToken).status()).isIn(200, 204);
            String readOnly = createToken(s, "reader", "read", "24h", ids);
            String expiring = createToken(s, "short", "read", "24h", ids);
            String jwt = exchange(s, readOnly);
            String forged = jwt.substring(0, jwt.lastIndexOf('.') + 5) + (jwt.charAt(jwt.lastIndexOf('.') + 5) == 'A' ? 'B' : 'A')
                    + jwt.substring(jwt.lastIndexOf('.') + 6);
            String unknown = TokenFormat.generate();
            String malformed = "ek_live_" + "!".repeat(10);
            String projects = "/v1/workspace/acme/project";

            Map<String, HttpResult> answers = new LinkedHashMap<>();
            answers.put("missing", send(s, "GET", projects, null, client));
            answers.put("malformed", send(s, "GET", projects, "Bearer " + malformed, client));
            answers.put("unknown", send(s, "GET", projects, "Bearer " + unknown, client));
            answers.put("revoked", send(s, "GET", projects, "Bearer " + revoked, client));
            answers.put("bad-signature", send(s, "GET", projects, "Bearer " + forged, client));
            answers.put("forbidden", send(s, "DELETE", "/v1/workspace/acme/tokens/" + ids.get(0), "Bearer " + readOnly, client));
            s.clock.advance(Duration.ofSeconds(1));
            answers.put("rate-limited", send(s, "POST", "/v1/auth/exchange", "Bearer " + readOnly, client));
            s.clock.advance(Duration.ofHours(25));
            answers.put("expired", send(s, "GET", projects, "Bearer " + expiring, client));
            HttpResult control = send(s, "GET", projects, "Bearer " + s.ownerToken, client);
            assertThat(control.status()).as("the positive control").isEqualTo(200);

            for (Map.Entry<String, HttpResult> answer : answers.entrySet()) {
                HttpResult r = answer.getValue();
                assertThat(r.status()).as("%s: %s", answer.getKey(), r).isIn(401, 403, 429);
                Map<String, Object> line = requestLine(log, r);
                assertThat(line).as("the line of the %s request", answer.getKey())
                        .containsEntry("refusal", answer.getKey()).containsEntry("client", client).containsEntry("status", r.status());
                if (r.status() == 401) assertThat(r.message()).as("the answer says nothing of the reason").isEqualTo("missing, invalid or expired credential");
            }
            Map<String, Object> served = requestLine(log, control);
            assertThat(served).as("a served request's line").containsEntry("status", 200).doesNotContainKeys("refusal", "client");
            for (String secret : List.of(revoked, readOnly, expiring, jwt, forged, unknown, malformed, s.ownerToken,
                    jwt.substring(jwt.lastIndexOf('.') + 1), unknown.substring(8, 30))) {
                assertThat(log.lines()).as("no log line holds a credential or a part of one").noneMatch(l -> l.contains(secret));
            }
        }
    }

    /**
     * The request line of an answer, found by its request id; the line is logged just after the answer is written,
     * so it is awaited.
     */
    private static Map<String, Object> requestLine(LogCapture log, HttpResult answer) {
        String requestId = answer.headers().firstValue("X-Request-Id").orElseThrow();
        java.util.function.Supplier<Map<String, Object>> line = () -> log.fields("ek.request").stream()
                .filter(l -> requestId.equals(l.get("requestId"))).findFirst().orElse(null);
        dev.ekvault.server.testing.Await.until("the request line of " + requestId, Duration.ofSeconds(5), Duration.ofMillis(10),
                () -> line.get() != null);
        return line.get();
    }

    @Test
    void securityEventsAreLinesOfTheirOwnNamingWhoActedAndFromWhere() throws Exception {
        try (LogCapture log = LogCapture.open(); TestServer s = TestServer.start(backend())) {
            TestServer.Session member = s.invitePerson("pat@example.com", "member", null);
            TestServer.Session signedIn = s.signIn("pat@example.com", TestServer.PASSWORD);
            List<String> ids = new ArrayList<>();
            String token = createToken(s, "rotating", "read", "24h", ids);
            HttpResult rotated = s.post("/v1/workspace/acme/tokens/" + ids.get(0) + "/rotate", s.ownerToken, "");
            assertThat(rotated.status()).as("%s", rotated).isEqualTo(200);
            String newToken = rotated.json().get("token").asText();
            assertThat(s.delete("/v1/workspace/acme/tokens/" + rotated.json().get("id").asText(), s.ownerToken).status()).isIn(200, 204);
            assertThat(s.postAs(signedIn, "/v1/auth/logout", "{}").status()).isEqualTo(204);
            assertThat(s.put("/v1/workspace/acme/members/" + member.userId(), s.ownerToken, "{\"role\":\"admin\"}").status()).isEqualTo(200);
            String wrong = "wrong-password-" + UUID.randomUUID();
            for (int i = 0; i < 6; i++) {
                assertThat(s.post("/v1/auth/login", null, "{\"email\":\"pat@example.com\",\"password\":\"" + wrong + "\"}").status()).isEqualTo(401);
            }
            assertThat(s.delete("/v1/workspace/acme/members/" + member.userId(), s.ownerToken).status()).isIn(200, 204);

            List<Map<String, Object>> events = log.fields("ek.security");
            List<String> names = events.stream().map(e -> (String) e.get("event")).toList();
            assertThat(names).contains("member-added", "sign-in", "credential-created", "credential-rotation", "revocation", "sign-out",
                    "member-changed", "sign-in-failed", "lock-out", "member-removed");
            assertThat(names.stream().filter("sign-in-failed"::equals).count())
                    .as("six failures: four, the fifth locks (lock-out), the sixth while locked").isEqualTo(5);
            assertThat(names.stream().filter("lock-out"::equals).count()).as("one lock-out").isEqualTo(1);
            Map<String, Object> changed = events.stream().filter(e -> "member-changed".equals(e.get("event"))).findFirst().orElseThrow();
            assertThat(changed).containsEntry("entityId", member.userId()).containsEntry("role", "admin").containsEntry("previousRole", "member")
                    .containsEntry("client", "127.0.0.1").containsKey("requestId").containsKey("actorCredentialId");
            Map<String, Object> signOut = events.stream().filter(e -> "sign-out".equals(e.get("event"))).findFirst().orElseThrow();
            assertThat(signOut).containsEntry("actorUserId", member.userId());
            dev.ekvault.server.testing.Await.until("the refused sign-ins' lines name their reason", Duration.ofSeconds(5), Duration.ofMillis(10),
                    () -> log.fields("ek.request").stream().anyMatch(l -> "bad-password".equals(l.get("refusal")))
                            && log.fields("ek.request").stream().anyMatch(l -> "locked".equals(l.get("refusal"))));
            for (String secret : List.of(token, newToken, wrong, TestServer.PASSWORD, member.cookie(), signedIn.cookie(), s.ownerToken)) {
                assertThat(log.lines()).as("no log line holds a token or a password").noneMatch(l -> l.contains(secret));
            }
        }
    }
}
