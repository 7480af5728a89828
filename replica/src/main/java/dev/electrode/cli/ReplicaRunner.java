package dev.electrode.cli;

import dev.electrode.app.KvStore;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.ReplicaProcess;
import dev.electrode.server.ReplicaServer;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.vr.VrSettings;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs one replica of the KV store as a process would: prints its status changes and a ready
 * line, and stops cleanly on SIGTERM or SIGINT (exit code 0, counters printed).
 */
public final class ReplicaRunner {
    private ReplicaRunner() {}

    /**
     * Runs until signalled (exit code 0) or until the replica stops on its own because it cannot
     * make its state durable (exit code 1). {@code options} gives offloads and journal (either
     * may be absent); {@code readySuffix} and {@code extraStats} add launcher-specific text to the
     * ready, stats and stop lines; a "stats" line with every counter (protocol, decoder
     * rejections by reason, kernel-ack rejections, journal, and {@code extraStats}) is printed
     * every {@code statsEverySeconds} seconds (0: only the stop line).
     */
    public static int run(ClusterConfig cfg, int index, VrSettings settings, boolean recovering, ReplicaServer.Options options,
                          String readySuffix, Supplier<String> extraStats, int statsEverySeconds) throws InterruptedException {
        ReplicaServer.StatusListener printer = (status, view, leader) -> {
            System.out.println("replica " + index + ": status " + status + " view " + view + " leader " + leader);
            System.out.flush();
        };
        ReplicaServer server = ReplicaServer.start(cfg, index, settings, new KvStore(), recovering,
                new ReplicaServer.Options(printer, options.offloads(), options.journal(), options.durability()));
        CountDownLatch stopRequested = new CountDownLatch(1);
        // SIGTERM/SIGINT end the replica cleanly with exit code 0 (the JVM default would be 143/130).
        for (String sig : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stopRequested.countDown());
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
        while (!stopRequested.await(200, TimeUnit.MILLISECONDS)) {
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
