//! Kernel-equal runs with maps. Each fixture of tests/fixtures/runs (C sources, built by
//! build.sh there, objects committed) is fed a sequence of packets or argument blobs; after
//! the sequence, every run's retval, data_out (and ctx_out, where asked for) and the final
//! contents of every map are what Linux 6.18 gave, recorded below as constants.
//!
//! - `bpfsim_*` tests run the sequence in a bpfsim `Session` and compare with the constants.
//! - `kernel_*` tests ask the live kernel again (as root, with bpftool): `bpftool prog
//!   loadall` loads and pins the object (libbpf does the relocations and global data, as
//!   for any user), BPF_PROG_TEST_RUN runs each input through the bpf() syscall, and
//!   `bpftool -j map dump` reads the maps. Without root, bpftool or bpf() they print
//!   `skipped: ...`. Set `BPFSIM_RECORD=1` to print the kernel's answers in the constants'
//!   syntax.
//!
//! Maps are compared by name: the kernel's own name for each (`bpftool map show`), which for
//! global data is libbpf's `<object name cut to 8>.bss` / `.data` / `.rodata`, the name
//! bpfsim gives them too. Keys and values are compared as bytes, sorted by key (the kernel
//! walks a hash in bucket order); per-CPU values are summed over the CPUs, because a
//! kernel test run runs on whichever CPU its thread is on and bpfsim's on CPU 0. The
//! `kernel_*` tests pin their thread to one CPU all the same: which entries an LRU hash
//! evicts depends on the CPU each update ran on (its per-CPU free list), and on one CPU the
//! kernel's choice is repeatable (tc_ttl's and sock_count's 4-entry LRU maps evict).
//! Values that depend on the clock or the task (raw_tp_args' `last_seen`) are compared by
//! key only.
//!
//! kprobe and tracepoint programs cannot be test-run by the kernel (ENOTSUPP): the kernel
//! only has to accept them (load), and bpfsim's results over hand-built contexts are checked
//! against values worked out by hand.

mod runs_support;

mod common;
use bpfsim::engine::Engine;
use bpfsim::helpers::Task;
use bpfsim::jit::JitMode;
use bpfsim::progtype::tracing::{PT_REGS_SIZE, pt_regs};
use bpfsim::session::Session;
use runs_support::pkt::{self, *};
use runs_support::{
    Dump, Input, MapState, Observed, Ran, blob32, blob64, bpfsim_maps, differences, fixture_path,
    kernel, record,
};

/// A fixture, the program to run, the inputs in order, and what the kernel answered.
struct Scenario {
    object: &'static str,
    program: &'static str,
    inputs: Vec<Input>,
    /// Maps whose values are not compared (only their keys).
    keys_only: &'static [&'static str],
    runs: &'static [Ran],
    maps: &'static [Dump],
}

impl Scenario {
    /// Runs the sequence in bpfsim: each run's output, then every map.
    fn in_bpfsim(&self, engine: Engine, mode: JitMode) -> (Session, Vec<Observed>) {
        let mut session = Session::open(fixture_path(self.object))
            .unwrap_or_else(|e| panic!("{}: {e}", self.object));
        session.set_engine(engine);
        session.set_jit_mode(mode);
        let mut runs = Vec::new();
        for (i, input) in self.inputs.iter().enumerate() {
            let out = session
                .run(self.program, &input.as_test_run(), 1)
                .unwrap_or_else(|e| {
                    panic!("{} run {i} ({engine}): bpfsim failed: {e}", self.program)
                });
            runs.push(Observed::of(&out.output));
        }
        (session, runs)
    }

    /// bpfsim's runs and maps, with the interpreter and the JIT in both modes (the kernel
    /// accepts these programs, so verified mode applies), against the recorded answers.
    fn check_bpfsim(&self) {
        for (engine, mode) in [
            (Engine::Interp, JitMode::Checked),
            (Engine::Jit, JitMode::Checked),
            (Engine::Jit, JitMode::Verified),
        ] {
            let (mut session, runs) = self.in_bpfsim(engine, mode);
            let maps = bpfsim_maps(&mut session, self.keys_only);
            let who = format!("bpfsim ({engine}, {mode:?})");
            let diffs = differences(&who, &runs, &maps, self.runs, self.maps);
            assert!(diffs.is_empty(), "{}", diffs.join("\n"));
        }
    }

    /// The live kernel's runs and maps against the recorded answers.
    fn check_kernel(&self) {
        if let Some(why) = kernel::unavailable() {
            println!("skipped: {why}");
            return;
        }
        kernel::pin_to_one_cpu().expect("pin the test thread to one CPU");
        let loaded = kernel::Loaded::load(&fixture_path(self.object))
            .unwrap_or_else(|e| panic!("the kernel refuses {}: {e}", self.object));
        let runs: Vec<Observed> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                loaded
                    .run(self.program, &input.as_test_run())
                    .unwrap_or_else(|errno| panic!("{} run {i}: errno {errno}", self.program))
            })
            .collect();
        let maps = loaded
            .maps(self.keys_only)
            .unwrap_or_else(|e| panic!("{}: {e}", self.object));
        if record() {
            print_recorded(self.program, &runs, &maps);
        }
        let diffs = differences("kernel", &runs, &maps, self.runs, self.maps);
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    }
}

fn print_recorded(program: &str, runs: &[Observed], maps: &[MapState]) {
    let upper = program.to_uppercase();
    println!("pub const {upper}_RUNS: &[Ran] = &[");
    for r in runs {
        println!("    {}", r.source());
    }
    println!("];\n\npub const {upper}_MAPS: &[Dump] = &[");
    for m in maps {
        for line in m.source().lines() {
            println!("    {line}");
        }
    }
    println!("];");
}

// ---------------------------------------------------------------------------------------
// XDP: xdp_stats.

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const C: [u8; 4] = [10, 0, 0, 3];
const D: [u8; 4] = [10, 0, 0, 4];
const E: [u8; 4] = [10, 0, 0, 5];

fn v4(src: [u8; 4], proto: u8, ttl: u8, l4: &[u8]) -> Vec<u8> {
    eth(MAC_B, MAC_A, ETH_P_IP, &ipv4(src, B, proto, ttl, l4))
}

fn v6_frame(dst: [u8; 6], src: u8, next: u8, hop: u8, l4: &[u8]) -> Vec<u8> {
    eth(dst, MAC_A, ETH_P_IPV6, &ipv6(v6(src), v6(2), next, hop, l4))
}

/// An ARP request (28 bytes after the Ethernet header).
fn arp(dst: [u8; 6]) -> Vec<u8> {
    let mut body = vec![0, 1, 8, 0, 6, 4, 0, 1];
    body.extend_from_slice(&MAC_A);
    body.extend_from_slice(&A);
    body.extend_from_slice(&[0; 6]);
    body.extend_from_slice(&B);
    eth(dst, MAC_A, ETH_P_ARP, &body)
}

fn xdp_inputs() -> Vec<Input> {
    let p = Input::packet;
    let mut bad_ihl = v4(A, IPPROTO_UDP, 64, &udp(1, 2, b"x"));
    bad_ihl[14] = 0x44;
    let mut truncated_tcp = v4(D, IPPROTO_TCP, 64, &tcp(5, 6, 0x10, &[]));
    truncated_tcp.truncate(14 + 20 + 10);
    vec![
        // 0: UDP to a DNS port: PASS.
        p(v4(A, IPPROTO_UDP, 64, &udp(5353, 53, b"query"))),
        // 1: UDP echo with a payload: MACs swapped, payload[0] = 0xa5, XDP_TX.
        p(v4(C, IPPROTO_UDP, 63, &udp(4000, 7, b"hello"))),
        // 2: TCP SYN from A again: PASS; A's entry counts 2.
        p(v4(A, IPPROTO_TCP, 64, &tcp(40000, 80, 0x02, &[]))),
        // 3: TCP RST|ACK: DROP.
        p(v4(D, IPPROTO_TCP, 32, &tcp(443, 40001, 0x14, b"bye"))),
        // 4: IPv6 UDP: PASS.
        p(v6_frame(
            MAC_B,
            1,
            IPPROTO_UDP,
            255,
            &udp(546, 547, b"dhcp6"),
        )),
        // 5: ICMPv6 from a fifth source: the hash is full (E2BIG), src_full = 1; PASS.
        p(v6_frame(
            MAC_B,
            5,
            IPPROTO_ICMPV6,
            1,
            &[128, 0, 0, 0, 0, 1, 0, 1],
        )),
        // 6: ARP: counted as other, PASS.
        p(arp(BCAST)),
        // 7: IPv4 with IHL 4: ABORTED.
        p(bad_ihl),
        // 8: TCP header cut short: ABORTED.
        p(truncated_tcp),
        // 9: 400 bytes, over max_len (300): DROP before any parsing.
        p(pkt::padded(v4(A, IPPROTO_UDP, 64, &udp(9, 9, &[])), 400)),
        // 10: echo without payload: MACs swapped only, XDP_TX.
        p(v4(C, IPPROTO_UDP, 63, &udp(4001, 7, &[]))),
        // 11: ICMP echo request from A: PASS.
        p(v4(A, IPPROTO_ICMP, 64, &[8, 0, 0xf7, 0xff, 0, 0, 0, 0])),
        // 12: only an Ethernet header that says IPv4: ABORTED.
        p(eth(MAC_B, MAC_A, ETH_P_IP, &[])),
        // 13: IPv6 TCP FIN|ACK, exactly max_len bytes: PASS.
        p(pkt::padded(
            v6_frame(MAC_B, 1, IPPROTO_TCP, 64, &tcp(22, 50000, 0x11, &[])),
            300,
        )),
        // 14: with a context (xdp_md: data, data_end, data_meta, ingress_ifindex,
        // rx_queue_index, egress_ifindex) and 8 bytes of metadata in front of an echo:
        // TX, the metadata kept in data_out, ctx_out's offsets from data_meta.
        {
            let mut d = vec![0xee; 8];
            d.extend(v4(C, IPPROTO_UDP, 63, &udp(4002, 7, b"meta")));
            let ctx = blob32(24, &[(0, 8), (4, d.len() as u32), (12, 1)]);
            Input::packet_ctx(d, ctx)
        },
        // 15: a context without metadata, data_end short of the input: the program sees
        // only the first 40 bytes (a TCP header cut short): ABORTED.
        {
            let d = v4(
                A,
                IPPROTO_TCP,
                64,
                &tcp(1, 2, 2, b"more than 40 bytes in all"),
            );
            Input::packet_ctx(d, blob32(24, &[(4, 40)]))
        },
    ]
}

fn xdp_stats() -> Scenario {
    Scenario {
        object: "xdp_stats",
        program: "xdp_stats",
        inputs: xdp_inputs(),
        keys_only: &[],
        runs: recorded::XDP_STATS_RUNS,
        maps: recorded::XDP_STATS_MAPS,
    }
}

#[test]
fn bpfsim_xdp_stats_equals_the_kernel() {
    xdp_stats().check_bpfsim();
}

#[test]
fn kernel_xdp_stats() {
    xdp_stats().check_kernel();
}

// ---------------------------------------------------------------------------------------
// tc: tc_ttl.

/// A `struct __sk_buff` for ctx_in.
fn skb(words: &[(usize, u32)]) -> Vec<u8> {
    blob32(192, words)
}

const MARK: usize = 8;
const PRIORITY: usize = 32;
const IFINDEX: usize = 40;
const CB: usize = 48;

fn tc_inputs() -> Vec<Input> {
    let p = Input::packet;
    let pc = Input::packet_ctx;
    let to_host =
        |src, proto, ttl, l4: &[u8]| eth(HOST, MAC_A, ETH_P_IP, &ipv4(src, B, proto, ttl, l4));
    vec![
        // 0: TTL 64 -> 63, checksum fixed, OK; no context.
        p(to_host(A, IPPROTO_UDP, 64, &udp(1000, 53, b"abc"))),
        // 1: TTL 1: expires here, SHOT; mark 5 -> 0x54.
        pc(
            to_host(A, IPPROTO_TCP, 1, &tcp(1, 2, 2, &[])),
            skb(&[(MARK, 5)]),
        ),
        // 2: IPv6 hop limit 2 -> 1, but marked 0xdead: SHOT.
        pc(
            v6_frame(HOST, 1, IPPROTO_UDP, 2, &udp(7, 7, b"six")),
            skb(&[(MARK, 0xdead), (CB + 16, 100)]),
        ),
        // 3: ARP: not IP, mark 1, OK.
        p(arp(BCAST)),
        // 4: the flow of run 0 again, TTL 0x80, mark 7, priority 3, ifindex 1: OK.
        pc(
            to_host(A, IPPROTO_UDP, 0x80, &udp(1000, 53, b"again")),
            skb(&[(MARK, 7), (PRIORITY, 3), (IFINDEX, 1), (CB + 16, 1)]),
        ),
        // 5: IPv6 hop limit 1: expires, SHOT.
        p(v6_frame(HOST, 3, IPPROTO_TCP, 1, &tcp(9, 9, 0x10, &[]))),
        // 6: broadcast ICMP with TTL 255, every cb[] set: OK.
        pc(
            eth(
                BCAST,
                MAC_A,
                ETH_P_IP,
                &ipv4(C, B, IPPROTO_ICMP, 255, &[8, 0, 0, 0]),
            ),
            skb(&[
                (CB, 1),
                (CB + 4, 2),
                (CB + 8, 3),
                (CB + 12, 4),
                (CB + 16, 5),
            ]),
        ),
        // 7: TTL 0: SHOT, counted as expired in the flow of run 1's addresses (UDP).
        p(to_host(A, IPPROTO_TCP, 0, &tcp(1, 2, 0x10, b"late"))),
        // 8: TTL 2 from D, the header's checksum at the carry edge. D is the fifth source:
        // `recent` (4 entries) evicts.
        p(checksum_edge()),
        // 9..: more sources, and old ones again, through the 4-entry LRU.
        p(to_host(B, IPPROTO_UDP, 9, &udp(1, 1, &[]))),
        p(to_host(A, IPPROTO_UDP, 9, &udp(1, 1, &[]))),
        p(v6_frame(HOST, 1, IPPROTO_UDP, 9, &udp(1, 1, &[]))),
        p(to_host(E, IPPROTO_UDP, 9, &udp(1, 1, &[]))),
        p(to_host(C, IPPROTO_UDP, 9, &udp(1, 1, &[]))),
        p(to_host(D, IPPROTO_UDP, 9, &udp(1, 1, &[]))),
        p(to_host(A, IPPROTO_UDP, 9, &udp(1, 1, &[]))),
    ]
}

/// An IPv4 frame whose header checksum is 0x0000 before the TTL goes down (the addresses
/// are picked so that it is), to check the fold of the carry in csum_replace.
fn checksum_edge() -> Vec<u8> {
    let mut frame = eth(
        HOST,
        MAC_A,
        ETH_P_IP,
        &ipv4(D, B, IPPROTO_UDP, 2, &udp(3, 4, &[])),
    );
    // Adjust the identification field so that the checksum comes out as 0x0000 (the
    // header's one's-complement sum is then 0xffff).
    let ip = 14;
    frame[ip + 10..ip + 12].copy_from_slice(&[0, 0]);
    let now = pkt::checksum(&frame[ip..ip + 20]);
    let id = u16::from_be_bytes([frame[ip + 4], frame[ip + 5]]);
    // Adding `now` to the id moves the sum by `now`, making the checksum 0 (one's complement).
    let sum = u32::from(id) + u32::from(now);
    let new_id = ((sum & 0xffff) + (sum >> 16)) as u16;
    frame[ip + 4..ip + 6].copy_from_slice(&new_id.to_be_bytes());
    let check = pkt::checksum(&frame[ip..ip + 20]);
    frame[ip + 10..ip + 12].copy_from_slice(&check.to_be_bytes());
    frame
}

fn tc_ttl() -> Scenario {
    Scenario {
        object: "tc_ttl",
        program: "tc_ttl",
        inputs: tc_inputs(),
        keys_only: &[],
        runs: recorded::TC_TTL_RUNS,
        maps: recorded::TC_TTL_MAPS,
    }
}

#[test]
fn bpfsim_tc_ttl_equals_the_kernel() {
    tc_ttl().check_bpfsim();
}

#[test]
fn kernel_tc_ttl() {
    tc_ttl().check_kernel();
}

/// The IPv4 headers tc_ttl let through still have valid checksums (with the TTL one less):
/// worked out here, whatever the kernel or bpfsim says.
#[test]
fn tc_ttl_fixes_ipv4_checksums_by_hand() {
    let s = tc_ttl();
    let (_, runs) = s.in_bpfsim(Engine::Interp, JitMode::Checked);
    for (i, (input, run)) in s.inputs.iter().zip(&runs).enumerate() {
        let d = &input.data_in;
        if run.retval != 0 || d[12..14] != [0x08, 0x00] {
            continue;
        }
        let out: Vec<u8> = (0..run.data_out.len() / 2)
            .map(|j| u8::from_str_radix(&run.data_out[2 * j..2 * j + 2], 16).expect("hex"))
            .collect();
        assert_eq!(out[14 + 8], d[14 + 8] - 1, "run {i}: TTL");
        assert_eq!(pkt::checksum(&out[14..34]), 0, "run {i}: checksum");
    }
    assert_eq!(pkt::checksum(&checksum_edge()[14..34]), 0);
    assert_eq!(&checksum_edge()[24..26], &[0, 0]);
}

// ---------------------------------------------------------------------------------------
// Socket filter: sock_count.

fn socket_inputs() -> Vec<Input> {
    let p = Input::packet;
    let mut vlan = eth(HOST, MAC_A, 0x8100, &[0, 5, 0x08, 0x00]);
    vlan.extend_from_slice(&ipv4(A, B, IPPROTO_UDP, 64, &udp(1, 1, &[])));
    vec![
        // 0: IPv4 to broadcast (loopback's broadcast address is all-zero: MULTICAST).
        p(eth(
            BCAST,
            MAC_A,
            ETH_P_IP,
            &ipv4(A, B, IPPROTO_UDP, 64, &udp(1, 2, b"x")),
        )),
        // 1: IPv4 to the host.
        p(eth(
            HOST,
            MAC_A,
            ETH_P_IP,
            &ipv4(A, B, IPPROTO_TCP, 64, &tcp(1, 2, 2, &[])),
        )),
        // 2: IPv6 to the host.
        p(v6_frame(HOST, 1, IPPROTO_UDP, 64, &udp(1, 2, b"v6"))),
        // 3: ARP to broadcast: 0.
        p(arp(BCAST)),
        // 4: IPv4 to the host again, longer.
        p(pkt::padded(
            eth(
                HOST,
                MAC_A,
                ETH_P_IP,
                &ipv4(C, B, IPPROTO_UDP, 64, &udp(3, 4, &[])),
            ),
            200,
        )),
        // 5: raw 802.3 (length field, payload ff ff): 0.
        p(eth(BCAST, MAC_A, 0x0040, &[0xff, 0xff, 1, 2, 3, 4])),
        // 6: 802.1Q-tagged IPv4: protocol 0x8100, 0.
        p(vlan),
        // 7: IPv6 to an IPv6 multicast MAC.
        p(v6_frame(
            [0x33, 0x33, 0, 0, 0, 1],
            1,
            IPPROTO_ICMPV6,
            255,
            &[134, 0, 0, 0],
        )),
        // 8: IPv4 to another host's MAC: PACKET_OTHERHOST.
        p(eth(
            MAC_B,
            MAC_A,
            ETH_P_IP,
            &ipv4(A, B, IPPROTO_UDP, 64, &udp(1, 2, &[])),
        )),
        // 9: IPv4 to the host with a context (mark, cb[0], ifindex 1): ctx_out too.
        Input::packet_ctx(
            eth(
                HOST,
                MAC_A,
                ETH_P_IP,
                &ipv4(D, B, IPPROTO_TCP, 64, &tcp(1, 2, 0x10, &[])),
            ),
            blob32(192, &[(8, 3), (48, 9), (40, 1)]),
        ),
    ]
}

fn sock_count() -> Scenario {
    Scenario {
        object: "sock_count",
        program: "sock_count",
        inputs: socket_inputs(),
        keys_only: &[],
        runs: recorded::SOCK_COUNT_RUNS,
        maps: recorded::SOCK_COUNT_MAPS,
    }
}

#[test]
fn bpfsim_sock_count_equals_the_kernel() {
    sock_count().check_bpfsim();
}

#[test]
fn kernel_sock_count() {
    sock_count().check_kernel();
}

// ---------------------------------------------------------------------------------------
// Socket filter with LD_ABS / LD_IND: sock_ipproto.

/// An IPv4 header with IHL 6 (four NOP option bytes), then `l4`.
fn ipv4_with_options(src: [u8; 4], proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut h = ipv4(src, B, proto, 64, &[]);
    h[0] = 0x46;
    h.extend_from_slice(&[1, 1, 1, 1]);
    let total = (24 + l4.len()) as u16;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[10..12].copy_from_slice(&[0, 0]);
    let c = pkt::checksum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(l4);
    h
}

fn ipproto_inputs() -> Vec<Input> {
    let p = Input::packet;
    let ip = |src, proto, l4: &[u8]| eth(HOST, MAC_A, ETH_P_IP, &ipv4(src, B, proto, 64, l4));
    vec![
        // 0: UDP to port 53: accepted.
        p(ip(A, IPPROTO_UDP, &udp(1000, 53, b"q"))),
        // 1: TCP to port 80: accepted.
        p(ip(C, IPPROTO_TCP, &tcp(1000, 80, 2, &[]))),
        // 2: ICMP: counted, 0.
        p(ip(D, IPPROTO_ICMP, &[8, 0, 0, 0, 0, 0, 0, 0])),
        // 3: IPv6: not counted, 0.
        p(v6_frame(HOST, 1, IPPROTO_UDP, 64, &udp(1, 53, &[]))),
        // 4: UDP with no UDP header: counted, then the port load is past the end: 0.
        p(ip(E, IPPROTO_UDP, &[])),
        // 5: IHL 6: the port is at 26 (LD_IND): accepted.
        p(eth(
            HOST,
            MAC_A,
            ETH_P_IP,
            &ipv4_with_options(A, IPPROTO_UDP, &udp(9, 5000, &[])),
        )),
        // 6: UDP to port 7 from C.
        p(ip(C, IPPROTO_UDP, &udp(2, 7, b"echo"))),
    ]
}

fn sock_ipproto() -> Scenario {
    Scenario {
        object: "sock_ipproto",
        program: "sock_ipproto",
        inputs: ipproto_inputs(),
        keys_only: &[],
        runs: recorded::SOCK_IPPROTO_RUNS,
        maps: recorded::SOCK_IPPROTO_MAPS,
    }
}

/// bpfsim bug: LD_ABS / LD_IND (BPF_LD | BPF_ABS / BPF_IND) are not implemented. The
/// interpreter (src/vm/interp.rs, the `LdAbs | LdInd` arm) stops every program that reaches
/// one with `VmError::Unsupported` ("a legacy packet load (ld_abs/ld_ind) without a socket
/// buffer"), even in a socket filter run over a packet. The kernel accepts them in every skb
/// program type (socket filter, tc, cgroup skb, lwt...) and runs them as
/// `bpf_skb_load_helper_{8,16,32}`: r0 = the big-endian byte, half or word at `imm`
/// (LD_ABS) or `src + imm` (LD_IND) from skb->data (the network header for a socket filter),
/// and a load past the end of the packet ends the program with r0 = 0 (run 4 here).
/// Reproduce: `cargo test --test runs_kernel bpfsim_sock_ipproto -- --ignored`.
#[test]
fn bpfsim_sock_ipproto_equals_the_kernel() {
    sock_ipproto().check_bpfsim();
}

#[test]
fn kernel_sock_ipproto() {
    sock_ipproto().check_kernel();
}

// ---------------------------------------------------------------------------------------
// Map values with a bpf_spin_lock: tc_lock.

fn lock_inputs() -> Vec<Input> {
    let p = Input::packet;
    let ip = |proto, l4: &[u8]| eth(HOST, MAC_A, ETH_P_IP, &ipv4(A, B, proto, 64, l4));
    vec![
        p(ip(IPPROTO_UDP, &udp(1, 2, b"one"))),
        p(ip(IPPROTO_TCP, &tcp(1, 2, 2, &[]))),
        p(ip(IPPROTO_UDP, &udp(1, 2, b"three"))),
        p(arp(BCAST)),
        p(ip(IPPROTO_UDP, &udp(1, 2, &[]))),
    ]
}

/// tc_lock_fill: value copies must leave the lock alone, and BPF_F_LOCK updates work.
fn tc_lock_fill() -> Scenario {
    Scenario {
        object: "tc_lock",
        program: "tc_lock_fill",
        inputs: lock_inputs(),
        keys_only: &[],
        runs: recorded::TC_LOCK_FILL_RUNS,
        maps: recorded::TC_LOCK_FILL_MAPS,
    }
}

/// tc_lock_count: bpf_spin_lock and bpf_spin_unlock around in-place counting.
fn tc_lock_count() -> Scenario {
    Scenario {
        object: "tc_lock",
        program: "tc_lock_count",
        inputs: lock_inputs(),
        keys_only: &[],
        runs: recorded::TC_LOCK_COUNT_RUNS,
        maps: recorded::TC_LOCK_COUNT_MAPS,
    }
}

/// bpfsim bug: a map whose value type (BTF) holds a `struct bpf_spin_lock` is created as
/// if it had none. Nothing passes the lock's offset to `Map::set_spin_lock` (src/maps/map.rs;
/// its doc and src/maps/value.rs say the loader sets it from BTF, but neither
/// src/object/maps.rs nor `MapSet::new` in src/maps/set.rs does), so:
/// - `bpf_map_update_elem(..., BPF_F_LOCK)` from the program answers -EINVAL (retval
///   0xffea / 0xffea0000 here) where the kernel answers 0 (`htab_map_update_elem` and
///   `array_map_update_elem` take the lock and `copy_map_value_locked`);
/// - a plain update copies the lock's bytes too (0xa5a5a5a5 in the dump), where the kernel's
///   `copy_map_value` skips the lock and user-space lookups show it as zero.
///
/// Reproduce: `cargo test --test runs_kernel bpfsim_tc_lock_fill -- --ignored`.
#[test]
fn bpfsim_tc_lock_fill_equals_the_kernel() {
    tc_lock_fill().check_bpfsim();
}

#[test]
fn kernel_tc_lock_fill() {
    tc_lock_fill().check_kernel();
}

/// bpfsim bug: the helpers `bpf_spin_lock` (93) and `bpf_spin_unlock` (94) are not in
/// `HelperTable::kernel()` (src/helpers/mod.rs registers tracing, maps and control helpers
/// only), so the run stops at the first call ("call to unknown helper 93"). The kernel runs
/// the program; with one CPU and no contention the lock is taken and released, and the
/// counts under it are plain updates. (The map side of the lock is the tc_lock_fill bug.)
/// Reproduce: `cargo test --test runs_kernel bpfsim_tc_lock_count -- --ignored`.
#[test]
fn bpfsim_tc_lock_count_equals_the_kernel() {
    tc_lock_count().check_bpfsim();
}

#[test]
fn kernel_tc_lock_count() {
    tc_lock_count().check_kernel();
}

// ---------------------------------------------------------------------------------------
// Raw tracepoint: raw_tp_args.

fn raw_tp_inputs() -> Vec<Input> {
    let a = |id: u64, amount: u64, op: u64| Input::args(blob64(&[id, amount, op]));
    let mut v = vec![
        a(5, 10, 0),            // 0: new id 5: 1
        a(5, 20, 0),            // 1: 2
        a(7, 3, 0),             // 2: new id 7: 1
        a(5, 5, 0),             // 3: 3
        a(7, 0, 1),             // 4: delete 7: 100
        a(7, 0, 1),             // 5: delete 7 again: 0
        a(9, u64::MAX, 0),      // 6: new id 9: 1
        a(0x1_0000_0005, 1, 0), // 7: the id is the low 32 bits: 5, 4
        // 8: all twelve arguments (96 bytes); the program reads three.
        Input::args(blob64(&[9, 1 << 63, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])),
    ];
    // 9..: fill the 8-entry map (5 and 9 are there): ids 10..=15 fit, 16 does not (-1).
    for id in 10..=16 {
        v.push(a(id, id * 3, 0));
    }
    // Then 5 once more, and a delete that makes room for 16.
    v.push(a(5, 7, 0));
    v.push(a(10, 0, 1));
    v.push(a(16, 48, 0));
    // per_cpu: delete slot 1 (200), again (0), and 17 makes it anew.
    v.push(a(5, 0, 2));
    v.push(a(9, 0, 2));
    v.push(a(17, 2, 0));
    v
}

fn raw_tp_args() -> Scenario {
    Scenario {
        object: "raw_tp_args",
        program: "raw_tp_args",
        inputs: raw_tp_inputs(),
        keys_only: &["last_seen"],
        runs: recorded::RAW_TP_ARGS_RUNS,
        maps: recorded::RAW_TP_ARGS_MAPS,
    }
}

#[test]
fn bpfsim_raw_tp_args_equals_the_kernel() {
    raw_tp_args().check_bpfsim();
}

#[test]
fn kernel_raw_tp_args() {
    raw_tp_args().check_kernel();
}

// ---------------------------------------------------------------------------------------
// Map helpers one at a time: map_ops (a raw tracepoint).

const ARR: u64 = 0;
const PARR: u64 = 1;
const HASH: u64 = 2;
const PHASH: u64 = 3;
const QUEUE: u64 = 4;
const STACK: u64 = 5;
const NPHASH: u64 = 6;

const LOOKUP: u64 = 0;
const UPDATE: u64 = 1;
const DELETE: u64 = 2;
const PUSH: u64 = 3;
const POP: u64 = 4;
const PEEK: u64 = 5;
const PERCPU_LOOKUP: u64 = 6;
const ADD: u64 = 7;

const ANY: u64 = 0;
const NOEXIST: u64 = 1;
const EXIST: u64 = 2;
const F_LOCK: u64 = 4;
const THIS_CPU: u64 = 0xffff_ffff;

fn map_ops_inputs() -> Vec<Input> {
    let o = |map: u64, op: u64, key: u64, value: u64, flags: u64| {
        Input::args(blob64(&[map, op, key, value, flags]))
    };
    let mut v = vec![
        // ARRAY: updates with each flag, out of range, delete (EINVAL), F_LOCK without a
        // lock and unknown flags (EINVAL), lookups in and out of range, an in-place add.
        o(ARR, UPDATE, 0, 5, ANY),
        o(ARR, UPDATE, 0, 6, NOEXIST),
        o(ARR, UPDATE, 0, 7, EXIST),
        o(ARR, UPDATE, 9, 1, ANY),
        o(ARR, DELETE, 0, 0, 0),
        o(ARR, UPDATE, 1, 3, F_LOCK),
        o(ARR, UPDATE, 1, 3, 8),
        o(ARR, LOOKUP, 0, 0, 0),
        o(ARR, LOOKUP, 4, 0, 0),
        o(ARR, ADD, 2, 40, 0),
        // PERCPU_ARRAY: this CPU's copy, a CPU that does not exist.
        o(PARR, UPDATE, 1, 10, ANY),
        o(PARR, PERCPU_LOOKUP, 1, 0, THIS_CPU),
        o(PARR, PERCPU_LOOKUP, 1, 0, 1000),
        o(PARR, ADD, 1, 5, 0),
        o(PARR, UPDATE, 4, 1, ANY),
        o(PARR, DELETE, 1, 0, 0),
        // HASH (preallocated): EXIST/NOEXIST, full, replace when full, deletes.
        o(HASH, UPDATE, 1, 1, EXIST),
        o(HASH, UPDATE, 1, 1, NOEXIST),
        o(HASH, UPDATE, 1, 2, NOEXIST),
        o(HASH, UPDATE, 1, 3, EXIST),
        o(HASH, UPDATE, 2, 20, ANY),
        o(HASH, UPDATE, 3, 30, ANY),
        o(HASH, UPDATE, 4, 40, ANY),
        o(HASH, UPDATE, 5, 50, ANY),
        o(HASH, UPDATE, 1, 9, ANY),
        o(HASH, DELETE, 9, 0, 0),
        o(HASH, DELETE, 2, 0, 0),
        o(HASH, UPDATE, 5, 55, NOEXIST),
        o(HASH, LOOKUP, 2, 0, 0),
        o(HASH, UPDATE, 6, 1, F_LOCK),
        o(HASH, UPDATE, 6, 1, 3),
        o(HASH, ADD, 3, 1, 0),
        // PERCPU_HASH.
        o(PHASH, UPDATE, 7, 70, ANY),
        o(PHASH, PERCPU_LOOKUP, 7, 0, THIS_CPU),
        o(PHASH, LOOKUP, 7, 0, 0),
        o(PHASH, PERCPU_LOOKUP, 7, 0, 1000),
        o(PHASH, PERCPU_LOOKUP, 99, 0, THIS_CPU),
        o(PHASH, UPDATE, 8, 80, NOEXIST),
        o(PHASH, UPDATE, 9, 90, NOEXIST),
        o(PHASH, UPDATE, 10, 100, NOEXIST),
        o(PHASH, UPDATE, 11, 110, NOEXIST),
        o(PHASH, DELETE, 8, 0, 0),
        o(PHASH, ADD, 9, 9, 0),
    ];
    // HASH with BPF_F_NO_PREALLOC: full at 4 too.
    for k in 1..=5 {
        v.push(o(NPHASH, UPDATE, k, k * 11, NOEXIST));
    }
    v.extend([
        o(NPHASH, DELETE, 1, 0, 0),
        o(NPHASH, UPDATE, 5, 55, NOEXIST),
        o(NPHASH, UPDATE, 5, 56, NOEXIST),
        o(NPHASH, UPDATE, 5, 57, EXIST),
        // QUEUE: empty pops and peeks, full (E2BIG), BPF_EXIST replaces the oldest, flags
        // other than BPF_EXIST (EINVAL); two elements stay for the final dump.
        o(QUEUE, POP, 0, 0, 0),
        o(QUEUE, PEEK, 0, 0, 0),
        o(QUEUE, PUSH, 0, 1, 0),
        o(QUEUE, PUSH, 0, 2, 0),
        o(QUEUE, PUSH, 0, 3, 0),
        o(QUEUE, PUSH, 0, 4, 0),
        o(QUEUE, PUSH, 0, 5, 0),
        o(QUEUE, PUSH, 0, 6, EXIST),
        o(QUEUE, PEEK, 0, 0, 0),
        o(QUEUE, POP, 0, 0, 0),
        o(QUEUE, PUSH, 0, 7, NOEXIST),
        o(QUEUE, POP, 0, 0, 0),
        // STACK: last in, first out; BPF_EXIST when full drops the oldest (the bottom).
        o(STACK, PUSH, 0, 10, 0),
        o(STACK, PUSH, 0, 20, 0),
        o(STACK, PUSH, 0, 30, 0),
        o(STACK, PEEK, 0, 0, 0),
        o(STACK, POP, 0, 0, 0),
        o(STACK, PUSH, 0, 40, 0),
        o(STACK, PUSH, 0, 50, 0),
        o(STACK, PUSH, 0, 60, 0),
        o(STACK, PUSH, 0, 70, EXIST),
        o(STACK, PEEK, 0, 0, 0),
        // Keyed operations on a queue, queue operations on an array: -1000 (not asked).
        o(QUEUE, LOOKUP, 0, 0, 0),
        o(9, LOOKUP, 0, 0, 0),
    ]);
    v
}

fn map_ops() -> Scenario {
    Scenario {
        object: "map_ops",
        program: "map_ops",
        inputs: map_ops_inputs(),
        keys_only: &[],
        runs: recorded::MAP_OPS_RUNS,
        maps: recorded::MAP_OPS_MAPS,
    }
}

#[test]
fn bpfsim_map_ops_equals_the_kernel() {
    map_ops().check_bpfsim();
}

#[test]
fn kernel_map_ops() {
    map_ops().check_kernel();
}

// ---------------------------------------------------------------------------------------
// kprobe and tracepoint: probes.

/// A `struct pt_regs` for vfs_read(file, buf, count) called from `ip`.
fn regs(file: u64, buf: u64, count: u64, ip: u64) -> Vec<u8> {
    let mut r = vec![0u8; PT_REGS_SIZE];
    for (off, v) in [
        (pt_regs::DI, file),
        (pt_regs::SI, buf),
        (pt_regs::DX, count),
        (pt_regs::IP, ip),
        (pt_regs::AX, 0xdead_beef), // not an argument
    ] {
        r[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    r
}

/// A syscalls:sys_enter_write record: the common header (type, flags, preempt count, pid),
/// then __syscall_nr, fd, buf, count.
fn write_record(pid: i32, fd: u64, count: u64) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&700u16.to_le_bytes()); // common_type
    r.extend_from_slice(&[0, 1]); // common_flags, common_preempt_count
    r.extend_from_slice(&pid.to_le_bytes());
    r.extend_from_slice(&1i32.to_le_bytes()); // __syscall_nr: write
    r.extend_from_slice(&[0; 4]);
    r.extend_from_slice(&fd.to_le_bytes());
    r.extend_from_slice(&0x7ffc_0000_1000u64.to_le_bytes()); // buf
    r.extend_from_slice(&count.to_le_bytes());
    r
}

fn le64(words: &[u64]) -> String {
    words
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn le32(words: &[u32]) -> String {
    words
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn bpfsim_probes_match_hand_derived_values() {
    let mut s = Session::open(fixture_path("probes")).expect("probes.o");
    s.world.task = Task {
        pid: 4242,
        tgid: 4240,
        ..Task::default()
    };
    let kprobe = |s: &mut Session, count: u64, buf: u64, ip: u64| {
        let ctx = regs(0xffff_8880_0000_1000, buf, count, ip);
        let out = s
            .run("kprobe_read", &Input::args(ctx).as_test_run(), 1)
            .expect("kprobe_read runs");
        (out.output.retval, out.output.data_out.len())
    };
    // (count, buf, ip) -> the size class it returns.
    assert_eq!(kprobe(&mut s, 100, 0x1000, 0xffff_ffff_8100_0010), (0, 0));
    assert_eq!(kprobe(&mut s, 512, 0x2000, 0xffff_ffff_8100_0020), (1, 0));
    assert_eq!(kprobe(&mut s, 4096, 0x3000, 0xffff_ffff_8100_0030), (2, 0));
    assert_eq!(kprobe(&mut s, 511, 0x4000, 0xffff_ffff_8100_0040), (0, 0));
    assert_eq!(
        kprobe(&mut s, 1 << 20, 0x5000, 0xffff_ffff_8100_0050),
        (2, 0)
    );

    let tp = |s: &mut Session, fd: u64, count: u64| {
        let rec = write_record(99, fd, count);
        s.run("tp_write", &Input::args(rec).as_test_run(), 1)
            .expect("tp_write runs")
            .output
            .retval
    };
    assert_eq!(tp(&mut s, 1, 10), 1);
    assert_eq!(tp(&mut s, 2, 20), 1);
    assert_eq!(tp(&mut s, 1, 30), 2);
    assert_eq!(tp(&mut s, 1, 0), 3);

    let maps = bpfsim_maps(&mut s, &[]);
    let by_name = |n: &str| {
        maps.iter()
            .find(|m| m.name == n)
            .unwrap_or_else(|| panic!("no map {n}"))
            .entries
            .clone()
    };
    let entry = |k: String, v: String| (k, v);
    // reads: key (tgid 4240, size class), value (calls, bytes, last ip, last buf).
    assert_eq!(
        by_name("reads"),
        vec![
            entry(
                le32(&[4240, 0]),
                le64(&[2, 100 + 511, 0xffff_ffff_8100_0040, 0x4000])
            ),
            entry(
                le32(&[4240, 1]),
                le64(&[1, 512, 0xffff_ffff_8100_0020, 0x2000])
            ),
            entry(
                le32(&[4240, 2]),
                le64(&[2, 4096 + (1 << 20), 0xffff_ffff_8100_0050, 0x5000])
            ),
        ]
    );
    // writes: key fd, value (writes, bytes, syscall_nr 1, pad).
    let wv = |n: u64, bytes: u64| format!("{}{}", le64(&[n, bytes]), le32(&[1, 0]));
    assert_eq!(
        by_name("writes"),
        vec![entry(le32(&[1]), wv(3, 40)), entry(le32(&[2]), wv(1, 20)),]
    );
    // events: per-CPU, all on CPU 0: 5 kprobe hits, 4 tracepoint hits.
    assert_eq!(
        by_name("events"),
        vec![entry(le32(&[0]), le64(&[5])), entry(le32(&[1]), le64(&[4]))]
    );
    let cpu0_only = s
        .maps()
        .by_name("events")
        .expect("events")
        .lookup_user(&0u32.to_le_bytes())
        .expect("slot 0");
    assert_eq!(cpu0_only, [5u64.to_le_bytes(), 0u64.to_le_bytes()].concat());
    // .bss: big_reads = 2.
    assert_eq!(by_name("probes.bss"), vec![entry(le32(&[0]), le64(&[2]))]);
}

#[test]
fn kernel_accepts_probes_but_does_not_test_run_them() {
    if let Some(why) = kernel::unavailable() {
        println!("skipped: {why}");
        return;
    }
    let loaded = kernel::Loaded::load(&fixture_path("probes"))
        .unwrap_or_else(|e| panic!("the kernel's verifier refuses probes.o: {e}"));
    assert_eq!(loaded.programs(), ["kprobe_read", "tp_write"]);
    let regs = Input::args(regs(1, 2, 3, 4));
    assert_eq!(loaded.run("kprobe_read", &regs.as_test_run()), Err(524));
    let rec = Input::args(write_record(1, 2, 3));
    assert_eq!(loaded.run("tp_write", &rec.as_test_run()), Err(524));
    // The maps bpfsim creates for the object are the ones the kernel has.
    let kernel_maps = loaded.maps(&[]).expect("maps");
    let mut session = Session::open(fixture_path("probes")).expect("probes.o");
    let ours = bpfsim_maps(&mut session, &[]);
    assert_eq!(ours, kernel_maps);
}

// ---------------------------------------------------------------------------------------
// The kernel's answers (Linux 6.18, x86-64, 2 possible CPUs), recorded with
// `BPFSIM_RECORD=1 cargo test --test runs_kernel kernel_ -- --nocapture --test-threads 1`.

#[rustfmt::skip]
mod recorded {
    use super::runs_support::{Dump, Ran};

    pub const XDP_STATS_RUNS: &[Ran] = &[
        Ran { retval: 0x2, data_out: "02000000000b02000000000a0800450000211c46400040110a840a0000010a00000214e90035000d00007175657279", ctx_out: None },
        Ran { retval: 0x3, data_out: "02000000000a02000000000b0800450000211c4640003f110b820a0000030a0000020fa00007000d0000a5656c6c6f", ctx_out: None },
        Ran { retval: 0x2, data_out: "02000000000b02000000000a0800450000281c46400040060a880a0000010a0000029c40005001020304000000005002ffff00000000", ctx_out: None },
        Ran { retval: 0x1, data_out: "02000000000b02000000000a08004500002b1c46400020062a820a0000040a00000201bb9c4101020304000000005014ffff00000000627965", ctx_out: None },
        Ran { retval: 0x2, data_out: "02000000000b02000000000a86dd60000000000d11ff20010db800000000000000000000000120010db800000000000000000000000202220223000d00006468637036", ctx_out: None },
        Ran { retval: 0x2, data_out: "02000000000b02000000000a86dd6000000000083a0120010db800000000000000000000000520010db80000000000000000000000028000000000010001", ctx_out: None },
        Ran { retval: 0x2, data_out: "ffffffffffff02000000000a0806000108000604000102000000000a0a0000010000000000000a000002", ctx_out: None },
        Ran { retval: 0x0, data_out: "02000000000b02000000000a08004400001d1c46400040110a880a0000010a000002000100020009000078", ctx_out: None },
        Ran { retval: 0x0, data_out: "02000000000b02000000000a0800450000281c46400040060a850a0000040a00000200050006010203040000", ctx_out: None },
        Ran { retval: 0x1, data_out: "len=400 fnv1a=e7bcfaec599ca29f", ctx_out: None },
        Ran { retval: 0x3, data_out: "02000000000a02000000000b08004500001c1c4640003f110b870a0000030a0000020fa1000700080000", ctx_out: None },
        Ran { retval: 0x2, data_out: "02000000000b02000000000a08004500001c1c46400040010a990a0000010a0000020800f7ff00000000", ctx_out: None },
        Ran { retval: 0x0, data_out: "02000000000b02000000000a0800", ctx_out: None },
        Ran { retval: 0x2, data_out: "len=300 fnv1a=315b1bfc9ffb958d", ctx_out: None },
        Ran { retval: 0x3, data_out: "eeeeeeeeeeeeeeee02000000000a02000000000b0800450000201c4640003f110b830a0000030a0000020fa20007000c0000a5657461", ctx_out: Some(&[(0, 8), (4, 54), (12, 1)]) },
        Ran { retval: 0x0, data_out: "02000000000b02000000000a0800450000411c46400040060a6f0a0000010a0000020001000201020304000000005002ffff000000006d6f7265207468616e20343020627974657320696e20616c6c", ctx_out: Some(&[(4, 40)]) },
    ];

    pub const XDP_STATS_MAPS: &[Dump] = &[
        Dump {
            name: "cpu_packets",
            map_type: "percpu_array",
            key_size: 4,
            value_size: 8,
            max_entries: 2,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "1000000000000000"),
                ("01000000", "0300000000000000"),
            ],
        },
        Dump {
            name: "proto_stats",
            map_type: "array",
            key_size: 4,
            value_size: 16,
            max_entries: 8,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "0200000000000000ba01000000000000"),
                ("01000000", "0900000000000000a301000000000000"),
                ("02000000", "0300000000000000ad01000000000000"),
                ("03000000", "0500000000000000f900000000000000"),
                ("04000000", "03000000000000009b01000000000000"),
                ("05000000", "02000000000000006800000000000000"),
                ("06000000", "04000000000000008d00000000000000"),
                ("07000000", "00000000000000000000000000000000"),
            ],
        },
        Dump {
            name: "src_stats",
            map_type: "hash",
            key_size: 20,
            value_size: 24,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("040000000a000001000000000000000000000000", "03000000000000008f000000000000000000000040020100"),
                ("040000000a000003000000000000000000000000", "03000000000000008700000000000000a20f07003f001100"),
                ("040000000a000004000000000000000000000000", "01000000000000003900000000000000bb01419c20140600"),
                ("0600000020010db8000000000000000000000001", "02000000000000006f01000000000000160050c340110600"),
            ],
        },
        Dump {
            name: "xdp_stat.bss",
            map_type: "array",
            key_size: 4,
            value_size: 32,
            max_entries: 1,
            flags: 0x400,
            frozen: false,
            entries: &[
                ("00000000", "1000000000000000430500000000000002000000000000000100000000000000"),
            ],
        },
        Dump {
            name: "xdp_stat.data",
            map_type: "array",
            key_size: 4,
            value_size: 5,
            max_entries: 1,
            flags: 0x400,
            frozen: false,
            entries: &[
                ("00000000", "f8030000a5"),
            ],
        },
        Dump {
            name: "xdp_stat.rodata",
            map_type: "array",
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            flags: 0x480,
            frozen: true,
            entries: &[
                ("00000000", "2c010000"),
            ],
        },
    ];

    pub const TC_TTL_RUNS: &[Ran] = &[
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001f1c4640003f110b860a0000010a00000203e80035000b0000616263", ctx_out: None },
        Ran { retval: 0x2, data_out: "00000000000002000000000a0800450000281c464000010649880a0000010a0000020001000201020304000000005002ffff00000000", ctx_out: Some(&[(8, 84), (40, 1), (48, 54), (52, 1), (56, 2048), (60, 1), (64, 6), (160, 54)]) },
        Ran { retval: 0x2, data_out: "00000000000002000000000a86dd60000000000b110120010db800000000000000000000000120010db800000000000000000000000200070007000b0000736978", ctx_out: Some(&[(8, 912086), (40, 1), (48, 65), (52, 1), (56, 34525), (60, 1), (64, 117), (160, 65)]) },
        Ran { retval: 0x0, data_out: "ffffffffffff02000000000a0806000108000604000102000000000a0a0000010000000000000a000002", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a0800450000211c4640007f11cb830a0000010a00000203e80035000d0000616761696e", ctx_out: Some(&[(8, 116), (32, 3), (40, 1), (48, 47), (52, 1), (56, 2048), (60, 127), (64, 18), (160, 47)]) },
        Ran { retval: 0x2, data_out: "00000000000002000000000a86dd600000000014060120010db800000000000000000000000320010db80000000000000000000000020009000901020304000000005010ffff00000000", ctx_out: None },
        Ran { retval: 0x0, data_out: "ffffffffffff02000000000a0800450000181c464000fe014c9a0a0000030a00000208000000", ctx_out: Some(&[(8, 4), (40, 1), (48, 38), (52, 1), (56, 2048), (60, 254), (64, 6), (160, 38)]) },
        Ran { retval: 0x2, data_out: "00000000000002000000000a08004500002c1c46400000064a840a0000010a0000020001000201020304000000005010ffff000000006c617465", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001c64cc4000011101000a0000040a0000020003000400080000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001c1c464000081142880a0000020a0000020001000100080000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001c1c464000081142890a0000010a0000020001000100080000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a86dd600000000008110820010db800000000000000000000000120010db80000000000000000000000020001000100080000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001c1c464000081142850a0000050a0000020001000100080000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001c1c464000081142870a0000030a0000020001000100080000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001c1c464000081142860a0000040a0000020001000100080000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001c1c464000081142890a0000010a0000020001000100080000", ctx_out: None },
    ];

    pub const TC_TTL_MAPS: &[Dump] = &[
        Dump {
            name: "flows",
            map_type: "lru_hash",
            key_size: 12,
            value_size: 32,
            max_entries: 1024,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("000000010000000211060000", "02000000000000007f00000000000000060000000100000086dd000008000000"),
                ("000000030000000206060000", "01000000000000004a00000000000000060000000100000086dd000001010000"),
                ("0a0000010a00000206040000", "0200000000000000700000000000000004000000010000000800000000020000"),
                ("0a0000010a00000211040000", "0400000000000000b00000000000000004000000010000000800000008000000"),
                ("0a0000020a00000211040000", "01000000000000002a0000000000000004000000010000000800000008000000"),
                ("0a0000030a00000201040000", "01000000000000002600000000000000040000000100000008000000fe000000"),
                ("0a0000030a00000211040000", "01000000000000002a0000000000000004000000010000000800000008000000"),
                ("0a0000040a00000211040000", "0200000000000000540000000000000004000000010000000800000008000000"),
                ("0a0000050a00000211040000", "01000000000000002a0000000000000004000000010000000800000008000000"),
            ],
        },
        Dump {
            name: "recent",
            map_type: "lru_hash",
            key_size: 4,
            value_size: 4,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("0a000001", "0f000000"),
                ("0a000003", "0d000000"),
                ("0a000004", "0e000000"),
                ("0a000005", "0c000000"),
            ],
        },
        Dump {
            name: "tc_ttl.bss",
            map_type: "array",
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            flags: 0x400,
            frozen: false,
            entries: &[
                ("00000000", "0f000000"),
            ],
        },
    ];

    pub const SOCK_COUNT_RUNS: &[Ran] = &[
        Ran { retval: 0x1d, data_out: "00000000000000000000000000004500001d1c46400040110a880a0000010a000002000100020009000078", ctx_out: None },
        Ran { retval: 0x28, data_out: "0000000000000000000000000000450000281c46400040060a880a0000010a0000020001000201020304000000005002ffff00000000", ctx_out: None },
        Ran { retval: 0x32, data_out: "000000000000000000000000000060000000000a114020010db800000000000000000000000120010db800000000000000000000000200010002000a00007636", ctx_out: None },
        Ran { retval: 0x0, data_out: "0000000000000000000000000000000108000604000102000000000a0a0000010000000000000a000002", ctx_out: None },
        Ran { retval: 0xba, data_out: "00000000000000000000000000004500001c1c46400040110a870a0000030a000002000300040008000000070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb020910171e252c333a41484f565d646b727980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7fe050c131a21282f363d444b", ctx_out: None },
        Ran { retval: 0x0, data_out: "0000000000000000000000000000ffff01020304", ctx_out: None },
        Ran { retval: 0x0, data_out: "0000000000000000000000000000000508004500001c1c46400040110a890a0000010a0000020001000100080000", ctx_out: None },
        Ran { retval: 0x2c, data_out: "00000000000000000000000000006000000000043aff20010db800000000000000000000000120010db800000000000000000000000286000000", ctx_out: None },
        Ran { retval: 0x1c, data_out: "00000000000000000000000000004500001c1c46400040110a890a0000010a0000020001000200080000", ctx_out: None },
        Ran { retval: 0x28, data_out: "0000000000000000000000000000450000281c46400040060a850a0000040a0000020001000201020304000000005010ffff00000000", ctx_out: Some(&[(8, 3), (40, 1), (48, 9), (160, 40)]) },
    ];

    pub const SOCK_COUNT_MAPS: &[Dump] = &[
        Dump {
            name: "by_proto",
            map_type: "hash",
            key_size: 4,
            value_size: 24,
            max_entries: 16,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00080000", "03000000000000000a010000000000000300000000000000"),
                ("00080200", "01000000000000001d000000000000000100000000000000"),
                ("00080300", "01000000000000001c000000000000000100000000000000"),
                ("00810000", "010000000000000020000000000000000000000000000000"),
                ("01000200", "010000000000000006000000000000000000000000000000"),
                ("06080200", "01000000000000001c000000000000000000000000000000"),
                ("dd860000", "010000000000000032000000000000000100000000000000"),
                ("dd860200", "01000000000000002c000000000000000100000000000000"),
            ],
        },
        Dump {
            name: "recent",
            map_type: "lru_percpu_hash",
            key_size: 4,
            value_size: 24,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00080000", "050000000000000043010000000000000500000000000000"),
                ("00810000", "010000000000000020000000000000000000000000000000"),
                ("01000000", "010000000000000006000000000000000000000000000000"),
                ("dd860000", "01000000000000002c000000000000000100000000000000"),
            ],
        },
    ];

    pub const SOCK_IPPROTO_RUNS: &[Ran] = &[
        Ran { retval: 0x1d, data_out: "00000000000000000000000000004500001d1c46400040110a880a0000010a00000203e800350009000071", ctx_out: None },
        Ran { retval: 0x28, data_out: "0000000000000000000000000000450000281c46400040060a860a0000030a00000203e8005001020304000000005002ffff00000000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000000000000000000004500001c1c46400040010a960a0000040a0000020800000000000000", ctx_out: None },
        Ran { retval: 0x0, data_out: "0000000000000000000000000000600000000008114020010db800000000000000000000000120010db80000000000000000000000020001003500080000", ctx_out: None },
        Ran { retval: 0x0, data_out: "0000000000000000000000000000450000141c46400040110a8d0a0000050a000002", ctx_out: None },
        Ran { retval: 0x20, data_out: "0000000000000000000000000000460000201c464000401107830a0000010a000002010101010009138800080000", ctx_out: None },
        Ran { retval: 0x20, data_out: "0000000000000000000000000000450000201c46400040110a830a0000030a00000200020007000c00006563686f", ctx_out: None },
    ];

    pub const SOCK_IPPROTO_MAPS: &[Dump] = &[
        Dump {
            name: "by_ipproto",
            map_type: "hash",
            key_size: 4,
            value_size: 32,
            max_entries: 16,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("01000000", "01000000000000001c000000000000000400000a000000000000000000000000"),
                ("06000000", "010000000000000028000000000000000300000a000000005000000000000000"),
                ("11000000", "040000000000000071000000000000000300000a00000000c413000000000000"),
            ],
        },
    ];

    pub const TC_LOCK_FILL_RUNS: &[Ran] = &[
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001f1c46400040110a860a0000010a00000200010002000b00006f6e65", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a0800450000281c46400040060a880a0000010a0000020001000201020304000000005002ffff00000000", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a0800450000211c46400040110a840a0000010a00000200010002000d00007468726565", ctx_out: None },
        Ran { retval: 0x0, data_out: "ffffffffffff02000000000a0806000108000604000102000000000a0a0000010000000000000a000002", ctx_out: None },
        Ran { retval: 0x0, data_out: "00000000000002000000000a08004500001c1c46400040110a890a0000010a0000020001000200080000", ctx_out: None },
    ];

    pub const TC_LOCK_FILL_MAPS: &[Dump] = &[
        Dump {
            name: "by_proto",
            map_type: "hash",
            key_size: 4,
            value_size: 24,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "000000002a00000001000000000000002a00000000000000"),
                ("06000000", "000000003600000001000000000000003600000000000000"),
                ("11000000", "000000002a00000003000000000000008600000000000000"),
            ],
        },
        Dump {
            name: "totals",
            map_type: "array",
            key_size: 4,
            value_size: 24,
            max_entries: 1,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "000000002a00000003000000000000008600000000000000"),
            ],
        },
    ];

    pub const TC_LOCK_COUNT_RUNS: &[Ran] = &[
        Ran { retval: 0x1, data_out: "00000000000002000000000a08004500001f1c46400040110a860a0000010a00000200010002000b00006f6e65", ctx_out: None },
        Ran { retval: 0x1, data_out: "00000000000002000000000a0800450000281c46400040060a880a0000010a0000020001000201020304000000005002ffff00000000", ctx_out: None },
        Ran { retval: 0x2, data_out: "00000000000002000000000a0800450000211c46400040110a840a0000010a00000200010002000d00007468726565", ctx_out: None },
        Ran { retval: 0x1, data_out: "ffffffffffff02000000000a0806000108000604000102000000000a0a0000010000000000000a000002", ctx_out: None },
        Ran { retval: 0x3, data_out: "00000000000002000000000a08004500001c1c46400040110a890a0000010a0000020001000200080000", ctx_out: None },
    ];

    pub const TC_LOCK_COUNT_MAPS: &[Dump] = &[
        Dump {
            name: "by_proto",
            map_type: "hash",
            key_size: 4,
            value_size: 24,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "000000002a00000001000000000000002a00000000000000"),
                ("06000000", "000000003600000001000000000000003600000000000000"),
                ("11000000", "000000002a00000003000000000000008600000000000000"),
            ],
        },
        Dump {
            name: "totals",
            map_type: "array",
            key_size: 4,
            value_size: 24,
            max_entries: 1,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "000000002a0000000500000000000000e600000000000000"),
            ],
        },
    ];

    pub const MAP_OPS_RUNS: &[Ran] = &[
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffef, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffff9, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffea, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffea, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffea, data_out: "", ctx_out: None },
        Ran { retval: 0x7, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffff, data_out: "", ctx_out: None },
        Ran { retval: 0x28, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xa, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffff, data_out: "", ctx_out: None },
        Ran { retval: 0xf, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffff9, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffea, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffffe, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffef, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffff9, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffffe, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffff, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffea, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffea, data_out: "", ctx_out: None },
        Ran { retval: 0x1f, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x46, data_out: "", ctx_out: None },
        Ran { retval: 0x46, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffff, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffff, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffff9, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x63, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffff9, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffef, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffffe, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffffe, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffff9, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x2, data_out: "", ctx_out: None },
        Ran { retval: 0x2, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffea, data_out: "", ctx_out: None },
        Ran { retval: 0x3, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x1e, data_out: "", ctx_out: None },
        Ran { retval: 0x1e, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffff9, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x46, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffc18, data_out: "", ctx_out: None },
        Ran { retval: 0xfffffc18, data_out: "", ctx_out: None },
    ];

    pub const MAP_OPS_MAPS: &[Dump] = &[
        Dump {
            name: "arr",
            map_type: "array",
            key_size: 4,
            value_size: 8,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "0700000000000000"),
                ("01000000", "0000000000000000"),
                ("02000000", "2800000000000000"),
                ("03000000", "0000000000000000"),
            ],
        },
        Dump {
            name: "h",
            map_type: "hash",
            key_size: 4,
            value_size: 8,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("01000000", "0900000000000000"),
                ("03000000", "1f00000000000000"),
                ("04000000", "2800000000000000"),
                ("05000000", "3700000000000000"),
            ],
        },
        Dump {
            name: "nph",
            map_type: "hash",
            key_size: 4,
            value_size: 8,
            max_entries: 4,
            flags: 0x1,
            frozen: false,
            entries: &[
                ("02000000", "1600000000000000"),
                ("03000000", "2100000000000000"),
                ("04000000", "2c00000000000000"),
                ("05000000", "3900000000000000"),
            ],
        },
        Dump {
            name: "parr",
            map_type: "percpu_array",
            key_size: 4,
            value_size: 8,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "0000000000000000"),
                ("01000000", "0f00000000000000"),
                ("02000000", "0000000000000000"),
                ("03000000", "0000000000000000"),
            ],
        },
        Dump {
            name: "ph",
            map_type: "percpu_hash",
            key_size: 4,
            value_size: 8,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("07000000", "4600000000000000"),
                ("09000000", "6300000000000000"),
                ("0a000000", "6400000000000000"),
            ],
        },
        Dump {
            name: "q",
            map_type: "queue",
            key_size: 0,
            value_size: 8,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "0400000000000000"),
                ("01000000", "0600000000000000"),
            ],
        },
        Dump {
            name: "st",
            map_type: "stack",
            key_size: 0,
            value_size: 8,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "4600000000000000"),
                ("01000000", "3200000000000000"),
                ("02000000", "2800000000000000"),
                ("03000000", "1400000000000000"),
            ],
        },
    ];

    pub const RAW_TP_ARGS_RUNS: &[Ran] = &[
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0x2, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0x3, data_out: "", ctx_out: None },
        Ran { retval: 0x64, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0x4, data_out: "", ctx_out: None },
        Ran { retval: 0x2, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffff, data_out: "", ctx_out: None },
        Ran { retval: 0x5, data_out: "", ctx_out: None },
        Ran { retval: 0x64, data_out: "", ctx_out: None },
        Ran { retval: 0x1, data_out: "", ctx_out: None },
        Ran { retval: 0xc8, data_out: "", ctx_out: None },
        Ran { retval: 0x0, data_out: "", ctx_out: None },
        Ran { retval: 0xffffffff, data_out: "", ctx_out: None },
    ];

    pub const RAW_TP_ARGS_MAPS: &[Dump] = &[
        Dump {
            name: "last_seen",
            map_type: "hash",
            key_size: 4,
            value_size: 16,
            max_entries: 8,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("05000000", "*"),
                ("09000000", "*"),
                ("0b000000", "*"),
                ("0c000000", "*"),
                ("0d000000", "*"),
                ("0e000000", "*"),
                ("0f000000", "*"),
                ("10000000", "*"),
            ],
        },
        Dump {
            name: "per_cpu",
            map_type: "percpu_hash",
            key_size: 4,
            value_size: 32,
            max_entries: 4,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("00000000", "0300000000000000840000000000000000000000000000000000000000000000"),
                ("01000000", "0100000000000000020000000000000000000000000000000000000000000000"),
                ("02000000", "0300000000000000480000000000000000000000000000000000000000000000"),
                ("03000000", "0500000000000000510000000000000000000000000000000000000000000000"),
            ],
        },
        Dump {
            name: "stats",
            map_type: "hash",
            key_size: 4,
            value_size: 32,
            max_entries: 8,
            flags: 0x0,
            frozen: false,
            entries: &[
                ("05000000", "05000000000000002b0000000000000014000000000000001d00000000000000"),
                ("09000000", "0200000000000000ffffffffffffff7fffffffffffffffffffffffffffffff7f"),
                ("0b000000", "0100000000000000210000000000000021000000000000002100000000000000"),
                ("0c000000", "0100000000000000240000000000000024000000000000002400000000000000"),
                ("0d000000", "0100000000000000270000000000000027000000000000002700000000000000"),
                ("0e000000", "01000000000000002a000000000000002a000000000000002a00000000000000"),
                ("0f000000", "01000000000000002d000000000000002d000000000000002d00000000000000"),
                ("10000000", "0100000000000000300000000000000030000000000000003000000000000000"),
            ],
        },
    ];
}
