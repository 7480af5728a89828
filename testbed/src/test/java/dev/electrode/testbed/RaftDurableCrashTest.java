package dev.electrode.testbed;

import dev.electrode.bpf.Offload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

/**
 * Raft replicas with data directories (SYNC, so the fast path defers its acks until the entries
 * are forced) and all offloads: every replica stopped at once and restarted from its directory,
 * several times; nothing acknowledged is lost and later restarts begin from a snapshot.
 */
@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 3, durability = "sync", snapshotEvery = 500, capture = false, clientRetryMs = 100,
        viewChangeMs = 1000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftDurableCrashTest {
    @Test
    void everyAcknowledgedWriteSurvivesStopsOfEveryReplica(TestbedEnv env) throws Exception {
        WholeClusterCrashScenario.run(env, 5);
    }
}

/** The same with five replicas. */
@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 5, durability = "sync", snapshotEvery = 500, capture = false, clientRetryMs = 100,
        viewChangeMs = 1000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftDurableCrash5Test {
    @Test
    void everyAcknowledgedWriteSurvivesStopsOfEveryReplica(TestbedEnv env) throws Exception {
        WholeClusterCrashScenario.run(env, 3);
    }
}
