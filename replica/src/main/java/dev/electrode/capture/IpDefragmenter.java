package dev.electrode.capture;

import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.util.IpV4Helper;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds IPv4 datagrams from their fragments (a 9,000-byte wire-format datagram on a
 * 1,500-byte link arrives as six), with pcap4j's {@link IpV4Helper#defragment}. Bounded: at most
 * {@link #MAX_PENDING} datagrams wait for their missing fragments; beyond that the oldest is given up.
 */
final class IpDefragmenter {
    static final int MAX_PENDING = 1024;
    private static final int MORE_FRAGMENTS = 0x2000;
    private static final int OFFSET_MASK = 0x1fff;

    private record Key(int src, int dst, int id, int protocol) {}

    private static final class Pending {
        final List<IpV4Packet> pieces = new ArrayList<>();
        long covered;     // payload bytes received
        long total = -1;  // known once the last fragment arrived
    }

    private final Map<Key, Pending> pending = new java.util.LinkedHashMap<>();
    private int abandoned;

    /** True if the IPv4 header at {@code ip} in {@code raw} is one fragment of a larger datagram. */
    static boolean isFragment(java.nio.ByteBuffer raw, int ip) {
        int flagsOffset = raw.getShort(ip + 6) & 0xffff;
        return (flagsOffset & MORE_FRAGMENTS) != 0 || (flagsOffset & OFFSET_MASK) != 0;
    }

    /** Offers one fragment (the IPv4 packet at {@code ip}); returns the whole datagram's bytes from its IPv4 header on once complete. */
    byte[] offer(byte[] raw, int ip, int length) throws IllegalRawDataException {
        IpV4Packet p = IpV4Packet.newPacket(raw, ip, length);
        IpV4Packet.IpV4Header h = p.getHeader();
        Key key = new Key(java.nio.ByteBuffer.wrap(h.getSrcAddr().getAddress()).getInt(), java.nio.ByteBuffer.wrap(h.getDstAddr().getAddress()).getInt(),
                h.getIdentificationAsInt(), h.getProtocol().value() & 0xff);
        Pending q = pending.computeIfAbsent(key, k -> new Pending());
        int payload = p.getPayload() == null ? 0 : p.getPayload().length();
        q.pieces.add(p);
        q.covered += payload;
        if (!h.getMoreFragmentFlag()) q.total = (long) h.getFragmentOffset() * 8 + payload;
        if (pending.size() > MAX_PENDING) {
            Key oldest = pending.keySet().iterator().next();
            pending.remove(oldest);
            abandoned++;
        }
        if (q.total < 0 || q.covered < q.total) return null;
        pending.remove(key);
        return IpV4Helper.defragment(q.pieces).getRawData();
    }

    /** Datagrams whose fragments never all arrived (given up, or still waiting at the end). */
    int incomplete() { return abandoned + pending.size(); }
}
