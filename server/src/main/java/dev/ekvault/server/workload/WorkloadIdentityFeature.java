package dev.ekvault.server.workload;

import dev.ekvault.server.auth.AuthFeature;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.workspace.WorkspaceFeature;

/** Kubernetes workload identities installed: their management and the cluster-token exchange. */
public final class WorkloadIdentityFeature {
    private WorkloadIdentityFeature() {}

    public static void install(Platform p, WorkspaceFeature tree, AuthFeature auth) {
        var config = p.config();
        WorkloadIdentityService identities = new WorkloadIdentityService(p.database(), new WorkloadIdentityStore(), auth.credentials(),
                auth.usage(), tree.workspaces(), tree.workspaceStore(), tree.scopes(), auth.authentication(), auth.snapshot(),
                new IssuerKeys(config.oidc(), p.clock()), config.oidc(), p.json(), p.clock());
        WorkloadIdentityRoutes.register(p.router(), identities, auth.exchange());
    }
}
