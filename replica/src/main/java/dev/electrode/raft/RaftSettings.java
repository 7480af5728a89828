package dev.electrode.raft;

/**
 * Tunables of a Raft replica; periods in microseconds.
 *
 * @param heartbeatMicros   the leader's AppendEntries period when idle
 * @param electionMinMicros shortest randomized election timeout
 * @param electionMaxMicros longest randomized election timeout
 * @param maxEntries        most entries in one AppendEntries
 * @param snapshotEvery     committed entries between snapshots, which compact the log (0: never)
 */
public record RaftSettings(long heartbeatMicros, long electionMinMicros, long electionMaxMicros, int maxEntries, long snapshotEvery) {
    /** Defaults for real networks. */
    public static final RaftSettings DEFAULT = new RaftSettings(50_000, 2_500_000, 5_000_000, 64, 100_000);

    public RaftSettings {
        if (heartbeatMicros < 1 || maxEntries < 1) throw new IllegalArgumentException("heartbeat and batch must be positive: " + this);
        if (electionMinMicros < 2 * heartbeatMicros || electionMaxMicros <= electionMinMicros)
            throw new IllegalArgumentException("election timeout range must start at twice the heartbeat and not be empty: " + this);
        if (snapshotEvery < 0) throw new IllegalArgumentException("snapshotEvery must be 0 (never) or positive: " + this);
    }

    /** These settings with the default snapshot interval. */
    public RaftSettings(long heartbeatMicros, long electionMinMicros, long electionMaxMicros, int maxEntries) {
        this(heartbeatMicros, electionMinMicros, electionMaxMicros, maxEntries, DEFAULT_SNAPSHOT_EVERY);
    }

    /** Committed entries between snapshots unless set. */
    public static final long DEFAULT_SNAPSHOT_EVERY = 100_000;

    /** These settings with a snapshot every {@code entries} committed entries (0: never). */
    public RaftSettings withSnapshotEvery(long entries) {
        return new RaftSettings(heartbeatMicros, electionMinMicros, electionMaxMicros, maxEntries, entries);
    }
}
