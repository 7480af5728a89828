package dev.electrode.testbed;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.client.VrClient;
import dev.electrode.netns.NetStats;
import dev.electrode.raft.RaftReplica;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Raft on real veths, per offload: per committed operation, the datagrams through each
 * namespace's socket layer (UDP In and Out) and the XDP and TC counters are exactly what the
 * enabled offloads predict (and what plain Raft does without them). Replica 0 leads; its
 * heartbeat is far longer than the test, so every datagram in the window belongs to an
 * operation.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class RaftEvidenceScenario {
    static final int WARMUP = 30, OPS = 40;

    @Test
    void offloadsLeaveTheirTraceInTheSocketLayerAndTheKernelCounters(TestbedEnv env) throws Exception {
        Offload[] annotated = getClass().getAnnotation(Testbed.class).offloads();
        Set<Offload> on = annotated.length == 0 ? EnumSet.noneOf(Offload.class) : EnumSet.copyOf(List.of(annotated));
        boolean broadcast = on.contains(Offload.BROADCAST), fastAck = on.contains(Offload.FAST_ACK), prune = on.contains(Offload.QUORUM_PRUNE);
        int n = env.replicaCount();
        assertEquals(0, env.awaitLeader(-1, Duration.ofSeconds(10)), "replica 0 campaigned first and leads");

        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < WARMUP; i++) s.invokeSync(KvOps.put("w" + i, "x"));
        List<Map<String, Long>> before = quietSnmp(env);
        List<Map<Counter, Long>> kernelBefore = kernelCounters(env, on);
        for (int i = 0; i < OPS; i++) s.invokeSync(KvOps.put("k" + i, "v" + i));
        List<Map<String, Long>> after = quietSnmp(env);
        List<Map<Counter, Long>> kernelAfter = kernelCounters(env, on);

        long leaderOut = delta(before, after, 0, "Udp.OutDatagrams"), leaderIn = delta(before, after, 0, "Udp.InDatagrams");
        long clones = delta(kernelBefore, kernelAfter, 0, Counter.CLONES_SENT);
        long passed = delta(kernelBefore, kernelAfter, 0, Counter.ACK_PASSED), pruned = delta(kernelBefore, kernelAfter, 0, Counter.ACK_PRUNED);
        String what = "n=" + n + " offloads " + on;
        // The leader sends the AppendEntries once (TC clones it) or once per follower, and one reply.
        assertEquals((long) OPS * ((broadcast ? 1 : n - 1) + 1), leaderOut, "leader socket sends, " + what);
        assertEquals(broadcast ? (long) OPS * (n - 1) : 0, clones, "TC copies, one per follower per operation, " + what);
        // It receives the request and one response per follower, or only the quorum-completing one.
        assertEquals((long) OPS * (1 + (prune ? 1 : n - 1)), leaderIn, "leader socket receives, " + what);
        assertEquals(prune ? OPS : 0, passed, "responses the leader's XDP passed, " + what);
        assertEquals(prune ? (long) OPS * (n - 2) : 0, pruned, "responses the leader's XDP dropped, " + what);
        long followerIn = 0, followerOut = 0, fastAcked = 0;
        for (int i = 1; i < n; i++) {
            long in = delta(before, after, i, "Udp.InDatagrams"), out = delta(before, after, i, "Udp.OutDatagrams");
            long acked = delta(kernelBefore, kernelAfter, i, Counter.FAST_ACKED);
            // A fast-acking follower's stack sees neither the AppendEntries nor its response: XDP answers.
            assertEquals(fastAck ? 0 : OPS, in, "follower " + i + " socket receives, " + what);
            assertEquals(fastAck ? 0 : OPS, out, "follower " + i + " socket sends, " + what);
            assertEquals(fastAck ? OPS : 0, acked, "follower " + i + " XDP fast acks, " + what);
            followerIn += in;
            followerOut += out;
            fastAcked += acked;
        }
        System.out.printf("raft evidence n=%d offloads %s, per operation: leader socket sends %.2f, receives %.2f; TC clones %.2f;"
                        + " leader XDP passed %.2f, pruned %.2f; per follower socket receives %.2f, sends %.2f, XDP fast acks %.2f%n",
                n, on, (double) leaderOut / OPS, (double) leaderIn / OPS, (double) clones / OPS, (double) passed / OPS,
                (double) pruned / OPS, (double) followerIn / (n - 1) / OPS, (double) followerOut / (n - 1) / OPS,
                (double) fastAcked / (n - 1) / OPS);

        // One more operation carries the commit point to the followers; then each has executed every measured put.
        s.invokeSync(KvOps.put("last", "x"));
        long commit = env.raft(0).query(RaftReplica::commitIndex);
        await().atMost(TestbedEnv.patience(Duration.ofSeconds(10))).until(() -> {
            for (int i = 1; i < n; i++) if (env.raft(i).query(RaftReplica::commitIndex) < commit - 1) return false;
            return true;
        });
        for (int i = 0; i < n; i++) {
            int idx = i;
            assertEquals("v" + (OPS - 1), env.raft(i).store(kv -> kv.get(ByteString.copyFromUtf8("k" + (OPS - 1)))).toStringUtf8(),
                    "replica " + i + " executed the last measured put");
            assertEquals(0, env.raft(i).server().kernelRecordsRejected(), "replica " + i + " rejected kernel records");
            if (fastAck && i > 0) {
                // Over the whole run every AppendEntries the kernel acknowledged was applied from the ring.
                await().atMost(TestbedEnv.patience(Duration.ofSeconds(5))).untilAsserted(() -> assertEquals(
                        env.offloads(idx).bpf().counter(Counter.FAST_ACKED), (long) env.raft(idx).query(r -> r.stats().fastAppendsApplied),
                        "follower " + idx + " applied exactly what its kernel acknowledged"));
            }
        }
    }

    /** Each replica namespace's SNMP counters, once no datagram moved in any of them for three readings 100 ms apart. */
    private static List<Map<String, Long>> quietSnmp(TestbedEnv env) {
        List<List<Map<String, Long>>> last = new ArrayList<>();
        int[] stable = {0};
        await().atMost(TestbedEnv.patience(Duration.ofSeconds(10))).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<Map<String, Long>> now = new ArrayList<>();
            for (int i = 0; i < env.replicaCount(); i++) now.add(udp(NetStats.snmp(env.host(i).ns())));
            stable[0] = !last.isEmpty() && last.get(0).equals(now) ? stable[0] + 1 : 0;
            last.clear();
            last.add(now);
            return stable[0] >= 2;
        });
        return last.get(0);
    }

    private static Map<String, Long> udp(Map<String, Long> snmp) {
        return Map.of("Udp.InDatagrams", snmp.get("Udp.InDatagrams"), "Udp.OutDatagrams", snmp.get("Udp.OutDatagrams"));
    }

    private static List<Map<Counter, Long>> kernelCounters(TestbedEnv env, Set<Offload> on) {
        List<Map<Counter, Long>> l = new ArrayList<>();
        for (int i = 0; i < env.replicaCount(); i++) l.add(on.isEmpty() ? Map.of() : env.offloads(i).bpf().counters());
        return l;
    }

    private static <K> long delta(List<Map<K, Long>> a, List<Map<K, Long>> b, int i, K key) {
        return b.get(i).getOrDefault(key, 0L) - a.get(i).getOrDefault(key, 0L);
    }
}

// Heartbeats (30 s) and election timeouts (60 s) outlast the test: no datagram but the operations' in the window.
@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 3, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000)
class Raft3PlainTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 3, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.BROADCAST)
class Raft3BroadcastTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 3, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.FAST_ACK)
class Raft3FastAckTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 3, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.QUORUM_PRUNE)
class Raft3QuorumPruneTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 3, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
class Raft3AllOffloadsTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 5, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000)
class Raft5PlainTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 5, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.BROADCAST)
class Raft5BroadcastTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 5, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.FAST_ACK)
class Raft5FastAckTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 5, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.QUORUM_PRUNE)
class Raft5QuorumPruneTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 5, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
class Raft5AllOffloadsTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 7, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000)
class Raft7PlainTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 7, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.BROADCAST)
class Raft7BroadcastTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 7, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.FAST_ACK)
class Raft7FastAckTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 7, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = Offload.QUORUM_PRUNE)
class Raft7QuorumPruneTest extends RaftEvidenceScenario {}

@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 7, capture = false, heartbeatMs = 30_000, viewChangeMs = 60_000, clientRetryMs = 3000,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
class Raft7AllOffloadsTest extends RaftEvidenceScenario {}
