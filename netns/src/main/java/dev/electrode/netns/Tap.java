package dev.electrode.netns;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A TAP device owned by this process (it disappears when closed), created in the namespace
 * of the calling thread. Frames the kernel sends out of the device are read here; frames
 * written here enter the kernel as if received on it.
 */
public final class Tap implements AutoCloseable {
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    private static final int IFREQ_SIZE = 40, MAX_FRAME = 65536;

    private final String name;
    private final int fd;
    private final Pointer readBuf;
    private final Pointer writeBuf;
    private final Pointer pollFd;
    private volatile boolean closed;

    private Tap(String name, int fd) {
        Runtime rt = Runtime.getRuntime(LibC.INSTANCE);
        this.name = name;
        this.fd = fd;
        this.readBuf = Memory.allocateDirect(rt, MAX_FRAME);
        this.writeBuf = Memory.allocateDirect(rt, MAX_FRAME);
        this.pollFd = Memory.allocateDirect(rt, 8, true);
    }

    /** Creates TAP device {@code name} in the calling thread's namespace (it starts down). */
    public static Tap create(String name) {
        if (name.length() > 15) throw new IllegalArgumentException("interface name too long: " + name);
        int fd = LibC.INSTANCE.open("/dev/net/tun", LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) throw new NetnsException("open /dev/net/tun: " + LibC.lastError() + " (is the tun module built in?)");
        Pointer ifr = Memory.allocateDirect(Runtime.getRuntime(LibC.INSTANCE), IFREQ_SIZE, true);
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ifr.put(0, n, 0, n.length);
        ifr.putShort(16, (short) (IFF_TAP | IFF_NO_PI));
        if (LibC.INSTANCE.ioctl(fd, TUNSETIFF, ifr) < 0) {
            String err = LibC.lastError();
            LibC.INSTANCE.close(fd);
            throw new NetnsException("TUNSETIFF " + name + ": " + err);
        }
        return new Tap(name, fd);
    }

    public String name() { return name; }

    /**
     * Reads one frame the kernel sent out of the device, waiting up to {@code timeoutMs};
     * returns null on timeout. Call from one thread.
     */
    public byte[] read(int timeoutMs) {
        pollFd.putInt(0, fd);
        pollFd.putShort(4, LibC.POLLIN);
        pollFd.putShort(6, (short) 0);
        int ready = LibC.INSTANCE.poll(pollFd, 1, timeoutMs);
        if (ready <= 0 || closed) return null;
        long n = LibC.INSTANCE.read(fd, readBuf, MAX_FRAME);
        if (n <= 0) return null;
        byte[] frame = new byte[(int) n];
        readBuf.get(0, frame, 0, frame.length);
        return frame;
    }

    /** Injects {@code frame} as if the device had received it. Call from one thread. */
    public void write(byte[] frame) {
        writeBuf.put(0, frame, 0, frame.length);
        if (LibC.INSTANCE.write(fd, writeBuf, frame.length) < 0 && !closed)
            throw new NetnsException("write to tap " + name + ": " + LibC.lastError());
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.INSTANCE.close(fd);
        }
    }
}
