package dev.ekvault.server.audit;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.workspace.WorkspaceFeature;

import java.time.Duration;

/**
 * The audit log installed: every journaled change becomes an entry in the write's own transaction, reads of secret
 * values and token exchanges become group-committed entries ({@link EventLog}), each chain's head is logged at an interval, and admins query,
 * verify and export it. Installed before any other feature writes, so no change goes unrecorded.
 */
public record AuditFeature(AuditLog log, EventLog events) {
    /** The job that refuses reads whose entries wait too long (tests run it with {@code Jobs.runNow}). */
    public static final String OVERDUE_JOB = "audit entries overdue";

    public static AuditFeature install(Platform p, WorkspaceFeature tree) {
        Config.Audit config = p.config().audit();
        AuditStore store = new AuditStore(p.config().database().statementTimeout()); // the node's one: its chain locks and heads
        AuditDevice device = AuditDevice.open(config.file());
        AuditLog log = new AuditLog(p.database(), store, device, p.clock());
        p.journal().subscribeInTransactionLast(log);
        p.journal().subscribe(log);
        EventLog events = new EventLog(config.recordReads(), p.database(), store, device, p.clock());
        p.jobs().service("audit events (reads, exchanges)", events::start, () -> {
            events.close();
            device.close();
        });
        p.jobs().every(OVERDUE_JOB, Duration.ofSeconds(1), events::failOverdue);
        if (!config.headLogInterval().isZero()) p.jobs().every("audit head log", config.headLogInterval(), log::logHeads);
        AuditRoutes.register(p.router(), new AuditService(p.database(), store, tree.workspaces(), tree.projectStore(), p.json()));
        return new AuditFeature(log, events);
    }
}
