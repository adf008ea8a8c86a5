package dev.ekvault.server.secret;

import dev.ekvault.server.audit.EventLog;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.workspace.WorkspaceFeature;

/**
 * Secrets installed: values and personal overrides, their routes, the read path's cache, and the service (shares read
 * through it); the reminders (syncs read the due ones of their environment).
 */
public record SecretFeature(SecretStore store, SecretCache cache, SecretService service, ReminderService reminders) {
    /** The name of the job that announces due reminders ({@code Jobs.runNow} runs it in tests). */
    public static final String REMINDER_JOB = "secret reminders";

    public static SecretFeature install(Platform p, WorkspaceFeature tree, EventLog audit) {
        SecretStore store = new SecretStore(p.config().secrets().maxVersions());
        tree.dependents().register(store::deleteUnder);
        // shared values in memory for the hot read path, kept current by the journal and the change feed (see SecretCache)
        SecretCache cache = new SecretCache(true);
        cache.follow(p.journal());
        p.changes().listen(ChangeFeed.Kind.SECRET, change -> cache.invalidate(change.entityId()));
        p.changes().onFullReload(cache::invalidateAll);
        SecretService secrets = new SecretService(p.database(), store, tree.environmentStore(), tree.projects(), p.dataKeys(),
                p.config().limits(), cache, audit, p.clock(), p.config().secrets().deletedRetention());
        SecretRoutes.register(p.router(), secrets, p.json());
        // reminders: their routes, and the job that announces due occurrences (each once, whichever node claims it)
        ReminderService reminders = new ReminderService(p.database(), store, tree.workspaces(), p.clock());
        ReminderRoutes.register(p.router(), reminders);
        p.jobs().every(REMINDER_JOB, java.time.Duration.ofSeconds(30), reminders::announceDue);
        p.jobs().every("deleted-secret purge", java.time.Duration.ofMinutes(10), secrets::purgeDeleted);
        return new SecretFeature(store, cache, secrets, reminders);
    }
}
