package dev.electrode.testbed;

import dev.electrode.netns.Names;
import dev.electrode.netns.RootRequired;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** A JVM killed in the middle of a testbed test leaves its namespaces; the next testbed start sweeps them. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KillJvmSweepTest {
    @Test
    void leftoversOfAKilledRunAreSwept() throws Exception {
        RootRequired.assumeRoot();
        Path out = Files.createTempFile("hanging-testbed", ".out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), HangingTestbedScenario.class.getName())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(out).contains("TESTBED READY") || !child.isAlive());
            String line = Files.readAllLines(out).stream().filter(l -> l.startsWith("TESTBED READY")).findFirst()
                    .orElseThrow(() -> new AssertionError("child did not bring the testbed up:\n" + readQuietly(out)));
            List<String> namespaces = Arrays.asList(line.substring("TESTBED READY ".length()).split(" "));
            assertEquals(3, namespaces.size(), "switch, replica host and client host: " + namespaces);

            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            assertEquals(namespaces, LeakCheck.surviving(namespaces), "the killed run left its namespaces behind");

            List<String> swept = Names.sweepLeftovers(); // what every testbed start does first
            assertTrue(swept.containsAll(namespaces), "swept " + swept);
            assertTrue(LeakCheck.surviving(namespaces).isEmpty());
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "(unreadable)";
        }
    }
}
