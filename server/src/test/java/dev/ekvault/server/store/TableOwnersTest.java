package dev.ekvault.server.store;

import dev.ekvault.server.testing.RepoDocs;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One owner per table (issue 11): every SQL statement that writes a table lives in the one class that owns it, and
 * everyone else calls that class. The main source tree is scanned for string literals (comments skipped): a literal
 * holding {@code INSERT INTO t}, {@code UPDATE t} or {@code DELETE FROM t} writes {@code t} from the class of its file
 * ({@code package/Class}). Each table has exactly one writing class; no {@code *Service} class holds SQL; and SQL lives
 * in a {@code *Store} class but for the exceptions below, each with its reason.
 */
class TableOwnersTest {
    /** Classes whose SQL is not in a {@code *Store}, and why. */
    private static final Map<String, String> SQL_OUTSIDE_A_STORE = Map.of(
            "store/ChangeFeed", "the change_log: appended by store/Journal.changed (Journal calls ChangeFeed.record) and polled and pruned by the feed",
            "store/Migrations", "schema_migration, and the migration scripts it runs: it exists before any store",
            "store/Database", "the readiness probe (writeProblem) and connection settings: no table is written",
            "store/DeferredWrites", "sends the stores' queued statements with a COMMIT: it names no table",
            "ratelimit/SharedRateLimiter", "rate_limit_window, its own table: one atomic upsert per hit, nothing else reads it",
            "backup/SqliteCopy", "copies, checks and checkpoints whole SQLite files (VACUUM INTO, PRAGMA): no table is written");

    /** A statement that writes a table ({@code SELECT … FOR UPDATE} locks rows and writes nothing). */
    private static final Pattern WRITE = Pattern.compile("\\b(INSERT INTO|(?<!FOR )(?<!FOR NO KEY )UPDATE|DELETE FROM)\\b(\\s+([a-z_][a-z0-9_]*))?");
    private static final Pattern SQL_TEXT = Pattern.compile(
            "\\b(SELECT|INSERT INTO|DELETE FROM|PRAGMA)\\b|\\bUPDATE [a-z_]+ SET\\b|^\\s*(FROM|WHERE|SET|VALUES|ORDER BY|AND)\\s");
    private static final Pattern SQL_CODE = Pattern.compile("\\bSql\\.[a-z]+\\(|\\bprepareStatement\\(|\\bexecute(Query|Update)\\(|\\bstatement\\.execute\\(");

    /** What one source file says: its string literals and its code outside comments and literals. */
    record Source(List<String> literals, String code) {}

    /** The writing classes of each table, and the findings that break the rules. */
    record Findings(Map<String, Set<String>> writers, List<String> problems) {}

    @Test
    void everyTableHasOneWriterAndServicesHoldNoSql() {
        Findings findings = analyse(mainSources());
        assertThat(findings.problems()).as("SQL where it does not belong").isEmpty();
        Map<String, Set<String>> shared = new TreeMap<>();
        findings.writers().forEach((table, classes) -> {
            if (classes.size() != 1) shared.put(table, classes);
        });
        assertThat(shared).as("tables written from more than one class: move the statement into the owner and call it").isEmpty();
        // the scan sees the tables we know of (a scanner that found nothing would pass the rest)
        assertThat(findings.writers()).containsEntry("app_user", Set.of("workspace/UserStore"))
                .containsEntry("member", Set.of("workspace/WorkspaceStore"))
                .containsEntry("device_code", Set.of("people/DeviceCodeStore"))
                .containsEntry("change_log", Set.of("store/ChangeFeed"));
    }

    @Test
    void everyExceptionIsStillNeeded() {
        Map<String, Source> sources = mainSources();
        for (String name : SQL_OUTSIDE_A_STORE.keySet()) {
            assertThat(sources).as("the exception %s names a class", name).containsKey(name);
            assertThat(holdsSql(sources.get(name))).as("the exception %s still holds SQL", name).isTrue();
        }
    }

    @Test
    void aSecondWriterOrSqlInAServiceIsFound() {
        Map<String, Source> sources = new TreeMap<>(mainSources());
        sources.put("member/MemberStore2", scan("class MemberStore2 { void f() { Sql.update(c, \"DELETE FROM member WHERE x = ?\", 1); } }"));
        sources.put("workspace/TeamService", scan("class TeamService { // UPDATE team SET in a comment is fine\n"
                + " void f() { Sql.one(c, \"SELECT id FROM team\"); } }"));
        Findings findings = analyse(sources);
        assertThat(findings.writers().get("member")).containsExactlyInAnyOrder("workspace/WorkspaceStore", "member/MemberStore2");
        assertThat(findings.problems()).anyMatch(p -> p.startsWith("workspace/TeamService"));
        assertThat(findings.writers().get("team")).containsExactly("workspace/TeamStore");
    }

    static Findings analyse(Map<String, Source> sources) {
        Map<String, Set<String>> writers = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        sources.forEach((name, source) -> {
            for (String literal : source.literals()) {
                Matcher m = WRITE.matcher(literal);
                while (m.find()) {
                    if (m.group(3) != null) {
                        writers.computeIfAbsent(m.group(3), t -> new TreeSet<>()).add(name);
                    } else if (!literal.contains("DO UPDATE SET")) { // an upsert's conflict clause names no table
                        problems.add(name + ": a write whose table is not named in the same literal: \"" + literal + "\"");
                    }
                }
            }
            if (!holdsSql(source)) return;
            String simple = name.substring(name.indexOf('/') + 1);
            if (simple.endsWith("Service")) problems.add(name + ": a service holds SQL; move it into the store of its table");
            else if (!simple.endsWith("Store") && !SQL_OUTSIDE_A_STORE.containsKey(name) && !name.equals("store/Sql")) {
                problems.add(name + ": SQL outside a store and not among the listed exceptions");
            }
        });
        return new Findings(writers, problems);
    }

    private static boolean holdsSql(Source source) {
        return SQL_CODE.matcher(source.code()).find() || source.literals().stream().anyMatch(l -> SQL_TEXT.matcher(l).find());
    }

    private static Map<String, Source> mainSources() {
        Path root = RepoDocs.root().resolve("server/src/main/java/dev/ekvault/server");
        Map<String, Source> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String relative = root.relativize(file).toString().replace('\\', '/');
                sources.put(relative.substring(0, relative.length() - ".java".length()), scan(Files.readString(file)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(sources).as("the main sources were found").hasSizeGreaterThan(50);
        return sources;
    }

    /** Splits Java source into string literals (text blocks included) and code, dropping comments and char literals. */
    static Source scan(String java) {
        List<String> literals = new ArrayList<>();
        StringBuilder code = new StringBuilder();
        int i = 0;
        int n = java.length();
        while (i < n) {
            char ch = java.charAt(i);
            if (java.startsWith("//", i)) {
                i = java.indexOf('\n', i);
                if (i < 0) break;
            } else if (java.startsWith("/*", i)) {
                int end = java.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else if (java.startsWith("\"\"\"", i)) {
                int end = java.indexOf("\"\"\"", i + 3);
                if (end < 0) end = n;
                literals.add(java.substring(i + 3, end));
                code.append("\"\"");
                i = Math.min(n, end + 3);
            } else if (ch == '"' || ch == '\'') {
                StringBuilder text = new StringBuilder();
                int j = i + 1;
                while (j < n && java.charAt(j) != ch) {
                    if (java.charAt(j) == '\\' && j + 1 < n) j++;
                    text.append(java.charAt(j));
                    j++;
                }
                if (ch == '"') literals.add(text.toString());
                code.append(ch).append(ch);
                i = j + 1;
            } else {
                code.append(ch);
                i++;
            }
        }
        return new Source(literals, code.toString());
    }
}
