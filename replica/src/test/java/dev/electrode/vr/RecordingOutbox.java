package dev.electrode.vr;

import com.google.protobuf.Message;
import dev.electrode.app.ClientAddress;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** An outbox that records what a core sends and which timers it arms: tests of the core without a network. */
final class RecordingOutbox implements Outbox {
    /** A message and its destination replica ({@link #EVERY_REPLICA} for a broadcast). */
    record Sent(int to, Message m) {}

    static final int EVERY_REPLICA = -1;

    /** Everything sent to replicas, in order. */
    final List<Sent> sent = new ArrayList<>();
    /** Timers armed and not cancelled, with their delays. */
    final Map<VrTimer, Long> armed = new EnumMap<>(VrTimer.class);
    /** What {@link #stopFastAcks()} answers. */
    KernelAcks onStop = KernelAcks.NONE;
    /** How often the core asked the kernel to stop acknowledging. */
    int stops;

    @Override public void toReplica(int idx, Message m) { sent.add(new Sent(idx, m)); }
    @Override public void toAllReplicas(Message m) { sent.add(new Sent(EVERY_REPLICA, m)); }
    @Override public void toClient(ClientAddress clientAddress, Message m) {}
    @Override public void setTimer(VrTimer timer, long delayMicros) { armed.put(timer, delayMicros); }
    @Override public void cancelTimer(VrTimer timer) { armed.remove(timer); }
    @Override public KernelAcks stopFastAcks() { stops++; return onStop; }

    /** The broadcasts so far. */
    List<Message> toAll() { return sent.stream().filter(s -> s.to() == EVERY_REPLICA).map(Sent::m).toList(); }

    /** The broadcasts of {@code type} so far. */
    <T extends Message> List<T> toAll(Class<T> type) {
        return toAll().stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The messages to one replica so far. */
    List<Message> toOne() { return sent.stream().filter(s -> s.to() != EVERY_REPLICA).map(Sent::m).toList(); }

    /** The messages of {@code type} so far, broadcast or not. */
    <T extends Message> List<T> of(Class<T> type) {
        return sent.stream().map(Sent::m).filter(type::isInstance).map(type::cast).toList();
    }
}
