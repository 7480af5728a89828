package dev.electrode.bpf;

/** struct electrode_control: the replica state the programs act on. */
public record ControlState(int status, int myIdx, int leaderIdx, int batchSize, long view, long lastOp) {
    /** Status code of a replica in its protocol's normal case: the only one the fast path acts in. */
    public static final int NORMAL = 0;
    /** Status code of a replica outside its normal case (changing epochs, recovering): nothing is acknowledged. */
    public static final int NOT_NORMAL = 1;
}
