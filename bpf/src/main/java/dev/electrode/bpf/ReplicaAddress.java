package dev.electrode.bpf;

import java.net.Inet4Address;

/** struct electrode_replica: where a replica receives (its IPv4 address, UDP port and MAC). */
public record ReplicaAddress(Inet4Address ip, int port, byte[] mac) {
    public ReplicaAddress {
        if (mac.length != 6) throw new IllegalArgumentException("a MAC address has 6 bytes, got " + mac.length);
        if (port < 1 || port > 65535) throw new IllegalArgumentException("bad port " + port);
    }
}
