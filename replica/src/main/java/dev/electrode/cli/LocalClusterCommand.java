package dev.electrode.cli;

import dev.electrode.client.ClientOptions;
import dev.electrode.client.LoadGenerator;
import dev.electrode.client.VrClient;
import dev.electrode.launch.LocalCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The main job: a replica cluster of separate processes on loopback, measured under closed-loop load. */
@Command(name = "local-cluster", mixinStandardHelpOptions = true,
        description = "Start a replica cluster on loopback (one process per replica), drive a workload, print throughput and latency.")
final class LocalClusterCommand implements Callable<Integer> {
    @Mixin LoadOptions load;

    @Option(names = "--replicas", defaultValue = "3", description = "number of replicas, odd (default: ${DEFAULT-VALUE})")
    int replicas;

    @Option(names = "--batch-size", defaultValue = "64", description = "most requests per Prepare (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--dir", defaultValue = "target/local-cluster", description = "config and replica logs (default: ${DEFAULT-VALUE})")
    Path dir;

    @Override
    public Integer call() throws Exception {
        load.validate();
        List<String> replicaArgs = List.of("--batch-size", Integer.toString(batchSize));
        System.out.printf("starting %d replicas on loopback (logs in %s)%n", replicas, dir.toAbsolutePath());
        List<String> lines = new ArrayList<>();
        try (LocalCluster cluster = LocalCluster.start(replicas, dir, replicaArgs);
             VrClient client = VrClient.connect(cluster.config(), ClientOptions.DEFAULT)) {
            for (int i = 0; i < replicas; i++)
                System.out.printf("  replica %d: %s (pid %d)%n", i, cluster.config().replica(i), cluster.process(i).pid());
            for (int c : load.clients) {
                LoadGenerator.Result r = LoadGenerator.run(client, c, Duration.ofSeconds(load.warmupSeconds),
                        Duration.ofSeconds(load.durationSeconds), load.valueSize, load.keys);
                System.out.println(r.summary());
                lines.add(String.format("| %7d | %10.0f | %8.0f | %8.0f | %8.0f |", c, r.throughput(),
                        r.percentileMicros(50), r.percentileMicros(99), r.percentileMicros(99.9)));
            }
        }
        System.out.printf("%nplain VR, %d replicas, loopback UDP, batch size %d, %d-byte values%n", replicas, batchSize, load.valueSize);
        System.out.println("| clients |      ops/s | p50 (us) | p99 (us) | p99.9 us |");
        System.out.println("|---------|------------|----------|----------|----------|");
        lines.forEach(System.out::println);
        return 0;
    }
}
