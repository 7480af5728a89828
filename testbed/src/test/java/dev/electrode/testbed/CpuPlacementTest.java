package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.client.VrClient;
import dev.electrode.netns.RootRequired;
import dev.electrode.netns.cpu.Affinity;
import dev.electrode.netns.cpu.CpuSet;
import dev.electrode.netns.cpu.CpuTime;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pinned placement: every host's NAPI threads and event loop run on its CPUs, and a
 * follower's XDP fast-ack work is done by its own NAPI thread, not by the sender.
 */
class CpuPlacementTest {
    private static final List<Offload> ALL = List.of(Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE);

    @Test
    void hostsRunTheirKernelReceiveWorkAndEventLoopsOnTheirCpus() throws Exception {
        RootRequired.assumeRoot();
        CpuPlacement placement = CpuPlacement.defaults();
        // A long view-change timeout: follower 1 must stay a follower for the whole measurement, even on a loaded machine.
        TestbedSpec spec = TestbedSpec.defaults(3).withCapture(false).withOffloads(ALL).withPlacement(placement).withTimers(20, 40, 3_000, 50);
        TestbedEnv env = new TestbedEnv(spec, Path.of("target", "testbed", "CpuPlacementTest"));
        try {
            for (int h = 0; h <= 3; h++) {
                assertFalse(env.napiThreads(h).isEmpty(), "host " + h + " has NAPI threads");
                for (int tid : env.napiThreads(h)) assertEquals(placement.of(h, 3), Affinity.of(tid), "NAPI thread " + tid + " of host " + h);
            }
            for (int i = 0; i < 3; i++) {
                CpuSet loop = env.inJvm(i).server().query(core -> Affinity.of(0));
                assertEquals(placement.of(i, 3), loop, "replica " + i + "'s event loop");
            }
            AtomicReference<CpuSet> clientLoop = new AtomicReference<>();
            env.client().runOnEventLoop(() -> clientLoop.set(Affinity.of(0)));
            assertEquals(placement.client(), clientLoop.get());

            long napiBefore = napiNanos(env, 1);
            long acksBefore = env.offloads(1).bpf().counters().get(Counter.FAST_ACKED);
            VrClient.Session s = env.client().newSession();
            int ops = 300;
            for (int i = 0; i < ops; i++) s.invokeSync(KvOps.put(ByteString.copyFromUtf8("k" + i), ByteString.copyFromUtf8("v")));
            long acks = env.offloads(1).bpf().counters().get(Counter.FAST_ACKED) - acksBefore;
            long napi = napiNanos(env, 1) - napiBefore;
            assertTrue(acks >= ops, "follower 1 fast-acked in XDP: " + acks + "; counters " + env.offloads(1).bpf().counters()
                    + "; core " + env.inJvm(1).query(v -> v.status() + " view " + v.view() + " " + v.stats()));
            // Receiving a PREPARE (XDP, XDP_TX) and a COMMIT per op costs microseconds; all of it ran in the NAPI thread.
            assertTrue(napi > ops * 1_000L, "follower 1's NAPI thread ran " + napi + " ns for " + ops + " ops");
            System.out.printf("follower 1 NAPI thread: %.1f us per op (placement %s)%n", napi / 1000.0 / ops, placement);
        } finally {
            assertEquals(List.of(), env.close(false));
        }
    }

    @Test
    void withoutThreadedNapiOnlyTheEventLoopsArePinned() throws Exception {
        RootRequired.assumeRoot();
        CpuPlacement placement = CpuPlacement.defaults().withoutThreadedNapi();
        TestbedEnv env = new TestbedEnv(TestbedSpec.defaults(3).withCapture(false).withPlacement(placement),
                Path.of("target", "testbed", "CpuPlacementTest"));
        try {
            for (int h = 0; h <= 3; h++) assertEquals(List.of(), env.napiThreads(h), "host " + h);
            for (int i = 0; i < 3; i++) assertEquals(placement.of(i, 3), env.inJvm(i).server().query(core -> Affinity.of(0)));
            env.client().newSession().invokeSync(KvOps.put("k", "v"));
            env.replica(2).kill();
            env.replica(2).restart();
            assertEquals(placement.of(2, 3), env.inJvm(2).server().query(core -> Affinity.of(0)), "a restarted replica is pinned like the one it replaced");
            assertNotEquals(CpuSet.online(), placement.of(2, 3), "the placement is narrower than the machine, so the check means something");
        } finally {
            assertEquals(List.of(), env.close(false));
        }
    }

    @Test
    void withReplicaProcessesThisJvmRunsWhollyOnTheClientsCpusUntilTheTestbedCloses() throws Exception {
        RootRequired.assumeRoot();
        CpuPlacement placement = CpuPlacement.defaults();
        int self = (int) ProcessHandle.current().pid();
        CpuSet before = Affinity.of(self);
        assertNotEquals(placement.client(), before, "the placement is narrower than this JVM's CPUs, so the check means something");
        TestbedEnv env = new TestbedEnv(TestbedSpec.defaults(1).withCapture(false).withPlacement(placement).withProcesses(true),
                Path.of("target", "testbed", "CpuPlacementTest"));
        try {
            // Every thread of this JVM (its compiler and collector too), not only the client's event loop.
            int checked = 0;
            try (var tasks = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
                for (Path t : tasks.toList()) {
                    int tid = Integer.parseInt(t.getFileName().toString());
                    String name = java.nio.file.Files.readString(t.resolve("comm")).strip();
                    if (name.startsWith("C2 Compiler") || name.equals("VM Thread")) {
                        assertEquals(placement.client(), Affinity.of(tid), "thread " + name);
                        checked++;
                    }
                }
            }
            assertTrue(checked >= 2, "found this JVM's compiler and VM threads: " + checked);
            env.client().newSession().invokeSync(KvOps.put("k", "v"));
        } finally {
            assertEquals(List.of(), env.close(false));
        }
        assertEquals(before, Affinity.of(self), "this JVM's CPUs are given back when the testbed closes");
    }

    @Test
    void withoutPlacementNothingIsThreaded() {
        RootRequired.assumeRoot();
        TestbedEnv env = new TestbedEnv(TestbedSpec.defaults(1).withCapture(false), Path.of("target", "testbed", "CpuPlacementTest"));
        try {
            assertEquals(List.of(), env.napiThreads(0));
        } finally {
            env.close(false);
        }
    }

    private static long napiNanos(TestbedEnv env, int host) {
        return env.napiThreads(host).stream().mapToLong(CpuTime::threadNanos).sum();
    }
}
