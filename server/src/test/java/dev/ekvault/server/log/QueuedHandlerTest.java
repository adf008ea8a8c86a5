package dev.ekvault.server.log;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request log's handler writes on a thread of its own, in batches that gather while it lingers between writes: no
 * line is lost or reordered, and {@code flush()} returns only once every line published before it is written.
 */
class QueuedHandlerTest {
    private static final Formatter PLAIN = new Formatter() {
        @Override
        public String format(LogRecord record) {
            return record.getMessage() + "\n";
        }
    };

    @Test
    void everyLineFromManyThreadsIsWrittenOnceInEachThreadsOrderByTheTimeFlushReturns() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QueuedHandler handler = new QueuedHandler(out, PLAIN);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 5_000; i++) handler.publish(new LogRecord(Level.INFO, thread + " " + i));
            }));
        }
        for (Thread t : threads) t.join();
        handler.flush();
        String[] lines;
        synchronized (out) {
            lines = out.toString(StandardCharsets.UTF_8).split("\n");
        }
        assertThat(lines).hasSize(20_000);
        int[] next = new int[4];
        for (String line : lines) {
            String[] parts = line.split(" ");
            int thread = Integer.parseInt(parts[0]);
            assertThat(Integer.parseInt(parts[1])).as("thread %d's lines in order", thread).isEqualTo(next[thread]++);
        }
        handler.close();
    }

    @Test
    void aLinePublishedAfterCloseIsWrittenAtOnce() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QueuedHandler handler = new QueuedHandler(out, PLAIN);
        handler.publish(new LogRecord(Level.INFO, "before"));
        handler.close();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("before\n");
        handler.publish(new LogRecord(Level.INFO, "after"));
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("before\nafter\n");
    }
}
