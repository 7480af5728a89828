package dev.electrode.vr;

import dev.electrode.app.ClientAddress;
import com.google.protobuf.Message;
/**
 * Everything the VR core does to the outside world. The runtime (a socket transport, or
 * a simulated network) implements it; the core never blocks and never reads a clock.
 */
public interface Outbox {
    /** Sends a message to replica {@code idx}. */
    void toReplica(int idx, Message m);

    /** Sends the same message to every other replica (a candidate for the broadcast offload). */
    void toAllReplicas(Message m);

    /** Sends a message to a client, at the address its request came from. */
    void toClient(ClientAddress clientAddress, Message m);

    /** Arms {@code timer} to fire once after {@code delayMicros}, replacing a pending one. */
    void setTimer(VrTimer timer, long delayMicros);

    /** Cancels {@code timer} if pending. */
    void cancelTimer(VrTimer timer);

    /**
     * The replica's status or view changed (view change, adopted view, recovery). Offloads
     * mirror this into kernel state; servers log it.
     */
    default void statusChanged(Status status, long view, int leader) {}

    /**
     * The replica has just left NORMAL status as a follower ({@link #statusChanged} was called):
     * returns, in order, the Prepares a fast-ack offload acknowledged for it that the core has
     * not been given yet, and whether any it acknowledged was unusable. Once it returns, the kernel
     * acknowledges nothing more for the old view.
     */
    default KernelAcks stopFastAcks() { return KernelAcks.NONE; }

    /**
     * The log grew through the slow path (a Prepare from the socket, state transfer): a
     * fast-ack offload raises its kernel copy of lastOp so it can go on acknowledging.
     */
    default void logAdvanced(long lastOp) {}

    /**
     * The replica took a snapshot of its executed state at {@code opnum}, or installed one from
     * its leader: {@code bytes} is the serialized {@code Snapshot}. A durable replica stores it
     * before the log changes of the same turn (an installed one resets the log).
     */
    default void snapshotTaken(long opnum, com.google.protobuf.ByteString bytes) {}
}
