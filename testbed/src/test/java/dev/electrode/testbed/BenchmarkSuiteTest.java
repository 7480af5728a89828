package dev.electrode.testbed;

import dev.electrode.netns.RootRequired;
import dev.electrode.testbed.bench.BenchmarkSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The benchmark command end to end on a tiny configuration: it runs every cell and writes its files. Figures are not asserted. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BenchmarkSuiteTest {
    @Test
    void writesEveryMeasurementTheSummaryAndThePlots(@TempDir Path out) throws Exception {
        RootRequired.assumeRoot();
        int exit = new CommandLine(new BenchmarkSuite()).execute("--replicas", "3", "--modes", "plain,all", "--clients", "2",
                "--placement", "pinned,naive", "--repetitions", "2", "--duration", "1", "--warmup", "0", "--jvm-warmup", "1",
                "--replicas-as", "in-jvm", "--out", out.toString());
        assertEquals(0, exit);
        Path dir;
        try (Stream<Path> s = Files.list(out)) {
            dir = s.findFirst().orElseThrow();
        }
        List<String> csv = Files.readAllLines(dir.resolve("measurements.csv"));
        assertEquals(1 + 2 * 2 * 2, csv.size(), "header + 2 placements x 2 modes x 2 repetitions: " + csv);
        assertTrue(csv.stream().skip(1).allMatch(l -> l.startsWith("vr,3,pinned,64,2,") || l.startsWith("vr,3,naive,64,2,")), csv.toString());
        assertTrue(csv.stream().anyMatch(l -> l.contains(",all,") && l.contains("NATIVE")), "the offloads ran natively");
        List<String> header = List.of(csv.get(0).split(","));
        int rx = header.indexOf("follower_kernel_rx_us_per_op");
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",", -1);
            // Kernel receive CPU is measured (NAPI threads) with the pinned placement only.
            assertEquals(line.startsWith("vr,3,pinned"), !f[rx].isEmpty(), line);
        }
        String json = Files.readString(dir.resolve("summary.json"));
        assertTrue(json.contains("\"kernel\"") && json.contains("\"mode\": \"all\"") && json.contains("\"physical_limit_per_s\"")
                && json.contains("\"placement\": \"pinned\""), json);
        for (String plot : List.of("throughput-vs-replicas-pinned", "latency-cdf-n3-naive", "cpu-per-op-n3-pinned")) {
            byte[] png = Files.readAllBytes(dir.resolve(plot + ".png"));
            assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', plot + " is a PNG");
        }
    }

    /**
     * Raft beside VR in one run, interleaved: a row per protocol and mode, and Raft's offloads at
     * work in its figures (one socket send per operation to the followers, XDP answering them).
     */
    @Test
    void measuresRaftBesideVrInOneRun(@TempDir Path out) throws Exception {
        RootRequired.assumeRoot();
        int exit = new CommandLine(new BenchmarkSuite()).execute("--protocol", "vr,raft", "--replicas", "3", "--modes", "plain,all",
                "--clients", "2", "--placement", "pinned", "--repetitions", "1", "--duration", "1", "--warmup", "0", "--jvm-warmup", "1",
                "--replicas-as", "in-jvm", "--out", out.toString());
        assertEquals(0, exit);
        Path dir;
        try (Stream<Path> s = Files.list(out)) {
            dir = s.findFirst().orElseThrow();
        }
        List<String> csv = Files.readAllLines(dir.resolve("measurements.csv"));
        assertEquals(1 + 2 * 2, csv.size(), "header + 2 protocols x 2 modes: " + csv);
        List<String> header = List.of(csv.get(0).split(","));
        java.util.Map<String, String[]> byMode = new java.util.HashMap<>();
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",", -1);
            byMode.put(f[header.indexOf("protocol")] + " " + f[header.indexOf("mode")], f);
        }
        assertEquals(java.util.Set.of("vr plain", "vr all", "raft plain", "raft all"), byMode.keySet());
        String[] raftAll = byMode.get("raft all"), raftPlain = byMode.get("raft plain");
        assertEquals("NATIVE", raftAll[header.indexOf("xdp_mode")]);
        assertTrue(Double.parseDouble(raftAll[header.indexOf("ops_per_s")]) > 0 && Double.parseDouble(raftPlain[header.indexOf("ops_per_s")]) > 0);
        // Per op, Raft's followers' XDP acknowledges and TC fans out; plain Raft's followers' sockets receive every append.
        assertTrue(Double.parseDouble(raftAll[header.indexOf("fast_acks_per_op")]) > 0.9, String.join(",", raftAll));
        assertTrue(Double.parseDouble(raftAll[header.indexOf("clones_per_op")]) > 1.5, String.join(",", raftAll));
        assertEquals(0, Double.parseDouble(raftPlain[header.indexOf("clones_per_op")]));
        assertTrue(Double.parseDouble(raftPlain[header.indexOf("follower_udp_in_per_op")]) > 0.9, String.join(",", raftPlain));
        String json = Files.readString(dir.resolve("summary.json"));
        assertTrue(json.contains("\"protocol\": \"raft\"") && json.contains("\"protocol\": \"vr\""), json);
    }

    /**
     * Durability modes side by side in one run: a sweep each, the disk's fsync probe, the
     * group-commit batch per cell (read in this JVM, or from a replica process's report).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"in-jvm", "processes"})
    void sweepsEachDurabilityModeInOneRun(String hosting, @TempDir Path out) throws Exception {
        RootRequired.assumeRoot();
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        int exit;
        java.io.OutputStream both = new java.io.OutputStream() {
            @Override public void write(int b) {
                old.write(b);
                buf.write(b);
            }

            @Override public void write(byte[] b, int off, int len) {
                old.write(b, off, len);
                buf.write(b, off, len);
            }
        };
        try (java.io.PrintStream tee = new java.io.PrintStream(both, true)) {
            System.setOut(tee);
            exit = new CommandLine(new BenchmarkSuite()).execute("--replicas", "3", "--modes", "plain,all", "--clients", "4",
                    "--placement", "pinned", "--repetitions", "1", "--duration", "1", "--warmup", "0", "--jvm-warmup", "1",
                    "--jvm-warmup-max", "1", "--durability", "memory,sync", "--replicas-as", hosting, "--out", out.toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, exit);
        Path dir;
        try (Stream<Path> s = Files.list(out)) {
            dir = s.findFirst().orElseThrow();
        }
        assertTrue(Files.readString(dir.resolve("fsync-probe.txt")).matches("disk: \\d+ forces of a 64-byte append: \\d+/s.*\\s*"));
        List<String> csv = Files.readAllLines(dir.resolve("measurements.csv"));
        assertEquals(1 + 2 * 2, csv.size(), "header + 2 durability modes x 2 modes, in one table: " + csv);
        int durability = List.of(csv.get(0).split(",")).indexOf("durability");
        assertEquals(java.util.Set.of("memory", "sync"), csv.stream().skip(1).map(l -> l.split(",", -1)[durability])
                .collect(java.util.stream.Collectors.toSet()));
        String printed = buf.toString();
        assertTrue(printed.matches("(?s).*n=3 pinned\\s+\\d+ B batch 1\\s+sync\\s+all\\s+round 1: [^\\n]*; \\d+\\.\\d\\d ops per leader force.*"), printed);
        assertTrue(printed.matches("(?s).*\\| 3 \\| pinned\\s+\\|\\s+1 \\| sync\\s+\\|.*"), "the table has the sync rows: " + printed);
        if (hosting.equals("processes")) { // new JVMs per testbed: each warm-up says how busy the compilers still were
            assertTrue(printed.matches("(?s).*JVM warm-up: \\d+ s, compilers (quiet|NOT quiet at the maximum) \\(compiler CPU in the last \\d+ s: "
                    + "replica 0 \\d+ ms, replica 1 \\d+ ms, replica 2 \\d+ ms, client \\d+ ms\\).*"), printed);
        }
    }

    /**
     * Replicas as processes, as users deploy them: the whole JVM's CPU per op, the kernel's
     * counters read from the processes' reports, the one-outstanding echo round trip, a batch
     * sweep with its plot, and an A/B pair of variants interleaved in one run.
     */
    @Test
    void measuresReplicaProcessesWithTheEchoRoundTripABatchSweepAndVariants(@TempDir Path out) throws Exception {
        RootRequired.assumeRoot();
        int exit = new CommandLine(new BenchmarkSuite()).execute("--replicas", "3", "--modes", "plain,all", "--clients", "1",
                "--placement", "pinned", "--repetitions", "1", "--duration", "1", "--warmup", "0", "--jvm-warmup", "1",
                "--jvm-warmup-max", "1", "--batch-sizes", "1,4", "--variant", "A=", "--variant", "B=-Delectrode.vr.fitPreparesToFrame=false",
                "--out", out.toString());
        assertEquals(0, exit);
        Path dir;
        try (Stream<Path> s = Files.list(out)) {
            dir = s.findFirst().orElseThrow();
        }
        List<String> csv = Files.readAllLines(dir.resolve("measurements.csv"));
        assertEquals(1 + 2 * 2 * 2, csv.size(), "header + 2 batch sizes x 2 modes x 2 variants: " + csv);
        List<String> header = List.of(csv.get(0).split(","));
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",", -1);
            seen.add(f[header.indexOf("batch_size")] + "/" + f[header.indexOf("mode")] + "/" + f[header.indexOf("variant")]);
            assertEquals("processes", f[header.indexOf("hosting")]);
            assertTrue(Double.parseDouble(f[header.indexOf("leader_jvm_cpu_us_per_op")]) >= Double.parseDouble(f[header.indexOf("leader_cpu_us_per_op")]) * 0.9,
                    "the whole JVM ran at least its protocol thread (tick resolution aside): " + line);
            assertTrue(Double.parseDouble(f[header.indexOf("echo_rtt_p50_us")]) > 0, line);
            assertTrue(Double.parseDouble(f[header.indexOf("jit_cpu_ms_per_s")]) >= 0, "the compilers' CPU while measuring: " + line);
            if (f[header.indexOf("mode")].equals("all")) {
                assertEquals("NATIVE", f[header.indexOf("xdp_mode")], line);
                assertTrue(Double.parseDouble(f[header.indexOf("fast_acks_per_op")]) > 0.2, "counters from the processes' reports: " + line);
            }
        }
        assertEquals(8, seen.size(), seen.toString());
        byte[] png = Files.readAllBytes(dir.resolve("throughput-vs-batch-pinned-A.png"));
        assertTrue(png.length > 1000 && png[1] == 'P', "the batch plot is a PNG");
    }

    @Test
    void badOptionsAreRefusedWithExitCode2() {
        for (String[] args : List.of(new String[] {"--modes", "bogus"}, new String[] {"--placement", "everywhere"},
                new String[] {"--mtu", "100"}, new String[] {"--leader-cpus", "4000"}, new String[] {"--follower-cpus", "x"},
                new String[] {"--replica-cpus", "0/x"}, new String[] {"--replica-cpus", "0//1"},
                new String[] {"--replicas", "4"}, new String[] {"--clients", "0"}, new String[] {"--jvm-warmup-max", "-1"}, new String[] {"--durability", "sometimes"},
                new String[] {"--replicas-as", "threads"}, new String[] {"--batch-sizes", "0"}, new String[] {"--variant", "noequals"},
                new String[] {"--variant", "A=", "--variant", "A=-Dx=1"}, new String[] {"--replicas-as", "in-jvm", "--variant", "A="},
                new String[] {"--replicas-as", "in-jvm", "--replica-jvm-options", "-Xmx1g"})) {
            assertEquals(2, new CommandLine(new BenchmarkSuite()).execute(args), String.join(" ", args));
        }
    }
}
