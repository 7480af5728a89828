package dev.electrode.cli;

import dev.electrode.app.KvStore;
import dev.electrode.config.ClusterConfig;
import dev.electrode.server.ReplicaServer;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.vr.VrSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs one replica until SIGTERM or SIGINT. */
@Command(name = "replica", mixinStandardHelpOptions = true, description = "Run one replica of the KV store until SIGTERM.")
final class ReplicaCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Mixin TimingOptions timing;
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
        ReplicaServer server = ReplicaServer.start(cfg, index, settings, new KvStore(), recovering, (status, view, leader) -> {
            System.out.println("replica " + index + ": status " + status + " view " + view + " leader " + leader);
            System.out.flush();
        });
        markJoined();
        CountDownLatch stopRequested = new CountDownLatch(1);
        // SIGTERM/SIGINT end the replica cleanly with exit code 0 (the JVM default would be 143/130).
        for (String sig : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stopRequested.countDown());
        }
        System.out.println("replica " + index + " " + (recovering ? "recovering, " : "") + "listening on "
                + server.endpoint().localAddress() + " (" + (UdpEndpoint.epollAvailable() ? "epoll" : "nio") + ")");
        System.out.flush();
        stopRequested.await();
        var stats = server.query(r -> r.stats().toString() + " view=" + r.view() + " commit=" + r.commitNum());
        server.close();
        System.out.println("replica " + index + " stopped: " + stats);
        System.out.flush();
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
