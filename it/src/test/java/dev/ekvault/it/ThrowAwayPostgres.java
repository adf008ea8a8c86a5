package dev.ekvault.it;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PostgreSQL cluster of its own in a temporary folder, on a free port, run as user postgres (initdb and pg_ctl through
 * runuser); stopped and deleted at the end. Never the machine's shared one: the fault tests stop it, stall it and fill
 * its disk. Skipped (an assumption) without root or without the PostgreSQL 15 binaries.
 */
final class ThrowAwayPostgres implements AutoCloseable {
    private static final Path PG_BIN = Path.of("/usr/lib/postgresql/15/bin");

    final int port;
    private final Path folder;

    private ThrowAwayPostgres(Path folder, int port) {
        this.folder = folder;
        this.port = port;
    }

    static ThrowAwayPostgres start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PG_BIN.resolve("pg_ctl")), "no PostgreSQL 15 binaries in " + PG_BIN);
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "starting a throw-away PostgreSQL needs root (runuser -u postgres)");
        Path folder = Files.createTempDirectory("ek-throwaway-pg");
        chownToPostgres(folder);
        run("runuser", "-u", "postgres", "--", PG_BIN.resolve("initdb").toString(), "-D", folder.resolve("data").toString(),
                "-A", "trust", "-U", "postgres", "--no-sync");
        ThrowAwayPostgres pg = new ThrowAwayPostgres(folder, EkJar.freePort());
        pg.startAgain();
        return pg;
    }

    /** The server's URL of the default database, through {@code port} (this cluster's, or a proxy's in front of it). */
    String url(int port) {
        return url(port, "postgres");
    }

    String url(int port, String database) {
        return "postgresql://postgres@127.0.0.1:" + port + "/" + database;
    }

    /** Runs each statement in turn, each in its own transaction, on the default database as the superuser. */
    void execute(String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
             Statement s = c.createStatement()) {
            for (String statement : statements) s.execute(statement);
        }
    }

    /** PostgreSQL refuses a data or tablespace folder it does not own. */
    static void chownToPostgres(Path path) throws Exception {
        run("chown", "postgres:postgres", path.toString());
    }

    void startAgain() throws Exception {
        run("runuser", "-u", "postgres", "--", PG_BIN.resolve("pg_ctl").toString(), "-D", folder.resolve("data").toString(),
                "-l", folder.resolve("log").toString(), "-w", "-t", "60", "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -k " + folder + " -c fsync=off", "start");
    }

    void stop() throws Exception {
        run("runuser", "-u", "postgres", "--", PG_BIN.resolve("pg_ctl").toString(), "-D", folder.resolve("data").toString(),
                "-w", "-t", "60", "-m", "fast", "stop");
    }

    /** PostgreSQL's own log, for a test to say what the database saw. */
    String log() {
        return EkJar.read(folder.resolve("log"));
    }

    @Override
    public void close() throws Exception {
        try {
            if (Files.exists(folder.resolve("data/postmaster.pid"))) stop();
        } finally {
            run("rm", "-rf", folder.toString());
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", List.of(command), out).isZero();
    }
}
