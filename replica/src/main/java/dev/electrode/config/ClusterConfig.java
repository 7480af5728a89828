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
 * A replica line may end with the replica's MAC address ({@code replica 10.0.0.1:12345
 * 02:00:00:00:00:01}), which the eBPF offloads need to address frames.
 */
public final class ClusterConfig {
    private final int f;
    private final List<InetSocketAddress> replicas;
    private final Map<InetSocketAddress, Integer> indexByAddress = new HashMap<>();
    private final List<byte[]> macs;

    public ClusterConfig(int f, List<InetSocketAddress> replicas) {
        this(f, replicas, java.util.Collections.nCopies(replicas.size(), null));
    }

    /** A configuration with each replica's MAC address (null entries where unknown). */
    public ClusterConfig(int f, List<InetSocketAddress> replicas, List<byte[]> macs) {
        if (f < 0) throw new IllegalArgumentException("f must be non-negative");
        if (replicas.size() != 2 * f + 1)
            throw new IllegalArgumentException("f " + f + " needs " + (2 * f + 1) + " replicas, got " + replicas.size());
        if (macs.size() != replicas.size()) throw new IllegalArgumentException("one MAC entry per replica");
        this.f = f;
        this.replicas = List.copyOf(replicas);
        this.macs = new ArrayList<>(macs);
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
        List<byte[]> macs = new ArrayList<>();
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
                    if (parts.length != 2 && parts.length != 3)
                        throw new ConfigException(where + "expected 'replica <host>:<port> [<mac>]', got '" + line + "'");
                    InetSocketAddress addr = parseAddress(where, parts[1]);
                    macs.add(parts.length == 3 ? parseMac(where, parts[2]) : null);
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
        return new ClusterConfig(f, replicas, macs);
    }

    private static byte[] parseMac(String where, String s) throws ConfigException {
        String[] p = s.split(":");
        if (p.length != 6) throw new ConfigException(where + "MAC address must be six hex bytes like 02:00:00:00:00:01, got '" + s + "'");
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (!p[i].matches("[0-9a-fA-F]{1,2}")) throw new ConfigException(where + "bad MAC address byte '" + p[i] + "' in '" + s + "'");
            mac[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return mac;
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
        for (int i = 0; i < replicas.size(); i++) {
            InetSocketAddress a = replicas.get(i);
            sb.append("replica ").append(a.getAddress().getHostAddress()).append(':').append(a.getPort());
            if (macs.get(i) != null) sb.append(' ').append(formatMac(macs.get(i)));
            sb.append('\n');
        }
        return sb.toString();
    }

    static String formatMac(byte[] mac) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < mac.length; i++) sb.append(i == 0 ? "" : ":").append(String.format("%02x", mac[i]));
        return sb.toString();
    }

    /** Replica {@code i}'s MAC address, or null if the configuration does not give it. */
    public byte[] mac(int i) { return macs.get(i) == null ? null : macs.get(i).clone(); }

    /**
     * An id of the cluster this configuration describes: a hash of f and the replicas' addresses
     * (not their MACs), which a data directory records so that it serves no other cluster.
     */
    public String id() {
        StringBuilder canonical = new StringBuilder("f " + f + "\n");
        for (InetSocketAddress a : replicas) canonical.append(a.getAddress().getHostAddress()).append(':').append(a.getPort()).append('\n');
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(h, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
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
