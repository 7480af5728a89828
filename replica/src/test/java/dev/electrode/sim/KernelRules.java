package dev.electrode.sim;

import dev.electrode.vr.Status;
import dev.electrode.wire.proto.PrepareMessage;
import dev.electrode.wire.proto.PrepareOKMessage;

import java.util.HashMap;
import java.util.Map;

/**
 * The decisions of the Electrode XDP and TC programs (electrode.bpf.c) as the simulator models
 * them, for one replica and without any effect: kernel control state in, a verdict out. The
 * simulator's {@link SimKernel} acts on these decisions; {@code KernelConformanceTest} (bpf
 * module) feeds the same frames to these rules and to the real programs and compares. Senders
 * and frames are taken as well formed: the address, checksum and layout checks of the real
 * program are tested on their own.
 */
public final class KernelRules {
    /** What XDP returns for a frame. */
    public enum Verdict { PASS, DROP, TX }

    /**
     * A decision: the verdict; whether a Prepare went into the ring; the opnum of the MyPrepareOK
     * sent back (TX); and the acknowledging set passed up with a quorum-completing ACK (-1: none).
     */
    public record Decision(Verdict verdict, boolean queued, long ackOpnum, long passedSet) {
        static final Decision PASS = new Decision(Verdict.PASS, false, -1, -1);
        static final Decision DROP = new Decision(Verdict.DROP, false, -1, -1);
    }

    /** Quorum slots of the real program's map (ELECTRODE_QUORUM_SLOTS). */
    public static final int SLOTS = 1024;

    private final int me;
    private final int replicaCount;
    private Status status = Status.RECOVERING;
    private long view;
    private int leader;
    private long lastOp;
    private boolean deferred;
    private final Map<Long, long[]> quorum = new HashMap<>(); // opnum slot -> {view, opnum, acks}

    public KernelRules(int me, int replicaCount) {
        this.me = me;
        this.replicaCount = replicaCount;
    }

    /** The control state user space writes (status, view, leader, lastOp). */
    public void control(Status s, long v, int l, long last) {
        status = s;
        view = v;
        leader = l;
        lastOp = last;
    }

    /** Deferred acks: buffer without acknowledging, pass repeats up (a durable replica's fast path). */
    public void setDeferred(boolean d) { deferred = d; }

    public boolean deferred() { return deferred; }

    /** User space raised the kernel's lastOp (the slow path extended the log). */
    public void raiseLastOp(long last) { if (last > lastOp) lastOp = last; }

    public long lastOp() { return lastOp; }

    /** The view the kernel acknowledges in (its MyPrepareOK's view). */
    public long view() { return view; }

    /** The programs go with the process: what a restart finds. */
    public void reset() {
        status = Status.RECOVERING;
        quorum.clear();
    }

    /** TC egress: a PREPARE of a new (view, opnum) resets its quorum entry. */
    public void egress(PrepareMessage p) {
        long slot = p.getOpnum() % SLOTS;
        long[] e = quorum.get(slot);
        if (e == null || e[0] != p.getView() || e[1] != p.getOpnum()) quorum.put(slot, new long[] {p.getView(), p.getOpnum(), 0});
    }

    /** XDP on a PREPARE from the leader. */
    public Decision prepare(PrepareMessage p) {
        if (status != Status.NORMAL || leader == me) return Decision.PASS;
        if (p.getView() < view) return Decision.DROP; // stale
        if (p.getView() > view) return Decision.PASS;
        if (p.getOpnum() <= lastOp) {
            if (deferred) return Decision.PASS; // only user space knows if it is durable: up the stack
            return new Decision(Verdict.TX, false, lastOp, -1); // re-acknowledged up to what it holds
        }
        if (p.getBatchstart() > lastOp + 1) return Decision.PASS; // a gap: up the stack
        lastOp = p.getOpnum();
        return deferred ? new Decision(Verdict.DROP, true, -1, -1) : new Decision(Verdict.TX, true, p.getOpnum(), -1);
    }

    /** XDP on a PrepareOK (or MyPrepareOK) at the leader; {@code quorumFlag}: already a passed set. */
    public Decision ack(PrepareOKMessage ok, boolean quorumFlag) {
        if (status != Status.NORMAL || leader != me || quorumFlag) return Decision.PASS;
        long[] e = quorum.get(ok.getOpnum() % SLOTS);
        int idx = ok.getReplicaIdx();
        if (e == null || e[0] != ok.getView() || e[1] != ok.getOpnum() || idx == me || idx >= replicaCount) return Decision.PASS;
        int needed = (replicaCount - 1) / 2;
        long bit = 1L << idx, old = e[2];
        e[2] = old | bit;
        if ((old & bit) != 0 && Long.bitCount(old) < needed) return Decision.DROP; // duplicate before completion
        if ((old & bit) == 0 && Long.bitCount(e[2]) != needed) return Decision.DROP; // pruned
        // Completing (or a repeat after completion): passed up with the acknowledging set.
        return new Decision(Verdict.PASS, false, -1, (old & bit) != 0 ? old : e[2]);
    }
}
