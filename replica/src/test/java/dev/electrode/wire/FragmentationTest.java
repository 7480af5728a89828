package dev.electrode.wire;

import com.google.protobuf.ByteString;
import dev.electrode.wire.proto.*;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class FragmentationTest {
    private static StateTransferMessage bigMessage(int entries) {
        StateTransferMessage.Builder b = StateTransferMessage.newBuilder().setView(2).setOpnum(entries);
        for (int i = 1; i <= entries; i++) {
            b.addEntries(LogEntry.newBuilder().setView(2).setOpnum(i).setRequest(Request.newBuilder()
                    .setOp(ByteString.copyFrom(new byte[100])).setClientid(i).setClientreqid(i)));
        }
        return b.build();
    }

    private static List<ByteBuffer> fragments(StateTransferMessage m, long id) {
        byte[] whole = FrameEncoder.encode(Frame.of(m));
        assertTrue(whole.length > WireFormat.MAX_UNFRAGMENTED);
        return FrameEncoder.fragment(ByteBuffer.wrap(whole), id);
    }

    @Test
    void fragmentLayoutMatchesTheSpec() {
        StateTransferMessage m = bigMessage(200);
        byte[] whole = FrameEncoder.encode(Frame.of(m));
        List<ByteBuffer> frags = FrameEncoder.fragment(ByteBuffer.wrap(whole), 77);
        assertEquals((whole.length - 4 + 8999) / 9000, frags.size());
        ByteBuffer first = frags.get(0).duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(WireFormat.FRAG_MAGIC, first.getInt());
        assertEquals(77, first.getLong());
        assertEquals(0, first.getLong());
        assertEquals(whole.length - 4, first.getLong(), "total length excludes the magic");
        assertEquals(whole[4], first.get(), "slice starts right after the magic");
        assertEquals(WireFormat.FRAG_HEADER_LEN + 9000, frags.get(0).remaining());
    }

    @Test
    void reassemblesOutOfOrderWithDuplicates() {
        StateTransferMessage m = bigMessage(300);
        List<ByteBuffer> frags = new ArrayList<>(fragments(m, 5));
        frags.add(frags.get(1).duplicate());
        Collections.shuffle(frags, new Random(42));
        FrameDecoder dec = new FrameDecoder();
        Frame done = null;
        int duplicates = 0;
        for (ByteBuffer f : frags) {
            DecodeResult r = dec.decode("peer", f.duplicate(), 0);
            if (r instanceof DecodeResult.Decoded d) { assertNull(done); done = d.frame(); }
            if (r instanceof DecodeResult.Rejected rej) { assertEquals(DecodeError.DUPLICATE_FRAGMENT, rej.error()); duplicates++; }
        }
        // the duplicate may arrive after completion, then it starts a new partial that later expires
        assertNotNull(done);
        assertEquals(m, done.body());
        assertTrue(duplicates <= 1);
    }

    @Test
    void interleavedMessagesFromTwoSendersDoNotMix() {
        StateTransferMessage a = bigMessage(150), b = bigMessage(160);
        List<ByteBuffer> fa = fragments(a, 1), fb = fragments(b, 1);
        FrameDecoder dec = new FrameDecoder();
        List<Frame> out = new ArrayList<>();
        for (int i = 0; i < Math.max(fa.size(), fb.size()); i++) {
            if (i < fa.size() && dec.decode("A", fa.get(i).duplicate(), 0) instanceof DecodeResult.Decoded d) out.add(d.frame());
            if (i < fb.size() && dec.decode("B", fb.get(i).duplicate(), 0) instanceof DecodeResult.Decoded d) out.add(d.frame());
        }
        assertEquals(2, out.size());
        assertTrue(out.stream().anyMatch(f -> f.body().equals(a)));
        assertTrue(out.stream().anyMatch(f -> f.body().equals(b)));
    }

    @Test
    void partialMessagesExpire() {
        FrameDecoder dec = new FrameDecoder(new CodecStats(), new Reassembler.Limits(1 << 20, 1 << 20, 1 << 20, 4, 1_000));
        List<ByteBuffer> f = fragments(bigMessage(200), 9);
        assertSame(DecodeResult.PENDING, dec.decode("p", f.get(0).duplicate(), 0));
        assertEquals(1, dec.reassembler().pendingMessages());
        dec.reassembler().expire(5_000);
        assertEquals(0, dec.reassembler().pendingMessages());
        assertEquals(0, dec.reassembler().bytesHeld());
        assertEquals(1, dec.stats().errors(DecodeError.FRAGMENT_EXPIRED));
    }

    @Test
    void memoryPerSenderIsBounded() {
        StateTransferMessage m = bigMessage(200);
        int total = FrameEncoder.encode(Frame.of(m)).length - 4;
        long perSender = 2L * (9000 + Reassembler.PIECE_OVERHEAD + Reassembler.PARTIAL_OVERHEAD);
        FrameDecoder dec = new FrameDecoder(new CodecStats(), new Reassembler.Limits(total, Math.max(total, perSender), 4L * total, 2, 1_000_000_000L));
        for (long id = 0; id < 10; id++) dec.decode("p", fragments(m, id).get(0).duplicate(), 0);
        assertTrue(dec.reassembler().bytesHeld() <= Math.max(total, perSender), "held " + dec.reassembler().bytesHeld());
        assertEquals(10 - dec.reassembler().pendingMessages(), dec.stats().errors(DecodeError.FRAGMENT_EVICTED));
        // senders beyond the limit evict the least recent one
        dec.decode("q", fragments(m, 1).get(0).duplicate(), 0);
        dec.decode("r", fragments(m, 1).get(0).duplicate(), 0);
        assertEquals(2, dec.reassembler().senders());
    }

    @Test
    void oversizedAndInconsistentFragmentsAreRejected() {
        FrameDecoder dec = new FrameDecoder(new CodecStats(), new Reassembler.Limits(1000, 1000, 1000, 4, 1_000_000_000L));
        ByteBuffer tooBig = ByteBuffer.allocate(40).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        tooBig.putInt(WireFormat.FRAG_MAGIC).putLong(1).putLong(0).putLong(5000).putInt(0).putInt(0).flip();
        assertEquals(DecodeError.FRAGMENT_TOO_LARGE, ((DecodeResult.Rejected) dec.decode("p", tooBig, 0)).error());
        ByteBuffer a = ByteBuffer.allocate(40).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        a.putInt(WireFormat.FRAG_MAGIC).putLong(2).putLong(0).putLong(500).putLong(0).flip();
        assertSame(DecodeResult.PENDING, dec.decode("p", a, 0));
        ByteBuffer b = ByteBuffer.allocate(40).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(WireFormat.FRAG_MAGIC).putLong(2).putLong(4).putLong(500).putLong(0).flip();
        assertEquals(DecodeError.FRAGMENT_OVERLAP, ((DecodeResult.Rejected) dec.decode("p", b, 0)).error());
        ByteBuffer c = ByteBuffer.allocate(40).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        c.putInt(WireFormat.FRAG_MAGIC).putLong(3).putLong(0).putLong(500).putLong(0).flip();
        dec.decode("p", c, 0);
        ByteBuffer d = ByteBuffer.allocate(40).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        d.putInt(WireFormat.FRAG_MAGIC).putLong(3).putLong(100).putLong(600).putLong(0).flip();
        assertEquals(DecodeError.FRAGMENT_INCONSISTENT, ((DecodeResult.Rejected) dec.decode("p", d, 0)).error());
        assertEquals(0, dec.reassembler().pendingMessages());
    }
}
