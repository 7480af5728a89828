package dev.electrode.cli;

import dev.electrode.app.KvStore;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.ReplicaProcess;
import dev.electrode.server.ReplicaServer;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.vr.VrSettings;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs one replica of the KV store as a process would: prints its status changes and a ready
 * line, answers SIGHUP with a report line, and stops cleanly on SIGTERM or SIGINT (exit code 0,
 * counters printed).
 */
public final class ReplicaRunner {
    /** A report line: index, number, status, view, leader, lastOp, commit, digest, then the counters. */
    public static final java.util.regex.Pattern REPORT_PATTERN = java.util.regex.Pattern.compile(
            "replica (\\d+) report (\\d+): status (\\w+) view (\\d+) leader (\\d+) lastOp (\\d+) commit (\\d+) digest (\\w+); (.*)");

    private ReplicaRunner() {}

    /**
     * Runs until signalled (exit code 0) or until the replica stops on its own because it cannot
     * make its state durable (exit code 1). {@code options} gives offloads and journal (either
     * may be absent); {@code readySuffix} and {@code extraStats} add launcher-specific text to the
     * ready, stats and stop lines; a "stats" line with every counter (protocol, decoder
     * rejections by reason, kernel-ack rejections, journal, and {@code extraStats}) is printed
     * every {@code statsEverySeconds} seconds (0: only the stop line). On SIGHUP it prints at once
     * a line {@code replica I report N: status S view V leader L lastOp O commit C digest D; <stats>}
     * ({@link #REPORT_PATTERN}), N counting from 1 per run: what a supervisor polls.
     */
    public static int run(ClusterConfig cfg, int index, VrSettings settings, boolean recovering, ReplicaServer.Options options,
                          String readySuffix, Supplier<String> extraStats, int statsEverySeconds) throws InterruptedException {
        ReplicaServer.StatusListener printer = (status, view, leader) -> {
            System.out.println("replica " + index + ": status " + status + " view " + view + " leader " + leader);
            System.out.flush();
        };
        KvStore store = new KvStore();
        ReplicaServer server = ReplicaServer.start(cfg, index, settings, store, recovering,
                new ReplicaServer.Options(printer, options.offloads(), options.journal(), options.durability()));
        BlockingQueue<String> signals = new LinkedBlockingQueue<>();
        // SIGTERM/SIGINT end the replica cleanly with exit code 0 (the JVM default would be 143/130).
        for (String sig : new String[] {"TERM", "INT", "HUP"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> signals.add(s.getName()));
        }
        System.out.println("replica " + index + " " + (recovering ? "recovering, " : "") + ReplicaProcess.READY_MARKER + " "
                + server.endpoint().localAddress() + " (" + (UdpEndpoint.epollAvailable() ? "epoll" : "nio") + ")"
                + " durability " + options.durability().name().toLowerCase() + readySuffix);
        // The status it starts in (status lines follow on every change): what a supervisor reads.
        server.query(v -> {
            printer.statusChanged(v.status(), v.view(), v.leaderOf(v.view()));
            return null;
        });
        System.out.flush();
        long nextStats = statsEverySeconds > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(statsEverySeconds) : Long.MAX_VALUE;
        int reports = 0;
        for (String signal; !"TERM".equals(signal = signals.poll(200, TimeUnit.MILLISECONDS)) && !"INT".equals(signal); ) {
            if ("HUP".equals(signal)) {
                int n = ++reports;
                String state = server.query(v -> "status " + v.status() + " view " + v.view() + " leader " + v.leaderOf(v.view())
                        + " lastOp " + v.lastOp() + " commit " + v.commitNum() + " digest " + store.digest());
                System.out.println("replica " + index + " report " + n + ": " + state + "; " + server.countersLine() + extraStats.get());
                System.out.flush();
            }
            if (server.failure() != null) {
                System.out.println("replica " + index + " failed: " + server.failure().getMessage() + "; " + server.countersLine() + extraStats.get());
                server.close();
                return 1;
            }
            if (System.nanoTime() >= nextStats) {
                System.out.println("replica " + index + " stats: " + server.countersLine() + extraStats.get());
                System.out.flush();
                nextStats += TimeUnit.SECONDS.toNanos(statsEverySeconds);
            }
        }
        String stats = server.countersLine();
        server.close();
        System.out.println("replica " + index + " stopped: " + stats + extraStats.get());
        System.out.flush();
        return server.failure() == null ? 0 : 1;
    }
}
