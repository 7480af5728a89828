package dev.electrode.offload;

import java.nio.charset.StandardCharsets;

/**
 * How the offload programs recognise a protocol's messages and read their fast meta: the wire
 * type name of each kind they act on, and which of the three fast meta words holds each field,
 * written into their "protocol" map at load time.
 *
 * @param append      the leader's in-order log append, fanned out and fast-acknowledged (VR: Prepare)
 * @param ack         a follower's acknowledgement from user space (VR: PrepareOK)
 * @param fastAck     the acknowledgement XDP builds itself (VR: MyPrepareOK); exactly
 *                    {@value #FAST_ACK_NAME_LEN} bytes, as XDP builds that frame at a fixed size
 * @param broadcast   a leader message that is only fanned out (VR: Commit); null if the protocol has none
 * @param appendSlots where an append's epoch, last index and first index sit; the epoch word's top bit is
 *                    the broadcast bit, of the broadcast-only message too
 * @param ackSlots    where an acknowledgement's (and the fast ack's) epoch, index and sender sit; the
 *                    leader's XDP rewrites a passed ack's sender word to the quorum flag and the ack set
 */
public record OffloadProtocol(String append, String ack, String fastAck, String broadcast, MetaSlots appendSlots, MetaSlots ackSlots) {
    /** Longest type name the programs recognise, in bytes. */
    public static final int TYPE_NAME_MAX = 64;
    /** The fast acknowledgement's type name length, in bytes. */
    public static final int FAST_ACK_NAME_LEN = 24;

    /**
     * Which fast meta word (0, 1 or 2; each once) holds the epoch, the index (an append's last,
     * an ack's acknowledged) and the third field (an append's first index, an ack's sender).
     */
    public record MetaSlots(int epoch, int index, int third) {
        /** Epoch in word a, index in b, third in c: VR's layout (SPEC section 2). */
        public static final MetaSlots IN_ORDER = new MetaSlots(0, 1, 2);

        public MetaSlots {
            if (epoch < 0 || epoch > 2 || index < 0 || index > 2 || third < 0 || third > 2 || epoch == index || epoch == third || index == third)
                throw new IllegalArgumentException("meta slots must place epoch, index and third in words 0, 1, 2, one each; got "
                        + epoch + ", " + index + ", " + third);
        }

        /** The three meta words with the fields in their places. */
        public int[] words(int epochValue, int indexValue, int thirdValue) {
            int[] w = new int[3];
            w[epoch] = epochValue;
            w[index] = indexValue;
            w[third] = thirdValue;
            return w;
        }
    }

    public OffloadProtocol {
        check("append", append);
        check("ack", ack);
        if (broadcast != null) check("broadcast", broadcast);
        check("fast ack", fastAck);
        if (fastAck.getBytes(StandardCharsets.US_ASCII).length != FAST_ACK_NAME_LEN)
            throw new IllegalArgumentException("the fast ack's type name must be " + FAST_ACK_NAME_LEN + " bytes, got '" + fastAck + "'");
        if (appendSlots == null || ackSlots == null) throw new IllegalArgumentException("meta slots are required for appends and acks");
    }

    /** A protocol whose meta fields sit in order (epoch, index, third) in both kinds. */
    public OffloadProtocol(String append, String ack, String fastAck, String broadcast) {
        this(append, ack, fastAck, broadcast, MetaSlots.IN_ORDER, MetaSlots.IN_ORDER);
    }

    private static void check(String kind, String name) {
        if (name == null || name.isEmpty() || name.length() > TYPE_NAME_MAX || !StandardCharsets.US_ASCII.newEncoder().canEncode(name))
            throw new IllegalArgumentException("the " + kind + " type name must be 1.." + TYPE_NAME_MAX + " ASCII bytes, got '" + name + "'");
    }

    /** The names in the programs' kind order (enum electrode_kind); null where the protocol has no such message. */
    public String[] byKind() { return new String[] {append, ack, fastAck, broadcast}; }
}
