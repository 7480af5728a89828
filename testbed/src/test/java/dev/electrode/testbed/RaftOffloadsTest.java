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
import org.junit.jupiter.params.provider.ValueSource;

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

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void raftRunsOnTheOffloads(int n) throws Exception {
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
                        EnumSet.allOf(Offload.class), topo.host(idx).ifname(), false, RaftOffloadProtocol.MESSAGES));
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
            System.out.printf("raft n=%d, %d ops: leader sent %d datagrams to replicas, TC clones %d, follower XDP fast acks %d (applied from the ring %d),"
                    + " leader XDP passed %d and pruned %d acks, ack sets applied %d%n", n, OPS, toReplicas, clones, fastAcked, fastApplied, passed, pruned, ackSets);
            assertTrue(clones >= (long) OPS * (n - 2), "TC fanned out the AppendEntries: " + clones);
            assertTrue(toReplicas < (long) OPS * (n - 1), "the leader sent fewer datagrams than one per follower per op: " + toReplicas);
            assertTrue(fastAcked >= OPS, "followers' XDP acknowledged the appends: " + fastAcked);
            assertTrue(fastApplied >= OPS, "followers applied what their kernel acknowledged: " + fastApplied);
            assertTrue(passed > 0 && pruned > 0, "the leader's XDP passed quorum-completing acks and pruned the rest");
            assertTrue(ackSets > 0, "the leader committed on ack sets");
            for (int i = 0; i < n; i++) {
                KvStore kv = stores.get(i);
                assertEquals("v" + (OPS - 1), servers.get(i).query(r -> kv.get(com.google.protobuf.ByteString.copyFromUtf8("k" + (OPS - 1))))
                        .toStringUtf8(), "replica " + i);
                assertEquals(0, servers.get(i).kernelRecordsRejected());
                assertEquals(Map.of(), servers.get(i).errors().counts(), "replica " + i + " reported errors");
            }
        } finally {
            if (client != null) client.close();
            for (RaftServer s : servers) s.close();
            for (KernelOffloads k : kernels) k.close();
            if (peerPass != null) peerPass.close();
        }
    }

    private static int leader(List<RaftServer> servers) {
        for (RaftServer s : servers) if (s.query(RaftReplica::role) == RaftRole.LEADER) return s.index();
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
