package dev.electrode.vr;

/** The timers the core asks its runtime to run; each kind has at most one pending instance. */
public enum VrTimer {
    /** Leader: send a Commit as heartbeat if nothing was sent in the last period. */
    HEARTBEAT,
    /** Retransmit whatever is waiting for an answer: prepares, view-change, state-transfer and recovery messages. */
    RESEND,
    /** Follower: start a view change if the leader was silent for a whole period; also bounds view changes and recovery attempts. */
    VIEW_CHANGE,
    /** Leader: close a partly filled batch. */
    CLOSE_BATCH,
    /** Leader: the commit period ended; announce the commit number if it moved since the last Commit. */
    COMMIT
}
