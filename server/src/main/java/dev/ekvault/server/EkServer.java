package dev.ekvault.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.ScopeResolver;
import dev.ekvault.server.auth.AccessSnapshot;
import dev.ekvault.server.auth.Authentication;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.auth.ExchangeRoutes;
import dev.ekvault.server.jwt.JwksRoutes;
import dev.ekvault.server.member.MemberRoutes;
import dev.ekvault.server.member.MemberService;
import dev.ekvault.server.member.MemberStore;
import dev.ekvault.server.people.DeviceCodeStore;
import dev.ekvault.server.people.DeviceFlow;
import dev.ekvault.server.people.DeviceFlowRoutes;
import dev.ekvault.server.people.PasswordHasher;
import dev.ekvault.server.people.PeopleRoutes;
import dev.ekvault.server.people.SessionService;
import dev.ekvault.server.workspace.UserStore;
import dev.ekvault.server.jwt.JwtIssuer;
import dev.ekvault.server.jwt.JwtVerifier;
import dev.ekvault.server.jwt.SigningKeys;
import dev.ekvault.server.ratelimit.SharedRateLimiter;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.config.StartFailure;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.dashboard.DashboardRoutes;
import dev.ekvault.server.environment.EnvironmentRoutes;
import dev.ekvault.server.environment.EnvironmentService;
import dev.ekvault.server.environment.EnvironmentStore;
import dev.ekvault.server.http.ApiHandler;
import dev.ekvault.server.http.StrictJson;
import dev.ekvault.server.http.RequestLog;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.oidc.IssuerKeys;
import dev.ekvault.server.oidc.OidcIdentityStore;
import dev.ekvault.server.oidc.OidcRoutes;
import dev.ekvault.server.oidc.OidcService;
import dev.ekvault.server.ops.OperationsRoutes;
import dev.ekvault.server.project.ProjectRoutes;
import dev.ekvault.server.ratelimit.IpRateLimiter;
import dev.ekvault.server.ratelimit.TrustedProxies;
import dev.ekvault.server.project.ProjectService;
import dev.ekvault.server.project.ProjectStore;
import dev.ekvault.server.secret.SecretCache;
import dev.ekvault.server.secret.SecretRoutes;
import dev.ekvault.server.secret.SecretService;
import dev.ekvault.server.secret.SecretStore;
import dev.ekvault.server.sso.SsoRoutes;
import dev.ekvault.server.sso.SsoService;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.team.TeamRoutes;
import dev.ekvault.server.team.TeamService;
import dev.ekvault.server.team.TeamStore;
import dev.ekvault.server.token.CredentialStore;
import dev.ekvault.server.token.CredentialUsage;
import dev.ekvault.server.token.TokenRoutes;
import dev.ekvault.server.token.TokenService;
import dev.ekvault.server.workspace.Bootstrap;
import dev.ekvault.server.workspace.WorkspaceRoutes;
import dev.ekvault.server.workspace.WorkspaceService;
import dev.ekvault.server.workspace.WorkspaceStore;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The composition root: opens the store (checking the master key before anything is written), builds every object
 * with its constructor, registers the route tables and, for {@link #start}, serves them over HTTP.
 */
public final class EkServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EkServer.class.getName());

    private final Config config;
    private final Database database;
    private final Router router = new Router();
    private final Bootstrap bootstrap;
    private final Authentication authentication;
    private final CredentialUsage usage;
    private final ChangeFeed changes;
    private final TrustedProxies trustedProxies;
    private final SigningKeys signingKeys;
    private final SharedRateLimiter rateLimiter;
    private final SecretCache secretCache;
    private ScheduledExecutorService maintenance;
    private final ObjectMapper json;
    private final Clock clock;
    private Server jetty;

    private EkServer(Config config, TrustedProxies trustedProxies, DataStore store, Clock clock) {
        this.config = config;
        this.trustedProxies = trustedProxies;
        this.database = store.database;
        this.clock = clock;
        MasterKey masterKey = store.masterKey;
        this.json = StrictJson.create(config.limits());
        DataKeys dataKeys = store.dataKeys;

        WorkspaceStore workspaceStore = new WorkspaceStore(json);
        TeamStore teamStore = new TeamStore();
        ProjectStore projectStore = new ProjectStore();
        EnvironmentStore environmentStore = new EnvironmentStore();
        CredentialStore credentialStore = new CredentialStore(json);
        SecretStore secretStore = new SecretStore();
        UserStore users = new UserStore();

        WorkspaceService workspaces = new WorkspaceService(database, workspaceStore);
        TeamService teams = new TeamService(database, teamStore, projectStore, workspaces, clock);
        ProjectService projects = new ProjectService(database, projectStore, teamStore, workspaces, clock);
        // shared values in memory for the hot read path: only where this node makes every write (see SecretCache)
        this.secretCache = new SecretCache(database.dialect() == Dialect.SQLITE);
        EnvironmentService environments = new EnvironmentService(database, environmentStore, projects, dataKeys, clock);
        SecretService secrets = new SecretService(database, secretStore, environmentStore, projects, dataKeys,
                config.limits(), secretCache, clock);
        this.usage = new CredentialUsage(database, credentialStore);
        this.changes = new ChangeFeed(database, clock, config.changePollInterval(), config.fullReloadInterval());
        // the feed's position first, then every load: a change committed in between is read by the first poll
        changes.skipToEnd();
        AccessSnapshot snapshot = new AccessSnapshot(database, credentialStore, workspaceStore, Duration.ofSeconds(1));
        changes.listen(ChangeFeed.Kind.CREDENTIAL, change -> snapshot.reloadCredential(change.entityId()));
        changes.listen(ChangeFeed.Kind.MEMBER, change -> snapshot.reloadMember(change.workspaceId(), change.entityId()));
        changes.listen(ChangeFeed.Kind.SECRET, change -> secretCache.invalidate(change.entityId()));
        secretCache.follow(database.journal());
        changes.onFullReload(snapshot::loadAll);
        changes.onFullReload(secretCache::invalidateAll);
        snapshot.loadAll();
        ScopeResolver scopes = new ScopeResolver(teamStore, projectStore, environmentStore);
        TokenService tokens = new TokenService(database, credentialStore, usage, workspaces, environmentStore, scopes, clock);
        this.bootstrap = new Bootstrap(database, workspaceStore, users, teamStore, tokens, clock);

        OperationsRoutes.register(router, database, json);
        DashboardRoutes.register(router);
        WorkspaceRoutes.register(router, workspaces);
        TeamRoutes.register(router, teams);
        ProjectRoutes.register(router, projects);
        EnvironmentRoutes.register(router, environments);
        SecretRoutes.register(router, secrets, json);
        TokenRoutes.register(router, tokens);
        this.signingKeys = new SigningKeys(database, masterKey, config.jwt(), clock);
        changes.listen(ChangeFeed.Kind.SIGNING_KEY, change -> signingKeys.reload());
        changes.onFullReload(signingKeys::reload);
        JwtIssuer issuer = new JwtIssuer(config.jwt(), signingKeys, clock);
        this.authentication = new Authentication(snapshot, changes, usage, new JwtVerifier(config.jwt(), signingKeys, clock), clock);
        this.rateLimiter = new SharedRateLimiter(database, clock);
        ExchangeRoutes.register(router, authentication, issuer, rateLimiter, config.rateLimits().exchangesPerTokenPerMinute(),
                config.jwt().lifetime());
        JwksRoutes.register(router, signingKeys);

        PasswordHasher passwords = new PasswordHasher();
        SessionService sessions = new SessionService(database, users, workspaceStore, bootstrap, credentialStore, tokens, passwords,
                config.people(), json, clock);
        boolean secureCookies = config.people().publicUrl().startsWith("https://");
        long sessionSeconds = config.people().sessionLifetime().toSeconds();
        PeopleRoutes.register(router, sessions, secureCookies, config.people().sessionLifetime());
        DeviceFlowRoutes.register(router, new DeviceFlow(database, new DeviceCodeStore(), sessions, clock), config.people().publicUrl());
        MemberStore memberStore = new MemberStore(json);
        MemberService members = new MemberService(database, memberStore, workspaces, workspaceStore, users, secretStore, credentialStore,
                scopes, sessions, passwords, config.people().sessionLifetime(), clock);
        MemberRoutes.register(router, members, config.people().publicUrl(),
                (ex, signedIn) -> PeopleRoutes.signedIn(ex, signedIn, secureCookies, sessionSeconds, 200));
        if (config.sso().enabled() && config.people().publicUrl().isEmpty()) {
            LOG.warning("single sign-on is on without http.public-url: the redirect URI is taken from each request's Host header;"
                    + " set http.public-url to the URL registered at the provider");
        }
        SsoRoutes.register(router, new SsoService(config.sso(), config.people(), masterKey, database, users, workspaceStore, memberStore, sessions,
                json, clock), config.people().publicUrl(), sessionSeconds);
        OidcService oidc = new OidcService(database, new OidcIdentityStore(), credentialStore, usage, workspaces, workspaceStore,
                scopes, authentication, snapshot, new IssuerKeys(config.oidc(), clock), config.oidc(), json, clock);
        OidcRoutes.register(router, oidc, issuer, rateLimiter, config.rateLimits().exchangesPerTokenPerMinute(), config.jwt().lifetime());
    }

    /** Opens the store for {@code config}; the master key is checked before migrations write anything. */
    public static EkServer open(Config config, Clock clock) {
        LOG.info(ConfigLoader.describe(config));
        TrustedProxies trustedProxies; // a setting checked here rather than in ConfigLoader: still before anything is created
        try {
            trustedProxies = TrustedProxies.parse(config.rateLimits().trustedProxies());
        } catch (IllegalArgumentException e) {
            throw new dev.ekvault.server.config.ConfigException("rate-limit.trusted-proxies: " + e.getMessage());
        }
        DataStore store = DataStore.create(config, clock);
        try {
            return new EkServer(config, trustedProxies, store, clock);
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

        @Override
        public void close() {
            connector.close();
        }
    }

    /** Binds the configured host and port now; a failure is one line naming the address (exit code 5). */
    public static Port bind(Config.Http config) {
        QueuedThreadPool threads = new QueuedThreadPool(256, 8);
        threads.setName("ek-http");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Server jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        http.setRequestHeaderSize(16 * 1024);
        // no per-connection header cache: it files every new Authorization value (a JWT, a token) into a trie, which
        // a flood of distinct credentials, and the exchange's every request, pay for and never reuse
        http.setHeaderCacheSize(0);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        jetty.addConnector(connector);
        String address = config.host() + ":" + config.port();
        try {
            connector.open();
        } catch (IOException | RuntimeException e) { // an unresolvable host is an unchecked UnresolvedAddressException
            connector.close();
            throw new StartFailure(StartFailure.Reason.PORT, "cannot listen on " + address + ": " + bindFailure(e));
        }
        return new Port(jetty, connector);
    }

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
        return start(bind(config.http()));
    }

    /** Starts serving HTTP on a port bound before the store was opened (see {@link Port}). */
    public EkServer start(Port port) throws Exception {
        changes.start();
        usage.start(5_000);
        maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ek-maintenance");
            t.setDaemon(true);
            return t;
        });
        // rotateIfDue also re-reads the key set, which is how a node learns of a rotation made elsewhere
        maintenance.scheduleWithFixedDelay(() -> quietly("signing-key rotation", () -> {
            signingKeys.rotateIfDue();
            signingKeys.prune();
            rateLimiter.prune();
        }), 30, 30, TimeUnit.SECONDS);
        jetty = port.jetty;
        jetty.setErrorHandler(new dev.ekvault.server.http.JsonErrorHandler());
        jetty.setHandler(new GracefulHandler(new ApiHandler(router, authentication, json, config.limits(), new RequestLog(),
                new IpRateLimiter(config.rateLimits().perIpPerMinute(), clock), trustedProxies)));
        jetty.setStopTimeout(config.http().shutdownTimeout().toMillis());
        jetty.start();
        LOG.info("listening on http://" + config.http().host() + ":" + port());
        return this;
    }

    public int port() {
        return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    }

    public Router router() {
        return router;
    }

    public Bootstrap bootstrap() {
        return bootstrap;
    }

    public Database database() {
        return database;
    }

    /** The in-memory rows of the secret read path; tests that write the database behind the server's back clear it. */
    public SecretCache secretCache() {
        return secretCache;
    }

    public ChangeFeed changeFeed() {
        return changes;
    }

    public SigningKeys signingKeys() {
        return signingKeys;
    }

    /** Rotates the JWT signing key now and tells every node through the change feed; returns the new key id. */
    public String rotateSigningKey() {
        signingKeys.rotate();
        database.write(c -> {
            Journal.changed(c, ChangeFeed.Kind.SIGNING_KEY, "", signingKeys.activeKid());
            return null;
        });
        return signingKeys.activeKid();
    }

    private static void quietly(String what, Runnable work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            LOG.warning(what + " failed (" + e.getClass().getSimpleName() + "); will try again");
        }
    }

    /** Stops taking requests, lets in-flight ones finish (up to the shutdown timeout), then closes the store. */
    @Override
    public void close() {
        try {
            if (jetty != null) jetty.stop();
        } catch (Exception e) {
            LOG.warning("HTTP server did not stop cleanly: " + e.getClass().getSimpleName());
        } finally {
            if (maintenance != null) maintenance.shutdownNow();
            changes.close();
            usage.close();
            database.close();
        }
    }
}
