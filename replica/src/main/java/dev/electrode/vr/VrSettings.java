package dev.electrode.vr;

/**
 * Tunables of the protocol. Timer periods are in microseconds.
 *
 * @param batchSize             most requests in one Prepare
 * @param batchTimeoutMicros    longest a partly filled batch waits while an earlier batch is uncommitted
 * @param heartbeatMicros       leader's idle Commit period
 * @param resendMicros          retransmission period for unanswered protocol messages
 * @param viewChangeMicros      follower's leader-silence timeout (also bounds a view change attempt)
 * @param stateTransferBytes    approximate size limit of one StateTransfer chunk
 * @param maxBufferedPrepares   prepares kept while waiting to fill a gap
 * @param snapshotEveryOps      committed operations between snapshots; the log keeps the entries
 *                              since the previous snapshot (between one and two such intervals)
 */
public record VrSettings(int batchSize, long batchTimeoutMicros, long heartbeatMicros, long resendMicros,
                         long viewChangeMicros, int stateTransferBytes, int maxBufferedPrepares, long snapshotEveryOps) {
    /** Defaults for real networks. */
    public static final VrSettings DEFAULT = new VrSettings(64, 500, 50_000, 100_000, 500_000, 64 * 1024, 1024, 100_000);

    public VrSettings {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        if (batchTimeoutMicros < 1 || heartbeatMicros < 1 || resendMicros < 1 || viewChangeMicros < 1)
            throw new IllegalArgumentException("timer periods must be positive: " + this);
        if (viewChangeMicros <= heartbeatMicros)
            throw new IllegalArgumentException("view change timeout (" + viewChangeMicros
                    + " us) must exceed the heartbeat period (" + heartbeatMicros + " us)");
        if (stateTransferBytes < 1024) throw new IllegalArgumentException("state transfer chunk too small: " + stateTransferBytes);
        if (maxBufferedPrepares < 1) throw new IllegalArgumentException("maxBufferedPrepares must be positive");
        if (snapshotEveryOps < 1) throw new IllegalArgumentException("snapshot interval must be at least 1 operation, got " + snapshotEveryOps);
    }

    /** These settings with another batch size. */
    public VrSettings withBatchSize(int n) {
        return new VrSettings(n, batchTimeoutMicros, heartbeatMicros, resendMicros, viewChangeMicros, stateTransferBytes, maxBufferedPrepares, snapshotEveryOps);
    }

    /** These settings with another snapshot interval. */
    public VrSettings withSnapshotEvery(long ops) {
        return new VrSettings(batchSize, batchTimeoutMicros, heartbeatMicros, resendMicros, viewChangeMicros, stateTransferBytes, maxBufferedPrepares, ops);
    }

    /** These settings with another state transfer chunk size. */
    public VrSettings withStateTransferBytes(int bytes) {
        return new VrSettings(batchSize, batchTimeoutMicros, heartbeatMicros, resendMicros, viewChangeMicros, bytes, maxBufferedPrepares, snapshotEveryOps);
    }

    /** These settings with other heartbeat, resend and view-change periods. */
    public VrSettings withTimers(long heartbeat, long resend, long viewChange) {
        return new VrSettings(batchSize, batchTimeoutMicros, heartbeat, resend, viewChange, stateTransferBytes, maxBufferedPrepares, snapshotEveryOps);
    }
}
