package dev.ekvault.server.token;

import dev.ekvault.server.auth.AuthFeature;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.workspace.WorkspaceFeature;

/** API tokens, CLI tokens and the credentials table installed; other features mint and rotate through the service. */
public final class TokenFeature {
    private TokenFeature() {}

    public static TokenService install(Platform p, WorkspaceFeature tree, AuthFeature auth) {
        TokenService tokens = new TokenService(p.database(), auth.credentials(), auth.usage(), tree.workspaces(),
                tree.environmentStore(), tree.scopes(), p.clock());
        TokenRoutes.register(p.router(), tokens);
        return tokens;
    }
}
