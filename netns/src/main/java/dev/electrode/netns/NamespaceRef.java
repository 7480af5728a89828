package dev.electrode.netns;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * An open handle on a network namespace (a file descriptor), so work can later run inside
 * it from any thread, e.g. detaching a program in the namespace it was attached in.
 */
public final class NamespaceRef implements AutoCloseable {
    private final int fd;
    private final String description;
    private boolean closed;

    private NamespaceRef(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /** The namespace of the calling thread. */
    public static NamespaceRef ofCurrentThread() {
        String path = "/proc/thread-self/ns/net";
        int fd = LibC.INSTANCE.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) throw new NetnsException("open " + path + ": " + LibC.lastError());
        return new NamespaceRef(fd, "namespace of thread " + Thread.currentThread().getName());
    }

    /** Runs {@code task} on a new platform thread inside this namespace and returns its result. */
    public <T> T call(Callable<T> task) {
        if (closed) throw new IllegalStateException(description + ": handle closed");
        FutureTask<T> f = new FutureTask<>(() -> {
            if (LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET) != 0)
                throw new NetnsException("setns into " + description + ": " + LibC.lastError());
            return task.call();
        });
        Thread t = new Thread(f, "netns-ref");
        t.setDaemon(true);
        t.start();
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new NetnsException(description + ": " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetnsException("interrupted in " + description, e);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.INSTANCE.close(fd);
        }
    }
}
