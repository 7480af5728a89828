package dev.electrode.testbed.container;

import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import dev.electrode.netns.HostProcess;
import dev.electrode.netns.cpu.Affinity;
import dev.electrode.netns.cpu.CpuSet;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A JVM in its own container that shares a host container's network namespace, so it can be
 * killed and started again while the host stays. It gets NET_ADMIN and SYS_ADMIN (enough to load
 * and attach XDP and TC programs to the host's eth0; {@code --privileged} is refused on some
 * machines, and Docker 20.10 has no CAP_BPF); this JVM's classpath and {@code workDir} are mounted
 * at the same paths, and its stdout and stderr are appended to files there, as a namespace
 * process's are.
 */
public final class ContainerProcess implements HostProcess {
    private final GenericContainer<?> container;
    private final ProcessHandle process;
    private final Path stdout;
    private final Path stderr;

    private ContainerProcess(GenericContainer<?> container, ProcessHandle process, Path stdout, Path stderr) {
        this.container = container;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts {@code javaArgs} (what follows the {@code java} executable) in a container of the
     * topology's image joined to the network namespace of host {@code host}'s container.
     */
    public static ContainerProcess start(ContainerTopology topology, int host, List<String> javaArgs, Path workDir, Path stdout,
                                         Path stderr) {
        String redirect = "exec java " + javaArgs.stream().map(ContainerProcess::quote).collect(Collectors.joining(" "))
                + " >>" + quote(stdout.toAbsolutePath().toString()) + " 2>>" + quote(stderr.toAbsolutePath().toString());
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(topology.image()))
                .withNetworkMode("container:" + topology.containerId(host))
                .withCommand("sh", "-c", redirect)
                .withLabels(Docker.labels())
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withCapAdd(Capability.NET_ADMIN, Capability.SYS_ADMIN));
        for (Path p : mounts(workDir)) c.withFileSystemBind(p.toString(), p.toString(), p.equals(workDir.toAbsolutePath()) ? BindMode.READ_WRITE
                : BindMode.READ_ONLY);
        try {
            Files.createDirectories(workDir);
            Files.createDirectories(stdout.toAbsolutePath().getParent());
            c.start();
        } catch (IOException e) {
            throw new dev.electrode.testbed.TestbedException("cannot create " + workDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw Docker.failure("cannot start a replica container on host " + host, e);
        }
        long pid = c.getContainerInfo().getState().getPidLong();
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new dev.electrode.testbed.TestbedException(
                "the container's process " + pid + " is gone; see " + stderr));
        return new ContainerProcess(c, h, stdout, stderr);
    }

    /** The directories and jars to mount: this JVM's classpath and the work directory. */
    private static Set<Path> mounts(Path workDir) {
        Set<Path> out = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath();
            if (Files.exists(p)) out.add(p);
        }
        out.add(workDir.toAbsolutePath());
        return out;
    }

    private static String quote(String s) { return "'" + s.replace("'", "'\\''") + "'"; }

    /** The container's id. */
    public String containerId() { return container.getContainerId(); }

    @Override
    public long pid() { return process.pid(); }

    @Override
    public boolean isAlive() { return process.isAlive(); }

    @Override
    public void pinTo(CpuSet cpus) { Affinity.pinProcess(pid(), cpus); }

    @Override
    public Path stdout() { return stdout; }

    @Override
    public Path stderr() { return stderr; }

    /** SIGKILL to the JVM (the container's first process), without waiting. */
    @Override
    public void killNow() { signal("KILL"); }

    /** SIGKILL; waits until the JVM is gone and removes the container. */
    @Override
    public void kill() throws InterruptedException {
        killNow();
        awaitExit(10);
        remove();
    }

    /** Sends {@code signal} to the JVM through the engine (e.g. "HUP" for a report). */
    public void signal(String signal) {
        try {
            container.getDockerClient().killContainerCmd(container.getContainerId()).withSignal(signal).exec();
        } catch (NotFoundException | com.github.dockerjava.api.exception.ConflictException e) {
            // not running any more: nothing to signal
        }
    }

    private void awaitExit(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (process.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
    }

    private void remove() {
        try {
            container.stop(); // kills what is left and removes the container
        } catch (RuntimeException e) {
            throw Docker.failure("cannot remove container " + container.getContainerId(), e);
        }
    }

    /** SIGTERM, up to 5 s for a clean stop (the replica prints its counters), then SIGKILL; the container is removed. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            signal("TERM");
            awaitExit(5);
        }
        if (process.isAlive()) killNow();
        awaitExit(10);
        remove();
    }

    @Override
    public String toString() { return "container " + container.getContainerId().substring(0, 12) + " (pid " + pid() + ")"; }
}
