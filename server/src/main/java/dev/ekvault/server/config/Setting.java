package dev.ekvault.server.config;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One configuration key: its name as written in a properties file, the loader's default ({@code ""} when it has none),
 * whether its value is secret (never logged), and a one-line meaning. {@link #ALL} is the one table of keys:
 * {@link ConfigLoader} accepts exactly these, {@code ek-server --help} prints them ({@link #help()}), and tests hold the
 * README's configuration table to it. A secret key {@code k} has a row {@code k-file} (a file holding the value).
 */
public record Setting(String key, String defaultValue, boolean secret, String meaning) {

    public static final List<Setting> ALL = checked(List.of(
            new Setting("data-dir", "./data", false, "the folder of the SQLite database ek.db and the generated master.key (created mode 0700)"),
            new Setting("http.host", "0.0.0.0", false, "the address to listen on"),
            new Setting("http.port", "8080", false, "the port to listen on (0 picks a free port)"),
            new Setting("http.shutdown-timeout-seconds", "30", false, "how long a stop waits for in-flight requests"),
            new Setting("http.accept-queue", "1024", false, "the listen backlog: connections waiting to be accepted (capped by the kernel's net.core.somaxconn)"),
            new Setting("http.min-request-data-rate", "256", false, "bytes a second a request's header and body must average once it has taken over 3 s; slower is cut (0 off)"),
            new Setting("http.public-url", "", false, "the server's URL as people reach it (links, SSO redirect); empty: the request's host"),
            new Setting("database.url", "", false, "a PostgreSQL URL (postgresql://user:pass@host:5432/db or jdbc:postgresql://…); empty: SQLite"),
            new Setting("database.user", "", false, "the database user, if not in the URL"),
            new Setting("database.password", "", true, "the database password, if not in the URL"),
            new Setting("database.password-file", "", false, "a file holding database.password"),
            new Setting("database.pool-size", "10", false, "database connections per node"),
            new Setting("database.acquire-timeout-millis", "3000", false, "how long a request waits for a database connection (PostgreSQL: also to open one) before it is answered 503"),
            new Setting("database.statement-timeout-millis", "5000", false, "the longest one database statement may take (PostgreSQL: statement_timeout and a socket timeout; SQLite: busy timeout) before its request is answered 503"),
            new Setting("master-key", "", true, "base64 of 32 random bytes; with PostgreSQL this or master-key-file is required"),
            new Setting("master-key-file", "", false, "a file holding the master key; empty: <data-dir>/master.key, generated on a first start"),
            new Setting("master-key-next-file", "", false, "a file that holds the next master key during a rotation (rotate-master-key): read when the database's key changes, and at start when the current key is refused; may be absent until then"),
            new Setting("limits.max-body-bytes", Integer.toString(2 * 1024 * 1024), false, "larger request bodies get 413"),
            new Setting("limits.max-json-depth", "16", false, "deeper JSON gets 400"),
            new Setting("limits.max-key-length", "128", false, "the longest secret key (A-Z a-z 0-9 _ -)"),
            new Setting("limits.max-value-bytes", Integer.toString(64 * 1024), false, "the largest secret value, in UTF-8 bytes"),
            new Setting("limits.max-secrets-per-request", "500", false, "secrets in one bulk create"),
            new Setting("limits.max-environments-per-request", "50", false, "environments named in one bulk create (twice that for an update's values)"),
            new Setting("limits.body-idle-timeout-millis", "2000", false, "a request body silent this long before its end gets 400"),
            new Setting("jwt.issuer", "ek", false, "the iss of the access tokens the exchanges issue"),
            new Setting("jwt.lifetime-seconds", "900", false, "how long an access token lives (120 to 3600; every node accepts tokens of up to 3600 s, whatever its own)"),
            new Setting("jwt.clock-skew-seconds", "30", false, "clock difference between nodes an access token's exp, nbf and iat tolerate (0 to 300; run NTP)"),
            new Setting("jwt.key-rotation-hours", "24", false, "how often the signing key rotates by itself"),
            new Setting("rate-limit.per-ip-per-minute", "200", false, "requests per client address across /v1; 0 turns the limit off"),
            new Setting("rate-limit.trusted-proxies", "", false, "comma-separated IPs or CIDRs whose X-Forwarded-For is believed"),
            new Setting("rate-limit.exchanges-per-token-per-minute", "10", false, "token exchanges per API token, counted across every node"),
            new Setting("access.change-poll-millis", "200", false, "the revocation bound: every node applies a change before it authenticates a request this long after its commit"),
            new Setting("access.full-reload-seconds", "300", false, "how often a node reloads every credential, membership and signing key (10-86400)"),
            new Setting("access.outage-grace-seconds", "30", false, "while the database is unavailable, credentials this node holds are still authenticated from memory for this long (0: refuse with 503 at once; see \"When the database is unavailable\")"),
            new Setting("audit.record-reads", "true", false, "record every read of secret values in the audit log (VIEW entries)"),
            new Setting("audit.head-log-minutes", "60", false, "how often each audit chain's head hash is logged for outside notarisation (0 off)"),
            new Setting("audit.file", "", false, "also write every audit entry as a JSON line to this file (- for standard output)"),
            new Setting("secrets.max-versions", "100", false, "versions kept per value (shared or personal); older ones are purged"),
            new Setting("secrets.deleted-retention-days", "30", false, "how long a deleted secret can be restored before it is purged"),
            new Setting("sync.poll-millis", "250", false, "how often each node looks for syncs with changes to push"),
            new Setting("sync.coalesce-millis", "500", false, "changes settle this long before one push carries them all"),
            new Setting("sync.lease-seconds", "120", false, "a node's hold on a sync it pushes; a node that dies is taken over after it"),
            new Setting("sync.max-backoff-seconds", "300", false, "the longest wait before retrying a failing sync"),
            new Setting("sync.fetch-timeout-millis", "10000", false, "connect and overall timeout of each call to a sync target"),
            new Setting("sync.allow-http-targets", "false", false, "allow plain-http sync targets (tests and labs only)"),
            new Setting("share.max-expiry-hours", "720", false, "the longest expiry a secret share may be given (default 30 days)"),
            new Setting("share.max-views", "100", false, "the most views a secret share may be given"),
            new Setting("share.password-attempts", "5", false, "wrong passwords a protected share takes per window before it refuses (429)"),
            new Setting("share.password-window-minutes", "15", false, "the window of share.password-attempts, from the first wrong password"),
            new Setting("people.open-sign-up", "false", false, "whether anyone may sign up once a workspace exists"),
            new Setting("people.session-hours", "12", false, "how long a dashboard session lasts"),
            new Setting("sso.issuer", "", false, "the OpenID Connect provider's issuer URL; set with sso.client-id, or neither (SSO off)"),
            new Setting("sso.client-id", "", false, "the client id registered at the provider"),
            new Setting("sso.client-secret", "", true, "the client's secret; empty: a public client relying on PKCE"),
            new Setting("sso.client-secret-file", "", false, "a file holding sso.client-secret"),
            new Setting("sso.scopes", "openid email profile", false, "the scopes asked for; must include openid"),
            new Setting("sso.allow-http-issuer", "false", false, "accept a plain-http SSO issuer (tests only)"),
            new Setting("oidc.clock-skew-seconds", "60", false, "clock difference allowed either way on a cluster token's exp, nbf and iat"),
            new Setting("oidc.max-token-age-seconds", "86400", false, "a cluster token issued (iat) longer ago than this is refused"),
            new Setting("oidc.refetch-interval-seconds", "30", false, "an issuer's keys are fetched again for an unknown kid at most this often"),
            new Setting("oidc.fetch-timeout-millis", "3000", false, "connect and overall timeout of each discovery or JWKS request"),
            new Setting("oidc.max-document-bytes", Integer.toString(64 * 1024), false, "a larger discovery document or JWKS is refused"),
            new Setting("oidc.allow-http-issuers", "false", false, "also fetch http:// cluster issuers (labs and tests only)"),
            new Setting("backup.interval-minutes", "0", false, "minutes between scheduled backups of the embedded store (0 off; refused with PostgreSQL)"),
            new Setting("backup.folder", "", false, "where scheduled backups go; empty: <data-dir>/backups (better: another disk)"),
            new Setting("backup.keep", "7", false, "how many scheduled backups to keep; older ones are deleted"),
            new Setting("metrics.port", "", false, "serve GET /metrics (Prometheus text format) on this port of metrics.host; empty: no metrics port"),
            new Setting("metrics.host", "127.0.0.1", false, "the address the metrics port listens on (0.0.0.0 for a scraper on another machine)"),
            new Setting("metrics.token", "", true, "when set, a scrape must send Authorization: Bearer <this token>"),
            new Setting("metrics.token-file", "", false, "a file holding metrics.token")));

    /** {@code --http-port} for {@code http.port}. */
    public String flag() {
        return "--" + key.replace('.', '-');
    }

    /** {@code EK_HTTP_PORT} for {@code http.port}. */
    public String environmentVariable() {
        return "EK_" + normal(key);
    }

    /** The settings part of {@code ek-server --help}: every key of {@link #ALL}, one a line. */
    public static String help() {
        StringBuilder text = new StringBuilder("""
                settings, each a flag --key=value, an environment variable EK_KEY (EK_HTTP_PORT for --http-port) or a line
                key=value of a --config properties file; flags beat EK_*, which beat the file, which beats the default.
                A secret setting is never logged; its -file form reads it from a file.""");
        for (Setting setting : ALL) {
            String left = setting.flag() + (setting.defaultValue.isEmpty() ? "" : "=" + setting.defaultValue);
            text.append("\n  ").append(left).append(" ".repeat(Math.max(1, 48 - left.length())))
                    .append(setting.secret ? "(secret) " : "").append(setting.meaning);
        }
        return text.toString();
    }

    /** {@code HTTP_PORT} for {@code http.port}, {@code --http-port}, {@code http-port}: how every layer's names are matched. */
    static String normal(String name) {
        return name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The table's own rules: no two keys alike once normalised, and a {@code -file} row beside every secret one. */
    private static List<Setting> checked(List<Setting> settings) {
        Set<String> normal = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (Setting setting : settings) {
            if (!normal.add(normal(setting.key))) throw new IllegalStateException("two settings spelled " + setting.key);
            keys.add(setting.key);
        }
        for (Setting setting : settings) {
            if (setting.secret && !keys.contains(setting.key + "-file")) {
                throw new IllegalStateException("secret setting " + setting.key + " has no " + setting.key + "-file row");
            }
        }
        return settings;
    }
}
