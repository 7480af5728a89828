package dev.electrode.raft;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Raft core on the simulated network, without and with the model of the offload programs:
 * the normal case, a leader crash, and 200 seeds of random faults.
 */
class RaftSimTest {
    static final long SECOND = 1_000_000;
    static final RaftSettings SIM = new RaftSettings(10_000, 50_000, 100_000, 16);

    @ParameterizedTest(name = "n={0} offloads={1}")
    @CsvSource({"3,false", "5,false", "3,true", "5,true"})
    void normalCaseCommitsEverythingInOneTerm(int n, boolean offloads) {
        RaftSim sim = new RaftSim(1, n, SIM, offloads);
        for (int i = 0; i < 3; i++) sim.addClient(100);
        assertTrue(sim.runUntil(sim::clientsDone, 30 * SECOND), sim.describe());
        sim.runFor(SECOND / 10);
        assertEquals(List.of(), sim.checkConverged(), sim.describe());
        int leader = sim.leader();
        assertTrue(leader >= 0);
        assertEquals(300 + 1, sim.nodes[leader].raft.commitIndex(), "300 puts and the leader's own entry");
        long elections = 0;
        for (RaftSim.Node node : sim.nodes) elections += node.raft.stats().electionsStarted;
        assertTrue(elections <= 2, "no elections after the first without faults: " + sim.describe());
        if (offloads) {
            long fast = 0, sets = 0;
            for (RaftSim.Node node : sim.nodes) {
                fast += node.raft.stats().fastAppendsApplied;
                sets += node.raft.stats().ackSetsApplied;
            }
            assertTrue(fast > 0, "followers took entries their kernel acknowledged: " + sim.describe());
            assertTrue(sets > 0, "the leader committed on quorum-completing ack sets: " + sim.describe());
        }
    }

    @ParameterizedTest(name = "n={0} offloads={1}")
    @CsvSource({"3,false", "5,false", "3,true", "5,true"})
    void aCrashedLeaderIsReplacedAndNothingAcknowledgedIsLost(int n, boolean offloads) {
        RaftSim sim = new RaftSim(2, n, SIM, offloads);
        for (int i = 0; i < 3; i++) sim.addClient(200);
        sim.runFor(SECOND / 5);
        int first = sim.leader();
        assertTrue(first >= 0, sim.describe());
        sim.nodes[first].crash();
        assertTrue(sim.runUntil(() -> sim.leader() >= 0 && sim.leader() != first, 2 * SECOND), sim.describe());
        assertTrue(sim.runUntil(sim::clientsDone, 30 * SECOND), sim.describe());
        sim.runUntil(() -> sim.checkConverged().isEmpty(), 5 * SECOND);
        assertEquals(List.of(), sim.checkConverged(), sim.describe());
    }

    /**
     * A follower cut off while the others commit and compact their logs cannot be sent the
     * entries it misses: it gets the leader's snapshot, installs it, and then follows the log.
     */
    @ParameterizedTest(name = "n={0} offloads={1}")
    @CsvSource({"3,false", "5,false", "3,true", "5,true"})
    void aFollowerBehindTheCompactedLogInstallsTheLeadersSnapshot(int n, boolean offloads) {
        RaftSim sim = new RaftSim(3, n, SIM.withSnapshotEvery(20), offloads);
        RaftSim.Client first = sim.addClient(30);
        assertTrue(sim.runUntil(first::done, 10 * SECOND), sim.describe());
        int leader = sim.leader();
        int lagging = (leader + 1) % n;
        sim.partition(java.util.Set.of(lagging));
        RaftSim.Client second = sim.addClient(150);
        assertTrue(sim.runUntil(second::done, 30 * SECOND), sim.describe());
        assertEquals(leader, sim.leader(), "the majority kept its leader");
        assertTrue(sim.nodes[leader].raft.snapshotIndex() > sim.nodes[lagging].raft.lastIndex() + 1,
                "the leader compacted past what the lagging follower holds: " + sim.describe());
        sim.heal();
        RaftSim.Client third = sim.addClient(30);
        assertTrue(sim.runUntil(third::done, 30 * SECOND), sim.describe());
        sim.runUntil(() -> sim.checkConverged().isEmpty(), 5 * SECOND);
        assertEquals(List.of(), sim.checkConverged(), sim.describe());
        assertTrue(sim.nodes[lagging].raft.stats().snapshotsInstalled >= 1, sim.describe());
        assertTrue(sim.nodes[leader].raft.stats().snapshotsSent >= 1, sim.describe());
        assertTrue(sim.nodes[lagging].raft.stats().snapshotsTaken >= 1, "it compacts its own log afterwards: " + sim.describe());
        assertEquals(sim.nodes[leader].raft.lastIndex(), sim.nodes[lagging].raft.lastIndex(), sim.describe());
        assertEquals(0, sim.nodes[lagging].raft.stats().snapshotsRefused);
    }

    /**
     * Every replica crashes at once and restarts from its disk (term, vote, log, snapshot): no
     * acknowledged put is lost, every replica executes the same sequence again, and work goes on.
     */
    @ParameterizedTest(name = "n={0} offloads={1} snapshots={2}")
    @CsvSource({"3,false,0", "5,false,0", "3,true,0", "3,false,15", "5,true,15"})
    void theWholeClusterRestartsFromItsDisksAndLosesNothing(int n, boolean offloads, long snapshotEvery) {
        RaftSim sim = new RaftSim(4, n, SIM.withSnapshotEvery(snapshotEvery), offloads, offloads); // durable: acks deferred
        for (int i = 0; i < 3; i++) sim.addClient(40);
        assertTrue(sim.runUntil(sim::clientsDone, 30 * SECOND), sim.describe());
        long commit = sim.nodes[sim.leader()].raft.commitIndex();
        for (RaftSim.Node node : sim.nodes) node.crash();
        sim.runFor(SECOND / 2);
        for (RaftSim.Node node : sim.nodes) node.restart();
        for (RaftSim.Node node : sim.nodes) assertTrue(node.raft.lastIndex() >= Math.min(commit, node.disk.commit), sim.describe());
        for (int i = 0; i < 2; i++) sim.addClient(40);
        assertTrue(sim.runUntil(sim::clientsDone, 30 * SECOND), sim.describe());
        sim.runUntil(() -> sim.checkConverged().isEmpty(), 5 * SECOND);
        assertEquals(List.of(), sim.checkConverged(), sim.describe());
        assertTrue(sim.nodes[sim.leader()].raft.commitIndex() > commit, "the restarted cluster commits more: " + sim.describe());
        if (snapshotEvery > 0) {
            long restoredFromSnapshot = 0;
            for (RaftSim.Node node : sim.nodes) if (node.disk.snapshot != null) restoredFromSnapshot++;
            assertTrue(restoredFromSnapshot > 0, "some replica restarted from a snapshot: " + sim.describe());
        }
    }

    /**
     * The kernel acknowledges appends whose records user space then cannot use (5%): each is a
     * debt the follower owes; it leaves the fast path, votes only for logs that reach the
     * promise, pays once a leader verified its log up there, and nothing acknowledged is lost,
     * through a leader crash too.
     */
    @ParameterizedTest(name = "n={0}")
    @CsvSource({"3", "5"})
    void unusableKernelAcksAreOwedUntilTheLogHoldsThemAgain(int n) {
        RaftSim sim = new RaftSim(5, n, SIM, true, false);
        sim.unusableRecords = 0.05;
        for (int i = 0; i < 3; i++) sim.addClient(150);
        sim.runFor(SECOND / 2);
        int first = sim.leader();
        assertTrue(first >= 0, sim.describe());
        sim.nodes[first].crash();
        assertTrue(sim.runUntil(sim::clientsDone, 60 * SECOND), sim.describe());
        sim.runUntil(() -> sim.checkConverged().isEmpty(), 5 * SECOND);
        assertEquals(List.of(), sim.checkConverged(), sim.describe());
        long debts = 0, paid = 0;
        for (RaftSim.Node node : sim.nodes) {
            debts += node.raft.stats().kernelAckDebts;
            paid += node.raft.stats().kernelAckDebtsPaid;
        }
        assertTrue(debts > 0 && paid > 0, "debts arose and were paid: " + sim.describe());
    }

    /** Half the seeds compact every 25 entries, so snapshots are installed under loss, partitions and crashes too. */
    @ParameterizedTest(name = "n={0} offloads={1}")
    @CsvSource({"3,false", "5,false", "3,true", "5,true"})
    void randomFaultsOverManySeeds(int n, boolean offloads) {
        int f = (n - 1) / 2;
        for (long seed = 0; seed < 200; seed++) {
            // Odd seeds: snapshots every 25 entries, and (with the offloads) acks deferred until durable, as with SYNC durability.
            boolean odd = seed % 2 == 1;
            RaftSim sim = new RaftSim(seed, n, SIM.withSnapshotEvery(odd ? 25 : 0), offloads, odd);
            boolean restarts = !offloads || odd; // a kernel that acknowledged what never reached the disk forbids restarts
            if (offloads && !odd) sim.unusableRecords = 0.02; // kernel acks user space cannot use: debts
            Random plan = new Random(seed * 31);
            for (int i = 0; i < 3; i++) sim.addClient(60);
            sim.loss = 0.05;
            sim.duplicate = 0.05;
            Set<Integer> crashed = new HashSet<>();
            for (int step = 0; step < 8; step++) {
                sim.runFor(50_000 + plan.nextInt(150_000));
                switch (plan.nextInt(5)) {
                    case 0 -> { // a minority, maybe with the leader, cut off
                        Set<Integer> group = new HashSet<>();
                        if (plan.nextBoolean() && sim.leader() >= 0) group.add(sim.leader());
                        while (group.size() < f) group.add(plan.nextInt(n));
                        sim.partition(group);
                    }
                    case 1 -> sim.heal();
                    case 2 -> {
                        if (crashed.size() < f) { // never more than f down at once
                            int victim = plan.nextBoolean() && sim.leader() >= 0 ? sim.leader() : plan.nextInt(n);
                            if (crashed.add(victim)) sim.nodes[victim].crash();
                        }
                    }
                    case 3 -> { // a crashed replica comes back from its disk
                        if (restarts && !crashed.isEmpty()) {
                            int back = crashed.iterator().next();
                            crashed.remove(back);
                            sim.nodes[back].restart();
                        }
                    }
                    default -> { }
                }
            }
            sim.heal();
            if (restarts) for (int back : crashed) sim.nodes[back].restart(); // every replica must converge
            boolean done = sim.runUntil(sim::clientsDone, 60 * SECOND);
            sim.runUntil(() -> sim.checkConverged().isEmpty(), 5 * SECOND); // the lagging catch up
            List<String> problems = sim.checkConverged();
            assertTrue(done && problems.isEmpty(), "clients done: " + done + "; " + problems + "; " + sim.describe());
        }
    }
}
