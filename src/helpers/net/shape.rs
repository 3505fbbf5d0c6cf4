//! skb helpers that read, write or reshape the packet: `bpf_skb_load_bytes`,
//! `bpf_skb_store_bytes`, `bpf_skb_pull_data`, `bpf_skb_change_tail`, `bpf_skb_change_head`,
//! `bpf_skb_adjust_room`, `bpf_skb_change_proto`, `bpf_skb_change_type` and
//! `bpf_skb_vlan_push`/`_pop`.
//!
//! A test run's skb is linear (all of `len` is between `data` and `data_end`), so the
//! kernel's `pskb_may_pull` succeeds exactly when the range lies within `len`. Where the
//! kernel reallocates the buffer (`skb_cow`, `pskb_expand_head`) the packet moves into a
//! larger one ([`SkbContext::reserve`]), which always succeeds as the kernel's allocation
//! does for these sizes. Headers are tracked as buffer offsets (`mac_header`,
//! `network_header`, `transport_header`) and `skb->csum` is kept as the kernel keeps it while
//! `ip_summed` is `CHECKSUM_COMPLETE`.

use super::csum;
use super::{NetResult, neg, skb_ctx, with_skb};
use crate::helpers::{CallEnv, errno};
use crate::progtype::SkbContext;
use crate::progtype::skb::{CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY};

const ENOTSUPP: i32 = -524;
const ENOMEM: i32 = -12;
const EINVAL: i32 = -22;
const EFAULT: i32 = -14;
const EALREADY: i32 = -114;

/// `BPF_SKB_MAX_LEN` (`SKB_MAX_ALLOC`: four pages less the shared info).
pub const SKB_MAX_LEN: usize = 16384 - 320;
const ETH_HLEN: usize = 14;
const VLAN_HLEN: usize = 4;
const INT_MAX: u64 = i32::MAX as u64;

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;

/// `skb->protocol` in host order.
fn proto(skb: &SkbContext) -> u16 {
    u16::from_be_bytes(skb.protocol)
}

fn data_off(skb: &SkbContext) -> usize {
    skb.packet().offsets().1
}

fn len(skb: &SkbContext) -> usize {
    skb.packet().len()
}

/// `skb_network_offset`: the network header relative to `data` (may be negative).
fn network_offset(skb: &SkbContext) -> isize {
    skb.network_header as isize - data_off(skb) as isize
}

/// `skb_mac_header_len`.
fn mac_header_len(skb: &SkbContext) -> usize {
    skb.network_header.saturating_sub(skb.mac_header)
}

fn bytes(skb: &SkbContext, off: usize, n: usize) -> Vec<u8> {
    skb.packet().load_bytes(off, n).unwrap_or_default()
}

fn store(skb: &mut SkbContext, off: usize, b: &[u8]) {
    skb.packet_mut().store_bytes(off, b);
}

/// `skb_push` (after the caller made the headroom): `data` moves `n` bytes back.
fn push(skb: &mut SkbContext, n: usize) {
    skb.reserve(n, 0);
    let (_, d, e) = skb.packet().offsets();
    let _ = skb.packet_mut().set_offsets(d - n, d - n, e);
}

/// `__skb_pull` (callers checked `n ≤ len`).
fn pull(skb: &mut SkbContext, n: usize) {
    let (_, d, e) = skb.packet().offsets();
    let _ = skb.packet_mut().set_offsets(d + n, d + n, e);
}

/// `skb_postpull_rcsum` over `n` bytes at `off` (relative to `data`).
fn postpull_rcsum(skb: &mut SkbContext, off: usize, n: usize) {
    if skb.ip_summed == CHECKSUM_COMPLETE {
        let b = bytes(skb, off, n);
        skb.csum = csum::partial(&b, skb.csum.wrapping_neg()).wrapping_neg();
    }
}

/// `skb_postpush_rcsum` over `n` bytes at `off`.
fn postpush_rcsum(skb: &mut SkbContext, off: usize, n: usize) {
    if skb.ip_summed == CHECKSUM_COMPLETE {
        let b = bytes(skb, off, n);
        skb.csum = csum::block_add(skb.csum, csum::partial(&b, 0), 0);
    }
}

fn clear_hash(skb: &mut SkbContext) {
    skb.hash = 0;
    skb.sw_hash = false;
    skb.l4_hash = false;
}

/// `bpf_skb_load_bytes(skb, offset, to, len)`: the bytes, or zeroes and -EFAULT.
pub(super) fn skb_load_bytes(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (offset, to, n) = (a[1] as u32 as u64, a[2], a[3] as u32 as usize);
    let skb = skb_ctx(c, "bpf_skb_load_bytes")?;
    let got = if offset > INT_MAX {
        None
    } else {
        skb.packet().load_bytes(offset as usize, n)
    };
    match got {
        Some(b) => {
            c.write(to, &b)?;
            Ok(0)
        }
        None => {
            c.zero(to, n)?;
            Ok(errno::EFAULT)
        }
    }
}

const F_RECOMPUTE_CSUM: u64 = 1 << 0;
const F_INVALIDATE_HASH: u64 = 1 << 1;

/// `bpf_skb_store_bytes(skb, offset, from, len, flags)`.
pub(super) fn skb_store_bytes(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (offset, from, n, flags) = (a[1] as u32 as u64, a[2], a[3] as u32 as usize, a[4]);
    let data = c.read(from, n)?;
    let skb = skb_ctx(c, "bpf_skb_store_bytes")?;
    if flags & !(F_RECOMPUTE_CSUM | F_INVALIDATE_HASH) != 0 {
        return Ok(errno::EINVAL);
    }
    if offset > INT_MAX {
        return Ok(errno::EFAULT);
    }
    let off = offset as usize;
    // `offset + len` is an unsigned int in the kernel.
    let write_len = (offset as u32).wrapping_add(n as u32) as usize;
    if write_len > len(skb) || off + n > len(skb) {
        return Ok(errno::EFAULT);
    }
    let recompute = flags & F_RECOMPUTE_CSUM != 0 && skb.ip_summed == CHECKSUM_COMPLETE;
    if recompute {
        let old = csum::partial(&bytes(skb, off, n), 0);
        skb.csum = csum::block_sub(skb.csum, old, off);
    }
    store(skb, off, &data);
    if recompute {
        skb.csum = csum::block_add(skb.csum, csum::partial(&data, 0), off);
    }
    if flags & F_INVALIDATE_HASH != 0 {
        clear_hash(skb);
    }
    Ok(0)
}

/// `bpf_skb_pull_data(skb, len)`: 0 when `len` bytes (all of them for 0) are in the
/// linear part, which in a test run they are whenever the packet is that long; -ENOMEM
/// otherwise.
pub(super) fn skb_pull_data(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let skb = skb_ctx(c, "bpf_skb_pull_data")?;
    let want = match a[1] as u32 {
        0 => len(skb),
        n => n as usize,
    };
    Ok(if want <= len(skb) { 0 } else { neg(ENOMEM) })
}

/// `bpf_skb_change_type(skb, pkt_type)`: only between `PACKET_HOST` (0) and
/// `PACKET_OTHERHOST` (3).
pub(super) fn skb_change_type(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let skb = skb_ctx(c, "bpf_skb_change_type")?;
    let t = a[1] as u32;
    if skb.pkt_type > 3 || t > 3 {
        return Ok(errno::EINVAL);
    }
    skb.pkt_type = t as u8;
    Ok(0)
}

/// `bpf_skb_change_tail(skb, new_len, flags)`.
pub(super) fn skb_change_tail(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (new_len, flags) = (a[1] as u32 as usize, a[2]);
    with_skb(c, "bpf_skb_change_tail", |skb| {
        neg(change_tail(skb, new_len, flags))
    })
}

fn change_tail(skb: &mut SkbContext, new_len: usize, flags: u64) -> i32 {
    // __bpf_skb_min_len: the network (or, when set, transport) header must stay.
    let mut min_len = network_offset(skb).max(0) as usize;
    if let Some(t) = skb.transport_header {
        let toff = t as isize - data_off(skb) as isize;
        if toff > 0 {
            min_len = toff as usize;
        }
    }
    if flags != 0 || new_len > SKB_MAX_LEN || new_len < min_len {
        return EINVAL;
    }
    if skb.encapsulation {
        return ENOTSUPP;
    }
    let old = len(skb);
    if new_len != old && skb.ip_summed == CHECKSUM_COMPLETE {
        skb.ip_summed = CHECKSUM_NONE;
    }
    if new_len > old {
        skb.reserve(0, new_len - old);
        let (_, d, _) = skb.packet().offsets();
        let _ = skb.packet_mut().set_offsets(d, d, d + new_len);
        store(skb, old, &vec![0u8; new_len - old]);
    } else if new_len < old {
        let (_, d, _) = skb.packet().offsets();
        let _ = skb.packet_mut().set_offsets(d, d, d + new_len);
    }
    if new_len != old && skb.gso_size != 0 {
        // skb_gso_reset.
        skb.gso_size = 0;
        skb.gso_segs = 0;
    }
    0
}

/// `bpf_skb_change_head(skb, head_room, flags)`: pushes zeroed bytes at the front, which
/// become the MAC header.
pub(super) fn skb_change_head(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (room, flags) = (a[1] as u32, a[2]);
    with_skb(c, "bpf_skb_change_head", |skb| {
        let cur = len(skb) as u32;
        let new_len = cur.wrapping_add(room);
        if flags != 0 || (skb.gso_size == 0 && new_len as usize > SKB_MAX_LEN) || new_len < cur {
            return neg(EINVAL);
        }
        let room = room as usize;
        push(skb, room);
        store(skb, 0, &vec![0u8; room]);
        skb.mac_header = data_off(skb);
        0
    })
}

/// `bpf_skb_generic_push` at `off` (relative to `data`): `n` zeroed bytes inserted after the
/// first `off` bytes.
fn generic_push(skb: &mut SkbContext, off: usize, n: usize) {
    push(skb, n);
    let head = bytes(skb, n, off);
    store(skb, 0, &head);
    store(skb, off, &vec![0u8; n]);
}

/// `bpf_skb_generic_pop`: removes `n` bytes after the first `off`.
fn generic_pop(skb: &mut SkbContext, off: usize, n: usize) -> i32 {
    if off + n > len(skb) {
        return ENOMEM;
    }
    let head = bytes(skb, 0, off);
    postpull_rcsum(skb, off, n);
    pull(skb, n);
    store(skb, 0, &head);
    0
}

/// `bpf_skb_net_hdr_push`.
fn net_hdr_push(skb: &mut SkbContext, off: usize, n: usize) {
    let trans_same = skb.transport_header == Some(skb.network_header);
    let shift = |o: usize| o.saturating_sub(n);
    // generic_push may move the buffer; the header offsets move with it.
    generic_push(skb, off, n);
    skb.mac_header = shift(skb.mac_header);
    skb.network_header = shift(skb.network_header);
    if trans_same {
        skb.transport_header = Some(skb.network_header);
    }
}

/// `bpf_skb_net_hdr_pop`.
fn net_hdr_pop(skb: &mut SkbContext, off: usize, n: usize) -> i32 {
    let trans_same = skb.transport_header == Some(skb.network_header);
    let r = generic_pop(skb, off, n);
    if r == 0 {
        skb.mac_header += n;
        skb.network_header += n;
        if trans_same {
            skb.transport_header = Some(skb.network_header);
        }
    }
    r
}

/// `bpf_skb_change_proto(skb, proto, flags)`: IPv4 ⇄ IPv6, making or removing 20 bytes of
/// room after the MAC header.
pub(super) fn skb_change_proto(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (to, flags) = (u16::from_be(a[1] as u16), a[2]);
    with_skb(c, "bpf_skb_change_proto", |skb| {
        if flags != 0 {
            return neg(EINVAL);
        }
        let from = proto(skb);
        let off = mac_header_len(skb);
        if from == ETH_P_IP && to == ETH_P_IPV6 {
            net_hdr_push(skb, off, 20);
            skb.protocol = ETH_P_IPV6.to_be_bytes();
        } else if from == ETH_P_IPV6 && to == ETH_P_IP {
            let r = net_hdr_pop(skb, off, 20);
            if r != 0 {
                return neg(r);
            }
            skb.protocol = ETH_P_IP.to_be_bytes();
        } else {
            return neg(ENOTSUPP);
        }
        clear_hash(skb);
        0
    })
}

const ADJ_FIXED_GSO: u64 = 1 << 0;
const ADJ_ENCAP_L3_IPV4: u64 = 1 << 1;
const ADJ_ENCAP_L3_IPV6: u64 = 1 << 2;
const ADJ_ENCAP_L4_GRE: u64 = 1 << 3;
const ADJ_ENCAP_L4_UDP: u64 = 1 << 4;
const ADJ_NO_CSUM_RESET: u64 = 1 << 5;
const ADJ_ENCAP_L2_ETH: u64 = 1 << 6;
const ADJ_DECAP_L3_IPV4: u64 = 1 << 7;
const ADJ_DECAP_L3_IPV6: u64 = 1 << 8;
const ADJ_ENCAP_L2_SHIFT: u32 = 56;
const ADJ_ENCAP_L3_MASK: u64 = ADJ_ENCAP_L3_IPV4 | ADJ_ENCAP_L3_IPV6;
const ADJ_DECAP_L3_MASK: u64 = ADJ_DECAP_L3_IPV4 | ADJ_DECAP_L3_IPV6;
const ADJ_MASK: u64 = ADJ_FIXED_GSO
    | ADJ_ENCAP_L3_MASK
    | ADJ_ENCAP_L4_GRE
    | ADJ_ENCAP_L4_UDP
    | ADJ_ENCAP_L2_ETH
    | (0xff << ADJ_ENCAP_L2_SHIFT)
    | ADJ_DECAP_L3_MASK;

/// `bpf_skb_net_base_len`.
fn net_base_len(skb: &SkbContext) -> Option<usize> {
    match proto(skb) {
        ETH_P_IP => Some(20),
        ETH_P_IPV6 => Some(40),
        _ => None,
    }
}

/// `bpf_skb_adjust_room(skb, len_diff, mode, flags)`.
pub(super) fn skb_adjust_room(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (diff, mode, flags) = (a[1] as u32 as i32, a[2] as u32, a[3]);
    with_skb(c, "bpf_skb_adjust_room", |skb| {
        neg(adjust_room(skb, diff, mode, flags))
    })
}

fn adjust_room(skb: &mut SkbContext, diff: i32, mode: u32, flags: u64) -> i32 {
    let abs = diff.unsigned_abs() as usize;
    let shrink = diff < 0;
    if flags & !(ADJ_MASK | ADJ_NO_CSUM_RESET) != 0 {
        return EINVAL;
    }
    if abs > 0xfff {
        return EFAULT;
    }
    let Some(base) = net_base_len(skb) else {
        return ENOTSUPP;
    };
    let mut len_min = base;
    let mut off = mac_header_len(skb);
    match mode {
        0 => off += base, // BPF_ADJ_ROOM_NET
        1 => {}           // BPF_ADJ_ROOM_MAC
        _ => return ENOTSUPP,
    }
    if flags & ADJ_DECAP_L3_MASK != 0 {
        if !shrink {
            return EINVAL;
        }
        len_min = match flags & ADJ_DECAP_L3_MASK {
            ADJ_DECAP_L3_IPV4 => 20,
            ADJ_DECAP_L3_IPV6 => 40,
            _ => return EINVAL,
        };
    }
    let len_cur = (len(skb) as isize - network_offset(skb)).max(0) as usize;
    let gso = skb.gso_size != 0;
    if (shrink && (abs >= len_cur || len_cur - abs < len_min))
        || (!shrink && len(skb) + abs > SKB_MAX_LEN && !gso)
    {
        return ENOTSUPP;
    }
    let r = if shrink {
        net_shrink(skb, off, abs, flags)
    } else {
        net_grow(skb, off, abs, flags)
    };
    if r == 0 && flags & ADJ_NO_CSUM_RESET == 0 && skb.ip_summed == CHECKSUM_UNNECESSARY {
        skb.ip_summed = CHECKSUM_NONE;
    }
    r
}

fn net_grow(skb: &mut SkbContext, off: usize, n: usize, flags: u64) -> i32 {
    let inner_mac_len = (flags >> ADJ_ENCAP_L2_SHIFT) as usize;
    let encap = flags & ADJ_ENCAP_L3_MASK != 0;
    // A test run's GSO packets have no gso_type: neither TCP nor UDP_L4.
    if skb.gso_size != 0 {
        return ENOTSUPP;
    }
    let mut mac_len = 0;
    if encap {
        if flags & ADJ_ENCAP_L3_MASK == ADJ_ENCAP_L3_MASK {
            return EINVAL;
        }
        if flags & ADJ_ENCAP_L4_GRE != 0 && flags & ADJ_ENCAP_L4_UDP != 0 {
            return EINVAL;
        }
        if flags & ADJ_ENCAP_L2_ETH != 0 && inner_mac_len < ETH_HLEN {
            return EINVAL;
        }
        if skb.encapsulation {
            return EALREADY;
        }
        mac_len = mac_header_len(skb);
        if inner_mac_len > n {
            return EINVAL;
        }
    }
    net_hdr_push(skb, off, n);
    if encap {
        skb.encapsulation = true;
        skb.network_header = data_off(skb) + mac_len;
        if flags & (ADJ_ENCAP_L4_GRE | ADJ_ENCAP_L4_UDP) != 0 {
            let nh_len = if flags & ADJ_ENCAP_L3_IPV6 != 0 {
                40
            } else {
                20
            };
            skb.transport_header = Some(data_off(skb) + mac_len + nh_len);
        }
        if proto(skb) == ETH_P_IP && flags & ADJ_ENCAP_L3_IPV6 != 0 {
            skb.protocol = ETH_P_IPV6.to_be_bytes();
        } else if proto(skb) == ETH_P_IPV6 && flags & ADJ_ENCAP_L3_IPV4 != 0 {
            skb.protocol = ETH_P_IP.to_be_bytes();
        }
    }
    0
}

fn net_shrink(skb: &mut SkbContext, off: usize, n: usize, flags: u64) -> i32 {
    if flags & !(ADJ_FIXED_GSO | ADJ_DECAP_L3_MASK | ADJ_NO_CSUM_RESET) != 0 {
        return EINVAL;
    }
    if skb.gso_size != 0 {
        return ENOTSUPP;
    }
    let r = net_hdr_pop(skb, off, n);
    if r != 0 {
        return r;
    }
    if proto(skb) == ETH_P_IP && flags & ADJ_DECAP_L3_IPV6 != 0 {
        skb.protocol = ETH_P_IPV6.to_be_bytes();
    } else if proto(skb) == ETH_P_IPV6 && flags & ADJ_DECAP_L3_IPV4 != 0 {
        skb.protocol = ETH_P_IP.to_be_bytes();
    }
    0
}

fn is_vlan(p: u16) -> bool {
    p == ETH_P_8021Q || p == ETH_P_8021AD
}

fn vlan_present(skb: &SkbContext) -> bool {
    skb.vlan_tci != 0 || skb.vlan_proto != [0, 0]
}

/// `bpf_skb_vlan_push(skb, vlan_proto, vlan_tci)`: the tag goes to the skb's offloaded
/// tag; a tag already there is first written into the packet.
pub(super) fn skb_vlan_push(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let mut vproto = u16::from_be(a[1] as u16);
    let tci = a[2] as u16;
    if !is_vlan(vproto) {
        vproto = ETH_P_8021Q;
    }
    with_skb(c, "bpf_skb_vlan_push", |skb| {
        if vlan_present(skb) {
            if data_off(skb) != skb.mac_header {
                return neg(EINVAL);
            }
            // __vlan_insert_tag with the MAC header's length: the addresses move 4 bytes
            // forward, the old tag goes between them and the EtherType.
            push(skb, VLAN_HLEN);
            let macs = bytes(skb, VLAN_HLEN, 2 * 6);
            store(skb, 0, &macs);
            skb.mac_header = skb.mac_header.saturating_sub(VLAN_HLEN);
            let old_proto = skb.vlan_proto;
            store(skb, 12, &old_proto);
            store(skb, 14, &skb.vlan_tci.to_be_bytes());
            skb.protocol = old_proto;
            skb.network_header = skb.network_header.saturating_sub(VLAN_HLEN);
            postpush_rcsum(skb, 12, VLAN_HLEN);
        }
        skb.vlan_proto = vproto.to_be_bytes();
        skb.vlan_tci = tci;
        0
    })
}

/// `__skb_vlan_pop`: removes the tag after the MAC addresses; the tag's TCI.
fn vlan_pop_payload(skb: &mut SkbContext) -> Result<u16, i32> {
    if data_off(skb) != skb.mac_header {
        return Err(EINVAL);
    }
    if len(skb) < ETH_HLEN + VLAN_HLEN {
        return Err(ENOMEM);
    }
    postpull_rcsum(skb, 12, VLAN_HLEN);
    let hdr = bytes(skb, 0, ETH_HLEN + VLAN_HLEN + 2.min(len(skb) - 18));
    let tci = u16::from_be_bytes([hdr[14], hdr[15]]);
    let encap = u16::from_be_bytes([hdr[16], hdr[17]]);
    store(skb, VLAN_HLEN, &hdr[..12]);
    skb.protocol = if encap >= 0x600 {
        encap.to_be_bytes()
    } else if hdr.get(18..20) == Some(&[0xff, 0xff][..]) {
        [0x00, 0x01] // ETH_P_802_3
    } else {
        [0x00, 0x04] // ETH_P_802_2
    };
    pull(skb, VLAN_HLEN);
    skb.mac_header += VLAN_HLEN;
    if network_offset(skb) < ETH_HLEN as isize {
        skb.network_header = data_off(skb) + ETH_HLEN;
    }
    Ok(tci)
}

/// `bpf_skb_vlan_pop(skb)`: clears the offloaded tag (or takes one from the packet), then
/// moves a next tag from the packet to the offloaded one.
pub(super) fn skb_vlan_pop(c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    with_skb(c, "bpf_skb_vlan_pop", |skb| {
        if vlan_present(skb) {
            skb.vlan_tci = 0;
            skb.vlan_proto = [0, 0];
        } else {
            if !is_vlan(proto(skb)) {
                return 0;
            }
            if let Err(e) = vlan_pop_payload(skb) {
                return neg(e);
            }
        }
        if !is_vlan(proto(skb)) {
            return 0;
        }
        let vproto = skb.protocol;
        match vlan_pop_payload(skb) {
            Ok(tci) => {
                skb.vlan_proto = vproto;
                skb.vlan_tci = tci;
                0
            }
            Err(e) => neg(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progtype::{Packet, ProgType};

    fn skb(frame: &[u8]) -> SkbContext {
        let mut s = SkbContext::new(ProgType::SchedCls, Packet::new(64, frame, 64));
        s.network_header = s.mac_header + ETH_HLEN;
        s.protocol = [frame[12], frame[13]];
        s
    }

    fn ipv4_frame() -> Vec<u8> {
        let mut f = vec![0xffu8; 6];
        f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x00]);
        f.extend_from_slice(&[
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ]);
        f.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]);
        f
    }

    #[test]
    fn change_tail_grows_with_zeroes_and_trims() {
        let mut s = skb(&ipv4_frame());
        assert_eq!(change_tail(&mut s, 200, 0), 0);
        assert_eq!(s.packet().len(), 200);
        assert!(s.packet().data()[42..].iter().all(|&b| b == 0));
        assert_eq!(change_tail(&mut s, 13, 0), EINVAL);
        assert_eq!(change_tail(&mut s, 14, 0), 0);
        assert_eq!(change_tail(&mut s, SKB_MAX_LEN + 1, 0), EINVAL);
        assert_eq!(change_tail(&mut s, SKB_MAX_LEN, 0), 0);
        assert_eq!(change_tail(&mut s, 20, 1), EINVAL);
    }

    #[test]
    fn adjust_room_inserts_after_the_network_header() {
        let f = ipv4_frame();
        let mut s = skb(&f);
        assert_eq!(adjust_room(&mut s, 8, 0, 0), 0);
        let d = s.packet().data();
        assert_eq!(&d[..34], &f[..34]);
        assert_eq!(&d[34..42], &[0; 8]);
        assert_eq!(&d[42..], &f[34..]);
        assert_eq!(adjust_room(&mut s, -8, 0, 0), 0);
        assert_eq!(s.packet().data(), f);
        assert_eq!(adjust_room(&mut s, 0x1000, 0, 0), EFAULT);
        assert_eq!(adjust_room(&mut s, 4, 2, 0), ENOTSUPP);
        assert_eq!(adjust_room(&mut s, -9, 0, 0), ENOTSUPP);
    }
}
