//! Program types: one place per type for what the kernel ties to it. Here: the type list
//! with the kernel's numbers and names, each type's context (layout, which accesses the
//! verifier allows, what loads and stores do: [`skb`], [`xdp`], [`tracing`]), the packet
//! buffer ([`packet`]) and BPF_PROG_TEST_RUN's way of building a run and reporting its
//! result ([`testrun`]); the section names that give a program its type ([`section`]).

pub mod packet;
pub mod section;
pub mod sk_lookup;
pub mod sk_msg;
pub mod skb;
pub mod sock;
pub mod sock_ops;
pub mod testrun;
pub mod tracing;
pub mod xdp;

pub use packet::Packet;
pub use skb::SkbContext;
pub use testrun::{ContextError, NetDevice, TestRun, TestRunInput, TestRunOutput};
pub use xdp::XdpContext;

use std::fmt;

/// Whether the verifier lets a program of type `t` (attached as `attach`, where the type
/// has several hooks) access `size` bytes at offset `off` of its context (`write` for
/// stores), as Linux decides for a root user.
pub fn ctx_access_ok(t: ProgType, attach: Option<u32>, off: u32, size: u32, write: bool) -> bool {
    match t {
        _ if skb::is_skb_type(t) => skb::access_ok(t, off, size, write),
        ProgType::SkSkb => skb::access_ok(t, off, size, write),
        ProgType::Xdp => xdp::access_ok(off, size, write),
        ProgType::SockOps => sock_ops::access_ok(off, size, write),
        ProgType::SkMsg => sk_msg::access_ok(off, size, write),
        ProgType::SkLookup => sk_lookup::access_ok(off, size, write),
        ProgType::CgroupSock => sock::sock_access_ok(attach, off, size, write),
        ProgType::CgroupSockAddr => sock::sock_addr_access_ok(attach, off, size, write),
        _ => tracing::access_ok(t, off, size, write),
    }
}

/// `bpf_ctx_narrow_access_ok`: a load of `size` bytes of a `field`-byte context field is a
/// power of two no wider than the field.
pub(crate) fn narrow_ok(size: u32, field: u32) -> bool {
    size <= field && size.is_power_of_two()
}

/// The size of the context structure of type `t`, where it has a fixed one.
pub fn ctx_size(t: ProgType) -> Option<usize> {
    if skb::is_skb_type(t) {
        Some(skb::SKB_CTX_SIZE)
    } else if t == ProgType::Xdp {
        Some(xdp::XDP_CTX_SIZE)
    } else {
        tracing::fixed_size(t)
    }
}

/// Program types, with the kernel's `enum bpf_prog_type` numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgType {
    Unspec,
    SocketFilter,
    Kprobe,
    SchedCls,
    SchedAct,
    Tracepoint,
    Xdp,
    PerfEvent,
    CgroupSkb,
    CgroupSock,
    LwtIn,
    LwtOut,
    LwtXmit,
    SockOps,
    SkSkb,
    CgroupDevice,
    SkMsg,
    RawTracepoint,
    CgroupSockAddr,
    LwtSeg6local,
    LircMode2,
    SkReuseport,
    FlowDissector,
    CgroupSysctl,
    RawTracepointWritable,
    CgroupSockopt,
    Tracing,
    StructOps,
    Ext,
    Lsm,
    SkLookup,
    Syscall,
    Netfilter,
}

const ALL: [(ProgType, &str); 33] = [
    (ProgType::Unspec, "unspec"),
    (ProgType::SocketFilter, "socket_filter"),
    (ProgType::Kprobe, "kprobe"),
    (ProgType::SchedCls, "sched_cls"),
    (ProgType::SchedAct, "sched_act"),
    (ProgType::Tracepoint, "tracepoint"),
    (ProgType::Xdp, "xdp"),
    (ProgType::PerfEvent, "perf_event"),
    (ProgType::CgroupSkb, "cgroup_skb"),
    (ProgType::CgroupSock, "cgroup_sock"),
    (ProgType::LwtIn, "lwt_in"),
    (ProgType::LwtOut, "lwt_out"),
    (ProgType::LwtXmit, "lwt_xmit"),
    (ProgType::SockOps, "sock_ops"),
    (ProgType::SkSkb, "sk_skb"),
    (ProgType::CgroupDevice, "cgroup_device"),
    (ProgType::SkMsg, "sk_msg"),
    (ProgType::RawTracepoint, "raw_tracepoint"),
    (ProgType::CgroupSockAddr, "cgroup_sock_addr"),
    (ProgType::LwtSeg6local, "lwt_seg6local"),
    (ProgType::LircMode2, "lirc_mode2"),
    (ProgType::SkReuseport, "sk_reuseport"),
    (ProgType::FlowDissector, "flow_dissector"),
    (ProgType::CgroupSysctl, "cgroup_sysctl"),
    (ProgType::RawTracepointWritable, "raw_tracepoint_writable"),
    (ProgType::CgroupSockopt, "cgroup_sockopt"),
    (ProgType::Tracing, "tracing"),
    (ProgType::StructOps, "struct_ops"),
    (ProgType::Ext, "ext"),
    (ProgType::Lsm, "lsm"),
    (ProgType::SkLookup, "sk_lookup"),
    (ProgType::Syscall, "syscall"),
    (ProgType::Netfilter, "netfilter"),
];

impl ProgType {
    /// The kernel's `enum bpf_prog_type` number.
    pub fn as_u32(self) -> u32 {
        ALL.iter().position(|(t, _)| *t == self).unwrap_or(0) as u32
    }

    pub fn from_u32(n: u32) -> Option<ProgType> {
        ALL.get(n as usize).map(|(t, _)| *t)
    }

    /// libbpf's / bpftool's name (`socket_filter`, `xdp`, `sched_cls`, `kprobe`, ...).
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(t, _)| *t == self)
            .map_or("unspec", |(_, n)| n)
    }

    /// Parses libbpf's name, as `--prog-type` takes it.
    pub fn from_name(name: &str) -> Option<ProgType> {
        ALL.iter().find(|(_, n)| *n == name).map(|(t, _)| *t)
    }
}

impl fmt::Display for ProgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_round_trip() {
        assert_eq!(ProgType::Xdp.as_u32(), 6);
        assert_eq!(ProgType::Netfilter.as_u32(), 32);
        for n in 0..33 {
            let t = ProgType::from_u32(n).expect("known");
            assert_eq!(ProgType::from_name(t.name()), Some(t));
        }
    }
}
