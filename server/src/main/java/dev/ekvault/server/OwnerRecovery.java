package dev.ekvault.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.StrictJson;
import dev.ekvault.server.people.PasswordHasher;
import dev.ekvault.server.workspace.UserStore;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.audit.AuditLog;
import dev.ekvault.server.bootstrap.Bootstrap;

import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Recovery for an operator who holds the data folder (or the database URL) and its master key but no working admin
 * credential: {@code ek-server set-password} and {@code ek-server owner-token}. Possession of the master key is the
 * proof of authority, so both refuse a database whose key check they fail. They open only the store (no HTTP side, no
 * port), so they run beside a serving node; what they write reaches every node through the change feed, exactly as a
 * write made over HTTP does. Each logs one audit line: what was done, to whom, by which operating-system user (the
 * log line carries the time); never the password or the token.
 */
final class OwnerRecovery implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OwnerRecovery.class.getName());
    /** The sign-up and sign-in rule for a password (people.SessionService), in characters. */
    private static final int MIN_PASSWORD = 12;
    private static final int MAX_PASSWORD = 256;
    /** 256 characters are at most 1,024 bytes of UTF-8; more on the line is not a password. */
    private static final int MAX_LINE_BYTES = 1024;

    private final DataStore store;
    private final ObjectMapper json;
    private final Config config;
    private final Clock clock;

    private OwnerRecovery(DataStore store, Config config, Clock clock) {
        this.store = store;
        this.json = StrictJson.create(config.limits());
        this.config = config;
        this.clock = clock;
    }

    /** Opens the existing store (nothing is created) and checks its master key; nothing is written before that. */
    static OwnerRecovery open(Config config, Clock clock, String command) {
        LOG.info(ConfigLoader.describe(config));
        DataStore store = DataStore.existing(config, clock);
        AuditLog.forCommand(store.database, clock, command);
        return new OwnerRecovery(store, config, clock);
    }

    /**
     * Sets the person's password, clears their sign-in failures and lock, and ends every sign-in they have (dashboard
     * sessions and {@code ek login}), in one transaction; returns how many sign-ins were ended.
     */
    int setPassword(String emailText, String password) {
        String email = emailText.strip().toLowerCase(Locale.ROOT);
        String hash = new PasswordHasher().hash(password);
        UserStore users = new UserStore();
        CredentialStore credentials = new CredentialStore(json);
        String[] userId = new String[1];
        int ended = store.database.write(c -> {
            UserStore.User user = users.findByEmail(c, email);
            if (user == null) throw new ApiException(ErrorCode.NOT_FOUND, "no person has the email " + email + "; nothing was changed");
            users.setPassword(c, user.id(), hash);
            users.clearFailedSignIns(c, user.id());
            long now = clock.millis();
            userId[0] = user.id();
            // revocation writes the change-log rows running nodes learn from: they drop each sign-in (and what it minted) within a poll
            return credentials.revokeSignIns(c, user.id(), null, now);
        });
        audit("set-password", "set a new password for " + email + ", cleared its sign-in lock and ended " + ended + " sign-in(s)",
                "email", email, "userId", userId[0], "signInsEnded", ended);
        return ended;
    }

    /** A new owner API token for the workspace (slug or id), as {@code init} makes; the raw token is returned, not logged. */
    String ownerToken(String workspace, String expiresIn) {
        Bootstrap.Minted minted = Bootstrap.forCommand(store.database, json, clock).mintOwnerToken(workspace, expiresIn);
        Credential credential = minted.credential();
        audit("owner-token", "minted a new owner API token for workspace '" + minted.workspace().slug() + "' (credential "
                        + credential.id() + ", expires " + java.time.Instant.ofEpochMilli(credential.expiresAt()) + ")",
                "workspaceId", minted.workspace().id(), "workspace", minted.workspace().slug(), "credentialId", credential.id(),
                "ownerId", credential.createdBy(), "expiresAt", credential.expiresAt());
        return minted.token();
    }

    /** One WARNING line: recovery bypasses every credential, so it should stand out in whatever watches the log. */
    private static void audit(String command, String message, Object... namesAndValues) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("audit", "owner-recovery");
        line.put("command", command);
        for (int i = 0; i < namesAndValues.length; i += 2) line.put((String) namesAndValues[i], namesAndValues[i + 1]);
        line.put("osUser", System.getProperty("user.name"));
        LOG.log(Level.WARNING, "owner recovery: " + message, line);
    }

    /**
     * The new password: typed without echo when standard input is a terminal (asked twice), otherwise the first line
     * of standard input. Never a flag or an environment variable, which shell history, {@code ps} and
     * {@code /proc/<pid>/environ} would show. A bad one is refused before the store is opened.
     */
    static String readPassword(String email, InputStream in) throws IOException {
        Console console = System.console();
        String password = console != null && isTerminal(console) ? fromTerminal(console, email) : firstLine(in);
        if (password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
            throw ApiException.badRequest("the new password must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters");
        }
        return password;
    }

    private static String fromTerminal(Console console, String email) {
        char[] first = console.readPassword("new password for %s: ", email);
        char[] second = console.readPassword("the same again: ");
        try {
            if (first == null || second == null) throw ApiException.badRequest("no password was typed");
            if (!Arrays.equals(first, second)) throw ApiException.badRequest("the two passwords differ; nothing was changed");
            return new String(first);
        } finally {
            if (first != null) Arrays.fill(first, '\0');
            if (second != null) Arrays.fill(second, '\0');
        }
    }

    /** Reads up to the first line break only: a pipe that stays open after the line must not hang the command. */
    private static String firstLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (line.size() == MAX_LINE_BYTES) throw ApiException.badRequest("the line on standard input is longer than a password may be");
            line.write(b);
        }
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        if (length == 0 && b == -1) throw ApiException.badRequest("no password on standard input: pipe one line to the command");
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("the password on standard input is not UTF-8 text");
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** {@code Console.isTerminal()} exists from JDK 22, when a console may also stand for redirected streams. */
    private static boolean isTerminal(Console console) {
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: System.console() is non-null only on a terminal
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
