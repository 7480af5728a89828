package dev.electrode.cli;

import dev.electrode.config.ClusterConfig;
import dev.electrode.server.Durability;
import dev.electrode.server.ReplicaServer;
import dev.electrode.storage.FileJournalDirectory;
import dev.electrode.storage.Journal;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** Where and how durably a replica keeps its state: --data-dir and --durability. */
public final class StorageOptions {
    @Option(names = "--data-dir", description = "this replica's data directory (its journal); a replica restarts from it after"
            + " a crash; an empty one with --recover rejoins through VR recovery")
    public Path dataDir;

    @Option(names = "--durability", description = "sync (default with --data-dir: forced before anything is acknowledged),"
            + " async (forced every " + ReplicaServer.ASYNC_FORCE_MILLIS + " ms) or memory (default without --data-dir: nothing on disk)")
    public String durability;

    /** The durability mode these options ask for. */
    public Durability mode(CommandLine cmd) {
        Durability d;
        try {
            d = durability == null ? (dataDir == null ? Durability.MEMORY : Durability.SYNC) : Durability.parse(durability);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
        if (d != Durability.MEMORY && dataDir == null)
            throw new CommandLine.ParameterException(cmd, "--durability " + d.name().toLowerCase() + " needs --data-dir");
        if (d == Durability.MEMORY && dataDir != null)
            throw new CommandLine.ParameterException(cmd, "--durability memory keeps nothing in --data-dir: give one or the other");
        return d;
    }

    /** The error line for a data directory that cannot be used. */
    public static String cannotOpen(int index, java.io.IOException e) {
        return "replica " + index + ": cannot start from its data directory: "
                + (e instanceof dev.electrode.storage.CorruptJournalException ? "" : e.getClass().getSimpleName() + ": ") + e.getMessage();
    }

    /** Opens the journal of replica {@code index} of {@code cfg}, or null in memory mode. */
    public Journal open(CommandLine cmd, ClusterConfig cfg, int index) throws IOException {
        if (mode(cmd) == Durability.MEMORY) return null;
        return Journal.open(new FileJournalDirectory(dataDir), new Journal.Identity(cfg.id(), index), Journal.DEFAULT_SEGMENT_BYTES);
    }
}
