package dev.ekvault.server.people;

import dev.ekvault.api.Me;
import dev.ekvault.server.http.ApiHandler;
import dev.ekvault.server.http.Exchange;
import dev.ekvault.server.http.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.http.WireTime;

/** Sign-in, sign-up, sign-out and the person's own routes ({@code /v1/me}). */
public final class PeopleRoutes {
    private PeopleRoutes() {}

    public static void register(Router router, SessionService sessions, boolean secureCookies, java.time.Duration sessionLifetime) {
        long maxAge = sessionLifetime.toSeconds();
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
            ex.responseHeaders().add("Set-Cookie", ApiHandler.SESSION_COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
                    + (secureCookies ? "; Secure" : ""));
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
            String session = ex.cookie(ApiHandler.SESSION_COOKIE);
            if (ex.caller().kind() == dev.ekvault.server.token.Credential.Kind.SESSION && session != null) {
                return new Me(me.id(), me.email(), me.name(), dev.ekvault.server.auth.Authentication.csrfToken(session));
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
    public static Reply signedIn(Exchange ex, SessionService.SignedIn in, boolean secureCookies, long maxAge, int status) {
        ex.responseHeaders().add("Set-Cookie", sessionCookie(in, secureCookies, maxAge));
        return new Reply(status, new dev.ekvault.api.SignedIn(in.userId(), in.email(), in.name(), in.csrfToken(),
                WireTime.format(in.expiresAt())));
    }

    /** The {@code Set-Cookie} value that carries a session (also set by single sign-on's redirect). */
    public static String sessionCookie(SessionService.SignedIn in, boolean secureCookies, long maxAge) {
        return ApiHandler.SESSION_COOKIE + "=" + in.token() + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + maxAge
                + (secureCookies ? "; Secure" : "");
    }
}
