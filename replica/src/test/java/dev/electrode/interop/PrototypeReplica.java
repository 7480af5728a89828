package dev.electrode.interop;

import com.google.protobuf.Message;
import dev.electrode.wire.proto.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model of the reference prototype's VR replica (specpaxos {@code vr/replica.cc}) for the parts
 * a mixed cluster exercises: the follower's normal case, the idle leader's heartbeat, recovery and
 * state transfer, with the prototype's assertions kept. Where the C++ process would abort, the
 * model records a {@link #panic()} and stops, so a test sees exactly what the prototype would
 * reject. It leaves view changes out: it plays a replica that is cut off while one happens.
 * Transport-neutral: a simulator or a UDP socket ({@link PrototypePeer}) drives it.
 */
public final class PrototypeReplica {
    /** Where the model's messages go. */
    public interface Sender {
        void toReplica(int to, Message m);
    }

    /** The prototype's status values. */
    public enum Status { NORMAL, VIEW_CHANGE, RECOVERING }

    private final int n;
    private final int f;
    private final int me;
    private final Sender out;

    private final List<LogEntry> log = new ArrayList<>(); // entry i holds opnum i + 1 (the prototype never compacts)
    private Status status = Status.NORMAL;
    private long view;
    private long lastOp;
    private long lastCommitted;
    private final List<Request> executed = new ArrayList<>();
    private final List<PrepareMessage> pendingPrepares = new ArrayList<>();

    private long recoveryNonce;
    private final Map<Integer, RecoveryResponseMessage> recoveryResponses = new HashMap<>();
    private long lastRequestStateTransferView = -1;
    private long lastRequestStateTransferOpnum;
    private String panic;
    private final Map<String, Integer> received = new HashMap<>();

    public PrototypeReplica(int n, int me, Sender out) {
        this.n = n;
        this.f = (n - 1) / 2;
        this.me = me;
        this.out = out;
    }

    // ------------------------------------------------------------------ queries

    public synchronized Status status() { return status; }
    public synchronized long view() { return view; }
    public synchronized long lastOp() { return lastOp; }
    public synchronized long lastCommitted() { return lastCommitted; }
    /** Every request executed, in order. */
    public synchronized List<Request> executed() { return List.copyOf(executed); }
    public synchronized List<LogEntry> log() { return List.copyOf(log); }
    /** What would have aborted the prototype, or null. */
    public synchronized String panic() { return panic; }
    /** How many messages of each type arrived (by protobuf type name). */
    public synchronized int received(String typeName) { return received.getOrDefault(typeName, 0); }

    // ------------------------------------------------------------------ actions

    /** Restarts with nothing (the prototype keeps no state across a restart) and asks for recovery. */
    public synchronized void startRecovery(long nonce) {
        log.clear();
        executed.clear();
        pendingPrepares.clear();
        view = 0;
        lastOp = 0;
        lastCommitted = 0;
        status = Status.RECOVERING;
        recoveryNonce = nonce;
        recoveryResponses.clear();
        sendRecovery();
    }

    /** The prototype's recovery timer: asks again. */
    public synchronized void sendRecovery() {
        if (status != Status.RECOVERING || panic != null) return;
        toAll(RecoveryMessage.newBuilder().setReplicaIdx(me).setNonce(recoveryNonce).build());
    }

    /** The idle leader's null COMMIT, which the prototype sends every second. */
    public synchronized void heartbeat() {
        if (panic != null || status != Status.NORMAL || !amLeader()) return;
        toAll(CommitMessage.newBuilder().setView(view).setOpnum(lastCommitted).build());
    }

    // ------------------------------------------------------------------ input

    /** A message from replica {@code from}. */
    public synchronized void onMessage(int from, Message m) {
        if (panic != null) return; // the process is gone
        received.merge(m.getDescriptorForType().getFullName(), 1, Integer::sum);
        try {
            if (m instanceof PrepareMessage p) onPrepare(p);
            else if (m instanceof CommitMessage c) onCommit(c);
            else if (m instanceof RequestStateTransferMessage r) onRequestStateTransfer(from, r);
            else if (m instanceof StateTransferMessage s) onStateTransfer(s);
            else if (m instanceof RecoveryMessage r) onRecovery(r);
            else if (m instanceof RecoveryResponseMessage r) onRecoveryResponse(r);
            // view-change messages: this model is cut off while views change
        } catch (Panic e) {
            panic = e.getMessage();
        }
    }

    private void onPrepare(PrepareMessage msg) {
        if (status != Status.NORMAL || msg.getView() < view) return;
        if (msg.getView() > view) {
            requestStateTransfer();
            pendingPrepares.add(msg);
            return;
        }
        if (amLeader()) throw new Panic("Unexpected PREPARE: I'm the leader of this view");
        if (msg.getOpnum() <= lastOp) { // already prepared: resend the PrepareOK
            sendPrepareOk(msg.getOpnum());
            return;
        }
        if (msg.getBatchstart() > lastOp + 1) {
            requestStateTransfer();
            pendingPrepares.add(msg);
            return;
        }
        for (long op = msg.getBatchstart(); op <= msg.getOpnum(); op++) {
            if (op <= lastOp) continue;
            append(LogEntry.newBuilder().setView(view).setOpnum(op).setRequest(msg.getRequest((int) (op - msg.getBatchstart()))).build());
        }
        sendPrepareOk(lastOp);
    }

    private void onCommit(CommitMessage msg) {
        if (status != Status.NORMAL || msg.getView() < view) return;
        if (msg.getView() > view) {
            requestStateTransfer();
            return;
        }
        if (amLeader()) throw new Panic("Unexpected COMMIT: I'm the leader of this view");
        if (msg.getOpnum() <= lastCommitted) return;
        if (msg.getOpnum() > lastOp) {
            requestStateTransfer();
            return;
        }
        commitUpTo(msg.getOpnum());
    }

    private void onRequestStateTransfer(int from, RequestStateTransferMessage msg) {
        if (status != Status.NORMAL) return;
        if (msg.getView() > view) {
            requestStateTransfer();
            return;
        }
        StateTransferMessage.Builder reply = StateTransferMessage.newBuilder().setView(view).setOpnum(lastCommitted);
        for (long op = msg.getOpnum() + 1; op <= lastOp; op++) reply.addEntries(find(op));
        out.toReplica(from, reply.build());
    }

    private void onStateTransfer(StateTransferMessage msg) {
        if (msg.getView() < view) return;
        long oldLastOp = lastOp;
        for (LogEntry e : msg.getEntriesList()) {
            if (e.getOpnum() <= lastCommitted) {
                LogEntry mine = find(e.getOpnum());
                check(mine != null && mine.getView() == e.getView(), "committed op " + e.getOpnum() + " differs from the sender's");
            } else if (e.getOpnum() <= lastOp) {
                LogEntry mine = find(e.getOpnum());
                check(mine.getView() <= e.getView(), "entry " + e.getOpnum() + " of view " + mine.getView() + " is newer than the sender's");
                if (mine.getView() != e.getView()) { // from an older view: it did not survive the view change
                    removeAfter(e.getOpnum());
                    append(e);
                    oldLastOp = lastOp;
                }
            } else {
                check(e.getOpnum() == lastOp + 1, "state transfer entry " + e.getOpnum() + " does not follow lastOp " + lastOp);
                append(e);
            }
        }
        if (msg.getView() > view) enterView(msg.getView());
        check(msg.getOpnum() <= lastOp, "state transfer commit point " + msg.getOpnum() + " beyond lastOp " + lastOp);
        commitUpTo(msg.getOpnum());
        for (long op = oldLastOp + 1; op <= lastOp; op++) sendPrepareOk(op);
        List<PrepareMessage> pending = new ArrayList<>(pendingPrepares);
        pendingPrepares.clear();
        for (PrepareMessage p : pending) onPrepare(p);
    }

    private void onRecovery(RecoveryMessage msg) {
        if (status != Status.NORMAL) return;
        RecoveryResponseMessage.Builder reply = RecoveryResponseMessage.newBuilder().setReplicaIdx(me).setView(view).setNonce(msg.getNonce());
        if (amLeader()) {
            reply.setLastCommitted(lastCommitted).setLastOp(lastOp).addAllEntries(log);
        }
        out.toReplica(msg.getReplicaIdx(), reply.build());
    }

    private void onRecoveryResponse(RecoveryResponseMessage msg) {
        if (status != Status.RECOVERING || msg.getNonce() != recoveryNonce) return;
        recoveryResponses.put(msg.getReplicaIdx(), msg);
        if (recoveryResponses.size() < f + 1) return;
        long highestView = 0;
        for (RecoveryResponseMessage r : recoveryResponses.values()) highestView = Math.max(highestView, r.getView());
        int leader = (int) (highestView % n);
        check(leader != me, "recovering replica would lead view " + highestView);
        RecoveryResponseMessage fromLeader = recoveryResponses.get(leader);
        if (fromLeader == null || fromLeader.getView() != highestView) return; // wait for the leader's
        install(fromLeader.getEntriesList());
        enterView(fromLeader.getView());
        lastOp = fromLeader.getLastOp();
        commitUpTo(fromLeader.getLastCommitted());
        // The prototype looks entries up by opnum from here on (prepares, commits, PrepareOKs).
        check(log.size() == lastOp, "log ends at " + log.size() + " but the leader's lastOp is " + lastOp);
    }

    // ------------------------------------------------------------------ the prototype's helpers

    /** Log::Install: keep the common prefix, drop from the first entry of another view, append the rest. */
    private void install(List<LogEntry> entries) {
        int i = 0;
        for (; i < entries.size(); i++) {
            LogEntry mine = find(entries.get(i).getOpnum());
            if (mine == null) break;
            if (mine.getView() != entries.get(i).getView()) {
                removeAfter(entries.get(i).getOpnum());
                break;
            }
        }
        if (i == entries.size()) return;
        check(entries.get(i).getOpnum() == log.size() + 1,
                "Log::Install: entry " + entries.get(i).getOpnum() + " does not follow the log's last " + log.size());
        for (; i < entries.size(); i++) {
            check(entries.get(i).getOpnum() == log.size() + 1, "Log::Install: entries not contiguous at " + entries.get(i).getOpnum());
            log.add(entries.get(i));
        }
    }

    private void commitUpTo(long upto) {
        while (lastCommitted < upto) {
            lastCommitted++;
            LogEntry e = find(lastCommitted);
            if (e == null) throw new Panic("CommitUpTo: Did not find operation " + lastCommitted + " in log");
            executed.add(e.getRequest());
        }
    }

    private void requestStateTransfer() {
        // The prototype asks once per (view, commit point), from its commit point, and asks everyone.
        if (lastRequestStateTransferView == view && lastRequestStateTransferOpnum == lastCommitted) return;
        lastRequestStateTransferView = view;
        lastRequestStateTransferOpnum = lastCommitted;
        toAll(RequestStateTransferMessage.newBuilder().setView(view).setOpnum(lastCommitted).build());
    }

    private void enterView(long newView) {
        view = newView;
        status = Status.NORMAL;
        recoveryResponses.clear();
    }

    private void sendPrepareOk(long opnum) {
        out.toReplica(leaderOf(view), PrepareOKMessage.newBuilder().setView(view).setOpnum(opnum).setReplicaIdx(me).build());
    }

    private void append(LogEntry e) {
        log.add(e);
        lastOp = e.getOpnum();
    }

    /** Log::RemoveAfter(op): drops op and everything above it. */
    private void removeAfter(long op) {
        while (log.size() >= op) log.remove(log.size() - 1);
        lastOp = log.size();
    }

    private LogEntry find(long op) { return op >= 1 && op <= log.size() ? log.get((int) op - 1) : null; }

    private boolean amLeader() { return leaderOf(view) == me; }

    private int leaderOf(long v) { return (int) (v % n); }

    private void toAll(Message m) {
        for (int i = 0; i < n; i++) if (i != me) out.toReplica(i, m);
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new Panic(what);
    }

    /** What aborts the prototype: a failed ASSERT or a PANIC. */
    private static final class Panic extends RuntimeException {
        Panic(String message) { super(message, null, false, false); }
    }
}
