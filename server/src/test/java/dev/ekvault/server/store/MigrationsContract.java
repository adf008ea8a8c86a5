package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

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
}
