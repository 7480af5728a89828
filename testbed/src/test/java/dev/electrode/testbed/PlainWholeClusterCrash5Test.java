package dev.electrode.testbed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

/** 5 replica processes on plain UDP (no offloads) in namespaces, with durability sync: every replica killed at once, three times; nothing acknowledged is lost. */
@Testbed(replicas = 5, processes = true, durability = "sync", snapshotEvery = 500, capture = false, clientRetryMs = 100, viewChangeMs = 1000)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PlainWholeClusterCrash5Test {
    @Test
    void everyAcknowledgedWriteSurvivesCrashesOfEveryReplica(TestbedEnv env) throws Exception {
        WholeClusterCrashScenario.run(env, 3);
    }
}
