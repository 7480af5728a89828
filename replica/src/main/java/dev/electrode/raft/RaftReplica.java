package dev.electrode.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.raft.proto.*;
import dev.electrode.app.Application;
import dev.electrode.app.ClientAddress;
import dev.electrode.app.ClientTable;
import dev.electrode.wire.proto.ReplyMessage;
import dev.electrode.wire.proto.Request;
import dev.electrode.wire.proto.RequestMessage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One Raft replica (leader election, log replication, commit; Ongaro and Ousterhout, 2014) as a
 * deterministic, single-threaded state machine like {@code VrReplica}: messages and timer events
 * in through the {@code on*} methods, messages and timer requests out through the
 * {@link RaftOutbox}. Every {@code snapshotEvery} committed entries it snapshots its executed
 * state and compacts its log; a follower behind the compacted log gets the snapshot
 * (InstallSnapshot). Its term, vote and log live in memory: a replica that lost them must not
 * rejoin (it could vote a candidate without committed entries into office).
 */
public final class RaftReplica {
    private final int n;
    private final int me;
    private final RaftSettings settings;
    private final Application app;
    private final RaftOutbox out;
    private final LongSupplier random; // election timeout jitter: seeded in simulation

    private long currentTerm;
    private int votedFor = -1;
    private RaftRole role = RaftRole.FOLLOWER;
    private int leader = -1;
    private final List<Entry> log = new ArrayList<>(); // index i at position i - snapshotIndex - 1
    // The log's snapshot: the executed state up to snapshotIndex (of snapshotTerm), serialized (empty: none).
    private long snapshotIndex;
    private long snapshotTerm;
    private ByteString snapshot = ByteString.EMPTY;
    private long commitIndex;
    private boolean heardFromLeader;
    /** Follower: the end of its log verified against the current leader in this term; the fast path acknowledges only above it. */
    private long verifiedIndex;
    // The control state last given to the offloads: following `controlLeader` in `controlTerm` (normal), or not.
    private boolean controlNormal;
    private long controlTerm;
    private int controlLeader = -1;

    // Kernel acknowledgements this follower could not back with its log: its kernel promised the
    // log up to owedIndex of owedTerm. Until a leader's appends verify it up there again, it takes
    // appends on the slow path only, does not stand for election, and votes only for a candidate
    // whose log reaches the promise (as if its own log ended there).
    private long owedTerm;
    private long owedIndex;
    private boolean inFence;

    // Candidate.
    private final boolean[] votes;
    // Leader.
    private final long[] nextIndex;
    private final long[] matchIndex;
    // Heartbeats to wait before sending follower f the snapshot again (0: send when needed).
    private final int[] snapshotBackoff;
    private final Map<Long, Long> inFlight = new HashMap<>();                 // clientId -> appended request id
    private final Map<Long, ClientAddress> clientAddresses = new HashMap<>(); // clientId -> where to reply

    private final ClientTable clientTable = new ClientTable();
    private final RaftStats stats = new RaftStats();
    private LogListener logListener = LogListener.NONE;

    /**
     * Where a durable replica records its log and snapshots as they change (its term and vote
     * are read at the end of each turn, before anything the turn sent leaves).
     */
    public interface LogListener {
        LogListener NONE = new LogListener() {
            @Override public void appended(Entry e) {}
            @Override public void truncatedFrom(long index) {}
            @Override public void reset(long base) {}
            @Override public void snapshot(long index, ByteString bytes) {}
        };

        void appended(Entry e);

        /** Every entry from {@code index} on was dropped. */
        void truncatedFrom(long index);

        /** Every entry was dropped: the log continues after {@code base}, which an installed snapshot covers. */
        void reset(long base);

        /** A snapshot at {@code index}, taken or installed: the serialized Snapshot after executing every entry up to it. */
        void snapshot(long index, ByteString bytes);
    }

    /** What a durable replica restarts from: its term and vote, the commit point it knew, its snapshot and its log. */
    public record Restored(long term, int votedFor, long commitHint, ByteString snapshot, List<Entry> entries) {}

    public RaftReplica(int n, int me, RaftSettings settings, Application app, RaftOutbox out, LongSupplier random) {
        if (n < 1 || n % 2 == 0) throw new IllegalArgumentException("replica count must be odd and positive, got " + n);
        if (me < 0 || me >= n) throw new IllegalArgumentException("replica index " + me + " out of range 0.." + (n - 1));
        this.n = n;
        this.me = me;
        this.settings = settings;
        this.app = app;
        this.out = out;
        this.random = random;
        this.votes = new boolean[n];
        this.nextIndex = new long[n];
        this.matchIndex = new long[n];
        this.snapshotBackoff = new int[n];
    }

    /** Records every later change of the log and snapshot with {@code l}. */
    public void setLogListener(LogListener l) { this.logListener = l == null ? LogListener.NONE : l; }

    /**
     * Before {@link #start()}: takes up the state a durable replica kept. Its snapshot becomes
     * the executed state, its entries follow it, and what it knew committed is executed again.
     *
     * @throws IllegalArgumentException if the snapshot is unreadable or the entries do not follow it one by one
     */
    public void restore(Restored r) {
        if (r.snapshot() != null) {
            dev.electrode.vr.proto.Snapshot snap;
            try {
                snap = dev.electrode.vr.proto.Snapshot.parseFrom(r.snapshot());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("the snapshot is unreadable: " + e.getMessage(), e);
            }
            new ClientTable().restore(snap.getClientsList());
            app.restore(snap.getAppState());
            clientTable.restore(snap.getClientsList());
            snapshotIndex = snap.getOpnum();
            snapshotTerm = snap.getTerm();
            snapshot = r.snapshot();
            commitIndex = snapshotIndex;
        }
        for (Entry e : r.entries()) {
            if (e.getIndex() <= snapshotIndex) continue; // covered by the snapshot
            if (e.getIndex() != lastIndex() + 1)
                throw new IllegalArgumentException("entry " + e.getIndex() + " does not follow " + lastIndex() + " in the restored log");
            log.add(e);
        }
        currentTerm = r.term();
        votedFor = r.votedFor();
        commitUpTo(Math.min(r.commitHint(), lastIndex()));
    }

    /** The candidate this replica voted for in its current term, or -1. */
    public int votedFor() { return votedFor; }

    /** Arms the election timer (a single replica elects itself at once). */
    public void start() {
        out.controlChanged(false, currentTerm, leader, 0);
        if (n == 1) startElection();
        else armElectionTimer();
    }

    /**
     * Starts an election now unless leading, as Raft's TimeoutNow does for a leadership
     * transfer: benchmarks put the leader on the replica whose CPU placement expects it.
     */
    public void campaign() {
        if (role != RaftRole.LEADER) startElection();
    }

    public int index() { return me; }
    public long term() { return currentTerm; }
    public RaftRole role() { return role; }
    /** The leader of the current term as far as this replica knows, or -1. */
    public int leader() { return leader; }
    public long lastIndex() { return snapshotIndex + log.size(); }
    /** The last entry the log's snapshot covers (0: none taken or installed). */
    public long snapshotIndex() { return snapshotIndex; }
    public long commitIndex() { return commitIndex; }
    public RaftStats stats() { return stats; }
    /** Follower: the end of its log verified against the current leader in this term. */
    public long verifiedIndex() { return verifiedIndex; }
    /** The entry at {@code index} (1-based). */
    public Entry entry(long index) {
        if (index <= snapshotIndex || index > lastIndex())
            throw new IndexOutOfBoundsException("entry " + index + " is not in the log (" + (snapshotIndex + 1) + ".." + lastIndex() + ")");
        return log.get((int) (index - snapshotIndex - 1));
    }

    // ------------------------------------------------------------------ inputs

    /** A request from a client at {@code client}; only the leader takes it. */
    public void onClientMessage(ClientAddress client, Message m) {
        if (!(m instanceof RequestMessage r)) {
            stats.messagesIgnored++;
            return;
        }
        if (role != RaftRole.LEADER) {
            stats.requestsIgnoredNotLeader++;
            return;
        }
        Request req = r.getReq();
        clientAddresses.put(req.getClientid(), client);
        ClientTable.Entry done = clientTable.get(req.getClientid());
        if (done != null && req.getClientreqid() <= done.requestId()) {
            if (req.getClientreqid() == done.requestId()) out.toClient(client, done.reply());
            return;
        }
        Long pending = inFlight.get(req.getClientid());
        if (pending != null && req.getClientreqid() <= pending) return; // answered when it commits
        inFlight.put(req.getClientid(), req.getClientreqid());
        appendEntry(Entry.newBuilder().setTerm(currentTerm).setIndex(lastIndex() + 1).setRequest(req).build());
        stats.requestsAppended++;
        if (n == 1) advanceCommit();
        if (allFollowersAt(lastIndex())) broadcastAppend(); // one message for all: the broadcast offload's case
        else for (int f = 0; f < n; f++) if (f != me && nextIndex[f] == lastIndex()) sendAppend(f); // those caught up
    }

    private boolean allFollowersAt(long next) {
        for (int f = 0; f < n; f++) if (f != me && nextIndex[f] != next) return false;
        return n > 1;
    }

    /** Leader: the same AppendEntries from the followers' common next index, to all of them at once. */
    private void broadcastAppend() {
        int any = me == 0 ? 1 : 0;
        if (nextIndex[any] <= snapshotIndex) { // all behind the compacted log: each gets the snapshot
            for (int f = 0; f < n; f++) if (f != me) sendAppend(f);
            return;
        }
        AppendEntries a = appendFrom(nextIndex[any]);
        for (int f = 0; f < n; f++) if (f != me) nextIndex[f] = a.getPrevLogIndex() + a.getEntriesCount() + 1;
        out.toAllReplicas(a, n, me);
    }

    /** A message from replica {@code from} (identified by its configured address). */
    public void onReplicaMessage(int from, Message m) {
        if (from < 0 || from >= n || from == me) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (m instanceof AppendEntries a) onAppendEntries(from, a);
        else if (m instanceof AppendEntriesResponse r) onAppendEntriesResponse(from, r);
        else if (m instanceof AppendEntriesReject r) onAppendEntriesReject(from, r);
        else if (m instanceof RequestVote v) onRequestVote(from, v);
        else if (m instanceof RequestVoteResponse v) onRequestVoteResponse(from, v);
        else if (m instanceof InstallSnapshot is) onInstallSnapshot(from, is);
        else stats.messagesIgnored++;
    }

    public void onTimer(RaftTimer t) {
        switch (t) {
            case ELECTION -> {
                if (role != RaftRole.LEADER && !heardFromLeader && owedIndex == 0) startElection();
                else if (role != RaftRole.LEADER) armElectionTimer();
                heardFromLeader = false;
            }
            case HEARTBEAT -> {
                if (role != RaftRole.LEADER) return;
                for (int f = 0; f < n; f++) if (snapshotBackoff[f] > 0) snapshotBackoff[f]--;
                int any = me == 0 ? 1 : 0;
                if (allFollowersAt(nextIndex[any])) broadcastAppend();
                else for (int f = 0; f < n; f++) if (f != me) sendAppend(f);
                out.setTimer(RaftTimer.HEARTBEAT, settings.heartbeatMicros());
            }
        }
    }

    // ------------------------------------------------------------------ terms and elections

    /** A message of a newer term: follow it, with no vote cast in it yet. */
    private void stepDown(long term) {
        boolean changed = role != RaftRole.FOLLOWER || term > currentTerm;
        if (term > currentTerm) {
            currentTerm = term;
            votedFor = -1;
            leader = -1;
            verifiedIndex = 0;
        }
        if (role != RaftRole.FOLLOWER) armElectionTimer();
        role = RaftRole.FOLLOWER;
        inFlight.clear();
        if (changed) notifyRole();
    }

    private void startElection() {
        currentTerm++;
        role = RaftRole.CANDIDATE;
        votedFor = me;
        leader = -1;
        Arrays.fill(votes, false);
        votes[me] = true;
        stats.electionsStarted++;
        notifyRole();
        armElectionTimer();
        RequestVote rv = RequestVote.newBuilder().setTerm(currentTerm).setCandidate(me).setLastLogIndex(lastIndex())
                .setLastLogTerm(termAt(lastIndex())).build();
        for (int i = 0; i < n; i++) if (i != me) out.toReplica(i, rv);
        maybeBecomeLeader();
    }

    private void onRequestVote(int from, RequestVote v) {
        if (v.getCandidate() != from) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (v.getTerm() > currentTerm) stepDown(v.getTerm());
        // Against the log's end, or what the kernel promised beyond it if that is further.
        long myTerm = termAt(lastIndex()), myIndex = lastIndex();
        if (owedTerm > myTerm || (owedTerm == myTerm && owedIndex > myIndex)) {
            myTerm = owedTerm;
            myIndex = owedIndex;
        }
        boolean upToDate = v.getLastLogTerm() > myTerm || (v.getLastLogTerm() == myTerm && v.getLastLogIndex() >= myIndex);
        // A follower of a leader of this term does not vote (its log may grow in the kernel meanwhile).
        boolean grant = v.getTerm() == currentTerm && (votedFor == -1 || votedFor == from) && upToDate
                && !(role == RaftRole.FOLLOWER && leader >= 0);
        if (grant) {
            votedFor = from;
            heardFromLeader = true; // granting a vote defers our own candidacy
        }
        out.toReplica(from, RequestVoteResponse.newBuilder().setTerm(currentTerm).setVoter(me).setGranted(grant).build());
    }

    private void onRequestVoteResponse(int from, RequestVoteResponse v) {
        if (v.getVoter() != from) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (v.getTerm() > currentTerm) {
            stepDown(v.getTerm());
            return;
        }
        if (role != RaftRole.CANDIDATE || v.getTerm() != currentTerm || !v.getGranted()) return;
        votes[from] = true;
        maybeBecomeLeader();
    }

    private void maybeBecomeLeader() {
        int count = 0;
        for (boolean v : votes) if (v) count++;
        if (role != RaftRole.CANDIDATE || count <= n / 2) return;
        role = RaftRole.LEADER;
        leader = me;
        stats.termsLed++;
        Arrays.fill(nextIndex, lastIndex() + 1);
        Arrays.fill(matchIndex, 0);
        matchIndex[me] = lastIndex();
        inFlight.clear();
        notifyRole();
        // An entry of its own term lets the leader commit what earlier terms left (Raft section 5.4.2).
        appendEntry(Entry.newBuilder().setTerm(currentTerm).setIndex(lastIndex() + 1)
                .setRequest(Request.newBuilder().setOp(ByteString.EMPTY).setClientid(0).setClientreqid(currentTerm)).build());
        matchIndex[me] = lastIndex();
        if (n == 1) advanceCommit();
        for (int f = 0; f < n; f++) if (f != me) sendAppend(f);
        out.setTimer(RaftTimer.HEARTBEAT, settings.heartbeatMicros());
    }

    // ------------------------------------------------------------------ replication

    /** Leader: sends follower {@code f} the entries from its next index (none: a heartbeat), then expects the rest. */
    private void sendAppend(int f) {
        if (nextIndex[f] <= snapshotIndex) {
            sendSnapshot(f);
            return;
        }
        AppendEntries a = appendFrom(nextIndex[f]);
        out.toReplica(f, a);
        nextIndex[f] = a.getPrevLogIndex() + a.getEntriesCount() + 1; // pipelined: a reject moves it back
    }

    /** Snapshot transfers to one follower are this many heartbeats apart at most once (a large one takes a while). */
    private static final int SNAPSHOT_RESEND_HEARTBEATS = 10;

    /**
     * Leader: follower {@code f} needs entries the log no longer holds, so it gets the snapshot;
     * while one is on its way, only a heartbeat (which it rejects, keeping it a follower).
     */
    private void sendSnapshot(int f) {
        if (snapshotBackoff[f] > 0) {
            out.toReplica(f, AppendEntries.newBuilder().setTerm(currentTerm).setLeader(me).setPrevLogIndex(snapshotIndex)
                    .setPrevLogTerm(snapshotTerm).setLeaderCommit(commitIndex).build());
            return;
        }
        out.toReplica(f, InstallSnapshot.newBuilder().setTerm(currentTerm).setLeader(me).setLastIncludedIndex(snapshotIndex)
                .setLastIncludedTerm(snapshotTerm).setSnapshot(snapshot).build());
        snapshotBackoff[f] = SNAPSHOT_RESEND_HEARTBEATS;
        nextIndex[f] = snapshotIndex + 1; // pipelined: a reject moves it back
        stats.snapshotsSent++;
    }

    /** The AppendEntries of the entries from {@code next} on (at most maxEntries; none: a heartbeat). */
    private AppendEntries appendFrom(long next) {
        long prev = next - 1;
        long last = Math.min(lastIndex(), prev + settings.maxEntries());
        AppendEntries.Builder b = AppendEntries.newBuilder().setTerm(currentTerm).setLeader(me).setPrevLogIndex(prev)
                .setPrevLogTerm(termAt(prev)).setLeaderCommit(commitIndex);
        for (long i = prev + 1; i <= last; i++) b.addEntries(entry(i));
        return b.build();
    }

    /**
     * A message of the leader {@code claimed} of {@code term} from replica {@code from}: true if
     * this replica follows it now (a newer term or another role made it step down first); false,
     * with a reject that tells it of the newer term, if it is of an older term.
     */
    private boolean followLeader(int from, int claimed, long term) {
        if (claimed != from) {
            stats.messagesFromWrongSender++;
            return false;
        }
        if (term < currentTerm) {
            out.toReplica(from, AppendEntriesReject.newBuilder().setTerm(currentTerm).setFollower(me).setHintIndex(lastIndex() + 1).build());
            return false;
        }
        if (term > currentTerm || role != RaftRole.FOLLOWER) stepDown(term);
        if (leader != from) {
            leader = from;
            verifiedIndex = 0;
            notifyRole();
        }
        heardFromLeader = true;
        return true;
    }

    /** This leader's message proved the log up to {@code index}: the kernel may acknowledge above it (unless a debt is open). */
    private void verifiedUpTo(long index) {
        if (index <= verifiedIndex) return;
        verifiedIndex = index;
        if (owedIndex == 0) out.verifiedAdvanced(verifiedIndex);
    }

    private void onAppendEntries(int from, AppendEntries a) {
        if (!followLeader(from, a.getLeader(), a.getTerm())) return;
        a = beyondSnapshot(a);
        long prev = a.getPrevLogIndex();
        if (prev > lastIndex() || termAt(prev) != a.getPrevLogTerm()) {
            // Missing or conflicting at prev: the leader backs off (to our end, or before this entry).
            long hint = prev > lastIndex() ? lastIndex() + 1 : Math.max(1, prev);
            stats.appendsRejected++;
            out.toReplica(from, AppendEntriesReject.newBuilder().setTerm(currentTerm).setFollower(me).setHintIndex(hint).build());
            return;
        }
        long index = append(a);
        if (index < 0) return;
        verifiedUpTo(index);
        // Only what this message proved matches the leader's log counts: entries beyond it may be stale.
        commitUpTo(Math.min(a.getLeaderCommit(), index));
        out.toReplica(from, AppendEntriesResponse.newBuilder().setTerm(currentTerm).setFollower(me).setMatchIndex(index).build());
        settleDebt();
    }

    /**
     * The kernel acknowledged an AppendEntries of {@code term} up to {@code index} that user
     * space cannot use (its record failed the check, or does not fit the log). With kernel
     * acks that is a promise the log does not keep: the replica owes it (see owedIndex), tells
     * the leader where its log really ends, and stops the fast path until it is paid. With
     * deferred acks nothing was promised: it is only counted.
     */
    public void kernelAckUnusable(long term, long index) {
        stats.kernelAcksUnusable++;
        boolean held = index <= snapshotIndex || (index <= lastIndex() && termAt(index) == term);
        if (!out.fastAcksArePromises() || held) return;
        boolean fresh = owedIndex == 0;
        if (term > owedTerm || (term == owedTerm && index > owedIndex)) {
            owedTerm = term;
            owedIndex = index;
            stats.kernelAckDebts++;
        }
        if (!inFence) {
            settleDebt();
            // Once, when the debt arises: the leader counts this follower again only from its log's real end.
            if (fresh && owedIndex > 0 && leader >= 0 && role == RaftRole.FOLLOWER)
                out.toReplica(leader, AppendEntriesReject.newBuilder().setTerm(currentTerm).setFollower(me).setHintIndex(lastIndex() + 1).build());
        }
    }

    /**
     * Pays the debt once a leader of a term at least the owed one has verified the log up to
     * the owed index (its log holds every entry committed up there), and returns to the fast
     * path; while it is owed, keeps the kernel from acknowledging.
     */
    private void settleDebt() {
        if (owedIndex == 0 || role != RaftRole.FOLLOWER) return;
        if (leader >= 0 && currentTerm >= owedTerm && verifiedIndex >= owedIndex) {
            owedTerm = 0;
            owedIndex = 0;
            stats.kernelAckDebtsPaid++;
            notifyRole(); // the fast path again
            return;
        }
        if (controlNormal) notifyRole(); // the kernel stops acknowledging
    }

    /**
     * Appends {@code a}'s entries after its prevLogIndex, which the log holds with prevLogTerm,
     * replacing conflicting uncommitted entries; returns the index of its last entry, or -1 if
     * it is malformed (entries out of sequence, or rewriting a committed entry).
     */
    private long append(AppendEntries a) {
        long index = a.getPrevLogIndex();
        for (Entry e : a.getEntriesList()) {
            index++;
            if (e.getIndex() != index) { // malformed: entries must follow prevLogIndex one by one
                stats.messagesIgnored++;
                return -1;
            }
            if (index <= lastIndex()) {
                if (entry(index).getTerm() == e.getTerm()) continue;
                if (index <= commitIndex) { // a committed entry never changes: the sender is wrong
                    stats.messagesIgnored++;
                    return -1;
                }
                truncateFrom(index);
            }
            appendEntry(e);
            stats.entriesAppended++;
        }
        return index;
    }

    /**
     * {@code a} without the entries this replica's snapshot covers: those are committed, so the
     * leader's equal ours, and the rest follows the snapshot's last entry. An append that ends
     * inside the snapshot becomes an empty one after it.
     */
    private AppendEntries beyondSnapshot(AppendEntries a) {
        if (a.getPrevLogIndex() >= snapshotIndex) return a;
        AppendEntries.Builder b = a.toBuilder().clearEntries().setPrevLogIndex(snapshotIndex).setPrevLogTerm(snapshotTerm);
        for (Entry e : a.getEntriesList()) if (e.getIndex() > snapshotIndex) b.addEntries(e);
        return b.build();
    }

    /**
     * Follower: the leader's snapshot, because this replica is behind its compacted log. It
     * replaces the state and the log up to the snapshot's last entry (a suffix that agrees with
     * it stays) and counts as verified against this leader.
     */
    private void onInstallSnapshot(int from, InstallSnapshot is) {
        if (!followLeader(from, is.getLeader(), is.getTerm())) return;
        long index = is.getLastIncludedIndex();
        if (index > commitIndex && !install(is)) return;
        verifiedUpTo(index);
        out.toReplica(from, AppendEntriesResponse.newBuilder().setTerm(currentTerm).setFollower(me).setMatchIndex(index).build());
        settleDebt();
    }

    /** Installs the snapshot of {@code is}; false (counted) if it is unreadable or does not say what its header says. */
    private boolean install(InstallSnapshot is) {
        long index = is.getLastIncludedIndex();
        dev.electrode.vr.proto.Snapshot snap;
        try {
            snap = dev.electrode.vr.proto.Snapshot.parseFrom(is.getSnapshot());
            if (snap.getOpnum() != index || snap.getTerm() != is.getLastIncludedTerm())
                throw new IllegalArgumentException("it covers up to " + snap.getOpnum() + " of term " + snap.getTerm() + ", not " + index
                        + " of term " + is.getLastIncludedTerm());
            new ClientTable().restore(snap.getClientsList()); // validates, changing nothing
            app.restore(snap.getAppState());
        } catch (com.google.protobuf.InvalidProtocolBufferException | IllegalArgumentException e) {
            stats.snapshotsRefused++;
            return false;
        }
        clientTable.restore(snap.getClientsList());
        boolean keepSuffix = index <= lastIndex() && termAt(index) == is.getLastIncludedTerm();
        if (keepSuffix) log.subList(0, (int) (index - snapshotIndex)).clear();
        else log.clear();
        snapshotIndex = index;
        snapshotTerm = is.getLastIncludedTerm();
        snapshot = is.getSnapshot();
        commitIndex = index;
        stats.snapshotsInstalled++;
        logListener.snapshot(index, snapshot);
        if (!keepSuffix) logListener.reset(index);
        return true;
    }

    /**
     * An AppendEntries the fast-ack offload acknowledged in the kernel (polled from its log):
     * applied as the slow path would, without a response unless {@code ack} (deferred acks).
     */
    public void onFastAckedAppend(AppendEntries a, boolean ack) {
        if (role != RaftRole.FOLLOWER || a.getTerm() != currentTerm || a.getLeader() != leader) {
            stats.fastAppendsIgnored++; // the term or leader moved on; what is needed is sent again
            return;
        }
        heardFromLeader = true;
        long index = applyKernelAcked(a);
        if (index < 0) return;
        commitUpTo(Math.min(a.getLeaderCommit(), index));
        if (ack) out.toReplica(leader, AppendEntriesResponse.newBuilder().setTerm(currentTerm).setFollower(me).setMatchIndex(index).build());
        settleDebt();
    }

    /** Appends what the kernel acknowledged; it extends the verified log (the kernel checked contiguity and term). */
    private long applyKernelAcked(AppendEntries a) {
        a = beyondSnapshot(a);
        long prev = a.getPrevLogIndex();
        long last = a.getPrevLogIndex() + a.getEntriesCount();
        if (prev > lastIndex() || termAt(prev) != a.getPrevLogTerm()) {
            kernelAckUnusable(a.getTerm(), last); // acknowledged, yet not held
            return -1;
        }
        long index = append(a);
        if (index < 0) {
            kernelAckUnusable(a.getTerm(), last);
            return -1;
        }
        stats.fastAppendsApplied++;
        verifiedIndex = Math.max(verifiedIndex, index);
        return index;
    }

    /**
     * The quorum-pruning offload passed {@code r} as the response that completes a quorum, with
     * the set of replicas it counted for the same (term, index) ({@code ackBits}, bit i = replica i).
     */
    public void onAckSet(int from, AppendEntriesResponse r, int ackBits) {
        if (r.getFollower() != from || (ackBits & (1 << from)) == 0) {
            onReplicaMessage(from, r); // not a consistent set: count the sender alone
            return;
        }
        if (role != RaftRole.LEADER || r.getTerm() != currentTerm || r.getMatchIndex() > lastIndex()) {
            stats.messagesIgnored++;
            return;
        }
        stats.ackSetsApplied++;
        for (int i = 0; i < n; i++) if (i != me && (ackBits & (1 << i)) != 0) holds(i, r.getMatchIndex());
        advanceCommit();
        if (nextIndex[from] <= lastIndex()) sendAppend(from); // more to send
    }

    private void onAppendEntriesResponse(int from, AppendEntriesResponse r) {
        if (!replyToThisLeader(from, r.getFollower(), r.getTerm()) || r.getMatchIndex() > lastIndex()) return;
        if (holds(from, r.getMatchIndex())) advanceCommit();
        if (nextIndex[from] <= lastIndex()) sendAppend(from); // more to send
    }

    /** Leader: follower {@code f} holds the log up to {@code index}; true if that is news. */
    private boolean holds(int f, long index) {
        if (index <= matchIndex[f]) return false;
        matchIndex[f] = index;
        if (index >= snapshotIndex) snapshotBackoff[f] = 0;
        nextIndex[f] = Math.max(nextIndex[f], index + 1);
        return true;
    }

    /**
     * True if a follower's reply ({@code claimed} its sender, of {@code term}) is for this
     * replica as the leader of its term; a newer term makes it step down first.
     */
    private boolean replyToThisLeader(int from, int claimed, long term) {
        if (claimed != from) {
            stats.messagesFromWrongSender++;
            return false;
        }
        if (term > currentTerm) {
            stepDown(term);
            return false;
        }
        return role == RaftRole.LEADER && term == currentTerm;
    }

    private void onAppendEntriesReject(int from, AppendEntriesReject r) {
        if (!replyToThisLeader(from, r.getFollower(), r.getTerm())) return;
        // A follower that lacks what it acknowledged (its kernel did, and user space could not use it) counts again once it holds it.
        if (r.getHintIndex() <= matchIndex[from]) matchIndex[from] = Math.max(0, r.getHintIndex() - 1);
        nextIndex[from] = Math.max(matchIndex[from] + 1, Math.min(r.getHintIndex(), nextIndex[from] - 1));
        nextIndex[from] = Math.max(1, nextIndex[from]);
        // Behind the compacted log with a snapshot on its way: the heartbeat timer sends again, not each reject.
        if (nextIndex[from] > snapshotIndex || snapshotBackoff[from] == 0) sendAppend(from);
    }

    /** Leader: commits up to the highest index of its own term that a majority holds. */
    private void advanceCommit() {
        long[] sorted = matchIndex.clone();
        sorted[me] = lastIndex();
        Arrays.sort(sorted);
        long majority = sorted[n / 2]; // held by n - n/2 replicas, a majority
        if (majority > commitIndex && termAt(majority) == currentTerm) commitUpTo(majority);
    }

    private void commitUpTo(long index) {
        while (commitIndex < index) {
            commitIndex++;
            execute(entry(commitIndex));
        }
        if (settings.snapshotEvery() > 0 && commitIndex - snapshotIndex >= settings.snapshotEvery()) takeSnapshot();
    }

    /** Snapshots the executed state at the commit point and drops the log up to it. */
    private void takeSnapshot() {
        long term = termAt(commitIndex);
        snapshot = dev.electrode.vr.proto.Snapshot.newBuilder().setOpnum(commitIndex).setTerm(term).setAppState(app.snapshot())
                .addAllClients(clientTable.records()).build().toByteString();
        log.subList(0, (int) (commitIndex - snapshotIndex)).clear();
        snapshotIndex = commitIndex;
        snapshotTerm = term;
        stats.snapshotsTaken++;
        logListener.snapshot(snapshotIndex, snapshot);
    }

    private void execute(Entry e) {
        Request req = e.getRequest();
        if (req.getClientid() == 0) return; // a new leader's empty entry
        long clientId = req.getClientid();
        long reqId = req.getClientreqid();
        if (role == RaftRole.LEADER && Long.valueOf(reqId).equals(inFlight.get(clientId))) inFlight.remove(clientId);
        ClientTable.Entry done = clientTable.get(clientId);
        ReplyMessage reply;
        if (done != null && reqId <= done.requestId()) {
            stats.duplicateExecutionsSkipped++;
            if (reqId != done.requestId()) return;
            reply = done.reply();
        } else {
            ByteString result = app.execute(req.getOp());
            reply = ReplyMessage.newBuilder().setView(e.getTerm()).setOpnum(e.getIndex()).setReply(result).setClientreqid(reqId).build();
            clientTable.executed(clientId, reqId, reply);
            stats.opsExecuted++;
        }
        if (role == RaftRole.LEADER) {
            ClientAddress addr = clientAddresses.get(clientId);
            if (addr != null) out.toClient(addr, reply);
        }
    }

    private void truncateFrom(long index) {
        while (lastIndex() >= index) log.remove(log.size() - 1);
        logListener.truncatedFrom(index);
    }

    private void appendEntry(Entry e) {
        log.add(e);
        logListener.appended(e);
    }

    /** The term of the entry at {@code index}: the snapshot's at its last entry, -1 below it (compacted, unknown). */
    private long termAt(long index) {
        if (index == snapshotIndex) return snapshotTerm;
        return index < snapshotIndex ? -1 : entry(index).getTerm();
    }

    private void armElectionTimer() {
        long span = settings.electionMaxMicros() - settings.electionMinMicros();
        out.setTimer(RaftTimer.ELECTION, settings.electionMinMicros() + Math.floorMod(random.getAsLong(), span));
    }

    /**
     * Gives the offloads the new control state. A follower that stops following its leader of
     * this term first fences its kernel: what it acknowledged there joins the log before the
     * replica votes or stands for election.
     */
    private void notifyRole() {
        out.roleChanged(role, currentTerm, leader);
        boolean normal = role == RaftRole.LEADER || (role == RaftRole.FOLLOWER && leader >= 0 && owedIndex == 0);
        boolean wasFollowing = controlNormal && controlLeader != me;
        long oldTerm = controlTerm;
        int oldLeader = controlLeader;
        controlNormal = normal;
        controlTerm = currentTerm;
        controlLeader = leader;
        out.controlChanged(normal, currentTerm, leader, role == RaftRole.LEADER ? lastIndex() : verifiedIndex);
        if (wasFollowing && (!normal || currentTerm != oldTerm || leader != oldLeader)) {
            inFence = true; // records found unusable now only add to the debt
            try {
                for (AppendEntries a : out.stopFastAcks()) {
                    if (a.getTerm() != oldTerm || a.getLeader() != oldLeader) {
                        stats.fastAppendsIgnored++;
                        continue;
                    }
                    applyKernelAcked(a);
                    stats.fastAppendsAtFence++;
                }
            } finally {
                inFence = false;
            }
            if (owedIndex > 0 && controlNormal) { // a debt found at the fence: no fast path for the new leader either
                controlNormal = false;
                out.controlChanged(false, currentTerm, leader, verifiedIndex);
            }
        }
    }
}
