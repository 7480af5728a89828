package dev.electrode.loopback;

import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.interop.PrototypePeer;
import dev.electrode.interop.PrototypeReplica;
import dev.electrode.launch.LocalCluster;
import dev.electrode.server.ReplicaServer;
import dev.electrode.vr.Status;
import dev.electrode.vr.VrReplica;
import dev.electrode.vr.VrSettings;
import dev.electrode.wire.proto.LogEntry;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Mixed clusters on real UDP sockets on loopback: Java replicas in this JVM and a replica that
 * behaves as the reference prototype's ({@link PrototypePeer}) at one configured address.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrototypeInteropTest {
    static final VrSettings FAST = VrSettings.DEFAULT.withBatchSize(8).withTimers(20_000, 40_000, 300_000);

    private final List<ReplicaServer> servers = new ArrayList<>();
    private PrototypePeer peer;
    private VrClient client;

    @AfterEach
    void stop() throws InterruptedException {
        if (client != null) client.close();
        servers.forEach(s -> { if (s != null) s.close(); });
        if (peer != null) {
            peer.close();
            assertEquals(List.of(), peer.errors(), "the peer decoded everything it received");
        }
    }

    /** Java replicas at every index but {@code prototypeAt}, which the peer takes. */
    private ClusterConfig cluster(int n, int prototypeAt, VrSettings settings) throws Exception {
        ClusterConfig config = new ClusterConfig((n - 1) / 2, LocalCluster.freeLoopbackPorts(n));
        for (int i = 0; i < n; i++) servers.add(i == prototypeAt ? null : ReplicaServer.start(config, i, settings, new KvStore(), false));
        peer = PrototypePeer.bind(config, prototypeAt);
        client = VrClient.connect(config, ClientOptions.DEFAULT);
        return config;
    }

    private void puts(String prefix, int count) throws Exception { puts(prefix, count, "v"); }

    private void puts(String prefix, int count, String value) throws Exception {
        VrClient.Session s = client.newSession();
        for (int i = 0; i < count; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put(prefix + i, value))).getStatus());
    }

    private static List<Request> requests(List<LogEntry> entries) {
        return entries.stream().map(LogEntry::getRequest).toList();
    }

    private List<Request> committedLog(int replica, long upTo) {
        return servers.get(replica).query(v -> requests(v.log().range(1, upTo)));
    }

    @Test
    void prototypeReplicaRecoversFromJavaLeaderAndCompletesQuorums() throws Exception {
        cluster(3, 2, FAST);
        puts("a", 50, "x".repeat(600)); // a log of about 32 KB: the RecoveryResponse is fragmented
        long fragmentedBefore = fragmentedSent();
        PrototypeReplica proto = peer.model();
        proto.startRecovery(99);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (proto.status() != PrototypeReplica.Status.NORMAL) proto.sendRecovery(); // its recovery timer
            return proto.status() == PrototypeReplica.Status.NORMAL || proto.panic() != null;
        });
        assertNull(proto.panic(), "the prototype's recovery aborted");
        int leader = leader(); // 0, unless a slow machine made 1 take over
        long leaderLastOp = servers.get(leader).query(VrReplica::lastOp);
        assertEquals(leaderLastOp, proto.lastOp());
        assertEquals(committedLog(leader, leaderLastOp), requests(proto.log()));
        assertTrue(fragmentedSent() > fragmentedBefore, "the response went out in fragments");

        // With the other Java replica gone, nothing commits without the prototype's PrepareOKs.
        int other = 1 - leader;
        servers.get(other).close();
        servers.set(other, null);
        puts("b", 20);
        long commit = servers.get(leader).query(VrReplica::commitNum);
        await().atMost(Duration.ofSeconds(5)).until(() -> proto.lastCommitted() == commit);
        assertNull(proto.panic());
        assertEquals(committedLog(leader, commit), proto.executed());
    }

    /** Messages the Java replicas sent in fragments so far. */
    private long fragmentedSent() {
        long sum = 0;
        for (ReplicaServer s : servers) if (s != null) sum += s.endpoint().stats().messagesFragmented;
        return sum;
    }

    @Test
    void prototypeThatMissedAViewChangeCatchesUpFromJavaReplicas() throws Exception {
        cluster(5, 4, FAST);
        PrototypeReplica proto = peer.model();
        puts("a", 20);
        await().atMost(Duration.ofSeconds(5)).until(() -> proto.lastCommitted() == 20);

        peer.pause(true); // cut off while the view changes
        servers.get(0).close();
        servers.set(0, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> leader() > 0);
        puts("b", 20);
        int leader = leader();
        long view = servers.get(leader).query(VrReplica::view);
        long commit = servers.get(leader).query(VrReplica::commitNum);
        assertEquals(0, proto.view());

        // Back, it hears a Commit of the new view and asks everyone in its old view.
        peer.pause(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> proto.view() == view && proto.lastCommitted() >= commit || proto.panic() != null);
        assertNull(proto.panic());
        long answered = 0;
        for (int i = 1; i < 4; i++) answered += servers.get(i).query(v -> v.stats().staleStateTransfersAnswered);
        assertTrue(answered > 0, "Java replicas answered the request of the old view");
        assertEquals(committedLog(leader, proto.lastCommitted()), proto.executed());

        // It completes quorums in the new view: with replica 0 and one more Java replica gone, the
        // leader needs the acknowledgements of both followers left, the prototype's among them.
        int gone = leader == 1 ? 2 : 1;
        servers.get(gone).close();
        servers.set(gone, null);
        puts("c", 10);
        long after = servers.get(leader).query(VrReplica::commitNum);
        await().atMost(Duration.ofSeconds(5)).until(() -> proto.lastCommitted() == after);
        assertEquals(committedLog(leader, after), proto.executed());
    }

    private int leader() {
        int best = -1;
        long bestView = -1;
        for (ReplicaServer s : servers) {
            if (s == null) continue;
            boolean leads = s.query(v -> v.isActiveLeader());
            long v = s.query(VrReplica::view);
            if (leads && v > bestView) {
                best = s.index();
                bestView = v;
            }
        }
        return best;
    }

    @Test
    void idlePrototypeLeaderKeepsJavaFollowersWithDefaultTiming() throws Exception {
        assertEquals(0, idleLeaderViewChanges(VrSettings.DEFAULT, Duration.ofSeconds(6)), "Java followers deposed the idle prototype leader");
    }

    @Test
    void theOldHalfSecondTimeoutDeposesAnIdlePrototypeLeader() throws Exception {
        long started = idleLeaderViewChanges(VrSettings.DEFAULT.withTimers(50_000, 100_000, 500_000), Duration.ofSeconds(3));
        assertTrue(started > 0, "the control: 500 ms is shorter than the prototype's 1 s heartbeat");
    }

    /** The peer leads view 0 and only sends its idle heartbeat; returns the view changes Java followers started. */
    private long idleLeaderViewChanges(VrSettings javaSettings, Duration idle) throws Exception {
        cluster(3, 0, javaSettings);
        long end = System.nanoTime() + idle.toNanos();
        while (System.nanoTime() < end) {
            peer.model().heartbeat();
            Thread.sleep(VrSettings.PROTOTYPE_HEARTBEAT_MICROS / 1000);
        }
        long started = 0;
        for (int i = 1; i < 3; i++) started += servers.get(i).query(v -> v.stats().viewChangesStarted);
        if (started == 0) for (int i = 1; i < 3; i++) assertEquals(Status.NORMAL, servers.get(i).query(VrReplica::status));
        return started;
    }
}
