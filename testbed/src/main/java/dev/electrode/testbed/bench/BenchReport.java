package dev.electrode.testbed.bench;

import dev.electrode.testbed.CpuPlacement;
import dev.electrode.testbed.ReplicationProtocol;
import dev.electrode.testbed.bench.ClusterMeasurement.Cell;
import dev.electrode.testbed.bench.ClusterMeasurement.CpuShare;
import dev.electrode.testbed.bench.ClusterMeasurement.Figures;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.function.ToDoubleFunction;

/** The measurements of one benchmark run, grouped by cell: the console table, the CSV and the JSON summary. */
final class BenchReport {
    /** What the run was asked to measure; {@code hosting} says whether the replicas ran in the benchmark's JVM or as processes. */
    record Settings(List<ReplicationProtocol> protocols, List<Integer> replicas, List<String> modes, List<String> placements, List<Integer> clients,
                    List<Integer> valueSizes, List<Integer> batchSizes, List<String> durabilities, int repetitions, int durationS, int warmupS,
                    int mtu, CpuPlacement cpus, String hosting, List<String> replicaJvmOptions, Map<String, List<String>> variantOptions) {
        /** The variants of an A/B run, in order ("" alone without one). */
        List<String> variants() { return variantOptions.isEmpty() ? List.of("") : List.copyOf(variantOptions.keySet()); }

        @Override public String toString() {
            return String.format("protocols %s; replicas %s%s; %d interleaved repetitions of %d s (after %d s warm-up), batch sizes %s, "
                            + "durability %s, MTU %d, snapshots every %d ops; pinned placement: %s",
                    protocols.stream().map(ReplicationProtocol::label).toList(), hosting,
                    hosting.equals("processes") ? " (JVM options " + String.join(" ", replicaJvmOptions) + ")" : "",
                    repetitions, durationS, warmupS, batchSizes, durabilities, mtu, ClusterMeasurement.SNAPSHOT_EVERY, cpus)
                    + (variantOptions.isEmpty() ? "" : "; A/B variants (replica JVM options added): " + variantOptions);
        }
    }

    private final Settings settings;
    private final Map<String, List<Figures>> byCell = new LinkedHashMap<>();
    private final Map<String, Cell> cells = new LinkedHashMap<>();
    private final Map<String, Double> limits = new LinkedHashMap<>();
    private final Map<String, UdpEcho.Result> roundTrips = new LinkedHashMap<>();

    BenchReport(Settings settings) {
        this.settings = settings;
    }

    Settings settings() { return settings; }

    void add(Figures f) {
        byCell.computeIfAbsent(f.cell().key(), k -> new ArrayList<>()).add(f);
        cells.putIfAbsent(f.cell().key(), f.cell());
    }

    /** Records the UDP-echo ceiling for {@code cell}'s topology, placement, clients and size. */
    void limit(Cell cell, double roundTripsPerSecond) { limits.put(cell.limitKey(), roundTripsPerSecond); }

    double limitOf(Cell cell) { return limits.getOrDefault(cell.limitKey(), Double.NaN); }

    /** Records the one-outstanding echo between the client and the leader's host for {@code cell}'s topology and size. */
    void roundTrip(Cell cell, UdpEcho.Result echo) { roundTrips.put(cell.roundTripKey(), echo); }

    /** The echo round trip's percentile {@code p} in microseconds for {@code cell}'s topology (NaN if not measured). */
    double roundTripMicros(Cell cell, double p) {
        UdpEcho.Result r = roundTrips.get(cell.roundTripKey());
        return r == null ? Double.NaN : r.rttMicros(p);
    }

    /** Cells in a stable order: durability, size, placement, request size, batch, clients, then protocol and mode as given. */
    List<Cell> cells() {
        List<Cell> l = new ArrayList<>();
        for (String d : settings.durabilities())
            for (int n : settings.replicas())
                for (String p : settings.placements())
                    for (int v : settings.valueSizes())
                        for (int b : settings.batchSizes())
                            for (int c : settings.clients())
                                for (ReplicationProtocol protocol : settings.protocols())
                                    for (String m : settings.modes())
                                        for (String variant : settings.variants()) {
                                            Cell cell = new Cell(protocol, n, m, p, c, v, b, d, variant);
                                            if (byCell.containsKey(cell.key())) l.add(cell);
                                        }
        return l;
    }

    /** The name of a protocol's mode in tables and plots: the mode alone when the run measured VR only. */
    String label(ReplicationProtocol protocol, String mode) {
        return settings.protocols().equals(List.of(ReplicationProtocol.VR)) ? mode : protocol.word() + " " + mode;
    }

    /** A cell's name in tables and plots: its protocol's mode, and its variant in an A/B run. */
    String label(Cell c) { return label(c.protocol(), c.mode()) + (c.variant().isEmpty() ? "" : " [" + c.variant() + "]"); }

    List<Figures> of(Cell cell) { return byCell.getOrDefault(cell.key(), List.of()); }

    /** The median over repetitions of {@code metric} in {@code cell} (NaN if not measured). */
    double median(Cell cell, ToDoubleFunction<Figures> metric) {
        double[] v = of(cell).stream().mapToDouble(metric).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    double min(Cell cell, ToDoubleFunction<Figures> metric) { return of(cell).stream().mapToDouble(metric).min().orElse(Double.NaN); }

    double max(Cell cell, ToDoubleFunction<Figures> metric) { return of(cell).stream().mapToDouble(metric).max().orElse(Double.NaN); }

    static double throughput(Figures f) { return f.load().throughput(); }

    /** All repetitions' latencies of a cell in one histogram (nanoseconds). */
    Histogram latencies(Cell cell) {
        Histogram h = new Histogram(3);
        for (Figures f : of(cell)) h.add(f.load().latencyNanos());
        return h;
    }

    /** Share (0..1) of one CPU spent busy or in softirq/irq, median over repetitions. */
    double cpuShare(Cell cell, int cpu, boolean softirqOnly) {
        return median(cell, f -> f.cpus().stream().filter(s -> s.cpu() == cpu).mapToDouble(s -> softirqOnly ? s.softirq() : s.busy())
                .findFirst().orElse(Double.NaN));
    }

    /** The CPU whose load the table shows: the pinned leader's first CPU (the same CPU number in naive cells). */
    int leaderCpu() { return settings.cpus().replica(0).first(); }

    void printTable() {
        System.out.printf("%n%s%nmedian [min-max] over repetitions; CPU figures in microseconds per committed operation; "
                + "'rx' is the host's kernel receive work (NAPI threads, pinned placement only); 'jvm' is the whole replica process "
                + "(replicas as processes only); 'p50/rtt' is the median latency over the median one-outstanding UDP echo round trip "
                + "between the client's and the leader's hosts, measured in the same run; 'jit' is the JIT compilers' CPU in every JVM "
                + "(replicas and client) while measuring, in ms per second; cpu%d is the leader's CPU%n",
                settings, leaderCpu());
        System.out.println("| n | placement      | batch | durability | clients | mode              | ops/s [min-max]          | of limit | vs plain "
                + "| p50 us | p99 us | p50/rtt | p99/p50 | leader thread | leader jvm | leader rx | follower thread | follower jvm | follower rx "
                + "| cpu" + leaderCpu() + " busy | cpu" + leaderCpu() + " softirq | jit ms/s |");
        System.out.println("|--:|----------------|------:|------------|--------:|-------------------|--------------------------|---------:|---------:"
                + "|-------:|-------:|--------:|--------:|--------------:|-----------:|----------:|----------------:|-------------:|------------:"
                + "|---------:|------------:|---------:|");
        for (Cell c : cells()) {
            double med = median(c, BenchReport::throughput);
            double plain = median(c.inMode("plain"), BenchReport::throughput);
            double p50 = median(c, f -> f.load().percentileMicros(50)), p99 = median(c, f -> f.load().percentileMicros(99));
            System.out.printf(Locale.ROOT, "| %d | %-14s | %5d | %-10s | %7d | %-17s | %7.0f [%6.0f-%6.0f] | %7.0f%% | %8.2f | %6.0f | %6.0f "
                            + "| %7.2f | %7.2f | %13.1f | %10.1f | %9.1f | %15.1f | %12.1f | %11.1f | %7.0f%% | %10.0f%% | %8.1f |%n",
                    c.replicas(), c.placement(), c.batch(), c.durability(), c.clients(), label(c), med,
                    min(c, BenchReport::throughput), max(c, BenchReport::throughput), 100 * med / limitOf(c), med / plain, p50, p99,
                    p50 / roundTripMicros(c, 50), p99 / p50,
                    median(c, Figures::leaderCpuUs), median(c, Figures::leaderProcessCpuUs), median(c, Figures::leaderKernelRxUs),
                    median(c, Figures::followerCpuUs), median(c, Figures::followerProcessCpuUs), median(c, Figures::followerKernelRxUs),
                    100 * cpuShare(c, leaderCpu(), false), 100 * cpuShare(c, leaderCpu(), true), median(c, Figures::jitMsPerS));
        }
        roundTrips.forEach((k, r) -> System.out.printf(Locale.ROOT, "echo round trip n/placement/bytes %s: p50 %.1f us, p99 %.1f us, %.0f round trips/s%n",
                k, r.rttMicros(50), r.rttMicros(99), r.roundTripsPerSecond()));
    }

    void writeCsv(Path file) throws IOException {
        int cpus = byCell.values().stream().flatMap(List::stream).mapToInt(f -> f.cpus().size()).max().orElse(0);
        StringBuilder sb = new StringBuilder("protocol,replicas,placement,value_size,clients,mode,ops,seconds,ops_per_s,p50_us,p90_us,p99_us,p999_us,"
                + "timeouts,leader_cpu_us_per_op,follower_cpu_us_per_op,leader_kernel_rx_us_per_op,follower_kernel_rx_us_per_op,"
                + "leader_udp_out_per_op,leader_udp_in_per_op,follower_udp_in_per_op,clones_per_op,fast_acks_per_op,acks_pruned_per_op,"
                + "xdp_mode,physical_limit_per_s,batch_size,durability,hosting,leader_jvm_cpu_us_per_op,follower_jvm_cpu_us_per_op,"
                + "echo_rtt_p50_us,echo_rtt_p99_us,variant,jit_cpu_ms_per_s");
        for (int i = 0; i < cpus; i++) sb.append(",cpu").append(i).append("_busy,cpu").append(i).append("_softirq");
        sb.append('\n');
        for (Cell c : cells()) {
            for (Figures f : of(c)) {
                var l = f.load();
                sb.append(String.format(Locale.ROOT, "%s,%d,%s,%d,%d,%s,%d,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%.1f",
                        c.protocol().word(), c.replicas(), c.placement(), c.valueSize(), c.clients(), c.mode(), l.ops(), l.seconds(), l.throughput(),
                        l.percentileMicros(50), l.percentileMicros(90), l.percentileMicros(99), l.percentileMicros(99.9), l.timeouts(),
                        f.leaderCpuUs(), f.followerCpuUs(), f.leaderKernelRxUs(), f.followerKernelRxUs(), f.leaderOut(), f.leaderIn(),
                        f.followerIn(), f.clones(), f.fastAcks(), f.pruned(), f.xdpMode(), limitOf(c)));
                sb.append(String.format(Locale.ROOT, ",%d,%s,%s,%.3f,%.3f,%.1f,%.1f,%s,%.1f", c.batch(), c.durability(), settings.hosting(),
                        f.leaderProcessCpuUs(), f.followerProcessCpuUs(), roundTripMicros(c, 50), roundTripMicros(c, 99), c.variant(), f.jitMsPerS()));
                for (CpuShare s : f.cpus()) sb.append(String.format(Locale.ROOT, ",%.3f,%.3f", s.busy(), s.softirq()));
                sb.append('\n');
            }
        }
        Files.writeString(file, sb.toString().replace("NaN", ""));
    }

    void writeJson(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("{\n  \"machine\": ").append(MachineInfo.json()).append(",\n");
        sb.append(String.format(Locale.ROOT, "  \"settings\": {\"repetitions\": %d, \"duration_s\": %d, \"warmup_s\": %d, "
                        + "\"batch_sizes\": \"%s\", \"durabilities\": \"%s\", \"mtu\": %d, \"pinned_cpus\": \"%s\", \"replicas_as\": \"%s\", "
                        + "\"replica_jvm_options\": \"%s\"},%n",
                settings.repetitions(), settings.durationS(), settings.warmupS(), settings.batchSizes(), settings.durabilities(), settings.mtu(),
                settings.cpus(), settings.hosting(), String.join(" ", settings.replicaJvmOptions())));
        sb.append("  \"cells\": [\n");
        List<String> rows = new ArrayList<>();
        for (Cell c : cells()) {
            double med = median(c, BenchReport::throughput);
            rows.add(String.format(Locale.ROOT, "    {\"protocol\": \"%s\", \"replicas\": %d, \"placement\": \"%s\", \"value_size\": %d, \"clients\": %d, "
                            + "\"mode\": \"%s\", \"repetitions\": %d, \"ops_per_s_median\": %.1f, \"ops_per_s_min\": %.1f, \"ops_per_s_max\": %.1f, "
                            + "\"vs_plain\": %.3f, \"fraction_of_limit\": %.3f, \"physical_limit_per_s\": %.1f, \"p50_us\": %.1f, "
                            + "\"p90_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"leader_cpu_us_per_op\": %.3f, "
                            + "\"follower_cpu_us_per_op\": %.3f, \"leader_kernel_rx_us_per_op\": %.3f, \"follower_kernel_rx_us_per_op\": %.3f, "
                            + "\"leader_udp_out_per_op\": %.3f, \"follower_udp_in_per_op\": %.3f, \"batch_size\": %d, \"durability\": \"%s\", "
                            + "\"leader_jvm_cpu_us_per_op\": %.3f, \"echo_rtt_p50_us\": %.1f, \"echo_rtt_p99_us\": %.1f, \"variant\": \"%s\", "
                            + "\"jit_cpu_ms_per_s\": %.1f}",
                    c.protocol().word(), c.replicas(), c.placement(), c.valueSize(), c.clients(), c.mode(), of(c).size(), med,
                    min(c, BenchReport::throughput), max(c, BenchReport::throughput), med / median(c.inMode("plain"), BenchReport::throughput),
                    med / limitOf(c), limitOf(c), median(c, f -> f.load().percentileMicros(50)),
                    median(c, f -> f.load().percentileMicros(90)), median(c, f -> f.load().percentileMicros(99)),
                    median(c, f -> f.load().percentileMicros(99.9)), median(c, Figures::leaderCpuUs), median(c, Figures::followerCpuUs),
                    median(c, Figures::leaderKernelRxUs), median(c, Figures::followerKernelRxUs), median(c, Figures::leaderOut),
                    median(c, Figures::followerIn), c.batch(), c.durability(), median(c, Figures::leaderProcessCpuUs),
                    roundTripMicros(c, 50), roundTripMicros(c, 99), c.variant(), median(c, Figures::jitMsPerS)));
        }
        sb.append(String.join(",\n", rows)).append("\n  ]\n}\n");
        Files.writeString(file, sb.toString().replace("NaN", "null"));
    }
}
