package dev.electrode.offload;

/**
 * Kernel offloads as a replication protocol uses them, whatever the protocol: the leader hands a
 * message to the kernel once and TC fans it out to every follower ({@link #broadcast}); followers'
 * in-order appends are acknowledged in XDP and user space polls them in batches ({@link #poll});
 * the leader's XDP passes only the acknowledgement that completes a quorum, with the set that
 * acknowledged ({@link #quorumPrune}); and a fence waits until no program still acts on an older
 * control state ({@link #awaitQuiescent}). Plain UDP uses {@link #NONE}. All calls come from the
 * replica's thread; the bpf module implements it with XDP and TC programs.
 */
public interface Offloads extends AutoCloseable {
    /**
     * What the programs must know of the replica, written on every change of it.
     *
     * @param normal    the replica runs its protocol's normal case (otherwise nothing is acknowledged)
     * @param epoch     its view or term
     * @param leader    the index of the epoch's leader
     * @param lastIndex the end of its log in user space
     */
    record Control(boolean normal, long epoch, int leader, long lastIndex) {}

    /** Plain UDP: nothing is offloaded, every call is a no-op. */
    Offloads NONE = new Offloads() {
        @Override public boolean broadcast() { return false; }
        @Override public boolean fastAck() { return false; }
        @Override public boolean quorumPrune() { return false; }
        @Override public void controlChanged(Control c) {}
        @Override public void awaitQuiescent() {}
        @Override public void logAdvanced(long lastIndex) {}
        @Override public int poll(RecordSink sink) { return 0; }
        @Override public void close() {}
        @Override public String toString() { return "no offloads"; }
    };

    /** The leader sends a broadcast message once, flagged; TC egress clones it to every follower. */
    boolean broadcast();

    /**
     * The largest append body the programs take in one frame on this replica's link (its MTU,
     * less the headers, within the fast path's buffer); a leader that batches keeps its appends
     * within it, since a larger one would travel as IP fragments, which only the slow path takes.
     */
    default int appendBodyLimit() { return Integer.MAX_VALUE; }

    /** Followers' in-order appends are acknowledged in XDP; user space polls them with {@link #poll}. */
    boolean fastAck();

    /**
     * True if the kernel acknowledges what the fast path buffers; false if it only buffers
     * (deferred acks, for durable replicas) and user space acknowledges each polled record once
     * it is durable.
     */
    default boolean kernelAcks() { return fastAck(); }

    /** The leader's XDP passes only quorum-completing acknowledgements, with the acknowledging set in the fast meta. */
    boolean quorumPrune();

    /** The replica's control state changed (also at start). */
    void controlChanged(Control c);

    /**
     * The quiescence fence, called after {@link #controlChanged} took the replica out of its
     * normal case: returns once no program invocation that read the earlier control state is
     * still running, so that {@link #poll} then yields every append the kernel acknowledged.
     */
    void awaitQuiescent();

    /** The slow path extended the log to {@code lastIndex}. */
    void logAdvanced(long lastIndex);

    /** Hands every record of the kernel log to {@code sink}, in ring order, as one batch; returns how many. */
    int poll(RecordSink sink);

    /** Receives one fast-acknowledged append; its body buffer is valid only during the call. */
    @FunctionalInterface
    interface RecordSink {
        void accept(KernelRecord record);
    }

    /** Detaches the programs. */
    @Override
    void close();
}
