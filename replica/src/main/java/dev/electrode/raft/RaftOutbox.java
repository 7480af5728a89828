package dev.electrode.raft;

import com.google.protobuf.Message;
import dev.electrode.vr.ClientAddress;

/** Everything a Raft replica's deterministic core asks of the world: messages out and timers. */
public interface RaftOutbox {
    void toReplica(int idx, Message m);

    void toClient(ClientAddress client, Message m);

    /** Arms {@code timer} to fire once after {@code delayMicros}, replacing a pending one. */
    void setTimer(RaftTimer timer, long delayMicros);

    /** Told of every change of role, term or known leader (for offloads and status lines). */
    default void roleChanged(RaftRole role, long term, int leader) {}
}
