package dev.electrode.testbed;

import dev.electrode.capture.WireFrame;
import dev.electrode.app.KvOps;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.client.VrClient;
import dev.electrode.netns.NetStats;
import dev.electrode.wire.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * SPEC section 5 on real veths: per committed operation, the socket-layer counters of each
 * namespace and the captures on both ends of each veth show each enabled offload at work
 * (and each disabled one not). Subclasses choose n, the offloads and the backend (in-JVM
 * replicas in namespaces, or replica JVMs in containers on a Docker network).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class ElectrodeEvidenceScenario {
    static final int WARMUP = 30, OPS = 20;

    private static Set<Offload> enabled(TestbedEnv env, Class<?> c) {
        Offload[] o = c.getAnnotation(Testbed.class).offloads();
        return o.length == 0 ? EnumSet.noneOf(Offload.class) : EnumSet.copyOf(List.of(o));
    }

    /** Frames of a capture after the first {@code skip}. */
    private static List<WireFrame> after(WireLog log, int skip) {
        return new ArrayList<>(log.frames().subList(Math.min(skip, log.count()), log.count()));
    }

    private static long count(List<WireFrame> frames, java.util.function.Predicate<WireFrame> p) {
        return frames.stream().filter(p).count();
    }

    private static boolean isAck(WireFrame f) {
        return f.type() == MessageType.PREPARE_OK || f.type() == MessageType.MY_PREPARE_OK;
    }

    @Test
    void offloadsLeaveTheirTraceInCountersAndCaptures(TestbedEnv env) throws Exception {
        Set<Offload> on = enabled(env, getClass());
        int n = env.replicaCount();
        VrClient.Session warm = env.client().newSession();
        for (int i = 0; i < WARMUP; i++) warm.invokeSync(KvOps.put("w" + i, "x"));
        env.awaitCommitted(WARMUP, Duration.ofSeconds(10));

        // Quiet point: remember how much each capture and counter holds.
        int[] hostSkip = new int[n], switchSkip = new int[n];
        awaitCaptured(env, WARMUP);
        // Kernel counters as each replica reports them (in this JVM, or from a process in a namespace or container),
        // read in the same quiet moment as the captures: a heartbeat COMMIT between the two would count in one only.
        List<ReplicaReport> beforeReports = new ArrayList<>();
        List<Map<String, Long>> before = atQuietMoment(env, () -> {
            beforeReports.clear();
            for (int i = 0; i < n; i++) {
                hostSkip[i] = env.wire(i).count();
                switchSkip[i] = env.switchWire(i).count();
                beforeReports.add(env.report(i));
            }
        });

        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < OPS; i++) s.invokeSync(KvOps.put("k" + i, "v" + i));
        long last = WARMUP + OPS;
        env.awaitCommitted(last, Duration.ofSeconds(10));
        awaitCaptured(env, last);

        InetAddress leader = env.host(0).address();
        List<List<WireFrame>> eths = new ArrayList<>(), switches = new ArrayList<>();
        List<ReplicaReport> afterReports = new ArrayList<>();
        List<Map<String, Long>> afterAll = atQuietMoment(env, () -> {
            eths.clear();
            switches.clear();
            afterReports.clear();
            for (int i = 0; i < n; i++) {
                eths.add(after(env.wire(i), hostSkip[i]));
                switches.add(after(env.switchWire(i), switchSkip[i]));
                afterReports.add(env.report(i));
            }
        });
        List<WireFrame> leaderEth = eths.get(0);
        List<WireFrame> leaderSwitch = switches.get(0);
        Map<String, Long> leaderAfter = afterAll.get(0);
        String table = "\ncaptures:\n" + env.captureDiagnostics() + "\nleader eth0:\n" + new WireLog(leaderEth, "leader eth0").table()
                + "\nswitch side of the leader's veth:\n" + new WireLog(leaderSwitch, "p0").table();

        // What leaves the leader is counted on the switch side of its veth, which sees every frame
        // it sends, TC copies included (the host-side capture was seen to miss an outgoing frame
        // now and then on a loaded machine). PREPAREs: n-1 per operation, to distinct followers.
        for (long op = WARMUP + 1; op <= last; op++) {
            long o = op;
            Set<InetAddress> dests = new HashSet<>();
            leaderSwitch.stream().filter(f -> f.type() == MessageType.PREPARE && f.opnum() == o).forEach(f -> dests.add(f.dst()));
            assertEquals(n - 1, dests.size(), "op " + op + ": PREPARE destinations " + dests + table);
        }
        long prepares = count(leaderSwitch, f -> f.type() == MessageType.PREPARE && f.src().equals(leader));
        long commits = count(leaderSwitch, f -> f.type() == MessageType.COMMIT && f.src().equals(leader));
        long replies = count(leaderSwitch, f -> f.type() == MessageType.REPLY && f.src().equals(leader));
        assertEquals(OPS * (n - 1), prepares, "PREPARE frames" + table);
        assertEquals(OPS, replies, "REPLY frames" + table);
        long sends = on.contains(Offload.BROADCAST) ? (prepares + commits) / (n - 1) + replies : prepares + commits + replies;
        assertEquals(sends, leaderAfter.get("Udp.OutDatagrams") - before.get(0).get("Udp.OutDatagrams"),
                "leader socket sends (broadcast " + on.contains(Offload.BROADCAST) + ")" + table);
        if (on.contains(Offload.BROADCAST)) {
            assertEquals(prepares + commits, afterReports.get(0).bpf(Counter.CLONES_SENT) - beforeReports.get(0).bpf(Counter.CLONES_SENT),
                    "every copy came from the TC fan-out");
        }

        // ACKs: n-1 per operation reach the leader's veth; with pruning only one per operation reaches its socket.
        long acksOnWire = count(leaderSwitch, f -> isAck(f) && f.dst().equals(leader));
        long acksAtLeader = count(leaderEth, f -> isAck(f) && f.dst().equals(leader));
        assertEquals(OPS * (n - 1), acksOnWire, "ACKs crossing the leader's switch port" + table);
        assertEquals(on.contains(Offload.QUORUM_PRUNE) ? OPS : OPS * (n - 1), acksAtLeader, "ACKs reaching the leader's stack" + table);
        long inbound = count(leaderEth, f -> f.dst().equals(leader));
        assertEquals(inbound, leaderAfter.get("Udp.InDatagrams") - before.get(0).get("Udp.InDatagrams"),
                "leader socket receives exactly what its interface shows" + table);

        for (int i = 1; i < n; i++) {
            InetAddress me = env.host(i).address();
            List<WireFrame> eth = eths.get(i);
            List<WireFrame> sw = switches.get(i);
            Map<String, Long> a = afterAll.get(i);
            long in = a.get("Udp.InDatagrams") - before.get(i).get("Udp.InDatagrams");
            String t = "\nfollower " + i + " eth0:\n" + new WireLog(eth, "eth0").table() + "\nswitch side:\n" + new WireLog(sw, "p" + i).table();
            assertEquals(OPS, count(sw, f -> f.type() == MessageType.PREPARE && f.dst().equals(me)), "PREPAREs sent to follower " + i + t);
            assertEquals(count(eth, f -> f.dst().equals(me)), in, "follower " + i + ": socket receives what eth0 shows" + t);
            if (on.contains(Offload.FAST_ACK)) {
                assertEquals(0, count(eth, f -> f.type() == MessageType.PREPARE), "no PREPARE reaches follower " + i + "'s stack" + t);
                assertEquals(OPS, count(sw, f -> f.type() == MessageType.MY_PREPARE_OK && f.src().equals(me)),
                        "a MyPrepareOK leaves follower " + i + " per operation" + t);
                assertEquals(OPS, env.report(i).bpf(Counter.FAST_ACKED) - beforeReports.get(i).bpf(Counter.FAST_ACKED),
                        "follower " + i + "'s XDP fast acks");
            } else {
                assertEquals(OPS, count(eth, f -> f.type() == MessageType.PREPARE), "PREPAREs reach follower " + i + "'s socket" + t);
                assertEquals(OPS, count(sw, f -> f.type() == MessageType.PREPARE_OK && f.src().equals(me)), "PrepareOKs from follower " + i + t);
            }
            assertTrue(env.report(i).lastOp() >= last, "follower " + i + " logged every operation");
        }
        // The figures, per operation, for the record.
        long fastAcks = 0;
        for (int i = 1; i < n; i++) fastAcks += env.report(i).bpf(Counter.FAST_ACKED) - beforeReports.get(i).bpf(Counter.FAST_ACKED);
        System.out.printf("evidence %s (n = %d, %s, offloads %s): per operation, leader socket sends %.2f, receives %.2f;"
                        + " ACKs at the leader's port %.2f, at its stack %.2f; TC clones %.2f; XDP fast acks %.2f (all followers)%n",
                getClass().getSimpleName(), n, env.topology().getClass().getSimpleName(), on,
                (double) sends / OPS, (double) inbound / OPS, (double) acksOnWire / OPS, (double) acksAtLeader / OPS,
                (double) (afterReports.get(0).bpf(Counter.CLONES_SENT) - beforeReports.get(0).bpf(Counter.CLONES_SENT)) / OPS,
                (double) fastAcks / OPS);
        // Every replica holds the same state.
        env.awaitCommitted(last, Duration.ofSeconds(10));
        String digest = env.report(0).digest();
        for (int i = 1; i < n; i++) assertEquals(digest, env.report(i).digest(), "replica " + i + " state");
    }

    /**
     * Runs {@code readCaptures} at a moment when no datagram moves: the namespaces' UDP counters are
     * read, the captures are left to settle and are read, and the counters must not have changed
     * meanwhile (else all again). Returns those counters, which then agree with what the captures
     * hold: an idle heartbeat sent between reading one and the other would count in one only.
     */
    private static List<Map<String, Long>> atQuietMoment(TestbedEnv env, Runnable readCaptures) {
        for (int attempt = 1; ; attempt++) {
            List<Map<String, Long>> first = snmp(env);
            awaitCapturesStable(env);
            readCaptures.run();
            List<Map<String, Long>> second = snmp(env);
            if (udp(first).equals(udp(second))) return first;
            if (attempt == 10) fail("datagrams kept moving while the captures were read, 10 times: " + udp(first) + " then " + udp(second));
        }
    }

    private static List<Map<String, Long>> snmp(TestbedEnv env) {
        List<Map<String, Long>> l = new ArrayList<>();
        for (int i = 0; i < env.replicaCount(); i++) l.add(NetStats.snmp(env.host(i).ns()));
        return l;
    }

    private static List<List<Long>> udp(List<Map<String, Long>> snmp) {
        return snmp.stream().map(m -> List.of(m.get("Udp.InDatagrams"), m.get("Udp.OutDatagrams"))).toList();
    }

    /**
     * Waits until every capture holds the frames of operation {@code op} (the capture threads
     * can lag behind the traffic on a loaded machine), then until the captures stop growing.
     */
    private static void awaitCaptured(TestbedEnv env, long op) {
        int n = env.replicaCount();
        InetAddress leader = env.host(0).address();
        await().atMost(TestbedEnv.patience(Duration.ofSeconds(20))).pollInterval(Duration.ofMillis(50))
                .conditionEvaluationListener(c -> { if (c.getRemainingTimeInMS() <= 60) System.err.println("captures:\n" + env.captureDiagnostics()); })
                .until(() -> {
            if (env.switchWire(0).ofType(MessageType.REPLY).withOpnum(op).count() < 1) return false;
            if (env.switchWire(0).where(f -> isAck(f) && f.dst().equals(leader) && f.opnum() == op, "acks").count() < n - 1) return false;
            for (int i = 1; i < n; i++) {
                InetAddress me = env.host(i).address();
                if (env.switchWire(i).where(f -> f.type() == MessageType.PREPARE && f.opnum() == op, "prepare").count() < 1) return false;
                if (env.switchWire(i).where(f -> isAck(f) && f.src().equals(me) && f.opnum() == op, "ack").count() < 1) return false;
                if (env.wire(i).where(f -> f.type() == MessageType.COMMIT && f.opnum() >= op, "commit").count() < 1) return false;
            }
            return true;
        });
        awaitCapturesStable(env);
    }

    /** Waits until the captures stop growing (two readings 150 ms apart unchanged). */
    private static void awaitCapturesStable(TestbedEnv env) {
        int n = env.replicaCount();
        int[] lastSeen = {-1};
        int[] stableRounds = {0};
        await().atMost(TestbedEnv.patience(Duration.ofSeconds(10))).pollInterval(Duration.ofMillis(150)).until(() -> {
            int total = 0;
            for (int i = 0; i < n; i++) total += env.wire(i).count() + env.switchWire(i).count();
            stableRounds[0] = total == lastSeen[0] ? stableRounds[0] + 1 : 0;
            lastSeen[0] = total;
            return stableRounds[0] >= 2;
        });
    }
}

// Long heartbeats keep idle COMMITs out of the measured window; long retransmission timeouts keep retransmissions out.
@Testbed(replicas = 3, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
class Electrode3AllOffloadsTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 3, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = Offload.BROADCAST)
class Electrode3BroadcastTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 3, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = Offload.FAST_ACK)
class Electrode3FastAckTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 3, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = Offload.QUORUM_PRUNE)
class Electrode3QuorumPruneTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 3, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000)
class Electrode3PlainTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 5, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
class Electrode5AllOffloadsTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 5, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = Offload.BROADCAST)
class Electrode5BroadcastTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 5, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = Offload.FAST_ACK)
class Electrode5FastAckTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 5, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = Offload.QUORUM_PRUNE)
class Electrode5QuorumPruneTest extends ElectrodeEvidenceScenario {}

// The same scenario with every host a container on a Docker network and every replica a JVM in a container.
@Testbed(replicas = 3, backend = Backend.CONTAINERS, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000,
        clientRetryMs = 3000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
class ContainerElectrode3AllOffloadsTest extends ElectrodeEvidenceScenario {}

@Testbed(replicas = 7, switchCaptures = true, heartbeatMs = 2000, viewChangeMs = 6000, resendMs = 3000, clientRetryMs = 3000,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
class Electrode7AllOffloadsTest extends ElectrodeEvidenceScenario {}
