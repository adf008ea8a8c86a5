package dev.ekvault.server.access;

import dev.ekvault.server.wire.ApiException;

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
 *       node. A dashboard session binds the short-lived sign-in credentials it makes (CLI tokens, and the
 *       {@code ek login}s it approves: a stolen session cannot leave a login behind that outlives its revocation), but
 *       it is also the person at the keyboard: the API tokens and workload identities a person creates there are
 *       theirs, bounded by their membership, and outlive the sign-in (the Credentials page exists to make six-month
 *       tokens).</li>
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
        // rotation mints an API token: a credential that would bind that token may not hand out a longer-lived one
        if (binds(caller.credential(), Credential.Kind.STATIC) && outlives(target.expiresAt(), caller.credential().expiresAt())) {
            throw ApiException.forbidden("this token lives longer than the credential you are using; rotate it with a longer-lived one");
        }
    }

    /** The parent a credential of this kind minted by this caller is bound to, or null when it is the person's own. */
    public static String parentFor(Caller caller, Credential.Kind child) {
        return binds(caller.credential(), child) ? caller.credentialId() : null;
    }

    /**
     * Whether {@code parent} binds a credential of kind {@code child} it mints: always, except a dashboard session
     * minting an API token or a workload identity (the person's own, see the class comment).
     */
    public static boolean binds(Credential parent, Credential.Kind child) {
        return parent.kind() != Credential.Kind.SESSION || child == Credential.Kind.CLI || child == Credential.Kind.DEVICE_LOGIN;
    }

    /** The expiry of a credential {@code parent} mints: what was asked for, but no later than a binding parent's own. */
    public static Long boundExpiry(Credential parent, Credential.Kind child, Long requested) {
        if (!binds(parent, child) || parent.expiresAt() == null) return requested;
        return requested == null ? parent.expiresAt() : Math.min(requested, parent.expiresAt());
    }

    /** Refuses minting through a chain already {@link #MAX_MINT_DEPTH} deep. */
    public static void requireDepth(Caller caller, List<String> callerLineage) {
        if (callerLineage.size() >= MAX_MINT_DEPTH) {
            throw ApiException.forbidden("credentials minted through credentials nest at most " + MAX_MINT_DEPTH + " deep; use the dashboard");
        }
    }

    /** The expiry of a credential of this kind the caller mints (see {@link #boundExpiry(Credential, Credential.Kind, Long)}). */
    public static Long boundExpiry(Caller caller, Credential.Kind child, Long requested) {
        return boundExpiry(caller.credential(), child, requested);
    }

    private static boolean outlives(Long expiresAt, Long boundAt) {
        if (boundAt == null) return false;
        return expiresAt == null || expiresAt > boundAt;
    }
}
