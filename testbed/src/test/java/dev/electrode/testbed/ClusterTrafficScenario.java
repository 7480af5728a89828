package dev.electrode.testbed;

import dev.electrode.capture.WireFrame;
import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.VrClient;
import dev.electrode.wire.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * One scenario, run by subclasses with different @Testbed settings (in-JVM or processes,
 * 3 or 5 replicas): a sequential workload commits, and the leader's interface shows per
 * operation n-1 PREPAREs out, n-1 PrepareOKs in, one REPLY, and COMMITs up to the last op.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class ClusterTrafficScenario {
    static final int WARMUP = 50, OPS = 30;

    @Test
    void workloadCommitsWithTheExpectedFramesOnTheLeadersWire(TestbedEnv env) throws Exception {
        int n = env.replicaCount();
        VrClient.Session warm = env.client().newSession();
        for (int i = 0; i < WARMUP; i++) warm.invokeSync(KvOps.put("warm" + i, "x"));
        // Counted below: operations WARMUP+1 .. WARMUP+ops, issued by their own session.
        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < OPS; i++) {
            KvResult r = KvOps.result(s.invokeSync(KvOps.put("key" + i, "value" + i)));
            assertEquals(KvResult.Status.OK, r.getStatus());
        }
        assertEquals(ByteString.copyFromUtf8("value" + (OPS - 1)), KvOps.result(s.invokeSync(KvOps.get("key" + (OPS - 1)))).getValue());
        int ops = OPS + 1; // the puts and the logged get
        java.util.function.Predicate<WireFrame> measured = f -> f.opnum() > WARMUP;

        InetAddress leader = env.host(0).address();
        InetAddress client = env.clientHost().address();
        // Frames may still sit in the capture buffer: wait until the last PrepareOKs are in the file.
        await().atMost(Duration.ofSeconds(10)).until(() ->
                env.wire(0).ofType(MessageType.PREPARE_OK).to(leader).where(measured, "measured").count() >= ops * (n - 1));
        WireLog all = env.wire(0);
        all.ofType(MessageType.REQUEST).from(client).where(f -> f.clientId() == s.clientId(), "measured session")
                .assertCount(ops, "requests from the client");
        WireLog wire = all.where(measured, "ops " + (WARMUP + 1) + "..");
        wire.ofType(MessageType.PREPARE).from(leader).assertCount(ops * (n - 1), "PREPAREs out (batch size 1: one per follower per op)");
        wire.ofType(MessageType.PREPARE_OK).to(leader).assertCount(ops * (n - 1), "PrepareOKs in");
        wire.ofType(MessageType.REPLY).from(leader).to(client).assertCount(ops, "one REPLY per op");
        // COMMITs: at most one per commit period (1 ms by default), so fewer than one per op, but
        // every follower hears of the last op's commit.
        for (int i = 1; i < n; i++) {
            InetAddress follower = env.host(i).address();
            await().atMost(Duration.ofSeconds(10)).until(() -> env.wire(0).ofType(MessageType.COMMIT).from(leader).to(follower)
                    .where(f -> f.opnum() >= WARMUP + ops, "announcing the last op").count() >= 1);
        }
        for (long op = 1; op <= ops; op++) {
            long o = op;
            wire.assertOrder(f -> f.type() == MessageType.PREPARE && f.opnum() == o,
                    f -> f.type() == MessageType.REPLY && f.opnum() == o, "op " + op + ": PREPAREs before the REPLY");
        }
        // Every follower saw every PREPARE on its own wire too.
        for (int i = 1; i < n; i++) {
            int host = i;
            await().atMost(Duration.ofSeconds(10)).until(() -> env.wire(host).ofType(MessageType.PREPARE).where(measured, "measured").count() >= ops);
            env.wire(i).ofType(MessageType.PREPARE).from(leader).where(measured, "measured").assertCount(ops, "PREPAREs at follower " + i);
        }
    }
}

// A long view-change timeout: the frame counts assume one view, even on a loaded machine.
@Testbed(replicas = 3, resendMs = 1000, viewChangeMs = 2000, clientRetryMs = 2000)
class ClusterTraffic3InJvmTest extends ClusterTrafficScenario {}

@Testbed(replicas = 5, resendMs = 1000, viewChangeMs = 2000, clientRetryMs = 2000)
class ClusterTraffic5InJvmTest extends ClusterTrafficScenario {}

@Testbed(replicas = 3, processes = true, resendMs = 1000, viewChangeMs = 2000, clientRetryMs = 2000)
class ClusterTraffic3ProcessesTest extends ClusterTrafficScenario {}

@Testbed(replicas = 5, processes = true, resendMs = 1000, viewChangeMs = 2000, clientRetryMs = 2000)
class ClusterTraffic5ProcessesTest extends ClusterTrafficScenario {}
