//! The networking helpers compared with Linux. tests/fixtures/net/net.c (compiled by
//! build.sh there) has tc, XDP and socket filter programs that call the helpers with
//! arguments from the test input (`cb[]` of `ctx_in`, or packet bytes for XDP). Every case
//! below runs in bpfsim through `Session::run` and must give exactly the retval, data_out
//! and ctx_out Linux 6.18's BPF_PROG_TEST_RUN gave (the `EXPECT` table). `kernel_agrees`
//! asks the running kernel again through the bpf() syscall (as root; it prints `skipped`
//! without it), loading the same object with its maps created and seeded in the kernel.
//!
//! Set `BPFSIM_RECORD=1` to print the kernel's answers as the `EXPECT` table (tests/fixtures/net/expect.rs).

mod common;
use bpfsim::helpers::net::Socket;
use bpfsim::progtype::{TestRunInput, TestRunOutput};
use bpfsim::session::{Session, SessionError};
use std::path::PathBuf;

fn object() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/net/net.o")
}

/// The listening TCP socket the socket cases look up (bpfsim: in `World::net.sockets`;
/// kernel: opened by the test on 127.0.0.1).
const LISTEN_PORT: u16 = 47211;

/// One run.
struct Case {
    name: String,
    prog: &'static str,
    data_in: Vec<u8>,
    ctx_in: Option<Vec<u8>>,
    flags: u32,
    /// Seed `devs[0] = 1` and `cpus[1]` in both engines.
    seed_maps: bool,
}

impl Case {
    fn input(&self) -> TestRunInput<'_> {
        TestRunInput {
            data_in: &self.data_in,
            ctx_in: self.ctx_in.as_deref(),
            ctx_out: self.ctx_in.is_some(),
            flags: self.flags,
            ..Default::default()
        }
    }
}

/// An IPv4/UDP frame of `len` bytes from 192.168.0.1:1000 to 10.0.0.2:2000 with valid
/// IP and UDP checksums, then a counting pattern.
fn ipv4_udp(len: usize) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x09, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];
    let ip_len = (len - 14) as u16;
    let mut ip = vec![
        0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 0, 1, 10, 0, 0, 2,
    ];
    ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
    let sum = bpfsim::helpers::net::csum_fold(bpfsim::helpers::net::csum_partial(&ip, 0));
    ip[10..12].copy_from_slice(&sum.to_le_bytes());
    f.extend_from_slice(&ip);
    let udp_len = ip_len - 20;
    f.extend_from_slice(&[0x03, 0xe8, 0x07, 0xd0]);
    f.extend_from_slice(&udp_len.to_be_bytes());
    f.extend_from_slice(&[0x12, 0x34]);
    let mut i = 0u8;
    while f.len() < len {
        f.push(i);
        i = i.wrapping_mul(5).wrapping_add(3);
    }
    f
}

/// An IPv6/TCP frame of `len` bytes.
fn ipv6_tcp(len: usize) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x09, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xdd];
    let plen = (len - 54) as u16;
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&plen.to_be_bytes());
    f.extend_from_slice(&[6, 64]);
    f.extend(1..=16u8);
    f.extend(0x21..=0x30u8);
    f.extend_from_slice(&[
        0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0x10, 0,
    ]);
    let mut i = 7u8;
    while f.len() < len {
        f.push(i);
        i = i.wrapping_add(11);
    }
    f
}

/// A frame with an 802.1Q tag (VLAN 5) around IPv4.
fn vlan_frame(len: usize) -> Vec<u8> {
    let inner = ipv4_udp(len - 4);
    let mut f = inner[..12].to_vec();
    f.extend_from_slice(&[0x81, 0x00, 0x20, 0x05]);
    f.extend_from_slice(&inner[12..]);
    f
}

/// A `struct __sk_buff` with `cb[0..5]`.
fn cb(args: &[u32]) -> Vec<u8> {
    let mut b = vec![0u8; 192];
    for (i, a) in args.iter().enumerate() {
        let o = 48 + 4 * i;
        b[o..o + 4].copy_from_slice(&a.to_le_bytes());
    }
    b
}

/// An XDP frame with four argument words at offset 16.
fn xdp_frame(args: [u32; 4], len: usize) -> Vec<u8> {
    let mut f = ipv4_udp(len);
    for (i, a) in args.iter().enumerate() {
        f[16 + 4 * i..20 + 4 * i].copy_from_slice(&a.to_le_bytes());
    }
    f
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let mut tc = |prog: &'static str, name: &str, frame: Vec<u8>, args: &[u32], flags: u32| {
        v.push(Case {
            name: format!("{prog}: {name}"),
            prog,
            data_in: frame,
            ctx_in: Some(cb(args)),
            flags,
            seed_maps: false,
        });
    };
    let udp = ipv4_udp(74);
    let v6 = ipv6_tcp(90);
    const NEG: u32 = 0x8000_0000;
    for off in [0u32, 10, 66, 67, 74, 0x7fff_ffff, NEG, u32::MAX] {
        tc(
            "load_bytes",
            &format!("offset {off:#x}"),
            udp.clone(),
            &[off],
            0,
        );
    }
    for (off, f, fh) in [
        (0u32, 0u32, 0u32),
        (40, 1, 0),
        (41, 1, 0),
        (71, 0, 0),
        (72, 0, 0),
        (NEG, 0, 0),
        (10, 2, 0),
        (10, 4, 0),
        (10, 0, 1),
        (23, 3, 0),
    ] {
        tc(
            "store_bytes",
            &format!("offset {off} flags {fh:#x}:{f:#x}"),
            udp.clone(),
            &[off, f, fh],
            0,
        );
        tc(
            "store_bytes",
            &format!("offset {off} flags {fh:#x}:{f:#x}, CHECKSUM_COMPLETE"),
            udp.clone(),
            &[off, f, fh],
            4,
        );
    }
    // l3: the IPv4 checksum at 24; replace the TTL/protocol word or the source address.
    let ttl_old = u16::from_le_bytes([64, 17]) as u32;
    let ttl_new = u16::from_le_bytes([63, 17]) as u32;
    let src_old = u32::from_le_bytes([192, 168, 0, 1]);
    let src_new = u32::from_le_bytes([172, 16, 5, 4]);
    for (name, args) in [
        ("ttl, size 2", [24, ttl_old, ttl_new, 2]),
        ("address, size 4", [24, src_old, src_new, 4]),
        ("by diff", [24, 0, 0x1234_5678, 0]),
        ("by diff with from", [24, 1, 5, 0]),
        ("size 3", [24, 1, 2, 3]),
        ("size 8", [24, 1, 2, 8]),
        ("odd offset", [25, 1, 2, 2]),
        ("offset past the packet", [74, 1, 2, 2]),
        ("offset at the end", [72, 1, 2, 2]),
        ("offset 0x10000", [0x10000, 1, 2, 2]),
        ("flag 0x10", [24, 1, 2, 0x12]),
    ] {
        tc("l3_csum", name, udp.clone(), &args, 0);
    }
    // l4: the UDP checksum at 40.
    for (name, args, flags) in [
        ("address, pseudo header", [40, src_old, src_new, 0x14], 0),
        (
            "address, pseudo header, CHECKSUM_COMPLETE",
            [40, src_old, src_new, 0x14],
            4,
        ),
        ("port, size 2", [40, 0xe803, 0x0100, 2], 0),
        (
            "port, size 2, CHECKSUM_COMPLETE",
            [40, 0xe803, 0x0100, 2],
            4,
        ),
        ("by diff, pseudo", [40, 0, 0xabcd, 0x10], 0),
        (
            "by diff, pseudo, CHECKSUM_COMPLETE",
            [40, 0, 0xabcd, 0x10],
            4,
        ),
        (
            "by diff, pseudo, ipv6, CHECKSUM_COMPLETE",
            [40, 0, 0xabcd, 0x90],
            4,
        ),
        ("mangled 0 with a zero checksum", [30, 0, 0x1234, 0x24], 0),
        ("mangled 0 enforced", [30, 0, 0x1234, 0x64], 0),
        ("mangled 0 result", [40, 0, 0x1234, 0x24], 0),
        ("unknown flag", [40, 1, 2, 0x102], 0),
        ("odd offset", [41, 1, 2, 2], 0),
        ("size 1", [40, 1, 2, 1], 0),
    ] {
        tc("l4_csum", name, udp.clone(), &args, flags);
    }
    tc(
        "l4_csum_wide",
        "high bits, size 2",
        udp.clone(),
        &[40, 0xe803, 0x0100, 2, 0xffff],
        0,
    );
    tc(
        "l4_csum_wide",
        "high bits, size 4",
        udp.clone(),
        &[40, src_old, src_new, 0x14, 7],
        0,
    );
    for (i, (from, to, seed)) in [
        (0u32, 0u32, 0u32),
        (0, 0, 0xdead_beef),
        (4, 0, 0),
        (0, 4, 0),
        (8, 12, 0x1234),
        (32, 32, 0),
        (32, 32, 0xffff_ffff),
        (20, 28, 0x8000_0001),
        (2, 4, 0),
        (4, 6, 0),
        (36, 0, 0),
        (12, 8, 0xffff),
    ]
    .into_iter()
    .enumerate()
    {
        let frame = if i % 2 == 0 { udp.clone() } else { v6.clone() };
        tc(
            "csum_diff",
            &format!("{from} {to} {seed:#x}"),
            frame,
            &[from, to, seed],
            0,
        );
    }
    for n in [0u32, 1, 74, 75, 0x8000_0000] {
        tc("pull_data", &format!("{n}"), udp.clone(), &[n], 0);
    }
    for (n, f, flags) in [
        (74u32, 0u32, 0u32),
        (100, 0, 0),
        (60, 0, 0),
        (34, 0, 0),
        (14, 0, 0),
        (13, 0, 0),
        (600, 0, 0),
        (4000, 0, 0),
        (16064, 0, 0),
        (16065, 0, 0),
        (80, 1, 0),
        (80, 0, 4),
        (74, 0, 4),
    ] {
        tc(
            "change_tail",
            &format!("{n} flags {f} test flags {flags}"),
            udp.clone(),
            &[n, f],
            flags,
        );
    }
    for (n, f) in [
        (0u32, 0u32),
        (14, 0),
        (64, 0),
        (100, 0),
        (4000, 0),
        (15990, 0),
        (15991, 0),
        (u32::MAX, 0),
        (4, 1),
    ] {
        tc(
            "change_head",
            &format!("{n} flags {f}"),
            udp.clone(),
            &[n, f],
            0,
        );
    }
    for (name, frame, args, flags) in [
        ("grow 8 at net", udp.clone(), [8u32, 0, 0, 0], 0u32),
        ("grow 8 at mac", udp.clone(), [8, 1, 0, 0], 0),
        ("shrink 8 at mac", udp.clone(), [(-8i32) as u32, 1, 0, 0], 0),
        ("shrink 8 at net", udp.clone(), [(-8i32) as u32, 0, 0, 0], 0),
        ("shrink too far", udp.clone(), [(-41i32) as u32, 0, 0, 0], 0),
        (
            "shrink below the header",
            udp.clone(),
            [(-21i32) as u32, 1, 0, 0],
            0,
        ),
        ("grow 0xfff", udp.clone(), [0xfff, 0, 0, 0], 0),
        ("grow 0x1000", udp.clone(), [0x1000, 0, 0, 0], 0),
        ("mode 2", udp.clone(), [8, 2, 0, 0], 0),
        ("encap ipv4 udp", udp.clone(), [28, 1, 0x12, 0], 0),
        ("encap ipv6 in ipv4", udp.clone(), [40, 1, 0x04, 0], 0),
        ("encap both l3", udp.clone(), [40, 1, 0x06, 0], 0),
        ("encap gre and udp", udp.clone(), [40, 1, 0x1a, 0], 0),
        (
            "encap l2 eth too short",
            udp.clone(),
            [40, 1, 0x42, 0x0a00_0000],
            0,
        ),
        ("encap l2 eth", udp.clone(), [42, 1, 0x52, 0x0e00_0000], 0),
        (
            "encap l2 len over diff",
            udp.clone(),
            [8, 1, 0x02, 0x0e00_0000],
            0,
        ),
        ("decap on grow", udp.clone(), [8, 1, 0x80, 0], 0),
        (
            "decap ipv4 to ipv6",
            udp.clone(),
            [(-20i32) as u32, 1, 0x100, 0],
            0,
        ),
        ("decap both", udp.clone(), [(-20i32) as u32, 1, 0x180, 0], 0),
        (
            "shrink with encap flag",
            udp.clone(),
            [(-8i32) as u32, 0, 0x02, 0],
            0,
        ),
        ("unknown flag", udp.clone(), [8, 0, 0x200, 0], 0),
        ("no csum reset", udp.clone(), [8, 0, 0x20, 0], 0),
        ("ipv6 grow at net", v6.clone(), [16, 0, 0, 0], 0),
        (
            "ipv6 shrink at mac",
            v6.clone(),
            [(-16i32) as u32, 1, 0, 0],
            0,
        ),
        ("vlan frame", vlan_frame(78), [8, 0, 0, 0], 0),
        ("grow, CHECKSUM_COMPLETE", udp.clone(), [8, 0, 0, 0], 4),
        (
            "shrink, CHECKSUM_COMPLETE",
            udp.clone(),
            [(-8i32) as u32, 0, 0, 0],
            4,
        ),
    ] {
        tc("adjust_room", name, frame, &args, flags);
    }
    let p6 = 0xdd86u32;
    let p4 = 0x0008u32;
    for (name, frame, args, flags) in [
        ("4 to 6", udp.clone(), [p6, 0], 0u32),
        ("6 to 4", v6.clone(), [p4, 0], 0),
        ("4 to 4", udp.clone(), [p4, 0], 0),
        ("flags", udp.clone(), [p6, 1], 0),
        ("6 to 4, CHECKSUM_COMPLETE", v6.clone(), [p4, 0], 4),
        ("vlan frame", vlan_frame(78), [p6, 0], 0),
    ] {
        tc("change_proto", name, frame, &args, flags);
    }
    for t in [0u32, 1, 2, 3, 4, 7, u32::MAX] {
        tc("change_type", &format!("{t}"), udp.clone(), &[t], 0);
    }
    let q = 0x0081u32; // htons(ETH_P_8021Q)
    let ad = 0xa888u32; // htons(ETH_P_8021AD)
    for (name, frame, args) in [
        ("push", udp.clone(), [1u32, q | (5 << 16), 0]),
        ("push 802.1ad", udp.clone(), [1, ad | (0xfff << 16), 0]),
        ("push other proto", udp.clone(), [1, 0x0008 | (7 << 16), 0]),
        ("pop untagged", udp.clone(), [2, 0, 0]),
        ("push push", udp.clone(), [3, q | (5 << 16), ad | (9 << 16)]),
        ("push pop", udp.clone(), [4, q | (5 << 16), 0]),
        (
            "push push pop",
            udp.clone(),
            [5, q | (5 << 16), ad | (9 << 16)],
        ),
        ("pop tagged frame", vlan_frame(78), [2, 0, 0]),
        ("pop pop tagged frame", vlan_frame(78), [6, 0, 0]),
        (
            "push on tagged frame",
            vlan_frame(78),
            [3, q | (3 << 16), q | (4 << 16)],
        ),
    ] {
        tc("vlan", name, frame, &args, 0);
        if name == "push push pop" || name == "pop tagged frame" {
            tc(
                "vlan",
                &format!("{name}, CHECKSUM_COMPLETE"),
                vlan_frame(78),
                &args,
                4,
            );
        }
    }
    tc("hash_recalc", "ipv4", udp.clone(), &[], 0);
    tc("hash_recalc", "ipv6", v6.clone(), &[], 0);
    for (ifindex, f, fh) in [
        (1u32, 0u32, 0u32),
        (9, 1, 0),
        (1, 2, 0),
        (1, 0x10000, 0),
        (1, 0, 1),
    ] {
        tc(
            "redirect",
            &format!("{ifindex} {fh:#x}:{f:#x}"),
            udp.clone(),
            &[ifindex, f, fh],
            0,
        );
        tc(
            "redirect_peer",
            &format!("{ifindex} {fh:#x}:{f:#x}"),
            udp.clone(),
            &[ifindex, f, fh],
            0,
        );
    }
    for (plen, flags) in [(0u32, 0u32), (1, 0), (2, 0), (2, 1)] {
        tc(
            "redirect_neigh",
            &format!("params {plen} flags {flags}"),
            udp.clone(),
            &[3, plen, flags],
            0,
        );
    }
    for (ifindex, f, fh) in [
        (0x7fff_0000u32, 0u32, 0u32),
        (1, 2, 0),
        (1, 0x10000, 0),
        (1, 0, 1),
    ] {
        tc(
            "clone_redirect",
            &format!("{ifindex:#x} {fh:#x}:{f:#x}"),
            udp.clone(),
            &[ifindex, f, fh],
            0,
        );
    }
    let gso = {
        let mut b = cb(&[1, 0, 0]);
        b[176..180].copy_from_slice(&1000u32.to_le_bytes());
        b
    };
    v.push(Case {
        name: "clone_redirect: gso packet".into(),
        prog: "clone_redirect",
        data_in: udp.clone(),
        ctx_in: Some(gso),
        flags: 0,
        seed_maps: false,
    });
    let mut tc = |prog: &'static str, name: &str, frame: Vec<u8>, args: &[u32], flags: u32| {
        v.push(Case {
            name: format!("{prog}: {name}"),
            prog,
            data_in: frame,
            ctx_in: Some(cb(args)),
            flags,
            seed_maps: false,
        });
    };
    for (name, args) in [
        ("ipv4", [5u32, 0, 0]),
        ("ipv4, flags out", [5, 0, 0x10]),
        ("ipv4 key, ipv6 read", [5, 0, 1]),
        ("ipv6 key", [5, 1 | 0x100 | (0x12345 << 16), 0x11]),
        ("ipv4 with a label", [5, 0x10000, 0]),
        ("every set flag", [5, 0x1e, 0x10]),
        ("unknown set flag", [5, 0x20, 0]),
        ("unknown get flag", [5, 0, 0x20]),
    ] {
        tc("tunnel_key", name, udp.clone(), &args, 0);
    }
    tc("tunnel_key_compat", "8 and 20 bytes", udp.clone(), &[], 0);
    for (name, args) in [
        ("no key", [0u32, 1, 0]),
        ("8 bytes", [1, 1, 0]),
        ("6 bytes", [1, 2, 0]),
        ("16 bytes, read into 12", [1, 3, 1]),
        ("16 bytes", [1, 3, 0]),
    ] {
        tc("tunnel_opt", name, udp.clone(), &args, 0);
    }
    for (name, args) in [
        ("lo", [2u32, 1, 0, 0]),
        ("no device", [2, 0x7fff_0000, 0, 0]),
        ("bad family", [3, 1, 0, 0]),
        ("bad flags", [2, 1, 0x40, 0]),
        ("ipv6 link-local", [10, 1, 0, 0]),
        ("ipv6 no device", [10, 0x7fff_0000, 0, 0]),
        ("ipv4 direct tbid", [2, 1, 9, 1500]),
    ] {
        tc("fib", name, udp.clone(), &args, 0);
    }
    tc("fib_short", "plen 32", udp.clone(), &[], 0);
    tc("cookies", "tc", udp.clone(), &[], 0);
    for (name, args) in [
        ("tcp none", [0u32, 4, 47999, 0, 0]),
        ("tcp listener", [0, 4, LISTEN_PORT as u32, 0, 0]),
        ("udp, skc listener", [1, 4, LISTEN_PORT as u32, 0, 0]),
        ("udp none", [1, 4, LISTEN_PORT as u32, 0, 0]),
        ("tcp listener, netns 0", [0, 4, LISTEN_PORT as u32, 1, 0]),
        ("tcp listener, flags", [0, 4, LISTEN_PORT as u32, 0, 1]),
        (
            "tcp listener, tuple 20 bytes",
            [0, 5, LISTEN_PORT as u32, 0, 0],
        ),
        ("tcp ipv6 none", [0, 6, LISTEN_PORT as u32, 0, 0]),
    ] {
        tc("sk_lookup", name, udp.clone(), &args, 0);
    }
    for (name, args) in [
        ("listener", [0u32, 4, LISTEN_PORT as u32, 0, 0]),
        ("none", [0, 4, 47999, 0, 0]),
        ("flags", [0, 4, LISTEN_PORT as u32, 0, 2]),
    ] {
        tc("skc_lookup", name, udp.clone(), &args, 0);
    }
    for off in [0u32, 56, 57, NEG] {
        v.push(Case {
            name: format!("sf_load_bytes: offset {off:#x}"),
            prog: "sf_load_bytes",
            data_in: udp.clone(),
            ctx_in: Some(cb(&[off])),
            flags: 0,
            seed_maps: false,
        });
    }
    let mut xdp = |prog: &'static str, name: &str, args: [u32; 4], len: usize, seed: bool| {
        v.push(Case {
            name: format!("{prog}: {name}"),
            prog,
            data_in: xdp_frame(args, len),
            ctx_in: None,
            flags: 0,
            seed_maps: seed,
        });
    };
    for d in [0i32, 14, 60, 61, -200, -216, -217] {
        xdp("xdp_head", &format!("{d}"), [d as u32, 0, 0, 0], 74, false);
    }
    for d in [0i32, -60, -61, 100, 3446, 3447] {
        xdp("xdp_tail", &format!("{d}"), [d as u32, 0, 0, 0], 74, false);
    }
    xdp(
        "xdp_tail",
        "fragments: grow 100",
        [100, 0, 0, 0],
        4000,
        false,
    );
    xdp(
        "xdp_tail",
        "fragments: shrink 200",
        [(-200i32) as u32, 0, 0, 0],
        4000,
        false,
    );
    xdp(
        "xdp_tail",
        "fragments: grow past the page",
        [4000, 0, 0, 0],
        4000,
        false,
    );
    for d in [0i32, -4, -8, -6, 4, -216, -220] {
        xdp("xdp_meta", &format!("{d}"), [d as u32, 0, 0, 0], 74, false);
    }
    for (i, f) in [(1u32, 0u32), (5, 0), (1, 1)] {
        xdp(
            "xdp_redirect",
            &format!("{i} flags {f}"),
            [i, f, 0, 0],
            74,
            false,
        );
    }
    for (name, args, seed) in [
        ("empty devmap", [0u32, 0, 0, 0], false),
        ("empty devmap, action pass", [0, 2, 0, 0], false),
        ("seeded devmap", [0, 0, 0, 0], true),
        ("seeded devmap, other key", [1, 3, 0, 0], true),
        ("key past the map", [9, 1, 0, 0], true),
        ("broadcast", [2, 8, 0, 0], true),
        ("broadcast exclude ingress", [2, 0x18, 0, 0], true),
        ("unknown flag", [0, 0x20, 0, 0], true),
        ("high flag", [0, 0, 0, 1], true),
        ("cpumap seeded", [1, 0, 1, 0], true),
        ("cpumap empty slot", [0, 2, 1, 0], true),
        ("cpumap broadcast flag", [1, 8, 1, 0], true),
    ] {
        xdp("xdp_redirect_map", name, args, 74, seed);
    }
    for (name, args) in [
        ("lo", [2u32, 1, 0, 0]),
        ("no device", [2, 0x7fff_0000, 0, 0]),
        ("bad family", [7, 1, 0, 0]),
        ("bad flags", [2, 1, 0x80, 0]),
    ] {
        xdp("xdp_fib", name, args, 74, false);
    }
    v
}

/// The recorded answers: (case name, retval, data_out in hex, ctx_out's non-zero words).
type Expected = (&'static str, u32, &'static str, &'static [(u32, u32)]);

include!("fixtures/net/expect.rs");

fn hex(b: &[u8]) -> String {
    if b.len() > 512 {
        let h = b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
            (h ^ x as u64).wrapping_mul(0x0100_0000_01b3)
        });
        return format!("len={} fnv1a={h:016x}", b.len());
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn words(b: &[u8]) -> Vec<(u32, u32)> {
    b.chunks(4)
        .enumerate()
        .filter_map(|(i, c)| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            let v = u32::from_le_bytes(w);
            (v != 0).then_some((i as u32 * 4, v))
        })
        .collect()
}

/// retval, data_out in hex, ctx_out's non-zero words.
type Summary = (u32, String, Vec<(u32, u32)>);

/// The comparable form of an output: cookies and hashes vary, the tests only look at
/// what the programs derive from them.
fn summary(out: &TestRunOutput) -> Summary {
    (
        out.retval,
        hex(&out.data_out),
        out.ctx_out.as_deref().map(words).unwrap_or_default(),
    )
}

fn listener() -> Socket {
    Socket {
        protocol: 6,
        local: ([127, 0, 0, 1], LISTEN_PORT).into(),
        remote: None,
        cookie: 0,
        mark: 0,
        priority: 0,
    }
}

/// What a run that the kernel refused looks like in the table: no retval, the errno.
fn refused(errno: i32) -> Summary {
    (0, format!("errno {errno}"), Vec::new())
}

/// Runs a case in bpfsim; a run refused as the kernel refuses it is `refused(errno)`.
fn sim_summary(session: &mut Session, case: &Case) -> Result<Summary, String> {
    match sim(session, case) {
        Ok(out) => Ok(summary(&out)),
        Err(SessionError::Context { source, .. }) => Ok(refused(source.errno())),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs a case in bpfsim.
fn sim(session: &mut Session, case: &Case) -> Result<TestRunOutput, SessionError> {
    if case.seed_maps {
        seed_sim(session);
    }
    session.world.net.sockets = vec![listener()];
    session.run(case.prog, &case.input(), 1).map(|r| r.output)
}

fn seed_sim(session: &mut Session) {
    let maps = session.maps_mut();
    for i in 0..maps.len() {
        let Some(m) = maps.get_mut(i) else { continue };
        match m.name() {
            "devs" => m.update_user(&0u32.to_le_bytes(), &1u32.to_le_bytes(), 0),
            "cpus" => m.update_user(&1u32.to_le_bytes(), &[64, 0, 0, 0, 0, 0, 0, 0], 0),
            _ => Ok(()),
        }
        .expect("seeding");
    }
}

#[test]
fn bpfsim_matches_the_recorded_kernel() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let mut session = Session::open(object()).expect("net.o loads");
        let got = sim_summary(&mut session, case);
        let want = EXPECT.iter().find(|e| e.0 == case.name);
        let Some(&(_, retval, data_out, ctx_out)) = want else {
            failures.push(format!("{}: no recorded answer", case.name));
            continue;
        };
        match got {
            Ok((r, d, c)) => {
                if (r, d.as_str(), c.as_slice()) != (retval, data_out, ctx_out) {
                    failures.push(format!(
                        "{}:\n  bpfsim: {r} {d} {c:?}\n  kernel: {retval} {data_out} {ctx_out:?}",
                        case.name
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The bpf() syscall: maps, program loading and BPF_PROG_TEST_RUN.
mod kernel {
    use super::common::sys::{self, TestAttr, bpf};
    use bpfsim::insn::opcode;
    use bpfsim::object::Object;
    use bpfsim::progtype::{TestRunInput, TestRunOutput};
    use std::os::fd::{AsRawFd, OwnedFd};

    /// The object loaded in the kernel: its maps (by object index) and programs.
    pub struct Loaded {
        pub maps: Vec<(String, OwnedFd)>,
        progs: Vec<(String, OwnedFd)>,
    }

    pub fn update(map: &OwnedFd, key: &[u8], value: &[u8]) -> Result<(), i32> {
        sys::map_update(map, key, value)
    }

    /// Creates the object's maps and loads every program; the errno and log on refusal.
    pub fn load(obj: &Object) -> Result<Loaded, String> {
        let mut maps = Vec::new();
        for m in &obj.maps {
            let f = sys::map_create_with(&sys::MapCreateAttr {
                map_type: m.map_type.as_u32(),
                key_size: m.key_size,
                value_size: m.value_size,
                max_entries: m.max_entries,
                map_flags: m.map_flags,
            })
            .map_err(|e| format!("map {}: errno {e}", m.name))?;
            if !m.initial.is_empty() {
                update(&f, &0u32.to_le_bytes(), &m.initial)
                    .map_err(|e| format!("map {}: errno {e}", m.name))?;
                sys::map_freeze(&f).map_err(|e| format!("freeze {}: errno {e}", m.name))?;
            }
            maps.push((m.name.clone(), f));
        }
        let mut progs = Vec::new();
        for p in &obj.programs {
            let mut insns = p.insns.clone();
            for i in 0..insns.len() {
                if insns[i].code != opcode::LDDW {
                    continue;
                }
                match insns[i].src {
                    opcode::PSEUDO_MAP_IDX => {
                        insns[i].src = opcode::PSEUDO_MAP_FD;
                        insns[i].imm = maps[insns[i].imm as usize].1.as_raw_fd();
                    }
                    opcode::PSEUDO_MAP_IDX_VALUE => {
                        insns[i].src = opcode::PSEUDO_MAP_VALUE;
                        insns[i].imm = maps[insns[i].imm as usize].1.as_raw_fd();
                    }
                    _ => {}
                }
            }
            let bytes: Vec<u8> = insns.iter().flat_map(|x| x.to_bytes()).collect();
            let r = sys::prog_load_with(
                &bytes,
                &sys::LoadOptions {
                    prog_type: p.prog_type.as_u32(),
                    log_level: 1,
                    log_size: 1 << 20,
                    ..sys::LoadOptions::default()
                },
            );
            match r.fd {
                Ok(fd) => progs.push((p.name.clone(), fd)),
                Err(e) => {
                    let tail: Vec<&str> = r.log.lines().rev().take(8).collect();
                    return Err(format!("{}: errno {e}: {}", p.name, tail.join(" | ")));
                }
            }
        }
        Ok(Loaded { maps, progs })
    }

    impl Loaded {
        pub fn run(&self, prog: &str, input: &TestRunInput<'_>) -> Result<TestRunOutput, i32> {
            let fd = &self.progs.iter().find(|p| p.0 == prog).ok_or(-1)?.1;
            let mut data_out = vec![0u8; 128 * 1024];
            let mut ctx_out = vec![0u8; 4096];
            let mut a = TestAttr {
                prog_fd: fd.as_raw_fd() as u32,
                flags: input.flags,
                data_in: input.data_in.as_ptr() as u64,
                data_size_in: input.data_in.len() as u32,
                data_out: data_out.as_mut_ptr() as u64,
                data_size_out: data_out.len() as u32,
                repeat: 1,
                ..Default::default()
            };
            if let Some(c) = input.ctx_in {
                a.ctx_in = c.as_ptr() as u64;
                a.ctx_size_in = c.len() as u32;
            }
            if input.ctx_out {
                a.ctx_out = ctx_out.as_mut_ptr() as u64;
                a.ctx_size_out = ctx_out.len() as u32;
            }
            bpf(sys::BPF_PROG_TEST_RUN, &mut a)?;
            data_out.truncate(a.data_size_out as usize);
            ctx_out.truncate(a.ctx_size_out as usize);
            Ok(TestRunOutput {
                retval: a.retval,
                data_out,
                ctx_out: input.ctx_out.then_some(ctx_out),
            })
        }
    }

    /// Whether the bpf() syscall works here.
    pub fn available() -> bool {
        sys::bpf_available()
    }
}

/// Runs every case in the kernel and compares with bpfsim (and with `EXPECT`).
#[test]
fn kernel_agrees() {
    if !kernel::available() {
        return;
    }
    let obj = bpfsim::object::Object::from_file(object()).expect("net.o parses");
    let loaded = match kernel::load(&obj) {
        Ok(l) => l,
        Err(e) => panic!("the kernel refused net.o: {e}"),
    };
    // The socket the lookups find.
    let listener = std::net::TcpListener::bind(("127.0.0.1", LISTEN_PORT));
    if listener.is_err() {
        println!("skipped: 127.0.0.1:{LISTEN_PORT} is taken");
        return;
    }
    let record = std::env::var_os("BPFSIM_RECORD").is_some();
    let mut table = Vec::new();
    let mut failures = Vec::new();
    for case in cases() {
        // Fresh kernel maps per case: reload so that seeding does not carry over.
        let fresh = kernel::load(&obj).expect("loads again");
        let k = if case.seed_maps {
            for (name, fd) in &fresh.maps {
                match name.as_str() {
                    "devs" => kernel::update(fd, &0u32.to_le_bytes(), &1u32.to_le_bytes()),
                    "cpus" => kernel::update(fd, &1u32.to_le_bytes(), &[64, 0, 0, 0, 0, 0, 0, 0]),
                    _ => Ok(()),
                }
                .expect("kernel seeding");
            }
            fresh.run(case.prog, &case.input())
        } else {
            loaded.run(case.prog, &case.input())
        };
        let k = match k {
            Ok(out) => summary(&out),
            Err(e) => refused(e),
        };
        table.push((case.name.clone(), k.clone()));
        let mut session = Session::open(object()).expect("net.o loads");
        match sim_summary(&mut session, &case) {
            Ok(s) => {
                if s != k {
                    failures.push(format!(
                        "{}:\n  bpfsim: {} {} {:?}\n  kernel: {} {} {:?}",
                        case.name, s.0, s.1, s.2, k.0, k.1, k.2
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: bpfsim: {e}", case.name)),
        }
    }
    drop(listener);
    if record {
        println!(
            "/// Recorded from Linux {} by `BPFSIM_RECORD=1 cargo test --test helpers_net_kernel kernel_agrees -- --nocapture`.",
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
        );
        println!("const EXPECT: &[Expected] = &[");
        for (name, (r, d, c)) in &table {
            println!("    ({name:?}, {r}, {d:?}, &{c:?}),");
        }
        println!("];");
    }
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
