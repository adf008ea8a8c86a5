package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Dotenv readers that are not the server's, for the export's round trip: python-dotenv (a widely used reader
 * with its own escapes) and the dashboard's own {@code dotenv.js} (what its import runs), each
 * in its own process. Where the interpreter or the module is missing the test is skipped, saying so.
 */
final class DotenvReaders {
    private DotenvReaders() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * python-dotenv's {@code dotenv_values} of the text, without interpolation: python-dotenv expands {@code ${VAR}}
     * whatever the quoting (single quotes too) and has no escape for it, so with interpolation on no quoting could
     * keep a literal {@code ${…}}; what this reader checks is the quoting and the escapes.
     */
    static Map<String, String> pythonDotenv(String text) {
        String script = """
                import io, json, sys
                from dotenv import dotenv_values
                text = sys.stdin.buffer.read().decode("utf-8")
                sys.stdout.write(json.dumps(dotenv_values(stream=io.StringIO(text, newline=""), interpolate=False)))
                """;
        JsonNode result = run(List.of("python3", "-c", script), text, "python3 with python-dotenv",
                List.of("python3", "-c", "import dotenv"));
        Map<String, String> values = new LinkedHashMap<>();
        result.properties().forEach(e -> values.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        return values;
    }

    /** The dashboard's {@code parseDotenv} under Node (copied to an .mjs file: Node 20 reads a bare .js as CommonJS). */
    static Map<String, String> dashboard(String text) {
        try {
            Path dir = Files.createTempDirectory("ek-dotenv");
            Files.copy(Path.of("src/main/resources/dashboard/dotenv.js"), dir.resolve("dotenv.mjs"));
            Files.writeString(dir.resolve("run.mjs"), """
                    import { parseDotenv } from "./dotenv.mjs";
                    const chunks = [];
                    for await (const chunk of process.stdin) chunks.push(chunk);
                    const { entries, errors } = parseDotenv(Buffer.concat(chunks).toString("utf8"));
                    process.stdout.write(JSON.stringify({ entries, errors }));
                    """);
            JsonNode result = run(List.of("node", dir.resolve("run.mjs").toString()), text, "node", List.of("node", "--version"));
            assertNoErrors(result.get("errors"));
            Map<String, String> values = new LinkedHashMap<>();
            for (JsonNode entry : result.get("entries")) values.put(entry.get("key").asText(), entry.get("value").asText());
            return values;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertNoErrors(JsonNode errors) {
        if (!errors.isEmpty()) throw new AssertionError("the dashboard's parser refused the export: " + errors);
    }

    private static JsonNode run(List<String> command, String stdin, String what, List<String> probe) {
        Assumptions.assumeTrue(works(probe), what + " is not installed here: this reader's round trip is skipped");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            byte[] out = process.getInputStream().readAllBytes();
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) throw new AssertionError(what + " failed: " + err);
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean works(List<String> probe) {
        try {
            Process process = new ProcessBuilder(probe).redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
