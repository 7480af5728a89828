package dev.electrode.bpf;

/** The programs' per-CPU counters, in the order of enum electrode_counter (CounterEnumTest checks it). */
public enum Counter {
    FAST_ACKED, REACKED, PASS_GAP, PASS_NEWER_VIEW, DROP_STALE_VIEW, PASS_NOT_NORMAL, PASS_TOO_LARGE,
    PASS_RING_FULL, PASS_RACE, PASS_TX_RESIZE, PASS_IP_OPTIONS, ACK_PASSED, ACK_PRUNED, ACK_DUPLICATE, ACK_REPASSED, ACK_TAG_MISMATCH,
    QUORUM_RESET, CLONES_SENT, CLONE_FAILED, MALFORMED
}
