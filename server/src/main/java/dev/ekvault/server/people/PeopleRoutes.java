package dev.ekvault.server.people;

import dev.ekvault.api.Me;
import dev.ekvault.server.http.RequestContext;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.wire.SessionCookie;
import dev.ekvault.server.wire.WireTime;

/** Sign-in, sign-up, sign-out and the person's own routes ({@code /v1/me}). */
public final class PeopleRoutes {
    private PeopleRoutes() {}

    public static void register(Router router, SessionService sessions, boolean secureCookies, java.time.Duration sessionLifetime,
                                dev.ekvault.server.config.Config.Sso sso) {
        long maxAge = sessionLifetime.toSeconds();
        router.publicRoute("GET", "/v1/auth/options", "auth", ex -> sessions.options(sso));
        router.publicRoute("POST", "/v1/auth/login", "auth", ex -> {
            JsonInput body = ex.body();
            SessionService.SignedIn in = sessions.signIn(body.requiredString("email"), body.requiredString("password"),
                    body.optionalString("workspace", null));
            return signedIn(ex, in, secureCookies, maxAge, 200);
        });
        router.publicRoute("POST", "/v1/auth/signup", "auth", ex -> {
            JsonInput body = ex.body();
            SessionService.SignedIn in = sessions.signUp(body.requiredString("email"), body.requiredString("password"),
                    body.optionalString("name", null), body.optionalString("workspace", null));
            return signedIn(ex, in, secureCookies, maxAge, 201);
        });
        router.post("/v1/auth/logout", "auth", ex -> {
            sessions.signOut(ex.caller());
            ex.responseHeaders().add("Set-Cookie", SessionCookie.clear(secureCookies));
            return Reply.noContent();
        });
        router.post("/v1/auth/cli/logout", "auth", ex -> {
            sessions.signOut(ex.caller());
            return Reply.noContent();
        });
        router.get("/v1/me", "me", ex -> {
            Me me = sessions.me(ex.caller());
            // a dashboard that signed in by SSO (a redirect, no JSON answer) or was reloaded learns its CSRF token here;
            // no other site can read this answer (no CORS) nor send the SameSite=Strict cookie
            String session = ex.cookie(SessionCookie.NAME);
            if (ex.caller().kind() == dev.ekvault.server.access.Credential.Kind.SESSION && session != null) {
                return new Me(me.id(), me.email(), me.name(), SessionCookie.csrfToken(session));
            }
            return me;
        });
        router.get("/v1/me/sessions", "me", ex -> sessions.sessions(ex.caller()));
        router.delete("/v1/me/sessions/{id}", "me", ex -> {
            sessions.revokeSession(ex.caller(), ex.path("id"));
            return Reply.noContent();
        });
        router.put("/v1/me/password", "me", ex -> {
            JsonInput body = ex.body();
            sessions.changePassword(ex.caller(), body.requiredString("currentPassword"), body.requiredString("newPassword"));
            return Reply.noContent();
        });
        router.get("/v1/me/preferences", "me", ex -> sessions.preferences(ex.caller()));
        router.put("/v1/me/preferences", "me", ex -> sessions.savePreferences(ex.caller(), ex.body().node()));
    }

    /**
     * The session goes into an HttpOnly, SameSite=Strict cookie (script cannot read it, other sites cannot send it);
     * the body carries who signed in and the CSRF token the dashboard must echo in X-CSRF-Token on every change.
     */
    public static Reply signedIn(RequestContext ex, SessionService.SignedIn in, boolean secureCookies, long maxAge, int status) {
        ex.responseHeaders().add("Set-Cookie", SessionCookie.set(in.token(), secureCookies, maxAge));
        return new Reply(status, new dev.ekvault.api.SignedIn(in.userId(), in.email(), in.name(), in.csrfToken(),
                WireTime.format(in.expiresAt())));
    }

}
