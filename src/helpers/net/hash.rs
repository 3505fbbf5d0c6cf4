//! `bpf_get_hash_recalc(skb)`: the skb's flow hash, computed when it has none the way the
//! kernel's `__skb_get_hash` does: the flow dissector fills a `struct flow_keys` (its
//! 6.18 layout), the addresses and ports are put in a canonical order, and SipHash-2-4
//! over the keys from `basic` on, keyed with `World::net.hash_key`, gives the hash (0
//! becomes 1).
//!
//! Deviations: the kernel's key (`hashrnd`) is random at each boot and unreadable, so the
//! values cannot match a given kernel; the dissector here reads Ethernet, one or two
//! 802.1Q/802.1AD tags, IPv4 (fragments without ports) and IPv6 (no extension headers;
//! a non-zero flow label stops before the ports, as `FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL`
//! does) and the TCP, UDP, UDP-Lite, SCTP and DCCP ports; ICMP identifiers, GRE keys,
//! MPLS and tunnels are not dissected.

use super::{NetResult, skb_ctx};
use crate::helpers::CallEnv;
use crate::progtype::SkbContext;

/// SipHash-2-4 of `data` with `key` (the kernel's `siphash`, truncated to 32 bits by its
/// caller).
pub fn siphash(data: &[u8], key: &[u8; 16]) -> u64 {
    let k0 = u64::from_le_bytes([
        key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
    ]);
    let k1 = u64::from_le_bytes([
        key[8], key[9], key[10], key[11], key[12], key[13], key[14], key[15],
    ]);
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let mut chunks = data.chunks_exact(8);
    for ch in &mut chunks {
        let m = u64::from_le_bytes([ch[0], ch[1], ch[2], ch[3], ch[4], ch[5], ch[6], ch[7]]);
        v[3] ^= m;
        round(&mut v);
        round(&mut v);
        v[0] ^= m;
    }
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    let b = u64::from_le_bytes(last) | ((data.len() as u64) << 56);
    v[3] ^= b;
    round(&mut v);
    round(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// `struct flow_keys` offsets (x86-64, Linux 6.18).
mod fk {
    pub const N_PROTO: usize = 8;
    pub const IP_PROTO: usize = 10;
    pub const FLOW_LABEL: usize = 12;
    pub const VLAN: usize = 16;
    pub const PORTS: usize = 36;
    pub const ADDRS: usize = 44;
    pub const SIZE: usize = 80;
}

/// What the dissector found.
#[derive(Default)]
struct Keys {
    bytes: Vec<u8>,
    /// 0 none, 4 IPv4, 6 IPv6.
    addr_type: u8,
}

fn dissect(skb: &SkbContext) -> Keys {
    let mut k = Keys {
        bytes: vec![0u8; fk::SIZE],
        addr_type: 0,
    };
    let p = skb.packet();
    let (_, data, _) = p.offsets();
    // Start at the network header with skb->protocol, as __skb_get_hash does.
    let mut off = skb.network_header.saturating_sub(data);
    let mut proto = u16::from_be_bytes(skb.protocol);
    let slice = |o: usize, n: usize| p.load_bytes(o, n);
    if skb.vlan_tci != 0 || skb.vlan_proto != [0, 0] {
        let tci = skb.vlan_tci & 0xefff;
        k.bytes[fk::VLAN..fk::VLAN + 2].copy_from_slice(&tci.to_le_bytes());
        k.bytes[fk::VLAN + 2..fk::VLAN + 4].copy_from_slice(&skb.vlan_proto);
    }
    for _ in 0..2 {
        if proto != 0x8100 && proto != 0x88a8 {
            break;
        }
        let Some(tag) = slice(off, 4) else { return k };
        if k.bytes[fk::VLAN..fk::VLAN + 4] == [0; 4] {
            let tci = u16::from_be_bytes([tag[0], tag[1]]) & 0xefff;
            k.bytes[fk::VLAN..fk::VLAN + 2].copy_from_slice(&tci.to_le_bytes());
            k.bytes[fk::VLAN + 2..fk::VLAN + 4].copy_from_slice(&proto.to_be_bytes());
        }
        proto = u16::from_be_bytes([tag[2], tag[3]]);
        off += 4;
    }
    k.bytes[fk::N_PROTO..fk::N_PROTO + 2].copy_from_slice(&proto.to_be_bytes());
    let (ip_proto, l4) = match proto {
        0x0800 => {
            let Some(h) = slice(off, 20) else { return k };
            let ihl = usize::from(h[0] & 0xf) * 4;
            if ihl < 20 {
                return k;
            }
            k.bytes[fk::ADDRS..fk::ADDRS + 8].copy_from_slice(&h[12..20]);
            k.addr_type = 4;
            let frag = u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0;
            (h[9], (!frag).then_some(off + ihl))
        }
        0x86dd => {
            let Some(h) = slice(off, 40) else { return k };
            k.bytes[fk::ADDRS..fk::ADDRS + 32].copy_from_slice(&h[8..40]);
            k.addr_type = 6;
            let label = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) & 0x000f_ffff;
            if label != 0 {
                k.bytes[fk::FLOW_LABEL..fk::FLOW_LABEL + 4].copy_from_slice(&label.to_le_bytes());
            }
            (h[6], (label == 0).then_some(off + 40))
        }
        _ => return k,
    };
    k.bytes[fk::IP_PROTO] = ip_proto;
    if let Some(l4) = l4
        && matches!(ip_proto, 6 | 17 | 136 | 132 | 33)
        && let Some(ports) = slice(l4, 4)
    {
        k.bytes[fk::PORTS..fk::PORTS + 4].copy_from_slice(&ports);
    }
    k
}

/// `__flow_hash_consistentify`: the smaller address (and port) first.
fn consistentify(k: &mut Keys) {
    let b = &mut k.bytes;
    let le32 = |b: &[u8], o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let le16 = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let swap_ports = |b: &mut [u8]| {
        if le16(b, fk::PORTS + 2) < le16(b, fk::PORTS) {
            let (s, d) = (
                [b[fk::PORTS], b[fk::PORTS + 1]],
                [b[fk::PORTS + 2], b[fk::PORTS + 3]],
            );
            b[fk::PORTS..fk::PORTS + 2].copy_from_slice(&d);
            b[fk::PORTS + 2..fk::PORTS + 4].copy_from_slice(&s);
        }
    };
    match k.addr_type {
        4 => {
            if le32(b, fk::ADDRS + 4) < le32(b, fk::ADDRS) {
                let s: Vec<u8> = b[fk::ADDRS..fk::ADDRS + 4].to_vec();
                b.copy_within(fk::ADDRS + 4..fk::ADDRS + 8, fk::ADDRS);
                b[fk::ADDRS + 4..fk::ADDRS + 8].copy_from_slice(&s);
            }
            swap_ports(b);
        }
        6 => {
            if b[fk::ADDRS + 16..fk::ADDRS + 32] < b[fk::ADDRS..fk::ADDRS + 16] {
                let s: Vec<u8> = b[fk::ADDRS..fk::ADDRS + 16].to_vec();
                b.copy_within(fk::ADDRS + 16..fk::ADDRS + 32, fk::ADDRS);
                b[fk::ADDRS + 16..fk::ADDRS + 32].copy_from_slice(&s);
            }
            swap_ports(b);
        }
        _ => {}
    }
}

/// The flow hash of an skb's packet with `key`, and whether the keys had L4 information
/// (ports or a flow label).
pub fn flow_hash(skb: &SkbContext, key: &[u8; 16]) -> (u32, bool) {
    let mut k = dissect(skb);
    consistentify(&mut k);
    let addrs_len = match k.addr_type {
        4 => 8,
        6 => 32,
        _ => 0,
    };
    let hashed_len = fk::SIZE - (fk::N_PROTO + 32 - addrs_len);
    let h = siphash(&k.bytes[fk::N_PROTO..fk::N_PROTO + hashed_len], key) as u32;
    let l4 = k.bytes[fk::PORTS..fk::PORTS + 4] != [0; 4]
        || k.bytes[fk::FLOW_LABEL..fk::FLOW_LABEL + 4] != [0; 4];
    (if h == 0 { 1 } else { h }, l4)
}

/// `bpf_set_hash_invalid(skb)`: the next `bpf_get_hash_recalc` computes the hash again.
pub(super) fn set_hash_invalid(c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    let skb = skb_ctx(c, "bpf_set_hash_invalid")?;
    skb.hash = 0;
    skb.sw_hash = false;
    skb.l4_hash = false;
    Ok(0)
}

/// `bpf_set_hash(skb, hash)`: a software L4 hash.
pub(super) fn set_hash(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let skb = skb_ctx(c, "bpf_set_hash")?;
    skb.hash = a[1] as u32;
    skb.sw_hash = true;
    skb.l4_hash = true;
    Ok(0)
}

/// `bpf_get_hash_recalc(skb)`.
pub(super) fn get_hash_recalc(c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    let key = c.world().net.hash_key;
    let skb = skb_ctx(c, "bpf_get_hash_recalc")?;
    if !skb.l4_hash && !skb.sw_hash {
        let (h, l4) = flow_hash(skb, &key);
        skb.hash = h;
        skb.sw_hash = true;
        skb.l4_hash = l4;
    }
    Ok(skb.hash as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siphash_reference_vector() {
        // The SipHash paper's test key and the 15-byte message 00 01 .. 0e.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let msg: Vec<u8> = (0..15).collect();
        assert_eq!(siphash(&msg, &key), 0xa129_ca61_49be_45e5);
        assert_eq!(siphash(&[], &key), 0x726f_db47_dd0e_0e31);
    }
}
