package dev.electrode.bpf;

import dev.electrode.offload.OffloadProtocol;
import dev.electrode.wire.VrOffloadProtocol;

import dev.electrode.netns.LibC;
import dev.electrode.netns.NamespaceRef;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One independent instance of the Electrode eBPF object: its own programs and maps (nothing
 * pinned, nothing shared with other instances), typed access to the maps, and attachment
 * of the XDP and TC programs to interfaces. Attach calls act in the network namespace of
 * the calling thread; {@link #close()} detaches everything in the namespace it was attached
 * in, from any thread.
 */
public final class ElectrodeBpf implements AutoCloseable {
    /** Classpath location of the compiled object (built by the Maven build with clang). */
    public static final String OBJECT_RESOURCE = "/bpf/electrode.bpf.o";
    public static final String XDP_PROGRAM = "electrode_xdp";
    public static final String TC_PROGRAM = "electrode_tc_egress";
    public static final String XDP_PASS_PROGRAM = "electrode_xdp_pass";
    public static final String ADVANCE_PROGRAM = "electrode_advance_last_op";

    /** How an XDP program ended up attached. */
    public enum XdpMode { NATIVE, GENERIC }

    // linux/if_link.h
    private static final int XDP_FLAGS_SKB_MODE = 1 << 1;
    private static final int XDP_FLAGS_DRV_MODE = 1 << 2;
    /** Handle and priority of our TC filter: fixed, so a stale filter of a killed run is replaced. */
    public static final int TC_HANDLE = 0xE1EC, TC_PRIORITY = 1;
    // struct bpf_prog_info
    private static final int PROG_INFO_SIZE = 232, PROG_INFO_ID = 4, PROG_INFO_VERIFIED_INSNS = 216;
    private static final int BPF_ANY = 0;

    private final LibBpf lib = LibBpf.get();
    private final jnr.ffi.Runtime rt = LibBpf.runtime();
    private final BpfObject object;
    private final int xdpFd, tcFd, xdpPassFd, advanceFd;
    private final int configFd, replicasFd, controlFd, quorumFd, countersFd, ringFd;
    private final int cpus;
    private final Pointer key, value, perCpu, advanceCtx;
    private final TestRun advanceRun = new TestRun();
    private final List<Attachment> attachments = new ArrayList<>();
    private PrepareRing ring;
    private boolean closed;

    private record Attachment(String what, NamespaceRef ns, Runnable detach) {}

    private ElectrodeBpf(BpfObject object) {
        this.object = object;
        try {
            xdpFd = object.programFd(XDP_PROGRAM);
            tcFd = object.programFd(TC_PROGRAM);
            xdpPassFd = object.programFd(XDP_PASS_PROGRAM);
            advanceFd = object.programFd(ADVANCE_PROGRAM);
            configFd = object.mapFd("config");
            replicasFd = object.mapFd("replicas");
            controlFd = object.mapFd("control");
            quorumFd = object.mapFd("quorum");
            countersFd = object.mapFd("counters");
            ringFd = object.mapFd("prepare_ring");
            cpus = BpfException.check(lib.libbpf_num_possible_cpus(), "libbpf_num_possible_cpus");
            key = Memory.allocateDirect(rt, 4, true);
            value = Memory.allocateDirect(rt, 64, true);
            perCpu = Memory.allocateDirect(rt, 8L * cpus, true);
            advanceCtx = Memory.allocateDirect(rt, Layouts.Advance.SIZE, true);
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /** Loads a fresh instance of the object from the classpath, acting on VR's messages. */
    public static ElectrodeBpf load() { return load(VrOffloadProtocol.MESSAGES); }

    /** Loads a fresh instance of the object from the classpath, acting on {@code protocol}'s messages. */
    public static ElectrodeBpf load(OffloadProtocol protocol) {
        ElectrodeBpf bpf = new ElectrodeBpf(BpfObject.load(OBJECT_RESOURCE));
        try {
            ProtocolMap.write(bpf.object.mapFd("protocol"), protocol);
            return bpf;
        } catch (RuntimeException e) {
            bpf.close();
            throw e;
        }
    }

    public int xdpProgramFd() { return xdpFd; }

    public int tcProgramFd() { return tcFd; }

    public int xdpPassProgramFd() { return xdpPassFd; }

    // ------------------------------------------------------------------ maps

    private void update(int fd, int k, String what) {
        key.putInt(0, k);
        BpfException.check(lib.bpf_map_update_elem(fd, key, value, BPF_ANY), "update " + what);
    }

    private void lookup(int fd, int k, Pointer into, String what) {
        key.putInt(0, k);
        BpfException.check(lib.bpf_map_lookup_elem(fd, key, into), "lookup " + what);
    }

    /**
     * Writes the cluster configuration: replica addresses (index = replica index), the
     * quorum size (f+1), the enabled offloads and the replica UDP port.
     */
    public synchronized void configure(List<ReplicaAddress> replicas, int quorumSize, Set<Offload> enabled, int port) {
        configure(replicas, quorumSize, enabled, port, Layouts.MAX_BODY);
    }

    /** As {@link #configure(List, int, Set, int)}, with the largest Prepare body the fast path buffers (1..9000). */
    public synchronized void configure(List<ReplicaAddress> replicas, int quorumSize, Set<Offload> enabled, int port, int maxBody) {
        if (maxBody < 1 || maxBody > Layouts.MAX_BODY)
            throw new IllegalArgumentException("fast-path body limit must be 1.." + Layouts.MAX_BODY + ", got " + maxBody);
        if (replicas.isEmpty() || replicas.size() > Layouts.MAX_REPLICAS)
            throw new IllegalArgumentException("1.." + Layouts.MAX_REPLICAS + " replicas supported, got " + replicas.size());
        if (quorumSize < 1 || quorumSize > replicas.size()) throw new IllegalArgumentException("bad quorum size " + quorumSize);
        for (int i = 0; i < replicas.size(); i++) {
            ReplicaAddress r = replicas.get(i);
            value.setMemory(0, Layouts.Replica.SIZE, (byte) 0);
            value.put(Layouts.Replica.IPV4, r.ip().getAddress(), 0, 4); // network order, as on the wire
            value.putShort(Layouts.Replica.PORT, (short) r.port());
            value.put(Layouts.Replica.MAC, r.mac(), 0, 6);
            update(replicasFd, i, "replicas[" + i + "]");
        }
        writeConfig(replicas.size(), quorumSize, Offload.mask(enabled), port, maxBody);
    }

    private void writeConfig(int replicaCount, int quorumSize, int mask, int port, int maxBody) {
        value.setMemory(0, Layouts.Config.SIZE, (byte) 0);
        value.putInt(Layouts.Config.REPLICA_COUNT, replicaCount);
        value.putInt(Layouts.Config.QUORUM_SIZE, quorumSize);
        value.putInt(Layouts.Config.ENABLE_MASK, mask);
        value.putShort(Layouts.Config.PORT, (short) port);
        value.putShort(Layouts.Config.MAX_BODY, (short) maxBody);
        update(configFd, 0, "config");
    }

    /** Switches offloads on or off at run time, keeping the rest of the configuration (deferred acks included). */
    public synchronized void setEnabled(Set<Offload> enabled) {
        lookup(configFd, 0, value, "config");
        int mask = value.getInt(Layouts.Config.ENABLE_MASK);
        value.putInt(Layouts.Config.ENABLE_MASK, Offload.mask(enabled) | (mask & Layouts.FAST_ACK_DEFERRED));
        update(configFd, 0, "config");
    }

    /**
     * With deferred acks, the fast path buffers Prepares in the ring without acknowledging them,
     * and passes repeats up: user space acknowledges once it has made them durable.
     */
    public synchronized void setDeferredAcks(boolean deferred) {
        lookup(configFd, 0, value, "config");
        int mask = value.getInt(Layouts.Config.ENABLE_MASK) & ~Layouts.FAST_ACK_DEFERRED;
        value.putInt(Layouts.Config.ENABLE_MASK, mask | (deferred ? Layouts.FAST_ACK_DEFERRED : 0));
        update(configFd, 0, "config");
    }

    /** Rewrites the control state (on every status or view change, recovery and state transfer). */
    public synchronized void writeControl(ControlState c) {
        value.setMemory(0, Layouts.Control.SIZE, (byte) 0);
        value.putInt(Layouts.Control.STATUS, c.status());
        value.putInt(Layouts.Control.MY_IDX, c.myIdx());
        value.putInt(Layouts.Control.LEADER_IDX, c.leaderIdx());
        value.putInt(Layouts.Control.BATCH_SIZE, c.batchSize());
        value.putLong(Layouts.Control.VIEW, c.view());
        value.putLong(Layouts.Control.LAST_OP, c.lastOp());
        update(controlFd, 0, "control");
    }

    /** The control state as the programs see it now (lastOp moves with fast acks). */
    public synchronized ControlState readControl() {
        lookup(controlFd, 0, value, "control");
        return new ControlState(value.getInt(Layouts.Control.STATUS), value.getInt(Layouts.Control.MY_IDX),
                value.getInt(Layouts.Control.LEADER_IDX), value.getInt(Layouts.Control.BATCH_SIZE),
                value.getLong(Layouts.Control.VIEW), value.getLong(Layouts.Control.LAST_OP));
    }

    /**
     * Moves the programs' last op forward to {@code lastOp}, atomically in the kernel: never back,
     * since XDP may have fast-acknowledged further meanwhile. Returns true if it moved, false if
     * the programs were already there or beyond.
     */
    public synchronized boolean advanceLastOp(long lastOp) {
        advanceCtx.putLong(Layouts.Advance.LAST_OP, lastOp);
        int r = advanceRun.runSyscall(advanceFd, advanceCtx, Layouts.Advance.SIZE);
        return switch (r) {
            case Layouts.Advance.MOVED -> true;
            case Layouts.Advance.AHEAD -> false;
            case Layouts.Advance.CONTENDED -> throw new BpfException(ADVANCE_PROGRAM + ": XDP moved last_op " + Layouts.Advance.TRIES
                    + " times while it tried to advance it to " + lastOp + "; left at " + advanceCtx.getLong(Layouts.Advance.LAST_OP));
            default -> throw new BpfException(ADVANCE_PROGRAM + " returned " + r + " (no control map entry?)");
        };
    }

    /** The quorum table entry of {@code slot}. */
    public synchronized QuorumEntry readQuorum(int slot) {
        lookup(quorumFd, slot, value, "quorum[" + slot + "]");
        return new QuorumEntry(value.getInt(Layouts.QuorumEntry.VIEW), value.getInt(Layouts.QuorumEntry.OPNUM),
                value.getInt(Layouts.QuorumEntry.ACKS));
    }

    /** Overwrites the quorum table entry of {@code slot} (tests and tools). */
    public synchronized void writeQuorum(int slot, QuorumEntry e) {
        value.setMemory(0, Layouts.QuorumEntry.SIZE, (byte) 0);
        value.putInt(Layouts.QuorumEntry.VIEW, e.view());
        value.putInt(Layouts.QuorumEntry.OPNUM, e.opnum());
        value.putInt(Layouts.QuorumEntry.ACKS, e.acks());
        update(quorumFd, slot, "quorum[" + slot + "]");
    }

    /** One counter summed over all CPUs. */
    public synchronized long counter(Counter c) {
        lookup(countersFd, c.ordinal(), perCpu, "counters[" + c + "]");
        long sum = 0;
        for (int cpu = 0; cpu < cpus; cpu++) sum += perCpu.getLong(8L * cpu);
        return sum;
    }

    /** Every counter, summed over all CPUs. */
    public Map<Counter, Long> counters() {
        Map<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : Counter.values()) m.put(c, counter(c));
        return m;
    }

    /** The ring buffer of fast-acknowledged Prepares (created on first use; drain it from one thread). */
    public synchronized PrepareRing prepareRing() {
        if (ring == null) ring = new PrepareRing(ringFd);
        return ring;
    }

    // ------------------------------------------------------------------ programs

    /** The number of instructions the verifier processed when it loaded program {@code progFd}. */
    public int verifiedInstructions(int progFd) {
        return progInfo(progFd).getInt(PROG_INFO_VERIFIED_INSNS);
    }

    /** The kernel's id of program {@code progFd}. */
    public int programId(int progFd) {
        return progInfo(progFd).getInt(PROG_INFO_ID);
    }

    private Pointer progInfo(int progFd) {
        Pointer info = Memory.allocateDirect(rt, PROG_INFO_SIZE, true);
        IntByReference len = new IntByReference(PROG_INFO_SIZE);
        BpfException.check(lib.bpf_obj_get_info_by_fd(progFd, info, len), "bpf_obj_get_info_by_fd");
        return info;
    }

    /** The compiled object's BTF, to check the Java mirror of the shared structs. */
    public Btf btf() { return object.btf(); }

    // ------------------------------------------------------------------ attachment

    static int ifindex(String ifname) {
        int idx = LibC.INSTANCE.if_nametoindex(ifname);
        if (idx == 0) throw new BpfException("no interface '" + ifname + "' in this thread's network namespace: " + LibC.lastError());
        return idx;
    }

    /** The id of the XDP program attached to {@code ifname} (calling thread's namespace), 0 if none. */
    public static int attachedXdpProgramId(String ifname) {
        IntByReference id = new IntByReference(0);
        BpfException.check(LibBpf.get().bpf_xdp_query_id(ifindex(ifname), 0, id), "bpf_xdp_query_id(" + ifname + ")");
        return id.intValue();
    }

    /**
     * Attaches the Electrode XDP program to {@code ifname} in the calling thread's namespace
     * through a BPF link, so the kernel detaches it when this process dies (a dead follower
     * must not go on acknowledging). The kernel uses native mode where the driver supports it,
     * generic mode otherwise; the mode is reported. A netlink attachment left by an older run
     * is removed first.
     */
    public XdpMode attachXdp(String ifname) {
        return attachXdp(ifname, XDP_PROGRAM, xdpFd);
    }

    /**
     * Attaches the trivial XDP_PASS program to {@code ifname} (calling thread's namespace):
     * the peer end of a veth needs one for XDP_TX frames to be delivered.
     */
    public XdpMode attachXdpPass(String ifname) {
        return attachXdp(ifname, XDP_PASS_PROGRAM, xdpPassFd);
    }

    private synchronized XdpMode attachXdp(String ifname, String program, int progFd) {
        ensureOpen();
        int idx = ifindex(ifname);
        Pointer prog = object.program(program);
        Pointer link = lib.bpf_program__attach_xdp(prog, idx);
        if (link == null) {
            int err = rt.getLastError();
            if (err == 34 /* ERANGE */)
                throw new BpfException("attach XDP " + program + " to " + ifname + ": the link's MTU is too large for single-buffer "
                        + "XDP (on a veth the peer's MTU may be at most 3506 with 4 KiB pages); lower the MTU", err);
            if (err != 16 /* EBUSY */ && err != 17 /* EEXIST */)
                throw new BpfException("attach XDP " + program + " to " + ifname + ": " + LibBpf.describe(err), err);
            // A netlink attachment from an earlier run that was killed: remove it and retry.
            lib.bpf_xdp_detach(idx, XDP_FLAGS_SKB_MODE, null);
            lib.bpf_xdp_detach(idx, XDP_FLAGS_DRV_MODE, null);
            link = lib.bpf_program__attach_xdp(prog, idx);
            if (link == null) {
                err = rt.getLastError();
                throw new BpfException("attach XDP " + program + " to " + ifname + " (after removing a stale program): "
                        + LibBpf.describe(err), err);
            }
        }
        IntByReference drvId = new IntByReference(0);
        lib.bpf_xdp_query_id(idx, XDP_FLAGS_DRV_MODE, drvId);
        XdpMode mode = drvId.intValue() == programId(progFd) ? XdpMode.NATIVE : XdpMode.GENERIC;
        Pointer l = link;
        attachments.add(new Attachment("XDP " + program + " on " + ifname, NamespaceRef.ofCurrentThread(),
                () -> lib.bpf_link__destroy(l)));
        return mode;
    }

    /** Attaches XDP the old way, through netlink (it survives this process): to test stale-attachment recovery. */
    synchronized void attachXdpByNetlink(String ifname) {
        BpfException.check(lib.bpf_xdp_attach(ifindex(ifname), xdpFd, XDP_FLAGS_DRV_MODE, null), "netlink attach to " + ifname);
    }

    /**
     * Attaches the TC program to the clsact egress hook of {@code ifname} (calling thread's
     * namespace), through libbpf's TC API. A filter left by a killed run is replaced.
     */
    public synchronized void attachTcEgress(String ifname) {
        ensureOpen();
        Runnable detach = TcHook.attach(ifindex(ifname), ifname, TcHook.Direction.EGRESS, tcFd, TC_HANDLE, TC_PRIORITY, TC_PROGRAM);
        attachments.add(new Attachment("TC " + TC_PROGRAM + " on " + ifname, NamespaceRef.ofCurrentThread(), detach));
    }

    /** True if a TC filter with our handle and priority sits on {@code ifname}'s egress (calling thread's namespace). */
    public static boolean tcFilterAttached(String ifname) {
        return TcHook.attached(ifindex(ifname), TcHook.Direction.EGRESS, TC_HANDLE, TC_PRIORITY);
    }

    /** Detaches everything this instance attached, each in its own namespace. */
    public synchronized void detachAll() {
        RuntimeException first = null;
        for (int i = attachments.size() - 1; i >= 0; i--) {
            Attachment a = attachments.get(i);
            try {
                a.ns().call(() -> {
                    a.detach().run();
                    return null;
                });
            } catch (RuntimeException e) {
                if (first == null) first = new BpfException("detach " + a.what() + ": " + e.getMessage());
            } finally {
                a.ns().close();
            }
        }
        attachments.clear();
        if (first != null) throw first;
    }

    /**
     * Forgets the attachments without detaching them, as a killed process would (tests of
     * stale-attachment recovery).
     */
    synchronized void abandonAttachments() {
        for (Attachment a : attachments) a.ns().close();
        attachments.clear();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("ElectrodeBpf instance is closed");
    }

    /** Detaches every program this instance attached and frees the object and its maps. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            detachAll();
        } finally {
            if (ring != null) ring.close();
            object.close();
        }
    }
}
