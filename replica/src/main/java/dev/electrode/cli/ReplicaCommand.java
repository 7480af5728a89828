package dev.electrode.cli;

import dev.electrode.config.ClusterConfig;
import dev.electrode.vr.VrSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Runs one replica until SIGTERM or SIGINT. */
@Command(name = "replica", mixinStandardHelpOptions = true, description = "Run one replica of the KV store until SIGTERM.")
final class ReplicaCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Mixin TimingOptions timing;
    @Mixin StatsOption stats;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--index", required = true, description = "this replica's position in the configuration (0-based)")
    int index;

    @Option(names = "--recover", description = "this replica restarts after a crash: rejoin through VR recovery")
    boolean recover;

    @Option(names = "--data-dir", description = "directory for the 'joined' marker: a replica that finds its marker"
            + " there restarts through recovery automatically (the log itself is kept in memory)")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        ClusterConfig cfg = config.load(spec.commandLine());
        if (index < 0 || index >= cfg.size())
            throw new CommandLine.ParameterException(spec.commandLine(), "--index " + index + " is not in 0.." + (cfg.size() - 1));
        VrSettings settings = timing.settings();
        boolean recovering = recover || joinedBefore();
        markJoined();
        ReplicaRunner.run(cfg, index, settings, recovering, null, "", () -> "", stats.statsEverySeconds);
        return 0;
    }

    private Path marker() { return dataDir.resolve("replica-" + index + ".joined"); }

    private boolean joinedBefore() { return dataDir != null && Files.exists(marker()); }

    private void markJoined() throws IOException {
        if (dataDir == null) return;
        Files.createDirectories(dataDir);
        if (!Files.exists(marker())) Files.writeString(marker(), "joined\n");
    }
}
