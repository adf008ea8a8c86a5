package dev.ekvault.server.member;

import dev.ekvault.api.Status;
import dev.ekvault.server.http.Exchange;
import dev.ekvault.server.http.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.token.TokenRoutes;

/** {@code /v1/workspace/{ws}/members} for admins, and the public invitation links. */
public final class MemberRoutes {
    private MemberRoutes() {}

    public interface SignInReply {
        Reply reply(Exchange exchange, dev.ekvault.server.people.SessionService.SignedIn signedIn);
    }

    public static void register(Router router, MemberService members, String configuredPublicUrl, SignInReply signInReply) {
        String base = "/v1/workspace/{ws}/members";
        router.get(base, "workspace", ex -> members.list(ex.caller(), ex.path("ws")));
        router.post(base, "workspace", ex -> {
            JsonInput body = ex.body();
            return Reply.created(members.invite(ex.caller(), ex.path("ws"), body.requiredString("email"), body.requiredString("role"),
                    TokenRoutes.scopeRequest(body.optionalObject("scope")), ex.baseUrl(configuredPublicUrl)));
        });
        router.put(base + "/{userId}", "workspace", ex -> {
            JsonInput body = ex.body();
            return members.update(ex.caller(), ex.path("ws"), ex.path("userId"), body.optionalString("role", null),
                    TokenRoutes.scopeRequest(body.optionalObject("scope")));
        });
        router.delete(base + "/{userId}", "workspace", ex -> {
            members.remove(ex.caller(), ex.path("ws"), ex.path("userId"));
            return Reply.noContent();
        });
        router.delete("/v1/workspace/{ws}/invites/{id}", "workspace", ex -> {
            members.revokeInvite(ex.caller(), ex.path("ws"), ex.path("id"));
            return Reply.noContent();
        });
        router.publicRoute("POST", "/v1/invites/{token}/accept", "workspace", ex -> {
            JsonInput body = ex.body();
            return signInReply.reply(ex, members.accept(ex.path("token"), body.optionalString("name", null), body.optionalString("password", null)));
        });
        router.publicRoute("POST", "/v1/invites/{token}/decline", "workspace", ex -> {
            members.decline(ex.path("token"));
            return new Status("declined");
        });
    }
}
