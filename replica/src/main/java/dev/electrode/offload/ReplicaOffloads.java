package dev.electrode.offload;

import dev.electrode.vr.Status;

/**
 * What a replica needs from kernel offloads, without knowing how they work (the bpf module
 * implements it with XDP and TC programs). All calls come from the replica's thread.
 */
public interface ReplicaOffloads extends AutoCloseable {
    /** The leader hands PREPARE and COMMIT to the kernel once, with the broadcast bit; TC fans them out. */
    boolean broadcast();

    /** Followers' PREPAREs are acknowledged in XDP; user space drains them with {@link #drain}. */
    boolean fastAck();

    /**
     * True if the kernel acknowledges what the fast path buffers; false if it only buffers
     * (deferred acks, for durable replicas) and user space acknowledges each drained Prepare
     * once it is durable.
     */
    default boolean kernelAcks() { return true; }

    /** The leader's XDP passes only quorum-completing ACKs, with the acknowledging set in fast meta. */
    boolean quorumPrune();

    /** Status, view or leader changed (also at start); {@code lastOp} is the end of the user-space log. */
    void controlChanged(Status status, long view, int leader, long lastOp);

    /**
     * Called after {@link #controlChanged} took the replica out of NORMAL: returns once no
     * program invocation that read the earlier control state is still running, so that
     * {@link #drain} then yields every Prepare the kernel has acknowledged.
     */
    void awaitAcksStopped();

    /** The slow path extended the log to {@code lastOp}. */
    void logAdvanced(long lastOp);

    /** Hands every fast-acknowledged Prepare in the kernel log to {@code sink}, in ring order; returns how many. */
    int drain(PrepareSink sink);

    /** Receives one kernel-acknowledged Prepare; its body buffer is valid only during the call. */
    @FunctionalInterface
    interface PrepareSink {
        void accept(KernelPrepare prepare);
    }

    /** Detaches the programs. */
    @Override
    void close();
}
