package dev.electrode.testbed.launch;

import dev.electrode.bpf.KernelOffloads;
import dev.electrode.bpf.Offload;
import dev.electrode.cli.ConfigOption;
import dev.electrode.cli.ReplicaRunner;
import dev.electrode.cli.StatsOption;
import dev.electrode.cli.StorageOptions;
import dev.electrode.server.Durability;
import dev.electrode.server.ReplicaServer;
import dev.electrode.cli.TimingOptions;
import dev.electrode.config.ClusterConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * A replica with the Electrode offloads: attaches the XDP and TC programs to its interface
 * (in the namespace the process runs in) and drives them. Wiring of replica and bpf, so it
 * lives above both.
 */
@Command(name = "electrode-replica", mixinStandardHelpOptions = true,
        description = "Run one replica with eBPF offloads until SIGTERM.")
public final class ElectrodeReplicaMain implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Mixin TimingOptions timing;
    @Mixin StatsOption stats;
    @Mixin StorageOptions storage;
    @Mixin dev.electrode.cli.ProtocolOption protocol;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--index", required = true, description = "this replica's position in the configuration (0-based)")
    int index;

    @Option(names = "--recover", description = "this replica lost its state (a crash without --data-dir, or an empty"
            + " data directory after a disk loss): rejoin through VR recovery")
    boolean recover;

    @Option(names = "--offloads", split = ",", defaultValue = "all",
            description = "offloads to run: broadcast, fast-ack, quorum-prune, all or none (default: ${DEFAULT-VALUE})")
    List<String> offloads;

    @Option(names = "--iface", required = true, description = "the interface the replica's traffic crosses")
    String iface;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ElectrodeReplicaMain()).execute(args));
    }

    /** Parses offload names as the --offloads option takes them. */
    public static Set<Offload> parseOffloads(List<String> names) {
        Set<Offload> set = EnumSet.noneOf(Offload.class);
        for (String n : names) {
            switch (n.strip().toLowerCase(Locale.ROOT)) {
                case "all" -> set.addAll(EnumSet.allOf(Offload.class));
                case "none", "" -> { }
                case "broadcast" -> set.add(Offload.BROADCAST);
                case "fast-ack" -> set.add(Offload.FAST_ACK);
                case "quorum-prune" -> set.add(Offload.QUORUM_PRUNE);
                default -> throw new IllegalArgumentException("unknown offload '" + n + "' (broadcast, fast-ack, quorum-prune, all, none)");
            }
        }
        return set;
    }

    private static java.util.Map<dev.electrode.bpf.Counter, Long> nonZero(java.util.Map<dev.electrode.bpf.Counter, Long> counters) {
        java.util.Map<dev.electrode.bpf.Counter, Long> m = new java.util.EnumMap<>(dev.electrode.bpf.Counter.class);
        counters.forEach((c, v) -> { if (v != 0) m.put(c, v); });
        return m;
    }

    /** A Raft replica on the same programs, loaded with Raft's message names and meta positions. */
    private int runRaft(ClusterConfig cfg, Set<Offload> set) throws Exception {
        var settings = timing.raftSettings(spec.commandLine());
        return storage.runWith(spec.commandLine(), cfg, index, (data, durability) -> {
            // Durable (sync) replicas acknowledge only what is on disk: the fast path buffers, user space acknowledges.
            KernelOffloads kernel = set.isEmpty() ? null : KernelOffloads.attach(cfg, index, timing.batchSize, set, iface,
                    durability == Durability.SYNC, dev.electrode.wire.RaftOffloadProtocol.MESSAGES);
            try {
                return dev.electrode.cli.ReplicaRunner.runRaft(cfg, index, settings,
                        kernel == null ? dev.electrode.offload.Offloads.NONE : kernel, data, durability,
                        " offloads " + set + (kernel == null ? "" : " xdp " + kernel.xdpMode()
                                + (kernel.kernelAcks() ? "" : " acks deferred until durable")),
                        () -> kernel == null ? "" : " bpf " + nonZero(kernel.bpf().counters()), stats.statsEverySeconds);
            } finally {
                if (kernel != null) kernel.close();
            }
        });
    }

    @Override
    public Integer call() throws Exception {
        ClusterConfig cfg = config.load(spec.commandLine());
        if (index < 0 || index >= cfg.size())
            throw new CommandLine.ParameterException(spec.commandLine(), "--index " + index + " is not in 0.." + (cfg.size() - 1));
        Set<Offload> set;
        try {
            set = parseOffloads(offloads);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (protocol.raft(spec.commandLine(), recover)) return runRaft(cfg, set);
        var settings = timing.settings(spec.commandLine());
        return storage.runWith(spec.commandLine(), cfg, index, (data, durability) -> {
            // Durable (sync) replicas acknowledge only what is on disk: the fast path buffers, user space acknowledges.
            KernelOffloads kernel = set.isEmpty() ? null
                    : KernelOffloads.attach(cfg, index, timing.batchSize, set, iface, durability == Durability.SYNC);
            try {
                return ReplicaRunner.run(cfg, index, settings, recover, new ReplicaServer.Options(null, kernel, data, durability),
                        " offloads " + set + (kernel == null ? "" : " xdp " + kernel.xdpMode()
                                + (kernel.kernelAcks() ? "" : " acks deferred until durable")),
                        () -> kernel == null ? "" : " bpf " + nonZero(kernel.bpf().counters()), stats.statsEverySeconds);
            } finally {
                if (kernel != null) kernel.close();
            }
        });
    }
}
