package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.client.VrClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Raft replicas as processes (`ElectrodeReplicaMain --protocol raft`, one JVM per namespace,
 * data directories, all offloads): the leader's process is SIGKILLed, another takes over, the
 * killed one restarts from its directory and catches up; every put survives, every replica
 * commits everything, and the followers' kernels took the appends on the fast path (read from
 * the processes' reports).
 */
@Testbed(protocol = ReplicationProtocol.RAFT, processes = true, replicas = 3, durability = "sync", capture = false, clientRetryMs = 100,
        viewChangeMs = 1000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftProcessesTest {
    @Test
    void aKilledLeaderProcessIsReplacedAndRestartsFromItsDirectory(TestbedEnv env) throws Exception {
        int first = env.awaitLeader(-1, Duration.ofSeconds(20));
        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < 100; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
        long fastAcked = 0;
        for (int i = 0; i < 3; i++) if (i != first) fastAcked += env.report(i).bpf(Counter.FAST_ACKED);
        assertTrue(fastAcked >= 100, "the followers' kernels took the appends (deferred acks, SYNC): " + fastAcked);
        // The report for readings under load (SIGUSR1) carries the same counters and skips the digest.
        int follower = (first + 1) % 3;
        ReplicaReport full = env.report(follower), light = ((ReplicaNode.Process) env.replica(follower)).counterReport();
        assertEquals(dev.electrode.cli.ReplicaRunner.DIGEST_SKIPPED, light.digest());
        assertTrue(full.digest().matches("[0-9a-f]{64}"), full.digest());
        assertEquals(full.bpf(Counter.FAST_ACKED), light.bpf(Counter.FAST_ACKED));
        assertEquals(full.commit(), light.commit());
        assertEquals(full.number() + 1, light.number());

        env.replica(first).kill();
        int second = env.awaitLeader(first, Duration.ofSeconds(20));
        for (int i = 100; i < 150; i++) assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i))).getStatus());
        env.replica(first).restart();
        long commit = env.report(second).commit();
        env.awaitCommitted(commit, Duration.ofSeconds(20));
        for (int i = 0; i < 150; i += 11)
            assertEquals("v" + i, KvOps.result(s.invokeSync(KvOps.get("k" + i))).getValue().toStringUtf8(), "put " + i);
        // One more put carries the commit point of the earlier ones to every follower.
        s.invokeSync(KvOps.put("last", "x"));
        long last = env.report(env.awaitLeader(-1, Duration.ofSeconds(5))).commit();
        env.awaitCommitted(last - 1, Duration.ofSeconds(20));
        String out = java.nio.file.Files.readString(env.dir().resolve("replica-" + first + ".out"));
        assertTrue(out.contains("protocol raft") && out.contains("restored from"), "the killed replica restarted from its directory:\n" + out);
    }
}
