package dev.electrode.bpf;

import dev.electrode.wire.FastMeta;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.PrepareMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The follower acknowledges only intact Prepares of the current leader, with BPF_PROG_TEST_RUN:
 * every single-bit flip of headers and payload, every truncation, a foreign sender or
 * destination, and an inconsistent fast meta each leave the frame unacknowledged and last_op
 * unmoved, and each is counted under its reason. On the leader, ACKs count only when they are
 * intact and their sender is the replica they name.
 */
class FastPathIntegrityTest {
    private static final int ME = 1, LEADER = 2, VIEW = 5, LAST = 10; // 3 replicas: view 5 is led by replica 2
    private static final int IP = Frames.ETH, UDP = Frames.ETH + 20, PAYLOAD = UDP + 8;
    /** Rejection reasons; a frame that is no replica-port Prepare at all shows in none of them. */
    private static final Set<Counter> REASONS = EnumSet.of(Counter.MALFORMED, Counter.PASS_NOT_FROM_LEADER, Counter.PASS_NOT_TO_ME,
            Counter.PASS_BAD_IP_CSUM, Counter.PASS_NO_UDP_CSUM, Counter.PASS_BAD_UDP_CSUM, Counter.PASS_BAD_META, Counter.PASS_IP_FRAGMENT);

    private BpfFixture fx;

    @BeforeEach
    void setUp() { fx = new BpfFixture(3).as(ME, VIEW, LAST); }

    @AfterEach
    void tearDown() { if (fx != null) fx.close(); }

    private static byte[] prepare(int ops, int opSize) {
        return Frames.prepareFrame(LEADER, ME, Frames.prepare(VIEW, LAST + 1, LAST + ops, opSize), false);
    }

    private Map<Counter, Long> reasons() {
        Map<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : REASONS) m.put(c, fx.bpf.counter(c));
        return m;
    }

    /** Runs the frame; asserts it was neither acknowledged nor buffered; returns the reason counted (null: none). */
    private Counter rejectedWith(byte[] frame, String what) {
        Map<Counter, Long> before = reasons();
        TestRun.Result r = fx.xdp(frame);
        assertNotEquals(XDP_TX, r.retval(), what + " was acknowledged");
        assertEquals(LAST, fx.bpf.readControl().lastOp(), what + " moved last_op");
        assertTrue(fx.drain().isEmpty(), what + " was buffered");
        Counter counted = null;
        for (Map.Entry<Counter, Long> e : reasons().entrySet()) {
            long d = e.getValue() - before.get(e.getKey());
            if (d == 0) continue;
            assertNull(counted, what + ": counted under " + counted + " and " + e.getKey());
            assertEquals(1, d, what + ": " + e.getKey() + " rose by " + d);
            counted = e.getKey();
        }
        return counted;
    }

    @Test
    void theIntactFrameIsAcknowledged() {
        for (byte[] f : new byte[][] {prepare(1, 20), prepare(3, 400), prepare(20, 150)}) {
            fx.as(ME, VIEW, LAST);
            assertEquals(XDP_TX, fx.xdp(f).retval());
            assertEquals(1, fx.drain().size());
            fx.as(ME, VIEW, LAST);
        }
        assertEquals(3, fx.bpf.counter(Counter.FAST_ACKED));
    }

    /** The reason a flip of bit {@code bit} (of byte {@code i}) must be counted under; null: not ours; MALFORMED also stands for "not ours or malformed". */
    private static Set<Counter> expectedForFlip(byte[] f, int i, int bit) {
        int typeEnd = PAYLOAD + 12 + 33, metaEnd = typeEnd + 12, dataLenEnd = metaEnd + 8;
        if (i < 6) return Set.of(Counter.PASS_NOT_TO_ME);
        if (i < 12) return Set.of(Counter.PASS_NOT_FROM_LEADER);
        if (i < 14) return none();                                   // EtherType: not IPv4
        if (i == IP) return orNone(Counter.MALFORMED);               // version / IHL: not ours, or lengths disagree
        if (i == IP + 2 || i == IP + 3) return Set.of(Counter.MALFORMED); // total length
        if (i == IP + 6) {                                           // flags and the fragment offset's top bits
            if ((bit & 0x1f) != 0) return none();                    // a later fragment: no UDP header to tell whose
            return bit == 0x20 ? Set.of(Counter.PASS_IP_FRAGMENT) : Set.of(Counter.PASS_BAD_IP_CSUM);
        }
        if (i == IP + 7) return none();                              // fragment offset: a later fragment
        if (i == IP + 9) return none();                              // protocol: not UDP
        if (i >= IP + 12 && i < IP + 16) return Set.of(Counter.PASS_NOT_FROM_LEADER);
        if (i >= IP + 16 && i < IP + 20) return Set.of(Counter.PASS_NOT_TO_ME);
        if (i < UDP) return Set.of(Counter.PASS_BAD_IP_CSUM);        // TOS, ID, DF and reserved flags, TTL, checksum
        if (i < UDP + 2) return Set.of(Counter.PASS_NOT_FROM_LEADER);
        if (i < UDP + 4) return none();                              // destination port: not the replica port
        if (i < UDP + 6) return Set.of(Counter.MALFORMED);           // UDP length
        if (i < PAYLOAD) {                                           // UDP checksum
            int stored = Frames.storedUdpChecksum(f) ^ (i == UDP + 6 ? bit << 8 : bit);
            return Set.of(stored == 0 ? Counter.PASS_NO_UDP_CSUM : Counter.PASS_BAD_UDP_CSUM);
        }
        if (i < typeEnd) return none();                              // magic, typeLen, type name: no Prepare
        if (i < metaEnd) return Set.of(Counter.PASS_BAD_UDP_CSUM);   // fast meta (broadcast bit included)
        if (i < dataLenEnd) return Set.of(Counter.MALFORMED);        // dataLen
        return Set.of(Counter.PASS_BAD_UDP_CSUM);                    // body
    }

    private static Set<Counter> none() { return java.util.Collections.singleton(null); }

    private static Set<Counter> orNone(Counter c) {
        Set<Counter> s = new java.util.HashSet<>();
        s.add(c);
        s.add(null);
        return s;
    }

    private void everySingleBitFlip(byte[] f, String label) {
        Map<Counter, Integer> tally = new EnumMap<>(Counter.class);
        int notOurs = 0;
        for (int i = 0; i < f.length; i++) {
            for (int b = 0; b < 8; b++) {
                byte[] g = f.clone();
                g[i] ^= (byte) (1 << b);
                String what = label + " with bit " + b + " of byte " + i + " flipped";
                Counter got = rejectedWith(g, what);
                Set<Counter> expected = expectedForFlip(f, i, 1 << b);
                assertTrue(new java.util.HashSet<>(expected).contains(got), what + ": counted under " + got + ", expected " + expected);
                if (got == null) notOurs++;
                else tally.merge(got, 1, Integer::sum);
            }
        }
        System.out.println("integrity: " + label + " (" + f.length + " bytes), " + 8 * f.length + " single-bit flips: " + tally
                + ", not a replica-port Prepare " + notOurs);
    }

    @Test
    void everySingleBitFlipOfASmallPrepareIsRejectedUnderItsReason() {
        everySingleBitFlip(prepare(1, 20), "1-op Prepare");
    }

    @Test
    void everySingleBitFlipOfAPrepareSpanningSeveralChecksumBlocksIsRejected() {
        byte[] f = prepare(4, 400); // a 1.7 kB datagram: three 512-byte blocks and a tail
        assertTrue(f.length - UDP > 3 * 512);
        everySingleBitFlip(f, "4-op Prepare");
    }

    @Test
    void everyTruncationIsRejected() {
        byte[] f = prepare(3, 300);
        for (int len = Frames.ETH; len < f.length; len++) {
            byte[] g = java.util.Arrays.copyOf(f, len);
            Counter got = rejectedWith(g, "cut at " + len);
            if (len < PAYLOAD) assertNull(got, "cut at " + len + " (headers incomplete: not ours)");
            else assertEquals(Counter.MALFORMED, got, "cut at " + len);
        }
        // Cut, with every length field made to agree: the checksum still catches it.
        for (int len = PAYLOAD + 120; len < f.length; len += 37) {
            byte[] g = java.util.Arrays.copyOf(f, len);
            int udpLen = len - UDP;
            g[UDP + 4] = (byte) (udpLen >> 8);
            g[UDP + 5] = (byte) udpLen;
            g[IP + 2] = (byte) ((udpLen + 20) >> 8);
            g[IP + 3] = (byte) (udpLen + 20);
            Frames.setIpChecksum(g);
            long dataLen = len - (PAYLOAD + 12 + 33 + 12 + 8);
            for (int k = 0; k < 8; k++) g[PAYLOAD + 12 + 33 + 12 + k] = (byte) (dataLen >> (8 * k));
            assertEquals(Counter.PASS_BAD_UDP_CSUM, rejectedWith(g, "cut consistently at " + len));
        }
    }

    @Test
    void senderOrDestinationOtherThanTheLeaderAndMeIsRejected() {
        PrepareMessage p = Frames.prepare(VIEW, LAST + 1, LAST + 1, 20);
        byte[] payload = Frames.payload(MessageType.PREPARE, p, FastMeta.forMessage(MessageType.PREPARE, p));
        // From replica 0, a member that does not lead view 5.
        assertEquals(Counter.PASS_NOT_FROM_LEADER, rejectedWith(Frames.frame(0, ME, payload), "from replica 0"));
        // A client host (index 9) forging nothing, and forging the leader's IPv4, MAC or port one at a time.
        assertEquals(Counter.PASS_NOT_FROM_LEADER, rejectedWith(Frames.frame(9, ME, payload), "from a client"));
        byte[] leaderFrame = Frames.frame(LEADER, ME, payload);
        for (int field = 0; field < 3; field++) {
            byte[] g = leaderFrame.clone();
            switch (field) {
                case 0 -> System.arraycopy(Frames.mac(9), 0, g, 6, 6);
                case 1 -> System.arraycopy(Frames.ip(9), 0, g, IP + 12, 4);
                default -> { g[UDP] = (byte) 0x9c; g[UDP + 1] = 0x40; } // source port 40000
            }
            Frames.setIpChecksum(g);
            Frames.setUdpChecksum(g);
            assertEquals(Counter.PASS_NOT_FROM_LEADER, rejectedWith(g, "leader's frame with a client's field " + field));
        }
        // To another replica's MAC or IPv4.
        for (int field = 0; field < 2; field++) {
            byte[] g = leaderFrame.clone();
            if (field == 0) System.arraycopy(Frames.mac(0), 0, g, 0, 6);
            else System.arraycopy(Frames.ip(0), 0, g, IP + 16, 4);
            Frames.setIpChecksum(g);
            Frames.setUdpChecksum(g);
            assertEquals(Counter.PASS_NOT_TO_ME, rejectedWith(g, "addressed elsewhere, field " + field));
        }
        // A checksum that is absent is no proof.
        byte[] g = leaderFrame.clone();
        g[UDP + 6] = 0;
        g[UDP + 7] = 0;
        assertEquals(Counter.PASS_NO_UDP_CSUM, rejectedWith(g, "no UDP checksum"));
    }

    private byte[] withMeta(PrepareMessage body, int view, int opnum, int batchStart) {
        return Frames.frame(LEADER, ME, Frames.payload(MessageType.PREPARE, body, new FastMeta(view, opnum, batchStart)));
    }

    @Test
    void inconsistentFastMetaIsRejected() {
        PrepareMessage one = Frames.prepare(VIEW, LAST + 1, LAST + 1, 20);
        assertEquals(Counter.PASS_BAD_META, rejectedWith(withMeta(one, VIEW, LAST + 1, LAST + 2), "batchStart after opnum"));
        assertEquals(Counter.PASS_BAD_META, rejectedWith(withMeta(one, VIEW, LAST + 1, LAST + 1 - (1 << 20)), "a huge batch"));
        PrepareMessage big = Frames.prepare(VIEW, LAST + 1, LAST + 65, 4);
        assertEquals(Counter.PASS_BAD_META, rejectedWith(withMeta(big, VIEW, LAST + 65, LAST + 1), "65 ops with batch size 64"));
        assertEquals(Counter.PASS_BAD_META, rejectedWith(withMeta(one, VIEW, LAST + 30, LAST + 1), "30 ops in a 30-byte body"));
        // The opnums taken from the flipped meta words: far beyond the log, and never accepted.
        for (int op : new int[] {(1 << 26) + 1, (1 << 29) + 5, (1 << 31) + 1, 32770, 514})
            assertEquals(Counter.PASS_BAD_META, rejectedWith(withMeta(one, VIEW, op, LAST + 1), "opnum " + op));
        // A consistent batch still goes.
        assertEquals(XDP_TX, fx.xdp(withMeta(Frames.prepare(VIEW, LAST + 1, LAST + 64, 4), VIEW, LAST + 64, LAST + 1)).retval());
    }

    @Test
    void theLeaderCountsOnlyIntactAcksFromTheReplicaTheyName() {
        fx.as(0, 3, 10); // replica 0 leads view 3 (f = 1)
        int slot = 11 % Layouts.QUORUM_SLOTS;
        byte[] ack = Frames.ackFrame(1, 3, 11, true);
        for (int i = 0; i < ack.length; i++) {
            for (int b = 0; b < 8; b++) {
                fx.bpf.writeQuorum(slot, new QuorumEntry(3, 11, 0));
                byte[] g = ack.clone();
                g[i] ^= (byte) (1 << b);
                fx.xdp(g);
                QuorumEntry e = fx.bpf.readQuorum(slot);
                assertEquals(0, e.acks(), "ACK with bit " + b + " of byte " + i + " flipped was counted");
            }
        }
        assertTrue(fx.bpf.counter(Counter.ACK_BAD_CSUM) > 0);
        assertTrue(fx.bpf.counter(Counter.ACK_BAD_ADDRESS) > 0);
        // Replica 2's ACK claiming to be replica 1 (index in meta and body), checksums right.
        dev.electrode.wire.proto.PrepareOKMessage ok = dev.electrode.wire.proto.PrepareOKMessage.newBuilder().setView(3).setOpnum(11)
                .setReplicaIdx(1).build();
        byte[] forged = Frames.frame(2, 0, Frames.payload(MessageType.MY_PREPARE_OK, ok, FastMeta.forMessage(MessageType.MY_PREPARE_OK, ok)));
        fx.bpf.writeQuorum(slot, new QuorumEntry(3, 11, 0));
        long before = fx.bpf.counter(Counter.ACK_BAD_ADDRESS);
        assertEquals(XDP_PASS, fx.xdp(forged).retval());
        assertEquals(before + 1, fx.bpf.counter(Counter.ACK_BAD_ADDRESS));
        assertEquals(0, fx.bpf.readQuorum(slot).acks());
        // The intact one counts, and completes the quorum.
        assertEquals(XDP_PASS, fx.xdp(ack).retval());
        assertEquals(0b10, fx.bpf.readQuorum(slot).acks());
    }
}
