package dev.electrode.offload;

import java.nio.charset.StandardCharsets;

/**
 * How the offload programs recognise a protocol's messages: the wire type name of each kind they
 * act on, written into their "protocol" map at load time. Fast meta words follow the layer's
 * convention: an append carries {epoch | broadcast bit, last index, first index}, an
 * acknowledgement {epoch, index, sender}, a broadcast-only message {broadcast bit, 0, 0}.
 *
 * @param append    the leader's in-order log append, fanned out and fast-acknowledged (VR: Prepare)
 * @param ack       a follower's acknowledgement from user space (VR: PrepareOK)
 * @param fastAck   the acknowledgement XDP builds itself (VR: MyPrepareOK); exactly
 *                  {@value #FAST_ACK_NAME_LEN} bytes, as XDP builds that frame at a fixed size
 * @param broadcast a leader message that is only fanned out (VR: Commit); null if the protocol has none
 */
public record OffloadProtocol(String append, String ack, String fastAck, String broadcast) {
    /** Longest type name the programs recognise, in bytes. */
    public static final int TYPE_NAME_MAX = 64;
    /** The fast acknowledgement's type name length, in bytes. */
    public static final int FAST_ACK_NAME_LEN = 24;

    public OffloadProtocol {
        check("append", append);
        check("ack", ack);
        if (broadcast != null) check("broadcast", broadcast);
        check("fast ack", fastAck);
        if (fastAck.getBytes(StandardCharsets.US_ASCII).length != FAST_ACK_NAME_LEN)
            throw new IllegalArgumentException("the fast ack's type name must be " + FAST_ACK_NAME_LEN + " bytes, got '" + fastAck + "'");
    }

    private static void check(String kind, String name) {
        if (name == null || name.isEmpty() || name.length() > TYPE_NAME_MAX || !StandardCharsets.US_ASCII.newEncoder().canEncode(name))
            throw new IllegalArgumentException("the " + kind + " type name must be 1.." + TYPE_NAME_MAX + " ASCII bytes, got '" + name + "'");
    }

    /** The names in the programs' kind order (enum electrode_kind); null where the protocol has no such message. */
    public String[] byKind() { return new String[] {append, ack, fastAck, broadcast}; }
}
