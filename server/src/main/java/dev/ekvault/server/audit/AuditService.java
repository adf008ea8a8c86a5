package dev.ekvault.server.audit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.api.AuditPage;
import dev.ekvault.api.AuditRecord;
import dev.ekvault.api.AuditVerification;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.StreamedBody;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.workspace.ProjectStore;
import dev.ekvault.server.workspace.WorkspaceService;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading the audit log: for workspace admins only, and a scoped admin sees only the entries of projects within
 * their scope (entries about the workspace as a whole need an unscoped admin).
 */
public final class AuditService {
    public static final int MAX_PAGE = 200;
    private static final TypeReference<Map<String, Object>> FIELDS = new TypeReference<>() {};

    private final Database database;
    private final AuditStore store;
    private final WorkspaceService workspaces;
    private final ProjectStore projects;
    private final ObjectMapper json;

    public AuditService(Database database, AuditStore store, WorkspaceService workspaces, ProjectStore projects, ObjectMapper json) {
        this.database = database;
        this.store = store;
        this.workspaces = workspaces;
        this.projects = projects;
        this.json = json;
    }

    public AuditPage page(Caller caller, String workspaceRef, AuditStore.Filter filter, Long before, int limit) {
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = admin(c, caller, workspaceRef);
            Visibility visible = new Visibility(c, caller, ws.id());
            List<AuditRecord> entries = new ArrayList<>();
            Long cursor = before;
            // a scoped admin's page is filled from further pages, up to a bound, so hidden entries do not shorten it
            for (int round = 0; round < 10 && entries.size() < limit; round++) {
                List<AuditEntry> rows = store.page(c, ws.id(), filter, cursor, limit + 1);
                for (AuditEntry row : rows.subList(0, Math.min(limit, rows.size()))) {
                    cursor = row.seq();
                    if (visible.sees(row) && entries.size() < limit) entries.add(view(row));
                }
                if (rows.size() <= limit) {
                    cursor = null;
                    break;
                }
            }
            return new AuditPage(entries, cursor == null ? null : Long.toString(cursor));
        });
    }

    public AuditRecord one(Caller caller, String workspaceRef, String id) {
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = admin(c, caller, workspaceRef);
            AuditEntry entry = store.one(c, ws.id(), id);
            if (entry == null || !new Visibility(c, caller, ws.id()).sees(entry)) throw ApiException.notFound("audit entry");
            return view(entry);
        });
    }

    /** The chain's verification; against {@code notarised} too when given (null: the chain alone). */
    public AuditVerification verify(Caller caller, String workspaceRef, AuditLog.NotarisedHead notarised) {
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = unscopedAdmin(c, caller, workspaceRef);
            AuditLog.Verification v = AuditLog.verify(c, store, ws.id(), notarised);
            return new AuditVerification(v.intact(), v.checked(), v.firstBadSeq(), v.firstBadId(), v.problem());
        });
    }

    /**
     * The whole chain as JSON Lines, in order, each the canonical line with its hash (see {@link AuditEntry}), written
     * as it is read: the caller is checked first, then one read transaction walks the chain in batches.
     */
    public StreamedBody export(Caller caller, String workspaceRef) {
        String workspaceId = database.read(c -> unscopedAdmin(c, caller, workspaceRef).id());
        return new StreamedBody("application/x-ndjson", out -> database.read(c -> {
            store.walk(c, workspaceId, entry -> {
                try {
                    out.write((entry.exportLine() + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            return null;
        }));
    }

    private WorkspaceStore.WorkspaceRow admin(Connection c, Caller caller, String workspaceRef) throws SQLException {
        WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
        if (!caller.isAdmin()) throw ApiException.forbidden("only workspace admins may read the audit log");
        return ws;
    }

    /** The whole chain (verify, export) holds every project's entries: only an admin who sees every project. */
    private WorkspaceStore.WorkspaceRow unscopedAdmin(Connection c, Caller caller, String workspaceRef) throws SQLException {
        WorkspaceStore.WorkspaceRow ws = admin(c, caller, workspaceRef);
        if (!caller.scope().isAll()) throw ApiException.forbidden("the whole audit chain needs an admin whose scope is the whole workspace");
        return ws;
    }

    /** Which entries a caller may see: all for an unscoped admin, else those of projects their scope reaches. */
    private final class Visibility {
        private final Caller caller;
        private final Map<String, String> teamOfProject = new HashMap<>();

        Visibility(Connection c, Caller caller, String workspaceId) throws SQLException {
            this.caller = caller;
            if (!caller.scope().isAll()) {
                for (ProjectStore.ProjectRow p : projects.list(c, workspaceId)) teamOfProject.put(p.id(), p.teamId());
            }
        }

        boolean sees(AuditEntry entry) {
            if (caller.scope().isAll()) return true;
            if (entry.projectId() == null) return false;
            String team = teamOfProject.get(entry.projectId());
            if (team == null) return false;
            return entry.environmentId() == null ? caller.scope().coversProject(entry.projectId(), team)
                    : caller.scope().coversEnvironment(entry.environmentId(), entry.projectId(), team);
        }
    }

    private AuditRecord view(AuditEntry e) {
        return new AuditRecord(e.id(), e.seq(), WireTime.format(e.at()), e.actorUserId(), e.credentialId(), e.credentialKind(),
                e.clientAddress(), e.requestId(), e.action(), e.entityType(), e.entityId(), e.projectId(), e.environmentId(),
                fields(e.beforeJson()), fields(e.afterJson()), e.outcome(), e.prevHash(), e.hash());
    }

    private Map<String, Object> fields(String text) {
        if (text == null) return null;
        try {
            return json.readValue(text, FIELDS);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("an audit entry's fields are not JSON", e);
        }
    }
}
