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
    /** A message whose claimed replica index is not the one its source address belongs to. */
    public volatile long messagesFromWrongSender;

    @Override
    public String toString() {
        return "appended=" + requestsAppended + " notLeader=" + requestsIgnoredNotLeader + " entries=" + entriesAppended
                + " rejected=" + appendsRejected + " executed=" + opsExecuted + " dupExec=" + duplicateExecutionsSkipped
                + " elections=" + electionsStarted + " led=" + termsLed + " ignored=" + messagesIgnored + " wrongSender=" + messagesFromWrongSender;
    }
}
