//! Redirects: `bpf_redirect`, `bpf_redirect_map`, `bpf_redirect_neigh`, `bpf_redirect_peer`
//! and `bpf_clone_redirect`. A test run does not forward anything: the program's return
//! value is what BPF_PROG_TEST_RUN reports (`TC_ACT_REDIRECT` 7, `XDP_REDIRECT` 4, or the
//! helper's refusal), and the target is kept in `World::net.redirect` for the test to see.
//! `bpf_clone_redirect` sends a copy at once; it is kept in `World::net.clones`.

use super::state::{ClonedPacket, Redirect, RedirectKind};
use super::{Ctx, NetResult, any_ctx, skb_ctx};
use crate::helpers::{CallEnv, HelperError, errno};
use crate::maps::MapType;

const BPF_F_INGRESS: u64 = 1;
/// `BPF_F_NEIGH | BPF_F_PEER | BPF_F_NEXTHOP`: internal flags programs may not pass.
const BPF_F_REDIRECT_INTERNAL: u64 = 0x7 << 16;
const BPF_F_BROADCAST: u64 = 1 << 3;
const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;

pub const TC_ACT_SHOT: u64 = 2;
pub const TC_ACT_REDIRECT: u64 = 7;
pub const XDP_ABORTED: u64 = 0;
pub const XDP_REDIRECT: u64 = 4;

fn record(c: &mut CallEnv<'_, '_>, kind: RedirectKind, target: u64, flags: u64) {
    c.world().net.redirect = Some(Redirect {
        kind,
        target,
        flags,
    });
}

/// `bpf_redirect(ifindex, flags)`: `TC_ACT_REDIRECT` (tc) or `XDP_REDIRECT`; flags other
/// than `BPF_F_INGRESS` (any flag for XDP) give `TC_ACT_SHOT` / `XDP_ABORTED`.
pub(super) fn redirect(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ifindex, flags) = (a[0] as u32 as u64, a[1]);
    let xdp = matches!(any_ctx(c), Some(Ctx::Xdp));
    if xdp {
        if flags != 0 {
            return Ok(XDP_ABORTED);
        }
        record(c, RedirectKind::Device, ifindex, 0);
        return Ok(XDP_REDIRECT);
    }
    if flags & (!BPF_F_INGRESS | BPF_F_REDIRECT_INTERNAL) != 0 {
        return Ok(TC_ACT_SHOT);
    }
    record(c, RedirectKind::Device, ifindex, flags);
    Ok(TC_ACT_REDIRECT)
}

/// `bpf_redirect_peer(ifindex, flags)`.
pub(super) fn redirect_peer(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ifindex, flags) = (a[0] as u32 as u64, a[1]);
    if flags != 0 {
        return Ok(TC_ACT_SHOT);
    }
    record(c, RedirectKind::Peer, ifindex, 0);
    Ok(TC_ACT_REDIRECT)
}

/// `bpf_redirect_neigh(ifindex, params, plen, flags)`: `params` (a `struct
/// bpf_redir_neigh`, 20 bytes) names the next hop.
pub(super) fn redirect_neigh(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ifindex, params, plen, flags) = (a[0] as u32 as u64, a[1], a[2] as u32 as i32, a[3]);
    if (plen != 0 && plen < 20) || flags != 0 {
        return Ok(TC_ACT_SHOT);
    }
    let nexthop = if plen != 0 {
        let p = c.read(params, 20)?;
        let mut addr = [0u8; 16];
        addr.copy_from_slice(&p[4..20]);
        Some((u32::from_le_bytes([p[0], p[1], p[2], p[3]]), addr))
    } else {
        None
    };
    record(c, RedirectKind::Neigh { nexthop }, ifindex, 0);
    Ok(TC_ACT_REDIRECT)
}

/// `bpf_redirect_map(map, key, flags)` (XDP): `XDP_REDIRECT` when the devmap, cpumap or
/// xskmap has an entry at `key` (or with `BPF_F_BROADCAST`), else the action in the low two
/// bits of `flags`; `XDP_ABORTED` for unknown flags.
pub(super) fn redirect_map(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ptr, key, flags) = (a[0], a[1] as u32, a[2]);
    let maps = c
        .env
        .maps
        .as_deref_mut()
        .ok_or_else(|| HelperError::Other("bpf_redirect_map: the run has no maps".into()))?;
    let index = maps
        .index_of_ptr(ptr)
        .ok_or_else(|| HelperError::Other(format!("{ptr:#x} is not a map pointer")))?;
    let map = maps
        .get_mut(index)
        .ok_or_else(|| HelperError::Other(format!("no map #{index}")))?;
    let flag_mask = match map.def().map_type {
        MapType::DevMap | MapType::DevMapHash => BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
        MapType::CpuMap | MapType::XskMap => 0,
        t => {
            return Err(HelperError::Other(format!(
                "bpf_redirect_map needs a devmap, cpumap or xskmap, not a {t:?}"
            )));
        }
    };
    let action_mask = 3;
    if flags & !(action_mask | flag_mask) != 0 {
        return Ok(XDP_ABORTED);
    }
    let found = map.lookup_user(&key.to_le_bytes()).is_ok();
    if !found && flags & BPF_F_BROADCAST == 0 {
        return Ok(flags & action_mask);
    }
    let kept = if flags & BPF_F_BROADCAST != 0 {
        flags
    } else {
        0
    };
    record(c, RedirectKind::Map { map: index }, key as u64, kept);
    Ok(XDP_REDIRECT)
}

/// `bpf_clone_redirect(skb, ifindex, flags)`: sends a copy of the packet to a device of
/// `World::net.devices` (0), or -EINVAL for unknown flags or devices; -EBADMSG for a GSO
/// packet without a GSO type (what a test run's `gso_size` makes).
pub(super) fn clone_redirect(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ifindex, flags) = (a[1] as u32, a[2]);
    let skb = skb_ctx(c, "bpf_clone_redirect")?;
    if flags & (!BPF_F_INGRESS | BPF_F_REDIRECT_INTERNAL) != 0 {
        return Ok(errno::EINVAL);
    }
    if skb.gso_size != 0 {
        return Ok(-74i64 as u64); // EBADMSG
    }
    let bad_mac = skb.mac_header >= skb.network_header || skb.packet().is_empty();
    let data = skb.packet().data();
    if c.world().net.device(ifindex).is_none() {
        return Ok(errno::EINVAL);
    }
    if bad_mac {
        return Ok(errno::ERANGE);
    }
    c.world().net.clones.push(ClonedPacket {
        ifindex,
        ingress: flags & BPF_F_INGRESS != 0,
        data,
    });
    Ok(0)
}
