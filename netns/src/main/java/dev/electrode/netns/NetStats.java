package dev.electrode.netns;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kernel counters as seen from inside a namespace: {@code /proc/net/snmp} (e.g. Udp
 * InDatagrams, OutDatagrams, RcvbufErrors, InCsumErrors) and {@code /proc/net/dev}. Read
 * through /proc/thread-self on the namespace's thread, since /proc/self/net shows the
 * namespace of the main thread.
 */
public final class NetStats {
    private NetStats() {}

    /** The counters of /proc/net/snmp in {@code ns}, keyed "Proto.Name", e.g. "Udp.InDatagrams". */
    public static Map<String, Long> snmp(NetNamespace ns) {
        return ns.call(() -> parseSnmp(Files.readAllLines(Path.of("/proc/thread-self/net/snmp"))));
    }

    static Map<String, Long> parseSnmp(List<String> lines) {
        Map<String, Long> out = new HashMap<>();
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            String[] names = lines.get(i).split("\\s+");
            String[] values = lines.get(i + 1).split("\\s+");
            if (!names[0].equals(values[0]) || names.length != values.length)
                throw new NetnsException("unexpected /proc/net/snmp layout at line " + (i + 1) + ": " + lines.get(i));
            String proto = names[0].substring(0, names[0].length() - 1);
            for (int k = 1; k < names.length; k++) out.put(proto + "." + names[k], Long.parseLong(values[k]));
        }
        return out;
    }

    /** Receive/transmit packet and byte counters of one interface, from /proc/net/dev. */
    public record DevCounters(long rxBytes, long rxPackets, long rxDropped, long txBytes, long txPackets, long txDropped) {}

    /** /proc/net/dev of {@code ns}, by interface name. */
    public static Map<String, DevCounters> dev(NetNamespace ns) {
        return ns.call(() -> {
            Map<String, DevCounters> out = new HashMap<>();
            List<String> lines = Files.readAllLines(Path.of("/proc/thread-self/net/dev"));
            for (String line : lines.subList(2, lines.size())) {
                int colon = line.indexOf(':');
                String name = line.substring(0, colon).strip();
                String[] v = line.substring(colon + 1).strip().split("\\s+");
                out.put(name, new DevCounters(Long.parseLong(v[0]), Long.parseLong(v[1]), Long.parseLong(v[3]),
                        Long.parseLong(v[8]), Long.parseLong(v[9]), Long.parseLong(v[11])));
            }
            return out;
        });
    }

}
