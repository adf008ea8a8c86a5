package dev.ekvault.server.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;

/**
 * Builds {@link Config} from four layers, each overriding the one before: defaults, an optional properties file
 * ({@code --config FILE}), {@code EK_*} environment variables, and {@code --key=value} flags. A key is written
 * {@code http.port} in a file, {@code EK_HTTP_PORT} in the environment and {@code --http-port} as a flag.
 * Every secret-valued key also has a {@code …-file} form. The keys, their defaults and meanings are the one table
 * {@link Setting#ALL}. Validation names the bad key and stops the start.
 */
public final class ConfigLoader {
    private final Map<String, Setting> byNormalName = new LinkedHashMap<>();

    public ConfigLoader() {
        for (Setting setting : Setting.ALL) byNormalName.put(Setting.normal(setting.key()), setting);
    }

    /**
     * @param flags   {@code --key=value} or {@code --key value} pairs, {@code --config FILE} among them
     * @param environment the process environment
     */
    public Config load(List<String> flags, Map<String, String> environment) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Setting setting : Setting.ALL) values.put(setting.key(), setting.defaultValue());

        Map<String, String> flagValues = parseFlags(flags);
        String configFile = flagValues.remove("CONFIG");
        if (configFile != null) readFile(Path.of(configFile), values);

        environment.forEach((name, value) -> {
            if (!name.startsWith("EK_")) return;
            Setting setting = byNormalName.get(name.substring(3));
            if (setting != null) values.put(setting.key(), value); // other EK_* variables belong to tools around us
        });
        flagValues.forEach((normalName, value) -> values.put(known(normalName, "--" + normalName.toLowerCase(Locale.ROOT).replace('_', '-')).key(), value));

        resolveSecretFiles(values);
        return build(values, description(values));
    }

    /**
     * One line listing every setting of {@link Setting#ALL} with its effective value: a secret one as {@code ******}
     * when set, a database URL with its password masked. Generated from the table, so a new key is never missing.
     */
    private static String description(Map<String, String> values) {
        StringJoiner line = new StringJoiner(", ", "effective configuration: ", "");
        for (Setting setting : Setting.ALL) {
            String value = values.get(setting.key());
            if (setting.secret() && !value.isEmpty()) value = "******";
            if (setting.key().equals("database.url")) value = value.isEmpty() ? "(embedded SQLite in data-dir)" : maskUrl(value);
            line.add(setting.key() + "=" + value);
        }
        return line.toString();
    }

    /** One line listing every effective setting, secret ones masked (see {@link #description}). */
    public static String describe(Config config) {
        return config.description();
    }

    /** Hides a password embedded in a URL ({@code user:pass@} or {@code password=} parameter). */
    public static String maskUrl(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1******").replaceAll("//([^/:@]+):[^@/]*@", "//$1:******@");
    }

    private Map<String, String> parseFlags(List<String> flags) {
        Map<String, String> result = new LinkedHashMap<>();
        for (int i = 0; i < flags.size(); i++) {
            String flag = flags.get(i);
            if (!flag.startsWith("--")) throw new ConfigException("unexpected argument '" + flag + "'; settings are given as --key=value");
            String body = flag.substring(2);
            String name;
            String value;
            int eq = body.indexOf('=');
            if (eq >= 0) {
                name = body.substring(0, eq);
                value = body.substring(eq + 1);
            } else if (i + 1 < flags.size()) {
                name = body;
                value = flags.get(++i);
            } else {
                throw new ConfigException("flag --" + body + " needs a value");
            }
            String normal = Setting.normal(name);
            if (!normal.equals("CONFIG")) known(normal, "--" + name);
            result.put(normal, value);
        }
        return result;
    }

    private void readFile(Path file, Map<String, String> values) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getClass().getSimpleName());
        }
        for (String name : properties.stringPropertyNames()) {
            values.put(known(Setting.normal(name), name + " (in " + file + ")").key(), properties.getProperty(name).strip());
        }
    }

    private Setting known(String normalName, String asWritten) {
        Setting setting = byNormalName.get(normalName);
        if (setting == null) throw new ConfigException("unknown setting " + asWritten);
        return setting;
    }

    /** {@code database.password-file=/run/secrets/pw} fills {@code database.password} from that file. */
    private static void resolveSecretFiles(Map<String, String> values) {
        for (Setting setting : Setting.ALL) {
            if (!setting.secret()) continue;
            String name = setting.key();
            String file = values.get(name + "-file"); // Setting.ALL has this row beside every secret one
            if (file.isEmpty()) continue;
            if (!values.get(name).isEmpty()) {
                throw new ConfigException("both " + name + " and " + name + "-file are set; set one");
            }
            if (name.equals("master-key")) continue; // the master key file is read (or created) by MasterKeyFile
            try {
                values.put(name, Files.readString(Path.of(file), StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                throw new ConfigException("cannot read " + name + "-file " + file + ": " + e.getClass().getSimpleName());
            }
        }
    }

    private static Config build(Map<String, String> v, String description) {
        Config.Limits limits = new Config.Limits(
                intIn(v, "limits.max-body-bytes", 1024, 64 * 1024 * 1024),
                intIn(v, "limits.max-json-depth", 4, 256),
                intIn(v, "limits.max-key-length", 2, 1024),
                intIn(v, "limits.max-value-bytes", 16, 16 * 1024 * 1024),
                intIn(v, "limits.max-secrets-per-request", 1, 10_000),
                intIn(v, "limits.max-environments-per-request", 1, 1_000),
                intIn(v, "limits.body-idle-timeout-millis", 100, 60_000));
        String masterKeyFile = v.get("master-key-file");
        String masterKeyNextFile = v.get("master-key-next-file");
        return new Config(
                Path.of(nonEmpty(v, "data-dir")),
                new Config.Http(nonEmpty(v, "http.host"), intIn(v, "http.port", 0, 65535),
                        Duration.ofSeconds(intIn(v, "http.shutdown-timeout-seconds", 0, 3600)),
                        intIn(v, "http.accept-queue", 1, 65_535), intIn(v, "http.min-request-data-rate", 0, 1_000_000)),
                new Config.Database(jdbcUrl(v.get("database.url").strip()), v.get("database.user"),
                        new Config.Secret(v.get("database.password")), intIn(v, "database.pool-size", 1, 1000),
                        Duration.ofMillis(intIn(v, "database.acquire-timeout-millis", 250, 600_000)),
                        Duration.ofMillis(intIn(v, "database.statement-timeout-millis", 1000, 3_600_000))),
                new Config.Secret(v.get("master-key")),
                masterKeyFile.isEmpty() ? null : Path.of(masterKeyFile),
                masterKeyNextFile.isEmpty() ? null : Path.of(masterKeyNextFile),
                limits,
                new Config.Jwt(nonEmpty(v, "jwt.issuer"), Duration.ofSeconds(intIn(v, "jwt.lifetime-seconds", Config.Jwt.MIN_LIFETIME_SECONDS, Config.Jwt.MAX_LIFETIME_SECONDS)),
                        Duration.ofHours(intIn(v, "jwt.key-rotation-hours", 1, 24 * 365)),
                        Duration.ofSeconds(intIn(v, "jwt.clock-skew-seconds", 0, Config.Jwt.MAX_CLOCK_SKEW_SECONDS))),
                new Config.RateLimits(intIn(v, "rate-limit.per-ip-per-minute", 0, 1_000_000), list(v, "rate-limit.trusted-proxies"),
                        intIn(v, "rate-limit.exchanges-per-token-per-minute", 1, 10_000)),
                Duration.ofMillis(intIn(v, "access.change-poll-millis", 20, 60_000)),
                Duration.ofSeconds(intIn(v, "access.full-reload-seconds", 10, 86_400)),
                Duration.ofSeconds(intIn(v, "access.outage-grace-seconds", 0, 3600)),
                new Config.People(bool(v, "people.open-sign-up"), Duration.ofHours(intIn(v, "people.session-hours", 1, 24 * 30)),
                        publicUrl(v.get("http.public-url").strip())),
                sso(v),
                new Config.Oidc(Duration.ofSeconds(intIn(v, "oidc.clock-skew-seconds", 0, 600)),
                        Duration.ofSeconds(intIn(v, "oidc.max-token-age-seconds", 60, 366 * 86_400)),
                        Duration.ofSeconds(intIn(v, "oidc.refetch-interval-seconds", 1, 3600)),
                        Duration.ofMillis(intIn(v, "oidc.fetch-timeout-millis", 100, 60_000)),
                        intIn(v, "oidc.max-document-bytes", 1024, 16 * 1024 * 1024),
                        bool(v, "oidc.allow-http-issuers")),
                new Config.Audit(bool(v, "audit.record-reads"), Duration.ofMinutes(intIn(v, "audit.head-log-minutes", 0, 7 * 24 * 60)),
                        v.get("audit.file").strip()),
                new Config.Secrets(intIn(v, "secrets.max-versions", 1, 10_000),
                        Duration.ofDays(intIn(v, "secrets.deleted-retention-days", 1, 3650))),
                new Config.Sync(Duration.ofMillis(intIn(v, "sync.poll-millis", 20, 60_000)),
                        Duration.ofMillis(intIn(v, "sync.coalesce-millis", 0, 600_000)),
                        Duration.ofSeconds(intIn(v, "sync.lease-seconds", 1, 3600)),
                        Duration.ofSeconds(intIn(v, "sync.max-backoff-seconds", 1, 86_400)),
                        Duration.ofMillis(intIn(v, "sync.fetch-timeout-millis", 100, 120_000)),
                        bool(v, "sync.allow-http-targets")),
                new Config.Shares(Duration.ofHours(intIn(v, "share.max-expiry-hours", 1, 366 * 24)), intIn(v, "share.max-views", 1, 10_000),
                        intIn(v, "share.password-attempts", 1, 1_000), Duration.ofMinutes(intIn(v, "share.password-window-minutes", 1, 7 * 24 * 60))),
                backup(v),
                metrics(v),
                description);
    }

    /**
     * Off unless both issuer and client id are set; half a configuration stops the start rather than leaving sign-in
     * silently off. The issuer is kept as written (a trailing slash is part of it: providers compare it exactly).
     */
    private static Config.Sso sso(Map<String, String> v) {
        String issuer = v.get("sso.issuer").strip();
        String clientId = v.get("sso.client-id").strip();
        String secret = v.get("sso.client-secret");
        boolean allowHttp = bool(v, "sso.allow-http-issuer");
        String scopes = String.join(" ", v.get("sso.scopes").strip().split("\\s+"));
        if (issuer.isEmpty() && clientId.isEmpty()) {
            if (!secret.isEmpty()) throw new ConfigException("sso.client-secret is set but sso.issuer and sso.client-id are not");
            return new Config.Sso("", "", new Config.Secret(""), scopes, allowHttp);
        }
        if (issuer.isEmpty() || clientId.isEmpty()) throw new ConfigException("sso.issuer and sso.client-id must be set together");
        if (issuer.length() > 512 || !issuer.matches("https?://[^\\s/?#@]+(/[^\\s?#]*)?")) {
            throw new ConfigException("sso.issuer must be the provider's issuer URL, such as https://login.example.com, without query or fragment");
        }
        if (!issuer.startsWith("https://") && !allowHttp) throw new ConfigException("sso.issuer must be an https URL");
        if (clientId.length() > 256 || !clientId.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            throw new ConfigException("sso.client-id must be 1 to 256 printable characters without spaces");
        }
        if (secret.length() > 1024) throw new ConfigException("sso.client-secret is longer than 1024 characters");
        if (scopes.length() > 1024 || !scopes.matches("[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*")
                || !java.util.Arrays.asList(scopes.split(" ")).contains("openid")) {
            throw new ConfigException("sso.scopes must be space-separated scope names including openid");
        }
        return new Config.Sso(issuer, clientId, new Config.Secret(secret), scopes, allowHttp);
    }

    /**
     * Scheduled backups copy the embedded store; with PostgreSQL an interval is refused rather than ignored, so nobody
     * believes a backup is being made that is not (pg_dump is the tool there).
     */
    private static Config.Backup backup(Map<String, String> v) {
        int minutes = intIn(v, "backup.interval-minutes", 0, 7 * 24 * 60);
        if (minutes > 0 && !v.get("database.url").strip().isEmpty()) {
            throw new ConfigException("backup.interval-minutes is for the embedded SQLite store; with database.url set, back up "
                    + "with pg_dump (README, \"Backup and restore\") and leave it 0");
        }
        String folder = v.get("backup.folder").strip();
        return new Config.Backup(Duration.ofMinutes(minutes),
                folder.isEmpty() ? Path.of(nonEmpty(v, "data-dir")).resolve("backups") : Path.of(folder), intIn(v, "backup.keep", 1, 10_000));
    }

    /** Off when {@code metrics.port} is empty; a token, when set, is what a scrape must present (printable, bounded). */
    private static Config.Metrics metrics(Map<String, String> v) {
        String token = v.get("metrics.token");
        if (token.length() > 1024 || !token.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            throw new ConfigException("metrics.token must be at most 1024 printable characters without spaces");
        }
        boolean off = v.get("metrics.port").isBlank();
        if (off && !token.isEmpty()) throw new ConfigException("metrics.token is set but metrics.port is not");
        return new Config.Metrics(nonEmpty(v, "metrics.host"), off ? -1 : intIn(v, "metrics.port", 0, 65535), new Config.Secret(token));
    }

    /** Accepts a JDBC URL or the {@code postgres://user:pass@host:port/db} form operators usually have. */
    static String jdbcUrl(String url) {
        if (url.isEmpty() || url.startsWith("jdbc:postgresql:")) return url;
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("postgres(?:ql)?://(?:([^:@/]+)(?::([^@/]*))?@)?([^/?]+)(/[^?]*)?(\\?.*)?").matcher(url);
        if (!m.matches()) {
            throw new ConfigException("database.url must be a PostgreSQL URL (postgresql://host:port/db or jdbc:postgresql://…), or empty for the embedded SQLite");
        }
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(m.group(3)).append(m.group(4) == null ? "/" : m.group(4));
        String query = m.group(5) == null ? "" : m.group(5).substring(1);
        if (m.group(1) != null) query = appendParam(query, "user=" + m.group(1));
        if (m.group(2) != null) query = appendParam(query, "password=" + m.group(2));
        if (!query.isEmpty()) jdbc.append('?').append(query);
        return jdbc.toString();
    }

    private static String appendParam(String query, String param) {
        return query.isEmpty() ? param : query + "&" + param;
    }

    private static boolean bool(Map<String, String> v, String key) {
        String text = v.get(key).strip().toLowerCase(Locale.ROOT);
        if (text.equals("true")) return true;
        if (text.equals("false")) return false;
        throw new ConfigException(key + " must be true or false, got '" + text + "'");
    }

    private static String publicUrl(String url) {
        if (url.isEmpty()) return url;
        if (!url.matches("https?://[^\\s/?#]+(/[^\\s?#]*)?")) throw new ConfigException("http.public-url must be an http(s) URL such as https://ek.example.com");
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static List<String> list(Map<String, String> v, String key) {
        return java.util.Arrays.stream(v.get(key).split(",")).map(String::strip).filter(item -> !item.isEmpty()).toList();
    }

    private static String nonEmpty(Map<String, String> v, String key) {
        String value = v.get(key).strip();
        if (value.isEmpty()) throw new ConfigException(key + " must not be empty");
        return value;
    }

    private static int intIn(Map<String, String> v, String key, int min, int max) {
        String text = v.get(key).strip();
        int value;
        try {
            value = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be a whole number, got '" + text + "'");
        }
        if (value < min || value > max) throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + value);
        return value;
    }
}
