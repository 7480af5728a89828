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
import dev.electrode.server.Durability;
import dev.electrode.server.RaftServer;
import dev.electrode.storage.DataDirectory;
import dev.electrode.storage.FileJournalDirectory;
import dev.electrode.storage.Journal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Raft replicas with data directories on loopback: every replica stops at once and starts again
 * from its directory (term, vote, log, snapshot), and every acknowledged put is still there; the
 * directories hold snapshots and fewer segments than the log would fill.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftDurableLoopbackTest {
    static final RaftSettings FAST = new RaftSettings(20_000, 150_000, 300_000, 16);
    static final int SEGMENT_BYTES = 4096;

    private final List<RaftServer> servers = new ArrayList<>();
    private final List<DataDirectory> dirs = new ArrayList<>();
    private VrClient client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) client.close();
        stopAll();
    }

    private void stopAll() throws Exception {
        for (RaftServer s : servers) {
            assertEquals(java.util.Map.of(), s.errors().counts(), "replica " + s.index() + " reported errors");
            s.close();
        }
        servers.clear();
        for (DataDirectory d : dirs) d.close();
        dirs.clear();
    }

    private void startAll(ClusterConfig config, RaftSettings settings, Path root, Durability durability) throws Exception {
        for (int i = 0; i < config.size(); i++) {
            DataDirectory d = DataDirectory.open(new FileJournalDirectory(root.resolve("data-" + i)), new Journal.Identity(config.id(), i),
                    SEGMENT_BYTES);
            dirs.add(d);
            servers.add(RaftServer.start(config, i, settings, new KvStore(), Offloads.NONE, d, durability));
        }
    }

    private int leader() {
        for (RaftServer s : servers) if (s.query(RaftReplica::role) == RaftRole.LEADER) return s.index();
        return -1;
    }

    @ParameterizedTest(name = "{0}, snapshot every {1}")
    @CsvSource({"SYNC,0", "SYNC,25", "ASYNC,25"})
    void theWholeClusterRestartsFromItsDirectories(Durability durability, long snapshotEvery, @TempDir Path root) throws Exception {
        ClusterConfig config = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        RaftSettings settings = FAST.withSnapshotEvery(snapshotEvery);
        startAll(config, settings, root, durability);
        client = VrClient.connect(config, ClientOptions.DEFAULT.withSendToAll(true));
        await().atMost(Duration.ofSeconds(10)).until(() -> leader() >= 0);
        VrClient.Session s = client.newSession();
        for (int i = 0; i < 120; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
        long termBefore = servers.get(leader()).query(RaftReplica::term);
        if (snapshotEvery > 0) {
            for (RaftServer r : servers) assertTrue(r.query(RaftReplica::snapshotIndex) > 0, "replica " + r.index() + " compacted its log");
            try (var files = Files.list(root.resolve("data-0"))) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("snapshot-")), "a snapshot file on disk");
            }
        }

        stopAll(); // every replica at once (a clean stop forces; SYNC forced every turn anyway)
        startAll(config, settings, root, durability);
        for (RaftServer r : servers) {
            assertTrue(r.query(RaftReplica::term) >= termBefore, "replica " + r.index() + " kept its term");
            assertTrue(r.query(RaftReplica::lastIndex) >= 120, "replica " + r.index() + " kept its log: " + r.query(RaftReplica::lastIndex));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> leader() >= 0);
        for (int i = 0; i < 120; i += 7)
            assertEquals("v" + i, KvOps.result(s.invokeSync(KvOps.get("k" + i))).getValue().toStringUtf8(), "put " + i + " survived");
        for (int i = 120; i < 160; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
        assertEquals("v159", KvOps.result(s.invokeSync(KvOps.get("k159"))).getValue().toStringUtf8());
        assertTrue(servers.get(leader()).journalStats().startsWith(durability.name().toLowerCase()), servers.get(leader()).journalStats());
    }
}
