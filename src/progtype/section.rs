//! ELF section name → program type and expected attach type, as libbpf decides it.
//!
//! [`from_section`] follows libbpf 1.x's `section_defs` table (the one Linux 6.18's libbpf ships):
//! first match wins, and a pattern matches in one of three ways, as in libbpf's
//! `sec_def_matches`:
//! - `"type/"`: the name must start with it (`tracepoint/` style, the extra part mandatory);
//! - `"type+"`: the name is exactly `type` or starts with `type/`;
//! - anything else: the name must be exactly the pattern.
//!
//! Objects built for older loaders (libbpf 0.x with its "sloppy" prefixes, samples/bpf's
//! `bpf_load.c`, iproute2) name sections `socket1`, `xdp_prog`, `kprobe/sys_write`,
//! `tc_mark`...: [`from_section_legacy`] matches those by plain prefix, the way those loaders
//! did. The object loader tries [`from_section`] first and falls back to the legacy table.

use super::ProgType;

/// `enum bpf_attach_type` numbers used by the section table.
pub mod attach {
    pub const CGROUP_INET_INGRESS: u32 = 0;
    pub const CGROUP_INET_EGRESS: u32 = 1;
    pub const CGROUP_INET_SOCK_CREATE: u32 = 2;
    pub const CGROUP_SOCK_OPS: u32 = 3;
    pub const SK_SKB_STREAM_PARSER: u32 = 4;
    pub const SK_SKB_STREAM_VERDICT: u32 = 5;
    pub const CGROUP_DEVICE: u32 = 6;
    pub const SK_MSG_VERDICT: u32 = 7;
    pub const CGROUP_INET4_BIND: u32 = 8;
    pub const CGROUP_INET6_BIND: u32 = 9;
    pub const CGROUP_INET4_CONNECT: u32 = 10;
    pub const CGROUP_INET6_CONNECT: u32 = 11;
    pub const CGROUP_INET4_POST_BIND: u32 = 12;
    pub const CGROUP_INET6_POST_BIND: u32 = 13;
    pub const CGROUP_UDP4_SENDMSG: u32 = 14;
    pub const CGROUP_UDP6_SENDMSG: u32 = 15;
    pub const LIRC_MODE2: u32 = 16;
    pub const FLOW_DISSECTOR: u32 = 17;
    pub const CGROUP_SYSCTL: u32 = 18;
    pub const CGROUP_UDP4_RECVMSG: u32 = 19;
    pub const CGROUP_UDP6_RECVMSG: u32 = 20;
    pub const CGROUP_GETSOCKOPT: u32 = 21;
    pub const CGROUP_SETSOCKOPT: u32 = 22;
    pub const TRACE_RAW_TP: u32 = 23;
    pub const TRACE_FENTRY: u32 = 24;
    pub const TRACE_FEXIT: u32 = 25;
    pub const MODIFY_RETURN: u32 = 26;
    pub const LSM_MAC: u32 = 27;
    pub const TRACE_ITER: u32 = 28;
    pub const CGROUP_INET4_GETPEERNAME: u32 = 29;
    pub const CGROUP_INET6_GETPEERNAME: u32 = 30;
    pub const CGROUP_INET4_GETSOCKNAME: u32 = 31;
    pub const CGROUP_INET6_GETSOCKNAME: u32 = 32;
    pub const XDP_DEVMAP: u32 = 33;
    pub const CGROUP_INET_SOCK_RELEASE: u32 = 34;
    pub const XDP_CPUMAP: u32 = 35;
    pub const SK_LOOKUP: u32 = 36;
    pub const XDP: u32 = 37;
    pub const SK_SKB_VERDICT: u32 = 38;
    pub const SK_REUSEPORT_SELECT: u32 = 39;
    pub const SK_REUSEPORT_SELECT_OR_MIGRATE: u32 = 40;
    pub const PERF_EVENT: u32 = 41;
    pub const TRACE_KPROBE_MULTI: u32 = 42;
    pub const LSM_CGROUP: u32 = 43;
    pub const STRUCT_OPS: u32 = 44;
    pub const NETFILTER: u32 = 45;
    pub const TCX_INGRESS: u32 = 46;
    pub const TCX_EGRESS: u32 = 47;
    pub const TRACE_UPROBE_MULTI: u32 = 48;
    pub const CGROUP_UNIX_CONNECT: u32 = 49;
    pub const CGROUP_UNIX_SENDMSG: u32 = 50;
    pub const CGROUP_UNIX_RECVMSG: u32 = 51;
    pub const CGROUP_UNIX_GETPEERNAME: u32 = 52;
    pub const CGROUP_UNIX_GETSOCKNAME: u32 = 53;
    pub const NETKIT_PRIMARY: u32 = 54;
    pub const NETKIT_PEER: u32 = 55;
    pub const TRACE_KPROBE_SESSION: u32 = 56;
    pub const TRACE_UPROBE_SESSION: u32 = 57;
}

use ProgType as P;
use attach as A;

/// One row of the table: pattern (with libbpf's `+` / trailing `/` conventions), program
/// type, expected attach type (`None` where libbpf leaves it 0).
type Row = (&'static str, ProgType, Option<u32>);

/// libbpf 1.x's `section_defs`, in its order (first match wins).
const SECTION_DEFS: &[Row] = &[
    ("socket", P::SocketFilter, None),
    (
        "sk_reuseport/migrate",
        P::SkReuseport,
        Some(A::SK_REUSEPORT_SELECT_OR_MIGRATE),
    ),
    ("sk_reuseport", P::SkReuseport, Some(A::SK_REUSEPORT_SELECT)),
    ("kprobe+", P::Kprobe, None),
    ("uprobe+", P::Kprobe, None),
    ("uprobe.s+", P::Kprobe, None),
    ("kretprobe+", P::Kprobe, None),
    ("uretprobe+", P::Kprobe, None),
    ("uretprobe.s+", P::Kprobe, None),
    ("kprobe.multi+", P::Kprobe, Some(A::TRACE_KPROBE_MULTI)),
    ("kretprobe.multi+", P::Kprobe, Some(A::TRACE_KPROBE_MULTI)),
    ("kprobe.session+", P::Kprobe, Some(A::TRACE_KPROBE_SESSION)),
    ("uprobe.multi+", P::Kprobe, Some(A::TRACE_UPROBE_MULTI)),
    ("uretprobe.multi+", P::Kprobe, Some(A::TRACE_UPROBE_MULTI)),
    ("uprobe.session+", P::Kprobe, Some(A::TRACE_UPROBE_SESSION)),
    ("uprobe.multi.s+", P::Kprobe, Some(A::TRACE_UPROBE_MULTI)),
    ("uretprobe.multi.s+", P::Kprobe, Some(A::TRACE_UPROBE_MULTI)),
    (
        "uprobe.session.s+",
        P::Kprobe,
        Some(A::TRACE_UPROBE_SESSION),
    ),
    ("ksyscall+", P::Kprobe, None),
    ("kretsyscall+", P::Kprobe, None),
    ("usdt+", P::Kprobe, None),
    ("usdt.s+", P::Kprobe, None),
    ("tc/ingress", P::SchedCls, Some(A::TCX_INGRESS)),
    ("tc/egress", P::SchedCls, Some(A::TCX_EGRESS)),
    ("tcx/ingress", P::SchedCls, Some(A::TCX_INGRESS)),
    ("tcx/egress", P::SchedCls, Some(A::TCX_EGRESS)),
    ("tc", P::SchedCls, None),
    ("classifier", P::SchedCls, None),
    ("action", P::SchedAct, None),
    ("netkit/primary", P::SchedCls, Some(A::NETKIT_PRIMARY)),
    ("netkit/peer", P::SchedCls, Some(A::NETKIT_PEER)),
    ("tracepoint+", P::Tracepoint, None),
    ("tp+", P::Tracepoint, None),
    ("tracepoint.s+", P::Tracepoint, None),
    ("tp.s+", P::Tracepoint, None),
    ("raw_tracepoint+", P::RawTracepoint, None),
    ("raw_tp+", P::RawTracepoint, None),
    ("raw_tracepoint.s+", P::RawTracepoint, None),
    ("raw_tp.s+", P::RawTracepoint, None),
    ("raw_tracepoint.w+", P::RawTracepointWritable, None),
    ("raw_tp.w+", P::RawTracepointWritable, None),
    ("tp_btf+", P::Tracing, Some(A::TRACE_RAW_TP)),
    ("tp_btf.s+", P::Tracing, Some(A::TRACE_RAW_TP)),
    ("fentry+", P::Tracing, Some(A::TRACE_FENTRY)),
    ("fmod_ret+", P::Tracing, Some(A::MODIFY_RETURN)),
    ("fexit+", P::Tracing, Some(A::TRACE_FEXIT)),
    ("fentry.s+", P::Tracing, Some(A::TRACE_FENTRY)),
    ("fmod_ret.s+", P::Tracing, Some(A::MODIFY_RETURN)),
    ("fexit.s+", P::Tracing, Some(A::TRACE_FEXIT)),
    ("freplace+", P::Ext, None),
    ("lsm+", P::Lsm, Some(A::LSM_MAC)),
    ("lsm.s+", P::Lsm, Some(A::LSM_MAC)),
    ("lsm_cgroup+", P::Lsm, Some(A::LSM_CGROUP)),
    ("iter+", P::Tracing, Some(A::TRACE_ITER)),
    ("iter.s+", P::Tracing, Some(A::TRACE_ITER)),
    ("syscall", P::Syscall, None),
    ("xdp.frags/devmap", P::Xdp, Some(A::XDP_DEVMAP)),
    ("xdp/devmap", P::Xdp, Some(A::XDP_DEVMAP)),
    ("xdp.frags/cpumap", P::Xdp, Some(A::XDP_CPUMAP)),
    ("xdp/cpumap", P::Xdp, Some(A::XDP_CPUMAP)),
    ("xdp.frags", P::Xdp, Some(A::XDP)),
    ("xdp", P::Xdp, Some(A::XDP)),
    ("perf_event", P::PerfEvent, None),
    ("lwt_in", P::LwtIn, None),
    ("lwt_out", P::LwtOut, None),
    ("lwt_xmit", P::LwtXmit, None),
    ("lwt_seg6local", P::LwtSeg6local, None),
    ("sockops", P::SockOps, Some(A::CGROUP_SOCK_OPS)),
    (
        "sk_skb/stream_parser",
        P::SkSkb,
        Some(A::SK_SKB_STREAM_PARSER),
    ),
    (
        "sk_skb/stream_verdict",
        P::SkSkb,
        Some(A::SK_SKB_STREAM_VERDICT),
    ),
    ("sk_skb/verdict", P::SkSkb, Some(A::SK_SKB_VERDICT)),
    ("sk_skb", P::SkSkb, None),
    ("sk_msg", P::SkMsg, Some(A::SK_MSG_VERDICT)),
    ("lirc_mode2", P::LircMode2, Some(A::LIRC_MODE2)),
    ("flow_dissector", P::FlowDissector, Some(A::FLOW_DISSECTOR)),
    (
        "cgroup_skb/ingress",
        P::CgroupSkb,
        Some(A::CGROUP_INET_INGRESS),
    ),
    (
        "cgroup_skb/egress",
        P::CgroupSkb,
        Some(A::CGROUP_INET_EGRESS),
    ),
    ("cgroup/skb", P::CgroupSkb, None),
    (
        "cgroup/sock_create",
        P::CgroupSock,
        Some(A::CGROUP_INET_SOCK_CREATE),
    ),
    (
        "cgroup/sock_release",
        P::CgroupSock,
        Some(A::CGROUP_INET_SOCK_RELEASE),
    ),
    (
        "cgroup/sock",
        P::CgroupSock,
        Some(A::CGROUP_INET_SOCK_CREATE),
    ),
    (
        "cgroup/post_bind4",
        P::CgroupSock,
        Some(A::CGROUP_INET4_POST_BIND),
    ),
    (
        "cgroup/post_bind6",
        P::CgroupSock,
        Some(A::CGROUP_INET6_POST_BIND),
    ),
    (
        "cgroup/bind4",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET4_BIND),
    ),
    (
        "cgroup/bind6",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET6_BIND),
    ),
    (
        "cgroup/connect4",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET4_CONNECT),
    ),
    (
        "cgroup/connect6",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET6_CONNECT),
    ),
    (
        "cgroup/connect_unix",
        P::CgroupSockAddr,
        Some(A::CGROUP_UNIX_CONNECT),
    ),
    (
        "cgroup/sendmsg4",
        P::CgroupSockAddr,
        Some(A::CGROUP_UDP4_SENDMSG),
    ),
    (
        "cgroup/sendmsg6",
        P::CgroupSockAddr,
        Some(A::CGROUP_UDP6_SENDMSG),
    ),
    (
        "cgroup/sendmsg_unix",
        P::CgroupSockAddr,
        Some(A::CGROUP_UNIX_SENDMSG),
    ),
    (
        "cgroup/recvmsg4",
        P::CgroupSockAddr,
        Some(A::CGROUP_UDP4_RECVMSG),
    ),
    (
        "cgroup/recvmsg6",
        P::CgroupSockAddr,
        Some(A::CGROUP_UDP6_RECVMSG),
    ),
    (
        "cgroup/recvmsg_unix",
        P::CgroupSockAddr,
        Some(A::CGROUP_UNIX_RECVMSG),
    ),
    (
        "cgroup/getpeername4",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET4_GETPEERNAME),
    ),
    (
        "cgroup/getpeername6",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET6_GETPEERNAME),
    ),
    (
        "cgroup/getpeername_unix",
        P::CgroupSockAddr,
        Some(A::CGROUP_UNIX_GETPEERNAME),
    ),
    (
        "cgroup/getsockname4",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET4_GETSOCKNAME),
    ),
    (
        "cgroup/getsockname6",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET6_GETSOCKNAME),
    ),
    (
        "cgroup/getsockname_unix",
        P::CgroupSockAddr,
        Some(A::CGROUP_UNIX_GETSOCKNAME),
    ),
    ("cgroup/sysctl", P::CgroupSysctl, Some(A::CGROUP_SYSCTL)),
    (
        "cgroup/getsockopt",
        P::CgroupSockopt,
        Some(A::CGROUP_GETSOCKOPT),
    ),
    (
        "cgroup/setsockopt",
        P::CgroupSockopt,
        Some(A::CGROUP_SETSOCKOPT),
    ),
    ("cgroup/dev", P::CgroupDevice, Some(A::CGROUP_DEVICE)),
    ("struct_ops+", P::StructOps, None),
    ("struct_ops.s+", P::StructOps, None),
    ("sk_lookup", P::SkLookup, Some(A::SK_LOOKUP)),
    ("netfilter", P::Netfilter, Some(A::NETFILTER)),
];

/// Prefixes of the loaders before libbpf 1.0 (libbpf 0.x's sloppy section matching,
/// samples/bpf's `bpf_load.c`, iproute2): a name that starts with the prefix has the type.
/// First match wins; more specific prefixes come first.
const LEGACY_PREFIXES: &[Row] = &[
    ("socket", P::SocketFilter, None),
    ("sk_reuseport", P::SkReuseport, None),
    ("kprobe", P::Kprobe, None),
    ("kretprobe", P::Kprobe, None),
    ("uprobe", P::Kprobe, None),
    ("uretprobe", P::Kprobe, None),
    ("ksyscall", P::Kprobe, None),
    ("kretsyscall", P::Kprobe, None),
    ("usdt", P::Kprobe, None),
    ("tcx/", P::SchedCls, None),
    ("tc", P::SchedCls, None),
    ("classifier", P::SchedCls, None),
    ("action", P::SchedAct, None),
    ("tracepoint/", P::Tracepoint, None),
    ("tp/", P::Tracepoint, None),
    ("raw_tracepoint.w/", P::RawTracepointWritable, None),
    ("raw_tp.w/", P::RawTracepointWritable, None),
    ("raw_tracepoint/", P::RawTracepoint, None),
    ("raw_tp/", P::RawTracepoint, None),
    ("xdp/devmap", P::Xdp, Some(A::XDP_DEVMAP)),
    ("xdp.frags/devmap", P::Xdp, Some(A::XDP_DEVMAP)),
    ("xdp/cpumap", P::Xdp, Some(A::XDP_CPUMAP)),
    ("xdp.frags/cpumap", P::Xdp, Some(A::XDP_CPUMAP)),
    ("xdp", P::Xdp, None),
    ("perf_event", P::PerfEvent, None),
    ("lwt_in", P::LwtIn, None),
    ("lwt_out", P::LwtOut, None),
    ("lwt_xmit", P::LwtXmit, None),
    ("lwt_seg6local", P::LwtSeg6local, None),
    ("sockops", P::SockOps, Some(A::CGROUP_SOCK_OPS)),
    (
        "sk_skb/stream_parser",
        P::SkSkb,
        Some(A::SK_SKB_STREAM_PARSER),
    ),
    (
        "sk_skb/stream_verdict",
        P::SkSkb,
        Some(A::SK_SKB_STREAM_VERDICT),
    ),
    ("sk_skb", P::SkSkb, None),
    ("sk_msg", P::SkMsg, Some(A::SK_MSG_VERDICT)),
    ("lirc_mode2", P::LircMode2, Some(A::LIRC_MODE2)),
    ("flow_dissector", P::FlowDissector, Some(A::FLOW_DISSECTOR)),
    (
        "cgroup_skb/ingress",
        P::CgroupSkb,
        Some(A::CGROUP_INET_INGRESS),
    ),
    (
        "cgroup_skb/egress",
        P::CgroupSkb,
        Some(A::CGROUP_INET_EGRESS),
    ),
    ("cgroup/skb", P::CgroupSkb, None),
    (
        "cgroup/sock_create",
        P::CgroupSock,
        Some(A::CGROUP_INET_SOCK_CREATE),
    ),
    (
        "cgroup/sock_release",
        P::CgroupSock,
        Some(A::CGROUP_INET_SOCK_RELEASE),
    ),
    (
        "cgroup/post_bind4",
        P::CgroupSock,
        Some(A::CGROUP_INET4_POST_BIND),
    ),
    (
        "cgroup/post_bind6",
        P::CgroupSock,
        Some(A::CGROUP_INET6_POST_BIND),
    ),
    (
        "cgroup/sock",
        P::CgroupSock,
        Some(A::CGROUP_INET_SOCK_CREATE),
    ),
    ("cgroup/dev", P::CgroupDevice, Some(A::CGROUP_DEVICE)),
    (
        "cgroup/bind4",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET4_BIND),
    ),
    (
        "cgroup/bind6",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET6_BIND),
    ),
    (
        "cgroup/connect4",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET4_CONNECT),
    ),
    (
        "cgroup/connect6",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET6_CONNECT),
    ),
    (
        "cgroup/sendmsg4",
        P::CgroupSockAddr,
        Some(A::CGROUP_UDP4_SENDMSG),
    ),
    (
        "cgroup/sendmsg6",
        P::CgroupSockAddr,
        Some(A::CGROUP_UDP6_SENDMSG),
    ),
    (
        "cgroup/recvmsg4",
        P::CgroupSockAddr,
        Some(A::CGROUP_UDP4_RECVMSG),
    ),
    (
        "cgroup/recvmsg6",
        P::CgroupSockAddr,
        Some(A::CGROUP_UDP6_RECVMSG),
    ),
    (
        "cgroup/getpeername4",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET4_GETPEERNAME),
    ),
    (
        "cgroup/getpeername6",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET6_GETPEERNAME),
    ),
    (
        "cgroup/getsockname4",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET4_GETSOCKNAME),
    ),
    (
        "cgroup/getsockname6",
        P::CgroupSockAddr,
        Some(A::CGROUP_INET6_GETSOCKNAME),
    ),
    ("cgroup/sysctl", P::CgroupSysctl, Some(A::CGROUP_SYSCTL)),
    (
        "cgroup/getsockopt",
        P::CgroupSockopt,
        Some(A::CGROUP_GETSOCKOPT),
    ),
    (
        "cgroup/setsockopt",
        P::CgroupSockopt,
        Some(A::CGROUP_SETSOCKOPT),
    ),
    ("sk_lookup", P::SkLookup, Some(A::SK_LOOKUP)),
    ("syscall", P::Syscall, None),
    ("netfilter", P::Netfilter, Some(A::NETFILTER)),
];

/// libbpf's `sec_def_matches`.
fn matches(pattern: &str, name: &str) -> bool {
    if pattern.ends_with('/') {
        return name.starts_with(pattern);
    }
    if let Some(base) = pattern.strip_suffix('+') {
        return match name.strip_prefix(base) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        };
    }
    name == pattern
}

/// Program type and expected attach type for a section name, as libbpf 1.x maps it; `None`
/// when libbpf does not know the name (the caller then needs a `--prog-type`). A leading `?`
/// only marks a program libbpf does not load by default: the type comes from the rest.
pub fn from_section(name: &str) -> Option<(ProgType, Option<u32>)> {
    let name = name.strip_prefix('?').unwrap_or(name);
    SECTION_DEFS
        .iter()
        .find(|(p, _, _)| matches(p, name))
        .map(|&(_, t, a)| (t, a))
}

/// Whether libbpf loads a program of this section sleepable (`BPF_F_SLEEPABLE`: its
/// `SEC_SLEEPABLE` sections, the `.s` variants and `syscall`).
pub fn is_sleepable(name: &str) -> bool {
    let name = name.strip_prefix('?').unwrap_or(name);
    SECTION_DEFS
        .iter()
        .find(|(p, _, _)| matches(p, name))
        .is_some_and(|(p, _, _)| p.ends_with(".s+") || *p == "syscall")
}

/// Program type by the plain-prefix rules of pre-1.0 loaders (`socket1` → socket filter,
/// `xdp_prog` → XDP, `kprobe/x` → kprobe); `None` when no prefix matches.
pub fn from_section_legacy(name: &str) -> Option<(ProgType, Option<u32>)> {
    LEGACY_PREFIXES
        .iter()
        .find(|(p, _, _)| name.starts_with(p))
        .map(|&(_, t, a)| (t, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libbpf_matching_rules() {
        assert_eq!(from_section("socket"), Some((P::SocketFilter, None)));
        assert_eq!(from_section("socket1"), None);
        assert_eq!(from_section("kprobe/sys_write"), Some((P::Kprobe, None)));
        assert_eq!(from_section("kprobe"), Some((P::Kprobe, None)));
        assert_eq!(from_section("kprobex"), None);
        assert_eq!(
            from_section("kprobe.multi/foo*"),
            Some((P::Kprobe, Some(A::TRACE_KPROBE_MULTI)))
        );
        assert_eq!(from_section("xdp"), Some((P::Xdp, Some(A::XDP))));
        // `?`: not autoloaded, same type.
        assert_eq!(from_section("?xdp"), Some((P::Xdp, Some(A::XDP))));
        assert_eq!(
            from_section("?tp_btf/sys_enter"),
            Some((P::Tracing, Some(A::TRACE_RAW_TP)))
        );
        assert_eq!(from_section("?"), None);
        assert!(is_sleepable("uprobe.s/lib:f"));
        assert!(is_sleepable("?lsm.s/bpf"));
        assert!(is_sleepable("syscall"));
        assert!(!is_sleepable("uprobe/lib:f"));
        assert!(!is_sleepable("kprobe/f"));
        assert_eq!(
            from_section("xdp/devmap"),
            Some((P::Xdp, Some(A::XDP_DEVMAP)))
        );
        assert_eq!(from_section("xdp_prog"), None);
        assert_eq!(from_section("xdp.frags"), Some((P::Xdp, Some(A::XDP))));
        assert_eq!(
            from_section("tc/ingress"),
            Some((P::SchedCls, Some(A::TCX_INGRESS)))
        );
        assert_eq!(from_section("tc"), Some((P::SchedCls, None)));
        assert_eq!(from_section("tc/tail"), None);
        assert_eq!(
            from_section("fentry/tcp_connect"),
            Some((P::Tracing, Some(A::TRACE_FENTRY)))
        );
        assert_eq!(
            from_section("cgroup/sock"),
            Some((P::CgroupSock, Some(A::CGROUP_INET_SOCK_CREATE)))
        );
        assert_eq!(from_section("cgroup/sock1"), None);
        assert_eq!(
            from_section("raw_tp.w/x"),
            Some((P::RawTracepointWritable, None))
        );
        assert_eq!(from_section("tracepoint"), Some((P::Tracepoint, None)));
        assert_eq!(from_section("test"), None);
    }

    #[test]
    fn legacy_prefixes() {
        assert_eq!(
            from_section_legacy("socket1"),
            Some((P::SocketFilter, None))
        );
        assert_eq!(from_section_legacy("xdp_prog"), Some((P::Xdp, None)));
        assert_eq!(from_section_legacy("tc_mark"), Some((P::SchedCls, None)));
        assert_eq!(
            from_section_legacy("cgroup/sock1"),
            Some((P::CgroupSock, Some(A::CGROUP_INET_SOCK_CREATE)))
        );
        assert_eq!(from_section_legacy("filter"), None);
        assert_eq!(from_section_legacy("2/1"), None);
    }
}
