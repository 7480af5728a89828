package dev.electrode.cli;

import dev.electrode.config.ClusterConfig;
import dev.electrode.server.ReplicaServer;
import dev.electrode.vr.VrSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** Runs one replica until SIGTERM or SIGINT. */
@Command(name = "replica", mixinStandardHelpOptions = true, description = "Run one replica of the KV store (VR or Raft) until SIGTERM.")
final class ReplicaCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Mixin TimingOptions timing;
    @Mixin StatsOption stats;
    @Mixin ProtocolOption protocol;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--index", required = true, description = "this replica's position in the configuration (0-based)")
    int index;

    @Option(names = "--recover", description = "this replica lost its state (a crash without --data-dir, or an empty"
            + " data directory after a disk loss): rejoin through VR recovery")
    boolean recover;

    @Mixin StorageOptions storage;

    @Override
    public Integer call() throws Exception {
        ClusterConfig cfg = config.load(spec.commandLine());
        if (index < 0 || index >= cfg.size())
            throw new CommandLine.ParameterException(spec.commandLine(), "--index " + index + " is not in 0.." + (cfg.size() - 1));
        if (protocol.raft(spec.commandLine(), recover)) {
            var raft = timing.raftSettings(spec.commandLine());
            return storage.runWith(spec.commandLine(), cfg, index, (data, durability) -> ReplicaRunner.runRaft(cfg, index, raft,
                    dev.electrode.offload.Offloads.NONE, data, durability, "", () -> "", stats.statsEverySeconds));
        }
        VrSettings settings = timing.settings(spec.commandLine());
        return storage.runWith(spec.commandLine(), cfg, index, (data, durability) -> ReplicaRunner.run(cfg, index, settings, recover,
                new ReplicaServer.Options(null, null, data, durability), "", () -> "", stats.statsEverySeconds));
    }
}
