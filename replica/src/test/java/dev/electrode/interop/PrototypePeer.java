package dev.electrode.interop;

import com.google.protobuf.Message;
import dev.electrode.config.ClusterConfig;
import dev.electrode.wire.DecodeResult;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.FrameDecoder;
import dev.electrode.wire.FrameEncoder;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.WireFormat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link PrototypeReplica} on a real UDP socket at its configured replica address: it speaks
 * the wire format (fragments included) to the Java replicas exactly as a prototype replica
 * would. Messages that fail to decode are kept in {@link #errors()}.
 */
public final class PrototypePeer implements AutoCloseable {
    private final ClusterConfig config;
    private final DatagramSocket socket;
    private final PrototypeReplica model;
    private final FrameDecoder decoder = new FrameDecoder();
    private final Thread receiver;
    private final List<String> errors = new ArrayList<>();
    private volatile boolean paused;
    private long nextMessageId = 1;

    /** Runs replica {@code index} of {@code config} on {@code socket}, which is bound to its address. */
    public PrototypePeer(ClusterConfig config, int index, DatagramSocket socket) {
        this.config = config;
        this.socket = socket;
        this.model = new PrototypeReplica(config.size(), index, this::send);
        this.receiver = new Thread(this::receiveLoop, "prototype-peer-" + index);
        receiver.setDaemon(true);
        receiver.start();
    }

    /** Binds replica {@code index}'s configured address in this network namespace and runs there. */
    public static PrototypePeer bind(ClusterConfig config, int index) throws SocketException {
        return new PrototypePeer(config, index, new DatagramSocket(config.replica(index)));
    }

    public PrototypeReplica model() { return model; }

    /** While paused, arriving datagrams are dropped: the peer is cut off. */
    public void pause(boolean cutOff) { paused = cutOff; }

    public synchronized List<String> errors() { return List.copyOf(errors); }

    private void receiveLoop() {
        byte[] buf = new byte[WireFormat.FRAG_HEADER_LEN + WireFormat.MAX_UNFRAGMENTED + 64];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                if (!socket.isClosed()) synchronized (this) { errors.add("receive: " + e); }
                return;
            }
            if (paused) continue;
            InetSocketAddress src = (InetSocketAddress) p.getSocketAddress();
            int from = config.indexOf(src);
            DecodeResult r = decoder.decode(src, ByteBuffer.wrap(p.getData(), 0, p.getLength()), System.nanoTime());
            if (r instanceof DecodeResult.Decoded d) {
                if (from >= 0) model.onMessage(from, d.frame().body());
            } else if (r instanceof DecodeResult.Rejected rej) {
                synchronized (this) { errors.add("from " + src + ": " + rej.error()); }
            }
        }
    }

    private void send(int to, Message m) {
        MessageType type = MessageType.of(m);
        byte[] frame = FrameEncoder.encode(type, m, FastMeta.forMessage(type, m));
        InetSocketAddress dst = config.replica(to);
        try {
            if (frame.length <= WireFormat.MAX_UNFRAGMENTED) {
                socket.send(new DatagramPacket(frame, frame.length, dst));
            } else {
                for (ByteBuffer frag : FrameEncoder.fragment(ByteBuffer.wrap(frame), nextMessageId++)) {
                    byte[] b = new byte[frag.remaining()];
                    frag.get(b);
                    socket.send(new DatagramPacket(b, b.length, dst));
                }
            }
        } catch (IOException e) {
            if (!socket.isClosed()) synchronized (this) { errors.add("send to " + dst + ": " + e); }
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        receiver.join(5_000);
    }
}
