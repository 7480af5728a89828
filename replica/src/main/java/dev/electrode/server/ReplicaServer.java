package dev.electrode.server;

import com.google.protobuf.Message;
import dev.electrode.config.ClusterConfig;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.vr.*;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.Frame;
import dev.electrode.wire.MessageType;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.*;
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
    private final ScheduledFuture<?>[] timers = new ScheduledFuture<?>[VrTimer.values().length];
    private volatile boolean closed;
    private volatile StatusListener statusListener;

    /** Told of every status or view change, on the replica thread. */
    @FunctionalInterface
    public interface StatusListener {
        void statusChanged(Status status, long view, int leader);
    }

    /** Installs the listener for status and view changes (replaces any earlier one). */
    public void onStatusChange(StatusListener l) { statusListener = l; }

    private ReplicaServer(ClusterConfig config, int index, VrSettings settings, Application app, boolean recovering,
                          InetSocketAddress bindAddress, StatusListener listener) throws InterruptedException {
        this.statusListener = listener;
        if (index < 0 || index >= config.size())
            throw new IllegalArgumentException("replica index " + index + " not in the configuration (0.." + (config.size() - 1) + ")");
        this.config = config;
        this.index = index;
        for (int i = 0; i < config.size(); i++) if (i != index) others.add(config.replica(i));
        SecureRandom nonces = new SecureRandom();
        this.core = new VrReplica(config.size(), index, settings, app, new SocketOutbox(), recovering, nonces::nextLong);
        this.endpoint = UdpEndpoint.bind(bindAddress, "vr-replica-" + index, new Inbound());
        runOnLoop(() -> { core.start(); endpoint.flush(); return null; });
    }

    /**
     * Starts replica {@code index} of {@code config} on the address its configuration line gives.
     *
     * @param recovering true when restarting a replica that had already joined the cluster
     */
    public static ReplicaServer start(ClusterConfig config, int index, VrSettings settings, Application app, boolean recovering)
            throws InterruptedException {
        return new ReplicaServer(config, index, settings, app, recovering, config.replica(index), null);
    }

    /** As {@link #start}, with a listener installed before the replica starts. */
    public static ReplicaServer start(ClusterConfig config, int index, VrSettings settings, Application app, boolean recovering,
                                      StatusListener listener) throws InterruptedException {
        return new ReplicaServer(config, index, settings, app, recovering, config.replica(index), listener);
    }

    public int index() { return index; }

    public ClusterConfig config() { return config; }

    /** The socket, for its counters. */
    public UdpEndpoint endpoint() { return endpoint; }

    /** Runs {@code query} against the core on its thread and returns the result (for status and tests). */
    public <T> T query(Function<VrReplica, T> query) {
        return runOnLoop(() -> query.apply(core));
    }

    private <T> T runOnLoop(Callable<T> task) {
        try {
            return endpoint.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the replica thread", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("replica " + index + " did not answer", e);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            endpoint.eventLoop().submit(() -> {
                for (ScheduledFuture<?> t : timers) if (t != null) t.cancel(false);
            }).await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        endpoint.close();
    }

    private final class Inbound implements UdpEndpoint.Receiver {
        @Override
        public void onFrame(InetSocketAddress from, Frame frame) {
            int replica = config.indexOf(from);
            if (replica >= 0) core.onReplicaMessage(replica, frame.body());
            else core.onClientMessage(from, frame.body());
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
            endpoint.send(others, t, m, FastMeta.forMessage(t, m));
        }

        @Override
        public void toClient(Object clientAddress, Message m) {
            MessageType t = MessageType.of(m);
            endpoint.send((InetSocketAddress) clientAddress, t, m, FastMeta.forMessage(t, m));
        }

        @Override
        public void setTimer(VrTimer timer, long delayMicros) {
            cancelTimer(timer);
            if (closed) return;
            timers[timer.ordinal()] = endpoint.eventLoop().schedule(() -> {
                timers[timer.ordinal()] = null;
                core.onTimer(timer);
                endpoint.flush();
            }, delayMicros, TimeUnit.MICROSECONDS);
        }

        @Override
        public void statusChanged(Status status, long view, int leader) {
            if (statusListener != null) statusListener.statusChanged(status, view, leader);
        }

        @Override
        public void cancelTimer(VrTimer timer) {
            ScheduledFuture<?> t = timers[timer.ordinal()];
            if (t != null) {
                t.cancel(false);
                timers[timer.ordinal()] = null;
            }
        }
    }
}
