// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Fault injection for the namespace testbed: TC ingress on every bridge port of the switch
 * namespace. Frames from host i enter the bridge through port i; the destination host is
 * found from the destination MAC. The first rule that matches and whose dice roll fires
 * is applied. Probabilities come from a xorshift64 generator per rule, seeded from user
 * space, so a run replays from its seed (exactly so while one CPU handles the traffic).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "fault.h"
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FAULT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fault_rule);
} rules SEC(".maps");

/* Bridge port ifindex -> host index. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAULT_MAX_HOSTS);
	__type(key, __u32);
	__type(value, __u32);
} port_host SEC(".maps");

/* Host MAC (6 bytes in the low bytes of a __u64) -> host index. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAULT_MAX_HOSTS);
	__type(key, __u64);
	__type(value, __u32);
} mac_host SEC(".maps");

/* ifindex of the delay line's input device (a TAP read by user space); 0 = no delay line. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} delay_target SEC(".maps");

static __always_inline __u64 xorshift64(__u64 *state)
{
	__u64 x = *state ? *state : 0x9E3779B97F4A7C15ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static __always_inline __u32 host_bit_matches(__u64 mask, __u32 host)
{
	if (mask == 0)
		return 1;
	if (host >= FAULT_MAX_HOSTS)
		return 0;
	return (mask >> host) & 1;
}

struct match_ctx {
	struct __sk_buff *skb;
	__u32 src;
	__u32 dst;
	__u32 msg;
	__u32 view;
	__u32 opnum;
	__u32 payload_off;
	__u32 payload_len;
	int verdict;
};

static __always_inline int rule_matches(struct fault_rule *r, struct match_ctx *m)
{
	if (r->action == 0)
		return 0;
	if (!host_bit_matches(r->src_hosts, m->src) || !host_bit_matches(r->dst_hosts, m->dst))
		return 0;
	if (r->msg != FAULT_MSG_ANY && r->msg != m->msg)
		return 0;
	if (r->match_view && r->view != m->view)
		return 0;
	if (r->match_opnum && r->opnum != m->opnum)
		return 0;
	return 1;
}

static __always_inline int apply(struct fault_rule *r, struct match_ctx *m)
{
	struct __sk_buff *skb = m->skb;
	switch (r->action) {
	case FAULT_DROP:
		return TC_ACT_SHOT;
	case FAULT_DUPLICATE:
		skb->mark = FAULT_DUP_MARK;
		bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS);
		skb->mark = 0;
		return TC_ACT_OK;
	case FAULT_CORRUPT:
		if (m->payload_len > 0) {
			__u32 off = m->payload_off + (__u32)(xorshift64(&r->rng) % m->payload_len);
			__u8 byte;
			if (bpf_skb_load_bytes(skb, off, &byte, 1) == 0) {
				byte ^= 0xff;
				bpf_skb_store_bytes(skb, off, &byte, 1, 0);
			}
		}
		return TC_ACT_OK;
	case FAULT_DELAY: {
		__u32 zero = 0;
		__u32 *target = bpf_map_lookup_elem(&delay_target, &zero);
		if (target && *target)
			return bpf_redirect(*target, 0); /* out of the TAP: user space holds it, then re-injects */
		return TC_ACT_OK;
	}
	}
	return TC_ACT_OK;
}

SEC("tc")
int fault_ingress(struct __sk_buff *skb)
{
	if (skb->mark == FAULT_DUP_MARK)
		return TC_ACT_OK;
	if (bpf_skb_pull_data(skb, skb->len < 256 ? skb->len : 256))
		return TC_ACT_OK;
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	struct match_ctx m = {.skb = skb, .dst = FAULT_HOST_UNKNOWN, .src = FAULT_HOST_UNKNOWN};
	__u32 ifindex = skb->ifindex;
	__u32 *src = bpf_map_lookup_elem(&port_host, &ifindex);
	if (src)
		m.src = *src;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	__u64 mac = 0;
	__builtin_memcpy(&mac, eth->h_dest, ETH_ALEN);
	__u32 *dst = bpf_map_lookup_elem(&mac_host, &mac);
	if (dst)
		m.dst = *dst;

	/* Any UDP datagram can be corrupted: locate its payload whatever it carries. */
	struct iphdr *ip = (void *)(eth + 1);
	if (eth->h_proto == bpf_htons(ETH_P_IP) && (void *)(ip + 1) <= end && ip->protocol == IPPROTO_UDP && ip->ihl >= 5) {
		struct udphdr *udp = (void *)ip + ip->ihl * 4;
		if ((void *)(udp + 1) <= end && bpf_ntohs(udp->len) > sizeof(struct udphdr)) {
			m.payload_off = (void *)(udp + 1) - data;
			m.payload_len = bpf_ntohs(udp->len) - sizeof(struct udphdr);
		}
	}

	struct frame f = {};
	if (parse_frame(data, end, 0, 1, &f) == PARSE_OK) {
		switch (f.kind) {
		case MSG_APPEND: m.msg = FAULT_MSG_PREPARE; break;
		case MSG_ACK: m.msg = FAULT_MSG_PREPARE_OK; break;
		case MSG_FAST_ACK: m.msg = FAULT_MSG_MY_PREPARE_OK; break;
		case MSG_BROADCAST: m.msg = FAULT_MSG_COMMIT; break;
		default: m.msg = FAULT_MSG_ANY; break;
		}
		if (f.kind != MSG_OTHER) {
			m.view = f.epoch & ~ELECTRODE_BROADCAST_BIT;
			m.opnum = f.index;
		}
	}

	/* Unrolled: a fixed number of rule slots, and the verifier sees every iteration. */
	struct fault_rule *hit = NULL;
#pragma unroll
	for (__u32 i = 0; i < FAULT_MAX_RULES; i++) {
		__u32 key = i;
		struct fault_rule *r = bpf_map_lookup_elem(&rules, &key);
		if (!r || !rule_matches(r, &m))
			continue;
		__sync_fetch_and_add(&r->matched, 1);
		if (r->threshold != 0xffffffffu && (__u32)(xorshift64(&r->rng) >> 32) >= r->threshold)
			continue;
		__sync_fetch_and_add(&r->fired, 1);
		hit = r;
		break;
	}
	return hit ? apply(hit, &m) : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
