//! Socket helpers: cookies, socket lookups over `World::net.sockets`, `bpf_sk_release`,
//! `bpf_sk_assign`, `bpf_skc_to_tcp_sock`, `bpf_skb_under_cgroup`, and the `sock_ops`
//! helpers.
//!
//! A found socket is given to the program as a pointer to a read-only `struct bpf_sock`
//! image (80 bytes) of it; `bpf_skc_to_tcp_sock` returns the same pointer for TCP sockets
//! (the kernel's `struct tcp_sock` is not modelled: reads past the image fault).
//!
//! `bpf_setsockopt`, `bpf_getsockopt`, `bpf_sock_map_update` and
//! `bpf_sock_ops_cb_flags_set` belong to `sock_ops` (and `sock_addr`, cgroup sockopt)
//! programs, which neither BPF_PROG_TEST_RUN nor bpfsim can run: called from any other
//! context they stop the run with an error, as the kernel's verifier would refuse them.

use super::state::Socket;
use super::{Ctx, NetResult, any_ctx, skb_ctx};
use crate::helpers::{CallEnv, HelperError, errno};
use crate::vm::memory::{Region, RegionKind};
use std::net::{IpAddr, SocketAddr};

const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
/// `sizeof(struct bpf_sock)`.
pub const BPF_SOCK_SIZE: usize = 80;

/// `bpf_get_socket_cookie(skb)`: the cookie of the test run's socket, given on first use
/// from `World::net.next_socket_cookie` (the kernel's is a global counter, so the values
/// differ; within one run the cookie stays the same, as in the kernel).
pub(super) fn get_socket_cookie(c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    let next = c.env.world.net.next_socket_cookie;
    let skb = skb_ctx(c, "bpf_get_socket_cookie")?;
    if skb.sk_cookie == 0 {
        skb.sk_cookie = next;
        c.world().net.next_socket_cookie = next.wrapping_add(1);
    }
    let skb = skb_ctx(c, "bpf_get_socket_cookie")?;
    Ok(skb.sk_cookie)
}

/// `bpf_get_netns_cookie(ctx)`: `World::net.netns_cookie`.
pub(super) fn get_netns_cookie(c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    Ok(c.world().net.netns_cookie)
}

/// `bpf_skb_under_cgroup(skb, map, index)`: -E2BIG past the cgroup array, -EAGAIN for an
/// empty slot, else whether the run's task is in the slot's cgroup (its id, as the map
/// stores it, equals `World::task.cgroup_id`).
pub(super) fn skb_under_cgroup(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ptr, idx) = (a[1], a[2] as u32);
    skb_ctx(c, "bpf_skb_under_cgroup")?;
    let cgroup = c.world().task.cgroup_id;
    let maps =
        c.env.maps.as_deref_mut().ok_or_else(|| {
            HelperError::Other("bpf_skb_under_cgroup: the run has no maps".into())
        })?;
    let map = maps
        .index_of_ptr(ptr)
        .and_then(|i| maps.get(i))
        .ok_or_else(|| HelperError::Other(format!("{ptr:#x} is not a map pointer")))?;
    if idx >= map.def().max_entries {
        return Ok(errno::E2BIG);
    }
    Ok(match map.lookup_user(&idx.to_le_bytes()) {
        Ok(v) => {
            let mut w = [0u8; 8];
            let n = v.len().min(8);
            w[..n].copy_from_slice(&v[..n]);
            (u64::from_le_bytes(w) == cgroup) as u64
        }
        Err(_) => errno::EAGAIN,
    })
}

/// The endpoints of a `struct bpf_sock_tuple` of `len` bytes (12 for IPv4, 36 for IPv6):
/// (source, destination).
fn tuple(b: &[u8]) -> Option<(SocketAddr, SocketAddr)> {
    let port = |o: usize| u16::from_be_bytes([b[o], b[o + 1]]);
    match b.len() {
        12 => {
            let s = IpAddr::from([b[0], b[1], b[2], b[3]]);
            let d = IpAddr::from([b[4], b[5], b[6], b[7]]);
            Some((SocketAddr::new(s, port(8)), SocketAddr::new(d, port(10))))
        }
        36 => {
            let mut s = [0u8; 16];
            let mut d = [0u8; 16];
            s.copy_from_slice(&b[0..16]);
            d.copy_from_slice(&b[16..32]);
            Some((
                SocketAddr::new(IpAddr::from(s), port(32)),
                SocketAddr::new(IpAddr::from(d), port(34)),
            ))
        }
        _ => None,
    }
}

/// The socket a packet from `src` to `dst` belongs to: a connected one first, then one
/// bound to the destination (or to the unspecified address and its port).
fn find(sockets: &[Socket], proto: u8, src: SocketAddr, dst: SocketAddr) -> Option<usize> {
    let same_family = |a: &SocketAddr| a.is_ipv4() == dst.is_ipv4();
    sockets
        .iter()
        .position(|s| {
            s.protocol == proto && same_family(&s.local) && s.local == dst && s.remote == Some(src)
        })
        .or_else(|| {
            sockets.iter().position(|s| {
                s.protocol == proto
                    && same_family(&s.local)
                    && s.remote.is_none()
                    && s.local.port() == dst.port()
                    && (s.local.ip() == dst.ip() || s.local.ip().is_unspecified())
            })
        })
}

/// The `struct bpf_sock` image of a socket.
fn image(s: &Socket) -> Vec<u8> {
    let mut b = vec![0u8; BPF_SOCK_SIZE];
    let put = |b: &mut [u8], o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
    let v6 = s.local.is_ipv6();
    put(&mut b, 4, if v6 { 10 } else { 2 }); // family
    let stream = s.protocol == IPPROTO_TCP;
    put(&mut b, 8, if stream { 1 } else { 2 }); // SOCK_STREAM / SOCK_DGRAM
    put(&mut b, 12, s.protocol as u32);
    put(&mut b, 16, s.mark);
    put(&mut b, 20, s.priority);
    match s.local.ip() {
        IpAddr::V4(a) => b[24..28].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => b[28..44].copy_from_slice(&a.octets()),
    }
    put(&mut b, 44, s.local.port() as u32);
    if let Some(r) = s.remote {
        b[48..50].copy_from_slice(&r.port().to_be_bytes());
        match r.ip() {
            IpAddr::V4(a) => b[52..56].copy_from_slice(&a.octets()),
            IpAddr::V6(a) => b[56..72].copy_from_slice(&a.octets()),
        }
    }
    // TCP_ESTABLISHED 1, TCP_LISTEN 10; UDP: TCP_CLOSE 7 unconnected, 1 connected.
    let state = match (stream, s.remote.is_some()) {
        (_, true) => 1,
        (true, false) => 10,
        (false, false) => 7,
    };
    put(&mut b, 72, state);
    put(&mut b, 76, u32::MAX); // rx_queue_mapping: -1, not recorded
    b
}

/// The program's pointer to socket `i`'s image, adding the image's region to the run.
fn socket_ptr(c: &mut CallEnv<'_, '_>, i: usize) -> u64 {
    let net = &mut c.env.world.net;
    if net.sock_images.len() <= i {
        net.sock_images.resize(i + 1, None);
    }
    let img = image(&net.sockets[i]);
    let slot = &mut net.sock_images[i];
    if slot.as_deref() != Some(&img[..]) {
        *slot = Some(img.into_boxed_slice());
    }
    let start = slot.as_deref().map_or(0, |b| b.as_ptr() as u64);
    let known = c
        .env
        .mem
        .regions()
        .iter()
        .any(|r| r.start == start && r.kind == RegionKind::Other("socket"));
    if !known {
        // SAFETY: the image is a boxed slice owned by `World::net.sock_images`, which lives
        // in the run's environment as long as its memory map does. An image is replaced only
        // when its socket changed, which no helper does during a run: so within a run an
        // image whose region was added is never freed, and the program only reads it.
        unsafe {
            c.env.mem.add_raw(Region::block(
                RegionKind::Other("socket"),
                start,
                BPF_SOCK_SIZE as u64,
                false,
            ));
        }
    }
    start
}

fn lookup(c: &mut CallEnv<'_, '_>, a: [u64; 5], proto: u8, helper: &str) -> NetResult {
    let (ptr, len, netns, flags) = (a[1], a[2] as u32 as usize, a[3], a[4]);
    if any_ctx(c).is_none() {
        return Err(HelperError::Other(format!(
            "{helper} needs an __sk_buff or xdp_md context"
        )));
    }
    let raw = c.read(ptr, len)?;
    let Some((src, dst)) = tuple(&raw) else {
        return Ok(0);
    };
    // Only the caller's namespace (a negative id) exists.
    if flags != 0 || (netns as i32) >= 0 {
        return Ok(0);
    }
    match find(&c.env.world.net.sockets, proto, src, dst) {
        Some(i) => Ok(socket_ptr(c, i)),
        None => Ok(0),
    }
}

/// `bpf_sk_lookup_tcp(ctx, tuple, tuple_size, netns, flags)`.
pub(super) fn sk_lookup_tcp(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    lookup(c, a, IPPROTO_TCP, "bpf_sk_lookup_tcp")
}

/// `bpf_skc_lookup_tcp(ctx, tuple, tuple_size, netns, flags)`.
pub(super) fn skc_lookup_tcp(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    lookup(c, a, IPPROTO_TCP, "bpf_skc_lookup_tcp")
}

/// `bpf_sk_lookup_udp(ctx, tuple, tuple_size, netns, flags)`.
pub(super) fn sk_lookup_udp(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    lookup(c, a, IPPROTO_UDP, "bpf_sk_lookup_udp")
}

/// Which socket an image pointer stands for.
fn socket_at(c: &CallEnv<'_, '_>, ptr: u64) -> Option<usize> {
    c.env
        .world
        .net
        .sock_images
        .iter()
        .position(|img| img.as_deref().is_some_and(|b| b.as_ptr() as u64 == ptr))
}

/// `bpf_sk_release(sk)`: 0.
pub(super) fn sk_release(_c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    Ok(0)
}

/// `bpf_skc_to_tcp_sock(sk)`: the pointer for a TCP socket, else NULL.
pub(super) fn skc_to_tcp_sock(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    Ok(match socket_at(c, a[0]) {
        Some(i) if c.env.world.net.sockets.get(i).map(|s| s.protocol) == Some(IPPROTO_TCP) => a[0],
        _ => 0,
    })
}

/// `bpf_sk_assign(skb, sk, flags)`: -EINVAL for NULL or flags; a test run's skb is never at
/// tc ingress, so every other call is -EOPNOTSUPP.
pub(super) fn sk_assign(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (sk, flags) = (a[1], a[2]);
    match any_ctx(c) {
        Some(Ctx::Skb(_)) => {}
        _ => {
            return Err(HelperError::Other(
                "bpf_sk_assign needs an __sk_buff context".into(),
            ));
        }
    }
    if sk == 0 || flags != 0 {
        return Ok(errno::EINVAL);
    }
    Ok(errno::EOPNOTSUPP)
}

fn sock_ops_only(name: &str) -> NetResult {
    Err(HelperError::Other(format!(
        "{name} needs a sock_ops (or sock_addr, sockopt) context, which bpfsim cannot run"
    )))
}

/// `bpf_setsockopt`: see the module docs.
pub(super) fn setsockopt(_c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    sock_ops_only("bpf_setsockopt")
}

/// `bpf_getsockopt`: see the module docs.
pub(super) fn getsockopt(_c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    sock_ops_only("bpf_getsockopt")
}

/// `bpf_sock_map_update`: see the module docs.
pub(super) fn sock_map_update(_c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    sock_ops_only("bpf_sock_map_update")
}

/// `bpf_sock_ops_cb_flags_set`: see the module docs.
pub(super) fn sock_ops_cb_flags_set(_c: &mut CallEnv<'_, '_>, _a: [u64; 5]) -> NetResult {
    sock_ops_only("bpf_sock_ops_cb_flags_set")
}
