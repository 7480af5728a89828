package dev.electrode.testbed.bench;

import dev.electrode.bpf.Offload;
import dev.electrode.testbed.CpuPlacement;
import dev.electrode.testbed.ReplicationProtocol;
import dev.electrode.testbed.TestbedEnv;
import dev.electrode.testbed.TestbedSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import dev.electrode.testbed.bench.ClusterMeasurement.Figures;

/**
 * The project's main job: a replica cluster in network namespaces, the same closed-loop
 * workload with plain VR and with Electrode (all offloads), figures side by side; with
 * {@code --protocol vr,raft} also Raft, plain and on the same offloads.
 * Everything it creates is removed at the end, also on Ctrl-C.
 */
@Command(name = "electrode-main-job", mixinStandardHelpOptions = true,
        description = "Run plain VR (or Raft) and Electrode on a namespace cluster and compare them.")
public final class MainJob implements Callable<Integer> {
    @Option(names = "--protocol", split = ",", defaultValue = "vr",
            description = "replication protocols, each run plain and with every offload: vr, raft (default: ${DEFAULT-VALUE})")
    List<String> protocolNames;

    @Option(names = "--replicas", defaultValue = "3", description = "replicas, odd, up to 7 (default: ${DEFAULT-VALUE})")
    int replicas;

    @Option(names = "--clients", defaultValue = "16", description = "closed-loop clients (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--duration", defaultValue = "5", description = "seconds measured per mode (default: ${DEFAULT-VALUE})")
    int duration;

    @Option(names = "--warmup", defaultValue = "3", description = "seconds of warm-up per mode (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--value-size", defaultValue = "64", description = "bytes per put (default: ${DEFAULT-VALUE})")
    int valueSize;

    @Option(names = "--batch-size", defaultValue = "1", description = "VR batch size (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--jvm-warmup", defaultValue = "8",
            description = "seconds of unrecorded load per mode before measuring, so the first mode does not pay for the JIT; with "
                    + "replicas as processes at least this long, then on until the JIT compilers are quiet (default: ${DEFAULT-VALUE})")
    int jvmWarmup;

    @Option(names = "--jvm-warmup-max", defaultValue = "60",
            description = "with replicas as processes, the longest warm-up: past --jvm-warmup it goes on until no JVM's JIT compilers "
                    + "used more than 1% of a CPU over the last 2 s; never shorter than --jvm-warmup (default: ${DEFAULT-VALUE})")
    int jvmWarmupMax;

    @Option(names = "--replicas-as", defaultValue = "processes",
            description = "processes: every replica a JVM of its own in its namespace, pinned whole with its host's kernel receive "
                    + "work; in-jvm: replicas as threads of this JVM (default: ${DEFAULT-VALUE})")
    String hosting;

    @Option(names = "--placement", defaultValue = "pinned",
            description = "pinned: each host's event loop and kernel receive work (threaded NAPI) on its CPUs; "
                    + "pinned-softirq: event loops pinned, receive work on the sender's CPU; naive: no pinning "
                    + "(default: ${DEFAULT-VALUE})")
    String placement;

    @Option(names = "--durability", split = ",", defaultValue = "memory",
            description = "durability of the replicas, one or more of memory, sync, async (each measured with plain VR and"
                    + " Electrode; sync and async keep a journal in target/main-job/<mode>/data-<i>) (default: ${DEFAULT-VALUE})")
    List<String> durabilities;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MainJob()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (replicas < 1 || replicas % 2 == 0 || replicas > 7) throw new IllegalArgumentException("--replicas must be 1, 3, 5 or 7");
        if (jvmWarmup < 0 || jvmWarmupMax < 0 || duration < 1 || warmup < 0 || clients < 1)
            throw new IllegalArgumentException("--duration and --clients must be at least 1, --warmup, --jvm-warmup and --jvm-warmup-max at least 0");
        if (!hosting.equals("processes") && !hosting.equals("in-jvm"))
            throw new IllegalArgumentException("--replicas-as must be processes or in-jvm, got '" + hosting + "'");
        if (!BenchmarkSuite.PLACEMENTS.contains(placement))
            throw new IllegalArgumentException("--placement must be one of " + BenchmarkSuite.PLACEMENTS + ", got '" + placement + "'");
        List<ReplicationProtocol> protocols = protocolNames.stream().map(ReplicationProtocol::parse).distinct().toList();
        for (String d : durabilities) dev.electrode.server.Durability.parse(d); // fail before any measurement
        if (protocols.contains(ReplicationProtocol.RAFT) && durabilities.stream().anyMatch(d -> !d.strip().equalsIgnoreCase("memory")))
            throw new IllegalArgumentException("--durability sync/async is measured with VR only (its group-commit figures): use --protocol vr, or --durability memory");
        System.out.printf("Electrode main job: %s, %d replicas in network namespaces (%s), %d closed-loop clients, %d-byte puts, batch size %d, "
                + "%s placement%n", protocols.stream().map(ReplicationProtocol::label).toList(), replicas,
                processes() ? "a JVM each" : "in this JVM", clients, valueSize, batchSize, placement);
        List<Offload> all = List.of(Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE);
        if (!processes()) JvmWarmup.run(protocols, replicas, List.of(List.of(), all), clients, batchSize, ClusterMeasurement.DEFAULT_MTU,
                valueSize, Duration.ofSeconds(jvmWarmup));
        if (durabilities.stream().anyMatch(d -> !d.equalsIgnoreCase("memory"))) {
            // The physical limit of sync: one small append and force at a time, on the disk the journals use.
            System.out.println("disk: " + FsyncProbe.measure(Path.of("target", "main-job"), 2000).summary());
        }
        for (String d : durabilities) {
            String durability = d.strip().toLowerCase(java.util.Locale.ROOT);
            List<Figures> out = new ArrayList<>();
            for (ReplicationProtocol protocol : protocols) {
                out.add(run(protocol, "plain", List.of(), durability));
                out.add(run(protocol, "Electrode", all, durability));
            }
            print(out, durability);
        }
        return 0;
    }

    private Figures run(ReplicationProtocol protocol, String mode, List<Offload> offloads, String durability) throws Exception {
        TestbedSpec spec = ClusterMeasurement.testbed(protocol, replicas, offloads, batchSize, ClusterMeasurement.DEFAULT_MTU)
                .withPlacement(BenchmarkSuite.placementFor(placement, CpuPlacement.defaults())).withDurability(durability)
                .withProcesses(processes()).withReplicaJvmOptions(BenchmarkSuite.DEFAULT_JVM_OPTIONS);
        String name = column(protocol, mode);
        System.out.printf("%n[%s] building the topology and starting the replicas...%n", name);
        Path dir = Path.of("target", "main-job", protocol.word() + "-" + mode + "-" + durability);
        TestbedEnv env = new TestbedEnv(spec, dir);
        try {
            if (processes() && jvmWarmup > 0) { // new JVMs: their hot paths compiled before anything is measured
                System.out.printf("[%s] JVM warm-up, at least %d s (not recorded)...%n", name, jvmWarmup);
                System.out.printf("[%s] %s%n", name, JitSettling.run(env, List.of(clients), valueSize, Duration.ofSeconds(jvmWarmup),
                        Duration.ofSeconds(Math.max(jvmWarmup, jvmWarmupMax)), () -> ClusterMeasurement.Readings.take(env, !offloads.isEmpty())).summary());
            }
            System.out.printf("[%s, durability %s] measuring for %d s...%n", name, durability, duration);
            Figures f = ClusterMeasurement.measure(env, new ClusterMeasurement.Cell(protocol, replicas, mode, placement, clients, valueSize, batchSize, durability, ""),
                    !offloads.isEmpty(), Duration.ofSeconds(warmup), Duration.ofSeconds(duration));
            System.out.printf("[%s, durability %s] %s%n", name, durability, f.load().summary());
            if (!durability.equals("memory") && !processes() && protocol == ReplicationProtocol.VR) {
                // Group commit: operations the leader committed per force of its journal (warm-up included).
                dev.electrode.server.ReplicaServer leader = env.inJvm(0).server();
                long ops = leader.query(v -> v.commitNum());
                System.out.printf("[%s, durability %s] leader journal: %s; %.2f ops per force%n", name, durability,
                        leader.journalStats(), (double) ops / Math.max(1, leader.journalForces()));
            }
            return f;
        } finally {
            List<String> left = env.close(false);
            if (!left.isEmpty()) System.err.println("warning: namespaces left behind: " + left);
        }
    }

    private boolean processes() { return hosting.equals("processes"); }

    /** A column's name: "plain VR", "Electrode" (VR), "plain Raft", "Raft + Electrode". */
    private static String column(ReplicationProtocol protocol, String mode) {
        if (mode.equals("plain")) return "plain " + protocol.label();
        return protocol == ReplicationProtocol.VR ? "Electrode" : protocol.label() + " + Electrode";
    }

    /** The table: a column per measurement, in pairs (plain, Electrode) per protocol. */
    private void print(List<Figures> f, String durability) {
        System.out.printf("%n%d replicas, %d clients, %d s measured per mode, durability %s%n", replicas, clients, duration, durability);
        StringBuilder head = new StringBuilder("| metric                                    |");
        StringBuilder rule = new StringBuilder("|-------------------------------------------|");
        for (Figures x : f) {
            head.append(String.format(" %16s |", column(x.cell().protocol(), x.cell().mode())));
            rule.append("-----------------:|");
        }
        System.out.println(head);
        System.out.println(rule);
        row("throughput (ops/s)", f, x -> x.load().throughput(), "%.0f");
        row("latency p50 (us)", f, x -> x.load().percentileMicros(50), "%.0f");
        row("latency p99 (us)", f, x -> x.load().percentileMicros(99), "%.0f");
        row("leader protocol-thread CPU per op (us)", f, Figures::leaderCpuUs, "%.2f");
        if (processes()) row("leader JVM CPU per op (us), all threads", f, Figures::leaderProcessCpuUs, "%.2f");
        row("follower protocol-thread CPU per op (us)", f, Figures::followerCpuUs, "%.2f");
        row("leader socket sends per op (UDP Out)", f, Figures::leaderOut, "%.2f");
        row("leader socket receives per op (UDP In)", f, Figures::leaderIn, "%.2f");
        row("follower socket receives per op (UDP In)", f, Figures::followerIn, "%.2f");
        row("TC clones sent per op (leader)", f, Figures::clones, "%.2f");
        row("XDP fast acks per op (follower 1)", f, Figures::fastAcks, "%.2f");
        row("XDP ACKs pruned per op (leader)", f, Figures::pruned, "%.2f");
        StringBuilder mode = new StringBuilder(String.format("| %-41s |", "XDP attach mode"));
        for (Figures x : f) mode.append(String.format(" %16s |", x.xdpMode()));
        System.out.println(mode);
        System.out.println();
        for (int i = 0; i + 1 < f.size(); i += 2)
            System.out.printf("throughput %s / %s: %.2f%n", column(f.get(i + 1).cell().protocol(), "Electrode"),
                    column(f.get(i).cell().protocol(), "plain"), f.get(i + 1).load().throughput() / f.get(i).load().throughput());
    }

    private static void row(String name, List<Figures> f, java.util.function.ToDoubleFunction<Figures> metric, String fmt) {
        StringBuilder sb = new StringBuilder(String.format("| %-41s |", name));
        for (Figures x : f) sb.append(String.format(" %16s |", String.format(fmt, metric.applyAsDouble(x))));
        System.out.println(sb);
    }
}
