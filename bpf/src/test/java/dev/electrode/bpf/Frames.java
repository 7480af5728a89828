package dev.electrode.bpf;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.FrameEncoder;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.PrepareMessage;
import dev.electrode.wire.proto.PrepareOKMessage;
import dev.electrode.wire.proto.Request;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds Ethernet/IPv4/UDP test frames around payloads from the wire codec (public for the JMH ring-drain benchmark). */
public final class Frames {
    public static final int PORT = 12345;
    static final int ETH = 14, IP = 20, UDP = 8;

    private Frames() {}

    public static byte[] mac(int i) { return new byte[] {0x02, 0x00, 0x00, 0x00, 0x00, (byte) (0x10 + i)}; }

    public static byte[] ip(int i) { return new byte[] {10, 99, 0, (byte) (10 + i)}; }

    /** Parameters of the IPv4 header. */
    record IpOpts(int id, int flagsFrag, byte[] options, int ttl) {
        static final IpOpts DEFAULT = new IpOpts(0x1234, 0x4000, new byte[0], 64);

        IpOpts withId(int newId) { return new IpOpts(newId, flagsFrag, options, ttl); }
    }

    /** A frame from replica {@code from} to replica {@code to} carrying {@code payload}. */
    static byte[] frame(int from, int to, int sport, int dport, byte[] payload, IpOpts o) {
        return frame(mac(from), ip(from), sport, mac(to), ip(to), dport, payload, o);
    }

    /** An Ethernet/IPv4/UDP frame between explicit addresses, with correct IPv4 and UDP checksums. */
    public static byte[] frame(byte[] srcMac, byte[] srcIp, int sport, byte[] dstMac, byte[] dstIp, int dport, byte[] payload) {
        return frame(srcMac, srcIp, sport, dstMac, dstIp, dport, payload, IpOpts.DEFAULT);
    }

    private static byte[] frame(byte[] srcMac, byte[] srcIp, int sport, byte[] dstMac, byte[] dstIp, int dport, byte[] payload, IpOpts o) {
        int ipLen = IP + o.options().length;
        ByteBuffer b = ByteBuffer.allocate(ETH + ipLen + UDP + payload.length).order(ByteOrder.BIG_ENDIAN);
        b.put(dstMac).put(srcMac).putShort((short) 0x0800);
        b.put((byte) (0x40 | (ipLen / 4))).put((byte) 0).putShort((short) (ipLen + UDP + payload.length))
                .putShort((short) o.id()).putShort((short) o.flagsFrag()).put((byte) o.ttl()).put((byte) 17)
                .putShort((short) 0).put(srcIp).put(dstIp).put(o.options());
        b.putShort((short) sport).putShort((short) dport).putShort((short) (UDP + payload.length)).putShort((short) 0);
        b.put(payload);
        byte[] f = b.array();
        setIpChecksum(f);
        setUdpChecksum(f);
        return f;
    }

    /** RFC 768 over the pseudo-header and the UDP datagram (checksum field taken as zero), written independently of the programs. */
    static int udpChecksum(byte[] f) {
        int ipLen = (f[ETH] & 0x0f) * 4;
        int udp = ETH + ipLen;
        int udpLen = ((f[udp + 4] & 0xff) << 8) | (f[udp + 5] & 0xff);
        long sum = 0;
        for (int i = 0; i < 8; i += 2) sum += ((f[ETH + 12 + i] & 0xff) << 8) | (f[ETH + 12 + i + 1] & 0xff); // addresses
        sum += 17 + udpLen;
        for (int i = 0; i < udpLen; i += 2) {
            if (i == 6) continue; // the checksum field itself
            int hi = f[udp + i] & 0xff;
            int lo = i + 1 < udpLen ? f[udp + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        int c = (int) (~sum & 0xffff);
        return c == 0 ? 0xffff : c;
    }

    static void setUdpChecksum(byte[] f) {
        int udp = ETH + (f[ETH] & 0x0f) * 4;
        int c = udpChecksum(f);
        f[udp + 6] = (byte) (c >> 8);
        f[udp + 7] = (byte) c;
    }

    static int storedUdpChecksum(byte[] f) {
        int udp = ETH + (f[ETH] & 0x0f) * 4;
        return ((f[udp + 6] & 0xff) << 8) | (f[udp + 7] & 0xff);
    }

    static byte[] frame(int from, int to, byte[] payload) {
        return frame(from, to, PORT, PORT, payload, IpOpts.DEFAULT);
    }

    /** RFC 1071 over the IPv4 header, written independently of the programs' code. */
    static int ipChecksum(byte[] f) {
        int ipLen = (f[ETH] & 0x0f) * 4;
        long sum = 0;
        for (int i = 0; i < ipLen; i += 2) {
            if (i == 10) continue; // the checksum field itself
            sum += ((f[ETH + i] & 0xff) << 8) | (f[ETH + i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (int) (~sum & 0xffff);
    }

    static void setIpChecksum(byte[] f) {
        int c = ipChecksum(f);
        f[ETH + 10] = (byte) (c >> 8);
        f[ETH + 11] = (byte) c;
    }

    static int storedIpChecksum(byte[] f) { return ((f[ETH + 10] & 0xff) << 8) | (f[ETH + 11] & 0xff); }

    static Request request(int i, int size) {
        return Request.newBuilder().setOp(ByteString.copyFrom(new byte[size])).setClientid(77).setClientreqid(i).build();
    }

    public static PrepareMessage prepare(long view, long start, long end, int opSize) {
        PrepareMessage.Builder b = PrepareMessage.newBuilder().setView(view).setOpnum(end).setBatchstart(start);
        for (long i = start; i <= end; i++) b.addRequest(request((int) i, opSize));
        return b.build();
    }

    static byte[] payload(MessageType t, Message m, FastMeta meta) { return FrameEncoder.encode(t, m, meta); }

    /** A Prepare to replica {@code to} from the leader of its view in a cluster of three (replica view % 3). */
    public static byte[] prepareFrame(int to, PrepareMessage p, boolean broadcastBit) {
        return prepareFrame((int) (p.getView() % 3), to, p, broadcastBit);
    }

    /** A Prepare from replica {@code from} to replica {@code to}. */
    public static byte[] prepareFrame(int from, int to, PrepareMessage p, boolean broadcastBit) {
        FastMeta meta = FastMeta.forMessage(MessageType.PREPARE, p);
        if (broadcastBit) meta = meta.withBroadcastBit();
        return frame(from, to, payload(MessageType.PREPARE, p, meta));
    }

    /** A PrepareOK (protobuf, or the kernel's MyPrepareOK) from replica {@code from} to the leader 0. */
    static byte[] ackFrame(int from, long view, long opnum, boolean kernelMade) {
        return ackFrame(from, 0, view, opnum, kernelMade);
    }

    /** A PrepareOK (protobuf, or the kernel's MyPrepareOK) from replica {@code from} to replica {@code to}. */
    static byte[] ackFrame(int from, int to, long view, long opnum, boolean kernelMade) {
        PrepareOKMessage ok = PrepareOKMessage.newBuilder().setView(view).setOpnum(opnum).setReplicaIdx(from).build();
        MessageType t = kernelMade ? MessageType.MY_PREPARE_OK : MessageType.PREPARE_OK;
        return frame(from, to, payload(t, ok, FastMeta.forMessage(t, ok)));
    }

    /** The MyPrepareOK frame replica {@code me} must send to leader {@code leader} in answer to {@code request}. */
    static byte[] expectedMyPrepareOk(byte[] request, int me, int leader, long view, long opnum) {
        PrepareOKMessage ok = PrepareOKMessage.newBuilder().setView(view).setOpnum(opnum).setReplicaIdx(me).build();
        byte[] payload = payload(MessageType.MY_PREPARE_OK, ok, FastMeta.forMessage(MessageType.MY_PREPARE_OK, ok));
        int id = ((request[ETH + 4] & 0xff) << 8) | (request[ETH + 5] & 0xff);
        int flagsFrag = ((request[ETH + 6] & 0xff) << 8) | (request[ETH + 7] & 0xff);
        byte[] f = frame(me, leader, PORT, PORT, payload, new IpOpts(id, flagsFrag, new byte[0], 64));
        f[ETH + 1] = request[ETH + 1]; // TOS is kept
        setIpChecksum(f);
        return f;
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length; i++) sb.append(String.format("%02x", b[i])).append(i % 16 == 15 ? "\n" : " ");
        return sb.toString();
    }
}
