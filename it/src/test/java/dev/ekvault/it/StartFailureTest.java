package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A start that cannot go on ends with one clear line on standard error (no stack trace) and an exit code of its own,
 * and creates nothing: a port in use is found before the data folder, master key or database is made, and a data
 * folder that cannot be used is named as such. The tests run as root, whom chmod does not stop, so the unusable
 * folders are a regular file in the folder's place and a folder inside a file.
 */
class StartFailureTest {
    @TempDir
    Path work;

    /** The single SEVERE line of a refused start; every line is JSON and none carries a stack trace. */
    private static String theReason(EkJar.Result r) {
        assertThat(r.stdout()).isEmpty();
        List<JsonNode> severe = new java.util.ArrayList<>();
        for (String line : r.stderrLines()) {
            JsonNode json = EkJar.jsonObject(line);
            assertThat(json).as("stderr line is a JSON object: %s", line).isNotNull();
            assertThat(json.has("error")).as("no stack trace: %s", line).isFalse();
            if (json.path("level").asText().equals("SEVERE")) severe.add(json);
        }
        assertThat(severe).as("one line says why; stderr:\n%s", r.stderr()).hasSize(1);
        return severe.get(0).get("message").asText();
    }

    @Test
    void aPortInUseExitsFiveWithOneLineAndCreatesNoDataFolder() throws Exception {
        Path data = work.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            EkJar.Result r = EkJar.run(work, Map.of("EK_DATA_DIR", data.toString(), "EK_HTTP_HOST", "127.0.0.1",
                    "EK_HTTP_PORT", Integer.toString(port)), "serve");
            assertThat(r.exitCode()).as("exit code; stderr:\n%s", r.stderr()).isEqualTo(5);
            assertThat(r.stderrLines()).as("nothing but the reason is logged").hasSize(1);
            assertThat(theReason(r)).contains("127.0.0.1:" + port).contains("already in use");
        }
        assertThat(data).as("no data folder, master key or database was created").doesNotExist();
    }

    @Test
    void aFileWhereTheDataFolderShouldBeIsNamedAsSuch() throws Exception {
        Path data = Files.writeString(work.resolve("data"), "not a folder");
        EkJar.Result r = EkJar.run(work, Map.of("EK_DATA_DIR", data.toString(), "EK_HTTP_PORT", "0"), "serve");
        assertThat(r.exitCode()).as("exit code; stderr:\n%s", r.stderr()).isEqualTo(6);
        assertThat(theReason(r)).contains("data folder " + data).contains("not a folder").doesNotContain("master key");
        assertThat(Files.readString(data)).isEqualTo("not a folder");
    }

    @Test
    void aDataFolderInsideAFileIsNamedWithTheFileInTheWay() throws Exception {
        Path file = Files.writeString(work.resolve("plain-file"), "in the way");
        Path data = file.resolve("data");
        EkJar.Result r = EkJar.run(work, Map.of("EK_DATA_DIR", data.toString(), "EK_HTTP_PORT", "0"), "serve");
        assertThat(r.exitCode()).as("exit code; stderr:\n%s", r.stderr()).isEqualTo(6);
        assertThat(theReason(r)).contains("data folder " + data).contains(file + " is a file").doesNotContain("master key");

        EkJar.Result init = EkJar.init(work, Map.of("EK_DATA_DIR", data.toString()));
        assertThat(init.exitCode()).as("init says the same; stderr:\n%s", init.stderr()).isEqualTo(6);
        assertThat(theReason(init)).contains("data folder " + data);
    }
}
