package dev.ekvault.server.store;

import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On PostgreSQL a statement with an IN list is planned for its values every time it runs ({@link Sql}): it is never
 * prepared on the server, where PostgreSQL would keep one generic plan for it, made on what it knew of the table then
 * (a new store's nearly empty table: a whole-table scan for every bulk create after). Every other statement is still
 * prepared on the server after pgjdbc's few uses, the control that the check below can see a prepared statement.
 */
class SqlPostgresPlansTest {
    @Test
    void aStatementWithAnInListIsNeverPreparedOnTheServerWhileOthersAre() {
        try (Database db = new Database(TestPostgres.freshDatabase(), "", "", 1)) {
            db.write(c -> {
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
                }
                for (int i = 1; i <= 3; i++) Sql.update(c, "INSERT INTO item (id, name) VALUES (?, ?)", i, "n" + i);
                return null;
            });
            List<String> prepared = db.read(c -> {
                for (int i = 0; i < 10; i++) {
                    assertThat(Sql.list(c, "SELECT id FROM item WHERE name IN (?, ?) ORDER BY id", r -> r.getLong(1), "n1", "n3"))
                            .containsExactly(1L, 3L);
                    assertThat(Sql.list(c, "SELECT id FROM item WHERE name = ? ORDER BY id", r -> r.getLong(1), "n2")).containsExactly(2L);
                }
                return Sql.list(c, "SELECT statement FROM pg_prepared_statements", r -> r.getString(1));
            });
            assertThat(prepared).as("the single look-up, run ten times on one connection, is prepared on the server")
                    .anySatisfy(s -> assertThat(s).contains("WHERE name = $1"));
            assertThat(prepared).as("the IN list never is").noneSatisfy(s -> assertThat(s).contains("IN ($1"));
        }
    }
}
