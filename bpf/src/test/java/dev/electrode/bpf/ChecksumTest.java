package dev.electrode.bpf;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every IPv4 header the programs rewrite carries a correct checksum, checked against an
 * independent computation for all 65,536 IP IDs with random TOS and TTL. (The reference
 * prototype folds the carry once and is wrong for some IDs.)
 */
class ChecksumTest {
    private static byte[] withHeader(byte[] frame, int id, int tos, int ttl) {
        byte[] f = frame.clone();
        f[Frames.ETH + 1] = (byte) tos;
        f[Frames.ETH + 4] = (byte) (id >> 8);
        f[Frames.ETH + 5] = (byte) id;
        f[Frames.ETH + 8] = (byte) ttl;
        Frames.setIpChecksum(f);
        return f;
    }

    @Test
    void myPrepareOkBuiltInXdpForEveryIpId() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            byte[] dup = Frames.prepareFrame(1, Frames.prepare(5, 10, 10, 16), false); // re-acked: no state change
            Random rnd = new Random(65536);
            for (int id = 0; id <= 0xffff; id++) {
                byte[] in = withHeader(dup, id, rnd.nextInt(256), 1 + rnd.nextInt(255));
                TestRun.Result r = fx.xdp(in);
                assertEquals(XDP_TX, r.retval());
                if (Frames.storedIpChecksum(r.frame()) != Frames.ipChecksum(r.frame()))
                    fail("IP ID " + id + ": checksum " + Integer.toHexString(Frames.storedIpChecksum(r.frame()))
                            + ", expected " + Integer.toHexString(Frames.ipChecksum(r.frame())));
            }
            assertEquals(65536, fx.bpf.counter(Counter.REACKED));
        }
    }

    @Test
    void broadcastCopyRewrittenInTcForEveryIpId() {
        // Two replicas: the only copy is the original frame itself, so PROG_TEST_RUN shows it (no redirect).
        try (BpfFixture fx = new BpfFixture(2).as(0, 0, 10)) {
            byte[] toElsewhere = Frames.frame(0, 9, Frames.payload(dev.electrode.wire.MessageType.PREPARE,
                    Frames.prepare(0, 11, 11, 16),
                    dev.electrode.wire.FastMeta.forMessage(dev.electrode.wire.MessageType.PREPARE, Frames.prepare(0, 11, 11, 16)).withBroadcastBit()));
            Random rnd = new Random(4242);
            for (int id = 0; id <= 0xffff; id++) {
                byte[] in = withHeader(toElsewhere, id, rnd.nextInt(256), 1 + rnd.nextInt(255));
                TestRun.Result r = fx.tc(in);
                assertEquals(TC_ACT_OK, r.retval());
                byte[] out = r.frame();
                assertEquals(10 + 1, out[Frames.ETH + 19], "destination rewritten to replica 1");
                if (Frames.storedIpChecksum(out) != Frames.ipChecksum(out))
                    fail("IP ID " + id + ": checksum " + Integer.toHexString(Frames.storedIpChecksum(out))
                            + ", expected " + Integer.toHexString(Frames.ipChecksum(out)));
                if (Frames.storedUdpChecksum(out) != Frames.udpChecksum(out))
                    fail("IP ID " + id + ": UDP checksum " + Integer.toHexString(Frames.storedUdpChecksum(out))
                            + ", expected " + Integer.toHexString(Frames.udpChecksum(out)));
            }
            assertEquals(65536, fx.bpf.counter(Counter.CLONES_SENT));
        }
    }

    /**
     * TC keeps the UDP checksum valid end to end through the rewrite (address, port, and the
     * broadcast bit cleared in the fast meta, at an odd offset for a Prepare and an even one for
     * a Commit), for many opnums and views, so the follower's XDP can verify what arrives.
     */
    @Test
    void broadcastCopiesKeepAValidUdpChecksum() {
        try (BpfFixture fx = new BpfFixture(2).as(0, 0, 10)) {
            Random rnd = new Random(99);
            for (int i = 0; i < 20_000; i++) {
                long view = rnd.nextInt(1 << 30), op = 1 + rnd.nextInt(1 << 30);
                dev.electrode.wire.MessageType t;
                com.google.protobuf.Message m;
                dev.electrode.wire.FastMeta meta;
                if (i % 2 == 0) {
                    t = dev.electrode.wire.MessageType.PREPARE;
                    m = Frames.prepare(view, op, op, rnd.nextInt(200));
                    meta = dev.electrode.wire.FastMeta.forMessage(t, m).withBroadcastBit();
                } else {
                    t = dev.electrode.wire.MessageType.COMMIT;
                    m = dev.electrode.wire.proto.CommitMessage.newBuilder().setView(view).setOpnum(op).build();
                    meta = dev.electrode.wire.FastMeta.BROADCAST_ONLY;
                }
                byte[] in = Frames.frame(0, 9, Frames.PORT, 40000 + rnd.nextInt(20000), Frames.payload(t, m, meta), Frames.IpOpts.DEFAULT);
                byte[] out = fx.tc(in).frame();
                int udp = Frames.ETH + 20;
                assertEquals(Frames.PORT, ((out[udp + 2] & 0xff) << 8) | (out[udp + 3] & 0xff), "destination port rewritten");
                assertEquals(0, out[Frames.ETH + 20 + 8 + 12 + (t == dev.electrode.wire.MessageType.PREPARE ? 33 : 32) + 3] & 0x80,
                        "broadcast bit cleared");
                if (Frames.storedUdpChecksum(out) != Frames.udpChecksum(out))
                    fail(t + " #" + i + ": UDP checksum " + Integer.toHexString(Frames.storedUdpChecksum(out)) + ", expected "
                            + Integer.toHexString(Frames.udpChecksum(out)) + "\n" + Frames.hex(out));
            }
        }
    }
}
