package dev.electrode.netns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The shape of an Electrode deployment: a "switch" namespace holding a bridge, and one
 * namespace per host joined to it by a veth pair (host side "eth0", switch side "p<i>"),
 * all on one IPv4 /24. Every veth end carries and verifies full checksums, as a NIC on a wire
 * would ({@link Links#checksumsInFrames}). Closing it deletes every namespace.
 */
public final class StarTopology implements Topology {
    private final NetNamespace sw;
    private final List<Host> hosts = new ArrayList<>();
    private Inet4Address broadcast;

    private StarTopology(NetNamespace sw) { this.sw = sw; }

    /**
     * Builds a star of {@code hosts} hosts with addresses {@code subnetPrefix.(10+i)}, e.g.
     * subnet "10.77.0" gives 10.77.0.10, 10.77.0.11, ...
     */
    public static StarTopology create(String label, int hostCount, String subnetPrefix) {
        Names.sweepLeftovers();
        StarTopology t = new StarTopology(NetNamespace.create(Names.namespace(label + "-sw")));
        try {
            // A plain L2 switch: bridged frames must not go through netfilter (conntrack) here.
            t.sw.run(() -> {
                for (String f : new String[] {"iptables", "ip6tables", "arptables"}) {
                    java.nio.file.Path p = java.nio.file.Path.of("/proc/sys/net/bridge/bridge-nf-call-" + f);
                    if (java.nio.file.Files.exists(p)) java.nio.file.Files.writeString(p, "0");
                }
            });
            Links.bridge(t.sw, "br0");
            t.broadcast = (Inet4Address) InetAddress.getByName(subnetPrefix + ".255");
            for (int i = 0; i < hostCount; i++) {
                NetNamespace ns = NetNamespace.create(Names.namespace(label + "-h" + i));
                String port = "p" + i;
                Links.veth(ns, "eth0", t.sw, port);
                Links.checksumsInFrames(ns, "eth0");
                Links.checksumsInFrames(t.sw, port);
                Links.attachToBridge(t.sw, port, "br0");
                Links.up(t.sw, port);
                String ip = subnetPrefix + "." + (10 + i);
                Links.address(ns, "eth0", ip + "/24");
                Links.up(ns, "eth0");
                t.hosts.add(new Host(i, ns, "eth0", (Inet4Address) InetAddress.getByName(ip), ns.mac("eth0"), port));
            }
            return t;
        } catch (RuntimeException | UnknownHostException e) {
            t.close();
            throw e instanceof RuntimeException r ? r : new NetnsException(e.getMessage(), e);
        }
    }

    /** Sets the MTU of every link: both ends of each host's veth and the bridge. */
    @Override
    public void setMtu(int mtu) {
        for (Host h : hosts) {
            Links.mtu(h.ns(), h.ifname(), mtu);
            Links.mtu(sw, h.switchPort(), mtu);
        }
        Links.mtu(sw, "br0", mtu);
    }

    @Override
    public Inet4Address broadcast() { return broadcast; }

    @Override
    public String bridge() { return "br0"; }

    @Override
    public NetNamespace switchNamespace() { return sw; }

    @Override
    public List<Host> hosts() { return hosts; }

    @Override
    public void close() {
        Teardown t = new Teardown();
        for (Host h : hosts) t.step(h.ns()::close);
        t.step(sw::close).done();
    }
}
