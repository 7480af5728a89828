package dev.electrode.cli;

import dev.electrode.client.ClientOptions;
import dev.electrode.client.LoadGenerator;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Closed-loop load against a running cluster. */
@Command(name = "load", mixinStandardHelpOptions = true, description = "Drive closed-loop KV puts against a running cluster.")
final class LoadCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Mixin LoadOptions load;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ClusterConfig cfg = config.load(spec.commandLine());
        load.validate();
        try (VrClient client = VrClient.connect(cfg, ClientOptions.DEFAULT)) {
            for (int c : load.clients) {
                LoadGenerator.Result r = LoadGenerator.run(client, c, Duration.ofSeconds(load.warmupSeconds),
                        Duration.ofSeconds(load.durationSeconds), load.valueSize, load.keys);
                System.out.println(r.summary());
            }
        }
        return 0;
    }
}
