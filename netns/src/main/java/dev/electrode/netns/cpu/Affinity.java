package dev.electrode.netns.cpu;

import dev.electrode.netns.LibC;
import dev.electrode.netns.NetnsException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** CPU affinity of threads (sched_setaffinity(2)): Java threads pin themselves; kernel threads are pinned by id. */
public final class Affinity {
    /** cpu_set_t size glibc uses (1024 CPUs). */
    private static final int MASK_BYTES = 128;

    private Affinity() {}

    /** Pins the calling thread to {@code cpus}. */
    public static void pinCurrentThread(CpuSet cpus) {
        pin(0, cpus);
    }

    /** Pins every thread of process {@code pid} to {@code cpus}; threads it starts later inherit their creator's CPUs. */
    public static void pinProcess(long pid, CpuSet cpus) {
        try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc", Long.toString(pid), "task"))) {
            for (java.nio.file.Path t : tasks.toList()) {
                try {
                    pin(Integer.parseInt(t.getFileName().toString()), cpus);
                } catch (NetnsException e) {
                    if (java.nio.file.Files.exists(t)) throw e; // else the thread ended since the listing
                }
            }
        } catch (java.io.IOException e) {
            throw new dev.electrode.netns.NetnsException("cannot list threads of process " + pid + ": " + e.getMessage(), e);
        }
    }

    /** Pins thread (or process) {@code tid} to {@code cpus}; 0 is the calling thread. */
    public static void pin(int tid, CpuSet cpus) {
        byte[] m = cpus.requireOnline().mask(MASK_BYTES);
        Pointer p = Memory.allocateDirect(Runtime.getRuntime(LibC.INSTANCE), MASK_BYTES);
        p.put(0, m, 0, m.length);
        if (LibC.INSTANCE.sched_setaffinity(tid, MASK_BYTES, p) != 0)
            throw new NetnsException("sched_setaffinity(" + (tid == 0 ? "this thread" : "tid " + tid) + ", " + cpus + "): " + LibC.lastError());
    }

    /** The CPUs thread {@code tid} may run on (0: the calling thread). */
    public static CpuSet of(int tid) {
        Pointer p = Memory.allocateDirect(Runtime.getRuntime(LibC.INSTANCE), MASK_BYTES);
        // glibc's wrapper returns 0 and zero-fills the rest of the mask (the raw syscall returns a length).
        if (LibC.INSTANCE.sched_getaffinity(tid, MASK_BYTES, p) < 0)
            throw new NetnsException("sched_getaffinity(" + tid + "): " + LibC.lastError());
        byte[] m = new byte[MASK_BYTES];
        p.get(0, m, 0, MASK_BYTES);
        return CpuSet.fromMask(m);
    }
}
