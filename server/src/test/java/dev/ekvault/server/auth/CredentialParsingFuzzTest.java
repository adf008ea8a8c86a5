package dev.ekvault.server.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ekvault.server.token.TokenFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing of what an attacker controls first: the Authorization header and the API token inside it.
 * In a normal test run these replay the inputs kept under {@code src/test/resources/…/CredentialParsingFuzzTestInputs}
 * (any crash found while fuzzing is saved there and so becomes a regression test); the build's {@code fuzz-*}
 * executions fuzz each target for a bounded time.
 */
class CredentialParsingFuzzTest {

    @FuzzTest(maxDuration = "15s")
    void apiTokenParsing(FuzzedDataProvider data) {
        String header = data.consumeRemainingAsString();
        String token = Authentication.bearer(header);
        if (token == null) return;
        assertThat(token).isNotEmpty().isEqualTo(token.strip());
        if (TokenFormat.isWellFormed(token)) {
            assertThat(token).hasSize(TokenFormat.LENGTH).startsWith(TokenFormat.PREFIX);
            assertThat(TokenFormat.hash(token)).hasSize(64);
            assertThat(TokenFormat.displayPrefix(token)).hasSize(12);
        }
    }
}
