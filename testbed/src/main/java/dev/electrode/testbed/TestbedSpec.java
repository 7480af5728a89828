package dev.electrode.testbed;

import dev.electrode.bpf.Offload;

import java.util.List;

/** What a testbed is made of: the {@link Testbed} annotation as a value, for use outside JUnit too. */
public record TestbedSpec(int replicas, boolean processes, boolean cluster, boolean capture, boolean keepCaptures, int batchSize,
                          long heartbeatMs, long resendMs, long viewChangeMs, long clientRetryMs, List<Offload> offloadList,
                          boolean switchCaptures, CpuPlacement placement, int mtu, String captureFilter, String durability,
                          long snapshotEvery) {
    /** The spec an annotation describes. */
    public static TestbedSpec of(Testbed t) {
        return new TestbedSpec(t.replicas(), t.processes(), t.cluster(), t.capture(), t.keepCaptures(), t.batchSize(),
                t.heartbeatMs(), t.resendMs(), t.viewChangeMs(), t.clientRetryMs(), List.of(t.offloads()), t.switchCaptures(), null, 0,
                t.captureFilter(), t.durability(), t.snapshotEvery());
    }

    /** The annotation's defaults for {@code replicas} replicas. */
    public static TestbedSpec defaults(int replicas) {
        return new TestbedSpec(replicas, false, true, true, false, 1, 20, 40, 300, 50, List.of(), false, null, 0, "", "memory", dev.electrode.vr.VrSettings.DEFAULT.snapshotEveryOps());
    }

    public Offload[] offloads() { return offloadList.toArray(new Offload[0]); }

    public TestbedSpec withOffloads(List<Offload> o) {
        return new TestbedSpec(replicas, processes, cluster, capture, keepCaptures, batchSize, heartbeatMs, resendMs, viewChangeMs,
                clientRetryMs, List.copyOf(o), switchCaptures, placement, mtu, captureFilter, durability, snapshotEvery);
    }

    public TestbedSpec withBatchSize(int b) {
        return new TestbedSpec(replicas, processes, cluster, capture, keepCaptures, b, heartbeatMs, resendMs, viewChangeMs,
                clientRetryMs, offloadList, switchCaptures, placement, mtu, captureFilter, durability, snapshotEvery);
    }

    public TestbedSpec withCapture(boolean c) {
        return new TestbedSpec(replicas, processes, cluster, c, keepCaptures, batchSize, heartbeatMs, resendMs, viewChangeMs,
                clientRetryMs, offloadList, switchCaptures, placement, mtu, captureFilter, durability, snapshotEvery);
    }

    /** Hosts pinned to CPU sets, with threaded NAPI on their interfaces, when the testbed starts (null: none). */
    public TestbedSpec withPlacement(CpuPlacement p) {
        return new TestbedSpec(replicas, processes, cluster, capture, keepCaptures, batchSize, heartbeatMs, resendMs, viewChangeMs,
                clientRetryMs, offloadList, switchCaptures, p, mtu, captureFilter, durability, snapshotEvery);
    }

    /** The MTU of every link (0: the kernel's default, 1500). */
    public TestbedSpec withMtu(int m) {
        if (m != 0 && (m < 576 || m > 65535)) throw new IllegalArgumentException("MTU " + m + " is not in 576..65535");
        return new TestbedSpec(replicas, processes, cluster, capture, keepCaptures, batchSize, heartbeatMs, resendMs, viewChangeMs,
                clientRetryMs, offloadList, switchCaptures, placement, m, captureFilter, durability, snapshotEvery);
    }

    /** Durability of the replicas: "memory", "sync" or "async" (a data directory per replica under the testbed's directory). */
    public TestbedSpec withDurability(String d) {
        return new TestbedSpec(replicas, processes, cluster, capture, keepCaptures, batchSize, heartbeatMs, resendMs, viewChangeMs,
                clientRetryMs, offloadList, switchCaptures, placement, mtu, captureFilter, d, snapshotEvery);
    }

    /** Replicas as processes (one JVM each, killable and pausable) or in this JVM. */
    public TestbedSpec withProcesses(boolean p) {
        return new TestbedSpec(replicas, p, cluster, capture, keepCaptures, batchSize, heartbeatMs, resendMs, viewChangeMs,
                clientRetryMs, offloadList, switchCaptures, placement, mtu, captureFilter, durability, snapshotEvery);
    }

    /** Committed operations between the replicas' snapshots. */
    public TestbedSpec withSnapshotEvery(long ops) {
        return new TestbedSpec(replicas, processes, cluster, capture, keepCaptures, batchSize, heartbeatMs, resendMs, viewChangeMs,
                clientRetryMs, offloadList, switchCaptures, placement, mtu, captureFilter, durability, ops);
    }

    public TestbedSpec withTimers(long heartbeat, long resend, long viewChange, long clientRetry) {
        return new TestbedSpec(replicas, processes, cluster, capture, keepCaptures, batchSize, heartbeat, resend, viewChange,
                clientRetry, offloadList, switchCaptures, placement, mtu, captureFilter, durability, snapshotEvery);
    }
}
