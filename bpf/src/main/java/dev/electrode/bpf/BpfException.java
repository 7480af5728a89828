package dev.electrode.bpf;

/** A libbpf or kernel BPF operation failed; the message names the operation and the error. */
public final class BpfException extends RuntimeException {
    private final int errno;

    public BpfException(String message) {
        this(message, 0);
    }

    public BpfException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** Throws if {@code ret} (a libbpf int result) is negative. */
    public static int check(int ret, String operation) {
        if (ret < 0) throw new BpfException(operation + ": " + LibBpf.describe(ret), -ret);
        return ret;
    }

    /** The positive errno, or 0 when not from a system call. */
    public int errno() { return errno; }
}
