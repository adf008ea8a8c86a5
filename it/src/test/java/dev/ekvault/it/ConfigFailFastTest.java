package dev.ekvault.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A bad setting stops {@code serve} at once with exit code 2 and a JSON log line naming the setting. */
class ConfigFailFastTest {
    @TempDir
    Path work;

    @Test
    void aPortThatIsNotANumberIsNamed() {
        EkJar.Result r = EkJar.run(work, Map.of("EK_DATA_DIR", work.resolve("data").toString()), "serve", "--http-port=abc");
        assertRefused(r, "http.port");
        assertThat(r.stderr()).contains("abc");
    }

    @Test
    void anUnknownSettingIsNamed() {
        EkJar.Result r = EkJar.run(work, Map.of("EK_DATA_DIR", work.resolve("data").toString()), "serve", "--no-such-setting=1");
        assertRefused(r, "no-such-setting");
    }

    private void assertRefused(EkJar.Result r, String setting) {
        assertThat(r.exitCode()).as("exit code; stderr:\n%s", r.stderr()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderrLines()).isNotEmpty();
        boolean named = false;
        for (String line : r.stderrLines()) {
            var json = EkJar.jsonObject(line);
            assertThat(json).as("stderr line is a JSON object: %s", line).isNotNull();
            if (json.path("message").asText().contains(setting)) named = true;
        }
        assertThat(named).as("a log message names %s; stderr:\n%s", setting, r.stderr()).isTrue();
        assertThat(work.resolve("data")).as("nothing was created").doesNotExist();
    }
}
