package dev.electrode.netns;

import dev.electrode.netns.cpu.Affinity;
import dev.electrode.netns.cpu.CpuSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An OS process started inside a network namespace ({@code ip netns exec}), with stdout and
 * stderr in files. Only processes started here are signalled, by their own handle.
 */
public final class NsProcess implements HostProcess {
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final String description;

    private NsProcess(Process process, Path stdout, Path stderr, String description) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.description = description;
    }

    /** Starts {@code command} in {@code ns}; output is appended to {@code stdout} and {@code stderr}. */
    public static NsProcess start(NetNamespace ns, List<String> command, Path stdout, Path stderr) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
        cmd.addAll(command);
        try {
            Files.createDirectories(stdout.toAbsolutePath().getParent());
            Files.createDirectories(stderr.toAbsolutePath().getParent());
            Process p = new ProcessBuilder(cmd)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
                    .start();
            awaitEntered(p, ns);
            return new NsProcess(p, stdout, stderr, String.join(" ", command) + " in " + ns.name());
        } catch (IOException e) {
            throw new NetnsException("cannot start '" + String.join(" ", cmd) + "': " + e.getMessage(), e);
        }
    }

    /**
     * Waits until {@code p} runs in {@code ns}: `ip netns exec` enters it only after it started,
     * and whoever names the process's namespace by its pid must not see the one it came from.
     */
    private static void awaitEntered(Process p, NetNamespace ns) throws IOException {
        Object target = Files.getAttribute(ns.path(), "unix:ino");
        Path own = Path.of("/proc", Long.toString(p.pid()), "ns", "net");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (p.isAlive() && System.nanoTime() < deadline) {
            try {
                if (target.equals(Files.getAttribute(own, "unix:ino"))) return;
            } catch (IOException e) {
                if (!p.isAlive()) return; // exited at once: its output says why
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (p.isAlive()) {
            p.destroyForcibly();
            throw new NetnsException("process " + p.pid() + " did not enter namespace " + ns.name() + " within 5 s");
        }
    }

    @Override
    public long pid() { return process.pid(); }

    @Override
    public boolean isAlive() { return process.isAlive(); }

    /** Pins every thread of the process to {@code cpus}; threads it starts later inherit their creator's CPUs. */
    @Override
    public void pinTo(CpuSet cpus) { Affinity.pinProcess(pid(), cpus); }

    @Override
    public Path stdout() { return stdout; }

    @Override
    public Path stderr() { return stderr; }

    /** The exit code, waiting up to {@code timeout}; -1 if still running. */
    public int waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** SIGKILL, without waiting. */
    @Override
    public void killNow() { process.destroyForcibly(); }

    /** SIGKILL, and wait until it is gone. */
    @Override
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM; the exit code, or -1 if it did not exit within {@code timeout}. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return waitFor(timeout);
    }

    @Override
    public String toString() { return description + " (pid " + pid() + ")"; }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive() && terminate(Duration.ofSeconds(5)) < 0) kill();
    }
}
