package dev.electrode.bpf;

/** struct electrode_control: the replica state the programs act on. */
public record ControlState(int status, int myIdx, int leaderIdx, int batchSize, long view, long lastOp) {}
