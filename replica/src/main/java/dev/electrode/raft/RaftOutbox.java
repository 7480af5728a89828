package dev.electrode.raft;

import com.google.protobuf.Message;
import dev.electrode.raft.proto.AppendEntries;
import dev.electrode.app.ClientAddress;

import java.util.List;

/** Everything a Raft replica's deterministic core asks of the world: messages out, timers, and its offloads. */
public interface RaftOutbox {
    void toReplica(int idx, Message m);

    /** Sends the same message to every other replica (a candidate for the broadcast offload). */
    default void toAllReplicas(Message m, int n, int me) {
        for (int i = 0; i < n; i++) if (i != me) toReplica(i, m);
    }

    void toClient(ClientAddress client, Message m);

    /** Arms {@code timer} to fire once after {@code delayMicros}, replacing a pending one. */
    void setTimer(RaftTimer timer, long delayMicros);

    /** Told of every change of role, term or known leader (status lines, tests). */
    default void roleChanged(RaftRole role, long term, int leader) {}

    /**
     * The offloads' control state changed: whether the replica follows a known leader or leads
     * ({@code normal}), its term, the leader, and the end of its log verified against that
     * leader in this term (the fast path acknowledges only above it, in order).
     */
    default void controlChanged(boolean normal, long term, int leader, long verifiedIndex) {}

    /**
     * The quiescence fence, after a control change that left the normal case: returns the
     * AppendEntries the kernel acknowledged under the earlier state, none of which the core has
     * seen, once no program can acknowledge more. Their entries are part of the replica's promise.
     */
    default List<AppendEntries> stopFastAcks() { return List.of(); }

    /**
     * True if the kernel's fast acks go to the leader as it makes them (a record user space
     * cannot use is then a broken promise); false with deferred acks, which user space sends.
     */
    default boolean fastAcksArePromises() { return true; }

    /** The verified end of the log moved on through the slow path. */
    default void verifiedAdvanced(long verifiedIndex) {}
}
