package dev.electrode.bpf;

import dev.electrode.wire.proto.PrepareMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/** The follower fast path of SPEC section 4, branch by branch, with BPF_PROG_TEST_RUN. */
class FastAckTest {
    private BpfFixture fx;

    @BeforeEach
    void setUp() { fx = new BpfFixture(3).as(1, 5, 10); } // replica 1, view 5 (leader 2), lastOp 10

    @AfterEach
    void tearDown() { if (fx != null) fx.close(); }

    /** A Prepare from replica 2, the leader of the fixture's view 5, whatever view it names. */
    private static byte[] prepareTo1(long view, long start, long end, int opSize) {
        return Frames.prepareFrame(2, 1, Frames.prepare(view, start, end, opSize), false);
    }

    @Test
    void inOrderPrepareIsBufferedAndAnsweredWithMyPrepareOk() {
        PrepareMessage p = Frames.prepare(5, 11, 11, 20);
        byte[] in = Frames.prepareFrame(1, p, false);
        TestRun.Result r = fx.xdp(in);
        assertEquals(XDP_TX, r.retval());
        byte[] expected = Frames.expectedMyPrepareOk(in, 1, 2, 5, 11);
        assertArrayEquals(expected, r.frame(), () -> "got\n" + Frames.hex(r.frame()) + "\nexpected\n" + Frames.hex(expected));
        List<BpfFixture.Record> recs = fx.drain();
        assertEquals(1, recs.size());
        assertEquals(new BpfFixture.Record(5, 11, 11, null).view(), recs.get(0).view());
        assertEquals(11, recs.get(0).opnum());
        assertEquals(11, recs.get(0).batchStart());
        assertArrayEquals(p.toByteArray(), recs.get(0).body(), "the ring holds the Prepare's protobuf body");
        assertEquals(11, fx.bpf.readControl().lastOp());
        assertEquals(1, fx.bpf.counter(Counter.FAST_ACKED));
    }

    @Test
    void batchesAndBodiesLargerThanAnMtuTakeTheFastPath() {
        // 20 requests of 150 bytes: a 3.4 kB body, more than a 1500-byte frame holds.
        PrepareMessage p = Frames.prepare(5, 11, 30, 150);
        assertTrue(p.getSerializedSize() > 1500);
        TestRun.Result r = fx.xdp(Frames.prepareFrame(1, p, false));
        assertEquals(XDP_TX, r.retval());
        List<BpfFixture.Record> recs = fx.drain();
        assertArrayEquals(p.toByteArray(), recs.get(0).body());
        assertEquals(30, fx.bpf.readControl().lastOp());
    }

    @Test
    void partlyKnownBatchIsBufferedWhole() {
        TestRun.Result r = fx.xdp(prepareTo1(5, 9, 12, 10)); // ops 9..10 known, 11..12 new
        assertEquals(XDP_TX, r.retval());
        assertEquals(12, fx.bpf.readControl().lastOp());
        assertEquals(9, fx.drain().get(0).batchStart());
    }

    @Test
    void staleViewIsDropped() {
        assertEquals(XDP_DROP, fx.xdp(prepareTo1(4, 11, 11, 10)).retval());
        assertEquals(1, fx.bpf.counter(Counter.DROP_STALE_VIEW));
        assertEquals(10, fx.bpf.readControl().lastOp());
    }

    @Test
    void newerViewGoesToUserSpace() {
        assertEquals(XDP_PASS, fx.xdp(prepareTo1(6, 11, 11, 10)).retval());
        assertEquals(1, fx.bpf.counter(Counter.PASS_NEWER_VIEW));
        assertTrue(fx.drain().isEmpty());
    }

    @Test
    void gapGoesToUserSpace() {
        assertEquals(XDP_PASS, fx.xdp(prepareTo1(5, 12, 12, 10)).retval());
        assertEquals(1, fx.bpf.counter(Counter.PASS_GAP));
        assertEquals(10, fx.bpf.readControl().lastOp());
        assertTrue(fx.drain().isEmpty());
    }

    @Test
    void duplicateIsAcknowledgedAgainWithoutBuffering() {
        byte[] in = prepareTo1(5, 9, 10, 10);
        TestRun.Result r = fx.xdp(in);
        assertEquals(XDP_TX, r.retval());
        assertArrayEquals(Frames.expectedMyPrepareOk(in, 1, 2, 5, 10), r.frame());
        assertTrue(fx.drain().isEmpty());
        assertEquals(1, fx.bpf.counter(Counter.REACKED));
        assertEquals(10, fx.bpf.readControl().lastOp());
    }

    @Test
    void abnormalStatusIsNotAcknowledged() {
        for (int status : new int[] {1, 2}) {
            fx.bpf.writeControl(new ControlState(status, 1, 2, 64, 5, 10));
            assertEquals(XDP_PASS, fx.xdp(prepareTo1(5, 11, 11, 10)).retval());
        }
        assertEquals(2, fx.bpf.counter(Counter.PASS_NOT_NORMAL));
        assertTrue(fx.drain().isEmpty());
    }

    @Test
    void disabledOffloadPasses() {
        fx.bpf.setEnabled(EnumSet.of(Offload.BROADCAST, Offload.QUORUM_PRUNE));
        assertEquals(XDP_PASS, fx.xdp(prepareTo1(5, 11, 11, 10)).retval());
        fx.bpf.setEnabled(EnumSet.noneOf(Offload.class));
        assertEquals(XDP_PASS, fx.xdp(prepareTo1(5, 11, 11, 10)).retval());
        fx.bpf.setEnabled(EnumSet.allOf(Offload.class));
        assertEquals(XDP_TX, fx.xdp(prepareTo1(5, 11, 11, 10)).retval());
    }

    @Test
    void theLeaderDoesNotFastAck() {
        fx.as(2, 5, 10);
        assertEquals(XDP_PASS, fx.xdp(Frames.frame(0, 2, Frames.payload(dev.electrode.wire.MessageType.PREPARE,
                Frames.prepare(5, 11, 11, 10), dev.electrode.wire.FastMeta.forMessage(dev.electrode.wire.MessageType.PREPARE,
                        Frames.prepare(5, 11, 11, 10))))).retval());
    }

    @Test
    void nonPrepareTrafficPasses() {
        byte[] commit = Frames.frame(2, 1, Frames.payload(dev.electrode.wire.MessageType.COMMIT,
                dev.electrode.wire.proto.CommitMessage.newBuilder().setView(5).setOpnum(10).build(), dev.electrode.wire.FastMeta.ZERO));
        assertEquals(XDP_PASS, fx.xdp(commit).retval());
        byte[] otherPort = Frames.frame(2, 1, 5555, 5555, Frames.payload(dev.electrode.wire.MessageType.PREPARE,
                Frames.prepare(5, 11, 11, 10), dev.electrode.wire.FastMeta.forMessage(dev.electrode.wire.MessageType.PREPARE,
                        Frames.prepare(5, 11, 11, 10))), Frames.IpOpts.DEFAULT);
        assertEquals(XDP_PASS, fx.xdp(otherPort).retval());
        assertEquals(10, fx.bpf.readControl().lastOp());
    }

    @Test
    void withDeferredAcksThePreparesAreBufferedButNotAcknowledged() {
        fx.bpf.setDeferredAcks(true);
        PrepareMessage p = Frames.prepare(5, 11, 11, 20);
        assertEquals(XDP_DROP, fx.xdp(Frames.prepareFrame(2, 1, p, false)).retval(), "buffered, no MyPrepareOK");
        List<BpfFixture.Record> recs = fx.drain();
        assertEquals(1, recs.size());
        assertArrayEquals(p.toByteArray(), recs.get(0).body());
        assertEquals(11, fx.bpf.readControl().lastOp());
        assertEquals(1, fx.bpf.counter(Counter.FAST_ACKED));
        // A repeat goes up, for user space to acknowledge once the op is durable.
        assertEquals(XDP_PASS, fx.xdp(Frames.prepareFrame(2, 1, p, false)).retval());
        assertEquals(1, fx.bpf.counter(Counter.PASS_REACK_DEFERRED));
        assertEquals(0, fx.bpf.counter(Counter.REACKED));
        // Switching the offloads keeps the mode; turning it off acknowledges again.
        fx.bpf.setEnabled(EnumSet.allOf(Offload.class));
        assertEquals(XDP_DROP, fx.xdp(prepareTo1(5, 12, 12, 10)).retval());
        fx.bpf.setDeferredAcks(false);
        assertEquals(XDP_TX, fx.xdp(prepareTo1(5, 13, 13, 10)).retval());
    }
}
