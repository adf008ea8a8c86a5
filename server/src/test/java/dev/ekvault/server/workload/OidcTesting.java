package dev.ekvault.server.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** What the OIDC suites share: the routes, the one 401 message, and requests to register and exchange. */
final class OidcTesting {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String OIDC = "/v1/workspace/acme/oidc";
    static final String EXCHANGE = "/v1/auth/oidc/exchange";
    static final String SECRETS = "/v1/workspace/acme/project/web/secret";
    static final String UNAUTHORIZED = "missing, invalid or expired credential";
    static final String AUDIENCE = "ek";

    private OidcTesting() {}

    /** A valid registration body: every required field, scope the whole workspace, read-only. */
    static ObjectNode identity(String name, String issuer, String subject) {
        return JSON.createObjectNode().put("name", name).put("issuer", issuer).put("audience", AUDIENCE).put("subject", subject)
                .put("permission", "read");
    }

    static JsonNode register(TestServer s, String token, String workspace, ObjectNode body) {
        HttpResult r = s.post("/v1/workspace/" + workspace + "/oidc", token, body.toString());
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    static JsonNode register(TestServer s, ObjectNode body) {
        return register(s, s.ownerToken, "acme", body);
    }

    static HttpResult exchange(TestServer s, String workspace, String clusterToken) {
        ObjectNode body = JSON.createObjectNode().put("token", clusterToken).put("workspaceId", workspace);
        return s.post(EXCHANGE, null, body.toString());
    }

    /** Exchanges and insists on success; answers the access token. */
    static String accessToken(TestServer s, String workspace, String clusterToken) {
        HttpResult r = exchange(s, workspace, clusterToken);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("accessToken").asText();
    }

    static String accessToken(TestServer s, String clusterToken) {
        return accessToken(s, "acme", clusterToken);
    }

    /** Insists on the one 401: fixed message, nothing else in the body. */
    static void refused(String what, HttpResult r) {
        assertThat(r.status()).as(what + ": " + r).isEqualTo(401);
        assertThat(r.body()).as(what).isEqualTo("{\"message\":\"" + UNAUTHORIZED + "\"}");
    }

    /** The credential id an access token of ours was issued for (its sub). */
    static String subjectOf(String jwt) {
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1])).get("sub").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
