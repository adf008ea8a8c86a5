package dev.ekvault.server;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigException;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.crypto.WrongMasterKeyException;
import dev.ekvault.server.http.ApiException;
import dev.ekvault.server.log.Logging;
import dev.ekvault.server.log.ShutdownSafeLogManager;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ek-server [serve|init|help] [--key=value …]}. Everything but {@code init}'s token goes to standard error,
 * so {@code TOKEN=$(java -jar ek-server.jar init …)} captures exactly the token.
 */
public final class Main {
    static {
        // before any Logger exists: see ShutdownSafeLogManager
        System.setProperty("java.util.logging.manager", "dev.ekvault.server.log.ShutdownSafeLogManager");
        // Jetty sizes some padding by the reference size, which it otherwise asks the platform MBean server for: that
        // starts JMX (and JFR's MBeans) only to learn it, a sixth of a second of every start. 16 = 64-byte cache lines
        // of 4-byte (compressed) references, which a heap under 32 GB has; a wrong guess costs padding, nothing else.
        if (System.getProperty("org.eclipse.jetty.util.referencesPerCacheLine") == null) {
            System.setProperty("org.eclipse.jetty.util.referencesPerCacheLine", "16");
        }
    }

    /** Classes the HTTP side initialises when it starts: loaded on another core while the store opens. */
    private static final String[] SERVER_CLASSES = {
            "org.eclipse.jetty.server.Server", "org.eclipse.jetty.server.ServerConnector", "org.eclipse.jetty.server.HttpConnectionFactory",
            "org.eclipse.jetty.server.HttpConfiguration", "org.eclipse.jetty.http.HttpParser", "org.eclipse.jetty.http.HttpGenerator",
            "org.eclipse.jetty.server.internal.HttpConnection", "org.eclipse.jetty.server.internal.HttpChannelState",
            "org.eclipse.jetty.server.handler.GracefulHandler", "org.eclipse.jetty.util.thread.QueuedThreadPool",
            "org.eclipse.jetty.io.ManagedSelector", "org.eclipse.jetty.io.SocketChannelEndPoint", "org.eclipse.jetty.http.MimeTypes",
            "org.eclipse.jetty.http.HttpFields", "org.eclipse.jetty.http.HttpURI", "dev.ekvault.server.http.ApiHandler"};

    private static void loadServerClasses() {
        ClassLoader loader = Main.class.getClassLoader();
        for (String name : SERVER_CLASSES) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                // only a head start: whatever is missing loads when it is used
            }
        }
    }

    private static final Logger LOG = Logger.getLogger(Main.class.getName());
    private static final String USAGE = """
            usage: ek-server [serve] [--key=value ...]
                   ek-server init --workspace <slug> --email <email> [--expires-in 6m] [--key=value ...]
                   ek-server rotate-jwt-key [--key=value ...]
            settings (also EK_* environment variables, or a --config properties file):
              --data-dir (./data)  --http-host (0.0.0.0)  --http-port (8080)  --database-url (embedded SQLite)
              --master-key / --master-key-file  --database-user  --database-password(-file)  --database-pool-size
              --http-shutdown-timeout-seconds  --limits-max-body-bytes  --limits-max-json-depth
              --limits-max-key-length  --limits-max-value-bytes  --limits-max-secrets-per-request
              --limits-max-environments-per-request""";

    private Main() {}

    public static void main(String[] args) {
        Logging.toStandardError();
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        String command = !rest.isEmpty() && !rest.get(0).startsWith("--") ? rest.remove(0) : "serve";
        try {
            switch (command) {
                case "serve" -> serve(rest);
                case "init" -> System.exit(init(rest));
                case "rotate-jwt-key" -> rotateJwtKey(rest);
                case "help", "--help", "-h" -> System.err.println(USAGE);
                default -> {
                    System.err.println("unknown command '" + command + "'\n" + USAGE);
                    System.exit(2);
                }
            }
        } catch (ConfigException | WrongMasterKeyException e) {
            LOG.severe("cannot start: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            LOG.log(Level.SEVERE, "cannot start", e);
            System.exit(1);
        }
    }

    private static void serve(List<String> flags) throws Exception {
        Config config = new ConfigLoader().load(flags, System.getenv());
        Thread.ofPlatform().daemon().name("ek-class-warm-up").start(Main::loadServerClasses);
        EkServer server = EkServer.open(config, Clock.systemUTC()).start();
        ShutdownSafeLogManager.keepOpenUntilStopped();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down: finishing in-flight requests");
            server.close();
            LOG.info("stopped");
            ShutdownSafeLogManager.flushAll();
        }, "ek-shutdown"));
    }

    private static int init(List<String> args) {
        String workspace = take(args, "--workspace");
        String email = take(args, "--email");
        String expiresIn = take(args, "--expires-in");
        if (workspace == null || email == null) {
            System.err.println("init needs --workspace <slug> and --email <email>\n" + USAGE);
            return 2;
        }
        Config config = new ConfigLoader().load(args, System.getenv());
        try (EkServer server = EkServer.open(config, Clock.systemUTC())) {
            String token = server.bootstrap().initialise(workspace, email, expiresIn == null ? "6m" : expiresIn);
            System.out.println(token);
            System.out.flush();
            LOG.info("initialised workspace '" + workspace + "' with owner " + email
                    + "; the line on standard output is the owner's API token, shown this once");
            return 0;
        } catch (ApiException e) {
            LOG.severe("init refused: " + e.getMessage());
            return e.code.status == 409 ? 3 : 2;
        }
    }

    /** Rotates the JWT signing key now; running nodes switch within a change-feed poll, tokens already issued stay valid. */
    private static void rotateJwtKey(List<String> flags) {
        Config config = new ConfigLoader().load(flags, System.getenv());
        try (EkServer server = EkServer.open(config, Clock.systemUTC())) {
            String kid = server.rotateSigningKey();
            LOG.info("rotated the JWT signing key; the new key id is " + kid + "; running nodes switch to it within a second");
        }
    }

    /** Removes {@code --name value} or {@code --name=value} from the list and returns the value. */
    private static String take(List<String> args, String name) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals(name) && i + 1 < args.size()) {
                args.remove(i);
                return args.remove(i);
            }
            if (arg.startsWith(name + "=")) {
                args.remove(i);
                return arg.substring(name.length() + 1);
            }
        }
        return null;
    }
}
