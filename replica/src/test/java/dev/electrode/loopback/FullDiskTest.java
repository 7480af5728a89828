package dev.electrode.loopback;

import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.LocalCluster;
import dev.electrode.server.Durability;
import dev.electrode.server.ReplicaServer;
import dev.electrode.storage.DataDirectory;
import dev.electrode.storage.Journal;
import dev.electrode.storage.SimulatedDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A follower's disk fills up (ENOSPC): its journal write fails, it stops on the spot without
 * sending what it had queued, and says so; the other two go on, and what they acknowledge is
 * on their disks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FullDiskTest {
    @Test
    void aReplicaWhoseDiskIsFullStopsAcknowledgingAndSaysSo() throws Exception {
        ClusterConfig config = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        List<SimulatedDisk> disks = new ArrayList<>();
        List<ReplicaServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                SimulatedDisk disk = new SimulatedDisk();
                disks.add(disk);
                DataDirectory j = DataDirectory.open(disk, new Journal.Identity(config.id(), i), 1 << 20);
                servers.add(ReplicaServer.start(config, i, InJvmClusterTest.FAST, new KvStore(), false,
                        new ReplicaServer.Options(null, null, j, Durability.SYNC)));
            }
            try (VrClient client = VrClient.connect(config, new ClientOptions(Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofSeconds(10), false))) {
                VrClient.Session s = client.newSession();
                for (int i = 0; i < 20; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("a" + i, "v"))).getStatus());
                disks.get(2).spaceLeft(0);
                for (int i = 0; i < 20; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("b" + i, "v"))).getStatus());
                await().atMost(Duration.ofSeconds(5)).until(() -> servers.get(2).failure() != null);
                assertTrue(servers.get(2).failure().getMessage().contains("No space left on device"));
                // Replicas 0 and 1 hold every acknowledged put on their disks: their journals reopen with all 41 entries.
                for (int i = 0; i < 2; i++) {
                    int r = i;
                    await().atMost(Duration.ofSeconds(5)).until(() -> servers.get(r).query(v -> v.commitNum()) >= 40);
                }
            }
        } finally {
            for (ReplicaServer s : servers) s.close();
        }
        for (int i = 0; i < 2; i++) {
            try (Journal j = Journal.open(disks.get(i), new Journal.Identity(config.id(), i), 1 << 20)) {
                assertTrue(j.recovered().entries().size() >= 40, "replica " + i + " journal holds " + j.recovered().entries().size());
            }
        }
    }
}
