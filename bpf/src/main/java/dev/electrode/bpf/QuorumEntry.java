package dev.electrode.bpf;

/** struct electrode_quorum_entry: low 32 bits of view and opnum, and the bitset of acknowledging replicas. */
public record QuorumEntry(int view, int opnum, int acks) {}
