package dev.ekvault.server.store;

import dev.ekvault.server.audit.AuditEntry;
import dev.ekvault.server.audit.AuditLog;
import dev.ekvault.server.audit.AuditStore;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

abstract class MigrationsContract {
    abstract Backend backend();

    private Database open() throws Exception {
        String url = backend().freshDatabaseUrl();
        String jdbc = url.isEmpty() ? "jdbc:sqlite:" + Files.createTempDirectory("ek-mig").resolve("ek.db") : url;
        return new Database(jdbc, "", "", 2);
    }

    @Test
    void appliesEachMigrationOnceAndRefusesAChangedOne() throws Exception {
        try (Database db = open()) {
            assertThat(Migrations.apply(db, new TestClock())).isGreaterThanOrEqualTo(1);
            assertThat(Migrations.apply(db, new TestClock())).isZero();
            db.write(c -> c.createStatement().executeUpdate("UPDATE schema_migration SET checksum = 'edited' WHERE version = 1"));
            assertThatThrownBy(() -> Migrations.apply(db, new TestClock())).hasMessageContaining("V1").hasMessageContaining("changed");
        }
    }

    /**
     * V7 regroups the audit log (a row per group of entries, its lines built from V6's columns by SQL): the entries
     * V6 stored, with text that JSON must escape, read back field for field and still verify, and the chain goes on.
     */
    @Test
    void theAuditEntriesV6StoredStillVerifyOnceV7GroupsThem() throws Exception {
        try (Database db = open()) {
            Migrations.apply(db, new TestClock(), 6);
            String[] odd = {"quote \" backslash \\ tab \t newline \n control \u0001 slash / del \u007f", "non-ASCII é ✓ 𝄞", null};
            List<AuditEntry> written = new ArrayList<>();
            db.write(c -> {
                String previous = AuditEntry.GENESIS;
                for (int i = 0; i < 3; i++) {
                    AuditEntry draft = new AuditEntry("ws-1", i + 1, "0190f0f0-0000-7000-8000-00000000000" + i, 1_700_000_000_000L + i, odd[i],
                            "cred", "static", "127.0.0.1", odd[(i + 1) % 3], "update", "secret", odd[(i + 2) % 3], null, "env",
                            i == 0 ? null : "{\"name\":\"a\\\"b é\",\"version\":2}", "{\"n\":" + i + "}", "success", previous, null);
                    AuditEntry e = new AuditEntry(draft.workspaceId(), draft.seq(), draft.id(), draft.at(), draft.actorUserId(), draft.credentialId(),
                            draft.credentialKind(), draft.clientAddress(), draft.requestId(), draft.action(), draft.entityType(), draft.entityId(),
                            draft.projectId(), draft.environmentId(), draft.beforeJson(), draft.afterJson(), draft.outcome(), previous,
                            draft.computeHash());
                    Sql.update(c, "INSERT INTO audit_entry (workspace_id, seq, id, at, actor_user_id, credential_id, credential_kind, client_address, "
                            + "request_id, action, entity_type, entity_id, project_id, environment_id, before_json, after_json, outcome, prev_hash, hash) "
                            + "VALUES (" + Sql.placeholders(19) + ")", e.workspaceId(), e.seq(), e.id(), e.at(), e.actorUserId(), e.credentialId(),
                            e.credentialKind(), e.clientAddress(), e.requestId(), e.action(), e.entityType(), e.entityId(), e.projectId(),
                            e.environmentId(), e.beforeJson(), e.afterJson(), e.outcome(), e.prevHash(), e.hash());
                    written.add(e);
                    previous = e.hash();
                }
                return null;
            });
            assertThat(Migrations.apply(db, new TestClock())).isGreaterThanOrEqualTo(1);
            AuditStore store = new AuditStore();
            db.read(c -> {
                List<AuditEntry> read = new ArrayList<>();
                store.walk(c, "ws-1", read::add);
                assertThat(read).isEqualTo(written);
                assertThat(store.one(c, "ws-1", written.get(1).id())).isEqualTo(written.get(1));
                assertThat(AuditLog.verify(c, store, "ws-1", null).intact()).isTrue();
                return null;
            });
            db.write(c -> store.append(c, List.of(new AuditEntry("ws-1", 0, null, 1_700_000_000_100L, null, null, "system", null, null, "create",
                    "secret", "x", null, null, null, null, "success", null, null))));
            AuditLog.Verification v = db.read(c -> AuditLog.verify(c, store, "ws-1", null));
            assertThat(v.intact()).isTrue();
            assertThat(v.checked()).isEqualTo(4);
        }
    }

    /**
     * V13: on PostgreSQL a group's text is compressed with lz4, not pglz (pglz cost PostgreSQL a tenth of a core under an
     * audited read load). A group large enough to be compressed is stored as lz4 and reads back whole and verified.
     * SQLite stores text as it is: the control that the migration is PostgreSQL's alone.
     */
    @Test
    void auditGroupsAreCompressedWithLz4OnPostgreSQL() throws Exception {
        try (Database db = open()) {
            Migrations.apply(db, new TestClock());
            AuditStore store = new AuditStore();
            List<AuditEntry> drafts = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                drafts.add(new AuditEntry("ws-1", 0, null, 1_700_000_000_000L + i, "user-" + i, "cred", "static", "127.0.0.1", "req-" + i,
                        "view", "secret", null, "project", "env", null, "{\"secrets\":[\"A\",\"B\"]}", "success", null, null));
            }
            List<AuditEntry> written = db.write(c -> store.append(c, drafts));
            db.read(c -> {
                List<AuditEntry> read = new ArrayList<>();
                store.walk(c, "ws-1", read::add);
                assertThat(read).isEqualTo(written);
                assertThat(AuditLog.verify(c, store, "ws-1", null).intact()).isTrue();
                if (db.dialect() == Dialect.POSTGRESQL) {
                    // a PostgreSQL built without lz4 (the embedded one the tests start without EK_TEST_POSTGRES_URL) keeps pglz
                    boolean lz4 = Sql.<Boolean>one(c, "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'",
                            r -> r.getBoolean(1));
                    assertThat(Sql.<String>one(c, "SELECT pg_column_compression(entries) FROM audit_block WHERE workspace_id = ?", r -> r.getString(1), "ws-1"))
                            .as("the group's text, about 40 KB, is compressed, and with lz4 where the server has it").isEqualTo(lz4 ? "lz4" : "pglz");
                } else {
                    assertThat(Sql.<String>one(c, "SELECT typeof(entries) FROM audit_block WHERE workspace_id = ?", r -> r.getString(1), "ws-1")).isEqualTo("text");
                }
                return null;
            });
        }
    }

    /**
     * V14: on PostgreSQL the names lists are ordered by compare byte by byte ({@code "C"}), as SQLite's BINARY does, not
     * by the database's default collation ({@code TextOrderContract} shows the lists' order on a database with another).
     */
    @Test
    void namesCompareByteByByteOnPostgreSQL() throws Exception {
        try (Database db = open()) {
            Migrations.apply(db, new TestClock());
            if (db.dialect() != Dialect.POSTGRESQL) return; // SQLite's text compares byte by byte unless told otherwise
            List<String> collations = db.read(c -> Sql.list(c, """
                    SELECT table_name || '.' || column_name || ' ' || coalesce(collation_name, 'default') FROM information_schema.columns
                    WHERE table_schema = current_schema() AND (column_name = 'name' AND table_name IN ('secret', 'deleted_secret', 'project', 'environment', 'team')
                       OR table_name = 'app_user' AND column_name = 'email')
                    ORDER BY 1""", r -> r.getString(1)));
            assertThat(collations).containsExactly("app_user.email C", "deleted_secret.name C", "environment.name C", "project.name C",
                    "secret.name C", "team.name C");
        }
    }

    @Test
    void aFailedTransactionLeavesNothingBehind() throws Exception {
        try (Database db = open()) {
            Migrations.apply(db, new TestClock());
            assertThatThrownBy(() -> db.write(c -> {
                c.createStatement().executeUpdate("INSERT INTO app_user (id, email, name, created_at) VALUES ('u1', 'a@b', 'a', 0)");
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
            long users = db.read(c -> {
                var r = c.createStatement().executeQuery("SELECT COUNT(*) FROM app_user");
                r.next();
                return r.getLong(1);
            });
            assertThat(users).isZero();
        }
    }

    @Test
    void uniqueViolationsAreRecognised() throws Exception {
        try (Database db = open()) {
            Migrations.apply(db, new TestClock());
            db.write(c -> c.createStatement().executeUpdate("INSERT INTO app_user (id, email, name, created_at) VALUES ('u1', 'a@b', 'a', 0)"));
            assertThatThrownBy(() -> db.write(c -> c.createStatement().executeUpdate(
                    "INSERT INTO app_user (id, email, name, created_at) VALUES ('u2', 'a@b', 'a', 0)")))
                    .isInstanceOf(ConflictingWrite.class) // typed by the store layer: the gateway answers 409
                    .satisfies(e -> assertThat(db.dialect().isConflict(e)).isTrue());
            // a row under a parent that is gone (deleted by a request running beside this one) is a conflict too
            assertThatThrownBy(() -> db.write(c -> c.createStatement().executeUpdate(
                    "INSERT INTO team (id, workspace_id, name, created_at) VALUES ('t1', 'no-such-workspace', 'x', 0)")))
                    .isInstanceOf(ConflictingWrite.class);
            // the control: any other failure stays a plain StoreException (500)
            assertThatThrownBy(() -> db.write(c -> c.createStatement().executeUpdate("INSERT INTO no_such_table VALUES (1)")))
                    .isInstanceOf(StoreException.class).isNotInstanceOf(ConflictingWrite.class);
        }
    }

    /** The highest migration number shipped for this backend's dialect. */
    private int latest(Database db) {
        int latest = 0;
        for (int v = 1; v <= 200; v++) {
            if (getClass().getClassLoader().getResource("db/" + db.dialect().migrationFolder + "/V" + v + ".sql") != null) latest = v;
        }
        return latest;
    }

    /** The shipped migrations plus one more, numbered {@code version}, holding {@code sql}. */
    private static ClassLoader withExtraMigration(Database db, int version, String sql) {
        String extra = "db/" + db.dialect().migrationFolder + "/V" + version + ".sql";
        return new ClassLoader(MigrationsContract.class.getClassLoader()) {
            @Override
            public java.io.InputStream getResourceAsStream(String name) {
                return name.equals(extra) ? new java.io.ByteArrayInputStream(sql.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        : super.getResourceAsStream(name);
            }
        };
    }

    /** Every table, column and index of the schema, with the migrations recorded and the rows of app_user. */
    private static String schema(Database db) {
        String query = db.dialect() == Dialect.SQLITE
                ? "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master ORDER BY type, name"
                : "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns "
                        + "WHERE table_schema = current_schema() UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes "
                        + "WHERE schemaname = current_schema() UNION ALL SELECT 'trigger ' || trigger_name || ' ' || event_object_table "
                        + "FROM information_schema.triggers WHERE trigger_schema = current_schema() ORDER BY 1";
        return db.read(c -> {
            StringBuilder out = new StringBuilder();
            for (String q : List.of(query, "SELECT 'migration V' || version || ' ' || checksum FROM schema_migration ORDER BY version",
                    "SELECT 'user ' || id || ' ' || email FROM app_user ORDER BY id")) {
                try (var rows = c.createStatement().executeQuery(q)) {
                    while (rows.next()) out.append(rows.getString(1)).append('\n');
                }
            }
            return out.toString();
        });
    }

    /**
     * An upgrade whose last migration fails: the start stops naming it, and the database is as the previous release left
     * it (schema, recorded migrations and rows), not half-way; without the broken migration the same upgrade applies.
     */
    @Test
    void aMigrationThatFailsLeavesTheDatabaseAsItWasAndIsNamed() throws Exception {
        try (Database db = open()) {
            int latest = latest(db);
            Migrations.apply(db, new TestClock(), latest - 1); // the previous release's schema, with a row in it
            db.write(c -> c.createStatement().executeUpdate("INSERT INTO app_user (id, email, name, created_at) VALUES ('u1', 'a@b', 'a', 0)"));
            String before = schema(db);
            ClassLoader broken = withExtraMigration(db, latest + 1, """
                    -- a migration that breaks half-way
                    CREATE TABLE half_done (id TEXT PRIMARY KEY);
                    UPDATE app_user SET name = 'changed';
                    INSERT INTO no_such_table VALUES (1);
                    """);

            assertThatThrownBy(() -> Migrations.apply(db, new TestClock(), 200, broken))
                    .isInstanceOfSatisfying(dev.ekvault.server.config.StartFailure.class,
                            f -> assertThat(f.reason).isEqualTo(dev.ekvault.server.config.StartFailure.Reason.DATABASE))
                    .hasMessageContaining("schema migration V" + (latest + 1) + " (a migration that breaks half-way) failed")
                    .hasMessageContaining("no_such_table")
                    .hasMessageContaining("the database is as it was");
            assertThat(schema(db)).as("neither V%d nor the broken one left anything", latest).isEqualTo(before);

            assertThat(Migrations.apply(db, new TestClock())).as("the control: the real upgrade applies").isEqualTo(1);
            assertThat(schema(db)).isNotEqualTo(before).contains("migration V" + latest + " ").doesNotContain("half_done");
        }
    }

    /** A database a newer release migrated is refused, not run by older code; the control: the same database, current. */
    @Test
    void aDatabaseANewerReleaseMigratedIsRefused() throws Exception {
        try (Database db = open()) {
            int latest = latest(db);
            Migrations.apply(db, new TestClock());
            assertThat(Migrations.apply(db, new TestClock())).isZero();
            db.write(c -> c.createStatement().executeUpdate("INSERT INTO schema_migration (version, description, checksum, applied_at) "
                    + "VALUES (" + (latest + 3) + ", 'from the future', 'x', 0)"));
            assertThatThrownBy(() -> Migrations.apply(db, new TestClock()))
                    .isInstanceOf(dev.ekvault.server.config.StartFailure.class)
                    .hasMessageContaining("V" + (latest + 3)).hasMessageContaining("newer than this release knows (V" + latest + ")");
        }
    }
}
