package dev.electrode.raft;

/** Counters of a Raft replica's core, written by its protocol thread and readable from any thread. */
public final class RaftStats {
    public volatile long requestsAppended;
    public volatile long requestsIgnoredNotLeader;
    public volatile long entriesAppended;
    public volatile long appendsRejected;
    public volatile long opsExecuted;
    public volatile long duplicateExecutionsSkipped;
    public volatile long electionsStarted;
    public volatile long termsLed;
    public volatile long messagesIgnored;
    /** Kernel-acknowledged AppendEntries applied from the offload's log. */
    public volatile long fastAppendsApplied;
    /** Kernel-acknowledged AppendEntries of a term or leader the replica no longer follows. */
    public volatile long fastAppendsIgnored;
    /** Kernel-acknowledged AppendEntries collected by the fence when the replica stopped following its leader. */
    public volatile long fastAppendsAtFence;
    /** Kernel acknowledgements user space could not back with its log (counted and reported). */
    public volatile long kernelAcksUnusable;
    /** Of those, promises the log did not keep (kernel acks, not deferred ones): debts the follower owed. */
    public volatile long kernelAckDebts;
    /** Debts paid: a leader verified the log up to the promise again. */
    public volatile long kernelAckDebtsPaid;
    /** Quorum-completing responses the leader's XDP passed with their acknowledging set. */
    public volatile long ackSetsApplied;
    /** A message whose claimed replica index is not the one its source address belongs to. */
    public volatile long messagesFromWrongSender;
    /** Snapshots this replica took of its executed state (its log compacted up to them). */
    public volatile long snapshotsTaken;
    /** InstallSnapshot messages the leader sent to followers behind its compacted log. */
    public volatile long snapshotsSent;
    /** Leader snapshots this follower installed. */
    public volatile long snapshotsInstalled;
    /** InstallSnapshot messages refused: unreadable, or inconsistent with their own header. */
    public volatile long snapshotsRefused;

    @Override
    public String toString() {
        return "appended=" + requestsAppended + " notLeader=" + requestsIgnoredNotLeader + " entries=" + entriesAppended
                + " rejected=" + appendsRejected + " executed=" + opsExecuted + " dupExec=" + duplicateExecutionsSkipped
                + " fastApplied=" + fastAppendsApplied + " fastIgnored=" + fastAppendsIgnored + " fastAtFence=" + fastAppendsAtFence
                + " kernelAckUnusable=" + kernelAcksUnusable + " kernelAckDebts=" + kernelAckDebts + "/" + kernelAckDebtsPaid + " ackSets=" + ackSetsApplied + " elections=" + electionsStarted + " led=" + termsLed + " ignored=" + messagesIgnored + " wrongSender=" + messagesFromWrongSender + " snapshots=" + snapshotsTaken
                + " snapshotsSent=" + snapshotsSent + " snapshotsInstalled=" + snapshotsInstalled + " snapshotsRefused=" + snapshotsRefused;
    }
}
