package dev.electrode.cli;

import dev.electrode.vr.VrSettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Protocol tunables as command-line options. */
public final class TimingOptions {
    @Option(names = "--batch-size", defaultValue = "64", description = "most requests per Prepare (default: ${DEFAULT-VALUE})")
    public int batchSize;

    @Option(names = "--batch-timeout-us", defaultValue = "500", description = "longest wait of a partial batch, microseconds (default: ${DEFAULT-VALUE})")
    long batchTimeoutMicros;

    @Option(names = "--heartbeat-ms", defaultValue = "50", description = "leader heartbeat period (default: ${DEFAULT-VALUE})")
    long heartbeatMs;

    @Option(names = "--resend-ms", defaultValue = "100", description = "retransmission period (default: ${DEFAULT-VALUE})")
    long resendMs;

    @Option(names = "--view-change-ms", defaultValue = "2500",
            description = "leader silence before a view change; at least twice the idle heartbeat of every replica that may lead,"
                    + " 1000 ms for a reference prototype replica (default: ${DEFAULT-VALUE})")
    long viewChangeMs;

    @Option(names = "--snapshot-every", defaultValue = "100000",
            description = "committed operations between snapshots; the log keeps those since the previous one (default: ${DEFAULT-VALUE})")
    long snapshotEvery;

    @Option(names = "--recovery-bytes", defaultValue = "1048576",
            description = "most log bytes in this replica's RecoveryResponse as leader; a recovering prototype replica needs its whole log"
                    + " in it (default: ${DEFAULT-VALUE})")
    int recoveryBytes;

    @Option(names = "--commit-period-us", defaultValue = "" + VrSettings.DEFAULT_COMMIT_PERIOD_MICROS,
            description = "the leader sends at most one Commit per period, microseconds, so followers wake less often; at most the"
                    + " heartbeat period; 0: a Commit after every commit advance, as the reference prototype (default: ${DEFAULT-VALUE})")
    long commitPeriodMicros;

    /**
     * The Raft settings these options give: the heartbeat, an election timeout drawn from
     * [view-change, 2 x view-change), the batch size as the most entries per AppendEntries, the
     * snapshot interval; a combination Raft refuses is a usage error of {@code cmd}.
     */
    public dev.electrode.raft.RaftSettings raftSettings(CommandLine cmd) {
        try {
            return new dev.electrode.raft.RaftSettings(heartbeatMs * 1000, viewChangeMs * 1000, 2 * viewChangeMs * 1000, batchSize, snapshotEvery);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
    }

    /** The settings these options give; a combination the protocol refuses is a usage error of {@code cmd}. */
    public VrSettings settings(CommandLine cmd) {
        VrSettings d = VrSettings.DEFAULT;
        try {
            return new VrSettings(batchSize, batchTimeoutMicros, heartbeatMs * 1000, resendMs * 1000, viewChangeMs * 1000,
                    d.stateTransferBytes(), d.maxBufferedPrepares(), snapshotEvery, recoveryBytes, d.maxPrepareBytes(), commitPeriodMicros);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
    }
}
