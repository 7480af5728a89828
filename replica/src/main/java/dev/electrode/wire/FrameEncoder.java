package dev.electrode.wire;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import dev.electrode.wire.proto.PrepareOKMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Writes messages in the framing of SPEC section 2, and splits large ones into fragments. */
public final class FrameEncoder {
    private FrameEncoder() {}

    /** Bytes of the unfragmented encoding of {@code body} as {@code type}. */
    public static int encodedSize(MessageType type, Message body) {
        return WireFormat.FIXED_OVERHEAD + type.typeNameBytes().length + bodySize(type, body);
    }

    private static int bodySize(MessageType type, Message body) {
        return type.kernelBuilt() ? WireFormat.MY_PREPARE_OK_BODY_LEN : body.getSerializedSize();
    }

    /** Encodes one unfragmented message at {@code out}'s position, advancing it. */
    public static void encode(MessageType type, Message body, FastMeta meta, ByteBuffer out) {
        ByteOrder saved = out.order();
        out.order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] name = type.typeNameBytes();
            int bodyLen = bodySize(type, body);
            out.putInt(WireFormat.NONFRAG_MAGIC);
            out.putLong(name.length);
            out.put(name);
            out.putInt(meta.a()).putInt(meta.b()).putInt(meta.c());
            out.putLong(bodyLen);
            if (type == MessageType.MY_PREPARE_OK) {
                PrepareOKMessage ok = (PrepareOKMessage) body;
                out.putLong(ok.getView()).putLong(ok.getOpnum()).putInt(ok.getReplicaIdx());
            } else if (type == MessageType.RAFT_FAST_ACK) {
                dev.electrode.raft.proto.AppendEntriesResponse ok = (dev.electrode.raft.proto.AppendEntriesResponse) body;
                out.putLong(ok.getTerm()).putLong(ok.getMatchIndex()).putInt(ok.getFollower());
            } else {
                int start = out.position();
                CodedOutputStream cos = CodedOutputStream.newInstance(out);
                body.writeTo(cos);
                cos.flush();
                // CodedOutputStream over a heap buffer may not advance the position itself.
                out.position(start + bodyLen);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("protobuf write into a sized buffer failed", e);
        } finally {
            out.order(saved);
        }
    }

    /** Encodes a frame into a new array (tests, tools; the transport encodes into pooled buffers). */
    public static byte[] encode(Frame frame) {
        return encode(frame.type(), frame.body(), frame.meta());
    }

    /** Encodes one unfragmented message into a new array. */
    public static byte[] encode(MessageType type, Message body, FastMeta meta) {
        ByteBuffer buf = ByteBuffer.allocate(encodedSize(type, body));
        encode(type, body, meta, buf);
        return buf.array();
    }

    /**
     * Splits an encoded message larger than {@link WireFormat#MAX_UNFRAGMENTED} into fragments:
     * each is the fragment header followed by a slice (at most 9000 bytes) of the message
     * without its 4 magic bytes, exactly as the reference prototype sends them.
     */
    public static List<ByteBuffer> fragment(ByteBuffer encoded, long messageId) {
        ByteBuffer src = encoded.duplicate();
        src.position(src.position() + 4); // fragments carry the message without its magic
        long total = src.remaining();
        List<ByteBuffer> out = new ArrayList<>((int) (total / WireFormat.MAX_UNFRAGMENTED) + 1);
        for (long start = 0; start < total; start += WireFormat.MAX_UNFRAGMENTED) {
            int len = (int) Math.min(WireFormat.MAX_UNFRAGMENTED, total - start);
            ByteBuffer frag = ByteBuffer.allocate(WireFormat.FRAG_HEADER_LEN + len).order(ByteOrder.LITTLE_ENDIAN);
            frag.putInt(WireFormat.FRAG_MAGIC).putLong(messageId).putLong(start).putLong(total);
            ByteBuffer slice = src.duplicate();
            slice.position(src.position() + (int) start).limit(src.position() + (int) start + len);
            frag.put(slice);
            frag.flip();
            out.add(frag);
        }
        return out;
    }
}
