package dev.ekvault.server.testing;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL's command-line tools ({@code pg_dump}, {@code pg_restore}) run against a test database, for the tests of
 * the README's recipes. Tests that need them skip where the machine does not have them ({@link #installed}).
 */
public final class PostgresTools {
    private PostgresTools() {}

    /** A database as the tools take it: a libpq URL, and the password for {@code PGPASSWORD} (never on a command line). */
    public record Target(String url, String password) {}

    /** {@code jdbc:postgresql://host:port/db?user=u&password=p} as a {@link Target}. */
    public static Target of(String jdbc) {
        Matcher m = Pattern.compile("jdbc:postgresql://([^/?]+)/([^?]*)(?:\\?(.*))?").matcher(jdbc);
        if (!m.matches()) throw new IllegalArgumentException("not a PostgreSQL JDBC URL");
        String user = null;
        String password = null;
        if (m.group(3) != null) {
            for (String param : m.group(3).split("&")) {
                if (param.startsWith("user=")) user = param.substring(5);
                if (param.startsWith("password=")) password = param.substring(9);
            }
        }
        return new Target("postgresql://" + (user == null ? "" : user + "@") + m.group(1) + "/" + m.group(2), password);
    }

    /** Whether every one of {@code tools} runs here. */
    public static boolean installed(String... tools) {
        for (String tool : tools) {
            try {
                if (new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() != 0) return false;
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }

    /** Runs a tool to its end (bounded) against {@code target}; a non-zero exit throws with the tool's output. */
    public static String run(Target target, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (target.password() != null) builder.environment().put("PGPASSWORD", target.password());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command[0] + " did not finish within 120 s");
        }
        if (process.exitValue() != 0) throw new IllegalStateException(command[0] + " exited " + process.exitValue() + ": " + output);
        return output;
    }

    /** {@code pg_restore} of a custom-format dump into {@code target}, as the README shows. */
    public static void restore(Target target, java.nio.file.Path dump) throws Exception {
        run(target, "pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname=" + target.url(), dump.toString());
    }
}
