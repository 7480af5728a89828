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
