package dev.electrode.vr;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.app.KvStore;
import dev.electrode.wire.proto.*;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A follower whose kernel acknowledged a Prepare that user space cannot use no longer holds
 * all it promised: it must neither go on acknowledging nor vote in a view change, and rejoins
 * through recovery instead.
 */
class KernelAckLossTest {
    private static PrepareMessage prepare(long op) {
        Request r = Request.newBuilder().setOp(ByteString.copyFromUtf8("x")).setClientid(1).setClientreqid(op).build();
        return PrepareMessage.newBuilder().setView(0).setOpnum(op).setBatchstart(op).addRequest(r).build();
    }

    private static VrReplica follower(RecordingOutbox out) {
        VrReplica r = new VrReplica(3, 1, VrSettings.DEFAULT, new KvStore(), out, false, () -> 42);
        r.start();
        r.onReplicaMessage(0, prepare(1));
        r.onFastAckedPrepare(prepare(2));
        assertEquals(2, r.lastOp());
        return r;
    }

    @Test
    void anUnusableKernelAckSendsANormalFollowerIntoRecovery() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = follower(out);
        out.sent.clear();
        r.onKernelAckUnusable(0);
        assertEquals(Status.RECOVERING, r.status());
        assertEquals(1, r.stats().kernelAcksUnusable);
        assertEquals(1, out.stops, "the kernel stopped acknowledging before the Recovery message left");
        assertEquals(1, out.toAll().size());
        assertInstanceOf(RecoveryMessage.class, out.toAll().get(0));
        // A Prepare now gets no acknowledgement from it.
        out.sent.clear();
        r.onReplicaMessage(0, prepare(3));
        assertTrue(out.toOne().stream().noneMatch(m -> m instanceof PrepareOKMessage), "acknowledged while recovering: " + out.toOne());
    }

    @Test
    void anUnusableAckOfAnEarlierViewIsOnlyCounted() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = follower(out);
        r.onKernelAckUnusable(7); // not this replica's current view: the view change's fence settled it
        assertEquals(Status.NORMAL, r.status());
        assertEquals(1, r.stats().kernelAcksUnusable);
    }

    @Test
    void aFollowerWhoseFenceFindsAnUnusableAckDoesNotVote() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = follower(out);
        out.onStop = new KernelAcks(List.of(prepare(3)), true);
        out.sent.clear();
        r.onTimer(VrTimer.VIEW_CHANGE); // heard from the leader in this period
        r.onTimer(VrTimer.VIEW_CHANGE); // silence: start a view change, fence the kernel
        assertEquals(Status.RECOVERING, r.status());
        assertEquals(1, r.stats().kernelAcksUnusable);
        List<Message> sent = out.sent.stream().map(RecordingOutbox.Sent::m).toList();
        assertTrue(sent.stream().noneMatch(m -> m instanceof StartViewChangeMessage || m instanceof DoViewChangeMessage),
                "voted in the view change: " + sent);
        assertTrue(sent.stream().anyMatch(m -> m instanceof RecoveryMessage));
    }
}
