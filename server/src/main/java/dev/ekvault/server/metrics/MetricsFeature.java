package dev.ekvault.server.metrics;

import dev.ekvault.server.audit.EventLog;
import dev.ekvault.server.jwt.JwtVerifier;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.secret.SecretCache;
import dev.ekvault.server.sync.SyncEngine;

/**
 * Metrics installed: the node's {@link Metrics} hooked to the store (change-feed lag, transaction times, pool use),
 * the caches and queues of the features below, and the journal (security events, sync pushes); and, when
 * {@code metrics.port} is set, the metrics port as a service of the node. The gateway observes each request through
 * {@link #metrics}.
 */
public final class MetricsFeature {
    private final Metrics metrics;
    private MetricsServer server;

    private MetricsFeature(Metrics metrics) {
        this.metrics = metrics;
    }

    public static MetricsFeature install(Platform p, JwtVerifier jwts, SecretCache secretCache, EventLog audit, SyncEngine sync) {
        MetricsFeature feature = new MetricsFeature(new Metrics());
        Metrics metrics = feature.metrics;
        metrics.observe(p.database(), p.changes());
        metrics.caches(jwts, secretCache);
        metrics.queues(audit, sync);
        metrics.follow(p.journal());
        if (p.config().metrics().enabled()) {
            p.jobs().service("metrics port", () -> feature.server = MetricsServer.start(p.config().metrics(), metrics), () -> {
                if (feature.server != null) feature.server.close();
            });
        }
        return feature;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** The metrics port once the node has started, or -1 when there is none. */
    public int port() {
        return server == null ? -1 : server.port();
    }
}
