package dev.electrode.sim;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.app.KvStore;
import dev.electrode.vr.*;
import dev.electrode.app.Application;
import dev.electrode.app.ClientAddress;
import dev.electrode.wire.*;

import java.nio.ByteBuffer;
import java.util.*;

/**
 * A deterministic, seeded simulation of a VR cluster: virtual time, a network that can drop,
 * duplicate, delay, reorder and partition, replicas that crash and restart, and closed-loop
 * clients. Every message goes through the real wire codec. Same seed, same run.
 */
public final class SimCluster {
    /** Network fault settings; all probabilities in [0,1]. */
    public static final class Faults {
        double loss;
        double duplicate;
        long minDelayMicros = 50;
        long maxDelayMicros = 300;
    }

    private record Event(long time, long seq, Runnable action) {}

    final long seed;
    final Random rnd;
    final int n;
    final VrSettings settings;
    final Faults faults = new Faults();
    private final PriorityQueue<Event> queue = new PriorityQueue<>(
            Comparator.comparingLong(Event::time).thenComparingLong(Event::seq));
    private long now;
    private long seq;

    final SimReplica[] replicas;
    /** A client as the simulated network knows it: its endpoint number. */
    record SimEndpoint(int index) implements ClientAddress {}

    /** Slots taken by a model of the reference prototype instead of a Java replica (null: Java). */
    private final dev.electrode.interop.PrototypeReplica[] prototypes;
    /** Model the fast-ack and quorum-pruning programs in front of every replica. */
    final boolean offloads;
    final List<SimClient> clients = new ArrayList<>();
    private final boolean[][] blocked; // [from endpoint][to endpoint], endpoints: replicas then clients
    private final int maxEndpoints;

    /** Violations of safety found while running (checked continuously). */
    final List<String> violations = new ArrayList<>();
    /** The sequence of operations executed, as first seen by any replica: every replica must agree. */
    private final List<ByteString> canonicalExecution = new ArrayList<>();

    public SimCluster(long seed, int n, VrSettings settings, int maxClients) {
        this(seed, n, settings, maxClients, false);
    }

    public SimCluster(long seed, int n, VrSettings settings, int maxClients, boolean offloads) {
        this(seed, n, settings, maxClients, offloads, false, false);
    }

    /** How long a force of the journal takes on the simulated disk. */
    static final long FSYNC_MICROS = 200;

    /** Durable replicas keep a journal on a simulated disk; a crash loses what was not forced (torn writes included). */
    final boolean durable;
    /** With offloads: the kernel model buffers without acknowledging; the replica acknowledges once durable. */
    final boolean deferredAcks;

    /**
     * @param durable      each replica journals to its own simulated disk, forced at the end of every
     *                     turn before what the turn sent leaves (durability sync), and restarts from it
     * @param deferredAcks with offloads, the fast path only buffers (as a durable Electrode replica runs it)
     */
    public SimCluster(long seed, int n, VrSettings settings, int maxClients, boolean offloads, boolean durable, boolean deferredAcks) {
        this.durable = durable;
        this.deferredAcks = deferredAcks;
        this.offloads = offloads;
        this.seed = seed;
        this.rnd = new Random(seed);
        this.n = n;
        this.settings = settings;
        this.maxEndpoints = n + maxClients;
        this.blocked = new boolean[maxEndpoints][maxEndpoints];
        this.replicas = new SimReplica[n];
        this.prototypes = new dev.electrode.interop.PrototypeReplica[n];
        for (int i = 0; i < n; i++) {
            replicas[i] = new SimReplica(i);
            replicas[i].boot(false);
        }
    }

    public long now() { return now; }

    // ------------------------------------------------------------------ scheduling

    void schedule(long delayMicros, Runnable action) {
        queue.add(new Event(now + delayMicros, seq++, action));
    }

    /** Runs events until virtual time {@code until}. */
    public void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().time() <= until) {
            Event e = queue.poll();
            now = e.time();
            e.action().run();
        }
        now = Math.max(now, until);
    }

    public void runFor(long micros) { runUntil(now + micros); }

    /** Runs until {@code done} holds (checked every millisecond of virtual time) or the deadline passes. */
    public boolean runUntil(java.util.function.BooleanSupplier done, long maxMicros) {
        long deadline = now + maxMicros;
        while (now < deadline) {
            if (done.getAsBoolean()) return true;
            runUntil(Math.min(deadline, now + 1000));
        }
        return done.getAsBoolean();
    }

    /** Runs event by event until {@code done} holds right after one, or the deadline passes. */
    public boolean runUntilEvent(java.util.function.BooleanSupplier done, long maxMicros) {
        long deadline = now + maxMicros;
        while (!done.getAsBoolean()) {
            if (queue.isEmpty() || queue.peek().time() > deadline) return false;
            Event e = queue.poll();
            now = e.time();
            e.action().run();
        }
        return true;
    }

    // ------------------------------------------------------------------ network

    void send(int from, int to, Message m, FastMeta meta) {
        if (from < n && !replicas[from].up && prototypes[from] == null) return;
        if (blocked[from][to]) return;
        if (faults.loss > 0 && rnd.nextDouble() < faults.loss) return;
        byte[] bytes = FrameEncoder.encode(MessageType.of(m), m, meta);
        int copies = faults.duplicate > 0 && rnd.nextDouble() < faults.duplicate ? 2 : 1;
        for (int c = 0; c < copies; c++) {
            long delay = faults.minDelayMicros + (long) (rnd.nextDouble() * (faults.maxDelayMicros - faults.minDelayMicros));
            schedule(delay, () -> deliver(from, to, bytes));
        }
    }

    private void deliver(int from, int to, byte[] bytes) {
        DecodeResult r = FrameDecoder.decodeStandalone(ByteBuffer.wrap(bytes));
        if (!(r instanceof DecodeResult.Decoded d)) {
            violations.add("seed " + seed + ": own frame failed to decode: " + r);
            return;
        }
        Message m = d.frame().body();
        if (to < n && prototypes[to] != null) {
            if (from < n) prototypes[to].onMessage(from, m);
            return;
        }
        if (to < n) {
            SimReplica rep = replicas[to];
            if (!rep.up) return;
            if (offloads && from < n && rep.kernel.intercept(from, m, d.frame().meta())) return;
            rep.turn(() -> {
                if (offloads) rep.kernel.maybeDrainBeforeInput(rnd);
                if (from < n) {
                    if (offloads && m instanceof dev.electrode.wire.proto.PrepareOKMessage ok
                            && (d.frame().meta().c() & WireFormat.QUORUM_FLAG) != 0) {
                        rep.vr.onAckSet(from, ok, d.frame().meta().c() & ~WireFormat.QUORUM_FLAG);
                    } else {
                        rep.vr.onReplicaMessage(from, m);
                    }
                } else {
                    rep.vr.onClientMessage(new SimEndpoint(from), m);
                }
            });
        } else {
            clients.get(to - n).onMessage(m);
        }
    }

    /** Cuts or restores the link from endpoint {@code a} to endpoint {@code b} (one direction). */
    public void setBlocked(int a, int b, boolean cut) { blocked[a][b] = cut; }

    /** Splits the replicas into {@code group} and the rest; clients still reach everyone. */
    public void partition(Set<Integer> group) {
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                blocked[a][b] = group.contains(a) != group.contains(b);
    }

    /** Removes every partition and network fault. */
    public void heal() {
        for (boolean[] row : blocked) Arrays.fill(row, false);
        faults.loss = 0;
        faults.duplicate = 0;
        faults.maxDelayMicros = 300;
    }

    // ------------------------------------------------------------------ replicas

    /** One simulated replica process: the core, its application and its timers. */
    final class SimReplica implements Outbox {
        final int idx;
        VrReplica vr;
        RecordingKv app;
        boolean up;
        int incarnation;
        final long[] timerGeneration = new long[VrTimer.values().length];

        SimReplica(int idx) { this.idx = idx; }

        final SimKernel kernel = new SimKernel(this);
        /** The replica's own disk: it outlives crashes, minus what was not forced. */
        final dev.electrode.storage.SimulatedDisk disk = new dev.electrode.storage.SimulatedDisk();
        dev.electrode.storage.Journal journal;
        dev.electrode.storage.DataDirectory data;
        dev.electrode.storage.Journal.Meta forcedMeta;
        private long pendingSnapshotOp = -1;
        private ByteString pendingSnapshot;
        private final List<Runnable> held = new ArrayList<>(); // what the current turn sent
        /** What leaves once the latest force in progress completes (null: none in progress). */
        private List<Runnable> awaitingForce;
        private boolean inTurn;

        /**
         * One turn of the replica's event loop: handle an input, then (durable) write and force
         * the journal, then let out what the turn sent, as the server does.
         */
        void turn(Runnable input) {
            if (inTurn) { // nested (an input handled while handling another): part of the outer turn
                input.run();
                return;
            }
            inTurn = true;
            try {
                input.run();
            } finally {
                inTurn = false;
            }
            List<Runnable> out = new ArrayList<>(held);
            held.clear();
            if (durable && journal != null) {
                try {
                    // As the server's DurableState: the snapshot first (forced), then the journal, then compaction.
                    boolean snap = pendingSnapshot != null;
                    if (snap) {
                        data.saveSnapshot(pendingSnapshotOp, pendingSnapshot);
                        pendingSnapshot = null;
                    }
                    var meta = new dev.electrode.storage.Journal.Meta(vr.view(), vr.lastNormalView(), vr.commitNum(), vr.status().code());
                    journal.meta(meta);
                    // As the server: a turn that only advanced the commit point is written, not forced.
                    boolean mustForce = journal.hasLogRecordsPending() || !meta.sameBesidesCommit(forcedMeta);
                    journal.write();
                    if (snap) data.compact(vr.log().base());
                    if (!mustForce) {
                        // The server forces inside the turn, so no later turn's datagrams overtake an
                        // earlier force: here they wait for the one still running, if any.
                        if (awaitingForce != null) awaitingForce.addAll(out);
                        else for (Runnable r : out) r.run();
                        return;
                    }
                    forcedMeta = meta;
                } catch (java.io.IOException e) {
                    violations.add("seed " + seed + ": replica " + idx + " journal: " + e);
                }
                // The force takes time, and a crash may come first: what the turn sent leaves once it is done.
                int inc = incarnation;
                var j = journal;
                List<Runnable> waiting = new ArrayList<>(out);
                awaitingForce = waiting;
                schedule(FSYNC_MICROS, () -> {
                    if (!up || inc != incarnation) return;
                    try {
                        j.force();
                    } catch (java.io.IOException e) {
                        violations.add("seed " + seed + ": replica " + idx + " journal: " + e);
                    }
                    if (awaitingForce == waiting) awaitingForce = null;
                    for (Runnable r : waiting) r.run();
                });
                return;
            }
            for (Runnable r : out) r.run();
        }

        /** A datagram the replica's user space sends: held until the end of its turn when durable. */
        private void emit(int to, Message m, FastMeta meta) {
            if (durable && inTurn) held.add(() -> send(idx, to, m, meta));
            else send(idx, to, m, meta);
        }

        private boolean drainScheduled;

        /** The server's 500 us drain timer, armed while the ring holds records. */
        void schedulePeriodicDrain() {
            if (drainScheduled) return;
            drainScheduled = true;
            int inc = incarnation;
            schedule(500, () -> {
                drainScheduled = false;
                if (up && inc == incarnation) turn(kernel::drain);
            });
        }

        /** A frame the kernel model builds itself (MyPrepareOK): it leaves without passing TC. */
        void sendRaw(int to, Message m, FastMeta meta) { send(idx, to, m, meta); }

        /** A frame the kernel model passes up with a rewritten fast meta (the quorum-completing ACK). */
        void kernelPass(int from, dev.electrode.wire.proto.PrepareOKMessage ok, FastMeta meta) {
            turn(() -> {
                kernel.maybeDrainBeforeInput(rnd);
                // By its fields, as the server takes a kernel-built ACK from the decoder.
                vr.onAckSet(from, ok.getView(), ok.getOpnum(), ok.getReplicaIdx(), meta.c() & ~WireFormat.QUORUM_FLAG);
            });
        }

        void boot(boolean recovering) {
            incarnation++;
            up = true;
            app = new RecordingKv();
            held.clear();
            awaitingForce = null;
            pendingSnapshot = null;
            forcedMeta = null;
            dev.electrode.vr.VrReplica.Restored restored = null;
            if (durable) {
                try {
                    data = dev.electrode.storage.DataDirectory.open(disk, new dev.electrode.storage.Journal.Identity("sim", idx), 4096);
                    journal = data.journal();
                } catch (java.io.IOException e) {
                    violations.add("seed " + seed + ": replica " + idx + " cannot open its journal: " + e.getMessage());
                    throw new IllegalStateException(e);
                }
                if (!data.recovered().isEmpty()) restored = dev.electrode.server.RestartState.of(data.recovered());
                data.forgetRecovered();
            }
            vr = new VrReplica(n, idx, settings, app, this, recovering && restored == null, rnd::nextLong);
            if (restored != null) vr.restore(restored);
            if (durable) {
                var j = journal;
                vr.log().setListener(new dev.electrode.vr.ReplicaLog.Listener() {
                    @Override public void appended(dev.electrode.wire.proto.LogEntry e) { j.append(e); }

                    @Override public void truncatedAfter(long opnum) { j.truncateAfter(opnum); }

                    @Override public void reset(long base) { j.reset(base); }
                });
            }
            kernel.reset(); // the programs detach with the process and are attached again at start
            kernel.deferred = deferredAcks;
            kernel.control(vr.status(), vr.view(), vr.leaderOf(vr.view()), vr.lastOp());
            turn(vr::start);
        }

        void crash() {
            installedBeforeCrashes += vr.stats().snapshotsInstalled;
            up = false;
            incarnation++;
            kernel.reset();
            held.clear();
            awaitingForce = null;
            if (durable) {
                disk.crash(rnd, rnd.nextBoolean()); // power loss: unforced writes lost, the last one maybe torn
                journal = null;
                data = null;
            }
        }

        @Override public void toReplica(int to, Message m) {
            if (offloads) kernel.egress(m);
            emit(to, m, FastMeta.forMessage(MessageType.of(m), m));
        }

        @Override public void statusChanged(Status status, long view, int leader) {
            if (offloads) kernel.control(status, view, leader, vr.lastOp());
        }

        @Override public dev.electrode.vr.KernelAcks stopFastAcks() {
            if (fenceDisabled) return dev.electrode.vr.KernelAcks.NONE; // a broken build: votes without what the kernel acknowledged
            return offloads ? new dev.electrode.vr.KernelAcks(kernel.stopAcks(), false) : dev.electrode.vr.KernelAcks.NONE;
        }

        @Override public void logAdvanced(long lastOp) {
            if (offloads) kernel.raiseLastOp(lastOp);
        }

        @Override public void snapshotTaken(long opnum, ByteString bytes) {
            snapshots++;
            if (durable) {
                pendingSnapshotOp = opnum;
                pendingSnapshot = bytes;
            }
        }

        @Override public void toAllReplicas(Message m) {
            if (offloads) kernel.egress(m); // one TC pass: the broadcast offload's fan-out
            for (int i = 0; i < n; i++) if (i != idx) emit(i, m, FastMeta.forMessage(MessageType.of(m), m));
        }

        @Override public void toClient(ClientAddress clientAddress, Message m) {
            emit(((SimEndpoint) clientAddress).index(), m, FastMeta.ZERO);
        }

        @Override public void setTimer(VrTimer t, long delayMicros) {
            long gen = ++timerGeneration[t.ordinal()];
            int inc = incarnation;
            schedule(delayMicros, () -> {
                if (up && inc == incarnation && gen == timerGeneration[t.ordinal()]) {
                    turn(() -> {
                        if (offloads) kernel.maybeDrainBeforeInput(rnd);
                        vr.onTimer(t);
                    });
                }
            });
        }

        @Override public void cancelTimer(VrTimer t) { timerGeneration[t.ordinal()]++; }

        /** The KV store, recording execution order to check agreement and at-most-once execution. */
        final class RecordingKv implements Application {
            final KvStore kv = new KvStore();
            private final Set<ByteString> executedOps = new HashSet<>();
            private int executedCount;

            @Override public ByteString execute(ByteString op) {
                if (!executedOps.add(op)) violations.add("seed " + seed + ": replica " + idx + " executed twice: " + op.toStringUtf8());
                int i = executedCount++;
                if (i < canonicalExecution.size()) {
                    if (!canonicalExecution.get(i).equals(op))
                        violations.add("seed " + seed + ": replica " + idx + " executed op #" + (i + 1) + " = " + op.toStringUtf8()
                                + " but another replica executed " + canonicalExecution.get(i).toStringUtf8());
                } else {
                    canonicalExecution.add(op);
                }
                return kv.execute(op);
            }

            @Override public ByteString executeUnlogged(ByteString op) { return kv.executeUnlogged(op); }

            @Override public ByteString snapshot() {
                return dev.electrode.app.proto.KvPair.newBuilder().setKey(kv.snapshot()).setValue(ByteString.copyFromUtf8(Integer.toString(executedCount)))
                        .build().toByteString();
            }

            /** Takes up a snapshot: the store, and the position in the canonical execution order it stands for. */
            @Override public void restore(ByteString state) {
                dev.electrode.app.proto.KvPair p;
                try {
                    p = dev.electrode.app.proto.KvPair.parseFrom(state);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalArgumentException(e);
                }
                kv.restore(p.getKey());
                executedCount = Integer.parseInt(p.getValue().toStringUtf8());
            }
        }
    }

    public void crash(int i) { replicas[i].crash(); }

    /**
     * Stops Java replica {@code i} for good and puts a model of the reference prototype in its
     * slot: it receives what is sent to replica i and sends as replica i, over the same network.
     */
    public dev.electrode.interop.PrototypeReplica replaceWithPrototype(int i) {
        if (replicas[i].up) replicas[i].crash();
        prototypes[i] = new dev.electrode.interop.PrototypeReplica(n, i,
                (to, m) -> send(i, to, m, FastMeta.forMessage(MessageType.of(m), m)));
        return prototypes[i];
    }

    /** Runs {@code action} every {@code periodMicros} of virtual time from now on. */
    public void every(long periodMicros, Runnable action) {
        schedule(periodMicros, () -> {
            action.run();
            every(periodMicros, action);
        });
    }

    /** The Java replica in slot {@code i}. */
    public dev.electrode.vr.VrReplica replica(int i) { return replicas[i].vr; }

    /** Breaks the view-change fence: a follower leaving NORMAL ignores what its kernel acknowledged (for tests that show why it exists). */
    public boolean fenceDisabled;

    /** Snapshots taken or installed by all replicas so far. */
    public long snapshots;
    private long installedBeforeCrashes;

    /** Snapshots that replicas received from a leader and installed, over every incarnation. */
    public long snapshotsInstalled() {
        long sum = installedBeforeCrashes;
        for (SimReplica r : replicas) if (r.vr != null) sum += r.vr.stats().snapshotsInstalled;
        return sum;
    }

    public void restart(int i) {
        if (replicas[i].up) throw new IllegalStateException("replica " + i + " is up");
        replicas[i].boot(true);
    }

    /** Index of the replica that is up, NORMAL and leads the highest such view, or -1. */
    public int currentLeader() {
        int best = -1;
        for (SimReplica r : replicas) {
            if (r.up && r.vr.isActiveLeader() && (best < 0 || r.vr.view() > replicas[best].vr.view())) best = r.idx;
        }
        return best;
    }

    // ------------------------------------------------------------------ clients

    /** Adds a closed-loop client that performs {@code ops} unique puts. */
    public SimClient addClient(int ops) {
        SimClient c = new SimClient(this, n + clients.size(), rnd.nextLong(), ops);
        clients.add(c);
        return c;
    }

    public boolean clientsDone() {
        for (SimClient c : clients) if (!c.done()) return false;
        return true;
    }

    // ------------------------------------------------------------------ checks

    /**
     * Heals everything, restarts crashed replicas, lets clients finish and the cluster settle,
     * then checks: no safety violation, every client finished, every replica in the same view
     * with the same commit point and state, and every acknowledged put readable everywhere.
     */
    public void stabilizeAndCheck(long maxMicros) {
        heal();
        for (SimReplica r : replicas) r.kernel.recordsLate = false;
        for (SimReplica r : replicas) if (!r.up) r.boot(true);
        boolean finished = runUntil(this::clientsDone, maxMicros);
        long settleUntil = now + 20 * settings.viewChangeMicros();
        boolean settled = runUntil(this::settled, 20 * settings.viewChangeMicros());
        List<String> problems = new ArrayList<>(violations);
        if (!finished) problems.add("clients did not finish: " + clientSummary());
        if (!settled) problems.add("cluster did not settle by t=" + settleUntil + ": " + describe());
        if (problems.isEmpty()) {
            for (SimClient c : clients) {
                for (Map.Entry<ByteString, ByteString> put : c.acknowledged().entrySet()) {
                    for (SimReplica r : replicas) {
                        ByteString v = r.app.kv.get(put.getKey());
                        if (!put.getValue().equals(v))
                            problems.add("replica " + r.idx + " lost acknowledged put " + put.getKey().toStringUtf8() + " (has " + v + ")");
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("simulation seed " + seed + " (n=" + n + ") failed; replay with this seed:\n  "
                    + String.join("\n  ", problems.subList(0, Math.min(problems.size(), 20))));
        }
    }

    private boolean settled() {
        SimReplica first = replicas[0];
        for (SimReplica r : replicas) {
            if (!r.up || r.vr.status() != Status.NORMAL || r.vr.view() != first.vr.view()) return false;
            if (r.vr.commitNum() != r.vr.lastOp() || r.vr.commitNum() != first.vr.commitNum()) return false;
            if (!r.app.kv.digest().equals(first.app.kv.digest())) return false;
        }
        return true;
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        for (SimReplica r : replicas) {
            sb.append(String.format("[r%d up=%s %s v=%d commit=%d last=%d %s] ", r.idx, r.up, r.vr.status(), r.vr.view(),
                    r.vr.commitNum(), r.vr.lastOp(), r.vr.stats()));
        }
        return sb.toString();
    }

    private String clientSummary() {
        StringBuilder sb = new StringBuilder();
        for (SimClient c : clients) sb.append(c).append(' ');
        return sb + " | " + describe();
    }
}
