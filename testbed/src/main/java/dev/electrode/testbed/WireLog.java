package dev.electrode.testbed;

import dev.electrode.capture.CaptureException;
import dev.electrode.capture.CaptureReader;
import dev.electrode.capture.CaptureTable;
import dev.electrode.capture.WireFrame;
import dev.electrode.wire.MessageType;

import java.net.InetAddress;
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

    /** Reads a .pcap file (Ethernet/IPv4/UDP): its unfragmented wire-format messages; other datagrams are skipped. */
    public static WireLog read(Path pcap) {
        try {
            return new WireLog(CaptureReader.read(pcap).messages(), pcap.getFileName().toString());
        } catch (CaptureException e) {
            throw new TestbedException(e.getMessage(), e);
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
        sb.append(CaptureTable.HEADER).append('\n');
        long base = frames.isEmpty() ? 0 : frames.get(0).timeMicros();
        frames.stream().limit(limit).forEach(f -> sb.append(f.line(base)).append('\n'));
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
