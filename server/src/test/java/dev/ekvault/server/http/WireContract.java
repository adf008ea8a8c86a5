package dev.ekvault.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.ekvault.server.testing.TestServer.quote;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every route must tolerate (API.md §1): trailing slashes, bodiless requests with or without a JSON content
 * type, unknown fields and parameters, slug-or-id path segments, URL-encoded keys, and errors as {@code {"message"}}
 * with the right status. Runs over real HTTP on each database through a one-line subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WireContract {
    abstract Backend backend();

    private static final String WS = "/v1/workspace/acme";
    private static final String PRJ = WS + "/project/web";
    private static final String SECRETS = PRJ + "/secret";
    private static final String UNAUTHORIZED = "missing, invalid or expired credential";

    TestServer s;
    String workspaceId;
    String projectId;
    String prod;
    String dev;

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        projectId = s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", true);
        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put("DB_HOST", "db.internal");
        secrets.put("MY-KEY_1", "dash-and-underscore");
        s.createSecrets("web", List.of(prod, dev), secrets);
        workspaceId = s.get("/v1/workspace", s.ownerToken).json().get(0).get("id").asText();
    }

    @AfterAll
    void stop() {
        if (s != null) s.close();
    }

    // ---- helpers ----

    private HttpResult postRaw(String path, String token, String contentType, String body) {
        HttpRequest.Builder b = s.request(path, token);
        if (contentType != null) b.header("Content-Type", contentType);
        return s.send(b.POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private RawHttp.Response raw(String method, String path, List<String> headers, byte[] body) {
        return RawHttp.send(s.server.port(), method, path, headers, body);
    }

    private String bearer() {
        return "Authorization: Bearer " + s.ownerToken;
    }

    private static void assertJsonError(HttpResult r, int status) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).as("content type of %s", r).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/json"));
        JsonNode body = r.json();
        assertThat(body.isObject()).as("error body is an object: %s", r).isTrue();
        assertThat(body.path("message").isTextual()).as("error body has a message: %s", r).isTrue();
        assertThat(body.path("message").asText()).as("message of %s", r).isNotBlank();
    }

    private String secretsBody(List<String> environments, String secretsJson) {
        List<String> quoted = new ArrayList<>();
        for (String e : environments) quoted.add(quote(e));
        return "{\"environments\":[" + String.join(",", quoted) + "],\"secrets\":" + secretsJson + "}";
    }

    // ---- trailing slash ----

    @Test
    void trailingSlashAndNoTrailingSlashAreTheSameRoute() {
        HttpResult bare = s.get("/v1/workspace", s.ownerToken);
        HttpResult slashed = s.get("/v1/workspace/", s.ownerToken);
        assertThat(bare.status()).isEqualTo(200);
        assertThat(slashed.status()).isEqualTo(200);
        assertThat(slashed.json()).isEqualTo(bare.json());
        assertThat(bare.json().get(0).get("slug").asText()).isEqualTo("acme");

        HttpResult envs = s.get(PRJ + "/environment", s.ownerToken);
        HttpResult envsSlashed = s.get(PRJ + "/environment/", s.ownerToken);
        assertThat(envs.status()).isEqualTo(200);
        assertThat(envsSlashed.status()).isEqualTo(200);
        assertThat(envsSlashed.json()).isEqualTo(envs.json());
        assertThat(envs.json().toString()).contains(prod, dev);

        HttpResult one = s.get(SECRETS + "/DB_HOST/?environmentId=" + prod, s.ownerToken);
        assertThat(one.status()).as("%s", one).isEqualTo(200);
        assertThat(one.json().get("name").asText()).isEqualTo("DB_HOST");

        HttpResult created = s.post(PRJ + "/environment/", s.ownerToken, "{\"name\":\"slashed\"}");
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.json().get("name").asText()).isEqualTo("slashed");
    }

    // ---- bodiless requests ----

    @Test
    void jsonContentTypeWithAnEmptyBodyWorksOnGet() {
        HttpResult plain = s.get("/v1/workspace", s.ownerToken);
        HttpResult withType = s.send(s.request("/v1/workspace", s.ownerToken).header("Content-Type", "application/json").GET());
        assertThat(withType.status()).as("%s", withType).isEqualTo(200);
        assertThat(withType.json()).isEqualTo(plain.json());

        // the exact bytes a client sends: an explicit Content-Length: 0 with the JSON type
        RawHttp.Response r = raw("GET", SECRETS + "?environmentId=" + prod,
                List.of(bearer(), "Content-Type: application/json", "Content-Length: 0"), null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("DB_HOST");
    }

    @Test
    void anEmptyPostBodyReadsAsAnEmptyObject() {
        // No POST route here has an optional body yet (the bodiless POST /v1/auth/exchange is not built), so the
        // proof is that an empty body reaches validation as {} (a 400 naming the missing field), not a 415 or 500.
        HttpResult withType = s.send(s.request(WS + "/team", s.ownerToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertJsonError(withType, 400);
        assertThat(withType.message()).contains("'name'");

        RawHttp.Response noType = raw("POST", WS + "/team", List.of(bearer(), "Content-Length: 0"), null);
        assertThat(noType.status()).as(noType.body()).isEqualTo(400);
        assertThat(noType.body()).contains("'name'");
    }

    @Test
    void deleteWithNoContentTypeAndNoBodyIs204() {
        JsonNode created = s.createSecrets("web", List.of(prod), Map.of("TO_DELETE", "bye"));
        String id = created.get(0).get("id").asText();
        assertThat(s.get(SECRETS + "/TO_DELETE", s.ownerToken).status()).isEqualTo(200);

        RawHttp.Response r = raw("DELETE", SECRETS + "/" + id, List.of(bearer()), null);
        assertThat(r.status()).as(r.body()).isEqualTo(204);
        assertThat(r.body()).isEmpty();
        assertThat(r.header("Content-Type")).isNull();
        assertThat(r.header("X-Request-Id")).isNotBlank();

        assertThat(s.get(SECRETS + "/TO_DELETE", s.ownerToken).status()).isEqualTo(404);
    }

    // ---- unknown fields, parameters and headers ----

    @Test
    void unknownJsonFieldsAreIgnored() {
        HttpResult env = s.post(PRJ + "/environment", s.ownerToken,
                "{\"name\":\"staging\",\"hasPersonalOverrides\":true,\"color\":\"blue\",\"extra\":{\"a\":[1,2,{\"b\":null}]}}");
        assertThat(env.status()).as("%s", env).isEqualTo(201);
        assertThat(env.json().get("name").asText()).isEqualTo("staging");

        HttpResult secret = s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod),
                "[{\"key\":\"UNKNOWN_FIELDS\",\"value\":\"v1\",\"type\":\"runtime\",\"dataType\":\"text\",\"reminder\":{\"type\":\"one_time\"},\"tags\":[\"x\"]}]")
                .replaceFirst("\\}$", ",\"source\":\"cli\",\"version\":3}"));
        assertThat(secret.status()).as("%s", secret).isEqualTo(201);
        HttpResult read = s.get(SECRETS + "/UNKNOWN_FIELDS?environmentId=" + prod, s.ownerToken);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json().get("values").get(0).get("value").asText()).isEqualTo("v1");
    }

    @Test
    void unknownQueryParametersAreIgnored() {
        HttpResult plain = s.get(SECRETS + "?environmentId=" + prod, s.ownerToken);
        HttpResult extra = s.get(SECRETS + "?utm_source=cli&environmentId=" + prod + "&page=2&flag", s.ownerToken);
        assertThat(plain.status()).isEqualTo(200);
        assertThat(extra.status()).as("%s", extra).isEqualTo(200);
        assertThat(extra.json()).isEqualTo(plain.json());
        // the known parameter still applies: only production values come back
        for (JsonNode secret : extra.json()) {
            for (JsonNode value : secret.get("values")) assertThat(value.get("environmentId").asText()).isEqualTo(prod);
        }

        HttpResult workspaces = s.get("/v1/workspace?limit=10&offset=0", s.ownerToken);
        assertThat(workspaces.status()).isEqualTo(200);
        assertThat(workspaces.json()).isEqualTo(s.get("/v1/workspace", s.ownerToken).json());

        HttpResult post = s.post(PRJ + "/environment?dryRun=true&x=%20", s.ownerToken, "{\"name\":\"qa\"}");
        assertThat(post.status()).as("%s", post).isEqualTo(201);
    }

    @Test
    void aProxyAuthorizationHeaderIsIgnored() {
        // the JDK client drops Proxy-Authorization when not talking to a proxy, hence the raw socket
        RawHttp.Response ok = raw("GET", "/v1/workspace", List.of(bearer(), "Proxy-Authorization: Basic dXNlcjpwYXNz"), null);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.body()).contains("\"acme\"");

        // and it is never taken as the credential
        RawHttp.Response alone = raw("GET", "/v1/workspace", List.of("Proxy-Authorization: Bearer " + s.ownerToken), null);
        assertThat(alone.status()).as(alone.body()).isEqualTo(401);
    }

    // ---- slug or id ----

    @Test
    void workspaceAndProjectSegmentsAcceptSlugOrId() {
        HttpResult bySlug = s.get(WS + "/team", s.ownerToken);
        HttpResult byId = s.get("/v1/workspace/" + workspaceId + "/team", s.ownerToken);
        assertThat(bySlug.status()).isEqualTo(200);
        assertThat(byId.status()).as("%s", byId).isEqualTo(200);
        assertThat(byId.json()).isEqualTo(bySlug.json());
        assertThat(bySlug.json()).isNotEmpty();

        HttpResult envBySlug = s.get(PRJ + "/environment", s.ownerToken);
        HttpResult envById = s.get(WS + "/project/" + projectId + "/environment", s.ownerToken);
        HttpResult envByBothIds = s.get("/v1/workspace/" + workspaceId + "/project/" + projectId + "/environment", s.ownerToken);
        assertThat(envBySlug.status()).isEqualTo(200);
        assertThat(envById.status()).as("%s", envById).isEqualTo(200);
        assertThat(envById.json()).isEqualTo(envBySlug.json());
        assertThat(envByBothIds.json()).isEqualTo(envBySlug.json());
        assertThat(envBySlug.json().toString()).contains(prod, dev);

        HttpResult secretBySlug = s.get(SECRETS + "/DB_HOST?environmentId=" + prod, s.ownerToken);
        HttpResult secretById = s.get("/v1/workspace/" + workspaceId + "/project/" + projectId + "/secret/DB_HOST?environmentId=" + prod, s.ownerToken);
        assertThat(secretById.status()).as("%s", secretById).isEqualTo(200);
        assertThat(secretById.json()).isEqualTo(secretBySlug.json());
    }

    // ---- URL-encoded keys ----

    @Test
    void theSecretKeyInThePathIsUrlDecoded() {
        HttpResult plain = s.get(SECRETS + "/MY-KEY_1?environmentId=" + prod, s.ownerToken);
        assertThat(plain.status()).as("%s", plain).isEqualTo(200);
        assertThat(plain.json().get("name").asText()).isEqualTo("MY-KEY_1");
        assertThat(plain.json().get("values").get(0).get("value").asText()).isEqualTo("dash-and-underscore");

        HttpResult encoded = s.get(SECRETS + "/MY%2DKEY%5F1?environmentId=" + prod, s.ownerToken);
        assertThat(encoded.status()).as("%s", encoded).isEqualTo(200);
        assertThat(encoded.json()).isEqualTo(plain.json());

        HttpResult lowerHex = s.get(SECRETS + "/MY%2dKEY%5f1?environmentId=" + prod, s.ownerToken);
        assertThat(lowerHex.status()).as("%s", lowerHex).isEqualTo(200);
        assertThat(lowerHex.json().get("name").asText()).isEqualTo("MY-KEY_1");

        // '+' decodes to a space: "A B" is no secret, so this is a plain 404, not a 400 or a 500
        HttpResult plus = s.get(SECRETS + "/A+B", s.ownerToken);
        assertJsonError(plus, 404);
        assertThat(plus.message()).contains("secret");
        HttpResult space = s.get(SECRETS + "/A%20B", s.ownerToken);
        assertJsonError(space, 404);
    }

    @Test
    void malformedPercentEncodingInTheQueryIsAJson400() {
        // java.net.URI refuses to build this address, hence the raw socket
        RawHttp.Response r = raw("GET", SECRETS + "?environmentId=%ZZ", List.of(bearer()), null);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.body()).startsWith("{\"message\":").contains("percent-encoding");
        assertThat(r.header("X-Request-Id")).isNotBlank();
    }

    @Test
    void pathsJettyRefusesStillGetAJsonErrorWithARequestId() {
        for (String path : List.of(SECRETS + "/%ZZ", SECRETS + "/A%2FB", "/v1//workspace")) {
            RawHttp.Response r = raw("GET", path, List.of(bearer()), null);
            assertThat(r.status()).as(path).isBetween(400, 499);
            assertThat(r.header("Content-Type")).as(path).startsWith("application/json");
            assertThat(r.body()).as(path).startsWith("{\"message\":");
            assertThat(r.header("X-Request-Id")).as(path).isNotBlank();
        }
    }

    // ---- 401 ----

    @Test
    void every401HasTheSameMessage() {
        String wellFormedUnknown = "ek_live_" + base62(43);
        List<HttpResult> results = new ArrayList<>();
        results.add(s.get("/v1/workspace", null));
        results.add(s.send(s.request("/v1/workspace", null).header("Authorization", "Bearer garbage").GET()));
        results.add(s.get("/v1/workspace", wellFormedUnknown));
        results.add(s.send(s.request("/v1/workspace", null).header("Authorization", "Basic dXNlcjpwYXNz").GET()));
        results.add(s.send(s.request("/v1/workspace", null).header("Authorization", "Token " + s.ownerToken).GET()));
        results.add(s.send(s.request("/v1/workspace", null).header("Authorization", "Bearer").GET()));
        results.add(s.send(s.request(SECRETS, null).header("Authorization", "Bearer " + s.ownerToken + "x").GET()));
        for (HttpResult r : results) {
            assertJsonError(r, 401);
            assertThat(r.message()).isEqualTo(UNAUTHORIZED);
            assertThat(r.body()).doesNotContain(s.ownerToken).doesNotContain(wellFormedUnknown);
        }
        assertThat(results.stream().map(HttpResult::body).distinct()).hasSize(1);

        // control: the same requests with the real credential pass
        assertThat(s.get("/v1/workspace", s.ownerToken).status()).isEqualTo(200);
        assertThat(s.send(s.request("/v1/workspace", null).header("Authorization", "bearer " + s.ownerToken).GET()).status())
                .as("the scheme name is case-insensitive").isEqualTo(200);
    }

    private static String base62(int length) {
        String alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return sb.toString();
    }

    // ---- 404 and 405 ----

    @Test
    void anUnknownRouteIs404() {
        assertJsonError(s.get("/v1/nope", s.ownerToken), 404);
        assertJsonError(s.get("/v2/workspace", s.ownerToken), 404);
        assertJsonError(s.get(PRJ + "/nothing-here", s.ownerToken), 404);
        assertJsonError(s.get(SECRETS + "/DB_HOST/extra", s.ownerToken), 404);
        assertJsonError(s.get("/no-such-page", s.ownerToken), 404); // "/" itself is the dashboard
    }

    @Test
    void aWrongMethodOnAKnownPathIs405WithAllow() {
        HttpResult delete = s.delete("/v1/workspace", s.ownerToken);
        assertJsonError(delete, 405);
        assertThat(delete.headers().firstValue("Allow")).hasValue("GET");

        HttpResult patch = s.send(s.request(WS + "/project", s.ownerToken).method("PATCH", HttpRequest.BodyPublishers.noBody()));
        assertJsonError(patch, 405);
        assertThat(allowed(patch)).containsExactlyInAnyOrder("GET", "POST");

        HttpResult post = s.post(SECRETS + "/DB_HOST", s.ownerToken, "{}");
        assertJsonError(post, 405);
        assertThat(allowed(post)).containsExactlyInAnyOrder("GET", "PUT", "DELETE");

        HttpResult put = s.put(SECRETS, s.ownerToken, "{}");
        assertJsonError(put, 405);
        assertThat(allowed(put)).containsExactlyInAnyOrder("GET", "POST");
    }

    private static List<String> allowed(HttpResult r) {
        List<String> methods = new ArrayList<>();
        for (String header : r.headers().allValues("Allow")) for (String m : header.split(",")) methods.add(m.strip());
        return methods;
    }

    @Test
    void anotherWorkspaceOrAMissingProjectIs404Not403() {
        assertJsonError(s.get("/v1/workspace/other/team", s.ownerToken), 404);
        assertJsonError(s.get("/v1/workspace/" + UUID.randomUUID() + "/team", s.ownerToken), 404);
        assertJsonError(s.get("/v1/workspace/other/project/web/secret", s.ownerToken), 404);
        assertJsonError(s.post("/v1/workspace/other/team", s.ownerToken, "{\"name\":\"x\"}"), 404);

        HttpResult missing = s.get(WS + "/project/nope/environment", s.ownerToken);
        assertJsonError(missing, 404);
        assertThat(missing.message()).contains("project");
        assertJsonError(s.get(WS + "/project/" + UUID.randomUUID() + "/secret", s.ownerToken), 404);
        assertJsonError(s.post(WS + "/project/nope/secret", s.ownerToken, secretsBody(List.of(prod),
                "[{\"key\":\"K\",\"value\":\"v\"}]")), 404);
    }

    // ---- bodies that are not JSON objects ----

    @Test
    void aNonEmptyTextPlainBodyIs415() {
        HttpResult r = postRaw(WS + "/team", s.ownerToken, "text/plain", "{\"name\":\"plain-team\"}");
        assertJsonError(r, 415);
        RawHttp.Response noType = raw("POST", WS + "/team", List.of(bearer()), "{\"name\":\"untyped-team\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(noType.status()).as(noType.body()).isEqualTo(415);
        assertThat(s.get(WS + "/team", s.ownerToken).body()).doesNotContain("plain-team").doesNotContain("untyped-team");

        // the JSON type with parameters or in upper case is still JSON
        HttpResult charset = postRaw(WS + "/team", s.ownerToken, "application/json; charset=utf-8", "{\"name\":\"charset-team\"}");
        assertThat(charset.status()).as("%s", charset).isEqualTo(201);
    }

    @Test
    void malformedJsonIs400() {
        for (String body : List.of("{\"name\":", "{name: \"x\"}", "{'name':'x'}", "{\"name\":\"x\",}", "\u00ff\u00fe")) {
            HttpResult r = s.post(WS + "/team", s.ownerToken, body);
            assertJsonError(r, 400);
            assertThat(r.message()).as("for body %s", body).containsIgnoringCase("JSON");
        }
    }

    @Test
    void contentAfterTheJsonObjectIs400() {
        for (String body : List.of("{\"name\":\"trailing-team\"} trailing", "{\"name\":\"trailing-team\"}{\"name\":\"second\"}",
                "{\"name\":\"trailing-team\"}]")) {
            HttpResult r = s.post(WS + "/team", s.ownerToken, body);
            assertJsonError(r, 400);
        }
        assertThat(s.get(WS + "/team", s.ownerToken).body()).doesNotContain("trailing-team");
    }

    @Test
    void aJsonBodyThatIsNotAnObjectIs400() {
        for (String body : List.of("[{\"name\":\"array-team\"}]", "\"array-team\"", "42", "true", "null")) {
            HttpResult r = s.post(WS + "/team", s.ownerToken, body);
            assertJsonError(r, 400);
        }
        assertThat(s.get(WS + "/team", s.ownerToken).body()).doesNotContain("array-team");
    }

    @Test
    void duplicateKeysInAJsonObjectAre400() {
        HttpResult top = s.post(WS + "/team", s.ownerToken, "{\"name\":\"dup-a\",\"name\":\"dup-b\"}");
        assertJsonError(top, 400);
        HttpResult nested = s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod),
                "[{\"key\":\"DUP_NESTED\",\"value\":\"a\",\"value\":\"b\"}]"));
        assertJsonError(nested, 400);
        assertThat(s.get(WS + "/team", s.ownerToken).body()).doesNotContain("dup-a").doesNotContain("dup-b");
        assertThat(s.get(SECRETS + "/DUP_NESTED", s.ownerToken).status()).isEqualTo(404);
    }

    // ---- validation names the field ----

    @Test
    void validationErrorsNameTheField() {
        HttpResult noSecrets = s.post(SECRETS, s.ownerToken, "{\"environments\":[" + quote(prod) + "]}");
        assertJsonError(noSecrets, 400);
        assertThat(noSecrets.message()).contains("'secrets'");

        HttpResult noEnvironments = s.post(SECRETS, s.ownerToken, "{\"secrets\":[{\"key\":\"K\",\"value\":\"v\"}]}");
        assertJsonError(noEnvironments, 400);
        assertThat(noEnvironments.message()).contains("'environments'");

        HttpResult badKey = s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod), "[{\"key\":\"BAD KEY\",\"value\":\"v\"}]"));
        assertJsonError(badKey, 400);
        assertThat(badKey.message()).contains("secrets[0].key");

        HttpResult secondBad = s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod),
                "[{\"key\":\"GOOD_FIRST\",\"value\":\"v\"},{\"key\":\"\",\"value\":\"v\"}]"));
        assertJsonError(secondBad, 400);
        assertThat(secondBad.message()).contains("secrets[1].key");
        assertThat(s.get(SECRETS + "/GOOD_FIRST", s.ownerToken).status()).as("a rejected request writes nothing").isEqualTo(404);

        HttpResult missingValue = s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod), "[{\"key\":\"NO_VALUE\"}]"));
        assertJsonError(missingValue, 400);
        assertThat(missingValue.message()).contains("secrets[0].value");

        HttpResult notUuid = s.post(SECRETS, s.ownerToken, secretsBody(List.of("not-a-uuid"), "[{\"key\":\"K\",\"value\":\"v\"}]"));
        assertJsonError(notUuid, 400);
        assertThat(notUuid.message()).contains("environments[0]");

        HttpResult secondNotUuid = s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod, "prod"), "[{\"key\":\"K\",\"value\":\"v\"}]"));
        assertJsonError(secondNotUuid, 400);
        assertThat(secondNotUuid.message()).contains("environments[1]");

        HttpResult wrongType = s.post(PRJ + "/environment", s.ownerToken, "{\"name\":\"typed\",\"hasPersonalOverrides\":\"yes\"}");
        assertJsonError(wrongType, 400);
        assertThat(wrongType.message()).contains("hasPersonalOverrides");

        HttpResult projectNoTeam = s.post(WS + "/project", s.ownerToken, "{\"name\":\"No Team\"}");
        assertJsonError(projectNoTeam, 400);
        assertThat(projectNoTeam.message()).contains("teamId");
    }

    // ---- 409 ----

    @Test
    void bulkCreatingAKeyThatHasAValueInThatEnvironmentIs409() {
        HttpResult again = s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod), "[{\"key\":\"DB_HOST\",\"value\":\"other\"}]"));
        assertJsonError(again, 409);
        assertThat(again.message()).contains("DB_HOST");
        HttpResult stored = s.get(SECRETS + "/DB_HOST?environmentId=" + prod, s.ownerToken);
        assertThat(stored.json().get("values").get(0).get("value").asText()).as("the conflict changed nothing").isEqualTo("db.internal");

        // a key with a value only elsewhere is no conflict; a second create in the same environment is
        HttpResult first = s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod), "[{\"key\":\"ONLY_PROD\",\"value\":\"p\"}]"));
        assertThat(first.status()).as("%s", first).isEqualTo(201);
        HttpResult elsewhere = s.post(SECRETS, s.ownerToken, secretsBody(List.of(dev), "[{\"key\":\"ONLY_PROD\",\"value\":\"d\"}]"));
        assertThat(elsewhere.status()).as("%s", elsewhere).isEqualTo(201);
        HttpResult twice = s.post(SECRETS, s.ownerToken, secretsBody(List.of(dev), "[{\"key\":\"ONLY_PROD\",\"value\":\"d2\"}]"));
        assertJsonError(twice, 409);
    }

    @Test
    void creatingAProjectWithATakenSlugIs409() {
        HttpResult r = s.post(WS + "/project", s.ownerToken,
                "{\"name\":\"Another Web\",\"slug\":\"web\",\"teamId\":\"" + s.defaultTeamId() + "\"}");
        assertJsonError(r, 409);
        assertThat(r.message()).contains("web");
        HttpResult projects = s.get(WS + "/project", s.ownerToken);
        assertThat(projects.body()).doesNotContain("Another Web");
    }

    // ---- no echo of secret values ----

    @Test
    void errorBodiesNeverEchoASubmittedValue() {
        String canary = "Canary" + base62(24);
        String env = quote(prod);
        Map<String, String> bodies = new LinkedHashMap<>();
        bodies.put("unquoted token", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"K1\",\"value\":" + canary + "}]}");
        bodies.put("unterminated string", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"K1\",\"value\":\"" + canary);
        bodies.put("control character in string", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"K1\",\"value\":\"" + canary + "\u0001\"}]}");
        bodies.put("bad escape", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"K1\",\"value\":\"" + canary + "\\q\"}]}");
        bodies.put("value not a string", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"K1\",\"value\":{\"v\":\"" + canary + "\"}}]}");
        bodies.put("duplicate value", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"K1\",\"value\":\"" + canary + "\",\"value\":\"" + canary + "2\"}]}");
        bodies.put("bad key", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"BAD KEY\",\"value\":\"" + canary + "\"}]}");
        bodies.put("bad type", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"K1\",\"value\":\"" + canary + "\",\"type\":\"" + canary + "\"}]}");
        bodies.put("conflict", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"DB_HOST\",\"value\":\"" + canary + "\"}]}");
        bodies.put("unknown environment", "{\"environments\":[\"" + UUID.randomUUID() + "\"],\"secrets\":[{\"key\":\"K1\",\"value\":\"" + canary + "\"}]}");
        bodies.put("environment not an id", "{\"environments\":[\"" + canary + "\"],\"secrets\":[{\"key\":\"K1\",\"value\":\"v\"}]}");
        bodies.put("value too large", "{\"environments\":[" + env + "],\"secrets\":[{\"key\":\"K1\",\"value\":\"" + canary.repeat(65536 / canary.length() + 1) + "\"}]}");
        bodies.put("array body", "[\"" + canary + "\"]");
        Set<Integer> statuses = new HashSet<>();
        for (Map.Entry<String, String> e : bodies.entrySet()) {
            HttpResult r = s.post(SECRETS, s.ownerToken, e.getValue());
            assertThat(r.status()).as("%s: %s", e.getKey(), r).isBetween(400, 499);
            assertThat(r.json().path("message").asText()).as(e.getKey()).isNotBlank();
            assertThat(r.body()).as(e.getKey()).doesNotContain(canary).doesNotContain(canary.substring(6));
            statuses.add(r.status());
        }
        assertThat(statuses).contains(400, 404, 409);

        HttpResult typed = postRaw(SECRETS, s.ownerToken, "text/plain", "value=" + canary);
        assertThat(typed.status()).isEqualTo(415);
        assertThat(typed.body()).doesNotContain(canary);

        HttpResult putTooBig = s.put(SECRETS + "/DB_HOST", s.ownerToken, "{\"values\":[{\"environmentId\":" + env
                + ",\"value\":\"" + canary.repeat(65536 / canary.length() + 1) + "\",\"isPersonal\":false}]}");
        assertJsonError(putTooBig, 400);
        assertThat(putTooBig.body()).doesNotContain(canary);
    }

    // ---- request id ----

    @Test
    void everyResponseCarriesARequestId() {
        JsonNode created = s.createSecrets("web", List.of(prod), Map.of("RID_DELETE", "x"));
        List<HttpResult> results = new ArrayList<>();
        results.add(s.get("/v1/workspace", s.ownerToken));                                            // 200
        results.add(s.get("/healthz", null));                                                        // 200, public
        results.add(s.post(PRJ + "/environment", s.ownerToken, "{\"name\":\"rid\"}"));                // 201
        results.add(s.delete(SECRETS + "/" + created.get(0).get("id").asText(), s.ownerToken));     // 204
        results.add(s.post(WS + "/team", s.ownerToken, "{"));                                        // 400
        results.add(s.get("/v1/workspace", null));                                                   // 401
        results.add(s.get("/v1/nope", s.ownerToken));                                                // 404
        results.add(s.delete("/v1/workspace", s.ownerToken));                                        // 405
        results.add(s.post(SECRETS, s.ownerToken, secretsBody(List.of(prod), "[{\"key\":\"DB_HOST\",\"value\":\"v\"}]"))); // 409
        results.add(postRaw(WS + "/team", s.ownerToken, "text/plain", "x"));                         // 415
        assertThat(results.stream().map(HttpResult::status).toList())
                .containsExactly(200, 200, 201, 204, 400, 401, 404, 405, 409, 415);
        Set<String> ids = new HashSet<>();
        for (HttpResult r : results) {
            String id = r.headers().firstValue("X-Request-Id").orElse(null);
            assertThat(id).as("X-Request-Id of %s", r).isNotNull().matches("[0-9a-f]{8,64}");
            ids.add(id);
        }
        assertThat(ids).as("each request has its own id").hasSize(results.size());
    }
}
