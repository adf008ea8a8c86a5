package dev.ekvault.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The connection pool and the two ways to use it: {@link #read} and {@link #write}. Every store method takes
 * the {@link Connection} it is given, so a service composes several store calls into one transaction.
 */
public final class Database implements AutoCloseable {
    /** Work done inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final HikariDataSource pool;
    private final Dialect dialect;
    /**
     * SQLite has one writer; taking it here instead of in the file lock means no SQLITE_BUSY under load. Fair (first
     * come, first served): with barging, a writer that had just arrived took the lock ahead of those queued, and a
     * queued one could be overtaken group after group (bulk creates at 64 connections, three rounds each: p99 223-371 ms
     * barging, 197-269 ms fair; with the checkpoints below as well, 129-231 ms).
     */
    private final ReentrantLock sqliteWriter = new ReentrantLock(true);
    /** The group transaction open on SQLite's writer connection, or null; guarded by {@link #sqliteWriter}. */
    private WriteGroup currentGroup;
    /** A group commits after this many writers even when more are queued, so no writer waits on a long chain. */
    private static final int MAX_GROUP = 64;
    private final Journal journal = new Journal();
    private final Bounds bounds;
    /**
     * SQLite's own checkpoint runs inside the commit that grows the log past this many pages, holding up every write
     * behind it (and every read waiting for its audit entry); {@link #checkpoint} runs it in the background instead, so
     * this is only the backstop for a node whose job has fallen behind (64 MB of 4 KB pages; SQLite's default is 1,000).
     */
    private static final int SQLITE_AUTOCHECKPOINT_PAGES = 16_384;
    /**
     * How often a serving node checkpoints SQLite's log ({@link #checkpoint}). The checkpoint's sync of the database
     * file holds up any commit's sync of the log that meets it, for as long as it takes to write out what it copied:
     * every second, under bulk creates, that was 50-250 ms, once a second, and the group committing then (up to 64
     * writers) answered that much later. Four times a second each checkpoint copies a quarter as much: the longest
     * commit of a 15 s run fell from 90-270 ms to 38-113 ms. A checkpoint with nothing to copy costs one statement.
     */
    public static final Duration CHECKPOINT_PERIOD = Duration.ofMillis(250);
    /** Free space below which {@link #writeProblem} calls the SQLite file's disk full. */
    static final long MIN_FREE_BYTES = 4L * 1024 * 1024;
    /** The SQLite database file (its folder's file system is the one that can fill up); null on PostgreSQL. */
    private final Path sqliteFile;
    /** How long {@link #writeProblem} waits for the writer or the file's write lock before calling the database busy. */
    private static final int PROBE_TIMEOUT_SECONDS = 1;

    /**
     * How long any database call may wait, so that no request waits on the database longer than these (settings
     * {@code database.acquire-timeout-millis} and {@code database.statement-timeout-millis}): {@code acquire} for a
     * pooled connection (on PostgreSQL also to open one: connect and login timeouts), {@code statement} for one
     * statement (PostgreSQL: {@code statement_timeout} on the server, and a socket timeout a second longer for a
     * stalled network that answers nothing; SQLite: the busy timeout and the wait for this process's writer). Past
     * either the call fails as {@link DatabaseUnavailable}.
     */
    public record Bounds(Duration acquire, Duration statement) {
        public static final Bounds DEFAULT = new Bounds(Duration.ofSeconds(3), Duration.ofSeconds(5));
    }

    public Database(String jdbcUrl, String user, String password, int poolSize) {
        this(jdbcUrl, user, password, poolSize, Bounds.DEFAULT);
    }

    public Database(String jdbcUrl, String user, String password, int poolSize, Bounds bounds) {
        this.dialect = Dialect.ofJdbcUrl(jdbcUrl);
        this.bounds = bounds;
        this.sqliteFile = dialect == Dialect.SQLITE ? sqliteFile(jdbcUrl) : null;
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        if (user != null && !user.isEmpty()) config.setUsername(user);
        if (password != null && !password.isEmpty()) config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("ek-db");
        config.setAutoCommit(true);
        long acquireMillis = bounds.acquire().toMillis();
        config.setConnectionTimeout(acquireMillis);
        // a pooled connection idle for a while is checked before it is lent: on a stalled network that check must
        // give up well within the acquisition bound, so the pool can try another connection
        config.setValidationTimeout(Math.max(250, acquireMillis / 2));
        config.setInitializationFailTimeout(Math.max(10_000, acquireMillis));
        if (dialect == Dialect.SQLITE) {
            config.addDataSourceProperty("journal_mode", "WAL");
            // FULL: in WAL mode the log is synced at every commit, so an acknowledged write survives a power loss or a
            // kernel crash (NORMAL syncs only at checkpoints); group commit (sqliteWrite) recovers most of its cost
            config.addDataSourceProperty("synchronous", "FULL");
            config.addDataSourceProperty("foreign_keys", "true");
            // every write runs in a SAVEPOINT of its group's transaction (group commit, sqliteWrite), and SQLite keeps the
            // original of each page the savepoint changes in a sub-journal that goes to a temporary file past 64 KB: a
            // bulk create of 50 secrets passes it, and writing that file under the writer cost a quarter of its SQLite
            // work. In memory the sub-journal lasts as long as one write (temporary sorts too live in memory, bounded by
            // the queries, which are paged)
            config.addDataSourceProperty("temp_store", "MEMORY");
            config.addDataSourceProperty("busy_timeout", Long.toString(bounds.statement().toMillis()));
            config.setConnectionInitSql("PRAGMA wal_autocheckpoint = " + SQLITE_AUTOCHECKPOINT_PAGES);
        } else {
            // pgjdbc's timeouts are whole seconds; a setting in the operator's URL wins over these
            long acquireSeconds = Math.max(1, ceilSeconds(bounds.acquire()));
            config.addDataSourceProperty("connectTimeout", Long.toString(acquireSeconds));
            config.addDataSourceProperty("loginTimeout", Long.toString(acquireSeconds));
            config.addDataSourceProperty("socketTimeout", Long.toString(ceilSeconds(bounds.statement()) + 1));
            config.addDataSourceProperty("tcpKeepAlive", "true");
            // a batch of INSERTs (a bulk create's 50 secrets, values and versions) goes as a few multi-row INSERTs instead
            // of a row each: PostgreSQL starts its executor once per statement, not per row. Standalone, 50-secret bulk
            // creates under 64 connections: 25% less of PostgreSQL's CPU a request and 15% less of ours, 100-114 a second
            // against 82-90. Nothing here reads a batch's per-row counts, which the rewritten batch no longer reports.
            config.addDataSourceProperty("reWriteBatchedInserts", "true");
            // set once per connection by a statement, not as a startup parameter ("options"), which PgBouncer refuses
            config.setConnectionInitSql("SET statement_timeout = " + bounds.statement().toMillis());
        }
        this.pool = new HikariDataSource(config);
    }

    /** The file a {@code jdbc:sqlite:} URL names, or null (in memory, or not a path). */
    private static Path sqliteFile(String jdbcUrl) {
        String name = jdbcUrl.substring("jdbc:sqlite:".length());
        int query = name.indexOf('?');
        if (query >= 0) name = name.substring(0, query);
        if (name.isEmpty() || name.startsWith(":memory:") || name.startsWith("file:")) return null;
        try {
            return Path.of(name).toAbsolutePath();
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private static long ceilSeconds(Duration duration) {
        return (duration.toMillis() + 999) / 1000;
    }

    public Bounds bounds() {
        return bounds;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Runs read-only work in one transaction, so several statements see one snapshot. */
    public <T> T read(Work<T> work) {
        return transaction(work, false);
    }

    /**
     * Runs work in one transaction that commits when it returns and rolls back when it throws, and returns only once it
     * has committed. What the work says it changed ({@link Journal#changed}) goes to the journal's subscribers once the
     * transaction is over. On SQLite the work may share its transaction with other writers' (group commit, below); it
     * still commits or rolls back on its own, and a write inside a write joins the enclosing one's transaction.
     */
    public <T> T write(Work<T> work) {
        if (dialect == Dialect.SQLITE) return sqliteWriter.isHeldByCurrentThread() ? nestedSqliteWrite(work) : sqliteWrite(work);
        List<Journal.Change> enclosing = journal.begin();
        boolean committed = false;
        try {
            T result = transaction(c -> {
                DeferredWrites.Queue enclosingQueue = DeferredWrites.open(c);
                try {
                    T answer = work.run(c);
                    journal.beforeCommit(c); // the audit's append commits in its message, with what was queued
                    DeferredWrites.commitWithQueued(c); // else what is still queued goes with this COMMIT
                    return answer;
                } finally {
                    DeferredWrites.close(enclosingQueue);
                }
            }, true);
            committed = true;
            return result;
        } finally {
            journal.end(enclosing, committed);
        }
    }

    /**
     * Group commit on SQLite's single writer. Each write commits with {@code synchronous=FULL} (the log is synced
     * before the commit returns, so an acknowledged write survives a power loss), and that sync is most of a small
     * write's cost. So the writer holding the lock runs its work inside a SAVEPOINT of the group's open transaction and,
     * when other writers are queued for the lock, hands the lock on without committing: the next writer adds its work
     * the same way, and the last of the group (nobody queued, or the group full) commits once — one sync — for all of
     * them. A writer whose work fails rolls back to its own savepoint and gets its own failure at once; the others
     * commit. A writer whose work succeeded waits for its group's commit, then answers: committed, or the commit's
     * failure. In-transaction subscribers (the audit entries) run inside each writer's savepoint, on its own thread;
     * after-commit subscribers run on each writer's thread once the group's commit told whether it committed.
     *
     * <p>One rule follows for callers: a write's work must not wait for a lock that another thread may hold while it
     * calls {@code write} (that thread may be waiting for this very group's commit). No work does: the locks held
     * around writes (the change feed's, the shared rate limiter's) are never taken inside one.
     */
    private <T> T sqliteWrite(Work<T> work) {
        List<Journal.Change> enclosing = journal.begin();
        boolean committed = false;
        long asked = System.nanoTime();
        long lent = asked;
        try {
            WriteGroup group;
            T result;
            lockWriter();
            try {
                lent = System.nanoTime();
                group = openGroup();
                try {
                    result = inSavepoint(group, c -> {
                        T answer = work.run(c);
                        journal.beforeCommit(c);
                        return answer;
                    });
                    group.members++;
                } finally {
                    // nobody queued to add to the group (or it is full, or broken): commit it now
                    if (group.broken != null || group.members >= MAX_GROUP || !sqliteWriter.hasQueuedThreads()) {
                        finish(group);
                    }
                }
            } catch (SQLException e) {
                throw dialect.isConflict(e) ? new ConflictingWrite(e) : DatabaseUnavailable.of(e);
            } finally {
                sqliteWriter.unlock();
            }
            group.awaitCommit();
            committed = true;
            return result;
        } finally {
            timer.transaction(true, lent - asked, System.nanoTime() - lent);
            journal.end(enclosing, committed);
        }
    }

    /**
     * A write inside a write (the thread already holds the writer): it joins the enclosing write's transaction in a
     * savepoint of its own, so its failure undoes only its own work, and it commits with the enclosing write; its
     * changes are the enclosing write's, told to the subscribers with them.
     */
    private <T> T nestedSqliteWrite(Work<T> work) {
        Journal.Mark mark = journal.mark();
        try {
            return inSavepoint(currentGroup, work);
        } catch (SQLException e) {
            journal.rollBackTo(mark);
            throw dialect.isConflict(e) ? new ConflictingWrite(e) : DatabaseUnavailable.of(e);
        } catch (RuntimeException | Error e) {
            journal.rollBackTo(mark);
            throw e;
        }
    }

    /** The group transaction open on the writer's connection, opened if none is. Under {@link #sqliteWriter}. */
    private WriteGroup openGroup() throws SQLException {
        if (currentGroup != null) return currentGroup;
        Connection connection = pool.getConnection();
        try {
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            pool.evictConnection(connection);
            throw e;
        }
        currentGroup = new WriteGroup(connection);
        return currentGroup;
    }

    private static <T> T inSavepoint(WriteGroup group, Work<T> work) throws SQLException {
        Connection c = group.connection;
        execute(c, "SAVEPOINT ek_write");
        try {
            T result = work.run(c);
            execute(c, "RELEASE ek_write");
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            try {
                execute(c, "ROLLBACK TO ek_write");
                execute(c, "RELEASE ek_write");
            } catch (SQLException rollbackFailure) {
                // SQLite rolls the whole transaction back after some errors (disk full, I/O): the group cannot commit
                e.addSuppressed(rollbackFailure);
                group.broken = e;
            }
            throw e;
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement statement = c.createStatement()) {
            statement.execute(sql);
        }
    }

    /** Commits the open group (rolls it back when broken) and tells its waiting writers. Under {@link #sqliteWriter}. */
    private void finish(WriteGroup group) {
        currentGroup = null;
        Connection connection = group.connection;
        boolean healthy = group.broken == null;
        try {
            if (healthy) {
                connection.commit();
                group.outcome.complete(null);
            } else {
                rollbackQuietly(connection, group.broken);
                group.outcome.completeExceptionally(group.broken);
            }
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly(connection, e);
            group.outcome.completeExceptionally(e);
            healthy = false;
        } finally {
            if (healthy) {
                restoreAutoCommit(connection);
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // the pool tests the connection before lending it again
                }
            } else {
                pool.evictConnection(connection); // its transaction state is unknown: never lend it again
            }
        }
    }

    /** Writers sharing one SQLite transaction; guarded by {@link #sqliteWriter} but for {@link #outcome}. */
    private static final class WriteGroup {
        final Connection connection;
        final CompletableFuture<Void> outcome = new CompletableFuture<>();
        int members;
        Throwable broken;

        WriteGroup(Connection connection) {
            this.connection = connection;
        }

        /** Returns once the group committed; else throws the commit's (or the group's) failure. */
        void awaitCommit() {
            try {
                outcome.join();
            } catch (java.util.concurrent.CompletionException e) {
                Throwable cause = e.getCause();
                // classified as the write's own failure would be: a full disk at the commit is 507, not 500
                throw DatabaseUnavailable.of(cause instanceof SQLException sql ? sql : new SQLException("the group's transaction failed", cause));
            }
        }
    }

    /**
     * SQLite: copies the write-ahead log's committed pages into the database file ({@code PASSIVE}: without waiting for
     * readers or writers, and without holding the writer), so the log stays short and no write's commit pays for it.
     * A serving node runs it every second (platform/Platform). PostgreSQL checkpoints by itself: nothing to do.
     */
    public void checkpoint() {
        if (dialect != Dialect.SQLITE) return;
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA wal_checkpoint(PASSIVE)");
        } catch (SQLException e) {
            throw DatabaseUnavailable.of(e);
        }
    }

    /**
     * Told of every transaction's time: waiting for a pooled connection, then holding it (statements and commit). The
     * metrics set one; until then nothing is told. Called on the transaction's thread, so it must be cheap.
     */
    @FunctionalInterface
    public interface Timer {
        void transaction(boolean write, long waitNanos, long heldNanos);
    }

    private volatile Timer timer = (write, waitNanos, heldNanos) -> {};

    public void time(Timer timer) {
        this.timer = timer;
    }

    /** The pool's connections right now: lent out, idle, total, and threads waiting for one. */
    public record PoolUse(int active, int idle, int total, int waiting, int maximum) {}

    public PoolUse poolUse() {
        var bean = pool.getHikariPoolMXBean();
        if (bean == null) return new PoolUse(0, 0, 0, 0, pool.getMaximumPoolSize());
        return new PoolUse(bean.getActiveConnections(), bean.getIdleConnections(), bean.getTotalConnections(),
                bean.getThreadsAwaitingConnection(), pool.getMaximumPoolSize());
    }

    /**
     * SQLite's one writer, waited for no longer than one statement may take: a write stuck behind a slow disk fails
     * as busy (503) instead of holding its request. A writer that gives up must not strand a group: a holder hands its
     * open group on only to a queued thread, and this one was queued. So it tries once more without waiting: taken,
     * it goes on as any writer (and commits the group if nobody else is queued); not taken, a holder has it, and that
     * holder hands the group on or commits it.
     */
    private void lockWriter() {
        try {
            if (sqliteWriter.tryLock(bounds.statement().toMillis(), TimeUnit.MILLISECONDS)) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (sqliteWriter.tryLock()) return;
        throw new DatabaseUnavailable(DatabaseUnavailable.Reason.BUSY, new SQLException("waited too long for the database's writer"));
    }

    /** How many threads wait for SQLite's writer (tests hold a write until another has queued behind it). */
    int queuedWriters() {
        return sqliteWriter.getQueueLength();
    }

    /** Where this database's writes report what they changed. */
    public Journal journal() {
        return journal;
    }

    private <T> T transaction(Work<T> work, boolean write) {
        long asked = System.nanoTime();
        try (Connection connection = pool.getConnection()) {
            long lent = System.nanoTime();
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(connection, e);
                throw e;
            } finally {
                restoreAutoCommit(connection);
                timer.transaction(write, lent - asked, System.nanoTime() - lent);
            }
        } catch (SQLException e) {
            throw dialect.isConflict(e) ? new ConflictingWrite(e) : DatabaseUnavailable.of(e);
        }
    }

    /** A broken connection may refuse this too; the pool discards it, and the original failure is what matters. */
    private static void restoreAutoCommit(Connection connection) {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException ignored) {
            // the pool tests the connection before lending it again
        }
    }

    private static void rollbackQuietly(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            cause.addSuppressed(rollbackFailure);
        }
    }

    /**
     * Null when this node could write now, else why not; used by {@code /readyz}. A database that answers reads but
     * refuses writes (a read-only SQLite file, a PostgreSQL standby or {@code default_transaction_read_only}) must not
     * pass for ready: sign-in, which writes, would fail with 500. Nothing is written, and it gives up within seconds.
     */
    public String writeProblem() {
        return dialect == Dialect.SQLITE ? sqliteWriteProblem() : postgresWriteProblem();
    }

    /**
     * Takes the write lock ({@code BEGIN IMMEDIATE}, which a read-only file refuses) and rolls back at once. The
     * connection comes first, so a wait for one never holds up this process's writers.
     */
    private String sqliteWriteProblem() {
        String disk = sqliteDiskProblem();
        if (disk != null) return disk;
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            if (!takeWriterWithin(PROBE_TIMEOUT_SECONDS)) return "a write has held the database for over a second";
            try {
                if (currentGroup != null) finish(currentGroup); // writers handed it on to this probe: commit them first
                // another process holding the file's write lock: say so after a second, not after the usual 10
                statement.execute("PRAGMA busy_timeout = " + PROBE_TIMEOUT_SECONDS * 1000);
                boolean open = false;
                try {
                    statement.execute("BEGIN IMMEDIATE");
                    open = true;
                    statement.execute("ROLLBACK");
                    open = false;
                    return null;
                } catch (SQLException e) {
                    String code = sqliteCode(e);
                    return code.startsWith("SQLITE_BUSY") ? "the database is locked by another process (" + code + ")"
                            : "the database refuses writes (" + code + ")";
                } finally {
                    restoreBusyTimeout(connection, statement, open);
                }
            } finally {
                sqliteWriter.unlock();
            }
        } catch (SQLException e) {
            return "database is not reachable";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * A full disk lets {@code BEGIN IMMEDIATE} pass (nothing is written until a commit), so the probe also looks at the
     * free space of the database's file system: below {@value #MIN_FREE_BYTES} bytes the next commit may fail.
     */
    private String sqliteDiskProblem() {
        if (sqliteFile == null) return null;
        try {
            long free = Files.getFileStore(sqliteFile.getParent()).getUsableSpace();
            return free < MIN_FREE_BYTES ? DatabaseUnavailable.Reason.DISK_FULL.message + " (" + free / 1024 + " KiB free)" : null;
        } catch (IOException e) {
            return null; // no file store to ask (a file not yet created): the write probe decides
        }
    }

    /**
     * Takes the writer by polling, never by queueing for it: a writer hands its open group on only to a thread queued
     * for the lock, and a timed wait that gave up would leave that group with nobody to commit it.
     */
    private boolean takeWriterWithin(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!sqliteWriter.tryLock()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(5);
        }
        return true;
    }

    private static String sqliteCode(SQLException e) {
        return e instanceof org.sqlite.SQLiteException sqlite ? sqlite.getResultCode().name() : "SQLite error " + e.getErrorCode();
    }

    /** A connection left with the short timeout, or inside a transaction, would fail later work: evict it instead. */
    private void restoreBusyTimeout(Connection connection, Statement statement, boolean transactionOpen) {
        try {
            if (transactionOpen) throw new SQLException("the probe's transaction is still open");
            statement.execute("PRAGMA busy_timeout = " + bounds.statement().toMillis());
        } catch (SQLException e) {
            pool.evictConnection(connection);
        }
    }

    /** A standby, or a session told to be read-only, refuses writes; a statement timeout keeps a stuck server brief. */
    private String postgresWriteProblem() {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(PROBE_TIMEOUT_SECONDS * 2);
            try (ResultSet row = statement.executeQuery("SELECT current_setting('transaction_read_only'), pg_is_in_recovery()")) {
                row.next();
                if (row.getBoolean(2)) return "the database is a standby in recovery: it refuses writes";
                if ("on".equals(row.getString(1))) return "the database refuses writes (transaction_read_only is on)";
                return null;
            }
        } catch (SQLException e) {
            DatabaseUnavailable.Reason reason = DatabaseUnavailable.classify(e);
            return reason == null ? "database is not reachable" : reason.message;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
