package dev.electrode.testbed.chaos;

/** The faults the nemesis injects; each is applied for a while and then undone. */
public enum Fault {
    /** SIGKILL the leader; restarted (from its data directory) when the fault ends. */
    KILL_LEADER,
    /** SIGKILL one follower. */
    KILL_FOLLOWER,
    /** SIGKILL f replicas, the leader among them or not. */
    KILL_MINORITY,
    /** SIGKILL every replica at once (durable replicas only). */
    KILL_ALL,
    /** SIGSTOP the leader, SIGCONT at the end. */
    PAUSE_LEADER,
    /** SIGSTOP one follower. */
    PAUSE_FOLLOWER,
    /** The leader and at most f-1 followers cut off from the other replicas (clients reach both sides). */
    PARTITION_LEADER_MINORITY,
    /** A random split of the replicas into a majority and a minority, the leader on either side. */
    PARTITION_SPLIT,
    /** Frames from one replica to another dropped, the other way left alone. */
    ONE_WAY_CUT,
    /** A share (5-30%) of all frames lost. */
    LOSS,
    /** A share of all frames delivered twice. */
    DUPLICATE,
    /** A share of all frames with a flipped byte (the receiver's checksum drops them). */
    CORRUPT,
    /** Every frame delayed 1-20 ms with jitter, which reorders them. */
    DELAY_REORDER
}
