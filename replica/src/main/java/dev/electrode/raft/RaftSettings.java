package dev.electrode.raft;

/**
 * Tunables of a Raft replica; periods in microseconds.
 *
 * @param heartbeatMicros   the leader's AppendEntries period when idle
 * @param electionMinMicros shortest randomized election timeout
 * @param electionMaxMicros longest randomized election timeout
 * @param maxEntries        most entries in one AppendEntries
 */
public record RaftSettings(long heartbeatMicros, long electionMinMicros, long electionMaxMicros, int maxEntries) {
    /** Defaults for real networks. */
    public static final RaftSettings DEFAULT = new RaftSettings(50_000, 2_500_000, 5_000_000, 64);

    public RaftSettings {
        if (heartbeatMicros < 1 || maxEntries < 1) throw new IllegalArgumentException("heartbeat and batch must be positive: " + this);
        if (electionMinMicros < 2 * heartbeatMicros || electionMaxMicros <= electionMinMicros)
            throw new IllegalArgumentException("election timeout range must start at twice the heartbeat and not be empty: " + this);
    }
}
