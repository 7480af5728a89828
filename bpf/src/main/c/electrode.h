/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Everything the eBPF programs share with user space: constants, map value layouts,
 * counter indices. The Java side mirrors this file in dev.electrode.bpf.Layouts, and
 * BtfLayoutTest checks the mirror against the compiled object's BTF.
 */
#ifndef ELECTRODE_H
#define ELECTRODE_H

#include <linux/types.h>

/* Largest cluster the programs serve: bounds the TC fan-out loop and the ACK bitset. */
#define ELECTRODE_MAX_REPLICAS 16
/* Quorum table slots; an operation uses slot (opnum % slots), tagged with (view, opnum). */
#define ELECTRODE_QUORUM_SLOTS 1024
/* Largest Prepare body (protobuf bytes) the fast path buffers; larger ones go up the stack. */
#define ELECTRODE_MAX_BODY 9000
/* Scratch body capacity: a power of two above ELECTRODE_MAX_BODY, so a mask bounds lengths. */
#define ELECTRODE_SCRATCH_BODY 16384
/* Ring buffer ("kernel log") size in bytes; a power of two and a multiple of the page size. */
#define ELECTRODE_RING_BYTES (4 * 1024 * 1024)
/* skb mark of TC clones, so a clone re-entering TC egress is left alone. */
#define ELECTRODE_CLONE_MARK 0x0E1EC7DE

/* Wire format (SPEC section 2). */
#define ELECTRODE_NONFRAG_MAGIC 0x20050318
#define ELECTRODE_BROADCAST_BIT 0x80000000u
/* Set in the sender word of an ACK's fast meta that the leader's XDP passed as
 * quorum-completing; the low bits then hold the bitset of replicas that acknowledged. */
#define ELECTRODE_QUORUM_FLAG 0x40000000u
#define ELECTRODE_FAST_ACK_BODY 20

/*
 * The message kinds the programs act on. The protocol names the wire type of each at load
 * time (map "protocol"), and where in the three fast meta words each field sits; nothing about
 * a particular protocol is compiled in. An APPEND carries its epoch (whose top bit is the
 * broadcast bit), last index and first index; a BROADCAST the broadcast bit in the APPEND's
 * epoch word; an ACK and a FAST_ACK their epoch, acknowledged index and sender.
 */
enum electrode_kind {
	ELECTRODE_KIND_APPEND = 0,    /* leader to followers, fanned out, fast-acknowledged in order (VR: Prepare) */
	ELECTRODE_KIND_ACK,           /* follower's acknowledgement from user space (VR: PrepareOK) */
	ELECTRODE_KIND_FAST_ACK,      /* the acknowledgement XDP builds (VR: MyPrepareOK) */
	ELECTRODE_KIND_BROADCAST,     /* leader to followers, fanned out only (VR: Commit) */
	ELECTRODE_KINDS
};
/* Longest type name the programs recognise. */
#define ELECTRODE_TYPE_NAME_MAX 64
/* The FAST_ACK type name's length: XDP builds that frame at a fixed size. */
#define ELECTRODE_FAST_ACK_NAME_LEN 24

/* One kind's wire type name (len 0: the protocol has no such message). */
struct electrode_type_name {
	__u32 len;
	__u8 name[ELECTRODE_TYPE_NAME_MAX];
};

/*
 * Which fast meta word (0..2, a permutation) holds each field of a kind. APPEND (and
 * BROADCAST): epoch, last index, first index. ACK and FAST_ACK: epoch, index, sender; the
 * leader's XDP rewrites a passed ACK's sender word to ELECTRODE_QUORUM_FLAG | the ack set.
 */
struct electrode_meta_slots {
	__u8 epoch;
	__u8 index;
	__u8 third;   /* APPEND: first index; ACK: sender */
	__u8 pad;
};

/* The protocol (map "protocol", one entry): type names indexed by enum electrode_kind, and meta positions. */
struct electrode_protocol {
	struct electrode_type_name kinds[ELECTRODE_KINDS];
	struct electrode_meta_slots append;  /* APPEND and BROADCAST */
	struct electrode_meta_slots ack;     /* ACK and FAST_ACK */
};

/* Per-offload switches in electrode_config.enable_mask. */
enum electrode_offload {
	ELECTRODE_OFFLOAD_BROADCAST = 1,
	ELECTRODE_OFFLOAD_FAST_ACK = 2,
	ELECTRODE_OFFLOAD_QUORUM_PRUNE = 4,
	/* With FAST_ACK: buffer in the ring but do not acknowledge; user space acknowledges once
	 * the ops are durable (a replica with durability sync). */
	ELECTRODE_FAST_ACK_DEFERRED = 8,
};

/* Replica status codes, as dev.electrode.vr.Status.code(). */
enum electrode_status {
	ELECTRODE_STATUS_NORMAL = 0,
	ELECTRODE_STATUS_VIEW_CHANGE = 1,
	ELECTRODE_STATUS_RECOVERING = 2,
};

/* Cluster-wide settings (map "config", one entry). */
struct electrode_config {
	__u32 replica_count;
	__u32 quorum_size;   /* f + 1 */
	__u32 enable_mask;   /* enum electrode_offload bits */
	__u16 port;          /* replica UDP port, host order */
	__u16 max_body;      /* largest body the fast path buffers; 0 = ELECTRODE_MAX_BODY */
};

/* One replica's address (map "replicas", indexed by replica index). */
struct electrode_replica {
	__u32 ipv4;          /* network order */
	__u16 port;          /* host order */
	__u8 mac[6];
};

/* The replica's protocol state as the programs see it (map "control", one entry). */
struct electrode_control {
	__u32 status;        /* enum electrode_status */
	__u32 my_idx;
	__u32 leader_idx;
	__u32 batch_size;
	__u64 view;
	__u64 last_op;       /* advanced by the XDP fast path with compare-and-swap */
};

/* Context of electrode_advance_last_op (BPF_PROG_TEST_RUN of a syscall program): user space
 * moves last_op forward to its log's end without undoing a fast path that got further. */
struct electrode_advance {
	__u64 last_op;       /* in: user space's last op; out: last_op as the program left it */
};
/* Compare-and-swap attempts of one advance; each failure means XDP moved last_op meanwhile. */
#define ELECTRODE_ADVANCE_TRIES 16
/* electrode_advance_last_op's return codes. */
enum electrode_advance_result {
	ELECTRODE_ADVANCE_MOVED = 0,     /* last_op now equals the given op */
	ELECTRODE_ADVANCE_AHEAD = 1,     /* last_op was already at or beyond it: left alone */
	ELECTRODE_ADVANCE_CONTENDED = 2, /* every attempt lost to XDP: left alone */
	ELECTRODE_ADVANCE_NO_MAP = 3,
};

/* Leader: acknowledgements of one operation (map "quorum", ELECTRODE_QUORUM_SLOTS entries). */
struct electrode_quorum_entry {
	__u32 view;          /* low 32 bits, as in the fast meta */
	__u32 opnum;         /* low 32 bits */
	__u32 acks;          /* bit i: replica i acknowledged */
	__u32 reserved;
};

/* Header of one ring buffer record; body_len bytes of the Prepare's protobuf body follow.
 * The sender fields let user space check again who sent what the kernel acknowledged. */
struct electrode_prepare_record {
	__u64 view;
	__u64 opnum;         /* last op of the batch */
	__u64 batch_start;
	__u32 body_len;
	__u32 src_ipv4;      /* network order */
	__u8 src_mac[6];
	__u16 src_port;      /* host order */
};

/* Per-CPU scratch to assemble a ring buffer record of variable length. */
struct electrode_scratch {
	struct electrode_prepare_record hdr;
	__u8 body[ELECTRODE_SCRATCH_BODY];
};

/* Per-CPU event counters (map "counters"), one __u64 each. */
enum electrode_counter {
	ELECTRODE_CTR_FAST_ACKED = 0,       /* Prepare buffered (and acknowledged in XDP, unless deferred) */
	ELECTRODE_CTR_REACKED,              /* duplicate Prepare acknowledged again, not buffered */
	ELECTRODE_CTR_PASS_GAP,             /* Prepare beyond a gap: user space fills it */
	ELECTRODE_CTR_PASS_NEWER_VIEW,
	ELECTRODE_CTR_DROP_STALE_VIEW,
	ELECTRODE_CTR_PASS_NOT_NORMAL,      /* status not NORMAL */
	ELECTRODE_CTR_PASS_TOO_LARGE,       /* body above ELECTRODE_MAX_BODY */
	ELECTRODE_CTR_PASS_RING_FULL,
	ELECTRODE_CTR_PASS_RACE,            /* another CPU moved last_op meanwhile */
	ELECTRODE_CTR_PASS_TX_RESIZE,       /* the frame could not be resized for the reply */
	ELECTRODE_CTR_PASS_IP_OPTIONS,      /* Prepare with IPv4 options: left to the stack */
	ELECTRODE_CTR_ACK_PASSED,           /* quorum-completing ACK passed to user space */
	ELECTRODE_CTR_ACK_PRUNED,           /* ACK dropped: quorum not yet, or already, complete */
	ELECTRODE_CTR_ACK_DUPLICATE,        /* ACK from a replica already counted, quorum not complete: dropped */
	ELECTRODE_CTR_ACK_REPASSED,         /* repeated ACK after the quorum completed: passed with the set */
	ELECTRODE_CTR_ACK_TAG_MISMATCH,     /* no matching quorum entry: passed */
	ELECTRODE_CTR_QUORUM_RESET,         /* TC: outgoing Prepare reset its entry */
	ELECTRODE_CTR_CLONES_SENT,
	ELECTRODE_CTR_CLONE_FAILED,
	ELECTRODE_CTR_MALFORMED,            /* replica-port datagram the programs could not parse */
	/* Integrity of the fast path: a Prepare or ACK that fails one of these goes up the stack. */
	ELECTRODE_CTR_PASS_NOT_FROM_LEADER, /* Prepare whose source MAC, IPv4 or port is not the leader's */
	ELECTRODE_CTR_PASS_NOT_TO_ME,       /* Prepare whose destination MAC or IPv4 is not this replica's */
	ELECTRODE_CTR_PASS_BAD_IP_CSUM,     /* IPv4 header checksum wrong */
	ELECTRODE_CTR_PASS_NO_UDP_CSUM,     /* UDP checksum 0 (absent): nothing proves the payload intact */
	ELECTRODE_CTR_PASS_BAD_UDP_CSUM,    /* UDP checksum wrong (or only partial: sender offloaded it) */
	ELECTRODE_CTR_PASS_BAD_META,        /* batchStart after opnum, or a batch longer than allowed */
	ELECTRODE_CTR_ACK_BAD_ADDRESS,      /* ACK not from the MAC, IPv4 and port of the replica it names, or not to me */
	ELECTRODE_CTR_ACK_BAD_CSUM,         /* ACK with a wrong or absent checksum */
	ELECTRODE_CTR_PASS_REACK_DEFERRED,  /* deferred acks: a Prepare already held goes up to be acknowledged */
	ELECTRODE_CTR_PASS_IP_FRAGMENT,     /* first IP fragment of a datagram to the replica port: the stack reassembles it */
	ELECTRODE_CTR_NUM
};

#endif /* ELECTRODE_H */
