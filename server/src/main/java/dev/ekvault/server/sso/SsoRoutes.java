package dev.ekvault.server.sso;

import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.http.RequestContext;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.wire.SessionCookie;

import java.util.logging.Logger;

/**
 * {@code GET /v1/auth/sso/start} and {@code GET /v1/auth/sso/callback}: public, browser-facing, answered with
 * redirects. Every refusal is logged with its reason (never a code, token or secret) and answered with the one fixed
 * message of its status; both routes answer 404 while single sign-on is not configured.
 */
public final class SsoRoutes {
    private static final Logger LOG = Logger.getLogger(SsoRoutes.class.getName());
    static final String STATE_COOKIE = "ek_sso";
    static final String COOKIE_PATH = "/v1/auth/sso";
    static final String BAD_REQUEST = "single sign-on could not be completed; start again";
    static final String FORBIDDEN = "you cannot sign in here yet: ask an admin for an invitation";
    static final String UNAVAILABLE = "the identity provider cannot be reached; try again later";

    private SsoRoutes() {}

    public static void register(Router router, SsoService sso, String configuredPublicUrl, long sessionMaxAgeSeconds) {
        boolean secure = configuredPublicUrl.startsWith("https://");
        router.publicRoute("GET", "/v1/auth/sso/start", "auth", ex -> {
            if (!sso.enabled()) throw ApiException.notFound("single sign-on");
            SsoService.Started started;
            try {
                started = sso.start(ex.query("workspace"), ex.query("return"), ex.baseUrl(configuredPublicUrl));
            } catch (SsoFailure e) {
                throw refused(ex, e);
            }
            // SameSite=Lax, not Strict: the cookie must come back on the provider's top-level redirect to the callback
            ex.responseHeaders().add("Set-Cookie", STATE_COOKIE + "=" + started.stateCookie() + "; Path=" + COOKIE_PATH + "; HttpOnly; SameSite=Lax; Max-Age="
                    + SsoService.STATE_LIFETIME.toSeconds() + (secure ? "; Secure" : ""));
            return redirect(ex, 302, started.location());
        });
        router.publicRoute("GET", "/v1/auth/sso/callback", "auth", ex -> {
            if (!sso.enabled()) throw ApiException.notFound("single sign-on");
            // the state is single-use whatever happens next: cleared on success and on every refusal alike
            ex.responseHeaders().add("Set-Cookie", STATE_COOKIE + "=; Path=" + COOKIE_PATH + "; HttpOnly; SameSite=Lax; Max-Age=0" + (secure ? "; Secure" : ""));
            ex.responseHeaders().put("Referrer-Policy", "no-referrer"); // the URL holds the code
            SsoService.Completed done;
            try {
                done = sso.complete(ex.query("code"), ex.query("state"), ex.query("error"), ex.query("iss"), cookie(ex.header("Cookie"), STATE_COOKIE));
            } catch (SsoFailure e) {
                // a browser arrives here from the provider: back to the sign-in page, which says what went wrong
                LOG.warning("request " + ex.requestId() + ": single sign-on refused: " + e.getMessage());
                return redirect(ex, 303, "/sign-in?sso=" + refusalCode(e.kind));
            }
            ex.responseHeaders().add("Set-Cookie", SessionCookie.set(done.signedIn().token(), secure, sessionMaxAgeSeconds));
            return redirect(ex, 303, done.returnPath());
        });
    }

    private static Reply redirect(RequestContext ex, int status, String location) {
        ex.responseHeaders().put("Location", location);
        ex.responseHeaders().put("Cache-Control", "no-store");
        return new Reply(status, null);
    }

    /**
     * What the sign-in page is told when the callback refuses: {@code failed} (start again), {@code refused} (the
     * provider's answer did not prove who it is), {@code not-invited}, {@code unavailable}. Nothing more: the reason
     * is in the server log, under the request id.
     */
    static String refusalCode(SsoFailure.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> "failed";
            case UNAUTHORIZED -> "refused";
            case FORBIDDEN -> "not-invited";
            case UNAVAILABLE -> "unavailable";
        };
    }

    private static ApiException refused(RequestContext ex, SsoFailure e) {
        LOG.warning("request " + ex.requestId() + ": single sign-on refused: " + e.getMessage());
        return switch (e.kind) {
            case BAD_REQUEST -> ApiException.badRequest(BAD_REQUEST);
            case UNAUTHORIZED -> ApiException.unauthorized();
            case FORBIDDEN -> ApiException.forbidden(FORBIDDEN);
            case UNAVAILABLE -> new ApiException(ErrorCode.UNAVAILABLE, UNAVAILABLE);
        };
    }

    /** One cookie's value from a {@code Cookie} header, or null. */
    static String cookie(String header, String name) {
        if (header == null) return null;
        for (String pair : header.split(";")) {
            String p = pair.strip();
            if (p.startsWith(name + "=")) return p.substring(name.length() + 1);
        }
        return null;
    }
}
