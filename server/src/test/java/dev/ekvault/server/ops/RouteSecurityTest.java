package dev.ekvault.server.ops;

import dev.ekvault.server.http.Router;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every route the server serves: the public ones are exactly this allow-list, and every other one answers 401 with the
 * one fixed message to no credential, to a garbage credential, and to a JWT we never issued.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouteSecurityTest {
    private static final Set<String> PUBLIC = Set.of(
            "GET /healthz", "GET /readyz", "GET /openapi.json", "GET /.well-known/jwks.json", "POST /v1/auth/exchange",
            "POST /v1/auth/login", "POST /v1/auth/signup", "POST /v1/auth/device/code", "POST /v1/auth/device/token",
            "POST /v1/invites/{token}/accept", "POST /v1/invites/{token}/decline", "GET /v1/invites/{token}", "GET /v1/auth/options",
            "GET /device", "GET /dashboard/device.js", "GET /dashboard/ek.css", "GET /v1/auth/sso/start", "GET /v1/auth/sso/callback",
            "POST /v1/auth/oidc/exchange",
            // a secret share's link: whoever holds it opens the share (the token is the credential; see share/ShareService)
            "POST /v1/share/{token}/view",
            // the dashboard's page (the same for every path) and its assets; the page calls the API with the session
            "GET /", "GET /sign-in", "GET /sign-up", "GET /invite/{token}", "GET /account", "GET /w/{ws}", "GET /w/{ws}/{section}",
            "GET /w/{ws}/p/{prj}", "GET /w/{ws}/p/{prj}/shares", "GET /share", "GET /assets/{version}/{file}", "GET /assets/{version}/{dir}/{file}");

    TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(Backend.SQLITE);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void thePublicRoutesAreExactlyTheAllowList() {
        Set<String> actual = new TreeSet<>();
        for (Router.Route route : s.server.router().routes()) if (route.isPublic()) actual.add(route.method() + " " + route.template());
        assertThat(actual).isEqualTo(new TreeSet<>(PUBLIC));
    }

    @Test
    void everyOtherRouteRefusesAMissingOrForgedCredentialWithOneMessage() {
        String forgedJwt = "eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.AAAA";
        List<String> checked = new ArrayList<>();
        for (Router.Route route : s.server.router().routes()) {
            if (route.isPublic()) continue;
            String path = route.template().replaceAll("\\{[^}]+}", "acme");
            for (String token : new String[] {null, "garbage", "ek_live_" + "0".repeat(43), forgedJwt}) {
                HttpRequest.Builder request = s.request(path, token).method(route.method(),
                        route.method().equals("GET") || route.method().equals("DELETE") ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString("{}"));
                if (!route.method().equals("GET") && !route.method().equals("DELETE")) request.header("Content-Type", "application/json");
                HttpResult r = s.send(request);
                assertThat(r.status()).as(route.method() + " " + path + " with " + token).isEqualTo(401);
                assertThat(r.message()).isEqualTo("missing, invalid or expired credential");
            }
            checked.add(route.method() + " " + route.template());
        }
        assertThat(checked).hasSizeGreaterThan(15);
    }
}
