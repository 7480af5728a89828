/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The testbed's fault layer, shared with user space (dev.electrode.bpf.fault mirrors it).
 * A TC ingress program on each bridge port of the switch namespace applies the first
 * matching rule whose dice roll fires: drop, duplicate or corrupt the frame.
 */
#ifndef ELECTRODE_FAULT_H
#define ELECTRODE_FAULT_H

#include <linux/types.h>

#define FAULT_MAX_RULES 32
#define FAULT_MAX_HOSTS 64
/* skb mark of a duplicate re-injected by the program, so it is not matched again. */
#define FAULT_DUP_MARK 0x0FA17D0B
#define FAULT_HOST_UNKNOWN 0xffffffffu

enum fault_action {
	FAULT_DROP = 1,
	FAULT_DUPLICATE = 2,
	FAULT_CORRUPT = 3,
	FAULT_DELAY = 4,       /* detour through the user-space delay line (map delay_target) */
};

/* Message kinds a rule can match (0 = any frame). */
enum fault_msg {
	FAULT_MSG_ANY = 0,
	FAULT_MSG_PREPARE = 1,
	FAULT_MSG_PREPARE_OK = 2,
	FAULT_MSG_MY_PREPARE_OK = 3,
	FAULT_MSG_COMMIT = 4,
};

struct fault_rule {
	__u32 action;          /* enum fault_action; 0 = empty slot */
	__u32 msg;             /* enum fault_msg */
	__u64 src_hosts;       /* bit i: frames from host i; 0 = any sender */
	__u64 dst_hosts;       /* bit i: frames to host i (by destination MAC); 0 = any */
	__u32 match_view;      /* 1: the fast-meta view (low 31 bits) must equal view */
	__u32 view;
	__u32 match_opnum;     /* 1: the fast-meta opnum must equal opnum */
	__u32 opnum;
	__u32 threshold;       /* fires when the next PRNG value (32 bits) is below; 0xffffffff = always */
	__u32 reserved;
	__u64 rng;             /* xorshift64 state, seeded by user space */
	__u64 matched;         /* frames that matched the predicate */
	__u64 fired;           /* frames the action was applied to */
};

#endif /* ELECTRODE_FAULT_H */
