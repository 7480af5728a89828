package dev.electrode.vr;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.app.ClientAddress;
import dev.electrode.app.KvStore;
import dev.electrode.wire.proto.*;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * With a commit period the leader sends the first Commit of a quiet spell at once and at most one
 * more per period, carrying the latest commit number; without one it sends a Commit per advance.
 */
class CommitPeriodTest {
    private static final ClientAddress CLIENT = new ClientAddress() {};

    private static final class RecordingOutbox implements Outbox {
        final List<Message> toAll = new ArrayList<>();
        final Map<VrTimer, Long> armed = new EnumMap<>(VrTimer.class);

        @Override public void toReplica(int idx, Message m) {}
        @Override public void toAllReplicas(Message m) { toAll.add(m); }
        @Override public void toClient(ClientAddress clientAddress, Message m) {}
        @Override public void setTimer(VrTimer timer, long delayMicros) { armed.put(timer, delayMicros); }
        @Override public void cancelTimer(VrTimer timer) { armed.remove(timer); }

        /** The opnums of the Commits sent since the last call. */
        List<Long> takeCommits() {
            List<Long> c = toAll.stream().filter(CommitMessage.class::isInstance).map(m -> ((CommitMessage) m).getOpnum()).toList();
            toAll.clear();
            return c;
        }
    }

    /** Leader 0 of 3 with batch size 1: one request, then follower 1's PrepareOK commits it. */
    private static void commitOne(VrReplica r, long op) {
        r.onClientMessage(CLIENT, RequestMessage.newBuilder().setReq(Request.newBuilder().setOp(ByteString.copyFromUtf8("x"))
                .setClientid(op).setClientreqid(1)).build());
        r.onReplicaMessage(1, PrepareOKMessage.newBuilder().setView(0).setOpnum(op).setReplicaIdx(1).build());
        assertEquals(op, r.commitNum());
    }

    private static VrReplica leader(VrSettings settings, RecordingOutbox out) {
        VrReplica r = new VrReplica(3, 0, settings.withBatchSize(1), new KvStore(), out, false, () -> 1);
        r.start();
        return r;
    }

    @Test
    void withoutAPeriodEveryCommitAdvanceIsAnnounced() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = leader(VrSettings.DEFAULT.withCommitPeriod(0), out);
        for (long op = 1; op <= 3; op++) {
            commitOne(r, op);
            assertEquals(List.of(op), out.takeCommits());
        }
        assertFalse(out.armed.containsKey(VrTimer.COMMIT));
    }

    @Test
    void withAPeriodTheFirstGoesAtOnceAndTheRestWhenThePeriodEnds() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = leader(VrSettings.DEFAULT.withCommitPeriod(1000), out);
        commitOne(r, 1);
        assertEquals(List.of(1L), out.takeCommits(), "the first Commit of a quiet spell leaves at once");
        assertEquals(1000L, out.armed.get(VrTimer.COMMIT));
        commitOne(r, 2);
        commitOne(r, 3);
        assertEquals(List.of(), out.takeCommits(), "within the period commits are only noted");

        out.armed.remove(VrTimer.COMMIT);
        r.onTimer(VrTimer.COMMIT);
        assertEquals(List.of(3L), out.takeCommits(), "the period ends with the latest commit number");
        assertEquals(1000L, out.armed.get(VrTimer.COMMIT), "and starts another period");

        out.armed.remove(VrTimer.COMMIT);
        r.onTimer(VrTimer.COMMIT);
        assertEquals(List.of(), out.takeCommits(), "nothing new: no Commit");
        assertFalse(out.armed.containsKey(VrTimer.COMMIT), "and the period lapses");

        commitOne(r, 4);
        assertEquals(List.of(4L), out.takeCommits(), "after a lapsed period the next Commit leaves at once");
    }

    @Test
    void theIdleHeartbeatCountsAsTheLatestAnnouncement() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = leader(VrSettings.DEFAULT.withCommitPeriod(1000), out);
        commitOne(r, 1);
        commitOne(r, 2);
        out.takeCommits();
        r.onTimer(VrTimer.HEARTBEAT); // something was sent since the last tick: no heartbeat yet
        r.onTimer(VrTimer.HEARTBEAT);
        assertEquals(List.of(2L), out.takeCommits(), "the idle heartbeat carries the latest commit number");
        r.onTimer(VrTimer.COMMIT);
        assertEquals(List.of(), out.takeCommits(), "the period's end has nothing left to announce");
    }

    @Test
    void aPeriodNotShorterThanTheHeartbeatIsRefused() {
        VrSettings d = VrSettings.DEFAULT;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.withCommitPeriod(d.heartbeatMicros()));
        assertTrue(e.getMessage().contains("commit period"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.withCommitPeriod(-1));
    }
}
