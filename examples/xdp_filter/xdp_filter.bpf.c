// SPDX-License-Identifier: GPL-2.0
/* An XDP firewall for bpfsim's examples: drops IPv4 TCP/UDP packets whose destination port
 * is in the `blocked_ports` map (filled by user space), answers ICMP echo requests itself by
 * sending them back out with the Ethernet addresses swapped (XDP_TX), drops IPv4 packets too
 * short to parse, and passes everything else. `verdicts` counts packets per XDP action.
 * Built by build.sh. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The ICMP header (linux/icmp.h pulls in libc headers). */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};
#define ICMP_ECHO 8

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);	/* destination port, host order */
	__type(value, __u8);
} blocked_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);	/* XDP_ABORTED .. XDP_REDIRECT */
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int count(int action)
{
	__u32 key = action;
	__u64 *n = bpf_map_lookup_elem(&verdicts, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return action;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u16 port;

	if ((void *)(eth + 1) > data_end)
		return count(XDP_DROP);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(XDP_PASS);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl != 5)
		return count(XDP_DROP);

	if (ip->protocol == IPPROTO_ICMP) {
		struct icmphdr *icmp = (void *)(ip + 1);

		if ((void *)(icmp + 1) > data_end)
			return count(XDP_DROP);
		if (icmp->type == ICMP_ECHO) {
			swap_macs(eth);
			return count(XDP_TX);
		}
		return count(XDP_PASS);
	}
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);

		if ((void *)(tcp + 1) > data_end)
			return count(XDP_DROP);
		port = bpf_ntohs(tcp->dest);
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);

		if ((void *)(udp + 1) > data_end)
			return count(XDP_DROP);
		port = bpf_ntohs(udp->dest);
	} else {
		return count(XDP_PASS);
	}
	if (bpf_map_lookup_elem(&blocked_ports, &port))
		return count(XDP_DROP);
	return count(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
