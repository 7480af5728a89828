package dev.electrode.vr;

/** Counters of the core, written by the protocol thread and readable from any thread. */
public final class VrStats {
    public volatile long requestsAppended;
    public volatile long duplicateRequests;
    public volatile long requestsIgnoredNotLeader;
    public volatile long batchesSent;
    public volatile long prepareResends;
    public volatile long opsExecuted;
    public volatile long duplicateExecutionsSkipped;
    public volatile long viewChangesStarted;
    public volatile long viewChangesCompleted;
    public volatile long stateTransfersRequested;
    public volatile long stateTransferEntriesApplied;
    public volatile long preparesBuffered;
    public volatile long recoveriesCompleted;
    /** Log entries a recovering replica took from the leader's RecoveryResponse. */
    public volatile long recoveryEntriesInstalled;
    /** RequestStateTransfer of an older view answered with this view's state (the requester missed a view change). */
    public volatile long staleStateTransfersAnswered;
    /** Newer views this replica entered from a StateTransfer (it had missed their view change). */
    public volatile long viewsAdoptedFromStateTransfer;
    public volatile long messagesIgnored;
    /** A replica's message whose claimed replica index is not the one its source address belongs to. */
    public volatile long messagesFromWrongSender;
    /** A replica-to-replica message from an address outside the configuration. */
    public volatile long messagesFromNonMembers;
    public volatile long fastPreparesApplied;
    public volatile long fastPreparesIgnored;
    /** Kernel-acknowledged Prepares collected when the replica left NORMAL status, appended to its log. */
    public volatile long fastPreparesAppendedAtViewChange;
    public volatile long ackSetsApplied;
    /** Kernel-acknowledged Prepares user space could not use; each sends the replica into recovery. */
    public volatile long kernelAcksUnusable;
    public volatile long snapshotsTaken;
    /** Snapshots received from the leader and installed. */
    public volatile long snapshotsInstalled;
    /** Complete snapshots from the leader that failed their checks (CRC, decoding, state); fetched again. */
    public volatile long snapshotsRejected;
    public volatile long snapshotChunksSent;
    public volatile long snapshotChunksReceived;
    /** Snapshot chunks out of order, duplicated or with an impossible size. */
    public volatile long snapshotChunksRejected;

    @Override
    public String toString() {
        return "appended=" + requestsAppended + " dupReq=" + duplicateRequests + " notLeader=" + requestsIgnoredNotLeader
                + " batches=" + batchesSent + " resends=" + prepareResends + " executed=" + opsExecuted
                + " dupExec=" + duplicateExecutionsSkipped + " vcStarted=" + viewChangesStarted
                + " vcDone=" + viewChangesCompleted + " stReq=" + stateTransfersRequested
                + " stEntries=" + stateTransferEntriesApplied + " buffered=" + preparesBuffered
                + " recoveries=" + recoveriesCompleted + " recoveryEntries=" + recoveryEntriesInstalled
                + " staleStAnswered=" + staleStateTransfersAnswered + " viewsFromSt=" + viewsAdoptedFromStateTransfer + " ignored=" + messagesIgnored
                + " wrongSender=" + messagesFromWrongSender + " nonMember=" + messagesFromNonMembers + " fastPrepares=" + fastPreparesApplied
                + " fastIgnored=" + fastPreparesIgnored + " fastAtViewChange=" + fastPreparesAppendedAtViewChange + " ackSets=" + ackSetsApplied
                + " kernelAckUnusable=" + kernelAcksUnusable + " snapshots=" + snapshotsTaken + " snapshotsInstalled=" + snapshotsInstalled
                + " snapshotsRejected=" + snapshotsRejected + " chunksSent=" + snapshotChunksSent + " chunksReceived=" + snapshotChunksReceived
                + " chunksRejected=" + snapshotChunksRejected;
    }
}
