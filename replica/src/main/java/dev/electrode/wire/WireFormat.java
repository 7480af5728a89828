package dev.electrode.wire;

/** Constants of the datagram framing (SPEC section 2); all integers are little-endian. */
public final class WireFormat {
    private WireFormat() {}

    /** Magic of an unfragmented message (bytes 18 03 05 20 on the wire). */
    public static final int NONFRAG_MAGIC = 0x20050318;
    /** Magic of one fragment of a large message. */
    public static final int FRAG_MAGIC = 0x20101010;

    /** Bytes before the type name: magic (4) + typeLen (8). */
    public static final int TYPE_NAME_OFFSET = 12;
    /** Size of the fast meta block: three u32 read by the eBPF programs. */
    public static final int FAST_META_LEN = 12;
    /** Fixed bytes around the type name and body: magic, typeLen, fast meta, dataLen. */
    public static final int FIXED_OVERHEAD = 4 + 8 + FAST_META_LEN + 8;

    /** Messages whose unfragmented size is above this are sent as fragments. */
    public static final int MAX_UNFRAGMENTED = 9000;
    /** Fragment header: magic (4), message id (8), fragment start (8), total length (8). */
    public static final int FRAG_HEADER_LEN = 4 + 8 + 8 + 8;

    /** Longest type name accepted; the longest real one is 43 bytes. */
    public static final int MAX_TYPE_NAME_LEN = 128;

    /** Bit 31 of fast meta word a: "broadcast me" (cleared by the TC program). */
    public static final int BROADCAST_BIT = 0x8000_0000;

    /** Set in fast meta word c of an ACK the leader's XDP passed as quorum-completing; the low bits hold the acknowledging set. */
    public static final int QUORUM_FLAG = 0x4000_0000;

    /** Body length of the raw (non-protobuf) MyPrepareOK: u64 view, u64 opnum, u32 replicaIdx. */
    public static final int MY_PREPARE_OK_BODY_LEN = 20;
}
