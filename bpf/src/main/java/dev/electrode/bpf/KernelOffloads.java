package dev.electrode.bpf;

import dev.electrode.config.ClusterConfig;
import dev.electrode.offload.KernelRecord;
import dev.electrode.offload.Offloads;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The replica's offloads implemented by the Electrode XDP and TC programs: one independent
 * instance per replica, attached to the replica's interface in the calling thread's
 * namespace. Every offload can also be switched at run time ({@link #setEnabled}).
 */
public final class KernelOffloads implements Offloads {
    private final ElectrodeBpf bpf;
    private final int me;
    private final int batchSize;
    private volatile Set<Offload> enabled;
    private final ElectrodeBpf.XdpMode mode;

    private final boolean deferredAcks;

    private final int appendBodyLimit;

    private KernelOffloads(ElectrodeBpf bpf, int me, int batchSize, Set<Offload> enabled, ElectrodeBpf.XdpMode mode, boolean deferredAcks,
                           int appendBodyLimit) {
        this.appendBodyLimit = appendBodyLimit;
        this.deferredAcks = deferredAcks;
        this.bpf = bpf;
        this.me = me;
        this.batchSize = batchSize;
        this.enabled = Set.copyOf(enabled);
        this.mode = mode;
    }

    /**
     * Loads a fresh instance for replica {@code me} of {@code config}, configures it and
     * attaches XDP and TC egress to {@code ifname} (in the calling thread's namespace). The
     * configuration must give every replica's MAC address, and all replicas one UDP port.
     */
    public static KernelOffloads attach(ClusterConfig config, int me, int batchSize, Set<Offload> enabled, String ifname) {
        return attach(config, me, batchSize, enabled, ifname, false);
    }

    /**
     * As above; with {@code deferredAcks} the fast path only buffers, and the replica
     * acknowledges each drained Prepare once it is durable (see {@link #kernelAcks}).
     */
    public static KernelOffloads attach(ClusterConfig config, int me, int batchSize, Set<Offload> enabled, String ifname,
                                        boolean deferredAcks) {
        return attach(config, me, batchSize, enabled, ifname, deferredAcks, dev.electrode.wire.VrOffloadProtocol.MESSAGES);
    }

    /**
     * As above, for {@code protocol}'s messages: the programs recognise its append, ack, kernel-built
     * ack and broadcast types; {@code batchSize} bounds the entries of one append.
     */
    public static KernelOffloads attach(ClusterConfig config, int me, int batchSize, Set<Offload> enabled, String ifname,
                                        boolean deferredAcks, dev.electrode.offload.OffloadProtocol protocol) {
        int port = config.replica(me).getPort();
        List<ReplicaAddress> addrs = new ArrayList<>();
        for (int i = 0; i < config.size(); i++) {
            InetSocketAddress a = config.replica(i);
            if (a.getPort() != port)
                throw new IllegalArgumentException("the offloads need one UDP port for all replicas: replica " + i + " uses "
                        + a.getPort() + ", replica " + me + " uses " + port);
            if (!(a.getAddress() instanceof Inet4Address v4))
                throw new IllegalArgumentException("the offloads speak IPv4 only; replica " + i + " is " + a.getAddress());
            byte[] mac = config.mac(i);
            if (mac == null)
                throw new IllegalArgumentException("the offloads need every replica's MAC address: add it to replica line " + (i + 1)
                        + " of the configuration (replica host:port mac)");
            addrs.add(new ReplicaAddress(v4, a.getPort(), mac));
        }
        ElectrodeBpf bpf = ElectrodeBpf.load(protocol);
        try {
            bpf.configure(addrs, config.f() + 1, enabled, port);
            bpf.setDeferredAcks(deferredAcks);
            ElectrodeBpf.XdpMode mode = bpf.attachXdp(ifname);
            bpf.attachTcEgress(ifname);
            // One unfragmented frame: the MTU less IPv4 (no options) and UDP headers, the frame's fixed part and type name.
            int frameBody = dev.electrode.netns.LibC.mtu(ifname) - 20 - 8 - dev.electrode.wire.WireFormat.FIXED_OVERHEAD
                    - protocol.append().length();
            return new KernelOffloads(bpf, me, batchSize, enabled, mode, deferredAcks, Math.min(Layouts.MAX_BODY, frameBody));
        } catch (RuntimeException e) {
            bpf.close();
            throw e;
        }
    }

    /** The eBPF instance (counters, maps). */
    public ElectrodeBpf bpf() { return bpf; }

    /** How the XDP program is attached. */
    public ElectrodeBpf.XdpMode xdpMode() { return mode; }

    /** Switches offloads on or off while the replica runs. */
    public void setEnabled(Set<Offload> on) {
        enabled = Set.copyOf(on);
        bpf.setEnabled(on);
    }

    @Override public boolean broadcast() { return enabled.contains(Offload.BROADCAST); }

    @Override public int appendBodyLimit() { return appendBodyLimit; }

    @Override public boolean fastAck() { return enabled.contains(Offload.FAST_ACK); }

    @Override public boolean quorumPrune() { return enabled.contains(Offload.QUORUM_PRUNE); }

    @Override public boolean kernelAcks() { return !deferredAcks; }

    @Override
    public void controlChanged(Control c) {
        bpf.writeControl(new ControlState(c.normal() ? ControlState.NORMAL : ControlState.NOT_NORMAL, me, c.leader(), batchSize,
                c.epoch(), c.lastIndex()));
    }

    @Override
    public void awaitQuiescent() { ProgramQuiescence.await(); }

    @Override
    public void logAdvanced(long lastOp) {
        // Only forward, in one atomic step: XDP may have acknowledged further already (those are in the ring).
        bpf.advanceLastOp(lastOp);
    }

    @Override
    public int poll(RecordSink sink) {
        return bpf.prepareRing().drain((view, opnum, batchStart, ip, port, mac, body) ->
                sink.accept(new KernelRecord(view, opnum, batchStart, ip, port, mac, body)));
    }

    @Override
    public void close() { bpf.close(); }
}
