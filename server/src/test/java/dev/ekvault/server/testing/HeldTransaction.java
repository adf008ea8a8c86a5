package dev.ekvault.server.testing;

import dev.ekvault.server.store.Database;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CountDownLatch;

/**
 * A transaction held open on another thread until {@link #close}: with a pool of one connection the database cannot
 * be asked anything else meanwhile (an outage, as the callers see it), and a write holds SQLite's one writer and what
 * {@code first} locks on PostgreSQL. Returns once the transaction is open.
 */
public final class HeldTransaction implements AutoCloseable {
    /** What the held transaction does before it waits (a lock to take). */
    @FunctionalInterface
    public interface First {
        void run(Connection c) throws SQLException;
    }

    private final CountDownLatch release = new CountDownLatch(1);
    private final Thread holder;

    public static HeldTransaction read(Database database) throws InterruptedException {
        return new HeldTransaction(database, false, c -> {});
    }

    public static HeldTransaction write(Database database, First first) throws InterruptedException {
        return new HeldTransaction(database, true, first);
    }

    private HeldTransaction(Database database, boolean write, First first) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        Database.Work<Object> work = c -> {
            first.run(c);
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        };
        holder = Thread.ofVirtual().start(() -> {
            try {
                if (write) database.write(work);
                else database.read(work);
            } finally {
                held.countDown(); // a transaction that failed to open does not leave the caller waiting
            }
        });
        held.await();
    }

    /** Ends the transaction and waits for its thread. */
    @Override
    public void close() throws InterruptedException {
        release.countDown();
        holder.join();
    }
}
