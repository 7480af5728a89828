package dev.electrode.testbed.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ContainerNetwork;
import dev.electrode.netns.Links;
import dev.electrode.netns.Names;
import dev.electrode.netns.NetNamespace;
import dev.electrode.netns.Teardown;
import dev.electrode.netns.Topology;
import dev.electrode.testbed.TestbedException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hosts as containers on a Docker network (a Testcontainers {@link Network}, a bridge in this
 * machine's root namespace). Each host container only holds its network namespace (it sleeps);
 * replicas run in containers that share it ({@link ContainerProcess}), so a replica can crash and
 * restart while the host, its address and its captures stay. Each host's namespace is also named
 * here ({@code ip netns attach}), so the testbed captures, reads counters and runs the client
 * inside it as it does with plain namespaces; the switch side of each link is the host-side veth
 * end on the Docker bridge, in the root namespace.
 */
public final class ContainerTopology implements Topology {
    private final DockerClient docker;
    private final String image;
    private final Network network;
    private final List<GenericContainer<?>> containers = new ArrayList<>();
    private final List<Host> hosts = new ArrayList<>();
    private final NetNamespace root;
    private String bridge;
    private Inet4Address broadcast;

    private ContainerTopology(DockerClient docker, String image, Network network, NetNamespace root) {
        this.docker = docker;
        this.image = image;
        this.network = network;
        this.root = root;
    }

    /** Starts {@code hostCount} host containers of {@code image} on a new network; {@code label} goes into names. */
    public static ContainerTopology create(DockerClient docker, String image, String label, int hostCount) {
        Docker.sweepLeftovers(docker);
        Names.sweepLeftovers();
        String name = Names.namespace(label);
        Network network = Network.builder().driver("bridge")
                .createNetworkCmdModifier(cmd -> cmd.withName(name).withLabels(Docker.labels())).build();
        ContainerTopology t = new ContainerTopology(docker, image, network,
                NetNamespace.attach(Names.namespace(label + "-root"), ProcessHandle.current().pid()));
        try {
            t.bridge = "br-" + network.getId().substring(0, 12);
            for (int i = 0; i < hostCount; i++) t.addHost(i, label);
            t.broadcast = t.broadcastOf(name);
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private void addHost(int i, String label) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withNetwork(network)
                .withCommand("sleep", "infinity")
                .withLabels(Docker.labels())
                // IPv4 only, as the namespace testbed: no neighbour discovery in captures and fault rules.
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withSysctls(Map.of("net.ipv6.conf.all.disable_ipv6", "1")));
        containers.add(c);
        try {
            c.start();
        } catch (RuntimeException e) {
            throw Docker.failure("cannot start host container " + i + " from " + image, e);
        }
        InspectContainerResponse info = c.getContainerInfo();
        NetNamespace ns = NetNamespace.attach(Names.namespace(label + "-h" + i), info.getState().getPidLong());
        ContainerNetwork net = info.getNetworkSettings().getNetworks().values().iterator().next();
        Inet4Address address;
        try {
            address = (Inet4Address) InetAddress.getByName(net.getIpAddress());
        } catch (UnknownHostException e) {
            throw new TestbedException("host container " + i + " has no IPv4 address: " + net.getIpAddress(), e);
        }
        String port = peerOf(ns, "eth0");
        // Full checksums in every frame, as a NIC on a wire gives them (the fast path checks them).
        Links.checksumsInFrames(ns, "eth0");
        Links.checksumsInFrames(root, port);
        hosts.add(new Host(i, ns, "eth0", address, ns.mac("eth0"), port));
    }

    /** The name, in the root namespace, of the other end of veth {@code ifname} in {@code ns}. */
    private String peerOf(NetNamespace ns, String ifname) {
        // "23: eth0@if24: <...>": 24 is the peer's index in the namespace the link goes to (the root one).
        String line = ns.ip("-o", "link", "show", ifname);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(ifname + "@if(\\d+):").matcher(line);
        if (!m.find()) throw new TestbedException("cannot find the peer of " + ifname + " in " + ns.name() + ": " + line);
        String index = m.group(1);
        for (String l : root.ip("-o", "link", "show").split("\n")) {
            String[] f = l.split(":\\s+");
            if (f.length > 1 && f[0].strip().equals(index)) return f[1].split("@")[0];
        }
        throw new TestbedException("no interface with index " + index + " in the root namespace (peer of " + ifname + " in " + ns.name() + ")");
    }

    private Inet4Address broadcastOf(String networkName) {
        String subnet = docker.inspectNetworkCmd().withNetworkId(networkName).exec().getIpam().getConfig().get(0).getSubnet();
        String[] parts = subnet.split("/");
        try {
            byte[] a = InetAddress.getByName(parts[0]).getAddress();
            int bits = Integer.parseInt(parts[1]);
            int v = java.nio.ByteBuffer.wrap(a).getInt() | (bits == 32 ? 0 : (-1 >>> bits));
            return (Inet4Address) InetAddress.getByAddress(java.nio.ByteBuffer.allocate(4).putInt(v).array());
        } catch (UnknownHostException | NumberFormatException e) {
            throw new TestbedException("cannot read the subnet of network " + networkName + ": " + subnet, e);
        }
    }

    /** The container id of host {@code i} (replica containers join its network namespace). */
    public String containerId(int i) { return containers.get(i).getContainerId(); }

    /** The engine. */
    public DockerClient docker() { return docker; }

    /** The image hosts and replicas run. */
    public String image() { return image; }

    /** The Docker network's bridge in the root namespace. */
    @Override
    public String bridge() { return bridge; }

    @Override
    public Inet4Address broadcast() { return broadcast; }

    @Override
    public NetNamespace switchNamespace() { return root; }

    @Override
    public List<Host> hosts() { return hosts; }

    @Override
    public void setMtu(int mtu) {
        for (Host h : hosts) {
            Links.mtu(h.ns(), h.ifname(), mtu);
            Links.mtu(root, h.switchPort(), mtu);
        }
        Links.mtu(root, bridge, mtu);
    }

    /** Removes the host containers, the network and the namespace names. */
    @Override
    public void close() {
        Teardown t = new Teardown();
        for (Host h : hosts) t.step(h.ns()::close);
        for (GenericContainer<?> c : containers) t.step(c::stop);
        t.step(network::close).step(root::close).done();
    }
}
