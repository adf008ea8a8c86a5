package dev.ekvault.server.auth;

import dev.ekvault.server.access.Caller;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.BearerToken;
import dev.ekvault.server.wire.Refusal;
import dev.ekvault.server.wire.SessionCookie;
import dev.ekvault.server.jwt.InvalidJwtException;
import dev.ekvault.server.jwt.JwtVerifier;
import dev.ekvault.server.jwt.VerifiedJwt;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.CredentialUsage;
import dev.ekvault.server.access.TokenFormat;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.time.Clock;
import java.util.Locale;

/**
 * Turns an {@code Authorization} header into a {@link Caller}, or a 401 with one fixed message whatever went wrong,
 * with no database read in the steady state: credentials and memberships come from the {@link AccessSnapshot}.
 * Malformed input is refused before any hashing or lookup. The caller's rights are the credential's intersected with
 * its creator's current membership, so a demoted or removed creator shrinks or stops every credential they made.
 */
public final class Authentication {
    private final AccessSnapshot snapshot;
    private final CredentialUsage usage;
    private final JwtVerifier jwts;
    private final ChangeFeed feed;
    private final Clock clock;

    public Authentication(AccessSnapshot snapshot, ChangeFeed feed, CredentialUsage usage, JwtVerifier jwts, Clock clock) {
        this.snapshot = snapshot;
        this.feed = feed;
        this.usage = usage;
        this.jwts = jwts;
        this.clock = clock;
    }

    public Caller authenticate(String authorizationHeader) {
        String token = BearerToken.from(authorizationHeader);
        if (token == null) throw ApiException.unauthorized(authorizationHeader == null ? Refusal.MISSING : Refusal.MALFORMED);
        current();
        if (token.startsWith(TokenFormat.PREFIX) || token.startsWith(TokenFormat.SESSION_PREFIX)) return apiTokenCaller(token);
        return accessToken(token);
    }

    /**
     * Every public way in starts here: a node whose snapshot may be stale (its last change-feed poll began more than
     * one interval ago: paused, starved, or cut off from the database) catches up before it answers, or answers 503.
     * In the steady state this is a volatile read and a monotonic clock read (about 60 ns on the build machine).
     */
    private void current() {
        try {
            feed.ensureCurrent();
        } catch (ChangeFeed.Behind e) {
            throw ApiException.unavailable("this node cannot check credentials right now; retry", ChangeFeed.Behind.RETRY_AFTER_SECONDS);
        }
    }

    /**
     * A request with no Authorization header: the dashboard's session cookie. A cookie is sent by the browser on its
     * own, so a request that changes anything must also carry the session's CSRF token in {@code X-CSRF-Token},
     * which a page from another site cannot read.
     */
    public Caller sessionCookie(String sessionToken, boolean changesState, String csrfHeader) {
        if (sessionToken == null) throw ApiException.unauthorized(Refusal.MISSING);
        if (!sessionToken.startsWith(TokenFormat.SESSION_PREFIX)) throw ApiException.unauthorized(Refusal.MALFORMED);
        current();
        Caller caller = apiTokenCaller(sessionToken);
        if (caller.kind() != Credential.Kind.SESSION) throw ApiException.unauthorized(Refusal.MALFORMED);
        if (changesState && !SessionCookie.csrfMatches(sessionToken, csrfHeader)) {
            throw ApiException.forbidden("missing or wrong X-CSRF-Token header").because(Refusal.CSRF);
        }
        return caller;
    }

    /** Derived from the session token, so it needs no storage and dies with the session. */
    public static String csrfToken(String sessionToken) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(("ek/csrf/v1:" + sessionToken).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One of our JWTs: the signature is checked (or found in the verified-token cache), then the credential it was
     * exchanged from must still be live in the snapshot, so revoking or rotating a token stops its JWTs too.
     */
    private Caller accessToken(String token) {
        VerifiedJwt verified;
        try {
            verified = jwts.verify(token);
        } catch (InvalidJwtException e) {
            throw ApiException.unauthorized(e.refusal);
        }
        Credential credential = snapshot.credentialByIdReadingMisses(verified.credentialId());
        if (credential == null || !credential.workspaceId().equals(verified.workspaceId())
                || !credential.createdBy().equals(verified.userId())) {
            // a JWT that verified names a credential this node does not hold: deleted with its workspace, or never ours
            throw ApiException.unauthorized(Refusal.UNKNOWN);
        }
        return liveCaller(credential);
    }

    /** An {@code ek_live_} token, used directly or presented to the exchange. */
    public Caller apiToken(String token) {
        current();
        return apiTokenCaller(token);
    }

    private Caller apiTokenCaller(String token) {
        if (!TokenFormat.isWellFormed(token)) throw ApiException.unauthorized(Refusal.MALFORMED);
        return liveCaller(snapshot.credentialByTokenHash(TokenFormat.hash(token)));
    }

    /** The caller a live credential gives right now, or a 401. */
    public Caller caller(Credential credential) {
        current();
        return liveCaller(credential);
    }

    private Caller liveCaller(Credential credential) {
        long now = clock.millis();
        if (credential == null) throw ApiException.unauthorized(Refusal.UNKNOWN);
        if (!credential.isLiveAt(now)) throw ApiException.unauthorized(credential.revokedAt() != null ? Refusal.REVOKED : Refusal.EXPIRED);
        if (!lineageLive(credential, now)) throw ApiException.unauthorized(Refusal.REVOKED);
        WorkspaceStore.Member member = snapshot.member(credential.workspaceId(), credential.createdBy());
        if (member == null) throw ApiException.unauthorized(Refusal.NOT_A_MEMBER);
        usage.touch(credential.id(), now);
        Permission permission = credential.permission().and(member.role().ceiling);
        return new Caller(credential.workspaceId(), credential.createdBy(), credential, member.role(),
                permission, credential.scope().intersect(member.scope()));
    }

    /**
     * Every credential this one was minted through is live too. Revoking a parent revokes its children in the same
     * transaction; this check also covers a child committed in a race with that revocation, and a node that has seen the
     * parent's change row but not yet the children's. A parent this node has not loaded (created on another node a
     * moment ago) is read once; parents come from stored rows only, so a caller cannot make this read at will.
     */
    private boolean lineageLive(Credential credential, long now) {
        String parentId = credential.parentId();
        for (int depth = 0; parentId != null; depth++) {
            if (depth > dev.ekvault.server.access.CredentialAuthority.MAX_MINT_DEPTH) return false;
            Credential parent = snapshot.credentialByIdReadingMisses(parentId);
            if (parent == null || !parent.isLiveAt(now)) return false;
            parentId = parent.parentId();
        }
        return true;
    }

    /** The credential of a {@code Bearer} header, or null. The scheme name is case-insensitive (RFC 7235). */
}
