package dev.ekvault.server.people;

import dev.ekvault.server.auth.AuthFeature;
import dev.ekvault.server.bootstrap.Bootstrap;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.secret.SecretFeature;
import dev.ekvault.server.token.TokenService;
import dev.ekvault.server.workspace.WorkspaceFeature;

/**
 * People installed: password sign-in and sign-up, sessions, {@code ek login} (the device flow), members and
 * invitations. Single sign-on uses the sessions and invitations it returns.
 */
public record PeopleFeature(SessionService sessions, MemberStore invitations) {

    public static PeopleFeature install(Platform p, WorkspaceFeature tree, AuthFeature auth, TokenService tokens, SecretFeature secrets,
                                        Bootstrap bootstrap) {
        Config.People config = p.config().people();
        PasswordHasher passwords = new PasswordHasher();
        SessionService sessions = new SessionService(p.database(), tree.users(), tree.workspaceStore(), bootstrap, auth.credentials(),
                tokens, passwords, config, p.json(), p.clock());
        boolean secureCookies = config.publicUrl().startsWith("https://");
        long sessionSeconds = config.sessionLifetime().toSeconds();
        PeopleRoutes.register(p.router(), sessions, secureCookies, config.sessionLifetime(), p.config().sso());
        DeviceFlowRoutes.register(p.router(), new DeviceFlow(p.database(), new DeviceCodeStore(), sessions, p.clock()), config.publicUrl());
        MemberStore invitations = new MemberStore(p.json());
        MemberService members = new MemberService(p.database(), invitations, tree.workspaces(), tree.workspaceStore(), tree.users(),
                secrets.store(), auth.credentials(), tree.scopes(), sessions, passwords, config.sessionLifetime(), p.clock());
        MemberRoutes.register(p.router(), members, config.publicUrl(), secureCookies, sessionSeconds);
        return new PeopleFeature(sessions, invitations);
    }
}
