package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.client.VrClient;
import dev.electrode.netns.RootRequired;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The link MTU decides whether large Prepares reach XDP whole (fast path) or as IP fragments (passed up). */
class MtuTest {
    private static final List<Offload> ALL = List.of(Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE);

    @Test
    void largePreparesTakeTheFastPathOnlyWhenTheMtuFitsThem() throws Exception {
        RootRequired.assumeRoot();
        assertEquals(0, fastAcksFor3kValues(0), "at MTU 1500 a 3 kB Prepare is IP-fragmented and goes up the stack");
        long fast = fastAcksFor3kValues(3506);
        assertTrue(fast >= 40, "at MTU 3506 every 3 kB Prepare is fast-acked: " + fast);
    }

    @Test
    void anMtuTooLargeForXdpOnVethIsExplained() {
        RootRequired.assumeRoot();
        RuntimeException e = assertThrows(RuntimeException.class, () ->
                new TestbedEnv(TestbedSpec.defaults(3).withCapture(false).withOffloads(ALL).withMtu(9000), Path.of("target", "testbed", "MtuTest")));
        assertTrue(e.getMessage().contains("lower the MTU"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TestbedSpec.defaults(3).withMtu(100));
    }

    private static long fastAcksFor3kValues(int mtu) throws Exception {
        // A 3 s view-change timeout: a stall of a loaded machine must not make replica 1 the leader under the count.
        TestbedEnv env = new TestbedEnv(TestbedSpec.defaults(3).withCapture(false).withOffloads(ALL).withMtu(mtu).withTimers(20, 40, 3000, 50),
                Path.of("target", "testbed", "MtuTest"));
        try {
            long before = env.offloads(1).bpf().counters().get(Counter.FAST_ACKED);
            VrClient.Session s = env.client().newSession();
            ByteString value = ByteString.copyFrom(new byte[3000]);
            for (int i = 0; i < 40; i++) s.invokeSync(KvOps.put(ByteString.copyFromUtf8("k" + i), value));
            long fast = env.offloads(1).bpf().counters().get(Counter.FAST_ACKED) - before;
            System.out.println("MTU " + (mtu == 0 ? 1500 : mtu) + ": follower 1 XDP " + BadInputScenario.nonZero(env.offloads(1).bpf().counters())
                    + ", view " + env.inJvm(1).view());
            return fast;
        } finally {
            assertEquals(List.of(), env.close(false));
        }
    }
}
