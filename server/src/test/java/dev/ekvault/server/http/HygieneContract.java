package dev.ekvault.server.http;

import dev.ekvault.server.jwt.JwksRoutes;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.ekvault.server.testing.TestServer.quote;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP hygiene (issue 10): no cache keeps an API answer; text that is not valid Unicode is refused, never stored as
 * {@code ?}; a body that stops short, stalls or breaks its chunk framing is a prompt 400, never a 500 after 30 s; and
 * requests Jetty refuses (bad escapes, Host, header lines) are 400s that leave no stack trace in the log.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class HygieneContract {
    abstract Backend backend();

    private static final String SECRETS = "/v1/workspace/acme/project/hyg/secret";
    /** Far below the connector's 30-second idle timeout, far above the 2-second body idle timeout. */
    private static final int PROMPT_MILLIS = 10_000;
    private static final String SECRETS_ROUTE = "/v1/workspace/{ws}/project/{prj}/secret";

    TestServer s;
    String env;

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.createProject("hyg");
        env = s.createEnvironment("hyg", "production", false);
        s.createSecrets("hyg", List.of(env), Map.of("EXISTING", "v"));
    }

    @AfterAll
    void stop() {
        if (s != null) s.close();
    }

    // ---- helpers ----

    /** A bulk-create body with one secret whose value is {@code valueJson}, written as raw JSON (escapes and all). */
    private byte[] createBody(String key, String valueJson) {
        return ("{\"environments\":[" + quote(env) + "],\"secrets\":[{\"key\":" + quote(key) + ",\"value\":" + valueJson
                + ",\"type\":\"runtime\",\"dataType\":\"text\"}]}").getBytes(StandardCharsets.UTF_8);
    }

    private HttpResult postBytes(String path, byte[] body) {
        return s.send(s.request(path, s.ownerToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) out.writeBytes(part);
        return out.toByteArray();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private String head(String method, String path, String... headers) {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + s.server.port() + "\r\n");
        for (String header : headers) head.append(header).append("\r\n");
        return head.append("\r\n").toString();
    }

    private String bearer() {
        return "Authorization: Bearer " + s.ownerToken;
    }

    private static void assertBadRequest(RawHttp.Response r, String what) {
        assertThat(r.status()).as("%s: %s", what, r.body()).isEqualTo(400);
        assertThat(r.header("Content-Type")).as(what).startsWith("application/json");
        assertThat(r.body()).as(what).startsWith("{\"message\":");
        assertThat(r.header("Cache-Control")).as(what).isEqualTo("no-store");
    }

    private static void assertRefused(HttpResult r, String... mentions) {
        assertThat(r.status()).as("%s", r).isEqualTo(400);
        for (String m : mentions) assertThat(r.message()).as("%s", r).contains(m);
    }

    // ---- Cache-Control ----

    @Test
    void everyV1AnswerSuccessOrErrorIsNoStore() {
        Map<String, HttpResult> answers = new LinkedHashMap<>();
        answers.put("200 list", s.get("/v1/workspace", s.ownerToken));
        answers.put("200 secret", s.get(SECRETS + "/EXISTING?environmentId=" + env, s.ownerToken));
        answers.put("201 create", postBytes(SECRETS, createBody("CACHED", "\"v\"")));
        answers.put("204 delete", s.delete(SECRETS + "/CACHED", s.ownerToken));
        answers.put("400 json", postBytes(SECRETS, ascii("{")));
        answers.put("401", s.get("/v1/workspace", null));
        answers.put("404 route", s.get("/v1/nothing-here", s.ownerToken));
        answers.put("404 secret", s.get(SECRETS + "/MISSING", s.ownerToken));
        answers.put("405", s.send(s.request("/v1/workspace", s.ownerToken).method("PATCH", HttpRequest.BodyPublishers.noBody())));
        answers.put("415", s.send(s.request(SECRETS, s.ownerToken).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("x"))));
        answers.forEach((what, r) -> {
            assertThat(r.status()).as(what).isEqualTo(Integer.parseInt(what.substring(0, 3)));
            assertThat(r.headers().allValues("Cache-Control")).as("%s: %s", what, r).containsExactly("no-store");
        });
        // an error Jetty raises before our handler runs (an escape it refuses) is no-store too
        RawHttp.Response refused = RawHttp.exchange(s.server.port(), ascii(head("GET", "/v1/workspace/%ZZ", bearer())), false, PROMPT_MILLIS);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.header("Cache-Control")).isEqualTo("no-store");
    }

    @Test
    void publicDocumentsOutsideV1MayStillBeCached() {
        for (String path : List.of("/openapi.json", JwksRoutes.PATH)) {
            HttpResult r = s.get(path, null);
            assertThat(r.status()).as(path).isEqualTo(200);
            assertThat(r.headers().allValues("Cache-Control")).as(path).doesNotContain("no-store");
        }
    }

    // ---- Unicode ----

    @Test
    void aLoneSurrogateEscapeIsRefusedNamingTheFieldAndNothingIsStored() {
        for (String value : List.of("\"\\ud800\"", "\"\\udc00\"", "\"tail \\ud83d\"", "\"\\ud83d then text\"", "\"\\udd11\\ud83d\"")) {
            HttpResult r = postBytes(SECRETS, createBody("LONE", value));
            assertRefused(r, "field 'secrets[0].value' is not valid Unicode");
            assertThat(r.body()).as("the message never repeats the value").doesNotContain("\\ud8").doesNotContain("\\udc").doesNotContain("\\udd");
        }
        assertThat(s.get(SECRETS + "/LONE?environmentId=" + env, s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void everyRouteAndFieldIsCoveredFieldNamesIncluded() {
        HttpResult project = postBytes("/v1/workspace/acme/project", ascii("{\"name\":\"x\\udfff\",\"slug\":\"surrogate\",\"teamId\":"
                + quote(s.defaultTeamId()) + "}"));
        assertRefused(project, "field 'name' is not valid Unicode");
        HttpResult key = postBytes(SECRETS, ascii("{\"environments\":[" + quote(env) + "],\"secrets\":[{\"key\":\"K\\ud800\",\"value\":\"v\"}]}"));
        assertRefused(key, "field 'secrets[0].key' is not valid Unicode");
        HttpResult fieldName = postBytes(SECRETS, ascii("{\"environments\":[" + quote(env) + "],\"secrets\":[{\"\\ud800\":1}]}"));
        assertRefused(fieldName, "a field name in 'secrets[0]' is not valid Unicode");
        HttpResult unknownField = postBytes(SECRETS, ascii("{\"ignored\":{\"deep\":[\"ok\",\"\\ud800\"]}}"));
        assertRefused(unknownField, "field 'ignored.deep[1]' is not valid Unicode");
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedNotReplaced() {
        Map<String, byte[]> invalid = new LinkedHashMap<>();
        invalid.put("a byte that never starts UTF-8", new byte[]{(byte) 0xFF});
        invalid.put("a lead byte with no continuation", new byte[]{(byte) 0xC3});
        invalid.put("an overlong '/'", new byte[]{(byte) 0xC0, (byte) 0xAF});
        invalid.put("an overlong 3-byte '/'", new byte[]{(byte) 0xE0, (byte) 0x80, (byte) 0xAF});
        invalid.put("an encoded surrogate", new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80});
        invalid.put("a code point above U+10FFFF", new byte[]{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80});
        invalid.forEach((what, bytes) -> {
            HttpResult r = postBytes(SECRETS, concat(ascii("{\"environments\":[" + quote(env) + "],\"secrets\":[{\"key\":\"BYTES\",\"value\":\"a"),
                    bytes, ascii("b\",\"type\":\"runtime\",\"dataType\":\"text\"}]}")));
            assertThat(r.status()).as("%s: %s", what, r).isEqualTo(400);
            assertThat(r.message()).as(what).contains("not valid UTF-8");
        });
        assertThat(s.get(SECRETS + "/BYTES?environmentId=" + env, s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void validTextBeyondTheBasicPlaneRoundTrips() {
        // a surrogate pair as an escape and the same character as raw 4-byte UTF-8, next to 2- and 3-byte characters
        String expected = "\uD83D\uDD11\uD83D\uDD11 é € 𝄞";
        HttpResult created = postBytes(SECRETS, createBody("EMOJI", "\"\\ud83d\\udd11" + "\uD83D\uDD11 é € 𝄞\""));
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        HttpResult read = s.get(SECRETS + "/EMOJI?environmentId=" + env, s.ownerToken);
        assertThat(read.json().get("values").get(0).get("value").asText()).isEqualTo(expected);
    }

    @Test
    void percentEscapesThatAreNotUtf8AreRefusedInTheQuery() {
        for (String escape : List.of("%FF", "%C0%AF", "%ED%A0%80", "%C3")) {
            RawHttp.Response r = RawHttp.exchange(s.server.port(),
                    ascii(head("GET", SECRETS + "/EXISTING?environmentId=" + escape, bearer(), "Connection: close")), false, PROMPT_MILLIS);
            assertBadRequest(r, escape);
            assertThat(r.body()).as(escape).contains("not valid UTF-8");
        }
        // a valid multi-byte escape decodes (and names no environment: 400 for the id, not for its encoding)
        RawHttp.Response valid = RawHttp.exchange(s.server.port(),
                ascii(head("GET", SECRETS + "/EXISTING?environmentId=%C3%A9", bearer(), "Connection: close")), false, PROMPT_MILLIS);
        assertThat(valid.body()).doesNotContain("UTF-8");
    }

    // ---- bodies that stop short or break their framing ----

    @Test
    void aBodyShorterThanItsContentLengthIsAPrompt400() {
        try (LogRecorder log = LogRecorder.open()) {
            byte[] request = concat(ascii(head("POST", SECRETS, bearer(), "Content-Type: application/json", "Content-Length: 100")),
                    ascii("{\"secrets\""));
            long started = System.nanoTime();
            RawHttp.Response r = RawHttp.exchange(s.server.port(), request, false, PROMPT_MILLIS);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertBadRequest(r, "short body, connection left open");
            assertThat(r.body()).contains("stopped arriving");
            assertThat(millis).as("answered after %d ms", millis).isLessThan(PROMPT_MILLIS);
            assertThat(log.troubles()).isEmpty();
        }
    }

    @Test
    void aBodyCutShortByTheClientIsA400() {
        try (LogRecorder log = LogRecorder.open()) {
            byte[] request = concat(ascii(head("POST", SECRETS, bearer(), "Content-Type: application/json", "Content-Length: 100")),
                    ascii("{\"secrets\""));
            RawHttp.Response r = RawHttp.exchange(s.server.port(), request, true, PROMPT_MILLIS);
            assertBadRequest(r, "short body, then half-closed");
            assertThat(r.body()).contains("ended before its declared length");
            assertThat(log.troubles()).isEmpty();
        }
    }

    /**
     * A client that resets its connection mid-body is gone: one INFO line naming the request and route, status 499 in
     * the request log (never a 500), no stack trace; the half-closed client above still gets its 400.
     */
    @Test
    void aClientThatResetsMidBodyIsOneInfoLineAnd499() throws Exception {
        try (dev.ekvault.server.testing.LogCapture capture = dev.ekvault.server.testing.LogCapture.open();
             LogRecorder log = LogRecorder.open()) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.server.port())) {
                socket.getOutputStream().write(ascii(head("POST", SECRETS, bearer(), "Content-Type: application/json", "Content-Length: 100")
                        + "{\"secrets\""));
                socket.getOutputStream().flush();
                Thread.sleep(200); // the body has begun to be read
                socket.setSoLinger(true, 0); // close with a reset
            }
            dev.ekvault.server.testing.Await.until("the request's log line", java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(20),
                    () -> capture.fields("ek.request").stream().anyMatch(f -> SECRETS_ROUTE.equals(f.get("route"))));
            Map<String, Object> line = capture.fields("ek.request").stream().filter(f -> SECRETS_ROUTE.equals(f.get("route"))).findFirst().orElseThrow();
            assertThat(line.get("status")).isEqualTo(499);
            List<String> gone = capture.records().stream().filter(r -> String.valueOf(r.getMessage()).contains("client disconnected"))
                    .map(r -> r.getLevel() + " " + r.getMessage()).toList();
            assertThat(gone).containsExactly("INFO request " + line.get("requestId") + " on " + SECRETS_ROUTE + ": client disconnected");
            assertThat(log.troubles()).isEmpty();
        }
        assertThat(s.get("/v1/workspace", s.ownerToken).status()).as("the server still answers").isEqualTo(200);
    }

    @Test
    void malformedChunkFramingIsA400WithoutAStackTrace() {
        try (LogRecorder log = LogRecorder.open()) {
            for (String chunks : List.of("zz\r\n{}\r\n0\r\n\r\n", "2\r\n{}XX0\r\n\r\n", "ffffffffffffffffffff\r\n{}\r\n")) {
                byte[] request = ascii(head("POST", SECRETS, bearer(), "Content-Type: application/json", "Transfer-Encoding: chunked") + chunks);
                RawHttp.Response r = RawHttp.exchange(s.server.port(), request, false, PROMPT_MILLIS);
                assertBadRequest(r, chunks);
                assertThat(r.body()).as(chunks).contains("malformed");
            }
            assertThat(log.troubles()).isEmpty();
        }
        assertThat(s.get("/v1/workspace", s.ownerToken).status()).as("the server still answers").isEqualTo(200);
    }

    @Test
    void aChunkedBodyThatStallsIsAPrompt400() {
        byte[] request = ascii(head("POST", SECRETS, bearer(), "Content-Type: application/json", "Transfer-Encoding: chunked")
                + "64\r\n{\"secrets\"");
        long started = System.nanoTime();
        RawHttp.Response r = RawHttp.exchange(s.server.port(), request, false, PROMPT_MILLIS);
        assertBadRequest(r, "stalled chunk");
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(PROMPT_MILLIS);
    }

    // ---- requests Jetty refuses ----

    @Test
    void malformedRequestsAre400sWithoutAStackTrace() {
        Map<String, String> requests = new LinkedHashMap<>();
        requests.put("bad escape in the path", "GET /v1/workspace/%ZZ HTTP/1.1\r\nHost: localhost\r\n" + bearer() + "\r\n\r\n");
        requests.put("escape that is not UTF-8 in the path", "GET /v1/workspace/%FF HTTP/1.1\r\nHost: localhost\r\n" + bearer() + "\r\n\r\n");
        requests.put("truncated escape in the path", "GET /v1/workspace/acme% HTTP/1.1\r\nHost: localhost\r\n" + bearer() + "\r\n\r\n");
        requests.put("invalid Host", "GET /v1/workspace HTTP/1.1\r\nHost: exa mple.com\r\n" + bearer() + "\r\n\r\n");
        requests.put("Host with a bad port", "GET /v1/workspace HTTP/1.1\r\nHost: localhost:http\r\n" + bearer() + "\r\n\r\n");
        requests.put("two Host headers", "GET /v1/workspace HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n" + bearer() + "\r\n\r\n");
        requests.put("no Host at all", "GET /v1/workspace HTTP/1.1\r\n" + bearer() + "\r\n\r\n");
        requests.put("header line without a colon", "GET /v1/workspace HTTP/1.1\r\nHost: localhost\r\nX-Broken-Line\r\n" + bearer() + "\r\n\r\n");
        requests.put("Content-Length that is not a number", "POST " + SECRETS + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: ten\r\n"
                + bearer() + "\r\n\r\n");
        List<String> failures = new ArrayList<>();
        try (LogRecorder log = LogRecorder.open()) {
            requests.forEach((what, request) -> {
                RawHttp.Response r = RawHttp.exchange(s.server.port(), ascii(request), false, PROMPT_MILLIS);
                if (r.status() != 400 || !r.body().startsWith("{\"message\":")) failures.add(what + ": " + r.status() + " " + r.body());
            });
            assertThat(failures).isEmpty();
            assertThat(log.troubles()).isEmpty();
        }
    }
}
