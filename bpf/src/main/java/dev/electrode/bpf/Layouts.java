package dev.electrode.bpf;

/**
 * Java mirror of the structs in electrode.h: sizes and field offsets in bytes.
 * BtfLayoutTest checks every constant against the compiled object's BTF.
 */
public final class Layouts {
    private Layouts() {}

    public static final int MAX_REPLICAS = 16;
    public static final int QUORUM_SLOTS = 1024;
    public static final int MAX_BODY = 9000;
    public static final int QUORUM_FLAG = 0x4000_0000;
    public static final int CLONE_MARK = 0x0E1EC7DE;
    /** enable_mask bit: the fast path buffers without acknowledging (ELECTRODE_FAST_ACK_DEFERRED). */
    public static final int FAST_ACK_DEFERRED = 8;

    /** struct electrode_config */
    public static final class Config {
        public static final int SIZE = 16;
        public static final int REPLICA_COUNT = 0;
        public static final int QUORUM_SIZE = 4;
        public static final int ENABLE_MASK = 8;
        public static final int PORT = 12;
        public static final int MAX_BODY = 14;
    }

    /** struct electrode_replica */
    public static final class Replica {
        public static final int SIZE = 12;
        public static final int IPV4 = 0;
        public static final int PORT = 4;
        public static final int MAC = 6;
    }

    /** struct electrode_control */
    public static final class Control {
        public static final int SIZE = 32;
        public static final int STATUS = 0;
        public static final int MY_IDX = 4;
        public static final int LEADER_IDX = 8;
        public static final int BATCH_SIZE = 12;
        public static final int VIEW = 16;
        public static final int LAST_OP = 24;
    }

    /** struct electrode_advance: the context of electrode_advance_last_op */
    public static final class Advance {
        public static final int SIZE = 8;
        public static final int LAST_OP = 0;
        /** enum electrode_advance_result */
        public static final int MOVED = 0, AHEAD = 1, CONTENDED = 2, NO_MAP = 3;
        /** ELECTRODE_ADVANCE_TRIES */
        public static final int TRIES = 16;
    }

    /** struct electrode_quorum_entry */
    public static final class QuorumEntry {
        public static final int SIZE = 16;
        public static final int VIEW = 0;
        public static final int OPNUM = 4;
        public static final int ACKS = 8;
        public static final int RESERVED = 12;
    }

    /** struct electrode_prepare_record (header of a ring buffer record) */
    public static final class PrepareRecord {
        public static final int SIZE = 40;
        public static final int VIEW = 0;
        public static final int OPNUM = 8;
        public static final int BATCH_START = 16;
        public static final int BODY_LEN = 24;
        public static final int SRC_IPV4 = 28;
        public static final int SRC_MAC = 32;
        public static final int SRC_PORT = 38;
    }

    /** struct electrode_type_name */
    public static final class TypeName {
        public static final int SIZE = 68;
        public static final int LEN = 0;
        public static final int NAME = 4;
        public static final int NAME_MAX = 64;
    }

    /** struct electrode_meta_slots: the fast meta word (0..2) of each field */
    public static final class MetaSlots {
        public static final int SIZE = 4;
        public static final int EPOCH = 0;
        public static final int INDEX = 1;
        public static final int THIRD = 2;
    }

    /** struct electrode_protocol: one TypeName per kind (enum electrode_kind), then the appends' and the acks' meta slots */
    public static final class Protocol {
        public static final int KINDS = 4;
        public static final int NAMES = 0;
        public static final int APPEND_SLOTS = KINDS * TypeName.SIZE;
        public static final int ACK_SLOTS = APPEND_SLOTS + MetaSlots.SIZE;
        public static final int SIZE = ACK_SLOTS + MetaSlots.SIZE;
    }
}
