//! BPF_PROG_TEST_RUN without a kernel: a run built from the same input the syscall takes
//! (`data_in`, `ctx_in`, `flags`), the memory regions and r1 it gives the program, and the
//! output (`retval`, `data_out`, `ctx_out`) the kernel would report.
//!
//! Each rule follows net/bpf/test_run.c and was checked against Linux 6.18 (see
//! tests/progtype_kernel.rs). For skb types (`bpf_prog_test_run_skb`):
//! - `data_in` is a whole Ethernet frame of 14 (`ETH_HLEN`) to 3712 bytes (a page less
//!   64 bytes of headroom and 320 of `skb_shared_info`); an IPv4 frame needs a 20-byte IP
//!   header after the Ethernet one and IPv6 40, else EINVAL;
//! - `eth_type_trans` on the device (loopback, ifindex 1, unless `ctx_in.ifindex` > 1 names
//!   another): `protocol` is the EtherType (≥ 0x600; else 802.3 raw when the payload starts
//!   `ff ff`, else 802.2), `pkt_type` compares the destination MAC with the device's address
//!   and broadcast address (loopback's are all-zero, so ff:ff:ff:ff:ff:ff is MULTICAST);
//! - tc programs see the frame from the Ethernet header; every other type from the network
//!   header (`len` is 14 less), and its `data_out` gets 14 zero bytes back in front;
//! - with a context (`ctx_in`, or a `ctx_out` asked for), only `mark`, `priority`,
//!   `ingress_ifindex`, `ifindex`, `cb[]`, `tstamp`, `wire_len`, `gso_segs`, `gso_size` and
//!   `hwtstamp` may be non-zero; `wire_len` is `len` when zero, else at least `len` and at
//!   most 65536; `gso_segs` at most 65535; afterwards `mark`, `priority`, `ingress_ifindex`,
//!   `ifindex`, `tstamp`, `cb[]`, `wire_len`, `gso_segs` and `hwtstamp` are copied back.
//!   Without one, `wire_len` reads 0;
//! - for IPv4/IPv6 frames the dummy socket gets the family and addresses (local = source).
//!
//! For XDP (`bpf_prog_test_run_xdp`): the buffer is a page with 256 bytes of headroom and
//! 320 of tailroom; `ctx_in` (`struct xdp_md`) gives offsets into `data_in`: `data_meta`
//! must be 0, `data` (the metadata length: a multiple of 4, at most 216) ≤ `data_end` ≤ the
//! input length; bytes past `data_end` (or past 3520 bytes of packet) become fragments,
//! at most 17 pages. `ingress_ifindex` (0 for loopback's queue 0) must name a device and
//! `rx_queue_index` one of its queues; `egress_ifindex` must be 0. `data_out` is the packet
//! from `data_meta`, fragments appended; `ctx_out` has `data`/`data_end` as offsets from
//! `data_meta`.
//!
//! Tracing types: kprobe, tracepoint and perf_event programs cannot be test-run by the
//! kernel; here they run over a context blob (a `struct pt_regs`, a tracepoint record, a
//! `struct bpf_perf_event_data`). Raw tracepoints take their arguments like the kernel's
//! `bpf_prog_test_run_raw_tp`: up to 12 `u64`s, no packet; an empty blob gives r1 = NULL.

use super::ProgType;
use super::packet::{self, ETH_HLEN, PAGE_SIZE, Packet, SHARED_INFO_SIZE, XDP_PACKET_HEADROOM};
use super::skb::{self, SKB_CTX_SIZE, SkbContext};
use super::tracing::{self, RAW_TP_MAX_SIZE, TRACE_ENTRY_SIZE, TRACEPOINT_MAX_SIZE};
use super::xdp::{self, XDP_CTX_SIZE, XdpContext};
use crate::vm::Env;
use crate::vm::memory::{MemoryMap, Region, RegionKind};
use thiserror::Error;

/// `BPF_F_TEST_XDP_LIVE_FRAMES`.
pub const BPF_F_TEST_XDP_LIVE_FRAMES: u32 = 1 << 1;
/// `BPF_F_TEST_SKB_CHECKSUM_COMPLETE`.
pub const BPF_F_TEST_SKB_CHECKSUM_COMPLETE: u32 = 1 << 2;

/// Headroom of a test-run skb (`NET_SKB_PAD + NET_IP_ALIGN` on x86-64).
pub const SKB_HEADROOM: usize = 64;
/// The largest `data_in` of an skb test run.
pub const SKB_MAX_DATA: usize = PAGE_SIZE - SKB_HEADROOM - SHARED_INFO_SIZE;
/// The largest linear part of an XDP test packet (metadata excluded).
pub const XDP_MAX_LINEAR: usize = PAGE_SIZE - XDP_PACKET_HEADROOM - SHARED_INFO_SIZE;
/// Most fragments an XDP packet may have (`MAX_SKB_FRAGS`).
pub const MAX_SKB_FRAGS: usize = 17;
/// `GSO_LEGACY_MAX_SIZE`: the largest `wire_len`.
pub const GSO_LEGACY_MAX_SIZE: u32 = 65536;
/// `GSO_MAX_SEGS`: the largest `gso_segs`.
pub const GSO_MAX_SEGS: u32 = 65535;

const ETH_P_IP: [u8; 2] = [0x08, 0x00];
const ETH_P_IPV6: [u8; 2] = [0x86, 0xdd];
const ETH_P_802_3: [u8; 2] = [0x00, 0x01];
const ETH_P_802_2: [u8; 2] = [0x00, 0x04];
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Why a test run cannot be built (or, for [`ContextError::BadChecksum`], finished); each
/// says which errno the kernel gives ([`ContextError::errno`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContextError {
    #[error("packet too short: {len} bytes, {prog_type} needs at least {min} ({what})")]
    PacketTooShort {
        prog_type: ProgType,
        len: usize,
        min: usize,
        what: &'static str,
    },
    #[error("packet too long: {len} bytes, {prog_type} takes at most {max}")]
    PacketTooLong {
        prog_type: ProgType,
        len: usize,
        max: usize,
        errno: i32,
    },
    #[error(
        "{proto} frame too short: {len} bytes after the Ethernet header, an {proto} header needs {min}"
    )]
    NetworkHeaderTooShort {
        proto: &'static str,
        len: usize,
        min: usize,
    },
    #[error("context blob is {len} bytes, {name} is {expected}")]
    CtxSize {
        name: &'static str,
        len: usize,
        expected: usize,
    },
    #[error("context blob is {len} bytes, {name} must be {min} to {max}")]
    CtxSizeRange {
        name: &'static str,
        len: usize,
        min: usize,
        max: usize,
    },
    #[error(
        "context blob is {len} bytes, {name} is {expected}, and the bytes past it are not all zero (the kernel refuses it with E2BIG)"
    )]
    CtxTooLarge {
        name: &'static str,
        len: usize,
        expected: usize,
    },
    #[error("ctx_in field {field} must be zero (the kernel refuses it with EINVAL)")]
    CtxFieldNotZero { field: &'static str },
    #[error("ctx_in field {field} = {value} is refused: {reason} (EINVAL)")]
    CtxFieldInvalid {
        field: &'static str,
        value: u64,
        reason: &'static str,
    },
    #[error("no network device with ifindex {ifindex} (the kernel answers ENODEV)")]
    NoSuchDevice { ifindex: u32 },
    #[error("flags {flags:#x} are not accepted for {prog_type} test runs (EINVAL)")]
    BadFlags { prog_type: ProgType, flags: u32 },
    #[error("{prog_type} test runs take no {what} (EINVAL)")]
    UnexpectedInput {
        prog_type: ProgType,
        what: &'static str,
    },
    #[error("{what} is not supported for {prog_type}")]
    Unsupported {
        prog_type: ProgType,
        what: &'static str,
    },
    #[error(
        "the packet changed but skb->csum was not updated to match (CHECKSUM_COMPLETE; the kernel answers EBADMSG)"
    )]
    BadChecksum,
}

impl ContextError {
    /// The (positive) errno the kernel's BPF_PROG_TEST_RUN returns for this input.
    pub fn errno(&self) -> i32 {
        match self {
            ContextError::PacketTooLong { errno, .. } => *errno,
            ContextError::CtxTooLarge { .. } => 7,   // E2BIG
            ContextError::NoSuchDevice { .. } => 19, // ENODEV
            ContextError::Unsupported { .. } => 524, // ENOTSUPP
            ContextError::BadChecksum => 74,         // EBADMSG
            _ => 22,                                 // EINVAL
        }
    }
}

/// A network device a test run may name by ifindex (loopback, ifindex 1, always exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetDevice {
    pub ifindex: u32,
    pub mac: [u8; 6],
    pub broadcast: [u8; 6],
    /// `real_num_rx_queues`.
    pub rx_queues: u32,
}

impl NetDevice {
    /// The loopback device: ifindex 1, all-zero addresses, one receive queue.
    pub const LOOPBACK: NetDevice = NetDevice {
        ifindex: 1,
        mac: [0; 6],
        broadcast: [0; 6],
        rx_queues: 1,
    };
}

/// What BPF_PROG_TEST_RUN takes.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestRunInput<'a> {
    /// The packet (`data_in`); empty for tracing types.
    pub data_in: &'a [u8],
    /// The context (`ctx_in`): `struct __sk_buff`, `struct xdp_md`, or a tracing blob.
    pub ctx_in: Option<&'a [u8]>,
    /// Whether the caller asks for `ctx_out`. For skb and XDP, a context exists when
    /// `ctx_in` is given or this is set, and its presence changes the run (an skb's
    /// `wire_len`; an XDP packet's linear length is then `ctx.data_end`).
    pub ctx_out: bool,
    /// `BPF_F_TEST_*` flags.
    pub flags: u32,
    /// Devices besides loopback that `ifindex` fields may name.
    pub devices: &'a [NetDevice],
}

impl<'a> TestRunInput<'a> {
    /// A run over `data_in` with no context.
    pub fn new(data_in: &'a [u8]) -> Self {
        TestRunInput {
            data_in,
            ..Default::default()
        }
    }

    /// A run over `data_in` with `ctx_in`, asking for `ctx_out`.
    pub fn with_ctx(data_in: &'a [u8], ctx_in: &'a [u8]) -> Self {
        TestRunInput {
            data_in,
            ctx_in: Some(ctx_in),
            ctx_out: true,
            ..Default::default()
        }
    }

    /// A tracing run over a context blob (no packet).
    pub fn tracing(ctx_in: &'a [u8]) -> Self {
        TestRunInput {
            ctx_in: Some(ctx_in),
            ..Default::default()
        }
    }

    fn device(&self, ifindex: u32) -> Option<NetDevice> {
        if ifindex == 1 {
            return Some(NetDevice::LOOPBACK);
        }
        self.devices.iter().find(|d| d.ifindex == ifindex).copied()
    }
}

/// What BPF_PROG_TEST_RUN reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRunOutput {
    /// r0, truncated to 32 bits as the kernel reports it.
    pub retval: u32,
    pub data_out: Vec<u8>,
    /// The context after the run, for skb and XDP runs that have one.
    pub ctx_out: Option<Vec<u8>>,
}

enum Kind {
    Skb {
        ctx: SkbContext,
        /// The caller's `struct __sk_buff` (zero-padded to 192 bytes), when there is one.
        user: Option<Vec<u8>>,
        is_l2: bool,
    },
    Xdp {
        ctx: XdpContext,
        user: Option<Vec<u8>>,
    },
    /// A plain read-only context (the blob lives in `TestRun::shadow`).
    Tracing,
}

/// One test run: the context and packet a program runs over (see the module docs).
///
/// ```no_run
/// # use bpfsim::progtype::{ProgType, TestRun, TestRunInput};
/// # fn f(interp: &mut bpfsim::vm::Interpreter, frame: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
/// let mut run = TestRun::new(ProgType::Xdp, &TestRunInput::new(frame))?;
/// let args = run.args();
/// let r0 = interp.run(&mut run.env(), args)?.r0;
/// let out = run.finish(r0)?;
/// println!("{} {:?}", out.retval, out.data_out);
/// # Ok(()) }
/// ```
pub struct TestRun {
    prog_type: ProgType,
    /// The memory of the context region: never read for translated contexts (their
    /// [`crate::vm::CtxAccess`] answers), the blob itself for tracing contexts.
    shadow: Box<[u8]>,
    kind: Kind,
}

impl TestRun {
    /// Builds the run of a program of type `t` over `input`, refusing what the kernel
    /// refuses.
    pub fn new(t: ProgType, input: &TestRunInput<'_>) -> Result<TestRun, ContextError> {
        match t {
            _ if skb::is_skb_type(t) => skb_run(t, input),
            ProgType::Xdp => xdp_run(input),
            ProgType::Kprobe | ProgType::PerfEvent | ProgType::Tracepoint => tracing_run(t, input),
            ProgType::RawTracepoint => raw_tp_run(input),
            _ => Err(ContextError::Unsupported {
                prog_type: t,
                what: "a test run",
            }),
        }
    }

    pub fn prog_type(&self) -> ProgType {
        self.prog_type
    }

    /// r1: the context's address (NULL for a raw tracepoint run without arguments).
    pub fn r1(&self) -> u64 {
        if self.shadow.is_empty() {
            0
        } else {
            self.shadow.as_ptr() as u64
        }
    }

    /// r1..r5 for `Interpreter::run`.
    pub fn args(&self) -> [u64; 5] {
        [self.r1(), 0, 0, 0, 0]
    }

    /// The skb, for skb runs.
    pub fn skb(&self) -> Option<&SkbContext> {
        match &self.kind {
            Kind::Skb { ctx, .. } => Some(ctx),
            _ => None,
        }
    }

    pub fn skb_mut(&mut self) -> Option<&mut SkbContext> {
        match &mut self.kind {
            Kind::Skb { ctx, .. } => Some(ctx),
            _ => None,
        }
    }

    /// The `xdp_buff`, for XDP runs.
    pub fn xdp(&self) -> Option<&XdpContext> {
        match &self.kind {
            Kind::Xdp { ctx, .. } => Some(ctx),
            _ => None,
        }
    }

    pub fn xdp_mut(&mut self) -> Option<&mut XdpContext> {
        match &mut self.kind {
            Kind::Xdp { ctx, .. } => Some(ctx),
            _ => None,
        }
    }

    /// The memory and context translator the program runs with: the context region (r1),
    /// the packet region from `data_meta` to `data_end` where the type has direct packet
    /// access (writable for tc, lwt_xmit and XDP; read-only for cgroup_skb, lwt_in and
    /// lwt_out; none for socket filters), and the translator for skb and XDP contexts.
    /// Attach the object's maps with `Env::attach_maps` before running.
    pub fn env(&mut self) -> Env<'_> {
        let mut mem = MemoryMap::new();
        let t = self.prog_type;
        match &mut self.kind {
            Kind::Skb { ctx, .. } => {
                mem.add_mut(RegionKind::Context, &mut self.shadow);
                let writable = matches!(
                    t,
                    ProgType::SchedCls | ProgType::SchedAct | ProgType::LwtXmit
                );
                if t != ProgType::SocketFilter {
                    add_packet(&mut mem, ctx.packet(), writable);
                }
                let mut env = Env::new(mem);
                env.ctx = Some(ctx);
                env
            }
            Kind::Xdp { ctx, .. } => {
                mem.add_mut(RegionKind::Context, &mut self.shadow);
                add_packet(&mut mem, ctx.packet(), true);
                let mut env = Env::new(mem);
                env.ctx = Some(ctx);
                env
            }
            Kind::Tracing => {
                if !self.shadow.is_empty() {
                    mem.add_ro(RegionKind::Context, &self.shadow);
                }
                Env::new(mem)
            }
        }
    }

    /// The output of a run that ended with `r0`.
    pub fn finish(self, r0: u64) -> Result<TestRunOutput, ContextError> {
        let retval = r0 as u32;
        match self.kind {
            Kind::Skb { ctx, user, is_l2 } => skb_finish(ctx, user, is_l2, retval),
            Kind::Xdp { ctx, user } => {
                let p = ctx.packet();
                let mut data_out = p.data_out();
                data_out.extend_from_slice(&ctx.frags);
                let ctx_out = user.map(|mut u| {
                    let (meta, data, end) = p.offsets();
                    put32(&mut u, xdp::off::DATA, (data - meta) as u32);
                    put32(&mut u, xdp::off::DATA_END, (end - meta) as u32);
                    u
                });
                Ok(TestRunOutput {
                    retval,
                    data_out,
                    ctx_out,
                })
            }
            Kind::Tracing => Ok(TestRunOutput {
                retval,
                data_out: Vec::new(),
                ctx_out: None,
            }),
        }
    }
}

fn add_packet(mem: &mut MemoryMap<'_>, p: &Packet, writable: bool) {
    let (start, len) = p.region();
    // SAFETY: the region lies inside the packet's own allocation, which the `TestRun`
    // (borrowed for the map's lifetime by `env`) keeps alive and which no Rust reference
    // covers: `Packet` reaches it only through raw pointers.
    unsafe { mem.add_raw(Region::block(RegionKind::Packet, start, len, writable)) }
}

fn get32(b: &[u8], off: u32) -> u32 {
    let o = off as usize;
    b.get(o..o + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn get64(b: &[u8], off: u32) -> u64 {
    (get32(b, off) as u64) | ((get32(b, off + 4) as u64) << 32)
}

fn put32(b: &mut [u8], off: u32, v: u32) {
    let o = off as usize;
    if let Some(s) = b.get_mut(o..o + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

fn put64(b: &mut [u8], off: u32, v: u64) {
    put32(b, off, v as u32);
    put32(b, off + 4, (v >> 32) as u32);
}

/// `bpf_ctx_init`: the caller's context zero-padded to `size` bytes, or E2BIG when it is
/// longer with non-zero bytes past `size` (or longer than a page).
fn ctx_init(
    input: &TestRunInput<'_>,
    size: usize,
    name: &'static str,
) -> Result<Option<Vec<u8>>, ContextError> {
    if input.ctx_in.is_none() && !input.ctx_out {
        return Ok(None);
    }
    let given = input.ctx_in.unwrap_or(&[]);
    if given.len() > size && (given.len() > PAGE_SIZE || given[size..].iter().any(|&b| b != 0)) {
        return Err(ContextError::CtxTooLarge {
            name,
            len: given.len(),
            expected: size,
        });
    }
    let mut buf = vec![0u8; size];
    let n = given.len().min(size);
    buf[..n].copy_from_slice(&given[..n]);
    Ok(Some(buf))
}

/// The ranges of `struct __sk_buff` that `convert___skb_to_skb` requires to be zero.
const SKB_ZERO_RANGES: [(u32, u32); 6] = [
    (skb::off::LEN, skb::off::MARK),
    (skb::off::QUEUE_MAPPING, skb::off::PRIORITY),
    (skb::off::TC_INDEX, skb::off::CB),
    (skb::off::HASH, skb::off::TSTAMP),
    (skb::off::SK, skb::off::GSO_SIZE),
    (skb::off::TSTAMP_TYPE, skb::off::HWTSTAMP),
];

fn skb_run(t: ProgType, input: &TestRunInput<'_>) -> Result<TestRun, ContextError> {
    if input.flags & !BPF_F_TEST_SKB_CHECKSUM_COMPLETE != 0 {
        return Err(ContextError::BadFlags {
            prog_type: t,
            flags: input.flags,
        });
    }
    let frame = input.data_in;
    if frame.len() < ETH_HLEN {
        return Err(ContextError::PacketTooShort {
            prog_type: t,
            len: frame.len(),
            min: ETH_HLEN,
            what: "ETH_HLEN",
        });
    }
    if frame.len() > SKB_MAX_DATA {
        return Err(ContextError::PacketTooLong {
            prog_type: t,
            len: frame.len(),
            max: SKB_MAX_DATA,
            errno: 22,
        });
    }
    let user = ctx_init(input, SKB_CTX_SIZE, "struct __sk_buff")?;
    let mut dev = NetDevice::LOOPBACK;
    if let Some(u) = &user {
        let ifindex = get32(u, skb::off::IFINDEX);
        if ifindex > 1 {
            dev = input
                .device(ifindex)
                .ok_or(ContextError::NoSuchDevice { ifindex })?;
        }
    }

    // The skb: headroom, the frame, and the tailroom of the kmalloc bucket the kernel's
    // buffer falls in (the buffer holds the aligned data, headroom and shared info).
    let aligned = frame.len().div_ceil(64) * 64;
    let alloc = (aligned + SKB_HEADROOM + SHARED_INFO_SIZE).next_power_of_two();
    let tailroom = alloc - SHARED_INFO_SIZE - SKB_HEADROOM - frame.len();
    let packet = Packet::new(SKB_HEADROOM, frame, tailroom);
    let mut ctx = SkbContext::new(t, packet);

    // eth_type_trans: pull the Ethernet header, classify the destination, find the protocol.
    let dst: [u8; 6] = [frame[0], frame[1], frame[2], frame[3], frame[4], frame[5]];
    ctx.pkt_type = if dst == dev.mac {
        0
    } else if dst[0] & 1 != 0 {
        if dst == dev.broadcast { 1 } else { 2 }
    } else {
        3
    };
    let ethertype = [frame[12], frame[13]];
    ctx.protocol = if u16::from_be_bytes(ethertype) >= 0x600 {
        ethertype
    } else if frame.len() >= ETH_HLEN + 2 && frame[14..16] == [0xff, 0xff] {
        ETH_P_802_3
    } else {
        ETH_P_802_2
    };
    ctx.ifindex = dev.ifindex;
    let l3 = &frame[ETH_HLEN..];
    match ctx.protocol {
        ETH_P_IP => {
            if l3.len() < 20 {
                return Err(ContextError::NetworkHeaderTooShort {
                    proto: "IPv4",
                    len: l3.len(),
                    min: 20,
                });
            }
            ctx.sock.family = AF_INET;
            ctx.sock.local_ip4.copy_from_slice(&l3[12..16]);
            ctx.sock.remote_ip4.copy_from_slice(&l3[16..20]);
        }
        ETH_P_IPV6 => {
            if l3.len() < 40 {
                return Err(ContextError::NetworkHeaderTooShort {
                    proto: "IPv6",
                    len: l3.len(),
                    min: 40,
                });
            }
            ctx.sock.family = AF_INET6;
            ctx.sock.local_ip6.copy_from_slice(&l3[8..24]);
            ctx.sock.remote_ip6.copy_from_slice(&l3[24..40]);
        }
        _ => {}
    }
    let is_l2 = matches!(t, ProgType::SchedCls | ProgType::SchedAct);
    let (_, data, end) = ctx.packet().offsets();
    ctx.network_header = data + ETH_HLEN;
    if !is_l2 {
        let pulled = data + ETH_HLEN;
        ctx.packet_mut()
            .set_offsets(pulled, pulled, end)
            .map_err(|_| ContextError::PacketTooShort {
                prog_type: t,
                len: frame.len(),
                min: ETH_HLEN,
                what: "ETH_HLEN",
            })?;
    }

    // convert___skb_to_skb.
    if let Some(u) = &user {
        for (from, to) in SKB_ZERO_RANGES {
            if let Some(i) = (from..to).find(|&i| u[i as usize] != 0) {
                return Err(ContextError::CtxFieldNotZero {
                    field: skb::field_name(i),
                });
            }
        }
        ctx.mark = get32(u, skb::off::MARK);
        ctx.priority = get32(u, skb::off::PRIORITY);
        ctx.ingress_ifindex = get32(u, skb::off::INGRESS_IFINDEX);
        ctx.tstamp = get64(u, skb::off::TSTAMP);
        let cb = skb::off::CB as usize;
        ctx.cb.copy_from_slice(&u[cb..cb + 20]);
        let len = ctx.packet().len() as u32;
        let wire_len = get32(u, skb::off::WIRE_LEN);
        ctx.wire_len = if wire_len == 0 {
            len
        } else if wire_len < len || wire_len > GSO_LEGACY_MAX_SIZE {
            return Err(ContextError::CtxFieldInvalid {
                field: "wire_len",
                value: wire_len as u64,
                reason: "must be 0 or between len and 65536",
            });
        } else {
            wire_len
        };
        let gso_segs = get32(u, skb::off::GSO_SEGS);
        if gso_segs > GSO_MAX_SEGS {
            return Err(ContextError::CtxFieldInvalid {
                field: "gso_segs",
                value: gso_segs as u64,
                reason: "must be at most 65535",
            });
        }
        ctx.gso_segs = gso_segs as u16;
        ctx.gso_size = get32(u, skb::off::GSO_SIZE) as u16;
        ctx.hwtstamp = get64(u, skb::off::HWTSTAMP);
    }
    if input.flags & BPF_F_TEST_SKB_CHECKSUM_COMPLETE != 0 {
        ctx.checksum_complete = true;
        ctx.ip_summed = skb::CHECKSUM_COMPLETE;
        ctx.csum = network_csum(&ctx);
    }
    Ok(TestRun {
        prog_type: t,
        shadow: vec![0u8; SKB_CTX_SIZE].into_boxed_slice(),
        kind: Kind::Skb { ctx, user, is_l2 },
    })
}

/// The one's complement sum (folded to 16 bits) of the packet from the network header.
fn network_csum(ctx: &SkbContext) -> u32 {
    let (_, data, end) = ctx.packet().offsets();
    let from = ctx.network_header.clamp(data, end);
    let bytes = ctx
        .packet()
        .load_bytes(from - data, end - from)
        .unwrap_or_default();
    let sum: u64 = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]) as u64)
        .sum();
    fold(sum)
}

fn fold(mut sum: u64) -> u32 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u32
}

fn skb_finish(
    ctx: SkbContext,
    user: Option<Vec<u8>>,
    is_l2: bool,
    retval: u32,
) -> Result<TestRunOutput, ContextError> {
    if ctx.checksum_complete && fold(ctx.csum as u64) != network_csum(&ctx) {
        return Err(ContextError::BadChecksum);
    }
    // Non-L2 types get the Ethernet header pushed back, zeroed.
    let mut data_out = if is_l2 {
        Vec::new()
    } else {
        vec![0u8; ETH_HLEN]
    };
    data_out.extend_from_slice(&ctx.packet().data());
    // convert_skb_to___skb.
    let ctx_out = user.map(|mut u| {
        put32(&mut u, skb::off::MARK, ctx.mark);
        put32(&mut u, skb::off::PRIORITY, ctx.priority);
        put32(&mut u, skb::off::INGRESS_IFINDEX, ctx.ingress_ifindex);
        put32(&mut u, skb::off::IFINDEX, ctx.ifindex);
        put64(&mut u, skb::off::TSTAMP, ctx.tstamp);
        let cb = skb::off::CB as usize;
        u[cb..cb + 20].copy_from_slice(&ctx.cb);
        put32(&mut u, skb::off::WIRE_LEN, ctx.wire_len);
        put32(&mut u, skb::off::GSO_SEGS, ctx.gso_segs as u32);
        put64(&mut u, skb::off::HWTSTAMP, ctx.hwtstamp);
        u
    });
    Ok(TestRunOutput {
        retval,
        data_out,
        ctx_out,
    })
}

fn xdp_run(input: &TestRunInput<'_>) -> Result<TestRun, ContextError> {
    let t = ProgType::Xdp;
    if input.flags & !BPF_F_TEST_XDP_LIVE_FRAMES != 0 {
        return Err(ContextError::BadFlags {
            prog_type: t,
            flags: input.flags,
        });
    }
    if input.flags & BPF_F_TEST_XDP_LIVE_FRAMES != 0 {
        return Err(ContextError::Unsupported {
            prog_type: t,
            what: "BPF_F_TEST_XDP_LIVE_FRAMES",
        });
    }
    let data_in = input.data_in;
    let user = ctx_init(input, XDP_CTX_SIZE, "struct xdp_md")?;
    let mut meta_len = 0usize;
    let mut linear = data_in.len();
    if let Some(u) = &user {
        let data = get32(u, xdp::off::DATA) as usize;
        let data_end = get32(u, xdp::off::DATA_END) as usize;
        if get32(u, xdp::off::DATA_META) != 0 {
            return Err(ContextError::CtxFieldInvalid {
                field: "data_meta",
                value: get32(u, xdp::off::DATA_META) as u64,
                reason: "no data may come before the metadata: it must be 0",
            });
        }
        if data_end > data_in.len() {
            return Err(ContextError::CtxFieldInvalid {
                field: "data_end",
                value: data_end as u64,
                reason: "past the end of data_in",
            });
        }
        if data > data_end {
            return Err(ContextError::CtxFieldInvalid {
                field: "data",
                value: data as u64,
                reason: "past data_end",
            });
        }
        if !packet::xdp_metalen_valid(data) || data > XDP_PACKET_HEADROOM - packet::XDP_FRAME_SIZE {
            return Err(ContextError::CtxFieldInvalid {
                field: "data",
                value: data as u64,
                reason: "the metadata length must be a multiple of 4 and at most 216",
            });
        }
        meta_len = data;
        linear = data_end;
    }
    linear = linear.min(XDP_MAX_LINEAR + meta_len);
    if data_in.len() - meta_len < ETH_HLEN {
        return Err(ContextError::PacketTooShort {
            prog_type: t,
            len: data_in.len() - meta_len,
            min: ETH_HLEN,
            what: "ETH_HLEN",
        });
    }
    let (mut ingress, mut queue) = (1, 0);
    if let Some(u) = &user {
        let egress = get32(u, xdp::off::EGRESS_IFINDEX);
        if egress != 0 {
            return Err(ContextError::CtxFieldNotZero {
                field: "egress_ifindex",
            });
        }
        let ifindex = get32(u, xdp::off::INGRESS_IFINDEX);
        let rxq = get32(u, xdp::off::RX_QUEUE_INDEX);
        if ifindex == 0 && rxq != 0 {
            return Err(ContextError::CtxFieldInvalid {
                field: "rx_queue_index",
                value: rxq as u64,
                reason: "needs an ingress_ifindex",
            });
        }
        if ifindex != 0 {
            let dev = input
                .device(ifindex)
                .ok_or(ContextError::NoSuchDevice { ifindex })?;
            if rxq >= dev.rx_queues {
                return Err(ContextError::CtxFieldInvalid {
                    field: "rx_queue_index",
                    value: rxq as u64,
                    reason: "the device has no such receive queue",
                });
            }
            (ingress, queue) = (ifindex, rxq);
        }
    }
    let frags = &data_in[linear..];
    if frags.len().div_ceil(PAGE_SIZE) > MAX_SKB_FRAGS {
        return Err(ContextError::PacketTooLong {
            prog_type: t,
            len: data_in.len(),
            max: linear + MAX_SKB_FRAGS * PAGE_SIZE,
            errno: 12, // ENOMEM
        });
    }
    let mut ctx = XdpContext::new(Packet::xdp(&data_in[..linear], meta_len), ingress, queue);
    ctx.frags = frags.to_vec();
    Ok(TestRun {
        prog_type: t,
        shadow: vec![0u8; XDP_CTX_SIZE].into_boxed_slice(),
        kind: Kind::Xdp { ctx, user },
    })
}

fn tracing_run(t: ProgType, input: &TestRunInput<'_>) -> Result<TestRun, ContextError> {
    if !input.data_in.is_empty() {
        return Err(ContextError::UnexpectedInput {
            prog_type: t,
            what: "packet (data_in)",
        });
    }
    let blob = input.ctx_in.unwrap_or(&[]);
    let (name, ok) = match t {
        ProgType::Kprobe => ("struct pt_regs", blob.len() == tracing::PT_REGS_SIZE),
        ProgType::PerfEvent => (
            "struct bpf_perf_event_data",
            blob.len() == tracing::PERF_EVENT_DATA_SIZE,
        ),
        _ => (
            "a tracepoint record",
            (TRACE_ENTRY_SIZE..=TRACEPOINT_MAX_SIZE).contains(&blob.len()),
        ),
    };
    if !ok {
        if let Some(expected) = tracing::fixed_size(t) {
            return Err(ContextError::CtxSize {
                name,
                len: blob.len(),
                expected,
            });
        }
        return Err(ContextError::CtxSizeRange {
            name: "a tracepoint record (struct trace_entry and the fields)",
            len: blob.len(),
            min: TRACE_ENTRY_SIZE,
            max: TRACEPOINT_MAX_SIZE,
        });
    }
    Ok(TestRun {
        prog_type: t,
        shadow: blob.to_vec().into_boxed_slice(),
        kind: Kind::Tracing,
    })
}

fn raw_tp_run(input: &TestRunInput<'_>) -> Result<TestRun, ContextError> {
    let t = ProgType::RawTracepoint;
    if !input.data_in.is_empty() {
        return Err(ContextError::UnexpectedInput {
            prog_type: t,
            what: "packet (data_in)",
        });
    }
    if input.ctx_out {
        return Err(ContextError::UnexpectedInput {
            prog_type: t,
            what: "ctx_out",
        });
    }
    // The kernel ignores `flags` here (BPF_F_TEST_RUN_ON_CPU only picks the CPU).
    let blob = input.ctx_in.unwrap_or(&[]);
    if blob.len() > RAW_TP_MAX_SIZE {
        return Err(ContextError::CtxSizeRange {
            name: "the raw tracepoint arguments (12 u64 at most)",
            len: blob.len(),
            min: 0,
            max: RAW_TP_MAX_SIZE,
        });
    }
    Ok(TestRun {
        prog_type: t,
        shadow: blob.to_vec().into_boxed_slice(),
        kind: Kind::Tracing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::{CallEnv, HelperError, HelperTable};
    use crate::insn::asm::assemble_bytes;
    use crate::vm::Interpreter;

    fn frame(len: usize) -> Vec<u8> {
        let mut f = vec![0xffu8; 6];
        f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x88, 0xb5]);
        f.resize(len, 0xab);
        f
    }

    #[test]
    fn messages() {
        let e = TestRun::new(ProgType::SchedCls, &TestRunInput::new(&[0; 10])).err();
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("packet too short: 10 bytes, sched_cls needs at least 14 (ETH_HLEN)")
        );
        let ctx = [1u8, 0, 0, 0];
        let e = TestRun::new(
            ProgType::SchedCls,
            &TestRunInput::with_ctx(&frame(60), &ctx),
        );
        let e = e.err().expect("refused");
        assert_eq!(
            e.to_string(),
            "ctx_in field len must be zero (the kernel refuses it with EINVAL)"
        );
        assert_eq!(e.errno(), 22);
        let e = TestRun::new(ProgType::SkSkb, &TestRunInput::new(&frame(60))).err();
        assert_eq!(e.map(|e| e.errno()), Some(524));
    }

    #[test]
    fn skb_views_of_the_frame() {
        let f = frame(60);
        let tc = TestRun::new(ProgType::SchedCls, &TestRunInput::new(&f)).unwrap();
        let skb = tc.skb().unwrap();
        assert_eq!(skb.packet().len(), 60);
        assert_eq!(skb.protocol, [0x88, 0xb5]);
        assert_eq!(skb.pkt_type, 2);
        assert_eq!(skb.ifindex, 1);
        let sf = TestRun::new(ProgType::SocketFilter, &TestRunInput::new(&f)).unwrap();
        assert_eq!(sf.skb().unwrap().packet().len(), 46);
        let out = sf.finish(0x1_0000_0005).unwrap();
        assert_eq!(out.retval, 5);
        assert_eq!(&out.data_out[..14], &[0; 14]);
        assert_eq!(&out.data_out[14..], &f[14..]);
        assert_eq!(out.ctx_out, None);
    }

    #[test]
    fn env_regions() {
        let f = frame(60);
        let mut run = TestRun::new(ProgType::CgroupSkb, &TestRunInput::new(&f)).unwrap();
        let r1 = run.r1();
        let env = run.env();
        let ctx = env.mem.region(RegionKind::Context).unwrap();
        assert_eq!((ctx.start, ctx.len), (r1, 192));
        let pkt = env.mem.region(RegionKind::Packet).unwrap();
        assert_eq!((pkt.len, pkt.writable), (46, false));
        drop(env);
        let mut sf = TestRun::new(ProgType::SocketFilter, &TestRunInput::new(&f)).unwrap();
        assert!(sf.env().mem.region(RegionKind::Packet).is_none());
        let mut raw = TestRun::new(ProgType::RawTracepoint, &TestRunInput::default()).unwrap();
        assert_eq!(raw.r1(), 0);
        assert!(raw.env().mem.regions().is_empty());
    }

    /// What a `bpf_xdp_adjust_head` helper does with this module's API: downcast the
    /// context, adjust the packet, move the packet region.
    fn adjust_head(call: &mut CallEnv<'_, '_>, args: [u64; 5]) -> Result<u64, HelperError> {
        let Env { mem, ctx, .. } = &mut *call.env;
        let xdp = ctx
            .as_deref_mut()
            .and_then(|c| c.as_any_mut().downcast_mut::<XdpContext>())
            .ok_or_else(|| HelperError::Other("not an XDP context".into()))?;
        let res = xdp.packet_mut().adjust_head(args[1] as i32);
        let (start, len) = xdp.packet().region();
        // SAFETY: the new range lies inside the packet's buffer, which outlives the run.
        unsafe { mem.reshape(RegionKind::Packet, start, len) };
        Ok(res.map_or_else(|e| e as i64 as u64, |_| 0))
    }

    #[test]
    fn helpers_reach_the_packet_through_the_context() {
        let src = "r6 = r1\nr2 = -4\ncall 44\nr7 = r0\n\
                   r1 = *(u32 *)(r6 + 0)\nr2 = *(u32 *)(r6 + 4)\n\
                   *(u32 *)(r1 + 0) = 0x01020304\n\
                   r0 = r2\nr0 -= r1\nr0 <<= 8\nr0 |= r7\nexit";
        let mut helpers = HelperTable::new();
        helpers.register(44, "bpf_xdp_adjust_head", adjust_head);
        let bytes = assemble_bytes(src).unwrap();
        let mut vm = Interpreter::from_bytes(&bytes, helpers).unwrap();
        let f = frame(60);
        let mut run = TestRun::new(ProgType::Xdp, &TestRunInput::new(&f)).unwrap();
        let args = run.args();
        let r0 = vm.run(&mut run.env(), args).unwrap().r0;
        let out = run.finish(r0).unwrap();
        assert_eq!(out.retval, 64 << 8);
        assert_eq!(&out.data_out[..4], &[4, 3, 2, 1]);
        assert_eq!(&out.data_out[4..], &f[..]);
    }
}
