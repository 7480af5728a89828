package dev.electrode.server;

import com.google.protobuf.Message;
import dev.electrode.config.ClusterConfig;
import dev.electrode.offload.Offloads;
import dev.electrode.storage.DataDirectory;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.vr.*;
import dev.electrode.app.Application;
import dev.electrode.app.ClientAddress;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.Frame;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.WireFormat;
import dev.electrode.wire.proto.PrepareMessage;
import dev.electrode.wire.proto.PrepareOKMessage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.*;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A VR replica on a real UDP socket: the deterministic core driven by one Netty event-loop
 * thread, which also runs its timers. Every call into the core happens on that thread.
 */
public final class ReplicaServer implements AutoCloseable {
    private final ClusterConfig config;
    private final int index;
    private final UdpEndpoint endpoint;
    private final VrReplica core;
    private final List<InetSocketAddress> others = new ArrayList<>();
    private final ReplicaLoop loop;
    private volatile boolean shutDown; // close() ran
    private volatile StatusListener statusListener;
    private final Offloads offloads; // Offloads.NONE: plain UDP
    private final int batchSize;
    private long fastPreparesDrained;
    // True once the ring was drained while this replica led in NORMAL status: the kernel does not
    // fast-ack on the leader, so until the next status change the ring stays empty and the leader
    // skips it on its hot path.
    private boolean drainedAsLeader;
    private final KernelPrepareCheck kernelCheck;
    private final ReplicaErrors errors;
    private boolean started;        // replica thread: the core has started; datagrams before that are dropped
    private long framesBeforeStart; // replica thread
    /** Told of every status or view change, on the replica thread. */
    @FunctionalInterface
    public interface StatusListener {
        void statusChanged(Status status, long view, int leader);
    }

    /** Installs the listener for status and view changes (replaces any earlier one). */
    public void onStatusChange(StatusListener l) { statusListener = l; }

    /**
     * What a replica runs with besides its configuration: a status listener, kernel offloads
     * (null or {@link Offloads#NONE}: plain UDP), and its journal with the durability mode (null
     * journal: memory only).
     */
    public record Options(StatusListener listener, Offloads offloads, DataDirectory journal, Durability durability) {
        /** No listener, no offloads, nothing on disk. */
        public static final Options NONE = new Options(null, Offloads.NONE, null, Durability.MEMORY);

        public Options {
            if (offloads == null) offloads = Offloads.NONE;
            if (journal == null && durability != Durability.MEMORY)
                throw new IllegalArgumentException("durability " + durability + " needs a journal (a data directory)");
        }
    }

    /** How often ASYNC durability forces the journal: the window of loss if the machine crashes. */
    public static final long ASYNC_FORCE_MILLIS = 50;

    private final DurableState durable; // null: memory only

    /**
     * System property: "false" lets a leader with offloads batch beyond one fast-path frame, as
     * before batches were fitted (for A/B runs of the benchmark suite).
     */
    public static final String FIT_PREPARES_PROPERTY = "electrode.vr.fitPreparesToFrame";

    /** System property: overrides the settings' commit period, microseconds (for A/B runs of the benchmark suite). */
    public static final String COMMIT_PERIOD_PROPERTY = "electrode.vr.commitPeriodMicros";

    private ReplicaServer(ClusterConfig config, int index, VrSettings settings, Application app, boolean recovering,
                          InetSocketAddress bindAddress, Options options) throws InterruptedException {
        StatusListener listener = options.listener();
        Offloads offloads = options.offloads();
        this.durable = options.journal() == null ? null : new DurableState(options.journal(), options.durability(), index);
        this.statusListener = listener;
        this.offloads = offloads;
        this.batchSize = settings.batchSize();
        if (index < 0 || index >= config.size())
            throw new IllegalArgumentException("replica index " + index + " not in the configuration (0.." + (config.size() - 1) + ")");
        this.config = config;
        this.index = index;
        this.kernelCheck = new KernelPrepareCheck(config);
        this.errors = new ReplicaErrors(index);
        for (int i = 0; i < config.size(); i++) if (i != index) others.add(config.replica(i));
        SecureRandom nonces = new SecureRandom();
        boolean restored = durable != null && durable.hasState();
        if (restored && recovering)
            System.out.println("replica " + index + ": its data directory holds its state: it restarts from there (--recover is for a lost disk)");
        // Batched Prepares that fit one frame of the fast path: a fragmented one would only take the slow path.
        VrSettings fitted = Boolean.parseBoolean(System.getProperty(FIT_PREPARES_PROPERTY, "true"))
                ? settings.withMaxPrepareBytes(Math.min(settings.maxPrepareBytes(), offloads.appendBodyLimit())) : settings;
        String commitPeriod = System.getProperty(COMMIT_PERIOD_PROPERTY);
        if (commitPeriod != null) fitted = withCommitPeriodProperty(fitted, commitPeriod);
        this.core = new VrReplica(config.size(), index, fitted, app, new SocketOutbox(), recovering && !restored, nonces::nextLong);
        if (durable != null) durable.attach(core, restored);
        this.loop = new ReplicaLoop("replica " + index, VrTimer.values().length, errors, durable, () -> DurableState.metaOf(core),
                () -> core.log().base());
        this.endpoint = UdpEndpoint.bind(bindAddress, "vr-replica-" + index, new Inbound());
        loop.bind(endpoint, () -> offloads.controlChanged(stopped()));
        loop.call(() -> {
            offloads.controlChanged(control());
            core.start();
            started = true;
            loop.endTurn();
            updateDrainTimer();
            loop.startAsyncForce();
            return null;
        });
    }

    /** The core's control state as the offloads see it. */
    private Offloads.Control control() {
        return new Offloads.Control(core.status() == Status.NORMAL, core.view(), core.leaderOf(core.view()), core.lastOp());
    }

    /** A stopped replica's control state: it must not go on acknowledging in the kernel. */
    private Offloads.Control stopped() {
        return new Offloads.Control(false, core.view(), core.leaderOf(core.view()), core.lastOp());
    }

    /** Why the replica stopped on its own (its journal could not be written), or null. */
    public IOException failure() { return loop.failure(); }

    /**
     * The periodic ring drain runs while the kernel may fast-ack for this replica, i.e. while it
     * is not the active leader; the leader would only wake up to find the ring empty.
     */
    private void updateDrainTimer() {
        if (offloads.fastAck()) loop.drainPeriodically(!core.isActiveLeader(), !offloads.kernelAcks(), this::drainKernelLog);
    }

    /**
     * Starts replica {@code index} of {@code config} on the address its configuration line gives.
     *
     * @param recovering true when restarting a replica that had already joined the cluster
     */
    public static ReplicaServer start(ClusterConfig config, int index, VrSettings settings, Application app, boolean recovering)
            throws InterruptedException {
        return new ReplicaServer(config, index, settings, app, recovering, config.replica(index), Options.NONE);
    }

    /** As {@link #start}, with kernel offloads (already attached for this replica) driven by the replica. */
    public static ReplicaServer start(ClusterConfig config, int index, VrSettings settings, Application app, boolean recovering,
                                      StatusListener listener, Offloads offloads) throws InterruptedException {
        return new ReplicaServer(config, index, settings, app, recovering, config.replica(index),
                new Options(listener, offloads, null, Durability.MEMORY));
    }

    /** As {@link #start}, with everything {@code options} gives. */
    public static ReplicaServer start(ClusterConfig config, int index, VrSettings settings, Application app, boolean recovering,
                                      Options options) throws InterruptedException {
        return new ReplicaServer(config, index, settings, app, recovering, config.replica(index), options);
    }

    /** As {@link #start}, with a listener installed before the replica starts. */
    public static ReplicaServer start(ClusterConfig config, int index, VrSettings settings, Application app, boolean recovering,
                                      StatusListener listener) throws InterruptedException {
        return new ReplicaServer(config, index, settings, app, recovering, config.replica(index),
                new Options(listener, Offloads.NONE, null, Durability.MEMORY));
    }

    public int index() { return index; }

    /** CPU time the replica's protocol thread (its event loop) has used, in nanoseconds. */
    public long protocolThreadCpuNanos() {
        return query(r -> java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
    }

    /** Fast-acknowledged Prepares taken from the kernel log so far (read on the replica thread). */
    public long fastPreparesDrained() { return query(r -> fastPreparesDrained); }

    /** Applies the Prepares the kernel acknowledged, in the order the ring holds them. */
    private void drainKernelLog() {
        if (!offloads.fastAck() || drainedAsLeader) return;
        boolean leading = core.isActiveLeader();
        boolean userAcks = !offloads.kernelAcks();
        long unusableView = drainKernelLog(p -> core.onFastAckedPrepare(p, userAcks));
        if (unusableView >= 0) core.onKernelAckUnusable(unusableView);
        // The kernel learnt of the leadership before this drain (statusChanged writes it at once), so
        // nothing newer can appear; a record racing that write would be of the old view, which a new
        // leader ignores anyway.
        if (leading && core.isActiveLeader()) drainedAsLeader = true;
    }

    /**
     * Checks every record of the kernel log, in ring order, and hands each usable one to
     * {@code sink}. Returns the kernel's view of the first record that cannot be used, or -1:
     * an acknowledgement the replica cannot back, reported loudly.
     */
    private long drainKernelLog(Consumer<PrepareMessage> sink) {
        long[] unusableView = {-1};
        offloads.poll(rec -> {
            PrepareMessage p = kernelCheck.check(rec, core.leaderOf(rec.epoch()));
            if (p == null) {
                errors.report(ReplicaErrors.Kind.KERNEL_RECORD_UNUSABLE, "the kernel acknowledged Prepare view " + rec.epoch() + " ops "
                        + rec.firstIndex() + ".." + rec.lastIndex() + " that user space cannot use (" + kernelCheck.lastRejection()
                        + "); the replica stops acknowledging and rejoins through recovery", null);
                if (unusableView[0] < 0) unusableView[0] = rec.epoch();
                return;
            }
            fastPreparesDrained++;
            sink.accept(p);
        });
        return unusableView[0];
    }

    /** Bytes held for partly reassembled messages. */
    public long reassemblyBytesHeld() { return loop.call(endpoint::reassemblyBytesHeld); }

    /**
     * Every counter of the replica in one line, for logs and stats lines: protocol counters,
     * view and commit point, datagrams decoded and rejected by reason, kernel acknowledgements
     * user space rejected by reason, and the error channel's counts. Safe from any thread.
     */
    public String countersLine() {
        String core = query(r -> r.stats().toString() + " status=" + r.status() + " view=" + r.view() + " commit=" + r.commitNum()
                + " lastOp=" + r.lastOp() + " framesBeforeStart=" + framesBeforeStart);
        return core + " datagrams=" + endpoint.stats().datagramsReceived + " decodeRejected=" + endpoint.codecStats().errorCounts()
                + " kernelAckRejected=" + kernelCheck.rejections() + " errors=" + errors.counts()
                + (durable == null ? "" : query(r -> durable.counters()));
    }

    /** Forces of the journal so far (0 without one). */
    public long journalForces() { return durable == null ? 0 : query(r -> durable.forces()); }

    /** The journal's figures in one phrase ("none" without one). */
    public String journalStats() {
        return durable == null ? "none" : query(r -> durable.stats());
    }

    /** Kernel-acknowledged Prepares user space rejected, by reason. */
    public Map<KernelPrepareCheck.Rejection, Long> kernelAckRejections() { return kernelCheck.rejections(); }

    public ClusterConfig config() { return config; }

    /** The socket, for its counters. */
    public UdpEndpoint endpoint() { return endpoint; }

    /** Runs {@code query} against the core on its thread and returns the result (for status and tests). */
    public <T> T query(Function<VrReplica, T> query) {
        return loop.call(() -> query.apply(core));
    }

    @Override
    public void close() {
        if (shutDown) return;
        shutDown = true;
        loop.close();
    }

    /** The replica's error channel: everything unexpected it survived or stopped on. */
    public ReplicaErrors errors() { return errors; }

    private final class Inbound implements UdpEndpoint.Receiver {
        @Override
        public void onHandlerError(Throwable cause) {
            errors.report(ReplicaErrors.Kind.HANDLER_EXCEPTION, "handling a datagram threw", cause);
        }

        @Override
        public void onReadComplete() {
            if (started) loop.endTurn(); // before the endpoint flushes what this batch of datagrams queued
        }

        @Override
        public void onFrame(InetSocketAddress from, Frame frame) {
            if (!started) {
                // The socket receives before the core has started (peers already talk to a restarted
                // replica): such datagrams are dropped, and peers send them again.
                framesBeforeStart++;
                return;
            }
            drainKernelLog(); // what the kernel acknowledged comes before what the socket delivers
            int replica = config.indexOf(from);
            if (replica < 0) {
                core.onClientMessage(new UdpClient(from), frame.body());
            } else if (frame.body() instanceof PrepareOKMessage ok && quorumSet(frame.meta().c())) {
                core.onAckSet(replica, ok, frame.meta().c() & ~WireFormat.QUORUM_FLAG);
            } else {
                core.onReplicaMessage(replica, frame.body());
            }
        }

        /** A follower's kernel-built MyPrepareOK, straight to the core as its fields: nothing allocated. */
        @Override
        public void onKernelAck(InetSocketAddress from, MessageType type, long view, long opnum, int sender, int metaA, int metaB, int metaC) {
            int replica = config.indexOf(from);
            if (!started || replica < 0 || type != MessageType.MY_PREPARE_OK) { // the rare cases take the frame's path
                UdpEndpoint.Receiver.super.onKernelAck(from, type, view, opnum, sender, metaA, metaB, metaC);
                return;
            }
            drainKernelLog();
            if (quorumSet(metaC)) core.onAckSet(replica, view, opnum, sender, metaC & ~WireFormat.QUORUM_FLAG);
            else core.onPrepareOk(replica, view, opnum, sender);
        }

        /** True if an acknowledgement's meta word c is the set of acknowledgers the quorum-pruning offload counted. */
        private boolean quorumSet(int metaC) {
            return (metaC & WireFormat.QUORUM_FLAG) != 0 && offloads.quorumPrune();
        }
    }

    private final class SocketOutbox implements Outbox {
        @Override
        public void toReplica(int idx, Message m) {
            MessageType t = MessageType.of(m);
            endpoint.send(config.replica(idx), t, m, FastMeta.forMessage(t, m));
        }

        @Override
        public void toAllReplicas(Message m) {
            MessageType t = MessageType.of(m);
            if (offloads.broadcast() && !others.isEmpty()
                    && (t == MessageType.PREPARE || t == MessageType.COMMIT)) {
                // One datagram with the broadcast bit, to the first other replica; TC egress clones it.
                FastMeta meta = t == MessageType.COMMIT ? FastMeta.BROADCAST_ONLY : FastMeta.forMessage(t, m).withBroadcastBit();
                endpoint.send(others.get(0), t, m, meta);
                return;
            }
            endpoint.send(others, t, m, FastMeta.forMessage(t, m));
        }

        @Override
        public void toClient(ClientAddress clientAddress, Message m) {
            MessageType t = MessageType.of(m);
            endpoint.send(((UdpClient) clientAddress).address(), t, m, FastMeta.forMessage(t, m));
        }

        @Override
        public void setTimer(VrTimer timer, long delayMicros) {
            loop.setTimer(timer.ordinal(), timer.name(), delayMicros, () -> {
                drainKernelLog();
                core.onTimer(timer);
            });
        }

        @Override
        public void statusChanged(Status status, long view, int leader) {
            // Only the kernel state here (this runs inside the core): it stops new fast acks; what the
            // kernel acknowledged before reaches the core through stopFastAcks (leaving NORMAL) or
            // the drain before its next input.
            offloads.controlChanged(new Offloads.Control(status == Status.NORMAL, view, leader, core.lastOp()));
            drainedAsLeader = false;
            // The core is mid-transition here; decide on the timer once it has finished.
            if (offloads.fastAck()) endpoint.eventLoop().execute(ReplicaServer.this::updateDrainTimer);
            if (statusListener != null) statusListener.statusChanged(status, view, leader);
        }

        @Override
        public KernelAcks stopFastAcks() {
            if (!offloads.fastAck()) return KernelAcks.NONE;
            // statusChanged already told the kernel; wait out XDP runs that read the old state
            // (one RCU grace period, a few ms), after which the ring holds all they acknowledged.
            offloads.awaitQuiescent();
            List<PrepareMessage> acked = new ArrayList<>();
            long unusableView = drainKernelLog(acked::add);
            return new KernelAcks(acked, unusableView >= 0);
        }

        @Override
        public void logAdvanced(long lastOp) {
            offloads.logAdvanced(lastOp);
        }

        @Override
        public void snapshotTaken(long opnum, com.google.protobuf.ByteString bytes) {
            if (durable != null) durable.snapshotTaken(opnum, bytes);
        }

        @Override
        public void cancelTimer(VrTimer timer) { loop.cancelTimer(timer.ordinal()); }
    }

    /** {@code settings} with the commit period {@link #COMMIT_PERIOD_PROPERTY} gives, or an error that names the property. */
    static VrSettings withCommitPeriodProperty(VrSettings settings, String value) {
        try {
            return settings.withCommitPeriod(Long.parseLong(value.trim()));
        } catch (IllegalArgumentException e) { // NumberFormatException included
            throw new IllegalArgumentException("-D" + COMMIT_PERIOD_PROPERTY + "=" + value + ": " + (e instanceof NumberFormatException
                    ? "not a number of microseconds" : e.getMessage()), e);
        }
    }
}
