package dev.electrode.testbed.bench;

import dev.electrode.bpf.Offload;
import dev.electrode.testbed.TestbedEnv;
import dev.electrode.testbed.TestbedSpec;
import dev.electrode.testbed.bench.ClusterMeasurement.Figures;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.*;
import java.util.concurrent.Callable;

/**
 * Electrode against plain VR, per offload and together, for several cluster sizes and client
 * counts. Repetitions are interleaved (every mode once per round, in a rotated order) so that
 * machine noise hits all modes alike; the physical limit (a UDP echo over the same stack) is
 * measured in the same run. Writes a CSV of every measurement and a JSON summary with the
 * machine description.
 */
@Command(name = "electrode-bench", mixinStandardHelpOptions = true,
        description = "Benchmark plain VR and the Electrode offloads on a namespace cluster.")
public final class BenchmarkSuite implements Callable<Integer> {
    /** The modes: which offloads a cluster runs with. */
    static final Map<String, List<Offload>> MODES = new LinkedHashMap<>();
    static {
        MODES.put("plain", List.of());
        MODES.put("broadcast", List.of(Offload.BROADCAST));
        MODES.put("fast-ack", List.of(Offload.FAST_ACK));
        MODES.put("quorum-prune", List.of(Offload.QUORUM_PRUNE));
        MODES.put("all", List.of(Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE));
    }

    @Option(names = "--replicas", split = ",", defaultValue = "3,5,7", description = "cluster sizes (default: ${DEFAULT-VALUE})")
    List<Integer> replicas;

    @Option(names = "--modes", split = ",", defaultValue = "plain,broadcast,fast-ack,quorum-prune,all",
            description = "modes (default: ${DEFAULT-VALUE})")
    List<String> modes;

    @Option(names = "--clients", split = ",", defaultValue = "1,16", description = "closed-loop clients (default: ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(names = "--repetitions", defaultValue = "3", description = "interleaved rounds (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--duration", defaultValue = "5", description = "seconds measured per cell (default: ${DEFAULT-VALUE})")
    int duration;

    @Option(names = "--warmup", defaultValue = "2", description = "seconds of warm-up per cell (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--value-size", defaultValue = "64", description = "bytes per put (default: ${DEFAULT-VALUE})")
    int valueSize;

    @Option(names = "--batch-size", defaultValue = "1", description = "VR batch size (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--out", defaultValue = "target/bench", description = "result directory (default: ${DEFAULT-VALUE})")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchmarkSuite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        for (String m : modes) if (!MODES.containsKey(m)) throw new CommandLine.ParameterException(new CommandLine(this),
                "unknown mode '" + m + "' (" + String.join(", ", MODES.keySet()) + ")");
        for (int n : replicas) if (n < 1 || n % 2 == 0 || n > 15) throw new CommandLine.ParameterException(new CommandLine(this),
                "--replicas values must be odd, 1..15, got " + n);
        Path dir = out.resolve(Instant.now().toString().replace(':', '-'));
        Files.createDirectories(dir);
        List<Figures> all = new ArrayList<>();
        Map<String, Double> limits = new LinkedHashMap<>();
        for (int n : replicas) {
            for (int rep = 0; rep < repetitions; rep++) {
                List<String> order = new ArrayList<>(modes);
                Collections.rotate(order, -rep); // a different mode goes first in every round
                for (String mode : order) all.addAll(runCell(n, mode, rep, limits));
            }
        }
        writeCsv(dir.resolve("measurements.csv"), all, limits);
        writeJson(dir.resolve("summary.json"), all, limits);
        printTable(all, limits);
        System.out.println("\nresults: " + dir.toAbsolutePath());
        return 0;
    }

    private List<Figures> runCell(int n, String mode, int rep, Map<String, Double> limits) throws Exception {
        List<Offload> offloads = MODES.get(mode);
        TestbedSpec spec = TestbedSpec.defaults(n).withCapture(false).withBatchSize(batchSize).withOffloads(offloads)
                .withTimers(50, 100, 1000, 200);
        TestbedEnv env = new TestbedEnv(spec, Path.of("target", "bench-run"));
        List<Figures> out = new ArrayList<>();
        try {
            for (int c : clients) {
                Figures f = ClusterMeasurement.measure(env, mode, !offloads.isEmpty(), c, Duration.ofSeconds(warmup),
                        Duration.ofSeconds(duration), valueSize);
                System.out.printf("n=%d %-12s round %d: %s%n", n, mode, rep + 1, f.load().summary());
                out.add(f);
            }
            if (rep == 0 && mode.equals(modes.get(0))) {
                // The ceiling through the leader's host on this topology, measured once per size in the same run.
                for (int c : clients) {
                    double echo = UdpEcho.measure(env.host(0).ns(), new InetSocketAddress(env.host(0).address(), 9000),
                            env.clientHost().ns(), c, Duration.ofSeconds(1), Duration.ofSeconds(duration), valueSize);
                    limits.put(n + "/" + c, echo);
                    System.out.printf("n=%d physical limit (UDP echo, %d outstanding): %.0f round trips/s%n", n, c, echo);
                }
            }
        } finally {
            env.close(false);
        }
        return out;
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int k = s.size();
        return k == 0 ? Double.NaN : k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }

    private Map<String, List<Figures>> cells(List<Figures> all) {
        Map<String, List<Figures>> m = new LinkedHashMap<>();
        for (int n : replicas)
            for (int c : clients)
                for (String mode : modes) m.put(n + "/" + c + "/" + mode, new ArrayList<>());
        for (Figures f : all) m.get(f.replicas() + "/" + f.clients() + "/" + f.mode()).add(f);
        return m;
    }

    private void printTable(List<Figures> all, Map<String, Double> limits) {
        System.out.printf("%n%d interleaved repetitions, %d s each, %d-byte puts, batch size %d; median [min-max]%n",
                repetitions, duration, valueSize, batchSize);
        System.out.println("| n | clients | mode         | ops/s (median [min-max])  | of limit | vs plain | p50 us | p99 us | leader CPU us/op | follower CPU us/op |");
        System.out.println("|--:|--------:|--------------|---------------------------|---------:|---------:|-------:|-------:|-----------------:|-------------------:|");
        Map<String, List<Figures>> cells = cells(all);
        for (Map.Entry<String, List<Figures>> e : cells.entrySet()) {
            List<Figures> fs = e.getValue();
            if (fs.isEmpty()) continue;
            Figures f0 = fs.get(0);
            List<Double> tput = fs.stream().map(f -> f.load().throughput()).toList();
            double med = median(tput);
            List<Figures> plain = cells.get(f0.replicas() + "/" + f0.clients() + "/plain");
            double plainMed = plain == null || plain.isEmpty() ? Double.NaN : median(plain.stream().map(f -> f.load().throughput()).toList());
            Double limit = limits.get(f0.replicas() + "/" + f0.clients());
            System.out.printf("| %d | %7d | %-12s | %8.0f [%6.0f-%6.0f] | %7.0f%% | %8.2f | %6.0f | %6.0f | %16.1f | %18.1f |%n",
                    f0.replicas(), f0.clients(), f0.mode(), med, Collections.min(tput), Collections.max(tput),
                    limit == null ? Double.NaN : 100 * med / limit, med / plainMed,
                    median(fs.stream().map(f -> f.load().percentileMicros(50)).toList()),
                    median(fs.stream().map(f -> f.load().percentileMicros(99)).toList()),
                    median(fs.stream().map(Figures::leaderCpuUs).toList()), median(fs.stream().map(Figures::followerCpuUs).toList()));
        }
    }

    private static void writeCsv(Path file, List<Figures> all, Map<String, Double> limits) throws IOException {
        StringBuilder sb = new StringBuilder("replicas,clients,mode,ops,seconds,ops_per_s,p50_us,p90_us,p99_us,p999_us,timeouts,"
                + "leader_cpu_us_per_op,follower_cpu_us_per_op,leader_udp_out_per_op,leader_udp_in_per_op,follower_udp_in_per_op,"
                + "clones_per_op,fast_acks_per_op,acks_pruned_per_op,xdp_mode,physical_limit_per_s\n");
        for (Figures f : all) {
            var l = f.load();
            sb.append(String.format(Locale.ROOT, "%d,%d,%s,%d,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%.1f%n",
                    f.replicas(), f.clients(), f.mode(), l.ops(), l.seconds(), l.throughput(), l.percentileMicros(50), l.percentileMicros(90),
                    l.percentileMicros(99), l.percentileMicros(99.9), l.timeouts(), f.leaderCpuUs(), f.followerCpuUs(), f.leaderOut(),
                    f.leaderIn(), f.followerIn(), f.clones(), f.fastAcks(), f.pruned(), f.xdpMode(),
                    limits.getOrDefault(f.replicas() + "/" + f.clients(), Double.NaN)));
        }
        Files.writeString(file, sb.toString());
    }

    private void writeJson(Path file, List<Figures> all, Map<String, Double> limits) throws IOException {
        StringBuilder sb = new StringBuilder("{\n  \"machine\": ").append(MachineInfo.json()).append(",\n");
        sb.append(String.format(Locale.ROOT, "  \"settings\": {\"repetitions\": %d, \"duration_s\": %d, \"warmup_s\": %d, \"value_size\": %d, \"batch_size\": %d},%n",
                repetitions, duration, warmup, valueSize, batchSize));
        sb.append("  \"cells\": [\n");
        List<String> rows = new ArrayList<>();
        for (Map.Entry<String, List<Figures>> e : cells(all).entrySet()) {
            List<Figures> fs = e.getValue();
            if (fs.isEmpty()) continue;
            Figures f0 = fs.get(0);
            List<Double> tput = fs.stream().map(f -> f.load().throughput()).toList();
            rows.add(String.format(Locale.ROOT, "    {\"replicas\": %d, \"clients\": %d, \"mode\": \"%s\", \"ops_per_s_median\": %.1f, "
                            + "\"ops_per_s_min\": %.1f, \"ops_per_s_max\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"physical_limit_per_s\": %.1f}",
                    f0.replicas(), f0.clients(), f0.mode(), median(tput), Collections.min(tput), Collections.max(tput),
                    median(fs.stream().map(f -> f.load().percentileMicros(50)).toList()),
                    median(fs.stream().map(f -> f.load().percentileMicros(99)).toList()),
                    limits.getOrDefault(f0.replicas() + "/" + f0.clients(), Double.NaN)));
        }
        sb.append(String.join(",\n", rows)).append("\n  ]\n}\n");
        Files.writeString(file, sb.toString().replace("NaN", "null"));
    }
}
