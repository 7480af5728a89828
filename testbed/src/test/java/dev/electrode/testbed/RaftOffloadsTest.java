package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.app.proto.KvResult;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.ElectrodeBpf;
import dev.electrode.bpf.KernelOffloads;
import dev.electrode.bpf.Offload;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.netns.RootRequired;
import dev.electrode.netns.StarTopology;
import dev.electrode.raft.RaftReplica;
import dev.electrode.raft.RaftRole;
import dev.electrode.raft.RaftSettings;
import dev.electrode.server.RaftServer;
import dev.electrode.wire.RaftOffloadProtocol;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Raft on real veths with the three offloads, the same programs as VR's loaded with Raft's
 * message names: the leader's AppendEntries leave once and TC fans them out, followers' XDP
 * acknowledges them, the leader's XDP passes one response per quorum, and every operation commits
 * everywhere. Replicas run in this JVM, each in its host's namespace.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftOffloadsTest {
    static final int PORT = 12345;
    static final int OPS = 200;

    /** Each offload alone and all three, for 3, 5 and 7 replicas; the evidence asked of each is that offload's. */
    @ParameterizedTest(name = "n={0} {1}")
    @CsvSource({"3,ALL", "5,ALL", "7,ALL", "3,BROADCAST", "3,FAST_ACK", "3,QUORUM_PRUNE"})
    void raftRunsOnTheOffloads(int n, String which) throws Exception {
        EnumSet<Offload> on = which.equals("ALL") ? EnumSet.allOf(Offload.class) : EnumSet.of(Offload.valueOf(which));
        run(n, on, false);
    }

    /** The leader's replica dies mid-run, with every offload on: a new leader takes over in the kernel and in user space. */
    @ParameterizedTest(name = "n={0}")
    @CsvSource({"3", "5"})
    void failoverWithTheOffloadsOn(int n) throws Exception {
        run(n, EnumSet.allOf(Offload.class), true);
    }

    private void run(int n, EnumSet<Offload> on, boolean failover) throws Exception {
        RootRequired.assumeRoot();
        RaftSettings settings = new RaftSettings(TestbedEnv.patience(Duration.ofMillis(50)).toMillis() * 1000,
                TestbedEnv.patience(Duration.ofMillis(600)).toMillis() * 1000, TestbedEnv.patience(Duration.ofMillis(1200)).toMillis() * 1000, 16);
        List<RaftServer> servers = new ArrayList<>();
        List<KernelOffloads> kernels = new ArrayList<>();
        List<KvStore> stores = new ArrayList<>();
        ElectrodeBpf peerPass = null;
        VrClient client = null;
        try (StarTopology topo = StarTopology.create("raft", n + 1, "10.221.0")) {
            List<InetSocketAddress> addrs = new ArrayList<>();
            List<byte[]> macs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                addrs.add(new InetSocketAddress(topo.host(i).address(), PORT));
                macs.add(topo.host(i).mac());
            }
            ClusterConfig config = new ClusterConfig((n - 1) / 2, addrs, macs);
            // XDP_TX on a veth is delivered only if the peer end runs an XDP program too.
            ElectrodeBpf pass = ElectrodeBpf.load(RaftOffloadProtocol.MESSAGES);
            peerPass = pass;
            topo.switchNamespace().run(() -> {
                for (int i = 0; i < n; i++) pass.attachXdpPass(topo.host(i).switchPort());
            });
            for (int i = 0; i < n; i++) {
                int idx = i;
                KernelOffloads k = topo.host(i).ns().call(() -> KernelOffloads.attach(config, idx, settings.maxEntries(),
                        on, topo.host(idx).ifname(), false, RaftOffloadProtocol.MESSAGES));
                kernels.add(k);
                KvStore kv = new KvStore();
                stores.add(kv);
                servers.add(topo.host(i).ns().call(() -> RaftServer.start(config, idx, settings, kv, k)));
            }
            ClientOptions opts = ClientOptions.DEFAULT.withSendToAll(true).withDeadline(Duration.ofSeconds(30));
            client = topo.host(n).ns().call(() -> VrClient.connect(config, opts));

            await().atMost(TestbedEnv.patience(Duration.ofSeconds(20))).until(() -> leader(servers) >= 0);
            VrClient.Session s = client.newSession();
            for (int i = 0; i < 5; i++) s.invokeSync(KvOps.put("warm" + i, "v")); // the leader's own entry commits first
            int leader = leader(servers);
            long[] before = counters(kernels, leader);
            long sentBefore = servers.get(leader).endpoint().stats().datagramsSent;
            long appliedBefore = 0;
            for (int i = 0; i < n; i++) if (i != leader) appliedBefore += servers.get(i).query(r -> r.stats().fastAppendsApplied);
            if (failover) {
                for (int i = 0; i < OPS / 2; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
                int old = leader;
                servers.get(old).close(); // its kernel programs stop acknowledging with it
                await().atMost(TestbedEnv.patience(Duration.ofSeconds(20))).until(() -> leader(servers, old) >= 0);
                leader = leader(servers, old);
                before = counters(kernels, leader);
                for (int i = OPS / 2; i < OPS; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
                for (int i = 0; i < OPS; i += 17)
                    assertEquals("v" + i, KvOps.result(s.invokeSync(KvOps.get("k" + i))).getValue().toStringUtf8(), "put " + i + " survived");
                int newLeader = leader;
                long commit = servers.get(newLeader).query(RaftReplica::commitIndex);
                await().atMost(TestbedEnv.patience(Duration.ofSeconds(10))).until(() ->
                        servers.stream().filter(r -> r.index() != old).allMatch(r -> r.query(RaftReplica::commitIndex) >= commit));
                long[] after = counters(kernels, newLeader);
                System.out.printf("raft n=%d failover: leader %d -> %d; after it, TC clones %d, follower XDP fast acks %d, acks passed %d%n",
                        n, old, newLeader, after[0] - before[0], after[1] - before[1], after[2] - before[2]);
                assertTrue(after[1] - before[1] >= OPS / 2, "the new leader's followers acknowledged in XDP");
                assertTrue(after[0] - before[0] > 0 && after[2] - before[2] > 0, "the new leader's TC fanned out and its XDP pruned");
                for (int i = 0; i < n; i++) {
                    if (i == old) continue;
                    assertEquals(0, servers.get(i).kernelRecordsRejected());
                    assertEquals(Map.of(), servers.get(i).errors().counts(), "replica " + i + " reported errors");
                }
                return;
            }
            for (int i = 0; i < OPS; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
            assertEquals(leader, leader(servers), "no election during the run");
            long commit = servers.get(leader).query(RaftReplica::commitIndex);
            await().atMost(TestbedEnv.patience(Duration.ofSeconds(10)))
                    .until(() -> servers.stream().allMatch(r -> r.query(RaftReplica::commitIndex) >= commit));

            long[] after = counters(kernels, leader);
            long clones = after[0] - before[0], fastAcked = after[1] - before[1], passed = after[2] - before[2], pruned = after[3] - before[3];
            long toReplicas = servers.get(leader).endpoint().stats().datagramsSent - sentBefore - OPS; // less one reply per op
            long fastApplied = -appliedBefore;
            for (int i = 0; i < n; i++) if (i != leader) fastApplied += servers.get(i).query(r -> r.stats().fastAppendsApplied);
            long ackSets = servers.get(leader).query(r -> r.stats().ackSetsApplied);
            System.out.printf("raft n=%d %s, %d ops: leader sent %d datagrams to replicas, TC clones %d, follower XDP fast acks %d (applied from the ring %d),"
                    + " leader XDP passed %d and pruned %d acks, ack sets applied %d%n", n, on, OPS, toReplicas, clones, fastAcked, fastApplied, passed, pruned, ackSets);
            if (on.contains(Offload.BROADCAST)) {
                assertTrue(clones >= (long) OPS * (n - 2), "TC fanned out the AppendEntries: " + clones);
                assertTrue(toReplicas < (long) OPS * (n - 1), "the leader sent fewer datagrams than one per follower per op: " + toReplicas);
            } else {
                assertEquals(0, clones, "no fan-out without the broadcast offload");
                assertTrue(toReplicas >= (long) OPS * (n - 1), "one AppendEntries per follower per op: " + toReplicas);
            }
            if (on.contains(Offload.FAST_ACK)) {
                assertTrue(fastAcked >= (long) OPS * (n - 1), "followers' XDP acknowledged every append: " + fastAcked);
                // Over the whole run (the window's edges cut records acknowledged but not yet polled):
                int l = leader;
                await().atMost(TestbedEnv.patience(Duration.ofSeconds(5))).untilAsserted(() -> {
                    for (int i = 0; i < n; i++) {
                        if (i == l) continue;
                        int f = i;
                        assertEquals(kernels.get(i).bpf().counter(Counter.FAST_ACKED), (long) servers.get(i).query(r -> r.stats().fastAppendsApplied),
                                "follower " + f + " applied exactly what its kernel acknowledged");
                    }
                });
            } else {
                assertEquals(0, fastAcked);
            }
            if (on.contains(Offload.QUORUM_PRUNE)) {
                assertTrue(passed >= OPS && pruned > 0, "the leader's XDP passed quorum-completing acks and pruned the rest");
                assertTrue(ackSets >= OPS, "the leader committed on ack sets: " + ackSets);
            } else {
                assertEquals(0, passed + pruned, "no pruning without the quorum-prune offload");
            }
            for (int i = 0; i < n; i++) {
                KvStore kv = stores.get(i);
                assertEquals("v" + (OPS - 1), servers.get(i).query(r -> kv.get(com.google.protobuf.ByteString.copyFromUtf8("k" + (OPS - 1))))
                        .toStringUtf8(), "replica " + i);
                assertEquals(0, servers.get(i).kernelRecordsRejected());
                assertEquals(Map.of(), servers.get(i).errors().counts(), "replica " + i + " reported errors");
            }
        } finally {
            if (client != null) client.close();
            for (RaftServer s : servers) s.close(); // closing twice is harmless
            for (KernelOffloads k : kernels) k.close();
            if (peerPass != null) peerPass.close();
        }
    }

    private static int leader(List<RaftServer> servers) { return leader(servers, -1); }

    /** The replica other than {@code not} that leads, or -1. */
    private static int leader(List<RaftServer> servers, int not) {
        for (RaftServer s : servers) if (s.index() != not && s.query(RaftReplica::role) == RaftRole.LEADER) return s.index();
        return -1;
    }

    /** Clones sent by the leader's TC, fast acks by the followers' XDP, acks passed and pruned by the leader's XDP. */
    private static long[] counters(List<KernelOffloads> kernels, int leader) {
        long fast = 0;
        for (int i = 0; i < kernels.size(); i++) if (i != leader) fast += kernels.get(i).bpf().counter(Counter.FAST_ACKED);
        ElectrodeBpf l = kernels.get(leader).bpf();
        return new long[] {l.counter(Counter.CLONES_SENT), fast, l.counter(Counter.ACK_PASSED), l.counter(Counter.ACK_PRUNED)};
    }
}
