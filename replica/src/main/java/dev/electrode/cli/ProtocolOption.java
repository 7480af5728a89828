package dev.electrode.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.Locale;

/** The replication protocol a replica runs, as a command-line option. */
public final class ProtocolOption {
    @Option(names = "--protocol", defaultValue = "vr",
            description = "vr (Viewstamped Replication, the reference prototype's protocol) or raft (default: ${DEFAULT-VALUE})")
    String protocol;

    /**
     * True for Raft. Raft has no recovery protocol: a replica restarts from its data directory,
     * so {@code recover} with Raft is a usage error of {@code cmd}, as is an unknown protocol.
     */
    public boolean raft(CommandLine cmd, boolean recover) {
        String p = protocol.strip().toLowerCase(Locale.ROOT);
        if (!p.equals("vr") && !p.equals("raft"))
            throw new CommandLine.ParameterException(cmd, "--protocol must be vr or raft, got '" + protocol + "'");
        if (p.equals("raft") && recover)
            throw new CommandLine.ParameterException(cmd, "--recover is VR's: a Raft replica restarts from its --data-dir, and one that"
                    + " lost its disk must not rejoin (it could vote twice in a term)");
        return p.equals("raft");
    }
}
