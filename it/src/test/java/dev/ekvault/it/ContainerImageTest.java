package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.config.Setting;
import dev.ekvault.server.testing.RepoDocs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container image of {@code deploy/image/build}: built once for the class (again only when the jar or the build
 * files are newer than the archive), read structurally with no container tool (size budget, user, entrypoint, volume,
 * owners, no shell), then — where {@code podman} can run a container here — loaded and run as an operator would: a
 * named volume for {@code /data}, the master key as a mounted secret, a read-only root with no tmpfs, no capabilities,
 * a secret stored and read back through the API, the health check, and the secret read again by a new container on
 * the same volume. Without a working podman that half is skipped with the reason, unless {@code EK_REQUIRE_PODMAN=1}
 * (CI): then it fails.
 */
class ContainerImageTest {
    /** The budget, for the image as it is stored unpacked (what `podman images` shows). */
    static final long BUDGET_BYTES = 150L * 1000 * 1000;
    static final int USER = 10001;
    static final Duration PODMAN_TIMEOUT = Duration.ofMinutes(3);

    static Path archive;
    static OciImage image;

    @BeforeAll
    static void build() throws IOException {
        Assumptions.assumeTrue(System.getProperty("os.name").equals("Linux"),
                "the image is built from this machine's Linux libraries: skipped on " + System.getProperty("os.name"));
        Path root = RepoDocs.root();
        Path out = root.resolve("it/target/image");
        archive = out.resolve("ek-server-oci.tar");
        Path script = root.resolve("deploy/image/build");
        if (stale(archive, EkJar.jar(), script, root.resolve("deploy/image/Healthcheck.java"))) {
            Files.createDirectories(out);
            Path log = out.resolve("build.log");
            Process build = new ProcessBuilder("bash", script.toString(), out.toString()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            int code = await(build, Duration.ofMinutes(10), "deploy/image/build");
            assertThat(code).as("deploy/image/build exit code; output:\n%s", Files.readString(log)).isZero();
            assertThat(Files.readString(log)).as("the build prints the archive's path").contains("image: " + archive);
        }
        image = OciImage.read(archive);
    }

    private static boolean stale(Path archive, Path... inputs) throws IOException {
        if (!Files.isRegularFile(archive)) return true;
        FileTime built = Files.getLastModifiedTime(archive);
        for (Path input : inputs) if (Files.getLastModifiedTime(input).compareTo(built) > 0) return true;
        return false;
    }

    @Test
    void staysWithinTheSizeBudget() {
        assertThat(image.unpackedBytes()).as("unpacked size of the layers").isLessThan(BUDGET_BYTES).isGreaterThan(20_000_000L);
        assertThat(image.archiveBytes()).as("the archive").isLessThan(image.unpackedBytes());
        assertThat(image.layers()).as("layers: runtime, application (jar), class-data archive").hasSize(3);
    }

    @Test
    void runsTheJarWithTheJlinkedRuntimeAsANonRootUser() {
        JsonNode config = image.config().get("config");
        assertThat(config.get("User").asText()).isEqualTo(USER + ":" + USER);
        List<String> entrypoint = strings(config.get("Entrypoint"));
        assertThat(entrypoint.get(0)).isEqualTo("/opt/ek/java/bin/java");
        assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size())).containsExactly("-jar", "/opt/ek/ek-server.jar");
        assertThat(entrypoint).as("SQLite's library comes from the image, not a temporary folder")
                .contains("-Dorg.sqlite.lib.path=/opt/ek/lib", "-Dorg.sqlite.lib.name=libsqlitejdbc.so")
                .as("the class-data archive made at build time, read only").contains("-XX:SharedArchiveFile=/opt/ek/ek-server.jsa")
                .as("nothing the JVM writes by itself on the read-only root").contains("-XX:-UsePerfData")
                .noneMatch(option -> option.contains("AutoCreateSharedArchive") || option.contains("ArchiveClassesAtExit"));
        assertThat(strings(config.get("Cmd"))).containsExactly("serve");
        assertThat(config.get("Volumes").has("/data")).isTrue();
        assertThat(config.get("ExposedPorts").has("8080/tcp")).isTrue();
        assertThat(config.get("WorkingDir").asText()).isEqualTo("/data");
        assertThat(strings(config.get("Healthcheck").get("Test")))
                .startsWith("CMD", "/opt/ek/java/bin/java").endsWith("Healthcheck", "/readyz");

        Set<String> settings = Setting.ALL.stream().map(Setting::environmentVariable).collect(Collectors.toSet());
        List<String> env = strings(config.get("Env"));
        assertThat(env).contains("EK_DATA_DIR=/data");
        for (String variable : env) {
            String name = variable.substring(0, variable.indexOf('='));
            if (!name.startsWith("EK_")) continue;
            assertThat(settings).as("%s is a setting", name).contains(name);
            Setting setting = Setting.ALL.stream().filter(s -> s.environmentVariable().equals(name)).findFirst().orElseThrow();
            if (DeployManifestsTest.PATH_SETTINGS.contains(setting.key())) {
                String path = variable.substring(name.length() + 1);
                assertThat(config.get("Volumes").fieldNames()).toIterable().as("%s lies in a volume", variable)
                        .anyMatch(volume -> path.equals(volume) || path.startsWith(volume + "/"));
            }
        }
    }

    @Test
    void holdsNoShellAndEveryFileIsRootsButTheDataFolder() {
        List<OciImage.Entry> entries = image.entries();
        Set<String> paths = entries.stream().map(OciImage.Entry::path).map(p -> p.replaceFirst("/$", "")).collect(Collectors.toSet());
        assertThat(paths).contains("opt/ek/java/bin/java", "opt/ek/ek-server.jar", "opt/ek/lib/libsqlitejdbc.so",
                "opt/ek/healthcheck/Healthcheck.class", "opt/ek/ek-server.jsa", "lib64/ld-linux-x86-64.so.2", "etc/passwd", "tmp", "data", "run/secrets");
        assertThat(paths).as("no shell, no package manager").doesNotContain("bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/apt");
        assertThat(paths).as("no java.desktop: no AWT, no X11").noneMatch(p -> p.contains("libawt") || p.contains("libX11"));
        for (OciImage.Entry entry : entries) {
            assertThat(entry.mode() & 06000).as("setuid/setgid bit on %s", entry.path()).isZero();
            if (entry.path().replaceFirst("/$", "").equals("data")) {
                assertThat(entry.uid()).as("owner of /data").isEqualTo(USER);
                assertThat(entry.mode() & 0777).as("mode of /data").isEqualTo(0700);
                assertThat(entry.directory()).isTrue();
            } else {
                assertThat(entry.uid()).as("owner of %s", entry.path()).isZero();
                if (entry.type() != '2') { // a symbolic link's own mode means nothing
                    assertThat(entry.mode() & 0002).as("others may write %s", entry.path()).isEqualTo(entry.path().startsWith("tmp") ? 2 : 0);
                }
            }
        }
        OciImage.Entry java = entries.stream().filter(e -> e.path().equals("opt/ek/java/bin/java")).findFirst().orElseThrow();
        assertThat(java.mode() & 0111).as("java is executable").isNotZero();
        assertThat(entries.stream().filter(e -> e.path().equals("etc/passwd")).findFirst().orElseThrow().size()).isPositive();
    }

    // ---- the image run by podman ----

    @Test
    void storesASecretThroughTheApiOnAReadOnlyRootAndKeepsItInTheVolume() throws Exception {
        List<String> runtime = podmanRuntime();
        String name = "ek-it-" + UUID.randomUUID().toString().substring(0, 8);
        String tag = "localhost/ek-server:it-" + name;
        Path work = EkJar.tempDir("ek-image");
        String loadedName = tag;
        try {
            PodmanResult loaded = podman(work, "load", "-q", "-i", archive.toString());
            assertThat(loaded.code()).as("podman load: %s", loaded).isZero();
            loadedName = loaded.stdout().strip().replaceFirst("^Loaded image(\\(s\\))?: ", "");
            assertThat(podman(work, "tag", loadedName, tag).code()).isZero();
            assertThat(podman(work, "volume", "create", name).code()).isZero();
            Path keys = ownedByTheImageUser(work, Files.createDirectories(work.resolve("keys")));
            ownedByTheImageUser(work, Files.writeString(keys.resolve("master.key"), EkJar.newMasterKey()));
            List<String> common = new ArrayList<>(runtime);
            common.addAll(List.of("--read-only", "--read-only-tmpfs=false", "--cap-drop=all", "--security-opt=no-new-privileges",
                    "-v", name + ":/data", "-v", keys + ":/run/secrets:ro,Z", "-e", "EK_MASTER_KEY_FILE=/run/secrets/master.key"));

            List<String> init = new ArrayList<>(List.of("run", "--rm"));
            init.addAll(common);
            init.addAll(List.of(tag, "init", "--workspace", "acme", "--email", "owner@example.com"));
            PodmanResult initialised = podman(work, init.toArray(String[]::new));
            assertThat(initialised.code()).as("init in the container: %s", initialised).isZero();
            String token = initialised.stdout().strip();
            assertThat(token).matches("^ek_live_[0-9A-Za-z]{43}$");

            String environment;
            try (EkJar.Server server = serve(work, name + "-1", tag, common)) {
                EkJar.Api api = new EkJar.Api(server, token);
                assertThat(api.get("/readyz").status()).isEqualTo(200);
                String team = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
                assertThat(api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(team) + "}")
                        .status()).isEqualTo(201);
                environment = api.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\"}").json().get("id").asText();
                EkJar.Reply created = api.post("/v1/workspace/acme/project/web/secret",
                        EkJar.bulkCreateBody(List.of(environment), Map.of("DB_PASSWORD", "s3cret-in-a-container")));
                assertThat(created.status()).as("%s", created).isEqualTo(201);
                EkJar.Reply read = api.get("/v1/workspace/acme/project/web/secret/DB_PASSWORD?environmentId=" + environment);
                assertThat(read.status()).as("%s", read).isEqualTo(200);
                assertThat(read.body()).contains("s3cret-in-a-container");

                PodmanResult health = podman(work, "healthcheck", "run", name + "-1");
                assertThat(health.code()).as("the image's health check against /readyz: %s", health).isZero();
                PodmanResult whoami = podman(work, "exec", name + "-1", "/opt/ek/java/bin/java", "-XX:-UsePerfData",
                        "-XshowSettings:properties", "-version");
                assertThat(whoami.stderr()).contains("user.name = ek");
                PodmanResult shared = podman(work, "exec", name + "-1", "/opt/ek/java/bin/java", "-XX:-UsePerfData",
                        "-XX:SharedArchiveFile=/opt/ek/ek-server.jsa", "-Xshare:on", "-Xlog:class+path=info", "-jar", "/opt/ek/ek-server.jar", "--help");
                assertThat(shared.stdout()).as("the class-data archive matches the image's jar and runtime: %s", shared)
                        .contains("Archived app classpath validation: passed");
                assertThat(server.terminate()).as("a stopped container's exit code (graceful shutdown)").isIn(0, 143);
            }
            assertThat(readWithNewContainer(work, name, tag, common, token, environment))
                    .as("a new container on the same volume reads the secret").contains("s3cret-in-a-container");
        } finally {
            podman(work, "rm", "-f", name + "-1", name + "-2");
            podman(work, "volume", "rm", "-f", name);
            podman(work, "rmi", tag, loadedName); // a build's image is not left behind for the next build's to pile on
        }
    }

    private static String readWithNewContainer(Path work, String name, String tag, List<String> common, String token, String environment) {
        try (EkJar.Server again = serve(work, name + "-2", tag, common)) {
            return new EkJar.Api(again, token).get("/v1/workspace/acme/project/web/secret/DB_PASSWORD?environmentId=" + environment).body();
        }
    }

    /**
     * The image's health check for {@code podman run --health-cmd} (podman reads no health check from an OCI image
     * config): its JSON array, without Docker's leading {@code CMD}.
     */
    private static String healthCommand() {
        List<String> test = strings(image.config().get("config").get("Healthcheck").get("Test"));
        assertThat(test.get(0)).isEqualTo("CMD");
        return EkJar.JSON.valueToTree(test.subList(1, test.size())).toString();
    }

    /**
     * The master key's folder and file as the image's user would own them (mode 0700 / 0600): chown as root, or
     * inside rootless podman's user namespace.
     */
    private static Path ownedByTheImageUser(Path work, Path path) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwx------" : "rw-------"));
        if ("root".equals(System.getProperty("user.name"))) {
            Files.setAttribute(path, "unix:uid", USER);
            Files.setAttribute(path, "unix:gid", USER);
        } else {
            PodmanResult chown = podman(work, "unshare", "chown", USER + ":" + USER, path.toString());
            assertThat(chown.code()).as("podman unshare chown: %s", chown).isZero();
        }
        return path;
    }

    /** {@code podman run} in the foreground (its output in files, SIGTERM forwarded), once {@code /healthz} answers. */
    private static EkJar.Server serve(Path work, String container, String tag, List<String> common) {
        int port = EkJar.freePort();
        List<String> command = new ArrayList<>(List.of("podman", "run", "--rm", "--name", container, "-p", "127.0.0.1:" + port + ":8080",
                "--health-cmd", healthCommand()));
        command.addAll(common);
        command.add(tag);
        try {
            Path out = work.resolve(container + ".stdout");
            Path err = work.resolve(container + ".stderr");
            Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            EkJar.Server server = new EkJar.Server(new EkJar.Child(process, out, err, command), port);
            try {
                EkJar.awaitHealthy(server);
                return server;
            } catch (RuntimeException | Error e) {
                server.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The runtime flags that let podman run the image here, or the test aborted with what failed. Lower limits than
     * podman's defaults, since a host without CAP_SYS_RESOURCE cannot raise them; crun first, then runc where crun
     * cannot (crun 1.8 refuses cgroup v1/v2 hybrid hosts).
     */
    private static List<String> podmanRuntime() throws IOException {
        boolean required = "1".equals(System.getenv("EK_REQUIRE_PODMAN"));
        Path work = EkJar.tempDir("ek-podman-probe");
        List<String> limits = List.of("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096");
        PodmanResult loaded = podman(work, "load", "-q", "-i", archive.toString());
        String failure = "podman load: " + loaded;
        if (loaded.code() == 0) {
            String loadedName = loaded.stdout().strip().replaceFirst("^Loaded image(\\(s\\))?: ", "");
            for (List<String> runtime : List.of(List.<String>of(), List.of("--runtime", "runc"))) {
                List<String> flags = new ArrayList<>(limits);
                flags.addAll(runtime);
                List<String> probe = new ArrayList<>(List.of("run", "--rm"));
                probe.addAll(flags);
                probe.addAll(List.of(loadedName, "--help"));
                PodmanResult result = podman(work, probe.toArray(String[]::new));
                if (result.code() == 0 && (result.stdout() + result.stderr()).contains("usage: ek-server")) return flags;
                failure = "podman run " + (runtime.isEmpty() ? "(default runtime)" : String.join(" ", runtime)) + ": " + result;
            }
        }
        if (required) throw new AssertionError("EK_REQUIRE_PODMAN=1 but podman cannot run the image here: " + failure);
        Assumptions.abort("podman cannot run the image here (set EK_REQUIRE_PODMAN=1 to fail instead): " + failure);
        return List.of();
    }

    record PodmanResult(int code, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + code + ", stderr: " + stderr.strip();
        }
    }

    /** Runs podman to its end (bounded). No podman: exit 127. */
    private static PodmanResult podman(Path work, String... args) {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(work, "podman", ".stdout");
            Path err = Files.createTempFile(work, "podman", ".stderr");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                return new PodmanResult(127, "", "podman cannot be started: " + e.getMessage());
            }
            process.getOutputStream().close();
            int code = await(process, PODMAN_TIMEOUT, String.join(" ", command.subList(0, Math.min(3, command.size()))));
            return new PodmanResult(code, Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int await(Process process, Duration timeout, String what) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(what + " did not end within " + timeout);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }
}
