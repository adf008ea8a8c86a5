package dev.ekvault.server.http;

import dev.ekvault.server.gateway.ApiHandler;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The route table: templates with path variables, literal over parameter, 404 and 405, public flags, duplicates. */
class RouterTest {
    private static final Router.Handler NOTHING = exchange -> null;

    /** The match for a path as ApiHandler hands it over (split and percent-decoded); {@code allowed} collects 405 methods. */
    private static Router.Match match(Router router, String method, String rawPath, Set<String> allowed) {
        List<String> path = ApiHandler.decodePath(rawPath);
        Router.Match match = router.match(method, path);
        if (match == null) allowed.addAll(router.allowedMethods(path));
        return match;
    }

    private static Router.Match match(Router router, String method, String rawPath) {
        return match(router, method, rawPath, new TreeSet<>());
    }

    private static Router secretRoutes() {
        return new Router()
                .get("/v1/workspace/{ws}/project/{prj}/secret", "secrets", NOTHING)
                .post("/v1/workspace/{ws}/project/{prj}/secret", "secrets", NOTHING)
                .get("/v1/workspace/{ws}/project/{prj}/secret/{key}", "secrets", NOTHING)
                .put("/v1/workspace/{ws}/project/{prj}/secret/{key}", "secrets", NOTHING)
                .delete("/v1/workspace/{ws}/project/{prj}/secret/{key}", "secrets", NOTHING)
                .publicRoute("GET", "/healthz", "ops", NOTHING);
    }

    @Test
    void pathVariablesAreBoundByNameInTemplateOrder() {
        Router.Match m = match(secretRoutes(), "GET", "/v1/workspace/acme/project/web/secret/DB_HOST");
        assertThat(m.route().template()).isEqualTo("/v1/workspace/{ws}/project/{prj}/secret/{key}");
        assertThat(m.parameters()).containsExactly(Map.entry("ws", "acme"), Map.entry("prj", "web"), Map.entry("key", "DB_HOST"));
    }

    @Test
    void theMethodChoosesAmongRoutesOfOneTemplate() {
        Router router = secretRoutes();
        assertThat(match(router, "PUT", "/v1/workspace/a/project/b/secret/K").route().method()).isEqualTo("PUT");
        assertThat(match(router, "DELETE", "/v1/workspace/a/project/b/secret/K").route().method()).isEqualTo("DELETE");
        assertThat(match(router, "POST", "/v1/workspace/a/project/b/secret").route().method()).isEqualTo("POST");
    }

    @Test
    void aTrailingSlashOrDoubledSlashesDoNotMatter() {
        Router router = secretRoutes();
        assertThat(match(router, "GET", "/v1/workspace/acme/project/web/secret/").route().template())
                .isEqualTo("/v1/workspace/{ws}/project/{prj}/secret");
        assertThat(match(router, "GET", "//v1//workspace/acme/project/web/secret/K/").parameters()).containsEntry("key", "K");
        Router trailing = new Router().get("/v1/workspace/", "ws", NOTHING);
        assertThat(match(trailing, "GET", "/v1/workspace")).as("a template's own trailing slash is ignored too").isNotNull();
    }

    @Test
    void aLiteralSegmentBeatsAParameterWhicheverIsRegisteredFirst() {
        Router parameterFirst = new Router().get("/v1/item/{id}", "t", NOTHING).get("/v1/item/new", "t", NOTHING);
        Router literalFirst = new Router().get("/v1/item/new", "t", NOTHING).get("/v1/item/{id}", "t", NOTHING);
        for (Router router : List.of(parameterFirst, literalFirst)) {
            assertThat(match(router, "GET", "/v1/item/new").route().template()).isEqualTo("/v1/item/new");
            Router.Match other = match(router, "GET", "/v1/item/42");
            assertThat(other.route().template()).isEqualTo("/v1/item/{id}");
            assertThat(other.parameters()).containsExactly(Map.entry("id", "42"));
        }
    }

    @Test
    void aPathNoRouteHasIsNoMatchWithNoAllowedMethods() {
        Router router = secretRoutes();
        for (String path : List.of("/v1/workspace/acme", "/v1/workspace/a/project/b/secret/K/extra", "/v1/workspace/a/team/b/secret", "/")) {
            Set<String> allowed = new TreeSet<>();
            assertThat(match(router, "GET", path, allowed)).as(path).isNull();
            assertThat(allowed).as("404, not 405, for %s", path).isEmpty();
        }
    }

    @Test
    void aPathThatExistsForOtherMethodsIsNoMatchListingThoseMethods() {
        Set<String> allowed = new TreeSet<>();
        assertThat(match(secretRoutes(), "PATCH", "/v1/workspace/a/project/b/secret/K", allowed)).isNull();
        assertThat(allowed).containsExactly("DELETE", "GET", "PUT");

        Set<String> listAllowed = new TreeSet<>();
        assertThat(match(secretRoutes(), "DELETE", "/v1/workspace/a/project/b/secret", listAllowed)).isNull();
        assertThat(listAllowed).containsExactly("GET", "POST");
    }

    @Test
    void headIsNotImpliedByGet() {
        Set<String> allowed = new TreeSet<>();
        assertThat(match(secretRoutes(), "HEAD", "/healthz", allowed)).isNull();
        assertThat(allowed).containsExactly("GET");
    }

    @Test
    void aParameterNeverMatchesAnEmptySegment() {
        Router router = new Router().get("/v1/item/{id}/detail", "t", NOTHING);
        assertThat(router.match("GET", List.of("v1", "item", "", "detail"))).isNull();
        assertThat(router.match("GET", List.of("v1", "item", "7", "detail"))).isNotNull();
    }

    @Test
    void literalSegmentsAreCaseSensitive() {
        assertThat(match(secretRoutes(), "GET", "/V1/workspace/a/project/b/secret")).isNull();
        assertThat(match(secretRoutes(), "GET", "/HEALTHZ")).isNull();
    }

    @Test
    void percentEncodedSegmentsReachParametersDecodedAndStayOneSegment() {
        Router router = secretRoutes();
        Router.Match m = match(router, "GET", "/v1/workspace/acme/project/my%20app/secret/A%2FB");
        assertThat(m.parameters()).containsEntry("prj", "my app").containsEntry("key", "A/B");
        assertThat(match(router, "GET", "/v1/workspace/acme/project/a+b/secret/%C3%A9").parameters())
                .containsEntry("prj", "a b").containsEntry("key", "é");
        assertThat(match(router, "GET", "/%68ealthz")).as("a literal segment is compared after decoding").isNotNull();
    }

    @Test
    void escapesThatDoNotSpellUtf8AreA400BeforeRouting() {
        for (String path : List.of("/v1/workspace/%FF", "/v1/workspace/%zz", "/v1/workspace/%4", "/v1/workspace/%C0%AF")) {
            assertThatThrownBy(() -> ApiHandler.decodePath(path)).as(path)
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code).isEqualTo(ErrorCode.BAD_REQUEST));
        }
    }

    @Test
    void onlyRoutesRegisteredAsPublicSkipAuthentication() {
        Router router = secretRoutes();
        assertThat(match(router, "GET", "/healthz").route().isPublic()).isTrue();
        assertThat(router.routes()).filteredOn(r -> !r.template().equals("/healthz")).isNotEmpty()
                .allSatisfy(r -> assertThat(r.isPublic()).as(r.method() + " " + r.template()).isFalse());
        Router.Route publicPost = new Router().publicRoute("POST", "/v1/auth/login", "auth", NOTHING).routes().get(0);
        assertThat(publicPost.method()).isEqualTo("POST");
        assertThat(publicPost.isPublic()).isTrue();
        assertThat(publicPost.tag()).isEqualTo("auth");
    }

    @Test
    void theSameMethodAndTemplateCannotBeRegisteredTwiceEvenWithAnotherTrailingSlash() {
        Router router = new Router().get("/v1/item/{id}", "t", NOTHING);
        assertThatThrownBy(() -> router.get("/v1/item/{id}/", "t", NOTHING))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("route registered twice: GET /v1/item/{id}/");
        assertThatThrownBy(() -> router.publicRoute("GET", "/v1/item/{id}", "t", NOTHING)).isInstanceOf(IllegalStateException.class);
        router.put("/v1/item/{id}", "t", NOTHING); // another method on the same template is fine
        assertThat(router.methodsByTemplate()).containsExactly(Map.entry("/v1/item/{id}", Set.of("GET", "PUT")));
    }

    @Test
    void templatesThatDifferOnlyInParameterNamesAreRefusedAsDuplicates() {
        Router router = new Router().get("/v1/item/{id}", "t", NOTHING);
        assertThatThrownBy(() -> router.get("/v1/item/{ref}", "t", NOTHING)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void routesOfEqualSpecificityAreResolvedByRegistrationOrder() {
        // /v1/{a}/x and /v1/x/{b} both match /v1/x/x with two literals: the one registered first answers
        Router router = new Router().get("/v1/{a}/x", "t", NOTHING).get("/v1/x/{b}", "t", NOTHING);
        assertThat(match(router, "GET", "/v1/x/x").route().template()).isEqualTo("/v1/{a}/x");
        assertThat(match(router, "GET", "/v1/x/y").route().template()).isEqualTo("/v1/x/{b}");
        assertThat(match(router, "GET", "/v1/y/x").route().template()).isEqualTo("/v1/{a}/x");
    }
}
