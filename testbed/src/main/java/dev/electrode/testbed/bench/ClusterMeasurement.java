package dev.electrode.testbed.bench;

import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.client.LoadGenerator;
import dev.electrode.netns.NetStats;
import dev.electrode.netns.cpu.CpuTime;
import dev.electrode.testbed.ReplicaNode;
import dev.electrode.testbed.ReplicationProtocol;
import dev.electrode.testbed.TestbedEnv;
import dev.electrode.testbed.TestbedSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One measurement of a running testbed cluster: closed-loop load, and per committed operation
 * the replicas' protocol-thread CPU, their hosts' kernel receive CPU (NAPI threads, with a CPU
 * placement), the datagrams that crossed each socket layer, the offload counters, and how busy
 * each CPU was.
 */
final class ClusterMeasurement {
    /**
     * Where a cell ran: protocol, cluster size, mode, CPU placement, clients, request size, batch
     * size, durability, and the variant of an A/B run ("" without one).
     */
    record Cell(ReplicationProtocol protocol, int replicas, String mode, String placement, int clients, int valueSize, int batch,
                String durability, String variant) {
        String key() {
            return protocol.word() + "/" + replicas + "/" + mode + "/" + placement + "/" + clients + "/" + valueSize + "/" + batch + "/"
                    + durability + "/" + variant;
        }

        /** The same cell in another mode (of the same protocol and variant). */
        Cell inMode(String m) { return new Cell(protocol, replicas, m, placement, clients, valueSize, batch, durability, variant); }

        /** The same cell with {@code c} clients. */
        Cell withClients(int c) { return new Cell(protocol, replicas, mode, placement, c, valueSize, batch, durability, variant); }

        /** The key of the physical limit measured for this cell's topology, placement, clients and size (any protocol, batch, durability). */
        String limitKey() { return replicas + "/" + placement + "/" + clients + "/" + valueSize; }

        /** The key of the one-outstanding echo round trip on this cell's topology, placement and size. */
        String roundTripKey() { return replicas + "/" + placement + "/" + valueSize; }
    }

    /** How one CPU spent the measured window (shares of 0..1). */
    record CpuShare(int cpu, double busy, double softirq, double system, double user) {}

    /** What one measurement found; per-op figures are averages over the measured window, NaN where not measured. */
    record Figures(Cell cell, LoadGenerator.Result load, double leaderCpuUs, double followerCpuUs, double leaderProcessCpuUs,
                   double followerProcessCpuUs, double leaderKernelRxUs, double followerKernelRxUs, double leaderOut, double leaderIn,
                   double followerIn, double clones, double fastAcks, double pruned, String xdpMode, List<CpuShare> cpus,
                   double jitMsPerS) {}

    /**
     * Everything a measurement reads before and after its load: CPU times, datagram counts, and the
     * offloads' counters of the leader and follower 1 (a report from a replica process). The JIT
     * warm-up takes them too, so that the code reading them is compiled before anything is measured.
     */
    record Readings(long[] cpu, long[] napi, long[] proc, long[] jit, List<Map<String, Long>> snmp, List<CpuTime.PerCpu> perCpu,
                    Map<Counter, Long> leader, Map<Counter, Long> follower) {
        static Readings take(TestbedEnv env, boolean offloads) {
            long[] cpu = ClusterMeasurement.cpu(env), napi = ClusterMeasurement.napi(env), proc = processCpu(env),
                    jit = JitSettling.compilerNanos(env);
            List<Map<String, Long>> snmp = ClusterMeasurement.snmp(env);
            List<CpuTime.PerCpu> perCpu = CpuTime.perCpu();
            int n = env.replicaCount();
            return new Readings(cpu, napi, proc, jit, snmp, perCpu, counters(env, 0, offloads), counters(env, Math.min(1, n - 1), offloads));
        }
    }

    private ClusterMeasurement() {}

    /** The link MTU the kernel gives a veth; asking for it leaves the links as created. */
    static final int DEFAULT_MTU = 1500;

    /**
     * Committed operations between snapshots in a measured cluster (the replicas' default is
     * 100,000). A snapshot runs on the event loop and its first few runs compile and deoptimise
     * code the hot path shares (protobuf's encoder): at the default, a testbed took one or two in
     * all, every replica at the same moment, and a measured window that caught one lost a third
     * of a CPU per replica to the JIT. Taken this often, the warm-up compiles them and every
     * window pays their cost in proportion.
     */
    static final long SNAPSHOT_EVERY = 20_000;

    /**
     * The testbed a measurement runs on: no captures, timers well above the latencies under
     * load, links at {@code mtu}, snapshots every {@link #SNAPSHOT_EVERY} operations.
     */
    static TestbedSpec testbed(ReplicationProtocol protocol, int replicas, List<Offload> offloads, int batchSize, int mtu) {
        return TestbedSpec.defaults(replicas).withCapture(false).withBatchSize(batchSize).withOffloads(offloads)
                .withTimers(50, 100, 1000, 200).withMtu(mtu == DEFAULT_MTU ? 0 : mtu).withProtocol(protocol)
                .withSnapshotEvery(SNAPSHOT_EVERY);
    }

    /** Warms up, then measures {@code clients} closed-loop clients for {@code duration}. */
    static Figures measure(TestbedEnv env, Cell cell, boolean offloads, Duration warmup, Duration duration) throws InterruptedException {
        int n = env.replicaCount();
        if (!warmup.isZero()) LoadGenerator.run(env.client(), cell.clients(), warmup, Duration.ofMillis(500), cell.valueSize(), 1000);
        Readings before = Readings.take(env, offloads);
        LoadGenerator.Result r = LoadGenerator.run(env.client(), cell.clients(), Duration.ZERO, duration, cell.valueSize(), 1000);
        Readings after = Readings.take(env, offloads);
        double ops = Math.max(1, r.ops());
        String tag = "  " + cell.protocol().label() + " " + cell.mode() + " n=" + n;
        String busyCompilers = JitSettling.busy(before.jit(), after.jit(), r.seconds());
        if (!busyCompilers.isEmpty()) System.out.println(tag + ", JIT busy while measuring: " + busyCompilers);
        if (offloads) {
            System.out.println(tag + ", decisions per op: leader XDP/TC " + perOp(before.leader(), after.leader(), ops)
                    + "; follower " + Math.min(1, n - 1) + " XDP " + perOp(before.follower(), after.follower(), ops));
        }
        double followerCpu = 0, followerIn = 0, followerNapi = 0, followerProc = 0;
        for (int i = 1; i < n; i++) {
            followerCpu += after.cpu()[i] - before.cpu()[i];
            followerProc += after.proc()[i] - before.proc()[i];
            followerNapi += after.napi()[i] - before.napi()[i];
            followerIn += delta(before.snmp(), after.snmp(), i, "Udp.InDatagrams");
        }
        int followers = Math.max(1, n - 1);
        boolean placed = !env.napiThreads(0).isEmpty();
        List<CpuShare> shares = new ArrayList<>();
        for (int i = 0; i < after.perCpu().size(); i++) {
            CpuTime.PerCpu d = after.perCpu().get(i).minus(before.perCpu().get(i));
            shares.add(new CpuShare(d.cpu(), d.share(d.total() - d.idle() - d.steal()), d.share(d.softirq() + d.irq()),
                    d.share(d.system()), d.share(d.user())));
        }
        boolean processes = before.proc()[0] >= 0;
        return new Figures(cell, r, (after.cpu()[0] - before.cpu()[0]) / 1000.0 / ops, followerCpu / followers / 1000.0 / ops,
                processes ? (after.proc()[0] - before.proc()[0]) / 1000.0 / ops : Double.NaN,
                processes && n > 1 ? followerProc / followers / 1000.0 / ops : Double.NaN,
                placed ? (after.napi()[0] - before.napi()[0]) / 1000.0 / ops : Double.NaN,
                placed ? followerNapi / followers / 1000.0 / ops : Double.NaN,
                delta(before.snmp(), after.snmp(), 0, "Udp.OutDatagrams") / ops, delta(before.snmp(), after.snmp(), 0, "Udp.InDatagrams") / ops,
                followerIn / followers / ops,
                (get(after.leader(), Counter.CLONES_SENT) - get(before.leader(), Counter.CLONES_SENT)) / ops,
                (get(after.follower(), Counter.FAST_ACKED) - get(before.follower(), Counter.FAST_ACKED)) / ops,
                (get(after.leader(), Counter.ACK_PRUNED) - get(before.leader(), Counter.ACK_PRUNED)) / ops,
                offloads ? env.xdpMode(0) : "-", shares, JitSettling.totalBetween(before.jit(), after.jit()) / 1e6 / r.seconds());
    }

    private static long[] cpu(TestbedEnv env) {
        long[] c = new long[env.replicaCount()];
        for (int i = 0; i < c.length; i++) c[i] = env.protocolThreadCpuNanos(i);
        return c;
    }

    /** CPU time of each replica's whole JVM (-1 for replicas in this JVM). */
    private static long[] processCpu(TestbedEnv env) {
        long[] c = new long[env.replicaCount()];
        for (int i = 0; i < c.length; i++) c[i] = env.processCpuNanos(i);
        return c;
    }

    /** CPU time of each replica host's NAPI threads (zeros without a placement). */
    private static long[] napi(TestbedEnv env) {
        long[] c = new long[env.replicaCount()];
        for (int i = 0; i < c.length; i++) for (int tid : env.napiThreads(i)) c[i] += CpuTime.threadNanos(tid);
        return c;
    }

    private static List<Map<String, Long>> snmp(TestbedEnv env) {
        List<Map<String, Long>> l = new ArrayList<>();
        for (int i = 0; i < env.replicaCount(); i++) l.add(NetStats.snmp(env.host(i).ns()));
        return l;
    }

    private static Map<Counter, Long> counters(TestbedEnv env, int i, boolean offloads) {
        // A replica process reports in every mode, so that plain and Electrode cells are read alike.
        return offloads || env.replica(i) instanceof ReplicaNode.Process ? env.kernelCounters(i) : Map.of();
    }

    private static long get(Map<Counter, Long> m, Counter c) { return m.getOrDefault(c, 0L); }

    /** The counters that moved between two readings, per operation (every reason a program gave). */
    private static String perOp(Map<Counter, Long> before, Map<Counter, Long> after, double ops) {
        StringBuilder sb = new StringBuilder("{");
        for (Counter c : Counter.values()) {
            long d = get(after, c) - get(before, c);
            if (d != 0) sb.append(sb.length() > 1 ? ", " : "").append(c).append(String.format("=%.3f", d / ops));
        }
        return sb.append('}').toString();
    }

    private static long delta(List<Map<String, Long>> a, List<Map<String, Long>> b, int i, String key) {
        return b.get(i).get(key) - a.get(i).get(key);
    }
}
