package dev.electrode.bpf;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A TC program on a clsact hook through libbpf's TC API, with a fixed handle and priority
 * so a filter left behind by a killed run is replaced rather than duplicated. Acts in the
 * calling thread's network namespace.
 */
public final class TcHook {
    public enum Direction {
        INGRESS(1), EGRESS(2);

        final int attachPoint;

        Direction(int attachPoint) { this.attachPoint = attachPoint; }
    }

    private static final int HOOK_SIZE = 24, OPTS_SIZE = 32, BPF_TC_F_REPLACE = 1, BOTH = 3;

    private TcHook() {}

    private static Pointer hook(int ifindex, int attachPoint) {
        Pointer hook = Memory.allocateDirect(LibBpf.runtime(), HOOK_SIZE, true);
        hook.putLong(0, HOOK_SIZE);
        hook.putInt(8, ifindex);
        hook.putInt(12, attachPoint);
        return hook;
    }

    private static Pointer opts(int progFd, int flags, int handle, int priority) {
        Pointer opts = Memory.allocateDirect(LibBpf.runtime(), OPTS_SIZE, true);
        opts.putLong(0, OPTS_SIZE);
        opts.putInt(8, progFd);
        opts.putInt(12, flags);
        opts.putInt(20, handle);
        opts.putInt(24, priority);
        return opts;
    }

    /**
     * Attaches {@code progFd} to {@code ifindex}'s {@code dir} hook, creating the clsact qdisc
     * if needed. Returns the action that detaches it again (and removes the qdisc if this
     * call created it); run that action in the same namespace.
     */
    public static Runnable attach(int ifindex, String ifname, Direction dir, int progFd, int handle, int priority, String what) {
        LibBpf lib = LibBpf.get();
        int created = lib.bpf_tc_hook_create(hook(ifindex, dir.attachPoint));
        if (created < 0 && created != -17 /* EEXIST: clsact already there */)
            BpfException.check(created, "create clsact qdisc on " + ifname);
        BpfException.check(lib.bpf_tc_attach(hook(ifindex, dir.attachPoint), opts(progFd, BPF_TC_F_REPLACE, handle, priority)),
                "attach TC " + what + " to " + ifname + " " + dir.name().toLowerCase());
        boolean ownsQdisc = created == 0;
        return () -> {
            lib.bpf_tc_detach(hook(ifindex, dir.attachPoint), opts(0, 0, handle, priority));
            if (ownsQdisc) lib.bpf_tc_hook_destroy(hook(ifindex, BOTH));
        };
    }

    /** True if a filter with {@code handle} and {@code priority} sits on the hook. */
    public static boolean attached(int ifindex, Direction dir, int handle, int priority) {
        return LibBpf.get().bpf_tc_query(hook(ifindex, dir.attachPoint), opts(0, 0, handle, priority)) == 0;
    }
}
