package dev.ekvault.server.workload;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.ekvault.api.ErrorCode;
import dev.ekvault.api.OidcIdentity;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.auth.AccessSnapshot;
import dev.ekvault.server.auth.Authentication;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.Refusal;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.CredentialAuthority;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.access.CredentialUsage;
import dev.ekvault.server.workspace.ScopeResolver;
import dev.ekvault.server.workspace.WorkspaceService;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Kubernetes workload identities: their management (admins only) and the exchange of a cluster's service-account
 * token for the identity it proves.
 *
 * <p>An identity is a credential (kind {@code oidc}, no token of its own) plus an {@code oidc_identity} row, so the
 * rules of every credential hold unchanged: it never exceeds its creator when made or changed, every request
 * intersects it with the creator's current membership, the JWTs exchanged for it carry its credential id, and
 * deleting it revokes that credential, which every node learns through the change feed.
 */
public final class WorkloadIdentityService {
    private static final Logger LOG = Logger.getLogger(WorkloadIdentityService.class.getName());

    /**
     * An identity's settings as a request gives them; null fields are left as they are by an update. {@code jwks} is
     * the pasted key set, {@code clearJwks} an explicit {@code "jwks": null} (back to discovery).
     */
    public record Settings(String name, String issuer, String audience, String subject, String permission,
                           ScopeResolver.Request scope, JsonNode jwks, boolean clearJwks) {}

    private record Candidate(Credential credential, WorkloadIdentityStore.Row row) {}

    private final Database database;
    private final WorkloadIdentityStore store;
    private final CredentialStore credentials;
    private final CredentialUsage usage;
    private final WorkspaceService workspaces;
    private final WorkspaceStore workspaceStore;
    private final ScopeResolver scopes;
    private final Authentication authentication;
    private final AccessSnapshot snapshot;
    private final IssuerKeys issuerKeys;
    private final Config.Oidc config;
    private final ObjectMapper json;
    private final Clock clock;

    public WorkloadIdentityService(Database database, WorkloadIdentityStore store, CredentialStore credentials, CredentialUsage usage,
                       WorkspaceService workspaces, WorkspaceStore workspaceStore, ScopeResolver scopes, Authentication authentication,
                       AccessSnapshot snapshot, IssuerKeys issuerKeys, Config.Oidc config, ObjectMapper json, Clock clock) {
        this.database = database;
        this.store = store;
        this.credentials = credentials;
        this.usage = usage;
        this.workspaces = workspaces;
        this.workspaceStore = workspaceStore;
        this.scopes = scopes;
        this.authentication = authentication;
        this.snapshot = snapshot;
        this.issuerKeys = issuerKeys;
        this.config = config;
        this.json = json;
        this.clock = clock;
    }

    public OidcIdentity create(Caller caller, String workspaceRef, Settings settings) {
        CredentialAuthority.requireMayManage(caller);
        caller.requireAdminWrite();
        String name = FieldRules.name(settings.name(), "name");
        String issuer = WorkloadIdentityRules.issuer(settings.issuer(), config.allowHttpIssuers());
        String audience = WorkloadIdentityRules.audience(settings.audience());
        String subject = WorkloadIdentityRules.subject(settings.subject());
        Permission permission = permission(settings.permission());
        String jwks = settings.jwks() == null ? null : WorkloadIdentityRules.jwks(settings.jwks());
        OidcIdentity created = database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            Scope scope = withinCaller(c, caller, ws.id(), permission, settings.scope(), null);
            CredentialAuthority.requireDepth(caller, credentials.lineage(c, caller.credentialId()));
            long now = clock.millis();
            // an identity has no expiry of its own, but one made through an API token or `ek login` ends with it
            Credential credential = new Credential(FieldRules.newId(), ws.id(), Credential.Kind.OIDC, name, null, permission, scope, false,
                    caller.userId(), now, CredentialAuthority.boundExpiry(caller, Credential.Kind.OIDC, null), null, null,
                    CredentialAuthority.parentFor(caller, Credential.Kind.OIDC));
            credentials.insert(c, credential, null, null);
            WorkloadIdentityStore.Row row = new WorkloadIdentityStore.Row(credential.id(), ws.id(), issuer, audience, subject, jwks, now, now);
            store.insert(c, row);
            return view(credential, row);
        });
        return created;
    }

    /** The workspace's identities the caller may manage (deleted ones are gone), newest first. */
    public List<OidcIdentity> list(Caller caller, String workspaceRef) {
        if (!caller.isAdmin()) throw ApiException.forbidden("only workspace admins may do this");
        CredentialAuthority.requireMayManage(caller);
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            Map<String, WorkloadIdentityStore.Row> rows = new HashMap<>();
            for (WorkloadIdentityStore.Row row : store.listByWorkspace(c, ws.id())) rows.put(row.credentialId(), row);
            List<OidcIdentity> result = new ArrayList<>();
            for (CredentialStore.Stored stored : credentials.listByWorkspace(c, ws.id())) {
                Credential k = stored.credential();
                WorkloadIdentityStore.Row row = rows.get(k.id());
                if (k.kind() == Credential.Kind.OIDC && k.revokedAt() == null && row != null && CredentialAuthority.mayManage(caller, k)) {
                    result.add(view(k, row));
                }
            }
            return result;
        });
    }

    /**
     * Changes the given settings and keeps the id. The result must lie within the caller, as at creation; the new
     * rights apply at once to the JWTs already exchanged (they are read from the credential on every request).
     */
    public OidcIdentity update(Caller caller, String workspaceRef, String id, Settings settings) {
        CredentialAuthority.requireMayManage(caller);
        caller.requireAdminWrite();
        String name = settings.name() == null ? null : FieldRules.name(settings.name(), "name");
        String issuer = settings.issuer() == null ? null : WorkloadIdentityRules.issuer(settings.issuer(), config.allowHttpIssuers());
        String audience = settings.audience() == null ? null : WorkloadIdentityRules.audience(settings.audience());
        String subject = settings.subject() == null ? null : WorkloadIdentityRules.subject(settings.subject());
        Permission permission = settings.permission() == null ? null : permission(settings.permission());
        String jwks = settings.jwks() == null ? null : WorkloadIdentityRules.jwks(settings.jwks());
        OidcIdentity updated = database.write(c -> {
            Candidate old = live(c, caller, workspaceRef, id);
            Credential k = old.credential();
            Permission newPermission = permission == null ? k.permission() : permission;
            Scope scope = withinCaller(c, caller, k.workspaceId(), newPermission, settings.scope(), k.scope());
            long now = clock.millis();
            Credential changed = new Credential(k.id(), k.workspaceId(), k.kind(), name == null ? k.name() : name, null, newPermission, scope,
                    false, k.createdBy(), k.createdAt(), k.expiresAt(), k.lastUsedAt(), null, k.parentId());
            WorkloadIdentityStore.Row r = old.row();
            WorkloadIdentityStore.Row row = new WorkloadIdentityStore.Row(r.credentialId(), r.workspaceId(), issuer == null ? r.issuer() : issuer,
                    audience == null ? r.audience() : audience, subject == null ? r.subject() : subject,
                    settings.clearJwks() ? null : jwks == null ? r.jwks() : jwks, r.createdAt(), now);
            credentials.updateSettings(c, k.id(), changed.name(), changed.permission(), changed.scope());
            store.update(c, row);
            return view(changed, row);
        });
        return updated;
    }

    /** Revokes the identity's credential: its JWTs stop on every node within the change-feed interval. Idempotent. */
    public void delete(Caller caller, String workspaceRef, String id) {
        CredentialAuthority.requireMayManage(caller); // identities are managed by people, not by the workloads they admit
        caller.requireAdminWrite();
        database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            CredentialStore.Stored stored = credentials.findById(c, id);
            if (stored == null || stored.credential().kind() != Credential.Kind.OIDC || !stored.credential().workspaceId().equals(ws.id())
                    || !CredentialAuthority.mayManage(caller, stored.credential())) {
                throw ApiException.notFound("identity");
            }
            credentials.revoke(c, ws.id(), id, clock.millis(), null);
            return null;
        });
    }

    /**
     * The caller a cluster token proves in a workspace (slug or id), or a 401 whose reason goes only to the log.
     *
     * <p>The token's unverified {@code iss}, {@code aud} and {@code sub} only pick the candidate identities, and with
     * them whose keys to check the signature with; an identity is accepted only once the signature verifies with its
     * issuer's keys and every claim holds. Among several, an exact subject beats a namespace wildcard, then the
     * newest wins.
     *
     * @throws IssuerKeys.Unavailable when the keys of a matching identity's issuer cannot be fetched (a 503)
     */
    public Caller exchange(String workspaceRef, String token) throws IssuerKeys.Unavailable {
        try {
            return admit(workspaceRef, token);
        } catch (ClusterToken.Refused refused) {
            LOG.info("OIDC exchange refused: " + refused.getMessage());
            throw ApiException.unauthorized(refused.refusal);
        }
    }

    private Caller admit(String workspaceRef, String token) throws ClusterToken.Refused, IssuerKeys.Unavailable {
        ClusterToken t = ClusterToken.parse(token);
        List<Candidate> candidates = database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaceStore.find(c, workspaceRef);
            if (ws == null) return null;
            List<Candidate> found = new ArrayList<>();
            for (WorkloadIdentityStore.Row row : store.liveByIssuer(c, ws.id(), t.issuer())) {
                CredentialStore.Stored stored = credentials.findById(c, row.credentialId());
                if (stored != null) found.add(new Candidate(stored.credential(), row));
            }
            return found;
        });
        if (candidates == null) throw new ClusterToken.Refused("no workspace " + WorkloadIdentityRules.forLog(workspaceRef), Refusal.UNKNOWN);
        long now = clock.millis();
        List<Candidate> matching = candidates.stream()
                .filter(c -> c.credential().isLiveAt(now) && t.audienceHolds(c.row().audience()) && WorkloadIdentityRules.subjectMatches(c.row().subject(), t.subject()))
                .sorted(Comparator.comparing((Candidate c) -> WorkloadIdentityRules.isWildcard(c.row().subject()))
                        .thenComparing(c -> -c.credential().createdAt())
                        .thenComparing(c -> c.credential().id()))
                .toList();
        String what = "iss " + WorkloadIdentityRules.forLog(t.issuer()) + ", sub " + WorkloadIdentityRules.forLog(t.subject()) + ", kid " + WorkloadIdentityRules.forLog(t.kid());
        if (matching.isEmpty()) throw new ClusterToken.Refused("no identity of the workspace matches the token's iss, aud and sub (" + what + ")", Refusal.UNKNOWN);
        IssuerKeys.Unavailable unavailable = null;
        String reason = null;
        Refusal refusal = Refusal.UNKNOWN;
        for (Candidate candidate : matching) {
            JWK key;
            try {
                key = key(candidate.row(), t.kid());
            } catch (IssuerKeys.Unavailable e) {
                unavailable = e;
                continue;
            }
            if (key == null) {
                reason = "the issuer has no key " + WorkloadIdentityRules.forLog(t.kid()) + " (" + what + ")";
                refusal = Refusal.UNKNOWN;
            } else if (!t.verifiedBy(key)) {
                reason = "the " + t.algorithm() + " signature does not verify with key " + WorkloadIdentityRules.forLog(t.kid()) + " (" + what + ")";
                refusal = Refusal.BAD_SIGNATURE;
            } else {
                // signed by the issuer: from here on the claims are the issuer's word
                try {
                    t.checkClaims(now, config.clockSkew().toMillis(), config.maxTokenAge().toMillis());
                } catch (ClusterToken.Refused refused) {
                    throw new ClusterToken.Refused(refused.getMessage() + " (" + what + ")", refused.refusal);
                }
                Caller caller;
                try {
                    caller = authentication.caller(candidate.credential());
                } catch (ApiException e) {
                    if (e.code == ErrorCode.UNAVAILABLE) throw e; // this node cannot tell right now: 503, not a refusal
                    throw new ClusterToken.Refused("the creator of identity " + candidate.credential().id() + " is no longer a member",
                            Refusal.NOT_A_MEMBER);
                }
                // an identity registered on another node a moment ago: load it now, so its JWT works here at once
                if (snapshot.credentialById(caller.credentialId()) == null) snapshot.reloadCredential(caller.credentialId());
                LOG.info("OIDC exchange for identity " + candidate.credential().id() + " (" + what + ")");
                return caller;
            }
        }
        if (unavailable != null) {
            LOG.info("OIDC exchange answered 503: the issuer's keys cannot be fetched (" + what + ")");
            throw unavailable;
        }
        throw new ClusterToken.Refused(reason, refusal);
    }

    /** The pasted key set if the identity has one (never fetched), else the issuer's published keys. */
    private JWK key(WorkloadIdentityStore.Row row, String kid) throws IssuerKeys.Unavailable {
        if (row.jwks() == null) return issuerKeys.key(row.issuer(), kid);
        try {
            return JWKSet.parse(row.jwks()).getKeyByKeyId(kid);
        } catch (ParseException e) {
            throw new IllegalStateException("the stored JWKS of identity " + row.credentialId() + " does not parse", e);
        }
    }

    private static Permission permission(String text) {
        Permission permission = Permission.fromWire(text);
        if (permission == null) throw ApiException.badRequest("field 'permission' must be 'read' or 'read-write'");
        return permission;
    }

    /** The requested scope (or {@code current} when none is asked for), refused with 403 if beyond the caller. */
    private Scope withinCaller(Connection c, Caller caller, String workspaceId, Permission permission, ScopeResolver.Request request,
                               Scope current) throws SQLException {
        if (permission.allowsWrite() && !caller.permission().allowsWrite()) {
            throw ApiException.forbidden("field 'permission': you can create only read credentials");
        }
        Scope scope = request == null && current != null ? current : scopes.resolve(c, caller, workspaceId, request);
        if (!scope.within(caller.scope())) throw ApiException.forbidden("field 'scope' reaches beyond your own access");
        return scope;
    }

    private Candidate live(Connection c, Caller caller, String workspaceRef, String id) throws SQLException {
        WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
        CredentialStore.Stored stored = credentials.findById(c, id);
        WorkloadIdentityStore.Row row = stored == null ? null : store.find(c, id);
        if (row == null || stored.credential().kind() != Credential.Kind.OIDC || !stored.credential().workspaceId().equals(ws.id())
                || stored.credential().revokedAt() != null || !CredentialAuthority.mayManage(caller, stored.credential())) {
            throw ApiException.notFound("identity");
        }
        return new Candidate(stored.credential(), row);
    }

    private OidcIdentity view(Credential k, WorkloadIdentityStore.Row row) {
        Map<String, Object> jwks = null;
        if (row.jwks() != null) {
            try {
                jwks = json.readValue(row.jwks(), new TypeReference<Map<String, Object>>() {});
            } catch (java.io.IOException e) {
                throw new IllegalStateException("the stored JWKS of identity " + row.credentialId() + " does not parse", e);
            }
        }
        return new OidcIdentity(k.id(), k.name(), row.issuer(), row.audience(), row.subject(), k.permission().wire, ScopeResolver.wire(k.scope()),
                jwks, k.createdBy(), WireTime.format(k.createdAt()), WireTime.format(row.updatedAt()),
                WireTime.formatNullable(usage.lastUsed(k.id(), k.lastUsedAt())));
    }
}
