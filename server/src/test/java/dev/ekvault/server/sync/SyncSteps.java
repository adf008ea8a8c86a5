package dev.ekvault.server.sync;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every sync target's contract does through the real API with the owner's token: a project to sync, the
 * provider's wizard steps, secrets set and removed, a push once changes have settled, and a sync's status.
 */
public final class SyncSteps {
    public static final String WS = "/v1/workspace/acme";
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final TestServer s;
    private final String provider;

    public SyncSteps(TestServer s, String provider) {
        this.s = s;
        this.provider = provider;
    }

    /** A new project with one environment (overrides allowed) holding {@code secrets}; returns {slug, environmentId}. */
    public String[] project(Map<String, String> secrets) {
        String slug = provider + "-sync" + SEQ.incrementAndGet();
        s.createProject(slug);
        String env = s.createEnvironment(slug, "production", true);
        if (!secrets.isEmpty()) s.createSecrets(slug, List.of(env), secrets);
        return new String[] {slug, env};
    }

    /** {@code POST /v1/sync/{provider}/start}; returns the draft's id. */
    public String begin() {
        HttpResult started = s.post("/v1/sync/" + provider + "/start", s.ownerToken, "");
        assertThat(started.status()).as("%s", started).isEqualTo(201);
        return started.json().get("syncConfigId").asText();
    }

    /** One wizard step's answers. */
    public HttpResult step(String id, String step, String json) {
        return s.post("/v1/sync/" + provider + "/flow?syncConfigId=" + id + "&step=" + step, s.ownerToken, json);
    }

    /** Lets changes settle past the coalescing window and pushes what is due; returns the pushes that succeeded. */
    public int settleAndPush() {
        s.clock.advance(Duration.ofSeconds(1));
        return s.server.syncEngine().runDue();
    }

    /** The sync's status. */
    public JsonNode info(String id) {
        HttpResult r = s.get(WS + "/sync/" + id, s.ownerToken);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r.json();
    }

    /** Sets the shared value of {@code key} in {@code env}, creating the secret when the project has none of that name. */
    public void set(String slug, String env, String key, String value) {
        for (JsonNode secret : s.get(WS + "/project/" + slug + "/secret", s.ownerToken).json()) {
            if (secret.get("name").asText().equals(key)) {
                HttpResult r = s.put(WS + "/project/" + slug + "/secret/" + secret.get("id").asText(), s.ownerToken,
                        "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":" + TestServer.quote(value) + "}]}");
                assertThat(r.status()).as("%s", r).isEqualTo(200);
                return;
            }
        }
        s.createSecrets(slug, List.of(env), Map.of(key, value));
    }

    /** Deletes the secret named {@code key}. */
    public void remove(String slug, String key) {
        String id = s.get(WS + "/project/" + slug + "/secret/" + key, s.ownerToken).json().get("id").asText();
        assertThat(s.delete(WS + "/project/" + slug + "/secret/" + id, s.ownerToken).status()).isEqualTo(204);
    }
}
