package dev.ekvault.server.platform;

import dev.ekvault.server.store.FailureStreak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The background work of a serving node, in one registry with one lifecycle: features register periodic jobs and
 * long-running services when they are installed; {@link #start} starts them once the node serves, {@link #close}
 * stops them in reverse order (the last registered first) once it no longer takes requests. A command that only
 * opens the store to do one thing builds no jobs at all.
 */
public final class Jobs implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Jobs.class.getName());

    /** Something with its own thread or schedule (the change feed's poller, the usage flusher). */
    private interface Service {
        void start();

        void close();
    }

    private record Periodic(String name, Duration period, Runnable work) {}

    private final List<Service> services = new ArrayList<>();
    private final List<String> serviceNames = new ArrayList<>();
    private final List<Periodic> periodic = new ArrayList<>();
    private ScheduledExecutorService scheduler;

    /** A service started with the node and closed when it stops. */
    public void service(String name, Runnable start, Runnable stop) {
        service(name, new Service() {
            @Override
            public void start() {
                start.run();
            }

            @Override
            public void close() {
                stop.run();
            }
        });
    }

    private void service(String name, Service service) {
        if (scheduler != null) throw new IllegalStateException("jobs are registered before the node starts: " + name);
        services.add(service);
        serviceNames.add(name);
    }

    /**
     * Work run every {@code period} (first after one period) on the one maintenance thread; a failure is logged by
     * its kind only (a message might hold data) and the job runs again at its next turn.
     */
    public void every(String name, Duration period, Runnable work) {
        if (scheduler != null) throw new IllegalStateException("jobs are registered before the node starts: " + name);
        periodic.add(new Periodic(name, period, work));
    }

    /** The names of what is registered, services first (for the start-up log line and tests). */
    public List<String> names() {
        List<String> names = new ArrayList<>(serviceNames);
        periodic.forEach(p -> names.add(p.name() + " every " + (p.period().toMillis() % 1000 == 0 ? p.period().toSeconds() + " s"
                : p.period().toMillis() + " ms")));
        return names;
    }

    /**
     * Runs a registered periodic job once now, on the calling thread (tests drive a job's clock-driven work this way
     * instead of waiting for its turn).
     */
    public void runNow(String name) {
        for (Periodic job : periodic) {
            if (job.name().equals(name)) {
                job.work().run();
                return;
            }
        }
        throw new IllegalArgumentException("no job named " + name);
    }

    public void start() {
        services.forEach(Service::start);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ek-jobs");
            t.setDaemon(true);
            return t;
        });
        for (Periodic job : periodic) {
            long millis = job.period().toMillis();
            FailureStreak streak = new FailureStreak(LOG, job.name());
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    job.work().run();
                    streak.succeeded();
                } catch (RuntimeException e) {
                    streak.failed(e);
                }
            }, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops the periodic jobs, then closes the services, the last registered first. */
    @Override
    public void close() {
        if (scheduler != null) scheduler.shutdownNow();
        for (int i = services.size() - 1; i >= 0; i--) {
            try {
                services.get(i).close();
            } catch (RuntimeException e) {
                LOG.warning(serviceNames.get(i) + " did not stop cleanly (" + e.getClass().getSimpleName() + ")");
            }
        }
    }
}
