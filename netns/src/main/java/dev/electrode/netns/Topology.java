package dev.electrode.netns;

import java.net.Inet4Address;
import java.util.List;

/**
 * Hosts joined by a switch on one IPv4 subnet, whoever built them: namespaces and a bridge
 * ({@link StarTopology}) or containers on a Docker network. Closing it removes what it created.
 */
public interface Topology extends AutoCloseable {
    /**
     * One host: its namespace, interface, address and MAC, and the name of the switch-side end of
     * its link in {@link #switchNamespace()}.
     */
    record Host(int index, NetNamespace ns, String ifname, Inet4Address address, byte[] mac, String switchPort) {}

    /** The subnet's broadcast address (the captures' start-up probe goes there). */
    Inet4Address broadcast();

    /** The namespace that holds the switch side of every host's link. */
    NetNamespace switchNamespace();

    /** The bridge in {@link #switchNamespace()} that joins the hosts' links. */
    String bridge();

    List<Host> hosts();

    default Host host(int i) { return hosts().get(i); }

    /** Sets the MTU of every link. */
    void setMtu(int mtu);

    @Override
    void close();
}
