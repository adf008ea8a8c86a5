package dev.ekvault.server.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The audit log subscribes as the journal's last in-transaction subscriber: its append takes the workspace chain's
 * lock until the commit, so every other subscriber's statements must run before it, whatever the order the features
 * subscribed in. A real SQLite database drives the journal.
 */
class JournalOrderTest {
    private Database db;
    private final List<String> calls = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() throws Exception {
        db = new Database("jdbc:sqlite:" + Files.createTempDirectory("ek-journal").resolve("ek.db"), "", "", 2);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private void write() {
        db.write(c -> {
            Journal.changed(c, Journal.Change.of("create", "item", "ws1", "i1"));
            return null;
        });
    }

    @Test
    void theLastSubscriberRunsAfterOnesThatSubscribedLaterAndEachSeesTheChanges() {
        db.journal().subscribeInTransaction((c, changes) -> calls.add("first:" + changes.size()));
        db.journal().subscribeInTransactionLast((c, changes) -> calls.add("last:" + changes.size()));
        db.journal().subscribeInTransaction((c, changes) -> calls.add("later:" + changes.size()));
        write();
        assertThat(calls).containsExactly("first:1", "later:1", "last:1");
    }

    @Test
    void thereIsOnlyOneLastSubscriber() {
        db.journal().subscribeInTransactionLast((c, changes) -> calls.add("audit"));
        assertThatThrownBy(() -> db.journal().subscribeInTransactionLast((c, changes) -> calls.add("another")))
                .isInstanceOf(IllegalStateException.class);
        write();
        assertThat(calls).containsExactly("audit");
    }
}
