package dev.ekvault.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ek-server.jar init} on a fresh SQLite data folder, and a second init that must change nothing. */
class InitCommandTest {
    @TempDir
    Path work;

    @Test
    void printsOnlyTheTokenCreatesAnOwnerOnlyKeyAndRefusesASecondInit() throws Exception {
        Path data = work.resolve("data");
        Map<String, String> env = Map.of("EK_DATA_DIR", data.toString());

        EkJar.Result first = EkJar.init(work, env);
        assertThat(first.exitCode()).as("init exit code; stderr:\n%s", first.stderr()).isEqualTo(0);
        assertThat(first.stdoutLines()).as("stdout of init").hasSize(1);
        String token = first.stdoutLines().get(0);
        assertThat(token).matches("^ek_live_[0-9A-Za-z]{43}$");
        assertThat(first.stdout()).isEqualTo(token + System.lineSeparator());
        assertThat(first.stderrLines()).as("init logs something").isNotEmpty();
        for (String line : first.stderrLines()) {
            assertThat(EkJar.jsonObject(line)).as("stderr line is a JSON object: %s", line).isNotNull();
        }
        assertThat(first.stderr()).as("the token is only on stdout").doesNotContain(token);

        Path masterKey = data.resolve("master.key");
        assertThat(masterKey).isRegularFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(masterKey))).isEqualTo("rw-------");
        assertThat(Files.readString(masterKey).strip()).as("master.key holds base64 of 32 bytes")
                .matches("^[A-Za-z0-9+/]{43}=$");
        Path database = data.resolve("ek.db");
        assertThat(database).isRegularFile();

        String before = EkJar.sqliteDigest(database);
        byte[] keyBefore = Files.readAllBytes(masterKey);

        EkJar.Result second = EkJar.init(work, env);
        assertThat(second.exitCode()).as("second init exit code; stderr:\n%s", second.stderr()).isEqualTo(3);
        assertThat(second.stdout()).as("second init prints nothing on stdout").isEmpty();
        for (String line : second.stderrLines()) {
            assertThat(EkJar.jsonObject(line)).as("stderr line is a JSON object: %s", line).isNotNull();
        }
        assertThat(EkJar.sqliteDigest(database)).as("database content after the refused init").isEqualTo(before);
        assertThat(Files.readAllBytes(masterKey)).as("master.key after the refused init").isEqualTo(keyBefore);
    }
}
