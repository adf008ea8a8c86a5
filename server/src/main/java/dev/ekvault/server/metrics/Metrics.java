package dev.ekvault.server.metrics;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.audit.EventLog;
import dev.ekvault.server.jwt.JwtVerifier;
import dev.ekvault.server.secret.SecretCache;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.sync.SyncEngine;
import dev.ekvault.server.wire.Refusal;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * One node's Prometheus metrics: its own registry (several nodes may share a JVM in tests), the request histogram the
 * gateway observes, and what the other parts already count, read when scraped (caches, pool, queues, the sync backlog)
 * or told through small hooks (the change feed's lag, each transaction's time, the journal's security events).
 *
 * <p>Every label value comes from a fixed set: route templates (never a path), a status code, a credential kind, a
 * refusal reason, a cache name. No id of a secret, person, workspace or credential and nothing a client sent ever
 * becomes a label, so the number of series is bounded by the route table, not by the traffic
 * ({@code MetricsContract} drives many distinct ids and paths and counts the series).
 */
public final class Metrics {
    private static final Logger LOG = Logger.getLogger(Metrics.class.getName());
    /** What the label says of a request that matched no route: one series for every unknown path. */
    static final String NO_ROUTE = "unmatched";
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    /** The exchange routes (auth/ExchangeRoutes, workload/WorkloadIdentityRoutes) and the kind each one exchanges. */
    private static final String API_TOKEN_EXCHANGE = "/v1/auth/exchange";
    private static final String WORKLOAD_EXCHANGE = "/v1/auth/oidc/exchange";
    /** Status codes as label values, made once: the hot path formats nothing. */
    private static final String[] STATUS = new String[600];

    static {
        for (int i = 0; i < STATUS.length; i++) STATUS[i] = Integer.toString(i);
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram requests;
    private final Counter refusals;
    private final Counter rateLimited;
    private final Counter exchanges;
    private final Histogram feedLag;
    private final Histogram transactions;
    private final Histogram connectionWait;
    private final Counter securityEvents;
    private final Counter syncPushes;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public Metrics() {
        requests = register(Histogram.builder().name("ek_http_request_duration_seconds")
                .help("Requests answered, by route template, method, status and credential kind, with their latency")
                .labelNames("route", "method", "status", "credential")
                .classicOnly().classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).build());
        refusals = register(Counter.builder().name("ek_auth_refusals_total")
                .help("Requests refused for their credential or rights (401, 403) or a limit (429), by reason").labelNames("reason").build());
        rateLimited = register(Counter.builder().name("ek_rate_limited_total")
                .help("429 answers of a rate limit, by route template").labelNames("route").build());
        exchanges = register(Counter.builder().name("ek_exchanges_total")
                .help("Token exchanges (an API token or a cluster token for a JWT), by kind and outcome").labelNames("kind", "outcome").build());
        feedLag = register(Histogram.builder().name("ek_change_feed_lag_seconds")
                .help("From a change's commit (the database's time) to its application on this node, by kind; credential and member rows are the revocation lag")
                .labelNames("kind").classicOnly().classicUpperBounds(0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30, 60, 120).build());
        transactions = register(Histogram.builder().name("ek_db_transaction_seconds")
                .help("Database transactions, from a connection lent to its commit or rollback, by type (read or write)")
                .labelNames("type").classicOnly().classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5).build());
        connectionWait = register(Histogram.builder().name("ek_db_connection_wait_seconds")
                .help("Time a transaction waited for a pooled database connection")
                .classicOnly().classicUpperBounds(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10).build());
        securityEvents = register(Counter.builder().name("ek_security_events_total")
                .help("Security events committed on this node (sign-in, failed sign-in, lock-out, sign-out, rotation, revocation, member change)")
                .labelNames("event").build());
        syncPushes = register(Counter.builder().name("ek_sync_pushes_total")
                .help("Sync pushes this node made, by outcome").labelNames("outcome").build());
        JvmMetrics.builder().register(registry);
    }

    private <M extends io.prometheus.metrics.model.registry.Collector> M register(M metric) {
        registry.register(metric);
        return metric;
    }

    /**
     * One answered request (the gateway calls it once per request): the histogram observation, and for a refusal its
     * reason, a 429 its route, an exchange its outcome. {@code route} is the matched template or null.
     */
    public void request(String route, String method, int status, Caller caller, Refusal refusal, long nanos) {
        String template = route == null ? NO_ROUTE : route;
        requests.labelValues(template, METHODS.contains(method) ? method : "other", STATUS[status >= 0 && status < STATUS.length ? status : 0],
                caller == null ? "none" : caller.kind().wire).observe(nanos / 1e9);
        if (refusal != null) refusals.labelValues(refusal.wire).inc();
        if (status == 429) rateLimited.labelValues(template).inc();
        if (route != null && (route.equals(API_TOKEN_EXCHANGE) || route.equals(WORKLOAD_EXCHANGE))) {
            exchanges.labelValues(route.equals(API_TOKEN_EXCHANGE) ? "api-token" : "workload",
                    status == 200 ? "issued" : status == 429 ? "rate-limited" : "refused").inc();
        }
    }

    /** A committed security event ({@link SecurityEvents}'s vocabulary). */
    private void securityEvent(String event) {
        securityEvents.labelValues(event).inc();
    }

    /** A sync push this node made ("push" or "push-failed" in the journal). */
    private void syncPush(boolean succeeded) {
        syncPushes.labelValues(succeeded ? "success" : "failure").inc();
    }

    /** The change feed's lag and each transaction's time, told by the store as they happen. */
    public void observe(Database database, ChangeFeed feed) {
        feed.observeLag((kind, lagMillis) -> feedLag.labelValues(kind.name().toLowerCase(Locale.ROOT)).observe(lagMillis / 1e3));
        var read = transactions.labelValues("read");
        var write = transactions.labelValues("write");
        database.time((isWrite, waitNanos, heldNanos) -> {
            (isWrite ? write : read).observe(heldNanos / 1e9);
            connectionWait.observe(waitNanos / 1e9);
        });
        register(GaugeWithCallback.builder().name("ek_db_pool_connections")
                .help("The database pool's connections by state (active: lent out; waiting: threads waiting for one; max: the pool's size)")
                .labelNames("state").callback(callback -> {
                    Database.PoolUse use = database.poolUse();
                    callback.call(use.active(), "active");
                    callback.call(use.idle(), "idle");
                    callback.call(use.total(), "total");
                    callback.call(use.waiting(), "waiting");
                    callback.call(use.maximum(), "max");
                }).build());
    }

    /** The caches' hits and misses since start, read when scraped (Caffeine counts them; nothing on the read path here). */
    public void caches(JwtVerifier jwts, SecretCache secrets) {
        List<NamedCache> caches = List.of(new NamedCache("jwt", jwts::cacheStats), new NamedCache("secret-rows", secrets::rowStats),
                new NamedCache("secret-answers", secrets::answerStats));
        register(CounterWithCallback.builder().name("ek_cache_requests_total")
                .help("Cache look-ups by cache and result (the verified-token cache; the secret read path's rows and list answers)")
                .labelNames("cache", "result").callback(callback -> {
                    for (NamedCache cache : caches) {
                        CacheStats stats = cache.stats().get();
                        callback.call(stats.hitCount(), cache.name(), "hit");
                        callback.call(stats.missCount(), cache.name(), "miss");
                    }
                }).build());
    }

    private record NamedCache(String name, Supplier<CacheStats> stats) {}

    /** The audit events waiting for their group commit, and the syncs with changes not yet pushed (one count query). */
    public void queues(EventLog audit, SyncEngine sync) {
        register(GaugeWithCallback.builder().name("ek_audit_queue_entries")
                .help("Audit entries (reads of values, exchanges) waiting for their group commit, queued or being written; each holds an answer")
                .callback(callback -> callback.call(audit.backlog())).build());
        register(GaugeWithCallback.builder().name("ek_sync_pending")
                .help("Active syncs with changes not yet pushed, across every node (read from the database when scraped)")
                .callback(callback -> {
                    try {
                        callback.call(sync.pending());
                    } catch (RuntimeException e) {
                        // a scrape must still answer when the database does not: the gauge is left out this once
                        LOG.fine("sync backlog not read for the metrics: " + e.getClass().getSimpleName());
                    }
                }).build());
    }

    /** Follows the journal: each committed security event becomes a log line and a count, each sync push a count. */
    public void follow(Journal journal) {
        journal.subscribe(new SecurityEvents(this::securityEvent));
        journal.subscribe((changes, committed) -> {
            if (!committed) return;
            for (Journal.Change change : changes) {
                if (change.entityType().equals("sync") && change.action().startsWith("push")) syncPush(change.action().equals("push"));
            }
        });
    }

    /** The Prometheus text exposition of everything above and the JVM's own metrics. */
    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }

    public String contentType() {
        return writer.getContentType();
    }
}
