package dev.electrode.testbed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Plain VR, n = 3: the same seeded corpus of bad datagrams. No operation waits longer than one
 * view-change timeout (1 s here), no view change starts, reassembly memory stays within its
 * budget, and after the leader is killed every acknowledged write is still there.
 */
@Testbed(replicas = 3, viewChangeMs = 1000, capture = false)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BadInputPlainTest {
    @Test
    void aCorpusOfBadInputCausesNoOutageAndNoViewChange(TestbedEnv env) throws Exception {
        BadInputScenario sc = new BadInputScenario(Duration.ofMillis(1000), 2, 0); // a flood, and a workload at full speed
        sc.run(env);
        sc.assertCommon(env, "plain");
        sc.killLeaderAndReadBack(env);
    }
}
