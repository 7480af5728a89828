package dev.electrode.sim;

import dev.electrode.vr.Status;
import dev.electrode.vr.VrSettings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Many seeded random runs: crashes and restarts (at most f replicas out at once), partitions,
 * loss, duplication and reordering, then heal and check. Snapshots come every few dozen
 * operations and travel in 1 KiB chunks, so compaction, snapshot transfer and recovery from a
 * snapshot run in every schedule. {@code -Delectrode.sim.seeds=N}
 * runs more; {@code -Delectrode.sim.seed=S} replays one.
 */
class SimRandomTest {
    private static final long SECOND = 1_000_000;

    @Test
    void randomFaultSchedules() {
        runSeeds(false);
    }

    /** The same schedules with the fast-ack and quorum-pruning programs modelled in front of every replica. */
    @Test
    void randomFaultSchedulesWithOffloads() {
        runSeeds(true);
    }

    private static void runSeeds(boolean offloads) {
        String one = System.getProperty("electrode.sim.seed");
        int seeds = Integer.getInteger("electrode.sim.seeds", 200);
        List<Long> toRun = new ArrayList<>();
        if (one != null && !one.isBlank()) toRun.add(Long.parseLong(one));
        else for (long s = 1; s <= seeds; s++) toRun.add(s);

        List<String> failures = new ArrayList<>();
        long viewChanges = 0, recoveries = 0, stateTransfers = 0, resends = 0, ops = 0, fastAcked = 0, pruned = 0, sets = 0, fenced = 0;
        long snapshots = 0, installed = 0, chunks = 0;
        for (long seed : toRun) {
            try {
                SimCluster sim = runOne(seed, offloads);
                for (var r : sim.replicas) {
                    fastAcked += r.kernel.fastAcked;
                    pruned += r.kernel.pruned;
                    sets += r.vr.stats().ackSetsApplied;
                    fenced += r.vr.stats().fastPreparesAppendedAtViewChange;
                    viewChanges += r.vr.stats().viewChangesCompleted;
                    recoveries += r.vr.stats().recoveriesCompleted;
                    stateTransfers += r.vr.stats().stateTransfersRequested;
                    resends += r.vr.stats().prepareResends;
                }
                ops += sim.replicas[0].vr.commitNum();
                snapshots += sim.snapshots;
                installed += sim.snapshotsInstalled();
                for (var r : sim.replicas) chunks += r.vr.stats().snapshotChunksReceived;
            } catch (AssertionError e) {
                failures.add(e.getMessage());
                System.err.println(e.getMessage());
            }
        }
        System.out.printf("simulation%s: %d seeds, %d ops committed, %d view changes installed, %d recoveries, "
                + "%d state transfers, %d prepare resends, %d snapshots (%d installed from a leader, %d chunks), %d failures%s%n",
                offloads ? " with offloads" : "", toRun.size(), ops, viewChanges, recoveries, stateTransfers, resends, snapshots, installed,
                chunks, failures.size(),
                offloads ? String.format("; kernel model: %d fast acks, %d ACKs pruned, %d ACK sets applied, "
                        + "%d kernel-acked Prepares taken into the log on leaving NORMAL", fastAcked, pruned, sets, fenced) : "");
        if (offloads && toRun.size() >= 50)
            assertTrue(fastAcked > 0 && pruned > 0 && sets > 0 && fenced > 0, "the kernel model was exercised");
        if (toRun.size() >= 50) {
            assertTrue(viewChanges > 0 && recoveries > 0 && stateTransfers > 0, "the schedules must exercise every recovery path");
            assertTrue(installed > 0 && chunks > installed, "the schedules must transfer snapshots in several chunks");
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + toRun.size() + " seeds failed; first:\n" + (failures.isEmpty() ? "" : failures.get(0)));
    }

    static SimCluster runOne(long seed, boolean offloads) {
        Random plan = new Random(seed * 7919);
        int n = plan.nextBoolean() ? 3 : 5;
        int f = (n - 1) / 2;
        VrSettings settings = VrSettings.DEFAULT.withBatchSize(1 + plan.nextInt(8)).withTimers(10_000, 20_000, 100_000)
                .withSnapshotEvery(10 + plan.nextInt(60)).withStateTransferBytes(1024);
        // Half the seeds announce every commit advance, half at most once per random period (drawn apart
        // from the plan, which stays as it was).
        Random commits = new Random(seed * 131);
        settings = settings.withCommitPeriod(commits.nextBoolean() ? 1 + commits.nextInt(5_000) : 0);
        SimCluster sim = new SimCluster(seed, n, settings, 4, offloads);
        int clients = 1 + plan.nextInt(4);
        for (int i = 0; i < clients; i++) sim.addClient(100 + plan.nextInt(300)).start();

        Random slowDrains = new Random(seed * 31); // apart from the plan: both runs get the same schedule
        for (int step = 0; step < 15; step++) {
            sim.runFor(50_000 + plan.nextInt(200_000));
            if (offloads && slowDrains.nextInt(3) == 0) {
                // A replica whose drains miss what its kernel acknowledged, or one that catches up again.
                var r = sim.replicas[slowDrains.nextInt(n)];
                r.kernel.recordsLate = !r.kernel.recordsLate;
            }
            switch (plan.nextInt(7)) {
                case 0 -> { // crash one replica if fewer than f are out
                    int out = 0;
                    for (var r : sim.replicas) if (!r.up || r.vr.status() == Status.RECOVERING) out++;
                    int victim = plan.nextInt(n);
                    if (out < f && sim.replicas[victim].up) sim.crash(victim);
                }
                case 1 -> { // restart a crashed replica
                    for (var r : sim.replicas) if (!r.up) { sim.restart(r.idx); break; }
                }
                case 2 -> { // random split
                    Set<Integer> group = new HashSet<>();
                    for (int i = 0; i < n; i++) if (plan.nextBoolean()) group.add(i);
                    sim.partition(group);
                }
                case 3 -> sim.partition(Set.of()); // heal partitions
                case 4 -> sim.faults.loss = plan.nextDouble() * 0.2;
                case 5 -> sim.faults.duplicate = plan.nextDouble() * 0.1;
                default -> sim.faults.maxDelayMicros = 300 + plan.nextInt(5_000);
            }
        }
        sim.stabilizeAndCheck(60 * SECOND);
        return sim;
    }
}
