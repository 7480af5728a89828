package dev.electrode.vr;

import dev.electrode.app.Application;
import dev.electrode.app.ClientAddress;
import dev.electrode.app.ClientTable;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.vr.proto.Snapshot;
import dev.electrode.vr.proto.SnapshotChunkMessage;
import dev.electrode.vr.proto.SnapshotRequestMessage;
import dev.electrode.wire.proto.*;

import java.util.List;
import java.util.TreeMap;

/**
 * One Viewstamped Replication replica (VR Revisited, with the batching and message set of
 * the reference prototype) as a deterministic, single-threaded state machine: messages and
 * timer events go in through the {@code on*} methods, messages and timer requests come out
 * through the {@link Outbox}. It owns no sockets, threads or clocks.
 *
 * <p>Invariant: in NORMAL status in view v, every log entry is identical to the entry with
 * the same opnum in the log of v's leader. Entries are only added by that leader's Prepare,
 * StartView or StateTransfer, and a replica that learns of a newer view truncates its log to
 * its commit point before fetching the rest.
 */
public final class VrReplica {
    private final int n;
    private final int f;
    private final int me;
    private final VrSettings settings;
    private final Application app;
    private final Outbox out;
    private final VrStats stats = new VrStats();

    private final ReplicaLog log = new ReplicaLog();
    private final ClientTable clientTable = new ClientTable();

    private Status status = Status.NORMAL;
    private long view;
    private long lastNormalView;
    private long commitNum;

    // Valid in NORMAL status while leader of `view`.
    private final LeaderState leaderState;

    // Follower state.
    private boolean heardFromLeader;
    /** A Prepare waiting for a gap to fill; {@code ack} is false if the kernel already acknowledged it. */
    private record Buffered(PrepareMessage prepare, boolean ack) {}

    private final TreeMap<Long, Buffered> bufferedPrepares = new TreeMap<>(); // batchstart -> prepare
    private boolean stateTransferPending;
    private SnapshotDownload download; // the leader's snapshot, arriving in chunks; null when none is

    // The latest snapshot (taken or installed), served in chunks to replicas whose needs were compacted.
    private long snapshotOp;
    private ByteString snapshotBytes; // null: none yet
    private int snapshotCrc;

    // Valid in VIEW_CHANGE status for `view`.
    private final ViewChangeVotes votes;
    private boolean viewChangeFresh;

    // Valid in RECOVERING status.
    private final RecoveryState recovery = new RecoveryState();
    private final NonceSource nonces;

    /** Source of recovery nonces (a seeded random in simulation, a secure random in production). */
    @FunctionalInterface
    public interface NonceSource {
        long next();
    }

    /**
     * @param n          number of replicas (2f+1)
     * @param me         this replica's index
     * @param recovering true if this replica restarted and lost its state (VR Revisited section 4.3)
     */
    public VrReplica(int n, int me, VrSettings settings, Application app, Outbox out, boolean recovering, NonceSource nonces) {
        if (n < 1 || n % 2 == 0) throw new IllegalArgumentException("replica count must be odd and positive, got " + n);
        if (me < 0 || me >= n) throw new IllegalArgumentException("replica index " + me + " out of range 0.." + (n - 1));
        this.n = n;
        this.f = (n - 1) / 2;
        this.me = me;
        this.settings = settings;
        this.app = app;
        this.out = out;
        this.nonces = nonces;
        this.leaderState = new LeaderState(n);
        this.votes = new ViewChangeVotes(n);
        this.status = recovering ? Status.RECOVERING : Status.NORMAL;
    }

    // ------------------------------------------------------------------ lifecycle and queries

    /**
     * The durable state a replica restarts from: its log, view, last normal view, commit point
     * and status as they were when last made durable (everything it had sent was).
     */
    public record Restored(ByteString snapshot, List<LogEntry> log, long view, long lastNormalView, long commitNum, Status status) {
        /** A restart without a snapshot: the log holds every operation from opnum 1. */
        public Restored(List<LogEntry> log, long view, long lastNormalView, long commitNum, Status status) {
            this(null, log, view, lastNormalView, commitNum, status);
        }
    }

    /**
     * Takes up {@code r} before {@link #start}: the log, the view and status it was in, and the
     * application state of every committed operation (executed again, replying to no one). A
     * replica restored this way goes on as if it had only been slow: it never sent anything its
     * durable state does not account for. One restored in RECOVERING finishes its recovery.
     */
    public void restore(Restored r) {
        if (log.lastOp() != 0 || commitNum != 0) throw new IllegalStateException("restore() must come before anything else");
        if (r.snapshot() != null) {
            Snapshot s = parseSnapshot(r.snapshot());
            installState(s, r.snapshot());
            List<LogEntry> entries = r.log();
            // The log goes on from the snapshot, or from an older entry when the journal still holds it.
            if (!entries.isEmpty() && entries.get(entries.size() - 1).getOpnum() >= s.getOpnum()) {
                long first = entries.get(0).getOpnum();
                if (first > s.getOpnum() + 1)
                    throw new IllegalArgumentException("log resumes at " + first + ", after a gap above snapshot " + s.getOpnum());
                log.resetTo(first - 1);
                for (LogEntry e : entries) log.append(e);
            } else {
                log.resetTo(s.getOpnum()); // the journal ends below the snapshot (it was installed, or written first)
            }
        } else {
            for (LogEntry e : r.log()) log.append(e);
        }
        if (r.commitNum() > log.lastOp())
            throw new IllegalArgumentException("restored commit point " + r.commitNum() + " beyond the log's " + log.lastOp());
        view = r.view();
        lastNormalView = r.lastNormalView();
        status = r.status();
        commitUpTo(Math.max(commitNum, r.commitNum())); // not leading yet (status may say so, but nothing is sent before start)
        resetViewState();
        votes.committed(me, commitNum);
        viewChangeFresh = status == Status.VIEW_CHANGE;
    }

    /** Arms the timers and, when recovering, asks the others for the current state. */
    public void start() {
        out.setTimer(VrTimer.HEARTBEAT, settings.heartbeatMicros());
        out.setTimer(VrTimer.RESEND, settings.resendMicros());
        out.setTimer(VrTimer.VIEW_CHANGE, settings.viewChangeMicros());
        if (status == Status.RECOVERING) startRecovery();
    }

    public int index() { return me; }
    public int replicaCount() { return n; }
    public Status status() { return status; }
    public long view() { return view; }
    public long lastNormalView() { return lastNormalView; }
    public long commitNum() { return commitNum; }
    public long lastOp() { return log.lastOp(); }
    public ReplicaLog log() { return log; }
    public ClientTable clientTable() { return clientTable; }
    /** Opnum of the latest snapshot taken or installed, 0 if none. */
    public long snapshotOp() { return snapshotOp; }
    public VrStats stats() { return stats; }

    /** Index of the leader of view {@code v}. */
    public int leaderOf(long v) { return (int) (v % n); }

    /** True if this replica leads its current view and is in NORMAL status. */
    public boolean isActiveLeader() { return status == Status.NORMAL && leaderOf(view) == me; }

    // ------------------------------------------------------------------ inputs

    /**
     * A message from {@code clientAddress}, an address outside the configuration. Only client
     * requests are taken from there: anything else claims to come from a replica and is dropped,
     * so a non-member can never start or steer a view change, prepare or acknowledge.
     */
    public void onClientMessage(ClientAddress clientAddress, Message m) {
        if (m instanceof RequestMessage r) onRequest(clientAddress, r.getReq());
        else if (m instanceof UnloggedRequestMessage u) onUnloggedRequest(clientAddress, u.getReq());
        else stats.messagesFromNonMembers++;
    }

    /** A message from replica {@code from} (identified by its configured address). */
    public void onReplicaMessage(int from, Message m) {
        if (from < 0 || from >= n || from == me) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (m instanceof PrepareMessage p) onPrepare(from, p);
        else if (m instanceof PrepareOKMessage ok) onPrepareOk(from, ok);
        else if (m instanceof CommitMessage c) onCommit(from, c);
        else if (m instanceof RequestStateTransferMessage r) onRequestStateTransfer(from, r);
        else if (m instanceof StateTransferMessage s) onStateTransfer(from, s);
        else if (m instanceof StartViewChangeMessage s) onStartViewChange(from, s);
        else if (m instanceof DoViewChangeMessage d) onDoViewChange(from, d);
        else if (m instanceof StartViewMessage s) onStartView(from, s);
        else if (m instanceof RecoveryMessage r) onRecovery(from, r);
        else if (m instanceof RecoveryResponseMessage r) onRecoveryResponse(from, r);
        else if (m instanceof SnapshotRequestMessage r) onSnapshotRequest(from, r);
        else if (m instanceof SnapshotChunkMessage c) onSnapshotChunk(from, c);
        else stats.messagesIgnored++;
    }

    /** A timer armed through the outbox fired. */
    public void onTimer(VrTimer t) {
        switch (t) {
            case HEARTBEAT -> onHeartbeatTimer();
            case RESEND -> onResendTimer();
            case VIEW_CHANGE -> onViewChangeTimer();
            case CLOSE_BATCH -> {
                leaderState.closeBatchArmed = false;
                if (isActiveLeader() && log.lastOp() > leaderState.lastBatchEnd) closeBatch();
            }
            case COMMIT -> onCommitPeriodTimer();
        }
    }

    // ------------------------------------------------------------------ normal case: leader

    private void onRequest(ClientAddress clientAddress, Request req) {
        if (!isActiveLeader()) {
            stats.requestsIgnoredNotLeader++;
            return;
        }
        long clientId = req.getClientid();
        long reqId = req.getClientreqid();
        if (clientAddress != null) leaderState.clientAddresses.put(clientId, clientAddress);
        ClientTable.Entry done = clientTable.get(clientId);
        if (done != null && reqId <= done.requestId()) {
            stats.duplicateRequests++;
            if (reqId == done.requestId() && clientAddress != null) out.toClient(clientAddress, done.reply());
            return;
        }
        Long pending = leaderState.inFlight.get(clientId);
        if (pending != null && reqId <= pending) {
            stats.duplicateRequests++;
            return; // answered when it commits
        }
        leaderState.inFlight.put(clientId, reqId);
        long opnum = log.lastOp() + 1;
        log.append(LogEntry.newBuilder().setView(view).setOpnum(opnum).setRequest(req).build());
        stats.requestsAppended++;
        maybeCloseBatch();
    }

    /** Closes the open batch if the previous one committed or it is full; otherwise waits on the timer. */
    private void maybeCloseBatch() {
        long open = log.lastOp() - leaderState.lastBatchEnd;
        if (open <= 0) return;
        if (leaderState.lastBatchEnd == commitNum || open >= settings.batchSize() || batchEnd(leaderState.lastBatchEnd + 1) < log.lastOp()) {
            closeBatch();
        } else if (!leaderState.closeBatchArmed) {
            leaderState.closeBatchArmed = true;
            out.setTimer(VrTimer.CLOSE_BATCH, settings.batchTimeoutMicros());
        }
    }

    private void closeBatch() {
        long start = leaderState.lastBatchEnd + 1;
        long end = batchEnd(start);
        leaderState.lastBatchEnd = end;
        stats.batchesSent++;
        if (leaderState.closeBatchArmed) {
            leaderState.closeBatchArmed = false;
            out.cancelTimer(VrTimer.CLOSE_BATCH);
        }
        sendToFollowers(prepare(start, end));
        maybeCommitAsLeader(); // a single replica commits on its own
        if (log.lastOp() > leaderState.lastBatchEnd) maybeCloseBatch();
    }

    /** Most bytes a Prepare's view, opnum and batchstart take: a one-byte tag and a varint of at most ten bytes each. */
    private static final int PREPARE_HEADER_BYTES = 3 * 11;

    /**
     * The last op of the batch that starts at {@code start}: at most batchSize requests, and no
     * more than fit in maxPrepareBytes (one request alone may exceed it).
     */
    private long batchEnd(long start) {
        long last = Math.min(log.lastOp(), start + settings.batchSize() - 1);
        if (settings.maxPrepareBytes() == Integer.MAX_VALUE) return last;
        long bytes = PREPARE_HEADER_BYTES;
        for (long op = start; op <= last; op++) {
            int size = log.get(op).getRequest().getSerializedSize();
            bytes += 1 + com.google.protobuf.CodedOutputStream.computeUInt32SizeNoTag(size) + size; // tag, length, request
            if (bytes > settings.maxPrepareBytes() && op > start) return op - 1;
        }
        return last;
    }

    private PrepareMessage prepare(long start, long end) {
        PrepareMessage.Builder b = PrepareMessage.newBuilder().setView(view).setOpnum(end).setBatchstart(start);
        for (LogEntry e : log.range(start, end)) b.addRequest(e.getRequest());
        return b.build();
    }

    private void sendToFollowers(Message m) {
        if (n > 1) out.toAllReplicas(m);
        leaderState.sentSinceHeartbeat = true;
    }

    private void onPrepareOk(int from, PrepareOKMessage ok) {
        onPrepareOk(from, ok.getView(), ok.getOpnum(), ok.getReplicaIdx());
    }

    /**
     * A PrepareOK from replica {@code from}, given by its fields: the path of the kernel-built
     * acknowledgement, which the decoder hands over without building a message.
     */
    public void onPrepareOk(int from, long okView, long opnum, int replicaIdx) {
        if (from < 0 || from >= n || from == me || replicaIdx != from) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (!isActiveLeader() || okView != view || opnum > log.lastOp()) {
            stats.messagesIgnored++;
            return;
        }
        if (leaderState.acked(from, opnum)) maybeCommitAsLeader();
    }

    /** Commits up to the highest opnum that f followers have acknowledged (the leader is the (f+1)-th). */
    private void maybeCommitAsLeader() {
        long quorumOp = leaderState.quorumOp(me, f);
        if (quorumOp <= commitNum) return;
        commitUpTo(quorumOp);
        announceCommit();
        maybeCloseBatch();
    }

    /** Tells the followers the new commit number now, or when the commit period ends if a Commit went out within it. */
    private void announceCommit() {
        if (settings.commitPeriodMicros() == 0) {
            sendCommit();
        } else if (!leaderState.commitPeriodArmed) {
            sendCommit();
            leaderState.commitPeriodArmed = true;
            out.setTimer(VrTimer.COMMIT, settings.commitPeriodMicros());
        }
    }

    private void onCommitPeriodTimer() {
        leaderState.commitPeriodArmed = false;
        if (isActiveLeader() && commitNum > leaderState.announcedCommit) announceCommit();
    }

    private void sendCommit() {
        sendToFollowers(CommitMessage.newBuilder().setView(view).setOpnum(commitNum).build());
        leaderState.announcedCommit = commitNum;
    }

    private void onHeartbeatTimer() {
        if (isActiveLeader() && !leaderState.sentSinceHeartbeat) sendCommit();
        leaderState.sentSinceHeartbeat = false;
        out.setTimer(VrTimer.HEARTBEAT, settings.heartbeatMicros());
    }

    private void onResendTimer() {
        switch (status) {
            case NORMAL -> {
                if (isActiveLeader()) {
                    // Resend the uncommitted prepared suffix when commit stood still for a whole period.
                    long end = leaderState.lastBatchEnd;
                    if (leaderState.resendDue(commitNum)) {
                        stats.prepareResends++;
                        // In batches no longer than first sent: a follower's kernel takes no longer batch, nor a larger frame.
                        for (long s = commitNum + 1; s <= end; ) {
                            long e = Math.min(end, batchEnd(s));
                            sendToFollowers(prepare(s, e));
                            s = e + 1;
                        }
                    }
                } else if (stateTransferPending) {
                    sendStateTransferRequest();
                }
            }
            case VIEW_CHANGE -> {
                out.toAllReplicas(startViewChange());
                if (votes.doViewChangeSent) sendDoViewChange();
            }
            case RECOVERING -> {
                if (recovery.collecting()) out.toAllReplicas(recoveryMessage());
                else sendStateTransferRequest();
            }
        }
        out.setTimer(VrTimer.RESEND, settings.resendMicros());
    }

    // ------------------------------------------------------------------ normal case: follower

    private void onPrepare(int from, PrepareMessage p) {
        if (!fromLeaderOfCurrentOrNewerView(from, p.getView())) return;
        if (status != Status.NORMAL || isActiveLeader()) return;
        heardFromLeader = true;
        long before = log.lastOp();
        handlePrepare(p, true);
        applyBufferedPrepares();
        if (log.lastOp() > before) out.logAdvanced(log.lastOp());
    }

    /**
     * A Prepare that the fast-ack offload already acknowledged in the kernel (drained from its
     * ring buffer): applied exactly as the slow path would, but without a PrepareOK. Those
     * acknowledged before the replica left NORMAL status come through {@link Outbox#stopFastAcks}.
     */
    public void onFastAckedPrepare(PrepareMessage p) { onFastAckedPrepare(p, false); }

    /**
     * As {@link #onFastAckedPrepare(PrepareMessage)}; with {@code ack}, the kernel only buffered
     * it (deferred acks) and the core acknowledges it as the slow path would, which the server
     * sends once the log is durable.
     */
    public void onFastAckedPrepare(PrepareMessage p, boolean ack) {
        if (status != Status.NORMAL || isActiveLeader() || p.getView() != view) {
            stats.fastPreparesIgnored++; // the view moved on; the leader retransmits what is still needed
            return;
        }
        heardFromLeader = true;
        stats.fastPreparesApplied++;
        handlePrepare(p, ack); // the kernel has already advanced its lastOp past it
        applyBufferedPrepares();
    }

    /**
     * The quorum-pruning offload passed {@code ok} as the ACK that completes a quorum, with
     * the set of replicas whose ACKs for the same (view, opnum) it counted ({@code ackBits},
     * bit i = replica i). Each counts as that replica's PrepareOK; a stale set can only lack
     * replicas, never claim a different operation, since the kernel tags it with (view, opnum).
     */
    public void onAckSet(int from, PrepareOKMessage ok, int ackBits) {
        onAckSet(from, ok.getView(), ok.getOpnum(), ok.getReplicaIdx(), ackBits);
    }

    /** {@link #onAckSet(int, PrepareOKMessage, int)} with the acknowledgement given by its fields. */
    public void onAckSet(int from, long okView, long opnum, int replicaIdx, int ackBits) {
        if (from < 0 || from >= n || replicaIdx != from || (ackBits & (1 << from)) == 0) {
            onPrepareOk(from, okView, opnum, replicaIdx); // not a consistent set: count the sender alone
            return;
        }
        if (!isActiveLeader() || okView != view || opnum > log.lastOp()) {
            stats.messagesIgnored++;
            return;
        }
        stats.ackSetsApplied++;
        for (int r = 0; r < n; r++) {
            if (r != me && (ackBits & (1 << r)) != 0) leaderState.acked(r, opnum);
        }
        maybeCommitAsLeader();
    }

    /**
     * Checks that a Prepare or Commit comes from the leader of its view and is not stale.
     * A message of a newer view, or of our view while we are still in view change, means
     * that view is running without us: adopt it and fetch its log.
     */
    private boolean fromLeaderOfCurrentOrNewerView(int from, long msgView) {
        if (from != leaderOf(msgView)) {
            stats.messagesFromWrongSender++;
            return false;
        }
        if (msgView < view || status == Status.RECOVERING) {
            stats.messagesIgnored++;
            return false;
        }
        if (msgView > view || status == Status.VIEW_CHANGE) adoptNewerView(msgView);
        return true;
    }

    private void handlePrepare(PrepareMessage p, boolean ack) {
        long lastOp = log.lastOp();
        if (p.getOpnum() <= lastOp) {
            if (ack) sendPrepareOk(p.getOpnum()); // already have it: the earlier ack may have been lost
            return;
        }
        if (p.getBatchstart() > lastOp + 1) {
            bufferPrepare(p, ack);
            requestStateTransfer();
            return;
        }
        if (!requestsMatchRange(p)) {
            stats.messagesIgnored++; // malformed: request count disagrees with the opnum range
            return;
        }
        appendSuffix(p, view);
        if (ack) sendPrepareOk(p.getOpnum());
    }

    private static boolean requestsMatchRange(PrepareMessage p) {
        return p.getRequestCount() == p.getOpnum() - p.getBatchstart() + 1;
    }

    /** Appends the requests of {@code p} above the log's end as entries of {@code entryView}; p must reach the log's end. */
    private void appendSuffix(PrepareMessage p, long entryView) {
        for (long op = log.lastOp() + 1; op <= p.getOpnum(); op++) {
            Request r = p.getRequest((int) (op - p.getBatchstart()));
            log.append(LogEntry.newBuilder().setView(entryView).setOpnum(op).setRequest(r).build());
        }
    }

    private void bufferPrepare(PrepareMessage p, boolean ack) {
        if (bufferedPrepares.size() >= settings.maxBufferedPrepares() && p.getBatchstart() > bufferedPrepares.lastKey()) return;
        Buffered old = bufferedPrepares.get(p.getBatchstart());
        // A kernel-acknowledged copy owes no PrepareOK, whichever copy arrived first.
        bufferedPrepares.put(p.getBatchstart(), new Buffered(p, ack && (old == null || old.ack())));
        stats.preparesBuffered++;
        while (bufferedPrepares.size() > settings.maxBufferedPrepares()) bufferedPrepares.pollLastEntry();
    }

    /** Applies buffered prepares that the log now reaches, in order. */
    private void applyBufferedPrepares() {
        if (status != Status.NORMAL) return;
        while (!bufferedPrepares.isEmpty() && bufferedPrepares.firstKey() <= log.lastOp() + 1) {
            Buffered b = bufferedPrepares.pollFirstEntry().getValue();
            if (b.prepare().getView() == view && b.prepare().getOpnum() > log.lastOp()) handlePrepare(b.prepare(), b.ack());
        }
    }

    private void sendPrepareOk(long opnum) {
        out.toReplica(leaderOf(view), PrepareOKMessage.newBuilder().setView(view).setOpnum(opnum).setReplicaIdx(me).build());
    }

    private void onCommit(int from, CommitMessage c) {
        if (!fromLeaderOfCurrentOrNewerView(from, c.getView()) || status != Status.NORMAL) return;
        heardFromLeader = true;
        if (isActiveLeader()) return;
        if (c.getOpnum() > log.lastOp()) requestStateTransfer();
        commitUpTo(Math.min(c.getOpnum(), log.lastOp()));
    }

    /** Moves to a newer view whose log we do not have: keep the committed prefix, fetch the rest. */
    private void adoptNewerView(long newView) {
        enterNewerView(newView);
        requestStateTransfer();
    }

    /**
     * Enters {@code newView}, which started without this replica, in NORMAL status. Entries above
     * the commit point may belong to an older view and are dropped (VR Revisited section 5.2).
     */
    private void enterNewerView(long newView) {
        view = newView;
        lastNormalView = newView;
        status = Status.NORMAL;
        log.truncateAfter(commitNum);
        resetViewState();
        heardFromLeader = true;
        notifyStatus();
    }

    private void notifyStatus() {
        out.statusChanged(status, view, leaderOf(view));
    }

    // ------------------------------------------------------------------ execution

    /** Executes every operation up to {@code opnum} in order (all are committed). */
    private void commitUpTo(long opnum) {
        boolean leader = isActiveLeader();
        while (commitNum < opnum) {
            commitNum++;
            execute(log.get(commitNum), leader);
            if (commitNum - snapshotOp >= settings.snapshotEveryOps()) takeSnapshot();
        }
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * Snapshots the executed state at the commit point and forgets the log below the previous
     * snapshot: memory holds between one and two snapshot intervals of entries, and a replica
     * that lags by less is still served entries rather than the snapshot.
     */
    private void takeSnapshot() {
        long previous = snapshotOp;
        Snapshot s = Snapshot.newBuilder().setOpnum(commitNum).setAppState(app.snapshot()).addAllClients(clientTable.records()).build();
        keepSnapshot(commitNum, s.toByteString());
        log.compactThrough(Math.max(previous, log.base()));
        stats.snapshotsTaken++;
        out.snapshotTaken(snapshotOp, snapshotBytes);
    }

    private void keepSnapshot(long opnum, ByteString bytes) {
        snapshotOp = opnum;
        snapshotBytes = bytes;
        snapshotCrc = SnapshotDownload.crcOf(bytes);
    }

    private static Snapshot parseSnapshot(ByteString bytes) {
        try {
            return Snapshot.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("snapshot does not decode: " + e.getMessage(), e);
        }
    }

    /** Takes up the application state and client table of {@code s}; the commit point becomes its opnum. */
    private void installState(Snapshot s, ByteString bytes) {
        ClientTable table = new ClientTable();
        table.restore(s.getClientsList()); // both checked before either changes: a bad snapshot changes nothing
        app.restore(s.getAppState());
        clientTable.takeFrom(table);
        commitNum = s.getOpnum();
        keepSnapshot(s.getOpnum(), bytes);
    }

    /** Leader: sends the piece of its latest snapshot at {@code offset}. */
    private void sendSnapshotChunk(int to, long offset) {
        int end = (int) Math.min(snapshotBytes.size(), offset + settings.stateTransferBytes());
        out.toReplica(to, SnapshotChunkMessage.newBuilder().setView(view).setOpnum(snapshotOp).setTotalBytes(snapshotBytes.size())
                .setOffset(offset).setData(snapshotBytes.substring((int) offset, end)).setCrc32C(snapshotCrc).build());
        stats.snapshotChunksSent++;
    }

    private void onSnapshotRequest(int from, SnapshotRequestMessage r) {
        if (r.getReplicaIdx() != from) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (!isActiveLeader() || r.getView() != view || snapshotBytes == null) {
            stats.messagesIgnored++;
            return;
        }
        // A request for an older snapshot, or past its end, starts the latest one over.
        boolean same = r.getOpnum() == snapshotOp && r.getOffset() < snapshotBytes.size();
        sendSnapshotChunk(from, same ? r.getOffset() : 0);
    }

    /** Follower or recovering replica: a piece of the leader's snapshot, installed once complete and checked. */
    private void onSnapshotChunk(int from, SnapshotChunkMessage c) {
        boolean wanted = from == leaderOf(c.getView()) && c.getView() == view
                && ((status == Status.NORMAL && !isActiveLeader()) || (status == Status.RECOVERING && !recovery.collecting()));
        if (!wanted || c.getOpnum() <= commitNum) {
            stats.messagesIgnored++;
            return;
        }
        if (status == Status.NORMAL) heardFromLeader = true;
        else recovery.progress = true;
        if (download == null || !download.accept(c)) {
            SnapshotDownload fresh = SnapshotDownload.begin(c);
            if (fresh == null) {
                stats.snapshotChunksRejected++; // a duplicate, a gap, or an impossible size: ask again from where we are
                if (download != null) sendStateTransferRequest();
                return;
            }
            download = fresh;
        }
        stats.snapshotChunksReceived++;
        if (!download.complete()) {
            sendStateTransferRequest();
            return;
        }
        SnapshotDownload done = download;
        download = null;
        try {
            installSnapshot(done.verify(), done.bytes());
        } catch (IllegalArgumentException e) {
            stats.snapshotsRejected++; // fetched again from the start on the next request
            return;
        }
        if (status == Status.RECOVERING) {
            if (log.lastOp() >= recovery.targetOp) finishRecovery();
            else sendStateTransferRequest();
        } else {
            stateTransferPending = false;
            applyBufferedPrepares();
            requestStateTransfer(); // the entries after the snapshot
        }
    }

    /**
     * Replaces this replica's state with the leader's committed snapshot {@code s}. Its own log
     * ends below the snapshot (that is why the leader sent it) and agrees with the leader's up to
     * there, so nothing of it is lost.
     */
    private void installSnapshot(Snapshot s, ByteString bytes) {
        if (s.getOpnum() <= log.lastOp()) throw new IllegalArgumentException("snapshot " + s.getOpnum() + " is not beyond the log");
        installState(s, bytes);
        log.resetTo(s.getOpnum());
        stats.snapshotsInstalled++;
        out.snapshotTaken(snapshotOp, snapshotBytes);
        out.logAdvanced(log.lastOp());
    }

    private void execute(LogEntry e, boolean leader) {
        Request req = e.getRequest();
        long clientId = req.getClientid();
        long reqId = req.getClientreqid();
        if (leader && Long.valueOf(reqId).equals(leaderState.inFlight.get(clientId))) leaderState.inFlight.remove(clientId);
        ClientTable.Entry done = clientTable.get(clientId);
        ReplyMessage reply;
        if (done != null && reqId <= done.requestId()) {
            stats.duplicateExecutionsSkipped++; // same request appended twice (e.g. across a view change)
            if (reqId != done.requestId()) return;
            reply = done.reply();
        } else {
            ByteString result = app.execute(req.getOp());
            reply = ReplyMessage.newBuilder().setView(view).setOpnum(e.getOpnum()).setReply(result).setClientreqid(reqId).build();
            clientTable.executed(clientId, reqId, reply);
            stats.opsExecuted++;
        }
        if (leader) {
            ClientAddress addr = leaderState.clientAddresses.get(clientId);
            if (addr != null) out.toClient(addr, reply);
        }
    }

    private void onUnloggedRequest(ClientAddress clientAddress, UnloggedRequest req) {
        if (status != Status.NORMAL || clientAddress == null) {
            stats.messagesIgnored++;
            return;
        }
        out.toClient(clientAddress, UnloggedReplyMessage.newBuilder().setReply(app.executeUnlogged(req.getOp())).build());
    }

    // ------------------------------------------------------------------ state transfer

    private void requestStateTransfer() {
        if (stateTransferPending) return;
        stateTransferPending = true;
        stats.stateTransfersRequested++;
        sendStateTransferRequest();
    }

    private void sendStateTransferRequest() {
        if (download != null) {
            out.toReplica(leaderOf(view), SnapshotRequestMessage.newBuilder().setView(view).setOpnum(download.opnum)
                    .setOffset(download.receivedBytes()).setReplicaIdx(me).build());
            return;
        }
        out.toReplica(leaderOf(view), RequestStateTransferMessage.newBuilder().setView(view).setOpnum(log.lastOp()).build());
    }

    /**
     * Sends the entries after {@code r.opnum}, in chunks of bounded size. A request of this view is
     * served by its leader. A request of an older view comes from a replica that missed a view
     * change (a prototype replica asks in its old view, from its commit point, and asks everyone):
     * any replica in NORMAL status answers with this view's state, and the requester adopts the
     * view, as VR Revisited allows.
     */
    private void onRequestStateTransfer(int from, RequestStateTransferMessage r) {
        boolean stale = r.getView() < view;
        boolean serve = status == Status.NORMAL && (stale || (r.getView() == view && isActiveLeader()));
        if (!serve || r.getOpnum() > log.lastOp()) {
            stats.messagesIgnored++;
            return;
        }
        if (stale) stats.staleStateTransfersAnswered++;
        long last = r.getOpnum();
        StateTransferMessage.Builder b = StateTransferMessage.newBuilder().setView(view);
        if (r.getOpnum() < log.base()) { // it needs entries that were compacted: the snapshot first
            if (!stale) {
                sendSnapshotChunk(from, 0);
                return;
            }
            // No entries: the requester enters this view and asks again there, for the snapshot.
        } else {
            int bytes = 0;
            for (long op = r.getOpnum() + 1; op <= log.lastOp() && bytes < settings.stateTransferBytes(); op++) {
                LogEntry e = log.get(op);
                b.addEntries(e);
                bytes += e.getSerializedSize() + 4;
                last = op;
            }
        }
        // The commit point never lies beyond this chunk (the prototype asserts it): a requester
        // whose last entry is at or below it knows that more follow.
        out.toReplica(from, b.setOpnum(Math.min(commitNum, last)).build());
    }

    /**
     * Entries of the sender's log (the leader's, or a prefix of it: only replicas in NORMAL status
     * in {@code s.view} send one). A newer view, or the view this replica is changing to, has
     * started without it: it enters that view first.
     */
    private void onStateTransfer(int from, StateTransferMessage s) {
        if (s.getView() < view) {
            stats.messagesIgnored++;
            return;
        }
        if (status == Status.RECOVERING) {
            if (from != leaderOf(s.getView()) || s.getView() != view || recovery.collecting()) {
                stats.messagesIgnored++;
                return;
            }
            appendTransferred(s.getEntriesList());
            commitUpTo(Math.min(s.getOpnum(), log.lastOp()));
            recovery.progress = true;
            if (log.lastOp() >= recovery.targetOp) finishRecovery();
            else sendStateTransferRequest();
            return;
        }
        if (leaderOf(s.getView()) == me) { // we lead that view: nobody else can be ahead in it
            stats.messagesIgnored++;
            return;
        }
        if (s.getView() > view || status == Status.VIEW_CHANGE) {
            enterNewerView(s.getView());
            stats.viewsAdoptedFromStateTransfer++;
        }
        if (from == leaderOf(view)) heardFromLeader = true;
        stateTransferPending = false;
        long before = log.lastOp();
        appendTransferred(s.getEntriesList());
        commitUpTo(Math.min(s.getOpnum(), log.lastOp()));
        if (log.lastOp() > before) sendPrepareOk(log.lastOp());
        applyBufferedPrepares();
        if (log.lastOp() > before) out.logAdvanced(log.lastOp());
        boolean gapRemains = !bufferedPrepares.isEmpty() && bufferedPrepares.firstKey() > log.lastOp() + 1;
        // A chunk that ends at or below the sender's commit point was cut: more entries follow.
        boolean cut = s.getEntriesCount() > 0 && s.getEntries(s.getEntriesCount() - 1).getOpnum() <= s.getOpnum();
        if (log.lastOp() < s.getOpnum() || gapRemains || cut) {
            // Ask for the next chunk at once while chunks make progress; otherwise retry on the resend timer.
            if (log.lastOp() > before) requestStateTransfer();
            else stateTransferPending = true;
        }
    }

    private void appendTransferred(List<LogEntry> entries) {
        stats.stateTransferEntriesApplied += appendContinuing(entries, Long.MAX_VALUE);
    }

    /** Appends the entries that continue the log, in order and up to {@code maxOp}; returns how many. */
    private int appendContinuing(List<LogEntry> entries, long maxOp) {
        int added = 0;
        for (LogEntry e : entries) {
            if (e.getOpnum() <= log.lastOp()) continue;
            if (e.getOpnum() != log.lastOp() + 1 || e.getOpnum() > maxOp) break;
            log.append(e);
            added++;
        }
        return added;
    }

    // ------------------------------------------------------------------ view change

    private void onViewChangeTimer() {
        switch (status) {
            case NORMAL -> {
                if (leaderOf(view) != me && !heardFromLeader) startViewChange(view + 1);
                heardFromLeader = false;
            }
            case VIEW_CHANGE -> {
                if (viewChangeFresh) viewChangeFresh = false;
                else startViewChange(view + 1); // this view's leader did not complete in a whole period
            }
            case RECOVERING -> {
                if (!recovery.progress) startRecovery();
                recovery.progress = false;
            }
        }
        out.setTimer(VrTimer.VIEW_CHANGE, settings.viewChangeMicros());
    }

    private void startViewChange(long newView) {
        boolean wasNormalFollower = status == Status.NORMAL && leaderOf(view) != me;
        view = newView;
        status = Status.VIEW_CHANGE;
        resetViewState();
        viewChangeFresh = true;
        votes.committed(me, commitNum);
        stats.viewChangesStarted++;
        notifyStatus();
        if (wasNormalFollower) {
            // What the kernel acknowledged in the last normal view is part of this replica's
            // promise: its log, and so its DoViewChange, must hold it before any vote is cast.
            KernelAcks acked = out.stopFastAcks();
            for (PrepareMessage p : acked.prepares()) appendKernelAcked(p);
            if (acked.lost()) {
                // A promise it cannot keep: it must not vote with a log that lacks it.
                stats.kernelAcksUnusable++;
                startRecovery();
                return;
            }
        }
        out.toAllReplicas(startViewChange());
        maybeSendDoViewChange(); // n = 1: nobody else to wait for
    }

    /** Appends a Prepare the kernel acknowledged in the last normal view, if it extends the log. */
    private void appendKernelAcked(PrepareMessage p) {
        if (p.getView() != lastNormalView || p.getBatchstart() > log.lastOp() + 1 || p.getOpnum() <= log.lastOp()
                || !requestsMatchRange(p)) {
            stats.fastPreparesIgnored++;
            return;
        }
        appendSuffix(p, lastNormalView);
        stats.fastPreparesApplied++;
        stats.fastPreparesAppendedAtViewChange++;
    }

    private StartViewChangeMessage startViewChange() {
        return StartViewChangeMessage.newBuilder().setView(view).setReplicaIdx(me).setLastCommitted(commitNum).build();
    }

    /** Clears everything that belongs to one view: acks, batches, buffered prepares, view-change votes. */
    private void resetViewState() {
        leaderState.reset(log.lastOp(), commitNum);
        if (leaderState.closeBatchArmed) {
            leaderState.closeBatchArmed = false;
            out.cancelTimer(VrTimer.CLOSE_BATCH);
        }
        if (leaderState.commitPeriodArmed) {
            leaderState.commitPeriodArmed = false;
            out.cancelTimer(VrTimer.COMMIT);
        }
        bufferedPrepares.clear();
        stateTransferPending = false;
        download = null;
        votes.reset();
    }

    private void onStartViewChange(int from, StartViewChangeMessage m) {
        if (m.getReplicaIdx() != from) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (status == Status.RECOVERING || m.getView() < view) return;
        if (m.getView() == view && status == Status.NORMAL) {
            // The sender missed the StartView of a view change that already completed.
            if (isActiveLeader()) sendStartView(from, m.getLastCommitted());
            return;
        }
        if (m.getView() > view) startViewChange(m.getView());
        votes.startViewChange(from, m.getLastCommitted());
        maybeSendDoViewChange();
    }

    private void maybeSendDoViewChange() {
        if (status != Status.VIEW_CHANGE || votes.startViewChanges() < f) return;
        int leader = leaderOf(view);
        if (leader == me) {
            votes.doViewChange(me, doViewChange(log.lastOp())); // own vote: no entries needed
            maybeCompleteViewChange();
        } else if (votes.knownCommit(leader) >= 0) {
            // Only the suffix the new leader lacks: it cannot have committed less than it reported.
            votes.doViewChangeSent = true;
            sendDoViewChange();
        }
    }

    private void sendDoViewChange() {
        int leader = leaderOf(view);
        long from = Math.max(log.base(), Math.min(votes.knownCommit(leader), log.lastOp()));
        out.toReplica(leader, doViewChange(from));
    }

    /** DoViewChange carrying the log entries after {@code entriesAfter}. */
    private DoViewChangeMessage doViewChange(long entriesAfter) {
        DoViewChangeMessage.Builder b = DoViewChangeMessage.newBuilder().setView(view).setLastNormalView(lastNormalView)
                .setLastOp(log.lastOp()).setLastCommitted(commitNum).setReplicaIdx(me);
        b.addAllEntries(log.range(entriesAfter + 1, log.lastOp()));
        return b.build();
    }

    private void onDoViewChange(int from, DoViewChangeMessage m) {
        if (m.getReplicaIdx() != from) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (status == Status.RECOVERING || m.getView() < view || leaderOf(m.getView()) != me) return;
        if (m.getView() == view && status == Status.NORMAL) {
            if (isActiveLeader()) sendStartView(from, m.getLastCommitted());
            return;
        }
        if (m.getView() > view) startViewChange(m.getView());
        long entriesFrom = m.getLastOp() - m.getEntriesCount() + 1;
        if (entriesFrom > commitNum + 1) {
            // Cannot splice: our entries above the commit point may differ from the sender's, and
            // its entries do not reach down to it (older ones were compacted into a snapshot this
            // replica lacks). The view-change timer moves on to a view with another leader.
            stats.messagesIgnored++;
            return;
        }
        votes.doViewChange(from, m);
        votes.committed(from, m.getLastCommitted());
        maybeCompleteViewChange();
    }

    /** New leader: with f+1 DoViewChange votes (its own included), installs the best log and starts the view. */
    private void maybeCompleteViewChange() {
        if (status != Status.VIEW_CHANGE || !votes.hasDoViewChange(me) || votes.doViewChangeCount() < f + 1) return;
        DoViewChangeMessage best = null;
        long newCommit = commitNum;
        for (DoViewChangeMessage d : votes.doViewChanges()) {
            if (best == null || d.getLastNormalView() > best.getLastNormalView()
                    || (d.getLastNormalView() == best.getLastNormalView() && d.getLastOp() > best.getLastOp())) best = d;
            newCommit = Math.max(newCommit, d.getLastCommitted());
        }
        if (best.getReplicaIdx() != me) {
            long firstEntry = best.getLastOp() - best.getEntriesCount() + 1;
            log.truncateAfter(Math.max(commitNum, firstEntry - 1));
            appendTransferred(best.getEntriesList());
            log.truncateAfter(best.getLastOp());
        }
        status = Status.NORMAL;
        lastNormalView = view;
        stats.viewChangesCompleted++;
        long[] commits = votes.knownCommits();
        resetViewState();
        heardFromLeader = true;
        notifyStatus();
        commitUpTo(Math.min(newCommit, log.lastOp()));
        for (int i = 0; i < n; i++) {
            if (i != me && commits[i] >= 0) sendStartView(i, commits[i]);
        }
        leaderState.sentSinceHeartbeat = true;
        // Uncommitted entries inherited from the old view are re-proposed by the resend timer,
        // and acknowledged at once by followers that install the StartView.
    }

    private void sendStartView(int to, long replicaCommit) {
        // Entries compacted away are not sent: a replica that needs them fetches the snapshot.
        long from = Math.max(log.base(), Math.min(Math.max(0, replicaCommit), log.lastOp()));
        out.toReplica(to, StartViewMessage.newBuilder().setView(view).setLastOp(log.lastOp()).setLastCommitted(commitNum)
                .addAllEntries(log.range(from + 1, log.lastOp())).build());
    }

    private void onStartView(int from, StartViewMessage m) {
        if (from != leaderOf(m.getView())) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (status == Status.RECOVERING || m.getView() < view || (m.getView() == view && status == Status.NORMAL)) return;
        long firstEntry = m.getLastOp() - m.getEntriesCount() + 1;
        if (firstEntry > commitNum + 1 && m.getLastOp() > commitNum) {
            // The entries sent do not reach down to our commit point (the leader compacted them):
            // ours in between may be of another view. Keep the committed prefix, fetch the rest.
            adoptNewerView(m.getView());
            return;
        }
        view = m.getView();
        lastNormalView = view;
        status = Status.NORMAL;
        log.truncateAfter(Math.max(commitNum, Math.min(log.lastOp(), firstEntry - 1)));
        resetViewState();
        for (LogEntry e : m.getEntriesList()) {
            if (e.getOpnum() == log.lastOp() + 1) log.append(e);
        }
        log.truncateAfter(Math.max(commitNum, m.getLastOp()));
        heardFromLeader = true;
        stats.viewChangesCompleted++;
        notifyStatus();
        commitUpTo(Math.min(m.getLastCommitted(), log.lastOp()));
        if (log.lastOp() > commitNum) sendPrepareOk(log.lastOp());
        if (log.lastOp() < m.getLastOp()) requestStateTransfer();
    }

    // ------------------------------------------------------------------ recovery

    /**
     * The kernel acknowledged a Prepare for this replica that user space cannot use (its body
     * does not decode, or disagrees with what the kernel acknowledged, or its sender is not the
     * leader): the leader may count an acknowledgement for an operation this replica does not
     * hold. The replica stops acknowledging and voting and rejoins through recovery, which
     * fetches the leader's log; meanwhile its earlier acknowledgements no longer count.
     *
     * @param kernelView the view the kernel acknowledged in; acknowledgements of an earlier view
     *                   were settled by the view change's fence ({@link Outbox#stopFastAcks})
     */
    public void onKernelAckUnusable(long kernelView) {
        stats.kernelAcksUnusable++;
        if (status == Status.NORMAL && !isActiveLeader() && kernelView == view) startRecovery();
    }

    private void startRecovery() {
        boolean wasNormalFollower = status == Status.NORMAL && leaderOf(view) != me;
        status = Status.RECOVERING;
        log.truncateAfter(commitNum); // entries fetched by an earlier attempt may belong to an older view
        recovery.begin(nonces.next());
        download = null;
        notifyStatus();
        // Acknowledgements the kernel made under the old state are void once recovery starts:
        // wait until no program can still make one, and discard what it made.
        if (wasNormalFollower) stats.fastPreparesIgnored += out.stopFastAcks().prepares().size();
        out.toAllReplicas(recoveryMessage());
    }

    private RecoveryMessage recoveryMessage() {
        return RecoveryMessage.newBuilder().setReplicaIdx(me).setNonce(recovery.nonce).build();
    }

    private void onRecovery(int from, RecoveryMessage m) {
        if (m.getReplicaIdx() != from) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (status != Status.NORMAL) return;
        // The recovering replica lost its log: acknowledgements it gave earlier no longer count.
        leaderState.forget(from);
        RecoveryResponseMessage.Builder b = RecoveryResponseMessage.newBuilder().setView(view).setNonce(m.getNonce()).setReplicaIdx(me);
        if (isActiveLeader()) {
            b.setLastOp(log.lastOp()).setLastCommitted(commitNum);
            // The log as kept (from the snapshot on), as VR Revisited's leader sends it: a recovering
            // prototype replica installs exactly this and commits up to lastCommitted. Bounded in
            // size; a Java replica fetches whatever is missing by state transfer.
            int bytes = 0;
            for (long op = log.base() + 1; op <= log.lastOp(); op++) {
                LogEntry e = log.get(op);
                bytes += e.getSerializedSize() + 4;
                if (bytes > settings.recoveryBytes()) break;
                b.addEntries(e);
            }
        }
        out.toReplica(from, b.build());
    }

    private void onRecoveryResponse(int from, RecoveryResponseMessage m) {
        if (m.getReplicaIdx() != from) {
            stats.messagesFromWrongSender++;
            return;
        }
        if (status != Status.RECOVERING || m.getNonce() != recovery.nonce || !recovery.collecting()) return;
        recovery.responses.put(from, m);
        recovery.progress = true;
        if (recovery.responses.size() < f + 1) return;
        long maxView = 0;
        for (RecoveryResponseMessage r : recovery.responses.values()) maxView = Math.max(maxView, r.getView());
        RecoveryResponseMessage leader = recovery.responses.get(leaderOf(maxView));
        if (leader == null || leader.getView() != maxView || !leader.hasLastOp()) return; // wait for the leader's answer
        view = maxView;
        lastNormalView = maxView;
        recovery.targetOp = leader.getLastOp();
        // Take what the leader's response carries (entries that continue our committed prefix),
        // then fetch the rest of its log up to the op it reported.
        stats.recoveryEntriesInstalled += appendContinuing(leader.getEntriesList(), recovery.targetOp);
        commitUpTo(Math.min(leader.getLastCommitted(), log.lastOp()));
        if (log.lastOp() >= recovery.targetOp) finishRecovery();
        else sendStateTransferRequest();
    }

    private void finishRecovery() {
        status = Status.NORMAL;
        resetViewState();
        heardFromLeader = true;
        recovery.targetOp = -1;
        stats.recoveriesCompleted++;
        notifyStatus();
        if (log.lastOp() > commitNum) sendPrepareOk(log.lastOp());
    }
}
