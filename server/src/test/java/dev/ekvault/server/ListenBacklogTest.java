package dev.ekvault.server;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.LogCapture;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A listen backlog the kernel lowers is said at start: the warning names the setting, the sysctl and its value, and
 * a backlog the kernel grants in full says nothing. Relative to this machine's {@code net.core.somaxconn}, so it holds
 * whatever the host's value.
 */
class ListenBacklogTest {
    private static final Path SOMAXCONN = Path.of("/proc/sys/net/core/somaxconn");

    @Test
    void aBacklogAboveTheKernelsCapIsAWarningAtStartAndOneWithinItIsNot() throws Exception {
        assumeTrue(Files.isReadable(SOMAXCONN), "not Linux: the kernel's cap cannot be read");
        int cap = Integer.parseInt(Files.readAllLines(SOMAXCONN).get(0).trim()); // readString gives a sysctl file's first byte
        assumeTrue(cap < 65_535, "the cap is above the largest backlog the setting takes");

        assertThat(backlogWarnings(cap + 1)).singleElement().asString()
                .contains("http.accept-queue is " + (cap + 1)).contains("net.core.somaxconn = " + cap);
        assertThat(backlogWarnings(cap)).isEmpty();
    }

    private static List<String> backlogWarnings(int acceptQueue) {
        try (LogCapture log = LogCapture.open();
             TestServer ignored = TestServer.start(Backend.SQLITE, "--http-accept-queue=" + acceptQueue)) {
            return log.records().stream()
                    .filter(r -> r.getLevel() == Level.WARNING && EkServer.class.getName().equals(r.getLoggerName()))
                    .map(r -> r.getMessage()).filter(m -> m.contains("somaxconn")).toList();
        }
    }
}
