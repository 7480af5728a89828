package dev.electrode.bpf;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.annotations.SaveError;

import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * Waits until every eBPF program invocation that started before the call has finished.
 * XDP and TC programs run inside RCU read-side sections, so one RCU grace period is enough;
 * {@code membarrier(MEMBARRIER_CMD_GLOBAL)} waits for exactly that (it calls synchronize_rcu).
 */
final class ProgramQuiescence {
    private static final Logger LOG = Logger.getLogger(ProgramQuiescence.class.getName());
    private static final int MEMBARRIER_CMD_GLOBAL = 1;
    /**
     * Without membarrier (a nohz_full kernel refuses MEMBARRIER_CMD_GLOBAL): XDP runs with bottom
     * halves disabled, so an invocation cannot be preempted and ends within microseconds.
     */
    private static final long FALLBACK_WAIT_NANOS = 2_000_000;

    /** The libc call used; glibc has no membarrier wrapper. */
    public interface LibC {
        @SaveError int syscall(long number, int cmd, int flags, int cpuId);
    }

    private static volatile LibC libc;
    private static volatile boolean warned;

    private ProgramQuiescence() {}

    /**
     * Returns once no program invocation that began before this call is still running; true if
     * a grace period was waited for, false if only the fallback wait was possible.
     */
    static boolean await() {
        long nr = membarrierSyscall();
        if (nr >= 0 && libc().syscall(nr, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0) return true;
        if (!warned) {
            warned = true;
            LOG.warning("membarrier(MEMBARRIER_CMD_GLOBAL) is unavailable (errno "
                    + jnr.ffi.Runtime.getSystemRuntime().getLastError() + "); waiting "
                    + FALLBACK_WAIT_NANOS / 1000 + " us for in-flight XDP programs instead");
        }
        LockSupport.parkNanos(FALLBACK_WAIT_NANOS);
        return false;
    }

    /** The membarrier system call number on this CPU architecture, or -1 if unknown. */
    static long membarrierSyscall() {
        return switch (Platform.getNativePlatform().getCPU()) {
            case X86_64 -> 324;
            case AARCH64 -> 283;
            default -> -1;
        };
    }

    private static LibC libc() {
        LibC l = libc;
        if (l == null) {
            synchronized (ProgramQuiescence.class) {
                if (libc == null) libc = LibraryLoader.create(LibC.class).load("c");
                l = libc;
            }
        }
        return l;
    }
}
