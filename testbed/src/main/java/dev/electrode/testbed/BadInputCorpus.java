package dev.electrode.testbed;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.Frame;
import dev.electrode.wire.FrameEncoder;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.WireFormat;
import dev.electrode.wire.proto.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded corpus of bad datagrams for a replica port, of the kinds a host that is not a member
 * can send: random bytes, every reference frame truncated at every length, bit flips, huge
 * length fields, wrong magic, fragment headers claiming huge messages, Prepares of past and
 * future views and of the current view, and other replica messages (view changes, ACKs,
 * commits) for views and opnums near the cluster's. The same seed gives the same corpus.
 */
public final class BadInputCorpus {
    /** What a datagram of the corpus is. */
    public enum Kind {
        RANDOM_BYTES, TRUNCATED, BIT_FLIPPED, HUGE_LENGTHS, WRONG_MAGIC, FRAGMENT_HEADERS, PAST_VIEW_PREPARE,
        FUTURE_VIEW_PREPARE, CURRENT_VIEW_PREPARE, FORGED_REPLICA_MESSAGE
    }

    /** One datagram's UDP payload and its kind. */
    public record Datagram(Kind kind, byte[] payload) {}

    private final Random rnd;
    private final long view;
    private final long opBase;
    private final int replicas;

    private BadInputCorpus(long seed, long view, long opBase, int replicas) {
        this.rnd = new Random(seed);
        this.view = view;
        this.opBase = opBase;
        this.replicas = replicas;
    }

    /**
     * At least {@code size} datagrams for a cluster of {@code replicas} in view {@code view}
     * whose log is near {@code opBase}, shuffled; the same arguments give the same corpus.
     */
    public static List<Datagram> generate(long seed, int size, long view, long opBase, int replicas) {
        return new BadInputCorpus(seed, view, opBase, replicas).build(size);
    }

    /** How many datagrams of each kind {@code corpus} holds. */
    public static Map<Kind, Integer> census(List<Datagram> corpus) {
        Map<Kind, Integer> m = new EnumMap<>(Kind.class);
        for (Datagram d : corpus) m.merge(d.kind(), 1, Integer::sum);
        return m;
    }

    private List<Datagram> build(int size) {
        List<Datagram> out = new ArrayList<>();
        List<byte[]> refs = referenceFrames();
        for (byte[] ref : refs) // every reference frame cut at every length
            for (int len = 0; len < ref.length; len++) out.add(new Datagram(Kind.TRUNCATED, java.util.Arrays.copyOf(ref, len)));
        int perKind = Math.max(1, (size - out.size()) / 9 + 1);
        for (int i = 0; i < perKind; i++) {
            out.add(new Datagram(Kind.RANDOM_BYTES, randomBytes(rnd.nextInt(1500))));
            out.add(new Datagram(Kind.BIT_FLIPPED, flipBits(refs.get(rnd.nextInt(refs.size())), 1 + rnd.nextInt(3))));
            out.add(new Datagram(Kind.HUGE_LENGTHS, hugeLengths(refs.get(rnd.nextInt(refs.size())))));
            out.add(new Datagram(Kind.WRONG_MAGIC, wrongMagic(refs.get(rnd.nextInt(refs.size())))));
            out.add(new Datagram(Kind.FRAGMENT_HEADERS, fragmentHeader()));
            out.add(new Datagram(Kind.PAST_VIEW_PREPARE, prepare(view == 0 ? 0 : rnd.nextLong(view), true)));
            out.add(new Datagram(Kind.FUTURE_VIEW_PREPARE, prepare(view + 1 + rnd.nextInt(20), true)));
            out.add(new Datagram(Kind.CURRENT_VIEW_PREPARE, prepare(view, rnd.nextBoolean())));
            out.add(new Datagram(Kind.FORGED_REPLICA_MESSAGE, forgedReplicaMessage()));
        }
        Collections.shuffle(out, rnd);
        return out;
    }

    private long opNear() { return Math.max(1, opBase + rnd.nextInt(2000) - 200); }

    private Request request() {
        return Request.newBuilder().setOp(ByteString.copyFrom(randomBytes(rnd.nextInt(64)))).setClientid(rnd.nextLong())
                .setClientreqid(rnd.nextInt(1000)).build();
    }

    private LogEntry entry(long v, long op) {
        return LogEntry.newBuilder().setView(v).setOpnum(op).setRequest(request()).build();
    }

    /** One well-formed frame of every message type, with values near the cluster's. */
    private List<byte[]> referenceFrames() {
        long op = opNear();
        int idx = rnd.nextInt(replicas);
        List<Message> msgs = List.of(
                RequestMessage.newBuilder().setReq(request()).build(),
                UnloggedRequestMessage.newBuilder().setReq(UnloggedRequest.newBuilder().setOp(request().getOp()).setClientid(7).setClientreqid(1)).build(),
                ReplyMessage.newBuilder().setView(view).setOpnum(op).setReply(ByteString.copyFromUtf8("r")).setClientreqid(3).build(),
                PrepareMessage.newBuilder().setView(view).setOpnum(op + 1).setBatchstart(op).addRequest(request()).addRequest(request()).build(),
                PrepareOKMessage.newBuilder().setView(view).setOpnum(op).setReplicaIdx(idx).build(),
                CommitMessage.newBuilder().setView(view).setOpnum(op).build(),
                RequestStateTransferMessage.newBuilder().setView(view).setOpnum(op).build(),
                StateTransferMessage.newBuilder().setView(view).setOpnum(op).addEntries(entry(view, op)).build(),
                StartViewChangeMessage.newBuilder().setView(view + 1).setReplicaIdx(idx).setLastCommitted(op).build(),
                DoViewChangeMessage.newBuilder().setView(view + 1).setLastNormalView(view).setLastOp(op).setLastCommitted(op)
                        .addEntries(entry(view, op)).setReplicaIdx(idx).build(),
                StartViewMessage.newBuilder().setView(view + 1).setLastOp(op).setLastCommitted(op).addEntries(entry(view, op)).build(),
                RecoveryMessage.newBuilder().setReplicaIdx(idx).setNonce(rnd.nextLong()).build(),
                RecoveryResponseMessage.newBuilder().setView(view).setNonce(rnd.nextLong()).setLastOp(op).setLastCommitted(op)
                        .setReplicaIdx(idx).build());
        List<byte[]> out = new ArrayList<>();
        for (Message m : msgs) out.add(FrameEncoder.encode(Frame.of(m)));
        PrepareOKMessage ok = PrepareOKMessage.newBuilder().setView(view).setOpnum(op).setReplicaIdx(idx).build();
        out.add(FrameEncoder.encode(MessageType.MY_PREPARE_OK, ok, FastMeta.forMessage(MessageType.MY_PREPARE_OK, ok)));
        return out;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private byte[] flipBits(byte[] ref, int bits) {
        byte[] b = ref.clone();
        for (int i = 0; i < bits; i++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
        return b;
    }

    private static final long[] HUGE = {Long.MAX_VALUE, Long.MIN_VALUE, -1, 1L << 32, (1L << 31) - 1, 1L << 40, 65536, 9001};

    /** typeLen or dataLen replaced by a huge, negative or merely wrong value. */
    private byte[] hugeLengths(byte[] ref) {
        ByteBuffer b = ByteBuffer.wrap(ref.clone()).order(ByteOrder.LITTLE_ENDIAN);
        long typeLen = b.getLong(4);
        long v = HUGE[rnd.nextInt(HUGE.length)];
        if (rnd.nextBoolean() || typeLen <= 0 || typeLen > 200) b.putLong(4, v);
        else b.putLong((int) (4 + 8 + typeLen + 12), v);
        return b.array();
    }

    private byte[] wrongMagic(byte[] ref) {
        ByteBuffer b = ByteBuffer.wrap(ref.clone()).order(ByteOrder.LITTLE_ENDIAN);
        int[] magics = {0, -1, WireFormat.NONFRAG_MAGIC ^ 1, Integer.reverseBytes(WireFormat.NONFRAG_MAGIC), rnd.nextInt()};
        b.putInt(0, magics[rnd.nextInt(magics.length)]);
        return b.array();
    }

    /** A fragment header claiming a message of up to 2^62 bytes, with a small slice. */
    private byte[] fragmentHeader() {
        long total = switch (rnd.nextInt(4)) {
            case 0 -> (32L << 20) - rnd.nextInt(1 << 20);   // just within the message limit
            case 1 -> 1L + rnd.nextLong(1L << 62);          // far beyond it
            case 2 -> 9000 + rnd.nextInt(1 << 20);
            default -> rnd.nextLong();                      // negative too
        };
        long start = total > 1 ? rnd.nextLong(total) : rnd.nextLong();
        int len = rnd.nextInt(1200);
        ByteBuffer b = ByteBuffer.allocate(WireFormat.FRAG_HEADER_LEN + len).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(WireFormat.FRAG_MAGIC).putLong(rnd.nextLong()).putLong(start).putLong(total).put(randomBytes(len));
        return b.array();
    }

    /** A Prepare of view {@code v} near the cluster's log; its fast meta consistent, or broadcast-marked at random. */
    private byte[] prepare(long v, boolean consistent) {
        long end = opNear();
        long start = Math.max(1, end - rnd.nextInt(4));
        PrepareMessage.Builder p = PrepareMessage.newBuilder().setView(v).setOpnum(end).setBatchstart(start);
        for (long op = start; op <= end; op++) p.addRequest(request());
        PrepareMessage m = p.build();
        FastMeta meta = consistent ? FastMeta.forMessage(MessageType.PREPARE, m)
                : new FastMeta((int) v, rnd.nextInt(), rnd.nextInt());
        if (rnd.nextInt(4) == 0) meta = meta.withBroadcastBit();
        return FrameEncoder.encode(MessageType.PREPARE, m, meta);
    }

    /** A replica-to-replica message a non-member has no business sending. */
    private byte[] forgedReplicaMessage() {
        int idx = rnd.nextInt(replicas);
        long v = view + rnd.nextInt(3);
        long op = opNear();
        Message m = switch (rnd.nextInt(6)) {
            case 0 -> StartViewChangeMessage.newBuilder().setView(view + 1 + rnd.nextInt(5)).setReplicaIdx(idx).setLastCommitted(op).build();
            case 1 -> DoViewChangeMessage.newBuilder().setView(view + 1).setLastNormalView(v).setLastOp(op + 100).setLastCommitted(op)
                    .addEntries(entry(v, op)).setReplicaIdx(idx).build();
            case 2 -> StartViewMessage.newBuilder().setView(view + 1 + rnd.nextInt(5)).setLastOp(op + 100).setLastCommitted(op + 100).build();
            case 3 -> PrepareOKMessage.newBuilder().setView(v).setOpnum(op).setReplicaIdx(idx).build();
            case 4 -> CommitMessage.newBuilder().setView(v).setOpnum(op + 1000).build();
            default -> RecoveryResponseMessage.newBuilder().setView(v).setNonce(rnd.nextLong()).setLastOp(op).setReplicaIdx(idx).build();
        };
        MessageType t = MessageType.of(m);
        if (m instanceof PrepareOKMessage ok && rnd.nextBoolean())
            return FrameEncoder.encode(MessageType.MY_PREPARE_OK, ok, FastMeta.forMessage(MessageType.MY_PREPARE_OK, ok));
        return FrameEncoder.encode(t, m, FastMeta.forMessage(t, m));
    }
}
