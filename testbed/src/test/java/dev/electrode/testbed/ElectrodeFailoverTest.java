package dev.electrode.testbed;

import dev.electrode.capture.WireFrame;
import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.bpf.Offload;
import dev.electrode.client.VrClient;
import dev.electrode.wire.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** SIGKILL of the leader process with all offloads on; the new leader's programs take over; the old one recovers. */
@Testbed(replicas = 5, processes = true, switchCaptures = true, resendMs = 500, clientRetryMs = 100,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ElectrodeFailoverTest {
    private static final MessageType[] ACKS = {MessageType.PREPARE_OK, MessageType.MY_PREPARE_OK};

    @Test
    void leaderKilledThenRecovered(TestbedEnv env) throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        AtomicInteger failures = new AtomicInteger();
        List<CompletableFuture<Void>> sessions = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            VrClient.Session s = env.client().newSession();
            int client = c;
            sessions.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 150; i++) {
                    try {
                        if (KvOps.result(s.invokeSync(KvOps.put("c" + client + "-" + i, "v" + i))).getStatus() == KvResult.Status.OK)
                            acked.put("c" + client + "-" + i, "v" + i);
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= 150);
        env.replica(0).kill();
        CompletableFuture.allOf(sessions.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
        assertEquals(0, failures.get(), "every request completed after the view change");
        assertEquals(600, acked.size());
        // Usually view 1 (replica 1); a slow machine may give up on a view and settle on a later one.
        int nl = env.awaitLeader(0, Duration.ofSeconds(10));
        ReplicaNode.Process newLeader = (ReplicaNode.Process) env.replica(nl);
        ReplicaNode.Process.StatusLine led = newLeader.lastStatus();
        assertTrue(led != null && led.view() > 0 && led.view() % 5 == nl, "replica " + nl + " leads a later view: " + led);

        // The new leader's programs: n-1 live ACKs per op cross its veth, one reaches its socket; followers fast-ack.
        VrClient.Session seq = env.client().newSession();
        long firstMeasured = lastOpSeen(env, nl) + 1;
        for (int i = 0; i < 10; i++) seq.invokeSync(KvOps.put("after-" + i, "x"));
        InetAddress leader = env.host(nl).address();
        long lastMeasured = firstMeasured + 9;
        await().atMost(Duration.ofSeconds(10)).until(() -> acksTo(env.switchWire(nl), leader, firstMeasured) >= 30);
        WireLog onWire = env.switchWire(nl), atStack = env.wire(nl);
        for (long op = firstMeasured; op <= lastMeasured; op++) {
            long o = op;
            Set<InetAddress> senders = new HashSet<>();
            for (MessageType t : ACKS) onWire.ofType(t).to(leader).withOpnum(o).frames().forEach(f -> senders.add(f.src()));
            assertEquals(3, senders.size(), "op " + op + ": three live followers ACK it on the wire");
            long up = 0;
            for (MessageType t : ACKS) up += atStack.ofType(t).to(leader).withOpnum(o).count();
            assertTrue(up >= 1, "op " + op + ": the quorum-completing ACK reaches the new leader's stack");
        }
        // Pruning: of the (at least) 30 ACKs on the wire, at most one per op plus repeats answering retransmissions go up.
        long wire = acksTo(onWire, leader, firstMeasured), stack = acksTo(atStack, leader, firstMeasured);
        assertTrue(stack <= wire - 20, "the new leader's XDP pruned the ACKs beyond the quorum: " + stack + " of " + wire + " went up");
        // Each live follower's XDP fast-acks every measured op, and answers each PREPARE that reaches it
        // (a PREPARE the leader resent because the commit stalled is acknowledged again).
        for (int i = 1; i < 5; i++) {
            if (i == nl) continue;
            int h = i;
            InetAddress follower = env.host(i).address();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                WireLog port = env.switchWire(h); // one read of the capture per poll
                return fastAcksFrom(port, follower, firstMeasured).count()
                        == port.ofType(MessageType.PREPARE).to(follower).where(f -> f.opnum() >= firstMeasured, "measured").count();
            });
            WireLog mine = fastAcksFrom(env.switchWire(i), follower, firstMeasured);
            Set<Long> ops = new TreeSet<>();
            mine.frames().forEach(f -> ops.add(f.opnum()));
            Set<Long> expected = new TreeSet<>();
            for (long op = firstMeasured; op <= lastMeasured; op++) expected.add(op);
            assertEquals(expected, ops, "follower " + h + " fast-acks every measured op in view " + led.view());
        }

        // The killed replica recovers, and its kernel state lets it fast-ack new operations.
        env.replica(0).restart();
        ReplicaNode.Process old = (ReplicaNode.Process) env.replica(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            ReplicaNode.Process.StatusLine st = old.lastStatus();
            return st != null && st.status().equals("NORMAL") && st.view() >= led.view();
        });
        long afterRecovery = lastOpSeen(env, nl) + 1;
        for (int i = 0; i < 10; i++) seq.invokeSync(KvOps.put("recovered-" + i, "x"));
        await().atMost(Duration.ofSeconds(10)).until(() -> env.switchWire(0).ofType(MessageType.MY_PREPARE_OK)
                .from(env.host(0).address()).where(f -> f.opnum() >= afterRecovery, "after recovery").count() >= 10);

        VrClient.Session reader = env.client().newSession();
        for (Map.Entry<String, String> e : acked.entrySet())
            assertEquals(e.getValue(), KvOps.result(reader.invokeSync(KvOps.get(e.getKey()))).getValue().toStringUtf8(), "lost " + e.getKey());
    }

    private static WireLog fastAcksFrom(WireLog log, InetAddress follower, long fromOp) {
        return log.ofType(MessageType.MY_PREPARE_OK).from(follower).where(f -> f.opnum() >= fromOp, "measured");
    }

    private static long acksTo(WireLog log, InetAddress leader, long fromOp) {
        long n = 0;
        for (MessageType t : ACKS) n += log.ofType(t).to(leader).where(f -> f.opnum() >= fromOp, "measured").count();
        return n;
    }

    /**
     * The highest opnum of the PREPAREs the new leader sent so far, once the capture
     * has caught up (it is read again until the value holds for three polls; heartbeats are
     * COMMITs, so it settles while the cluster is idle).
     */
    private static long lastOpSeen(TestbedEnv env, int leader) {
        long[] last = {-1};
        int[] stable = {0};
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(150)).until(() -> {
            // The switch side of the new leader's veth sees every PREPARE it sends (the host side can miss one).
            long max = env.switchWire(leader).ofType(MessageType.PREPARE).from(env.host(leader).address()).frames().stream()
                    .mapToLong(WireFrame::opnum).max().orElse(0);
            stable[0] = max == last[0] ? stable[0] + 1 : 0;
            last[0] = max;
            return stable[0] >= 3;
        });
        return last[0];
    }
}

/** The same failover with every host a container and every replica a JVM in its own container (killed and started anew). */
@Testbed(replicas = 5, backend = Backend.CONTAINERS, switchCaptures = true, resendMs = 500, clientRetryMs = 100,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ContainerElectrodeFailoverTest extends ElectrodeFailoverTest {}
