package dev.ekvault.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The jar refuses to start with a master key that cannot open the database, and changes nothing doing so. */
class MasterKeyTest {
    @TempDir
    Path work;

    @Test
    void serveWithAnotherMasterKeyExitsFourAndChangesNothing() {
        Path data = work.resolve("data");
        String keyA = EkJar.newMasterKey();
        String keyB = EkJar.newMasterKey();
        assertThat(keyB).isNotEqualTo(keyA);

        EkJar.Result init = EkJar.init(work, Map.of("EK_DATA_DIR", data.toString(), "EK_MASTER_KEY", keyA));
        assertThat(init.exitCode()).as("init; stderr:\n%s", init.stderr()).isEqualTo(0);
        assertThat(data.resolve("master.key")).as("a key given in the environment is not written to a file").doesNotExist();
        String before = EkJar.sqliteDigest(data.resolve("ek.db"));

        try (EkJar.Server server = EkJar.startServe(work, Map.of("EK_DATA_DIR", data.toString(), "EK_MASTER_KEY", keyB))) {
            int code = server.awaitExit(EkJar.EXIT_TIMEOUT);
            assertThat(code).as("exit code; stderr:\n%s", server.stderr()).isEqualTo(4);
            assertThat(server.stderr()).contains("master key").contains("nothing was changed");
            assertThat(server.stdout()).isEmpty();
            assertThat(server.stderr()).doesNotContain(keyA).doesNotContain(keyB);
            for (String line : server.stderrLines()) {
                assertThat(EkJar.jsonObject(line)).as("stderr line is a JSON object: %s", line).isNotNull();
            }
        }
        assertThat(EkJar.sqliteDigest(data.resolve("ek.db"))).as("database content after the refused start").isEqualTo(before);
        assertThat(data.resolve("master.key")).doesNotExist();

        // the right key still opens it: the refusal really was about the key
        try (EkJar.Server server = EkJar.serve(work, Map.of("EK_DATA_DIR", data.toString(), "EK_MASTER_KEY", keyA))) {
            assertThat(new EkJar.Api(server, null).get("/readyz").status()).isEqualTo(200);
        }
    }

    @Test
    void aDataFolderWithADatabaseButNoKeyFileIsRefusedAndNoNewKeyIsMade() throws Exception {
        Path data = work.resolve("data");
        Map<String, String> env = Map.of("EK_DATA_DIR", data.toString());
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as("init; stderr:\n%s", init.stderr()).isEqualTo(0);
        Path masterKey = data.resolve("master.key");
        assertThat(masterKey).isRegularFile();
        Files.delete(masterKey);
        String before = EkJar.sqliteDigest(data.resolve("ek.db"));

        try (EkJar.Server server = EkJar.startServe(work, env)) {
            int code = server.awaitExit(EkJar.EXIT_TIMEOUT);
            assertThat(code).as("exit code; stderr:\n%s", server.stderr()).isEqualTo(4);
            assertThat(server.stderr()).contains("master.key");
            for (String line : server.stderrLines()) {
                assertThat(EkJar.jsonObject(line)).as("stderr line is a JSON object: %s", line).isNotNull();
            }
        }
        assertThat(masterKey).as("no new master key was generated").doesNotExist();
        assertThat(EkJar.sqliteDigest(data.resolve("ek.db"))).isEqualTo(before);
    }
}
