package dev.electrode.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A replica running as a separate JVM ({@code ElectrodeMain replica ...}) started by this
 * process, with stdout and stderr in files. Only processes started here are ever signalled.
 */
public final class ReplicaProcess implements AutoCloseable {
    /** The line a replica prints once its socket is bound. */
    public static final String READY_MARKER = "listening on";

    private final int index;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private ReplicaProcess(int index, Process process, Path stdout, Path stderr) {
        this.index = index;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts replica {@code index} of the cluster in {@code configFile}; {@code extraArgs} are
     * passed to the replica command (e.g. --batch-size, --recover). Waits until it is ready.
     */
    public static ReplicaProcess start(Path configFile, int index, Path logDir, List<String> extraArgs, Duration readyTimeout)
            throws IOException, InterruptedException {
        Files.createDirectories(logDir);
        Path out = logDir.resolve("replica-" + index + ".out");
        Path err = logDir.resolve("replica-" + index + ".err");
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(List.of("replica", "--config", configFile.toString(), "--index", Integer.toString(index)));
        cmd.addAll(extraArgs);
        long readyBefore = countReady(out); // logs append across restarts of the same replica
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()))
                .start();
        ReplicaProcess rp = new ReplicaProcess(index, p, out, err);
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (countReady(out) <= readyBefore) {
            if (!p.isAlive())
                throw new IOException("replica " + index + " exited with " + p.exitValue() + " before it was ready; stderr:\n" + tail(err));
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("replica " + index + " not ready within " + readyTimeout.toMillis() + " ms; stderr:\n" + tail(err));
            }
            Thread.sleep(20);
        }
        return rp;
    }

    private static long countReady(Path out) throws IOException {
        if (!Files.exists(out)) return 0;
        try (var lines = Files.lines(out, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains(READY_MARKER)).count();
        }
    }

    /** The command that runs {@code ElectrodeMain} with this JVM's java and class path. */
    public static List<String> javaCommand() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-XX:+UseSerialGC", "-Xss512k", "-cp", System.getProperty("java.class.path"),
                "dev.electrode.cli.ElectrodeMain");
    }

    static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    public int index() { return index; }

    public long pid() { return process.pid(); }

    public boolean isAlive() { return process.isAlive(); }

    public Path stdout() { return stdout; }

    public Path stderr() { return stderr; }

    /** SIGKILL, without waiting. */
    public void killNow() { process.destroyForcibly(); }

    /** SIGKILL, and wait for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM; returns the exit code, or -1 if it did not exit within {@code timeout}. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive() && terminate(Duration.ofSeconds(5)) < 0) kill();
    }
}
