package dev.electrode.vr;

import com.google.protobuf.ByteString;
import dev.electrode.app.ClientAddress;
import dev.electrode.app.KvStore;
import dev.electrode.wire.proto.*;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * With a commit period the leader sends the first Commit of a quiet spell at once and at most one
 * more per period, carrying the latest commit number; without one it sends a Commit per advance.
 */
class CommitPeriodTest {
    private static final ClientAddress CLIENT = new ClientAddress() {};

    /** The opnums of the Commits sent since the last call. */
    private static List<Long> takeCommits(RecordingOutbox out) {
        List<Long> c = out.toAll(CommitMessage.class).stream().map(CommitMessage::getOpnum).toList();
        out.sent.clear();
        return c;
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
            assertEquals(List.of(op), takeCommits(out));
        }
        assertFalse(out.armed.containsKey(VrTimer.COMMIT));
    }

    @Test
    void withAPeriodTheFirstGoesAtOnceAndTheRestWhenThePeriodEnds() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = leader(VrSettings.DEFAULT.withCommitPeriod(1000), out);
        commitOne(r, 1);
        assertEquals(List.of(1L), takeCommits(out), "the first Commit of a quiet spell leaves at once");
        assertEquals(1000L, out.armed.get(VrTimer.COMMIT));
        commitOne(r, 2);
        commitOne(r, 3);
        assertEquals(List.of(), takeCommits(out), "within the period commits are only noted");

        out.armed.remove(VrTimer.COMMIT);
        r.onTimer(VrTimer.COMMIT);
        assertEquals(List.of(3L), takeCommits(out), "the period ends with the latest commit number");
        assertEquals(1000L, out.armed.get(VrTimer.COMMIT), "and starts another period");

        out.armed.remove(VrTimer.COMMIT);
        r.onTimer(VrTimer.COMMIT);
        assertEquals(List.of(), takeCommits(out), "nothing new: no Commit");
        assertFalse(out.armed.containsKey(VrTimer.COMMIT), "and the period lapses");

        commitOne(r, 4);
        assertEquals(List.of(4L), takeCommits(out), "after a lapsed period the next Commit leaves at once");
    }

    @Test
    void theIdleHeartbeatCountsAsTheLatestAnnouncement() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = leader(VrSettings.DEFAULT.withCommitPeriod(1000), out);
        commitOne(r, 1);
        commitOne(r, 2);
        takeCommits(out);
        r.onTimer(VrTimer.HEARTBEAT); // something was sent since the last tick: no heartbeat yet
        r.onTimer(VrTimer.HEARTBEAT);
        assertEquals(List.of(2L), takeCommits(out), "the idle heartbeat carries the latest commit number");
        r.onTimer(VrTimer.COMMIT);
        assertEquals(List.of(), takeCommits(out), "the period's end has nothing left to announce");
    }

    @Test
    void aPeriodLongerThanTheHeartbeatIsRefused() {
        VrSettings d = VrSettings.DEFAULT;
        assertEquals(d.heartbeatMicros(), d.withCommitPeriod(d.heartbeatMicros()).commitPeriodMicros());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.withCommitPeriod(d.heartbeatMicros() + 1));
        assertTrue(e.getMessage().contains("commit period"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.withCommitPeriod(-1));
    }
}
