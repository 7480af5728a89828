package dev.electrode.testbed.bench;

import dev.electrode.bpf.Counter;
import dev.electrode.client.LoadGenerator;
import dev.electrode.netns.NetStats;
import dev.electrode.testbed.ReplicaNode;
import dev.electrode.testbed.TestbedEnv;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One measurement of a running testbed cluster: closed-loop load, and per committed operation
 * the replicas' protocol-thread CPU, the datagrams that crossed each socket layer and the
 * offload counters.
 */
final class ClusterMeasurement {
    /** What one measurement found; per-op figures are averages over the measured window. */
    record Figures(String mode, int replicas, int clients, LoadGenerator.Result load, double leaderCpuUs, double followerCpuUs,
                   double leaderOut, double leaderIn, double followerIn, double clones, double fastAcks, double pruned,
                   String xdpMode) {}

    private ClusterMeasurement() {}

    /** Warms up, then measures {@code clients} closed-loop clients for {@code duration}. */
    static Figures measure(TestbedEnv env, String mode, boolean offloads, int clients, Duration warmup, Duration duration,
                           int valueSize) throws InterruptedException {
        int n = env.replicaCount();
        if (!warmup.isZero()) LoadGenerator.run(env.client(), clients, warmup, Duration.ofMillis(500), valueSize, 1000);
        long[] cpu0 = cpu(env);
        List<Map<String, Long>> snmp0 = snmp(env);
        Map<Counter, Long> leader0 = counters(env, 0, offloads), follower0 = counters(env, Math.min(1, n - 1), offloads);
        LoadGenerator.Result r = LoadGenerator.run(env.client(), clients, Duration.ZERO, duration, valueSize, 1000);
        long[] cpu1 = cpu(env);
        List<Map<String, Long>> snmp1 = snmp(env);
        Map<Counter, Long> leader1 = counters(env, 0, offloads), follower1 = counters(env, Math.min(1, n - 1), offloads);
        double ops = Math.max(1, r.ops());
        double followerCpu = 0, followerIn = 0;
        for (int i = 1; i < n; i++) {
            followerCpu += cpu1[i] - cpu0[i];
            followerIn += delta(snmp0, snmp1, i, "Udp.InDatagrams");
        }
        int followers = Math.max(1, n - 1);
        return new Figures(mode, n, clients, r, (cpu1[0] - cpu0[0]) / 1000.0 / ops, followerCpu / followers / 1000.0 / ops,
                delta(snmp0, snmp1, 0, "Udp.OutDatagrams") / ops, delta(snmp0, snmp1, 0, "Udp.InDatagrams") / ops,
                followerIn / followers / ops,
                (get(leader1, Counter.CLONES_SENT) - get(leader0, Counter.CLONES_SENT)) / ops,
                (get(follower1, Counter.FAST_ACKED) - get(follower0, Counter.FAST_ACKED)) / ops,
                (get(leader1, Counter.ACK_PRUNED) - get(leader0, Counter.ACK_PRUNED)) / ops,
                offloads ? env.offloads(0).xdpMode().toString() : "-");
    }

    private static long[] cpu(TestbedEnv env) {
        long[] c = new long[env.replicaCount()];
        for (int i = 0; i < c.length; i++) c[i] = ((ReplicaNode.InJvm) env.replica(i)).server().protocolThreadCpuNanos();
        return c;
    }

    private static List<Map<String, Long>> snmp(TestbedEnv env) {
        List<Map<String, Long>> l = new ArrayList<>();
        for (int i = 0; i < env.replicaCount(); i++) l.add(NetStats.snmp(env.host(i).ns()));
        return l;
    }

    private static Map<Counter, Long> counters(TestbedEnv env, int i, boolean offloads) {
        return offloads ? env.offloads(i).bpf().counters() : Map.of();
    }

    private static long get(Map<Counter, Long> m, Counter c) { return m.getOrDefault(c, 0L); }

    private static long delta(List<Map<String, Long>> a, List<Map<String, Long>> b, int i, String key) {
        return b.get(i).get(key) - a.get(i).get(key);
    }
}
