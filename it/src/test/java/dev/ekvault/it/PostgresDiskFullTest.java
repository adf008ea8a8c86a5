package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL's disk fills up under a running node: the database's tables live in a tablespace on a small tmpfs while
 * its write-ahead log stays in the data folder on the normal disk, so PostgreSQL keeps running and only extending a
 * table fails ({@code 53100}, "could not extend file"). What the client sees: bulk writes of large values are taken
 * until one answers 507 with {@code Retry-After} and the fixed disk-full message (never a 500, never the driver's
 * text), and a refused write stored nothing; reads of what is there keep answering 200 (with {@code audit.record-reads}
 * on, a second node answers a read 200 only with its VIEW entry stored, else 507), and so does the token exchange;
 * {@code /readyz} stays ready (the server cannot see PostgreSQL's disk, and every node shares it); once space is freed
 * — no restart — writes are taken again, every write acknowledged before is there with its value, and the audit chain
 * verifies. A throw-away
 * PostgreSQL ({@link ThrowAwayPostgres}) on a mounted tmpfs ({@link SmallDisk}): needs root, skipped otherwise. The
 * embedded store's disk full is {@link DiskFullTest}.
 */
class PostgresDiskFullTest {
    private static final String SECRETS = "/v1/workspace/acme/project/web/secret";
    private static final String DISK_FULL = "the database's disk is full: changes are refused until space is freed; retry later";
    /** The tablespace's file system: room for the new database (a copy of template1, about 8 MB) and the schema. */
    private static final int DISK_MEGABYTES = 32;
    /** What the filler leaves free: a few bulk writes' worth, so the writes themselves run the disk out. */
    private static final long HEADROOM_BYTES = 6L * 1024 * 1024;
    /** One bulk write: 16 values of 48 KiB (incompressible once encrypted), about 1 MB of table space. */
    private static final int SECRETS_PER_WRITE = 16;
    private static final int VALUE_BYTES = 48 * 1024;
    /** As {@code DatabaseOutageTest}'s: every answer during the fault is quick, never a hang. */
    private static final Duration ANSWER_BOUND = Duration.ofSeconds(8);

    private final Random random = new Random(18);
    /** Every write the node answered 201: key → value. */
    private final Map<String, String> acknowledged = new LinkedHashMap<>();
    /** The keys of every write answered 507: none of them may be stored. */
    private final List<String> refusedKeys = new ArrayList<>();
    /** Every status any request got, to show there was never a 500. */
    private final List<Integer> statuses = new ArrayList<>();

    @Test
    void aFullTablespaceRefusesChangesClearlyKeepsReadingAndRecovers() throws Exception {
        try (SmallDisk disk = SmallDisk.mount("ek-pg-small-disk", DISK_MEGABYTES); ThrowAwayPostgres pg = ThrowAwayPostgres.start()) {
            Path tablespace = Files.createDirectory(disk.mount.resolve("tablespace"));
            ThrowAwayPostgres.chownToPostgres(tablespace);
            // CREATE DATABASE puts the database's catalog and every table it gets in the tablespace; the WAL stays put
            pg.execute("CREATE TABLESPACE small LOCATION '" + tablespace + "'", "CREATE DATABASE ek TABLESPACE small");
            try (DatabaseOutageTest.Node node = DatabaseOutageTest.Node.on(pg.url(pg.port, "ek"),
                    // a read of values would wait for its VIEW entry to be durable (README, "When the database is unavailable")
                    Map.of("EK_AUDIT_RECORD_READS", "false"));
                 EkJar.Server recording = EkJar.serve(EkJar.tempDir("ek-pg-disk-full-b"), recordingReads(node.env))) {
                for (int i = 0; i < 5; i++) assertThat(write(node, "BEFORE_" + i, 1, 64).status()).isEqualTo(201);

                Path filler = disk.mount.resolve("filler");
                SmallDisk.fill(filler, HEADROOM_BYTES);
                EkJar.Reply refused = null;
                for (int i = 0; i < 40 && refused == null; i++) {
                    EkJar.Reply r = write(node, "FULL_" + i, SECRETS_PER_WRITE, VALUE_BYTES);
                    if (r.status() != 201) refused = r;
                }
                assertThat(refused).as("a write is refused once the tablespace is full").isNotNull();
                assertDiskFull(refused);
                assertThat(pg.log()).as("PostgreSQL's own reason").contains("could not extend file");
                System.out.printf("PostgreSQL disk full: %d secrets acknowledged, then %s%n", acknowledged.size(), refused.status());

                // the fault holds: a write of the same size is refused again, a token create too; neither is a 500
                assertDiskFull(write(node, "STILL_FULL", SECRETS_PER_WRITE, VALUE_BYTES));
                EkJar.Reply token = node.timed(node.owner.builder("/v1/workspace/acme/tokens").header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"name\":\"during\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}")));
                statuses.add(token.status());
                if (token.status() != 201) assertDiskFull(token);

                // what is there keeps being read
                assertEveryAcknowledgedValuePresent(node, "while the disk is full");
                EkJar.Reply one = node.timed(node.owner.builder(SECRETS + "/BEFORE_0_0?environment=" + node.environment).GET());
                statuses.add(one.status());
                assertThat(one.status()).as("a read of one secret: %s", one).isEqualTo(200);
                // with audit.record-reads=true a read is answered only once its VIEW entry is stored: 200 when the entry
                // still fits in a page the audit table has, else 507 with nothing returned — never a value unrecorded
                List<String> recordedReads = new ArrayList<>();
                EkJar.Api recorded = new EkJar.Api(recording, node.ownerToken);
                for (int i = 0; i < 10; i++) {
                    EkJar.Reply read = timed(recorded, SECRETS + "/BEFORE_0_0?environment=" + node.environment);
                    statuses.add(read.status());
                    if (read.status() == 200) recordedReads.add(read.requestId());
                    else assertDiskFull(read);
                }
                System.out.printf("reads recording their VIEW entry while the disk is full: %d of 10 answered 200, the rest 507%n",
                        recordedReads.size());
                // the server cannot see PostgreSQL's disk (its probe is a read-only check, and a write is not risked on
                // it): /readyz stays ready, and every node on the database would say the same — see the README
                EkJar.Reply readyz = node.timed(node.anonymous.builder("/readyz").GET());
                assertThat(readyz.status()).as("/readyz while PostgreSQL's disk is full: %s", readyz).isEqualTo(200);
                // SDK clients keep their JWTs: the exchange's limiter and audit entry are held in memory meanwhile
                EkJar.Reply exchange = exchange(node);
                assertThat(exchange.status()).as("the token exchange keeps working: %s", exchange).isEqualTo(200);
                String exchangeRequest = exchange.requestId();

                Files.delete(filler);
                AtomicInteger attempt = new AtomicInteger();
                EkJar.awaitCondition("writes are taken again once space is freed, with no restart", Duration.ofSeconds(20),
                        () -> write(node, "AFTER_" + attempt.incrementAndGet(), SECRETS_PER_WRITE, VALUE_BYTES).status() == 201);
                assertThat(node.timed(node.anonymous.builder("/readyz").GET()).status()).isEqualTo(200);
                assertEveryAcknowledgedValuePresent(node, "after space is freed");
                EkJar.awaitCondition("the exchange's held audit entry is written", Duration.ofSeconds(20), () -> {
                    exchange(node);
                    return node.owner.get("/v1/workspace/acme/audit?action=exchange&limit=100").body().contains(exchangeRequest);
                });
                String views = node.owner.get("/v1/workspace/acme/audit?action=view&limit=100").body();
                for (String id : recordedReads) assertThat(views).as("the VIEW entry of read %s answered 200", id).contains(id);
                EkJar.Reply verified = node.owner.get("/v1/workspace/acme/audit/verify");
                assertThat(verified.status()).as(verified.toString()).isEqualTo(200);
                assertThat(verified.json().get("intact").asBoolean()).as(verified.toString()).isTrue();
                assertThat(statuses).as("no answer was a 500").noneMatch(status -> status >= 500 && status != 503 && status != 507);
                DatabaseOutageTest.assertNoStackTracePerRequest(node.server);
                DatabaseOutageTest.assertNoStackTracePerRequest(recording);
            }
        }
    }

    /** The same settings, but every read of values records its VIEW entry before it is answered (the default). */
    private static Map<String, String> recordingReads(Map<String, String> env) {
        Map<String, String> recording = new HashMap<>(env);
        recording.put("EK_AUDIT_RECORD_READS", "true");
        return recording;
    }

    /** A GET through another node's client, held to the same bound as {@link DatabaseOutageTest.Node#timed}. */
    private static EkJar.Reply timed(EkJar.Api api, String path) {
        long started = System.nanoTime();
        EkJar.Reply reply = api.get(path);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).as("answer %s took %s", reply, took).isLessThan(ANSWER_BOUND);
        return reply;
    }

    /** One bulk create of {@code count} secrets of random values; what is answered 201 is remembered. */
    private EkJar.Reply write(DatabaseOutageTest.Node node, String prefix, int count, int valueBytes) {
        Map<String, String> secrets = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byte[] raw = new byte[valueBytes * 3 / 4];
            random.nextBytes(raw);
            secrets.put(prefix + "_" + i, Base64.getEncoder().encodeToString(raw));
        }
        EkJar.Reply reply = node.timed(node.owner.builder(SECRETS).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(EkJar.bulkCreateBody(List.of(node.environment), secrets))));
        statuses.add(reply.status());
        if (reply.status() == 201) acknowledged.putAll(secrets);
        else refusedKeys.addAll(secrets.keySet());
        return reply;
    }

    private EkJar.Reply exchange(DatabaseOutageTest.Node node) {
        EkJar.Reply reply = node.timed(node.owner.builder("/v1/auth/exchange").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.noBody()));
        statuses.add(reply.status());
        return reply;
    }

    /** The disk-full answer: 507 (503 allowed), Retry-After, the one fixed message and nothing of the driver's. */
    private static void assertDiskFull(EkJar.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isIn(507, 503);
        assertThat(reply.headers().firstValue("Retry-After")).as(reply.toString()).isPresent();
        assertThat(reply.json().get("message").asText()).as(reply.toString()).isEqualTo(DISK_FULL);
        assertThat(reply.body()).as("no driver text in the answer").doesNotContainIgnoringCase("extend").doesNotContain("53100")
                .doesNotContainIgnoringCase("tablespace").doesNotContain("pg_").doesNotContainIgnoringCase("sql")
                .doesNotContain("No space left").doesNotContain("ERROR");
    }

    private void assertEveryAcknowledgedValuePresent(DatabaseOutageTest.Node node, String when) {
        EkJar.Reply list = node.timed(node.owner.builder(SECRETS + "?environment=" + node.environment).GET());
        statuses.add(list.status());
        assertThat(list.status()).as("the list %s: %s", when, list.status()).isEqualTo(200);
        Map<String, String> stored = new HashMap<>();
        for (JsonNode secret : list.json()) {
            for (JsonNode value : secret.get("values")) stored.put(secret.get("name").asText(), value.get("value").asText());
        }
        assertThat(acknowledged).as("acknowledged writes").isNotEmpty();
        acknowledged.forEach((key, value) -> assertThat(stored.get(key)).as("acknowledged %s, %s", key, when).isEqualTo(value));
        assertThat(stored.keySet()).as("a write answered 507 stored nothing").doesNotContainAnyElementsOf(refusedKeys);
    }
}
