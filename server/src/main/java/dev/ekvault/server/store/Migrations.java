package dev.ekvault.server.store;

import dev.ekvault.server.config.StartFailure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Logger;

/**
 * Versioned schema migrations, one folder per dialect: {@code db/<dialect>/V1.sql, V2.sql, …} (up to V200). Each runs once, in
 * its own transaction, and its checksum is recorded; a changed file that was already applied stops the start.
 * On PostgreSQL an advisory lock makes nodes that start together apply each migration exactly once.
 *
 * <p>All the migrations a start applies run in one transaction (SQLite and PostgreSQL both roll DDL back), so a
 * migration that fails leaves the database exactly as the previous release left it, not half-way between two schemas,
 * and the start stops naming that migration. A database that has a migration this build does not know (a newer release
 * migrated it) is refused: older code on a newer schema could write what the newer code cannot read.
 *
 * <p>Written here instead of taking Flyway: the whole need is these eighty lines, and Flyway's jar and start time
 * are larger than the rest of our storage layer.
 */
public final class Migrations {
    private static final Logger LOG = Logger.getLogger(Migrations.class.getName());
    private static final long POSTGRES_LOCK_KEY = 0x656b5f6d6967L; // "ek_mig"
    private static final int MAX_VERSION = 200;

    private record Migration(int version, String description, String sql, String checksum) {}

    private Migrations() {}

    /** Applies every migration not yet applied; returns how many ran. */
    public static int apply(Database database, Clock clock) {
        return apply(database, clock, MAX_VERSION);
    }

    /** Applies the migrations up to version {@code upTo} (a test of what a migration does to the data before it). */
    static int apply(Database database, Clock clock, int upTo) {
        return apply(database, clock, upTo, Migrations.class.getClassLoader());
    }

    /** Applies the migrations up to {@code upTo} found through {@code source} (a test adds one of its own). */
    static int apply(Database database, Clock clock, int upTo, ClassLoader source) {
        List<Migration> known = load(database.dialect(), source);
        int newestKnown = known.isEmpty() ? 0 : known.getLast().version;
        List<Migration> migrations = known.stream().filter(m -> m.version <= upTo).toList();
        return database.write(connection -> {
            if (database.dialect() == Dialect.POSTGRESQL) {
                try (Statement lock = connection.createStatement()) {
                    // a migration may rewrite a large table, and a node starting beside another waits for its migrations:
                    // neither is a request, so the statement and socket bounds (Database.Bounds) do not apply here
                    lock.execute("SET LOCAL statement_timeout = 0");
                    connection.setNetworkTimeout(Runnable::run, 0);
                    lock.execute("SELECT pg_advisory_xact_lock(" + POSTGRES_LOCK_KEY + ")");
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, "
                        + "description TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            }
            int newestApplied = newestApplied(connection);
            if (newestApplied > newestKnown) {
                throw new StartFailure(StartFailure.Reason.DATABASE, "the database has schema migration V" + newestApplied + ", newer than "
                        + "this release knows (V" + newestKnown + "): a newer release has upgraded it, and going back is not supported; "
                        + "run that release, or restore the backup taken before the upgrade");
            }
            int applied = 0;
            for (Migration migration : migrations) {
                String recorded = recordedChecksum(connection, migration.version);
                if (recorded == null) {
                    run(connection, migration, clock);
                    applied++;
                } else if (!recorded.equals(migration.checksum)) {
                    throw new StartFailure(StartFailure.Reason.DATABASE, "migration V" + migration.version + " was changed after it was "
                            + "applied; restore the original file and add a new migration instead");
                }
            }
            return applied;
        });
    }

    private static String recordedChecksum(Connection connection, int version) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT checksum FROM schema_migration WHERE version = ?")) {
            select.setInt(1, version);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }

    private static int newestApplied(Connection connection) throws SQLException {
        try (Statement select = connection.createStatement(); ResultSet row = select.executeQuery("SELECT MAX(version) FROM schema_migration")) {
            return row.next() ? row.getInt(1) : 0;
        }
    }

    private static void run(Connection connection, Migration migration, Clock clock) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            for (String sql : statements(migration.sql)) statement.execute(sql);
        } catch (SQLException e) {
            // the message is the database's about our own DDL: it names a table or column, never a stored value
            throw new StartFailure(StartFailure.Reason.DATABASE, "schema migration V" + migration.version + " (" + migration.description
                    + ") failed: " + e.getMessage() + "; every migration of this start was rolled back, the database is as it was");
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO schema_migration (version, description, checksum, applied_at) VALUES (?, ?, ?, ?)")) {
            insert.setInt(1, migration.version);
            insert.setString(2, migration.description);
            insert.setString(3, migration.checksum);
            insert.setLong(4, clock.millis());
            insert.executeUpdate();
        }
        LOG.info("applied schema migration V" + migration.version + ": " + migration.description);
    }

    /** Splits a migration at semicolons that end a line; our migrations keep one statement per such end. */
    static List<String> statements(String sql) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : sql.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) continue;
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String statement = current.toString().strip();
                statements.add(statement.substring(0, statement.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) statements.add(current.toString().strip());
        return statements;
    }

    private static List<Migration> load(Dialect dialect, ClassLoader source) {
        List<Migration> migrations = new ArrayList<>();
        // numbers may have gaps (two branches reserving numbers); each present file runs once, in number order
        for (int version = 1; version <= MAX_VERSION; version++) {
            String path = "db/" + dialect.migrationFolder + "/V" + version + ".sql";
            try (InputStream in = source.getResourceAsStream(path)) {
                if (in == null) continue;
                String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                migrations.add(new Migration(version, firstComment(sql), sql, sha256(sql)));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read migration " + path, e);
            }
        }
        return migrations;
    }

    private static String firstComment(String sql) {
        String first = sql.lines().findFirst().orElse("").strip();
        return first.startsWith("--") ? first.substring(2).strip() : "";
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
