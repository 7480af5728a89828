package dev.electrode.cli;

import dev.electrode.config.ClusterConfig;
import dev.electrode.server.Durability;
import dev.electrode.server.ReplicaServer;
import dev.electrode.storage.DataDirectory;
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

    @Option(names = "--segment-bytes", defaultValue = "" + Journal.DEFAULT_SEGMENT_BYTES,
            description = "size at which the journal starts a new segment file; whole segments are deleted once a snapshot covers them (default: ${DEFAULT-VALUE})")
    public long segmentBytes;

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

    /** Opens the data directory of replica {@code index} of {@code cfg}, or null in memory mode. */
    public DataDirectory open(CommandLine cmd, ClusterConfig cfg, int index) throws IOException {
        if (mode(cmd) == Durability.MEMORY) return null;
        if (segmentBytes < 4096) throw new CommandLine.ParameterException(cmd, "--segment-bytes must be at least 4096, got " + segmentBytes);
        return DataDirectory.open(new FileJournalDirectory(dataDir), new Journal.Identity(cfg.id(), index), segmentBytes);
    }

    /** What a launcher runs once its data directory is open (null in memory mode); returns the exit code. */
    @FunctionalInterface
    public interface Body {
        int run(DataDirectory data, Durability durability) throws Exception;
    }

    /**
     * Opens the data directory, runs {@code body} with it and closes it. A directory that cannot
     * be used is reported on stderr with exit code 2, before anything starts.
     */
    public int runWith(CommandLine cmd, ClusterConfig cfg, int index, Body body) throws Exception {
        Durability d = mode(cmd);
        DataDirectory opened;
        try {
            opened = open(cmd, cfg, index);
        } catch (IOException e) {
            cmd.getErr().println(cannotOpen(index, e));
            return 2;
        }
        try (DataDirectory data = opened) {
            return body.run(data, d);
        }
    }
}
