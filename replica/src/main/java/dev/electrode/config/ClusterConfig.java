package dev.electrode.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster membership in the reference text format (SPEC section 2):
 * <pre>
 * f 1
 * replica 10.0.0.1:12345
 * replica 10.0.0.2:12345
 * replica 10.0.0.3:12345
 * </pre>
 * Blank lines and lines starting with '#' are ignored. Replica i is the i-th replica line.
 */
public final class ClusterConfig {
    private final int f;
    private final List<InetSocketAddress> replicas;
    private final Map<InetSocketAddress, Integer> indexByAddress = new HashMap<>();

    public ClusterConfig(int f, List<InetSocketAddress> replicas) {
        if (f < 0) throw new IllegalArgumentException("f must be non-negative");
        if (replicas.size() != 2 * f + 1)
            throw new IllegalArgumentException("f " + f + " needs " + (2 * f + 1) + " replicas, got " + replicas.size());
        this.f = f;
        this.replicas = List.copyOf(replicas);
        for (int i = 0; i < replicas.size(); i++) {
            if (indexByAddress.put(replicas.get(i), i) != null)
                throw new IllegalArgumentException("replica address " + replicas.get(i) + " appears twice");
        }
    }

    /** Parses a configuration file. */
    public static ClusterConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    /** Parses configuration text; {@code source} names it in errors. */
    public static ClusterConfig parse(String source, String text) throws ConfigException {
        Integer f = null;
        int fLine = 0;
        List<InetSocketAddress> replicas = new ArrayList<>();
        Map<InetSocketAddress, Integer> seen = new HashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] parts = line.split("\\s+");
            String where = source + ":" + lineNo + ": ";
            switch (parts[0]) {
                case "f" -> {
                    if (parts.length != 2) throw new ConfigException(where + "expected 'f <number>', got '" + line + "'");
                    if (f != null) throw new ConfigException(where + "'f' given twice (first on line " + fLine + ")");
                    try {
                        f = Integer.parseInt(parts[1]);
                    } catch (NumberFormatException e) {
                        throw new ConfigException(where + "f must be a number, got '" + parts[1] + "'");
                    }
                    if (f < 0) throw new ConfigException(where + "f must be non-negative, got " + f);
                    fLine = lineNo;
                }
                case "replica" -> {
                    if (parts.length != 2) throw new ConfigException(where + "expected 'replica <host>:<port>', got '" + line + "'");
                    InetSocketAddress addr = parseAddress(where, parts[1]);
                    Integer dup = seen.put(addr, lineNo);
                    if (dup != null) throw new ConfigException(where + "replica " + parts[1] + " already listed on line " + dup);
                    replicas.add(addr);
                }
                default -> throw new ConfigException(where + "unknown directive '" + parts[0] + "' (expected 'f' or 'replica')");
            }
        }
        if (f == null) throw new ConfigException(source + ": missing 'f <number>' line");
        if (replicas.size() != 2 * f + 1)
            throw new ConfigException(source + ":" + fLine + ": f " + f + " needs " + (2 * f + 1)
                    + " replica lines, found " + replicas.size());
        return new ClusterConfig(f, replicas);
    }

    private static InetSocketAddress parseAddress(String where, String s) throws ConfigException {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) throw new ConfigException(where + "expected <host>:<port>, got '" + s + "'");
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(where + "port must be a number, got '" + s.substring(colon + 1) + "'");
        }
        if (port < 1 || port > 65535) throw new ConfigException(where + "port " + port + " out of range 1..65535");
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ConfigException(where + "cannot resolve host '" + host + "'");
        }
    }

    /** The text form of this configuration (parses back to an equal one). */
    public String toText() {
        StringBuilder sb = new StringBuilder("f ").append(f).append('\n');
        for (InetSocketAddress a : replicas) sb.append("replica ").append(a.getAddress().getHostAddress()).append(':').append(a.getPort()).append('\n');
        return sb.toString();
    }

    public int f() { return f; }
    public int size() { return replicas.size(); }
    public InetSocketAddress replica(int i) { return replicas.get(i); }
    public List<InetSocketAddress> replicas() { return replicas; }

    /** Index of the replica at {@code addr}, or -1 for any other sender (a client). */
    public int indexOf(InetSocketAddress addr) {
        Integer i = indexByAddress.get(addr);
        return i == null ? -1 : i;
    }
}
