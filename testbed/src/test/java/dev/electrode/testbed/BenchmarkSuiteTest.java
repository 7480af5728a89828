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
                "--out", out.toString());
        assertEquals(0, exit);
        Path dir;
        try (Stream<Path> s = Files.list(out)) {
            dir = s.findFirst().orElseThrow();
        }
        List<String> csv = Files.readAllLines(dir.resolve("measurements.csv"));
        assertEquals(1 + 2 * 2 * 2, csv.size(), "header + 2 placements x 2 modes x 2 repetitions: " + csv);
        assertTrue(csv.stream().skip(1).allMatch(l -> l.startsWith("3,pinned,64,2,") || l.startsWith("3,naive,64,2,")), csv.toString());
        assertTrue(csv.stream().anyMatch(l -> l.contains(",all,") && l.contains("NATIVE")), "the offloads ran natively");
        List<String> header = List.of(csv.get(0).split(","));
        int rx = header.indexOf("follower_kernel_rx_us_per_op");
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",", -1);
            // Kernel receive CPU is measured (NAPI threads) with the pinned placement only.
            assertEquals(line.startsWith("3,pinned"), !f[rx].isEmpty(), line);
        }
        String json = Files.readString(dir.resolve("summary.json"));
        assertTrue(json.contains("\"kernel\"") && json.contains("\"mode\": \"all\"") && json.contains("\"physical_limit_per_s\"")
                && json.contains("\"placement\": \"pinned\""), json);
        for (String plot : List.of("throughput-vs-replicas-pinned", "latency-cdf-n3-naive", "cpu-per-op-n3-pinned")) {
            byte[] png = Files.readAllBytes(dir.resolve(plot + ".png"));
            assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', plot + " is a PNG");
        }
    }

    @Test
    void badOptionsAreRefusedWithExitCode2() {
        for (String[] args : List.of(new String[] {"--modes", "bogus"}, new String[] {"--placement", "everywhere"},
                new String[] {"--mtu", "100"}, new String[] {"--leader-cpus", "4000"}, new String[] {"--follower-cpus", "x"},
                new String[] {"--replica-cpus", "0/x"}, new String[] {"--replica-cpus", "0//1"},
                new String[] {"--replicas", "4"}, new String[] {"--clients", "0"})) {
            assertEquals(2, new CommandLine(new BenchmarkSuite()).execute(args), String.join(" ", args));
        }
    }
}
