package dev.electrode.bpf;

import dev.electrode.wire.FastMeta;
import dev.electrode.wire.MessageType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/** Leader wait-on-quorum: TC resets the entry on egress, XDP passes exactly the f-th distinct ACK. */
class QuorumPruneTest {
    /** Sends the leader's Prepare of (view, opnum) through TC egress, which resets the quorum entry. */
    static void prepareLeaves(BpfFixture fx, long view, long opnum) {
        byte[] prepare = Frames.prepareFrame(1, Frames.prepare(view, opnum, opnum, 8), false);
        assertEquals(TC_ACT_OK, fx.tc(prepare).retval());
        QuorumEntry e = fx.bpf.readQuorum((int) (opnum % Layouts.QUORUM_SLOTS));
        assertEquals(new QuorumEntry((int) view, (int) opnum, 0), e);
    }

    static int metaC(byte[] frame) { return metaWord(frame, 2); }

    /** Fast meta word {@code word} (0..2) of an Ethernet frame carrying one datagram. */
    static int metaWord(byte[] frame, int word) {
        int ipLen = (frame[Frames.ETH] & 0x0f) * 4;
        int payload = Frames.ETH + ipLen + Frames.UDP;
        int typeLen = (int) ByteBuffer.wrap(frame, payload + 4, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return ByteBuffer.wrap(frame, payload + 12 + typeLen + 4 * word, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5, 7})
    void onlyTheFthDistinctAckPasses(int n) {
        int f = (n - 1) / 2;
        try (BpfFixture fx = new BpfFixture(n).as(0, 7, 40)) { // the leader of view 7 is 7 % n
            fx.as(7 % n, 7, 40);
            int leader = 7 % n;
            prepareLeaves(fx, 7, 41);
            int passed = 0, seen = 0, expectedBits = 0;
            for (int r = 0; r < n; r++) {
                if (r == leader) continue;
                seen++;
                expectedBits |= 1 << r;
                byte[] ack = Frames.ackFrame(r, leader, 7, 41, r % 2 == 0);
                TestRun.Result res = fx.xdp(ack);
                if (seen == f) {
                    assertEquals(XDP_PASS, res.retval(), "the quorum-completing ACK (#" + seen + ") passes");
                    assertEquals(Layouts.QUORUM_FLAG | expectedBits, metaC(res.frame()), "it carries the acknowledging set");
                    assertEquals(Frames.udpChecksum(res.frame()), Frames.storedUdpChecksum(res.frame()),
                            "the UDP checksum still covers the rewritten fast meta");
                    passed++;
                } else {
                    assertEquals(XDP_DROP, res.retval(), "ACK #" + seen + " of " + (n - 1) + " is pruned");
                }
            }
            assertEquals(1, passed);
            assertEquals(1, fx.bpf.counter(Counter.ACK_PASSED));
            assertEquals(n - 2, fx.bpf.counter(Counter.ACK_PRUNED));
        }
    }

    @Test
    void aRepeatedAckFromOneReplicaDoesNotCount() {
        try (BpfFixture fx = new BpfFixture(5).as(0, 0, 10)) { // f = 2
            prepareLeaves(fx, 0, 11);
            assertEquals(XDP_DROP, fx.xdp(Frames.ackFrame(1, 0, 11, true)).retval());
            assertEquals(XDP_DROP, fx.xdp(Frames.ackFrame(1, 0, 11, false)).retval(), "same replica again");
            assertEquals(XDP_DROP, fx.xdp(Frames.ackFrame(1, 0, 11, true)).retval());
            assertEquals(2, fx.bpf.counter(Counter.ACK_DUPLICATE));
            assertEquals(0b10, fx.bpf.readQuorum(11).acks());
            assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(3, 0, 11, true)).retval(), "the second distinct replica completes");
        }
    }

    @Test
    void mismatchedTagPasses() {
        try (BpfFixture fx = new BpfFixture(3).as(0, 3, 10)) { // view 3: replica 0 leads
            prepareLeaves(fx, 3, 11);
            assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(1, 2, 11, true)).retval(), "older view");
            assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(1, 3, 11 + Layouts.QUORUM_SLOTS, true)).retval(), "same slot, other opnum");
            assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(1, 3, 12, true)).retval(), "no Prepare left for it");
            assertEquals(3, fx.bpf.counter(Counter.ACK_TAG_MISMATCH));
            assertEquals(0, fx.bpf.readQuorum(11).acks());
        }
    }

    @Test
    void copiesOfOnePrepareSentOnePerFollowerResetTheEntryOnce() {
        try (BpfFixture fx = new BpfFixture(5).as(0, 0, 10)) { // f = 2, broadcast off: four copies leave
            prepareLeaves(fx, 0, 11);
            assertEquals(XDP_DROP, fx.xdp(Frames.ackFrame(1, 0, 11, true)).retval(), "first ACK of two needed");
            fx.tc(Frames.prepareFrame(3, Frames.prepare(0, 11, 11, 8), false)); // the next copy, right after
            assertEquals(0b10, fx.bpf.readQuorum(11).acks(), "the copy kept the ACK already counted");
            assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(2, 0, 11, true)).retval(), "the second distinct ACK completes");
        }
    }

    @Test
    void aRetransmissionNeitherWipesCountedAcksNorStallsCommit() {
        try (BpfFixture fx = new BpfFixture(5).as(0, 0, 10)) { // f = 2
            prepareLeaves(fx, 0, 11);
            assertEquals(XDP_DROP, fx.xdp(Frames.ackFrame(1, 0, 11, true)).retval());
            fx.tc(Frames.prepareFrame(1, Frames.prepare(0, 11, 11, 8), false)); // retransmitted
            assertEquals(0b10, fx.bpf.readQuorum(11).acks(), "the retransmission kept the counted ACK");
            TestRun.Result done = fx.xdp(Frames.ackFrame(3, 0, 11, true));
            assertEquals(XDP_PASS, done.retval(), "quorum complete");
            // Suppose that passed ACK was lost in the leader's socket: the leader retransmits,
            // followers ACK again, and those repeats now go up with the whole set.
            TestRun.Result again = fx.xdp(Frames.ackFrame(1, 0, 11, false));
            assertEquals(XDP_PASS, again.retval(), "a repeat after completion passes");
            assertEquals(Layouts.QUORUM_FLAG | 0b1010, metaC(again.frame()), "with the acknowledging set");
            assertEquals(1, fx.bpf.counter(Counter.ACK_REPASSED));
            assertEquals(XDP_DROP, fx.xdp(Frames.ackFrame(4, 0, 11, true)).retval(), "a new late ACK is still pruned");
        }
    }

    @Test
    void ackFromAnUnknownOrOwnIndexPassesAsMalformed() {
        try (BpfFixture fx = new BpfFixture(3).as(0, 0, 10)) {
            prepareLeaves(fx, 0, 11);
            byte[] bogus = Frames.frame(1, 0, Frames.payload(MessageType.PREPARE_OK,
                    dev.electrode.wire.proto.PrepareOKMessage.newBuilder().setView(0).setOpnum(11).setReplicaIdx(9).build(),
                    new FastMeta(0, 11, 9)));
            assertEquals(XDP_PASS, fx.xdp(bogus).retval());
            assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(0, 0, 11, true)).retval(), "the leader's own index");
            assertEquals(2, fx.bpf.counter(Counter.MALFORMED));
        }
    }

    @Test
    void followersAndAbnormalLeadersDoNotPrune() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 0, 10)) {
            assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(2, 0, 10, true)).retval(), "ACK at a follower");
            fx.bpf.writeControl(new ControlState(1, 0, 0, 64, 0, 10));
            fx.bpf.writeQuorum(11, new QuorumEntry(0, 11, 0));
            assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(1, 0, 11, true)).retval(), "leader in view change");
        }
    }
}
