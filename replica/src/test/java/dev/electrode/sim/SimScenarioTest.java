package dev.electrode.sim;

import dev.electrode.vr.Status;
import dev.electrode.vr.VrSettings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The named failure scenarios, for 3 and 5 replicas, on the deterministic simulated network. */
class SimScenarioTest {
    static final VrSettings SIM = VrSettings.DEFAULT.withBatchSize(8).withTimers(10_000, 20_000, 100_000);
    static final long SECOND = 1_000_000;

    private static SimCluster cluster(int n, long seed, int clients, int ops) {
        SimCluster sim = new SimCluster(seed, n, SIM, clients);
        for (int i = 0; i < clients; i++) sim.addClient(ops).start();
        return sim;
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void normalCaseCommitsEverything(int n) {
        SimCluster sim = cluster(n, 1, 4, 200);
        sim.stabilizeAndCheck(30 * SECOND);
        assertEquals(800, sim.replicas[0].vr.commitNum());
        assertEquals(0, sim.replicas[0].vr.view(), "no view change without faults");
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void leaderCrashLeadsToViewChangeAndProgress(int n) {
        SimCluster sim = cluster(n, 2, 3, 600);
        sim.runFor(SECOND / 5);
        long before = sim.replicas[1].vr.commitNum();
        assertTrue(before > 0, "made progress before the crash");
        sim.crash(0);
        sim.runFor(2 * SECOND);
        int leader = sim.currentLeader();
        assertTrue(leader > 0, "a new leader took over: " + sim.describe());
        assertTrue(sim.replicas[leader].vr.commitNum() > before, "progress after the view change");
        sim.stabilizeAndCheck(30 * SECOND);
        assertEquals(1, sim.replicas[0].vr.stats().recoveriesCompleted, "the old leader recovered");
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void followerCrashAndRecovery(int n) {
        SimCluster sim = cluster(n, 3, 3, 400);
        sim.runFor(SECOND / 5);
        sim.crash(n - 1);
        sim.runFor(SECOND / 2);
        sim.restart(n - 1);
        assertTrue(sim.runUntil(() -> sim.replicas[n - 1].vr.status() == Status.NORMAL, 2 * SECOND), sim.describe());
        assertEquals(0, sim.replicas[n - 1].vr.view());
        sim.stabilizeAndCheck(30 * SECOND);
        assertEquals(1, sim.replicas[n - 1].vr.stats().recoveriesCompleted);
        assertEquals(0, sim.replicas[0].vr.view(), "a follower's crash does not change the view");
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void laggingReplicaCatchesUpByStateTransfer(int n) {
        SimCluster sim = cluster(n, 4, 3, 300);
        int lagging = n - 1;
        // Cut the follower off from the leader's prepares only, but let its heartbeat... nothing
        // else reach it either, shorter than a view change so it stays in the view.
        sim.runFor(SECOND / 10);
        for (int i = 0; i < n; i++) { sim.setBlocked(i, lagging, true); sim.setBlocked(lagging, i, true); }
        sim.runFor(SIM.viewChangeMicros() / 2);
        for (int i = 0; i < n; i++) { sim.setBlocked(i, lagging, false); sim.setBlocked(lagging, i, false); }
        long leaderCommit = sim.replicas[0].vr.commitNum();
        assertTrue(sim.replicas[lagging].vr.lastOp() < leaderCommit, "the follower fell behind");
        sim.stabilizeAndCheck(30 * SECOND);
        assertTrue(sim.replicas[lagging].vr.stats().stateTransfersRequested > 0, "it used state transfer");
        assertTrue(sim.replicas[lagging].vr.stats().stateTransferEntriesApplied > 0);
        assertEquals(0, sim.replicas[0].vr.view());
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void tenPercentLossWithReordering(int n) {
        SimCluster sim = cluster(n, 5, 4, 800);
        sim.faults.loss = 0.10;
        sim.faults.duplicate = 0.05;
        sim.faults.maxDelayMicros = 3_000; // delays spread over 3 ms reorder messages
        sim.runFor(3 * SECOND);
        assertTrue(sim.replicas[sim.currentLeader()].vr.commitNum() > 500, "progress under loss: " + sim.describe());
        sim.stabilizeAndCheck(30 * SECOND);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void leaderPartitionedIntoMinorityThenHealed(int n) {
        SimCluster sim = cluster(n, 6, 3, 1200);
        sim.runFor(SECOND / 5);
        Set<Integer> minority = new HashSet<>();
        minority.add(0);
        if (n == 5) minority.add(4);
        sim.partition(minority);
        sim.runFor(2 * SECOND);
        int leader = sim.currentLeader();
        assertFalse(minority.contains(leader) && sim.replicas[leader].vr.view() > 0, "majority elected the leader");
        long majorityCommit = sim.replicas[1].vr.commitNum();
        sim.runFor(SECOND);
        assertTrue(sim.replicas[1].vr.commitNum() > majorityCommit, "majority side makes progress: " + sim.describe());
        long oldLeaderCommit = sim.replicas[0].vr.commitNum();
        sim.runFor(SECOND);
        assertEquals(oldLeaderCommit, sim.replicas[0].vr.commitNum(), "the isolated old leader commits nothing");
        sim.stabilizeAndCheck(30 * SECOND);
        assertTrue(sim.replicas[0].vr.view() > 0);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void resendTimerLeavesAFreshPrepareAloneAndResendsALostOne(int n) {
        long period = SIM.resendMicros();
        // After an idle spell, one op prepared at any point of the resend period is answered
        // before it is a period old, so the leader never resends it.
        for (long offset = 0; offset < period; offset += period / 100) {
            SimCluster sim = new SimCluster(7, n, SIM, 1);
            sim.runFor(5 * period + offset);
            SimClient client = sim.addClient(1);
            client.start();
            assertTrue(sim.runUntil(client::done, 3 * period), "offset " + offset + ": " + sim.describe());
            sim.runFor(3 * period);
            assertEquals(0, sim.replicas[0].vr.stats().prepareResends, "offset " + offset + ": a fresh prepare was resent");
        }
        // A prepare that no follower received is resent within two periods of being sent.
        SimCluster sim = new SimCluster(8, n, SIM, 1);
        sim.runFor(5 * period + period / 3);
        for (int f = 1; f < n; f++) sim.setBlocked(0, f, true);
        SimClient client = sim.addClient(1);
        client.start();
        sim.runFor(period / 10);
        for (int f = 1; f < n; f++) sim.setBlocked(0, f, false);
        assertTrue(sim.runUntil(client::done, 2 * period + period / 10), "the lost prepare was resent: " + sim.describe());
        assertEquals(1, sim.replicas[0].vr.stats().prepareResends);
        assertEquals(0, sim.replicas[0].vr.view(), "no view change");
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void aPrepareOnlyTheKernelAcknowledgedSurvivesTheViewChange(int n) {
        SimCluster sim = kernelAckedOpThenLeaderCrash(n, false);
        long appended = 0;
        for (int i = 1; i <= (n - 1) / 2; i++) appended += sim.replicas[i].vr.stats().fastPreparesAppendedAtViewChange;
        assertEquals((n - 1) / 2, appended, "each acknowledging follower took the op from the kernel when it left NORMAL");
        sim.stabilizeAndCheck(30 * SECOND); // includes: the acknowledged put is on every replica
    }

    /** The same schedule without the view-change fence ({@code Outbox.stopFastAcks}): the acknowledged put is lost. */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void withoutTheFenceTheKernelAcknowledgedOpIsLost(int n) {
        SimCluster sim = kernelAckedOpThenLeaderCrash(n, true);
        AssertionError e = assertThrows(AssertionError.class, () -> sim.stabilizeAndCheck(30 * SECOND));
        assertTrue(e.getMessage().contains("lost acknowledged put"), e.getMessage());
    }

    /**
     * f followers acknowledge one op in XDP, but its record reaches the ring after their last
     * ordinary drain; the other followers never see the Prepare. The leader commits on the kernel
     * ACKs alone, answers, and crashes; the followers form a new view.
     */
    private static SimCluster kernelAckedOpThenLeaderCrash(int n, boolean withoutFence) {
        SimCluster sim = new SimCluster(9, n, SIM, 1, true);
        sim.fenceDisabled = withoutFence;
        sim.runFor(SECOND / 10);
        int f = (n - 1) / 2;
        for (int i = 1; i <= f; i++) sim.replicas[i].kernel.recordsLate = true;
        for (int i = f + 1; i < n; i++) sim.setBlocked(0, i, true);
        SimClient client = sim.addClient(1);
        client.start();
        assertTrue(sim.runUntilEvent(() -> {
            for (int i = 1; i <= f; i++) if (sim.replicas[i].kernel.fastAcked == 0) return false;
            return true;
        }, SECOND / 10), sim.describe());
        for (int i = 1; i < n; i++) sim.setBlocked(0, i, true);
        assertTrue(sim.runUntil(client::done, SECOND / 10), sim.describe());
        assertEquals(1, client.acknowledged().size(), "the put was acknowledged");
        sim.crash(0);
        for (int i = 1; i <= f; i++) assertEquals(0, sim.replicas[i].vr.lastOp(), "follower " + i + "'s core has not seen the op: " + sim.describe());
        assertTrue(sim.runUntil(() -> sim.currentLeader() > 0, 2 * SECOND), "a new leader: " + sim.describe());
        for (int i = 1; i <= f; i++) sim.replicas[i].kernel.recordsLate = false;
        return sim;
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5})
    void aFollowerWhoseKernelAckIsUnusableRecoversAndTheClusterGoesOn(int n) {
        SimCluster sim = new SimCluster(10, n, SIM, 3, true);
        for (int i = 0; i < 3; i++) sim.addClient(300).start();
        sim.runFor(SECOND / 5);
        long before = sim.replicas[0].vr.commitNum();
        assertTrue(before > 0);
        // User space found a kernel-acknowledged Prepare it cannot use (a body that does not decode).
        sim.replicas[1].vr.onKernelAckUnusable(sim.replicas[1].vr.view());
        assertEquals(dev.electrode.vr.Status.RECOVERING, sim.replicas[1].vr.status());
        assertTrue(sim.runUntil(() -> sim.replicas[1].vr.status() == dev.electrode.vr.Status.NORMAL, 2 * SECOND), sim.describe());
        assertEquals(1, sim.replicas[1].vr.stats().recoveriesCompleted);
        sim.stabilizeAndCheck(30 * SECOND); // every acknowledged put on every replica, logs agree
        assertEquals(0, sim.replicas[0].vr.view(), "no view change");
    }
}
