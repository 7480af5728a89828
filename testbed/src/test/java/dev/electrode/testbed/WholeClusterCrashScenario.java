package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.VrClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Power lost everywhere, several times: process replicas with data directories (and snapshots
 * every few hundred operations) run a workload;
 * every replica is SIGKILLed at the same moment and all are restarted from their directories.
 * Each time the cluster must serve again within {@link #RESUME_BOUND} of being up; at the end every
 * acknowledged write is read back.
 */
final class WholeClusterCrashScenario {
    /** Longest time from the last replica being up again to the first acknowledged put. */
    static final Duration RESUME_BOUND = Duration.ofSeconds(10);

    static void run(TestbedEnv env, int rounds) throws Exception {
        int n = env.replicaCount();
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong lastAck = new AtomicLong(System.nanoTime());
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> sessions = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            VrClient.Session s = env.client().newSession();
            int id = c;
            Thread t = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String key = "c" + id + "-" + i;
                    try {
                        if (KvOps.result(s.invokeSync(KvOps.put(key, "v" + i))).getStatus() == KvResult.Status.OK) {
                            acknowledged.put(key, "v" + i);
                            lastAck.set(System.nanoTime());
                        }
                    } catch (Exception e) {
                        errors.add(e); // a request the client gave up on (30 s): the test fails below
                        return;
                    }
                }
            }, "workload-" + c);
            t.start();
            sessions.add(t);
        }
        for (int round = 1; round <= rounds; round++) {
            long target = acknowledged.size() + 300;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (acknowledged.size() < target && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(acknowledged.size() >= target, "round " + round + ": the workload made progress; errors " + errors);
            int before = acknowledged.size();
            env.killAll();
            long t0 = System.nanoTime();
            // The followers first, together, then the leader: the followers may change the view without it,
            // so the new view holds only what the followers made durable.
            List<Thread> starts = new ArrayList<>();
            List<Throwable> startErrors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 1; i < n; i++) {
                ReplicaNode r = env.replica(i);
                Thread t = new Thread(() -> {
                    try {
                        r.restart();
                    } catch (Throwable e) {
                        startErrors.add(e);
                    }
                });
                t.start();
                starts.add(t);
            }
            for (Thread t : starts) t.join();
            assertEquals(List.of(), startErrors);
            env.replica(0).restart();
            long restarted = System.nanoTime();
            int leader = env.awaitLeader(-1, RESUME_BOUND); // read from the processes' status lines
            long deadline2 = restarted + RESUME_BOUND.toNanos();
            while (lastAck.get() < restarted && System.nanoTime() < deadline2) Thread.sleep(10);
            System.out.println("n=" + n + " round " + round + ": " + before + " puts acknowledged before every replica was killed;"
                    + " all restarted from disk " + (restarted - t0) / 1_000_000 + " ms after the kill; first put acknowledged "
                    + (lastAck.get() - restarted) / 1_000_000 + " ms after that; leader " + leader);
            assertTrue(lastAck.get() >= restarted, "round " + round + ": no put acknowledged within " + RESUME_BOUND.toSeconds()
                    + " s of the restart; errors " + errors);
        }
        stop.set(true);
        for (Thread t : sessions) t.join(40_000);
        assertEquals(List.of(), errors, "every request completed");
        VrClient.Session reader = env.client().newSession();
        for (Map.Entry<String, String> e : acknowledged.entrySet())
            assertEquals(e.getValue(), KvOps.result(reader.invokeSync(KvOps.get(e.getKey()))).getValue().toStringUtf8(),
                    "acknowledged write " + e.getKey() + " lost");
        System.out.println("n=" + n + ": " + acknowledged.size() + " acknowledged writes, all read back after " + rounds
                + " crashes of every replica");
        // Snapshots came often enough that the later restarts began from one plus the journal's suffix
        // (a process replica says so in its log; an in-JVM one prints it to this JVM's output).
        for (int i = 0; i < n; i++) {
            if (env.replica(i) instanceof ReplicaNode.Process) {
                String out = java.nio.file.Files.readString(env.dir().resolve("replica-" + i + ".out"));
                assertTrue(out.matches("(?s).*restored from \\S+: view \\d+, status \\w+, snapshot at \\d+.*"),
                        "replica " + i + " restarted from a snapshot at least once:\n" + out);
            } else if (env.replica(i) instanceof ReplicaNode.RaftInJvm raft) {
                long snapshot = raft.query(r -> r.snapshotIndex());
                assertTrue(snapshot > 0, "raft replica " + i + " took or restored a snapshot");
            } else {
                long snapshot = env.inJvm(i).query(v -> v.snapshotOp());
                assertTrue(snapshot > 0, "replica " + i + " took or restored a snapshot");
            }
        }
    }
}
