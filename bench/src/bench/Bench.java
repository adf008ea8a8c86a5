package bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The benchmark: starts the real server, seeds it through its API, loads it with wrk from another process on loopback,
 * does the same to a ceiling (the JDK's HTTP server answering the same bytes) and to the peers (etcd's authenticated
 * range read, Keycloak's client-credentials grant), measures the Ed25519 signing bound, and prints one table.
 * Everything it starts binds to 127.0.0.1 and is stopped by its pid before it returns. See bench/README.md.
 */
public final class Bench {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String WS = "bench";

    // options
    double duration = 10;
    double warmup = 5;
    int connections = 64;
    int threads = 2;
    String postgresUrl;
    boolean peers = true;
    boolean keep;
    int projects = 50;
    int environmentsPerProject = 3;
    int secretsPerEnvironment = 200;
    int tokenCount = 1000;
    int listKeys = 20;
    int bulkBatch = 50;
    int fixedRate = 1000;
    List<String> only = new ArrayList<>();
    /** Record a JFR CPU-time profile of the server during each measured ek scenario (bench/target/profiles/). */
    boolean profile;
    /**
     * The PostgreSQL the read rows are measured on again, in the same run, beside the embedded store's (issue 16): by
     * default EK_TEST_POSTGRES_URL's server; none when the run is on PostgreSQL already or none is named.
     */
    String comparePostgres = System.getenv("EK_TEST_POSTGRES_URL");
    /** How many nodes on that PostgreSQL the `nodes` rows load at once, each from its own wrk. */
    int nodes = 2;
    /** The project sizes the `sweep` rows measure an update and a get in. */
    List<Integer> sweepSizes = List.of(30, 500, 3000);

    final Path root;
    final Path work;
    final String java;
    final Path jar;
    final Path benchClasses;
    final Path keycloakHome;
    final List<Row> rows = new ArrayList<>();
    final Map<String, String> versions = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    /**
     * The disk's syncs beside each row whose every answer waits for one (writes; the fixed-rate audited reads), by
     * scenario: a target on such a row's latency is judged only when the disk itself did not stall past it (DiskProbe).
     */
    final Map<String, DiskProbe.Result> diskSyncs = new LinkedHashMap<>();
    final List<DiskProbe.Result> auditedDiskStalls = new ArrayList<>();
    /** The run's own database is PostgreSQL (--postgres); the PostgreSQL rows of a SQLite run are measured after. */
    boolean onPostgres;
    /** The bulk-create rate the issue measured before any of this work (issue 16, 3), on the run's own database. */
    double bulkBefore = 83;
    /** Rows whose answers each wait for a sync (wrk modes that write). */
    static final Set<String> SYNCED_MODES = Set.of("bulk", "update");
    final List<Proc> started = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    // what seeding learnt
    String ownerToken;
    String webProjectId;
    String readEnvironmentId;
    String bulkEnvironmentId;
    String readToken;
    String jwt;
    byte[] listBody;
    Path tokensFile;
    String dbName;
    String masterKey;

    /** One line of the table. */
    record Row(String scenario, String target, double rps, double p50Ms, double p99Ms, double p999Ms, long errors, long requests,
               double cpuPercent, double rssMb, double othersPercent, String note) {}

    Bench(Path root, Path work, Path keycloakHome) {
        this.root = root;
        this.work = work;
        this.java = ProcessHandle.current().info().command().orElse("java");
        this.jar = root.resolve("server/target/ek-server.jar");
        this.benchClasses = root.resolve("bench/target/classes");
        this.keycloakHome = keycloakHome;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath().normalize();
        String kc = System.getProperty("bench.keycloak", "");
        Path work = Files.createTempDirectory("ek-bench-");
        Bench bench = new Bench(root, work, kc.isEmpty() ? null : Path.of(kc));
        for (String arg : args) bench.option(arg);
        Runtime.getRuntime().addShutdownHook(new Thread(bench::stopAll, "bench-stop"));
        int exit = 0;
        try {
            bench.run();
        } catch (Exception e) {
            System.err.println("bench failed: " + e);
            e.printStackTrace();
            exit = 1;
        } finally {
            bench.stopAll();
            bench.dropPostgres();
            if (!bench.keep) deleteTree(work);
            else System.err.println("work folder kept: " + work);
        }
        System.exit(exit);
    }

    void option(String arg) {
        String[] kv = arg.split("=", 2);
        String v = kv.length > 1 ? kv[1] : "";
        switch (kv[0]) {
            case "--duration" -> duration = Double.parseDouble(v);
            case "--warmup" -> warmup = Double.parseDouble(v);
            case "--connections" -> connections = Integer.parseInt(v);
            case "--threads" -> threads = Integer.parseInt(v);
            case "--postgres" -> postgresUrl = v.isEmpty() ? System.getenv().getOrDefault("EK_TEST_POSTGRES_URL", "") : v;
            case "--no-peers" -> peers = false;
            case "--keep" -> keep = true;
            case "--small" -> { projects = 5; tokenCount = 100; }
            case "--only" -> only = List.of(v.split(","));
            case "--profile" -> profile = true;
            case "--compare-postgres" -> comparePostgres = v.isEmpty() ? System.getenv("EK_TEST_POSTGRES_URL") : v;
            case "--no-compare-postgres" -> comparePostgres = null;
            case "--nodes" -> nodes = Integer.parseInt(v);
            case "--soak" -> soakMinutes = v.isEmpty() ? 10 : Double.parseDouble(v);
            default -> throw new IllegalArgumentException("unknown option " + arg
                    + " (--duration=S --warmup=S --connections=N --threads=N --postgres[=URL] --compare-postgres[=URL] --no-compare-postgres"
                    + " --nodes=N --soak[=MINUTES] --no-peers --keep --small --only=a,b --profile)");
        }
    }

    boolean wanted(String scenario) {
        return only.isEmpty() || only.contains(scenario);
    }

    // ------------------------------------------------------------------------------------------------ the run

    /** --soak[=MINUTES]: the soak instead of the table (see {@link Soak}). */
    double soakMinutes = Double.NaN;

    /** What the run is measured with, at the head of its table. */
    void describeRun() throws Exception {
        log("work folder " + work + "; machine: " + machine());
        versions.put("machine", machine());
        versions.put("JDK", Runtime.version().toString());
        versions.put("ek", git("describe", "--always", "--dirty"));
        versions.put("wrk", firstLine(exec(List.of("wrk", "-v"))));
        versions.put("database", postgresUrl == null ? "embedded SQLite" : "PostgreSQL " + postgresVersion());
        onPostgres = postgresUrl != null;
        if (onPostgres) bulkBefore = 56;
        versions.put("server JVM options", System.getProperty("bench.serverJavaOpts", ""));
        versions.put("load", "wrk -t" + threads + " -c" + connections + ", " + warmup + " s warm-up then " + duration
                + " s per scenario; fixed rate: open-loop Java client, 16 connections");
    }

    void run() throws Exception {
        if (!Double.isNaN(soakMinutes)) {
            new Soak(this, soakMinutes).run();
            return;
        }
        describeRun();

        Proc ek = startEk(true);
        seed(ek);
        ek.stop();
        started.remove(ek);

        // cold start: a new process on the seeded store, until the first authenticated list is answered
        // the median of three: one start is about a second of CPU on two cores, easily pushed around by a neighbour
        List<Long> starts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                Proc previous = started.remove(started.size() - 1);
                previous.stop();
            }
            starts.add(coldStart());
        }
        notes.add("cold starts (ms): " + starts);
        long coldStart = starts.stream().sorted().toList().get(1);
        ek = started.get(started.size() - 1);

        String base = "http://127.0.0.1:" + ekPort;
        String list = base + "/v1/workspace/" + WS + "/project/web/secret?environmentId=" + readEnvironmentId;
        String getOne = base + "/v1/workspace/" + WS + "/project/web/secret/WEB_SECRET_07?environmentId=" + readEnvironmentId;
        List<Scenario> scenarios = new ArrayList<>();
        scenarios.add(new Scenario("list-jwt", LIST_JWT, list, Map.of("BENCH_HEADERS", "Authorization: Bearer " + jwt), 200));
        scenarios.add(new Scenario("list-token", "secret list, direct ek_live_ token", list,
                Map.of("BENCH_HEADERS", "Authorization: Bearer " + readToken), 200));
        scenarios.add(new Scenario("get-one", "get one secret by key, JWT", getOne, Map.of("BENCH_HEADERS", "Authorization: Bearer " + jwt), 200));
        scenarios.add(new Scenario("exchange", "token exchange, 1,000 tokens", base + "/v1/auth/exchange",
                Map.of("BENCH_MODE", "lines", "BENCH_FILE", tokensFile.toString(), "BENCH_METHOD", "POST"), 200));
        scenarios.add(new Scenario("bulk", "bulk write, " + bulkBatch + " secrets a request", base + "/v1/workspace/" + WS + "/project/bulk/secret",
                Map.of("BENCH_MODE", "bulk", "BENCH_ENV", bulkEnvironmentId, "BENCH_BATCH", String.valueOf(bulkBatch),
                        "BENCH_HEADERS", "Authorization: Bearer " + ownerToken + "\nContent-Type: application/json"), 201));
        // the control for the floods: the same valid read, sent the way the floods are (the script hands wrk a prebuilt
        // request each time); measured before the floods and again after them, and averaged (see bracketControl)
        scenarios.add(new Scenario("valid-lines", VALID_LINES, list,
                Map.of("BENCH_MODE", "lines", "BENCH_FILE", writeLines("valid-jwt.txt", List.of(jwt)).toString()), 200));
        scenarios.add(new Scenario("invalid-jwt", "invalid JWTs (malformed, unknown key, expired, foreign; all distinct)", list,
                Map.of("BENCH_MODE", "lines", "BENCH_FILE", invalidJwts(20_000).toString()), 401));
        scenarios.add(new Scenario("forged-jwt", "forged JWTs (our key id and a real token's claims, wrong signature; all distinct)", list,
                Map.of("BENCH_MODE", "lines", "BENCH_FILE", forgedJwts(20_000).toString()), 401));
        scenarios.add(new Scenario("invalid-token", "invalid ek_live_ tokens (random, never repeated)", list, Map.of("BENCH_MODE", "randtoken"), 401));
        scenarios.removeIf(sc -> !wanted(sc.key()));
        // one round to warm the JIT on every path first: the first measured scenario is otherwise measured half-compiled.
        // In reverse order, so the round ends with the scenario measured first (after a round that ended with the floods,
        // the JWT list was measured while the JIT was still recompiling for it, 10-20% below its later figures)
        call("GET", list, jwt, null); // the real token, verified once, as its client would have it verified
        for (Scenario sc : scenarios.reversed()) if (!sc.key().equals("bulk")) runWrk(sc.url(), withRun(sc.env()), warmup);
        // the fixed rate reads the JWT list too: measured alone (--only=fixed-rate), it ran on a node whose JIT had seen
        // only its own 1,000 a second of warm-up (p99 166 ms, against 3-5 ms after the list's round)
        if (wanted("fixed-rate") && !wanted("list-jwt")) runWrk(list, withRun(Map.of("BENCH_HEADERS", "Authorization: Bearer " + jwt)), warmup);
        for (Scenario sc : scenarios) {
            if (profile) startProfile(ek, sc.key());
            // bulk creates are left out of the warm-up round (they grow the store the other rows read), so they warm up
            // here, for BULK_WARMUP_FACTOR --warmups: with 2 s the JIT compiled through the measured row (its threads
            // took 0.8 ms a request on SQLite, 5-7 ms on PostgreSQL, a third to a half of the server's CPU)
            wrk(sc.name(), "ek", ek, sc.url(), sc.env(), sc.expectedStatus(), sc.key().equals("bulk") ? warmup * BULK_WARMUP_FACTOR : Math.min(2, warmup));
            if (profile) stopProfile(ek, sc.key());
        }
        if (wanted("valid-lines")) bracketControl(ek, scenarios.stream().filter(sc -> sc.key().equals("valid-lines")).findFirst().orElseThrow());
        if (wanted("fixed-rate")) fixedRate(ek, list);
        if (wanted("sweep")) sweep(ek);
        if (wanted("audit-off")) ek = auditPairs(ek, list, getOne);
        rows.add(new Row("cold start to first answered request", "ek", Double.NaN, coldStart, Double.NaN, Double.NaN, 0, 1,
                Double.NaN, Double.NaN, Double.NaN, "ms, process start to an authenticated list answered 200, median of 3"));
        long rssAfter = ek.rssKib();
        ek.stop();
        started.remove(ek);
        notes.add(String.format(Locale.ROOT, "ek RSS at the end of the run: %.0f MB", rssAfter / 1024.0));

        if (postgresUrl == null && comparePostgres != null && !comparePostgres.isEmpty() && (wanted("pg-reads") || wanted("nodes"))) {
            postgresReads();
        }
        if (wanted("ceiling")) ceiling();
        if (wanted("nginx")) nginxCeiling();
        if (wanted("jetty")) jettyCeiling();
        if (peers && wanted("etcd")) etcd();
        if (peers && keycloakHome != null && wanted("keycloak")) keycloak();
        if (wanted("sign")) signBound();
        printTable();
    }

    /** Rounds of {@link #postgresReads}: the PostgreSQL and the SQLite node one after the other, each round a pair. */
    static final int AUDIT_ROUNDS = 3;
    /** Pairs of nodes {@link #auditPairs} starts, one after the other: a node's JIT has its own luck (see below). */
    static final int READ_AUDIT_NODE_PAIRS = 2;
    /** Rounds on each pair of nodes of {@link #auditPairs}: the audited and the unaudited node one after the other. */
    static final int READ_AUDIT_ROUNDS = 3;
    /**
     * Each of {@link #auditPairs}' two nodes is warmed this many times {@code --warmup} on each of its two reads before
     * they are measured: after one {@code --warmup} each, the JIT was still compiling through the measurement, by
     * different amounts in different nodes (its threads took 1-6 µs a request, and once 21 µs, which made that pair
     * 0.58 against 0.81 and 1.00 in the same run).
     */
    static final int PAIR_WARMUP_FACTOR = 3;
    /**
     * The bulk row's warm-up, in {@code --warmup}s: its node has seen no write before it. After 3 (15 s) the JIT's
     * threads still took 400-560 µs of each PostgreSQL bulk create measured (236 a second); after 6, 314.
     */
    static final int BULK_WARMUP_FACTOR = 6;
    /** Audited over unaudited requests a second, per round, by the read's name (the check takes the median). */
    final Map<String, List<Double>> auditRatios = new LinkedHashMap<>();

    /**
     * What recording reads costs ({@code audit.record-reads=false} against the default): a node that records reads and
     * one that does not, both running, on copies of the same data, warmed alike, then measured one right after the
     * other, {@value #READ_AUDIT_ROUNDS} times, the list and the get each time; then the same with a new pair of nodes
     * ({@value #READ_AUDIT_NODE_PAIRS} pairs in all). The check takes the median (the lower, of an even count) of the
     * rounds' ratios, and the table keeps the unaudited rows of the median list round. The rounds alternate which node
     * goes first, so a drift within a round lands on both sides. Before, each side of each round was a new process
     * started when the other had stopped, a minute apart: that measured the host's drift as much as the audit's cost
     * (in one run 0.69, 0.68 and 0.89, the unaudited node at 20,400-23,300 a second, the audited one 15,800-18,300).
     * New pairs of nodes still matter: the per-request CPU of a node's request threads moved by 10 us between processes
     * of the same code. Returns the last audited node.
     */
    Proc auditPairs(Proc ek, String list, String getOne) throws Exception {
        Map<String, String> headers = Map.of("BENCH_HEADERS", "Authorization: Bearer " + jwt);
        retire(ek);
        Path offData = work.resolve(dataFolder + "-reads-not-audited");
        copyTree(work.resolve(dataFolder), offData);
        int offPort = Proc.freePort();
        String ekOrigin = "http://127.0.0.1:" + ekPort + "/";
        String offOrigin = "http://127.0.0.1:" + offPort + "/";
        List<Row[]> unauditedRounds = new ArrayList<>();
        Proc on = null;
        for (int nodes = 1; nodes <= READ_AUDIT_NODE_PAIRS; nodes++) {
            if (on != null) retire(on);
            on = Proc.start("ek", ekCommand("serve"), ekEnv(), work.resolve("ek-audit-on-" + nodes + ".log"));
            started.add(on);
            Proc off = Proc.start("ek-no-read-audit", ekCommand("serve", "--audit-record-reads=false"), ekEnv(offPort, offData),
                    work.resolve("ek-audit-off-" + nodes + ".log"));
            started.add(off);
            awaitHttp(on, ekPort, "/readyz", 60);
            awaitHttp(off, offPort, "/readyz", 60);
            for (String origin : List.of(ekOrigin, offOrigin)) {
                call("GET", list.replace(ekOrigin, origin), jwt, null);
                runWrk(getOne.replace(ekOrigin, origin), withRun(headers), warmup * PAIR_WARMUP_FACTOR);
                runWrk(list.replace(ekOrigin, origin), withRun(headers), warmup * PAIR_WARMUP_FACTOR);
            }
            for (int round = 1; round <= READ_AUDIT_ROUNDS; round++) {
                Row[] audited = null;
                Row[] unaudited = null;
                for (boolean record : round % 2 == 1 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                    Proc node = record ? on : off;
                    String origin = record ? ekOrigin : offOrigin;
                    String suffix = record ? "" : ", reads not audited";
                    Row[] pair;
                    // what the audited node wrote goes to the disk before either node is measured, not during the next
                    // rows (the kernel's write-back of its log and database slowed a row measured right after, see retire)
                    syncDisk();
                    // an audited read waits for its entry's sync: the disk's stalls during the audited rows, beside the ratios
                    DiskProbe disk = record ? new DiskProbe(work) : null;
                    // --profile: the first pair's first round, each side's list, so the two can be compared method by method
                    String profileName = profile && nodes == 1 && round == 1 ? (record ? "list-audited" : "list-not-audited") : null;
                    try (disk) {
                        if (profileName != null) startProfile(node, profileName);
                        Row listRow = measure("secret list, cached JWT" + suffix, "ek", node, list.replace(ekOrigin, origin), headers, 200);
                        if (profileName != null) stopProfile(node, profileName);
                        pair = new Row[] {listRow, measure("get one secret by key, JWT" + suffix, "ek", node, getOne.replace(ekOrigin, origin), headers, 200)};
                    }
                    if (disk != null) auditedDiskStalls.add(disk.result());
                    log("  nodes " + nodes + ", round " + round + ": " + pair[0] + "\n  nodes " + nodes + ", round " + round + ": " + pair[1]);
                    if (record) audited = pair;
                    else unaudited = pair;
                }
                for (int i = 0; i < 2; i++) auditRatios.computeIfAbsent(audited[i].scenario(), k -> new ArrayList<>()).add(audited[i].rps() / unaudited[i].rps());
                unauditedRounds.add(unaudited);
            }
            retire(off);
        }
        List<Double> listRatios = auditRatios.get("secret list, cached JWT");
        int median = medianIndex(listRatios);
        rows.add(unauditedRounds.get(median)[0]);
        rows.add(unauditedRounds.get(median)[1]);
        notePairs(auditRatios, ", audited / not audited");
        notes.add("the disk during each audited node's two rows (its syncs over 5 ms, the longest): " + auditedDiskStalls.stream()
                .map(d -> String.format(Locale.ROOT, "%.0f ms of %.0f s, %.0f ms", d.stalledMs(FIXED_RATE_P99_MS), d.seconds(), d.maxMs())).toList()
                + " (a stall holds up every audited read meanwhile: the node serves nothing until its group's sync returns)");
        return on;
    }

    /** Copies a stopped node's data folder (its database, key and lock files) to a new folder, for a second node. */
    static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path source : paths.toList()) Files.copy(source, to.resolve(from.relativize(source).toString()), StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /**
     * Stops a node that is measured no more, and waits until what it wrote is on the disk: a node that took a round of
     * audited reads leaves hundreds of MB of its log and database to the kernel's write-back, and written while the next
     * row runs they slowed that row (PostgreSQL's fixed-rate p99 6.6-10.8 ms right after the pairs, 4.3 ms with this).
     */
    void retire(Proc node) throws Exception {
        node.stop();
        started.remove(node);
        syncDisk();
    }

    /** Waits until everything written so far is on the disk ({@code sync}). */
    static void syncDisk() throws Exception {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }

    /** The median of the values ({@link #medianIndex}). */
    static double median(List<Double> values) {
        return values.get(medianIndex(values));
    }

    /** The ratios of interleaved pairs, as noted under the table and judged by the targets. */
    void notePairs(Map<String, List<Double>> ratios, String against) {
        ratios.forEach((name, each) -> notes.add(String.format(Locale.ROOT, "%s%s, %d interleaved pairs: %s", name, against, each.size(),
                each.stream().map(r -> String.format(Locale.ROOT, "%.2f", r)).toList())));
    }

    /** A target judged on the median of interleaved pairs, for each read. */
    static void checkPairs(StringBuilder t, Map<String, List<Double>> ratios, String target) {
        ratios.forEach((name, each) -> t.append(check(name + target, median(each) >= 0.8,
                String.format(Locale.ROOT, "%.2f×, the median of %d interleaved pairs", median(each), each.size()))));
    }

    /** The index of the median of the values (of an even number, the lower of the middle two: the target is a floor). */
    static int medianIndex(List<Double> values) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) order.add(i);
        order.sort(Comparator.comparing(values::get));
        return order.get((order.size() - 1) / 2);
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL reads, nodes, sweep

    static final String PG_SUFFIX = ", PostgreSQL";
    static final String PG_LIST = "secret list, cached JWT, PostgreSQL";
    static final String PG_GET = "get one secret by key, JWT, PostgreSQL";

    /** PostgreSQL over SQLite requests a second, per round, by the PostgreSQL row's name (the check takes the median). */
    final Map<String, List<Double>> postgresRatios = new LinkedHashMap<>();

    /**
     * The read rows again on a node on PostgreSQL, seeded the same way, in this run (issue 16: a PostgreSQL read at
     * least 80% of the same read on the embedded store), as {@value #AUDIT_ROUNDS} interleaved pairs against a node
     * on the SQLite store seeded above (both running, measured one after the other; compared with the SQLite rows at
     * the top of the run, measured ten minutes earlier, the ratio moved between 0.72 and 1.01 from run to run); the
     * table keeps the PostgreSQL rows of the median list pair. Then {@link #nodes} nodes on that database at once.
     */
    void postgresReads() throws Exception {
        // the SQLite side of the pairs, set up while the run is still on SQLite: its data, its read token and environment
        int sqlitePort = Proc.freePort();
        Map<String, String> sqliteEnv = ekEnv(sqlitePort, work.resolve(dataFolder));
        String sqliteToken = readToken;
        String sqliteBase = "http://127.0.0.1:" + sqlitePort + "/v1/workspace/" + WS + "/project/web/secret";
        String sqliteList = sqliteBase + "?environmentId=" + readEnvironmentId;
        String sqliteGet = sqliteBase + "/WEB_SECRET_07?environmentId=" + readEnvironmentId;

        postgresUrl = comparePostgres;
        dataFolder = "data-pg";
        versions.put("compared database", "PostgreSQL " + postgresVersion() + " (same machine), " + nodes + " nodes for the nodes rows");
        Proc pg = startEk(true);
        seed(pg);
        String base = "http://127.0.0.1:" + ekPort + "/v1/workspace/" + WS + "/project/web/secret";
        String list = base + "?environmentId=" + readEnvironmentId;
        String getOne = base + "/WEB_SECRET_07?environmentId=" + readEnvironmentId;
        Map<String, String> headers = Map.of("BENCH_HEADERS", "Authorization: Bearer " + jwt);
        call("GET", list, jwt, null);
        runWrk(getOne, withRun(headers), warmup);
        runWrk(list, withRun(headers), warmup);
        if (wanted("pg-reads")) {
            Proc sqlite = Proc.start("ek-sqlite", ekCommand("serve"), sqliteEnv, work.resolve("ek-sqlite.log"));
            started.add(sqlite);
            awaitHttp(sqlite, sqlitePort, "/readyz", 60);
            String sqliteJwt = call("POST", "http://127.0.0.1:" + sqlitePort + "/v1/auth/exchange", sqliteToken, null).get("accessToken").asText();
            Map<String, String> sqliteHeaders = Map.of("BENCH_HEADERS", "Authorization: Bearer " + sqliteJwt);
            call("GET", sqliteList, sqliteJwt, null);
            runWrk(sqliteGet, withRun(sqliteHeaders), warmup);
            runWrk(sqliteList, withRun(sqliteHeaders), warmup);
            List<Row[]> postgresRounds = new ArrayList<>();
            for (int round = 1; round <= AUDIT_ROUNDS; round++) {
                Row[] onPostgres = {measure(PG_LIST, "ek", pg, list, headers, 200), measure(PG_GET, "ek", pg, getOne, headers, 200)};
                Row[] onSqlite = {measure("secret list, cached JWT, SQLite", "ek", sqlite, sqliteList, sqliteHeaders, 200),
                        measure("get one secret by key, JWT, SQLite", "ek", sqlite, sqliteGet, sqliteHeaders, 200)};
                for (int i = 0; i < 2; i++) {
                    log("  round " + round + ": " + onPostgres[i] + "\n  round " + round + ": " + onSqlite[i]);
                    postgresRatios.computeIfAbsent(onPostgres[i].scenario(), k -> new ArrayList<>()).add(onPostgres[i].rps() / onSqlite[i].rps());
                }
                postgresRounds.add(onPostgres);
            }
            retire(sqlite);
            int median = medianIndex(postgresRatios.get(PG_LIST));
            rows.add(postgresRounds.get(median)[0]);
            rows.add(postgresRounds.get(median)[1]);
            notePairs(postgresRatios, " / the same on SQLite");
            fixedRate(pg, list, PG_SUFFIX); // issue 16, 1: p99 under 5 ms at 1,000 requests/s on PostgreSQL too
        }
        if (wanted("nodes") && nodes > 1) nodesAtOnce(pg, headers);
        pg.stop();
        started.remove(pg);
    }

    /**
     * {@link #nodes} nodes on one PostgreSQL, each loaded by its own wrk at the same time (its share of the threads,
     * the same connections), against the first node alone measured just before: do nodes add up? On two cores the
     * nodes and the load generators share the same CPU, so the rows also say what CPU each node got.
     */
    void nodesAtOnce(Proc first, Map<String, String> headers) throws Exception {
        String path = "/v1/workspace/" + WS + "/project/web/secret?environmentId=" + readEnvironmentId;
        List<Proc> all = new ArrayList<>(List.of(first));
        List<Integer> ports = new ArrayList<>(List.of(ekPort));
        for (int i = 2; i <= nodes; i++) {
            int port = Proc.freePort();
            Proc node = Proc.start("ek-node-" + i, ekCommand("serve"), ekEnv(port, work.resolve("data-pg-" + i)), work.resolve("ek-node-" + i + ".log"));
            started.add(node);
            awaitHttp(node, port, "/readyz", 60);
            call("GET", "http://127.0.0.1:" + port + path, jwt, null);
            runWrk("http://127.0.0.1:" + port + path, withRun(headers), warmup);
            all.add(node);
            ports.add(port);
        }
        wrk(PG_LIST + ", one node alone", "ek", first, "http://127.0.0.1:" + ekPort + path, headers, 200);
        Row alone = rows.get(rows.size() - 1);
        int eachThreads = Math.max(1, threads / nodes);
        List<Proc.Meter> meters = new ArrayList<>();
        List<Future<JsonNode>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(nodes)) {
            for (Proc node : all) meters.add(node.meter());
            for (int port : ports) {
                Map<String, String> env = withRun(headers);
                results.add(pool.submit(() -> runWrk("http://127.0.0.1:" + port + path, env, duration, eachThreads, connections)));
            }
            for (Future<JsonNode> f : results) f.get();
        }
        for (Proc.Meter m : meters) m.close();
        double total = 0;
        double cpu = 0;
        double worstP99 = 0;
        long requests = 0;
        long errors = 0;
        for (int i = 0; i < all.size(); i++) {
            JsonNode r = results.get(i).get();
            Row row = rowOf(PG_LIST + ", node " + (i + 1) + " of " + nodes + " loaded at once", "ek", r, meters.get(i), 200,
                    "wrk -t" + eachThreads + " -c" + connections + " of its own");
            rows.add(row);
            log(row.toString());
            total += row.rps();
            cpu += row.cpuPercent();
            worstP99 = Math.max(worstP99, row.p99Ms());
            requests += row.requests();
            errors += row.errors();
        }
        Row sum = new Row(PG_LIST + ", " + nodes + " nodes at once (sum)", "ek", total, Double.NaN, worstP99, Double.NaN, errors, requests,
                cpu, Double.NaN, meters.get(0).othersPercent, String.format(Locale.ROOT, "%.2f× one node alone", total / alone.rps()));
        rows.add(sum);
        log(sum.toString());
        nodesGain = total / alone.rps();
        for (int i = 1; i < all.size(); i++) {
            all.get(i).stop();
            started.remove(all.get(i));
        }
    }

    double nodesGain = Double.NaN;

    /**
     * Costs in proportion to the answer, not the project (issue 16, 3a): one value updated, and one secret read, in
     * projects of {@link #sweepSizes} secrets.
     */
    void sweep(Proc ek) throws Exception {
        String base = "http://127.0.0.1:" + ekPort + "/v1/workspace/" + WS;
        String team = call("GET", base + "/team", ownerToken, null).get(0).get("id").asText();
        SecureRandom random = new SecureRandom();
        for (int size : sweepSizes) {
            String slug = "sweep-" + size;
            call("POST", base + "/project", ownerToken, Map.of("name", "Sweep " + size, "slug", slug, "teamId", team));
            String env = call("POST", base + "/project/" + slug + "/environment", ownerToken, Map.of("name", "production")).get("id").asText();
            for (int made = 0; made < size; made += 500) {
                Map<String, Object> batch = secrets(env, "S" + made, Math.min(500, size - made), "production", random);
                call("POST", base + "/project/" + slug + "/secret", ownerToken, batch);
            }
            String secrets = base + "/project/" + slug + "/secret";
            JsonNode one = call("GET", secrets + "/S0_SECRET_07?environmentId=" + env, ownerToken, null);
            String update = secrets + "/" + one.get("id").asText();
            Map<String, String> writes = Map.of("BENCH_MODE", "update", "BENCH_ENV", env,
                    "BENCH_HEADERS", "Authorization: Bearer " + ownerToken + "\nContent-Type: application/json");
            // on PostgreSQL the first size's updates warm up as long as the bulk creates do: with 2 s (a few hundred
            // updates at 200-300 a second) the JIT compiled through the measured row, 4.7 ms of CPU an update at 30
            // secrets against 1.6-2.4 ms at 500 and 3,000 (2026-12-07 18:37); SQLite's thousands a second warm it in 2 s
            double warm = postgresUrl != null && size == sweepSizes.getFirst() ? warmup * BULK_WARMUP_FACTOR : Math.min(2, warmup);
            if (profile) startProfile(ek, "update-" + size);
            wrk("update one value, " + size + " secrets in the project", "ek", ek, update, writes, 200, warm);
            if (profile) stopProfile(ek, "update-" + size);
            Map<String, String> reads = Map.of("BENCH_HEADERS", "Authorization: Bearer " + jwt);
            wrk("get one secret by key, JWT, " + size + " secrets in the project", "ek", ek, secrets + "/S0_SECRET_07?environmentId=" + env,
                    reads, 200);
        }
    }

    // ------------------------------------------------------------------------------------------------ ek

    int ekPort;
    /** The serving node's data folder (each node of a PostgreSQL run has its own: a data folder is locked by its node). */
    String dataFolder = "data";

    Map<String, String> ekEnv() {
        return ekEnv(ekPort, work.resolve(dataFolder));
    }

    Map<String, String> ekEnv(int port, Path dataDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("EK_DATA_DIR", dataDir.toString());
        env.put("EK_HTTP_HOST", "127.0.0.1");
        env.put("EK_HTTP_PORT", String.valueOf(port));
        if (postgresUrl != null) {
            env.put("EK_DATABASE_URL", postgresDatabaseUrl());
            env.put("EK_MASTER_KEY", masterKey);
        }
        return env;
    }

    List<String> ekCommand(String command, String... more) {
        List<String> cmd = new ArrayList<>(List.of(java));
        // the options ./ek-server runs the server with (scripts/server-jvm.sh)
        String options = System.getProperty(command.equals("serve") ? "bench.serverJavaOpts" : "bench.initJavaOpts", "");
        for (String option : options.trim().split("\\s+")) if (!option.isEmpty()) cmd.add(option);
        cmd.addAll(List.of("-jar", jar.toString(), command));
        cmd.addAll(List.of(more));
        if (command.equals("serve")) {
            cmd.add("--rate-limit-per-ip-per-minute=0");
            cmd.add("--rate-limit-exchanges-per-token-per-minute=10000");
        }
        return cmd;
    }

    Proc startEk(boolean initialise) throws Exception {
        if (initialise) {
            ekPort = Proc.freePort();
            if (postgresUrl != null) createPostgres();
            Path initLog = work.resolve("ek-init.log");
            ProcessBuilder pb = new ProcessBuilder(ekCommand("init", "--workspace", WS, "--email", "owner@bench.example"))
                    .redirectError(initLog.toFile());
            pb.environment().putAll(ekEnv());
            Process p = pb.start();
            ownerToken = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor() != 0 || !ownerToken.startsWith("ek_live_")) {
                throw new IllegalStateException("ek init failed:\n" + Files.readString(initLog));
            }
        }
        Proc ek = Proc.start("ek", ekCommand("serve"), ekEnv(), work.resolve("ek.log"));
        started.add(ek);
        awaitHttp(ek, ekPort, "/readyz", 60);
        return ek;
    }

    long coldStart() throws Exception {
        String path = "/v1/workspace/" + WS + "/project/web/secret?environmentId=" + readEnvironmentId;
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + readToken + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        dropPageCacheHint();
        long start = System.nanoTime();
        Proc ek = Proc.start("ek", ekCommand("serve"), ekEnv(), work.resolve("ek-serve.log"));
        started.add(ek);
        while (true) {
            if (!ek.alive()) throw new IllegalStateException("ek stopped during start:\n" + ek.tail(30));
            if ((System.nanoTime() - start) > 60_000_000_000L) throw new IllegalStateException("ek did not answer in 60 s");
            try (Socket s = FixedRate.connect(ekPort)) {
                if (FixedRate.exchange(s, request) == 200) break;
            } catch (IOException notYet) {
                Thread.sleep(2);
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        log("cold start: " + millis + " ms");
        return millis;
    }

    void dropPageCacheHint() {
        // the jar and the database stay in the page cache: this is a process cold start, not a machine cold boot
    }

    // ------------------------------------------------------------------------------------------------ seeding

    void seed(Proc ek) throws Exception {
        long t0 = System.nanoTime();
        String base = "http://127.0.0.1:" + ekPort + "/v1/workspace/" + WS;
        String team = call("GET", base + "/team", ownerToken, null).get(0).get("id").asText();
        SecureRandom random = new SecureRandom();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> work = new ArrayList<>();
            for (int p = 1; p <= projects; p++) {
                int project = p;
                work.add(pool.submit(() -> {
                    String slug = String.format("service-%02d", project);
                    call("POST", base + "/project", ownerToken, Map.of("name", "Service " + project, "slug", slug, "teamId", team));
                    for (String envName : environmentNames()) {
                        String env = call("POST", base + "/project/" + slug + "/environment", ownerToken, Map.of("name", envName)).get("id").asText();
                        call("POST", base + "/project/" + slug + "/secret", ownerToken, secrets(env, "SVC", secretsPerEnvironment, envName, random));
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) f.get();
        }
        // the project the reads go to: three environments of 20 keys, like an application's configuration
        call("POST", base + "/project", ownerToken, Map.of("name", "Web", "slug", "web", "teamId", team));
        for (String envName : environmentNames()) {
            String env = call("POST", base + "/project/web/environment", ownerToken, Map.of("name", envName)).get("id").asText();
            call("POST", base + "/project/web/secret", ownerToken, secrets(env, "WEB", listKeys, envName, random));
            if (envName.equals("production")) readEnvironmentId = env;
        }
        call("POST", base + "/project", ownerToken, Map.of("name", "Bulk", "slug", "bulk", "teamId", team));
        bulkEnvironmentId = call("POST", base + "/project/bulk/environment", ownerToken, Map.of("name", "load")).get("id").asText();

        // API tokens: read-only on the whole workspace
        List<String> tokens = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<String>> made = new ArrayList<>();
            for (int i = 0; i < tokenCount; i++) {
                int n = i;
                made.add(pool.submit(() -> call("POST", base + "/tokens", ownerToken, Map.of("name", "deploy-" + n, "permission", "read",
                        "scope", Map.of("all", true), "expiresIn", "30d")).get("token").asText()));
            }
            for (Future<String> f : made) tokens.add(f.get());
        }
        tokensFile = work.resolve("tokens.txt");
        Files.write(tokensFile, tokens);
        readToken = tokens.get(0);
        jwt = call("POST", "http://127.0.0.1:" + ekPort + "/v1/auth/exchange", readToken, null).get("accessToken").asText();

        HttpResponse<byte[]> listed = http.send(HttpRequest.newBuilder(URI.create(base + "/project/web/secret?environmentId=" + readEnvironmentId))
                .header("Authorization", "Bearer " + jwt).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (listed.statusCode() != 200) throw new IllegalStateException("list answered " + listed.statusCode());
        listBody = listed.body();
        if (JSON.readTree(listBody).size() != listKeys) throw new IllegalStateException("the list does not hold " + listKeys + " secrets");
        long values = (long) projects * environmentsPerProject * secretsPerEnvironment + 3L * listKeys;
        log(String.format(Locale.ROOT, "seeded %d projects, %d secret values, %d tokens in %.1f s; the list answer is %d bytes",
                projects + 2, values, tokenCount, (System.nanoTime() - t0) / 1e9, listBody.length));
        notes.add(String.format(Locale.ROOT, "data set" + (postgresUrl == null ? "" : " on PostgreSQL") + ": %d projects × %d environments × %d secrets (%,d values) plus the read "
                        + "project `web` (3 environments × %d keys) and an empty `bulk` project; %,d API tokens; the list answer is %,d bytes",
                projects, environmentsPerProject, secretsPerEnvironment, (long) projects * environmentsPerProject * secretsPerEnvironment,
                listKeys, tokenCount, listBody.length));
    }

    static List<String> environmentNames() {
        return List.of("development", "staging", "production");
    }

    static Map<String, Object> secrets(String environmentId, String prefix, int count, String envName, SecureRandom random) {
        List<Map<String, String>> secrets = new ArrayList<>();
        String[] kinds = {"HOST", "PORT", "USER", "PASSWORD", "URL", "API_KEY", "TIMEOUT", "SECRET"};
        for (int i = 0; i < count; i++) {
            byte[] raw = new byte[12 + random.nextInt(36)];
            random.nextBytes(raw);
            String value = envName + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            secrets.add(Map.of("key", String.format("%s_%s_%02d", prefix, i < 10 || prefix.equals("WEB") ? "SECRET" : kinds[i % kinds.length], i),
                    "value", value));
        }
        return Map.of("environments", List.of(environmentId), "secrets", secrets);
    }

    JsonNode call(String method, String url, String token, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (body == null) b.method(method, HttpRequest.BodyPublishers.noBody());
        else b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    }

    /**
     * Access tokens shaped like ours, each one different: half our header and a real token's claims with another jti,
     * signed by a key we never published; half the real token's header and claims exactly, with a random signature
     * (the harness has the server verify the real token first, as a client using it would).
     */
    Path forgedJwts(int count) throws IOException {
        String[] parts = jwt.split("\\.");
        ObjectNode claims = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(new SecureRandom());
        Ed25519Signer signer = new Ed25519Signer();
        SecureRandom random = new SecureRandom();
        List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (i % 2 == 1) {
                byte[] signature = new byte[64];
                random.nextBytes(signature);
                lines.add(parts[0] + "." + parts[1] + "." + b64.encodeToString(signature));
                continue;
            }
            claims.put("jti", "forged-" + i);
            String input = parts[0] + "." + b64.encodeToString(JSON.writeValueAsBytes(claims));
            byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
            signer.init(true, key);
            signer.update(bytes, 0, bytes.length);
            lines.add(input + "." + b64.encodeToString(signer.generateSignature()));
        }
        Path file = work.resolve("forged-jwts.txt");
        Files.write(file, lines);
        return file;
    }

    static final String PROFILE_METHODS = "dev\\.ekvault\\..*|org\\.bouncycastle\\.crypto\\.signers\\..*"
            + "|.*SocketDispatcher\\.(writev|read)0|org\\.eclipse\\.jetty\\.http\\.HttpParser\\.parseNext|org\\.eclipse\\.jetty\\.io\\.ManagedSelector\\.select"
            + "|com\\.fasterxml\\.jackson\\.databind\\.ObjectMapper\\.(writeValueAsBytes|readTree)|org\\.sqlite\\.core\\.NativeDB\\.(prepare|step)";

    /** Starts a JFR recording of CPU-time samples of {@code proc}, to bench/target/profiles/{name}.jfr. */
    void startProfile(Proc proc, String name) throws Exception {
        jcmd(proc, "JFR.start", "name=" + name, "jdk.CPUTimeSample#enabled=true", "jdk.CPUTimeSample#throttle=2ms",
                "filename=" + root.resolve("bench/target/profiles/" + name + ".jfr"));
    }

    /** Stops {@link #startProfile}'s recording and writes its summary beside it ({name}.txt). */
    void stopProfile(Proc proc, String name) throws Exception {
        jcmd(proc, "JFR.stop", "name=" + name);
        Path jfr = root.resolve("bench/target/profiles/" + name + ".jfr");
        if (Files.exists(jfr)) Files.writeString(root.resolve("bench/target/profiles/" + name + ".txt"), Profile.summary(jfr, Pattern.compile(PROFILE_METHODS), 25));
    }

    void jcmd(Proc proc, String... args) throws Exception {
        Files.createDirectories(root.resolve("bench/target/profiles"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(java).resolveSibling("jcmd").toString(), String.valueOf(proc.pid())));
        cmd.addAll(List.of(args));
        String out = exec(cmd);
        if (!out.contains("Started recording") && !out.contains("Stopped recording") && !out.contains("written to")) {
            log("jcmd " + String.join(" ", args) + ": " + out.strip());
        }
    }

    record Scenario(String key, String name, String url, Map<String, String> env, int expectedStatus) {}

    static Map<String, String> withRun(Map<String, String> env) {
        Map<String, String> full = new LinkedHashMap<>(env);
        full.put("BENCH_RUN", "w" + System.nanoTime() % 100000);
        return full;
    }

    /**
     * Access tokens that fail before any signature check, each one different: a quarter malformed (random segments), a
     * quarter naming a key id we never published, a quarter expired, a quarter for another issuer (the last two in our
     * key id with a random signature).
     */
    Path invalidJwts(int count) throws IOException {
        String[] parts = jwt.split("\\.");
        ObjectNode claims = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
        ObjectNode header = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        SecureRandom random = new SecureRandom();
        long now = System.currentTimeMillis() / 1000;
        List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] signature = new byte[64];
            random.nextBytes(signature);
            ObjectNode h = header.deepCopy();
            ObjectNode c = claims.deepCopy();
            c.put("jti", "invalid-" + i);
            switch (i % 4) {
                case 0 -> {
                    byte[] a = new byte[30];
                    byte[] b = new byte[150];
                    random.nextBytes(a);
                    random.nextBytes(b);
                    lines.add(b64.encodeToString(a) + "." + b64.encodeToString(b) + "." + b64.encodeToString(signature));
                    continue;
                }
                case 1 -> h.put("kid", "never-published-" + i);
                case 2 -> c.put("iat", now - 3600).put("nbf", now - 3600).put("exp", now - 2700);
                default -> c.put("iss", "someone-else");
            }
            lines.add(b64.encodeToString(JSON.writeValueAsBytes(h)) + "." + b64.encodeToString(JSON.writeValueAsBytes(c)) + "."
                    + b64.encodeToString(signature));
        }
        Path file = work.resolve("invalid-jwts.txt");
        Files.write(file, lines);
        return file;
    }

    static final double FIXED_RATE_P99_MS = 5;
    static final double BULK_P99_MS = 200;
    static final double UPDATE_P999_MS = 100;
    /** A latency target is not judged when the disk spent more than this share of the row in syncs longer than it. */
    static final double MAX_STALLED_SHARE = 0.01;

    void diskSynced(String scenario, DiskProbe.Result disk, double thresholdMs) {
        diskSyncs.put(scenario, disk);
        notes.add(scenario + ": " + disk.summary(thresholdMs));
        log("  " + disk.summary(thresholdMs));
    }

    /**
     * A p99 target on a row whose answers each wait for a sync: met, not met, or not judged when the disk's own syncs
     * took longer than the target for more than {@value #MAX_STALLED_SHARE} of the row (no grouping of commits gets a
     * p99 under the target then: every commit waits out the stall in the kernel).
     */
    String checkP99(String what, Row row, double targetMs) {
        String figure = String.format(Locale.ROOT, "%.2f ms", row.p99Ms);
        DiskProbe.Result disk = diskSyncs.get(row.scenario);
        if (disk != null && row.p99Ms >= targetMs && disk.stalledShare(targetMs) > MAX_STALLED_SHARE) {
            return String.format(Locale.ROOT, "- not judged: %s (%s; the disk's own syncs took over %.0f ms for %.0f ms of the row's %.0f s, max %.0f ms)%n",
                    what, figure, targetMs, disk.stalledMs(targetMs), disk.seconds(), disk.maxMs());
        }
        return check(what, row.p99Ms < targetMs, figure);
    }

    void fixedRate(Proc ek, String listUrl) throws Exception {
        fixedRate(ek, listUrl, "");
    }

    /**
     * The fixed rate's own warm-up, in {@code --warmup}s, at the fixed rate: a paced load runs paths a flood does not
     * (carriers parked and woken for each request, audit groups of one entry), and after one {@code --warmup} the JIT's
     * threads still took 180 µs of each request measured (p99 6.5 ms); after three, 18-24 µs.
     */
    static final int FIXED_RATE_WARMUP_FACTOR = 3;

    /** The fixed-rate row on this node; {@code suffix} names the database when it is not the embedded one. */
    void fixedRate(Proc ek, String listUrl, String suffix) throws Exception {
        URI uri = URI.create(listUrl);
        byte[] request = ("GET " + uri.getRawPath() + "?" + uri.getRawQuery() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                + jwt + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        FixedRate.run(ekPort, request, fixedRate, warmup * FIXED_RATE_WARMUP_FACTOR, 16);
        FixedRate.Result r;
        Proc.Meter meter = ek.meter();
        DiskProbe disk = new DiskProbe(work);
        try (meter; disk) {
            r = FixedRate.run(ekPort, request, fixedRate, duration, 16);
        }
        diskSynced("secret list at a fixed " + fixedRate + " requests/s, JWT" + suffix, disk.result(), FIXED_RATE_P99_MS);
        Row row = new Row("secret list at a fixed " + fixedRate + " requests/s, JWT" + suffix, "ek", r.ok() / r.seconds(), r.p50Us() / 1000.0,
                r.p99Us() / 1000.0, r.p999Us() / 1000.0, r.errors(), r.sent(), meter.cpuPercent, meter.peakRssKib / 1024.0, meter.othersPercent,
                "latency from when each request was due (open loop)");
        rows.add(row);
        log(row.toString());
        log("  server CPU by thread, µs a request: " + meter.threadsPerRequest(r.sent()));
    }

    // ------------------------------------------------------------------------------------------------ wrk

    void wrk(String scenario, String target, Proc server, String url, Map<String, String> env, int expectedStatus) throws Exception {
        wrk(scenario, target, server, url, env, expectedStatus, Math.min(2, warmup));
    }

    /** Warms up for {@code warmSeconds} (JIT, caches, connections), then measures for the run's duration. */
    void wrk(String scenario, String target, Proc server, String url, Map<String, String> env, int expectedStatus, double warmSeconds)
            throws Exception {
        Row row = measure(scenario, target, server, url, env, expectedStatus, warmSeconds);
        rows.add(row);
        log(row.toString());
    }

    /** A short warm-up, then one measured wrk run, as a row not (yet) in the table. */
    Row measure(String scenario, String target, Proc server, String url, Map<String, String> env, int expectedStatus) throws Exception {
        return measure(scenario, target, server, url, env, expectedStatus, Math.min(2, warmup));
    }

    Row measure(String scenario, String target, Proc server, String url, Map<String, String> env, int expectedStatus, double warmSeconds)
            throws Exception {
        Map<String, String> full = new LinkedHashMap<>(env);
        full.putIfAbsent("BENCH_RUN", "w" + System.nanoTime() % 100000);
        warmUntilTheJitSettles(scenario, server, url, full, warmSeconds);
        full.put("BENCH_RUN", "m" + System.nanoTime() % 100000);
        JsonNode result;
        Proc.Meter meter = server.meter();
        String mode = env.getOrDefault("BENCH_MODE", "");
        DiskProbe disk = SYNCED_MODES.contains(mode) ? new DiskProbe(work) : null;
        try (meter; disk) {
            result = runWrk(url, full, duration);
        }
        Row row = rowOf(scenario, target, result, meter, expectedStatus, "");
        log("  server CPU by thread, µs a request: " + meter.threadsPerRequest(row.requests()));
        if (meter.compilerShare() > JIT_SETTLED) jitStillCompiling.merge(scenario + " (" + target + ")", meter.compilerShare(), Math::max);
        if (disk != null) diskSynced(scenario, disk.result(), mode.equals("bulk") ? BULK_P99_MS : UPDATE_P999_MS);
        return row;
    }

    /**
     * The share of the server's CPU its JIT compiler threads may take for the server to count as warm: a node on a slow
     * host was still compiling a minute into its load (the compilers took 103 of the JWT list's 267 µs a request after
     * the usual 2 s warm-up, on 2026-12-07 at 21:07, and 9 of 113 µs after 90 s of load). On a warm node they take
     * 2-8% (a few methods still recompiled as their profiles change).
     */
    static final double JIT_SETTLED = 0.10;
    /** The last part of a warm-up, metered to see whether the JIT has settled; the warm-up grows by as much at a time. */
    static final int JIT_SLICE_SECONDS = 2;
    /** The most a warm-up grows by while the JIT has not settled; a row measured then is named below the targets. */
    static final int JIT_MAX_EXTRA_SECONDS = 60;
    /** Rows measured while the JIT's threads took more than {@link #JIT_SETTLED} of the server's CPU, with the largest share. */
    final Map<String, Double> jitStillCompiling = new LinkedHashMap<>();

    /**
     * Warms the server on {@code url} for {@code warmSeconds}, then on, {@value #JIT_SLICE_SECONDS} s at a time, while
     * its JIT's threads took more than {@link #JIT_SETTLED} of its CPU in the last {@value #JIT_SLICE_SECONDS} s, up to
     * {@value #JIT_MAX_EXTRA_SECONDS} s more. A fixed warm-up fitted one host and not a slower one; this costs nothing
     * where the node is warm (the warm-up's last seconds are the ones metered).
     */
    void warmUntilTheJitSettles(String scenario, Proc server, String url, Map<String, String> env, double warmSeconds) throws Exception {
        if (warmSeconds > JIT_SLICE_SECONDS) runWrk(url, env, warmSeconds - JIT_SLICE_SECONDS);
        int extra = 0;
        while (true) {
            Proc.Meter meter = server.meter();
            try (meter) {
                runWrk(url, env, JIT_SLICE_SECONDS);
            }
            if (meter.compilerShare() <= JIT_SETTLED || extra >= JIT_MAX_EXTRA_SECONDS) {
                if (extra > 0) {
                    log(String.format(Locale.ROOT, "  %s: warmed %d s longer for the JIT (its share of the server's CPU in the last %d s: %.0f%%)",
                            scenario, extra, JIT_SLICE_SECONDS, 100 * meter.compilerShare()));
                }
                return;
            }
            extra += JIT_SLICE_SECONDS;
        }
    }

    /** A table row from wrk's result and the server's meter over the same seconds. */
    static Row rowOf(String scenario, String target, JsonNode result, Proc.Meter meter, int expectedStatus, String note) {
        long requests = result.get("requests").asLong();
        double seconds = result.get("durationUs").asLong() / 1e6;
        long socketErrors = result.get("connect").asLong() + result.get("read").asLong() + result.get("write").asLong()
                + result.get("timeout").asLong();
        long statusErrors = result.get("status").asLong();
        // wrk counts answers >= 400 as status errors: for the floods of bad credentials those are the expected answer
        long errors = socketErrors + (expectedStatus >= 400 ? requests - statusErrors : statusErrors);
        double rps = (requests - errors) / seconds;
        return new Row(scenario, target, rps, result.get("p50").asLong() / 1000.0, result.get("p99").asLong() / 1000.0,
                result.get("p999").asLong() / 1000.0, errors, requests, meter.cpuPercent, meter.peakRssKib / 1024.0, meter.othersPercent,
                expectedStatus >= 400 ? "all answered " + expectedStatus + " but " + errors : note);
    }

    JsonNode runWrk(String url, Map<String, String> env, double seconds) throws Exception {
        return runWrk(url, env, seconds, threads, connections);
    }

    JsonNode runWrk(String url, Map<String, String> env, double seconds, int threads, int connections) throws Exception {
        List<String> cmd = List.of("wrk", "-t" + threads, "-c" + connections, "-d" + Math.max(1, Math.round(seconds)) + "s",
                "--timeout", "5s", "-s", root.resolve("bench/lua/bench.lua").toString(), url);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        for (String line : out.split("\n")) if (line.startsWith("BENCH ")) return JSON.readTree(line.substring(6));
        throw new IllegalStateException("wrk printed no result:\n" + out);
    }

    // ------------------------------------------------------------------------------------------------ ceiling and peers

    static final String CEILING = "ceiling: the same bytes from the JDK's HTTP server";

    /** The ceiling: the JDK's own HTTP server answering the list's bytes ({@link Ceiling}), median of three processes. */
    void ceiling() throws Exception {
        Path body = work.resolve("list-body.json");
        Files.write(body, listBody);
        versions.put("ceiling", "JDK " + Runtime.version() + " com.sun.net.httpserver, a thread per core; median of three processes");
        ceilingSpread = medianOfThree(CEILING, "ceiling", port -> List.of(java, "-cp", benchClasses.toString(), "bench.Ceiling",
                String.valueOf(port), body.toString()));
    }

    /**
     * A ceiling measured in three processes, one after the other, the median run kept as its row and all three noted:
     * from one process to the next a ceiling moved between 35,000 and 53,000 a second on this machine (while ek's
     * figures moved by a few percent), so one run can make any ratio to it look better or worse than it is. Returns
     * the spread, slowest to fastest.
     */
    double medianOfThree(String scenario, String name, java.util.function.IntFunction<List<String>> command) throws Exception {
        return medianOfThree(scenario, name, command, Map.of());
    }

    /** The same, {@code wrk} sending what {@code env} tells the script to (a request's headers). */
    double medianOfThree(String scenario, String name, java.util.function.IntFunction<List<String>> command, Map<String, String> env)
            throws Exception {
        List<Row> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int port = Proc.freePort();
            Proc proc = Proc.start(name, command.apply(port), Map.of(), work.resolve(name + ".log"));
            started.add(proc);
            awaitPort(proc, port, 30);
            wrk(scenario, name, proc, "http://127.0.0.1:" + port + "/", env, 200, warmup);
            runs.add(rows.remove(rows.size() - 1));
            proc.stop();
            started.remove(proc);
        }
        runs.sort(Comparator.comparingDouble(Row::rps));
        rows.add(runs.get(1));
        notes.add(name + " runs (requests/s): " + runs.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r.rps())).toList());
        return (runs.get(2).rps() - runs.get(0).rps()) / runs.get(0).rps();
    }

    static final String NGINX = "ceiling: the same bytes from nginx";

    /**
     * A truer ceiling (issue 16): nginx (Debian's package) serving the list's bytes from a file, with what it needs to
     * be at its fastest (no access log, keep-alive without a request limit, a worker per core), median of three
     * processes as the JDK ceiling is.
     */
    void nginxCeiling() throws Exception {
        String nginx = Files.isExecutable(Path.of("/usr/sbin/nginx")) ? "/usr/sbin/nginx" : null;
        if (nginx == null) {
            notes.add("nginx ceiling skipped: /usr/sbin/nginx is not installed (apt-get install nginx)");
            return;
        }
        versions.put("nginx", firstLine(exec(List.of(nginx, "-v"))) + " (Debian), a worker per core, the body from a file");
        Path dir = Files.createDirectories(work.resolve("nginx"));
        Files.write(dir.resolve("list.json"), listBody);
        Path conf = dir.resolve("nginx.conf");
        nginxSpread = medianOfThree(NGINX, "nginx", port -> {
            try {
                Files.writeString(conf, String.join("\n",
                        "daemon off;",
                        "worker_processes auto;",
                        ProcessHandle.current().info().user().orElse("").equals("root") ? "user root;" : "",
                        "pid " + dir.resolve("nginx.pid") + ";",
                        "error_log " + dir.resolve("error.log") + " warn;",
                        "events { worker_connections 4096; }",
                        "http {",
                        "  access_log off;",
                        "  keepalive_requests 100000000;",
                        "  client_body_temp_path " + dir.resolve("body") + ";",
                        "  proxy_temp_path " + dir.resolve("proxy") + "; fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
                        "  uwsgi_temp_path " + dir.resolve("uwsgi") + "; scgi_temp_path " + dir.resolve("scgi") + ";",
                        "  server {",
                        "    listen 127.0.0.1:" + port + ";",
                        "    etag off;",
                        "    default_type application/json;",
                        "    location / { root " + dir + "; try_files /list.json =404; }",
                        "  }",
                        "}", ""));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return List.of(nginx, "-c", conf.toString(), "-p", dir.toString());
        });
    }

    double nginxSpread = Double.NaN;

    static final String LIST_JWT = "secret list, cached JWT";
    static final String JETTY = "ceiling: the same request and bytes from bare Jetty";

    /**
     * What is ek's own work and what is Jetty's (issue 16, 5): the Jetty in ek's jar, bound by ek's own bind and run
     * with ek's heap and collector, answering the JWT list's request (its {@code Authorization} header too, which
     * Jetty parses whoever reads it) with the list's bytes ({@link JettyCeiling}), median of three processes.
     */
    void jettyCeiling() throws Exception {
        Path body = work.resolve("list-body.json");
        Files.write(body, listBody);
        List<String> options = new ArrayList<>();
        for (String option : System.getProperty("bench.serverJavaOpts", "").trim().split("\\s+")) {
            // ek's class-data archive is for ek's own main class
            if (!option.isEmpty() && !option.contains("SharedArchive") && !option.contains("cds")) options.add(option);
        }
        versions.put("Jetty ceiling", "Jetty " + org.eclipse.jetty.server.Server.getVersion() + " bound by ek's own EkServer.bind, "
                + String.join(" ", options) + "; the JWT list's request; median of three processes");
        medianOfThree(JETTY, "jetty", port -> {
            List<String> command = new ArrayList<>(List.of(java));
            command.addAll(options);
            command.addAll(List.of("-cp", benchClasses + File.pathSeparator + jar, "bench.JettyCeiling", String.valueOf(port), body.toString()));
            return command;
        }, Map.of("BENCH_HEADERS", "Authorization: Bearer " + jwt));
    }

    void etcd() throws Exception {
        String etcdVersion = firstLine(exec(List.of("etcd", "--version")));
        versions.put("etcd", etcdVersion + " (Debian), auth on, simple tokens, range read through its HTTP/JSON gateway");
        int client = Proc.freePort();
        int peer = Proc.freePort();
        String clientUrl = "http://127.0.0.1:" + client;
        String peerUrl = "http://127.0.0.1:" + peer;
        Proc etcd = Proc.start("etcd", List.of("etcd", "--name", "bench", "--data-dir", work.resolve("etcd").toString(),
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl, "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", "bench=" + peerUrl, "--auth-token", "simple",
                "--auth-token-ttl", "3600", "--log-level", "warn", "--logger", "zap"), Map.of(), work.resolve("etcd.log"));
        started.add(etcd);
        awaitPort(etcd, client, 30);
        String key = "/bench/web/production";
        String value = new String(listBody, StandardCharsets.UTF_8);
        etcdctl(clientUrl, null, "put", key, value);
        etcdctl(clientUrl, null, "user", "add", "root:rootpw");
        etcdctl(clientUrl, null, "role", "add", "reader");
        etcdctl(clientUrl, null, "role", "grant-permission", "reader", "read", "/bench/", "--prefix=true");
        etcdctl(clientUrl, null, "user", "add", "deploy:deploypw");
        etcdctl(clientUrl, null, "user", "grant-role", "deploy", "reader");
        etcdctl(clientUrl, null, "auth", "enable");
        JsonNode auth = postJson(clientUrl + "/v3/auth/authenticate", Map.of("name", "deploy", "password", "deploypw"), null);
        String token = auth.get("token").asText();
        String rangeBody = JSON.writeValueAsString(Map.of("key", Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8))));
        JsonNode range = postJson(clientUrl + "/v3/kv/range", JSON.readTree(rangeBody), token);
        if (!range.has("kvs") || range.get("kvs").get(0).get("value").asText().length() < listBody.length) {
            throw new IllegalStateException("etcd range read did not answer the value: " + range);
        }
        // without the token it must be refused, or auth is not on
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(clientUrl + "/v3/kv/range"))
                .POST(HttpRequest.BodyPublishers.ofString(rangeBody)).build(), HttpResponse.BodyHandlers.ofString());
        if (refused.statusCode() == 200 && refused.body().contains("kvs")) throw new IllegalStateException("etcd answered without a token");
        wrk("etcd: authenticated range read, same size", "etcd", etcd, clientUrl + "/v3/kv/range",
                Map.of("BENCH_METHOD", "POST", "BENCH_BODY", rangeBody, "BENCH_HEADERS", "Authorization: " + token + "\nContent-Type: application/json"),
                200, warmup);
        etcd.stop();
        started.remove(etcd);
    }

    void etcdctl(String endpoint, String user, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoint));
        if (user != null) cmd.add("--user=" + user);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ETCDCTL_API", "3");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("etcdctl " + String.join(" ", args) + " failed: " + out);
    }

    void keycloak() throws Exception {
        String version = keycloakHome.getFileName().toString().replace("keycloak-", "");
        int port = Proc.freePort();
        int management = Proc.freePort();
        deleteTree(keycloakHome.resolve("data"));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("JAVA_HOME", Path.of(java).getParent().getParent().toString());
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin-bench-pw");
        Proc kc = Proc.start("keycloak", List.of(keycloakHome.resolve("bin/kc.sh").toString(), "start-dev", "--http-host=127.0.0.1",
                "--http-port=" + port, "--http-management-port=" + management, "--log-level=warn"), env, work.resolve("keycloak.log"));
        started.add(kc);
        String base = "http://127.0.0.1:" + port;
        awaitHttp(kc, port, "/realms/master", 180);
        versions.put("Keycloak", version + " (Maven Central keycloak-quarkus-dist, start-dev, dev-file H2), RS256 access tokens");
        String admin = postForm(base + "/realms/master/protocol/openid-connect/token",
                "grant_type=password&client_id=admin-cli&username=admin&password=admin-bench-pw").get("access_token").asText();
        callKc("POST", base + "/admin/realms", admin, Map.of("realm", "bench", "enabled", true));
        callKc("POST", base + "/admin/realms/bench/clients", admin, Map.of("clientId", "deploy", "enabled", true, "publicClient", false,
                "serviceAccountsEnabled", true, "standardFlowEnabled", false, "directAccessGrantsEnabled", false,
                "clientAuthenticatorType", "client-secret", "secret", "deploy-bench-secret"));
        String grant = "grant_type=client_credentials&client_id=deploy&client_secret=deploy-bench-secret";
        JsonNode token = postForm(base + "/realms/bench/protocol/openid-connect/token", grant);
        if (!token.has("access_token")) throw new IllegalStateException("Keycloak gave no token: " + token);
        wrk("Keycloak: client-credentials grant", "keycloak", kc, base + "/realms/bench/protocol/openid-connect/token",
                Map.of("BENCH_METHOD", "POST", "BENCH_BODY", grant, "BENCH_HEADERS", "Content-Type: application/x-www-form-urlencoded"),
                200, 3 * warmup); // a JVM like ours: its JIT gets three warm-ups' time
        kc.stop();
        started.remove(kc);
    }

    void callKc(String method, String url, String token, Object body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
    }

    JsonNode postForm(String url, String form) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    JsonNode postJson(String url, Object body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (authorization != null) b.header("Authorization", authorization);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        return JSON.readTree(r.body());
    }

    double signsPerSecond = Double.NaN;
    double verificationsPerSecond = Double.NaN;

    void signBound() throws Exception {
        String out = exec(List.of(java, "-cp", benchClasses + ":" + jar, "bench.SignBound", String.valueOf(Math.max(3, duration / 2))));
        for (String line : out.split("\n")) {
            if (line.startsWith("SIGN ")) signsPerSecond = Double.parseDouble(line.substring(5).trim());
            if (line.startsWith("VERIFY ")) verificationsPerSecond = Double.parseDouble(line.substring(7).trim());
        }
        log("Ed25519 signing bound: " + Math.round(signsPerSecond) + " signatures/s, " + Math.round(verificationsPerSecond) + " verifications/s");
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL

    String postgresDatabaseUrl() {
        URI uri = URI.create(postgresUrl.replaceFirst("^jdbc:", ""));
        String userInfo = uri.getUserInfo() == null ? "" : uri.getUserInfo() + "@";
        return "postgresql://" + userInfo + uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort()) + "/" + dbName;
    }

    Connection postgresAdmin() throws Exception {
        URI uri = URI.create(postgresUrl.replaceFirst("^jdbc:", ""));
        String user = "postgres";
        String password = "";
        if (uri.getUserInfo() != null) {
            String[] up = uri.getUserInfo().split(":", 2);
            user = up[0];
            if (up.length > 1) password = up[1];
        }
        return DriverManager.getConnection("jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort())
                + uri.getPath(), user, password);
    }

    void createPostgres() throws Exception {
        dbName = "ek_bench_" + ProcessHandle.current().pid();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        masterKey = Base64.getEncoder().encodeToString(key);
        try (Connection c = postgresAdmin()) {
            c.createStatement().execute("CREATE DATABASE " + dbName);
        }
    }

    String postgresVersion() {
        try (Connection c = postgresAdmin()) {
            return c.getMetaData().getDatabaseProductVersion();
        } catch (Exception e) {
            throw new IllegalStateException("cannot reach PostgreSQL at " + postgresUrl + ": " + e.getMessage());
        }
    }

    void dropPostgres() {
        if (dbName == null) return;
        try (Connection c = postgresAdmin()) {
            c.createStatement().execute("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)");
        } catch (Exception e) {
            System.err.println("could not drop " + dbName + ": " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------------ the table

    /**
     * Measures the floods' control a second time, after the floods, and keeps the mean of the two: the machine's speed
     * drifts over a run (a shared host), and a control measured only before the floods would favour whichever side
     * the drift favours.
     */
    void bracketControl(Proc ek, Scenario control) throws Exception {
        Row before = find("ek", VALID_LINES);
        rows.remove(before);
        wrk(control.name(), "ek", ek, control.url(), control.env(), control.expectedStatus());
        Row after = rows.remove(rows.size() - 1);
        int firstFlood = rows.indexOf(find("ek", "invalid JWTs")); // the merged row goes back where the first one stood
        rows.add(firstFlood < 0 ? rows.size() : firstFlood,
                new Row(before.scenario(), "ek", (before.rps() + after.rps()) / 2, (before.p50Ms() + after.p50Ms()) / 2,
                        (before.p99Ms() + after.p99Ms()) / 2, (before.p999Ms() + after.p999Ms()) / 2, before.errors() + after.errors(),
                        before.requests() + after.requests(), (before.cpuPercent() + after.cpuPercent()) / 2,
                        Math.max(before.rssMb(), after.rssMb()), (before.othersPercent() + after.othersPercent()) / 2, ""));
        notes.add(String.format(Locale.ROOT, "floods' control (valid reads) before and after the floods: %,.0f and %,.0f requests/s",
                before.rps(), after.rps()));
    }

    static final String VALID_LINES = "valid reads, the floods' client work (JWT list, header set per request)";

    Path writeLines(String name, List<String> lines) throws IOException {
        Path file = work.resolve(name);
        Files.write(file, lines);
        return file;
    }

    /** What the floods are compared with: the valid read with the same client work, else the plain JWT list. */
    Row validReads() {
        Row same = find("ek", VALID_LINES);
        return same != null ? same : find("ek", "secret list, cached JWT");
    }

    Row find(String target, String prefix) {
        for (Row r : rows) if (r.target.equals(target) && r.scenario.startsWith(prefix)) return r;
        return null;
    }

    void printTable() throws IOException {
        Row ceiling = find("ceiling", "ceiling");
        Row etcd = find("etcd", "etcd");
        Row keycloak = find("keycloak", "Keycloak");
        StringBuilder out = new StringBuilder();
        out.append("\n## Run of ").append(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))).append("\n\n");
        for (Map.Entry<String, String> v : versions.entrySet()) out.append("- ").append(v.getKey()).append(": ").append(v.getValue()).append('\n');
        out.append('\n');
        Row nginx = find("nginx", "ceiling");
        Row jetty = find("jetty", "ceiling");
        out.append("| scenario | requests/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU % | CPU µs/request | server RSS MB | others' CPU % | × ceiling | × nginx | × peer |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            String vsCeiling = "";
            String vsNginx = "";
            String vsPeer = "";
            if (r.target.equals("ek") && !Double.isNaN(r.rps) && ceiling != null) vsCeiling = ratio(r.rps, ceiling.rps);
            if ((r.target.equals("ek") || r.target.equals("ceiling") || r.target.equals("jetty")) && !Double.isNaN(r.rps) && nginx != null) {
                vsNginx = ratio(r.rps, nginx.rps);
            }
            if (postgresRatios.containsKey(r.scenario)) {
                vsPeer = String.format(Locale.ROOT, "%.2f× SQLite (median pair)", median(postgresRatios.get(r.scenario)));
            }
            if (r.target.equals("ek") && (r.scenario.startsWith("secret list,") || r.scenario.startsWith("get one"))) {
                List<String> parts = new ArrayList<>();
                if (!vsPeer.isEmpty()) parts.add(vsPeer);
                if (etcd != null) parts.add(ratio(r.rps, etcd.rps) + " etcd");
                // the Jetty ceiling answers the JWT list's request with its bytes: only those rows compare with it
                if (jetty != null && r.scenario.startsWith(LIST_JWT)) parts.add(ratio(r.rps, jetty.rps) + " bare Jetty");
                vsPeer = String.join(", ", parts);
            }
            if (r.scenario.startsWith("token exchange")) {
                List<String> parts = new ArrayList<>();
                if (keycloak != null) parts.add(ratio(r.rps, keycloak.rps) + " Keycloak");
                if (!Double.isNaN(signsPerSecond)) parts.add(ratio(r.rps, signsPerSecond) + " signing bound");
                vsPeer = String.join(", ", parts);
            }
            if (r.scenario.startsWith("invalid") || r.scenario.startsWith("forged")) {
                Row valid = validReads();
                if (valid != null) vsPeer = ratio(r.rps, valid.rps) + " valid reads";
                if (r.scenario.startsWith("forged") && !Double.isNaN(verificationsPerSecond)) {
                    vsPeer += ", " + ratio(r.rps, verificationsPerSecond) + " verification bound";
                }
            }
            if (r.scenario.startsWith("cold start")) {
                out.append(String.format(Locale.ROOT, "| %s | | **%.0f ms** | | | | | | | | | | |\n", r.scenario, r.p50Ms));
                continue;
            }
            if (!r.note.isEmpty() && vsPeer.isEmpty()) vsPeer = r.note;
            out.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %d | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |\n", r.scenario,
                    String.format(Locale.ROOT, "%,.0f", r.rps), r.p50Ms, r.p99Ms, r.p999Ms, r.errors, r.cpuPercent,
                    r.cpuPercent * 10_000 / r.rps, r.rssMb, r.othersPercent, vsCeiling, vsNginx, vsPeer));
        }
        if (!Double.isNaN(signsPerSecond)) {
            out.append(String.format(Locale.ROOT, "| Ed25519 signing bound (Bouncy Castle, %d threads) | %,.0f signatures/s | | | | | | | | | | | |\n",
                    Runtime.getRuntime().availableProcessors(), signsPerSecond));
            out.append(String.format(Locale.ROOT, "| Ed25519 verification bound (the same) | %,.0f verifications/s | | | | | | | | | | | |\n",
                    verificationsPerSecond));
        }
        out.append('\n');
        for (String note : notes) out.append("- ").append(note).append('\n');
        out.append('\n').append(targets(ceiling, nginx, etcd, keycloak));
        System.out.println(out);
        Path latest = root.resolve("bench/target/latest.md");
        Files.createDirectories(latest.getParent());
        Files.writeString(latest, out.toString());
        log("table written to " + latest);
    }

    String targets(Row ceiling, Row nginx, Row etcd, Row keycloak) {
        StringBuilder t = new StringBuilder("Targets:\n\n");
        for (String name : List.of(LIST_JWT, "secret list, direct ek_live_ token")) {
            Row r = find("ek", name);
            if (r == null) continue;
            if (nginx != null && nginxSpread > MAX_CEILING_SPREAD) {
                t.append(String.format(Locale.ROOT, "- not judged: %s ≥ 60%% of nginx (%s; nginx moved %.0f%% within the run)%n",
                        name, ratio(r.rps, nginx.rps), nginxSpread * 100));
            } else if (nginx != null) {
                t.append(check(name + " ≥ 60% of nginx", r.rps / nginx.rps >= 0.6, ratio(r.rps, nginx.rps)));
            }
            Row jetty = find("jetty", "ceiling");
            if (jetty != null && nginx != null && name.equals(LIST_JWT)) {
                // not a target: where the distance to nginx lies, in ek's own work or in Jetty's
                t.append(String.format(Locale.ROOT, "- for reading the one above: %s is %s of bare Jetty answering the same request, which is %s of nginx%n",
                        name, ratio(r.rps, jetty.rps), ratio(jetty.rps, nginx.rps)));
            }
            if (etcd != null) t.append(check(name + " ≥ 4× etcd", r.rps / etcd.rps >= 4, ratio(r.rps, etcd.rps)));
            if (ceiling != null && ceilingSpread > MAX_CEILING_SPREAD) {
                // the machine changed under the run: a ratio to a ceiling that moved this much says nothing either way
                t.append(String.format(Locale.ROOT, "- not judged: %s ≥ 60%% of the ceiling (%s; the ceiling moved %.0f%% within the run)%n",
                        name, ratio(r.rps, ceiling.rps), ceilingSpread * 100));
            } else if (ceiling != null) {
                t.append(check(name + " ≥ 60% of the ceiling", r.rps / ceiling.rps >= 0.6, ratio(r.rps, ceiling.rps)));
            }
        }
        // the audit log's cost on reads (issue 12): the same reads on a node that does not record them, in this run
        checkPairs(t, auditRatios, ", audited ≥ 80% of not audited");
        // PostgreSQL reads against the same reads on the embedded store, and nodes that add up (issue 16)
        checkPairs(t, postgresRatios, " ≥ 80% of SQLite");
        if (!Double.isNaN(nodesGain) && nodes == 2) t.append(check("two nodes at once ≥ 1.6× one node", nodesGain >= 1.6, String.format(Locale.ROOT, "%.2f×", nodesGain)));
        for (Row fixed : rows) {
            if (!fixed.target.equals("ek") || !fixed.scenario.startsWith("secret list at a fixed")) continue;
            String database = fixed.scenario.endsWith(PG_SUFFIX) ? " on PostgreSQL" : "";
            t.append(checkP99("p99 < 5 ms at " + fixedRate + " requests/s" + database, fixed, FIXED_RATE_P99_MS));
        }
        Row bulk = find("ek", "bulk write");
        if (bulk != null) {
            t.append(check(String.format(Locale.ROOT, "bulk creates ≥ 5× the %.0f a second before (issue 16)", bulkBefore), bulk.rps >= 5 * bulkBefore,
                    ratio(bulk.rps, bulkBefore)));
            if (!onPostgres) t.append(checkP99("bulk create p99 < 200 ms at " + connections + " connections", bulk, BULK_P99_MS));
        }
        Row exchange = find("ek", "token exchange");
        if (exchange != null && keycloak != null) t.append(check("exchange ≥ 5× Keycloak", exchange.rps / keycloak.rps >= 5, ratio(exchange.rps, keycloak.rps)));
        if (exchange != null && !Double.isNaN(signsPerSecond)) {
            t.append(check("exchange ≥ 60% of the signing bound", exchange.rps / signsPerSecond >= 0.6, ratio(exchange.rps, signsPerSecond)));
        }
        Row valid = validReads();
        for (String name : List.of("invalid JWTs", "forged JWTs", "invalid ek_live_")) {
            Row r = find("ek", name);
            if (r != null && valid != null) t.append(check(name + " rejected/s ≥ valid reads/s", r.rps >= valid.rps, ratio(r.rps, valid.rps)));
        }
        Row cold = find("ek", "cold start");
        if (cold != null) t.append(check("cold start < 1.5 s", cold.p50Ms < 1500, String.format(Locale.ROOT, "%.0f ms", cold.p50Ms)));
        if (!jitStillCompiling.isEmpty()) {
            // not a verdict of its own: the rows' figures are low by about that share, and so are the ratios built on them
            t.append("- caution: the JIT was still compiling while these rows were measured (its threads' share of the server's CPU): ")
                    .append(String.join(", ", jitStillCompiling.entrySet().stream()
                            .map(e -> String.format(Locale.ROOT, "%s %.0f%%", e.getKey(), 100 * e.getValue())).toList()))
                    .append('\n');
        }
        double maxRss = rows.stream().filter(r -> r.target.equals("ek") && !Double.isNaN(r.rssMb)).mapToDouble(Row::rssMb).max().orElse(Double.NaN);
        if (!Double.isNaN(maxRss)) t.append(check("RSS under load < 512 MB", maxRss < 512, String.format(Locale.ROOT, "%.0f MB peak", maxRss)));
        return t.toString();
    }

    /** How far apart the three ceiling runs may be (slowest to fastest) for a ratio to the ceiling to be judged. */
    static final double MAX_CEILING_SPREAD = 0.25;
    double ceilingSpread = Double.NaN;

    static String check(String what, boolean met, String figure) {
        return "- " + (met ? "met" : "**not met**") + ": " + what + " (" + figure + ")\n";
    }

    static String ratio(double ours, double theirs) {
        return String.format(Locale.ROOT, "%.2f×", ours / theirs);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    void awaitHttp(Proc proc, int port, String path, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!proc.alive()) throw new IllegalStateException(proc.name + " stopped:\n" + proc.tail(40));
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) return;
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(proc.name + " did not answer " + path + " in " + seconds + " s:\n" + proc.tail(40));
    }

    void awaitPort(Proc proc, int port, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!proc.alive()) throw new IllegalStateException(proc.name + " stopped:\n" + proc.tail(40));
            if (Proc.listening(port)) return;
            Thread.sleep(50);
        }
        throw new IllegalStateException(proc.name + " did not listen in " + seconds + " s:\n" + proc.tail(40));
    }

    synchronized void stopAll() {
        for (Proc p : List.copyOf(started)) p.stop();
        started.clear();
    }

    String git(String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", root.toString()));
        cmd.addAll(List.of(args));
        try {
            return exec(cmd).trim();
        } catch (Exception e) {
            return "unknown";
        }
    }

    static String exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    static String firstLine(String text) {
        return text.strip().split("\n")[0].trim();
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            long memKb = 0;
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) memKb = Long.parseLong(line.replaceAll("\\D", ""));
            }
            return String.format(Locale.ROOT, "%d cores, %s, %.0f GiB, Linux %s", Runtime.getRuntime().availableProcessors(), cpu,
                    memKb / 1024.0 / 1024.0, System.getProperty("os.version"));
        } catch (IOException e) {
            return cpu;
        }
    }

    static void log(String message) {
        System.err.println("[bench] " + message);
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
