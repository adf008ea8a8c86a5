package dev.ekvault.server.share;

import dev.ekvault.server.audit.AuditLog;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.secret.SecretFeature;
import dev.ekvault.server.workspace.WorkspaceFeature;

import java.time.Duration;

/**
 * Secret shares installed: the store (a deleted project takes its shares), the routes, and the job that purges the
 * content of expired shares (used-up and revoked ones lose it at once).
 */
public record ShareFeature(ShareService service) {

    public static ShareFeature install(Platform p, WorkspaceFeature tree, SecretFeature secrets, AuditLog audit) {
        ShareStore store = new ShareStore();
        tree.dependents().register(store::deleteUnder);
        ShareService service = new ShareService(p.database(), store, tree.projects(), tree.environmentStore(), tree.users(),
                secrets.service(), audit, p.config().shares(), p.config().limits().maxValueBytes(), p.clock());
        ShareRoutes.register(p.router(), service, p.config().people().publicUrl());
        p.jobs().every("share-purge", Duration.ofMinutes(1), service::purgeExpired);
        return new ShareFeature(service);
    }
}
