package dev.electrode.testbed;

import dev.electrode.netns.RootRequired;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Prints how long a 5-replica testbed (6 hosts, captures, fault layer, cluster) takes to build and tear down. */
class TopologyTimingTest {
    @Testbed(replicas = 5, capture = true)
    private static final class FiveReplicas {}

    @Test
    void buildAndTearDownFiveReplicaTestbed() {
        RootRequired.assumeRoot();
        TestbedSpec spec = TestbedSpec.of(FiveReplicas.class.getAnnotation(Testbed.class));
        for (int round = 1; round <= 3; round++) {
            long t0 = System.nanoTime();
            TestbedEnv env = new TestbedEnv(spec, Path.of("target", "testbed", "TopologyTimingTest", "round" + round));
            long t1 = System.nanoTime();
            java.util.List<String> left = env.close(false);
            long t2 = System.nanoTime();
            assertTrue(left.isEmpty(), "leaked " + left);
            System.out.printf("5-replica testbed round %d: build %.0f ms (6 namespaces + bridge, 6 captures, fault layer, 5 replicas, client), teardown %.0f ms%n",
                    round, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }
    }

}
