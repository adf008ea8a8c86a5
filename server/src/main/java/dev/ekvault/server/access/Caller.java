package dev.ekvault.server.access;

import dev.ekvault.server.wire.ApiException;

/**
 * Who is asking, with what they may do already narrowed: {@code permission} and {@code scope} are the
 * credential's intersected with the person's CURRENT role and scope, so nothing downstream has to remember to.
 * {@code credential} is the one the request came with (its lifetime and lineage bound what it may mint).
 */
public record Caller(String workspaceId, String userId, Credential credential, Role role, Permission permission, Scope scope) {

    public String credentialId() {
        return credential.id();
    }

    public Credential.Kind kind() {
        return credential.kind();
    }

    /**
     * Credentials that act as their person (CLI tokens, dashboard sessions, {@code ek login}) see that person's
     * overrides; static API tokens and workload identities see shared values only, so an override never reaches a
     * deployment.
     */
    public boolean seesPersonalValues() {
        return kind().actsAsPerson();
    }

    /** Refuses a write with 403 unless both the credential and the person's role allow writing. */
    public void requireWrite() {
        if (!permission.allowsWrite()) throw ApiException.forbidden("this credential is read-only");
    }

    /** Refuses with 403 unless the person is a workspace admin and the credential may write. */
    public void requireAdminWrite() {
        if (role != Role.ADMIN) throw ApiException.forbidden("only workspace admins may do this");
        requireWrite();
    }

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }
}
