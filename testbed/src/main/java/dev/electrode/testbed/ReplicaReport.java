package dev.electrode.testbed;

import dev.electrode.bpf.Counter;
import dev.electrode.cli.ReplicaRunner;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a replica says of itself at one moment, the same for every kind of replica: asked directly
 * in this JVM, or read from the report line a process prints on SIGHUP ({@link ReplicaRunner}).
 */
public record ReplicaReport(int index, int number, String status, long view, int leader, long lastOp, long commit, String digest,
                            Map<Counter, Long> bpf, String counters) {
    private static final Pattern BPF = Pattern.compile(" bpf \\{([^}]*)}");

    /** The value of a kernel counter (0 when the offloads are off or it never counted). */
    public long bpf(Counter c) { return bpf.getOrDefault(c, 0L); }

    /** The value of a protocol counter by its name in the counters line ({@code staleStAnswered}, ...). */
    public long counter(String name) {
        Matcher m = Pattern.compile("(?:^| )" + Pattern.quote(name) + "=(\\d+)").matcher(counters);
        if (!m.find()) throw new IllegalArgumentException("no counter " + name + " in: " + counters);
        return Long.parseLong(m.group(1));
    }

    /** The report on {@code line}, or null if the line is not a report. */
    static ReplicaReport parse(String line) {
        Matcher m = ReplicaRunner.REPORT_PATTERN.matcher(line);
        if (!m.find()) return null;
        Map<Counter, Long> bpf = new EnumMap<>(Counter.class);
        Matcher b = BPF.matcher(m.group(9));
        if (b.find() && !b.group(1).isBlank()) {
            for (String kv : b.group(1).split(",\\s*")) {
                String[] f = kv.split("=");
                bpf.put(Counter.valueOf(f[0].strip()), Long.parseLong(f[1].strip()));
            }
        }
        return new ReplicaReport(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), m.group(3), Long.parseLong(m.group(4)),
                Integer.parseInt(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7)), m.group(8),
                Collections.unmodifiableMap(bpf), m.group(9));
    }
}
