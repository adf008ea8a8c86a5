package dev.ekvault.server.config;

import dev.ekvault.server.testing.RepoDocs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Setting#ALL} is the one table of configuration keys: the loader accepts exactly its keys and reads each of
 * them, the help text lists exactly them, and so does the README's configuration table (with the same defaults).
 */
class SettingTableTest {
    private final ConfigLoader loader = new ConfigLoader();

    private static Set<String> keys() {
        return Setting.ALL.stream().map(Setting::key).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    @Test
    void theHelpListsEveryKeyAndNoOther() {
        Matcher flag = Pattern.compile("--[a-z][a-z0-9-]*").matcher(Setting.help());
        Set<String> named = new LinkedHashSet<>();
        while (flag.find()) named.add(flag.group());
        named.removeAll(Set.of("--config", "--key")); // the header's --config FILE and --key=value
        assertThat(named).containsExactlyInAnyOrderElementsOf(Setting.ALL.stream().map(Setting::flag).toList());
        for (Setting setting : Setting.ALL) {
            String line = Setting.help().lines().filter(l -> l.startsWith("  " + setting.flag() + " ") || l.startsWith("  " + setting.flag() + "="))
                    .findFirst().orElseThrow();
            assertThat(line).as("the help line of %s", setting.key())
                    .contains(setting.defaultValue().isEmpty() ? setting.flag() + " " : setting.flag() + "=" + setting.defaultValue() + " ")
                    .contains(setting.meaning());
            assertThat(line.contains("(secret)")).as("%s is marked secret exactly when it is", setting.key()).isEqualTo(setting.secret());
        }
    }

    @Test
    void everyKeyIsAcceptedAtItsDefaultInEveryLayer(@TempDir Path dir) throws Exception {
        Config defaults = loader.load(List.of(), Map.of());
        List<String> flags = new ArrayList<>();
        Map<String, String> environment = new LinkedHashMap<>();
        StringBuilder file = new StringBuilder();
        for (Setting setting : Setting.ALL) {
            flags.add(setting.flag() + "=" + setting.defaultValue());
            environment.put(setting.environmentVariable(), setting.defaultValue());
            file.append(setting.key()).append('=').append(setting.defaultValue()).append('\n');
        }
        Path properties = dir.resolve("all.properties");
        Files.writeString(properties, file);
        assertThat(loader.load(flags, Map.of())).isEqualTo(defaults);
        assertThat(loader.load(List.of(), environment)).isEqualTo(defaults);
        assertThat(loader.load(List.of("--config=" + properties), Map.of())).isEqualTo(defaults);
    }

    /**
     * A valid value other than its default for each key. A key added to the table without a sample here fails
     * {@link #everyKeyIsReadByTheLoader}.
     */
    private static Map<String, String> samples(Path dir) throws Exception {
        Path secretFile = Files.writeString(dir.resolve("secret"), "from-a-file\n");
        Map<String, String> s = new LinkedHashMap<>();
        s.put("data-dir", "/srv/ek");
        s.put("http.host", "127.0.0.1");
        s.put("http.port", "9090");
        s.put("http.shutdown-timeout-seconds", "5");
        s.put("http.accept-queue", "4096");
        s.put("http.min-request-data-rate", "1024");
        s.put("http.public-url", "https://ek.example.com");
        s.put("database.url", "postgresql://db:5432/ek");
        s.put("database.user", "ek");
        s.put("database.password", "pw");
        s.put("database.password-file", secretFile.toString());
        s.put("database.pool-size", "4");
        s.put("database.acquire-timeout-millis", "1500");
        s.put("database.statement-timeout-millis", "2000");
        s.put("master-key", "c2VjcmV0");
        s.put("master-key-file", secretFile.toString());
        s.put("master-key-next-file", dir.resolve("next.key").toString());
        s.put("limits.max-body-bytes", "4096");
        s.put("limits.max-json-depth", "8");
        s.put("limits.max-key-length", "64");
        s.put("limits.max-value-bytes", "1024");
        s.put("limits.max-secrets-per-request", "10");
        s.put("limits.max-environments-per-request", "5");
        s.put("limits.body-idle-timeout-millis", "500");
        s.put("jwt.issuer", "ek-test");
        s.put("jwt.lifetime-seconds", "120");
        s.put("jwt.key-rotation-hours", "2");
        s.put("jwt.clock-skew-seconds", "60");
        s.put("rate-limit.per-ip-per-minute", "0");
        s.put("rate-limit.trusted-proxies", "10.0.0.0/8");
        s.put("rate-limit.exchanges-per-token-per-minute", "3");
        s.put("access.change-poll-millis", "100");
        s.put("access.full-reload-seconds", "60");
        s.put("access.outage-grace-seconds", "0");
        s.put("audit.record-reads", "false");
        s.put("audit.head-log-minutes", "5");
        s.put("audit.file", "-");
        s.put("secrets.max-versions", "7");
        s.put("secrets.deleted-retention-days", "2");
        s.put("sync.poll-millis", "100");
        s.put("sync.coalesce-millis", "50");
        s.put("sync.lease-seconds", "10");
        s.put("sync.max-backoff-seconds", "30");
        s.put("sync.fetch-timeout-millis", "2000");
        s.put("sync.allow-http-targets", "true");
        s.put("share.max-expiry-hours", "24");
        s.put("share.max-views", "3");
        s.put("share.password-attempts", "2");
        s.put("share.password-window-minutes", "60");
        s.put("people.open-sign-up", "true");
        s.put("people.session-hours", "1");
        s.put("sso.issuer", "https://other.example.com");
        s.put("sso.client-id", "other");
        s.put("sso.client-secret", "s3cret");
        s.put("sso.client-secret-file", secretFile.toString());
        s.put("sso.scopes", "openid email");
        s.put("sso.allow-http-issuer", "true");
        s.put("oidc.clock-skew-seconds", "5");
        s.put("oidc.max-token-age-seconds", "600");
        s.put("oidc.refetch-interval-seconds", "2");
        s.put("oidc.fetch-timeout-millis", "200");
        s.put("oidc.max-document-bytes", "2048");
        s.put("oidc.allow-http-issuers", "true");
        s.put("backup.interval-minutes", "60");
        s.put("backup.folder", dir.resolve("backups").toString());
        s.put("backup.keep", "3");
        s.put("metrics.port", "9464");
        s.put("metrics.host", "0.0.0.0");
        s.put("metrics.token", "s3cret");
        s.put("metrics.token-file", secretFile.toString());
        return s;
    }

    /** What a key needs beside it: an SSO client secret, issuer or client id only goes with both of the latter. */
    private static final Map<String, String> SSO = Map.of("sso.issuer", "https://login.example.com", "sso.client-id", "ek");

    private static List<String> companions(String key) {
        if (key.startsWith("metrics.token")) return List.of("--metrics-port=9464"); // a scrape token needs the port it guards
        if (!key.startsWith("sso.") || key.equals("sso.scopes") || key.equals("sso.allow-http-issuer")) return List.of();
        return SSO.entrySet().stream().filter(e -> !e.getKey().equals(key)).map(e -> "--" + e.getKey().replace('.', '-') + "=" + e.getValue()).toList();
    }

    /**
     * Loading each key with its sample (and its companions) gives another configuration than without it, in the flag
     * and the environment layer alike: the loader reads every key of the table, it does not only accept it.
     */
    @Test
    void everyKeyIsReadByTheLoader(@TempDir Path dir) throws Exception {
        Map<String, String> samples = samples(dir);
        assertThat(samples.keySet()).as("a sample value for every key of Setting.ALL, and for no other").containsExactlyInAnyOrderElementsOf(keys());
        Config sso = loader.load(companions("sso.client-secret"), Map.of());
        for (Setting setting : Setting.ALL) {
            String sample = samples.get(setting.key());
            assertThat(sample).as("the sample of %s differs from its default", setting.key()).isNotEqualTo(setting.defaultValue());
            List<String> companions = companions(setting.key());
            Config without = companions.isEmpty() ? loader.load(List.of(), Map.of())
                    : setting.key().startsWith("sso.") ? sso : loader.load(companions, Map.of());
            List<String> flags = new ArrayList<>(companions);
            flags.add(setting.flag() + "=" + sample);
            Config with = loader.load(flags, Map.of());
            assertThat(with).as("%s changes the configuration", setting.key()).isNotEqualTo(without);
            assertThat(loader.load(companions, Map.of(setting.environmentVariable(), sample)))
                    .as("%s as %s", setting.key(), setting.environmentVariable()).isEqualTo(with);
        }
    }

    @Test
    void anUnknownKeyIsRefusedByName(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> loader.load(List.of("--http-prot=1"), Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--http-prot");
        Path file = dir.resolve("typo.properties");
        Files.writeString(file, "database.pasword=x\n");
        assertThatThrownBy(() -> loader.load(List.of("--config", file.toString()), Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("database.pasword");
        assertThatThrownBy(() -> loader.load(List.of("--jwt-issuer-file=/x"), Map.of())).as("only secret keys have a -file form")
                .isInstanceOf(ConfigException.class).hasMessageContaining("--jwt-issuer-file");
    }

    /**
     * README.md's "## Configuration" table has one row per key of {@link Setting#ALL}: the first cell is the key in
     * backticks; the second its default in backticks, or, for a key without one, text starting with "empty" that says
     * what empty means.
     */
    @Test
    void theReadmeTableListsEveryKeyWithItsDefault() {
        Map<String, Setting> byKey = Setting.ALL.stream().collect(Collectors.toMap(Setting::key, s -> s));
        List<String> listed = new ArrayList<>();
        for (List<String> row : RepoDocs.tableAfter("README.md", "## Configuration")) {
            List<String> named = RepoDocs.backticked(row.get(0));
            assertThat(named).as("one key per row: %s", row).hasSize(1);
            String key = named.get(0);
            listed.add(key);
            Setting setting = byKey.get(key);
            assertThat(setting).as("README lists `%s`, which the loader does not accept", key).isNotNull();
            if (setting.defaultValue().isEmpty()) {
                assertThat(row.get(1)).as("the default of %s", key).startsWith("empty");
            } else {
                assertThat(row.get(1)).as("the default of %s", key).isEqualTo("`" + setting.defaultValue() + "`");
            }
        }
        assertThat(listed).as("README's configuration table").doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(keys());
    }
}
