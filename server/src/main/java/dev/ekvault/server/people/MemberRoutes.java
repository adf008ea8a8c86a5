package dev.ekvault.server.people;

import dev.ekvault.api.Status;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.workspace.ScopeResolver;

/** {@code /v1/workspace/{ws}/members} for admins, and the public invitation links. */
public final class MemberRoutes {
    private MemberRoutes() {}

    public static void register(Router router, MemberService members, String configuredPublicUrl, boolean secureCookies,
                                long sessionSeconds) {
        String base = "/v1/workspace/{ws}/members";
        router.get(base, "workspace", ex -> members.list(ex.caller(), ex.path("ws")));
        router.post(base, "workspace", ex -> {
            JsonInput body = ex.body();
            return Reply.created(members.invite(ex.caller(), ex.path("ws"), body.requiredString("email"), body.requiredString("role"),
                    ScopeResolver.read(body.optionalObject("scope")), ex.baseUrl(configuredPublicUrl)));
        });
        router.put(base + "/{userId}", "workspace", ex -> {
            JsonInput body = ex.body();
            return members.update(ex.caller(), ex.path("ws"), ex.path("userId"), body.optionalString("role", null),
                    ScopeResolver.read(body.optionalObject("scope")));
        });
        router.delete(base + "/{userId}", "workspace", ex -> {
            members.remove(ex.caller(), ex.path("ws"), ex.path("userId"));
            return Reply.noContent();
        });
        router.delete("/v1/workspace/{ws}/invites/{id}", "workspace", ex -> {
            members.revokeInvite(ex.caller(), ex.path("ws"), ex.path("id"));
            return Reply.noContent();
        });
        router.publicRoute("GET", "/v1/invites/{token}", "workspace", ex -> members.preview(ex.path("token")));
        router.publicRoute("POST", "/v1/invites/{token}/accept", "workspace", ex -> {
            JsonInput body = ex.body();
            return PeopleRoutes.signedIn(ex, members.accept(ex.path("token"), body.optionalString("name", null),
                    body.optionalString("password", null)), secureCookies, sessionSeconds, 200);
        });
        router.publicRoute("POST", "/v1/invites/{token}/decline", "workspace", ex -> {
            members.decline(ex.path("token"));
            return new Status("declined");
        });
    }
}
