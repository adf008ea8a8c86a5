package dev.ekvault.server.gateway;

import dev.ekvault.server.config.Config;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Cuts connections whose request header arrives slower than {@code http.min-request-data-rate}. Jetty 12 enforces no
 * minimum rate (its {@code HttpConfiguration.setMinRequestDataRate} is read by nothing), and a header is parsed before
 * any handler runs, so this looks from outside: every {@value #SWEEP_MILLIS} ms it walks the connector's connections,
 * notes when one's parser is first seen inside a request header and how many bytes had arrived, and closes it once
 * the header has taken longer than {@link Config.Http#MIN_RATE_GRACE} at a lower average rate. A connection between
 * requests (parser at its start) is the idle timeout's business; a body is judged by the gateway ({@link MinimumRate}).
 */
public final class SlowHeaders extends AbstractLifeCycle {
    private static final Logger LOG = Logger.getLogger(SlowHeaders.class.getName());
    static final long SWEEP_MILLIS = 500;
    private static final long GRACE_NANOS = Config.Http.MIN_RATE_GRACE.toNanos();

    /** A request header in progress: since when it was seen, with how many bytes the connection had then. */
    private record InHeader(long seenAtNanos, long bytesInThen) {}

    private final ServerConnector connector;
    private final int bytesPerSecond;
    private final Map<EndPoint, InHeader> headers = new ConcurrentHashMap<>();
    private volatile Scheduler.Task next;

    public SlowHeaders(ServerConnector connector, int bytesPerSecond) {
        this.connector = connector;
        this.bytesPerSecond = bytesPerSecond;
    }

    @Override
    protected void doStart() {
        if (bytesPerSecond > 0) schedule();
    }

    @Override
    protected void doStop() {
        Scheduler.Task task = next;
        if (task != null) task.cancel();
        headers.clear();
    }

    private void schedule() {
        next = connector.getScheduler().schedule(this::sweepAndReschedule, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void sweepAndReschedule() {
        try {
            sweep(System.nanoTime());
        } catch (RuntimeException e) {
            LOG.warning("slow-header sweep failed: " + e.getClass().getSimpleName());
        } finally {
            if (isRunning()) schedule();
        }
    }

    void sweep(long now) {
        headers.keySet().removeIf(endPoint -> !endPoint.isOpen());
        for (EndPoint endPoint : connector.getConnectedEndPoints()) {
            if (!(endPoint.getConnection() instanceof HttpConnection http)) continue;
            HttpParser parser = http.getParser();
            if (parser.isStart() || !parser.inHeaderState()) {
                headers.remove(endPoint);
                continue;
            }
            long bytesIn = http.getBytesIn();
            InHeader header = headers.computeIfAbsent(endPoint, e -> new InHeader(now, bytesIn));
            long elapsed = now - header.seenAtNanos;
            if (elapsed <= GRACE_NANOS) continue;
            double rate = (bytesIn - header.bytesInThen) * 1_000_000_000.0 / elapsed;
            if (rate < bytesPerSecond) {
                headers.remove(endPoint);
                LOG.info("closed a connection from " + endPoint.getRemoteSocketAddress() + ": its request header arrived at "
                        + Math.round(rate) + " bytes a second, under http.min-request-data-rate (" + bytesPerSecond + ")");
                endPoint.close();
            }
        }
    }
}
