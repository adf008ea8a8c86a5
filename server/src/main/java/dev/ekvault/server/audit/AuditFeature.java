package dev.ekvault.server.audit;

import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.workspace.WorkspaceFeature;

/**
 * The audit log installed: every journaled change becomes an entry in the write's own transaction, and admins query,
 * verify and export it. Installed before any other feature writes, so no change goes unrecorded.
 */
public final class AuditFeature {
    private AuditFeature() {}

    public static AuditLog install(Platform p, WorkspaceFeature tree) {
        AuditStore store = new AuditStore();
        AuditLog log = new AuditLog(p.database(), store, p.clock());
        p.journal().subscribeInTransaction(log);
        AuditRoutes.register(p.router(), new AuditService(p.database(), store, tree.workspaces(), tree.projectStore(), p.json()));
        return log;
    }
}
