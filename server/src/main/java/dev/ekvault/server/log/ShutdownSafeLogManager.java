package dev.ekvault.server.log;

import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * The JDK resets logging from its own shutdown hook, which runs alongside ours: the lines a graceful stop writes
 * (the in-flight requests finishing, "stopped") would be lost. This manager ignores resets once the server is
 * serving; our shutdown hook flushes the handlers as its last step instead.
 */
public final class ShutdownSafeLogManager extends LogManager {
    private static volatile boolean keepOpen;

    /** Called once the server is up: from now on only {@link #flushAll()} ends the logging. */
    public static void keepOpenUntilStopped() {
        keepOpen = true;
    }

    public static void flushAll() {
        for (Handler handler : Logger.getLogger("").getHandlers()) handler.flush();
    }

    @Override
    public void reset() {
        if (!keepOpen) super.reset();
    }
}
