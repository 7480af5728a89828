package com.example.inventory;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.VrClient;
import dev.electrode.testbed.container.Docker;
import dev.electrode.testbed.cluster.ElectrodeClusterContainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An application's integration test, written as a user of the project would write it: a small
 * inventory service keeps its stock in an Electrode cluster (3 replicas in containers, all
 * offloads, sync durability) and must not oversell, even when the leader's container dies.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class InventoryServiceTest {
    /** The application code under test: stock counts kept in the replicated store, changed with compare-and-set. */
    static final class InventoryService {
        private final VrClient.Session store;

        InventoryService(VrClient client) { this.store = client.newSession(); }

        void stock(String item, int count) throws Exception {
            assertEquals(KvResult.Status.OK, KvOps.result(store.invokeSync(KvOps.put(item, Integer.toString(count)))).getStatus());
        }

        int available(String item) throws Exception {
            KvResult r = KvOps.result(store.invokeSync(KvOps.get(item)));
            return r.getHadValue() ? Integer.parseInt(r.getValue().toStringUtf8()) : 0;
        }

        /** Takes one item if any is left; false when sold out. */
        boolean reserve(String item) throws Exception {
            while (true) {
                int left = available(item);
                if (left == 0) return false;
                KvResult r = KvOps.result(store.invokeSync(KvOps.cas(ByteString.copyFromUtf8(item),
                        ByteString.copyFromUtf8(Integer.toString(left)), ByteString.copyFromUtf8(Integer.toString(left - 1)))));
                if (r.getStatus() == KvResult.Status.OK) return true;
                // another reservation won the race: read again
            }
        }
    }

    static final ElectrodeClusterContainer cluster = new ElectrodeClusterContainer(3).withOffloads(true).withDurability("sync");

    @BeforeAll
    static void startCluster() { cluster.start(); }

    @AfterAll
    static void stopCluster() {
        cluster.stop();
        // Nothing of the cluster is left on the engine.
        assertEquals(java.util.List.of(), Docker.ownedByThisJvm(DockerClientFactory.instance().client()));
    }

    @Test
    void neverOversellsAcrossALeaderCrash() throws Exception {
        try (VrClient client = cluster.newClient()) {
            InventoryService shop = new InventoryService(client);
            shop.stock("lamp", 40);
            int sold = 0;
            for (int i = 0; i < 25; i++) if (shop.reserve("lamp")) sold++;
            cluster.killReplica(0); // the leader of view 0
            while (shop.reserve("lamp")) sold++;
            assertEquals(40, sold, "every lamp sold exactly once");
            assertEquals(0, shop.available("lamp"));
            cluster.restartReplica(0);
            assertFalse(shop.reserve("lamp"), "sold out stays sold out");
        }
        // The offloads ran: replica 1 leads view 1, and its TC program sent the copies of its Prepares and Commits.
        System.out.println("replica 1: " + cluster.report(1).bpf() + "\nreplica 2: " + cluster.report(2).bpf());
        assertEquals(1, cluster.report(1).leader());
        assertTrue(cluster.report(1).bpf(dev.electrode.bpf.Counter.CLONES_SENT) > 0, "TC broadcast on the new leader: " + cluster.report(1).bpf());
        assertEquals(java.util.List.of(), cluster.errors());
    }
}
