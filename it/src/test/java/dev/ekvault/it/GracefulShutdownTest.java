package dev.ekvault.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM while a request is in flight: the server stops taking new connections at once, yet the request that is
 * half received completes (201) and is committed, and only then does the process exit.
 */
class GracefulShutdownTest {
    private static final String VALUE = "committed-during-shutdown";

    @TempDir
    Path work;

    /** An HTTP/1.1 response read off a raw socket. */
    record RawResponse(int status, Map<String, String> headers, String body) {}

    /** What one run of the scenario left behind. */
    record Outcome(int exitCode, RawResponse inFlight, String stderr, List<String> stderrLines) {}

    @Test
    void anInFlightRequestFinishesAfterSigtermAndIsCommitted() throws Exception {
        Outcome outcome = sigtermWithARequestInFlight();
        System.out.println("[GracefulShutdownTest] in-flight response headers: " + outcome.inFlight().headers());
        System.out.println("[GracefulShutdownTest] exit code after SIGTERM: " + outcome.exitCode());
        assertThat(outcome.exitCode()).as("exit code after SIGTERM; stderr:\n%s", outcome.stderr()).isIn(0, 143);
        assertThat(outcome.inFlight().headers().get("connection")).as("the last response closes its connection").isEqualTo("close");
        for (String line : outcome.stderrLines()) {
            assertThat(EkJar.jsonObject(line)).as("stderr line is a JSON object: %s", line).isNotNull();
        }
    }

    /**
     * The log lines written while the server shuts down: the in-flight request's own {@code ek.request} line and the
     * shutdown hook's "shutting down" and "stopped" messages. (They were once lost: the JDK's LogManager shutdown hook
     * closed the handler while ours still ran; ShutdownSafeLogManager keeps it open.)
     */
    @Test
    void theShutdownAndTheInFlightRequestAreLogged() throws Exception {
        Outcome outcome = sigtermWithARequestInFlight();
        String requestId = outcome.inFlight().headers().get("x-request-id");
        assertThat(requestId).isNotNull();
        boolean logged = outcome.stderrLines().stream().map(EkJar::jsonObject)
                .anyMatch(l -> l != null && "ek.request".equals(l.path("logger").asText()) && requestId.equals(l.path("requestId").asText())
                        && l.path("status").asInt() == 201);
        assertThat(logged).as("the in-flight POST %s was logged with status 201; stderr:\n%s", requestId, outcome.stderr()).isTrue();
        assertThat(outcome.stderr()).contains("shutting down: finishing in-flight requests").contains("\"message\":\"stopped\"");
    }

    /**
     * init, serve, create a project and an environment; then send the headers of a bulk-create and half of its body,
     * SIGTERM the server, see the port refuse new connections while the process lives on, send the rest of the body
     * and read a 201; wait for the exit; finally restart on the same data and find the secret.
     */
    private Outcome sigtermWithARequestInFlight() throws Exception {
        Path data = work.resolve("data");
        Map<String, String> env = Map.of("EK_DATA_DIR", data.toString(), "EK_HTTP_SHUTDOWN_TIMEOUT_SECONDS", "60");
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as("init; stderr:\n%s", init.stderr()).isEqualTo(0);
        String token = init.stdoutLines().get(0);

        String environment;
        Outcome outcome;
        try (EkJar.Server server = EkJar.serve(work, env)) {
            EkJar.Api api = new EkJar.Api(server, token);
            String teamId = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
            assertThat(api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(teamId) + "}")
                    .status()).isEqualTo(201);
            EkJar.Reply env1 = api.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\",\"hasPersonalOverrides\":false}");
            assertThat(env1.status()).as("%s", env1).isEqualTo(201);
            environment = env1.json().get("id").asText();

            byte[] body = EkJar.bulkCreateBody(List.of(environment), Map.of("IN_FLIGHT", VALUE)).getBytes(StandardCharsets.UTF_8);
            int half = body.length / 2;
            String head = "POST /v1/workspace/acme/project/web/secret HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + server.port + "\r\n"
                    + "Authorization: Bearer " + token + "\r\n"
                    + "Content-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n"
                    // The server answers "100 Continue" only once the handler reads the body: proof that the request
                    // is in its hands before we send SIGTERM, without sleeping.
                    + "Expect: 100-continue\r\n"
                    + "\r\n";

            RawResponse response;
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port)) {
                socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
                OutputStream out = socket.getOutputStream();
                InputStream in = socket.getInputStream();
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                RawResponse interim = readResponse(in);
                assertThat(interim.status()).as("interim response to Expect: 100-continue").isEqualTo(100);

                out.write(body, 0, half);
                out.flush();

                server.process.destroy(); // SIGTERM
                EkJar.awaitCondition("the port refuses new connections after SIGTERM", Duration.ofSeconds(60),
                        () -> EkJar.refusesConnections(server.port));
                assertThat(server.process.isAlive()).as("the server waits for the in-flight request before exiting; stderr:\n%s",
                        server.stderr()).isTrue();

                out.write(body, half, body.length - half);
                out.flush();
                response = readResponse(in);
                assertThat(response.status()).as("in-flight request's response: %s", response).isEqualTo(201);
                assertThat(EkJar.JSON.readTree(response.body()).get(0).get("name").asText()).isEqualTo("IN_FLIGHT");
            }

            int code = server.awaitExit(EkJar.EXIT_TIMEOUT);
            outcome = new Outcome(code, response, server.stderr(), server.stderrLines());
        }

        try (EkJar.Server again = EkJar.serve(work, env)) {
            EkJar.Reply secret = new EkJar.Api(again, token).get("/v1/workspace/acme/project/web/secret/IN_FLIGHT?environmentId=" + environment);
            assertThat(secret.status()).as("the secret survived the restart: %s", secret).isEqualTo(200);
            assertThat(secret.json().get("values").get(0).get("value").asText()).isEqualTo(VALUE);
        }
        return outcome;
    }

    /** Reads one HTTP/1.1 response (status line, headers, Content-Length body) from the stream. */
    private static RawResponse readResponse(InputStream in) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) throw new AssertionError("connection closed before a response arrived");
        String[] parts = statusLine.split(" ", 3);
        assertThat(parts[0]).as("status line '%s'", statusLine).startsWith("HTTP/1.");
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
        }
        if (status / 100 == 1) return new RawResponse(status, headers, "");
        String length = headers.get("content-length");
        byte[] body;
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int size = Integer.parseInt(readLine(in).split(";")[0].strip(), 16); size > 0;
                 size = Integer.parseInt(readLine(in).split(";")[0].strip(), 16)) {
                all.write(in.readNBytes(size));
                readLine(in);
            }
            readLine(in);
            body = all.toByteArray();
        } else {
            body = in.readAllBytes();
        }
        return new RawResponse(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1; b = in.read()) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.US_ASCII);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }
}
