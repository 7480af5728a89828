package dev.electrode.netns;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.*;

/**
 * A named network namespace ({@code ip netns add}) with a platform thread that lives inside
 * it. Code passed to {@link #call} runs on that thread: sockets it creates (including a
 * Netty channel it binds) belong to the namespace, and interface names resolve there.
 * Create sockets only on the namespace thread; Netty event loops must be started from a
 * root-namespace thread before, since threads inherit the namespace of their creator.
 */
public final class NetNamespace implements AutoCloseable {
    private final String name;
    private final ExecutorService thread;
    private volatile boolean closed;

    private NetNamespace(String name) {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "netns-" + name);
            t.setDaemon(true);
            return t;
        });
        // The executor thread switches itself into the namespace once, for good.
        try {
            // Generous: the first setns of a cold JVM loads its native binding (seconds under emulation).
            thread.submit(() -> enter(path())).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            thread.shutdownNow();
            throw new NetnsException("cannot enter namespace " + name + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            thread.shutdownNow();
            throw new NetnsException("cannot enter namespace " + name, e);
        }
    }

    /**
     * Creates the namespace {@code name} (which must not exist), brings its loopback up and
     * turns IPv6 off in it: the project is IPv4-only, and IPv6 neighbour discovery would add
     * frames to captures and fault rules.
     */
    public static NetNamespace create(String name) {
        if (name.length() > 64 || !name.matches("[A-Za-z0-9_.-]+"))
            throw new IllegalArgumentException("bad namespace name '" + name + "'");
        Commands.ip("netns", "add", name);
        try {
            Commands.ip("-n", name, "link", "set", "lo", "up");
            NetNamespace ns = new NetNamespace(name);
            ns.run(() -> {
                for (String conf : new String[] {"all", "default"})
                    java.nio.file.Files.writeString(Path.of("/proc/sys/net/ipv6/conf", conf, "disable_ipv6"), "1");
            });
            return ns;
        } catch (RuntimeException e) {
            try {
                Commands.ip("netns", "del", name);
            } catch (NetnsException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Names the network namespace that process {@code pid} lives in ({@code ip netns attach}),
     * e.g. a container's, and returns a handle on it. Closing the handle removes only the name:
     * the namespace lives as long as its processes do.
     */
    public static NetNamespace attach(String name, long pid) {
        if (name.length() > 64 || !name.matches("[A-Za-z0-9_.-]+"))
            throw new IllegalArgumentException("bad namespace name '" + name + "'");
        Commands.ip("netns", "attach", name, Long.toString(pid));
        try {
            return new NetNamespace(name);
        } catch (RuntimeException e) {
            try {
                Commands.ip("netns", "del", name);
            } catch (NetnsException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Moves the calling thread into the namespace at {@code nsPath}. */
    static void enter(Path nsPath) {
        int fd = LibC.INSTANCE.open(nsPath.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) throw new NetnsException("open " + nsPath + ": " + LibC.lastError());
        try {
            if (LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET) != 0)
                throw new NetnsException("setns(" + nsPath + ", CLONE_NEWNET): " + LibC.lastError());
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    public String name() { return name; }

    /** The bind-mount of the namespace, /run/netns/NAME. */
    public Path path() { return Path.of("/run/netns", name); }

    /** Runs {@code task} on the namespace's thread and returns its result. */
    public <T> T call(Callable<T> task) {
        if (closed) throw new IllegalStateException("namespace " + name + " is closed");
        try {
            return thread.submit(task).get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new NetnsException("in namespace " + name + ": " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetnsException("interrupted while running in namespace " + name, e);
        }
    }

    /** Runs {@code task} on the namespace's thread. */
    public void run(ThrowingRunnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** A Runnable that may throw. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** The interface index of {@code ifname} inside this namespace. */
    public int ifindex(String ifname) {
        return call(() -> {
            int idx = LibC.INSTANCE.if_nametoindex(ifname);
            if (idx == 0) throw new NetnsException("no interface '" + ifname + "' in namespace " + name);
            return idx;
        });
    }

    /** Runs {@code ip -n NAME args...}. */
    public String ip(String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "-n";
        full[1] = name;
        System.arraycopy(args, 0, full, 2, args.length);
        return Commands.ip(full);
    }

    /** The MAC address of {@code ifname} in this namespace, as six bytes. */
    public byte[] mac(String ifname) {
        String out = ip("-o", "link", "show", "dev", ifname);
        int i = out.indexOf("link/ether ");
        if (i < 0) throw new NetnsException("no Ethernet address on " + ifname + " in " + name + ": " + out.strip());
        String[] hex = out.substring(i + 11, i + 28).split(":");
        byte[] mac = new byte[6];
        for (int k = 0; k < 6; k++) mac[k] = (byte) Integer.parseInt(hex[k], 16);
        return mac;
    }

    /** True if the namespace's bind-mount exists. */
    public boolean exists() { return Files.exists(path()); }

    /**
     * Deletes the namespace (and with it every interface and attachment in it); for one made with
     * {@link #attach}, removes only its name. Idempotent.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        thread.shutdownNow();
        if (exists()) Commands.ip("netns", "del", name);
    }
}
