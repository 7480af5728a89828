package dev.electrode.vr;

/**
 * Tunables of the protocol. Timer periods are in microseconds.
 *
 * @param batchSize             most requests in one Prepare
 * @param batchTimeoutMicros    longest a partly filled batch waits while an earlier batch is uncommitted
 * @param heartbeatMicros       leader's idle Commit period
 * @param resendMicros          retransmission period for unanswered protocol messages
 * @param viewChangeMicros      follower's leader-silence timeout (also bounds a view change attempt); at
 *                              least twice the idle heartbeat of every replica that may lead, so that
 *                              one lost heartbeat never deposes an idle leader
 * @param stateTransferBytes    approximate size limit of one StateTransfer chunk
 * @param maxBufferedPrepares   prepares kept while waiting to fill a gap
 * @param snapshotEveryOps      committed operations between snapshots; the log keeps the entries
 *                              since the previous snapshot (between one and two such intervals)
 * @param recoveryBytes         approximate size limit of the log entries in the leader's RecoveryResponse
 *                              (a recovering prototype replica installs only what that response carries)
 * @param maxPrepareBytes       largest Prepare body the leader builds from several requests: a batch is
 *                              cut before it outgrows it (a single request may exceed it), so that every
 *                              Prepare fits one frame of the offloads' fast path (no IP fragments)
 * @param commitPeriodMicros    0: the leader sends a Commit after every commit advance (as the reference
 *                              prototype); otherwise at most one per period, the first at once and the
 *                              latest commit number when the period ends, so followers wake less often;
 *                              at most the heartbeat period
 */
public record VrSettings(int batchSize, long batchTimeoutMicros, long heartbeatMicros, long resendMicros,
                         long viewChangeMicros, int stateTransferBytes, int maxBufferedPrepares, long snapshotEveryOps,
                         int recoveryBytes, int maxPrepareBytes, long commitPeriodMicros) {
    /** Idle heartbeat of the reference prototype's leader (fixed in its source): 1 s. */
    public static final long PROTOTYPE_HEARTBEAT_MICROS = 1_000_000;
    /** Largest RecoveryResponse log a replica sends: well inside a receiver's 32 MiB reassembly limit. */
    public static final int MAX_RECOVERY_BYTES = 16 << 20;

    /**
     * Default commit period: 1 ms. Measured side by side against a Commit per advance (docs/bench/ab,
     * commit-period*): as fast or faster at n = 3, 5 and 7, plain and Electrode, 1 and 16 clients.
     */
    public static final long DEFAULT_COMMIT_PERIOD_MICROS = 1000;

    /**
     * Defaults for real networks. The view-change timeout (2.5 s) is above twice the idle heartbeat
     * of both implementations (Java 50 ms, prototype 1 s), so mixed clusters stay in their view.
     */
    public static final VrSettings DEFAULT = new VrSettings(64, 500, 50_000, 100_000, 2_500_000, 64 * 1024, 1024, 100_000, 1 << 20,
            Integer.MAX_VALUE, DEFAULT_COMMIT_PERIOD_MICROS);

    public VrSettings {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        if (batchTimeoutMicros < 1 || heartbeatMicros < 1 || resendMicros < 1 || viewChangeMicros < 1)
            throw new IllegalArgumentException("timer periods must be positive: " + this);
        if (viewChangeMicros < 2 * heartbeatMicros)
            throw new IllegalArgumentException("view change timeout (" + viewChangeMicros
                    + " us) must be at least twice the heartbeat period (" + heartbeatMicros + " us)");
        if (stateTransferBytes < 1024) throw new IllegalArgumentException("state transfer chunk too small: " + stateTransferBytes);
        if (maxBufferedPrepares < 1) throw new IllegalArgumentException("maxBufferedPrepares must be positive");
        if (snapshotEveryOps < 1) throw new IllegalArgumentException("snapshot interval must be at least 1 operation, got " + snapshotEveryOps);
        if (recoveryBytes < 1024 || recoveryBytes > MAX_RECOVERY_BYTES)
            throw new IllegalArgumentException("recovery response limit must be 1024.." + MAX_RECOVERY_BYTES + " bytes, got " + recoveryBytes);
        if (maxPrepareBytes < 1) throw new IllegalArgumentException("Prepare body limit must be positive, got " + maxPrepareBytes);
        if (commitPeriodMicros < 0 || commitPeriodMicros > heartbeatMicros)
            throw new IllegalArgumentException("commit period must be 0..heartbeat period (" + heartbeatMicros + " us), got " + commitPeriodMicros);
    }

    /** These settings with another batch size. */
    public VrSettings withBatchSize(int n) { return edit(b -> b.batchSize = n); }

    /** These settings with another snapshot interval. */
    public VrSettings withSnapshotEvery(long ops) { return edit(b -> b.snapshotEveryOps = ops); }

    /** These settings with another state transfer chunk size. */
    public VrSettings withStateTransferBytes(int bytes) { return edit(b -> b.stateTransferBytes = bytes); }

    /** These settings with another limit on the log carried by a RecoveryResponse. */
    public VrSettings withRecoveryBytes(int bytes) { return edit(b -> b.recoveryBytes = bytes); }

    /** These settings with other heartbeat, resend and view-change periods. */
    public VrSettings withTimers(long heartbeat, long resend, long viewChange) {
        return edit(b -> {
            b.heartbeatMicros = heartbeat;
            b.resendMicros = resend;
            b.viewChangeMicros = viewChange;
        });
    }

    /** These settings with another limit on the body of a batched Prepare. */
    public VrSettings withMaxPrepareBytes(int bytes) { return edit(b -> b.maxPrepareBytes = bytes); }

    /** These settings with another commit period (0: a Commit after every commit advance). */
    public VrSettings withCommitPeriod(long micros) { return edit(b -> b.commitPeriodMicros = micros); }

    /** A copy with the fields {@code change} sets, checked like any new settings. */
    private VrSettings edit(java.util.function.Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return f.build();
    }

    /** The fields as one mutable set: the one place a copy calls the canonical constructor. */
    private static final class Fields {
        int batchSize, stateTransferBytes, maxBufferedPrepares, recoveryBytes, maxPrepareBytes;
        long batchTimeoutMicros, heartbeatMicros, resendMicros, viewChangeMicros, snapshotEveryOps, commitPeriodMicros;

        Fields(VrSettings s) {
            batchSize = s.batchSize;
            batchTimeoutMicros = s.batchTimeoutMicros;
            heartbeatMicros = s.heartbeatMicros;
            resendMicros = s.resendMicros;
            viewChangeMicros = s.viewChangeMicros;
            stateTransferBytes = s.stateTransferBytes;
            maxBufferedPrepares = s.maxBufferedPrepares;
            snapshotEveryOps = s.snapshotEveryOps;
            recoveryBytes = s.recoveryBytes;
            maxPrepareBytes = s.maxPrepareBytes;
            commitPeriodMicros = s.commitPeriodMicros;
        }

        VrSettings build() {
            return new VrSettings(batchSize, batchTimeoutMicros, heartbeatMicros, resendMicros, viewChangeMicros, stateTransferBytes,
                    maxBufferedPrepares, snapshotEveryOps, recoveryBytes, maxPrepareBytes, commitPeriodMicros);
        }
    }
}
