package dev.electrode.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code replica}, {@code client}, {@code load} and {@code local-cluster} commands. */
@Command(name = "electrode", mixinStandardHelpOptions = true, version = "electrode 0.1.0",
        description = "Viewstamped Replication replicas, client and benchmarks.",
        subcommands = {ReplicaCommand.class, ClientCommand.class, LoadCommand.class, LocalClusterCommand.class})
public final class ElectrodeMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ElectrodeMain()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }
}
