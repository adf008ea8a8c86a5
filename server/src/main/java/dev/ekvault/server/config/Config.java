package dev.ekvault.server.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The effective configuration, built once at start by {@link ConfigLoader} and never changed afterwards.
 * Secret-valued settings are {@link Secret}s so that printing a record never prints them.
 */
public record Config(Path dataDir, Http http, Database database, Secret masterKey, Path masterKeyFile, Path masterKeyNextFile, Limits limits,
                     Jwt jwt, RateLimits rateLimits, Duration changePollInterval, Duration fullReloadInterval, Duration outageGrace, People people, Sso sso,
                     Oidc oidc, Audit audit, Secrets secrets, Sync sync, Shares shares, Backup backup, Metrics metrics, String description) {

    /**
     * Scheduled backups of the embedded store (backup/BackupFeature): every {@code interval} (zero: off) a copy into
     * {@code folder}, keeping the newest {@code keep}.
     */
    public record Backup(Duration interval, Path folder, int keep) {}

    /**
     * The Prometheus endpoint: its own port ({@code port} -1: none; 0: a free one) on {@code host}, so that it never
     * shares the API's exposure, and a bearer token a scrape must present when {@code token} is set.
     */
    public record Metrics(String host, int port, Secret token) {
        public boolean enabled() {
            return port >= 0;
        }
    }

    /**
     * Sync integrations: how often each node looks for syncs to push, how long changes settle before one push takes them
     * all, how long a node's lease on a sync lasts (a node that dies mid-push is taken over after it), the longest
     * backoff after failures, the timeout of each call to a target, and whether plain-http targets are allowed (tests).
     */
    public record Sync(Duration poll, Duration coalesce, Duration lease, Duration maxBackoff, Duration fetchTimeout, boolean allowHttpTargets) {}

    /**
     * A secret's history: how many versions each value keeps (the oldest beyond are purged as new ones come) and how
     * long a deleted secret can be restored before it is purged with its history.
     */
    public record Secrets(int maxVersions, Duration deletedRetention) {}

    /**
     * The audit log: whether reads of secret values are recorded ({@code VIEW} entries, group-committed), how often
     * each chain's head hash goes to the server log (0: never), and the file each entry is also written to as a JSON
     * line ("" none, "-" standard output).
     */
    public record Audit(boolean recordReads, Duration headLogInterval, String file) {}

    /**
     * Secret shares: the longest expiry and the most views a share may be given, and how many wrong passwords a
     * protected share takes in a window of {@code passwordWindow} (counted in its row, across nodes) before it refuses
     * further attempts until the window ends.
     */
    public record Shares(Duration maxExpiry, int maxViews, int passwordAttempts, Duration passwordWindow) {}

    /**
     * Single sign-on with an OpenID Connect provider, on when {@code issuer} and {@code clientId} are set. The issuer
     * is compared exactly with the {@code iss} the provider puts in its discovery document and ID tokens.
     * {@code allowHttpIssuer} exists for tests that run a provider on plain HTTP inside the JVM.
     */
    public record Sso(String issuer, String clientId, Secret clientSecret, String scopes, boolean allowHttpIssuer) {
        public boolean enabled() {
            return !issuer.isEmpty() && !clientId.isEmpty();
        }
    }

    /**
     * Sign-in for people: whether anyone may sign up once the first workspace exists (else by invitation only), how
     * long a dashboard session lasts, and the server's public URL for links it hands out (empty: from the request).
     */
    public record People(boolean openSignUp, Duration sessionLifetime, String publicUrl) {}

    /**
     * Access tokens issued by the exchange: EdDSA-signed, {@code lifetime} long; signing keys rotate every
     * {@code keyRotation}. {@code clockSkew}: how far apart nodes' clocks may be for a token one issues to be accepted
     * by another ({@code exp}, {@code nbf}, {@code iat} each get that much either way); nodes are meant to run NTP.
     */
    public record Jwt(String issuer, Duration lifetime, Duration keyRotation, Duration clockSkew) {
        public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
        /** The bounds of {@code jwt.clock-skew-seconds}: past five minutes a clock is broken, not skewed. */
        public static final int MAX_CLOCK_SKEW_SECONDS = 300;

        /** With the default skew (tests). */
        public Jwt(String issuer, Duration lifetime, Duration keyRotation) {
            this(issuer, lifetime, keyRotation, DEFAULT_CLOCK_SKEW);
        }

        /**
         * The bounds of {@code jwt.lifetime-seconds}. The floor leaves a client that refreshes a minute before expiry
         * (Enkryptify's SDKs) a minute of use; every node accepts a token of any lifetime up to the ceiling, whatever
         * its own setting, so nodes configured differently accept each other's tokens.
         */
        public static final int MIN_LIFETIME_SECONDS = 120;
        public static final int MAX_LIFETIME_SECONDS = 3600;
    }

    /**
     * Requests per minute per client IP across {@code /v1} (0 turns it off), with {@code X-Forwarded-For} believed only
     * from {@code trustedProxies}; and exchanges per minute per API token, counted across every node.
     */
    public record RateLimits(int perIpPerMinute, java.util.List<String> trustedProxies, int exchangesPerTokenPerMinute) {}

    /**
     * Workload identity over OIDC: how much clock difference a cluster token may show, how old (by {@code iat}) it may
     * be, how often an issuer's keys may be fetched again for an unknown {@code kid}, and the timeout and size cap of
     * each fetch. Only {@code https} issuers are fetched unless {@code allowHttpIssuers} (tests, labs).
     */
    public record Oidc(Duration clockSkew, Duration maxTokenAge, Duration refetchInterval, Duration fetchTimeout,
                       int maxDocumentBytes, boolean allowHttpIssuers) {}

    /**
     * The HTTP listener. {@code acceptQueue}: the listen backlog (connections the kernel holds before the server
     * accepts them; the kernel caps it at {@code net.core.somaxconn}). {@code minRequestDataRate}: bytes a second a
     * request's header and body must average once it has taken longer than {@code MIN_RATE_GRACE} (0: no minimum),
     * so a client trickling a byte at a time cannot hold a connection for as long as each byte beats the idle timeout.
     */
    public record Http(String host, int port, Duration shutdownTimeout, int acceptQueue, int minRequestDataRate) {
        public static final Duration MIN_RATE_GRACE = Duration.ofSeconds(3);
    }

    /**
     * {@code url} is a JDBC URL; empty means the embedded SQLite file under the data folder. The two timeouts bound every
     * database call (store/Database.Bounds): waiting for a connection, and one statement.
     */
    public record Database(String url, String user, Secret password, int poolSize, Duration acquireTimeout, Duration statementTimeout) {
        public boolean embedded() {
            return url.isEmpty();
        }
    }

    /**
     * Input limits; each has a test that sends one unit over it. {@code bodyIdleTimeoutMillis}: how long a request
     * body may go silent before it is refused (400) as incomplete.
     */
    public record Limits(int maxBodyBytes, int maxJsonDepth, int maxKeyLength, int maxValueBytes,
                         int maxSecretsPerRequest, int maxEnvironmentsPerRequest, int bodyIdleTimeoutMillis) {}

    /** A setting whose value must never be logged. */
    public record Secret(String value) {
        public boolean isPresent() {
            return value != null && !value.isEmpty();
        }

        @Override
        public String toString() {
            return isPresent() ? "******" : "";
        }
    }

    /** The JDBC URL to open: the configured one, or the embedded SQLite file. */
    public String jdbcUrl() {
        return database.embedded() ? "jdbc:sqlite:" + dataDir.resolve("ek.db") : database.url();
    }
}
