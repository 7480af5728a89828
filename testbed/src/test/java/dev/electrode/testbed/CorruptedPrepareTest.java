package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.bpf.fault.FaultRule;
import dev.electrode.client.VrClient;
import dev.electrode.netns.NetStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The fault layer corrupts a third of the Prepare copies from the leader to follower 2 (one
 * byte, checksums left as they were, as on a bad link). Follower 2's XDP acknowledges none of
 * them: each goes up to its stack, which drops it on the UDP checksum; the follower fills the
 * holes through the slow path and ends with the leader's log and state.
 */
@Testbed(replicas = 3, viewChangeMs = 2000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CorruptedPrepareTest {
    @Test
    void corruptedPreparesAreNeverFastAckedAndTheFollowerCatchesUp(TestbedEnv env) throws Exception {
        VrClient.Session s = env.client().newSession();
        s.invokeSync(KvOps.put("warm", "v"));
        long csumErrorsBefore = NetStats.snmp(env.host(2).ns()).get("Udp.InCsumErrors");
        long fastBefore = env.offloads(2).bpf().counter(Counter.FAST_ACKED);
        int rule = env.faults().add(FaultRule.corrupt().from(0).to(2).ofType(FaultRule.Kind.PREPARE).probability(0.33, 1234));
        int ops = 150;
        for (int i = 0; i < ops; i++) s.invokeSync(KvOps.put("k" + i, "v" + i));
        long corrupted = env.faults().stats(rule).fired();
        env.faults().remove(rule);
        for (int i = 0; i < 5; i++) s.invokeSync(KvOps.put("after" + i, "v")); // intact Prepares show the last holes
        long last = env.inJvm(0).query(v -> v.lastOp());
        env.awaitCommitted(last, Duration.ofSeconds(20));

        long xdpBadChecksum = env.offloads(2).bpf().counter(Counter.PASS_BAD_UDP_CSUM);
        long stackDropped = NetStats.snmp(env.host(2).ns()).get("Udp.InCsumErrors") - csumErrorsBefore;
        System.out.println("corrupted " + corrupted + " Prepares to follower 2; its XDP passed " + xdpBadChecksum
                + " on a bad checksum; its stack dropped " + stackDropped + " on the checksum; follower 2: "
                + env.inJvm(2).server().countersLine() + " bpf " + BadInputScenario.nonZero(env.offloads(2).bpf().counters()));
        assertTrue(corrupted >= 20, "the rule corrupted " + corrupted + " Prepares");
        // Every corrupted copy reached follower 2's stack, so its XDP let each one up (an acknowledged frame would be
        // consumed by XDP_TX); those whose magic, type name and lengths the flip spared were counted as a bad checksum.
        assertEquals(corrupted, stackDropped, "each corrupted Prepare failed the UDP checksum in follower 2's stack");
        assertTrue(xdpBadChecksum > 0 && xdpBadChecksum <= corrupted, "XDP counted " + xdpBadChecksum + " bad checksums");
        long fastAcked = env.offloads(2).bpf().counter(Counter.FAST_ACKED) - fastBefore;
        assertTrue(fastAcked <= ops + 5 - corrupted, "follower 2 fast-acked " + fastAcked + " of " + (ops + 5) + " with " + corrupted + " corrupted");
        // The holes were filled on the slow path, and the follower holds what the leader holds.
        await().atMost(Duration.ofSeconds(20)).until(() -> env.inJvm(2).query(v -> v.lastOp()) >= last);
        assertTrue(env.inJvm(2).query(v -> v.stats().stateTransferEntriesApplied) > 0, "follower 2 fetched the missing ops");
        assertEquals(env.inJvm(0).<String>store(kv -> kv.digest()), env.inJvm(2).<String>store(kv -> kv.digest()));
        assertEquals(java.util.Map.of(), env.inJvm(2).server().kernelAckRejections());
    }
}
