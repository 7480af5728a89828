package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.bpf.Counter;
import dev.electrode.client.VrClient;
import dev.electrode.netns.StarTopology;
import dev.electrode.netns.Topology;

import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A workload runs while a seeded corpus of {@link BadInputCorpus} datagrams goes to every
 * replica, half from the client host and half from replica 1's host (a socket on its IPv4
 * address, not on the replica port). Records what the cluster did, for the test to check.
 */
final class BadInputScenario {
    static final int CORPUS_SIZE = 20_000;
    static final long SEED = 0xBADC0DEL;

    /** Longest time any one operation may take (a request lost in the flood waits for the client's retransmissions). */
    static final Duration OP_BOUND = Duration.ofSeconds(3);
    /** Longest gap between two completions of the workload: an outage. */
    final Duration outageBound;
    final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    final AtomicLong longestOpNanos = new AtomicLong();
    final AtomicLong longestGapNanos = new AtomicLong();
    final AtomicLong maxReassemblyBytes = new AtomicLong();
    final AtomicReference<String> lastOpViolation = new AtomicReference<>();
    final List<Throwable> workloadErrors = java.util.Collections.synchronizedList(new ArrayList<>());
    long opsDuringCorpus;
    long kernelBacklogDrops;
    long vethDrops;
    double corpusSeconds;
    Map<BadInputCorpus.Kind, Integer> census;

    /** Pause after every 100 corpus datagrams: 2 ms makes a flood (~30-50k datagrams/s per replica). */
    final int pauseMs;

    /** Pause of each workload session between two operations (0: closed loop at full speed). */
    final int thinkMs;

    BadInputScenario(Duration outageBound, int pauseMs, int thinkMs) {
        this.outageBound = outageBound;
        this.pauseMs = pauseMs;
        this.thinkMs = thinkMs;
    }

    void run(TestbedEnv env) throws Exception {
        int n = env.replicaCount();
        VrClient.Session warm = env.client().newSession();
        for (int i = 0; i < 20; i++) warm.invokeSync(KvOps.put("warm" + i, "v"));
        // Forged Prepares, ACKs and commits name opnums around the live end of the log, where the workload goes next.
        long logEnd = env.inJvm(0).query(v -> v.lastOp());
        List<BadInputCorpus.Datagram> corpus = BadInputCorpus.generate(SEED, CORPUS_SIZE, 0, logEnd, n);
        census = BadInputCorpus.census(corpus);
        assertTrue(corpus.size() >= CORPUS_SIZE, "corpus of " + corpus.size());

        // Workload: two sessions of puts, each op timed, until told to stop.
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicLong lastCompletion = new AtomicLong(System.nanoTime());
        AtomicLong completed = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            VrClient.Session s = env.client().newSession();
            int client = c;
            Thread t = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String key = "c" + client + "-" + i;
                    long t0 = System.nanoTime();
                    try {
                        if (KvOps.result(s.invokeSync(KvOps.put(key, "v" + i))).getStatus() == KvResult.Status.OK) acknowledged.put(key, "v" + i);
                    } catch (Exception e) {
                        workloadErrors.add(e);
                        return;
                    }
                    long now = System.nanoTime();
                    longestOpNanos.accumulateAndGet(now - t0, Math::max);
                    longestGapNanos.accumulateAndGet(now - lastCompletion.getAndSet(now), Math::max);
                    completed.incrementAndGet();
                    if (thinkMs > 0) {
                        try {
                            Thread.sleep(thinkMs);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, "workload-" + c);
            t.start();
            workers.add(t);
        }

        // Monitor: no follower's kernel last_op beyond the leader's log; reassembly memory.
        Thread monitor = new Thread(() -> {
            while (!stop.get()) {
                try {
                    if (env.hasOffloads()) {
                        for (int i = 0; i < n; i++) {
                            dev.electrode.bpf.ControlState ctl = env.offloads(i).bpf().readControl();
                            int leader = (int) (ctl.view() % n);
                            if (leader == i) continue;
                            // Read after the kernel's value: the log of the leader of that view only grows while it leads.
                            long[] leaderState = env.inJvm(leader).query(v -> new long[] {v.view(), v.lastOp()});
                            if (leaderState[0] == ctl.view() && ctl.lastOp() > leaderState[1]) {
                                int f = i;
                                lastOpViolation.compareAndSet(null, "follower " + i + " kernel " + ctl + " beyond the log of replica "
                                        + leader + ", leader of view " + ctl.view() + ": " + leaderState[1] + "; a moment later: "
                                        + env.inJvm(leader).query(v -> v.lastOp()) + ", follower core log "
                                        + env.inJvm(f).query(v -> v.lastOp()) + ", follower XDP " + nonZero(env.offloads(f).bpf().counters()));
                            }
                        }
                    }
                    for (int i = 0; i < n; i++) maxReassemblyBytes.accumulateAndGet(env.inJvm(i).server().reassemblyBytesHeld(), Math::max);
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    lastOpViolation.compareAndSet(null, "monitor failed: " + e);
                }
            }
        }, "bad-input-monitor");
        monitor.start();

        long backlogDropsBefore = backlogDrops();
        long vethDropsBefore = vethDrops(env);
        long before = completed.get();
        long corpusStart = System.nanoTime();
        try (DatagramSocket fromClient = socketIn(env.clientHost(), 40001); DatagramSocket fromReplica = socketIn(env.host(1), 40002)) {
            List<InetSocketAddress> targets = new ArrayList<>();
            for (int i = 0; i < n; i++) targets.add(env.config().replica(i));
            int sent = 0;
            for (BadInputCorpus.Datagram d : corpus) {
                DatagramSocket from = (sent++ & 1) == 0 ? fromClient : fromReplica;
                for (InetSocketAddress to : targets) from.send(new DatagramPacket(d.payload(), d.payload().length, to));
                // Bursts of 100 datagrams to each replica, under the kernel's per-CPU receive backlog
                // (netdev_max_backlog, 1000), which would drop anything, workload included.
                if (sent % 100 == 0) Thread.sleep(pauseMs);
            }
        }
        opsDuringCorpus = completed.get() - before;
        corpusSeconds = (System.nanoTime() - corpusStart) / 1e9;
        kernelBacklogDrops = backlogDrops() - backlogDropsBefore;
        vethDrops = vethDrops(env) - vethDropsBefore;
        Thread.sleep(1000); // the workload goes on after the flood
        stop.set(true);
        for (Thread t : workers) t.join(30_000);
        monitor.join(5_000);
    }

    /** Frames the kernel dropped from full per-CPU receive backlogs (/proc/net/softnet_stat, all CPUs). */
    static long backlogDrops() {
        try {
            long sum = 0;
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/softnet_stat")))
                sum += Long.parseLong(line.strip().split("\\s+")[1], 16);
            return sum;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Frames dropped by the veths of the topology (both ends, both directions): a full receive ring under the flood. */
    static long vethDrops(TestbedEnv env) {
        long sum = 0;
        for (Topology.Host h : env.topology().hosts()) {
            var d = dev.electrode.netns.NetStats.dev(h.ns()).get(h.ifname());
            var p = dev.electrode.netns.NetStats.dev(env.topology().switchNamespace()).get(h.switchPort());
            sum += d.rxDropped() + d.txDropped() + p.rxDropped() + p.txDropped();
        }
        return sum;
    }

    private static DatagramSocket socketIn(Topology.Host host, int port) {
        return host.ns().call(() -> new DatagramSocket(new InetSocketAddress(host.address(), port)));
    }

    /** Checks that hold in both modes; prints the counters by reason. */
    void assertCommon(TestbedEnv env, String mode) {
        int n = env.replicaCount();
        System.out.println(mode + ": corpus " + census + "; " + acknowledged.size() + " puts acknowledged, " + opsDuringCorpus
                + String.format(" during the %.1f s the corpus took to send;", corpusSeconds) + " longest op " + longestOpNanos.get() / 1_000_000 + " ms, longest gap between completions "
                + longestGapNanos.get() / 1_000_000 + " ms; reassembly held at most " + maxReassemblyBytes.get() + " bytes; kernel backlog drops "
                + kernelBacklogDrops + ", veth drops " + vethDrops);
        for (int i = 0; i < n; i++) System.out.println(mode + ": replica " + i + ": socket receive-buffer drops "
                + dev.electrode.netns.NetStats.snmp(env.host(i).ns()).get("Udp.RcvbufErrors") + "; " + env.inJvm(i).server().countersLine()
                + (!env.hasOffloads() ? "" : " bpf " + nonZero(env.offloads(i).bpf().counters())));
        assertEquals(List.of(), workloadErrors, "every operation completed");
        assertTrue(opsDuringCorpus > 0, "operations completed while the corpus arrived");
        assertTrue(longestGapNanos.get() <= outageBound.toNanos(), "no completion for " + longestGapNanos.get() / 1_000_000 + " ms");
        assertTrue(longestOpNanos.get() <= OP_BOUND.toNanos(), "an operation took " + longestOpNanos.get() / 1_000_000 + " ms");
        assertTrue(maxReassemblyBytes.get() <= dev.electrode.wire.Reassembler.Limits.DEFAULT.maxBytesTotal());
        for (int i = 0; i < n; i++) {
            ReplicaNode.InJvm r = env.inJvm(i);
            assertTrue(r.isRunning(), "replica " + i + " alive");
            assertEquals(0L, (long) r.query(v -> v.stats().viewChangesStarted), "replica " + i + ": input from non-members started a view change");
            assertEquals(0L, (long) r.query(v -> v.view()), "replica " + i + " stayed in view 0");
            assertTrue(r.query(v -> v.stats().messagesFromNonMembers) > 0, "replica " + i + " counted replica messages from non-members");
            assertTrue(r.server().endpoint().codecStats().totalErrors() > 1000, "replica " + i + " counted the corpus' decode rejections");
        }
        // The JVM (three replicas, client, captures) holds what it should: claimed fragment sizes were never allocated.
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.println(mode + ": heap after the run " + heap / (1 << 20) + " MiB");
        assertTrue(heap < 512L << 20, "heap after the run: " + heap / (1 << 20) + " MiB");
    }

    /** Kills the leader, waits for the next, and reads every acknowledged write back. */
    void killLeaderAndReadBack(TestbedEnv env) throws Exception {
        env.replica(0).kill();
        int leader = env.awaitLeader(0, Duration.ofSeconds(20));
        VrClient.Session reader = env.client().newSession();
        for (Map.Entry<String, String> e : acknowledged.entrySet())
            assertEquals(e.getValue(), KvOps.result(reader.invokeSync(KvOps.get(e.getKey()))).getValue().toStringUtf8(),
                    "lost " + e.getKey() + " (new leader " + leader + ")");
    }

    static Map<Counter, Long> nonZero(Map<Counter, Long> counters) {
        Map<Counter, Long> m = new java.util.EnumMap<>(Counter.class);
        counters.forEach((c, v) -> { if (v != 0) m.put(c, v); });
        return m;
    }
}
