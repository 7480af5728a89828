package dev.electrode.transport;

import com.google.protobuf.Message;
import dev.electrode.wire.*;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.*;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One UDP socket speaking the wire format, served by one Netty event-loop thread (epoll
 * when available, NIO otherwise). Received datagrams are decoded and handed to a
 * {@link Receiver} on that thread; sends are queued and go out together on {@link #flush()}
 * (sendmmsg with epoll). The socket is created by {@link #bind} on the calling thread, so a
 * caller switched into a network namespace binds it there.
 */
public final class UdpEndpoint implements AutoCloseable {
    /** Largest datagram this project sends: a full fragment. */
    public static final int MAX_DATAGRAM = WireFormat.FRAG_HEADER_LEN + WireFormat.MAX_UNFRAGMENTED;
    private static final int DATAGRAMS_PER_READ = 32;

    /** Receives decoded frames on the endpoint's event-loop thread. */
    public interface Receiver {
        void onFrame(InetSocketAddress from, Frame frame);

        /**
         * A kernel-built acknowledgement, given by its fields (see {@link KernelAckSink}): a
         * receiver that takes it so allocates nothing for it; by default it arrives as a frame.
         */
        default void onKernelAck(InetSocketAddress from, MessageType type, long epoch, long index, int sender, int metaA, int metaB, int metaC) {
            onFrame(from, FrameDecoder.kernelAckFrame(type, epoch, index, sender, metaA, metaB, metaC));
        }

        /** Called after each batch of reads: a good moment to flush replies. */
        default void onReadComplete() {}

        /** Handling a datagram threw {@code cause} (not an ICMP error): the datagram is lost, the socket goes on. */
        default void onHandlerError(Throwable cause) {}
    }

    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final FrameDecoder decoder;
    private final TransportStats stats = new TransportStats();
    private volatile Channel channel;
    private boolean dirty;
    private long nextFragmentedMessageId = 1;

    private UdpEndpoint(EventLoopGroup group, boolean ownsGroup, CodecStats codecStats) {
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.decoder = new FrameDecoder(codecStats, Reassembler.Limits.DEFAULT);
    }

    /** System property that forces the NIO transport even where epoll works (for tests and comparisons). */
    public static final String FORCE_NIO_PROPERTY = "electrode.transport.nio";

    /** True if new endpoints use the epoll native transport. */
    public static boolean epollAvailable() { return Epoll.isAvailable() && !Boolean.getBoolean(FORCE_NIO_PROPERTY); }

    /**
     * System property: "true" makes epoll event loops spin on epoll_wait instead of sleeping in it
     * (Netty's busy-wait select strategy): no wake-up per datagram, at the price of a whole CPU.
     */
    public static final String BUSY_WAIT_PROPERTY = "electrode.transport.busyWait";

    /**
     * System property: "true" builds every kernel-built acknowledgement into a frame (as before the
     * receivers took them by their fields), for A/B runs.
     */
    public static final String KERNEL_ACKS_AS_FRAMES_PROPERTY = "electrode.transport.kernelAcksAsFrames";
    private static final boolean KERNEL_ACKS_AS_FRAMES = Boolean.getBoolean(KERNEL_ACKS_AS_FRAMES_PROPERTY);

    /** System property: microseconds of SO_BUSY_POLL on every socket (0, the default: off). */
    public static final String BUSY_POLL_PROPERTY = "electrode.transport.busyPollMicros";

    /** A new single-thread event loop of the best available kind, named {@code name}. */
    public static EventLoopGroup newEventLoop(String name) {
        var threads = new io.netty.util.concurrent.DefaultThreadFactory(name, true);
        if (!epollAvailable()) return new MultiThreadIoEventLoopGroup(1, threads, NioIoHandler.newFactory());
        return Boolean.getBoolean(BUSY_WAIT_PROPERTY)
                ? new MultiThreadIoEventLoopGroup(1, threads, EpollIoHandler.newFactory(0, () -> (supplier, hasTasks) -> SelectStrategy.BUSY_WAIT))
                : new MultiThreadIoEventLoopGroup(1, threads, EpollIoHandler.newFactory());
    }

    /**
     * Binds a socket at {@code local} on a new event loop of its own. {@code receiver} is
     * called on that loop's thread.
     */
    public static UdpEndpoint bind(InetSocketAddress local, String threadName, Receiver receiver) throws InterruptedException {
        return bind(newEventLoop(threadName), true, local, receiver);
    }

    /** Binds a socket at {@code local} on an existing event loop (closed by its owner). */
    public static UdpEndpoint bind(EventLoopGroup group, boolean ownsGroup, InetSocketAddress local, Receiver receiver)
            throws InterruptedException {
        UdpEndpoint ep = new UdpEndpoint(group, ownsGroup, new CodecStats());
        Bootstrap b = new Bootstrap().group(group)
                .option(ChannelOption.SO_RCVBUF, 8 << 20)
                .option(ChannelOption.SO_SNDBUF, 8 << 20)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(ep.new InboundHandler(receiver));
                    }
                });
        if (epollAvailable()) { // the same choice as newEventLoop; set the NIO property before creating loops
            int busyPoll = Integer.getInteger(BUSY_POLL_PROPERTY, 0);
            if (busyPoll > 0) b.option(EpollChannelOption.SO_BUSY_POLL, busyPoll);
            b.channel(EpollDatagramChannel.class)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM * DATAGRAMS_PER_READ));
        } else {
            b.channel(NioDatagramChannel.class)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM));
        }
        ChannelFuture f = b.bind(local).sync();
        if (!f.isSuccess()) {
            if (ownsGroup) group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IllegalStateException("cannot bind UDP " + local, f.cause());
        }
        ep.channel = f.channel();
        return ep;
    }

    /** The bound local address. */
    public InetSocketAddress localAddress() { return (InetSocketAddress) channel.localAddress(); }

    /** The event loop that runs the receiver; protocol work must run here. */
    public EventLoop eventLoop() { return channel.eventLoop(); }

    /** Decode counters (malformed datagrams by reason). */
    public CodecStats codecStats() { return decoder.stats(); }

    /** Datagram counters. */
    public TransportStats stats() { return stats; }

    /** Bytes held for partly reassembled messages (event-loop thread only). */
    public long reassemblyBytesHeld() { return decoder.reassembler().bytesHeld(); }

    /** Queues {@code body} to {@code to} (event-loop thread only); nothing leaves before {@link #flush()}. */
    public void send(InetSocketAddress to, MessageType type, Message body, FastMeta meta) {
        sendEncoded(encode(type, body, meta), to);
    }

    /** Queues the same message to several destinations, encoding it once. */
    public void send(List<InetSocketAddress> to, MessageType type, Message body, FastMeta meta) {
        ByteBuf encoded = encode(type, body, meta);
        try {
            for (InetSocketAddress a : to) sendEncoded(encoded.retainedDuplicate(), a);
        } finally {
            encoded.release();
        }
    }

    private ByteBuf encode(MessageType type, Message body, FastMeta meta) {
        int size = FrameEncoder.encodedSize(type, body);
        ByteBuf buf = channel.alloc().directBuffer(size, size);
        ByteBuffer nio = buf.nioBuffer(0, size);
        FrameEncoder.encode(type, body, meta, nio);
        buf.writerIndex(size);
        return buf;
    }

    private void sendEncoded(ByteBuf encoded, InetSocketAddress to) {
        if (encoded.readableBytes() <= WireFormat.MAX_UNFRAGMENTED) {
            channel.write(new DatagramPacket(encoded, to), channel.voidPromise());
            stats.datagramsSent++;
        } else {
            long id = nextFragmentedMessageId++;
            for (ByteBuffer frag : FrameEncoder.fragment(encoded.nioBuffer(), id)) {
                channel.write(new DatagramPacket(Unpooled.wrappedBuffer(frag), to), channel.voidPromise());
                stats.datagramsSent++;
            }
            stats.messagesFragmented++;
            encoded.release();
        }
        dirty = true;
    }

    /** Sends everything queued since the last flush. */
    public void flush() {
        if (dirty) {
            dirty = false;
            channel.flush();
        }
    }

    /** Closes the socket without waiting (safe on the event-loop thread). */
    public void closeAsync() {
        Channel ch = channel;
        if (ch != null) ch.close();
    }

    @Override
    public void close() {
        Channel ch = channel;
        if (ch != null) ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (ownsGroup) group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private final class InboundHandler extends SimpleChannelInboundHandler<DatagramPacket> implements KernelAckSink {
        private final Receiver receiver;
        private InetSocketAddress sender; // of the datagram being decoded, for onKernelAck

        InboundHandler(Receiver receiver) { this.receiver = receiver; }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            stats.datagramsReceived++;
            sender = packet.sender();
            DecodeResult r = decoder.decode(sender, packet.content().nioBuffer(), System.nanoTime(), KERNEL_ACKS_AS_FRAMES ? null : this);
            if (r instanceof DecodeResult.Decoded d) receiver.onFrame(sender, d.frame());
        }

        @Override
        public void onKernelAck(MessageType type, long epoch, long index, int from, int metaA, int metaB, int metaC) {
            receiver.onKernelAck(sender, type, epoch, index, from, metaA, metaB, metaC);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            receiver.onReadComplete();
            flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP errors (e.g. port unreachable for a dead peer) surface here and are expected; anything
            // else was thrown while handling a datagram, and goes to the receiver's error channel.
            if (cause instanceof java.net.PortUnreachableException || cause instanceof java.net.NoRouteToHostException) {
                stats.socketErrors++;
            } else {
                stats.handlerErrors++;
                receiver.onHandlerError(cause);
            }
        }
    }
}
