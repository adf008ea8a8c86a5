package bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where the CPU went in a JFR recording of CPU-time samples ({@code bench/run --profile} writes one per scenario):
 * the share of samples in which each method is on the stack (inclusive), for the methods matching a pattern, and the
 * methods most often on top (self). {@code java -cp bench/target/classes bench.Profile FILE.jfr [REGEX] [N]}.
 */
public final class Profile {
    public static void main(String[] args) throws Exception {
        Pattern wanted = Pattern.compile(args.length > 1 ? args[1]
                : "dev\\.ekvault\\..*|org\\.bouncycastle\\.crypto\\.signers\\..*|.*SocketDispatcher\\.(writev|read)0|org\\.eclipse\\.jetty\\.http\\.HttpParser\\.parseNext"
                + "|org\\.eclipse\\.jetty\\.io\\.ManagedSelector\\.select|com\\.fasterxml\\.jackson\\.databind\\.ObjectMapper\\.(writeValueAsBytes|readTree)");
        int limit = args.length > 2 ? Integer.parseInt(args[2]) : 25;
        System.out.print(summary(Path.of(args[0]), wanted, limit));
    }

    static String summary(Path file, Pattern wanted, int limit) throws Exception {
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        String type = events.stream().anyMatch(e -> e.getEventType().getName().equals("jdk.CPUTimeSample")) ? "jdk.CPUTimeSample"
                : "jdk.ExecutionSample";
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : events) {
            if (!e.getEventType().getName().equals(type) || e.getStackTrace() == null) continue;
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (frames.isEmpty()) continue;
            samples++;
            self.merge(name(frames.get(0)), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) if (seen.add(name(f))) inclusive.merge(name(f), 1, Integer::sum);
        }
        StringBuilder out = new StringBuilder(String.format("%s: %d %s events%n  on the stack (inclusive):%n", file.getFileName(), samples, type));
        int total = Math.max(1, samples);
        inclusive.entrySet().stream().filter(en -> wanted.matcher(en.getKey()).matches())
                .sorted((a, b) -> b.getValue() - a.getValue()).limit(limit)
                .forEach(en -> out.append(String.format("  %5.1f%%  %s%n", 100.0 * en.getValue() / total, en.getKey())));
        out.append("  on top (self):\n");
        self.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(12)
                .forEach(en -> out.append(String.format("  %5.1f%%  %s%n", 100.0 * en.getValue() / total, en.getKey())));
        return out.toString();
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }
}
