package dev.ekvault.server.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.jwt.InvalidJwtException;
import dev.ekvault.server.jwt.JwtVerifier;
import dev.ekvault.server.jwt.SigningKeys;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Migrations;
import dev.ekvault.server.access.TokenFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing of what an attacker controls first: the Authorization header and the API token inside it.
 * In a normal test run these replay the inputs kept under {@code src/test/resources/…/CredentialParsingFuzzTestInputs}
 * (any crash found while fuzzing is saved there and so becomes a regression test); the build's {@code fuzz-*}
 * executions fuzz each target for a bounded time.
 */
class CredentialParsingFuzzTest {

    private static final dev.ekvault.server.testing.TestClock CLOCK = new dev.ekvault.server.testing.TestClock();
    private static JwtVerifier verifier;

    /** A verifier over a real key set on a fresh SQLite store, made once per fuzzing run. */
    private static synchronized JwtVerifier verifier() throws Exception {
        if (verifier == null) {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("ek-fuzz");
            Database database = new Database("jdbc:sqlite:" + dir.resolve("ek.db"), "", "", 2);
            Migrations.apply(database, CLOCK);
            Config.Jwt config = new Config.Jwt("ek", java.time.Duration.ofMinutes(15), java.time.Duration.ofDays(1));
            SigningKeys keys = new SigningKeys(database, MasterKey.fromBase64(MasterKey.generateBase64()), config, CLOCK);
            verifier = new JwtVerifier(config, keys, CLOCK);
        }
        return verifier;
    }

    /** Any string presented as a JWT is refused with the one exception type, never anything else. */
    @FuzzTest(maxDuration = "15s")
    void jwtParsing(FuzzedDataProvider data) throws Exception {
        String token = data.consumeRemainingAsString();
        try {
            verifier().verify(token);
            throw new AssertionError("a token the fuzzer made up was accepted");
        } catch (InvalidJwtException expected) {
            // the only acceptable outcome
        }
    }

    @FuzzTest(maxDuration = "15s")
    void apiTokenParsing(FuzzedDataProvider data) {
        String header = data.consumeRemainingAsString();
        String token = dev.ekvault.server.wire.BearerToken.from(header);
        if (token == null) return;
        assertThat(token).isNotEmpty().isEqualTo(token.strip());
        if (TokenFormat.isWellFormed(token)) {
            assertThat(token).hasSize(TokenFormat.LENGTH);
            assertThat(token.startsWith(TokenFormat.PREFIX) || token.startsWith(TokenFormat.SESSION_PREFIX)).isTrue();
            assertThat(TokenFormat.hash(token)).hasSize(64);
            assertThat(TokenFormat.displayPrefix(token)).hasSize(12);
        }
    }
}
