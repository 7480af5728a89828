package dev.electrode.testbed;

import dev.electrode.bpf.Offload;

import java.util.List;
import java.util.function.Consumer;

/** What a testbed is made of: the {@link Testbed} annotation as a value, for use outside JUnit too. */
public record TestbedSpec(int replicas, boolean processes, boolean cluster, boolean capture, boolean keepCaptures, int batchSize,
                          long heartbeatMs, long resendMs, long viewChangeMs, long clientRetryMs, List<Offload> offloadList,
                          boolean switchCaptures, CpuPlacement placement, int mtu, String captureFilter, String durability,
                          long snapshotEvery, Backend backend, ReplicationProtocol protocol, List<String> replicaJvmOptions) {
    /** The JVM options of a replica process unless a spec names others: a collector that never runs concurrently with the protocol. */
    public static final List<String> DEFAULT_REPLICA_JVM_OPTIONS = List.of("-XX:+UseSerialGC");

    /** The spec an annotation describes; the system property {@value Backend#PROPERTY} may move every test onto containers. */
    public static TestbedSpec of(Testbed t) {
        return new TestbedSpec(t.replicas(), t.processes(), t.cluster(), t.capture(), t.keepCaptures(), t.batchSize(),
                t.heartbeatMs(), t.resendMs(), t.viewChangeMs(), t.clientRetryMs(), List.of(t.offloads()), t.switchCaptures(), null, 0,
                t.captureFilter(), t.durability(), t.snapshotEvery(),
                // The property moves VR tests alone: Raft tests stay where they ask to run.
                t.protocol() == ReplicationProtocol.RAFT ? t.backend() : Backend.chosen(t.backend()), t.protocol(), DEFAULT_REPLICA_JVM_OPTIONS);
    }

    /** The annotation's defaults for {@code replicas} replicas. */
    public static TestbedSpec defaults(int replicas) {
        return new TestbedSpec(replicas, false, true, true, false, 1, 20, 40, 300, 50, List.of(), false, null, 0, "", "memory",
                dev.electrode.vr.VrSettings.DEFAULT.snapshotEveryOps(), Backend.NAMESPACES, ReplicationProtocol.VR, DEFAULT_REPLICA_JVM_OPTIONS);
    }

    public Offload[] offloads() { return offloadList.toArray(new Offload[0]); }

    /** Replicas run as separate processes: asked for, or implied by containers. */
    public boolean replicasAsProcesses() { return processes || backend == Backend.CONTAINERS; }

    public TestbedSpec withOffloads(List<Offload> o) { return with(b -> b.offloadList = List.copyOf(o)); }

    public TestbedSpec withBatchSize(int size) { return with(b -> b.batchSize = size); }

    public TestbedSpec withCapture(boolean c) { return with(b -> b.capture = c); }

    /** Hosts pinned to CPU sets, with threaded NAPI on their interfaces, when the testbed starts (null: none). */
    public TestbedSpec withPlacement(CpuPlacement p) { return with(b -> b.placement = p); }

    /** The MTU of every link (0: the kernel's default, 1500). */
    public TestbedSpec withMtu(int m) {
        if (m != 0 && (m < 576 || m > 65535)) throw new IllegalArgumentException("MTU " + m + " is not in 576..65535");
        return with(b -> b.mtu = m);
    }

    /** Durability of the replicas: "memory", "sync" or "async" (a data directory per replica under the testbed's directory). */
    public TestbedSpec withDurability(String d) { return with(b -> b.durability = d); }

    /** Replicas as processes (one JVM each, killable and pausable) or in this JVM. */
    public TestbedSpec withProcesses(boolean p) { return with(b -> b.processes = p); }

    /** Committed operations between the replicas' snapshots. */
    public TestbedSpec withSnapshotEvery(long ops) { return with(b -> b.snapshotEvery = ops); }

    /** The protocol the replicas run (Raft: in this JVM). */
    public TestbedSpec withProtocol(ReplicationProtocol p) { return with(b -> b.protocol = p); }

    /** The JVM options of every replica process (heap, collector, JIT), before the main class. */
    public TestbedSpec withReplicaJvmOptions(List<String> options) { return with(b -> b.replicaJvmOptions = List.copyOf(options)); }

    /** Hosts as network namespaces or as containers. */
    public TestbedSpec withBackend(Backend backend) { return with(b -> b.backend = backend); }

    public TestbedSpec withTimers(long heartbeat, long resend, long viewChange, long clientRetry) {
        return with(b -> {
            b.heartbeatMs = heartbeat;
            b.resendMs = resend;
            b.viewChangeMs = viewChange;
            b.clientRetryMs = clientRetry;
        });
    }

    /** This spec with the fields {@code change} sets on a copy. */
    private TestbedSpec with(Consumer<Copy> change) {
        Copy c = new Copy(this);
        change.accept(c);
        return c.build();
    }

    /** The fields of a spec, mutable, for {@link #with}. */
    private static final class Copy {
        int replicas, batchSize, mtu;
        boolean processes, cluster, capture, keepCaptures, switchCaptures;
        long heartbeatMs, resendMs, viewChangeMs, clientRetryMs, snapshotEvery;
        List<Offload> offloadList;
        CpuPlacement placement;
        String captureFilter, durability;
        Backend backend;
        ReplicationProtocol protocol;
        List<String> replicaJvmOptions;

        Copy(TestbedSpec s) {
            replicas = s.replicas; processes = s.processes; cluster = s.cluster; capture = s.capture; keepCaptures = s.keepCaptures;
            batchSize = s.batchSize; heartbeatMs = s.heartbeatMs; resendMs = s.resendMs; viewChangeMs = s.viewChangeMs;
            clientRetryMs = s.clientRetryMs; offloadList = s.offloadList; switchCaptures = s.switchCaptures; placement = s.placement;
            mtu = s.mtu; captureFilter = s.captureFilter; durability = s.durability; snapshotEvery = s.snapshotEvery; backend = s.backend;
            protocol = s.protocol; replicaJvmOptions = s.replicaJvmOptions;
        }

        TestbedSpec build() {
            return new TestbedSpec(replicas, processes, cluster, capture, keepCaptures, batchSize, heartbeatMs, resendMs, viewChangeMs,
                    clientRetryMs, offloadList, switchCaptures, placement, mtu, captureFilter, durability, snapshotEvery, backend, protocol, replicaJvmOptions);
        }
    }
}
