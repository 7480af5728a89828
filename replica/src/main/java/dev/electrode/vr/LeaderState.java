package dev.electrode.vr;

import dev.electrode.app.ClientAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The leader's state in one view: where the last batch sent ends, how far each follower has
 * acknowledged, the retransmission bookkeeping, and the requests appended but not executed.
 * Reset at every view change; where to reply to each client outlives views.
 */
final class LeaderState {
    /** The last op sent in a Prepare (ops above it wait in the open batch). */
    long lastBatchEnd;
    /** Something went to the followers since the last heartbeat tick. */
    boolean sentSinceHeartbeat;
    /** The close-batch timer is armed. */
    boolean closeBatchArmed;
    /** The commit-period timer is armed: a Commit went out less than a period ago. */
    boolean commitPeriodArmed;
    /** The commit number the last Commit carried. */
    long announcedCommit;
    /** clientId -> the request id appended for it and not executed yet. */
    final Map<Long, Long> inFlight = new HashMap<>();
    /** clientId -> where to send its replies. */
    final Map<Long, ClientAddress> clientAddresses = new HashMap<>();

    private final long[] ackedUpTo;
    private final long[] followerAcks; // quorumOp's scratch: one per ACK, so not allocated each time
    private long commitAtLastResend;
    private long preparedAtLastResend;

    LeaderState(int n) {
        this.ackedUpTo = new long[n];
        this.followerAcks = new long[Math.max(0, n - 1)];
    }

    /** Starts a view: nothing acknowledged, and the whole log counts as sent. */
    void reset(long lastOp, long commitNum) {
        Arrays.fill(ackedUpTo, 0);
        lastBatchEnd = lastOp;
        commitAtLastResend = commitNum;
        announcedCommit = commitNum;
        preparedAtLastResend = lastOp;
        inFlight.clear();
    }

    /** Follower {@code r} holds every op up to {@code op}; true if that is news. */
    boolean acked(int r, long op) {
        if (op <= ackedUpTo[r]) return false;
        ackedUpTo[r] = op;
        return true;
    }

    /** Follower {@code r} lost its log (it is recovering): its earlier acknowledgements no longer count. */
    void forget(int r) { ackedUpTo[r] = 0; }

    /** The highest op that {@code f} followers (besides {@code me}) acknowledged, within the batches sent. */
    long quorumOp(int me, int f) {
        if (f == 0) return lastBatchEnd;
        long[] acks = followerAcks;
        int k = 0;
        for (int i = 0; i < ackedUpTo.length; i++) if (i != me) acks[k++] = ackedUpTo[i];
        Arrays.sort(acks);
        return Math.min(acks[acks.length - f], lastBatchEnd);
    }

    /**
     * One resend period passed: true if an op prepared before the previous tick is still
     * uncommitted and the commit point stood still for the whole period (an op prepared just
     * before this tick is not late).
     */
    boolean resendDue(long commitNum) {
        boolean due = preparedAtLastResend > commitNum && commitNum == commitAtLastResend;
        commitAtLastResend = commitNum;
        preparedAtLastResend = lastBatchEnd;
        return due;
    }
}
