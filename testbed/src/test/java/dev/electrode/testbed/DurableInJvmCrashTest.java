package dev.electrode.testbed;

import dev.electrode.bpf.Offload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

/**
 * In-JVM replicas with journals (as the main job and the benchmark run them with --durability
 * sync) and all offloads: every replica stopped at once and restarted from its directory,
 * five times; nothing acknowledged is lost.
 */
@Testbed(replicas = 3, durability = "sync", snapshotEvery = 500, capture = false, clientRetryMs = 100, viewChangeMs = 1000,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DurableInJvmCrashTest {
    @Test
    void everyAcknowledgedWriteSurvivesStopsOfEveryReplica(TestbedEnv env) throws Exception {
        WholeClusterCrashScenario.run(env, 5);
    }
}
