package dev.ekvault.server;

import dev.ekvault.server.testing.RepoDocs;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
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
 * The packages form layers, and ARCHITECTURE.md's table "Layers" is the rule: a package may use only packages of a
 * lower layer (never one of its own layer, never a higher one), and no package cycle exists. The dependencies are
 * read from the compiled classes (every class a class file's constant pool names), so a fully qualified name in code
 * counts as much as an import, and an unused import does not.
 */
class LayersTest {
    private static final String ROOT_PACKAGE = "(root)";
    private static final Pattern REFERENCE = Pattern.compile("dev/ekvault/server/(?:([a-z][a-z0-9]*)/)?([A-Z])");

    /** Package → its layer number, from the document. */
    private static Map<String, Integer> layers() {
        Map<String, Integer> layers = new HashMap<>();
        for (List<String> row : RepoDocs.tableAfter("ARCHITECTURE.md", "## Layers")) {
            int layer = Integer.parseInt(row.get(0).strip());
            for (String name : RepoDocs.backticked(row.get(1))) {
                String pkg = name.equals("dev.ekvault.server") ? ROOT_PACKAGE : name;
                assertThat(layers.put(pkg, layer)).as("package %s listed twice in the layer table", pkg).isNull();
            }
        }
        return layers;
    }

    /** Package → the other packages its classes use, with one class that does for each (for the message). */
    private static Map<String, Map<String, String>> dependencies() throws IOException, URISyntaxException {
        Path classes = Path.of(EkServer.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("dev/ekvault/server");
        Map<String, Map<String, String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                Path relative = classes.relativize(file);
                String from = relative.getNameCount() == 1 ? ROOT_PACKAGE : relative.getName(0).toString();
                String className = relative.toString().replace('/', '.').replaceAll("\\.class$", "");
                Map<String, String> mine = uses.computeIfAbsent(from, k -> new TreeMap<>());
                // class names in the constant pool are UTF-8 and ours are ASCII: a Latin-1 view finds them intact
                Matcher m = REFERENCE.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
                while (m.find()) {
                    String to = m.group(1) == null ? ROOT_PACKAGE : m.group(1);
                    if (!to.equals(from)) mine.putIfAbsent(to, className);
                }
            }
        }
        return uses;
    }

    @Test
    void everyPackageUsesOnlyLowerLayers() throws Exception {
        Map<String, Integer> layers = layers();
        Map<String, Map<String, String>> uses = dependencies();
        assertThat(uses.keySet()).as("every package has a layer in ARCHITECTURE.md").isSubsetOf(layers.keySet());
        assertThat(layers.keySet()).as("every package in the layer table exists").isSubsetOf(uses.keySet());
        List<String> wrong = new ArrayList<>();
        uses.forEach((from, targets) -> targets.forEach((to, where) -> {
            if (layers.get(to) >= layers.get(from)) {
                wrong.add(from + " (layer " + layers.get(from) + ") uses " + to + " (layer " + layers.get(to) + ") in " + where);
            }
        }));
        assertThat(wrong).as("imports from a package to one of its own or a higher layer").isEmpty();
        assertThat(uses.values().stream().mapToInt(Map::size).sum()).as("dependencies found (the scan works)").isGreaterThan(60);
    }

    /**
     * Domain code does not speak HTTP: only a feature's routes ({@code *Routes}) and its installer ({@code *Feature}),
     * the platform (which holds the route table) and the gateway use the {@code http} package.
     */
    @Test
    void onlyRoutesFeaturesAndTheGatewayUseTheHttpPackage() throws Exception {
        Path classes = Path.of(EkServer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).resolve("dev/ekvault/server");
        List<String> wrong = new ArrayList<>();
        int routes = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                Path relative = classes.relativize(file);
                String pkg = relative.getNameCount() == 1 ? ROOT_PACKAGE : relative.getName(0).toString();
                String outer = relative.getFileName().toString().replaceAll("(\\$.*)?\\.class$", "");
                if (!new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains("dev/ekvault/server/http/")) continue;
                if (outer.endsWith("Routes")) routes++;
                boolean allowed = outer.endsWith("Routes") || outer.endsWith("Feature")
                        || List.of("http", "gateway", "platform", ROOT_PACKAGE).contains(pkg);
                if (!allowed) wrong.add(relative.toString());
            }
        }
        assertThat(wrong).as("domain classes that use the http package").isEmpty();
        assertThat(routes).as("routes classes found (the scan works)").isGreaterThan(10);
    }

    @Test
    void noPackageCycle() throws Exception {
        Map<String, Map<String, String>> uses = dependencies();
        List<String> cycles = new ArrayList<>();
        for (String start : uses.keySet()) {
            // a path back to the start through the dependency graph is a cycle; report the first one found
            Deque<List<String>> paths = new ArrayDeque<>();
            paths.push(List.of(start));
            Set<String> seen = new TreeSet<>();
            while (!paths.isEmpty()) {
                List<String> path = paths.pop();
                for (String next : uses.getOrDefault(path.get(path.size() - 1), Map.of()).keySet()) {
                    if (next.equals(start)) {
                        List<String> cycle = new ArrayList<>(path);
                        cycle.add(start);
                        cycles.add(String.join(" → ", cycle));
                        paths.clear();
                        break;
                    }
                    if (seen.add(next)) {
                        List<String> longer = new ArrayList<>(path);
                        longer.add(next);
                        paths.push(longer);
                    }
                }
            }
        }
        assertThat(cycles).as("package cycles").isEmpty();
    }
}
