package dev.electrode.capture;

import com.google.protobuf.ByteString;
import dev.electrode.wire.DecodeError;
import dev.electrode.wire.Frame;
import dev.electrode.wire.FrameEncoder;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.CommitMessage;
import dev.electrode.wire.proto.Request;
import dev.electrode.wire.proto.RequestMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The capture reader on a synthetic pcap: IPv4 fragments, wire-format fragments, rejected and foreign datagrams. */
class CaptureReaderTest {
    private static final int MTU = 1500;
    private static final byte[] SRC = {10, 99, 0, 1}, DST = {10, 99, 0, 2};
    private int ipId = 1;

    @Test
    void decodesMessagesReassemblesBothLayersAndCountsTheRest(@TempDir Path dir) throws Exception {
        byte[] big = new byte[30_000];
        new Random(7).nextBytes(big);
        RequestMessage request = RequestMessage.newBuilder()
                .setReq(Request.newBuilder().setOp(ByteString.copyFrom(big)).setClientid(77).setClientreqid(5)).build();
        List<ByteBuffer> fragments = FrameEncoder.fragment(ByteBuffer.wrap(FrameEncoder.encode(Frame.of(request))), 42);
        assertTrue(fragments.size() >= 4, "a 30 kB message is split into several wire fragments");

        List<byte[]> packets = new ArrayList<>();
        packets.add(udp(FrameEncoder.encode(Frame.of(CommitMessage.newBuilder().setView(3).setOpnum(9).build())), 40000));
        // Each wire fragment is one UDP datagram that IPv4 splits again for a 1500-byte link; the
        // pieces of one datagram arrive out of order.
        for (ByteBuffer f : fragments) {
            byte[] payload = new byte[f.remaining()];
            f.get(payload);
            List<byte[]> pieces = ipFragments(payload, 12345);
            Collections.reverse(pieces);
            packets.addAll(pieces);
        }
        byte[] garbage = FrameEncoder.encode(Frame.of(CommitMessage.newBuilder().setView(1).setOpnum(1).build()));
        garbage[4] = 0x7f; // typeLen far beyond the datagram
        packets.add(udp(garbage, 12345));
        packets.add(udp("not ours".getBytes(), 53));
        // Half of another large datagram: never completed.
        packets.add(ipFragments(new byte[4000], 12345).get(0));

        Path file = dir.resolve("synthetic.pcap");
        try (PcapHandle dead = Pcaps.openDead(DataLinkType.EN10MB, 65536); PcapDumper d = dead.dumpOpen(file.toString())) {
            long t = 1_700_000_000_000L;
            for (byte[] p : packets) d.dumpRaw(p, new Timestamp(t++));
        }

        CaptureReader.Capture c = CaptureReader.read(file);
        List<CapturedDatagram> ds = c.datagrams();
        assertEquals(1 + fragments.size() + 1, ds.size(), CaptureTable.format(c));
        CapturedDatagram.Message commit = assertInstanceOf(CapturedDatagram.Message.class, ds.get(0));
        assertEquals(MessageType.COMMIT, commit.frame().type());
        assertEquals(3, commit.frame().view());
        assertEquals(9, commit.frame().opnum());
        assertEquals(1, commit.packet());
        for (int i = 0; i < fragments.size(); i++) {
            CapturedDatagram.Fragment f = assertInstanceOf(CapturedDatagram.Fragment.class, ds.get(1 + i));
            assertEquals(42, f.messageId());
            assertEquals(i == fragments.size() - 1, f.completed() != null, "only the last fragment completes the message");
        }
        WireFrame whole = ((CapturedDatagram.Fragment) ds.get(fragments.size())).completed();
        assertEquals(MessageType.REQUEST, whole.type());
        assertEquals(5, whole.clientReqId());
        assertEquals(ByteString.copyFrom(big), ((RequestMessage) whole.frame().body()).getReq().getOp());
        CapturedDatagram.Rejected bad = assertInstanceOf(CapturedDatagram.Rejected.class, ds.get(ds.size() - 1));
        assertEquals(DecodeError.BAD_TYPE_LENGTH, bad.error());
        assertEquals(1, c.otherPackets(), "the DNS-port datagram");
        assertEquals(1, c.incompleteIpDatagrams());
        assertEquals(List.of(commit.frame()), c.messages(), "messages() holds the unfragmented messages only");

        String table = CaptureTable.format(c);
        assertTrue(table.contains("(reassembled)") && table.contains("REJECTED") && table.contains("BAD_TYPE_LENGTH"), table);
        assertTrue(table.contains("1 rejected, 1 other packets, 1 IPv4 datagrams missing fragments"), table);
    }

    @Test
    void aMissingFileIsNamed() {
        CaptureException e = assertThrows(CaptureException.class, () -> CaptureReader.read(Path.of("/nonexistent/x.pcap")));
        assertTrue(e.getMessage().contains("/nonexistent/x.pcap"), e.getMessage());
    }

    @Test
    void aFileThatIsNotACaptureIsRefusedWithTheReason(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("notes.pcap"), "hello");
        CaptureException e = assertThrows(CaptureException.class, () -> CaptureReader.read(f));
        assertTrue(e.getMessage().contains("notes.pcap"), e.getMessage());
    }

    private byte[] udp(byte[] payload, int srcPort) {
        ByteBuffer u = ByteBuffer.allocate(8 + payload.length);
        u.putShort((short) srcPort).putShort((short) 12345).putShort((short) (8 + payload.length)).putShort((short) 0).put(payload);
        return ip(u.array(), ipId++, 0, false);
    }

    /** One UDP datagram split into IPv4 fragments that fit {@link #MTU}. */
    private List<byte[]> ipFragments(byte[] payload, int srcPort) {
        ByteBuffer u = ByteBuffer.allocate(8 + payload.length);
        u.putShort((short) srcPort).putShort((short) 12345).putShort((short) (8 + payload.length)).putShort((short) 0).put(payload);
        byte[] whole = u.array();
        int id = ipId++, step = (MTU - 20) / 8 * 8;
        List<byte[]> out = new ArrayList<>();
        for (int at = 0; at < whole.length; at += step) {
            int len = Math.min(step, whole.length - at);
            byte[] part = new byte[len];
            System.arraycopy(whole, at, part, 0, len);
            out.add(ip(part, id, at, at + len < whole.length));
        }
        return out;
    }

    /** An Ethernet frame with an IPv4 header (no options) around {@code body}. */
    private static byte[] ip(byte[] body, int id, int offset, boolean more) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + body.length);
        b.put(new byte[]{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + body.length)).putShort((short) id)
                .putShort((short) ((more ? 0x2000 : 0) | offset / 8)).put((byte) 64).put((byte) 17).putShort((short) 0).put(SRC).put(DST);
        b.put(body);
        return b.array();
    }
}
