package dev.ekvault.server.people;

import dev.ekvault.api.DeviceCode;
import dev.ekvault.api.DeviceToken;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.TokenFormat;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code ek login}: the RFC 8628 device authorization grant. The CLI asks for a code pair, shows the person the short
 * user code, and polls; the person, signed in to the dashboard, approves or denies the code; the next poll gets a
 * sign-in that acts as that person for eight hours. Device codes are stored as hashes and used once; user codes are
 * eight letters from an alphabet without vowels or look-alikes (20^8 ≈ 2.6·10^10), live ten minutes, and a person may
 * try only a few wrong ones a minute.
 */
public final class DeviceFlow {
    private static final char[] USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ".toCharArray();
    public static final Duration LIFETIME = Duration.ofMinutes(10);
    public static final int INTERVAL_SECONDS = 5;
    private static final int WRONG_CODES_PER_MINUTE = 5;

    /** What the token endpoint answers while there is no token yet (RFC 8628 §3.5). */
    public static final class Pending extends RuntimeException {
        public final String error;

        Pending(String error) {
            super(error, null, false, false);
            this.error = error;
        }
    }

    private final Database database;
    private final DeviceCodeStore codes;
    private final SessionService sessions;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Cache<String, AtomicInteger> wrongCodes;

    public DeviceFlow(Database database, DeviceCodeStore codes, SessionService sessions, Clock clock) {
        this.database = database;
        this.codes = codes;
        this.sessions = sessions;
        this.clock = clock;
        // a minute of the injected clock, so the window is testable without waiting
        this.wrongCodes = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(1))
                .ticker(() -> clock.millis() * 1_000_000L).build();
    }

    /** Starts a login: the device code (secret, for the CLI) and the user code (for the person). */
    public DeviceCode start(String clientId, String publicUrl) {
        checkClient(clientId);
        String deviceCode = TokenFormat.generate("ek_dev_").substring("ek_dev_".length());
        String userCode = userCode();
        long now = clock.millis();
        database.write(c -> {
            codes.insert(c, TokenFormat.hash(deviceCode), userCode, clientId, now, now + LIFETIME.toMillis(), INTERVAL_SECONDS);
            return null;
        });
        return new DeviceCode(deviceCode, userCode, publicUrl + "/device", publicUrl + "/device?user_code=" + userCode, LIFETIME.toSeconds(),
                INTERVAL_SECONDS);
    }

    /** A poll: the sign-in once approved (exactly once), else one of RFC 8628's errors. */
    public DeviceToken poll(String clientId, String deviceCode) {
        checkClient(clientId);
        String hash = TokenFormat.hash(deviceCode);
        long now = clock.millis();
        record Outcome(SessionService.SignedIn signedIn, String error) {}
        Outcome outcome = database.write(c -> {
            DeviceCodeStore.Row row = codes.find(c, hash);
            if (row == null || !row.clientId().equals(clientId) || row.status().equals("consumed")) return new Outcome(null, "invalid_grant");
            if (now >= row.expiresAt()) return new Outcome(null, "expired_token");
            if (row.status().equals("denied")) return new Outcome(null, "access_denied");
            if (row.status().equals("pending")) {
                // RFC 8628 §3.5: a client polling faster than its interval is told to slow down, and the interval grows by 5 s.
                // Too soon by both clocks: this node's (the injected one), and the database's, which every node shares —
                // the previous poll may have reached another node whose clock differs, and Enkryptify's CLI takes
                // slow_down as fatal, so a client polling at its interval must never be told it
                long interval = row.interval() * 1000L;
                boolean tooSoon = row.lastPolledAt() != null && now - row.lastPolledAt() < interval
                        && (row.sinceLastPoll() == null || row.sinceLastPoll() < interval);
                codes.notePoll(c, hash, now, tooSoon ? row.interval() + 5 : row.interval());
                return new Outcome(null, tooSoon ? "slow_down" : "authorization_pending");
            }
            codes.consume(c, hash, now);
            SessionService.SignedIn signedIn = sessions.issueDeviceLogin(c, row.userId(), row.workspaceId(), row.approvedBy(), now);
            // the approving session has ended since: so has what it approved
            return signedIn == null ? new Outcome(null, "access_denied") : new Outcome(signedIn, null);
        });
        if (outcome.error() != null) throw new Pending(outcome.error());
        // eight hours, or less when the approving session ends sooner
        return new DeviceToken(outcome.signedIn().token(), "Bearer", (outcome.signedIn().expiresAt() - now) / 1000);
    }

    /** A signed-in person approves (or denies) a user code, binding the login to them and their workspace. */
    public void answer(Caller caller, String userCodeText, boolean approve) {
        // only the dashboard: an `ek login` that could approve logins could renew itself forever, and a stolen one could
        // spawn logins that outlive its revocation
        if (caller.kind() != Credential.Kind.SESSION) {
            throw ApiException.forbidden("approve a login while signed in to the dashboard, not with a token or an ek login");
        }
        AtomicInteger wrong = wrongCodes.get(caller.credentialId(), k -> new AtomicInteger());
        if (wrong.get() >= WRONG_CODES_PER_MINUTE) {
            throw new ApiException(ErrorCode.TOO_MANY_REQUESTS, "too many wrong codes; wait a minute and try again");
        }
        String userCode = normalise(userCodeText);
        long now = clock.millis();
        int changed = database.write(c -> codes.answer(c, userCode, approve, caller.userId(), caller.workspaceId(), caller.credentialId(), now));
        if (changed == 0) {
            wrong.incrementAndGet();
            throw ApiException.notFound("pending login with this code");
        }
    }

    private String userCode() {
        char[] code = new char[9];
        for (int i = 0; i < code.length; i++) code[i] = i == 4 ? '-' : USER_CODE_ALPHABET[random.nextInt(USER_CODE_ALPHABET.length)];
        return new String(code);
    }

    /** Case and the dash do not matter when a person types the code. */
    static String normalise(String typed) {
        String letters = typed.toUpperCase(Locale.ROOT).replaceAll("[^A-Z]", "");
        if (letters.length() != 8) return "";
        return letters.substring(0, 4) + "-" + letters.substring(4);
    }

    private static void checkClient(String clientId) {
        if (clientId.isEmpty() || clientId.length() > 64) throw ApiException.badRequest("field 'clientId' must be 1 to 64 characters");
    }
}
