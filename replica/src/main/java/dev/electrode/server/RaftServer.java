package dev.electrode.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.electrode.app.Application;
import dev.electrode.app.ClientAddress;
import dev.electrode.config.ClusterConfig;
import dev.electrode.offload.KernelRecord;
import dev.electrode.offload.Offloads;
import dev.electrode.raft.RaftOutbox;
import dev.electrode.raft.RaftReplica;
import dev.electrode.raft.RaftRole;
import dev.electrode.raft.RaftSettings;
import dev.electrode.raft.RaftTimer;
import dev.electrode.raft.proto.AppendEntries;
import dev.electrode.raft.proto.AppendEntriesResponse;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.Frame;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.RaftOffloadProtocol;
import dev.electrode.wire.WireFormat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.*;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A Raft replica on a real UDP socket, with or without kernel offloads: the deterministic core
 * driven by one Netty event-loop thread ({@link ReplicaLoop}), which also runs its timers and
 * polls the kernel log. With a data directory its term, vote, log and snapshots survive
 * restarts ({@link RaftDurability}); without one they live in memory.
 */
public final class RaftServer implements AutoCloseable {
    private final ClusterConfig config;
    private final int index;
    private final UdpEndpoint endpoint;
    private final RaftReplica core;
    private final Offloads offloads;
    private final List<InetSocketAddress> others = new ArrayList<>();
    // Each replica's IPv4 address as the kernel records a sender (host order), to check records without allocating.
    private final int[] replicaIpv4;
    private final ReplicaErrors errors;
    private final ReplicaLoop loop;
    private volatile boolean shutDown; // close() ran
    private boolean started;
    private long kernelRecordsRejected;
    private final DurableState durable; // null: memory only
    private final StatusListener statusListener;

    /** Told of every change of role, term or known leader, on the replica thread. */
    public interface StatusListener {
        void roleChanged(RaftRole role, long term, int leader);
    }

    private RaftServer(ClusterConfig config, int index, RaftSettings settings, Application app, Offloads offloads,
                       dev.electrode.storage.DataDirectory journal, Durability durability, StatusListener listener) throws InterruptedException {
        this.statusListener = listener;
        if (index < 0 || index >= config.size())
            throw new IllegalArgumentException("replica index " + index + " not in the configuration (0.." + (config.size() - 1) + ")");
        this.config = config;
        this.index = index;
        this.offloads = offloads == null ? Offloads.NONE : offloads;
        this.errors = new ReplicaErrors(index);
        for (int i = 0; i < config.size(); i++) if (i != index) others.add(config.replica(i));
        this.replicaIpv4 = new int[config.size()];
        for (int i = 0; i < config.size(); i++) {
            byte[] ip = config.replica(i).getAddress().getAddress();
            replicaIpv4[i] = ((ip[0] & 0xff) << 24) | ((ip[1] & 0xff) << 16) | ((ip[2] & 0xff) << 8) | (ip[3] & 0xff);
        }
        ThreadLocalRandom seedSource = ThreadLocalRandom.current();
        long seed = seedSource.nextLong();
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        this.core = new RaftReplica(config.size(), index, settings, app, new SocketOutbox(), random::nextLong);
        if (journal == null && durability != Durability.MEMORY)
            throw new IllegalArgumentException("durability " + durability + " needs a journal (a data directory)");
        if (durability == Durability.SYNC && this.offloads.fastAck() && this.offloads.kernelAcks())
            throw new IllegalArgumentException("with SYNC durability the fast path must defer its acks until the entries are durable"
                    + " (attach the offloads with deferred acks)");
        this.durable = journal == null ? null : new DurableState(journal, durability, index);
        if (durable != null) restoreFromDisk();
        // No vote, response or append leaves before the term, vote and entries it rests on are durable.
        this.loop = new ReplicaLoop("raft replica " + index, RaftTimer.values().length, errors, durable, () -> RaftDurability.meta(core),
                core::snapshotIndex);
        this.endpoint = UdpEndpoint.bind(config.replica(index), "raft-replica-" + index, new Inbound());
        loop.bind(endpoint, () -> this.offloads.controlChanged(new Offloads.Control(false, core.term(), core.leader(), 0)));
        loop.call(() -> {
            core.start();
            started = true;
            loop.endTurn();
            loop.startAsyncForce();
            return null;
        });
    }

    /** Takes up what the data directory holds (if anything) and records every later log change there. */
    private void restoreFromDisk() {
        dev.electrode.storage.DataDirectory.Recovered r = durable.recovered();
        for (String note : r.notes()) System.out.println("raft replica " + index + ": " + note);
        if (durable.hasState()) {
            core.restore(RaftDurability.restored(r, config.size()));
            System.out.println("raft replica " + index + ": restored from " + durable.describe() + ": term " + core.term() + ", "
                    + (r.snapshot() == null ? "no snapshot" : "snapshot at " + r.snapshotOp()) + ", log up to " + core.lastIndex()
                    + ", committed up to " + core.commitIndex());
        }
        durable.forgetRecovered();
        core.setLogListener(RaftDurability.listener(durable));
    }

    /** Why the replica stopped on its own (its journal could not be written), or null. */
    public java.io.IOException failure() { return loop.failure(); }

    /** The journal's figures in one phrase ("none" without one). */
    public String journalStats() { return durable == null ? "none" : query(r -> durable.stats()); }

    /**
     * Starts replica {@code index} with its state in {@code journal} (restarting from what it
     * holds), made durable per {@code durability}; with SYNC and the fast-ack offload, the
     * offloads must defer their acks.
     */
    public static RaftServer start(ClusterConfig config, int index, RaftSettings settings, Application app, Offloads offloads,
                                   dev.electrode.storage.DataDirectory journal, Durability durability) throws InterruptedException {
        return new RaftServer(config, index, settings, app, offloads, journal, durability, null);
    }

    /** As above, telling {@code listener} of every role change (a process prints them for its supervisor). */
    public static RaftServer start(ClusterConfig config, int index, RaftSettings settings, Application app, Offloads offloads,
                                   dev.electrode.storage.DataDirectory journal, Durability durability, StatusListener listener)
            throws InterruptedException {
        return new RaftServer(config, index, settings, app, offloads, journal, durability, listener);
    }

    /** Starts replica {@code index} of {@code config} at its configured address; {@code offloads} may be {@link Offloads#NONE}. */
    public static RaftServer start(ClusterConfig config, int index, RaftSettings settings, Application app, Offloads offloads)
            throws InterruptedException {
        return new RaftServer(config, index, settings, app, offloads, null, Durability.MEMORY, null);
    }

    public int index() { return index; }

    /** The replica's error channel. */
    public ReplicaErrors errors() { return errors; }

    /** The socket, for its counters. */
    public UdpEndpoint endpoint() { return endpoint; }

    /** Kernel log records user space rejected (wrong sender, body disagreeing with what the kernel acknowledged). */
    public long kernelRecordsRejected() { return query(r -> kernelRecordsRejected); }

    /** Starts an election on this replica now (see {@link RaftReplica#campaign()}). */
    public void campaign() {
        loop.call(() -> {
            core.campaign();
            loop.endTurn();
            return null;
        });
    }

    /** CPU time the replica's protocol thread has used, in nanoseconds. */
    public long protocolThreadCpuNanos() {
        return query(r -> java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
    }

    /** The core's, the socket's, the decoder's and the journal's counters in one line. */
    public String countersLine() {
        String core = query(r -> r.stats().toString() + " role=" + r.role() + " term=" + r.term() + " commit=" + r.commitIndex()
                + " lastIndex=" + r.lastIndex() + " snapshotIndex=" + r.snapshotIndex() + " kernelRecordsRejected=" + kernelRecordsRejected);
        return core + " datagrams=" + endpoint.stats().datagramsReceived + " decodeRejected=" + endpoint.codecStats().errorCounts()
                + " errors=" + errors.counts() + (durable == null ? "" : query(r -> durable.counters()));
    }

    /** Runs {@code query} against the core on its thread and returns the result. */
    public <T> T query(Function<RaftReplica, T> query) { return loop.call(() -> query.apply(core)); }

    /** Applies the AppendEntries the kernel acknowledged, in ring order. */
    private void drainKernelLog() {
        if (!offloads.fastAck()) return;
        boolean userAcks = !offloads.kernelAcks();
        drainKernelLog(a -> core.onFastAckedAppend(a, userAcks));
    }

    /**
     * Hands every authentic record of the kernel log to {@code sink}, in ring order, once the
     * poll is over (the core may fence the kernel, which polls again); the core ignores those
     * of a term or leader it no longer follows (a stopped incarnation's, say). A record that
     * fails the check is reported, and the core told what the kernel acknowledged with it.
     */
    private void drainKernelLog(Consumer<AppendEntries> sink) {
        List<Object> records = new ArrayList<>(); // AppendEntries, or the long[] {term, last index} of an unusable one
        offloads.poll(rec -> {
            AppendEntries a = check(rec);
            if (a == null) {
                kernelRecordsRejected++;
                errors.report(ReplicaErrors.Kind.KERNEL_RECORD_UNUSABLE, "the kernel acknowledged AppendEntries term " + rec.epoch()
                        + " indexes " + rec.firstIndex() + ".." + rec.lastIndex() + " that user space cannot use", null);
                records.add(new long[] {rec.epoch(), rec.lastIndex()});
                return;
            }
            records.add(a);
        });
        for (Object r : records) {
            if (r instanceof AppendEntries a) sink.accept(a);
            else core.kernelAckUnusable(((long[]) r)[0], ((long[]) r)[1]);
        }
    }

    /**
     * The AppendEntries in {@code rec} if it says what the kernel acknowledged and came from the
     * address of the leader it names, else null.
     */
    private AppendEntries check(KernelRecord rec) {
        AppendEntries a;
        try {
            a = AppendEntries.parseFrom(rec.body());
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
        int leader = a.getLeader();
        if (leader < 0 || leader >= config.size() || leader == index) return null;
        if (rec.senderIpv4() != replicaIpv4[leader] || rec.senderPort() != config.replica(leader).getPort()) return null;
        boolean agrees = a.getTerm() == rec.epoch() && a.getPrevLogIndex() + 1 == rec.firstIndex()
                && a.getPrevLogIndex() + a.getEntriesCount() == rec.lastIndex();
        return agrees ? a : null;
    }

    /** The periodic poll runs while the kernel may fast-ack for this replica: while it follows. */
    private void updateDrainTimer() {
        if (offloads.fastAck()) loop.drainPeriodically(core.role() != RaftRole.LEADER, !offloads.kernelAcks(), this::drainKernelLog);
    }

    @Override
    public void close() {
        if (shutDown) return;
        shutDown = true;
        loop.close();
    }

    private final class Inbound implements UdpEndpoint.Receiver {
        @Override
        public void onHandlerError(Throwable cause) {
            errors.report(ReplicaErrors.Kind.HANDLER_EXCEPTION, "handling a datagram threw", cause);
        }

        @Override
        public void onReadComplete() {
            if (started) loop.endTurn();
        }

        @Override
        public void onFrame(InetSocketAddress from, Frame frame) {
            if (!started) return; // peers send again
            drainKernelLog(); // what the kernel acknowledged comes before what the socket delivers
            int replica = config.indexOf(from);
            if (replica < 0) {
                core.onClientMessage(new UdpClient(from), frame.body());
            } else if (frame.body() instanceof AppendEntriesResponse r && (ackSenderWord(frame) & WireFormat.QUORUM_FLAG) != 0
                    && offloads.quorumPrune()) {
                core.onAckSet(replica, r, ackSenderWord(frame) & ~WireFormat.QUORUM_FLAG);
            } else {
                core.onReplicaMessage(replica, frame.body());
            }
        }
    }

    /** The ack's sender word, which the leader's XDP rewrites to the quorum flag and the ack set. */
    private static int ackSenderWord(Frame frame) { return frame.meta().word(RaftOffloadProtocol.ACK_SLOTS.third()); }

    private final class SocketOutbox implements RaftOutbox {
        @Override
        public void toReplica(int idx, Message m) {
            MessageType t = MessageType.of(m);
            endpoint.send(config.replica(idx), t, m, FastMeta.forMessage(t, m));
        }

        @Override
        public void toAllReplicas(Message m, int n, int me) {
            MessageType t = MessageType.of(m);
            if (offloads.broadcast() && t == MessageType.APPEND_ENTRIES && !others.isEmpty()) {
                // One datagram with the broadcast bit, to the first other replica; TC egress clones it.
                endpoint.send(others.get(0), t, m, FastMeta.forMessage(t, m).withBroadcastBit(RaftOffloadProtocol.APPEND_SLOTS.epoch()));
                return;
            }
            endpoint.send(others, t, m, FastMeta.forMessage(t, m));
        }

        @Override
        public void toClient(ClientAddress client, Message m) {
            MessageType t = MessageType.of(m);
            endpoint.send(((UdpClient) client).address(), t, m, FastMeta.forMessage(t, m));
        }

        @Override
        public void setTimer(RaftTimer timer, long delayMicros) {
            loop.setTimer(timer.ordinal(), timer.name(), delayMicros, () -> {
                drainKernelLog();
                core.onTimer(timer);
            });
        }

        @Override
        public void roleChanged(RaftRole role, long term, int leader) {
            if (statusListener != null) statusListener.roleChanged(role, term, leader);
        }

        @Override
        public void controlChanged(boolean normal, long term, int leader, long verifiedIndex) {
            offloads.controlChanged(new Offloads.Control(normal, term, leader, verifiedIndex));
            if (offloads.fastAck()) endpoint.eventLoop().execute(RaftServer.this::updateDrainTimer);
        }

        @Override
        public List<AppendEntries> stopFastAcks() {
            if (!offloads.fastAck()) return List.of();
            offloads.awaitQuiescent();
            List<AppendEntries> acked = new ArrayList<>();
            drainKernelLog(acked::add); // what it acknowledged for the leader it followed (the core checks which)
            return acked;
        }

        @Override
        public void verifiedAdvanced(long verifiedIndex) { offloads.logAdvanced(verifiedIndex); }

        @Override
        public boolean fastAcksArePromises() { return offloads.kernelAcks(); }
    }
}
