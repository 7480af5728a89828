package dev.electrode.wire;

import com.google.protobuf.ByteString;
import dev.electrode.wire.proto.*;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Random and mutated datagrams: every one is decoded or rejected with a counted reason. */
class DecoderFuzzTest {
    private static final FrameDecoder SHARED = new FrameDecoder(new CodecStats(),
            new Reassembler.Limits(1 << 20, 4 << 20, 16 << 20, 64, 1_000_000_000L));

    private static void assertHandled(FrameDecoder dec, byte[] datagram) {
        long before = dec.stats().totalErrors();
        DecodeResult r = assertDoesNotThrow(() -> dec.decode("fuzz", ByteBuffer.wrap(datagram), 0));
        assertNotNull(r);
        if (r instanceof DecodeResult.Rejected) assertEquals(before + 1, dec.stats().totalErrors(), "rejection counted");
        if (r instanceof DecodeResult.Decoded d) assertNotNull(d.frame().body());
    }

    /**
     * The same datagram through a fresh decoder twice, once with a {@link KernelAckSink}: a
     * kernel-built acknowledgement reaches the sink with exactly the fields and meta the frame
     * would carry; everything else decodes or is rejected alike.
     */
    private static void assertSinkAgrees(byte[] datagram) {
        DecodeResult framed = new FrameDecoder().decode("fuzz", ByteBuffer.wrap(datagram), 0);
        List<Object> fields = new java.util.ArrayList<>();
        DecodeResult sunk = new FrameDecoder().decode("fuzz", ByteBuffer.wrap(datagram), 0,
                (type, epoch, index, sender, a, b, c) -> fields.add(FrameDecoder.kernelAckFrame(type, epoch, index, sender, a, b, c)));
        if (framed instanceof DecodeResult.Decoded d && d.frame().type().kernelBuilt()) {
            assertEquals(DecodeResult.DELIVERED, sunk);
            assertEquals(List.of(d.frame()), fields);
        } else {
            assertEquals(framed, sunk);
            assertTrue(fields.isEmpty());
        }
    }

    @Property(tries = 3000)
    void randomBytes(@ForAll @Size(max = 300) byte[] datagram) {
        assertHandled(SHARED, datagram);
        assertSinkAgrees(datagram);
    }

    @Provide
    Arbitrary<byte[]> validFrames() {
        Request req = Request.newBuilder().setOp(ByteString.copyFromUtf8("put k v")).setClientid(99).setClientreqid(3).build();
        List<byte[]> frames = List.of(
                FrameEncoder.encode(Frame.of(RequestMessage.newBuilder().setReq(req).build())),
                FrameEncoder.encode(Frame.of(PrepareMessage.newBuilder().setView(1).setOpnum(4).setBatchstart(3).addRequest(req).addRequest(req).build())),
                FrameEncoder.encode(Frame.of(PrepareOKMessage.newBuilder().setView(1).setOpnum(4).setReplicaIdx(2).build())),
                FrameEncoder.encode(MessageType.MY_PREPARE_OK, PrepareOKMessage.newBuilder().setView(1).setOpnum(4).setReplicaIdx(2).build(), FastMeta.ZERO),
                FrameEncoder.encode(Frame.of(DoViewChangeMessage.newBuilder().setView(3).setLastNormalView(1).setLastOp(4)
                        .setLastCommitted(2).setReplicaIdx(1).addEntries(LogEntry.newBuilder().setView(1).setOpnum(4).setRequest(req)).build())));
        return Arbitraries.of(frames);
    }

    /** Flips, overwrites, truncates or extends a valid frame at random places. */
    @Property(tries = 5000)
    void mutatedValidFrames(@ForAll("validFrames") byte[] frame,
                            @ForAll @IntRange(min = 0, max = 3) int kind,
                            @ForAll @IntRange(min = 0, max = 10_000) int where,
                            @ForAll byte value) {
        byte[] m;
        int pos = where % frame.length;
        switch (kind) {
            case 0 -> { m = frame.clone(); m[pos] ^= (byte) (1 << (value & 7)); }
            case 1 -> { m = frame.clone(); m[pos] = value; }
            case 2 -> m = java.util.Arrays.copyOf(frame, pos);
            default -> { m = java.util.Arrays.copyOf(frame, frame.length + 1 + (pos % 16)); m[frame.length] = value; }
        }
        assertHandled(SHARED, m);
        assertSinkAgrees(m);
    }

    /** Fragment headers with arbitrary ids, offsets and lengths. */
    @Property(tries = 3000)
    void randomFragments(@ForAll long id, @ForAll long start, @ForAll long total, @ForAll @Size(max = 64) byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(WireFormat.FRAG_HEADER_LEN + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(WireFormat.FRAG_MAGIC).putLong(id % 4).putLong(start % 2048).putLong(total % 4096).put(data);
        assertHandled(SHARED, b.array());
        assertTrue(SHARED.reassembler().bytesHeld() <= 4 << 20);
    }
}
