package dev.electrode.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.wire.proto.*;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** Frames built by hand from the SPEC section 2 layout must match the codec byte for byte. */
class GoldenFrameTest {
    // Request{op="request0", clientid=5, clientreqid=1}: 0a 08 "request0" 10 05 18 01
    private static final String REQUEST_BODY = "0a 08 72 65 71 75 65 73 74 30 10 05 18 01";
    private static final Request REQUEST = Request.newBuilder()
            .setOp(ByteString.copyFrom("request0", StandardCharsets.US_ASCII))
            .setClientid(5).setClientreqid(1).build();

    private static byte[] frame(String type, long a, long b, long c, String bodyHex) {
        Bytes body = new Bytes().hex(bodyHex);
        byte[] bodyBytes = body.build();
        return new Bytes().hex("18 03 05 20").u64(type.length()).ascii(type)
                .u32(a).u32(b).u32(c).u64(bodyBytes.length).hex(bodyHex).build();
    }

    private static void assertRoundTrip(byte[] golden, MessageType type, Message body, FastMeta meta) {
        assertEquals(Bytes.toHex(golden), Bytes.toHex(FrameEncoder.encode(type, body, meta)), "encode");
        DecodeResult r = FrameDecoder.decodeStandalone(ByteBuffer.wrap(golden));
        Frame f = assertInstanceOf(DecodeResult.Decoded.class, r).frame();
        assertEquals(type, f.type());
        assertEquals(body, f.body());
        assertEquals(meta, f.meta());
    }

    @Test
    void request() {
        byte[] golden = frame("specpaxos.vr.proto.RequestMessage", 0, 0, 0, "0a 0e " + REQUEST_BODY);
        assertEquals(33, "specpaxos.vr.proto.RequestMessage".length());
        RequestMessage m = RequestMessage.newBuilder().setReq(REQUEST).build();
        assertRoundTrip(golden, MessageType.REQUEST, m, FastMeta.forMessage(MessageType.REQUEST, m));
    }

    @Test
    void prepareWithBroadcastBit() {
        // view 0 with bit 31 set, opnum 1, batchStart 1: meta bytes 00 00 00 80 01 00 00 00 01 00 00 00
        byte[] golden = frame("specpaxos.vr.proto.PrepareMessage", 0x8000_0000L, 1, 1,
                "08 00 10 01 18 01 22 0e " + REQUEST_BODY);
        PrepareMessage m = PrepareMessage.newBuilder().setView(0).setOpnum(1).setBatchstart(1).addRequest(REQUEST).build();
        FastMeta meta = FastMeta.forMessage(MessageType.PREPARE, m).withBroadcastBit();
        assertRoundTrip(golden, MessageType.PREPARE, m, meta);
        assertEquals((byte) 0x80, golden[12 + 33 + 3], "broadcast bit is the top bit of meta byte 3");
        assertTrue(meta.broadcastBit());
    }

    @Test
    void prepareOk() {
        byte[] golden = frame("specpaxos.vr.proto.PrepareOKMessage", 0, 1, 2, "08 00 10 01 18 02");
        assertEquals(73, golden.length, "PrepareOK payload size seen in the captures");
        PrepareOKMessage m = PrepareOKMessage.newBuilder().setView(0).setOpnum(1).setReplicaIdx(2).build();
        assertRoundTrip(golden, MessageType.PREPARE_OK, m, FastMeta.forMessage(MessageType.PREPARE_OK, m));
    }

    @Test
    void myPrepareOkIsARawStruct() {
        byte[] golden = new Bytes().hex("18 03 05 20").u64(24).ascii("specpaxos.vr.MyPrepareOK")
                .u32(3).u32(7).u32(1).u64(20)
                .u64(3).u64(7).u32(1).build();
        assertEquals(76, golden.length, "MyPrepareOK payload size seen in the captures");
        PrepareOKMessage m = PrepareOKMessage.newBuilder().setView(3).setOpnum(7).setReplicaIdx(1).build();
        assertRoundTrip(golden, MessageType.MY_PREPARE_OK, m, FastMeta.forMessage(MessageType.MY_PREPARE_OK, m));
    }

    /** The leader's hot path: the same golden MyPrepareOK handed over as its fields, with no frame built. */
    @Test
    void myPrepareOkGoesToASinkAsItsFields() {
        byte[] golden = new Bytes().hex("18 03 05 20").u64(24).ascii("specpaxos.vr.MyPrepareOK")
                .u32(3).u32(7).u32(0x4000_0003).u64(20)
                .u64(3).u64(7).u32(1).build();
        FrameDecoder decoder = new FrameDecoder();
        long[] got = new long[7];
        MessageType[] type = new MessageType[1];
        DecodeResult r = decoder.decode("peer", ByteBuffer.wrap(golden), 0, (t, epoch, index, sender, a, b, c) -> {
            type[0] = t;
            got[0] = epoch; got[1] = index; got[2] = sender; got[3] = a; got[4] = b; got[5] = c; got[6]++;
        });
        assertEquals(DecodeResult.DELIVERED, r);
        assertEquals(MessageType.MY_PREPARE_OK, type[0]);
        assertArrayEquals(new long[] {3, 7, 1, 3, 7, 0x4000_0003, 1}, got);
        assertEquals(1, decoder.stats().decoded(MessageType.MY_PREPARE_OK), "counted as decoded");
        // A body of the wrong length is rejected before the sink hears of it.
        byte[] shortBody = java.util.Arrays.copyOf(golden, golden.length - 1);
        shortBody[4 + 8 + 24 + 12] = 19;
        assertEquals(new DecodeResult.Rejected(DecodeError.BAD_DATA_LENGTH),
                decoder.decode("peer", ByteBuffer.wrap(shortBody), 0, (t, e, i, s, a, b, c) -> fail("sink called")));
    }

    @Test
    void commitAsBroadcastAndPlain() {
        CommitMessage m = CommitMessage.newBuilder().setView(0).setOpnum(1).build();
        byte[] broadcast = frame("specpaxos.vr.proto.CommitMessage", 0x8000_0000L, 0, 0, "08 00 10 01");
        assertEquals(68, broadcast.length);
        assertRoundTrip(broadcast, MessageType.COMMIT, m, FastMeta.BROADCAST_ONLY);
        byte[] plain = frame("specpaxos.vr.proto.CommitMessage", 0, 0, 0, "08 00 10 01");
        assertRoundTrip(plain, MessageType.COMMIT, m, FastMeta.forMessage(MessageType.COMMIT, m));
    }

    @Test
    void reply() {
        byte[] golden = frame("specpaxos.vr.proto.ReplyMessage", 0, 0, 0, "08 00 10 01 1a 00 20 01");
        assertEquals(71, golden.length);
        ReplyMessage m = ReplyMessage.newBuilder().setView(0).setOpnum(1).setReply(ByteString.EMPTY).setClientreqid(1).build();
        assertRoundTrip(golden, MessageType.REPLY, m, FastMeta.forMessage(MessageType.REPLY, m));
    }

    @Test
    void largeViewAndOpnumKeepOnlyLow32BitsInMeta() {
        PrepareOKMessage m = PrepareOKMessage.newBuilder().setView(0x1_0000_0002L).setOpnum(0x5_0000_0009L).setReplicaIdx(4).build();
        FastMeta meta = FastMeta.forMessage(MessageType.PREPARE_OK, m);
        assertEquals(new FastMeta(2, 9, 4), meta);
        Frame f = ((DecodeResult.Decoded) FrameDecoder.decodeStandalone(
                ByteBuffer.wrap(FrameEncoder.encode(MessageType.PREPARE_OK, m, meta)))).frame();
        assertEquals(m, f.body(), "the body carries the full 64-bit values");
    }
}
