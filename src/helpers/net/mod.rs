//! Networking helpers: packet bytes and checksums, packet shape (push, pull, grow, trim,
//! VLAN tags, protocol changes), redirects, the FIB lookup, tunnel metadata, the flow hash
//! and sockets, each with Linux 6.18's return values and effects on the packet as
//! BPF_PROG_TEST_RUN shows them (tests/helpers_net_kernel.rs compares with the kernel).
//!
//! The helpers reach the packet through the run's context ([`SkbContext`] or
//! [`XdpContext`]); a helper called with another context stops the run with an error (the
//! kernel's verifier would not have let the program call it). After a packet changes shape,
//! the packet region of the run's memory is moved to match (`reshape`); pointers the
//! program held into the old packet stay valid only where the kernel's would (the verifier
//! makes programs reload them).
//!
//! The simulated network the helpers see (devices, routes, sockets, cookies, the flow hash
//! key, the last redirect) is [`Net`], `World::net`.
//!
//! Known deviations from the kernel:
//! - socket cookies come from `Net::next_socket_cookie` (the kernel's global counter gives
//!   other numbers); within a run the test run's socket keeps its cookie, as in the kernel;
//! - `bpf_get_netns_cookie` returns `Net::netns_cookie` (1, init_net's, unless set);
//! - `bpf_get_hash_recalc` hashes with `Net::hash_key`, not the kernel's per-boot random
//!   key, and its dissector covers Ethernet, VLAN tags, IPv4, IPv6 and L4 ports only
//!   ([`flow_hash`]);
//! - the FIB has no policy rules, multipath or lightweight tunnels; devices have no
//!   up/down state (`bpf_clone_redirect` to any listed device returns 0);
//! - sockets handed to programs are `struct bpf_sock` images; `struct tcp_sock` fields past
//!   them are not modelled;
//! - `bpf_setsockopt`, `bpf_getsockopt`, `bpf_sock_map_update` and
//!   `bpf_sock_ops_cb_flags_set` need contexts bpfsim cannot run: they stop the run;
//! - `bpf_skb_under_cgroup` needs a cgroup array, which the map layer does not create yet.

mod csum;
mod fib;
mod hash;
#[cfg(test)]
mod proptests;
mod redirect;
mod shape;
mod sock;
mod state;
mod tunnel;
mod xdp;

pub use csum::{diff as csum_diff, fold as csum_fold, partial as csum_partial};
pub use hash::flow_hash;
pub use state::{
    ClonedPacket, FibRoute, Net, NetDev, RT_TABLE_MAIN, Redirect, RedirectKind, RouteKind, Socket,
};

use super::{CallEnv, HelperError, HelperTable};
use crate::progtype::{Packet, SkbContext, XdpContext};
use crate::vm::memory::{MemoryMap, RegionKind};

pub(super) fn register(t: &mut HelperTable) {
    t.register(9, "skb_store_bytes", shape::skb_store_bytes);
    t.register(10, "l3_csum_replace", csum::l3_csum_replace);
    t.register(11, "l4_csum_replace", csum::l4_csum_replace);
    t.register(13, "clone_redirect", redirect::clone_redirect);
    t.register(18, "skb_vlan_push", shape::skb_vlan_push);
    t.register(19, "skb_vlan_pop", shape::skb_vlan_pop);
    t.register(20, "skb_get_tunnel_key", tunnel::get_tunnel_key);
    t.register(21, "skb_set_tunnel_key", tunnel::set_tunnel_key);
    t.register(23, "redirect", redirect::redirect);
    t.register(26, "skb_load_bytes", shape::skb_load_bytes);
    t.register(28, "csum_diff", csum::csum_diff);
    t.register(29, "skb_get_tunnel_opt", tunnel::get_tunnel_opt);
    t.register(30, "skb_set_tunnel_opt", tunnel::set_tunnel_opt);
    t.register(31, "skb_change_proto", shape::skb_change_proto);
    t.register(32, "skb_change_type", shape::skb_change_type);
    t.register(33, "skb_under_cgroup", sock::skb_under_cgroup);
    t.register(34, "get_hash_recalc", hash::get_hash_recalc);
    t.register(38, "skb_change_tail", shape::skb_change_tail);
    t.register(39, "skb_pull_data", shape::skb_pull_data);
    t.register(41, "set_hash_invalid", hash::set_hash_invalid);
    t.register(43, "skb_change_head", shape::skb_change_head);
    t.register(44, "xdp_adjust_head", xdp::adjust_head);
    t.register(46, "get_socket_cookie", sock::get_socket_cookie);
    t.register(48, "set_hash", hash::set_hash);
    t.register(49, "setsockopt", sock::setsockopt);
    t.register(50, "skb_adjust_room", shape::skb_adjust_room);
    t.register(51, "redirect_map", redirect::redirect_map);
    t.register(53, "sock_map_update", sock::sock_map_update);
    t.register(54, "xdp_adjust_meta", xdp::adjust_meta);
    t.register(57, "getsockopt", sock::getsockopt);
    t.register(59, "sock_ops_cb_flags_set", sock::sock_ops_cb_flags_set);
    t.register(65, "xdp_adjust_tail", xdp::adjust_tail);
    t.register(69, "fib_lookup", fib::fib_lookup);
    t.register(84, "sk_lookup_tcp", sock::sk_lookup_tcp);
    t.register(85, "sk_lookup_udp", sock::sk_lookup_udp);
    t.register(86, "sk_release", sock::sk_release);
    t.register(99, "skc_lookup_tcp", sock::skc_lookup_tcp);
    t.register(122, "get_netns_cookie", sock::get_netns_cookie);
    t.register(124, "sk_assign", sock::sk_assign);
    t.register(137, "skc_to_tcp_sock", sock::skc_to_tcp_sock);
    t.register(152, "redirect_neigh", redirect::redirect_neigh);
    t.register(155, "redirect_peer", redirect::redirect_peer);
}

type NetResult = Result<u64, HelperError>;

/// The `sk_buff` behind the program's context, or the error that stops a run whose
/// context is not one.
fn skb_ctx<'c>(
    c: &'c mut CallEnv<'_, '_>,
    helper: &str,
) -> Result<&'c mut SkbContext, HelperError> {
    c.env
        .ctx
        .as_deref_mut()
        .and_then(|x| x.as_any_mut().downcast_mut::<SkbContext>())
        .ok_or_else(|| HelperError::Other(format!("{helper} needs an __sk_buff context")))
}

/// Which packet context the run has.
enum Ctx<'c> {
    Skb(&'c mut SkbContext),
    Xdp,
}

fn any_ctx<'c>(c: &'c mut CallEnv<'_, '_>) -> Option<Ctx<'c>> {
    let any = c.env.ctx.as_deref_mut()?.as_any_mut();
    if any.is::<SkbContext>() {
        any.downcast_mut::<SkbContext>().map(Ctx::Skb)
    } else {
        any.is::<XdpContext>().then_some(Ctx::Xdp)
    }
}

/// Moves the run's packet region to where `packet` now is (after it changed shape or
/// moved to a larger buffer).
fn reshape(mem: &mut MemoryMap<'_>, packet: &Packet) {
    let (start, len) = packet.region();
    // SAFETY: the range lies inside the packet's own buffer, which the context owns for the
    // whole run (the context is borrowed by the run's environment) and which no Rust
    // reference covers (`Packet` reaches it only through raw pointers).
    unsafe {
        mem.reshape(RegionKind::Packet, start, len);
    }
}

/// Runs `f` on the skb and moves the packet region afterwards.
fn with_skb<R>(
    c: &mut CallEnv<'_, '_>,
    helper: &str,
    f: impl FnOnce(&mut SkbContext) -> R,
) -> Result<R, HelperError> {
    let env = &mut *c.env;
    let skb = env
        .ctx
        .as_deref_mut()
        .and_then(|x| x.as_any_mut().downcast_mut::<SkbContext>())
        .ok_or_else(|| HelperError::Other(format!("{helper} needs an __sk_buff context")))?;
    let r = f(skb);
    reshape(&mut env.mem, skb.packet());
    Ok(r)
}

/// Runs `f` on the XDP buffer and moves the packet region afterwards.
fn with_xdp<R>(
    c: &mut CallEnv<'_, '_>,
    helper: &str,
    f: impl FnOnce(&mut XdpContext) -> R,
) -> Result<R, HelperError> {
    let env = &mut *c.env;
    let xdp = env
        .ctx
        .as_deref_mut()
        .and_then(|x| x.as_any_mut().downcast_mut::<XdpContext>())
        .ok_or_else(|| HelperError::Other(format!("{helper} needs an xdp_md context")))?;
    let r = f(xdp);
    reshape(&mut env.mem, xdp.packet());
    Ok(r)
}

/// A negative errno as a helper returns it.
fn neg(e: i32) -> u64 {
    e as i64 as u64
}
