package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.yaml.snakeyaml.Yaml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET …/secret/export} (issue 14, part 4) over real HTTP: every format read back by a parser that is not ours
 * gives the exact values (awkward ones: lines, quotes, backslashes, '$', references, '#', '=', spaces, tabs,
 * unicode, YAML look-alikes), the secret named "export" stays readable, and the list's access rules and VIEW entry hold.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SecretExportContract {
    abstract Backend backend();

    static final String BASE = "/v1/workspace/acme/project/exp/secret";
    static final ObjectMapper JSON = new ObjectMapper();

    /** The awkward values (each must come back exactly), by key. */
    static final Map<String, String> AWKWARD = new LinkedHashMap<>();

    static {
        AWKWARD.put("OTHER", "other-value");
        AWKWARD.put("MULTI_LINE", "line one\nline two\n  indented \"quoted\"\n");
        AWKWARD.put("CRLF", "windows\r\nline\r\n");
        AWKWARD.put("DOUBLE_QUOTES", "say \"hi\" and \"\"");
        AWKWARD.put("SINGLE_QUOTES", "it's 'quoted' ''");
        AWKWARD.put("BOTH_QUOTES", "'\"mixed\"' \"'");
        AWKWARD.put("BACKSLASHES", "C:\\path\\to\\file \\\\server\\share \\n is not a newline \\\" \\' \\t");
        AWKWARD.put("TRAILING_BACKSLASH", "ends with \\");
        AWKWARD.put("DOLLAR", "$HOME costs $5 and $ alone");
        AWKWARD.put("REFERENCE", "${OTHER}");
        AWKWARD.put("REFERENCE_TEXT", "pre-${OTHER}-post $OTHER");
        AWKWARD.put("DOLLAR_AND_QUOTE", "it's $HOME");
        AWKWARD.put("DOLLAR_AND_BACKSLASHES", "$x \\\\ y");
        AWKWARD.put("DOLLAR_MULTI_LINE", "$a\n$b");
        AWKWARD.put("HASH", "#not a comment # at all #");
        AWKWARD.put("EQUALS", "a=b==c=");
        AWKWARD.put("SPACES", "  leading and trailing  ");
        AWKWARD.put("ONE_SPACE", " ");
        AWKWARD.put("TABS", "\tcol1\tcol2\t");
        AWKWARD.put("UNICODE", "héllo wörld — ünïcødé ✓ 日本語 😀🔐 é");
        AWKWARD.put("SEPARATORS", "nel\u0085ls\u2028ps\u2029nbsp\u00a0bom\ufeffend");
        AWKWARD.put("YAML_TRUE", "true");
        AWKWARD.put("YAML_YES", "yes");
        AWKWARD.put("YAML_OCTAL", "0123");
        AWKWARD.put("YAML_NULL", "null");
        AWKWARD.put("YAML_TILDE", "~");
        AWKWARD.put("YAML_FLOAT", "1e3");
        AWKWARD.put("YAML_DATE", "2026-12-06");
        AWKWARD.put("YAML_FLOW", "{a: [1, 2]}, - item: &anchor *alias !tag");
        AWKWARD.put("JSON_LIKE", "{\"a\": [1, 2], \"b\": null}");
        AWKWARD.put("COLON", "key: value");
        AWKWARD.put("export", "a secret named export");
    }

    TestServer s;
    String prod;
    String dev;

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.createProject("exp");
        prod = s.createEnvironment("exp", "production", false);
        dev = s.createEnvironment("exp", "dev", true);
        s.createSecrets("exp", List.of(prod), AWKWARD);
        s.createSecrets("exp", List.of(dev), Map.of("DEV_ONLY", "dev value", "API_URL", "https://shared"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private HttpResult export(String environmentId, String format, String token) {
        return s.get(BASE + "/export?environmentId=" + environmentId + "&format=" + format, token);
    }

    @Test
    void dotenvReadBackByPythonDotenvGivesTheExactValues() {
        HttpResult r = export(prod, "dotenv", s.ownerToken);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(r.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\".env\"");
        assertThat(r.body().lines().count()).as("one line per key").isEqualTo(AWKWARD.size());
        Map<String, String> parsed = DotenvReaders.pythonDotenv(r.body());
        Map<String, String> expected = new LinkedHashMap<>(AWKWARD);
        // documented: python-dotenv takes a backslash before the closing quote for an escape whatever precedes it, so
        // no quoting holds a value that ends in a backslash there (ek import and the dashboard count the backslashes)
        assertThat(parsed.get("TRAILING_BACKSLASH")).isNotEqualTo(AWKWARD.get("TRAILING_BACKSLASH"));
        expected.remove("TRAILING_BACKSLASH");
        Map<String, String> rest = DotenvReaders.pythonDotenv(r.body().replaceAll("(?m)^TRAILING_BACKSLASH=.*\n", ""));
        assertThat(rest).containsExactlyInAnyOrderEntriesOf(expected);
    }

    @Test
    void dotenvReadBackByTheDashboardsOwnParserGivesTheExactValues() {
        String text = export(prod, "dotenv", s.ownerToken).body();
        assertThat(DotenvReaders.dashboard(text)).containsExactlyInAnyOrderEntriesOf(AWKWARD);
    }

    @Test
    void dotenvQuotingIsChosenPerValue() {
        assertThat(SecretExport.dotenvValue("plain")).isEqualTo("\"plain\"");
        assertThat(SecretExport.dotenvValue("${OTHER}")).as("single quotes: no reader expands them").isEqualTo("'${OTHER}'");
        assertThat(SecretExport.dotenvValue("C:\\dir $x")).isEqualTo("'C:\\dir $x'");
        assertThat(SecretExport.dotenvValue("it's $x")).isEqualTo("\"it's $x\"");
        assertThat(SecretExport.dotenvValue("a\nb\r\"\\")).isEqualTo("\"a\\nb\\r\\\"\\\\\"");
        String text = export(prod, "dotenv", s.ownerToken).body();
        assertThat(text).contains("REFERENCE='${OTHER}'\n").contains("MULTI_LINE=\"line one\\nline two\\n  indented \\\"quoted\\\"\\n\"\n");
    }

    @Test
    void yamlReadBackBySnakeYamlGivesTheExactValuesAsText() {
        HttpResult r = export(prod, "yaml", s.ownerToken);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/yaml");
        Object loaded = new Yaml().load(r.body());
        assertThat(loaded).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<Object, Object> map = (Map<Object, Object>) loaded;
        for (Object value : map.values()) assertThat(value).as("every value is a string, never a bool/int/null/date").isInstanceOf(String.class);
        assertThat(map).containsExactlyInAnyOrderEntriesOf(new LinkedHashMap<Object, Object>(AWKWARD));
    }

    @Test
    void jsonIsAnObjectOfKeysToValues() throws Exception {
        HttpResult r = export(prod, "json", s.ownerToken);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.headers().firstValue("Content-Disposition")).isEmpty();
        Map<String, String> parsed = JSON.readValue(r.body(), JSON.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, String.class));
        assertThat(parsed).containsExactlyInAnyOrderEntriesOf(AWKWARD);
    }

    @Test
    void anEmptyEnvironmentExportsAnEmptyFileInEachFormat() {
        String empty = s.createEnvironment("exp", "empty", false);
        assertThat(export(empty, "dotenv", s.ownerToken).body()).isEmpty();
        assertThat(export(empty, "json", s.ownerToken).body()).isEqualTo("{}");
        assertThat((Map<?, ?>) new Yaml().load(export(empty, "yaml", s.ownerToken).body())).isEmpty();
    }

    @Test
    void resolveExpandsReferencesAndRawLeavesThem() throws Exception {
        JsonNode raw = JSON.readTree(export(prod, "json", s.ownerToken).body());
        assertThat(raw.get("REFERENCE").asText()).isEqualTo("${OTHER}");
        HttpResult resolved = s.get(BASE + "/export?environmentId=" + prod + "&format=json&resolve=true", s.ownerToken);
        assertThat(resolved.status()).isEqualTo(200);
        assertThat(JSON.readTree(resolved.body()).get("REFERENCE").asText()).isEqualTo("other-value");
        assertThat(JSON.readTree(resolved.body()).get("REFERENCE_TEXT").asText()).isEqualTo("pre-other-value-post $OTHER");
        assertThat(DotenvReaders.pythonDotenv(s.get(BASE + "/export?environmentId=" + prod + "&format=dotenv&resolve=true", s.ownerToken).body())
                .get("REFERENCE")).isEqualTo("other-value");
    }

    @Test
    void withoutAFormatTheSecretNamedExportIsAnsweredAsBefore() {
        HttpResult secret = s.get(BASE + "/export?environmentId=" + prod, s.ownerToken);
        assertThat(secret.status()).isEqualTo(200);
        assertThat(secret.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(secret.json().get("name").asText()).isEqualTo("export");
        assertThat(secret.json().get("values").get(0).get("value").asText()).isEqualTo("a secret named export");
        HttpResult bare = s.get(BASE + "/export", s.ownerToken);
        assertThat(bare.json().get("name").asText()).isEqualTo("export");
        // the same answer as any other key: the secret's id works, and a project without one says "secret not found"
        assertThat(s.get(BASE + "/" + secret.json().get("id").asText(), s.ownerToken).json().get("name").asText()).isEqualTo("export");
        s.createProject("noexp");
        s.createEnvironment("noexp", "main", false);
        HttpResult missing = s.get("/v1/workspace/acme/project/noexp/secret/export", s.ownerToken);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.message()).isEqualTo("secret not found");
    }

    @Test
    void theEnvironmentIsRequiredAndTheFormatMustBeKnown() {
        HttpResult noEnvironment = s.get(BASE + "/export?format=dotenv", s.ownerToken);
        assertThat(noEnvironment.status()).isEqualTo(400);
        assertThat(noEnvironment.message()).contains("environmentId");
        for (String format : List.of("xml", "", "DOTENV")) {
            HttpResult bad = export(prod, format, s.ownerToken);
            assertThat(bad.status()).as(format).isEqualTo(400);
            assertThat(bad.message()).contains("'format'");
        }
        assertThat(export(java.util.UUID.randomUUID().toString(), "dotenv", s.ownerToken).status()).isEqualTo(404);
        assertThat(s.get(BASE + "/export?environment_id=" + prod + "&format=json", s.ownerToken).status())
                .as("the other spelling of the parameter, as the list takes it").isEqualTo(200);
    }

    @Test
    void aScopedTokenExportsOnlyItsEnvironments() {
        String prodOnly = s.createToken(s.ownerToken, "read", "{\"all\":false,\"environments\":[\"" + prod + "\"]}");
        assertThat(export(prod, "json", prodOnly).status()).as("the control: its own environment").isEqualTo(200);
        HttpResult refused = export(dev, "json", prodOnly);
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.body()).doesNotContain("dev value");
    }

    @Test
    void aPersonsOwnOverrideWinsOverTheSharedValueAsClientsInjectIt() throws Exception {
        String alice = s.addPersonWithCredential("alice-" + backend() + "@example.com", Role.DEVELOPER, Scope.ALL,
                Credential.Kind.CLI, Permission.READ_WRITE, Scope.ALL);
        String bob = s.addPersonWithCredential("bob-" + backend() + "@example.com", Role.DEVELOPER, Scope.ALL,
                Credential.Kind.CLI, Permission.READ_WRITE, Scope.ALL);
        String id = s.get(BASE + "/API_URL", s.ownerToken).json().get("id").asText();
        assertThat(s.put(BASE + "/" + id, alice, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"http://localhost\",\"isPersonal\":true}]}")
                .status()).isEqualTo(200);
        JsonNode forAlice = JSON.readTree(export(dev, "json", alice).body());
        assertThat(forAlice.get("API_URL").asText()).isEqualTo("http://localhost");
        assertThat(forAlice.get("DEV_ONLY").asText()).isEqualTo("dev value");
        assertThat(JSON.readTree(export(dev, "json", bob).body()).get("API_URL").asText()).isEqualTo("https://shared");
        assertThat(JSON.readTree(export(dev, "json", s.ownerToken).body()).get("API_URL").asText()).isEqualTo("https://shared");
    }

    @Test
    void eachExportIsAViewEntryNamingTheFormatAndNeverAValue() {
        HttpResult r = export(prod, "yaml", s.ownerToken);
        JsonNode entry = s.get("/v1/workspace/acme/audit?action=view&environment=" + prod, s.ownerToken).json().get("entries").get(0);
        assertThat(entry.get("requestId").asText()).isEqualTo(r.headers().firstValue("X-Request-Id").orElseThrow());
        assertThat(entry.get("after").get("export").asText()).isEqualTo("yaml");
        List<String> names = new ArrayList<>();
        entry.get("after").get("secrets").forEach(n -> names.add(n.asText()));
        assertThat(names).containsExactlyInAnyOrderElementsOf(AWKWARD.keySet());
        assertThat(entry.toString()).doesNotContain("other-value").doesNotContain("a secret named export");
        HttpResult resolved = s.get(BASE + "/export?environmentId=" + prod + "&format=dotenv&resolve=true", s.ownerToken);
        JsonNode second = s.get("/v1/workspace/acme/audit?action=view&environment=" + prod, s.ownerToken).json().get("entries").get(0);
        assertThat(second.get("requestId").asText()).isEqualTo(resolved.headers().firstValue("X-Request-Id").orElseThrow());
        assertThat(second.get("after").get("export").asText()).isEqualTo("dotenv");
        assertThat(second.get("after").get("resolved").asBoolean()).isTrue();
    }
}
