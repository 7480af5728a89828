package dev.electrode.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.electrode.wire.proto.PrepareOKMessage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.Map;

/**
 * Turns datagrams into {@link Frame}s. Every datagram is either decoded or rejected with a
 * counted {@link DecodeError}; no exception escapes for any input. Holds the fragment
 * reassembly state, so use one decoder per receiving thread.
 */
public final class FrameDecoder {
    private static final Map<DecodeError, DecodeResult.Rejected> REJECTED = new EnumMap<>(DecodeError.class);
    static {
        for (DecodeError e : DecodeError.values()) REJECTED.put(e, new DecodeResult.Rejected(e));
    }

    private final CodecStats stats;
    private final Reassembler reassembler;

    public FrameDecoder() {
        this(new CodecStats(), Reassembler.Limits.DEFAULT);
    }

    public FrameDecoder(CodecStats stats, Reassembler.Limits limits) {
        this.stats = stats;
        this.reassembler = new Reassembler(limits, stats);
    }

    /** The counters this decoder updates. */
    public CodecStats stats() { return stats; }

    /** The fragment store, for inspection and periodic expiry. */
    public Reassembler reassembler() { return reassembler; }

    /** Decodes a datagram that cannot be a fragment of a multi-datagram message (tests, tools). */
    public static DecodeResult decodeStandalone(ByteBuffer datagram) {
        return new FrameDecoder().decode("standalone", datagram, 0);
    }

    /**
     * Decodes the datagram between {@code datagram}'s position and limit, received from
     * {@code sender} (the key for fragment reassembly) at {@code nowNanos}. The buffer's
     * position and byte order are not preserved.
     */
    public DecodeResult decode(Object sender, ByteBuffer datagram, long nowNanos) {
        return decode(sender, datagram, nowNanos, null);
    }

    /**
     * {@link #decode(Object, ByteBuffer, long)}, but a kernel-built acknowledgement goes to
     * {@code acks} as its fields (the result is then {@link DecodeResult#DELIVERED}) rather than
     * into a frame; with {@code acks} null it becomes a frame like any message.
     */
    public DecodeResult decode(Object sender, ByteBuffer datagram, long nowNanos, KernelAckSink acks) {
        ByteBuffer buf = datagram.order(ByteOrder.LITTLE_ENDIAN); // relative reads from its position; no slice to allocate
        if (buf.remaining() < 4) return reject(DecodeError.TOO_SHORT);
        int magic = buf.getInt();
        if (magic == WireFormat.NONFRAG_MAGIC) return decodeBody(buf, acks);
        if (magic != WireFormat.FRAG_MAGIC) return reject(DecodeError.BAD_MAGIC);
        Reassembler.Offer offer = reassembler.offer(sender, buf, nowNanos);
        if (offer.error() != null) return reject(offer.error());
        if (offer.message() == null) return DecodeResult.PENDING;
        return decodeBody(offer.message().order(ByteOrder.LITTLE_ENDIAN), acks);
    }

    /** Decodes typeLen, type, meta, dataLen and body; {@code buf} is positioned after the magic. */
    private DecodeResult decodeBody(ByteBuffer buf, KernelAckSink acks) {
        if (buf.remaining() < 8) return reject(DecodeError.TOO_SHORT);
        long typeLen = buf.getLong();
        if (typeLen <= 0 || typeLen > WireFormat.MAX_TYPE_NAME_LEN || typeLen > buf.remaining())
            return reject(DecodeError.BAD_TYPE_LENGTH);
        MessageType type = MessageType.lookup(buf, buf.position(), (int) typeLen);
        if (type == null) return reject(DecodeError.UNKNOWN_TYPE);
        buf.position(buf.position() + (int) typeLen);
        if (buf.remaining() < WireFormat.FAST_META_LEN + 8) return reject(DecodeError.TOO_SHORT);
        int metaA = buf.getInt(), metaB = buf.getInt(), metaC = buf.getInt();
        long dataLen = buf.getLong();
        if (dataLen != buf.remaining()) return reject(DecodeError.BAD_DATA_LENGTH);

        Message body;
        if (type.kernelBuilt()) {
            if (dataLen != WireFormat.MY_PREPARE_OK_BODY_LEN) return reject(DecodeError.BAD_DATA_LENGTH);
            long epoch = buf.getLong(), index = buf.getLong();
            int sender = buf.getInt();
            if (acks != null) {
                stats.countDecoded(type);
                acks.onKernelAck(type, epoch, index, sender, metaA, metaB, metaC);
                return DecodeResult.DELIVERED;
            }
            stats.countDecoded(type);
            return new DecodeResult.Decoded(kernelAckFrame(type, epoch, index, sender, metaA, metaB, metaC));
        } else {
            try {
                body = type.parser().parseFrom(buf);
            } catch (InvalidProtocolBufferException | RuntimeException e) {
                return reject(DecodeError.BAD_BODY);
            }
        }
        stats.countDecoded(type);
        return new DecodeResult.Decoded(new Frame(type, body, new FastMeta(metaA, metaB, metaC)));
    }

    /** The frame of a kernel-built acknowledgement given by its fields (see {@link KernelAckSink}). */
    public static Frame kernelAckFrame(MessageType type, long epoch, long index, int sender, int metaA, int metaB, int metaC) {
        Message body = switch (type) {
            case MY_PREPARE_OK -> PrepareOKMessage.newBuilder().setView(epoch).setOpnum(index).setReplicaIdx(sender).build();
            case RAFT_FAST_ACK -> dev.electrode.raft.proto.AppendEntriesResponse.newBuilder().setTerm(epoch).setMatchIndex(index)
                    .setFollower(sender).build();
            default -> throw new IllegalArgumentException(type + " is not built by the kernel");
        };
        return new Frame(type, body, new FastMeta(metaA, metaB, metaC));
    }

    private DecodeResult reject(DecodeError e) {
        stats.rejected(e);
        return REJECTED.get(e);
    }
}
