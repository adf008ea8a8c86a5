package dev.ekvault.server.token;

import dev.ekvault.server.auth.Caller;
import dev.ekvault.server.http.ApiException;

import java.util.List;

/**
 * The one rule for managing credentials, used by every route that creates, lists, rotates, revokes or changes one
 * (API tokens, CLI tokens, the credentials table, workload identities). A caller's rights here are its
 * <em>effective</em> ones: the credential's permission and scope intersected with its person's current role and scope.
 *
 * <ul>
 *   <li><b>Who may manage at all</b>: a person (dashboard session or {@code ek login}), or a read-write API token. CLI
 *       tokens and workload identities never: revoking them would not end the access they handed on, and a stolen
 *       one could renew itself forever.</li>
 *   <li><b>See and revoke</b>: credentials whose permission and scope lie within the caller's effective rights, and
 *       that the caller's person created unless that person is an admin. Nothing else is listed: a credential the
 *       caller may not manage is 404, as if it did not exist.</li>
 *   <li><b>Rotate</b>: as for revoke, and only the person who created the credential, through another credential (never
 *       itself nor one it was minted through) that lives at least as long as the credential rotated. The new value keeps
 *       the old expiry: rotation never extends a lifetime.</li>
 *   <li><b>What dies with what</b>: a credential minted through another credential (an API token, a CLI token or an
 *       {@code ek login} sign-in) is bound to it: it expires no later than its parent and is revoked with it, on every
 *       node. A dashboard session is the person at the keyboard: what a person creates there is theirs, bounded by
 *       their membership, and outlives the sign-in (the Credentials page exists to make six-month tokens).</li>
 * </ul>
 */
public final class CredentialAuthority {
    /** How deep credentials may be minted through credentials (a token made by a token made by a token …). */
    public static final int MAX_MINT_DEPTH = 4;

    private CredentialAuthority() {}

    /** Refuses callers that may not create or manage credentials at all. */
    public static void requireMayManage(Caller caller) {
        if (caller.kind() == Credential.Kind.CLI) throw ApiException.forbidden("a CLI token cannot create or manage credentials");
        if (caller.kind() == Credential.Kind.OIDC) throw ApiException.forbidden("a workload identity cannot create or manage credentials");
        // a person may act up to their role (a member: read-only credentials); an API token must be read-write
        if (!caller.kind().isSignIn()) caller.requireWrite();
    }

    /** Whether the caller may see and revoke this credential: the list filter and the 404 of every single-credential route. */
    public static boolean mayManage(Caller caller, Credential target) {
        if (!caller.isAdmin() && !target.createdBy().equals(caller.userId())) return false;
        if (target.permission().allowsWrite() && !caller.permission().allowsWrite()) return false;
        return target.scope().within(caller.scope());
    }

    /**
     * Refuses a rotation the caller may not make; the target already passed {@link #mayManage}.
     *
     * @param callerLineage the caller's credential and every credential it was minted through (see {@link CredentialStore#lineage})
     */
    public static void requireMayRotate(Caller caller, Credential target, List<String> callerLineage) {
        if (!target.createdBy().equals(caller.userId())) throw ApiException.forbidden("only the person who created this token may rotate it");
        if (target.id().equals(caller.credentialId())) {
            throw ApiException.forbidden("a token cannot rotate itself; rotate it with another credential or from the dashboard");
        }
        if (callerLineage.contains(target.id())) throw ApiException.forbidden("a credential cannot rotate the credential it was created with");
        if (bindsChildren(caller) && outlives(target.expiresAt(), caller.credential().expiresAt())) {
            throw ApiException.forbidden("this token lives longer than the credential you are using; rotate it with a longer-lived one");
        }
    }

    /** The parent a credential minted by this caller is bound to, or null when the caller is a person in the dashboard. */
    public static String parentFor(Caller caller) {
        return bindsChildren(caller) ? caller.credentialId() : null;
    }

    /** Refuses minting through a chain already {@link #MAX_MINT_DEPTH} deep. */
    public static void requireDepth(Caller caller, List<String> callerLineage) {
        if (bindsChildren(caller) && callerLineage.size() >= MAX_MINT_DEPTH) {
            throw ApiException.forbidden("credentials minted through credentials nest at most " + MAX_MINT_DEPTH + " deep; use the dashboard");
        }
    }

    /** The expiry of a credential the caller mints: what was asked for, but no later than the caller's own credential. */
    public static Long boundExpiry(Caller caller, Long requested) {
        if (!bindsChildren(caller)) return requested;
        Long parent = caller.credential().expiresAt();
        if (parent == null) return requested;
        return requested == null ? parent : Math.min(requested, parent);
    }

    private static boolean bindsChildren(Caller caller) {
        return caller.kind() != Credential.Kind.SESSION;
    }

    private static boolean outlives(Long expiresAt, Long boundAt) {
        if (boundAt == null) return false;
        return expiresAt == null || expiresAt > boundAt;
    }
}
