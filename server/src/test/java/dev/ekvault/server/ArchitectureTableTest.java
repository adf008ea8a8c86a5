package dev.ekvault.server;

import dev.ekvault.server.testing.RepoDocs;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ARCHITECTURE.md's table "Packages (`dev.ekvault.server`)" names what exists. A row's first cell names, in
 * backticks, one or more packages (lowercase: {@code `team`, `project`}) or classes of {@code dev.ekvault.server}
 * itself ({@code `Main`, `EkServer`}). In the second cell a backticked name is a class reference when it starts with a
 * capital letter, holds a lowercase letter, and is a Java name optionally followed by {@code .member} or
 * {@code #member} ({@code `EkServer.bind`} names {@code EkServer}), optionally preceded by {@code package/} for a class
 * of another package ({@code `store/Database.writeProblem`}); every other backticked text (lowercase: tables, keys,
 * commands, claims; with a dash, underscore, space or any other slash: paths and settings; all capitals: constants and
 * change kinds such as {@code SECRET}) is prose. Each class reference must be a class in its {@code package/}, else in
 * one of the row's packages (for a row of classes, in {@code dev.ekvault.server}). Every package folder and every class
 * of the root package has a row.
 */
class ArchitectureTableTest {
    private static final String ROOT = "dev.ekvault.server";
    private static final Pattern PACKAGE = Pattern.compile("[a-z][a-z0-9]*");
    private static final Pattern CLASS_REFERENCE = Pattern.compile("(?:([a-z][a-z0-9]*)/)?([A-Z][A-Za-z0-9]*)([.#][A-Za-z][A-Za-z0-9]*)?");

    private static List<List<String>> rows() {
        return RepoDocs.tableAfter("ARCHITECTURE.md", "## Packages (`dev.ekvault.server`)");
    }

    private static Path sources() {
        return RepoDocs.root().resolve("server/src/main/java/dev/ekvault/server");
    }

    @Test
    void everyClassTheTableNamesIsInThePackageItsRowNames() {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (List<String> row : rows()) {
            List<String> first = RepoDocs.backticked(row.get(0));
            assertThat(first).as("a row names packages or classes in backticks: %s", row).isNotEmpty();
            boolean packages = PACKAGE.matcher(first.get(0)).matches();
            for (String name : first) {
                assertThat(packages ? PACKAGE.matcher(name).matches() : name.matches("[A-Z][A-Za-z0-9]*"))
                        .as("a row's first cell names only packages or only classes: %s", row.get(0)).isTrue();
            }
            List<String> places = packages ? first.stream().map(p -> ROOT + "." + p).toList() : List.of(ROOT);
            if (!packages) first.forEach(name -> checkClass(name, places, row.get(0), missing));
            for (String name : RepoDocs.backticked(row.get(1))) {
                var m = CLASS_REFERENCE.matcher(name);
                if (!m.matches() || m.group(2).chars().noneMatch(Character::isLowerCase)) continue; // prose, see above
                checkClass(m.group(2), m.group(1) == null ? places : List.of(ROOT + "." + m.group(1)), row.get(0), missing);
                checked++;
            }
        }
        assertThat(missing).as("classes ARCHITECTURE.md names that are not where it says").isEmpty();
        assertThat(checked).as("class references found in the table (the parser works)").isGreaterThan(50);
    }

    private static void checkClass(String name, List<String> places, String row, List<String> missing) {
        for (String place : places) {
            try {
                Class.forName(place + "." + name, false, ArchitectureTableTest.class.getClassLoader());
                return;
            } catch (ClassNotFoundException e) {
                // try the row's next package
            }
        }
        missing.add(name + " (row " + row + ")");
    }

    @Test
    void everyPackageAndEveryRootClassHasARow() throws IOException {
        Set<String> packages = new TreeSet<>();
        Set<String> classes = new TreeSet<>();
        for (List<String> row : rows()) {
            for (String name : RepoDocs.backticked(row.get(0))) (PACKAGE.matcher(name).matches() ? packages : classes).add(name);
        }
        Set<String> folders = new TreeSet<>();
        Set<String> rootClasses = new TreeSet<>();
        try (Stream<Path> entries = Files.list(sources())) {
            entries.forEach(entry -> {
                String file = entry.getFileName().toString();
                if (Files.isDirectory(entry)) folders.add(file);
                else if (file.endsWith(".java")) rootClasses.add(file.substring(0, file.length() - ".java".length()));
            });
        }
        assertThat(packages).as("packages with a row in ARCHITECTURE.md vs the folders under %s", sources()).isEqualTo(folders);
        assertThat(classes).as("root classes with a row in ARCHITECTURE.md").isEqualTo(rootClasses);
    }
}
