//! `bpf_xdp_adjust_head`, `bpf_xdp_adjust_tail` and `bpf_xdp_adjust_meta` over the test
//! run's `xdp_buff` ([`Packet::adjust_head`](crate::progtype::Packet::adjust_head) and its
//! siblings hold the limits). A multi-buffer packet's tail is its last fragment: growing
//! it is limited by that fragment's page, shrinking takes bytes from the fragments only.

use super::{NetResult, neg, with_xdp};
use crate::helpers::CallEnv;
use crate::progtype::XdpContext;
use crate::progtype::packet::{EINVAL, ETH_HLEN, PAGE_SIZE};

fn ret(r: Result<(), i32>) -> u64 {
    match r {
        Ok(()) => 0,
        Err(e) => neg(e),
    }
}

/// `bpf_xdp_adjust_head(xdp, delta)`.
pub(super) fn adjust_head(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let delta = a[1] as u32 as i32;
    with_xdp(c, "bpf_xdp_adjust_head", |x| {
        ret(x.packet_mut().adjust_head(delta))
    })
}

/// `bpf_xdp_adjust_meta(xdp, delta)`.
pub(super) fn adjust_meta(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let delta = a[1] as u32 as i32;
    with_xdp(c, "bpf_xdp_adjust_meta", |x| {
        ret(x.packet_mut().adjust_meta(delta))
    })
}

/// `bpf_xdp_adjust_tail(xdp, delta)`.
pub(super) fn adjust_tail(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let delta = a[1] as u32 as i32;
    with_xdp(c, "bpf_xdp_adjust_tail", |x| {
        if x.frags.is_empty() {
            ret(x.packet_mut().adjust_tail(delta))
        } else {
            ret(frags_adjust_tail(x, delta))
        }
    })
}

/// `bpf_xdp_frags_increase_tail` / `bpf_xdp_frags_shrink_tail`.
fn frags_adjust_tail(x: &mut XdpContext, delta: i32) -> Result<(), i32> {
    let n = x.frags.len();
    if delta >= 0 {
        let last = match n % PAGE_SIZE {
            0 => PAGE_SIZE,
            r => r,
        };
        let grow = delta as usize;
        if grow > PAGE_SIZE - last {
            return Err(EINVAL);
        }
        x.frags.resize(n + grow, 0);
    } else {
        let shrink = delta.unsigned_abs() as usize;
        let total = x.packet().len() + n;
        if shrink as isize > total as isize - ETH_HLEN as isize {
            return Err(EINVAL);
        }
        x.frags.truncate(n.saturating_sub(shrink));
    }
    Ok(())
}
