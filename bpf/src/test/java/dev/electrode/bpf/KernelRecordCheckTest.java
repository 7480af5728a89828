package dev.electrode.bpf;

import com.google.protobuf.ByteString;
import dev.electrode.config.ClusterConfig;
import dev.electrode.offload.KernelRecord;
import dev.electrode.server.KernelPrepareCheck;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.FrameEncoder;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.WireFormat;
import dev.electrode.wire.proto.PrepareMessage;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * What the kernel acknowledged is checked again in user space, on the real ring records: the
 * sender XDP recorded, and a body that must decode and name what the kernel acknowledged. XDP
 * does not parse protobuf, so a leader (or a forger with its addresses) can make it acknowledge
 * a body user space rejects; user space must notice.
 */
class KernelRecordCheckTest {
    private static ClusterConfig config() throws Exception {
        List<InetSocketAddress> addrs = new ArrayList<>();
        List<byte[]> macs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            addrs.add(new InetSocketAddress(InetAddress.getByAddress(Frames.ip(i)), Frames.PORT));
            macs.add(Frames.mac(i));
        }
        return new ClusterConfig(1, addrs, macs);
    }

    private static byte[] frameWithBody(byte[] body, FastMeta meta) {
        String type = MessageType.PREPARE.typeName();
        ByteBuffer b = ByteBuffer.allocate(32 + type.length() + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(WireFormat.NONFRAG_MAGIC).putLong(type.length()).put(type.getBytes())
                .putInt(meta.a()).putInt(meta.b()).putInt(meta.c()).putLong(body.length).put(body);
        return Frames.frame(2, 1, b.array());
    }

    /** Runs each frame through XDP (all must be acknowledged), then checks every ring record in user space. */
    private static List<KernelPrepareCheck.Rejection> acknowledgeAndCheck(byte[]... frames) throws Exception {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            for (byte[] f : frames) assertEquals(XDP_TX, fx.xdp(f).retval(), "the kernel acknowledges it");
            KernelPrepareCheck check = new KernelPrepareCheck(config());
            List<KernelPrepareCheck.Rejection> results = new ArrayList<>(); // null: accepted
            fx.bpf.prepareRing().drain((view, opnum, start, ip, port, mac, body) -> {
                KernelRecord k = new KernelRecord(view, opnum, start, ip, port, mac, body);
                results.add(check.check(k, 2) == null ? check.lastRejection() : null);
            });
            return results;
        }
    }

    @Test
    void aGenuinePrepareIsAccepted() throws Exception {
        List<KernelPrepareCheck.Rejection> r = new ArrayList<>();
        r.add(null);
        assertEquals(r, acknowledgeAndCheck(Frames.prepareFrame(2, 1, Frames.prepare(5, 11, 11, 20), false)));
    }

    @Test
    void aBodyThatDoesNotDecodeOrDisagreesWithTheKernelIsRejected() throws Exception {
        byte[] garbage = new byte[40];
        java.util.Arrays.fill(garbage, (byte) 0xff);
        PrepareMessage other = Frames.prepare(5, 20, 20, 20); // opnum 20 in the body, 11 in the meta
        assertEquals(List.of(KernelPrepareCheck.Rejection.BAD_BODY, KernelPrepareCheck.Rejection.BODY_DISAGREES),
                acknowledgeAndCheck(frameWithBody(garbage, new FastMeta(5, 11, 11)),
                        frameWithBody(other.toByteArray(), new FastMeta(5, 12, 12))));
    }

    @Test
    void aRecordFromAnotherSenderIsRejected() throws Exception {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            assertEquals(XDP_TX, fx.xdp(Frames.prepareFrame(2, 1, Frames.prepare(5, 11, 11, 20), false)).retval());
            KernelPrepareCheck check = new KernelPrepareCheck(config());
            List<KernelPrepareCheck.Rejection> got = new ArrayList<>();
            // The record names replica 2 as its sender; checked against replica 0 as the leader, it fails.
            fx.bpf.prepareRing().drain((view, opnum, start, ip, port, mac, body) ->
                    got.add(check.check(new KernelRecord(view, opnum, start, ip, port, mac, body), 0) == null ? check.lastRejection() : null));
            assertEquals(List.of(KernelPrepareCheck.Rejection.NOT_FROM_LEADER), got);
            assertEquals(1L, check.rejections().get(KernelPrepareCheck.Rejection.NOT_FROM_LEADER));
        }
    }
}
