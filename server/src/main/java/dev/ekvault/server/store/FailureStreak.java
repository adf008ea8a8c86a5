package dev.ekvault.server.store;

import java.util.Locale;
import java.util.logging.Logger;

/**
 * One background task's failures in a row (a periodic job, a flusher, a worker's round): the first is logged as one
 * line (the failure's kind only, since a message might hold data; for a database that is away, which way), the rest
 * are counted, and the first success after them is logged with the count. A database outage is then two lines per
 * task, not a line (or a stack trace) per run: the SQLite checkpoint runs every second, the sync worker four times.
 */
public final class FailureStreak {
    private final Logger log;
    private final String task;
    private int failures; // guarded by this

    public FailureStreak(Logger log, String task) {
        this.log = log;
        this.task = task;
    }

    public synchronized void failed(RuntimeException e) {
        if (failures++ > 0) return;
        log.warning(task + " failed (" + kind(e) + "); retried at each turn, and logged again when it succeeds");
    }

    public synchronized void succeeded() {
        if (failures == 0) return;
        log.info(task + " succeeded again after " + failures + " failed " + (failures == 1 ? "run" : "runs"));
        failures = 0;
    }

    /** The failure as a log line may name it: the database's reason, else the exception's class. */
    public static String kind(RuntimeException e) {
        return e instanceof DatabaseUnavailable unavailable ? "database " + unavailable.reason.name().toLowerCase(Locale.ROOT)
                : e.getClass().getSimpleName();
    }
}
