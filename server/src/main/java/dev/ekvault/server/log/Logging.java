package dev.ekvault.server.log;

import java.io.PrintStream;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/** Sends every log line (ours, Jetty's and Hikari's through slf4j-jdk14) to standard error as JSON. */
public final class Logging {
    private Logging() {}

    public static void toStandardError() {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        PrintStream err = System.err;
        Handler handler = new QueuedHandler(err, new JsonLogFormatter());
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        // Jetty and Hikari are chatty at INFO about things an operator does not need on every start
        Logger.getLogger("org.eclipse.jetty").setLevel(Level.WARNING);
        Logger.getLogger("com.zaxxer.hikari").setLevel(Level.WARNING);
    }
}
