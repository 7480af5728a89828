package dev.electrode.sim;

import com.google.protobuf.Message;
import dev.electrode.vr.Status;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.WireFormat;
import dev.electrode.wire.proto.PrepareMessage;
import dev.electrode.wire.proto.PrepareOKMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A model of the Electrode XDP/TC programs in front of one simulated replica, following the
 * rules of electrode.bpf.c: fast acknowledgement of in-order PREPAREs into a ring the replica
 * drains, and wait-on-quorum pruning with (view, opnum)-tagged entries. Its state is lost
 * when the replica crashes (the programs go with the process).
 */
final class SimKernel {
    private final SimCluster.SimReplica replica;
    private KernelRules rules;
    private final ArrayDeque<PrepareMessage> ring = new ArrayDeque<>();
    long fastAcked, pruned, passedSets;
    /** Deferred acks: buffer without acknowledging, pass repeats up (a durable replica's fast path). */
    boolean deferred;

    SimKernel(SimCluster.SimReplica replica) { this.replica = replica; }

    private KernelRules rules() {
        if (rules == null) rules = new KernelRules(replica.idx, replica.vr.replicaCount());
        return rules;
    }

    void reset() {
        if (rules != null) rules.reset();
        ring.clear();
    }

    void control(Status s, long v, int l, long last) {
        rules().setDeferred(deferred);
        rules().control(s, v, l, last);
    }

    void raiseLastOp(long last) { rules().raiseLastOp(last); }

    /** TC egress: a PREPARE of a new (view, opnum) resets its quorum entry. */
    void egress(Message m) {
        if (m instanceof PrepareMessage p) rules().egress(p);
    }

    /**
     * Makes the replica's ordinary drains find the ring empty, as when records land just after
     * a drain: the race between XDP and a status change that only {@link #stopAcks} closes.
     */
    boolean recordsLate;

    /** Hands the ring's PREPAREs to the replica. */
    void drain() {
        if (recordsLate) return;
        while (!ring.isEmpty()) replica.vr.onFastAckedPrepare(ring.poll(), deferred);
    }

    /** The replica left NORMAL: after the grace period every acknowledged record is in the ring. */
    List<PrepareMessage> stopAcks() {
        List<PrepareMessage> acked = new ArrayList<>(ring);
        ring.clear();
        return acked;
    }

    /**
     * The drain before an input. XDP runs concurrently with user space, so records may land
     * in the ring while the replica is busy and wait for a later wake-up: half of the time
     * (seeded) this drain is skipped, leaving them for the next input or the periodic drain.
     */
    void maybeDrainBeforeInput(java.util.Random rnd) {
        if (rnd.nextBoolean()) drain();
    }

    boolean ringEmpty() { return ring.isEmpty(); }

    /** XDP: returns true if the program consumed the frame (bounced, dropped or queued it). */
    boolean intercept(int from, Message m, FastMeta meta) {
        KernelRules.Decision d;
        if (m instanceof PrepareMessage p) {
            d = rules().prepare(p);
            if (d.queued()) {
                ring.add(p);
                fastAcked++;
                replica.schedulePeriodicDrain();
            }
        } else if (m instanceof PrepareOKMessage ok) {
            d = rules().ack(ok, (meta.c() & WireFormat.QUORUM_FLAG) != 0);
            if (d.verdict() == KernelRules.Verdict.DROP) pruned++;
            if (d.passedSet() >= 0) {
                passedSets++;
                replica.kernelPass(from, ok, new FastMeta((int) ok.getView(), (int) ok.getOpnum(), WireFormat.QUORUM_FLAG | (int) d.passedSet()));
                return true;
            }
        } else {
            return false;
        }
        if (d.verdict() == KernelRules.Verdict.TX) ack(from, d.ackOpnum());
        return d.verdict() != KernelRules.Verdict.PASS;
    }

    /** The MyPrepareOK the program sends back to the leader. */
    private void ack(int to, long opnum) {
        PrepareOKMessage ok = PrepareOKMessage.newBuilder().setView(rules().view()).setOpnum(opnum).setReplicaIdx(replica.idx).build();
        replica.sendRaw(to, ok, FastMeta.forMessage(MessageType.MY_PREPARE_OK, ok));
    }
}
