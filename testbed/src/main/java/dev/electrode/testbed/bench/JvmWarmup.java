package dev.electrode.testbed.bench;

import dev.electrode.bpf.Offload;
import dev.electrode.client.LoadGenerator;
import dev.electrode.testbed.ReplicationProtocol;
import dev.electrode.testbed.TestbedEnv;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Unrecorded load through a cluster in each offload configuration, so that the JIT has
 * compiled the hot paths before anything is measured (otherwise the first mode measured pays
 * for it).
 */
final class JvmWarmup {
    private JvmWarmup() {}

    /**
     * Runs {@code clients} closed-loop clients for {@code each} through an {@code n}-replica cluster
     * per protocol and distinct configuration.
     */
    static void run(Collection<ReplicationProtocol> protocols, int n, Collection<List<Offload>> configurations, int clients, int batchSize,
                    int mtu, int valueSize, Duration each) throws InterruptedException {
        if (each.isZero()) return;
        for (ReplicationProtocol protocol : protocols)
            for (List<Offload> offloads : new LinkedHashSet<>(configurations)) run(protocol, n, offloads, clients, batchSize, mtu, valueSize, each);
    }

    private static void run(ReplicationProtocol protocol, int n, List<Offload> offloads, int clients, int batchSize, int mtu, int valueSize,
                            Duration each) throws InterruptedException {
        TestbedEnv env = new TestbedEnv(ClusterMeasurement.testbed(protocol, n, offloads, batchSize, mtu), Path.of("target", "bench-run"));
        try {
            System.out.printf("JVM warm-up: %s, offloads %s, %d s (not recorded)%n", protocol.label(), offloads, each.toSeconds());
            LoadGenerator.run(env.client(), clients, Duration.ZERO, each, valueSize, 1000);
        } finally {
            env.close(false);
        }
    }
}
