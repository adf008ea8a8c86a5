package dev.ekvault.server;

import dev.ekvault.server.audit.AuditFeature;
import dev.ekvault.server.access.CredentialUsage;
import dev.ekvault.server.auth.AuthFeature;
import dev.ekvault.server.backup.BackupFeature;
import dev.ekvault.server.bootstrap.Bootstrap;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigException;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.config.StartFailure;
import dev.ekvault.server.dashboard.DashboardRoutes;
import dev.ekvault.server.gateway.ApiHandler;
import dev.ekvault.server.gateway.JsonErrorHandler;
import dev.ekvault.server.gateway.RequestLog;
import dev.ekvault.server.gateway.SlowHeaders;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.jwt.SigningKeys;
import dev.ekvault.server.metrics.MetricsFeature;
import dev.ekvault.server.ops.OperationsRoutes;
import dev.ekvault.server.people.PeopleFeature;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.ratelimit.IpRateLimiter;
import dev.ekvault.server.ratelimit.TrustedProxies;
import dev.ekvault.server.keyrotation.KeyRotationFeature;
import dev.ekvault.server.secret.SecretCache;
import dev.ekvault.server.secret.SecretFeature;
import dev.ekvault.server.sync.SyncFeature;
import dev.ekvault.server.share.ShareFeature;
import dev.ekvault.server.sso.SsoFeature;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.token.TokenFeature;
import dev.ekvault.server.token.TokenService;
import dev.ekvault.server.workload.WorkloadIdentityFeature;
import dev.ekvault.server.workspace.WorkspaceFeature;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * A serving node: the store opened (master key checked before anything is written), every feature installed on one
 * {@link Platform} in the order their dependencies give, and the HTTP server in front of the route table.
 */
public final class EkServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EkServer.class.getName());

    private final Platform platform;
    private final TrustedProxies trustedProxies;
    private final AuditFeature audit;
    private final AuthFeature auth;
    private final SecretFeature secrets;
    private final SyncFeature syncs;
    private final MetricsFeature metrics;
    private final Bootstrap bootstrap;
    private Server jetty;
    private DataStore store;

    private EkServer(Platform p, TrustedProxies trustedProxies) {
        this.platform = p;
        this.trustedProxies = trustedProxies;
        OperationsRoutes.register(p.router(), p.database(), p.json());
        DashboardRoutes.register(p.router());
        WorkspaceFeature tree = WorkspaceFeature.install(p);
        this.audit = AuditFeature.install(p, tree); // before anything else writes
        this.auth = AuthFeature.install(p, tree, audit.events());
        this.secrets = SecretFeature.install(p, tree, audit.events());
        TokenService tokens = TokenFeature.install(p, tree, auth);
        ShareFeature.install(p, tree, secrets, audit.log());
        this.bootstrap = new Bootstrap(p.database(), tree.workspaceStore(), tree.users(), tree.teamStore(), tokens, p.clock());
        PeopleFeature people = PeopleFeature.install(p, tree, auth, tokens, secrets, bootstrap);
        SsoFeature.install(p, tree, people);
        WorkloadIdentityFeature.install(p, tree, auth);
        this.syncs = SyncFeature.install(p, tree, secrets.service(), secrets.reminders());
        KeyRotationFeature.install(p, secrets);
        BackupFeature.install(p);
        this.metrics = MetricsFeature.install(p, auth.jwts(), secrets.cache(), audit.events(), syncs.engine());
    }

    /** Opens the store for {@code config}; the master key is checked before migrations write anything. */
    public static EkServer open(Config config, Clock clock) {
        LOG.info(ConfigLoader.describe(config));
        TrustedProxies trustedProxies; // a setting checked here rather than in ConfigLoader: still before anything is created
        try {
            trustedProxies = TrustedProxies.parse(config.rateLimits().trustedProxies());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("rate-limit.trusted-proxies: " + e.getMessage());
        }
        DataStore store = DataStore.serving(config, clock);
        try {
            EkServer server = new EkServer(Platform.open(config, store.database, store.masterKey, store.dataKeys, clock), trustedProxies);
            server.store = store; // closed with the node: the database, then the data folder's lock
            return server;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * The HTTP port, bound by {@link #bind} before the data folder, master key or database is touched: a port in use
     * must stop a start before it creates anything. Connections that arrive before {@link #start} wait in the backlog.
     */
    public static final class Port implements AutoCloseable {
        private final Server jetty;
        private final ServerConnector connector;

        private Port(Server jetty, ServerConnector connector) {
            this.jetty = jetty;
            this.connector = connector;
        }

        /**
         * The Jetty server bound here, not yet started. {@link EkServer#start} serves ek's handler through it; the benchmark's
         * bare-Jetty ceiling ({@code bench/src/bench/JettyCeiling}) serves its own, so that it measures Jetty exactly
         * as ek sets it up.
         */
        public Server jetty() {
            return jetty;
        }

        @Override
        public void close() {
            connector.close();
        }
    }

    /** Binds the configured host and port now; a failure is one line naming the address (exit code 5). */
    public static Port bind(Config.Http config) {
        // Handlers run on virtual threads; the platform pool only runs the acceptor, the selectors and short non-blocking
        // tasks. Jetty grows it for every burst and evicts one idle thread a minute, so with room for 256 it crept up
        // under a steady load (issue 18's soak: 48 -> 71 and 84 -> 116 over ten minutes, most of them idle): a small
        // bound keeps the thread count flat, and a burst's extra threads go within a minute.
        QueuedThreadPool threads = new QueuedThreadPool(PLATFORM_THREADS, 8);
        threads.setMaxEvictCount(PLATFORM_THREADS);
        threads.setName("ek-http");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Server jetty = new Server(threads, null, boundedBuffers());
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        http.setRequestHeaderSize(16 * 1024);
        // no per-connection header cache: it files every new Authorization value (a JWT, a token) into a trie, which
        // a flood of distinct credentials, and the exchange's every request, pay for and never reuse. Measured with a
        // cache of 4 KiB (case-sensitive, as a token is), two interleaved pairs: a flood of forged JWTs 14,200 and 16,800
        // a second against 22,500 and 23,000; the JWT list 13,700 and 16,000 against 15,600 and 15,100 (noise)
        http.setHeaderCacheSize(0);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        // Jetty's default backlog is 50: a burst of new connections overflowed it, and each overflow costs the client a
        // SYN retry (a second or more); the kernel caps what is asked at net.core.somaxconn
        connector.setAcceptQueueSize(config.acceptQueue());
        warnWhenTheKernelCapsTheBacklog(config.acceptQueue());
        jetty.addConnector(connector);
        jetty.addBean(new SlowHeaders(connector, config.minRequestDataRate()));
        String address = config.host() + ":" + config.port();
        try {
            connector.open();
        } catch (IOException | RuntimeException e) { // an unresolvable host is an unchecked UnresolvedAddressException
            connector.close();
            throw new StartFailure(StartFailure.Reason.PORT, "cannot listen on " + address + ": " + bindFailure(e));
        }
        return new Port(jetty, connector);
    }

    /**
     * The kernel silently lowers a listen backlog above {@code net.core.somaxconn} (128 on kernels before 5.4 and in
     * some container runtimes), and the setting then promises more than it gives: say so once, at start, where the
     * operator who set it looks. Nothing to say where the value cannot be read (not Linux).
     */
    private static void warnWhenTheKernelCapsTheBacklog(int acceptQueue) {
        Path somaxconn = Path.of("/proc/sys/net/core/somaxconn");
        int cap;
        try {
            // not readString: a sysctl file reports size 0 and the JDK then reads only its first byte
            cap = Integer.parseInt(Files.readAllLines(somaxconn).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (cap < acceptQueue) {
            LOG.warning("http.accept-queue is " + acceptQueue + " but the kernel caps listen backlogs at net.core.somaxconn = "
                    + cap + ": a burst of more new connections than that costs the clients beyond it a SYN retry (a second or more);"
                    + " raise the sysctl or lower the setting");
        }
    }

    /**
     * The buffers Jetty reads and writes with, bounded: its default pool keeps every released buffer it has room for
     * without a limit on their total, so many concurrent large answers left hundreds of MB of direct memory pooled.
     * At most {@value #POOLED_DIRECT_BYTES} bytes of direct and as much of heap buffers are kept; beyond that a released
     * buffer is dropped (heap: collected; direct: freed when its cleaner runs).
     */
    private static org.eclipse.jetty.io.ArrayByteBufferPool boundedBuffers() {
        return new org.eclipse.jetty.io.ArrayByteBufferPool(0, -1, -1, -1, POOLED_DIRECT_BYTES, POOLED_DIRECT_BYTES);
    }

    static final long POOLED_DIRECT_BYTES = 32L * 1024 * 1024;
    /** Jetty's platform threads: its acceptor and selectors (at most 8 by its own defaults) and room for bursts. */
    static final int PLATFORM_THREADS = 32;

    private static String bindFailure(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException bind) {
                String message = String.valueOf(bind.getMessage());
                if (message.contains("in use")) return "the port is already in use (another ek-server, or another program)";
                if (message.contains("ermission")) return "this user may not listen on that port (ports below 1024 need privileges)";
                if (message.contains("assign")) return "this machine has no such address (check http.host)";
                return message;
            }
            if (t instanceof java.nio.channels.UnresolvedAddressException) return "http.host is not a known host name or address";
        }
        return e.getClass().getSimpleName() + " " + e.getMessage();
    }

    /** Starts serving HTTP (and the background work of a serving node); returns once the port is bound. */
    public EkServer start() throws Exception {
        return start(bind(platform.config().http()));
    }

    /** Starts serving HTTP on a port bound before the store was opened (see {@link Port}); then the background jobs. */
    public EkServer start(Port port) throws Exception {
        Config config = platform.config();
        try {
            platform.jobs().start();
        } catch (RuntimeException e) { // a service that cannot start (the metrics port taken): stop what did, then the store
            close();
            throw e;
        }
        jetty = port.jetty;
        jetty.setErrorHandler(new JsonErrorHandler());
        jetty.setHandler(new GracefulHandler(new ApiHandler(platform.router(), auth.authentication(), platform.json(), config.limits(),
                config.http().minRequestDataRate(),
                new RequestLog(), new IpRateLimiter(config.rateLimits().perIpPerMinute(), platform.clock()), trustedProxies, audit.log(),
                metrics.metrics())));
        jetty.setStopTimeout(config.http().shutdownTimeout().toMillis());
        jetty.start();
        LOG.info("listening on http://" + config.http().host() + ":" + port() + "; background jobs: " + platform.jobs().names());
        return this;
    }

    public int port() {
        return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    }

    /** The metrics port (metrics.port), or -1 when the node serves none. */
    public int metricsPort() {
        return metrics.port();
    }

    public Router router() {
        return platform.router();
    }

    public Bootstrap bootstrap() {
        return bootstrap;
    }

    /** The node's background jobs (tests run one with {@code runNow}). */
    public dev.ekvault.server.platform.Jobs jobs() {
        return platform.jobs();
    }

    /** The group-committed audit entries of reads and exchanges (tests watch its backlog). */
    public dev.ekvault.server.audit.EventLog auditEvents() {
        return audit.events();
    }

    public Database database() {
        return platform.database();
    }

    /** The in-memory rows of the secret read path; tests that write the database behind the server's back clear it. */
    public SecretCache secretCache() {
        return secrets.cache();
    }

    /** The secrets feature's operations: a test runs the deleted-secret purge with {@code purgeDeleted()} after moving its clock. */
    public dev.ekvault.server.secret.SecretService secrets() {
        return secrets.service();
    }

    /** The sync engine: a test pushes what is due with {@code runDue()} after moving its clock. */
    public dev.ekvault.server.sync.SyncEngine syncEngine() {
        return syncs.engine();
    }

    public ChangeFeed changeFeed() {
        return platform.changes();
    }

    public SigningKeys signingKeys() {
        return auth.signingKeys();
    }

    /** Credentials' last use, written in batches on a timer; a test writes the pending ones with {@code flush()}. */
    public CredentialUsage credentialUsage() {
        return auth.usage();
    }

    /** Stops taking requests, lets in-flight ones finish (up to the shutdown timeout), then the jobs, then the store. */
    @Override
    public void close() {
        try {
            if (jetty != null) jetty.stop();
        } catch (Exception e) {
            LOG.warning("HTTP server did not stop cleanly: " + e.getClass().getSimpleName());
        } finally {
            platform.jobs().close();
            store.close();
        }
    }
}
