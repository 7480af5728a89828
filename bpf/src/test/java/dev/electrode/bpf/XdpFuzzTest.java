package dev.electrode.bpf;

import dev.electrode.wire.DecodeResult;
import dev.electrode.wire.FrameDecoder;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.PrepareOKMessage;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Random and mutated frames through the XDP program (as follower and as leader): it returns
 * XDP_TX only with a well-formed MyPrepareOK, and the maps change only as the rules allow.
 * The seed is printed on failure; -Delectrode.fuzz.seed=S replays, -Delectrode.fuzz.runs=N runs more.
 */
class XdpFuzzTest {
    private static final long SEED = Long.getLong("electrode.fuzz.seed", 20261122L);
    private static final int RUNS = Integer.getInteger("electrode.fuzz.runs", 20_000);

    private static byte[] mutate(byte[] base, Random rnd) {
        byte[] f;
        switch (rnd.nextInt(5)) {
            case 0 -> { f = base.clone(); f[rnd.nextInt(f.length)] ^= (byte) (1 << rnd.nextInt(8)); }
            case 1 -> { f = base.clone(); for (int i = 0; i < 1 + rnd.nextInt(8); i++) f[rnd.nextInt(f.length)] = (byte) rnd.nextInt(256); }
            case 2 -> f = Arrays.copyOf(base, Frames.ETH + rnd.nextInt(base.length - Frames.ETH + 1));
            case 3 -> { f = Arrays.copyOf(base, base.length + 1 + rnd.nextInt(64)); for (int i = base.length; i < f.length; i++) f[i] = (byte) rnd.nextInt(256); }
            default -> { f = new byte[Frames.ETH + rnd.nextInt(400)]; rnd.nextBytes(f); if (rnd.nextBoolean()) { f[12] = 8; f[13] = 0; } }
        }
        // Keep the header checksum right half of the time, so mutations reach past the IP layer.
        if (f.length >= Frames.ETH + 20 && f.length >= Frames.ETH + (f[Frames.ETH] & 0x0f) * 4 && rnd.nextBoolean()) Frames.setIpChecksum(f);
        return f;
    }

    private static void assertWellFormedMyPrepareOk(byte[] out, int me, int leader, long view, String what) {
        assertEquals(Frames.ipChecksum(out), Frames.storedIpChecksum(out), what + ": IP checksum");
        assertArrayEquals(Frames.mac(leader), Arrays.copyOfRange(out, 0, 6), what + ": destination MAC");
        assertArrayEquals(Frames.ip(me), Arrays.copyOfRange(out, Frames.ETH + 12, Frames.ETH + 16), what + ": source IP");
        assertArrayEquals(Frames.ip(leader), Arrays.copyOfRange(out, Frames.ETH + 16, Frames.ETH + 20), what + ": destination IP");
        int ipLen = (out[Frames.ETH] & 0x0f) * 4;
        int udpLen = ((out[Frames.ETH + ipLen + 4] & 0xff) << 8) | (out[Frames.ETH + ipLen + 5] & 0xff);
        ByteBuffer payload = ByteBuffer.wrap(out, Frames.ETH + ipLen + 8, udpLen - 8);
        DecodeResult r = FrameDecoder.decodeStandalone(payload);
        var d = assertInstanceOf(DecodeResult.Decoded.class, r, what + ": payload decodes");
        assertEquals(MessageType.MY_PREPARE_OK, d.frame().type(), what);
        PrepareOKMessage ok = (PrepareOKMessage) d.frame().body();
        assertEquals(me, ok.getReplicaIdx(), what);
        assertEquals(view, ok.getView(), what);
    }

    @Test
    void followerNeverBouncesAnythingButAMyPrepareOk() {
        Random rnd = new Random(SEED);
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            List<byte[]> seeds = List.of(
                    Frames.prepareFrame(1, Frames.prepare(5, 11, 11, 20), false),
                    Frames.prepareFrame(1, Frames.prepare(5, 9, 14, 40), true),
                    Frames.ackFrame(2, 5, 11, true),
                    Frames.prepareFrame(1, Frames.prepare(5, 10, 10, 5), false));
            long lastOp = 10, fastAcked = 0;
            for (int i = 0; i < RUNS; i++) {
                byte[] base = seeds.get(rnd.nextInt(seeds.size()));
                // Shift the opnums of valid Prepares forward now and then, so the fast path keeps being taken.
                if (rnd.nextInt(4) == 0) base = Frames.prepareFrame(1, Frames.prepare(5, lastOp + 1, lastOp + 1 + rnd.nextInt(3), 10), false);
                byte[] in = rnd.nextInt(3) == 0 ? base : mutate(base, rnd);
                String what = "seed " + SEED + " run " + i;
                TestRun.Result r = fx.xdp(in);
                assertTrue(r.retval() == XDP_PASS || r.retval() == XDP_DROP || r.retval() == XDP_TX, what + ": retval " + r.retval());
                ControlState c = fx.bpf.readControl();
                assertEquals(new ControlState(0, 1, 2, 64, 5, c.lastOp()), c, what + ": only lastOp may change");
                assertTrue(c.lastOp() >= lastOp, what + ": lastOp went back");
                long acked = fx.bpf.counter(Counter.FAST_ACKED);
                List<BpfFixture.Record> recs = fx.drain();
                if (c.lastOp() > lastOp) {
                    assertEquals(fastAcked + 1, acked, what + ": lastOp moved without a fast ack");
                    assertEquals(1, recs.size(), what);
                    assertEquals(c.lastOp(), recs.get(0).opnum(), what);
                    assertTrue(recs.get(0).batchStart() <= lastOp + 1, what + ": buffered across a gap");
                } else {
                    assertTrue(recs.isEmpty(), what + ": buffered without advancing");
                }
                if (r.retval() == XDP_TX) assertWellFormedMyPrepareOk(r.frame(), 1, 2, 5, what);
                lastOp = c.lastOp();
                fastAcked = acked;
            }
            assertTrue(fastAcked > RUNS / 10, "the fuzz reached the fast path: " + fastAcked);
        }
    }

    @Test
    void leaderPrunesButNeverBouncesAndOnlySetsValidBits() {
        Random rnd = new Random(SEED + 1);
        try (BpfFixture fx = new BpfFixture(5).as(0, 0, 10)) {
            int passed = 0;
            for (int i = 0; i < RUNS; i++) {
                int opnum = 11 + rnd.nextInt(4);
                if (rnd.nextInt(8) == 0) fx.bpf.writeQuorum(opnum, new QuorumEntry(0, opnum, 0)); // a fresh Prepare
                byte[] base = Frames.ackFrame(1 + rnd.nextInt(4), 0, opnum, rnd.nextBoolean());
                byte[] in = rnd.nextInt(3) == 0 ? base : mutate(base, rnd);
                TestRun.Result r = fx.xdp(in);
                String what = "seed " + (SEED + 1) + " run " + i;
                assertNotEquals(XDP_TX, r.retval(), what + ": the leader never bounces");
                if (r.retval() == XDP_PASS && fx.bpf.counter(Counter.ACK_PASSED) > passed) passed++;
                for (int slot = 11; slot <= 14; slot++) {
                    int acks = fx.bpf.readQuorum(slot).acks();
                    assertEquals(0, acks & ~0b11110, what + ": bit outside replicas 1..4 in slot " + slot);
                }
            }
            assertTrue(passed > 0 && fx.bpf.counter(Counter.ACK_PRUNED) > 0, "the fuzz reached pruning");
        }
    }
}
