package dev.electrode.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Reassembly memory follows the bytes that arrived, never the sizes fragments claim, and stays
 * within its per-sender and total budgets whatever a flood of fragment headers says.
 */
class ReassemblyBoundsTest {
    private static final long CHARGE_PER_PIECE = Reassembler.PARTIAL_OVERHEAD + Reassembler.PIECE_OVERHEAD;

    private static ByteBuffer fragment(long id, long start, long total, int len) {
        ByteBuffer b = ByteBuffer.allocate(WireFormat.FRAG_HEADER_LEN + len).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(WireFormat.FRAG_MAGIC).putLong(id).putLong(start).putLong(total);
        for (int i = 0; i < len; i++) b.put((byte) i);
        return b.flip();
    }

    @Test
    void hugeClaimedTotalsAllocateNothingUpFront() {
        FrameDecoder dec = new FrameDecoder(new CodecStats(), Reassembler.Limits.DEFAULT);
        Random rnd = new Random(7);
        long claimed = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            long total = Reassembler.Limits.DEFAULT.maxMessageBytes() - rnd.nextInt(1000);
            long start = rnd.nextLong(total - 16);
            claimed += total;
            assertSame(DecodeResult.PENDING, dec.decode("attacker", fragment(rnd.nextLong(), start, total, 16), i));
        }
        // 20,000 claims of ~32 MiB each (625 GiB): what is held is what arrived, plus the fixed overheads.
        assertTrue(claimed > 600L << 30);
        assertEquals((long) n * (CHARGE_PER_PIECE + 16), dec.reassembler().bytesHeld());
        assertEquals(n, dec.reassembler().pendingMessages());
    }

    @Test
    void oneSenderStaysWithinItsBudgetAndLosesItsOldestFirst() {
        Reassembler.Limits limits = new Reassembler.Limits(1 << 20, 1 << 20, 4 << 20, 1024, Long.MAX_VALUE / 4);
        FrameDecoder dec = new FrameDecoder(new CodecStats(), limits);
        int n = 1000;
        for (int id = 0; id < n; id++) dec.decode("p", fragment(id, 0, 1 << 20, 9000), 0);
        long perMessage = CHARGE_PER_PIECE + 9000;
        assertTrue(dec.reassembler().bytesHeld() <= limits.maxBytesPerSender(), "held " + dec.reassembler().bytesHeld());
        int kept = (int) (limits.maxBytesPerSender() / perMessage);
        assertEquals(kept, dec.reassembler().pendingMessages());
        assertEquals(n - kept, dec.stats().errors(DecodeError.FRAGMENT_EVICTED));
        // The newest is still held (its fragment again is a duplicate); the oldest was evicted.
        DecodeResult again = dec.decode("p", fragment(n - 1, 0, 1 << 20, 9000), 0);
        assertEquals(DecodeError.DUPLICATE_FRAGMENT, ((DecodeResult.Rejected) again).error());
        assertSame(DecodeResult.PENDING, dec.decode("p", fragment(0, 0, 1 << 20, 9000), 0));
    }

    @Test
    void manySendersStayWithinTheTotalAndAnActiveSenderStillCompletes() {
        Reassembler.Limits limits = new Reassembler.Limits(1 << 20, 1 << 20, 2 << 20, 100_000, Long.MAX_VALUE / 4);
        FrameDecoder dec = new FrameDecoder(new CodecStats(), limits);
        for (int sender = 0; sender < 5000; sender++) {
            for (int id = 0; id < 4; id++) dec.decode("s" + sender, fragment(id, 0, 1 << 20, 9000), 0);
            assertTrue(dec.reassembler().bytesHeld() <= limits.maxBytesTotal(), "held " + dec.reassembler().bytesHeld());
        }
        assertTrue(dec.stats().errors(DecodeError.FRAGMENT_EVICTED) > 19_000);
        // A real two-fragment message from a replica in the middle of the flood completes.
        byte[] whole = FrameEncoder.encode(Frame.of(dev.electrode.wire.proto.CommitMessage.newBuilder().setView(3).setOpnum(9).build()));
        ByteBuffer body = ByteBuffer.wrap(whole, 4, whole.length - 4).slice();
        int half = body.remaining() / 2;
        ByteBuffer f1 = ByteBuffer.allocate(WireFormat.FRAG_HEADER_LEN + half).order(ByteOrder.LITTLE_ENDIAN);
        f1.putInt(WireFormat.FRAG_MAGIC).putLong(1).putLong(0).putLong(body.remaining()).put(body.duplicate().limit(half)).flip();
        ByteBuffer f2 = ByteBuffer.allocate(WireFormat.FRAG_HEADER_LEN + body.remaining() - half).order(ByteOrder.LITTLE_ENDIAN);
        f2.putInt(WireFormat.FRAG_MAGIC).putLong(1).putLong(half).putLong(body.remaining()).put(body.duplicate().position(half)).flip();
        assertSame(DecodeResult.PENDING, dec.decode("replica", f1, 0));
        for (int id = 0; id < 50; id++) dec.decode("flooder", fragment(id, 0, 1 << 20, 9000), 0);
        DecodeResult r = dec.decode("replica", f2, 0);
        assertInstanceOf(DecodeResult.Decoded.class, r, () -> "got " + r);
    }

    @Test
    void tinyFragmentsAreChargedTheirOverhead() {
        Reassembler.Limits limits = new Reassembler.Limits(1 << 20, 1 << 20, 1 << 20, 16, Long.MAX_VALUE / 4);
        FrameDecoder dec = new FrameDecoder(new CodecStats(), limits);
        for (int i = 0; i < 100_000; i++) dec.decode("p", fragment(i % 7, i, 1 << 20, 1), 0);
        assertTrue(dec.reassembler().bytesHeld() <= limits.maxBytesPerSender());
        assertTrue(dec.stats().errors(DecodeError.FRAGMENT_EVICTED) > 0);
    }
}
