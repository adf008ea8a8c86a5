package dev.ekvault.server.workload;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the parser that reads a cluster's service-account token before anything is trusted: any
 * input either parses or is refused with {@link ClusterToken.Refused}, never another exception. A crash input found
 * while fuzzing is saved under {@code ClusterTokenFuzzTestInputs} and replays in every ordinary test run.
 */
class ClusterTokenFuzzTest {
    @FuzzTest(maxDuration = "15s")
    void parsing(FuzzedDataProvider data) {
        String token = data.consumeRemainingAsString();
        try {
            ClusterToken.parse(token);
        } catch (ClusterToken.Refused expected) {
            // the one way to say no
        }
    }
}
