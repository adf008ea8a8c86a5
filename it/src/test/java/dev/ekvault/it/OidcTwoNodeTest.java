package dev.ekvault.it;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.testing.TestIssuer;
import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A workload identity across two server processes on one PostgreSQL: registered on one node, exchanged on the other,
 * its JWT good on both; deleted on one node, its JWT is refused by the other within the revocation bound (awaited,
 * not slept). The cluster is the in-JVM test issuer, on the real clock.
 */
class OidcTwoNodeTest {
    private static final Duration REVOCATION_BOUND = Duration.ofSeconds(2);
    private static final String SECRETS = "/v1/workspace/acme/project/web/secret";

    @Test
    void anIdentityDeletedOnOneNodeStopsItsJwtOnTheOtherWithinTheBound() {
        Map<String, String> env = Map.of("EK_DATABASE_URL", TestPostgres.freshDatabase(), "EK_MASTER_KEY", EkJar.newMasterKey(),
                "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0", "EK_OIDC_ALLOW_HTTP_ISSUERS", "true");
        Path dirA = EkJar.tempDir("ek-oidc-a");
        EkJar.Result init = EkJar.init(dirA, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String owner = init.stdoutLines().get(0);
        try (TestIssuer cluster = TestIssuer.start(Clock.systemUTC());
             EkJar.Server a = EkJar.serve(dirA, env);
             EkJar.Server b = EkJar.serve(EkJar.tempDir("ek-oidc-b"), env)) {
            EkJar.Api ownerOnA = new EkJar.Api(a, owner);
            String team = ownerOnA.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
            ownerOnA.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(team) + "}");
            String production = ownerOnA.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\"}").json().get("id").asText();
            ownerOnA.post(SECRETS, EkJar.bulkCreateBody(List.of(production), Map.of("KEY", "value")));

            ObjectNode identity = EkJar.JSON.createObjectNode().put("name", "payments-api").put("issuer", cluster.issuer())
                    .put("audience", "ek").put("subject", "system:serviceaccount:payments:api").put("permission", "read");
            EkJar.Reply registered = ownerOnA.post("/v1/workspace/acme/oidc", identity.toString());
            assertThat(registered.status()).as(registered.toString()).isEqualTo(201);

            String exchange = EkJar.JSON.createObjectNode().put("token", cluster.token("payments", "api", "ek")).put("workspaceId", "acme").toString();
            EkJar.Reply exchanged = new EkJar.Api(b, null).post("/v1/auth/oidc/exchange", exchange);
            assertThat(exchanged.status()).as("registered on A, exchanged on B at once: " + exchanged).isEqualTo(200);
            String jwt = exchanged.json().get("accessToken").asText();
            EkJar.Api jwtOnA = new EkJar.Api(a, jwt);
            EkJar.Api jwtOnB = new EkJar.Api(b, jwt);
            assertThat(jwtOnB.get(SECRETS).status()).isEqualTo(200);
            assertThat(jwtOnA.get(SECRETS).status()).as("node A accepts the JWT node B issued").isEqualTo(200);

            assertThat(ownerOnA.delete("/v1/workspace/acme/oidc/" + registered.json().get("id").asText()).status()).isEqualTo(204);
            long deletedAt = System.nanoTime();
            EkJar.awaitCondition("node B refuses the deleted identity's JWT", REVOCATION_BOUND, () -> jwtOnB.get(SECRETS).status() == 401);
            System.out.printf("the deletion reached the other node in %d ms%n", (System.nanoTime() - deletedAt) / 1_000_000);
            assertThat(jwtOnA.get(SECRETS).status()).as("and node A at once").isEqualTo(401);
            assertThat(new EkJar.Api(b, null).post("/v1/auth/oidc/exchange", exchange).status()).as("no new exchange on B").isEqualTo(401);
            assertThat(new EkJar.Api(b, owner).get(SECRETS).status()).as("positive control").isEqualTo(200);
        }
    }
}
