package dev.electrode.testbed;

import dev.electrode.bpf.Offload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

/** 3 replica processes with all offloads and durability sync: every replica killed at once, three times; nothing acknowledged is lost. */
@Testbed(replicas = 3, processes = true, durability = "sync", snapshotEvery = 500, capture = false, clientRetryMs = 100, viewChangeMs = 1000,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ElectrodeWholeClusterCrash3Test {
    @Test
    void everyAcknowledgedWriteSurvivesCrashesOfEveryReplica(TestbedEnv env) throws Exception {
        WholeClusterCrashScenario.run(env, 3);
    }
}
