package dev.ekvault.server.sso;

import dev.ekvault.server.people.PeopleFeature;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.workspace.WorkspaceFeature;

import java.util.logging.Logger;

/** Sign-in with an OpenID Connect provider installed (its routes answer 404 while it is not configured). */
public final class SsoFeature {
    private static final Logger LOG = Logger.getLogger(SsoFeature.class.getName());

    private SsoFeature() {}

    public static void install(Platform p, WorkspaceFeature tree, PeopleFeature people) {
        var config = p.config();
        if (config.sso().enabled() && config.people().publicUrl().isEmpty()) {
            LOG.warning("single sign-on is on without http.public-url: the redirect URI is taken from each request's Host header;"
                    + " set http.public-url to the URL registered at the provider");
        }
        SsoService sso = new SsoService(config.sso(), config.people(), p.masterKey(), p.database(), tree.users(), tree.workspaceStore(),
                people.invitations(), people.sessions(), p.json(), p.clock());
        SsoRoutes.register(p.router(), sso, config.people().publicUrl(), config.people().sessionLifetime().toSeconds());
    }
}
