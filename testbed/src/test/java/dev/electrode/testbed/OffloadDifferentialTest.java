package dev.electrode.testbed;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.bpf.Offload;
import dev.electrode.client.VrClient;
import dev.electrode.netns.RootRequired;
import dev.electrode.wire.proto.LogEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The same seeded workload with all offloads off and on: the same committed state on every replica. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OffloadDifferentialTest {
    @Testbed(replicas = 3, batchSize = 8, capture = false)
    private static final class Plain {}

    @Testbed(replicas = 3, batchSize = 8, capture = false, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
    private static final class Electrode {}

    /** Runs the workload of {@code seed} and returns (KV digest, committed operations in order) of replica 0, checking all agree. */
    private static List<String> run(Class<?> spec, long seed) throws Exception {
        try (TestbedEnv env = new TestbedEnv(TestbedSpec.of(spec.getAnnotation(Testbed.class)),
                Path.of("target", "testbed", "OffloadDifferentialTest", spec.getSimpleName()))) {
            // Several sessions whose operations do not conflict, so the state does not depend on interleaving.
            List<CompletableFuture<Void>> sessions = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                VrClient.Session s = env.client().newSession();
                Random rnd = new Random(seed + c);
                int client = c;
                sessions.add(CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < 150; i++) {
                            String key = "c" + client + "-k" + rnd.nextInt(40);
                            if (rnd.nextInt(5) == 0) s.invokeSync(KvOps.delete(ByteString.copyFromUtf8(key)));
                            else s.invokeSync(KvOps.put(key, "v" + rnd.nextInt(1000)));
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            CompletableFuture.allOf(sessions.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            long last = env.inJvm(0).query(v -> v.lastOp());
            env.awaitCommitted(last, Duration.ofSeconds(10));
            String digest = env.inJvm(0).store(kv -> kv.digest());
            for (int i = 1; i < 3; i++) assertEquals(digest, env.inJvm(i).store(kv -> kv.digest()), spec.getSimpleName() + " replica " + i);
            List<LogEntry> log = env.inJvm(0).query(v -> new ArrayList<>(v.log().range(1, last)));
            for (int i = 1; i < 3; i++) {
                List<LogEntry> other = env.inJvm(i).query(v -> new ArrayList<>(v.log().range(1, last)));
                for (int k = 0; k < log.size(); k++) assertEquals(log.get(k).getRequest(), other.get(k).getRequest());
            }
            return List.of(digest, Long.toString(last));
        }
    }

    @Test
    void sameCommittedStateWithAndWithoutOffloads() throws Exception {
        RootRequired.assumeRoot();
        List<String> plain = run(Plain.class, 7);
        List<String> electrode = run(Electrode.class, 7);
        assertEquals(plain.get(0), electrode.get(0), "KV state");
        assertEquals("600", plain.get(1), "every operation committed once (plain)");
        assertEquals("600", electrode.get(1), "every operation committed once (electrode)");
    }
}
