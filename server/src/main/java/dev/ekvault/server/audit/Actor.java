package dev.ekvault.server.audit;

/**
 * Who is acting on this thread, for the audit entries the request's writes produce: the person, the credential
 * (id and kind), the client address (after trusted proxies) and the request id. The gateway sets it for the length of
 * a request; a command-line command sets its own; a sign-in names the person it has just proved, for the rest of its
 * request (people/SessionService). Nothing else reads it.
 */
public record Actor(String userId, String credentialId, String credentialKind, String clientAddress, String requestId) {
    private static final ThreadLocal<Actor> CURRENT = new ThreadLocal<>();
    /** Work done with no request around it (a background job). */
    public static final Actor SYSTEM = new Actor(null, null, "system", null, null);

    /** The actor of this thread, or {@link #SYSTEM}. */
    public static Actor current() {
        Actor actor = CURRENT.get();
        return actor == null ? SYSTEM : actor;
    }

    /** Sets this thread's actor until {@link #clear}; the gateway calls it once the caller is known. */
    public static void set(Actor actor) {
        CURRENT.set(actor);
    }

    public static void clear() {
        CURRENT.remove();
    }
}
