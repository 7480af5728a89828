package dev.electrode.netns;

/** Link-level building blocks: veth pairs, bridges, addresses. */
public final class Links {
    private Links() {}

    /** Creates a veth pair: {@code a} in namespace {@code nsA}, {@code b} in {@code nsB}; both stay down. */
    public static void veth(NetNamespace nsA, String a, NetNamespace nsB, String b) {
        nsA.ip("link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB.name());
    }

    /** Creates a bridge and brings it up. */
    public static void bridge(NetNamespace ns, String name) {
        ns.ip("link", "add", name, "type", "bridge");
        ns.ip("link", "set", name, "up");
    }

    /** Makes {@code port} a port of {@code bridge}. */
    public static void attachToBridge(NetNamespace ns, String port, String bridge) {
        ns.ip("link", "set", port, "master", bridge);
    }

    /** Assigns an IPv4 address with prefix length, e.g. "10.77.0.2/24". */
    public static void address(NetNamespace ns, String ifname, String cidr) {
        ns.ip("addr", "add", cidr, "dev", ifname);
    }

    public static void up(NetNamespace ns, String ifname) { ns.ip("link", "set", ifname, "up"); }

    public static void down(NetNamespace ns, String ifname) { ns.ip("link", "set", ifname, "down"); }

    /** Sets the MAC address of an interface, e.g. "02:00:00:00:00:01". */
    public static void mac(NetNamespace ns, String ifname, String mac) {
        ns.ip("link", "set", ifname, "address", mac);
    }

    /**
     * Makes a veth end behave like a real NIC's checksumming: the sender's stack writes the full
     * UDP/TCP checksum into the frame (no offload to a NIC that a veth does not have), and the
     * receiver's stack verifies it rather than trusting the peer. Then a frame corrupted on the
     * way is caught by the receiver, as on a wire, and eBPF programs see complete checksums.
     */
    public static void checksumsInFrames(NetNamespace ns, String ifname) {
        try {
            Commands.run(java.util.List.of("ip", "netns", "exec", ns.name(), "ethtool", "-K", ifname, "tx", "off", "rx", "off"));
        } catch (NetnsException e) {
            throw new NetnsException("cannot turn off checksum offload on " + ifname + " in " + ns.name()
                    + " (needs ethtool: run ci/setup-host.sh): " + e.getMessage(), e);
        }
    }

    /** Sets the MTU of an interface. */
    public static void mtu(NetNamespace ns, String ifname, int mtu) {
        ns.ip("link", "set", ifname, "mtu", Integer.toString(mtu));
    }
}
