package dev.ekvault.server.sync;

import dev.ekvault.api.Secret;
import dev.ekvault.api.SecretValue;
import dev.ekvault.server.outbound.BoundedFetch;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.secret.ReminderService;
import dev.ekvault.server.secret.ReminderStore;
import dev.ekvault.server.secret.SecretService;
import dev.ekvault.server.sync.github.GitHubTarget;
import dev.ekvault.server.sync.vercel.VercelTarget;
import dev.ekvault.server.sync.kubernetes.KubernetesTarget;
import dev.ekvault.server.sync.webhook.WebhookTarget;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.workspace.WorkspaceFeature;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sync integrations installed: the targets (each its own package under {@code sync}), the wizard and management
 * routes, the journal subscription that marks syncs with changes, and the worker that pushes them.
 */
public record SyncFeature(SyncService service, SyncEngine engine) {

    public static SyncFeature install(Platform p, WorkspaceFeature tree, SecretService secrets, ReminderService reminders) {
        var config = p.config().sync();
        BoundedFetch fetch = new BoundedFetch(config.fetchTimeout(), config.fetchTimeout());
        Map<String, SyncTarget> targets = new LinkedHashMap<>();
        for (SyncTarget target : List.<SyncTarget>of(new WebhookTarget(fetch, config.allowHttpTargets()),
                new GitHubTarget(fetch, config.allowHttpTargets()),
                new VercelTarget(fetch, config.allowHttpTargets()),
                new KubernetesTarget(fetch, config.fetchTimeout(), config.allowHttpTargets()))) {
            targets.put(target.slug(), target);
        }
        SyncStore store = new SyncStore();
        SyncSeal seal = new SyncSeal(p.masterKey());
        SyncService service = new SyncService(p.database(), store, targets, seal, tree.workspaces(), tree.projectStore(), tree.environmentStore(),
                p.json(), p.clock(), 64 * 1024);
        SyncEngine engine = new SyncEngine(p.database(), store, targets, seal, service, (caller, workspaceId, projectId, environmentId) -> {
            Map<String, String> values = new TreeMap<>();
            for (Secret secret : secrets.list(caller, workspaceId, projectId, environmentId, true)) {
                for (SecretValue value : secret.values()) if (!value.isPersonal()) values.put(secret.name(), value.value());
            }
            return values;
        }, environmentId -> {
            Map<String, SyncTarget.Reminder> due = new LinkedHashMap<>();
            for (ReminderStore.Listed l : reminders.dueShared(environmentId)) {
                due.put(l.row().id(), new SyncTarget.Reminder(l.secretName(), l.row().type(), WireTime.format(l.row().nextAt())));
            }
            return due;
        }, tree.workspaceStore(), tree.environmentStore(), p.json(), p.clock(), config);
        p.journal().subscribeInTransaction(engine::beforeCommit);
        tree.dependents().register(store::deleteUnder);
        SyncRoutes.register(p.router(), service);
        // pushes call other servers: on a thread of their own, never on the shared maintenance thread
        ScheduledExecutorService[] worker = new ScheduledExecutorService[1];
        p.jobs().service("sync worker", () -> {
            worker[0] = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ek-sync");
                t.setDaemon(true);
                return t;
            });
            worker[0].scheduleWithFixedDelay(engine::tick, config.poll().toMillis(), config.poll().toMillis(), TimeUnit.MILLISECONDS);
        }, () -> {
            if (worker[0] != null) worker[0].shutdownNow();
        });
        return new SyncFeature(service, engine);
    }
}
