package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.VrClient;
import dev.electrode.wire.proto.LogEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The leader partitioned away from the majority: a new leader takes over; after healing the old one catches up. */
@Testbed(replicas = 5)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionTest {
    @Test
    void leaderPartitionedAwayThenHealed(TestbedEnv env) throws Exception {
        VrClient.Session s = env.client().newSession();
        List<String> acked = new ArrayList<>();
        for (int i = 0; i < 20; i++) put(s, "before" + i, acked);
        assertEquals(0, env.awaitLeader(-1, Duration.ofSeconds(5)));

        env.faults().partition(Set.of(0, 4)); // the leader and one follower: a minority of 5
        int newLeader = env.awaitLeader(0, Duration.ofSeconds(10));
        assertTrue(newLeader >= 1 && newLeader <= 3, "a majority-side replica leads: " + newLeader);
        for (int i = 0; i < 20; i++) put(s, "during" + i, acked);
        long commitDuring = env.inJvm(newLeader).commitNum();
        assertTrue(env.inJvm(0).commitNum() < commitDuring, "the old leader is behind while cut off");

        env.faults().heal();
        for (int i = 0; i < 5; i++) put(s, "after" + i, acked);
        long target = env.inJvm(newLeader).commitNum();
        env.awaitCommitted(target, Duration.ofSeconds(15));
        assertTrue(env.inJvm(0).view() >= env.inJvm(newLeader).view(), "the old leader moved to the new view");

        // Committed prefixes agree, and every acknowledged put is in every store.
        List<LogEntry> reference = env.inJvm(newLeader).query(v -> new ArrayList<>(v.log().range(1, target)));
        for (int r = 0; r < env.replicaCount(); r++) {
            List<LogEntry> log = env.inJvm(r).query(v -> new ArrayList<>(v.log().range(1, target)));
            for (int i = 0; i < reference.size(); i++)
                assertEquals(reference.get(i).getRequest(), log.get(i).getRequest(), "replica " + r + " op " + (i + 1));
            for (String key : acked) {
                assertNotNull(env.inJvm(r).store(kv -> kv.get(com.google.protobuf.ByteString.copyFromUtf8(key))),
                        "replica " + r + " lacks acknowledged " + key);
            }
        }
    }

    private static void put(VrClient.Session s, String key, List<String> acked) throws Exception {
        assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put(key, "v"))).getStatus());
        acked.add(key);
    }
}
