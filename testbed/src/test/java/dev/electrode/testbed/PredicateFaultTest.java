package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.bpf.fault.FaultRule;
import dev.electrode.client.VrClient;
import dev.electrode.wire.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** A predicate rule drops exactly one message: host 2's PrepareOK of opnum 17. */
@Testbed(replicas = 3, resendMs = 1000, clientRetryMs = 2000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PredicateFaultTest {
    @Test
    void dropsExactlyThePrepareOkOfOpnum17FromHost2(TestbedEnv env) throws Exception {
        int rule = env.faults().add(FaultRule.drop().from(2).ofType(FaultRule.Kind.PREPARE_OK).opnum(17));
        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < 30; i++) s.invokeSync(KvOps.put("k" + i, "v"));
        env.awaitCommitted(30, Duration.ofSeconds(10));

        assertEquals(1, env.faults().stats(rule).fired(), "exactly one frame dropped");
        var follower2 = env.host(2).address();
        var follower1 = env.host(1).address();
        await().atMost(Duration.ofSeconds(20)).until(() -> env.wire(2).ofType(MessageType.PREPARE_OK).count() >= 30);
        // The leader's capture can lag behind on a loaded machine: wait for the last op's ACK from host 1.
        await().atMost(Duration.ofSeconds(20)).until(() ->
                env.wire(0).ofType(MessageType.PREPARE_OK).from(env.host(1).address()).withOpnum(30).count() >= 1);
        env.wire(2).ofType(MessageType.PREPARE_OK).withOpnum(17).assertCount(1, "host 2 sent its PrepareOK of op 17");
        WireLog leaderWire = env.wire(0);
        leaderWire.ofType(MessageType.PREPARE_OK).from(follower2).withOpnum(17).assertCount(0, "it never reached the leader");
        leaderWire.ofType(MessageType.PREPARE_OK).from(follower1).withOpnum(17).assertCount(1, "host 1's did");
        leaderWire.ofType(MessageType.PREPARE_OK).from(follower2).withOpnum(16).assertCount(1, "neighbours pass");
        leaderWire.ofType(MessageType.PREPARE_OK).from(follower2).withOpnum(18).assertCount(1, "neighbours pass");
    }
}
