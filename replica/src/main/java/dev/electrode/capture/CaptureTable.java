package dev.electrode.capture;

import java.util.List;

/** Formats captured datagrams as an aligned table, one line per datagram. */
public final class CaptureTable {
    /** The column heads that {@link WireFrame#toString()} lines up under. */
    public static final String HEADER = String.format("%10s  %21s    %21s  %-22s", "time (us)", "source", "destination", "type");
    private static final String NUMBERED_HEADER = String.format("%7s %s", "packet", HEADER);

    private CaptureTable() {}

    /** Every datagram of {@code capture}, times relative to the first, with a summary line. */
    public static String format(CaptureReader.Capture capture) {
        List<CapturedDatagram> all = capture.datagrams();
        long base = all.isEmpty() ? 0 : all.get(0).timeMicros();
        StringBuilder sb = new StringBuilder(NUMBERED_HEADER).append('\n');
        for (CapturedDatagram d : all) sb.append(String.format("%7d ", d.packet())).append(line(d, base)).append('\n');
        long messages = all.stream().filter(d -> d instanceof CapturedDatagram.Message).count();
        long fragments = all.stream().filter(d -> d instanceof CapturedDatagram.Fragment).count();
        long reassembled = all.stream().filter(d -> d instanceof CapturedDatagram.Fragment f && f.completed() != null).count();
        long rejected = all.stream().filter(d -> d instanceof CapturedDatagram.Rejected).count();
        sb.append(String.format("%s: %d messages, %d fragments (%d messages reassembled), %d rejected, %d other packets, "
                        + "%d IPv4 datagrams missing fragments%n", capture.file().getFileName(), messages, fragments, reassembled, rejected,
                capture.otherPackets(), capture.incompleteIpDatagrams()));
        return sb.toString();
    }

    /** One datagram as a table line, its time relative to {@code baseMicros}. */
    public static String line(CapturedDatagram d, long baseMicros) {
        if (d instanceof CapturedDatagram.Message m) return m.frame().line(baseMicros);
        if (d instanceof CapturedDatagram.Fragment f) {
            String head = String.format("%10d  %15s:%-5d -> %15s:%-5d  %-22s id %d bytes %d..%d of %d", f.timeMicros() - baseMicros,
                    f.src().getHostAddress(), f.srcPort(), f.dst().getHostAddress(), f.dstPort(), "FRAGMENT", f.messageId(), f.start(),
                    f.start() + f.length(), f.total());
            return f.completed() == null ? head : head + "\n" + String.format("%7s ", "") + f.completed().line(baseMicros) + "  (reassembled)";
        }
        CapturedDatagram.Rejected r = (CapturedDatagram.Rejected) d;
        return String.format("%10d  %15s:%-5d -> %15s:%-5d  %-22s %s", r.timeMicros() - baseMicros, r.src().getHostAddress(), r.srcPort(),
                r.dst().getHostAddress(), r.dstPort(), "REJECTED", r.error());
    }
}
