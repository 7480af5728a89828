package dev.electrode.cli;

import dev.electrode.app.KvStore;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.ReplicaProcess;
import dev.electrode.offload.Offloads;
import dev.electrode.raft.RaftRole;
import dev.electrode.raft.RaftSettings;
import dev.electrode.server.Durability;
import dev.electrode.server.RaftServer;
import dev.electrode.server.ReplicaServer;
import dev.electrode.storage.DataDirectory;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.vr.VrSettings;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs one replica of the KV store as a process would: prints its status changes and a ready
 * line, answers SIGHUP with a report line, and stops cleanly on SIGTERM or SIGINT (exit code 0,
 * counters printed). VR and Raft replicas print the same lines (a Raft replica's term in the
 * view field; NORMAL while it leads or follows a known leader, VIEW_CHANGE otherwise, leader -1
 * while it knows none).
 */
public final class ReplicaRunner {
    /** A report line: index, number, status, view, leader, lastOp, commit, digest, then the counters. */
    public static final java.util.regex.Pattern REPORT_PATTERN = java.util.regex.Pattern.compile(
            "replica (\\d+) report (\\d+): status (\\w+) view (\\d+) leader (-?\\d+) lastOp (\\d+) commit (\\d+) digest (\\w+); (.*)");

    /**
     * The digest field of a report asked for by SIGUSR1: hashing the whole store runs on the event
     * loop (and wakes the JIT), which a supervisor reading counters under load must not cause.
     */
    public static final String DIGEST_SKIPPED = "skipped";

    private ReplicaRunner() {}

    /** What the runner asks of a running replica, VR or Raft. */
    private interface Running {
        /** "status S view V leader L" now. */
        String status();

        /** The status, then "lastOp O commit C digest D" (D is {@link #DIGEST_SKIPPED} unless {@code digest}). */
        String state(boolean digest);

        String countersLine();

        String localAddress();

        java.io.IOException failure();

        void close();
    }

    /**
     * Runs until signalled (exit code 0) or until the replica stops on its own because it cannot
     * make its state durable (exit code 1). {@code options} gives offloads and journal (either
     * may be absent); {@code readySuffix} and {@code extraStats} add launcher-specific text to the
     * ready, stats and stop lines; a "stats" line with every counter (protocol, decoder
     * rejections by reason, kernel-ack rejections, journal, and {@code extraStats}) is printed
     * every {@code statsEverySeconds} seconds (0: only the stop line). On SIGHUP it prints at once
     * a line {@code replica I report N: status S view V leader L lastOp O commit C digest D; <stats>}
     * ({@link #REPORT_PATTERN}), N counting from 1 per run: what a supervisor polls. SIGUSR1 prints
     * the same line without hashing the store (digest {@link #DIGEST_SKIPPED}).
     */
    public static int run(ClusterConfig cfg, int index, VrSettings settings, boolean recovering, ReplicaServer.Options options,
                          String readySuffix, Supplier<String> extraStats, int statsEverySeconds) throws InterruptedException {
        ReplicaServer.StatusListener printer = (status, view, leader) -> printStatus(index, status.name(), view, leader);
        KvStore store = new KvStore();
        ReplicaServer server = ReplicaServer.start(cfg, index, settings, store, recovering,
                new ReplicaServer.Options(printer, options.offloads(), options.journal(), options.durability()));
        Running running = new Running() {
            @Override public String status() {
                return server.query(v -> "status " + v.status() + " view " + v.view() + " leader " + v.leaderOf(v.view()));
            }
            @Override public String state(boolean digest) {
                return server.query(v -> "status " + v.status() + " view " + v.view() + " leader " + v.leaderOf(v.view())
                        + " lastOp " + v.lastOp() + " commit " + v.commitNum() + " digest " + (digest ? store.digest() : DIGEST_SKIPPED));
            }
            @Override public String countersLine() { return server.countersLine(); }
            @Override public String localAddress() { return String.valueOf(server.endpoint().localAddress()); }
            @Override public java.io.IOException failure() { return server.failure(); }
            @Override public void close() { server.close(); }
        };
        return loop(running, index, (recovering ? "recovering, " : ""), " durability " + options.durability().name().toLowerCase() + readySuffix,
                extraStats, statsEverySeconds);
    }

    /** As {@link #run} for a Raft replica (no recovery: it restarts from its data directory, or starts empty). */
    public static int runRaft(ClusterConfig cfg, int index, RaftSettings settings, Offloads offloads, DataDirectory data,
                              Durability durability, String readySuffix, Supplier<String> extraStats, int statsEverySeconds)
            throws InterruptedException {
        KvStore store = new KvStore();
        RaftServer server = RaftServer.start(cfg, index, settings, store, offloads, data, durability,
                (role, term, leader) -> printStatus(index, raftStatus(role, leader), term, leader));
        Running running = new Running() {
            @Override public String status() {
                return server.query(r -> "status " + raftStatus(r.role(), r.leader()) + " view " + r.term() + " leader " + r.leader());
            }
            @Override public String state(boolean digest) {
                return server.query(r -> "status " + raftStatus(r.role(), r.leader()) + " view " + r.term() + " leader " + r.leader()
                        + " lastOp " + r.lastIndex() + " commit " + r.commitIndex() + " digest " + (digest ? store.digest() : DIGEST_SKIPPED));
            }
            @Override public String countersLine() { return server.countersLine(); }
            @Override public String localAddress() { return String.valueOf(server.endpoint().localAddress()); }
            @Override public java.io.IOException failure() { return server.failure(); }
            @Override public void close() { server.close(); }
        };
        return loop(running, index, "", " protocol raft durability " + durability.name().toLowerCase() + readySuffix, extraStats,
                statsEverySeconds);
    }

    /** A Raft role in the status line's words. */
    private static String raftStatus(RaftRole role, int leader) {
        return role == RaftRole.LEADER || (role == RaftRole.FOLLOWER && leader >= 0) ? "NORMAL" : "VIEW_CHANGE";
    }

    private static void printStatus(int index, String status, long view, int leader) {
        System.out.println("replica " + index + ": status " + status + " view " + view + " leader " + leader);
        System.out.flush();
    }

    private static int loop(Running server, int index, String readyPrefix, String readySuffix, Supplier<String> extraStats,
                            int statsEverySeconds) throws InterruptedException {
        BlockingQueue<String> signals = new LinkedBlockingQueue<>();
        // SIGTERM/SIGINT end the replica cleanly with exit code 0 (the JVM default would be 143/130).
        for (String sig : new String[] {"TERM", "INT", "HUP", "USR1"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> signals.add(s.getName()));
        }
        System.out.println("replica " + index + " " + readyPrefix + ReplicaProcess.READY_MARKER + " " + server.localAddress()
                + " (" + (UdpEndpoint.epollAvailable() ? "epoll" : "nio") + ")" + readySuffix);
        // The status it starts in (status lines follow on every change): what a supervisor reads.
        System.out.println("replica " + index + ": " + server.status());
        System.out.flush();
        long nextStats = statsEverySeconds > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(statsEverySeconds) : Long.MAX_VALUE;
        int reports = 0;
        for (String signal; !"TERM".equals(signal = signals.poll(200, TimeUnit.MILLISECONDS)) && !"INT".equals(signal); ) {
            if ("HUP".equals(signal) || "USR1".equals(signal)) {
                int n = ++reports;
                System.out.println("replica " + index + " report " + n + ": " + server.state("HUP".equals(signal)) + "; " + server.countersLine() + extraStats.get());
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
