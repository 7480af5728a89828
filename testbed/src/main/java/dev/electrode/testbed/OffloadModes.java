package dev.electrode.testbed;

import dev.electrode.bpf.Offload;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The offload modes benchmarks and campaigns run: plain VR, each offload alone, and all three. */
public final class OffloadModes {
    private OffloadModes() {}

    /** Mode name to the offloads it runs, in the order the commands list them. */
    public static final Map<String, List<Offload>> MODES;
    static {
        Map<String, List<Offload>> m = new LinkedHashMap<>();
        m.put("plain", List.of());
        m.put("broadcast", List.of(Offload.BROADCAST));
        m.put("fast-ack", List.of(Offload.FAST_ACK));
        m.put("quorum-prune", List.of(Offload.QUORUM_PRUNE));
        m.put("all", List.of(Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE));
        MODES = Collections.unmodifiableMap(m);
    }

    /** The error for the first name in {@code names} that is no mode, or null if all are. */
    public static String unknown(List<String> names) {
        for (String n : names) if (!MODES.containsKey(n)) return "unknown mode '" + n + "' (" + String.join(", ", MODES.keySet()) + ")";
        return null;
    }
}
