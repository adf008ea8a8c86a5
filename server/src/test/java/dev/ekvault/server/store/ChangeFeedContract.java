package dev.ekvault.server.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Await;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The change feed's backstop on each database: a change whose feed row never arrives (lost, deleted, written behind the
 * server's back) is still applied by the periodic full reload, which also forgets credentials and members that vanished.
 */
abstract class ChangeFeedContract {
    abstract Backend backend();

    /** The documented bound after a change becomes visible to a poll: one interval (200 ms) plus margin for a busy CI. */
    static final Duration BOUND = Duration.ofSeconds(3);
    static final String TEAMS = "/v1/workspace/acme/team";

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        Await.until(what, timeout, Duration.ofMillis(20), condition);
    }

    static JsonNode createToken(TestServer node) {
        HttpResult r = node.post("/v1/workspace/acme/tokens", node.ownerToken,
                "{\"name\":\"t\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"30d\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    static String exchange(TestServer node, String token) {
        HttpResult r = node.send(node.request("/v1/auth/exchange", token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("accessToken").asText();
    }

    static int status(TestServer node, String token) {
        return node.get(TEAMS, token).status();
    }

    @Test
    void theFullReloadAppliesChangesWhoseFeedRowWasLostAndForgetsWhatVanished() {
        try (TestServer s = TestServer.start(backend())) {
            JsonNode revoked = createToken(s);
            String revokedToken = revoked.get("token").asText();
            String revokedJwt = exchange(s, revokedToken);
            String deletedToken = createToken(s).get("token").asText();
            String removedPersonToken = s.addPersonWithCredential("gone@example.com", dev.ekvault.server.access.Role.DEVELOPER,
                    dev.ekvault.server.access.Scope.ALL, dev.ekvault.server.access.Credential.Kind.STATIC,
                    dev.ekvault.server.access.Permission.READ, dev.ekvault.server.access.Scope.ALL);
            String control = createToken(s).get("token").asText();
            for (String t : new String[] {revokedToken, revokedJwt, deletedToken, removedPersonToken, control}) assertThat(status(s, t)).isEqualTo(200);

            // three changes whose feed rows are lost: written without one, as a bug or a hand edit would
            s.runSql("UPDATE credential SET revoked_at = " + s.clock.millis() + " WHERE id = '" + revoked.get("id").asText() + "'");
            s.runSql("DELETE FROM credential WHERE token_hash = '" + dev.ekvault.server.access.TokenFormat.hash(deletedToken) + "'");
            s.runSql("DELETE FROM member WHERE user_id = (SELECT id FROM app_user WHERE email = 'gone@example.com')");
            s.server.changeFeed().poll();
            assertThat(status(s, revokedToken)).as("no feed row: the poll cannot know").isEqualTo(200);

            s.clock.advance(Duration.ofSeconds(300)); // access.full-reload-seconds, by the server's own clock
            await("the full reload refuses the revoked token, its JWT, the deleted token and the removed person's token", BOUND,
                    () -> status(s, revokedToken) == 401 && status(s, revokedJwt) == 401 && status(s, deletedToken) == 401
                            && status(s, removedPersonToken) == 401);
            assertThat(status(s, control)).as("positive control").isEqualTo(200);
        }
    }
}
