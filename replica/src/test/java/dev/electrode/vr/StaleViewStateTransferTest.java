package dev.electrode.vr;

import dev.electrode.app.ClientAddress;
import com.google.protobuf.ByteString;
import dev.electrode.app.KvStore;
import dev.electrode.wire.proto.*;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * State transfer across views, message by message: a replica that missed a view change asks in
 * its old view (as the reference prototype does) and is answered with the new view's state; a
 * replica answered by a newer view enters it; chunks never claim a commit point beyond themselves.
 */
class StaleViewStateTransferTest {
    private static final ClientAddress CLIENT = new ClientAddress() {};

    private static Request request(long id, String op) {
        return Request.newBuilder().setOp(ByteString.copyFromUtf8(op)).setClientid(7).setClientreqid(id).build();
    }

    private static LogEntry entry(long view, long op, String body) {
        return LogEntry.newBuilder().setView(view).setOpnum(op).setRequest(request(op, body)).build();
    }

    private static PrepareMessage prepare(long view, long from, long to) {
        PrepareMessage.Builder b = PrepareMessage.newBuilder().setView(view).setOpnum(to).setBatchstart(from);
        for (long op = from; op <= to; op++) b.addRequest(request(op, "v" + view + "-" + op));
        return b.build();
    }

    private static VrReplica replica(int me, VrSettings settings, RecordingOutbox out) {
        VrReplica r = new VrReplica(3, me, settings, new KvStore(), out, false, () -> 1);
        r.start();
        return r;
    }

    @Test
    void aFollowerEntersTheNewerViewOfAStateTransferAndDropsItsOldSuffix() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = replica(2, VrSettings.DEFAULT, out);
        r.onReplicaMessage(0, prepare(0, 1, 3));
        r.onReplicaMessage(0, CommitMessage.newBuilder().setView(0).setOpnum(2).build());
        assertEquals(3, r.lastOp());
        assertEquals(2, r.commitNum());

        // View 1 replaced op 3: its state arrives from a replica in NORMAL status there.
        out.sent.clear();
        r.onReplicaMessage(1, StateTransferMessage.newBuilder().setView(1).setOpnum(3)
                .addEntries(entry(1, 3, "new-3")).addEntries(entry(1, 4, "new-4")).build());
        assertEquals(1, r.view());
        assertEquals(Status.NORMAL, r.status());
        assertEquals(1, r.stats().viewsAdoptedFromStateTransfer);
        assertEquals(4, r.lastOp());
        assertEquals("new-3", r.log().get(3).getRequest().getOp().toStringUtf8(), "op 3 of view 0 did not survive");
        assertEquals(3, r.commitNum());
        PrepareOKMessage ok = out.of(PrepareOKMessage.class).get(0);
        assertEquals(1, ok.getView());
        assertEquals(4, ok.getOpnum());
    }

    @Test
    void anOlderViewStateTransferIsIgnored() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = replica(2, VrSettings.DEFAULT, out);
        r.onReplicaMessage(1, StateTransferMessage.newBuilder().setView(1).setOpnum(0).build());
        long ignored = r.stats().messagesIgnored;
        r.onReplicaMessage(0, StateTransferMessage.newBuilder().setView(0).setOpnum(0).addEntries(entry(0, 1, "old")).build());
        assertEquals(ignored + 1, r.stats().messagesIgnored);
        assertEquals(0, r.lastOp());
    }

    /** A replica of view 1 (replica 1 leads it) holding ops 1..5, all committed but the last. */
    private static VrReplica inViewOne(int me, VrSettings settings, RecordingOutbox out) {
        VrReplica r = replica(me, settings, out);
        if (me == 1) {
            // Becomes leader of view 1 through a view change with replica 2's vote.
            r.onReplicaMessage(2, StartViewChangeMessage.newBuilder().setView(1).setReplicaIdx(2).setLastCommitted(0).build());
            r.onReplicaMessage(2, DoViewChangeMessage.newBuilder().setView(1).setLastNormalView(0).setLastOp(0).setLastCommitted(0)
                    .setReplicaIdx(2).build());
            assertTrue(r.isActiveLeader());
            for (long op = 1; op <= 5; op++) r.onClientMessage(CLIENT, RequestMessage.newBuilder().setReq(request(op, "op" + op)).build());
            for (long op = 1; op <= 4; op++) r.onReplicaMessage(2, PrepareOKMessage.newBuilder().setView(1).setOpnum(op).setReplicaIdx(2).build());
        } else {
            r.onReplicaMessage(1, StartViewMessage.newBuilder().setView(1).setLastOp(0).setLastCommitted(0).build());
            r.onReplicaMessage(1, prepare(1, 1, 5));
            r.onReplicaMessage(1, CommitMessage.newBuilder().setView(1).setOpnum(4).build());
        }
        assertEquals(1, r.view());
        assertEquals(5, r.lastOp());
        assertEquals(4, r.commitNum());
        return r;
    }

    @Test
    void anyNormalReplicaAnswersARequestOfAnOlderViewFromTheRequestersCommitPoint() {
        for (int me : new int[] {1, 2}) { // the leader of view 1 and a follower
            RecordingOutbox out = new RecordingOutbox();
            VrReplica r = inViewOne(me, VrSettings.DEFAULT, out);
            int requester = 0; // missed view 1
            out.sent.clear();
            // The prototype asks in its old view from its commit point (2), and asks everyone.
            r.onReplicaMessage(requester, RequestStateTransferMessage.newBuilder().setView(0).setOpnum(2).build());
            List<StateTransferMessage> st = out.of(StateTransferMessage.class);
            assertEquals(1, st.size(), "replica " + me + " answered");
            assertEquals(requester, out.sent.get(0).to());
            assertEquals(1, st.get(0).getView());
            assertEquals(List.of(3L, 4L, 5L), st.get(0).getEntriesList().stream().map(LogEntry::getOpnum).toList());
            assertEquals(4, st.get(0).getOpnum());
            assertEquals(1, r.stats().staleStateTransfersAnswered);
        }
    }

    @Test
    void aRequestOfTheSameViewIsServedByTheLeaderOnly() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica follower = inViewOne(2, VrSettings.DEFAULT, out);
        out.sent.clear();
        follower.onReplicaMessage(0, RequestStateTransferMessage.newBuilder().setView(1).setOpnum(2).build());
        assertTrue(out.of(StateTransferMessage.class).isEmpty());
    }

    @Test
    void aChunkCutBelowTheCommitPointClaimsNoMoreThanItCarries() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica leader = replica(0, VrSettings.DEFAULT.withBatchSize(1).withStateTransferBytes(1024), out);
        RecordingOutbox fout = new RecordingOutbox();
        VrReplica follower = replica(2, VrSettings.DEFAULT, fout);
        String big = "x".repeat(300);
        for (long op = 1; op <= 10; op++) {
            leader.onClientMessage(CLIENT, RequestMessage.newBuilder().setReq(request(op, big)).build());
            leader.onReplicaMessage(1, PrepareOKMessage.newBuilder().setView(0).setOpnum(op).setReplicaIdx(1).build());
        }
        assertEquals(10, leader.commitNum());
        out.sent.clear();
        leader.onReplicaMessage(2, RequestStateTransferMessage.newBuilder().setView(0).setOpnum(0).build());
        StateTransferMessage chunk = out.of(StateTransferMessage.class).get(0);
        long last = chunk.getEntries(chunk.getEntriesCount() - 1).getOpnum();
        assertTrue(last < 10, "the chunk was cut: " + last);
        assertEquals(last, chunk.getOpnum(), "its commit point is its last entry, not the leader's 10");

        // The follower takes the chunk and asks for the next one at once.
        follower.onReplicaMessage(0, chunk);
        assertEquals(last, follower.lastOp());
        RequestStateTransferMessage next = fout.of(RequestStateTransferMessage.class).get(0);
        assertEquals(last, next.getOpnum());
    }
}
