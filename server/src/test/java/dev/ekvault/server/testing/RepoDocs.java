package dev.ekvault.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The repository's Markdown documents, for tests that hold them to the code. */
public final class RepoDocs {
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");

    private RepoDocs() {}

    /**
     * The repository root: the nearest folder, from the working directory (the module's folder under Maven, the
     * repository's own in an IDE) upwards, that holds README.md, ARCHITECTURE.md and server/.
     */
    public static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isRegularFile(dir.resolve("ARCHITECTURE.md"))
                    && Files.isDirectory(dir.resolve("server"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no README.md and ARCHITECTURE.md above " + Path.of("").toAbsolutePath());
    }

    /**
     * The body rows of the first Markdown table after the heading {@code heading} (a whole line such as
     * {@code ## Configuration}), each as its trimmed cells; the header and the {@code |---|} line are left out.
     */
    public static List<List<String>> tableAfter(String document, String heading) {
        List<String> lines;
        try {
            lines = Files.readAllLines(root().resolve(document), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int at = lines.indexOf(heading);
        if (at < 0) throw new IllegalStateException(document + " has no line '" + heading + "'");
        int start = at + 1;
        while (start < lines.size() && !lines.get(start).startsWith("|")) {
            if (lines.get(start).startsWith("#")) throw new IllegalStateException(document + ": no table under '" + heading + "'");
            start++;
        }
        List<List<String>> rows = new ArrayList<>();
        for (int i = start + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String line = lines.get(i).strip();
            List<String> cells = new ArrayList<>();
            for (String cell : line.substring(1, line.endsWith("|") ? line.length() - 1 : line.length()).split("\\|", -1)) {
                cells.add(cell.strip());
            }
            rows.add(cells);
        }
        if (rows.isEmpty()) throw new IllegalStateException(document + ": empty table under '" + heading + "'");
        return rows;
    }

    /** The texts written in backticks in a Markdown cell, in order. */
    public static List<String> backticked(String cell) {
        List<String> names = new ArrayList<>();
        Matcher m = BACKTICKED.matcher(cell);
        while (m.find()) names.add(m.group(1));
        return names;
    }
}
