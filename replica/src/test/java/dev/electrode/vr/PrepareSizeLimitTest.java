package dev.electrode.vr;

import com.google.protobuf.ByteString;
import dev.electrode.app.ClientAddress;
import dev.electrode.app.KvStore;
import dev.electrode.wire.proto.*;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The leader cuts batches to the Prepare body limit (what one frame of the offloads' fast path
 * takes): a batch never outgrows it unless one request alone does, nor does a resent one.
 */
class PrepareSizeLimitTest {
    private static final ClientAddress CLIENT = new ClientAddress() {};

    private static RequestMessage request(long client, int valueBytes) {
        return RequestMessage.newBuilder().setReq(Request.newBuilder().setOp(ByteString.copyFrom(new byte[valueBytes]))
                .setClientid(client).setClientreqid(1)).build();
    }

    /** A leader of view 0 (replica 0 of 3) whose first batch (op 1) is out and uncommitted, so later requests wait in the open batch. */
    private static VrReplica leaderWithBatchInFlight(VrSettings settings, RecordingOutbox out) {
        VrReplica r = new VrReplica(3, 0, settings, new KvStore(), out, false, () -> 1);
        r.start();
        r.onClientMessage(CLIENT, request(1, 10));
        assertEquals(1, out.toAll(PrepareMessage.class).size());
        return r;
    }

    @Test
    void batchesAreCutBeforeTheyOutgrowTheLimitAndResendsCutAlike() {
        int limit = 1000;
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = leaderWithBatchInFlight(VrSettings.DEFAULT.withBatchSize(64).withMaxPrepareBytes(limit), out);
        for (long c = 2; c <= 41; c++) r.onClientMessage(CLIENT, request(c, 90)); // 40 requests of about 100 bytes
        // Full batches left at once; the rest leaves when the batch timer fires.
        r.onTimer(VrTimer.CLOSE_BATCH);
        List<PrepareMessage> all = out.toAll(PrepareMessage.class);
        List<PrepareMessage> sent = all.subList(1, all.size());
        assertTrue(sent.size() >= 4, "40 requests of ~100 bytes need at least four 1000-byte batches: " + sent.size());
        long next = 2;
        for (PrepareMessage p : sent) {
            assertEquals(next, p.getBatchstart(), "batches follow each other");
            assertTrue(p.getSerializedSize() <= limit, "a batch of " + p.getRequestCount() + " is " + p.getSerializedSize() + " bytes");
            next = p.getOpnum() + 1;
        }
        assertEquals(42, next, "every request was sent");

        // Nothing acknowledged for a whole period: the resent suffix is cut to the limit as well.
        out.sent.clear();
        r.onTimer(VrTimer.RESEND);
        r.onTimer(VrTimer.RESEND);
        List<PrepareMessage> resent = out.toAll(PrepareMessage.class);
        assertFalse(resent.isEmpty(), "the uncommitted suffix was resent");
        next = 1;
        for (PrepareMessage p : resent) {
            assertEquals(next, p.getBatchstart());
            assertTrue(p.getSerializedSize() <= limit, "a resent batch of " + p.getRequestCount() + " is " + p.getSerializedSize() + " bytes");
            next = p.getOpnum() + 1;
        }
        assertEquals(42, next, "the whole uncommitted suffix was resent");
    }

    @Test
    void aRequestLargerThanTheLimitTravelsAlone() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = leaderWithBatchInFlight(VrSettings.DEFAULT.withBatchSize(64).withMaxPrepareBytes(500), out);
        r.onClientMessage(CLIENT, request(2, 50));
        r.onClientMessage(CLIENT, request(3, 2000));
        r.onClientMessage(CLIENT, request(4, 50));
        r.onTimer(VrTimer.CLOSE_BATCH);
        List<String> batches = out.toAll(PrepareMessage.class).stream().skip(1).map(p -> p.getBatchstart() + ".." + p.getOpnum()).toList();
        assertEquals(List.of("2..2", "3..3", "4..4"), batches);
    }

    @Test
    void withoutALimitTheBatchSizeAloneCuts() {
        RecordingOutbox out = new RecordingOutbox();
        VrReplica r = leaderWithBatchInFlight(VrSettings.DEFAULT.withBatchSize(16), out);
        for (long c = 2; c <= 41; c++) r.onClientMessage(CLIENT, request(c, 90));
        r.onTimer(VrTimer.CLOSE_BATCH);
        List<String> batches = out.toAll(PrepareMessage.class).stream().skip(1).map(p -> p.getBatchstart() + ".." + p.getOpnum()).toList();
        assertEquals(List.of("2..17", "18..33", "34..41"), batches);
    }
}
