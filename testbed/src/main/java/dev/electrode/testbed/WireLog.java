package dev.electrode.testbed;

import dev.electrode.wire.DecodeResult;
import dev.electrode.wire.FrameDecoder;
import dev.electrode.wire.MessageType;
import org.pcap4j.core.PcapHandle;

import java.io.EOFException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The decoded frames of a capture, with filters (type, source, destination, view, opnum),
 * counts and ordering checks whose failures print a readable table of the frames.
 */
public final class WireLog {
    private final List<WireFrame> frames;
    private final String description;

    WireLog(List<WireFrame> frames, String description) {
        this.frames = List.copyOf(frames);
        this.description = description;
    }

    /** Reads a .pcap file (Ethernet/IPv4/UDP); datagrams that are not frames of the wire format are skipped. */
    public static WireLog read(Path pcap) {
        List<WireFrame> out = new ArrayList<>();
        try (PcapHandle h = org.pcap4j.core.Pcaps.openOffline(pcap.toString())) {
            while (true) {
                byte[] raw;
                try {
                    raw = h.getNextRawPacketEx();
                } catch (EOFException e) {
                    break;
                } catch (java.util.concurrent.TimeoutException e) {
                    continue;
                } catch (org.pcap4j.core.PcapNativeException e) {
                    // A capture still being written may end in a partly written record: read up to it.
                    if (String.valueOf(e.getMessage()).contains("truncated dump file")) break;
                    throw e;
                }
                long ts = h.getTimestamp().getTime() * 1000 + (h.getTimestamp().getNanos() / 1000) % 1000;
                WireFrame f = decode(raw, ts);
                if (f != null) out.add(f);
            }
        } catch (Exception e) {
            throw new TestbedException("cannot read capture " + pcap + ": " + e, e);
        }
        return new WireLog(out, pcap.getFileName().toString());
    }

    private static WireFrame decode(byte[] raw, long ts) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (raw.length < 14 + 20 + 8 || b.getShort(12) != 0x0800 || raw[14 + 9] != 17) return null;
        int ihl = (raw[14] & 0x0f) * 4;
        int udp = 14 + ihl;
        if (raw.length < udp + 8) return null;
        int udpLen = b.getShort(udp + 4) & 0xffff;
        if (udpLen < 8 || udp + udpLen > raw.length) return null;
        DecodeResult r = FrameDecoder.decodeStandalone(ByteBuffer.wrap(raw, udp + 8, udpLen - 8));
        if (!(r instanceof DecodeResult.Decoded d)) return null;
        try {
            Inet4Address src = (Inet4Address) InetAddress.getByAddress(java.util.Arrays.copyOfRange(raw, 14 + 12, 14 + 16));
            Inet4Address dst = (Inet4Address) InetAddress.getByAddress(java.util.Arrays.copyOfRange(raw, 14 + 16, 14 + 20));
            return new WireFrame(ts, src, b.getShort(udp) & 0xffff, dst, b.getShort(udp + 2) & 0xffff, d.frame());
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    public List<WireFrame> frames() { return frames; }

    public int count() { return frames.size(); }

    private WireLog filter(Predicate<WireFrame> p, String what) {
        return new WireLog(frames.stream().filter(p).collect(Collectors.toList()), description + ", " + what);
    }

    public WireLog ofType(MessageType t) { return filter(f -> f.type() == t, t.name()); }

    public WireLog from(InetAddress a) { return filter(f -> f.src().equals(a), "from " + a.getHostAddress()); }

    public WireLog to(InetAddress a) { return filter(f -> f.dst().equals(a), "to " + a.getHostAddress()); }

    public WireLog withView(long v) { return filter(f -> f.view() == v, "view " + v); }

    public WireLog withOpnum(long op) { return filter(f -> f.opnum() == op, "opnum " + op); }

    public WireLog where(Predicate<WireFrame> p, String what) { return filter(p, what); }

    /** The frames as an aligned table, one per line. */
    public String table() { return table(400); }

    /** Every frame, one per line (for failure bundles). */
    public String fullTable() { return table(Integer.MAX_VALUE); }

    private String table(int limit) {
        StringBuilder sb = new StringBuilder(description + " (" + frames.size() + " frames):\n");
        sb.append(String.format("%10s  %21s    %21s  %-22s%n", "time (us)", "source", "destination", "type"));
        frames.stream().limit(limit).forEach(f -> sb.append(f).append('\n'));
        if (frames.size() > limit) sb.append("... ").append(frames.size() - limit).append(" more\n");
        return sb.toString();
    }

    /** Fails with the table unless exactly {@code n} frames are left. */
    public WireLog assertCount(int n, String what) {
        if (frames.size() != n) throw new AssertionError(what + ": expected " + n + " frames, found " + frames.size() + "\n" + table());
        return this;
    }

    /** Fails with the table unless at least {@code n} frames are left. */
    public WireLog assertAtLeast(int n, String what) {
        if (frames.size() < n) throw new AssertionError(what + ": expected at least " + n + " frames, found " + frames.size() + "\n" + table());
        return this;
    }

    /** Fails with the table unless every frame matching {@code first} comes before every frame matching {@code then}. */
    public WireLog assertOrder(Predicate<WireFrame> first, Predicate<WireFrame> then, String what) {
        int lastFirst = -1, firstThen = Integer.MAX_VALUE;
        for (int i = 0; i < frames.size(); i++) {
            if (first.test(frames.get(i))) lastFirst = i;
            if (then.test(frames.get(i)) && firstThen == Integer.MAX_VALUE) firstThen = i;
        }
        if (lastFirst > firstThen) throw new AssertionError(what + ": out of order at frame " + firstThen + "\n" + table());
        return this;
    }
}
