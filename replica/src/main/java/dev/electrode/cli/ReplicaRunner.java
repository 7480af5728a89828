package dev.electrode.cli;

import dev.electrode.app.KvStore;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.ReplicaProcess;
import dev.electrode.offload.ReplicaOffloads;
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
     * Runs until signalled. {@code offloads} may be null (plain UDP); {@code readySuffix} and
     * {@code extraStats} add launcher-specific text to the ready and stop lines.
     */
    public static void run(ClusterConfig cfg, int index, VrSettings settings, boolean recovering, ReplicaOffloads offloads,
                           String readySuffix, Supplier<String> extraStats) throws InterruptedException {
        run(cfg, index, settings, recovering, offloads, readySuffix, extraStats, 0);
    }

    /**
     * As above, printing a "stats" line with every counter (protocol, decoder rejections by
     * reason, kernel-ack rejections, and {@code extraStats}) every {@code statsEverySeconds}
     * seconds while it runs (0: only the stop line).
     */
    public static void run(ClusterConfig cfg, int index, VrSettings settings, boolean recovering, ReplicaOffloads offloads,
                           String readySuffix, Supplier<String> extraStats, int statsEverySeconds) throws InterruptedException {
        ReplicaServer server = ReplicaServer.start(cfg, index, settings, new KvStore(), recovering, (status, view, leader) -> {
            System.out.println("replica " + index + ": status " + status + " view " + view + " leader " + leader);
            System.out.flush();
        }, offloads);
        CountDownLatch stopRequested = new CountDownLatch(1);
        // SIGTERM/SIGINT end the replica cleanly with exit code 0 (the JVM default would be 143/130).
        for (String sig : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stopRequested.countDown());
        }
        System.out.println("replica " + index + " " + (recovering ? "recovering, " : "") + ReplicaProcess.READY_MARKER + " "
                + server.endpoint().localAddress() + " (" + (UdpEndpoint.epollAvailable() ? "epoll" : "nio") + ")" + readySuffix);
        System.out.flush();
        if (statsEverySeconds > 0) {
            while (!stopRequested.await(statsEverySeconds, TimeUnit.SECONDS)) {
                System.out.println("replica " + index + " stats: " + server.countersLine() + extraStats.get());
                System.out.flush();
            }
        }
        stopRequested.await();
        String stats = server.countersLine();
        server.close();
        System.out.println("replica " + index + " stopped: " + stats + extraStats.get());
        System.out.flush();
    }
}
