package dev.electrode.loopback;

import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.LocalCluster;
import dev.electrode.offload.Offloads;
import dev.electrode.raft.RaftReplica;
import dev.electrode.raft.RaftRole;
import dev.electrode.raft.RaftSettings;
import dev.electrode.server.RaftServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** Three Raft replicas on real UDP sockets on loopback, plain: elect, replicate, commit, survive the leader's loss. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftLoopbackTest {
    static final RaftSettings FAST = new RaftSettings(20_000, 150_000, 300_000, 16);

    private final List<RaftServer> servers = new ArrayList<>();
    private final List<KvStore> stores = new ArrayList<>();
    private VrClient client;

    @AfterEach
    void stop() {
        if (client != null) client.close();
        for (RaftServer s : servers) {
            if (s == null) continue;
            assertEquals(java.util.Map.of(), s.errors().counts(), "replica " + s.index() + " reported errors");
            s.close();
        }
    }

    private int leader() {
        for (RaftServer s : servers) if (s != null && s.query(RaftReplica::role) == RaftRole.LEADER) return s.index();
        return -1;
    }

    @Test
    void electsReplicatesAndSurvivesTheLeadersLoss() throws Exception {
        ClusterConfig config = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        for (int i = 0; i < 3; i++) {
            KvStore kv = new KvStore();
            stores.add(kv);
            servers.add(RaftServer.start(config, i, FAST, kv, Offloads.NONE));
        }
        // Raft's leader is not a function of the term: the client asks everyone; only the leader answers.
        client = VrClient.connect(config, ClientOptions.DEFAULT.withSendToAll(true));
        await().atMost(Duration.ofSeconds(10)).until(() -> leader() >= 0);
        VrClient.Session s = client.newSession();
        for (int i = 0; i < 50; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
        int first = leader();
        long commit = servers.get(first).query(RaftReplica::commitIndex);
        await().atMost(Duration.ofSeconds(5)).until(() -> servers.stream().allMatch(r -> r.query(RaftReplica::commitIndex) == commit));
        for (int i = 0; i < 3; i++) {
            KvStore kv = stores.get(i);
            assertEquals("v49", servers.get(i).query(r -> kv.get(com.google.protobuf.ByteString.copyFromUtf8("k49"))).toStringUtf8());
        }

        servers.get(first).close();
        servers.set(first, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> leader() >= 0);
        assertNotEquals(first, leader());
        for (int i = 50; i < 80; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
        KvResult read = KvOps.result(s.invokeSync(KvOps.get("k10")));
        assertEquals("v10", read.getValue().toStringUtf8(), "what the first leader committed survived");
    }
}
