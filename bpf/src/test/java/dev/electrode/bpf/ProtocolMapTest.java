package dev.electrode.bpf;

import dev.electrode.offload.OffloadProtocol;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.PrepareMessage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The programs act on the message types their "protocol" map names at load time, not on names
 * compiled in: with another protocol's names, a VR Prepare is nobody's business, and an append
 * of the configured type is fast-acknowledged with the configured acknowledgement type.
 */
class ProtocolMapTest {
    static final OffloadProtocol OTHER = new OffloadProtocol("test.proto.AppendEntries", "test.proto.AppendAck",
            "test.proto.FastAckReply1", "test.proto.Heartbeat");

    /** {@code vr}'s frame payload with its type name replaced by {@code name}. */
    private static byte[] renamed(byte[] payload, String oldName, String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        int rest = 12 + oldName.length();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(payload, 0, 4); // magic
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n.length).array());
        out.writeBytes(n);
        out.write(payload, rest, payload.length - rest);
        return out.toByteArray();
    }

    /** The type name of the frame's payload (after Ethernet, a 20-byte IPv4 header and UDP). */
    private static String typeName(byte[] frame) {
        int p = Frames.ETH + Frames.IP + Frames.UDP;
        int len = (int) ByteBuffer.wrap(frame, p + 4, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(Arrays.copyOfRange(frame, p + 12, p + 12 + len), StandardCharsets.US_ASCII);
    }

    @Test
    void theConfiguredAppendTypeIsFastAcknowledgedWithTheConfiguredAckType() {
        try (BpfFixture fx = new BpfFixture(3, EnumSet.allOf(Offload.class), OTHER).as(1, 5, 10)) {
            PrepareMessage p = Frames.prepare(5, 11, 11, 20);
            byte[] vr = Frames.payload(MessageType.PREPARE, p, dev.electrode.wire.FastMeta.forMessage(MessageType.PREPARE, p));

            TestRun.Result asVr = fx.xdp(Frames.frame(2, 1, vr));
            assertEquals(XDP_PASS, asVr.retval(), "a VR Prepare is not this protocol's append");
            assertEquals(0, fx.bpf.counter(Counter.FAST_ACKED));
            assertEquals(0, fx.bpf.counter(Counter.MALFORMED), "an unknown type is not malformed, only not ours");

            TestRun.Result r = fx.xdp(Frames.frame(2, 1, renamed(vr, MessageType.PREPARE.typeName(), OTHER.append())));
            assertEquals(XDP_TX, r.retval());
            assertEquals(OTHER.fastAck(), typeName(r.frame()), "the kernel-built acknowledgement carries the configured type");
            assertEquals(1, fx.bpf.counter(Counter.FAST_ACKED));
            assertEquals(1, fx.drain().size());
            assertEquals(11, fx.bpf.readControl().lastOp());
        }
    }

    @Test
    void theVrProtocolStillActsOnVrNames() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            byte[] renamedPrepare = renamed(Frames.payload(MessageType.PREPARE, Frames.prepare(5, 11, 11, 20),
                    dev.electrode.wire.FastMeta.forMessage(MessageType.PREPARE, Frames.prepare(5, 11, 11, 20))),
                    MessageType.PREPARE.typeName(), OTHER.append());
            assertEquals(XDP_PASS, fx.xdp(Frames.frame(2, 1, renamedPrepare)).retval());
            assertEquals(0, fx.bpf.counter(Counter.FAST_ACKED));
            assertEquals(XDP_TX, fx.xdp(Frames.prepareFrame(2, 1, Frames.prepare(5, 11, 11, 20), false)).retval());
            assertEquals(MessageType.MY_PREPARE_OK.typeName().length(), OffloadProtocol.FAST_ACK_NAME_LEN);
        }
    }

    /**
     * The meta positions come from the map too: with the append's fields declared as {first,
     * last, epoch} and the ack's as {sender, epoch, index}, a Prepare whose meta is laid out so
     * is acknowledged, the kernel-built ack places its fields so, and the leader's XDP reads a
     * response so and writes the ack set into its sender word (word a).
     */
    @Test
    void theConfiguredMetaPositionsAreReadAndWritten() {
        OffloadProtocol permuted = new OffloadProtocol(MessageType.PREPARE.typeName(), MessageType.PREPARE_OK.typeName(),
                MessageType.MY_PREPARE_OK.typeName(), MessageType.COMMIT.typeName(), new OffloadProtocol.MetaSlots(2, 1, 0),
                new OffloadProtocol.MetaSlots(1, 2, 0));
        PrepareMessage p = Frames.prepare(5, 11, 11, 20);
        dev.electrode.wire.FastMeta inVrOrder = dev.electrode.wire.FastMeta.forMessage(MessageType.PREPARE, p);
        dev.electrode.wire.FastMeta declared = new dev.electrode.wire.FastMeta(11, 11, 5); // {first, last, view}
        try (BpfFixture fx = new BpfFixture(3, EnumSet.allOf(Offload.class), permuted).as(1, 5, 10)) {
            assertEquals(XDP_PASS, fx.xdp(Frames.frame(2, 1, Frames.payload(MessageType.PREPARE, p, inVrOrder))).retval(),
                    "VR's order read with the declared positions is view 11 of op 5: not acknowledged");
            assertEquals(0, fx.bpf.counter(Counter.FAST_ACKED));
            TestRun.Result r = fx.xdp(Frames.frame(2, 1, Frames.payload(MessageType.PREPARE, p, declared)));
            assertEquals(XDP_TX, r.retval());
            assertEquals(1, QuorumPruneTest.metaWord(r.frame(), 0), "sender in word a");
            assertEquals(5, QuorumPruneTest.metaWord(r.frame(), 1), "view in word b");
            assertEquals(11, QuorumPruneTest.metaWord(r.frame(), 2), "opnum in word c");
        }
        try (BpfFixture fx = new BpfFixture(3, EnumSet.allOf(Offload.class), permuted).as(2, 5, 10)) { // view 5's leader is 2
            dev.electrode.wire.FastMeta broadcast = new dev.electrode.wire.FastMeta(11, 11, 5 | dev.electrode.wire.WireFormat.BROADCAST_BIT);
            assertEquals(TC_ACT_OK, fx.tc(Frames.frame(2, 0, Frames.payload(MessageType.PREPARE, p, broadcast))).retval());
            assertEquals(new QuorumEntry(5, 11, 0), fx.bpf.readQuorum(11), "TC read view and opnum from the declared words");
            assertEquals(2, fx.bpf.counter(Counter.CLONES_SENT), "the broadcast bit in the view's word fanned it out");
            dev.electrode.wire.proto.PrepareOKMessage ok = dev.electrode.wire.proto.PrepareOKMessage.newBuilder().setView(5).setOpnum(11)
                    .setReplicaIdx(1).build();
            TestRun.Result r = fx.xdp(Frames.frame(1, 2, Frames.payload(MessageType.PREPARE_OK, ok, new dev.electrode.wire.FastMeta(1, 5, 11))));
            assertEquals(XDP_PASS, r.retval(), "with the leader, one ack completes a quorum of 3");
            assertEquals(1, fx.bpf.counter(Counter.ACK_PASSED), "passed as quorum-completing: " + fx.bpf.counters());
            assertEquals(Layouts.QUORUM_FLAG | 0b10, QuorumPruneTest.metaWord(r.frame(), 0), "the ack set replaced the sender in word a");
            assertEquals(Frames.udpChecksum(r.frame()), Frames.storedUdpChecksum(r.frame()), "the checksum covers the rewritten word");
        }
    }

    @Test
    void metaPositionsMustPlaceEachFieldInItsOwnWord() {
        assertThrows(IllegalArgumentException.class, () -> new OffloadProtocol.MetaSlots(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new OffloadProtocol.MetaSlots(0, 1, 3));
        assertThrows(IllegalArgumentException.class, () -> new OffloadProtocol.MetaSlots(-1, 1, 2));
    }

    @Test
    void namesTheProgramsCannotTakeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new OffloadProtocol("a", "b", "too.short", "c"));
        assertThrows(IllegalArgumentException.class, () -> new OffloadProtocol("x".repeat(65), "b", "test.proto.FastAckReply1", "c"));
        assertThrows(IllegalArgumentException.class, () -> new OffloadProtocol("", "b", "test.proto.FastAckReply1", "c"));
    }
}
