// SPDX-License-Identifier: GPL-2.0
/* A tc (sched_cls) classifier for bpfsim's examples with map state: counts IPv4 packets and
 * bytes per IP protocol in `proto_stats`, marks each packet with its protocol
 * (skb->mark), and drops packets whose TTL has run out (TTL <= 1). Non-IPv4 packets are
 * counted under protocol 255 and let through. Built by build.sh. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct proto_stat {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);	/* IP protocol; 255: not IPv4 */
	__type(value, struct proto_stat);
} proto_stats SEC(".maps");

static __always_inline void account(__u32 proto, __u32 len)
{
	struct proto_stat *s = bpf_map_lookup_elem(&proto_stats, &proto);

	if (s) {
		__sync_fetch_and_add(&s->packets, 1);
		__sync_fetch_and_add(&s->bytes, len);
	} else {
		struct proto_stat fresh = { .packets = 1, .bytes = len };

		bpf_map_update_elem(&proto_stats, &proto, &fresh, BPF_NOEXIST);
	}
}

SEC("tc")
int tc_counter(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) {
		account(255, skb->len);
		return TC_ACT_OK;
	}
	account(ip->protocol, skb->len);
	skb->mark = ip->protocol;
	if (ip->ttl <= 1)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
