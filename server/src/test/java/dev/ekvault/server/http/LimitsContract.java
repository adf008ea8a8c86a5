package dev.ekvault.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static dev.ekvault.server.testing.TestServer.quote;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every documented request limit, with the default configuration (ConfigLoader): an input exactly AT the limit is
 * accepted and one unit OVER it is refused with 400 (413 for the body) and a message naming the field or limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LimitsContract {
    abstract Backend backend();

    static final int MAX_BODY_BYTES = 2 * 1024 * 1024;   // 2097152
    static final int MAX_JSON_DEPTH = 16;
    static final int MAX_KEY_LENGTH = 128;
    static final int MAX_VALUE_BYTES = 64 * 1024;        // 65536
    static final int MAX_SECRETS = 500;
    static final int MAX_ENVIRONMENTS = 50;
    static final int MAX_AUTHORIZATION = 8 * 1024;       // 8192

    private static final String PRJ = "/v1/workspace/acme/project/lim";
    private static final String SECRETS = PRJ + "/secret";

    TestServer s;
    String env;

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.createProject("lim");
        env = s.createEnvironment("lim", "production", false);
    }

    @AfterAll
    void stop() {
        if (s != null) s.close();
    }

    // ---- helpers ----

    private static String body(List<String> environments, List<String> secretItems, String extraFields) {
        List<String> quoted = new ArrayList<>();
        for (String e : environments) quoted.add(quote(e));
        return "{\"environments\":[" + String.join(",", quoted) + "],\"secrets\":[" + String.join(",", secretItems) + "]"
                + (extraFields == null ? "" : "," + extraFields) + "}";
    }

    private static String item(String key, String value) {
        return "{\"key\":" + quote(key) + ",\"value\":" + quote(value) + ",\"type\":\"runtime\",\"dataType\":\"text\"}";
    }

    private HttpResult create(String key, String value) {
        return s.post(SECRETS, s.ownerToken, body(List.of(env), List.of(item(key, value)), null));
    }

    private HttpResult postBytes(byte[] bytes, boolean chunked) {
        HttpRequest.BodyPublisher publisher = chunked
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))   // no Content-Length
                : HttpRequest.BodyPublishers.ofByteArray(bytes);
        return s.send(s.request(SECRETS, s.ownerToken).header("Content-Type", "application/json").POST(publisher));
    }

    private String storedValue(String key) {
        HttpResult r = s.get(SECRETS + "/" + key + "?environmentId=" + env, s.ownerToken);
        assertThat(r.status()).as("reading %s: %s", key, r).isEqualTo(200);
        return r.json().get("values").get(0).get("value").asText();
    }

    private int status(String key) {
        return s.get(SECRETS + "/" + key, s.ownerToken).status();
    }

    private static void assertError(HttpResult r, int status, String... mentions) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        String message = r.json().path("message").asText();
        assertThat(message).as("message of %s", r).isNotBlank();
        for (String m : mentions) assertThat(message).as("message of %s", r).contains(m);
    }

    // ---- key length ----

    @Test
    void keyLength128IsAcceptedAnd129Refused() {
        String atLimit = "K" + "A".repeat(MAX_KEY_LENGTH - 1);
        assertThat(atLimit).hasSize(128);
        HttpResult ok = create(atLimit, "v");
        assertThat(ok.status()).as("%s", ok).isEqualTo(201);
        assertThat(ok.json().get(0).get("name").asText()).isEqualTo(atLimit);
        assertThat(storedValue(atLimit)).isEqualTo("v");

        String over = "K" + "B".repeat(MAX_KEY_LENGTH);
        assertThat(over).hasSize(129);
        assertError(create(over, "v"), 400, "secrets[0].key", "128");
        assertThat(status(over)).isEqualTo(404);

        // renaming is held to the same limit
        String id = ok.json().get(0).get("id").asText();
        assertError(s.put(SECRETS + "/" + id, s.ownerToken, "{\"name\":" + quote(over) + "}"), 400, "name", "128");
        String renamed = "R" + "C".repeat(MAX_KEY_LENGTH - 1);
        HttpResult rename = s.put(SECRETS + "/" + id, s.ownerToken, "{\"name\":" + quote(renamed) + "}");
        assertThat(rename.status()).as("%s", rename).isEqualTo(200);
        assertThat(rename.json().get("name").asText()).isEqualTo(renamed);
    }

    // ---- value size ----

    @Test
    void valueOf65536BytesIsAcceptedAnd65537Refused() {
        String atLimit = "a".repeat(MAX_VALUE_BYTES);
        HttpResult ok = create("VALUE_AT_LIMIT", atLimit);
        assertThat(ok.status()).as("%s", ok.status()).isEqualTo(201);
        assertThat(storedValue("VALUE_AT_LIMIT")).isEqualTo(atLimit);

        HttpResult over = create("VALUE_OVER_LIMIT", "a".repeat(MAX_VALUE_BYTES + 1));
        assertError(over, 400, "secrets[0].value", "65536");
        assertThat(status("VALUE_OVER_LIMIT")).isEqualTo(404);
    }

    @Test
    void theValueLimitCountsUtf8BytesNotCharacters() {
        // '€' is 3 UTF-8 bytes: 21845 of them plus one ASCII letter is exactly 65536 bytes
        String euroAtLimit = "€".repeat(21845) + "x";
        assertThat(euroAtLimit.getBytes(StandardCharsets.UTF_8)).hasSize(MAX_VALUE_BYTES);
        HttpResult ok = create("EURO_AT_LIMIT", euroAtLimit);
        assertThat(ok.status()).as("%s", ok.status()).isEqualTo(201);
        assertThat(storedValue("EURO_AT_LIMIT")).isEqualTo(euroAtLimit);

        // 21846 characters only, but 65538 bytes
        String euroOver = "€".repeat(21846);
        assertThat(euroOver).hasSize(21846);
        assertThat(euroOver.getBytes(StandardCharsets.UTF_8)).hasSize(65538);
        assertError(create("EURO_OVER", euroOver), 400, "secrets[0].value", "65536");
        assertThat(status("EURO_OVER")).isEqualTo(404);

        // 4-byte characters (two UTF-16 units each): 16384 of them is exactly 65536 bytes; one more byte is over
        String emoji = new String(Character.toChars(0x1F600));
        String emojiAtLimit = emoji.repeat(16384);
        assertThat(emojiAtLimit.getBytes(StandardCharsets.UTF_8)).hasSize(MAX_VALUE_BYTES);
        HttpResult emojiOk = create("EMOJI_AT_LIMIT", emojiAtLimit);
        assertThat(emojiOk.status()).as("%s", emojiOk.status()).isEqualTo(201);
        assertThat(storedValue("EMOJI_AT_LIMIT")).isEqualTo(emojiAtLimit);
        assertError(create("EMOJI_OVER", emojiAtLimit + "x"), 400, "secrets[0].value", "65536");
    }

    @Test
    void anUpdatedValueIsHeldToTheSameLimit() {
        HttpResult created = create("UPDATED_VALUE", "small");
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().get(0).get("id").asText();
        String atLimit = "€".repeat(21845) + "y";
        HttpResult ok = s.put(SECRETS + "/" + id, s.ownerToken,
                "{\"values\":[{\"environmentId\":" + quote(env) + ",\"value\":" + quote(atLimit) + ",\"isPersonal\":false}]}");
        assertThat(ok.status()).as("%s", ok.status()).isEqualTo(200);
        assertThat(storedValue("UPDATED_VALUE")).isEqualTo(atLimit);

        HttpResult over = s.put(SECRETS + "/" + id, s.ownerToken,
                "{\"values\":[{\"environmentId\":" + quote(env) + ",\"value\":" + quote("€".repeat(21846)) + ",\"isPersonal\":false}]}");
        assertError(over, 400, "values[0].value", "65536");
        assertThat(storedValue("UPDATED_VALUE")).isEqualTo(atLimit);
    }

    // ---- body size ----

    /** A valid create-secret body for {@code key}, padded with spaces before its closing brace to exactly {@code size} bytes. */
    private byte[] paddedWithSpaces(String key, int size) {
        String json = body(List.of(env), List.of(item(key, "v")), null);
        String padded = json.substring(0, json.length() - 1) + " ".repeat(size - json.length()) + "}";
        byte[] bytes = padded.getBytes(StandardCharsets.UTF_8);
        assertThat(bytes).hasSize(size);
        return bytes;
    }

    /** The same, padded with a long unknown string field instead. */
    private byte[] paddedWithUnknownField(String key, int size) {
        String json = body(List.of(env), List.of(item(key, "v")), "\"padding\":\"\"");
        String padded = json.substring(0, json.length() - 2) + "x".repeat(size - json.length()) + "\"}";
        byte[] bytes = padded.getBytes(StandardCharsets.UTF_8);
        assertThat(bytes).hasSize(size);
        return bytes;
    }

    @Test
    void aBodyOf2MiBIsAcceptedAndOneByteMoreIs413() {
        HttpResult ok = postBytes(paddedWithSpaces("BODY_SPACES_AT", MAX_BODY_BYTES), false);
        assertThat(ok.status()).as("%s", ok.status() + " " + ok.body()).isEqualTo(201);
        assertThat(storedValue("BODY_SPACES_AT")).isEqualTo("v");

        HttpResult over = postBytes(paddedWithSpaces("BODY_SPACES_OVER", MAX_BODY_BYTES + 1), false);
        assertError(over, 413, "2097152");
        assertThat(over.headers().firstValue("X-Request-Id")).isPresent();
        assertThat(status("BODY_SPACES_OVER")).isEqualTo(404);
    }

    @Test
    void aBodyPaddedWithAnUnknownFieldIsHeldToTheSameLimit() {
        HttpResult ok = postBytes(paddedWithUnknownField("BODY_FIELD_AT", MAX_BODY_BYTES), false);
        assertThat(ok.status()).as("%s", ok.status() + " " + ok.body()).isEqualTo(201);
        assertThat(storedValue("BODY_FIELD_AT")).isEqualTo("v");

        assertError(postBytes(paddedWithUnknownField("BODY_FIELD_OVER", MAX_BODY_BYTES + 1), false), 413, "2097152");
        assertThat(status("BODY_FIELD_OVER")).isEqualTo(404);
    }

    @Test
    void aChunkedBodyWithNoDeclaredLengthIsHeldToTheSameLimit() {
        HttpResult ok = postBytes(paddedWithSpaces("BODY_CHUNKED_AT", MAX_BODY_BYTES), true);
        assertThat(ok.status()).as("%s", ok.status() + " " + ok.body()).isEqualTo(201);
        assertThat(storedValue("BODY_CHUNKED_AT")).isEqualTo("v");

        assertError(postBytes(paddedWithSpaces("BODY_CHUNKED_OVER", MAX_BODY_BYTES + 1), true), 413, "2097152");
        assertThat(status("BODY_CHUNKED_OVER")).isEqualTo(404);
        // the server is still answering
        assertThat(s.get("/v1/workspace", s.ownerToken).status()).isEqualTo(200);
    }

    // ---- JSON depth ----

    /** {@code levels} nested containers, alternating arrays and objects. */
    private static String nested(int levels) {
        StringBuilder open = new StringBuilder();
        StringBuilder close = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            if (i % 2 == 0) {
                open.append('[');
                close.insert(0, ']');
            } else {
                open.append("{\"a\":");
                close.insert(0, '}');
            }
        }
        return open + "0" + close;
    }

    @Test
    void jsonNestedSixteenDeepIsAcceptedAndSeventeenRefused() {
        // the body object is level 1, so an unknown field holding 15 nested containers makes 16 levels
        HttpResult ok = s.post(SECRETS, s.ownerToken,
                body(List.of(env), List.of(item("DEPTH_AT_LIMIT", "v")), "\"deep\":" + nested(MAX_JSON_DEPTH - 1)));
        assertThat(ok.status()).as("%s", ok).isEqualTo(201);
        assertThat(storedValue("DEPTH_AT_LIMIT")).isEqualTo("v");

        HttpResult over = s.post(SECRETS, s.ownerToken,
                body(List.of(env), List.of(item("DEPTH_OVER", "v")), "\"deep\":" + nested(MAX_JSON_DEPTH)));
        assertError(over, 400, "nesting", "16");
        assertThat(status("DEPTH_OVER")).isEqualTo(404);

        // inside a secret item (itself at level 3) the same count applies: 13 more containers make 16, 14 make 17
        String inItemOk = "{\"key\":\"DEPTH_IN_ITEM\",\"value\":\"v\",\"meta\":" + nested(MAX_JSON_DEPTH - 3) + "}";
        HttpResult okInItem = s.post(SECRETS, s.ownerToken, body(List.of(env), List.of(inItemOk), null));
        assertThat(okInItem.status()).as("%s", okInItem).isEqualTo(201);
        String inItemOver = "{\"key\":\"DEPTH_IN_ITEM_OVER\",\"value\":\"v\",\"meta\":" + nested(MAX_JSON_DEPTH - 2) + "}";
        assertError(s.post(SECRETS, s.ownerToken, body(List.of(env), List.of(inItemOver), null)), 400, "nesting", "16");
    }

    // ---- secrets per request ----

    @Test
    void fiveHundredSecretsInOneRequestAreAcceptedAnd501Refused() {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < MAX_SECRETS; i++) items.add(item("BULK_" + i, "v" + i));
        HttpResult ok = s.post(SECRETS, s.ownerToken, body(List.of(env), items, null));
        assertThat(ok.status()).as("%s", ok.status() + " " + ok.body()).isEqualTo(201);
        assertThat(ok.json()).hasSize(MAX_SECRETS);
        assertThat(storedValue("BULK_499")).isEqualTo("v499");

        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i <= MAX_SECRETS; i++) tooMany.add(item("OVER_" + i, "v"));
        assertThat(tooMany).hasSize(501);
        assertError(s.post(SECRETS, s.ownerToken, body(List.of(env), tooMany, null)), 400, "'secrets'", "500");
        assertThat(status("OVER_0")).isEqualTo(404);
    }

    // ---- environments per request ----

    @Test
    void fiftyEnvironmentsInOneRequestAreAcceptedAnd51Refused() {
        // At the limit with 50 REAL environments (a separate project), so the request must fully succeed.
        s.createProject("fifty");
        List<String> fifty = new ArrayList<>();
        for (int i = 0; i < MAX_ENVIRONMENTS; i++) fifty.add(s.createEnvironment("fifty", "env-" + i, false));
        HttpResult ok = s.post("/v1/workspace/acme/project/fifty/secret", s.ownerToken, body(fifty, List.of(item("IN_FIFTY", "v")), null));
        assertThat(ok.status()).as("%s", ok).isEqualTo(201);
        JsonNode values = ok.json().get(0).get("values");
        assertThat(values).hasSize(MAX_ENVIRONMENTS);

        // Over the limit: 50 real ids plus one more is refused by count, before any lookup.
        List<String> fiftyOne = new ArrayList<>(fifty);
        fiftyOne.add(UUID.randomUUID().toString());
        assertError(s.post("/v1/workspace/acme/project/fifty/secret", s.ownerToken, body(fiftyOne, List.of(item("IN_FIFTY_ONE", "v")), null)),
                400, "'environments'", "50");
        assertThat(s.get("/v1/workspace/acme/project/fifty/secret/IN_FIFTY_ONE", s.ownerToken).status()).isEqualTo(404);

        // 51 random ids: still the count 400, not the 404 a lookup of unknown environments would give
        List<String> randomIds = new ArrayList<>();
        for (int i = 0; i <= MAX_ENVIRONMENTS; i++) randomIds.add(UUID.randomUUID().toString());
        assertError(s.post(SECRETS, s.ownerToken, body(randomIds, List.of(item("RANDOM_51", "v")), null)), 400, "'environments'", "50");
        // and 50 random ids pass the count check and fail only at the lookup (404)
        assertError(s.post(SECRETS, s.ownerToken, body(randomIds.subList(0, MAX_ENVIRONMENTS), List.of(item("RANDOM_50", "v")), null)),
                404, "environment");
    }

    // ---- headers ----

    @Test
    void anAuthorizationHeaderOver8KiBIs401() {
        // "Bearer", spaces, then the real token: the server strips the spaces, so only the length decides
        String prefix = "Bearer ";
        String atLimit = prefix + " ".repeat(MAX_AUTHORIZATION - prefix.length() - s.ownerToken.length()) + s.ownerToken;
        assertThat(atLimit).hasSize(MAX_AUTHORIZATION);
        HttpResult ok = s.send(s.request("/v1/workspace", null).header("Authorization", atLimit).GET());
        assertThat(ok.status()).as("%s", ok).isEqualTo(200);

        String over = prefix + " ".repeat(MAX_AUTHORIZATION + 1 - prefix.length() - s.ownerToken.length()) + s.ownerToken;
        assertThat(over).hasSize(MAX_AUTHORIZATION + 1);
        HttpResult refused = s.send(s.request("/v1/workspace", null).header("Authorization", over).GET());
        assertError(refused, 401);
        assertThat(refused.message()).isEqualTo(s.get("/v1/workspace", null).message());

        HttpResult garbage = s.send(s.request("/v1/workspace", null).header("Authorization", "Bearer " + "x".repeat(10_000)).GET());
        assertError(garbage, 401);
    }

    @Test
    void a20KBHeaderIsRefusedAndTheServerAnswersTheNextRequest() {
        HttpResult big = s.send(s.request("/v1/workspace", s.ownerToken).header("X-Padding", "p".repeat(20_000)).GET());
        assertThat(big.status()).as("%s", big.status()).isBetween(400, 499);

        HttpResult next = s.get("/v1/workspace", s.ownerToken);
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.json().get(0).get("slug").asText()).isEqualTo("acme");
    }
}
