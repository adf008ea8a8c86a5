package dev.ekvault.server.sso;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.people.MemberStore;
import dev.ekvault.server.people.SessionService;
import dev.ekvault.server.workspace.UserStore;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Single sign-on with an OpenID Connect provider: the authorization code flow with PKCE (S256), a nonce and a state,
 * all three kept in a sealed cookie ({@link SealedState}) so no table holds flows in progress.
 *
 * <p>Who may sign in, once the provider has vouched for a verified email: a person with an account who is a member
 * (of the workspace asked for, else their first); a person with an open invitation for that email (it is accepted:
 * the provider has proved the address the invitation was sent to); on a fresh install, the first person, who creates
 * the workspace and owns it; with {@code people.open-sign-up}, anyone, into a workspace of their own. Everyone else
 * is refused. Accounts made here have no password: they sign in through the provider.
 */
public final class SsoService {
    static final Duration STATE_LIFETIME = Duration.ofMinutes(10);
    static final String CALLBACK_PATH = "/v1/auth/sso/callback";
    static final int MAX_RETURN_PATH = 256;
    private static final Pattern RETURN_PATH = Pattern.compile("/(?![/\\\\])[A-Za-z0-9\\-._~!$&'()*+,;=:@%/?]{0," + (MAX_RETURN_PATH - 1) + "}");
    private static final Pattern WORKSPACE_REF = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    /** Where to send the browser, and the sealed state cookie to set on the way. */
    public record Started(String location, String stateCookie) {}

    /** A finished sign-in and the local path to land on. */
    public record Completed(SessionService.SignedIn signedIn, String returnPath) {}

    private final Config.Sso config;
    private final Config.People people;
    private final Database database;
    private final UserStore users;
    private final WorkspaceStore workspaces;
    private final MemberStore members;
    private final SessionService sessions;
    private final Clock clock;
    private final SealedState sealed;
    private final Provider provider;
    private final IdTokens idTokens;
    private final SecureRandom random = new SecureRandom();

    public SsoService(Config.Sso config, Config.People people, MasterKey masterKey, Database database, UserStore users, WorkspaceStore workspaces,
                      MemberStore members, SessionService sessions, ObjectMapper json, Clock clock) {
        this.config = config;
        this.people = people;
        this.database = database;
        this.users = users;
        this.workspaces = workspaces;
        this.members = members;
        this.sessions = sessions;
        this.clock = clock;
        this.sealed = new SealedState(masterKey, json);
        this.provider = new Provider(config, json, clock);
        this.idTokens = new IdTokens(config, provider);
    }

    public boolean enabled() {
        return config.enabled();
    }

    /**
     * Begins a sign-in: fresh state, nonce and PKCE verifier (32 random bytes each, base64url: a 43-character
     * verifier), sealed into the cookie; the browser goes to the provider with the S256 challenge.
     *
     * @param workspace  the workspace to sign in to, or null
     * @param returnPath a local path to land on afterwards, or null for {@code /}
     * @param baseUrl    this server's public base URL, from which the redirect URI is made
     */
    public Started start(String workspace, String returnPath, String baseUrl) {
        if (workspace != null && !WORKSPACE_REF.matcher(workspace).matches()) throw ApiException.badRequest("query 'workspace' must be a workspace slug or id");
        if (returnPath != null && !isLocalPath(returnPath)) throw ApiException.badRequest("query 'return' must be a local path such as /projects");
        Provider.Metadata m = provider.metadata();
        String state = randomToken();
        String nonce = randomToken();
        String verifier = randomToken();
        String redirectUri = baseUrl + CALLBACK_PATH;
        String cookie = sealed.seal(new SealedState.State(state, nonce, verifier, workspace, returnPath == null ? "/" : returnPath, redirectUri,
                clock.millis() + STATE_LIFETIME.toMillis()));
        URI authorize = m.authorizationEndpoint();
        String location = authorize + (authorize.getRawQuery() == null ? "?" : "&")
                + "response_type=code"
                + "&client_id=" + Provider.form(config.clientId())
                + "&redirect_uri=" + Provider.form(redirectUri)
                + "&scope=" + Provider.form(config.scopes())
                + "&state=" + state
                + "&nonce=" + nonce
                + "&code_challenge=" + challenge(verifier)
                + "&code_challenge_method=S256";
        return new Started(location, cookie);
    }

    /**
     * Finishes a sign-in from the provider's redirect. Order matters: the cookie and the state are checked before the
     * provider is called, so a forged callback costs nothing but a decryption.
     */
    public Completed complete(String code, String state, String error, String issuer, String stateCookie) {
        long now = clock.millis();
        SealedState.State s = sealed.open(stateCookie, now);
        if (state == null || !MessageDigest.isEqual(state.getBytes(StandardCharsets.UTF_8), s.state().getBytes(StandardCharsets.UTF_8))) {
            throw SsoFailure.badRequest("the state parameter does not match this browser's sign-in");
        }
        // RFC 9207: a provider that names itself must name our issuer (a mix-up with another provider otherwise)
        if (issuer != null && !issuer.equals(config.issuer())) throw SsoFailure.badRequest("the callback's iss parameter is not the configured issuer");
        if (error != null) {
            throw SsoFailure.badRequest("the provider answered error " + (error.matches("[a-z_]{1,40}") ? error : "(unprintable)"));
        }
        if (code == null || code.isEmpty() || code.length() > 2048) throw SsoFailure.badRequest("the callback has no usable code");
        Provider.Tokens tokens = provider.redeem(code, s.redirectUri(), s.verifier());
        IdTokens.Identity who = idTokens.validate(tokens.idToken(), s.nonce(), clock.millis());
        SessionService.SignedIn signedIn = database.write(c -> signIn(c, who, s.workspace(), clock.millis()));
        return new Completed(signedIn, s.returnPath());
    }

    private SessionService.SignedIn signIn(Connection c, IdTokens.Identity who, String workspaceRef, long now) throws SQLException {
        UserStore.User user = users.findByEmail(c, who.email());
        WorkspaceStore.WorkspaceRow asked = workspaceRef == null ? null : workspaces.find(c, workspaceRef);
        if (workspaceRef != null && asked == null) throw SsoFailure.forbidden("the workspace asked for does not exist");
        if (user != null) {
            List<String> memberships = users.workspaceIds(c, user.id());
            if (asked != null ? memberships.contains(asked.id()) : !memberships.isEmpty()) {
                return session(c, user, asked != null ? asked.id() : memberships.get(0), now);
            }
            MemberStore.InviteRow invite = invitation(c, who.email(), asked, now);
            if (invite == null) throw SsoFailure.forbidden("an account without a membership (or invitation) in the workspace asked for");
            return join(c, user, invite, now);
        }
        MemberStore.InviteRow invite = invitation(c, who.email(), asked, now);
        if (invite != null) return join(c, newAccount(c, who, now), invite, now);
        if (asked != null) throw SsoFailure.forbidden("no account and no invitation for the workspace asked for");
        boolean freshInstall = !workspaces.anyWorkspace(c);
        if (!freshInstall && !people.openSignUp()) throw SsoFailure.forbidden("no account, no invitation, and sign-up is by invitation");
        UserStore.User owner = sessions.createOwner(c, who.email(), displayName(who), null, freeSlug(c, displayName(who)), now);
        return session(c, owner, users.workspaceIds(c, owner.id()).get(0), now);
    }

    /** The oldest open invitation for this email (to the workspace asked for, when one was). */
    private MemberStore.InviteRow invitation(Connection c, String email, WorkspaceStore.WorkspaceRow asked, long now) throws SQLException {
        for (MemberStore.InviteRow invite : members.liveInvitesFor(c, email, now)) {
            if (asked == null || invite.workspaceId().equals(asked.id())) return invite;
        }
        return null;
    }

    private SessionService.SignedIn join(Connection c, UserStore.User user, MemberStore.InviteRow invite, long now) throws SQLException {
        workspaces.insertMember(c, new WorkspaceStore.Member(invite.workspaceId(), user.id(), invite.role(), invite.scope()), now);
        members.answerInvite(c, invite.id(), "accepted", now);
        return session(c, user, invite.workspaceId(), now);
    }

    private UserStore.User newAccount(Connection c, IdTokens.Identity who, long now) throws SQLException {
        String id = FieldRules.newId();
        users.insert(c, id, who.email(), displayName(who), null, now);
        return users.findById(c, id);
    }

    private SessionService.SignedIn session(Connection c, UserStore.User user, String workspaceId, long now) throws SQLException {
        return sessions.issue(c, user, workspaceId, Credential.Kind.SESSION, people.sessionLifetime(), now);
    }

    /** The provider's {@code name} when it makes a valid display name, else the email's local part. */
    private static String displayName(IdTokens.Identity who) {
        String fallback = who.email().substring(0, who.email().indexOf('@'));
        String name = who.name() == null ? "" : who.name().strip();
        if (name.length() > FieldRules.MAX_NAME_LENGTH) name = name.substring(0, FieldRules.MAX_NAME_LENGTH).strip();
        try {
            return FieldRules.name(name.isEmpty() ? fallback : name, "name");
        } catch (ApiException e) {
            return FieldRules.name(fallback.length() > FieldRules.MAX_NAME_LENGTH ? fallback.substring(0, FieldRules.MAX_NAME_LENGTH) : fallback, "name");
        }
    }

    /** A workspace slug from the person's name; a short random suffix when it is taken (open sign-up). */
    private String freeSlug(Connection c, String name) throws SQLException {
        String base;
        try {
            base = FieldRules.slugOf(name, "workspace");
        } catch (ApiException noLettersOrDigits) {
            base = "workspace";
        }
        if (base.length() > 55) base = base.substring(0, 55).replaceAll("-+$", "");
        String slug = base;
        for (int attempt = 0; attempt < 5; attempt++) {
            if (!FieldRules.isUuid(slug) && workspaces.find(c, slug) == null) return slug;
            byte[] suffix = new byte[3];
            random.nextBytes(suffix);
            slug = base + "-" + HexFormat.of().formatHex(suffix);
        }
        throw SsoFailure.unavailable("no free workspace slug after five tries");
    }

    /** A local path: one leading slash (never {@code //} or {@code /\}, which browsers read as another host), no control characters. */
    static boolean isLocalPath(String path) {
        return path.length() <= MAX_RETURN_PATH && RETURN_PATH.matcher(path).matches();
    }

    private String randomToken() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return B64URL.encodeToString(bytes);
    }

    /** RFC 7636 S256: BASE64URL(SHA-256(ASCII(verifier))). */
    static String challenge(String verifier) {
        try {
            return B64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
