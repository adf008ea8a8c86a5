package dev.ekvault.server;

import dev.ekvault.server.audit.AuditLog;
import dev.ekvault.server.audit.AuditStore;
import dev.ekvault.server.bootstrap.Bootstrap;
import dev.ekvault.server.workspace.WorkspaceStore;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.wire.StrictJson;
import dev.ekvault.server.jwt.SigningKeys;
import dev.ekvault.server.config.ConfigException;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.config.Setting;
import dev.ekvault.server.config.StartFailure;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.crypto.MasterKeyFile;
import dev.ekvault.server.crypto.WrongMasterKeyException;
import dev.ekvault.server.keyrotation.MasterKeyRotation;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.log.Logging;
import dev.ekvault.server.log.ShutdownSafeLogManager;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ek-server [serve|init|rotate-jwt-key|rotate-master-key|set-password|owner-token|help] [--key=value …]}. Everything but the token
 * of {@code init} and {@code owner-token} goes to standard error, so {@code TOKEN=$(java -jar ek-server.jar init …)}
 * captures exactly the token. A start that cannot go on ends with one log line and an exit code of its own
 * ({@link #exitCode}; the README lists them).
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
        // A heap buffer written to a socket goes through a temporary direct buffer of its whole size, which the JDK
        // keeps per thread, with no bound unless this is set: concurrent multi-MB answers left hundreds of MB of direct
        // memory cached outside the heap. Larger temporaries are freed after use. Read once, before any NIO use.
        if (System.getProperty("jdk.nio.maxCachedBufferSize") == null) {
            System.setProperty("jdk.nio.maxCachedBufferSize", Integer.toString(256 * 1024));
        }
    }

    /** Classes the HTTP side initialises when it starts: loaded on another core while the store opens. */
    private static final String[] SERVER_CLASSES = {
            "org.eclipse.jetty.server.Server", "org.eclipse.jetty.server.ServerConnector", "org.eclipse.jetty.server.HttpConnectionFactory",
            "org.eclipse.jetty.server.HttpConfiguration", "org.eclipse.jetty.http.HttpParser", "org.eclipse.jetty.http.HttpGenerator",
            "org.eclipse.jetty.server.internal.HttpConnection", "org.eclipse.jetty.server.internal.HttpChannelState",
            "org.eclipse.jetty.server.handler.GracefulHandler", "org.eclipse.jetty.util.thread.QueuedThreadPool",
            "org.eclipse.jetty.io.ManagedSelector", "org.eclipse.jetty.io.SocketChannelEndPoint", "org.eclipse.jetty.http.MimeTypes",
            "org.eclipse.jetty.http.HttpFields", "org.eclipse.jetty.http.HttpURI", "dev.ekvault.server.gateway.ApiHandler"};

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
    /** The commands, then every setting of the one table {@link Setting#ALL} (it/HelpTextTest runs --help on the jar). */
    private static final String USAGE = """
            usage: ek-server [serve] [--key=value ...]
                   ek-server init --workspace <slug> --email <email> [--expires-in 6m] [--key=value ...]
                   ek-server rotate-jwt-key [--key=value ...]
                   ek-server rotate-master-key --new-key-file <file> [--key=value ...]
                   ek-server set-password --email <email> [--key=value ...]   (the password: one line on standard input)
                   ek-server owner-token --workspace <slug> [--expires-in 6m] [--key=value ...]
                   ek-server audit verify [--workspace <slug> [--seq <n> --hash <hex>]] [--key=value ...]   (--seq, --hash: a logged head)
                   ek-server backup <file> [--key=value ...]   (the embedded store, while it serves; not the master key)
                   ek-server restore <file> [--force] [--key=value ...]   (never into a serving data folder)
            """ + Setting.help();

    private Main() {}

    public static void main(String[] args) {
        Logging.toStandardError();
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        // --help is a command, not a setting (without this it was read as a flag wanting a value)
        String command = !rest.isEmpty() && (!rest.get(0).startsWith("--") || rest.get(0).equals("--help")) ? rest.remove(0) : "serve";
        try {
            switch (command) {
                case "serve" -> serve(rest);
                case "init" -> System.exit(init(rest));
                case "rotate-jwt-key" -> rotateJwtKey(rest);
                case "rotate-master-key" -> System.exit(rotateMasterKey(rest));
                case "set-password" -> System.exit(setPassword(rest));
                case "owner-token" -> System.exit(ownerToken(rest));
                case "audit" -> System.exit(audit(rest));
                case "backup", "restore" -> System.exit(backupOrRestore(command, rest));
                case "help", "--help", "-h" -> System.err.println(USAGE);
                default -> {
                    System.err.println("unknown command '" + command + "'\n" + USAGE);
                    System.exit(2);
                }
            }
        } catch (Exception e) {
            System.exit(refuse(command, e));
        }
    }

    /**
     * The exit code of a start (or command) that cannot go on: 1 unexpected (a bug), 2 a bad setting or argument,
     * 3 refused because it is already done or there ({@code init} on an initialised server, {@code restore} onto a database
     * without {@code --force}), 4 the master key, 5 the HTTP port, 6 the data folder, 7 the database, 8 a person, workspace or database that is not there, 9 an audit chain that
     * does not verify.
     */
    static int exitCode(Exception e) {
        return switch (e) {
            case StartFailure failure -> failure.reason.exitCode;
            case ConfigException config -> 2;
            case WrongMasterKeyException wrongKey -> StartFailure.Reason.MASTER_KEY.exitCode;
            case ApiException api when api.code.status == 409 -> 3;
            case ApiException api when api.code.status == 404 -> StartFailure.Reason.NOT_FOUND.exitCode;
            case ApiException api -> 2;
            default -> 1;
        };
    }

    /** Logs the one line that says why, and returns the exit code; only the unexpected carries its stack trace. */
    private static int refuse(String command, Exception e) {
        int code = exitCode(e);
        String what = command.equals("serve") ? "cannot start" : command + " refused";
        if (code == 1) {
            LOG.log(Level.SEVERE, what + ": unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        } else {
            LOG.severe(what + ": " + e.getMessage());
        }
        return code;
    }

    private static void serve(List<String> flags) throws Exception {
        Config config = new ConfigLoader().load(flags, System.getenv());
        // the port first: a start that cannot listen must not leave a data folder, a master key or a database behind
        EkServer.Port port = EkServer.bind(config.http());
        Thread.ofPlatform().daemon().name("ek-class-warm-up").start(Main::loadServerClasses);
        EkServer server;
        try {
            server = EkServer.open(config, Clock.systemUTC()).start(port);
        } catch (Exception e) {
            port.close();
            throw e;
        }
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
        LOG.info(ConfigLoader.describe(config));
        DataStore store = DataStore.create(config, Clock.systemUTC());
        AuditLog.forCommand(store.database, Clock.systemUTC(), "init");
        try {
            String token = Bootstrap.forCommand(store.database, StrictJson.create(config.limits()), Clock.systemUTC())
                    .initialise(workspace, email, expiresIn == null ? "6m" : expiresIn);
            System.out.println(token);
            System.out.flush();
            LOG.info("initialised workspace '" + workspace + "' with owner " + email
                    + "; the line on standard output is the owner's API token, shown this once");
            return 0;
        } finally {
            store.close();
        }
    }

    /** Recovery: a new password for a person, read from standard input; their sign-ins end, their lock is lifted. */
    private static int setPassword(List<String> args) throws java.io.IOException {
        if (args.stream().anyMatch(arg -> arg.equals("--password") || arg.startsWith("--password="))) {
            System.err.println("set-password reads the password from standard input, never from a flag (a flag lands in shell "
                    + "history and in ps)\n" + USAGE);
            return 2;
        }
        String email = take(args, "--email");
        if (email == null) {
            System.err.println("set-password needs --email <email>\n" + USAGE);
            return 2;
        }
        Config config = new ConfigLoader().load(args, System.getenv());
        String password = OwnerRecovery.readPassword(email, System.in); // a bad one is refused before the store is opened
        try (OwnerRecovery recovery = OwnerRecovery.open(config, Clock.systemUTC(), "set-password")) {
            recovery.setPassword(email, password);
        }
        return 0;
    }

    /** Recovery: a new owner API token for a workspace, printed once as the only line on standard output. */
    private static int ownerToken(List<String> args) {
        String workspace = take(args, "--workspace");
        String expiresIn = take(args, "--expires-in");
        if (workspace == null) {
            System.err.println("owner-token needs --workspace <slug>\n" + USAGE);
            return 2;
        }
        Config config = new ConfigLoader().load(args, System.getenv());
        try (OwnerRecovery recovery = OwnerRecovery.open(config, Clock.systemUTC(), "owner-token")) {
            System.out.println(recovery.ownerToken(workspace, expiresIn == null ? "6m" : expiresIn));
            System.out.flush();
        }
        return 0;
    }

    /**
     * {@code audit verify}: walks the audit chain of one workspace (or of every chain) straight from the database, with
     * no server running or trusted; one JSON line per chain on standard output; exit 9 when any chain is broken. With
     * {@code --seq} and {@code --hash} (a head the log gave, kept outside the database) the workspace's chain must also
     * reach that head and hold its hash.
     */
    private static int audit(List<String> args) {
        if (args.isEmpty() || !args.get(0).equals("verify")) {
            System.err.println("audit needs a subcommand: verify\n" + USAGE);
            return 2;
        }
        args.remove(0);
        String workspace = take(args, "--workspace");
        AuditLog.NotarisedHead notarised;
        try {
            notarised = AuditLog.NotarisedHead.parse(take(args, "--seq"), take(args, "--hash"));
        } catch (IllegalArgumentException e) {
            System.err.println("audit verify: " + e.getMessage().replaceFirst("^'(seq|hash)'", "--$1") + "\n" + USAGE);
            return 2;
        }
        if (notarised != null && workspace == null) {
            System.err.println("audit verify: a head (--seq, --hash) belongs to one chain: name its --workspace\n" + USAGE);
            return 2;
        }
        Config config = new ConfigLoader().load(args, System.getenv());
        DataStore store = DataStore.existing(config, Clock.systemUTC());
        try {
            AuditStore audit = new AuditStore();
            List<AuditLog.Verification> results = store.database.read(c -> {
                List<String> chains;
                if (workspace == null) {
                    chains = audit.chains(c);
                } else {
                    WorkspaceStore.WorkspaceRow row = new WorkspaceStore(StrictJson.create(config.limits())).find(c, workspace);
                    if (row == null) throw new StartFailure(StartFailure.Reason.NOT_FOUND, "no workspace '" + workspace + "'");
                    chains = List.of(row.id());
                }
                List<AuditLog.Verification> verified = new ArrayList<>();
                for (String chain : chains) verified.add(AuditLog.verify(c, audit, chain, notarised));
                return verified;
            });
            boolean intact = true;
            for (AuditLog.Verification v : results) {
                intact &= v.intact();
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("workspaceId", v.workspaceId());
                line.put("intact", v.intact());
                line.put("checked", v.checked());
                line.put("firstBadSeq", v.firstBadSeq());
                line.put("firstBadId", v.firstBadId());
                line.put("problem", v.problem());
                System.out.println(StrictJson.create(config.limits()).writeValueAsString(line));
            }
            System.out.flush();
            LOG.info("verified " + results.size() + " audit chain(s): " + (intact ? "intact" : "BROKEN"));
            return intact ? 0 : 9;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        } finally {
            store.close();
        }
    }

    /** {@code backup <file>} and {@code restore <file> [--force]}: the work is the backup package's. */
    private static int backupOrRestore(String command, List<String> args) {
        boolean force = command.equals("restore") && args.remove("--force");
        if (args.isEmpty() || args.get(0).startsWith("--")) {
            System.err.println(command + " needs the backup file's path\n" + USAGE);
            return 2;
        }
        java.nio.file.Path file = java.nio.file.Path.of(args.remove(0));
        Config config = new ConfigLoader().load(args, System.getenv());
        if (command.equals("backup")) {
            dev.ekvault.server.backup.Backups.backup(config, file);
        } else {
            dev.ekvault.server.backup.Restore.restore(config, file, force, Clock.systemUTC());
        }
        return 0;
    }

    /** Rotates the JWT signing key now; running nodes switch within a change-feed poll, tokens already issued stay valid. */
    private static void rotateJwtKey(List<String> flags) {
        Config config = new ConfigLoader().load(flags, System.getenv());
        LOG.info(ConfigLoader.describe(config));
        DataStore store = DataStore.existing(config, Clock.systemUTC());
        AuditLog.forCommand(store.database, Clock.systemUTC(), "rotate-jwt-key");
        try {
            String kid = new SigningKeys(store.database, store.masterKey, config.jwt(), Clock.systemUTC()).rotateAndAnnounce();
            LOG.info("rotated the JWT signing key; the new key id is " + kid + "; running nodes switch to it within a second");
        } finally {
            store.close();
        }
    }

    /**
     * Rotates the master key to the one in {@code --new-key-file}, with the server running or not: everything sealed under
     * the current key is sealed again under the new one in one transaction, and the current key is refused from then on.
     * Running nodes switch within a second (from their master-key-next-file, or the data folder's key file, which this
     * replaces when the key is the embedded default).
     */
    private static int rotateMasterKey(List<String> args) {
        String newKeyFile = take(args, "--new-key-file");
        if (newKeyFile == null) {
            System.err.println("rotate-master-key needs --new-key-file <file> (the new key: base64 of 32 random bytes)\n" + USAGE);
            return 2;
        }
        Config config = new ConfigLoader().load(args, System.getenv());
        LOG.info(ConfigLoader.describe(config));
        MasterKey next = MasterKeyFile.readNew(java.nio.file.Path.of(newKeyFile)); // a bad file is refused before the store opens
        DataStore store = DataStore.existing(config, Clock.systemUTC());
        AuditLog.forCommand(store.database, Clock.systemUTC(), "rotate-master-key");
        try {
            MasterKey current = store.masterKey;
            MasterKeyRotation.Resealed resealed = MasterKeyRotation.rotate(store.database, current, next);
            LOG.warning("rotated the master key from " + current.idHex() + " to " + next.idHex() + " (" + resealed + "); the old key is "
                    + "refused from now on");
            if (MasterKeyFile.replaceDefault(config, java.nio.file.Path.of(newKeyFile))) {
                LOG.info("wrote the new master key to the data folder's " + MasterKeyFile.DEFAULT_NAME + "; back it up");
            }
            return 0;
        } catch (IllegalArgumentException sameKey) {
            throw new ConfigException(sameKey.getMessage());
        } finally {
            store.close();
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
