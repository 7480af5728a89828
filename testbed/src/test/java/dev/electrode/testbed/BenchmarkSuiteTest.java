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
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BenchmarkSuiteTest {
    @Test
    void writesEveryMeasurementAndTheSummary(@TempDir Path out) throws Exception {
        RootRequired.assumeRoot();
        int exit = new CommandLine(new BenchmarkSuite()).execute("--replicas", "3", "--modes", "plain,all", "--clients", "2",
                "--repetitions", "2", "--duration", "1", "--warmup", "0", "--out", out.toString());
        assertEquals(0, exit);
        Path dir;
        try (Stream<Path> s = Files.list(out)) {
            dir = s.findFirst().orElseThrow();
        }
        List<String> csv = Files.readAllLines(dir.resolve("measurements.csv"));
        assertEquals(1 + 2 * 2, csv.size(), "header + 2 modes x 2 repetitions: " + csv);
        assertTrue(csv.stream().skip(1).allMatch(l -> l.startsWith("3,2,")), csv.toString());
        assertTrue(csv.stream().anyMatch(l -> l.contains(",all,") && l.contains("NATIVE")), "the offloads ran natively");
        String json = Files.readString(dir.resolve("summary.json"));
        assertTrue(json.contains("\"kernel\"") && json.contains("\"mode\": \"all\"") && json.contains("\"physical_limit_per_s\""), json);
        assertEquals(2, new CommandLine(new BenchmarkSuite()).execute("--modes", "bogus"), "unknown modes are refused");
    }
}
