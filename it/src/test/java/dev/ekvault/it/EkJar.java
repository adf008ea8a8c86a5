package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Runs the real {@code ek-server.jar} as a child process with the test JVM's own {@code java}: one-shot commands
 * ({@link #run}) and servers ({@link #serve}) whose standard output and error go to files, plus the waiting, HTTP
 * and database-digest helpers the end-to-end tests share. Every wait has a deadline.
 */
final class EkJar {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Generous: the build machine is small and shared with other builds. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(90);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private EkJar() {}

    static Path jar() {
        String path = System.getProperty("ek.server.jar");
        if (path == null || path.isBlank()) throw new IllegalStateException("system property ek.server.jar is not set (see it/pom.xml)");
        Path jar = Path.of(path).toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) throw new IllegalStateException("the server jar " + jar + " has not been built");
        return jar;
    }

    /** The {@code java} that runs this test JVM. */
    static String java() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Base64 of 32 fresh random bytes: a master key. */
    static String newMasterKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- processes ----

    /** A started child process and where its output goes. */
    static class Child implements AutoCloseable {
        final Process process;
        final Path stdout;
        final Path stderr;
        final List<String> command;

        Child(Process process, Path stdout, Path stderr, List<String> command) {
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
            this.command = command;
        }

        String stdout() {
            return read(stdout);
        }

        String stderr() {
            return read(stderr);
        }

        List<String> stdoutLines() {
            return lines(stdout());
        }

        List<String> stderrLines() {
            return lines(stderr());
        }

        /** Waits (bounded) for the process to end by itself and returns its exit code. */
        int awaitExit(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError("process did not exit within " + timeout + ": " + command + "\nstderr:\n" + stderr());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return process.exitValue();
        }

        /** SIGTERM, then a bounded wait for the exit; returns the exit code. */
        int terminate() {
            process.destroy();
            return awaitExit(EXIT_TIMEOUT);
        }

        /** Always safe: SIGTERM, a short wait, then SIGKILL, so no test leaves a server running. */
        @Override
        public void close() {
            if (!process.isAlive()) return;
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(20, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The result of a command that ran to its end. */
    record Result(int exitCode, String stdout, String stderr) {
        List<String> stdoutLines() {
            return lines(stdout);
        }

        List<String> stderrLines() {
            return lines(stderr);
        }
    }

    /**
     * Starts {@code java -jar ek-server.jar args…} in {@code workDir} (output files go there too) with the test JVM's
     * environment minus every {@code EK_*} variable, plus {@code env}.
     */
    static Child start(Path workDir, Map<String, String> env, String... args) {
        return start(workDir, env, ProcessBuilder.Redirect.from(nullDevice()), args);
    }

    private static Child start(Path workDir, Map<String, String> env, ProcessBuilder.Redirect input, String... args) {
        List<String> command = new ArrayList<>(List.of(java(), "-jar", jar().toString()));
        command.addAll(List.of(args));
        int n = SEQUENCE.incrementAndGet();
        String name = (args.length == 0 ? "serve" : args[0].replaceAll("[^a-z]", "")) + "-" + n;
        Path out = workDir.resolve(name + ".stdout");
        Path err = workDir.resolve(name + ".stderr");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectInput(input)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("EK_"));
        builder.environment().putAll(env);
        try {
            return new Child(builder.start(), out, err, command);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** Runs a command to its end (bounded) and returns its exit code and output. */
    static Result run(Path workDir, Map<String, String> env, String... args) {
        return toTheEnd(start(workDir, env, args));
    }

    private static Result toTheEnd(Child started) {
        try (Child child = started) {
            int code = child.awaitExit(EXIT_TIMEOUT);
            return new Result(code, child.stdout(), child.stderr());
        }
    }

    /** Runs a command to its end (bounded) with {@code input} as its standard input (a file beside its output). */
    static Result runWithInput(Path workDir, Map<String, String> env, String input, String... args) {
        Path in = workDir.resolve("stdin-" + SEQUENCE.incrementAndGet());
        try {
            Files.writeString(in, input, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return toTheEnd(start(workDir, env, ProcessBuilder.Redirect.from(in.toFile()), args));
    }

    /** {@code init --workspace acme --email owner@example.com}. */
    static Result init(Path workDir, Map<String, String> env) {
        return run(workDir, env, "init", "--workspace", "acme", "--email", "owner@example.com");
    }

    /** A running {@code serve} on 127.0.0.1 and its own port. */
    static final class Server extends Child {
        final int port;
        final String base;
        /** The X-Request-Id of every {@code /healthz} probe {@link #awaitHealthy} made. */
        final List<String> probeRequestIds = java.util.Collections.synchronizedList(new ArrayList<>());

        Server(Child child, int port) {
            super(child.process, child.stdout, child.stderr, child.command);
            this.port = port;
            this.base = "http://127.0.0.1:" + port;
        }

        URI uri(String path) {
            return URI.create(base + path);
        }
    }

    /** Starts {@code serve} on a free port and returns once {@code /healthz} answers 200. */
    static Server serve(Path workDir, Map<String, String> env, String... flags) {
        Server server = startServe(workDir, env, flags);
        try {
            awaitHealthy(server);
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    /** Starts {@code serve} on a free port without waiting. */
    static Server startServe(Path workDir, Map<String, String> env, String... flags) {
        int port = freePort();
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("EK_HTTP_HOST", "127.0.0.1");
        all.put("EK_HTTP_PORT", Integer.toString(port));
        List<String> args = new ArrayList<>(List.of("serve"));
        args.addAll(List.of(flags));
        return new Server(start(workDir, all, args.toArray(String[]::new)), port);
    }

    static void awaitHealthy(Server server) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        awaitCondition("GET /healthz answers 200 (stderr so far:\n" + server.stderr() + ")", START_TIMEOUT, () -> {
            if (!server.process.isAlive()) {
                throw new AssertionError("server exited with " + server.process.exitValue() + " before it was healthy; stderr:\n" + server.stderr());
            }
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(server.uri("/healthz")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                r.headers().firstValue("X-Request-Id").ifPresent(server.probeRequestIds::add);
                return r.statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    /** True when a new TCP connection to the port is refused: nothing listens there any more. */
    static boolean refusesConnections(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Polls {@code condition} every 50 ms until it holds; fails after {@code timeout}. */
    static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) {
        dev.ekvault.server.testing.Await.until(what, timeout, Duration.ofMillis(50), condition);
    }

    // ---- HTTP ----

    record Reply(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        String requestId() {
            return headers.firstValue("X-Request-Id").orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /** A small client for one server and one token that remembers every X-Request-Id it received. */
    static final class Api {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final Server server;
        private final String token;
        final List<String> requestIds = new ArrayList<>();

        Api(Server server, String token) {
            this.server = server;
            this.token = token;
        }

        Reply get(String path) {
            return send(builder(path).GET());
        }

        Reply post(String path, String json) {
            return send(builder(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
        }

        Reply put(String path, String json) {
            return send(builder(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
        }

        /** DELETE with no body and no Content-Type. */
        Reply delete(String path) {
            return send(builder(path).DELETE());
        }

        HttpRequest.Builder builder(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(60));
            if (token != null) b.header("Authorization", "Bearer " + token);
            return b;
        }

        Reply send(HttpRequest.Builder builder) {
            try {
                HttpResponse<String> r = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
                Reply reply = new Reply(r.statusCode(), r.body(), r.headers());
                synchronized (requestIds) {
                    if (reply.requestId() != null) requestIds.add(reply.requestId());
                }
                return reply;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Creates the project {@code web} in the workspace's first team, with one environment {@code production}, as the
     * owner; returns the environment's id.
     */
    static String webProduction(Api owner) {
        String team = owner.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
        owner.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + quote(team) + "}");
        return owner.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\"}").json().get("id").asText();
    }

    static String urlEncode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    static String quote(String text) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(text).toString();
    }

    /** The bulk-create body: every secret (key → value) in every environment. */
    static String bulkCreateBody(List<String> environmentIds, Map<String, String> secrets) {
        List<String> envs = environmentIds.stream().map(EkJar::quote).toList();
        List<String> items = new ArrayList<>();
        secrets.forEach((k, v) -> items.add("{\"key\":" + quote(k) + ",\"value\":" + quote(v) + ",\"type\":\"runtime\",\"dataType\":\"text\"}"));
        return "{\"environments\":[" + String.join(",", envs) + "],\"secrets\":[" + String.join(",", items) + "]}";
    }

    // ---- files and the database ----

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> lines(String text) {
        return text.isEmpty() ? List.of() : text.lines().toList();
    }

    /** Parses a line as JSON; null when it is not a JSON object. */
    static JsonNode jsonObject(String line) {
        try {
            JsonNode node = JSON.readTree(line);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * SHA-256 over every row of every table of a SQLite database, read through JDBC in read-only mode: table names,
     * then each table's rows rendered column by column and sorted, so the digest changes with any stored value.
     */
    static String sqliteDigest(Path database) {
        Properties readOnly = new Properties();
        readOnly.setProperty("open_mode", "1"); // SQLITE_OPEN_READONLY
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database, readOnly)) {
            return digest(c, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read " + database, e);
        }
    }

    /** The same digest over the public schema of a PostgreSQL database. */
    static String postgresDigest(String jdbcUrl) {
        try (Connection c = DriverManager.getConnection(jdbcUrl)) {
            return digest(c, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                    + "AND table_type = 'BASE TABLE' ORDER BY table_name");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the PostgreSQL database", e);
        }
    }

    private static String digest(Connection c, String tablesQuery) throws SQLException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<String> tables = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(tablesQuery)) {
            while (rs.next()) tables.add(rs.getString(1));
        }
        if (tables.isEmpty()) throw new AssertionError("the database has no tables");
        int rowsSeen = 0;
        for (String table : tables) {
            List<String> rows = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM \"" + table.replace("\"", "\"\"") + "\"")) {
                ResultSetMetaData meta = rs.getMetaData();
                while (rs.next()) {
                    StringBuilder row = new StringBuilder();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        Object value = rs.getObject(i);
                        String text = value == null ? "\u0000null" : value instanceof byte[] bytes ? "x" + HexFormat.of().formatHex(bytes) : value.toString();
                        row.append(meta.getColumnName(i)).append('=').append(text.length()).append(':').append(text).append('|');
                    }
                    rows.add(row.toString());
                }
            }
            rows.sort(null);
            rowsSeen += rows.size();
            sha.update(("table " + table + " rows " + rows.size() + "\n").getBytes(StandardCharsets.UTF_8));
            for (String row : rows) sha.update((row + "\n").getBytes(StandardCharsets.UTF_8));
        }
        if (rowsSeen == 0) throw new AssertionError("the database holds no rows at all");
        return tables.size() + " tables/" + rowsSeen + " rows/" + HexFormat.of().formatHex(sha.digest());
    }
}
