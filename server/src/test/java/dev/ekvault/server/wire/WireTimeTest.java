package dev.ekvault.server.wire;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class WireTimeTest {
    private static final DateTimeFormatter REFERENCE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private static String reference(long millis) {
        return REFERENCE.format(Instant.ofEpochMilli(millis));
    }

    @Test
    void writesWhatTheFormatterWrites() {
        long[] edges = {0, 1, 999, 1000, 86_399_999L, 86_400_000L, 951_782_400_000L /* 2000-02-29 */, 4_107_542_399_999L /* 2100-02-28 */,
                4_107_542_400_000L, 1_767_225_599_999L, 1_767_225_600_000L, 253_402_300_799_999L, 253_402_300_800_000L, -1, -86_400_001L,
                Long.MAX_VALUE / 1000};
        for (long millis : edges) assertThat(WireTime.format(millis)).as("%d", millis).isEqualTo(reference(millis));
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            long millis = random.nextLong(0, 253_402_300_800_000L);
            assertThat(WireTime.format(millis)).isEqualTo(reference(millis));
        }
        assertThat(WireTime.format(1_767_225_600_123L)).isEqualTo("2026-01-01T00:00:00.123Z");
    }
}
