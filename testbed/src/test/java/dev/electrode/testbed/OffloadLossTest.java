package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.bpf.fault.FaultRule;
import dev.electrode.client.VrClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Loss with the offloads on: a follower refills its gap and goes back to the fast path; a lost quorum-completing ACK only delays. */
@Testbed(replicas = 3, switchCaptures = true, viewChangeMs = 2000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OffloadLossTest {
    @Test
    void aLostPrepareIsFilledAndTheFastPathResumes(TestbedEnv env) throws Exception {
        int rule = env.faults().add(FaultRule.drop().to(2).ofType(FaultRule.Kind.PREPARE).opnum(10));
        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < 9; i++) s.invokeSync(KvOps.put("k" + i, "v"));
        long fastBefore = env.offloads(2).bpf().counter(Counter.FAST_ACKED);
        assertEquals(9, fastBefore, "ops 1..9 fast-acked by follower 2");
        for (int i = 9; i < 40; i++) s.invokeSync(KvOps.put("k" + i, "v"));
        env.awaitCommitted(40, Duration.ofSeconds(10));
        assertEquals(1, env.faults().stats(rule).fired(), "PREPARE 10 never reached follower 2");
        // The Commit of op 10 (or the next PREPARE, passed up as a gap) shows follower 2 the hole; state transfer fills it.
        assertTrue(env.inJvm(2).query(v -> v.stats().stateTransferEntriesApplied) >= 1, "follower 2 fetched op 10 by state transfer");
        // Once follower 2 has caught up, new operations take its fast path again.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> env.offloads(2).bpf().readControl().lastOp() >= 40);
        long caughtUp = env.offloads(2).bpf().counter(Counter.FAST_ACKED);
        for (int i = 40; i < 60; i++) s.invokeSync(KvOps.put("k" + i, "v"));
        env.awaitCommitted(60, Duration.ofSeconds(10));
        assertEquals(caughtUp + 20, env.offloads(2).bpf().counter(Counter.FAST_ACKED), "follower 2 fast-acks again after the gap");
        assertEquals(60, (long) env.inJvm(2).query(v -> v.lastOp()), "its log holds every operation");
        String leaderDigest = env.inJvm(0).store(kv -> kv.digest());
        assertEquals(leaderDigest, env.inJvm(2).<String>store(kv -> kv.digest()));
    }

    @Test
    void aLostQuorumCompletingAckOnlyDelaysTheCommit(TestbedEnv env) throws Exception {
        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < 5; i++) s.invokeSync(KvOps.put("a" + i, "v"));
        // Drop every ACK of op 6 on its way to the leader: both the one that would complete the quorum and the other.
        int rule = env.faults().add(FaultRule.drop().to(0).ofType(FaultRule.Kind.MY_PREPARE_OK).opnum(6));
        var pending = s.invoke(KvOps.put("a5", "v"));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> env.faults().stats(rule).fired() >= 2);
        env.faults().remove(rule); // the leader's retransmission now gets through
        assertNotNull(pending.get(10, TimeUnit.SECONDS), "op 6 committed after the retransmission");
        assertTrue(env.inJvm(0).query(v -> v.stats().prepareResends) >= 1, "the leader retransmitted");
        for (int i = 6; i < 20; i++) s.invokeSync(KvOps.put("a" + i, "v"));
        env.awaitCommitted(20, Duration.ofSeconds(10));
        assertTrue(env.offloads(0).bpf().counter(Counter.ACK_REPASSED) + env.offloads(0).bpf().counter(Counter.ACK_PASSED) >= 20);
    }
}
