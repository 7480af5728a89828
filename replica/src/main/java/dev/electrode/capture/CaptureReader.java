package dev.electrode.capture;

import dev.electrode.wire.DecodeResult;
import dev.electrode.wire.FrameDecoder;
import dev.electrode.wire.WireFormat;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

import java.io.EOFException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * Reads a capture file (pcap or pcapng, through libpcap) and decodes every IPv4/UDP datagram
 * that carries the wire format's magic with the project's codec, reassembling fragments per
 * sender the way a replica does. IPv4 fragments are put back together first (as the receiving
 * kernel does). Other packets are only counted.
 */
public final class CaptureReader {
    private static final int ETHERNET_HEADER = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int IPV4_MIN_HEADER = 20;
    private static final int IPPROTO_UDP = 17;
    private static final int UDP_HEADER = 8;

    /**
     * The wire-format datagrams of a capture, in capture order; how many other packets it held; and how
     * many IPv4 datagrams lacked fragments (so could not be decoded).
     */
    public record Capture(Path file, List<CapturedDatagram> datagrams, int otherPackets, int incompleteIpDatagrams) {
        /** The unfragmented messages only (what the testbed's wire assertions count). */
        public List<WireFrame> messages() {
            List<WireFrame> out = new ArrayList<>();
            for (CapturedDatagram d : datagrams) if (d instanceof CapturedDatagram.Message m) out.add(m.frame());
            return out;
        }
    }

    private CaptureReader() {}

    /** Reads {@code file}; a capture cut off in its last record (still being written) is read up to that record. */
    public static Capture read(Path file) {
        if (!Files.isReadable(file)) throw new CaptureException("cannot read capture " + file + ": no such readable file");
        FrameDecoder decoder = new FrameDecoder();
        IpDefragmenter ip = new IpDefragmenter();
        List<CapturedDatagram> out = new ArrayList<>();
        int other = 0, packet = 0;
        try (PcapHandle h = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.NANO)) {
            while (true) {
                byte[] raw;
                try {
                    raw = h.getNextRawPacketEx();
                } catch (EOFException e) {
                    break;
                } catch (TimeoutException e) {
                    continue;
                } catch (PcapNativeException e) {
                    if (String.valueOf(e.getMessage()).contains("truncated dump file")) break;
                    throw e;
                }
                packet++;
                Timestamp t = h.getTimestamp();
                long nanos = t.getTime() / 1000 * 1_000_000_000L + t.getNanos();
                byte[] datagram = ipv4(raw);
                if (datagram != null && IpDefragmenter.isFragment(ByteBuffer.wrap(datagram), 0)) {
                    datagram = ip.offer(datagram, 0, datagram.length);
                    if (datagram == null) continue; // counted in incompleteIpDatagrams if it never completes
                }
                CapturedDatagram d = datagram == null ? null : decode(decoder, packet, datagram, nanos);
                if (d == null) other++;
                else out.add(d);
            }
        } catch (CaptureException e) {
            throw e;
        } catch (Exception | UnsatisfiedLinkError e) {
            throw new CaptureException("cannot read capture " + file + ": " + e
                    + (e instanceof UnsatisfiedLinkError ? " (libpcap is needed: apt-get install libpcap0.8)" : ""), e);
        }
        return new Capture(file, out, other, ip.incomplete());
    }

    /** The IPv4 packet of an Ethernet frame, or null for anything else. */
    private static byte[] ipv4(byte[] raw) {
        if (raw.length < ETHERNET_HEADER + IPV4_MIN_HEADER || (ByteBuffer.wrap(raw).getShort(12) & 0xffff) != ETHERTYPE_IPV4) return null;
        int total = ByteBuffer.wrap(raw).getShort(ETHERNET_HEADER + 2) & 0xffff;
        if (total < IPV4_MIN_HEADER || ETHERNET_HEADER + total > raw.length) return null; // cut off by the snap length
        return Arrays.copyOfRange(raw, ETHERNET_HEADER, ETHERNET_HEADER + total);
    }

    /** The decoding of a whole IPv4 datagram (number {@code packet} in the file), or null when it is not UDP with the wire format's magic. */
    private static CapturedDatagram decode(FrameDecoder decoder, int packet, byte[] ip, long nanos) {
        ByteBuffer b = ByteBuffer.wrap(ip);
        if (ip[9] != IPPROTO_UDP) return null;
        int udp = (ip[0] & 0x0f) * 4;
        if (ip.length < udp + UDP_HEADER) return null;
        int udpLen = b.getShort(udp + 4) & 0xffff;
        if (udpLen < UDP_HEADER + 4 || udp + udpLen > ip.length) return null;
        int payload = udp + UDP_HEADER, payloadLen = udpLen - UDP_HEADER;
        ByteBuffer data = ByteBuffer.wrap(ip, payload, payloadLen).slice().order(ByteOrder.LITTLE_ENDIAN);
        int magic = data.getInt(0);
        if (magic != WireFormat.NONFRAG_MAGIC && magic != WireFormat.FRAG_MAGIC) return null;

        Inet4Address src = address(ip, 12), dst = address(ip, 16);
        int srcPort = b.getShort(udp) & 0xffff, dstPort = b.getShort(udp + 2) & 0xffff;
        long micros = nanos / 1000;
        // Reassembly is keyed by the sender's address and port, as on a replica's socket.
        DecodeResult r = decoder.decode(src.getHostAddress() + ":" + srcPort, data.duplicate(), nanos);
        if (r instanceof DecodeResult.Rejected rej)
            return new CapturedDatagram.Rejected(packet, micros, src, srcPort, dst, dstPort, rej.error());
        WireFrame completed = r instanceof DecodeResult.Decoded d ? new WireFrame(micros, src, srcPort, dst, dstPort, d.frame()) : null;
        if (magic == WireFormat.NONFRAG_MAGIC) return new CapturedDatagram.Message(packet, completed);
        // The codec accepted the fragment, so its header is whole: magic, u64 id, u64 start, u64 total.
        return new CapturedDatagram.Fragment(packet, micros, src, srcPort, dst, dstPort, data.getLong(4), data.getLong(12),
                payloadLen - WireFormat.FRAG_HEADER_LEN, data.getLong(20), completed);
    }

    private static Inet4Address address(byte[] raw, int at) {
        try {
            return (Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(raw, at, at + 4));
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an IPv4 address", e);
        }
    }
}
