package dev.electrode.client;

import com.google.protobuf.ByteString;
import dev.electrode.config.ClusterConfig;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.Frame;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.*;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Client of a VR or Raft cluster over one UDP socket, shared by any number of logical clients
 * ({@link Session}s, each with its own client id and at most one request in flight). It
 * follows the leader (the replica that answered), retransmits with exponential backoff to
 * every replica, and fails a request with {@link RequestTimeoutException} at its deadline.
 * Futures complete on the client's event-loop thread.
 */
public final class VrClient implements AutoCloseable {
    private final ClusterConfig config;
    private final ClientOptions options;
    private final EventLoopGroup group;
    private final UdpEndpoint endpoint;
    private final EventLoop loop;
    private final SecureRandom random = new SecureRandom();

    // Event-loop state. Request ids come from one counter, so a reply's clientreqid names its request.
    private final Map<Long, Pending> pendingByRequestId = new HashMap<>();
    private long nextRequestId = 1;
    private int presumedLeader;

    private VrClient(ClusterConfig config, ClientOptions options, InetSocketAddress bind) throws InterruptedException {
        this.config = config;
        this.options = options;
        this.group = UdpEndpoint.newEventLoop("vr-client");
        this.endpoint = UdpEndpoint.bind(group, false, bind, new Inbound());
        this.loop = endpoint.eventLoop();
    }

    /** A client bound to an ephemeral port on all local addresses. */
    public static VrClient connect(ClusterConfig config, ClientOptions options) throws InterruptedException {
        return new VrClient(config, options, new InetSocketAddress(0));
    }

    /** A client bound to {@code bind} (port 0 for an ephemeral one). */
    public static VrClient connect(ClusterConfig config, ClientOptions options, InetSocketAddress bind) throws InterruptedException {
        return new VrClient(config, options, bind);
    }

    /** A new logical client with a random 64-bit client id. */
    public Session newSession() {
        return new Session(random.nextLong());
    }

    /** The local socket address. */
    public InetSocketAddress localAddress() { return endpoint.localAddress(); }

    /** Index of the replica this client currently believes leads. */
    public int presumedLeader() { return presumedLeader; }

    /**
     * Sends a read-only operation outside the log to one replica; the answer may be stale.
     * Uses a socket of its own, since unlogged replies carry no request id.
     */
    public CompletableFuture<ByteString> invokeUnlogged(int replica, ByteString op) {
        CompletableFuture<ByteString> result = new CompletableFuture<>();
        InetSocketAddress target = config.replica(replica);
        UdpEndpoint[] holder = new UdpEndpoint[1];
        try {
            holder[0] = UdpEndpoint.bind(group, false, new InetSocketAddress(0), (from, frame) -> {
                if (from.equals(target) && frame.body() instanceof UnloggedReplyMessage r) result.complete(r.getReply());
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.completeExceptionally(e);
            return result;
        }
        UdpEndpoint ep = holder[0];
        long id = random.nextLong();
        UnloggedRequestMessage m = UnloggedRequestMessage.newBuilder()
                .setReq(UnloggedRequest.newBuilder().setOp(op).setClientid(id).setClientreqid(1)).build();
        long deadline = System.nanoTime() + options.deadline().toNanos();
        Runnable[] attempt = new Runnable[1];
        long[] wait = {options.firstRetry().toNanos()};
        attempt[0] = () -> {
            if (result.isDone()) return;
            if (System.nanoTime() >= deadline) {
                result.completeExceptionally(new RequestTimeoutException("unlogged request to replica " + replica + " (" + target
                        + ") got no reply within " + options.deadline().toMillis() + " ms"));
                return;
            }
            ep.send(target, MessageType.UNLOGGED_REQUEST, m, FastMeta.ZERO);
            ep.flush();
            ep.eventLoop().schedule(attempt[0], wait[0], TimeUnit.NANOSECONDS);
            wait[0] = Math.min(wait[0] * 2, options.maxRetry().toNanos());
        };
        ep.eventLoop().execute(attempt[0]);
        result.whenComplete((v, e) -> ep.closeAsync());
        return result;
    }

    /** Runs {@code task} on the client's event-loop thread and waits for it (e.g. to pin that thread to CPUs). */
    public void runOnEventLoop(Runnable task) throws InterruptedException {
        try {
            loop.submit(task).get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("task on the client event loop failed: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("client event loop did not run the task within 5 s", e);
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    /** Fails every pending request and closes the socket; a second call does nothing. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) return;
        try {
            loop.submit(() -> {
                for (Pending p : pendingByRequestId.values()) {
                    if (p.retry != null) p.retry.cancel(false);
                    p.future.completeExceptionally(new IllegalStateException("client closed"));
                }
                pendingByRequestId.clear();
            }).await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        endpoint.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** One logical client: requests are executed at most once, in the order invoked. */
    public final class Session {
        private final long clientId;
        private final ArrayDeque<Pending> queue = new ArrayDeque<>();
        private Pending current;

        private Session(long clientId) { this.clientId = clientId; }

        public long clientId() { return clientId; }

        /** Submits {@code op}; the future completes with the reply, or with RequestTimeoutException. */
        public CompletableFuture<ByteString> invoke(ByteString op) {
            Pending p = new Pending(this, op);
            loop.execute(() -> {
                queue.add(p);
                if (current == null) startNext();
            });
            return p.future;
        }

        /** Submits {@code op} and waits for its reply. */
        public ByteString invokeSync(ByteString op) throws RequestTimeoutException, InterruptedException {
            try {
                return invoke(op).get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RequestTimeoutException t) throw t;
                throw new IllegalStateException("request failed", e.getCause());
            }
        }

        private void startNext() {
            current = queue.poll();
            if (current == null) return;
            current.requestId = nextRequestId++;
            current.startNanos = System.nanoTime();
            current.retryNanos = options.firstRetry().toNanos();
            pendingByRequestId.put(current.requestId, current);
            transmit(current, options.sendToAll());
        }
    }

    private static final class Pending {
        final Session session;
        final ByteString op;
        final CompletableFuture<ByteString> future = new CompletableFuture<>();
        long requestId;
        long startNanos;
        long retryNanos;
        int attempts;
        ScheduledFuture<?> retry;

        Pending(Session session, ByteString op) {
            this.session = session;
            this.op = op;
        }
    }

    private void transmit(Pending p, boolean toAll) {
        p.attempts++;
        RequestMessage m = RequestMessage.newBuilder().setReq(Request.newBuilder()
                .setOp(p.op).setClientid(p.session.clientId).setClientreqid(p.requestId)).build();
        if (toAll) endpoint.send(config.replicas(), MessageType.REQUEST, m, FastMeta.ZERO);
        else endpoint.send(config.replica(presumedLeader), MessageType.REQUEST, m, FastMeta.ZERO);
        endpoint.flush();
        p.retry = loop.schedule(() -> onRetryTimer(p), p.retryNanos, TimeUnit.NANOSECONDS);
    }

    private void onRetryTimer(Pending p) {
        if (pendingByRequestId.get(p.requestId) != p) return;
        long elapsed = System.nanoTime() - p.startNanos;
        if (elapsed >= options.deadline().toNanos()) {
            pendingByRequestId.remove(p.requestId);
            p.future.completeExceptionally(new RequestTimeoutException(String.format(
                    "request %d of client %016x got no reply after %d attempts in %d ms (presumed leader: replica %d at %s)",
                    p.requestId, p.session.clientId, p.attempts, elapsed / 1_000_000, presumedLeader, config.replica(presumedLeader))));
            p.session.startNext();
            return;
        }
        p.retryNanos = Math.min(p.retryNanos * 2, options.maxRetry().toNanos());
        transmit(p, true); // the leader may have changed: ask everyone
    }

    private final class Inbound implements UdpEndpoint.Receiver {
        @Override
        public void onFrame(InetSocketAddress from, Frame frame) {
            if (!(frame.body() instanceof ReplyMessage r)) return;
            Pending p = pendingByRequestId.remove(r.getClientreqid());
            if (p == null) return; // a duplicate or late reply
            if (p.retry != null) p.retry.cancel(false);
            // The replica that answered leads (a VR leader is also view mod n; a Raft leader is whoever won its term).
            int sender = config.indexOf(from);
            presumedLeader = sender >= 0 ? sender : (int) (r.getView() % config.size());
            p.session.startNext();
            p.future.complete(r.getReply());
        }
    }
}
