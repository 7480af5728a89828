package dev.electrode.netns;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/** The few libc calls namespace work needs (setns(2) and friends), through jnr-ffi. */
public interface LibC {
    int O_RDONLY = 0;
    int O_CLOEXEC = 0x80000;
    int CLONE_NEWNET = 0x40000000;

    @SaveError int open(String path, int flags);

    @SaveError int close(int fd);

    /** socket(2). */
    @SaveError int socket(int domain, int type, int protocol);

    @SaveError int setns(int fd, int nstype);

    @SaveError int if_nametoindex(String name);

    String strerror(int errnum);

    int O_RDWR = 2;
    short POLLIN = 1;

    @SaveError int ioctl(int fd, long request, jnr.ffi.Pointer arg);

    @SaveError long read(int fd, jnr.ffi.Pointer buf, long count);

    @SaveError long write(int fd, jnr.ffi.Pointer buf, long count);

    /** poll(2) on an array of struct pollfd {int fd; short events; short revents;}. */
    @SaveError int poll(jnr.ffi.Pointer fds, long nfds, int timeoutMs);

    /** sched_setaffinity(2): {@code pid} 0 is the calling thread; the mask is a cpu_set_t bit array. */
    @SaveError int sched_setaffinity(int pid, long cpusetsize, jnr.ffi.Pointer mask);

    /** sched_getaffinity(2) (glibc: 0 on success). */
    @SaveError int sched_getaffinity(int pid, long cpusetsize, jnr.ffi.Pointer mask);

    /**
     * The MTU of interface {@code ifname} in the calling thread's network namespace
     * (SIOCGIFMTU on a datagram socket, which lives in that namespace).
     */
    static int mtu(String ifname) {
        byte[] name = ifname.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (name.length >= IFNAMSIZ) throw new NetnsException("interface name too long: " + ifname);
        int fd = INSTANCE.socket(AF_INET, SOCK_DGRAM | O_CLOEXEC, 0);
        if (fd < 0) throw new NetnsException("socket(AF_INET, SOCK_DGRAM): " + lastError());
        try {
            // struct ifreq: the name (IFNAMSIZ bytes), then a union whose int is the MTU.
            jnr.ffi.Pointer req = jnr.ffi.Memory.allocateDirect(Runtime.getRuntime(INSTANCE), IFREQ_SIZE);
            req.put(0, name, 0, name.length);
            req.putByte(name.length, (byte) 0);
            if (INSTANCE.ioctl(fd, SIOCGIFMTU, req) != 0) throw new NetnsException("SIOCGIFMTU " + ifname + ": " + lastError());
            return req.getInt(IFNAMSIZ);
        } finally {
            INSTANCE.close(fd);
        }
    }

    int AF_INET = 2;
    int SOCK_DGRAM = 2;
    int IFNAMSIZ = 16;
    int IFREQ_SIZE = 40;
    long SIOCGIFMTU = 0x8921;

    /** The process-wide binding. */
    LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

    /** errno of the last call made with @SaveError on this thread. */
    static int errno() { return Runtime.getRuntime(INSTANCE).getLastError(); }

    /** "strerror (errno)" for the last failed call on this thread. */
    static String lastError() {
        int e = errno();
        return INSTANCE.strerror(e) + " (errno " + e + ")";
    }
}
