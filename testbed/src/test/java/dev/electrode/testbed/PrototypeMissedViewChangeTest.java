package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvOp;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.VrClient;
import dev.electrode.interop.PrototypePeer;
import dev.electrode.interop.PrototypeReplica;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A rolling replacement's hard case on real veths, with the Java replicas as processes in their
 * namespaces: a replica that behaves as the reference prototype's (at replica 4's address, in
 * host 4's namespace) misses a view change, then asks in its old view and catches up from the
 * Java replicas' answers in the new view, and counts in quorums again.
 */
@Testbed(replicas = 5, processes = true, capture = false, clientRetryMs = 200)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PrototypeMissedViewChangeTest {
    @Test
    void prototypeThatMissedAViewChangeCatchesUpFromJavaProcesses(TestbedEnv env) throws Exception {
        env.replica(4).kill(); // its address is the prototype's
        PrototypePeer peer = env.host(4).ns().call(() -> PrototypePeer.bind(env.config(), 4));
        try {
            PrototypeReplica proto = peer.model();
            VrClient.Session s = env.client().newSession();
            List<String> keys = new ArrayList<>();
            puts(s, "a", 20, keys);
            await().atMost(TestbedEnv.patience(Duration.ofSeconds(10))).until(() -> proto.lastCommitted() == 20);

            peer.pause(true); // cut off while the view changes
            env.replica(0).kill();
            int leader = env.awaitLeader(0, Duration.ofSeconds(20));
            puts(s, "b", 20, keys);
            ReplicaReport before = env.report(leader);
            assertTrue(before.view() > 0);
            assertEquals(0, proto.view(), "the prototype missed the view change");

            peer.pause(false);
            await().atMost(TestbedEnv.patience(Duration.ofSeconds(20))).until(() ->
                    proto.panic() != null || (proto.view() == before.view() && proto.lastCommitted() >= before.commit()));
            assertNull(proto.panic(), "the prototype would have aborted");
            long answered = 0;
            for (int i = 1; i < 4; i++) answered += env.report(i).counter("staleStAnswered");
            assertTrue(answered > 0, "Java replicas answered the request of the old view");
            assertEquals(keys, putKeys(proto.executed()).subList(0, keys.size()), "executed every put, in order");

            // With replica 0 and one more Java replica gone, commits need the prototype's PrepareOK.
            env.replica(leader == 1 ? 2 : 1).kill();
            puts(s, "c", 10, keys);
            await().atMost(TestbedEnv.patience(Duration.ofSeconds(10))).until(() -> proto.lastCommitted() >= env.report(leader).commit());
            assertEquals(keys, putKeys(proto.executed()));
            assertNull(proto.panic());
        } finally {
            peer.close();
        }
        assertEquals(List.of(), peer.errors(), "the peer decoded everything it received");
    }

    private static void puts(VrClient.Session s, String prefix, int count, List<String> keys) throws Exception {
        for (int i = 0; i < count; i++) {
            assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put(prefix + i, "v"))).getStatus());
            keys.add(prefix + i);
        }
    }

    /** The keys of the puts among {@code executed}, in order; a request appended twice (a client retry) counts once. */
    private static List<String> putKeys(List<Request> executed) throws Exception {
        List<String> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Request r : executed) {
            if (!seen.add(r.getClientid() + "/" + r.getClientreqid())) continue;
            KvOp op = KvOp.parseFrom(r.getOp());
            if (op.hasPut()) out.add(op.getPut().getKey().toStringUtf8());
        }
        return out;
    }
}
