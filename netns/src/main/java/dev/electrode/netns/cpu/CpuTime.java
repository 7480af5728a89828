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
