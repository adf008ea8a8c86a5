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
 * load of 80% of the peak measured first (reads from wrk on each node on a fixed schedule of its share, over as many
 * connections as a calibration of a few short rounds under the whole load found it needs; single updates and
 * 50-secret bulk creates from a writer per node) for {@code --soak=MINUTES}. Every interval
 * it notes, per node, the reads' rate and its share of the target, p99 and errors, the writes' p99 and errors, and the
 * node's resident memory, threads (by group) and open files: errors should be zero and the last three flat. Meanwhile
 * a {@link RevocationProbe} measures how long a token revoked on one PostgreSQL node is still honoured on the other.
 * {@code bench/run --soak[=10] --small}.
 */
final class Soak {
    private final Bench bench;
    private final double minutes;

    /** One serving node and what its load needs. */
    private record Node(String name, Proc proc, int port, String jwt, String ownerToken, String listPath, String updatePath,
                        String readEnvironment, String bulkPath, String bulkEnvironment) {}

    /** One interval of one node; {@code target} is the reads a second it was paced for. */
    private record Sample(int interval, String node, double readsPerSecond, double target, double readP99Ms, long readErrors,
                          double writeP99Ms, long writes, long writeErrors, double cpuPercent, double rssMb, long threads,
                          Map<String, Integer> threadGroups, long openFiles) {}

    /** What one stretch of load did: per node, wrk's result, the writer's {count, errors, p99 µs} and the server's meter. */
    private record Load(List<JsonNode> reads, List<long[]> writes, List<Proc.Meter> meters) {
        double readsPerSecond(int node) {
            return (reads.get(node).get("requests").asLong() - readErrors(node)) / (reads.get(node).get("durationUs").asLong() / 1e6);
        }

        long readErrors(int node) {
            JsonNode r = reads.get(node);
            return r.get("connect").asLong() + r.get("read").asLong() + r.get("write").asLong() + r.get("timeout").asLong()
                    + r.get("status").asLong();
        }
    }

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

        // 80% of the peak over the three nodes, a third each, on a fixed schedule (wrk's BENCH_RATE); the connections
        // it needs depend on the answers' latency under the whole load, so they are found by trying. (A pause after each
        // answer, sized as if answers took no time, reached 43-53% of the peak in the soak of 09:16.)
        double perNode = TARGET_SHARE * peak / nodes.size();
        int intervals = (int) Math.max(2, Math.round(minutes));
        double intervalSeconds = minutes * 60 / intervals;
        Calibration calibration = calibrate(nodes, perNode);
        Bench.log(String.format(Locale.ROOT, "soak: peak %,.0f reads/s; %d intervals of %.0f s; per node %,.0f reads/s (connections %s), "
                + "a single update every %d ms and a bulk create every %d ms", peak, intervals, intervalSeconds, perNode,
                Arrays.toString(calibration.connections()), UPDATE_EVERY_MS, BULK_EVERY_MS));
        // the harness attaches to each node (jcmd) for the live heap in the middle; the JVM starts its "Attach Listener"
        // thread at the first attach and keeps it, so attach once now, or it shows as a thread the soak grew
        for (Node node : nodes) Bench.exec(List.of(jcmd(), String.valueOf(node.proc().pid()), "VM.uptime"));
        List<Sample> samples = new ArrayList<>();
        Map<String, Heap> liveAtMiddle = new LinkedHashMap<>();
        RevocationProbe probe = new RevocationProbe(bench, first.port(), port, first.listPath(), first.ownerToken());
        try (probe) {
            for (int i = 1; i <= intervals; i++) {
                samples.addAll(interval(i, nodes, calibration.connections(), intervalSeconds, perNode, probe));
                if (i == (intervals + 1) / 2) for (Node node : nodes) liveAtMiddle.put(node.name(), liveHeap(node.proc()));
            }
        }
        List<RevocationProbe.Result> revocations = probe.results();
        List<String> probeFailures = probe.failures();
        Map<String, Heap> liveAtEnd = new LinkedHashMap<>();
        for (Node node : nodes) liveAtEnd.put(node.name(), liveHeap(node.proc()));
        report(peak, perNode, calibration, intervals, intervalSeconds, samples, liveAtMiddle, liveAtEnd, revocations, probeFailures);
    }

    static final double TARGET_SHARE = 0.8;
    /** The reads summed over the nodes may miss {@link #TARGET_SHARE} of the peak by this much in an interval. */
    static final double TARGET_TOLERANCE = 0.10;
    static final int UPDATE_EVERY_MS = 50;
    static final int BULK_EVERY_MS = 2000;
    /**
     * The revocation bound the README promises under any load ({@code access.change-poll-millis}, 200 ms): a node whose
     * last poll began longer ago catches up before it authenticates. What a client can check of it: no request it sent
     * later than this after the revoke was acknowledged is honoured. The time until the first refusal also holds the
     * refused request's own wait in the queue of an overloaded node, so it is reported, not judged.
     */
    static final double REVOCATION_BOUND_MS = 200;

    /** The connections each node's wrk keeps for the soak, and each calibration round's reads a second per node. */
    private record Calibration(int[] connections, List<int[]> roundConnections, List<double[]> roundReads) {}

    static final int CALIBRATION_ROUNDS = 6;
    static final int CALIBRATION_SECONDS = 3;
    /** A node whose reads reach this share of its target in a round keeps its connections (the soak's goal allows 10%). */
    static final double CALIBRATED_AT = 0.95;
    static final int MAX_CONNECTIONS = 512;

    /**
     * Short rounds of the soak's whole load (every node's reads on its schedule and its writer, all at once, as in the
     * soak). The schedule caps each node at its target, so a node short of it lacks connections free when its slots
     * come (answers slower than the connections allow): its connections are scaled by its target over what it
     * achieved, at least by 1.5 and at most doubled, until it reaches {@link #CALIBRATED_AT} of the target. A node is
     * left as it is once it has; the first rounds, on nodes whose JIT is still cold, are the warm-up. Connections only
     * grow (beyond what is needed they idle: the schedule, not they, sets the rate), so the last round's are kept,
     * whether or not every node got there (the report shows the rate each had).
     */
    private Calibration calibrate(List<Node> nodes, double perNode) throws Exception {
        int[] connections = new int[nodes.size()];
        // a first guess: Little's law for answers taking 10 ms under this load
        Arrays.fill(connections, (int) Math.max(4, Math.round(perNode * 0.010)));
        List<int[]> roundConnections = new ArrayList<>();
        List<double[]> roundReads = new ArrayList<>();
        for (int round = 1; round <= CALIBRATION_ROUNDS; round++) {
            Load load = load(nodes, connections, perNode, CALIBRATION_SECONDS, "c" + round);
            double[] achieved = new double[nodes.size()];
            boolean all = true;
            for (int i = 0; i < nodes.size(); i++) {
                achieved[i] = load.readsPerSecond(i);
                all &= achieved[i] >= CALIBRATED_AT * perNode;
            }
            roundConnections.add(connections.clone());
            roundReads.add(achieved);
            Bench.log(String.format(Locale.ROOT, "soak calibration %d: connections %s → reads/s %s (target %,.0f a node)", round,
                    Arrays.toString(connections), Arrays.toString(Arrays.stream(achieved).mapToLong(Math::round).toArray()), perNode));
            if (all || round == CALIBRATION_ROUNDS) break;
            for (int i = 0; i < nodes.size(); i++) {
                if (achieved[i] >= CALIBRATED_AT * perNode) continue;
                double factor = Math.max(1.5, Math.min(2.0, perNode / Math.max(1, achieved[i])));
                connections[i] = (int) Math.min(MAX_CONNECTIONS, Math.round(connections[i] * factor));
            }
        }
        return new Calibration(connections, roundConnections, roundReads);
    }

    private Node node(String name, Proc proc, int port) throws Exception {
        String base = "/v1/workspace/" + Bench.WS + "/project/";
        String list = base + "web/secret?environmentId=" + bench.readEnvironmentId;
        JsonNode one = bench.call("GET", "http://127.0.0.1:" + port + base + "web/secret/WEB_SECRET_03?environmentId=" + bench.readEnvironmentId,
                bench.ownerToken, null);
        return new Node(name, proc, port, bench.jwt, bench.ownerToken, list, base + "web/secret/" + one.get("id").asText(),
                bench.readEnvironmentId, base + "bulk/secret", bench.bulkEnvironmentId);
    }

    /** Settling after a stretch of load, before its counts are read: the nodes finish the requests still queued. */
    static final long SETTLE_MS = 2000;

    /**
     * One interval of the load, the probe measuring meanwhile; then, once the nodes have settled, each one's counts
     * (read at once instead, a node still answering the requests queued when wrk stopped held hundreds of sockets).
     */
    private List<Sample> interval(int number, List<Node> nodes, int[] connections, double seconds, double perNode, RevocationProbe probe)
            throws Exception {
        probe.interval = number;
        Load load;
        try {
            load = load(nodes, connections, perNode, seconds, String.valueOf(number));
        } finally {
            probe.interval = 0; // between intervals the nodes are not loaded (and collect their heaps in full in the middle)
        }
        Thread.sleep(SETTLE_MS);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            long[] w = load.writes().get(i);
            Sample sample = new Sample(number, node.name(), load.readsPerSecond(i), perNode, load.reads().get(i).get("p99").asLong() / 1000.0,
                    load.readErrors(i), w[2] / 1000.0, w[0], w[1], load.meters().get(i).cpuPercent, node.proc().rssKib() / 1024.0,
                    node.proc().threadCount(), node.proc().threadGroups(), node.proc().openFiles());
            Bench.log(sample.toString());
            out.add(sample);
        }
        return out;
    }

    /**
     * Every node's reads ({@code perNode} a second on wrk's schedule, over {@code connections[i]} connections for node i)
     * and its writer, all at once, for {@code seconds}.
     */
    private Load load(List<Node> nodes, int[] connections, double perNode, double seconds, String tag) throws Exception {
        List<Proc.Meter> meters = new ArrayList<>();
        List<Future<JsonNode>> reads = new ArrayList<>();
        List<Future<long[]>> writes = new ArrayList<>();
        long until = System.nanoTime() + (long) (seconds * 1e9);
        try (ExecutorService pool = Executors.newFixedThreadPool(nodes.size() * 2)) {
            for (Node node : nodes) meters.add(node.proc().meter());
            for (int i = 0; i < nodes.size(); i++) {
                Node node = nodes.get(i);
                int c = connections[i];
                Map<String, String> env = new LinkedHashMap<>(Bench.withRun(Map.of("BENCH_HEADERS", "Authorization: Bearer " + node.jwt())));
                env.put("BENCH_RATE", String.format(Locale.ROOT, "%.1f", perNode));
                reads.add(pool.submit(() -> bench.runWrk("http://127.0.0.1:" + node.port() + node.listPath(), env, seconds, 1, c)));
                writes.add(pool.submit(() -> write(node, until, tag)));
            }
            for (Future<JsonNode> f : reads) f.get();
            for (Future<long[]> f : writes) f.get();
        }
        for (Proc.Meter m : meters) m.close();
        List<JsonNode> readResults = new ArrayList<>();
        for (Future<JsonNode> f : reads) readResults.add(f.get());
        List<long[]> writeResults = new ArrayList<>();
        for (Future<long[]> f : writes) writeResults.add(f.get());
        return new Load(readResults, writeResults, meters);
    }

    /**
     * A node's writes until {@code until}: single updates and bulk creates, paced. Returns {count, errors, p99 µs}.
     * {@code tag} (the interval, or "c" and the calibration round) keeps the bulk creates' keys new in every stretch.
     */
    private long[] write(Node node, long until, String tag) {
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
                    secrets.append(String.format(Locale.ROOT, "{\"key\":\"SOAK_%s_%s_%d_%d\",\"value\":\"v%d\"}",
                            node.name().replaceAll("\\W", ""), tag, n, i, ThreadLocalRandom.current().nextInt()));
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

    /** The JDK's jcmd, beside the java the harness runs on (the servers run on it too). */
    private String jcmd() {
        return Path.of(bench.java).resolveSibling("jcmd").toString();
    }

    /** A generation's line of {@code GC.heap_info} ("Tenured total 138176K, used 20253K …"). */
    private static final java.util.regex.Pattern GENERATION = java.util.regex.Pattern.compile("^\\S.*total \\d+K, used (\\d+)K");

    /** What a node's live objects take after a full collection, and their bytes by class (what says which grew). */
    private record Heap(double liveMb, Map<String, Long> classBytes) {}

    /** A line of {@code GC.class_histogram}: "   1:   12345   6789012  [B (java.base@25)". */
    private static final java.util.regex.Pattern HISTOGRAM_LINE = java.util.regex.Pattern.compile("^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)");

    /**
     * The heap a node's live objects take: a full collection first ({@code jcmd GC.run}), then what each generation
     * uses ({@code GC.heap_info}) and the bytes of each class ({@code GC.class_histogram}, itself after a full
     * collection). The serial collector grows its old generation toward the heap limit with garbage between full
     * collections, so the resident size climbs for a while whatever is live; this is what says a leak.
     */
    private Heap liveHeap(Proc proc) throws Exception {
        String pid = String.valueOf(proc.pid());
        Bench.exec(List.of(jcmd(), pid, "GC.run"));
        String info = Bench.exec(List.of(jcmd(), pid, "GC.heap_info"));
        long usedKib = 0;
        for (String line : info.split("\n")) {
            var m = GENERATION.matcher(line);
            if (m.find()) usedKib += Long.parseLong(m.group(1));
        }
        Map<String, Long> classes = new java.util.HashMap<>();
        for (String line : Bench.exec(List.of(jcmd(), pid, "GC.class_histogram")).split("\n")) {
            var m = HISTOGRAM_LINE.matcher(line);
            if (m.find()) classes.merge(m.group(2), Long.parseLong(m.group(1)), Long::sum);
        }
        return new Heap(usedKib / 1024.0, classes);
    }

    /** "; grew most: [B +6.1 MB, …": the classes whose live bytes grew most from the middle to the end (above 0.1 MB). */
    private static String grownClasses(Heap middle, Heap end) {
        if (middle == null || end == null) return "";
        List<String> out = end.classBytes().entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - middle.classBytes().getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 100 * 1024).sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .map(e -> String.format(Locale.ROOT, "%s +%.1f MB", e.getKey(), e.getValue() / 1048576.0)).toList();
        return out.isEmpty() ? "" : "; grew most: " + String.join(", ", out);
    }

    private void report(double peak, double perNode, Calibration calibration, int intervals, double intervalSeconds, List<Sample> samples,
                        Map<String, Heap> liveAtMiddle, Map<String, Heap> liveAtEnd, List<RevocationProbe.Result> revocations,
                        List<String> probeFailures) throws Exception {
        StringBuilder out = new StringBuilder();
        out.append("\n## Soak of ").append(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))).append("\n\n");
        for (Map.Entry<String, String> v : bench.versions.entrySet()) out.append("- ").append(v.getKey()).append(": ").append(v.getValue()).append('\n');
        List<String> rounds = new ArrayList<>();
        for (int r = 0; r < calibration.roundReads().size(); r++) {
            rounds.add(Arrays.toString(calibration.roundConnections().get(r)) + " → " + String.join("/",
                    Arrays.stream(calibration.roundReads().get(r)).mapToObj(x -> String.format(Locale.ROOT, "%,.0f", x)).toList()));
        }
        int nodeCount = (int) samples.stream().map(Sample::node).distinct().count();
        out.append(String.format(Locale.ROOT, "- load: %.0f min in %d intervals of %.0f s; the peak measured first (wrk flood on the SQLite node): "
                        + "%,.0f reads/s; the target %.0f%% of it, %,.0f reads/s over the %d nodes (%,.0f a node), as paced reads (wrk -t1 sending on "
                        + "a fixed schedule of that rate) over the connections per node %s found by calibration (rounds of %d s under the whole "
                        + "load, connections → reads/s per node: %s); each node also a single update every %d ms and a 50-secret bulk create "
                        + "every %d ms; the nodes at once (SQLite, and two on one PostgreSQL)%n",
                minutes, intervals, intervalSeconds, peak, TARGET_SHARE * 100, perNode * nodeCount, nodeCount, perNode,
                Arrays.toString(calibration.connections()), CALIBRATION_SECONDS, String.join("; ", rounds), UPDATE_EVERY_MS, BULK_EVERY_MS));
        out.append(String.format(Locale.ROOT, "- revocation probe: every %d ms while the nodes are loaded, a read token is made on PostgreSQL "
                + "node 1, used on node 2 (the first try noted), exchanged there for a JWT and revoked on node 1; from the revoke's "
                + "acknowledgement node 2 is polled with the token and with the JWT, each on its own connection without a pause, until "
                + "each is refused (401)%n%n", RevocationProbe.EVERY_MS));
        out.append("| interval | node | reads/s | of target | read p99 ms | read errors | writes | write p99 ms | write errors | CPU % | RSS MB | threads | open files |\n");
        out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Sample s : samples) {
            out.append(String.format(Locale.ROOT, "| %d | %s | %,.0f | %.0f%% | %.2f | %d | %d | %.1f | %d | %.0f | %.0f | %d | %d |%n", s.interval(),
                    s.node(), s.readsPerSecond(), 100 * s.readsPerSecond() / s.target(), s.readP99Ms(), s.readErrors(), s.writes(), s.writeP99Ms(),
                    s.writeErrors(), s.cpuPercent(), s.rssMb(), s.threads(), s.openFiles()));
        }

        out.append("\nPer interval, the nodes together and the revocation probe (ms from the revoke's acknowledgement on node 1 to the "
                + "refusal on node 2):\n\n");
        out.append("| interval | reads/s, all nodes | of the target | probes | first try refused | token median / max ms | JWT median / max ms "
                + "| last honoured, max ms (token / JWT) |\n");
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        double worstShare = Double.NaN;
        for (int i = 1; i <= intervals; i++) {
            int n = i;
            List<Sample> mine = samples.stream().filter(s -> s.interval() == n).toList();
            double reads = mine.stream().mapToDouble(Sample::readsPerSecond).sum();
            double share = reads / mine.stream().mapToDouble(Sample::target).sum();
            if (Double.isNaN(worstShare) || Math.abs(share - 1) > Math.abs(worstShare - 1)) worstShare = share;
            List<RevocationProbe.Result> probes = revocations.stream().filter(r -> r.interval() == n).toList();
            out.append(String.format(Locale.ROOT, "| %d | %,.0f | %.0f%% | %d | %d | %s | %s | %s / %s |%n", i, reads, 100 * share, probes.size(),
                    probes.stream().filter(r -> !r.firstTryOk()).count(),
                    RevocationProbe.medianAndMax(probes.stream().map(RevocationProbe.Result::tokenMs).toList()),
                    RevocationProbe.medianAndMax(probes.stream().map(RevocationProbe.Result::jwtMs).toList()),
                    maxMs(probes.stream().map(RevocationProbe.Result::tokenHonouredMs).toList()),
                    maxMs(probes.stream().map(RevocationProbe.Result::jwtHonouredMs).toList())));
        }
        List<Double> tokenMs = revocations.stream().map(RevocationProbe.Result::tokenMs).toList();
        List<Double> jwtMs = revocations.stream().map(RevocationProbe.Result::jwtMs).toList();
        long firstTryRefused = revocations.stream().filter(r -> !r.firstTryOk()).count();
        out.append("\nRevocation under load, over the whole soak:\n\n");
        out.append("- the token, refused on node 2 after its revoke on node 1: ").append(RevocationProbe.summary(tokenMs))
                .append(honoured(revocations.stream().map(RevocationProbe.Result::tokenHonouredMs).toList())).append('\n');
        out.append("- its JWT, refused on node 2: ").append(RevocationProbe.summary(jwtMs))
                .append(honoured(revocations.stream().map(RevocationProbe.Result::jwtHonouredMs).toList())).append('\n');
        out.append("- a new token's first use on the other node: refused ").append(firstTryRefused).append(" of ").append(revocations.size()).append('\n');
        if (!probeFailures.isEmpty()) {
            out.append("- probe cycles that could not be run: ").append(probeFailures.size()).append(" (")
                    .append(String.join("; ", probeFailures.subList(0, Math.min(3, probeFailures.size())))).append(")\n");
        }

        out.append("\nThreads by group at the end (the kernel's name for each thread, its trailing number dropped), and the groups whose "
                + "count changed, interval by interval:\n\n");
        for (String node : samples.stream().map(Sample::node).distinct().toList()) {
            List<Sample> mine = samples.stream().filter(s -> s.node().equals(node)).toList();
            Sample last = mine.get(mine.size() - 1);
            out.append("- ").append(node).append(" (").append(last.threads()).append("): ").append(groups(last.threadGroups()))
                    .append(changed(mine)).append('\n');
        }

        out.append("\nGoals:\n\n");
        long errors = samples.stream().mapToLong(s -> s.readErrors() + s.writeErrors()).sum();
        out.append(Bench.check("no errors", errors == 0, errors + " errors"));
        out.append(Bench.check(String.format(Locale.ROOT, "reads at %.0f%% of the peak (within %.0f%%) in every interval, the nodes together",
                        TARGET_SHARE * 100, TARGET_TOLERANCE * 100), Math.abs(worstShare - 1) <= TARGET_TOLERANCE,
                String.format(Locale.ROOT, "furthest interval at %.0f%% of the target", 100 * worstShare)));
        double worstToken = RevocationProbe.worst(tokenMs);
        double worstJwt = RevocationProbe.worst(jwtMs);
        double lastTokenHonoured = revocations.stream().mapToDouble(RevocationProbe.Result::tokenHonouredMs).max().orElse(Double.NaN);
        double lastJwtHonoured = revocations.stream().mapToDouble(RevocationProbe.Result::jwtHonouredMs).max().orElse(Double.NaN);
        out.append(Bench.check(String.format(Locale.ROOT, "no revoked token or JWT honoured on the other node in a request sent more than %.0f ms "
                        + "after the revoke was acknowledged (access.change-poll-millis), and every one refused in the end", REVOCATION_BOUND_MS),
                !revocations.isEmpty() && Double.isFinite(worstToken) && Double.isFinite(worstJwt) && lastTokenHonoured <= REVOCATION_BOUND_MS
                        && lastJwtHonoured <= REVOCATION_BOUND_MS,
                String.format(Locale.ROOT, "%d probes; worst refusal: token %s, JWT %s; the last request honoured sent up to %s ms (token) "
                                + "and %s ms (JWT) after the acknowledgement", revocations.size(), RevocationProbe.ms(worstToken),
                        RevocationProbe.ms(worstJwt), maxMs(revocations.stream().map(RevocationProbe.Result::tokenHonouredMs).toList()),
                        maxMs(revocations.stream().map(RevocationProbe.Result::jwtHonouredMs).toList()))));
        out.append(Bench.check("a token made on one node works on the other on the first try", !revocations.isEmpty() && firstTryRefused == 0,
                firstTryRefused + " of " + revocations.size() + " refused"));
        for (String node : samples.stream().map(Sample::node).distinct().toList()) {
            List<Sample> mine = samples.stream().filter(s -> s.node().equals(node)).toList();
            // from the middle of the run: the first intervals still grow the JIT's code, the carrier threads and the heap
            Sample settled = mine.get((mine.size() - 1) / 2);
            Sample last = mine.get(mine.size() - 1);
            double peakRss = mine.stream().mapToDouble(Sample::rssMb).max().orElse(0);
            out.append(Bench.check(node + ": RSS under 512 MB in every interval", peakRss < 512,
                    String.format(Locale.ROOT, "%.0f → %.0f MB, peak %.0f MB", settled.rssMb(), last.rssMb(), peakRss)));
            Heap middleHeap = liveAtMiddle.get(node);
            Heap endHeap = liveAtEnd.get(node);
            double middle = middleHeap == null ? Double.NaN : middleHeap.liveMb();
            double end = endHeap == null ? Double.NaN : endHeap.liveMb();
            out.append(Bench.check(node + ": live heap flat (after a full collection, the end within 10 MB of the middle)",
                    end <= middle + 10, String.format(Locale.ROOT, "%.0f → %.0f MB", middle, end)
                            + (end > middle ? grownClasses(middleHeap, endHeap) : "")));
            String grew = last.threads() > settled.threads() ? "; grew: " + grown(settled.threadGroups(), last.threadGroups()) : "";
            out.append(Bench.check(node + ": threads flat from the middle (within 4)", last.threads() <= settled.threads() + 4,
                    settled.threads() + " → " + last.threads() + grew));
            out.append(Bench.check(node + ": open files flat from the middle (within 8)", last.openFiles() <= settled.openFiles() + 8,
                    settled.openFiles() + " → " + last.openFiles()));
        }
        System.out.println(out);
        Path latest = bench.root.resolve("bench/target/soak.md");
        Files.createDirectories(latest.getParent());
        Files.writeString(latest, out.toString());
        Bench.log("soak table written to " + latest);
    }

    /** The largest of some ms, whole, or "–" when there is none. */
    private static String maxMs(List<Double> ms) {
        return ms.isEmpty() ? "–" : String.format(Locale.ROOT, "%.0f", ms.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
    }

    /** "; the last request still honoured was sent up to N ms after the acknowledgement (median M)". */
    private static String honoured(List<Double> lastHonouredMs) {
        if (lastHonouredMs.isEmpty()) return "";
        double[] sorted = lastHonouredMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return String.format(Locale.ROOT, "; the last request still honoured had been sent up to %.0f ms after the acknowledgement (median %.0f ms)",
                sorted[sorted.length - 1], sorted[(sorted.length - 1) / 2]);
    }

    /** "ForkJoinPool 12, qtp123 9, …": the groups, most threads first. */
    private static String groups(Map<String, Integer> groups) {
        return String.join(", ", groups.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
                .thenComparing(Map.Entry.comparingByKey())).map(e -> e.getKey() + " " + e.getValue()).toList());
    }

    /** "; changed: ek-http 56, 58, 61; …" for the groups whose count was not the same in every interval. */
    private static String changed(List<Sample> intervals) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (Sample s : intervals) names.addAll(s.threadGroups().keySet());
        List<String> out = new ArrayList<>();
        for (String name : names) {
            List<Integer> counts = intervals.stream().map(s -> s.threadGroups().getOrDefault(name, 0)).toList();
            if (counts.stream().distinct().count() > 1) out.add(name + " " + String.join(", ", counts.stream().map(String::valueOf).toList()));
        }
        return out.isEmpty() ? "; no group changed" : "; changed: " + String.join("; ", out);
    }

    /** The groups with more threads at the end than in the middle: "ForkJoinPool 8 → 12, …" (nothing when none did). */
    private static String grown(Map<String, Integer> middle, Map<String, Integer> end) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Integer> e : end.entrySet()) {
            int before = middle.getOrDefault(e.getKey(), 0);
            if (e.getValue() > before) out.add(e.getKey() + " " + before + " → " + e.getValue());
        }
        return out.isEmpty() ? "no group (a thread ended meanwhile in another)" : String.join(", ", out);
    }
}
