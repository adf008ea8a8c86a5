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
            long ticks = cpuTicks() - startTicks;
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            cpuPercent = 100.0 * ticks / CLOCK_TICKS / seconds;
            long others = machineBusyTicks() - startMachine - ticks - (selfTicks() - startSelf);
            othersPercent = Math.max(0, 100.0 * others / CLOCK_TICKS / seconds);
            peakRssKib = Math.max(peakRss, rssKib());
        }
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
