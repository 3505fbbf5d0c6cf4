//! Helper prototypes and availability compared with the running kernel.
//!
//! For every helper id (0..=212) and every program type (with its attach types), load
//! `call N; exit` through the bpf() syscall and read the verifier's log. The call's
//! arguments are never set up, so the verifier only gets past its helper checks to complain
//! about the arguments; what it says first is what `check_helper_call` decides before looking
//! at them, and that is what `bpfsim::helpers::proto` models:
//! - availability: `program of this type cannot use helper bpf_xxx#N` / `invalid func
//!   unknown#N` means refused, anything else means allowed (`allowed`, `proto_for`);
//! - the license: loaded again with license "MIT", the kernel says `cannot call
//!   GPL-restricted function from non-GPL compatible program` exactly for the allowed helpers
//!   whose prototype is `gpl_only`;
//! - sleepability: `helper call might sleep in a non-sleepable prog` exactly for the
//!   `might_sleep` prototypes in programs loaded without `BPF_F_SLEEPABLE`;
//! - the messages themselves: where `check_call` refuses, the log's line is its message.
//!
//! Needs root and the bpf() syscall; prints `skipped` without them. The agreement numbers
//! are printed (`cargo test --test helper_protos_kernel -- --nocapture`).

mod common;
use bpfsim::helpers::proto::{
    ArgBase, ArgType, HelperCallError, HelperId, HelperProto, ProgSpec, allowed, check_call,
    license_is_gpl_compatible, proto_for,
};
use bpfsim::object::btf::{BtfKind, BtfTypes};
use bpfsim::progtype::ProgType;
use bpfsim::progtype::section::attach as A;

/// The bpf() syscall: program loading with a verifier log.
mod kernel {
    use super::common::sys;
    pub const BPF_F_SLEEPABLE: u32 = 1 << 4;

    /// How a load ended: loaded, or refused with the errno and the verifier's log.
    pub enum Load {
        Loaded,
        Refused { errno: i32, log: String },
    }

    /// What to load: program type, expected attach type, `prog_flags`, and the attach
    /// target's id in the kernel's BTF (0 for none).
    #[derive(Clone, Copy)]
    pub struct Target {
        pub prog_type: u32,
        pub expected_attach_type: u32,
        pub flags: u32,
        pub attach_btf_id: u32,
    }

    /// Loads `insns` as a program `target` with `license`; the file descriptor of a loaded
    /// program is closed at once.
    pub fn load(target: Target, license: &str, insns: &[u8]) -> Load {
        let r = sys::prog_load_with(
            insns,
            &sys::LoadOptions {
                prog_type: target.prog_type,
                license,
                log_level: 1,
                log_size: 16 * 1024,
                prog_flags: target.flags,
                expected_attach_type: target.expected_attach_type,
                attach_btf_id: target.attach_btf_id,
            },
        );
        match r.fd {
            Ok(_) => Load::Loaded,
            Err(errno) => Load::Refused { errno, log: r.log },
        }
    }

    /// Whether the bpf() syscall works here (root, not forbidden by a sandbox).
    pub fn available() -> bool {
        sys::bpf_available()
    }
}

use kernel::Load;

/// `r0 = 1; exit` (1 is a return value every program type accepts)
const RET1: [u8; 16] = [0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];

/// `call imm; exit`
fn call_prog(imm: i32) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[0] = 0x85;
    p[4..8].copy_from_slice(&imm.to_le_bytes());
    p[8] = 0x95;
    p
}

/// The verifier's verdict line: the log's last line that is not register state, an
/// instruction or the statistics.
fn verdict(log: &str) -> &str {
    log.lines()
        .rfind(|l| {
            !l.is_empty()
                && !l.starts_with(|c: char| c.is_ascii_digit())
                && !l.starts_with("processed ")
                && !l.starts_with("func#")
        })
        .unwrap_or("")
}

/// The messages `check_helper_call` gives before the argument checks.
const PRE_ARG_MESSAGES: [&str; 5] = [
    "program of this type cannot use helper",
    "invalid func ",
    "cannot call GPL-restricted function",
    "helper call is not allowed in probe",
    "helper call might sleep",
];

fn is_pre_arg_message(line: &str) -> bool {
    PRE_ARG_MESSAGES.iter().any(|m| line.starts_with(m))
}

/// One program to compare: what bpfsim is told, the attach target the kernel needs (its
/// kind and name in the kernel's BTF), and whether it is one of the main program types
/// (which must load here) or an extra one (compared when the kernel loads it).
struct Config {
    spec: ProgSpec<'static>,
    target: Option<(BtfKind, &'static str)>,
    main: bool,
}

/// The program types and attach types compared, with `BPF_F_SLEEPABLE` where the type
/// needs it or where it changes the answer.
fn configs() -> Vec<Config> {
    use ProgType::*;
    let mut c = Vec::new();
    let mut add = |t: ProgType, eats: &[u32], main: bool| {
        for &e in eats {
            c.push(Config {
                spec: ProgSpec::new(t, Some(e)),
                target: None,
                main,
            });
        }
    };
    add(SocketFilter, &[0], true);
    add(
        Kprobe,
        &[
            0,
            A::TRACE_KPROBE_MULTI,
            A::TRACE_UPROBE_MULTI,
            A::TRACE_KPROBE_SESSION,
            A::TRACE_UPROBE_SESSION,
        ],
        true,
    );
    add(SchedCls, &[0], true);
    add(SchedAct, &[0], true);
    add(Tracepoint, &[0], true);
    add(Xdp, &[0, A::XDP, A::XDP_DEVMAP, A::XDP_CPUMAP], true);
    add(PerfEvent, &[0], true);
    add(
        CgroupSkb,
        &[A::CGROUP_INET_INGRESS, A::CGROUP_INET_EGRESS],
        true,
    );
    add(
        CgroupSock,
        &[
            0,
            A::CGROUP_INET_SOCK_CREATE,
            A::CGROUP_INET4_POST_BIND,
            A::CGROUP_INET6_POST_BIND,
            A::CGROUP_INET_SOCK_RELEASE,
        ],
        true,
    );
    add(LwtIn, &[0], true);
    add(LwtOut, &[0], true);
    add(LwtXmit, &[0], true);
    add(SockOps, &[0, A::CGROUP_SOCK_OPS], true);
    add(
        SkSkb,
        &[
            0,
            A::SK_SKB_STREAM_PARSER,
            A::SK_SKB_STREAM_VERDICT,
            A::SK_SKB_VERDICT,
        ],
        true,
    );
    add(SkMsg, &[0, A::SK_MSG_VERDICT], true);
    add(RawTracepoint, &[0], true);
    add(
        CgroupSockAddr,
        &[
            A::CGROUP_INET4_BIND,
            A::CGROUP_INET6_BIND,
            A::CGROUP_INET4_CONNECT,
            A::CGROUP_INET6_CONNECT,
            A::CGROUP_UNIX_CONNECT,
            A::CGROUP_UDP4_SENDMSG,
            A::CGROUP_UDP6_SENDMSG,
            A::CGROUP_UNIX_SENDMSG,
            A::CGROUP_UDP4_RECVMSG,
            A::CGROUP_UDP6_RECVMSG,
            A::CGROUP_UNIX_RECVMSG,
            A::CGROUP_INET4_GETPEERNAME,
            A::CGROUP_INET6_GETPEERNAME,
            A::CGROUP_UNIX_GETPEERNAME,
            A::CGROUP_INET4_GETSOCKNAME,
            A::CGROUP_INET6_GETSOCKNAME,
            A::CGROUP_UNIX_GETSOCKNAME,
        ],
        true,
    );
    add(FlowDissector, &[0, A::FLOW_DISSECTOR], true);
    add(CgroupSysctl, &[A::CGROUP_SYSCTL], true);
    add(
        CgroupSockopt,
        &[A::CGROUP_GETSOCKOPT, A::CGROUP_SETSOCKOPT],
        true,
    );
    add(SkLookup, &[A::SK_LOOKUP], true);
    // Further types this kernel loads without an attach target.
    add(CgroupDevice, &[A::CGROUP_DEVICE], false);
    add(LwtSeg6local, &[0], false);
    add(
        SkReuseport,
        &[0, A::SK_REUSEPORT_SELECT, A::SK_REUSEPORT_SELECT_OR_MIGRATE],
        false,
    );
    add(RawTracepointWritable, &[0], false);
    add(Netfilter, &[A::NETFILTER], false);
    // Sleepable variants; syscall programs must be sleepable (the kernel refuses them
    // otherwise).
    for (t, eat, main) in [
        (Kprobe, None, true),
        (Kprobe, Some(A::TRACE_UPROBE_MULTI), true),
        (Syscall, None, true),
    ] {
        c.push(Config {
            spec: ProgSpec::new(t, eat).with_sleepable(true),
            target: None,
            main,
        });
    }
    // Types that need an attach target in the kernel's BTF.
    let mut attach = |t: ProgType, eat: u32, kind: BtfKind, name: &'static str, sleepable| {
        c.push(Config {
            spec: ProgSpec::new(t, Some(eat))
                .with_sleepable(sleepable)
                .with_attach_func(name),
            target: Some((kind, name)),
            main: false,
        });
    };
    attach(
        Tracing,
        A::TRACE_RAW_TP,
        BtfKind::Typedef,
        "btf_trace_sched_switch",
        false,
    );
    for name in [
        "bpf_iter_task",
        "bpf_iter_task_file",
        "bpf_iter_task_vma",
        "bpf_iter_tcp",
        "bpf_iter_udp",
        "bpf_iter_unix",
        "bpf_iter_bpf_map",
        "bpf_iter_bpf_map_elem",
        "bpf_iter_bpf_sk_storage_map",
        "bpf_iter_bpf_prog",
        "bpf_iter_bpf_link",
        "bpf_iter_cgroup",
        "bpf_iter_ksym",
        "bpf_iter_netlink",
        "bpf_iter_ipv6_route",
        "bpf_iter_sockmap",
    ] {
        attach(Tracing, A::TRACE_ITER, BtfKind::Func, name, false);
    }
    attach(Tracing, A::TRACE_ITER, BtfKind::Func, "bpf_iter_task", true);
    attach(
        Tracing,
        A::TRACE_FENTRY,
        BtfKind::Func,
        "bpf_fentry_test1",
        false,
    );
    attach(
        Tracing,
        A::TRACE_FEXIT,
        BtfKind::Func,
        "bpf_fentry_test1",
        false,
    );
    attach(
        Tracing,
        A::MODIFY_RETURN,
        BtfKind::Func,
        "bpf_modify_return_test",
        false,
    );
    attach(Lsm, A::LSM_MAC, BtfKind::Func, "bpf_lsm_file_open", false);
    attach(
        Lsm,
        A::LSM_CGROUP,
        BtfKind::Func,
        "bpf_lsm_sock_graft",
        false,
    );
    c
}

/// The running kernel's BTF (`/sys/kernel/btf/vmlinux`), to find attach targets in.
fn vmlinux_btf() -> Option<BtfTypes> {
    let data = std::fs::read("/sys/kernel/btf/vmlinux").ok()?;
    BtfTypes::parse(&data).ok()
}

fn describe(spec: &ProgSpec<'_>) -> String {
    format!(
        "{}/{}{}{}",
        spec.prog_type,
        spec.expected_attach_type.unwrap_or(0),
        spec.attach_func
            .map(|f| format!("/{f}"))
            .unwrap_or_default(),
        if spec.sleepable { "/sleepable" } else { "" }
    )
}

/// The kernel's answer for one program and helper: the verdict line (empty when the program
/// loaded).
struct Answer {
    line: String,
}

impl Answer {
    fn allowed(&self) -> bool {
        !self
            .line
            .starts_with("program of this type cannot use helper")
            && !self.line.starts_with("invalid func ")
    }
}

fn ask(target: kernel::Target, license: &str, insns: &[u8]) -> Answer {
    match kernel::load(target, license, insns) {
        Load::Loaded => Answer {
            line: String::new(),
        },
        Load::Refused { log, errno } => {
            let line = verdict(&log).to_string();
            if is_pre_arg_message(&line) {
                assert_eq!(errno, 22, "{line}");
            }
            Answer { line }
        }
    }
}

#[test]
fn kernel_agrees_with_helper_availability_and_licenses() {
    if !kernel::available() {
        return;
    }
    let btf = vmlinux_btf();
    let mut skipped = Vec::new();
    let mut disagreements = Vec::new();
    let (mut pairs, mut pairs_main, mut allowed_pairs) = (0, 0, 0);
    let (mut gpl_only, mut might_sleep, mut hooks, mut hooks_unknown) = (0, 0, 0, 0);
    let mut lines_checked = 0;
    let mut signatures = 0;
    let mut ctx_lists = std::collections::BTreeMap::new();
    let mut programs = std::collections::BTreeSet::new();
    for Config { spec, target, main } in configs() {
        let attach_btf_id = match target {
            None => 0,
            Some((kind, name)) => match btf.as_ref().and_then(|b| b.find(kind, name)) {
                Some(id) => id,
                None => {
                    skipped.push(format!("{} (not in the kernel's BTF)", describe(&spec)));
                    continue;
                }
            },
        };
        let target = kernel::Target {
            prog_type: spec.prog_type.as_u32(),
            expected_attach_type: spec.expected_attach_type.unwrap_or(0),
            flags: if spec.sleepable {
                kernel::BPF_F_SLEEPABLE
            } else {
                0
            },
            attach_btf_id,
        };
        // The program must load at all, or every answer is noise.
        if let Load::Refused { errno, log } = kernel::load(target, "GPL", &RET1) {
            let why = verdict(&log);
            assert!(
                !main,
                "{} does not load: errno {errno}: {log}",
                describe(&spec)
            );
            skipped.push(format!("{} (errno {errno} {why:?})", describe(&spec)));
            continue;
        }
        programs.insert(describe(&spec));
        for imm in 0..=HelperId::MAX as i32 + 1 {
            let id = imm as u32;
            pairs += 1;
            if main {
                pairs_main += 1;
            }
            // Availability, and the exact messages, with a GPL license.
            let gpl = ask(target, "GPL", &call_prog(imm));
            let ours = proto_for(id, &spec).is_some();
            if spec.attach_func.is_none() && !spec.sleepable {
                let eat = spec.expected_attach_type;
                assert_eq!(ours, allowed(id, spec.prog_type, eat));
            }
            if gpl.allowed() {
                allowed_pairs += 1;
            }
            if gpl.allowed() != ours {
                disagreements.push(format!(
                    "{} helper #{imm}: kernel {} ({:?}), bpfsim {}",
                    describe(&spec),
                    if gpl.allowed() { "allows" } else { "refuses" },
                    gpl.line,
                    if ours { "allows" } else { "refuses" },
                ));
                continue;
            }
            let hook = proto_for(id, &spec).and_then(|p| p.allowed);
            if hook.is_some() {
                hooks += 1;
            }
            if let Ok(proto) = check_call(imm, &spec, true) {
                signatures += 1;
                let lines = [
                    gpl.line.clone(),
                    ask(target, "GPL", &all_ctx_prog(imm)).line,
                    ask(target, "GPL", &all_zero_prog(imm)).line,
                ];
                if let Err(e) = signature_agrees(proto, &lines, &mut ctx_lists) {
                    disagreements.push(format!("{} helper #{imm} signature: {e}", describe(&spec)));
                }
            }
            for (license, answer) in [("GPL", Some(gpl)), ("MIT", None)] {
                let answer = answer.unwrap_or_else(|| ask(target, license, &call_prog(imm)));
                let expected = check_call(imm, &spec, license_is_gpl_compatible(license));
                lines_checked += 1;
                let agrees = match &expected {
                    Err(e) => answer.line == e.to_string(),
                    // Where the hook depends on what bpfsim cannot see, either is right.
                    Ok(_) if hook.is_some_and(|h| h.allows(&spec).is_none()) => {
                        hooks_unknown += 1;
                        !is_pre_arg_message(&answer.line)
                            || answer.line == HelperCallError::NotAllowedInProbe.to_string()
                    }
                    Ok(_) => !is_pre_arg_message(&answer.line),
                };
                if !agrees {
                    disagreements.push(format!(
                        "{} helper #{imm} license {license}: kernel says {:?}, bpfsim {:?}",
                        describe(&spec),
                        answer.line,
                        expected.map(|p| p.proto_name),
                    ));
                }
                match expected {
                    Err(HelperCallError::GplOnly) => gpl_only += 1,
                    Err(HelperCallError::MightSleep) => might_sleep += 1,
                    _ => {}
                }
            }
        }
    }
    let signatures_off = disagreements
        .iter()
        .filter(|d| d.contains(" signature: "))
        .count();
    let availability_off = disagreements
        .iter()
        .filter(|d| !d.contains(" license ") && !d.contains(" signature: "))
        .count();
    println!(
        "availability: {} of {pairs} (helper id, program) pairs agree ({pairs_main} pairs on \
         the main types; {allowed_pairs} allowed by the kernel), over {} programs",
        pairs - availability_off,
        programs.len(),
    );
    println!(
        "verdict lines: {} of {lines_checked} agree with check_call (GPL and MIT licenses; \
         {gpl_only} GPL-only refusals, {might_sleep} might-sleep refusals, {hooks} prototypes \
         with an allowed hook, {hooks_unknown} of those undecidable here)",
        lines_checked - (disagreements.len() - availability_off - signatures_off),
    );
    println!(
        "signatures: {} of {signatures} callable pairs agree on the arguments' number, which \
         take the context and which take NULL ({} argument types seen refusing the context, \
         each with one list of register types)",
        signatures - signatures_off,
        ctx_lists.len(),
    );
    if !skipped.is_empty() {
        println!("not loadable here, skipped:\n  {}", skipped.join("\n  "));
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// `r2 = r1; r3 = r1; r4 = r1; r5 = r1; call imm; exit`: every argument is the context.
fn all_ctx_prog(imm: i32) -> Vec<u8> {
    let mut p = Vec::new();
    for dst in 2..=5u8 {
        p.extend_from_slice(&[0xbf, dst | (1 << 4), 0, 0, 0, 0, 0, 0]);
    }
    p.extend_from_slice(&call_prog(imm));
    p
}

/// `r1 = 0; ...; r5 = 0; call imm; exit`: every argument is NULL.
fn all_zero_prog(imm: i32) -> Vec<u8> {
    let mut p = Vec::new();
    for dst in 1..=5u8 {
        p.extend_from_slice(&[0xb7, dst, 0, 0, 0, 0, 0, 0]);
    }
    p.extend_from_slice(&call_prog(imm));
    p
}

/// The argument whose check failed, from a verdict line `R<n> ...` (1..=5), and the rest of
/// the line.
fn failing_arg(line: &str) -> Option<(usize, &str)> {
    let rest = line.strip_prefix('R')?;
    let (n, msg) = rest.split_once(' ')?;
    let n: usize = n.parse().ok()?;
    (1..=5).contains(&n).then_some((n, msg))
}

/// Checks a prototype against what the argument checks say first about three programs that
/// call it (`lines`): with r2..r5 not initialised (r1 is the context), with every argument
/// the context, and with every argument NULL. The argument checks go in order and stop at the
/// first failure, so the kernel tells, for each program, which argument is the first that
/// does not take what it is given:
/// - not initialised: `R2 !read_ok` exactly when the helper has a second argument (once the
///   first took the context);
/// - the context: `R<n> type=ctx expected=<register types>` at the first argument that is
///   neither `ARG_PTR_TO_CTX` nor `ARG_ANYTHING`, and each argument type must always meet
///   the same list of register types (`ctx_lists`), which catches a wrong base type;
/// - NULL: the first argument that refuses 0, a pointer without `PTR_MAYBE_NULL` or a
///   non-zero size, which pins the `PTR_MAYBE_NULL` flags.
fn signature_agrees(
    proto: &HelperProto,
    lines: &[String; 3],
    ctx_lists: &mut std::collections::BTreeMap<String, String>,
) -> Result<(), String> {
    let name = proto.proto_name;
    let types = proto.arg_types();
    let takes_ctx = |t: &ArgType| {
        matches!(
            t.base,
            ArgBase::DontCare | ArgBase::PtrToCtx | ArgBase::Anything
        )
    };
    let takes_null = |t: &ArgType| {
        t.may_be_null()
            || matches!(
                t.base,
                ArgBase::DontCare
                    | ArgBase::Anything
                    | ArgBase::ConstSizeOrZero
                    | ArgBase::ConstAllocSizeOrZero
            )
    };
    let first = |ok: &dyn Fn(&ArgType) -> bool| types.iter().position(|t| !ok(t)).map(|i| i + 1);
    // Not initialised: r1 is the context, r2..r5 are not readable.
    let uninit = match first(&takes_ctx) {
        Some(1) => Some(1),
        _ if !proto.arg(2).ty.is_unused() => Some(2),
        _ => None,
    };
    let ctx = first(&takes_ctx);
    let null = first(&takes_null);
    for (what, ours, line) in [
        ("uninitialised", uninit, &lines[0]),
        ("context", ctx, &lines[1]),
        ("NULL", null, &lines[2]),
    ] {
        let kernel = failing_arg(line);
        if kernel.map(|(n, _)| n) != ours {
            return Err(format!(
                "{name} with {what} arguments: kernel says {line:?}, bpfsim expects argument \
                 {ours:?} to fail ({:?})",
                types
            ));
        }
        if let (Some((n, msg)), "context") = (kernel, what) {
            let list = msg.strip_prefix("type=ctx expected=").unwrap_or(msg);
            let t = types[n - 1];
            let known = ctx_lists
                .entry(format!("{t:?}"))
                .or_insert_with(|| list.to_string());
            if known != list {
                return Err(format!(
                    "{name} arg{n} {t:?} meets {list:?}, elsewhere {known:?}"
                ));
            }
        }
    }
    Ok(())
}

/// The licenses the kernel takes as GPL-compatible, against `license_is_gpl_compatible`.
#[test]
fn kernel_agrees_with_gpl_compatible_licenses() {
    if !kernel::available() {
        return;
    }
    let licenses = [
        "GPL",
        "GPL v2",
        "GPL and additional rights",
        "Dual BSD/GPL",
        "Dual MIT/GPL",
        "Dual MPL/GPL",
        "MIT",
        "BSD",
        "Proprietary",
        "gpl",
        "GPL ",
        "GPLv2",
        "",
    ];
    let socket_filter = kernel::Target {
        prog_type: ProgType::SocketFilter.as_u32(),
        expected_attach_type: 0,
        flags: 0,
        attach_btf_id: 0,
    };
    for license in licenses {
        let answer = ask(
            socket_filter,
            license,
            &call_prog(HelperId::TracePrintk as i32),
        );
        let kernel = !answer.line.starts_with("cannot call GPL-restricted");
        assert_eq!(
            kernel,
            license_is_gpl_compatible(license),
            "license {license:?}: {}",
            answer.line
        );
    }
    println!("{} licenses agree", licenses.len());
}

/// The enumerations of the running kernel's BTF (`/sys/kernel/btf/vmlinux`): every `ENUM`
/// type's name with its `(name, value)` pairs. bpfsim's BTF reader skips enum values, so this
/// walks the type section itself.
fn kernel_enums() -> Option<std::collections::HashMap<String, Vec<(String, i64)>>> {
    let data = std::fs::read("/sys/kernel/btf/vmlinux").ok()?;
    let u32_at = |o: usize| -> Option<u32> {
        Some(u32::from_le_bytes(data.get(o..o + 4)?.try_into().ok()?))
    };
    let hdr_len = u32_at(4)? as usize;
    let (type_off, type_len) = (u32_at(8)? as usize, u32_at(12)? as usize);
    let str_off = u32_at(16)? as usize;
    let strings = hdr_len + str_off;
    let name = |off: u32| -> String {
        let start = strings + off as usize;
        let end = data[start..]
            .iter()
            .position(|&b| b == 0)
            .map_or(start, |e| start + e);
        String::from_utf8_lossy(&data[start..end]).into_owned()
    };
    let mut enums = std::collections::HashMap::new();
    let (mut p, end) = (hdr_len + type_off, hdr_len + type_off + type_len);
    while p + 12 <= end {
        let (name_off, info) = (u32_at(p)?, u32_at(p + 4)?);
        let (kind, vlen) = ((info >> 24) & 0x1f, (info & 0xffff) as usize);
        p += 12;
        let extra = match kind {
            1 | 14 | 17 => 4,        // INT, VAR, DECL_TAG
            3 => 12,                 // ARRAY
            4 | 5 | 15 => 12 * vlen, // STRUCT, UNION, DATASEC
            6 => 8 * vlen,           // ENUM
            13 => 8 * vlen,          // FUNC_PROTO
            19 => 12 * vlen,         // ENUM64
            _ => 0,
        };
        if kind == 6 {
            let values = (0..vlen)
                .map(|i| {
                    let e = p + 8 * i;
                    Some((name(u32_at(e)?), u32_at(e + 4)? as i32 as i64))
                })
                .collect::<Option<Vec<_>>>()?;
            enums.insert(name(name_off), values);
        }
        p += extra;
    }
    Some(enums)
}

/// The numbers of argument types, return types, type flags and helper ids, against the
/// running kernel's own enumerations (in its BTF): `bits()` must be the kernel's value.
#[test]
fn kernel_btf_agrees_with_type_numbers() {
    use bpfsim::helpers::proto::*;
    let Some(enums) = kernel_enums() else {
        println!("skipped: no readable /sys/kernel/btf/vmlinux");
        return;
    };
    let value = |e: &str, name: &str| -> i64 {
        enums[e]
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{e} has no {name}"))
            .1
    };
    let mut checked = 0;
    for b in ArgBase::ALL {
        assert_eq!(value("bpf_arg_type", b.kernel_name()), b as i64);
        checked += 1;
    }
    assert_eq!(
        value("bpf_arg_type", "__BPF_ARG_TYPE_MAX"),
        ArgBase::ALL.len() as i64
    );
    for (name, t) in [
        ("ARG_PTR_TO_MAP_VALUE_OR_NULL", ARG_PTR_TO_MAP_VALUE_OR_NULL),
        ("ARG_PTR_TO_MEM_OR_NULL", ARG_PTR_TO_MEM_OR_NULL),
        ("ARG_PTR_TO_CTX_OR_NULL", ARG_PTR_TO_CTX_OR_NULL),
        ("ARG_PTR_TO_SOCKET_OR_NULL", ARG_PTR_TO_SOCKET_OR_NULL),
        ("ARG_PTR_TO_STACK_OR_NULL", ARG_PTR_TO_STACK_OR_NULL),
        ("ARG_PTR_TO_BTF_ID_OR_NULL", ARG_PTR_TO_BTF_ID_OR_NULL),
        ("ARG_PTR_TO_UNINIT_MEM", ARG_PTR_TO_UNINIT_MEM),
        ("ARG_PTR_TO_FIXED_SIZE_MEM", ARG_PTR_TO_FIXED_SIZE_MEM),
    ] {
        assert_eq!(value("bpf_arg_type", name), t.bits() as i64, "{name}");
        checked += 1;
    }
    for b in RetBase::ALL {
        assert_eq!(value("bpf_return_type", b.kernel_name()), b as i64);
        checked += 1;
    }
    assert_eq!(
        value("bpf_return_type", "__BPF_RET_TYPE_MAX"),
        RetBase::ALL.len() as i64
    );
    for (name, t) in [
        ("RET_PTR_TO_MAP_VALUE_OR_NULL", RET_PTR_TO_MAP_VALUE_OR_NULL),
        ("RET_PTR_TO_SOCKET_OR_NULL", RET_PTR_TO_SOCKET_OR_NULL),
        ("RET_PTR_TO_TCP_SOCK_OR_NULL", RET_PTR_TO_TCP_SOCK_OR_NULL),
        (
            "RET_PTR_TO_SOCK_COMMON_OR_NULL",
            RET_PTR_TO_SOCK_COMMON_OR_NULL,
        ),
        (
            "RET_PTR_TO_RINGBUF_MEM_OR_NULL",
            RET_PTR_TO_RINGBUF_MEM_OR_NULL,
        ),
        (
            "RET_PTR_TO_DYNPTR_MEM_OR_NULL",
            RET_PTR_TO_DYNPTR_MEM_OR_NULL,
        ),
        ("RET_PTR_TO_BTF_ID_OR_NULL", RET_PTR_TO_BTF_ID_OR_NULL),
        ("RET_PTR_TO_BTF_ID_TRUSTED", RET_PTR_TO_BTF_ID_TRUSTED),
    ] {
        assert_eq!(value("bpf_return_type", name), t.bits() as i64, "{name}");
        checked += 1;
    }
    for (name, f) in TypeFlags::all() {
        assert_eq!(value("bpf_type_flag", name), f.bits() as i64, "{name}");
        checked += 1;
    }
    assert_eq!(
        value("bpf_type_flag", "__BPF_TYPE_FLAG_MAX") - 1,
        TypeFlags::all().last().map_or(0, |(_, f)| f.bits()) as i64,
        "every flag is known"
    );
    for h in HelperId::all() {
        let name = format!("BPF_FUNC_{}", h.name());
        assert_eq!(value("bpf_func_id", &name), h as i64, "{name}");
        checked += 1;
    }
    assert_eq!(
        value("bpf_func_id", "__BPF_FUNC_MAX_ID"),
        HelperId::MAX as i64 + 1
    );
    println!("{checked} kernel enum values agree");
}
