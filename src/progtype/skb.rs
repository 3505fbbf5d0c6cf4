//! `struct __sk_buff`: the context of socket filters, tc (sched_cls, sched_act), cgroup_skb
//! and lwt programs. The program sees a 192-byte structure, but in the kernel each access is
//! rewritten (bpf_convert_ctx_access) into a load or store of the real `sk_buff` field; here
//! [`SkbContext`] holds those fields and answers the accesses.
//!
//! Which accesses a type allows is [`access_ok`] (net/core/filter.c:
//! `bpf_skb_is_valid_access` and the per-type `sk_filter_`, `cg_skb_`, `lwt_`,
//! `tc_cls_act_is_valid_access`); Linux 6.18 was asked about every offset, size and
//! direction (tests/progtype_kernel.rs). Narrow loads follow the verifier's rewriting: a load
//! narrower than the field's kernel size takes bytes of the 32-bit value (little-endian);
//! one at least as wide as the kernel field (2 bytes of `protocol`, any byte of `pkt_type`)
//! gives the whole field, wherever it starts.

use super::ProgType;
use super::packet::{ETH_HLEN, Packet};
use crate::vm::{CtxAccess, CtxFault, LegacyLoad};
use std::any::Any;

/// `sizeof(struct __sk_buff)`.
pub const SKB_CTX_SIZE: usize = 192;

/// Offsets of the fields of `struct __sk_buff` (include/uapi/linux/bpf.h).
pub mod off {
    pub const LEN: u32 = 0;
    pub const PKT_TYPE: u32 = 4;
    pub const MARK: u32 = 8;
    pub const QUEUE_MAPPING: u32 = 12;
    pub const PROTOCOL: u32 = 16;
    pub const VLAN_PRESENT: u32 = 20;
    pub const VLAN_TCI: u32 = 24;
    pub const VLAN_PROTO: u32 = 28;
    pub const PRIORITY: u32 = 32;
    pub const INGRESS_IFINDEX: u32 = 36;
    pub const IFINDEX: u32 = 40;
    pub const TC_INDEX: u32 = 44;
    /// `cb[0]`; `cb[i]` is at `CB + 4 * i`, up to `cb[4]`.
    pub const CB: u32 = 48;
    pub const CB_END: u32 = 68;
    pub const HASH: u32 = 68;
    pub const TC_CLASSID: u32 = 72;
    pub const DATA: u32 = 76;
    pub const DATA_END: u32 = 80;
    pub const NAPI_ID: u32 = 84;
    pub const FAMILY: u32 = 88;
    pub const REMOTE_IP4: u32 = 92;
    pub const LOCAL_IP4: u32 = 96;
    pub const REMOTE_IP6: u32 = 100;
    pub const LOCAL_IP6: u32 = 116;
    pub const REMOTE_PORT: u32 = 132;
    pub const LOCAL_PORT: u32 = 136;
    pub const DATA_META: u32 = 140;
    pub const FLOW_KEYS: u32 = 144;
    pub const TSTAMP: u32 = 152;
    pub const WIRE_LEN: u32 = 160;
    pub const GSO_SEGS: u32 = 164;
    pub const SK: u32 = 168;
    pub const GSO_SIZE: u32 = 176;
    pub const TSTAMP_TYPE: u32 = 180;
    pub const HWTSTAMP: u32 = 184;
}

/// The names of the 4-byte slots of `struct __sk_buff` (for messages about `ctx_in`).
pub fn field_name(offset: u32) -> &'static str {
    use off::*;
    match offset {
        LEN..PKT_TYPE => "len",
        PKT_TYPE..MARK => "pkt_type",
        MARK..QUEUE_MAPPING => "mark",
        QUEUE_MAPPING..PROTOCOL => "queue_mapping",
        PROTOCOL..VLAN_PRESENT => "protocol",
        VLAN_PRESENT..VLAN_TCI => "vlan_present",
        VLAN_TCI..VLAN_PROTO => "vlan_tci",
        VLAN_PROTO..PRIORITY => "vlan_proto",
        PRIORITY..INGRESS_IFINDEX => "priority",
        INGRESS_IFINDEX..IFINDEX => "ingress_ifindex",
        IFINDEX..TC_INDEX => "ifindex",
        TC_INDEX..CB => "tc_index",
        CB..CB_END => "cb",
        HASH..TC_CLASSID => "hash",
        TC_CLASSID..DATA => "tc_classid",
        DATA..DATA_END => "data",
        DATA_END..NAPI_ID => "data_end",
        NAPI_ID..FAMILY => "napi_id",
        FAMILY..REMOTE_IP4 => "family",
        REMOTE_IP4..LOCAL_IP4 => "remote_ip4",
        LOCAL_IP4..REMOTE_IP6 => "local_ip4",
        REMOTE_IP6..LOCAL_IP6 => "remote_ip6",
        LOCAL_IP6..REMOTE_PORT => "local_ip6",
        REMOTE_PORT..LOCAL_PORT => "remote_port",
        LOCAL_PORT..DATA_META => "local_port",
        DATA_META..FLOW_KEYS => "data_meta",
        FLOW_KEYS..TSTAMP => "flow_keys",
        TSTAMP..WIRE_LEN => "tstamp",
        WIRE_LEN..GSO_SEGS => "wire_len",
        GSO_SEGS..SK => "gso_segs",
        SK..GSO_SIZE => "sk",
        GSO_SIZE..TSTAMP_TYPE => "gso_size",
        TSTAMP_TYPE => "tstamp_type",
        181..HWTSTAMP => "padding after tstamp_type",
        HWTSTAMP..192 => "hwtstamp",
        _ => "past the end",
    }
}

/// Whether `off` lies in the field `[start, start + len)`.
fn within(off: u32, start: u32, len: u32) -> bool {
    off >= start && off < start + len
}

/// The program types that see a `struct __sk_buff`.
pub fn is_skb_type(t: ProgType) -> bool {
    matches!(
        t,
        ProgType::SocketFilter
            | ProgType::SchedCls
            | ProgType::SchedAct
            | ProgType::CgroupSkb
            | ProgType::LwtIn
            | ProgType::LwtOut
            | ProgType::LwtXmit
    )
}

/// Whether a program of type `t` may access `size` bytes at offset `off` of its
/// `struct __sk_buff` (as the kernel's verifier decides; the caller is root, so CAP_BPF
/// holds). Sign-extending loads are not modelled here: the kernel also refuses them on
/// `data`, `data_end` and `data_meta`.
pub fn access_ok(t: ProgType, off: u32, size: u32, write: bool) -> bool {
    use off::*;
    let in_cb = within(off, CB, 20);
    let denied = |ranges: &[(u32, u32)]| ranges.iter().any(|&(s, l)| within(off, s, l));
    match t {
        ProgType::SocketFilter => {
            if denied(&[
                (TC_CLASSID, 4),
                (DATA, 4),
                (DATA_META, 4),
                (DATA_END, 4),
                (FAMILY, DATA_META - FAMILY),
                (TSTAMP, 8),
                (WIRE_LEN, 4),
                (HWTSTAMP, 8),
            ]) || (write && !in_cb)
            {
                return false;
            }
        }
        ProgType::CgroupSkb => {
            if denied(&[(TC_CLASSID, 4), (DATA_META, 4), (WIRE_LEN, 4)]) {
                return false;
            }
            if write
                && !(in_cb || within(off, MARK, 4) || within(off, PRIORITY, 4))
                && !within(off, TSTAMP, 8)
            {
                return false;
            }
        }
        ProgType::LwtIn | ProgType::LwtOut | ProgType::LwtXmit => {
            if denied(&[
                (TC_CLASSID, 4),
                (FAMILY, DATA_META - FAMILY),
                (DATA_META, 4),
                (TSTAMP, 8),
                (WIRE_LEN, 4),
                (HWTSTAMP, 8),
            ]) || (write && !(in_cb || within(off, MARK, 4) || within(off, PRIORITY, 4)))
            {
                return false;
            }
        }
        ProgType::SkSkb => {
            // sk_skb_is_valid_access: no mark at all; writes only to tc_index and priority.
            if denied(&[
                (TC_CLASSID, 4),
                (DATA_META, 4),
                (TSTAMP, 8),
                (WIRE_LEN, 4),
                (HWTSTAMP, 8),
                (MARK, 4),
            ]) || (write && !(within(off, TC_INDEX, 4) || within(off, PRIORITY, 4)))
            {
                return false;
            }
        }
        ProgType::SchedCls | ProgType::SchedAct => {
            if write
                && !(in_cb
                    || [MARK, TC_INDEX, PRIORITY, TC_CLASSID, QUEUE_MAPPING]
                        .iter()
                        .any(|&f| within(off, f, 4))
                    || within(off, TSTAMP, 8))
            {
                return false;
            }
            if within(off, FAMILY, DATA_META - FAMILY) {
                return false;
            }
            if off == TSTAMP_TYPE {
                return size == 1;
            }
        }
        _ => return false,
    }
    skb_access_ok(off, size, write)
}

/// `bpf_skb_is_valid_access`: the rules every `__sk_buff` type shares.
fn skb_access_ok(off: u32, size: u32, write: bool) -> bool {
    use off::*;
    if off >= SKB_CTX_SIZE as u32 || !matches!(size, 1 | 2 | 4 | 8) || !off.is_multiple_of(size) {
        return false;
    }
    if within(off, CB, 20) {
        return off + size <= CB_END;
    }
    if within(off, DATA, 4) || within(off, DATA_META, 4) || within(off, DATA_END, 4) {
        return size == 4;
    }
    if within(off, REMOTE_IP6, 32) || within(off, REMOTE_IP4, 8) {
        return size == 4;
    }
    if within(off, FLOW_KEYS, 8) || off == TSTAMP_TYPE || within(off, 181, 3) {
        return false;
    }
    if within(off, HWTSTAMP, 8) || within(off, SK, 8) {
        return !write && size == 8;
    }
    if within(off, TSTAMP, 8) {
        return size == 8;
    }
    // Every other field is 32 bits: stores whole, loads whole or narrower.
    if write { size == 4 } else { size <= 4 }
}

/// The socket test runs attach to an skb (`skb->sk`, a dummy socket): what `family`,
/// `local_ip4`... read. BPF_PROG_TEST_RUN fills it from the packet's IP header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockInfo {
    /// `AF_INET` (2), `AF_INET6` (10) or `AF_UNSPEC` (0).
    pub family: u16,
    /// Addresses as the bytes appear on the wire.
    pub local_ip4: [u8; 4],
    pub remote_ip4: [u8; 4],
    pub local_ip6: [u8; 16],
    pub remote_ip6: [u8; 16],
    /// Host-order local port (`skc_num`).
    pub local_port: u16,
    /// Network-order remote port (`skc_dport`) as it sits in memory.
    pub remote_port: u16,
}

/// The `sk_buff` behind a `struct __sk_buff`: the fields programs read and write, and the
/// packet. Fields are public so helpers (`bpf_skb_vlan_push`, `bpf_set_hash`, ...) can
/// change them; the packet is reached with [`SkbContext::packet_mut`].
#[derive(Debug)]
pub struct SkbContext {
    prog_type: ProgType,
    packet: Packet,
    /// `PACKET_HOST` 0, `PACKET_BROADCAST` 1, `PACKET_MULTICAST` 2, `PACKET_OTHERHOST` 3.
    pub pkt_type: u8,
    pub mark: u32,
    pub queue_mapping: u16,
    /// `skb->protocol`, network order (`0x0800` for IPv4 is the bytes `08 00`).
    pub protocol: [u8; 2],
    pub vlan_tci: u16,
    /// `skb->vlan_proto`, network order.
    pub vlan_proto: [u8; 2],
    pub priority: u32,
    /// `skb->skb_iif`.
    pub ingress_ifindex: u32,
    /// `skb->dev->ifindex`.
    pub ifindex: u32,
    pub tc_index: u16,
    /// The 20 bytes of `qdisc_skb_cb.data` that `cb[0..5]` are.
    pub cb: [u8; 20],
    pub hash: u32,
    pub tc_classid: u16,
    pub napi_id: u32,
    pub tstamp: u64,
    pub tstamp_type: u8,
    /// `qdisc_skb_cb.pkt_len`.
    pub wire_len: u32,
    pub gso_segs: u16,
    pub gso_size: u16,
    pub hwtstamp: u64,
    pub sock: SockInfo,
    /// Buffer offset of the network header (`skb_network_header`).
    pub network_header: usize,
    /// `skb->csum` when `checksum_complete` (`ip_summed == CHECKSUM_COMPLETE`).
    pub csum: u32,
    /// Whether the run was asked for `BPF_F_TEST_SKB_CHECKSUM_COMPLETE` (then the test run
    /// checks `csum` against the packet at the end, whatever `ip_summed` became).
    pub checksum_complete: bool,
    /// `skb->ip_summed`: [`CHECKSUM_NONE`], [`CHECKSUM_UNNECESSARY`],
    /// [`CHECKSUM_COMPLETE`] or [`CHECKSUM_PARTIAL`]. Helpers keep `csum` up to date
    /// only while it is `CHECKSUM_COMPLETE`.
    pub ip_summed: u8,
    /// Buffer offset of the MAC header (`skb_mac_header`).
    pub mac_header: usize,
    /// Buffer offset of the transport header, when set (a test run's skb has none).
    pub transport_header: Option<usize>,
    /// `skb->encapsulation` (set by `bpf_skb_adjust_room` with an encap flag).
    pub encapsulation: bool,
    /// `skb->l4_hash` and `skb->sw_hash`: whether `hash` is valid (else
    /// `bpf_get_hash_recalc` computes it).
    pub l4_hash: bool,
    pub sw_hash: bool,
    /// The tunnel metadata `bpf_skb_set_tunnel_key` attached (`skb_tunnel_info`).
    pub tunnel: Option<Box<TunnelInfo>>,
    /// The cookie of the test run's socket (`skb->sk`), once `bpf_get_socket_cookie`
    /// gave it one (0 before).
    pub sk_cookie: u64,
}

/// `CHECKSUM_NONE`.
pub const CHECKSUM_NONE: u8 = 0;
/// `CHECKSUM_UNNECESSARY`.
pub const CHECKSUM_UNNECESSARY: u8 = 1;
/// `CHECKSUM_COMPLETE`.
pub const CHECKSUM_COMPLETE: u8 = 2;
/// `CHECKSUM_PARTIAL`.
pub const CHECKSUM_PARTIAL: u8 = 3;

/// The `ip_tunnel_info` of a packet's metadata dst, as `bpf_skb_set_tunnel_key` and
/// `bpf_skb_set_tunnel_opt` fill it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TunnelInfo {
    /// `IP_TUNNEL_INFO_IPV6`: the addresses are IPv6 ones.
    pub ipv6: bool,
    /// `key.tun_id` (host order).
    pub id: u64,
    pub tos: u8,
    pub ttl: u8,
    /// `key.tun_flags` as the `TUNNEL_*` bits (`TUNNEL_CSUM` 0x1, `TUNNEL_KEY` 0x4,
    /// `TUNNEL_SEQ` 0x8, `TUNNEL_DONT_FRAGMENT` 0x100, `TUNNEL_NOCACHE` 0x2000, the option
    /// bits 0xd800 once options are set).
    pub flags: u16,
    /// `key.u.ipv4/ipv6.src`, `.dst`: IPv4 addresses in the first 4 bytes, wire order.
    pub src: [u8; 16],
    pub dst: [u8; 16],
    /// `key.label`, host order (IPv6 flow label).
    pub label: u32,
    /// The tunnel options (`ip_tunnel_info_opts`).
    pub options: Vec<u8>,
}

impl SkbContext {
    /// An skb of type `t` over `packet` with every field zero.
    pub fn new(t: ProgType, packet: Packet) -> SkbContext {
        let network_header = packet.offsets().1;
        SkbContext {
            prog_type: t,
            packet,
            pkt_type: 0,
            mark: 0,
            queue_mapping: 0,
            protocol: [0; 2],
            vlan_tci: 0,
            vlan_proto: [0; 2],
            priority: 0,
            ingress_ifindex: 0,
            ifindex: 0,
            tc_index: 0,
            cb: [0; 20],
            hash: 0,
            tc_classid: 0,
            napi_id: 0,
            tstamp: 0,
            tstamp_type: 0,
            wire_len: 0,
            gso_segs: 0,
            gso_size: 0,
            hwtstamp: 0,
            sock: SockInfo::default(),
            network_header,
            csum: 0,
            checksum_complete: false,
            ip_summed: CHECKSUM_NONE,
            mac_header: network_header,
            transport_header: None,
            encapsulation: false,
            l4_hash: false,
            sw_hash: false,
            tunnel: None,
            sk_cookie: 0,
        }
    }

    pub fn prog_type(&self) -> ProgType {
        self.prog_type
    }

    pub fn packet(&self) -> &Packet {
        &self.packet
    }

    /// The packet, for helpers (`bpf_skb_load_bytes`, `bpf_skb_change_tail`, ...). After
    /// changing its bounds, update the packet region with `MemoryMap::reshape`.
    pub fn packet_mut(&mut self) -> &mut Packet {
        &mut self.packet
    }

    /// Makes room for `headroom` bytes before the packet and `tailroom` after it, moving it
    /// into a larger buffer if needed ([`Packet::reserve`]); the header offsets move along.
    pub fn reserve(&mut self, headroom: usize, tailroom: usize) {
        let shift = self.packet.reserve(headroom, tailroom);
        if shift != 0 {
            let mv = |o: usize| o.saturating_add_signed(shift);
            self.mac_header = mv(self.mac_header);
            self.network_header = mv(self.network_header);
            self.transport_header = self.transport_header.map(mv);
        }
    }

    /// The value a full load of the field at `base` gives, and the size of the kernel
    /// field behind it (which decides how narrow loads behave).
    fn field(&self, base: u32) -> (u64, u32) {
        use off::*;
        let le16 = |b: [u8; 2]| u16::from_le_bytes(b) as u64;
        let le32 = |b: &[u8]| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&b[..4]);
            u32::from_le_bytes(w) as u64
        };
        let s = &self.sock;
        match base {
            LEN => (self.packet.len() as u64, 4),
            PKT_TYPE => (self.pkt_type as u64 & 7, 1),
            MARK => (self.mark as u64, 4),
            QUEUE_MAPPING => (self.queue_mapping as u64, 2),
            PROTOCOL => (le16(self.protocol), 2),
            VLAN_PRESENT => {
                let present = self.vlan_tci != 0 || self.vlan_proto != [0; 2];
                (present as u64, 4)
            }
            VLAN_TCI => (self.vlan_tci as u64, 2),
            VLAN_PROTO => (le16(self.vlan_proto), 2),
            PRIORITY => (self.priority as u64, 4),
            INGRESS_IFINDEX => (self.ingress_ifindex as u64, 4),
            IFINDEX => (self.ifindex as u64, 4),
            TC_INDEX => (self.tc_index as u64, 2),
            HASH => (self.hash as u64, 4),
            TC_CLASSID => (self.tc_classid as u64, 2),
            DATA => (self.packet.data_ptr(), 8),
            DATA_END => (self.packet.data_end_ptr(), 8),
            DATA_META => (self.packet.data_meta_ptr(), 8),
            NAPI_ID => (self.napi_id as u64, 4),
            FAMILY => (s.family as u64, 2),
            REMOTE_IP4 => (le32(&s.remote_ip4), 4),
            LOCAL_IP4 => (le32(&s.local_ip4), 4),
            REMOTE_IP6..LOCAL_IP6 => (le32(&s.remote_ip6[(base - REMOTE_IP6) as usize..]), 4),
            LOCAL_IP6..REMOTE_PORT => (le32(&s.local_ip6[(base - LOCAL_IP6) as usize..]), 4),
            REMOTE_PORT => ((s.remote_port as u64) << 16, 2),
            LOCAL_PORT => (s.local_port as u64, 2),
            TSTAMP => (self.tstamp, 8),
            TSTAMP_TYPE => (self.tstamp_type as u64, 1),
            WIRE_LEN => (self.wire_len as u64, 4),
            GSO_SEGS => (self.gso_segs as u64, 2),
            GSO_SIZE => (self.gso_size as u64, 2),
            HWTSTAMP => (self.hwtstamp, 8),
            // `skb->sk`: the dummy socket is not modelled; it reads as NULL.
            _ => (0, 8),
        }
    }
}

/// `SKF_NET_OFF`: legacy loads at or above this (negative) offset read from the network header.
pub const SKF_NET_OFF: i64 = -0x100000;
/// `SKF_LL_OFF`: legacy loads at or above this (negative) offset read from the link header.
pub const SKF_LL_OFF: i64 = -0x200000;

impl CtxAccess for SkbContext {
    fn legacy_load(&mut self, off: i64, size: u64) -> LegacyLoad {
        let data = self.packet.offsets().1 as i64;
        // The Ethernet header sits right before the network header in a test run's skb.
        let mac = self.network_header as i64 - ETH_HLEN as i64;
        let at = if off >= 0 {
            data + off
        } else if off >= SKF_NET_OFF {
            self.network_header as i64 + off - SKF_NET_OFF
        } else if off >= SKF_LL_OFF {
            mac + off - SKF_LL_OFF
        } else {
            return LegacyLoad::OutOfBounds;
        };
        let (Ok(at), Ok(len)) = (usize::try_from(at), usize::try_from(size)) else {
            return LegacyLoad::OutOfBounds;
        };
        match self.packet.load_at(at, len) {
            Some(b) => LegacyLoad::Value(b.iter().fold(0u64, |v, &x| (v << 8) | x as u64)),
            None => LegacyLoad::OutOfBounds,
        }
    }

    fn load(&mut self, off: u64, size: u64) -> Result<u64, CtxFault> {
        let fault = CtxFault {
            off,
            size,
            write: false,
        };
        let (Ok(o), Ok(s)) = (u32::try_from(off), u32::try_from(size)) else {
            return Err(fault);
        };
        if !access_ok(self.prog_type, o, s, false) {
            return Err(fault);
        }
        if within(o, off::CB, 20) {
            let i = (o - off::CB) as usize;
            let mut b = [0u8; 8];
            b[..s as usize].copy_from_slice(&self.cb[i..i + s as usize]);
            return Ok(u64::from_le_bytes(b));
        }
        let base = if o == off::TSTAMP_TYPE { o } else { o & !3 };
        let (value, target) = self.field(base);
        if s < 4 && s < target {
            let shift = (o & 3) * 8;
            Ok((value >> shift) & ((1u64 << (s * 8)) - 1))
        } else {
            Ok(value)
        }
    }

    fn store(&mut self, off: u64, size: u64, value: u64) -> Result<(), CtxFault> {
        use off::*;
        let fault = CtxFault {
            off,
            size,
            write: true,
        };
        let (Ok(o), Ok(s)) = (u32::try_from(off), u32::try_from(size)) else {
            return Err(fault);
        };
        if !access_ok(self.prog_type, o, s, true) {
            return Err(fault);
        }
        match o {
            CB..CB_END => {
                let i = (o - CB) as usize;
                self.cb[i..i + s as usize].copy_from_slice(&value.to_le_bytes()[..s as usize]);
            }
            MARK => self.mark = value as u32,
            PRIORITY => self.priority = value as u32,
            TC_INDEX => self.tc_index = value as u16,
            TC_CLASSID => self.tc_classid = value as u16,
            // The kernel skips stores of NO_QUEUE_MAPPING (0xffff) and above.
            QUEUE_MAPPING if value < 0xffff => self.queue_mapping = value as u16,
            QUEUE_MAPPING => {}
            TSTAMP => self.tstamp = value,
            _ => return Err(fault),
        }
        Ok(())
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(t: ProgType) -> SkbContext {
        let mut c = SkbContext::new(t, Packet::new(64, &[0u8; 134], 0));
        c.protocol = [0x08, 0x00];
        c.pkt_type = 2;
        c.ingress_ifindex = 0x0030_0a0b;
        c.gso_size = 0x1234;
        c.wire_len = 0x201;
        c.ifindex = 1;
        c.cb[..8].copy_from_slice(&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
        c
    }

    // Each expectation is what Linux 6.18 gave a tc program for the same narrow load.
    #[test]
    fn narrow_loads_follow_the_verifier_rewrite() {
        let mut c = ctx(ProgType::SchedCls);
        let cases: [(u64, u64, u64); 20] = [
            (16, 2, 0x8),
            (18, 2, 0x8),
            (16, 1, 0x8),
            (17, 1, 0),
            (18, 1, 0),
            (19, 1, 0),
            (4, 1, 2),
            (5, 1, 2),
            (6, 2, 2),
            (0, 1, 0x86),
            (1, 1, 0),
            (2, 2, 0),
            (40, 2, 1),
            (42, 2, 0),
            (48, 8, 0x8877_6655_4433_2211),
            (50, 2, 0x4433),
            (162, 2, 0),
            (161, 1, 2),
            (178, 2, 0x1234),
            (38, 2, 0x30),
        ];
        for (off, size, want) in cases {
            assert_eq!(c.load(off, size), Ok(want), "load of {size} at {off}");
        }
        assert_eq!(c.load(37, 1), Ok(0x0a));
    }

    #[test]
    fn stores_truncate_to_the_kernel_field() {
        let mut c = ctx(ProgType::SchedCls);
        c.store(off::TC_INDEX as u64, 4, 0x12345).unwrap();
        assert_eq!(c.load(off::TC_INDEX as u64, 4), Ok(0x2345));
        c.store(off::TC_CLASSID as u64, 4, 0xabcdef).unwrap();
        assert_eq!(c.load(off::TC_CLASSID as u64, 4), Ok(0xcdef));
        c.store(off::QUEUE_MAPPING as u64, 4, 0x1234).unwrap();
        c.store(off::QUEUE_MAPPING as u64, 4, 0xffff).unwrap();
        c.store(off::QUEUE_MAPPING as u64, 4, 0x10000).unwrap();
        assert_eq!(c.load(off::QUEUE_MAPPING as u64, 4), Ok(0x1234));
    }

    #[test]
    fn data_pointers_are_full_addresses() {
        let mut c = ctx(ProgType::SchedCls);
        let data = c.load(off::DATA as u64, 4).unwrap();
        let end = c.load(off::DATA_END as u64, 4).unwrap();
        assert_eq!(data, c.packet().data_ptr());
        assert_eq!(end - data, 134);
        assert!(c.load(off::DATA as u64, 2).is_err());
    }

    #[test]
    fn per_type_rules() {
        use ProgType::*;
        // Socket filters: no packet pointers, writes only to cb.
        assert!(!access_ok(SocketFilter, off::DATA, 4, false));
        assert!(!access_ok(SocketFilter, off::MARK, 4, true));
        assert!(access_ok(SocketFilter, off::CB + 4, 4, true));
        // cgroup_skb reads the socket fields; tc does not.
        assert!(access_ok(CgroupSkb, off::LOCAL_IP4, 4, false));
        assert!(!access_ok(SchedCls, off::LOCAL_IP4, 4, false));
        // lwt: no wire_len, no tstamp.
        assert!(!access_ok(LwtIn, off::WIRE_LEN, 4, false));
        assert!(access_ok(SchedCls, off::WIRE_LEN, 4, false));
        // tstamp_type: tc only, one byte.
        assert!(access_ok(SchedCls, off::TSTAMP_TYPE, 1, false));
        assert!(!access_ok(SchedCls, off::TSTAMP_TYPE, 2, false));
        assert!(!access_ok(CgroupSkb, off::TSTAMP_TYPE, 1, false));
        // Narrow stores never.
        assert!(!access_ok(SchedCls, off::MARK, 2, true));
        // 8-byte loads of 32-bit fields never.
        assert!(!access_ok(SchedCls, off::LEN, 8, false));
        assert!(!access_ok(Xdp, off::LEN, 4, false));
    }

    #[test]
    fn refused_access_is_a_context_fault() {
        let mut c = ctx(ProgType::SocketFilter);
        let err = c.store(off::MARK as u64, 4, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid bpf_context access off=8 size=4 (write)"
        );
        assert_eq!(
            c.load(off::DATA as u64, 4).unwrap_err().to_string(),
            "invalid bpf_context access off=76 size=4"
        );
    }
}
