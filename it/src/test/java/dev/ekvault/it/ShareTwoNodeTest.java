package dev.ekvault.it;

import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A secret share's views counted across two server processes on one PostgreSQL: fifty views of a one-view share,
 * half sent to each node at once, give the content exactly once; a protected one-view share opened from two clients at
 * once, one on each node, likewise.
 */
class ShareTwoNodeTest {
    private static final String VALUE = "two-node-share-value";

    @Test
    void aOneViewShareOpensExactlyOnceAcrossTwoNodes() throws Exception {
        Map<String, String> env = Map.of("EK_DATABASE_URL", TestPostgres.freshDatabase(), "EK_MASTER_KEY", EkJar.newMasterKey(),
                "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0");
        Path dirA = EkJar.tempDir("ek-share-a");
        EkJar.Result init = EkJar.init(dirA, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String owner = init.stdoutLines().get(0);
        try (EkJar.Server a = EkJar.serve(dirA, env); EkJar.Server b = EkJar.serve(EkJar.tempDir("ek-share-b"), env)) {
            EkJar.Api api = new EkJar.Api(a, owner);
            String team = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
            api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(team) + "}");
            String production = api.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\"}").json().get("id").asText();
            api.post("/v1/workspace/acme/project/web/secret", EkJar.bulkCreateBody(List.of(production), Map.of("KEY", VALUE)));

            EkJar.Reply share = api.post("/v1/workspace/acme/project/web/secret-share",
                    "{\"key\":\"KEY\",\"environmentId\":\"" + production + "\",\"maxViews\":1}");
            assertThat(share.status()).as(share.toString()).isEqualTo(201);
            assertThat(opened(a, b, share.json().get("token").asText(), null, 50)).isEqualTo(1);

            EkJar.Reply protectedShare = api.post("/v1/workspace/acme/project/web/secret-share",
                    "{\"key\":\"KEY\",\"environmentId\":\"" + production + "\",\"maxViews\":1,\"password\":\"two clients\"}");
            assertThat(protectedShare.status()).as(protectedShare.toString()).isEqualTo(201);
            assertThat(opened(a, b, protectedShare.json().get("token").asText(), "two clients", 2)).isEqualTo(1);

            // positive control: a two-view share opens twice, once on each node
            EkJar.Reply twice = api.post("/v1/workspace/acme/project/web/secret-share", "{\"text\":\"twice\",\"maxViews\":2}");
            String token = twice.json().get("token").asText();
            assertThat(view(a, token, null).status()).isEqualTo(200);
            assertThat(view(b, token, null).status()).isEqualTo(200);
            assertThat(view(b, token, null).status()).isEqualTo(404);
            for (EkJar.Server node : List.of(a, b)) assertThat(node.stderr()).doesNotContain(token).doesNotContain(VALUE);
        }
    }

    /** Sends {@code count} views at once, alternating between the nodes; returns how many got the content. */
    private static int opened(EkJar.Server a, EkJar.Server b, String token, String password, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(count);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<EkJar.Reply>> answers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                EkJar.Server node = i % 2 == 0 ? a : b;
                answers.add(pool.submit(() -> {
                    go.await();
                    return view(node, token, password);
                }));
            }
            go.countDown();
            int ok = 0;
            for (Future<EkJar.Reply> answer : answers) {
                EkJar.Reply r = answer.get();
                if (r.status() == 200) {
                    ok++;
                    assertThat(r.json().get("content").asText()).isEqualTo(VALUE);
                } else {
                    assertThat(r.status()).as(r.toString()).isEqualTo(404);
                }
            }
            return ok;
        } finally {
            pool.shutdownNow();
        }
    }

    private static EkJar.Reply view(EkJar.Server node, String token, String password) {
        return new EkJar.Api(node, null).post("/v1/share/" + token + "/view", password == null ? "{}" : "{\"password\":" + EkJar.quote(password) + "}");
    }
}
