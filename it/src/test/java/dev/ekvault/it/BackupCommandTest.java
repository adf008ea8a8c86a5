package dev.ekvault.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ek-server backup} and {@code restore} as an operator runs them, each its own process beside (or after) a
 * serving one: a backup while it serves; a restore into the serving folder and a second {@code serve} on it refused by
 * the folder's lock held by another process (exit 6); an occupied folder without {@code --force} (3); a wrong key (4),
 * writing nothing; then a restore into a new folder that a new server reads the secret from.
 */
class BackupCommandTest {
    @TempDir
    Path work;

    @Test
    void backUpWhileServingThenRestoreAsAnOperatorWould() throws Exception {
        Path data = work.resolve("data");
        Map<String, String> env = Map.of("EK_DATA_DIR", data.toString());
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String token = init.stdoutLines().get(0);
        Path backup = work.resolve("ek-backup.db");
        String environment;
        try (EkJar.Server server = EkJar.serve(work, env)) {
            EkJar.Api api = new EkJar.Api(server, token);
            String teamId = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
            assertThat(api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(teamId) + "}")
                    .status()).isEqualTo(201);
            environment = api.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\",\"hasPersonalOverrides\":false}")
                    .json().get("id").asText();
            assertThat(api.post("/v1/workspace/acme/project/web/secret",
                    EkJar.bulkCreateBody(List.of(environment), Map.of("IN_BACKUP", "backed-up value"))).status()).isEqualTo(201);

            EkJar.Result backedUp = EkJar.run(work, env, "backup", backup.toString());
            assertThat(backedUp.exitCode()).as(backedUp.stderr()).isZero();
            assertThat(backedUp.stderr()).contains("master key").doesNotContain("backed-up value");
            EkJar.Result again = EkJar.run(work, env, "backup", backup.toString());
            assertThat(again.exitCode()).as("an existing file is never overwritten").isEqualTo(2);

            EkJar.Result live = EkJar.run(work, env, "restore", backup.toString(), "--force");
            assertThat(live.exitCode()).as(live.stderr()).isEqualTo(6);
            assertThat(live.stderr()).contains("is serving the data folder");
            EkJar.Result second = EkJar.run(work, Map.of("EK_DATA_DIR", data.toString(), "EK_HTTP_HOST", "127.0.0.1",
                    "EK_HTTP_PORT", Integer.toString(EkJar.freePort())), "serve");
            assertThat(second.exitCode()).as(second.stderr()).isEqualTo(6);
            assertThat(second.stderr()).contains("own data-dir");
            assertThat(api.get("/v1/workspace/acme/project/web/secret?environmentId=" + environment).status())
                    .as("the first server serves on").isEqualTo(200);
        }

        EkJar.Result occupied = EkJar.run(work, env, "restore", backup.toString());
        assertThat(occupied.exitCode()).as(occupied.stderr()).isEqualTo(3);

        Path fresh = work.resolve("restored");
        Map<String, String> freshEnv = Map.of("EK_DATA_DIR", fresh.toString());
        EkJar.Result wrongKey = EkJar.run(work, Map.of("EK_DATA_DIR", fresh.toString(), "EK_MASTER_KEY", EkJar.newMasterKey()),
                "restore", backup.toString());
        assertThat(wrongKey.exitCode()).as(wrongKey.stderr()).isEqualTo(4);
        assertThat(fresh).as("nothing written").doesNotExist();

        Files.createDirectories(fresh);
        Files.copy(data.resolve("master.key"), fresh.resolve("master.key"));
        EkJar.Result restored = EkJar.run(work, freshEnv, "restore", backup.toString());
        assertThat(restored.exitCode()).as(restored.stderr()).isZero();
        try (EkJar.Server server = EkJar.serve(work, freshEnv)) {
            EkJar.Reply list = new EkJar.Api(server, token).get("/v1/workspace/acme/project/web/secret?environmentId=" + environment);
            assertThat(list.status()).isEqualTo(200);
            assertThat(list.body()).contains("backed-up value");
        }
    }
}
