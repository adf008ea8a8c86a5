package dev.ekvault.server.auth;

import dev.ekvault.server.access.Permission;
import dev.ekvault.server.http.ApiException;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.token.Credential;
import dev.ekvault.server.token.CredentialStore;
import dev.ekvault.server.token.TokenFormat;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.time.Clock;
import java.util.Locale;

/**
 * Turns an {@code Authorization} header into a {@link Caller}, or a 401 with one fixed message whatever went
 * wrong. Malformed input is refused before any hashing or lookup. The caller's rights are the credential's
 * intersected with its creator's current membership: a removed creator stops every credential they made.
 */
public final class Authentication {
    private final Database database;
    private final CredentialStore credentials;
    private final WorkspaceStore workspaces;
    private final Clock clock;

    public Authentication(Database database, CredentialStore credentials, WorkspaceStore workspaces, Clock clock) {
        this.database = database;
        this.credentials = credentials;
        this.workspaces = workspaces;
        this.clock = clock;
    }

    public Caller authenticate(String authorizationHeader) {
        String token = bearer(authorizationHeader);
        if (!TokenFormat.isWellFormed(token)) throw ApiException.unauthorized();
        String hash = TokenFormat.hash(token);
        Caller caller = database.read(c -> {
            Credential credential = credentials.findByTokenHash(c, hash);
            if (credential == null || !credential.isLiveAt(clock.millis())) return null;
            WorkspaceStore.Member member = workspaces.findMember(c, credential.workspaceId(), credential.createdBy());
            if (member == null) return null;
            Permission permission = credential.permission().and(member.role().ceiling);
            return new Caller(credential.workspaceId(), credential.createdBy(), credential.id(), member.role(), permission,
                    credential.scope().intersect(member.scope()), credential.kind() == Credential.Kind.CLI);
        });
        if (caller == null) throw ApiException.unauthorized();
        return caller;
    }

    /** The credential of a {@code Bearer} header, or null. The scheme name is case-insensitive (RFC 7235). */
    static String bearer(String header) {
        if (header == null || header.length() < 7 || !header.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) return null;
        return header.substring(7).strip();
    }
}
