package dev.electrode.sim;

import dev.electrode.interop.PrototypeReplica;
import dev.electrode.vr.Status;
import dev.electrode.vr.VrReplica;
import dev.electrode.vr.VrSettings;
import dev.electrode.wire.proto.LogEntry;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mixed clusters on the simulated network: Java replicas with a model of the reference
 * prototype's replica ({@link PrototypeReplica}) in one slot. One test per behaviour that used
 * to break a rolling replacement, each with the control that shows the check can fail.
 */
class SimPrototypeInteropTest {
    static final long SECOND = 1_000_000;
    static final VrSettings SIM = VrSettings.DEFAULT.withBatchSize(8).withTimers(10_000, 20_000, 100_000);

    private static void runClient(SimCluster sim, int ops) {
        SimClient c = sim.addClient(ops);
        c.start();
        assertTrue(sim.runUntil(c::done, 20 * SECOND), "client finished: " + sim.describe());
    }

    private static List<Request> requests(List<LogEntry> entries) {
        return entries.stream().map(LogEntry::getRequest).toList();
    }

    // ------------------------------------------------------------------ 1. recovery from a Java leader

    @Test
    void prototypeReplicaRecoversFromJavaLeaderAndThenCompletesQuorums() {
        SimCluster sim = new SimCluster(11, 3, SIM, 2);
        runClient(sim, 60);
        PrototypeReplica proto = sim.replaceWithPrototype(2);
        proto.startRecovery(4242);
        sim.runFor(SECOND / 10);

        VrReplica leader = sim.replica(0);
        assertNull(proto.panic(), "the prototype's recovery aborted");
        assertEquals(PrototypeReplica.Status.NORMAL, proto.status());
        assertEquals(leader.lastOp(), proto.lastOp());
        assertEquals(requests(leader.log().range(1, leader.lastOp())), requests(proto.log()), "the installed log is the leader's");
        assertEquals(requests(leader.log().range(1, proto.lastCommitted())), proto.executed(), "executed the committed prefix in order");

        // The prototype now completes quorums: with replica 1 down, nothing commits without its PrepareOK.
        sim.crash(1);
        long before = leader.commitNum();
        runClient(sim, 30);
        assertEquals(before + 30, leader.commitNum());
        sim.runFor(SECOND / 10); // the next Commit reaches the prototype
        assertNull(proto.panic());
        assertEquals(requests(leader.log().range(1, leader.commitNum())), proto.executed());
    }

    @Test
    void aLogBeyondTheRecoveryLimitIsFetchedByJavaButNotByThePrototype() {
        VrSettings small = SIM.withRecoveryBytes(1024);
        SimCluster sim = new SimCluster(12, 3, small, 2);
        runClient(sim, 200); // about 40 bytes an entry: the log is several times the limit

        // A Java replica takes what the response carries and fetches the rest.
        sim.crash(1);
        sim.restart(1);
        assertTrue(sim.runUntil(() -> sim.replica(1).status() == Status.NORMAL, 2 * SECOND), sim.describe());
        VrReplica java = sim.replica(1);
        assertTrue(java.stats().recoveryEntriesInstalled > 0 && java.stats().recoveryEntriesInstalled < 200,
                "installed part of the log from the response: " + java.stats());
        assertTrue(java.stats().stateTransferEntriesApplied > 0, "fetched the rest by state transfer: " + java.stats());
        assertEquals(sim.replica(0).lastOp(), java.lastOp());

        // The prototype installs only what the response carries: it cannot recover (documented limit).
        PrototypeReplica proto = sim.replaceWithPrototype(2);
        proto.startRecovery(7);
        sim.runFor(SECOND / 10);
        assertNotNull(proto.panic(), "the prototype cannot recover from a cut response");
    }

    @Test
    void javaReplicaRecoveryInstallsTheLeadersLogWithoutStateTransfer() {
        SimCluster sim = new SimCluster(13, 3, SIM, 2);
        runClient(sim, 80);
        sim.crash(2);
        sim.restart(2);
        assertTrue(sim.runUntil(() -> sim.replica(2).status() == Status.NORMAL, 2 * SECOND), sim.describe());
        VrReplica r = sim.replica(2);
        assertEquals(1, r.stats().recoveriesCompleted);
        assertEquals(80, r.stats().recoveryEntriesInstalled, r.stats().toString());
        assertEquals(0, r.stats().stateTransferEntriesApplied, r.stats().toString());
        runClient(sim, 20);
        sim.stabilizeAndCheck(30 * SECOND);
    }

    // ------------------------------------------------------------------ 2. a replica that missed a view change

    @Test
    void prototypeThatMissedAViewChangeIsAnsweredInTheNewView() {
        SimCluster sim = new SimCluster(21, 5, SIM, 3);
        PrototypeReplica proto = sim.replaceWithPrototype(4);
        runClient(sim, 40); // the prototype follows view 0 and acknowledges
        assertEquals(40, proto.lastOp());

        sim.partition(Set.of(4));
        sim.crash(0);
        assertTrue(sim.runUntil(() -> sim.currentLeader() > 0, 2 * SECOND), sim.describe());
        runClient(sim, 40);
        int leader = sim.currentLeader();
        long view = sim.replica(leader).view();
        assertTrue(view > 0);
        assertEquals(0, proto.view(), "the prototype missed the view change");

        // Healed, it hears a Commit of the new view and asks, in view 0, everyone for state.
        sim.heal();
        assertTrue(sim.runUntil(() -> proto.view() == view && proto.lastCommitted() >= 80, 2 * SECOND),
                "the prototype caught up: view " + proto.view() + " commit " + proto.lastCommitted() + " " + sim.describe());
        assertNull(proto.panic());
        long answered = 0;
        for (int i = 1; i < 4; i++) answered += sim.replica(i).stats().staleStateTransfersAnswered;
        assertTrue(answered > 0, "Java replicas answered the old view's request");
        assertEquals(requests(sim.replica(leader).log().range(1, proto.lastCommitted())), proto.executed());

        // It counts in quorums again: with two Java replicas down, commits need it.
        sim.restart(0);
        assertTrue(sim.runUntil(() -> sim.replica(0).status() == Status.NORMAL, 2 * SECOND), sim.describe());
        for (int i = 1; i < 4; i++) if (i != leader) sim.crash(i); // leaves the leader, replica 0 and the prototype: 3 of 5
        long before = sim.replica(leader).commitNum();
        runClient(sim, 20);
        assertEquals(before + 20, sim.replica(leader).commitNum());
        assertNull(proto.panic());
    }

    // ------------------------------------------------------------------ 3. the idle prototype leader

    @Test
    void idlePrototypeLeaderKeepsJavaFollowersWithDefaultTiming() {
        SimCluster sim = new SimCluster(31, 3, VrSettings.DEFAULT, 0);
        PrototypeReplica proto = sim.replaceWithPrototype(0);
        sim.every(VrSettings.PROTOTYPE_HEARTBEAT_MICROS, proto::heartbeat);
        sim.runFor(60 * SECOND);
        for (int i = 1; i < 3; i++) {
            assertEquals(0, sim.replica(i).stats().viewChangesStarted, "replica " + i + " deposed the idle leader");
            assertEquals(0, sim.replica(i).view());
        }
    }

    @Test
    void theOldHalfSecondTimeoutDeposesAnIdlePrototypeLeader() {
        SimCluster sim = new SimCluster(32, 3, VrSettings.DEFAULT.withTimers(50_000, 100_000, 500_000), 0);
        PrototypeReplica proto = sim.replaceWithPrototype(0);
        sim.every(VrSettings.PROTOTYPE_HEARTBEAT_MICROS, proto::heartbeat);
        sim.runFor(10 * SECOND);
        assertTrue(sim.replica(1).stats().viewChangesStarted > 0, "the control: 500 ms is shorter than the prototype's heartbeat");
    }
}
