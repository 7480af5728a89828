package dev.electrode.testbed.bench;

import dev.electrode.bpf.Offload;
import dev.electrode.netns.cpu.CpuSet;
import dev.electrode.testbed.CpuPlacement;
import dev.electrode.testbed.ReplicationProtocol;
import dev.electrode.testbed.TestbedEnv;
import dev.electrode.testbed.bench.ClusterMeasurement.Cell;
import dev.electrode.testbed.bench.ClusterMeasurement.Figures;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.*;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Electrode against plain VR (and Raft, with {@code --protocol}), per offload and together, for
 * several cluster sizes, CPU placements, request sizes and client counts. Repetitions are
 * interleaved (every protocol and mode once per round, in a rotated order) so that machine noise hits all modes alike; the physical
 * limit (a UDP echo over the same stack and placement) is measured in the same run. Writes a
 * CSV of every measurement, a JSON summary with the machine description, and PNG plots. With
 * {@code --durability}, the whole sweep runs once per durability mode (a report each, in one
 * run), after a probe of the disk's fsync rate and latency, and prints the leader's
 * group-commit batch (operations per force) for every durable cell.
 */
@Command(name = "electrode-bench", mixinStandardHelpOptions = true,
        description = "Benchmark plain VR or Raft and the Electrode offloads on a namespace cluster.")
public final class BenchmarkSuite implements Callable<Integer> {
    /** The modes: which offloads a cluster runs with. */
    static final Map<String, List<Offload>> MODES = dev.electrode.testbed.OffloadModes.MODES;

    /**
     * Replica processes' JVM options unless given: the collector of the testbed's replicas;
     * Netty's leak detector off as in this JVM (ci/run-testbed-main.sh), since it samples buffers
     * with a stack trace each; and the heap on transparent huge pages, touched at start, since a
     * page fault in this VM costs so much that the first collections into fresh pages stalled a
     * replica for 0.2-0.9 s (A/B in docs/bench/ab/heap-pages.txt).
     */
    private static final String DEFAULT_JVM_OPTIONS_TEXT =
            "-XX:+UseSerialGC -Dio.netty.leakDetection.level=disabled -XX:+UseTransparentHugePages -XX:+AlwaysPreTouch";
    static final List<String> DEFAULT_JVM_OPTIONS = List.of(DEFAULT_JVM_OPTIONS_TEXT.split(" "));

    /** Placements: "naive" leaves threads and kernel receive work where the scheduler puts them. */
    static final List<String> PLACEMENTS = List.of("pinned", "pinned-softirq", "naive");

    @Option(names = "--protocol", split = ",", defaultValue = "vr",
            description = "replication protocols, each measured in every mode, interleaved: vr, raft (default: ${DEFAULT-VALUE})")
    List<String> protocolNames;

    private List<ReplicationProtocol> protocols;

    @Option(names = "--replicas", split = ",", defaultValue = "3,5,7", description = "cluster sizes (default: ${DEFAULT-VALUE})")
    List<Integer> replicas;

    @Option(names = "--modes", split = ",", defaultValue = "plain,broadcast,fast-ack,quorum-prune,all",
            description = "modes (default: ${DEFAULT-VALUE})")
    List<String> modes;

    @Option(names = "--placement", split = ",", defaultValue = "pinned,naive",
            description = "pinned: every host (replica, client) owns CPUs where its event loop and its kernel receive work "
                    + "(threaded NAPI) run; pinned-softirq: event loops pinned, receive work in softirq on the sender's CPU "
                    + "(how the reference prototype was measured); naive: no pinning "
                    + "(default: ${DEFAULT-VALUE})")
    List<String> placements;

    @Option(names = "--leader-cpus", description = "CPUs of replica 0, the leader (default: the first online CPU)")
    String leaderCpus;

    @Option(names = "--follower-cpus", description = "CPUs shared by the other replicas (default: the other online CPUs)")
    String followerCpus;

    @Option(names = "--client-cpus", description = "CPUs of the client (default: the last online CPU)")
    String clientCpus;

    @Option(names = "--replica-cpus",
            description = "CPUs per replica, by index, separated by '/', e.g. 0/1/1/2/2 (overrides --leader-cpus and "
                    + "--follower-cpus for the replicas listed)")
    String replicaCpus;

    @Option(names = "--clients", split = ",", defaultValue = "1,16", description = "closed-loop clients (default: ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(names = "--repetitions", defaultValue = "3", description = "interleaved rounds (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--duration", defaultValue = "5", description = "seconds measured per cell (default: ${DEFAULT-VALUE})")
    int duration;

    @Option(names = "--warmup", defaultValue = "2", description = "seconds of warm-up per cell (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = {"--value-sizes", "--value-size"}, split = ",", defaultValue = "64",
            description = "bytes per put, one cell per size (default: ${DEFAULT-VALUE})")
    List<Integer> valueSizes;

    @Option(names = {"--batch-sizes", "--batch-size"}, split = ",", defaultValue = "1",
            description = "batch sizes of the leader (operations per append), a testbed each (default: ${DEFAULT-VALUE})")
    List<Integer> batchSizes;

    @Option(names = "--replicas-as", defaultValue = "processes",
            description = "processes: every replica a JVM of its own in its host's namespace, pinned whole (GC and JIT threads too) "
                    + "with the host's kernel receive work, as users deploy it; in-jvm: replicas as threads of this JVM "
                    + "(default: ${DEFAULT-VALUE})")
    String hosting;

    @Option(names = "--replica-jvm-options",
            description = "JVM options of every replica process, separated by spaces (default: " + DEFAULT_JVM_OPTIONS_TEXT + ")")
    String replicaJvmOptions;

    @Option(names = "--mtu", defaultValue = "1500", description = "MTU of every link (default: ${DEFAULT-VALUE})")
    int mtu;

    @Option(names = "--jvm-warmup", defaultValue = "8",
            description = "seconds of unrecorded load so the JIT has compiled the hot paths before anything is measured: "
                    + "per mode before the first cell (in-jvm), or at the start of every testbed, whose JVMs are new (processes; "
                    + "then at least this long, cycling through the client counts, and on until the compilers are quiet, "
                    + "see --jvm-warmup-max) (default: ${DEFAULT-VALUE})")
    int jvmWarmup;

    @Option(names = "--jvm-warmup-max", defaultValue = "60",
            description = "with replicas as processes, the longest warm-up: past --jvm-warmup it goes on until, over a whole cycle "
                    + "of the client counts, no JVM's JIT compilers used more than 1% of a CPU; equal to --jvm-warmup for a fixed "
                    + "warm-up; never shorter than --jvm-warmup (default: ${DEFAULT-VALUE})")
    int jvmWarmupMax;

    @Option(names = "--durability", split = ",", defaultValue = "memory",
            description = "durability modes, each a full sweep in the same run: memory, sync, async (default: ${DEFAULT-VALUE})")
    List<String> durabilities;

    @Option(names = "--variant",
            description = "an A/B variant, NAME=JVM_OPTIONS (JVM options added to every replica process, separated by spaces; "
                    + "may be empty); repeat it for each variant. Every cell is measured once per variant and round, interleaved, "
                    + "and the table has a row per variant, e.g. --variant A= --variant B=-Dsome.switch=false")
    List<String> variantSpecs = new ArrayList<>();

    private final Map<String, List<String>> variants = new LinkedHashMap<>();

    @Option(names = "--out", defaultValue = "target/bench", description = "result directory (default: ${DEFAULT-VALUE})")
    Path out;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchmarkSuite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        CpuPlacement placement = validate();
        Path root = out.resolve(Instant.now().toString().replace(':', '-'));
        Files.createDirectories(root);
        if (durabilities.stream().anyMatch(d -> !d.equals("memory"))) {
            // The physical limit of durable modes, on the file system the data directories use.
            String disk = "disk: " + FsyncProbe.measure(Path.of("target", "bench-run"), 2000).summary();
            System.out.println(disk);
            Files.writeString(root.resolve("fsync-probe.txt"), disk + "\n");
        }
        if (!processes()) {
            List<List<Offload>> configurations = new ArrayList<>();
            for (String m : modes) configurations.add(MODES.get(m));
            JvmWarmup.run(protocols, Collections.min(replicas), configurations, Collections.max(clients), batchSizes.get(0), mtu,
                    valueSizes.get(0), Duration.ofSeconds(jvmWarmup));
        }
        BenchReport report = new BenchReport(settings(placement));
        System.out.println(report.settings());
        for (String durability : durabilities)
            for (int n : replicas)
                for (String place : placements)
                    for (int size : valueSizes)
                        for (int batch : batchSizes)
                            for (int rep = 0; rep < repetitions; rep++) {
                                List<Cell> order = new ArrayList<>();
                                for (ReplicationProtocol protocol : protocols)
                                    for (String mode : modes)
                                        for (String variant : report.settings().variants())
                                            order.add(new Cell(protocol, n, mode, place, 0, size, batch, durability, variant));
                                Collections.rotate(order, -rep); // a different protocol, mode and variant go first in every round
                                for (Cell at : order) runTestbed(at, rep, placementFor(place, placement), report);
                            }
        report.writeCsv(root.resolve("measurements.csv"));
        report.writeJson(root.resolve("summary.json"));
        List<Path> plots = BenchPlots.write(report, root);
        plots.forEach(p -> System.out.println("plot: " + p.toAbsolutePath()));
        report.printTable();
        System.out.println("\nresults: " + root.toAbsolutePath());
        return 0;
    }

    private boolean processes() { return hosting.equals("processes"); }

    private List<String> jvmOptions() {
        if (replicaJvmOptions == null) return DEFAULT_JVM_OPTIONS;
        return List.of(replicaJvmOptions.strip().split("\\s+"));
    }

    /** The replica JVM options of {@code variant}: the common ones, then the variant's. */
    private List<String> jvmOptions(String variant) {
        List<String> l = new ArrayList<>(jvmOptions());
        l.addAll(variants.getOrDefault(variant, List.of()));
        return l;
    }

    private CpuPlacement validate() {
        CommandLine cl = spec.commandLine();
        String badMode = dev.electrode.testbed.OffloadModes.unknown(modes);
        if (badMode != null) throw new CommandLine.ParameterException(cl, badMode);
        try {
            protocols = protocolNames.stream().map(ReplicationProtocol::parse).distinct().toList();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--protocol: " + e.getMessage());
        }
        for (String p : placements) if (!PLACEMENTS.contains(p)) throw new CommandLine.ParameterException(cl,
                "unknown placement '" + p + "' (" + String.join(", ", PLACEMENTS) + ")");
        for (int n : replicas) if (n < 1 || n % 2 == 0 || n > 15) throw new CommandLine.ParameterException(cl,
                "--replicas values must be odd, 1..15, got " + n);
        for (int c : clients) if (c < 1) throw new CommandLine.ParameterException(cl, "--clients values must be at least 1, got " + c);
        for (int v : valueSizes) if (v < 0 || v > 1_000_000) throw new CommandLine.ParameterException(cl,
                "--value-sizes values must be 0..1000000 bytes, got " + v);
        if (mtu < 576 || mtu > 65535) throw new CommandLine.ParameterException(cl, "--mtu must be 576..65535, got " + mtu);
        for (String d : durabilities) {
            try {
                dev.electrode.server.Durability.parse(d);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage());
            }
        }
        if (!hosting.equals("processes") && !hosting.equals("in-jvm")) throw new CommandLine.ParameterException(cl,
                "--replicas-as must be processes or in-jvm, got '" + hosting + "'");
        if (replicaJvmOptions != null && !processes()) throw new CommandLine.ParameterException(cl,
                "--replica-jvm-options needs --replicas-as processes");
        if (replicaJvmOptions != null && replicaJvmOptions.isBlank()) throw new CommandLine.ParameterException(cl,
                "--replica-jvm-options is empty");
        for (String v : variantSpecs) {
            int eq = v.indexOf('=');
            String name = eq < 0 ? "" : v.substring(0, eq).strip();
            if (eq < 0 || !name.matches("[A-Za-z0-9_.-]+")) throw new CommandLine.ParameterException(cl,
                    "--variant must be NAME=JVM_OPTIONS with a name of letters, digits, '_', '.' or '-', got '" + v + "'");
            if (variants.containsKey(name)) throw new CommandLine.ParameterException(cl, "--variant " + name + " given twice");
            String opts = v.substring(eq + 1).strip();
            variants.put(name, opts.isEmpty() ? List.of() : List.of(opts.split("\\s+")));
        }
        if (!variants.isEmpty() && !processes()) throw new CommandLine.ParameterException(cl, "--variant needs --replicas-as processes");
        for (int b : batchSizes) if (b < 1 || b > 1024) throw new CommandLine.ParameterException(cl,
                "--batch-sizes values must be 1..1024, got " + b);
        if (processes() && protocols.contains(ReplicationProtocol.RAFT) && batchSizes.stream().anyMatch(b -> b != 1))
            throw new CommandLine.ParameterException(cl, "--batch-sizes above 1 are measured with VR only (Raft replicas append one entry per request)");
        if (repetitions < 1 || duration < 1 || warmup < 0 || jvmWarmup < 0 || jvmWarmupMax < 0) throw new CommandLine.ParameterException(cl,
                "--repetitions and --duration must be at least 1, --warmup, --jvm-warmup and --jvm-warmup-max at least 0");
        CpuPlacement d = CpuPlacement.defaults();
        try {
            List<CpuSet> perReplica = new ArrayList<>();
            if (replicaCpus != null) for (String set : replicaCpus.split("/", -1)) perReplica.add(CpuSet.parse(set));
            return new CpuPlacement(leaderCpus == null ? d.leader() : CpuSet.parse(leaderCpus),
                    followerCpus == null ? d.followers() : CpuSet.parse(followerCpus),
                    clientCpus == null ? d.client() : CpuSet.parse(clientCpus), perReplica);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    private BenchReport.Settings settings(CpuPlacement placement) {
        return new BenchReport.Settings(protocols, List.copyOf(replicas), List.copyOf(modes), List.copyOf(placements), List.copyOf(clients),
                List.copyOf(valueSizes), List.copyOf(batchSizes), List.copyOf(durabilities), repetitions, duration, warmup, mtu, placement,
                hosting, processes() ? jvmOptions() : List.of(), Collections.unmodifiableMap(new LinkedHashMap<>(variants)));
    }

    /** The placement a placement name stands for (null: naive). */
    static CpuPlacement placementFor(String name, CpuPlacement pinned) {
        return switch (name) {
            case "pinned" -> pinned;
            case "pinned-softirq" -> pinned.withoutThreadedNapi();
            default -> null;
        };
    }

    /** One testbed for {@code at} (its client count aside), swept over the client counts. */
    private void runTestbed(Cell at, int rep, CpuPlacement placement, BenchReport report) throws Exception {
        List<Offload> offloads = MODES.get(at.mode());
        String durability = at.durability();
        boolean durable = !durability.equals("memory");
        Path runDir = Path.of("target", "bench-run", durability);
        // A fresh data directory per testbed: TestbedEnv empties its directory when it starts.
        TestbedEnv env = new TestbedEnv(ClusterMeasurement.testbed(at.protocol(), at.replicas(), offloads, at.batch(), mtu).withPlacement(placement)
                .withDurability(durability).withProcesses(processes()).withReplicaJvmOptions(jvmOptions(at.variant())), runDir);
        try {
            if (processes() && jvmWarmup > 0) { // new JVMs: compile their hot paths before anything is measured
                System.out.println(JitSettling.run(env, clients, at.valueSize(), Duration.ofSeconds(jvmWarmup),
                        Duration.ofSeconds(Math.max(jvmWarmup, jvmWarmupMax)), () -> ClusterMeasurement.Readings.take(env, !offloads.isEmpty())).summary());
            }
            for (int c : clients) {
                Cell cell = at.withClients(c);
                boolean groupCommit = durable && at.protocol() == ReplicationProtocol.VR;
                TestbedEnv.JournalProgress before = groupCommit ? env.journalProgress(0) : null;
                Figures f = ClusterMeasurement.measure(env, cell, !offloads.isEmpty(), Duration.ofSeconds(warmup), Duration.ofSeconds(duration));
                String batch = "";
                if (groupCommit) { // group commit: operations the leader committed per force of its journal
                    TestbedEnv.JournalProgress after = env.journalProgress(0);
                    batch = String.format("; %.2f ops per leader force",
                            (double) (after.commit() - before.commit()) / Math.max(1, after.forces() - before.forces()));
                }
                System.out.printf("n=%d %-14s %5d B batch %-3d %-6s %-17s round %d: %s%s%n", at.replicas(), at.placement(), at.valueSize(),
                        at.batch(), durability, report.label(cell), rep + 1, f.load().summary(), batch);
                report.add(f);
            }
            if (rep == 0 && at.mode().equals(modes.get(0)) && at.protocol() == protocols.get(0) && at.batch() == batchSizes.get(0)
                    && durability.equals(durabilities.get(0)) && at.variant().equals(report.settings().variants().get(0))) {
                // The ceiling through the leader's host on this topology and placement, measured once in the same run
                // (the replicas idle beside it).
                measureEcho(env, at, placement, report);
            }
        } finally {
            List<String> left = env.close(false);
            if (!left.isEmpty()) throw new IllegalStateException("namespaces left behind: " + left);
        }
    }

    /**
     * The UDP echo between the client's host and the leader's: one outstanding frame (the round
     * trip an operation costs at least twice), then each client count (the ceiling).
     */
    private void measureEcho(TestbedEnv env, Cell at, CpuPlacement placement, BenchReport report) throws Exception {
        InetSocketAddress leader = new InetSocketAddress(env.host(0).address(), 9000);
        CpuSet leaderCpus = placement == null ? null : placement.leader(), clientCpus = placement == null ? null : placement.client();
        UdpEcho.Result one = UdpEcho.measure(env.host(0).ns(), leader, leaderCpus, env.clientHost().ns(), clientCpus, 1,
                Duration.ofSeconds(1), Duration.ofSeconds(duration), at.valueSize());
        report.roundTrip(at, one);
        System.out.printf(Locale.ROOT, "n=%d %-14s %5d B echo round trip (1 outstanding): p50 %.1f us, p99 %.1f us%n",
                at.replicas(), at.placement(), at.valueSize(), one.rttMicros(50), one.rttMicros(99));
        for (int c : clients) {
            UdpEcho.Result echo = c == 1 ? one : UdpEcho.measure(env.host(0).ns(), leader, leaderCpus, env.clientHost().ns(), clientCpus, c,
                    Duration.ofSeconds(1), Duration.ofSeconds(duration), at.valueSize());
            report.limit(at.withClients(c), echo.roundTripsPerSecond());
            System.out.printf(Locale.ROOT, "n=%d %-14s %5d B physical limit (UDP echo, %d outstanding): %.0f round trips/s%n",
                    at.replicas(), at.placement(), at.valueSize(), c, echo.roundTripsPerSecond());
        }
    }
}
