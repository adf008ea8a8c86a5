package bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The soak (issue 18): one node on the embedded store and two on one PostgreSQL, all three at once, under a paced
 * load aimed at 80% of the peak measured first (reads from wrk on each node, with a pause after each answer, so the
 * rate achieved is lower by the answers' latency and the table says what it was; single
 * updates and 50-secret bulk creates from a writer per node) for {@code --soak=MINUTES}. Every interval it notes,
 * per node, the reads' rate, p99 and errors, the writes' p99 and errors, and the node's resident memory, threads and
 * open files: errors should be zero and the last three flat. {@code bench/run --soak[=10] --small}.
 */
final class Soak {
    private final Bench bench;
    private final double minutes;

    /** One serving node and what its load needs. */
    private record Node(String name, Proc proc, int port, String jwt, String ownerToken, String listPath, String updatePath,
                        String readEnvironment, String bulkPath, String bulkEnvironment) {}

    /** One interval of one node. */
    private record Sample(int interval, String node, double readsPerSecond, double readP99Ms, long readErrors, double writeP99Ms,
                          long writes, long writeErrors, double cpuPercent, double rssMb, long threads, long openFiles) {}

    Soak(Bench bench, double minutes) {
        this.bench = bench;
        this.minutes = minutes;
    }

    void run() throws Exception {
        if (bench.comparePostgres == null || bench.comparePostgres.isEmpty()) {
            throw new IllegalStateException("the soak needs a PostgreSQL: EK_TEST_POSTGRES_URL or --compare-postgres=URL");
        }
        bench.describeRun();
        List<Node> nodes = new ArrayList<>();
        Proc sqlite = bench.startEk(true);
        bench.seed(sqlite);
        nodes.add(node("SQLite", sqlite, bench.ekPort));

        // the peak: the embedded node alone, flooded by wrk as the benchmark's list row is
        String listUrl = "http://127.0.0.1:" + bench.ekPort + nodes.get(0).listPath();
        Map<String, String> headers = Map.of("BENCH_HEADERS", "Authorization: Bearer " + bench.jwt);
        bench.runWrk(listUrl, Bench.withRun(headers), bench.warmup);
        JsonNode peakRun = bench.runWrk(listUrl, Bench.withRun(headers), bench.duration);
        double peak = peakRun.get("requests").asLong() / (peakRun.get("durationUs").asLong() / 1e6);

        bench.postgresUrl = bench.comparePostgres;
        bench.dataFolder = "data-pg";
        Proc pg = bench.startEk(true);
        bench.seed(pg);
        nodes.add(node("PostgreSQL node 1", pg, bench.ekPort));
        int port = Proc.freePort();
        Proc second = Proc.start("ek-node-2", bench.ekCommand("serve"), bench.ekEnv(port, bench.work.resolve("data-pg-2")),
                bench.work.resolve("ek-node-2.log"));
        bench.started.add(second);
        bench.awaitHttp(second, port, "/readyz", 60);
        Node first = nodes.get(1);
        nodes.add(new Node("PostgreSQL node 2", second, port, first.jwt(), first.ownerToken(), first.listPath(), first.updatePath(),
                first.readEnvironment(), first.bulkPath(), first.bulkEnvironment()));

        // 80% of the peak over the three nodes; each wrk connection pauses PAUSE_MS after each answer
        double perNode = 0.8 * peak / nodes.size();
        int connections = (int) Math.max(1, Math.round(perNode * PAUSE_MS / 1000.0));
        int intervals = (int) Math.max(2, Math.round(minutes));
        double intervalSeconds = minutes * 60 / intervals;
        Bench.log(String.format(Locale.ROOT, "soak: peak %,.0f reads/s; %d intervals of %.0f s; per node about %,.0f reads/s (%d connections, "
                + "%d ms pause), a single update every %d ms and a bulk create every %d ms", peak, intervals, intervalSeconds, perNode, connections,
                PAUSE_MS, UPDATE_EVERY_MS, BULK_EVERY_MS));
        List<Sample> samples = new ArrayList<>();
        Map<String, Double> liveAtMiddle = new LinkedHashMap<>();
        for (int i = 1; i <= intervals; i++) {
            samples.addAll(interval(i, nodes, connections, intervalSeconds));
            if (i == (intervals + 1) / 2) for (Node node : nodes) liveAtMiddle.put(node.name(), liveHeapMb(node.proc()));
        }
        Map<String, Double> liveAtEnd = new LinkedHashMap<>();
        for (Node node : nodes) liveAtEnd.put(node.name(), liveHeapMb(node.proc()));
        report(peak, perNode, connections, intervals, intervalSeconds, samples, liveAtMiddle, liveAtEnd);
    }

    static final int PAUSE_MS = 10;
    static final int UPDATE_EVERY_MS = 50;
    static final int BULK_EVERY_MS = 2000;

    private Node node(String name, Proc proc, int port) throws Exception {
        String base = "/v1/workspace/" + Bench.WS + "/project/";
        String list = base + "web/secret?environmentId=" + bench.readEnvironmentId;
        JsonNode one = bench.call("GET", "http://127.0.0.1:" + port + base + "web/secret/WEB_SECRET_03?environmentId=" + bench.readEnvironmentId,
                bench.ownerToken, null);
        return new Node(name, proc, port, bench.jwt, bench.ownerToken, list, base + "web/secret/" + one.get("id").asText(),
                bench.readEnvironmentId, base + "bulk/secret", bench.bulkEnvironmentId);
    }

    private List<Sample> interval(int number, List<Node> nodes, int connections, double seconds) throws Exception {
        List<Proc.Meter> meters = new ArrayList<>();
        List<Future<JsonNode>> reads = new ArrayList<>();
        List<Future<long[]>> writes = new ArrayList<>();
        long until = System.nanoTime() + (long) (seconds * 1e9);
        try (ExecutorService pool = Executors.newFixedThreadPool(nodes.size() * 2)) {
            for (Node node : nodes) meters.add(node.proc().meter());
            for (Node node : nodes) {
                Map<String, String> env = new LinkedHashMap<>(Bench.withRun(Map.of("BENCH_HEADERS", "Authorization: Bearer " + node.jwt())));
                env.put("BENCH_DELAY_MS", String.valueOf(PAUSE_MS));
                reads.add(pool.submit(() -> bench.runWrk("http://127.0.0.1:" + node.port() + node.listPath(), env, seconds, 1, connections)));
                writes.add(pool.submit(() -> write(node, until, number)));
            }
            for (Future<JsonNode> f : reads) f.get();
            for (Future<long[]> f : writes) f.get();
        }
        for (Proc.Meter m : meters) m.close();
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            JsonNode r = reads.get(i).get();
            long[] w = writes.get(i).get();
            long requests = r.get("requests").asLong();
            long errors = r.get("connect").asLong() + r.get("read").asLong() + r.get("write").asLong() + r.get("timeout").asLong()
                    + r.get("status").asLong();
            Sample sample = new Sample(number, node.name(), (requests - errors) / (r.get("durationUs").asLong() / 1e6),
                    r.get("p99").asLong() / 1000.0, errors, w[2] / 1000.0, w[0], w[1], meters.get(i).cpuPercent,
                    node.proc().rssKib() / 1024.0, node.proc().threadCount(), node.proc().openFiles());
            Bench.log(sample.toString());
            out.add(sample);
        }
        return out;
    }

    /** A node's writes until {@code until}: single updates and bulk creates, paced. Returns {count, errors, p99 µs}. */
    private long[] write(Node node, long until, int interval) {
        String base = "http://127.0.0.1:" + node.port();
        List<Long> latencies = new ArrayList<>();
        long errors = 0;
        long next = System.nanoTime();
        long nextBulk = next;
        int n = 0;
        while (System.nanoTime() < until) {
            n++;
            boolean bulk = System.nanoTime() >= nextBulk;
            String body;
            HttpRequest.Builder request;
            if (bulk) {
                nextBulk += BULK_EVERY_MS * 1_000_000L;
                StringBuilder secrets = new StringBuilder();
                for (int i = 0; i < 50; i++) {
                    if (i > 0) secrets.append(',');
                    secrets.append(String.format(Locale.ROOT, "{\"key\":\"SOAK_%s_%d_%d_%d\",\"value\":\"v%d\"}",
                            node.name().replaceAll("\\W", ""), interval, n, i, ThreadLocalRandom.current().nextInt()));
                }
                body = "{\"environments\":[\"" + node.bulkEnvironment() + "\"],\"secrets\":[" + secrets + "]}";
                request = HttpRequest.newBuilder(URI.create(base + node.bulkPath())).POST(HttpRequest.BodyPublishers.ofString(body));
            } else {
                body = "{\"values\":[{\"environmentId\":\"" + node.readEnvironment() + "\",\"value\":\"soak-"
                        + ThreadLocalRandom.current().nextLong() + "\"}]}";
                request = HttpRequest.newBuilder(URI.create(base + node.updatePath())).PUT(HttpRequest.BodyPublishers.ofString(body));
            }
            long start = System.nanoTime();
            try {
                HttpResponse<Void> r = bench.http.send(request.timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + node.ownerToken())
                        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() / 100 != 2) errors++;
            } catch (Exception e) {
                errors++;
            }
            latencies.add((System.nanoTime() - start) / 1000);
            next += UPDATE_EVERY_MS * 1_000_000L;
            long wait = next - System.nanoTime();
            if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return new long[] {sorted.length, errors, FixedRate.pct(sorted, 99)};
    }

    /** A generation's line of {@code GC.heap_info} ("Tenured total 138176K, used 20253K …"). */
    private static final java.util.regex.Pattern GENERATION = java.util.regex.Pattern.compile("^\\S.*total \\d+K, used (\\d+)K");

    /**
     * The heap a node's live objects take: a full collection first ({@code jcmd GC.run}), then what each generation
     * uses ({@code GC.heap_info}). The serial collector grows its old generation toward the heap limit with garbage
     * between full collections, so the resident size climbs for a while whatever is live; this is what says a leak.
     */
    private double liveHeapMb(Proc proc) throws Exception {
        String jcmd = Path.of(bench.java).resolveSibling("jcmd").toString();
        Bench.exec(List.of(jcmd, String.valueOf(proc.pid()), "GC.run"));
        String info = Bench.exec(List.of(jcmd, String.valueOf(proc.pid()), "GC.heap_info"));
        long usedKib = 0;
        for (String line : info.split("\n")) {
            var m = GENERATION.matcher(line);
            if (m.find()) usedKib += Long.parseLong(m.group(1));
        }
        return usedKib / 1024.0;
    }

    private void report(double peak, double perNode, int connections, int intervals, double intervalSeconds, List<Sample> samples,
                        Map<String, Double> liveAtMiddle, Map<String, Double> liveAtEnd) throws Exception {
        StringBuilder out = new StringBuilder();
        out.append("\n## Soak of ").append(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))).append("\n\n");
        for (Map.Entry<String, String> v : bench.versions.entrySet()) out.append("- ").append(v.getKey()).append(": ").append(v.getValue()).append('\n');
        out.append(String.format(Locale.ROOT, "- load: %.0f min in %d intervals of %.0f s; the peak measured first (wrk flood on the SQLite node): "
                        + "%,.0f reads/s; per node about %,.0f reads/s (wrk -t1 -c%d, %d ms pause after each answer), a single update every "
                        + "%d ms and a 50-secret bulk create every %d ms; three nodes at once (SQLite, and two on one PostgreSQL)%n%n",
                minutes, intervals, intervalSeconds, peak, perNode, connections, PAUSE_MS, UPDATE_EVERY_MS, BULK_EVERY_MS));
        out.append("| interval | node | reads/s | read p99 ms | read errors | writes | write p99 ms | write errors | CPU % | RSS MB | threads | open files |\n");
        out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Sample s : samples) {
            out.append(String.format(Locale.ROOT, "| %d | %s | %,.0f | %.2f | %d | %d | %.1f | %d | %.0f | %.0f | %d | %d |%n", s.interval(), s.node(),
                    s.readsPerSecond(), s.readP99Ms(), s.readErrors(), s.writes(), s.writeP99Ms(), s.writeErrors(), s.cpuPercent(), s.rssMb(),
                    s.threads(), s.openFiles()));
        }
        out.append("\nGoals:\n\n");
        long errors = samples.stream().mapToLong(s -> s.readErrors() + s.writeErrors()).sum();
        out.append(Bench.check("no errors", errors == 0, errors + " errors"));
        for (String node : samples.stream().map(Sample::node).distinct().toList()) {
            List<Sample> mine = samples.stream().filter(s -> s.node().equals(node)).toList();
            // from the middle of the run: the first intervals still grow the JIT's code, the carrier threads and the heap
            Sample settled = mine.get((mine.size() - 1) / 2);
            Sample last = mine.get(mine.size() - 1);
            double peakRss = mine.stream().mapToDouble(Sample::rssMb).max().orElse(0);
            out.append(Bench.check(node + ": RSS under 512 MB in every interval", peakRss < 512,
                    String.format(Locale.ROOT, "%.0f → %.0f MB, peak %.0f MB", settled.rssMb(), last.rssMb(), peakRss)));
            double middle = liveAtMiddle.getOrDefault(node, Double.NaN);
            double end = liveAtEnd.getOrDefault(node, Double.NaN);
            out.append(Bench.check(node + ": live heap flat (after a full collection, the end within 10 MB of the middle)",
                    end <= middle + 10, String.format(Locale.ROOT, "%.0f → %.0f MB", middle, end)));
            out.append(Bench.check(node + ": threads flat from the middle (within 4)", last.threads() <= settled.threads() + 4,
                    settled.threads() + " → " + last.threads()));
            out.append(Bench.check(node + ": open files flat from the middle (within 8)", last.openFiles() <= settled.openFiles() + 8,
                    settled.openFiles() + " → " + last.openFiles()));
        }
        System.out.println(out);
        Path latest = bench.root.resolve("bench/target/soak.md");
        Files.createDirectories(latest.getParent());
        Files.writeString(latest, out.toString());
        Bench.log("soak table written to " + latest);
    }
}
