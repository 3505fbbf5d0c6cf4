//! `bpf_fib_lookup(ctx, params, plen, flags)` over the simulated FIB (`World::net`): the
//! steps of the kernel's `bpf_ipv4_fib_lookup`/`bpf_ipv6_fib_lookup` in their order, with
//! their return codes (`BPF_FIB_LKUP_RET_*`, or -ENODEV, -EINVAL, -EAFNOSUPPORT) and the
//! fields of `struct bpf_fib_lookup` they fill in.
//!
//! The model: devices (with per-family forwarding switches and MTUs), routes (prefix, type,
//! gateway, output device, metric, preferred source, MTU, table, neighbour MAC). Without
//! `BPF_FIB_LOOKUP_DIRECT` the local (255), main (254) and default (253) tables are searched
//! in that order, as the default policy rules do; there are no other policy rules (so
//! `BPF_FIB_LOOKUP_MARK` changes nothing), no multipath, no lightweight tunnels.

use super::state::{FibRoute, Net, RouteKind};
use super::{Ctx, NetResult, any_ctx, neg};
use crate::helpers::{CallEnv, HelperError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const RET_SUCCESS: i64 = 0;
pub const RET_BLACKHOLE: i64 = 1;
pub const RET_UNREACHABLE: i64 = 2;
pub const RET_PROHIBIT: i64 = 3;
pub const RET_NOT_FWDED: i64 = 4;
pub const RET_FWD_DISABLED: i64 = 5;
pub const RET_NO_NEIGH: i64 = 7;
pub const RET_FRAG_NEEDED: i64 = 8;
pub const RET_NO_SRC_ADDR: i64 = 9;

const LOOKUP_DIRECT: u32 = 1;
const LOOKUP_OUTPUT: u32 = 2;
const LOOKUP_SKIP_NEIGH: u32 = 4;
const LOOKUP_TBID: u32 = 8;
const LOOKUP_SRC: u32 = 16;
const LOOKUP_MARK: u32 = 32;
const LOOKUP_MASK: u32 =
    LOOKUP_DIRECT | LOOKUP_OUTPUT | LOOKUP_SKIP_NEIGH | LOOKUP_TBID | LOOKUP_SRC | LOOKUP_MARK;

const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const ENODEV: i32 = -19;
const EINVAL: i32 = -22;
const EAFNOSUPPORT: i32 = -97;

/// `sizeof(struct bpf_fib_lookup)`.
pub const PARAMS_SIZE: usize = 64;

/// Offsets in `struct bpf_fib_lookup`.
mod off {
    pub const FAMILY: usize = 0;
    pub const TOT_LEN: usize = 6;
    pub const IFINDEX: usize = 8;
    pub const RT_METRIC: usize = 12;
    pub const SRC: usize = 16;
    pub const DST: usize = 32;
    pub const VLAN: usize = 48;
    pub const SMAC: usize = 52;
    pub const DMAC: usize = 58;
}

fn get32(p: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([p[o], p[o + 1], p[o + 2], p[o + 3]])
}

fn put32(p: &mut [u8], o: usize, v: u32) {
    p[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

fn addr(p: &[u8], o: usize, v6: bool) -> IpAddr {
    if v6 {
        let mut b = [0u8; 16];
        b.copy_from_slice(&p[o..o + 16]);
        IpAddr::V6(Ipv6Addr::from(b))
    } else {
        IpAddr::V4(Ipv4Addr::new(p[o], p[o + 1], p[o + 2], p[o + 3]))
    }
}

fn put_addr(p: &mut [u8], o: usize, a: IpAddr) {
    match a {
        IpAddr::V4(v) => p[o..o + 4].copy_from_slice(&v.octets()),
        IpAddr::V6(v) => p[o..o + 16].copy_from_slice(&v.octets()),
    }
}

/// `rt6_need_strict`: multicast, link-local and loopback addresses are never forwarded.
fn need_strict(a: IpAddr) -> bool {
    match a {
        IpAddr::V6(v) => {
            let o = v.octets();
            v.is_multicast() || v.is_loopback() || (o[0] == 0xfe && o[1] & 0xc0 == 0x80)
        }
        IpAddr::V4(_) => false,
    }
}

/// The route a lookup finds: in the one table for `BPF_FIB_LOOKUP_DIRECT`, else in the
/// local, main and default tables in turn. `Err` is a return code.
fn find_route(net: &Net, dst: IpAddr, p: &mut [u8], flags: u32) -> Result<FibRoute, i64> {
    if flags & LOOKUP_DIRECT != 0 {
        let mut table = super::state::RT_TABLE_MAIN;
        if flags & LOOKUP_TBID != 0 {
            table = get32(p, off::VLAN);
            put32(p, off::VLAN, 0);
        }
        if !net.has_table(table) {
            return Err(RET_NOT_FWDED);
        }
        return net.route(dst, Some(table)).cloned().ok_or(RET_NOT_FWDED);
    }
    [255, super::state::RT_TABLE_MAIN, 253]
        .iter()
        .find_map(|&t| net.route(dst, Some(t)))
        .cloned()
        .ok_or(RET_NOT_FWDED)
}

/// One lookup on `params` (at least 64 bytes); the return code, `params` updated.
pub fn lookup(net: &Net, p: &mut [u8], flags: u32, check_mtu: bool) -> i64 {
    let v6 = p[off::FAMILY] == AF_INET6;
    let dst = addr(p, off::DST, v6);
    if v6 && (need_strict(dst) || need_strict(addr(p, off::SRC, true))) {
        return RET_NOT_FWDED;
    }
    let Some(dev) = net.device(get32(p, off::IFINDEX)) else {
        return ENODEV as i64;
    };
    if !(if v6 {
        dev.forwarding_v6
    } else {
        dev.forwarding_v4
    }) {
        return RET_FWD_DISABLED;
    }
    let route = match find_route(net, dst, p, flags) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match route.kind {
        RouteKind::Unicast => {}
        RouteKind::Blackhole => return RET_BLACKHOLE,
        RouteKind::Unreachable => return RET_UNREACHABLE,
        RouteKind::Prohibit => return RET_PROHIBIT,
        RouteKind::Local => return RET_NOT_FWDED,
    }
    let out = net.device(route.ifindex);
    let mut mtu = 0;
    if check_mtu {
        mtu = match route.mtu {
            0 => out.map_or(0, |d| d.mtu),
            m => m,
        };
        let tot_len = u16::from_le_bytes([p[off::TOT_LEN], p[off::TOT_LEN + 1]]) as u32;
        if tot_len > mtu {
            p[off::TOT_LEN..off::TOT_LEN + 2].copy_from_slice(&(mtu as u16).to_le_bytes());
            return RET_FRAG_NEEDED;
        }
    }
    put32(p, off::RT_METRIC, route.metric);
    put32(p, off::IFINDEX, route.ifindex);
    if v6 {
        if let Some(IpAddr::V6(gw)) = route.gateway {
            put_addr(p, off::DST, IpAddr::V6(gw));
        }
        if flags & LOOKUP_SRC != 0 {
            match route.source {
                Some(s @ IpAddr::V6(_)) => put_addr(p, off::SRC, s),
                _ => return RET_NO_SRC_ADDR,
            }
        }
    } else {
        if flags & LOOKUP_SRC != 0 {
            let src = match route.source {
                Some(s @ IpAddr::V4(_)) => s,
                _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            };
            put_addr(p, off::SRC, src);
        }
        match route.gateway {
            Some(gw @ IpAddr::V4(_)) => put_addr(p, off::DST, gw),
            Some(gw @ IpAddr::V6(_)) => {
                p[off::FAMILY] = AF_INET6;
                put_addr(p, off::DST, gw);
            }
            None => {}
        }
    }
    if flags & LOOKUP_SKIP_NEIGH == 0 {
        let Some(dmac) = route.dmac else {
            return RET_NO_NEIGH;
        };
        let smac = route.smac.or(out.map(|d| d.mac)).unwrap_or([0; 6]);
        p[off::DMAC..off::DMAC + 6].copy_from_slice(&dmac);
        p[off::SMAC..off::SMAC + 6].copy_from_slice(&smac);
    }
    // bpf_fib_set_fwd_params.
    p[off::VLAN..off::VLAN + 4].fill(0);
    if mtu != 0 {
        p[off::TOT_LEN..off::TOT_LEN + 2].copy_from_slice(&(mtu as u16).to_le_bytes());
    }
    RET_SUCCESS
}

/// `bpf_fib_lookup(ctx, params, plen, flags)`.
pub(super) fn fib_lookup(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ptr, plen, flags) = (a[1], a[2] as u32 as i32, a[3] as u32);
    if plen < PARAMS_SIZE as i32 {
        return Ok(neg(EINVAL));
    }
    if flags & !LOOKUP_MASK != 0 {
        return Ok(neg(EINVAL));
    }
    let mut p = c.read(ptr, PARAMS_SIZE)?;
    if p[off::FAMILY] != AF_INET && p[off::FAMILY] != AF_INET6 {
        return Ok(neg(EAFNOSUPPORT));
    }
    let skb_len = match any_ctx(c) {
        Some(Ctx::Skb(s)) => Some((s.packet().len(), s.gso_size != 0)),
        Some(Ctx::Xdp) => None,
        None => {
            return Err(HelperError::Other(
                "bpf_fib_lookup needs an __sk_buff or xdp_md context".into(),
            ));
        }
    };
    let tot_len = u16::from_le_bytes([p[off::TOT_LEN], p[off::TOT_LEN + 1]]);
    let check_mtu = skb_len.is_none() || tot_len != 0;
    let net = &c.env.world.net;
    let mut rc = lookup(net, &mut p, flags, check_mtu);
    if let (Some((len, gso)), true) = (skb_len, rc == RET_SUCCESS && !check_mtu) {
        // The skb against the output device's MTU (is_skb_forwardable).
        let mtu = net.device(get32(&p, off::IFINDEX)).map_or(0, |d| d.mtu);
        if len > mtu as usize + 14 + 4 && !gso {
            rc = RET_FRAG_NEEDED;
        }
        p[off::TOT_LEN..off::TOT_LEN + 2].copy_from_slice(&(mtu as u16).to_le_bytes());
    }
    c.write(ptr, &p)?;
    Ok(rc as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::net::state::NetDev;

    fn params(dst: [u8; 4], ifindex: u32) -> Vec<u8> {
        let mut p = vec![0u8; 64];
        p[0] = AF_INET;
        put32(&mut p, off::IFINDEX, ifindex);
        p[off::DST..off::DST + 4].copy_from_slice(&dst);
        p
    }

    #[test]
    fn ipv4_via_gateway() {
        let mut net = Net::default();
        net.devices
            .push(NetDev::ethernet(2, "eth0", [2, 0, 0, 0, 0, 2], 1500));
        net.routes.push(FibRoute {
            gateway: Some("10.0.0.1".parse().unwrap()),
            dmac: Some([2, 0, 0, 0, 0, 9]),
            metric: 7,
            ..FibRoute::unicast("0.0.0.0".parse().unwrap(), 0, 2)
        });
        let mut p = params([8, 8, 8, 8], 2);
        assert_eq!(lookup(&net, &mut p, 0, true), RET_SUCCESS);
        assert_eq!(&p[off::DST..off::DST + 4], &[10, 0, 0, 1]);
        assert_eq!(get32(&p, off::RT_METRIC), 7);
        assert_eq!(&p[off::SMAC..off::SMAC + 6], &[2, 0, 0, 0, 0, 2]);
        assert_eq!(&p[off::DMAC..off::DMAC + 6], &[2, 0, 0, 0, 0, 9]);
        assert_eq!(u16::from_le_bytes([p[6], p[7]]), 1500);
        let mut p = params([8, 8, 8, 8], 1);
        assert_eq!(lookup(&net, &mut p, 0, true), RET_FWD_DISABLED);
        let mut p = params([8, 8, 8, 8], 9);
        assert_eq!(lookup(&net, &mut p, 0, true), ENODEV as i64);
        let mut p = params([8, 8, 8, 8], 2);
        p[6..8].copy_from_slice(&1501u16.to_le_bytes());
        assert_eq!(lookup(&net, &mut p, 0, true), RET_FRAG_NEEDED);
    }
}
