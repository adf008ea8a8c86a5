package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Owner recovery with the data folder (or database URL) and the master key, beside a running server:
 * {@code set-password} (sign in over HTTP afterwards; old sessions and the sign-in lock are gone) and
 * {@code owner-token} (works after the old owner token was revoked); both refuse a master key that does not open the
 * database and change nothing; neither lets its password or token reach a log.
 */
class OwnerRecoveryTest {
    /** The change feed polls every 200 ms; the rest is margin for a busy machine. */
    private static final Duration FEED_BOUND = Duration.ofSeconds(3);
    private static final Pattern SESSION_COOKIE = Pattern.compile("ek_session=([^;]+)");

    @TempDir
    Path work;

    /** A store on {@code backend} after {@code init}: its settings and the owner token init printed. */
    private record Initialised(Map<String, String> env, String ownerToken) {}

    private Initialised initialised(String backend) {
        Map<String, String> env = backend.equals("sqlite") ? Map.of("EK_DATA_DIR", work.resolve("data").toString())
                : Map.of("EK_DATABASE_URL", TestPostgres.freshDatabase(), "EK_MASTER_KEY", EkJar.newMasterKey());
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        return new Initialised(env, init.stdoutLines().get(0));
    }

    private static EkJar.Reply login(EkJar.Server server, String email, String password) {
        return new EkJar.Api(server, null).post("/v1/auth/login",
                "{\"email\":" + EkJar.quote(email) + ",\"password\":" + EkJar.quote(password) + "}");
    }

    private static String sessionOf(EkJar.Reply signedIn) {
        assertThat(signedIn.status()).as(signedIn.toString()).isEqualTo(200);
        Matcher m = SESSION_COOKIE.matcher(signedIn.headers().firstValue("Set-Cookie").orElse(""));
        assertThat(m.find()).as("a session cookie").isTrue();
        return m.group(1);
    }

    private static int meWith(EkJar.Server server, String session) {
        EkJar.Api api = new EkJar.Api(server, null);
        return api.send(api.builder("/v1/me").header("Cookie", "ek_session=" + session)).status();
    }

    private static void assertAudited(EkJar.Result r, String command, String... secretsNeverLogged) {
        boolean audited = false;
        for (String line : r.stderrLines()) {
            JsonNode json = EkJar.jsonObject(line);
            assertThat(json).as("stderr line is a JSON object: %s", line).isNotNull();
            if (json.path("audit").asText().equals("owner-recovery") && json.path("command").asText().equals(command)) audited = true;
        }
        assertThat(audited).as("an audit line for %s; stderr:\n%s", command, r.stderr()).isTrue();
        for (String secret : secretsNeverLogged) assertThat(r.stderr()).doesNotContain(secret);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void setPasswordLetsTheOwnerSignInEndsOldSessionsAndLiftsTheLock(String backend) {
        Map<String, String> env = initialised(backend).env();
        String first = "first recovery password";
        String second = "second recovery pässword";
        try (EkJar.Server server = EkJar.serve(work, env)) {
            assertThat(login(server, "owner@example.com", first).status()).as("init's owner has no password").isEqualTo(401);

            EkJar.Result set = EkJar.runWithInput(work, env, first + "\n", "set-password", "--email", "owner@example.com");
            assertThat(set.exitCode()).as(set.stderr()).isZero();
            assertThat(set.stdout()).isEmpty();
            assertAudited(set, "set-password", first);
            String oldSession = sessionOf(login(server, "owner@example.com", first));
            assertThat(meWith(server, oldSession)).isEqualTo(200);

            for (int i = 0; i < 5; i++) assertThat(login(server, "owner@example.com", "not the password " + i).status()).isEqualTo(401);
            assertThat(login(server, "owner@example.com", first).status()).as("five failures lock the account").isEqualTo(401);

            // CRLF, as a Windows-made file would hold it: the line break is not part of the password
            EkJar.Result reset = EkJar.runWithInput(work, env, second + "\r\n", "set-password", "--email", "Owner@Example.com");
            assertThat(reset.exitCode()).as(reset.stderr()).isZero();
            assertAudited(reset, "set-password", second);
            EkJar.awaitCondition("the running server refuses the session made before", FEED_BOUND, () -> meWith(server, oldSession) == 401);
            assertThat(login(server, "owner@example.com", first).status()).as("the old password").isEqualTo(401);
            String newSession = sessionOf(login(server, "owner@example.com", second));
            assertThat(meWith(server, newSession)).isEqualTo(200);
            assertThat(server.stderr()).doesNotContain(first).doesNotContain(second);

            EkJar.Result unknown = EkJar.runWithInput(work, env, second + "\n", "set-password", "--email", "nobody@example.com");
            assertThat(unknown.exitCode()).as(unknown.stderr()).isEqualTo(8);
            assertThat(unknown.stderr()).contains("nobody@example.com");
            EkJar.Result tooShort = EkJar.runWithInput(work, env, "short\n", "set-password", "--email", "owner@example.com");
            assertThat(tooShort.exitCode()).as(tooShort.stderr()).isEqualTo(2);
            assertThat(tooShort.stderr()).contains("12 to 256 characters").doesNotContain("short\"");
            EkJar.Result asFlag = EkJar.run(work, env, "set-password", "--email", "owner@example.com", "--password", second);
            assertThat(asFlag.exitCode()).as("a password is never taken from a flag").isEqualTo(2);
            assertThat(sessionOf(login(server, "owner@example.com", second))).as("the refused commands changed nothing").isNotEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void ownerTokenWorksOnTheRunningServerAfterTheOldOwnerTokenWasRevoked(String backend) {
        Initialised initialised = initialised(backend);
        Map<String, String> env = initialised.env();
        String oldToken = initialised.ownerToken();
        try (EkJar.Server server = EkJar.serve(work, env)) {
            EkJar.Api old = new EkJar.Api(server, oldToken);
            JsonNode tokens = old.get("/v1/workspace/acme/tokens").json();
            assertThat(tokens).hasSize(1);
            assertThat(old.delete("/v1/workspace/acme/tokens/" + tokens.get(0).get("id").asText()).status()).isEqualTo(204);
            assertThat(old.get("/v1/workspace").status()).as("the only owner token is revoked").isEqualTo(401);

            EkJar.Result minted = EkJar.run(work, env, "owner-token", "--workspace", "acme", "--expires-in", "24h");
            assertThat(minted.exitCode()).as(minted.stderr()).isZero();
            assertThat(minted.stdoutLines()).as("stdout of owner-token").hasSize(1);
            String token = minted.stdoutLines().get(0);
            assertThat(token).matches("^ek_live_[0-9A-Za-z]{43}$");
            assertAudited(minted, "owner-token", token);

            EkJar.Api owner = new EkJar.Api(server, token);
            EkJar.awaitCondition("the running server accepts the new owner token", FEED_BOUND,
                    () -> owner.get("/v1/workspace/acme/members").status() == 200);
            EkJar.Reply created = owner.post("/v1/workspace/acme/tokens",
                    "{\"name\":\"ci\",\"permission\":\"read-write\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}");
            assertThat(created.status()).as("a full admin again: %s", created).isEqualTo(201);
            JsonNode listed = owner.get("/v1/workspace/acme/tokens").json();
            JsonNode mine = null;
            for (JsonNode t : listed) if (t.get("name").asText().equals("owner") && !t.hasNonNull("revokedAt")) mine = t;
            assertThat(mine).as("the new owner token in %s", listed).isNotNull();
            assertThat(mine.get("isOwner").asBoolean()).isTrue();
            assertThat(mine.get("permission").asText()).isEqualTo("read-write");
            assertThat(mine.get("scope").get("all").asBoolean()).isTrue();
            assertThat(server.stderr()).as("the server log").doesNotContain(token);

            EkJar.Result unknown = EkJar.run(work, env, "owner-token", "--workspace", "nope");
            assertThat(unknown.exitCode()).as(unknown.stderr()).isEqualTo(8);
            assertThat(unknown.stdout()).isEmpty();
            assertThat(unknown.stderr()).contains("nope");
        }
    }

    @Test
    void aMasterKeyThatDoesNotOpenTheDatabaseIsRefusedAndNothingChanges() {
        Path data = work.resolve("data");
        String right = EkJar.newMasterKey();
        String wrong = EkJar.newMasterKey();
        EkJar.Result init = EkJar.init(work, Map.of("EK_DATA_DIR", data.toString(), "EK_MASTER_KEY", right));
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String before = EkJar.sqliteDigest(data.resolve("ek.db"));
        Map<String, String> wrongKey = Map.of("EK_DATA_DIR", data.toString(), "EK_MASTER_KEY", wrong);

        EkJar.Result set = EkJar.runWithInput(work, wrongKey, "a long enough password\n", "set-password", "--email", "owner@example.com");
        EkJar.Result minted = EkJar.run(work, wrongKey, "owner-token", "--workspace", "acme");
        for (EkJar.Result r : List.of(set, minted)) {
            assertThat(r.exitCode()).as("exit code; stderr:\n%s", r.stderr()).isEqualTo(4);
            assertThat(r.stdout()).isEmpty();
            List<String> severe = r.stderrLines().stream().filter(line -> EkJar.jsonObject(line).path("level").asText().equals("SEVERE")).toList();
            assertThat(severe).as("one line says why").hasSize(1);
            assertThat(severe.get(0)).contains("master key").contains("nothing was changed").doesNotContain("\\tat ");
            assertThat(r.stderr()).doesNotContain(right).doesNotContain(wrong).doesNotContain("a long enough password");
        }
        assertThat(EkJar.sqliteDigest(data.resolve("ek.db"))).as("database content after the refused commands").isEqualTo(before);
        assertThat(data.resolve("master.key")).as("no key file was made").doesNotExist();

        EkJar.Result noDatabase = EkJar.run(work, Map.of("EK_DATA_DIR", work.resolve("elsewhere").toString()), "owner-token", "--workspace", "acme");
        assertThat(noDatabase.exitCode()).as(noDatabase.stderr()).isEqualTo(6);
        assertThat(noDatabase.stderr()).contains("elsewhere");
        assertThat(work.resolve("elsewhere")).as("a recovery command creates nothing").doesNotExist();
    }
}
