package dev.ekvault.server.crypto;

import dev.ekvault.server.EkServer;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * DESIGN.md §5.1 and §5.2 against the real store: no plaintext value or raw token anywhere in the database, a
 * ciphertext moved to another row does not decrypt, and a wrong master key stops the start and changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EncryptionAtRestContract {
    abstract Backend backend();

    static final String VALUE = "plaintext-canary-7f3a9c1e-never-stored";
    TestServer s;
    String prod;
    String dev;

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", false);
        s.createSecrets("web", List.of(prod, dev), Map.of("CANARY", VALUE, "OTHER", "other-value"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    /** Every cell of every table, as text and as bytes. */
    private List<byte[]> everyCell() {
        return s.server.database().read(c -> {
            List<byte[]> cells = new ArrayList<>();
            for (String table : tables(c)) {
                try (Statement st = c.createStatement(); ResultSet r = st.executeQuery("SELECT * FROM " + table)) {
                    ResultSetMetaData meta = r.getMetaData();
                    while (r.next()) {
                        for (int i = 1; i <= meta.getColumnCount(); i++) {
                            byte[] bytes = r.getBytes(i);
                            if (bytes != null) cells.add(bytes);
                            String text = r.getString(i);
                            if (text != null) cells.add(text.getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
            }
            return cells;
        });
    }

    private static List<String> tables(Connection c) throws java.sql.SQLException {
        List<String> tables = new ArrayList<>();
        DatabaseMetaData meta = c.getMetaData();
        try (ResultSet r = meta.getTables(null, null, "%", new String[] {"TABLE"})) {
            while (r.next()) {
                String schema = r.getString("TABLE_SCHEM");
                if (schema == null || schema.equals("public") || schema.equals("main")) tables.add(r.getString("TABLE_NAME"));
            }
        }
        return tables;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    @Test
    void noTableHoldsAPlaintextValueOrARawToken() {
        byte[] value = VALUE.getBytes(StandardCharsets.UTF_8);
        byte[] token = s.ownerToken.getBytes(StandardCharsets.UTF_8);
        List<byte[]> cells = everyCell();
        assertThat(cells).as("the scan reads the tables").hasSizeGreaterThan(50);
        assertThat(cells).noneMatch(cell -> contains(cell, value));
        assertThat(cells).noneMatch(cell -> contains(cell, token));
        // positive control: the scan would find a value that is stored in clear (the project's slug)
        assertThat(cells).anyMatch(cell -> contains(cell, "web".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theSqliteFilesHoldNoPlaintext() throws Exception {
        if (backend() != Backend.SQLITE) return;
        byte[] value = VALUE.getBytes(StandardCharsets.UTF_8);
        byte[] token = s.ownerToken.getBytes(StandardCharsets.UTF_8);
        int files = 0;
        try (var paths = Files.list(s.config.dataDir())) {
            for (Path file : paths.toList()) {
                if (!file.getFileName().toString().startsWith("ek.db")) continue;
                byte[] bytes = Files.readAllBytes(file);
                assertThat(contains(bytes, value)).as(file.toString()).isFalse();
                assertThat(contains(bytes, token)).as(file.toString()).isFalse();
                files++;
            }
        }
        assertThat(files).isGreaterThanOrEqualTo(1);
    }

    @Test
    void ciphertextsCarryAFormatVersionAndAKeyId() {
        byte[] sealed = s.server.database().read(c -> {
            try (Statement st = c.createStatement(); ResultSet r = st.executeQuery("SELECT ciphertext FROM secret_value LIMIT 1")) {
                r.next();
                return r.getBytes(1);
            }
        });
        assertThat(sealed[0]).isEqualTo(Aead.FORMAT_V1);
        assertThat(Aead.keyId(sealed)).isEqualTo(1);
    }

    @Test
    void aCiphertextMovedToAnotherRowIsRefused() {
        String canaryId = s.get("/v1/workspace/acme/project/web/secret/CANARY", s.ownerToken).json().get("id").asText();
        String otherId = s.get("/v1/workspace/acme/project/web/secret/OTHER", s.ownerToken).json().get("id").asText();
        // copy CANARY's production ciphertext (and its version) onto OTHER's production row
        s.runSql("UPDATE secret_value SET ciphertext = (SELECT ciphertext FROM secret_value WHERE secret_id = '" + canaryId
                + "' AND environment_id = '" + prod + "'), version = (SELECT version FROM secret_value WHERE secret_id = '" + canaryId
                + "' AND environment_id = '" + prod + "') WHERE secret_id = '" + otherId + "' AND environment_id = '" + prod + "'");
        HttpResult moved = s.get("/v1/workspace/acme/project/web/secret/OTHER?environmentId=" + prod, s.ownerToken);
        assertThat(moved.status()).isEqualTo(500);
        assertThat(moved.message()).contains("integrity").doesNotContain(VALUE);
        assertThat(moved.body()).doesNotContain(VALUE);

        // and across environments: CANARY's production ciphertext onto its own dev row
        s.runSql("UPDATE secret_value SET ciphertext = (SELECT ciphertext FROM secret_value WHERE secret_id = '" + canaryId
                + "' AND environment_id = '" + prod + "') WHERE secret_id = '" + canaryId + "' AND environment_id = '" + dev + "'");
        assertThat(s.get("/v1/workspace/acme/project/web/secret/CANARY?environmentId=" + dev, s.ownerToken).status()).isEqualTo(500);
        HttpResult untouched = s.get("/v1/workspace/acme/project/web/secret/CANARY?environmentId=" + prod, s.ownerToken);
        assertThat(untouched.status()).as("the row it came from still reads").isEqualTo(200);
        assertThat(untouched.body()).contains(VALUE);
    }

    @Test
    void aWrongMasterKeyStopsTheStartAndChangesNothing() throws Exception {
        Path dir = Files.createTempDirectory("ek-wrong-key");
        String url = backend().freshDatabaseUrl();
        TestServer first = TestServer.start(url, dir, MasterKey.generateBase64());
        first.createProject("kept");
        first.close();
        String before = fingerprint(url, dir);

        var config = new ConfigLoader().load(List.of("--data-dir=" + dir, "--database-url=" + url,
                "--master-key=" + MasterKey.generateBase64(), "--http-port=0"), Map.of());
        assertThatThrownBy(() -> EkServer.open(config, new TestClock()))
                .isInstanceOf(WrongMasterKeyException.class)
                .hasMessageContaining("master key")
                .hasMessageContaining("nothing was changed");
        assertThat(fingerprint(url, dir)).isEqualTo(before);
    }

    /** Row counts of the tables a start would write to, read with a plain connection. */
    private static String fingerprint(String url, Path dir) throws Exception {
        String jdbc = url.isEmpty() ? "jdbc:sqlite:" + dir.resolve("ek.db") : url;
        try (Connection c = java.sql.DriverManager.getConnection(jdbc); Statement st = c.createStatement()) {
            StringBuilder out = new StringBuilder();
            for (String table : List.of("schema_migration", "master_key_check", "workspace", "project", "data_key", "credential")) {
                try (ResultSet r = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
                    r.next();
                    out.append(table).append('=').append(r.getLong(1)).append(';');
                }
            }
            try (ResultSet r = st.executeQuery("SELECT key_id FROM master_key_check")) {
                r.next();
                out.append("key=").append(r.getString(1));
            }
            return out.toString();
        }
    }
}
