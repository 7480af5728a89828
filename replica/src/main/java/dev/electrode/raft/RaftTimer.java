package dev.electrode.raft;

/** The timers a Raft replica arms through its {@link RaftOutbox}. */
public enum RaftTimer {
    /** Follower or candidate: no leader was heard for a randomized period; start an election. */
    ELECTION,
    /** Leader: time to send AppendEntries (entries or a heartbeat) to every follower. */
    HEARTBEAT
}
