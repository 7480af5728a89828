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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model of the Electrode XDP/TC programs in front of one simulated replica, following the
 * rules of electrode.bpf.c: fast acknowledgement of in-order PREPAREs into a ring the replica
 * drains, and wait-on-quorum pruning with (view, opnum)-tagged entries. Its state is lost
 * when the replica crashes (the programs go with the process).
 */
final class SimKernel {
    private final SimCluster.SimReplica replica;
    private Status status = Status.RECOVERING;
    private long view;
    private int leader;
    private long lastOp;
    private final ArrayDeque<PrepareMessage> ring = new ArrayDeque<>();
    private final Map<Long, long[]> quorum = new HashMap<>(); // opnum slot -> {view, opnum, acks}
    private static final int SLOTS = 1024;
    long fastAcked, pruned, passedSets;
    /** Deferred acks: buffer without acknowledging, pass repeats up (a durable replica's fast path). */
    boolean deferred;

    SimKernel(SimCluster.SimReplica replica) { this.replica = replica; }

    void reset() {
        status = Status.RECOVERING;
        ring.clear();
        quorum.clear();
    }

    void control(Status s, long v, int l, long last) {
        status = s;
        view = v;
        leader = l;
        lastOp = last;
    }

    void raiseLastOp(long last) { if (last > lastOp) lastOp = last; }

    /** TC egress: a PREPARE of a new (view, opnum) resets its quorum entry. */
    void egress(Message m) {
        if (m instanceof PrepareMessage p) {
            long slot = p.getOpnum() % SLOTS;
            long[] e = quorum.get(slot);
            if (e == null || e[0] != p.getView() || e[1] != p.getOpnum()) quorum.put(slot, new long[] {p.getView(), p.getOpnum(), 0});
        }
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
        if (status != Status.NORMAL) return false;
        int me = replica.idx;
        if (m instanceof PrepareMessage p && leader != me) {
            if (p.getView() < view) return true; // stale: dropped
            if (p.getView() > view) return false;
            if (p.getOpnum() <= lastOp) {
                if (deferred) return false; // only user space knows if it is durable: up the stack
                ack(from, lastOp);
                return true;
            }
            if (p.getBatchstart() > lastOp + 1) return false; // gap: up the stack
            ring.add(p);
            lastOp = p.getOpnum();
            fastAcked++;
            replica.schedulePeriodicDrain();
            if (!deferred) ack(from, p.getOpnum());
            return true;
        }
        if (m instanceof PrepareOKMessage ok && leader == me && (meta.c() & WireFormat.QUORUM_FLAG) == 0) {
            long[] e = quorum.get(ok.getOpnum() % SLOTS);
            int idx = ok.getReplicaIdx();
            if (e == null || e[0] != ok.getView() || e[1] != ok.getOpnum() || idx == me || idx >= replica.vr.replicaCount()) return false;
            int needed = (replica.vr.replicaCount() - 1) / 2;
            long bit = 1L << idx, old = e[2];
            e[2] = old | bit;
            if ((old & bit) != 0 && Long.bitCount(old) < needed) return true; // duplicate before completion: dropped
            if ((old & bit) == 0 && Long.bitCount(e[2]) != needed) {
                pruned++;
                return true;
            }
            // Completing (or a repeat after completion): pass up with the acknowledging set.
            passedSets++;
            long set = (old & bit) != 0 ? old : e[2];
            replica.kernelPass(from, ok, new FastMeta((int) ok.getView(), (int) ok.getOpnum(), WireFormat.QUORUM_FLAG | (int) set));
            return true;
        }
        return false;
    }

    /** The MyPrepareOK the program sends back to the leader. */
    private void ack(int to, long opnum) {
        PrepareOKMessage ok = PrepareOKMessage.newBuilder().setView(view).setOpnum(opnum).setReplicaIdx(replica.idx).build();
        replica.sendRaw(to, ok, FastMeta.forMessage(MessageType.MY_PREPARE_OK, ok));
    }
}
