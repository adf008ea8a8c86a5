package dev.ekvault.server.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for something that happens on another thread or process: polled, always with a deadline, never a bare sleep. */
public final class Await {
    private Await() {}

    /** Polls {@code condition} every {@code every} until it holds; fails after {@code timeout}. */
    public static void until(String what, Duration timeout, Duration every, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            try {
                Thread.sleep(every.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
