package bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A process the harness started: its output goes to a log file, and its CPU time and resident memory (with those of
 * its descendants, for launchers that fork) are read from /proc. {@link #stop} ends it by its pid: TERM, then KILL.
 */
final class Proc implements AutoCloseable {
    static final long CLOCK_TICKS = 100; // USER_HZ on Linux
    final String name;
    final Process process;
    final Path log;

    private Proc(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static Proc start(String name, List<String> command, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new Proc(name, pb.start(), log);
    }

    long pid() {
        return process.pid();
    }

    /** The pid and all its descendants now alive. */
    List<Long> tree() {
        List<Long> all = new ArrayList<>();
        all.add(process.pid());
        process.descendants().forEach(p -> all.add(p.pid()));
        return all;
    }

    /** utime + stime of the tree in clock ticks. */
    long cpuTicks() {
        long total = 0;
        for (long pid : tree()) total += cpuTicks(pid);
        return total;
    }

    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of the full line
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Resident set size of the tree in KiB. */
    long rssKib() {
        long total = 0;
        for (long pid : tree()) total += status(pid, "VmRSS:");
        return total;
    }

    static long status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    /** The tree's threads now (the JVM's platform threads; virtual ones are not counted by the kernel). */
    long threadCount() {
        long total = 0;
        for (long pid : tree()) total += status(pid, "Threads:");
        return total;
    }

    /** The tree's open file descriptors now (sockets, the database's files, logs). */
    long openFiles() {
        long total = 0;
        for (long pid : tree()) {
            try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                total += fds.count();
            } catch (IOException | RuntimeException e) {
                // gone
            }
        }
        return total;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** TERM to the process (launchers pass it on), then KILL to whatever of the tree is left. */
    void stop() {
        if (!process.isAlive()) return;
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle child : children) if (child.isAlive()) child.destroyForcibly();
    }

    @Override
    public void close() {
        stop();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    /** CPU and peak RSS of this tree over a stretch of time, sampled every 100 ms on a daemon thread. */
    final class Meter implements AutoCloseable {
        private final long startTicks = cpuTicks();
        private final Map<String, Long> startThreads = threadTicks();
        private final long startMachine = machineBusyTicks();
        private final long startSelf = selfTicks();
        private final long startNanos = System.nanoTime();
        private volatile long peakRss = rssKib();
        private volatile boolean running = true;
        private final Thread sampler;
        double cpuPercent;
        /** The CPU every other process on the machine used meanwhile (neither this server, nor wrk, nor the harness). */
        double othersPercent;
        long peakRssKib;
        /** CPU ticks by kind of thread (names with their numbers dropped) over the measurement, most first. */
        Map<String, Long> threads = Map.of();
        /** CPU ticks of the whole tree over the measurement. */
        long ticks;

        Meter() {
            sampler = Thread.ofPlatform().daemon().start(() -> {
                while (running) {
                    peakRss = Math.max(peakRss, rssKib());
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() {
            running = false;
            sampler.interrupt();
            ticks = cpuTicks() - startTicks;
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            cpuPercent = 100.0 * ticks / CLOCK_TICKS / seconds;
            long others = machineBusyTicks() - startMachine - ticks - (selfTicks() - startSelf);
            othersPercent = Math.max(0, 100.0 * others / CLOCK_TICKS / seconds);
            peakRssKib = Math.max(peakRss, rssKib());
            Map<String, Long> end = threadTicks();
            Map<String, Long> spent = new java.util.TreeMap<>();
            end.forEach((kind, t) -> {
                long d = t - startThreads.getOrDefault(kind, 0L);
                if (d > 0) spent.put(kind, d);
            });
            threads = spent;
        }

        /**
         * The JIT's compiler threads' share of the tree's CPU over the measurement ("C1 CompilerThread0" and
         * "C2 CompilerThread0" are kind "C# CompilerThre"): a JVM still compiling its hot paths serves fewer requests
         * with more CPU each, so a high share means the node was measured before it was warm.
         */
        double compilerShare() {
            long compiling = 0;
            for (Map.Entry<String, Long> kind : threads.entrySet()) if (kind.getKey().startsWith("C# Compiler")) compiling += kind.getValue();
            return ticks <= 0 ? 0 : (double) compiling / ticks;
        }

        /** Where the server's CPU went, in µs a request, by kind of thread (those above 1 µs). */
        String threadsPerRequest(long requests) {
            StringBuilder out = new StringBuilder();
            threads.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(e -> {
                double us = e.getValue() * 1e6 / CLOCK_TICKS / Math.max(1, requests);
                if (us >= 1) out.append(String.format(java.util.Locale.ROOT, "%s%s %.0f", out.isEmpty() ? "" : ", ", e.getKey(), us));
            });
            return out.toString();
        }
    }

    /**
     * CPU ticks of the tree's threads, summed by kind: a thread's name from {@code /proc/<pid>/task/<tid>/comm} with
     * its digits dropped (the JVM's carrier threads, Jetty's selectors, the audit writer, GC). A thread that ended
     * during the measurement is missed, which the server's long-lived threads never do.
     */
    Map<String, Long> threadTicks() {
        Map<String, Long> byKind = new java.util.HashMap<>();
        for (Path task : tasks()) {
            try {
                String kind = Files.readString(task.resolve("comm")).trim().replaceAll("[0-9]+", "#");
                String stat = Files.readString(task.resolve("stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                byKind.merge(kind, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
            } catch (IOException | RuntimeException e) {
                // the thread ended while it was read
            }
        }
        return byKind;
    }

    /** A trailing number, with the '-' or '#' before it ("qtp123-45", "GC Thread#0", "pool-3-thread-7"). */
    private static final java.util.regex.Pattern TRAILING_NUMBER = java.util.regex.Pattern.compile("-*(?:[-#]?[0-9]+)?-*$");

    /**
     * The tree's threads now, counted by group: the name the kernel has ({@code /proc/<pid>/task/<tid>/comm}, the
     * JVM's thread name cut to 15 characters) without its trailing number, so "qtp1234-56" counts under "qtp1234",
     * "ForkJoinPool-1-worker-3" (cut to "ForkJoinPool-1-") under "ForkJoinPool" and "C2 CompilerThread1" under
     * "C2 CompilerThre". Cheaper than a thread dump (no safepoint in the server), and enough to say which kind grew.
     */
    Map<String, Integer> threadGroups() {
        Map<String, Integer> groups = new java.util.TreeMap<>();
        for (Path task : tasks()) {
            try {
                String comm = Files.readString(task.resolve("comm")).strip();
                String group = TRAILING_NUMBER.matcher(comm).replaceFirst("");
                groups.merge(group.isEmpty() ? comm : group, 1, Integer::sum);
            } catch (IOException | RuntimeException e) {
                // the thread ended while it was read
            }
        }
        return groups;
    }

    /** The task (thread) folders of the tree's processes now; a process that ended meanwhile has none. */
    private List<Path> tasks() {
        List<Path> all = new ArrayList<>();
        for (long pid : tree()) {
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                all.addAll(tasks.toList());
            } catch (IOException | RuntimeException e) {
                // the process ended
            }
        }
        return all;
    }

    /**
     * Busy ticks of the whole machine: user, nice, system and steal (time a hypervisor gave to someone else). Interrupt
     * time is left out: our own loopback traffic is partly handled there, charged to no process.
     */
    static long machineBusyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 8}) if (i < f.length) busy += Long.parseLong(f[i]);
            return busy;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** This JVM's CPU ticks and those of the children it has waited for (wrk, stopped servers). */
    static long selfTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    Meter meter() {
        return new Meter();
    }
}
