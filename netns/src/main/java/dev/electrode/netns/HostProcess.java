package dev.electrode.netns;

import dev.electrode.netns.cpu.CpuSet;

import java.nio.file.Path;

/**
 * An OS process that runs on one emulated host, wherever that host is (a namespace, a
 * container), with stdout and stderr appended to files. Only processes started here are signalled.
 */
public interface HostProcess extends AutoCloseable {
    /** Its process id as this machine's root PID namespace sees it. */
    long pid();

    boolean isAlive();

    /** Pins every thread of the process to {@code cpus}. */
    void pinTo(CpuSet cpus);

    Path stdout();

    Path stderr();

    /** SIGKILL, without waiting. */
    void killNow();

    /** SIGKILL, and wait until it is gone. */
    void kill() throws InterruptedException;

    /** True once stdout contains {@code text}. */
    default boolean stdoutContains(String text) {
        try {
            return java.nio.file.Files.exists(stdout()) && java.nio.file.Files.readString(stdout()).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
    @Override
    void close() throws InterruptedException;
}
