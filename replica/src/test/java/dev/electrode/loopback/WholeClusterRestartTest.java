package dev.electrode.loopback;

import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.launch.LocalCluster;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every replica process killed at once, three times over: replicas with a data directory run a
 * workload, all are SIGKILLed at the same moment and restarted from their directories. The
 * cluster resumes within a stated time and every write acknowledged before each crash is read
 * back. Snapshots come every 250 operations, so restarts start from a snapshot plus the
 * journal's suffix. With sync this holds for power loss too; with async it holds for process
 * crashes (each turn's journal write precedes its sends, and the page cache outlives the
 * process), which is what SIGKILL tests.
 */
class WholeClusterRestartTest {
    private static final List<String> ARGS = List.of("--batch-size", "8", "--heartbeat-ms", "20", "--resend-ms", "40", "--view-change-ms", "300",
            "--snapshot-every", "250");
    private static final ClientOptions CLIENT = new ClientOptions(Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofSeconds(20), false);
    /** Longest time from the last replica being up again to the first put the cluster acknowledges. */
    private static final Duration RESUME_BOUND = Duration.ofSeconds(10);

    @ParameterizedTest(name = "n={0} {1}")
    @CsvSource({"3, sync", "5, sync", "3, async"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void everyAcknowledgedWriteSurvivesCrashesOfEveryReplica(int n, String durability) throws Exception {
        Path dir = Path.of("target", "whole-cluster-restart", "n" + n + "-" + durability + "-" + System.nanoTime());
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        List<String> args = new ArrayList<>(ARGS);
        args.addAll(List.of("--durability", durability));
        try (LocalCluster cluster = LocalCluster.start(n, dir, args, true)) {
            for (int round = 1; round <= 3; round++) {
                try (VrClient client = VrClient.connect(cluster.config(), CLIENT)) {
                    // A workload of 4 sessions, cut by the crash wherever it is.
                    AtomicBoolean crashed = new AtomicBoolean();
                    List<Thread> sessions = new ArrayList<>();
                    int r = round;
                    for (int c = 0; c < 4; c++) {
                        VrClient.Session s = client.newSession();
                        int id = c;
                        Thread t = new Thread(() -> {
                            for (int i = 0; !crashed.get(); i++) {
                                String key = "r" + r + "-c" + id + "-" + i;
                                try {
                                    if (KvOps.result(s.invokeSync(KvOps.put(key, "v" + i))).getStatus() == KvResult.Status.OK)
                                        acknowledged.put(key, "v" + i);
                                } catch (Exception e) {
                                    return; // the crash: this put may or may not have taken effect
                                }
                            }
                        });
                        t.start();
                        sessions.add(t);
                    }
                    long target = acknowledged.size() + 400;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (acknowledged.size() < target && System.nanoTime() < deadline) Thread.sleep(10);
                    assertTrue(acknowledged.size() >= target, "round " + round + ": the workload made progress");
                    int before = acknowledged.size();
                    cluster.killAll(); // mid-workload
                    crashed.set(true);
                    client.close(); // sessions blocked in invokeSync end with an error
                    for (Thread t : sessions) t.join(30_000);
                    System.out.println("n=" + n + " " + durability + " round " + round + ": " + before + " puts acknowledged before the crash of every replica");
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) cluster.restart(i); // each returns once its JVM says it is ready
                long up = System.nanoTime();
                try (VrClient client = VrClient.connect(cluster.config(), CLIENT)) {
                    VrClient.Session probe = client.newSession();
                    assertEquals(KvResult.Status.OK, KvOps.result(probe.invokeSync(KvOps.put("probe" + round, "x"))).getStatus());
                    long resumeMs = (System.nanoTime() - up) / 1_000_000;
                    System.out.println("n=" + n + " " + durability + " round " + round + ": all " + n + " restarted from disk in "
                            + (up - t0) / 1_000_000 + " ms (one JVM after another); serving again " + resumeMs + " ms after the last was up");
                    assertTrue(resumeMs <= RESUME_BOUND.toMillis(), "resumed " + resumeMs + " ms after the last replica was up");
                    VrClient.Session reader = client.newSession();
                    int found = 0;
                    for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                        assertEquals(e.getValue(), KvOps.result(reader.invokeSync(KvOps.get(e.getKey()))).getValue().toStringUtf8(),
                                "round " + round + ": acknowledged write " + e.getKey() + " lost");
                        found++;
                    }
                    System.out.println("n=" + n + " " + durability + " round " + round + ": " + found + " of " + acknowledged.size()
                            + " acknowledged writes read back");
                    if (round == 3) { // by now every replica restarted from a snapshot plus the journal's suffix
                        for (int i = 0; i < n; i++) {
                            String out = java.nio.file.Files.readString(dir.resolve("replica-" + i + ".out"));
                            assertTrue(out.matches("(?s).*restored from \\S+: view \\d+, status \\w+, snapshot at \\d+.*"),
                                    "replica " + i + " restarted from a snapshot:\n" + out);
                        }
                    }
                }
            }
        }
    }
}
