package dev.ekvault.server.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    private final ConfigLoader loader = new ConfigLoader();

    @Test
    void defaultsAreTheSingleMachineSetup() {
        Config config = loader.load(List.of(), Map.of());
        assertThat(config.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(config.http().port()).isEqualTo(8080);
        assertThat(config.database().embedded()).isTrue();
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:sqlite:./data/ek.db");
        assertThat(config.fullReloadInterval()).isEqualTo(java.time.Duration.ofMinutes(5));
    }

    @Test
    void eachLayerOverridesTheOneBefore(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ek.properties");
        Files.writeString(file, "http.port=1111\ndata-dir=/from/file\nlimits.max-json-depth=20\n");
        Map<String, String> env = Map.of("EK_HTTP_PORT", "2222", "EK_LIMITS_MAX_JSON_DEPTH", "30");
        Config config = loader.load(List.of("--config", file.toString(), "--http-port=3333"), env);
        assertThat(config.http().port()).as("flag beats env").isEqualTo(3333);
        assertThat(config.limits().maxJsonDepth()).as("env beats file").isEqualTo(30);
        assertThat(config.dataDir()).as("file beats default").isEqualTo(Path.of("/from/file"));
    }

    @Test
    void badSettingsFailFastNamingTheKey(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> loader.load(List.of("--http-port=abc"), Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("http.port");
        assertThatThrownBy(() -> loader.load(List.of(), Map.of("EK_HTTP_PORT", "70000"))).hasMessageContaining("http.port");
        assertThatThrownBy(() -> loader.load(List.of("--no-such-thing=1"), Map.of())).hasMessageContaining("--no-such-thing");
        Path file = dir.resolve("bad.properties");
        Files.writeString(file, "htp.port=1\n");
        assertThatThrownBy(() -> loader.load(List.of("--config=" + file), Map.of())).hasMessageContaining("htp.port");
        assertThatThrownBy(() -> loader.load(List.of("--database-url=mysql://x"), Map.of())).hasMessageContaining("database.url");
        assertThatThrownBy(() -> loader.load(List.of("--access-full-reload-seconds=0"), Map.of())).hasMessageContaining("access.full-reload-seconds");
        assertThat(loader.load(List.of(), Map.of("EK_ACCESS_FULL_RELOAD_SECONDS", "60")).fullReloadInterval()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThatThrownBy(() -> loader.load(List.of("--master-key=a", "--master-key-file=/x"), Map.of())).hasMessageContaining("master-key");
    }

    @Test
    void oidcSettingsHaveSafeDefaultsAndAreChecked() {
        Config.Oidc oidc = loader.load(List.of(), Map.of()).oidc();
        assertThat(oidc.clockSkew()).isEqualTo(java.time.Duration.ofSeconds(60));
        assertThat(oidc.maxTokenAge()).isEqualTo(java.time.Duration.ofDays(1));
        assertThat(oidc.refetchInterval()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(oidc.fetchTimeout()).isEqualTo(java.time.Duration.ofMillis(3000));
        assertThat(oidc.maxDocumentBytes()).isEqualTo(65536);
        assertThat(oidc.allowHttpIssuers()).as("only https issuers are fetched by default").isFalse();
        assertThat(loader.load(List.of("--oidc-allow-http-issuers=true"), Map.of()).oidc().allowHttpIssuers()).isTrue();
        assertThat(loader.load(List.of(), Map.of("EK_OIDC_REFETCH_INTERVAL_SECONDS", "5")).oidc().refetchInterval())
                .isEqualTo(java.time.Duration.ofSeconds(5));
        assertThatThrownBy(() -> loader.load(List.of("--oidc-allow-http-issuers=yes"), Map.of())).hasMessageContaining("oidc.allow-http-issuers");
        assertThatThrownBy(() -> loader.load(List.of("--oidc-fetch-timeout-millis=10"), Map.of())).hasMessageContaining("oidc.fetch-timeout-millis");
        String described = ConfigLoader.describe(loader.load(List.of(), Map.of()));
        assertThat(described).contains("oidc.allow-http-issuers=false");
        for (Setting setting : Setting.ALL) assertThat(described).as("the description is the whole table").contains(setting.key() + "=");
    }

    @Test
    void otherEkVariablesAreLeftToTheToolsThatOwnThem() {
        assertThat(loader.load(List.of(), Map.of("EK_TEST_POSTGRES_URL", "x")).http().port()).isEqualTo(8080);
    }

    @Test
    void secretsComeFromFilesAndAreMaskedWhenDescribed(@TempDir Path dir) throws Exception {
        Path password = dir.resolve("pw");
        Files.writeString(password, "hunter2-db-password\n");
        Config config = loader.load(List.of("--database-url=postgresql://ek:url-password@db:5432/ek", "--master-key=c2VjcmV0LW1hc3Rlci1rZXk="),
                Map.of("EK_DATABASE_PASSWORD_FILE", password.toString()));
        assertThat(config.database().password().value()).isEqualTo("hunter2-db-password");
        assertThat(config.database().url()).isEqualTo("jdbc:postgresql://db:5432/ek?user=ek&password=url-password");
        String described = ConfigLoader.describe(config);
        assertThat(described).doesNotContain("hunter2").doesNotContain("url-password").doesNotContain("c2VjcmV0LW1hc3Rlci1rZXk=");
        assertThat(described).contains("database.password=******").contains("master-key=******").contains("db:5432");
        assertThat(config.toString()).doesNotContain("hunter2").doesNotContain("c2VjcmV0");
    }
}
