package dev.electrode.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code replica}, {@code client}, {@code load}, {@code local-cluster} and {@code pcap} commands. */
@Command(name = "electrode", mixinStandardHelpOptions = true, version = "electrode 0.1.0",
        description = "Viewstamped Replication replicas, client and benchmarks.",
        subcommands = {ReplicaCommand.class, ClientCommand.class, LoadCommand.class, LocalClusterCommand.class, PcapCommand.class})
public final class ElectrodeMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Libraries (pcap4j, Netty) log through slf4j-simple: their INFO chatter is not the command's output.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null)
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.exit(new CommandLine(new ElectrodeMain()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }
}
