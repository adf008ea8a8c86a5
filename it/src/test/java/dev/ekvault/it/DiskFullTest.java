package dev.ekvault.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded store's disk fills up under a running node (its data folder on a small tmpfs, filled by a file beside
 * the database): a change answers 507 with a clear message (never 500), {@code /readyz} is not ready and says why,
 * reads and the token exchange keep answering (the exchange's audit entry held in memory until the disk has room),
 * nothing acknowledged is lost, and changes are taken again once space returns — with no
 * restart. Mounting needs root; where it is refused the test is skipped, saying so.
 */
class DiskFullTest {
    private static final String SECRETS = "/v1/workspace/acme/project/web/secret";

    @Test
    void aFullDiskRefusesChangesClearlyKeepsReadingAndRecovers() throws Exception {
        try (SmallDisk disk = SmallDisk.mount("ek-small-disk", 16)) {
            Path mount = disk.mount;
            Path data = mount.resolve("data");
            Map<String, String> env = new HashMap<>(Map.of("EK_DATA_DIR", data.toString(), "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0",
                    "EK_AUDIT_RECORD_READS", "false", "EK_DATABASE_STATEMENT_TIMEOUT_MILLIS", "2000"));
            Path work = EkJar.tempDir("ek-disk-full");
            EkJar.Result init = EkJar.init(work, env);
            assertThat(init.exitCode()).as(init.stderr()).isZero();
            String ownerToken = init.stdoutLines().get(0);
            try (EkJar.Server server = EkJar.serve(work, env)) {
                EkJar.Api owner = new EkJar.Api(server, ownerToken);
                String environment = EkJar.webProduction(owner);
                List<String> acknowledged = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    EkJar.Reply r = owner.post(SECRETS, body(environment, "BEFORE_" + i));
                    assertThat(r.status()).as(r.toString()).isEqualTo(201);
                    acknowledged.add("BEFORE_" + i);
                }

                Path filler = mount.resolve("filler");
                SmallDisk.fill(filler, 0);
                // the write-ahead log may still have room in pages it already holds: write until the disk says no
                EkJar.Reply refused = null;
                for (int i = 0; i < 200 && refused == null; i++) {
                    EkJar.Reply r = owner.post(SECRETS, body(environment, "FULL_" + i, "X".repeat(8000)));
                    if (r.status() == 201) acknowledged.add("FULL_" + i);
                    else refused = r;
                }
                assertThat(refused).as("a change is refused once the disk is full").isNotNull();
                assertThat(refused.status()).as(refused.toString()).isEqualTo(507);
                assertThat(refused.headers().firstValue("Retry-After")).isPresent();
                assertThat(refused.json().get("message").asText()).contains("disk is full");

                EkJar.Reply readyz = new EkJar.Api(server, null).get("/readyz");
                assertThat(readyz.status()).as(readyz.toString()).isEqualTo(503);
                assertThat(readyz.json().get("message").asText()).contains("disk is full");
                EkJar.Reply read = owner.get(SECRETS + "?environment=" + environment);
                assertThat(read.status()).as("reads keep answering: %s", read).isEqualTo(200);
                EkJar.Reply exchange = owner.send(owner.builder("/v1/auth/exchange").header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
                // SDK clients keep their JWTs: the exchange's audit entry is held in memory while the disk cannot take it
                assertThat(exchange.status()).as("the token exchange keeps working: %s", exchange).isEqualTo(200);
                String exchangeRequest = exchange.headers().firstValue("X-Request-Id").orElseThrow();

                Files.delete(filler);
                EkJar.awaitCondition("changes are taken again once space returns", Duration.ofSeconds(20),
                        () -> owner.post(SECRETS, body(environment, "AFTER")).status() == 201);
                acknowledged.add("AFTER");
                assertThat(new EkJar.Api(server, null).get("/readyz").status()).isEqualTo(200);
                EkJar.Reply list = owner.get(SECRETS + "?environment=" + environment);
                for (String key : acknowledged) assertThat(list.body()).as("acknowledged %s", key).contains("\"" + key + "\"");
                // the held exchange entry is written with the next group once the disk has room, and the chain verifies
                EkJar.awaitCondition("the exchange's held audit entry is written", Duration.ofSeconds(20), () -> {
                    owner.send(owner.builder("/v1/auth/exchange").header("Content-Type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
                    return owner.get("/v1/workspace/acme/audit?action=exchange&limit=100").body().contains(exchangeRequest);
                });
                EkJar.Reply verified = owner.get("/v1/workspace/acme/audit/verify");
                assertThat(verified.status()).as(verified.toString()).isEqualTo(200);
                assertThat(verified.json().get("intact").asBoolean()).as(verified.toString()).isTrue();
                DatabaseOutageTest.assertNoStackTracePerRequest(server);
            }
        }
    }

    private static String body(String environment, String key) {
        return body(environment, key, "value-of-" + key);
    }

    private static String body(String environment, String key, String value) {
        return EkJar.bulkCreateBody(List.of(environment), Map.of(key, value));
    }
}
