package dev.ekvault.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The PostgreSQL the tests run on: the server named by {@code EK_TEST_POSTGRES_URL} (CI sets it to this machine's
 * own), else an embedded PostgreSQL started once per JVM. Each caller gets a fresh empty database, dropped at exit.
 */
public final class TestPostgres {
    private static String adminUrl;
    private static EmbeddedPostgres embedded;
    private static final List<String> created = new ArrayList<>();

    private TestPostgres() {}

    /** A new, empty database; returns its JDBC URL (with credentials as query parameters). */
    public static String freshDatabase() {
        return freshDatabase("");
    }

    /** A new, empty database created with {@code options} after its name (say, another default collation). */
    public static synchronized String freshDatabase(String options) {
        String admin = adminUrl();
        String name = "ek_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name + (options.isEmpty() ? "" : " " + options));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database on " + admin, e);
        }
        created.add(name);
        return withDatabase(admin, name);
    }

    private static String adminUrl() {
        if (adminUrl != null) return adminUrl;
        String configured = System.getenv("EK_TEST_POSTGRES_URL");
        if (configured != null && !configured.isBlank()) {
            adminUrl = toJdbc(configured.strip());
        } else {
            try {
                embedded = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new IllegalStateException("EK_TEST_POSTGRES_URL is not set and the embedded PostgreSQL did not start", e);
            }
            adminUrl = embedded.getJdbcUrl("postgres", "postgres");
        }
        Runtime.getRuntime().addShutdownHook(new Thread(TestPostgres::dropAll, "ek-test-postgres-cleanup"));
        return adminUrl;
    }

    private static void dropAll() {
        try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
            for (String name : created) s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException ignored) {
            // best effort at exit
        }
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException ignored) {
                // best effort at exit
            }
        }
    }

    /** Accepts {@code postgresql://user@host:port/db} as well as a JDBC URL. */
    static String toJdbc(String url) {
        if (url.startsWith("jdbc:")) return url;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("postgres(?:ql)?://(?:([^:@/]+)(?::([^@/]*))?@)?([^/?]+)(/[^?]*)?(?:\\?(.*))?").matcher(url);
        if (!m.matches()) throw new IllegalArgumentException("EK_TEST_POSTGRES_URL is not a PostgreSQL URL");
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(m.group(3)).append(m.group(4) == null ? "/postgres" : m.group(4));
        List<String> params = new ArrayList<>();
        if (m.group(5) != null && !m.group(5).isEmpty()) params.add(m.group(5));
        if (m.group(1) != null) params.add("user=" + m.group(1));
        if (m.group(2) != null) params.add("password=" + m.group(2));
        if (!params.isEmpty()) jdbc.append('?').append(String.join("&", params));
        return jdbc.toString();
    }

    private static String withDatabase(String jdbcUrl, String database) {
        return jdbcUrl.replaceFirst("^(jdbc:postgresql://[^/?]+)/[^?]*", "$1/" + database);
    }
}
