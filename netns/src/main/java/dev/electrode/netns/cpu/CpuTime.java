package dev.electrode.netns.cpu;

import dev.electrode.netns.NetnsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** CPU time from /proc: of one thread (scheduler nanoseconds) and of each CPU by kind. */
public final class CpuTime {
    /** USER_HZ: /proc/stat counts in these ticks on every Linux architecture we run on. */
    private static final double TICK_NANOS = 1e9 / 100;

    private CpuTime() {}

    /** Nanoseconds thread (or kernel thread) {@code tid} has run, from /proc/&lt;tid&gt;/schedstat. */
    public static long threadNanos(int tid) {
        try {
            String s = Files.readString(Path.of("/proc", Integer.toString(tid), "schedstat")).strip();
            return Long.parseLong(s.substring(0, s.indexOf(' ')));
        } catch (IOException | RuntimeException e) {
            throw new NetnsException("cannot read CPU time of thread " + tid + ": " + e.getMessage(), e);
        }
    }

    /**
     * Nanoseconds every thread of process {@code pid} has run, living or ended (user and system
     * time from /proc/&lt;pid&gt;/stat, in ticks): the whole JVM, its GC and JIT threads too.
     */
    public static long processNanos(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name may hold spaces and parentheses: fields are counted after its last ')'.
            String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split("\\s+");
            return (long) ((Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS); // utime, stime: fields 14, 15
        } catch (IOException | RuntimeException e) {
            throw new NetnsException("cannot read CPU time of process " + pid + ": " + e.getMessage(), e);
        }
    }

    /** The first thread of process {@code pid} whose name starts with {@code prefix}, or -1. */
    public static int threadNamed(long pid, String prefix) {
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.sorted().toList()) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).strip();
                } catch (IOException ended) {
                    continue; // the thread ended while listed
                }
                if (comm.startsWith(prefix)) return Integer.parseInt(t.getFileName().toString());
            }
            return -1;
        } catch (IOException e) {
            throw new NetnsException("cannot list threads of process " + pid + ": " + e.getMessage(), e);
        }
    }

    /**
     * Nanoseconds the living threads of process {@code pid} whose names start with one of
     * {@code prefixes} have run (e.g. a JVM's compiler threads, "C1 CompilerThre" and "C2 CompilerThre").
     */
    public static long threadsNanos(long pid, List<String> prefixes) {
        long sum = 0;
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    for (String p : prefixes) {
                        if (!comm.startsWith(p)) continue;
                        String s = Files.readString(t.resolve("schedstat")).strip();
                        sum += Long.parseLong(s.substring(0, s.indexOf(' ')));
                        break;
                    }
                } catch (IOException ended) {
                    // the thread ended while listed: its time is gone with it
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            throw new NetnsException("cannot read the threads of process " + pid + ": " + e.getMessage(), e);
        }
    }

    /** Time one CPU spent per kind since boot, in nanoseconds (from /proc/stat). */
    public record PerCpu(int cpu, long user, long system, long softirq, long irq, long idle, long steal) {
        /** The time from {@code earlier} to this. */
        public PerCpu minus(PerCpu earlier) {
            return new PerCpu(cpu, user - earlier.user, system - earlier.system, softirq - earlier.softirq,
                    irq - earlier.irq, idle - earlier.idle, steal - earlier.steal);
        }

        public long total() { return user + system + softirq + irq + idle + steal; }

        /** Share of the total spent on {@code part} (0..1). */
        public double share(long part) { return total() == 0 ? 0 : (double) part / total(); }
    }

    /** Every CPU's counters now. */
    public static List<PerCpu> perCpu() {
        List<PerCpu> l = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (!line.startsWith("cpu") || line.startsWith("cpu ")) continue;
                String[] f = line.trim().split("\\s+");
                // cpuN user nice system idle iowait irq softirq steal guest guest_nice
                long[] v = new long[f.length];
                for (int i = 1; i < f.length; i++) v[i] = (long) (Long.parseLong(f[i]) * TICK_NANOS);
                l.add(new PerCpu(Integer.parseInt(f[0].substring(3)), v[1] + v[2], v[3], v[7], v[6], v[4] + v[5], v[8]));
            }
        } catch (IOException | RuntimeException e) {
            throw new NetnsException("cannot read /proc/stat: " + e.getMessage(), e);
        }
        return l;
    }
}
