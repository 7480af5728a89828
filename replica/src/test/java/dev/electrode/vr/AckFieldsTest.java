package dev.electrode.vr;

import com.google.protobuf.ByteString;
import dev.electrode.app.ClientAddress;
import dev.electrode.app.KvStore;
import dev.electrode.wire.proto.*;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A leader takes a kernel-built acknowledgement by its fields (no message built) exactly as it
 * takes the PrepareOK message: the same checks, counted the same way, committing the same ops.
 */
class AckFieldsTest {
    private static final ClientAddress CLIENT = new ClientAddress() {};

    /** Leader 0 of {@code n} with batch size 1 and one request appended (op 1). */
    private static VrReplica leaderWithOneOp(int n) {
        VrReplica r = new VrReplica(n, 0, VrSettings.DEFAULT.withBatchSize(1), new KvStore(), new RecordingOutbox(), false, () -> 1);
        r.start();
        r.onClientMessage(CLIENT, RequestMessage.newBuilder().setReq(Request.newBuilder().setOp(ByteString.copyFromUtf8("x"))
                .setClientid(7).setClientreqid(1)).build());
        assertEquals(1, r.lastOp());
        return r;
    }

    @Test
    void aPrepareOkByItsFieldsCommits() {
        VrReplica r = leaderWithOneOp(3);
        r.onPrepareOk(1, 0, 1, 1);
        assertEquals(1, r.commitNum());
    }

    @Test
    void badSendersAndStaleAcksAreCountedNotCommitted() {
        VrReplica r = leaderWithOneOp(3);
        for (int from : new int[] {-1, 0, 3, 99}) r.onPrepareOk(from, 0, 1, from); // out of range, or the leader itself
        r.onPrepareOk(1, 0, 1, 2); // the body names another replica than the address it came from
        assertEquals(5, r.stats().messagesFromWrongSender);
        r.onPrepareOk(1, 1, 1, 1); // another view
        r.onPrepareOk(1, 0, 2, 1); // beyond the log
        assertEquals(2, r.stats().messagesIgnored);
        r.onAckSet(7, 0, 1, 7, 0b1111_1111); // a set from outside the cluster: the sender alone, who is no member
        assertEquals(6, r.stats().messagesFromWrongSender);
        assertEquals(0, r.commitNum());
    }

    @Test
    void anAckSetByItsFieldsCountsEveryMemberAndMatchesTheMessagePath() {
        VrReplica byFields = leaderWithOneOp(5), byMessage = leaderWithOneOp(5);
        byFields.onAckSet(2, 0, 1, 2, 0b00110);
        byMessage.onAckSet(2, PrepareOKMessage.newBuilder().setView(0).setOpnum(1).setReplicaIdx(2).build(), 0b00110);
        assertEquals(1, byFields.commitNum(), "replicas 1 and 2 with the leader are a quorum of 5");
        assertEquals(byMessage.commitNum(), byFields.commitNum());
        assertEquals(1, byFields.stats().ackSetsApplied);
        assertEquals(byMessage.stats().ackSetsApplied, byFields.stats().ackSetsApplied);
    }

    @Test
    void anInconsistentSetCountsTheSenderAlone() {
        VrReplica r = leaderWithOneOp(5);
        r.onAckSet(2, 0, 1, 2, 0b00010); // the set lacks its own sender
        assertEquals(0, r.stats().ackSetsApplied);
        assertEquals(0, r.commitNum(), "replica 2 alone is no quorum of 5");
        r.onPrepareOk(3, 0, 1, 3);
        assertEquals(1, r.commitNum(), "replica 2 counted: with 3 it is");
    }
}
