package dev.electrode.bpf.fault;

import dev.electrode.offload.OffloadProtocol;
import dev.electrode.wire.VrOffloadProtocol;

import dev.electrode.bpf.BpfException;
import dev.electrode.bpf.BpfObject;
import dev.electrode.bpf.Btf;
import dev.electrode.bpf.LibBpf;
import dev.electrode.bpf.TcHook;
import dev.electrode.netns.LibC;
import dev.electrode.netns.NamespaceRef;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import java.util.ArrayList;
import java.util.List;

/**
 * The testbed's fault layer: the fault program on the ingress of every bridge port of the
 * switch namespace, and its rule table. Rules can be added and removed while traffic flows.
 * Attach on a thread inside the switch namespace; close detaches from any thread.
 */
public final class FaultInjector implements AutoCloseable {
    public static final String OBJECT_RESOURCE = "/bpf/fault.bpf.o";
    public static final int MAX_RULES = 32;
    private static final int TC_HANDLE = 0xFA17, TC_PRIORITY = 1;

    /** struct fault_rule offsets (fault.h; FaultLayoutTest checks them against the object's BTF). */
    static final class Layout {
        static final int SIZE = 72, ACTION = 0, MSG = 4, SRC_HOSTS = 8, DST_HOSTS = 16, MATCH_VIEW = 24, VIEW = 28,
                MATCH_OPNUM = 32, OPNUM = 36, THRESHOLD = 40, RNG = 48, MATCHED = 56, FIRED = 64;
    }

    /** How often a rule's predicate matched and its action fired. */
    public record Stats(long matched, long fired) {}

    private final LibBpf lib = LibBpf.get();
    private final BpfObject object;
    private final int progFd, rulesFd, portHostFd, macHostFd, delayTargetFd;
    private final Pointer key = Memory.allocateDirect(LibBpf.runtime(), 8, true);
    private final Pointer value = Memory.allocateDirect(LibBpf.runtime(), Layout.SIZE, true);
    private final boolean[] used = new boolean[MAX_RULES];
    private final List<Runnable> detaches = new ArrayList<>();
    private NamespaceRef ns;

    private FaultInjector(BpfObject object) {
        this.object = object;
        this.progFd = object.programFd("fault_ingress");
        this.rulesFd = object.mapFd("rules");
        this.portHostFd = object.mapFd("port_host");
        this.macHostFd = object.mapFd("mac_host");
        this.delayTargetFd = object.mapFd("delay_target");
    }

    private void writeProtocol(OffloadProtocol protocol) {
        dev.electrode.bpf.ProtocolMap.write(object.mapFd("protocol"), protocol);
    }

    /** Where DELAY rules send frames: the ifindex (in the switch namespace) of the delay line's input; 0 = nowhere. */
    public synchronized void setDelayTarget(int ifindex) {
        key.putInt(0, 0);
        value.putInt(0, ifindex);
        BpfException.check(lib.bpf_map_update_elem(delayTargetFd, key, value, 0), "delay_target");
    }

    /** Loads the fault program, recognising VR's message kinds. */
    public static FaultInjector load() { return load(VrOffloadProtocol.MESSAGES); }

    /** Loads the fault program, recognising {@code protocol}'s message kinds. */
    public static FaultInjector load(OffloadProtocol protocol) {
        FaultInjector f = new FaultInjector(BpfObject.load(OBJECT_RESOURCE));
        try {
            f.writeProtocol(protocol);
            return f;
        } catch (RuntimeException e) {
            f.object.close();
            throw e;
        }
    }

    /** The loaded object's BTF (layout checks). */
    public Btf btf() { return object.btf(); }

    /**
     * Puts the fault program on bridge port {@code port} (calling thread's namespace), whose
     * frames come from host {@code host}; {@code hostMac} lets rules match frames to that host.
     */
    public synchronized void attachPort(String port, int host, byte[] hostMac) {
        int ifindex = LibC.INSTANCE.if_nametoindex(port);
        if (ifindex == 0) throw new BpfException("no interface '" + port + "' in this thread's namespace");
        if (ns == null) ns = NamespaceRef.ofCurrentThread();
        key.putInt(0, ifindex);
        value.putInt(0, host);
        BpfException.check(lib.bpf_map_update_elem(portHostFd, key, value, 0), "port_host[" + port + "]");
        key.putLong(0, 0);
        key.put(0, hostMac, 0, 6);
        BpfException.check(lib.bpf_map_update_elem(macHostFd, key, value, 0), "mac_host[host " + host + "]");
        detaches.add(TcHook.attach(ifindex, port, TcHook.Direction.INGRESS, progFd, TC_HANDLE, TC_PRIORITY, "fault_ingress"));
    }

    /** Installs {@code rule} in a free slot and returns the slot; earlier slots are matched first. */
    public synchronized int add(FaultRule rule) {
        for (int slot = 0; slot < MAX_RULES; slot++) {
            if (used[slot]) continue;
            write(slot, rule);
            used[slot] = true;
            return slot;
        }
        throw new IllegalStateException("all " + MAX_RULES + " fault rule slots are in use");
    }

    private void write(int slot, FaultRule r) {
        value.setMemory(0, Layout.SIZE, (byte) 0);
        value.putInt(Layout.ACTION, r.action().code);
        value.putInt(Layout.MSG, r.kind().code);
        value.putLong(Layout.SRC_HOSTS, r.srcHosts());
        value.putLong(Layout.DST_HOSTS, r.dstHosts());
        if (r.view().isPresent()) {
            value.putInt(Layout.MATCH_VIEW, 1);
            value.putInt(Layout.VIEW, r.view().getAsInt());
        }
        if (r.opnum().isPresent()) {
            value.putInt(Layout.MATCH_OPNUM, 1);
            value.putInt(Layout.OPNUM, r.opnum().getAsInt());
        }
        value.putInt(Layout.THRESHOLD, r.threshold());
        value.putLong(Layout.RNG, r.seed() == 0 ? 1 : r.seed());
        key.putInt(0, slot);
        BpfException.check(lib.bpf_map_update_elem(rulesFd, key, value, 0), "rules[" + slot + "]");
    }

    /** Removes the rule in {@code slot}. */
    public synchronized void remove(int slot) {
        value.setMemory(0, Layout.SIZE, (byte) 0);
        key.putInt(0, slot);
        BpfException.check(lib.bpf_map_update_elem(rulesFd, key, value, 0), "rules[" + slot + "]");
        used[slot] = false;
    }

    /** Removes every rule: all traffic flows again. */
    public synchronized void clear() {
        for (int slot = 0; slot < MAX_RULES; slot++) if (used[slot]) remove(slot);
    }

    /** Match and fire counts of the rule in {@code slot}. */
    public synchronized Stats stats(int slot) {
        key.putInt(0, slot);
        BpfException.check(lib.bpf_map_lookup_elem(rulesFd, key, value), "rules[" + slot + "]");
        return new Stats(value.getLong(Layout.MATCHED), value.getLong(Layout.FIRED));
    }

    @Override
    public synchronized void close() {
        try {
            if (ns != null && !detaches.isEmpty()) {
                ns.call(() -> {
                    for (Runnable d : detaches) d.run();
                    return null;
                });
            }
        } finally {
            detaches.clear();
            if (ns != null) ns.close();
            object.close();
        }
    }
}
