package dev.electrode.loopback;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.launch.LocalCluster;
import dev.electrode.launch.ReplicaProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** Three replica processes on loopback; the leader is killed with SIGKILL during a workload. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProcessClusterTest {
    private static final List<String> REPLICA_ARGS = List.of("--batch-size", "8", "--heartbeat-ms", "20", "--resend-ms", "40", "--view-change-ms", "300");
    private static final ClientOptions CLIENT = new ClientOptions(Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofSeconds(30), false);

    /** Sessions doing unique puts; every acknowledged key is remembered. */
    private static final class Workload {
        final Map<String, String> acknowledged = new ConcurrentHashMap<>();
        final AtomicInteger failures = new AtomicInteger();
        final List<CompletableFuture<Void>> sessions = new ArrayList<>();

        Workload(VrClient client, int sessions, int opsEach, String prefix) {
            for (int s = 0; s < sessions; s++) {
                VrClient.Session session = client.newSession();
                String p = prefix + s + "-";
                this.sessions.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < opsEach; i++) {
                        String key = p + i, value = "v" + i;
                        try {
                            KvResult r = KvOps.result(session.invokeSync(KvOps.put(key, value)));
                            if (r.getStatus() == KvResult.Status.OK) acknowledged.put(key, value);
                            else failures.incrementAndGet();
                            Thread.sleep(1);
                        } catch (Exception e) {
                            failures.incrementAndGet();
                        }
                    }
                }));
            }
        }

        void await() throws Exception {
            CompletableFuture.allOf(sessions.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
        }
    }

    private static void assertAllReadable(VrClient client, Map<String, String> acknowledged) throws Exception {
        VrClient.Session reader = client.newSession();
        for (Map.Entry<String, String> e : acknowledged.entrySet()) {
            KvResult r = KvOps.result(reader.invokeSync(KvOps.get(e.getKey())));
            assertEquals(e.getValue(), r.getValue().toStringUtf8(), "acknowledged put of " + e.getKey() + " lost");
        }
    }

    private static boolean logContains(Path file, String text) {
        try {
            return Files.readString(file).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void leaderKilledMidWorkloadThenRecoveredReplicaRejoins() throws Exception {
        Path dir = Path.of("target", "process-cluster", "leader-kill-" + System.nanoTime());
        try (LocalCluster cluster = LocalCluster.start(3, dir, REPLICA_ARGS);
             VrClient client = VrClient.connect(cluster.config(), CLIENT)) {
            Workload w = new Workload(client, 6, 250, "a");
            await().atMost(Duration.ofSeconds(30)).until(() -> w.acknowledged.size() >= 150);
            ReplicaProcess oldLeader = cluster.process(0);
            long pid = oldLeader.pid();
            cluster.kill(0);
            assertFalse(oldLeader.isAlive(), "pid " + pid + " still alive after SIGKILL");
            int ackedAtKill = w.acknowledged.size();
            w.await();
            assertEquals(0, w.failures.get(), "every request completed despite the leader's death");
            assertEquals(6 * 250, w.acknowledged.size());
            assertTrue(ackedAtKill < w.acknowledged.size(), "the workload went on after the kill");
            assertEquals(1, client.presumedLeader(), "replica 1 leads view 1");
            assertTrue(logContains(cluster.process(1).stdout(), "status NORMAL view 1 leader 1"));
            assertAllReadable(client, w.acknowledged);

            // The killed replica comes back through VR recovery...
            cluster.restart(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> logContains(cluster.process(0).stdout(), "replica 0: status NORMAL view 1"));
            // ...and is needed: with the new leader killed too, no quorum exists without it.
            cluster.kill(1);
            Workload w2 = new Workload(client, 3, 100, "b");
            w2.await();
            assertEquals(0, w2.failures.get());
            assertEquals(300, w2.acknowledged.size());
            assertTrue(logContains(cluster.process(2).stdout(), "status NORMAL view 2 leader 2"));
            assertAllReadable(client, w.acknowledged);
            assertAllReadable(client, w2.acknowledged);
        }
    }

    @Test
    void sigtermShutsAReplicaDownCleanly() throws Exception {
        Path dir = Path.of("target", "process-cluster", "sigterm-" + System.nanoTime());
        List<String> args = new ArrayList<>(REPLICA_ARGS);
        args.addAll(List.of("--stats-every", "1"));
        try (LocalCluster cluster = LocalCluster.start(3, dir, args);
             VrClient client = VrClient.connect(cluster.config(), CLIENT)) {
            assertEquals(KvResult.Status.OK, KvOps.result(client.newSession().invokeSync(KvOps.put("k", "v"))).getStatus());
            ReplicaProcess p = cluster.process(2);
            // Rejections are counted by reason and readable while the replica runs: its stats line shows them.
            try (java.net.DatagramSocket junk = new java.net.DatagramSocket()) {
                byte[] bad = {1, 2, 3, 4, 5, 6, 7, 8};
                for (int i = 0; i < 3; i++) junk.send(new java.net.DatagramPacket(bad, bad.length, cluster.config().replica(2)));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> logContains(p.stdout(), "replica 2 stats:")
                    && logContains(p.stdout(), "decodeRejected={BAD_MAGIC=3}"));
            assertEquals(0, p.terminate(Duration.ofSeconds(10)), "exit code after SIGTERM");
            assertTrue(logContains(p.stdout(), "replica 2 stopped:"), "shutdown report printed");
            assertTrue(logContains(p.stdout(), "decodeRejected={BAD_MAGIC=3}"), "the stop line counts rejections by reason");
            assertEquals(KvResult.Status.OK, KvOps.result(client.newSession().invokeSync(KvOps.put("k2", "v"))).getStatus(),
                    "two of three replicas still serve");
        }
    }
}
