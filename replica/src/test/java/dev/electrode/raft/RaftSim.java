package dev.electrode.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.app.Application;
import dev.electrode.app.ClientAddress;
import dev.electrode.wire.DecodeResult;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.FrameDecoder;
import dev.electrode.wire.FrameEncoder;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.ReplyMessage;
import dev.electrode.wire.proto.Request;
import dev.electrode.wire.proto.RequestMessage;

import java.nio.ByteBuffer;
import java.util.*;

/**
 * Raft replicas on a deterministic simulated network (delays, loss, duplicates, partitions,
 * crashes without restart), with closed-loop clients, checking continuously that no term has two
 * leaders and that every replica executes the same sequence. Every message crosses the wire
 * codec.
 */
final class RaftSim {
    private record Event(long time, long seq, Runnable action) {}

    final long seed;
    final Random rnd;
    final int n;
    final RaftSettings settings;
    private final PriorityQueue<Event> queue = new PriorityQueue<>(Comparator.comparingLong(Event::time).thenComparingLong(Event::seq));
    private long now, seq;
    double loss, duplicate;
    /** Share of kernel-logged appends whose record user space finds unusable (a body that fails its check). */
    double unusableRecords;
    private final boolean[][] blocked;
    final Node[] nodes;
    final List<Client> clients = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    private final Map<Long, Integer> leaderOfTerm = new HashMap<>();
    private final List<ByteString> canonical = new ArrayList<>(); // executed ops, as first seen

    /** Model the fast-ack and quorum-pruning programs in front of every replica. */
    final boolean offloads;
    /**
     * The fast path only logs and user space acknowledges once the entries are on disk, as a
     * server with SYNC durability runs it. Without it a restarted replica may lack entries its
     * kernel acknowledged (memory-only replicas must not restart).
     */
    final boolean deferredAcks;

    RaftSim(long seed, int n, RaftSettings settings) { this(seed, n, settings, false); }

    RaftSim(long seed, int n, RaftSettings settings, boolean offloads) { this(seed, n, settings, offloads, false); }

    RaftSim(long seed, int n, RaftSettings settings, boolean offloads, boolean deferredAcks) {
        this.offloads = offloads;
        this.deferredAcks = deferredAcks;
        this.seed = seed;
        this.rnd = new Random(seed);
        this.n = n;
        this.settings = settings;
        this.blocked = new boolean[n + 64][n + 64];
        this.nodes = new Node[n];
        for (int i = 0; i < n; i++) nodes[i] = new Node(i);
        for (Node node : nodes) node.raft.start();
    }

    void schedule(long delay, Runnable action) { queue.add(new Event(now + delay, seq++, action)); }

    boolean runUntil(java.util.function.BooleanSupplier done, long maxMicros) {
        long deadline = now + maxMicros;
        while (!done.getAsBoolean()) {
            if (queue.isEmpty() || queue.peek().time() > deadline) return false;
            Event e = queue.poll();
            now = e.time();
            e.action().run();
        }
        return true;
    }

    void runFor(long micros) { runUntil(() -> false, micros); }

    /** Cuts every link between {@code group} and the other replicas (both ways); clients reach everyone. */
    void partition(Set<Integer> group) {
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) blocked[a][b] = group.contains(a) != group.contains(b);
    }

    void heal() {
        for (boolean[] row : blocked) Arrays.fill(row, false);
        loss = 0;
        duplicate = 0;
    }

    /** The replica that is up and leads the highest term, or -1. */
    int leader() {
        int best = -1;
        for (Node node : nodes)
            if (node.up && node.raft.role() == RaftRole.LEADER && (best < 0 || node.raft.term() > nodes[best].raft.term())) best = node.idx;
        return best;
    }

    private void send(int from, int to, Message m) {
        if (from < n && !nodes[from].up) return;
        if (blocked[from][to] || (loss > 0 && rnd.nextDouble() < loss)) return;
        MessageType t = MessageType.of(m);
        byte[] bytes = FrameEncoder.encode(t, m, FastMeta.forMessage(t, m));
        int copies = duplicate > 0 && rnd.nextDouble() < duplicate ? 2 : 1;
        for (int c = 0; c < copies; c++) schedule(50 + rnd.nextInt(250), () -> deliver(from, to, bytes));
    }

    private void deliver(int from, int to, byte[] bytes) {
        DecodeResult r = FrameDecoder.decodeStandalone(ByteBuffer.wrap(bytes));
        if (!(r instanceof DecodeResult.Decoded d)) {
            violations.add("own frame failed to decode: " + r);
            return;
        }
        if (to >= n) {
            clients.get(to - n).onReply((ReplyMessage) d.frame().body());
            return;
        }
        Node node = nodes[to];
        if (!node.up) return;
        if (offloads && from < n && node.kernel.intercept(from, d.frame().body())) return;
        if (offloads) node.kernel.drain();
        if (from < n) node.raft.onReplicaMessage(from, d.frame().body());
        else node.raft.onClientMessage(new Endpoint(from), d.frame().body());
    }

    record Endpoint(int index) implements ClientAddress {}

    /**
     * The offload programs of one replica, as the layer specifies them for Raft: a follower's XDP
     * acknowledges an in-order AppendEntries of its term from its leader (FastAckOK) and logs it
     * for user space; the leader's XDP passes only the quorum-completing AppendEntriesResponse,
     * with the set that acknowledged; TC egress resets the leader's tally for each append.
     */
    final class Kernel {
        private final Node node;
        boolean normal;
        long term;
        int leader = -1;
        long lastIndex;
        /** The kernel log; a record becomes visible to user space's poll only at its time (XDP on another CPU). */
        record Logged(dev.electrode.raft.proto.AppendEntries append, long visibleAt, boolean unusable) {}
        final List<Logged> ring = new ArrayList<>();
        private final Map<Long, Integer> tally = new HashMap<>(); // index -> ack bits, for `term`
        private final Set<Long> complete = new HashSet<>();

        Kernel(Node node) { this.node = node; }

        /** XDP: true if the frame was consumed in the kernel (acknowledged, pruned or dropped). */
        boolean intercept(int from, Message m) {
            if (!normal) return false;
            if (m instanceof dev.electrode.raft.proto.AppendEntries a && leader != node.idx) {
                if (from != leader || a.getEntriesCount() == 0) return false;
                if (a.getTerm() < term) return true; // stale term: dropped
                if (a.getTerm() > term) return false;
                long first = a.getPrevLogIndex() + 1, last = a.getPrevLogIndex() + a.getEntriesCount();
                if (last <= lastIndex) {
                    if (deferredAcks) return false; // only user space knows whether it is durable: it answers
                    fastAck(last); // already held: acknowledged again, not logged
                    return true;
                }
                if (first > lastIndex + 1) return false; // a gap: user space asks
                long late = rnd.nextInt(4) == 0 ? rnd.nextInt(3_000) : 0;
                ring.add(new Logged(a, now + late, unusableRecords > 0 && rnd.nextDouble() < unusableRecords));
                lastIndex = last;
                if (!deferredAcks) fastAck(last);
                scheduleDrain(late);
                return true;
            }
            if (m instanceof dev.electrode.raft.proto.AppendEntriesResponse r && leader == node.idx) {
                Integer bits = tally.get(r.getMatchIndex());
                if (r.getTerm() != term || bits == null) return false; // no tally: passed as it is
                if (complete.contains(r.getMatchIndex())) return true;
                bits |= 1 << from;
                tally.put(r.getMatchIndex(), bits);
                if (Integer.bitCount(bits) < (n - 1) / 2) return true; // pruned: the quorum is not complete
                complete.add(r.getMatchIndex());
                int set = bits;
                node.raft.onAckSet(from, r, set);
                return true;
            }
            return false;
        }

        /** TC egress on the leader: an append (with entries) starts a fresh tally for its last index. */
        void egress(Message m) {
            if (m instanceof dev.electrode.raft.proto.AppendEntries a && a.getEntriesCount() > 0 && normal && leader == node.idx) {
                long last = a.getPrevLogIndex() + a.getEntriesCount();
                tally.put(last, 0);
                complete.remove(last);
            }
        }

        private void fastAck(long index) {
            send(node.idx, leader, dev.electrode.raft.proto.AppendEntriesResponse.newBuilder().setTerm(term).setFollower(node.idx)
                    .setMatchIndex(index).build());
        }

        private boolean drainScheduled;

        /** The server's 500 us drain timer, armed while the ring holds records. */
        private void scheduleDrain(long late) {
            if (drainScheduled) return;
            drainScheduled = true;
            schedule(500 + late, () -> {
                drainScheduled = false;
                if (!node.up) return;
                drain();
                if (!ring.isEmpty()) scheduleDrain(ring.get(0).visibleAt() - now);
            });
        }

        /** User space polls the kernel log before each input. */
        void drain() {
            while (!ring.isEmpty() && ring.get(0).visibleAt() <= now) {
                Logged l = ring.remove(0);
                if (l.unusable()) node.raft.kernelAckUnusable(l.append().getTerm(), l.append().getPrevLogIndex() + l.append().getEntriesCount());
                else node.raft.onFastAckedAppend(l.append(), deferredAcks);
            }
        }

        void control(boolean normal, long term, int leader, long verified) {
            if (term != this.term) {
                tally.clear();
                complete.clear();
            }
            this.normal = normal;
            this.term = term;
            this.leader = leader;
            this.lastIndex = verified;
        }
    }

    /**
     * A replica's disk, as its journal and snapshot file would hold it: built from the core's
     * log and snapshot events, with its term and vote as of the end of its last turn (SYNC: a
     * turn's messages leave after its state is forced, and a crash comes between turns).
     */
    static final class Disk implements RaftReplica.LogListener {
        final List<dev.electrode.raft.proto.Entry> entries = new ArrayList<>();
        ByteString snapshot;
        long term, commit;
        int vote = -1;

        @Override public void appended(dev.electrode.raft.proto.Entry e) { entries.add(e); }

        @Override public void truncatedFrom(long index) { entries.removeIf(e -> e.getIndex() >= index); }

        @Override public void reset(long base) { entries.clear(); }

        @Override public void snapshot(long index, ByteString bytes) {
            snapshot = bytes;
            entries.removeIf(e -> e.getIndex() <= index); // segments the snapshot covers are deleted
        }

        RaftReplica.Restored image() { return new RaftReplica.Restored(term, vote, commit, snapshot, List.copyOf(entries)); }
    }

    /** One replica: its core, its store, its disk and its timers. */
    final class Node implements RaftOutbox {
        final int idx;
        RaftReplica raft;
        KvStore kv = new KvStore();
        int executed;
        boolean up = true;
        int restarts;
        Kernel kernel = new Kernel(this);
        final Disk disk = new Disk();
        private final long[] timerGeneration = new long[RaftTimer.values().length];

        Node(int idx) {
            this.idx = idx;
            this.raft = newCore();
            raft.setLogListener(disk);
        }

        /** Crashes the replica; what its disk holds survives. */
        void crash() {
            up = false;
            disk.term = raft.term();
            disk.vote = raft.votedFor();
            disk.commit = raft.commitIndex();
        }

        /** Starts a crashed replica again from its disk, with a fresh store, kernel and timers. */
        void restart() {
            if (up) throw new IllegalStateException("replica " + idx + " is up");
            for (int t = 0; t < timerGeneration.length; t++) timerGeneration[t]++;
            kv = new KvStore();
            executed = 0;
            kernel = new Kernel(this);
            raft = newCore();
            raft.restore(disk.image());
            raft.setLogListener(disk);
            up = true;
            restarts++;
            raft.start();
        }

        private RaftReplica newCore() {
            return new RaftReplica(n, idx, settings, new Application() {
                @Override public ByteString execute(ByteString op) {
                    if (executed < canonical.size()) {
                        if (!canonical.get(executed).equals(op)) violations.add("seed " + seed + ": replica " + idx + " executed a different op at " + executed);
                    } else {
                        canonical.add(op);
                    }
                    executed++;
                    return kv.execute(op);
                }
                @Override public ByteString executeUnlogged(ByteString op) { return kv.executeUnlogged(op); }
                // The state carries how many operations produced it, so the order check resumes after an install.
                @Override public ByteString snapshot() {
                    return ByteString.copyFrom(ByteBuffer.allocate(4).putInt(executed).array()).concat(kv.snapshot());
                }
                @Override public void restore(ByteString state) {
                    if (state.size() < 4) throw new IllegalArgumentException("no operation count");
                    int count = state.substring(0, 4).asReadOnlyByteBuffer().getInt();
                    kv.restore(state.substring(4));
                    executed = count;
                    if (executed > canonical.size()) violations.add("seed " + seed + ": replica " + idx + " installed a state of " + count
                            + " operations, beyond the " + canonical.size() + " executed anywhere");
                }
            }, this, rnd::nextLong);
        }

        @Override public void toReplica(int to, Message m) {
            if (offloads) kernel.egress(m);
            send(idx, to, m);
        }

        @Override public void toAllReplicas(Message m, int n, int me) {
            if (offloads) kernel.egress(m); // one TC pass: the broadcast offload's fan-out
            for (int i = 0; i < n; i++) if (i != me) send(idx, i, m);
        }

        @Override public void controlChanged(boolean normal, long term, int leader, long verified) {
            if (offloads) kernel.control(normal, term, leader, verified);
        }

        @Override public boolean fastAcksArePromises() { return !deferredAcks; }

        @Override public void verifiedAdvanced(long verified) {
            if (offloads && kernel.lastIndex < verified) kernel.lastIndex = verified; // only forward
        }

        @Override public List<dev.electrode.raft.proto.AppendEntries> stopFastAcks() {
            // The fence waits out every program run: late records are visible after it.
            List<dev.electrode.raft.proto.AppendEntries> acked = new ArrayList<>();
            List<Kernel.Logged> logged = new ArrayList<>(kernel.ring);
            kernel.ring.clear();
            for (Kernel.Logged l : logged) {
                if (l.unusable()) raft.kernelAckUnusable(l.append().getTerm(), l.append().getPrevLogIndex() + l.append().getEntriesCount());
                else acked.add(l.append());
            }
            return acked;
        }

        @Override public void toClient(ClientAddress client, Message m) { send(idx, ((Endpoint) client).index(), m); }

        @Override public void setTimer(RaftTimer t, long delayMicros) {
            long gen = ++timerGeneration[t.ordinal()];
            schedule(delayMicros, () -> {
                if (!up || timerGeneration[t.ordinal()] != gen) return;
                if (offloads) kernel.drain(); // what the kernel acknowledged comes first, as in the server
                raft.onTimer(t);
            });
        }

        @Override public void roleChanged(RaftRole role, long term, int leader) {
            if (role != RaftRole.LEADER) return;
            Integer earlier = leaderOfTerm.putIfAbsent(term, idx);
            if (earlier != null && earlier != idx) violations.add("seed " + seed + ": term " + term + " has two leaders, " + earlier + " and " + idx);
        }
    }

    /** A closed-loop client doing unique puts; it retries at the next replica when no reply comes. */
    final class Client {
        final int endpoint;
        final long clientId;
        final int total;
        long reqId;
        int target;
        final Map<ByteString, ByteString> acknowledged = new HashMap<>();
        private ByteString key, value;
        private long attempt;

        Client(int endpoint, long clientId, int total) {
            this.endpoint = endpoint;
            this.clientId = clientId;
            this.total = total;
        }

        boolean done() { return acknowledged.size() == total; }

        void next() {
            if (done()) return;
            reqId++;
            key = ByteString.copyFromUtf8("c" + clientId + "-" + reqId);
            value = ByteString.copyFromUtf8("v" + reqId);
            sendRequest();
        }

        private void sendRequest() {
            long a = ++attempt;
            Request r = Request.newBuilder().setOp(KvOps.put(key, value)).setClientid(clientId).setClientreqid(reqId).build();
            send(endpoint, target, RequestMessage.newBuilder().setReq(r).build());
            schedule(20_000, () -> {
                if (a != attempt || done()) return;
                target = (target + 1) % n; // no answer: try the next replica
                sendRequest();
            });
        }

        void onReply(ReplyMessage r) {
            if (r.getClientreqid() != reqId || acknowledged.containsKey(key)) return;
            acknowledged.put(key, value);
            attempt++;
            next();
        }
    }

    Client addClient(int ops) {
        Client c = new Client(n + clients.size(), 1 + clients.size(), ops);
        clients.add(c);
        c.next();
        return c;
    }

    boolean clientsDone() {
        for (Client c : clients) if (!c.done()) return false;
        return true;
    }

    /** Every replica that is up agrees on the commit point and holds every acknowledged put. */
    List<String> checkConverged() {
        List<String> problems = new ArrayList<>(violations);
        long commit = -1;
        for (Node node : nodes) {
            if (!node.up) continue;
            if (commit < 0) commit = node.raft.commitIndex();
            else if (node.raft.commitIndex() != commit) problems.add("replica " + node.idx + " commit " + node.raft.commitIndex() + " != " + commit);
            for (Client c : clients)
                for (Map.Entry<ByteString, ByteString> put : c.acknowledged.entrySet())
                    if (!put.getValue().equals(node.kv.get(put.getKey())))
                        problems.add("replica " + node.idx + " lost acknowledged put " + put.getKey().toStringUtf8());
        }
        return problems;
    }

    String describe() {
        StringBuilder sb = new StringBuilder("seed " + seed + ": ");
        for (Node node : nodes)
            sb.append(String.format("[r%d up=%s %s t=%d leader=%d last=%d commit=%d %s] ", node.idx, node.up, node.raft.role(), node.raft.term(),
                    node.raft.leader(), node.raft.lastIndex(), node.raft.commitIndex(), node.raft.stats()));
        return sb.toString();
    }
}
