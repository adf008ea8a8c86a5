package dev.ekvault.server.metrics;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.StartFailure;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.logging.Logger;

/**
 * {@code GET /metrics} on a port of its own ({@code metrics.host}:{@code metrics.port}, 127.0.0.1 unless set), so the
 * numbers are never exposed wherever the API is, and a scraper's traffic never meets the API's rate limits or request
 * log. With {@code metrics.token} set, a scrape must send it as a bearer token (compared in constant time). Anything
 * else on the port is 404; a wrong or missing token is 401. A small thread pool of its own: a slow scraper cannot take
 * the API's threads.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MetricsServer.class.getName());
    private final Server jetty;
    private final ServerConnector connector;

    private MetricsServer(Server jetty, ServerConnector connector) {
        this.jetty = jetty;
        this.connector = connector;
    }

    /** Binds and starts the metrics port; a port that cannot be bound stops the start like the API's own (exit 5). */
    public static MetricsServer start(Config.Metrics config, Metrics metrics) {
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("ek-metrics");
        Server jetty = new Server(threads);
        ServerConnector connector = new ServerConnector(jetty, 1, 1);
        connector.setHost(config.host());
        connector.setPort(config.port());
        jetty.addConnector(connector);
        jetty.setHandler(new Scrape(metrics, config.token().isPresent() ? ("Bearer " + config.token().value()).getBytes(StandardCharsets.US_ASCII) : null));
        try {
            jetty.start();
        } catch (Exception e) {
            try {
                jetty.stop();
            } catch (Exception ignored) {
                // the start failed; nothing is serving
            }
            throw new StartFailure(StartFailure.Reason.PORT, "cannot listen for metrics on " + config.host() + ":" + config.port()
                    + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        LOG.info("metrics on http://" + config.host() + ":" + connector.getLocalPort() + "/metrics"
                + (config.token().isPresent() ? " (bearer token required)" : ""));
        return new MetricsServer(jetty, connector);
    }

    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.warning("metrics port did not stop cleanly: " + e.getClass().getSimpleName());
        }
    }

    private static final class Scrape extends Handler.Abstract {
        private final Metrics metrics;
        /** {@code Bearer <token>} as bytes, or null when scrapes need no token. */
        private final byte[] expected;

        Scrape(Metrics metrics, byte[] expected) {
            this.metrics = metrics;
            this.expected = expected;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            if (!request.getHttpURI().getPath().equals("/metrics")) {
                return plain(response, callback, 404, "not found: the metrics are at /metrics\n");
            }
            if (!request.getMethod().equals("GET") && !request.getMethod().equals("HEAD")) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                return plain(response, callback, 405, "method not allowed\n");
            }
            if (expected != null) {
                String given = request.getHeaders().get(HttpHeader.AUTHORIZATION);
                if (given == null || given.length() > 2048 || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.US_ASCII))) {
                    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
                    return plain(response, callback, 401, "a bearer token (metrics.token) is required\n");
                }
            }
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, metrics.contentType());
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                if (!request.getMethod().equals("HEAD")) metrics.write(out);
            }
            callback.succeeded();
            return true;
        }

        private static boolean plain(Response response, Callback callback, int status, String text) {
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.write(true, java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    }
}
