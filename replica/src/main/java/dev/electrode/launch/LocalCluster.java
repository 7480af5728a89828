package dev.electrode.launch;

import dev.electrode.config.ClusterConfig;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A cluster of replica processes on loopback, each on a free UDP port, with its config file and logs in one directory. */
public final class LocalCluster implements AutoCloseable {
    private final ClusterConfig config;
    private final Path dir;
    private final Path configFile;
    private final List<String> replicaArgs;
    private final ReplicaProcess[] processes;
    private final boolean durable;
    private final Thread shutdownHook = new Thread(this::closeQuietly, "local-cluster-cleanup");

    private LocalCluster(ClusterConfig config, Path dir, List<String> replicaArgs, boolean durable) throws IOException {
        this.config = config;
        this.dir = dir;
        this.replicaArgs = List.copyOf(replicaArgs);
        this.durable = durable;
        this.configFile = dir.resolve("cluster.conf");
        Files.writeString(configFile, config.toText());
        this.processes = new ReplicaProcess[config.size()];
    }

    /** Starts {@code n} replica processes on 127.0.0.1; {@code replicaArgs} go to every replica command. */
    public static LocalCluster start(int n, Path dir, List<String> replicaArgs) throws IOException, InterruptedException {
        return start(n, dir, replicaArgs, false);
    }

    /**
     * As above; with {@code durable}, each replica keeps its journal in {@code dir/data-<i>}
     * ({@code --data-dir}; the replica's default durability, sync, unless replicaArgs say
     * otherwise), and {@link #restart} brings it back from there.
     */
    public static LocalCluster start(int n, Path dir, List<String> replicaArgs, boolean durable) throws IOException, InterruptedException {
        if (n < 1 || n % 2 == 0) throw new IllegalArgumentException("replica count must be odd, got " + n);
        Files.createDirectories(dir);
        LocalCluster c = new LocalCluster(new ClusterConfig((n - 1) / 2, freeLoopbackPorts(n)), dir, replicaArgs, durable);
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        try {
            for (int i = 0; i < n; i++) c.processes[i] = ReplicaProcess.start(c.configFile, i, dir, c.argsOf(i, false), Duration.ofSeconds(30));
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** {@code n} distinct UDP ports on 127.0.0.1 that were free a moment ago. */
    public static List<InetSocketAddress> freeLoopbackPorts(int n) throws IOException {
        List<DatagramSocket> held = new ArrayList<>();
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            InetAddress lo = InetAddress.getLoopbackAddress();
            for (int i = 0; i < n; i++) {
                DatagramSocket s = new DatagramSocket(new InetSocketAddress(lo, 0));
                held.add(s);
                out.add(new InetSocketAddress(lo, s.getLocalPort()));
            }
        } finally {
            for (DatagramSocket s : held) s.close();
        }
        return out;
    }

    public ClusterConfig config() { return config; }

    public Path directory() { return dir; }

    public ReplicaProcess process(int i) { return processes[i]; }

    /** SIGKILLs replica {@code i}. */
    public void kill(int i) throws InterruptedException { processes[i].kill(); }

    /** Replica {@code i}'s data directory (durable clusters). */
    public Path dataDir(int i) { return dir.resolve("data-" + i); }

    private List<String> argsOf(int i, boolean restart) {
        List<String> args = new ArrayList<>(replicaArgs);
        if (durable) args.addAll(List.of("--data-dir", dataDir(i).toString()));
        else if (restart) args.add("--recover");
        return args;
    }

    /**
     * Starts replica {@code i} again: from its data directory if the cluster is durable,
     * otherwise through the recovery protocol.
     */
    public void restart(int i) throws IOException, InterruptedException {
        if (processes[i].isAlive()) throw new IllegalStateException("replica " + i + " is still running (pid " + processes[i].pid() + ")");
        processes[i] = ReplicaProcess.start(configFile, i, dir, argsOf(i, true), Duration.ofSeconds(30));
    }

    /** SIGKILLs every replica, one right after the other (a power loss everywhere). */
    public void killAll() throws InterruptedException {
        for (ReplicaProcess p : processes) p.killNow();
        for (ReplicaProcess p : processes) p.kill(); // waits until each is gone
    }

    @Override
    public void close() {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // already shutting down: the hook is running this
        }
    }

    private void closeQuietly() {
        for (ReplicaProcess p : processes) {
            if (p == null) continue;
            try {
                p.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
