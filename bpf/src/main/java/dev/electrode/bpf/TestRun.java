package dev.electrode.bpf;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/** BPF_PROG_TEST_RUN through libbpf's bpf_prog_test_run_opts: a program run on a crafted frame in the kernel. */
public final class TestRun {
    /** What one run returned: the program's return code, the frame it left, the average duration. */
    public record Result(int retval, byte[] frame, int durationNanos) {}

    // struct bpf_test_run_opts (libbpf 1.1) offsets.
    private static final int SZ = 0, DATA_IN = 8, DATA_OUT = 16, DATA_SIZE_IN = 24, DATA_SIZE_OUT = 28, CTX_IN = 32, CTX_SIZE_IN = 48;
    private static final int RETVAL = 56, REPEAT = 60, DURATION = 64, OPTS_SIZE = 80;
    private static final int OUT_CAPACITY = 16 * 1024;

    private final Pointer opts = Memory.allocateDirect(LibBpf.runtime(), OPTS_SIZE, true);
    private final Pointer out = Memory.allocateDirect(LibBpf.runtime(), OUT_CAPACITY);
    private Pointer in = Memory.allocateDirect(LibBpf.runtime(), 2048);
    private long inCapacity = 2048;

    /** Runs program {@code progFd} once (or {@code repeat} times) on {@code frame}. Not thread-safe. */
    public Result run(int progFd, byte[] frame, int repeat) {
        if (frame.length > inCapacity) {
            inCapacity = Math.max(frame.length, inCapacity * 2);
            in = Memory.allocateDirect(LibBpf.runtime(), inCapacity);
        }
        in.put(0, frame, 0, frame.length);
        clearOpts();
        opts.putPointer(DATA_IN, in);
        opts.putPointer(DATA_OUT, out);
        opts.putInt(DATA_SIZE_IN, frame.length);
        opts.putInt(DATA_SIZE_OUT, OUT_CAPACITY);
        opts.putInt(REPEAT, Math.max(1, repeat));
        BpfException.check(LibBpf.get().bpf_prog_test_run_opts(progFd, opts), "bpf_prog_test_run_opts");
        int outLen = opts.getInt(DATA_SIZE_OUT);
        byte[] result = new byte[Math.min(outLen, OUT_CAPACITY)];
        out.get(0, result, 0, result.length);
        return new Result(opts.getInt(RETVAL), result, opts.getInt(DURATION));
    }

    /**
     * Runs syscall program {@code progFd} once on the {@code ctxSize} bytes at {@code ctx}, which
     * the kernel copies back after the run (the program's output); returns the program's return code.
     */
    public int runSyscall(int progFd, Pointer ctx, int ctxSize) {
        clearOpts();
        opts.putPointer(CTX_IN, ctx); // a syscall program takes no data, no repeat: the kernel refuses them
        opts.putInt(CTX_SIZE_IN, ctxSize);
        BpfException.check(LibBpf.get().bpf_prog_test_run_opts(progFd, opts), "bpf_prog_test_run_opts (syscall program)");
        return opts.getInt(RETVAL);
    }

    /** Zeroes the options and sets their size, as libbpf expects before each run. */
    private void clearOpts() {
        opts.setMemory(0, OPTS_SIZE, (byte) 0);
        opts.putLong(SZ, OPTS_SIZE);
    }
}
