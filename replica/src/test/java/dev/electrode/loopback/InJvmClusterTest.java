package dev.electrode.loopback;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.LoadGenerator;
import dev.electrode.client.RequestTimeoutException;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.LocalCluster;
import dev.electrode.server.ReplicaServer;
import dev.electrode.vr.VrSettings;
import dev.electrode.wire.DecodeError;
import org.junit.jupiter.api.*;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** Three replicas on real UDP sockets on loopback, in this JVM. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InJvmClusterTest {
    static final VrSettings FAST = VrSettings.DEFAULT.withBatchSize(16).withTimers(20_000, 40_000, 200_000);

    private ClusterConfig config;
    private final List<ReplicaServer> servers = new ArrayList<>();
    private final List<KvStore> stores = new ArrayList<>();
    private VrClient client;

    @BeforeAll
    void start() throws Exception {
        config = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        for (int i = 0; i < 3; i++) {
            KvStore kv = new KvStore();
            stores.add(kv);
            servers.add(ReplicaServer.start(config, i, FAST, kv, false));
        }
        client = VrClient.connect(config, ClientOptions.DEFAULT);
    }

    @AfterAll
    void stop() {
        if (client != null) client.close();
        servers.forEach(ReplicaServer::close);
    }

    private static KvResult result(ByteString reply) { return KvOps.result(reply); }

    @Test
    void putGetCasDelete() throws Exception {
        VrClient.Session s = client.newSession();
        assertEquals(KvResult.Status.OK, result(s.invokeSync(KvOps.put("a", "1"))).getStatus());
        KvResult get = result(s.invokeSync(KvOps.get("a")));
        assertEquals("1", get.getValue().toStringUtf8());
        KvResult casFail = result(s.invokeSync(KvOps.cas(ByteString.copyFromUtf8("a"), ByteString.copyFromUtf8("0"), ByteString.copyFromUtf8("2"))));
        assertEquals(KvResult.Status.CAS_FAILED, casFail.getStatus());
        assertEquals("1", casFail.getValue().toStringUtf8());
        KvResult casOk = result(s.invokeSync(KvOps.cas(ByteString.copyFromUtf8("a"), ByteString.copyFromUtf8("1"), ByteString.copyFromUtf8("2"))));
        assertEquals(KvResult.Status.OK, casOk.getStatus());
        assertEquals(KvResult.Status.OK, result(s.invokeSync(KvOps.delete(ByteString.copyFromUtf8("a")))).getStatus());
        assertEquals(KvResult.Status.NOT_FOUND, result(s.invokeSync(KvOps.get("a"))).getStatus());
    }

    @Test
    void unloggedReadsReachTheAskedReplica() throws Exception {
        client.newSession().invokeSync(KvOps.put("u", "v"));
        for (int r = 0; r < 3; r++) {
            int replica = r;
            // followers learn the commit with the next Commit message: eventually every replica answers v
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    "v".equals(result(client.invokeUnlogged(replica, KvOps.get("u")).get()).getValue().toStringUtf8()));
        }
        KvResult write = result(client.invokeUnlogged(1, KvOps.put("u", "w")).get());
        assertEquals(KvResult.Status.BAD_REQUEST, write.getStatus(), "unlogged writes are refused");
    }

    @Test
    void unparseableOperationIsCommittedAndAnsweredWithAnError() throws Exception {
        KvResult r = result(client.newSession().invokeSync(ByteString.copyFromUtf8("\u00ff\u00ffnot a protobuf")));
        assertEquals(KvResult.Status.BAD_REQUEST, r.getStatus());
        assertFalse(r.getError().isEmpty());
        assertEquals(KvResult.Status.OK, result(client.newSession().invokeSync(KvOps.put("after", "bad"))).getStatus());
    }

    @Test
    void malformedDatagramsAreCountedAndDropped() throws Exception {
        ReplicaServer leader = servers.get(0);
        long before = leader.endpoint().codecStats().totalErrors();
        try (DatagramSocket s = new DatagramSocket()) {
            byte[][] junk = {new byte[] {1, 2, 3}, "hello world, not a frame".getBytes(), new byte[] {0x18, 0x03, 0x05, 0x20, 99, 0, 0, 0, 0, 0, 0, 0}};
            for (byte[] j : junk) s.send(new DatagramPacket(j, j.length, config.replica(0)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> leader.endpoint().codecStats().totalErrors() >= before + 3);
        assertTrue(leader.endpoint().codecStats().errors(DecodeError.BAD_MAGIC) >= 1);
        assertEquals(KvResult.Status.OK, result(client.newSession().invokeSync(KvOps.put("still", "alive"))).getStatus());
    }

    @Test
    void manySessionsOverOneSocketAllCommitAndReplicasAgree() throws Exception {
        LoadGenerator.Result r = LoadGenerator.run(client, 32, Duration.ZERO, Duration.ofSeconds(2), 32, 50);
        assertTrue(r.ops() > 100, r.summary());
        assertEquals(0, r.timeouts());
        long leaderCommit = servers.get(0).query(v -> v.commitNum());
        await().atMost(Duration.ofSeconds(5)).until(() ->
                servers.stream().allMatch(s -> s.query(v -> v.commitNum()) >= leaderCommit));
        String digest = servers.get(0).query(v -> stores.get(0).digest());
        for (int i = 1; i < 3; i++) {
            int idx = i;
            await().atMost(Duration.ofSeconds(5)).until(() -> servers.get(idx).query(v -> stores.get(idx).digest()).equals(
                    servers.get(0).query(v -> stores.get(0).digest())));
            assertEquals(digest, servers.get(idx).query(v -> stores.get(idx).digest()), "replica " + idx + " holds the leader's state");
        }
        long executed = servers.get(0).query(v -> stores.get(0).executedCount());
        assertTrue(executed >= r.ops(), "the leader executed " + executed + " operations, fewer than the " + r.ops() + " acknowledged");
    }

    @Test
    void requestsToAClusterThatIsNotThereTimeOutClearly() throws Exception {
        ClusterConfig nowhere = new ClusterConfig(0, LocalCluster.freeLoopbackPorts(1));
        ClientOptions quick = new ClientOptions(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(300), false);
        try (VrClient c = VrClient.connect(nowhere, quick)) {
            RequestTimeoutException e = assertThrows(RequestTimeoutException.class, () -> c.newSession().invokeSync(KvOps.put("x", "y")));
            assertTrue(e.getMessage().contains("got no reply after"), e.getMessage());
        }
    }

    @Test
    void concurrentInvokesOnOneSessionRunInOrder() throws Exception {
        VrClient.Session s = client.newSession();
        List<CompletableFuture<ByteString>> fs = new ArrayList<>();
        for (int i = 0; i < 50; i++) fs.add(s.invoke(KvOps.put("seq", Integer.toString(i))));
        for (int i = 1; i < 50; i++) {
            KvResult r = result(fs.get(i).get(10, TimeUnit.SECONDS));
            assertEquals(Integer.toString(i - 1), r.getValue().toStringUtf8(), "put " + i + " sees the previous put");
        }
    }
}
