package dev.electrode.cli;

import picocli.CommandLine.Option;

import java.util.List;

/** Workload shape shared by the load commands. */
final class LoadOptions {
    @Option(names = "--clients", split = ",", defaultValue = "1,4,16", description = "closed-loop clients; a list runs one measurement each (default: ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(names = "--duration", defaultValue = "5", description = "seconds measured per run (default: ${DEFAULT-VALUE})")
    int durationSeconds;

    @Option(names = "--warmup", defaultValue = "2", description = "seconds of warm-up per run (default: ${DEFAULT-VALUE})")
    int warmupSeconds;

    @Option(names = "--value-size", defaultValue = "64", description = "bytes per put value (default: ${DEFAULT-VALUE})")
    int valueSize;

    @Option(names = "--keys", defaultValue = "1000", description = "distinct keys per client (default: ${DEFAULT-VALUE})")
    int keys;

    void validate() {
        for (int c : clients) if (c < 1) throw new IllegalArgumentException("--clients values must be positive, got " + c);
        if (durationSeconds < 1 || warmupSeconds < 0 || valueSize < 0 || keys < 1)
            throw new IllegalArgumentException("need --duration >= 1, --warmup >= 0, --value-size >= 0, --keys >= 1");
    }
}
