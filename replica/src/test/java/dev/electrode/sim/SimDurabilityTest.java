package dev.electrode.sim;

import dev.electrode.vr.VrSettings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Durable replicas on the simulated disk (a crash loses what was not forced and may tear the
 * last write): seeded schedules that crash any number of replicas, every one at once too,
 * with loss, duplication, delay and partitions. Across the schedules no acknowledged write is
 * lost, replicas agree on what they executed, and execution stays at-most-once across
 * restarts — plain, and with the offloads modelled as a durable replica runs them (deferred
 * acks). Snapshots come every few dozen operations, so restarts start from a snapshot plus the
 * journal's suffix and compaction deletes segments. With the kernel acknowledging before anything is durable, the same kind of schedule
 * loses acknowledged writes: the reason durable replicas defer.
 */
class SimDurabilityTest {
    private static final long SECOND = 1_000_000;

    @Test
    void crashesOfEveryReplicaLoseNothingAcknowledged() {
        assertNoFailures(run(false, false, Integer.getInteger("electrode.sim.seeds", 100)));
    }

    @Test
    void crashesOfEveryReplicaLoseNothingAcknowledgedWithDeferredFastAcks() {
        assertNoFailures(run(true, true, Integer.getInteger("electrode.sim.seeds", 100)));
    }

    /**
     * The fast path acknowledging in the kernel, before the follower made the op durable: a
     * crash of every replica right after the leader committed on such acks, with the leader's
     * disk lost, loses the write. A schedule built to hit that window.
     */
    @Test
    void kernelAcksBeforeDurabilityLoseAcknowledgedWrites() {
        int lost = 0;
        for (long seed = 1; seed <= 20; seed++) if (lostWriteWhenLeaderDiskIsGone(seed, false)) lost++;
        int lostDeferred = 0;
        for (long seed = 1; seed <= 20; seed++) if (lostWriteWhenLeaderDiskIsGone(seed, true)) lostDeferred++;
        System.out.println("whole-cluster crash with the leader's disk gone: acknowledged writes lost in " + lost
                + " of 20 schedules with kernel acks, " + lostDeferred + " of 20 with deferred acks");
        assertTrue(lost > 0, "kernel acks before durability should lose a write in some schedule");
        assertEquals(0, lostDeferred, "deferred acks lose nothing");
    }

    private static void assertNoFailures(List<String> failures) {
        assertTrue(failures.isEmpty(), failures.size() + " seeds failed; first:\n" + (failures.isEmpty() ? "" : failures.get(0)));
    }

    private static List<String> run(boolean offloads, boolean deferred, int seeds) {
        List<String> failures = new ArrayList<>();
        long ops = 0, wholeCrashes = 0, restored = 0, snapshots = 0, installed = 0;
        for (long seed = 1; seed <= seeds; seed++) {
            try {
                Random plan = new Random(seed * 104729);
                int n = plan.nextBoolean() ? 3 : 5;
                VrSettings settings = VrSettings.DEFAULT.withBatchSize(1 + plan.nextInt(8)).withTimers(10_000, 20_000, 100_000)
                        .withSnapshotEvery(10 + plan.nextInt(60)).withStateTransferBytes(1024)
                        // Half the seeds with a Commit per advance, half with the default period (drawn apart from the plan).
                        .withCommitPeriod(new Random(seed * 131).nextBoolean() ? 0 : VrSettings.DEFAULT_COMMIT_PERIOD_MICROS);
                SimCluster sim = new SimCluster(seed, n, settings, 4, offloads, true, deferred);
                int clients = 1 + plan.nextInt(4);
                for (int i = 0; i < clients; i++) sim.addClient(100 + plan.nextInt(300)).start();
                for (int step = 0; step < 12; step++) {
                    sim.runFor(30_000 + plan.nextInt(150_000));
                    switch (plan.nextInt(7)) {
                        case 0, 1 -> { // power lost everywhere, back after a while
                            for (int i = 0; i < n; i++) if (sim.replicas[i].up) sim.crash(i);
                            wholeCrashes++;
                            sim.runFor(plan.nextInt(300_000));
                            for (int i = 0; i < n; i++) sim.restart(i);
                        }
                        case 2 -> { // any one replica
                            int v = plan.nextInt(n);
                            if (sim.replicas[v].up) sim.crash(v);
                            else sim.restart(v);
                        }
                        case 3 -> {
                            Set<Integer> group = new HashSet<>();
                            for (int i = 0; i < n; i++) if (plan.nextBoolean()) group.add(i);
                            sim.partition(group);
                        }
                        case 4 -> sim.partition(Set.of());
                        case 5 -> sim.faults.loss = plan.nextDouble() * 0.2;
                        default -> sim.faults.duplicate = plan.nextDouble() * 0.1;
                    }
                }
                sim.stabilizeAndCheck(60 * SECOND);
                ops += sim.replicas[0].vr.commitNum();
                for (var r : sim.replicas) restored += r.vr.stats().recoveriesCompleted;
                snapshots += sim.snapshots;
                installed += sim.snapshotsInstalled();
            } catch (AssertionError e) {
                failures.add(e.getMessage());
                System.err.println(e.getMessage());
            }
        }
        System.out.printf("durable simulation%s: %d seeds, %d ops committed, %d crashes of every replica, %d snapshots"
                        + " (%d installed from a leader), %d failures%n",
                offloads ? (deferred ? " with offloads (deferred acks)" : " with offloads") : "", seeds, ops, wholeCrashes, snapshots,
                installed, failures.size());
        assertTrue(wholeCrashes > seeds, "the schedules crash every replica often");
        assertTrue(snapshots > seeds, "the schedules take snapshots");
        return failures;
    }

    /**
     * n = 3: one put; the kernel (or, deferred, user space) of follower 1 acknowledges it and the
     * leader commits and answers; follower 2 never sees it. Then every replica crashes, and the
     * leader's disk is lost: followers 1 and 2 form the next view from what they made durable.
     * True if the acknowledged put is gone.
     */
    private static boolean lostWriteWhenLeaderDiskIsGone(long seed, boolean deferred) {
        VrSettings settings = VrSettings.DEFAULT.withBatchSize(1).withTimers(10_000, 20_000, 100_000);
        SimCluster sim = new SimCluster(seed, 3, settings, 1, true, true, deferred);
        sim.runFor(SECOND / 10);
        sim.setBlocked(0, 2, true);
        sim.replicas[1].kernel.recordsLate = true; // the follower's user space has not drained it yet
        SimClient client = sim.addClient(1);
        client.start();
        sim.runUntil(client::done, SECOND / 2);
        boolean acknowledged = client.done() && !client.acknowledged().isEmpty();
        if (!acknowledged) {
            // Deferred: nothing was acknowledged while the record sat undrained; let it drain, then crash.
            sim.replicas[1].kernel.recordsLate = false;
            sim.runUntil(client::done, SECOND / 2);
            acknowledged = client.done() && !client.acknowledged().isEmpty();
        }
        if (!acknowledged) return false;
        for (int i = 0; i < 3; i++) sim.crash(i);
        sim.replicas[0].disk.lose(dev.electrode.storage.Journal.segmentName(0)); // the leader's disk is gone
        sim.heal();
        sim.restart(1);
        sim.restart(2);
        sim.runUntil(() -> sim.currentLeader() > 0, 2 * SECOND);
        int leader = sim.currentLeader();
        assertTrue(leader > 0, "followers 1 and 2 form a view: " + sim.describe());
        sim.runUntil(() -> sim.replicas[leader].vr.commitNum() == sim.replicas[leader].vr.lastOp(), SECOND);
        var put = client.acknowledged().entrySet().iterator().next();
        return !put.getValue().equals(sim.replicas[leader].app.kv.get(put.getKey()));
    }
}
