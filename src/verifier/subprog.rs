//! Subprograms: the kernel's `add_subprog_and_kfunc` and `check_subprogs`
//! (kernel/bpf/verifier.c, Linux 6.18), plus `check_abnormal_return`.
//!
//! A program is one array of slots: the entry function first, the subprograms it calls
//! appended (as libbpf links them). The verifier learns where each subprogram starts only
//! from the instructions: the target of every `BPF_PSEUDO_CALL` (`call local f`) and of
//! every `BPF_PSEUDO_FUNC` load (`r1 = f ll`, a callback's address) starts one, and each
//! ends where the next begins. Then every jump must stay inside its subprogram and every
//! subprogram must end in an `exit` or an unconditional jump, so that no path falls from
//! one function into the next.
//!
//! Both passes run over raw slots, before the opcode table is checked: a slot is a jump
//! for `check_subprogs` when its class is `JMP`/`JMP32` and its operation is not
//! `CALL`/`EXIT`, whatever else it holds, exactly as in the kernel. Nothing here panics:
//! offsets are computed in `i64` and every target is range-checked.
//!
//! Kernel functions (`BPF_PSEUDO_KFUNC_CALL`) are collected here too, as the kernel's
//! `add_kfunc_call` does; what can be checked without the running kernel's BTF is checked
//! always (licence, module offsets), the rest only when [`KfuncEnv::kernel_btf`] is given.

use super::error::{Errno, Pass, VerifierError};
use crate::insn::RawInsn;
use crate::insn::opcode::{
    ABS, CALL, CALL_OP, CLASS_MASK, EXIT, EXIT_OP, IND, JA, JMP, JMP32, LD, LDDW, MODE_MASK,
    OP_MASK, PSEUDO_CALL, PSEUDO_FUNC, PSEUDO_KFUNC_CALL,
};
use crate::object::btf::{BtfKind, BtfTypes};

/// `BPF_MAX_SUBPROGS`: at most this many functions (entry included) per program.
pub const BPF_MAX_SUBPROGS: usize = 256;
/// `MAX_KFUNC_DESCS`: at most this many distinct kernel functions per program.
pub const MAX_KFUNC_DESCS: usize = 256;

/// Helper ids (`enum bpf_func_id`) the structural passes care about.
pub(crate) mod helper {
    pub const TAIL_CALL: i32 = 12;
    pub const COPY_FROM_USER: i32 = 148;
    pub const IMA_INODE_HASH: i32 = 161;
    pub const FOR_EACH_MAP_ELEM: i32 = 164;
    pub const TIMER_SET_CALLBACK: i32 = 170;
    pub const FIND_VMA: i32 = 180;
    pub const LOOP: i32 = 181;
    pub const COPY_FROM_USER_TASK: i32 = 191;
    pub const IMA_FILE_HASH: i32 = 193;
    pub const USER_RINGBUF_DRAIN: i32 = 209;
}

/// What the verifier knows of one function of the program (`struct bpf_subprog_info`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubprogInfo {
    /// First slot.
    pub start: usize,
    /// One past the last slot: the next subprogram's start, or the program's length.
    pub end: usize,
    /// Calls `bpf_tail_call` itself.
    pub has_tail_call: bool,
    /// Set with `has_tail_call` here; later passes propagate it to callers.
    pub tail_call_reachable: bool,
    /// Uses a legacy packet load (`LD_ABS`/`LD_IND`).
    pub has_ld_abs: bool,
    /// Calls a helper that may move packet data, itself or through a callee
    /// (filled in by `check_cfg`).
    pub changes_pkt_data: bool,
    /// Calls a helper that may sleep, itself or through a callee (filled in by `check_cfg`).
    pub might_sleep: bool,
    /// Where its instructions begin in [`super::cfg::Cfg::postorder`].
    pub postorder_start: usize,
    /// Index of its first line-info record, when line info is given.
    pub linfo_idx: Option<usize>,
    /// The BTF-tagged exception callback (never set without BTF decl tags).
    pub is_exception_cb: bool,
}

/// A kernel function called by the program (`struct bpf_kfunc_desc`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KfuncDesc {
    /// The BTF id (the call's `imm`).
    pub btf_id: u32,
    /// The fd-array index of the module BTF (the call's `off`), 0 for vmlinux.
    pub offset: i16,
    /// Its name, when the kernel BTF was given.
    pub name: Option<String>,
}

/// The program's functions and the kernel functions it calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subprogs {
    /// Sorted by start; `info[0]` is the entry function.
    pub info: Vec<SubprogInfo>,
    /// Distinct kernel functions called, in first-call order.
    pub kfuncs: Vec<KfuncDesc>,
    /// Whether some kfunc call was seen (the kernel then allocates its kfunc table, even
    /// for a call with `imm == 0 && off == 0` that is left for dead-code elimination).
    pub has_kfunc_call: bool,
    /// The subprogram index of the exception callback (`env->exception_callback_subprog`).
    pub exception_callback: Option<usize>,
}

impl Subprogs {
    /// Number of functions (`env->subprog_cnt`).
    pub fn len(&self) -> usize {
        self.info.len()
    }

    /// Whether there is no function at all (only before [`add_subprog_and_kfunc`] ran).
    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }

    /// The function holding slot `insn` (`bpf_find_containing_subprog`).
    pub fn containing(&self, insn: usize) -> Option<usize> {
        let first = self.info.first()?;
        if insn < first.start || insn >= self.info.last()?.end {
            return None;
        }
        Some(
            self.info
                .partition_point(|s| s.start <= insn)
                .saturating_sub(1),
        )
    }

    /// The function starting exactly at slot `start` (`find_subprog`).
    pub fn starting_at(&self, start: usize) -> Option<usize> {
        self.info.binary_search_by_key(&start, |s| s.start).ok()
    }
}

/// What the kfunc checks of `add_subprog_and_kfunc` need from the environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct KfuncEnv<'a> {
    /// The program's licence is GPL-compatible (`license_is_gpl_compatible`).
    pub gpl_compatible: bool,
    /// The running kernel's BTF (`/sys/kernel/btf/vmlinux`), to check kfunc BTF ids.
    pub kernel_btf: Option<&'a BtfTypes>,
    /// Whether an fd array comes with the program (needed for module kfuncs, `off > 0`).
    pub has_fd_array: bool,
}

/// `license_is_gpl_compatible`: the licence strings the kernel treats as GPL.
pub fn license_is_gpl_compatible(license: &str) -> bool {
    matches!(
        license,
        "GPL"
            | "GPL v2"
            | "GPL and additional rights"
            | "Dual BSD/GPL"
            | "Dual MIT/GPL"
            | "Dual MPL/GPL"
    )
}

pub(crate) fn is_pseudo_call(i: &RawInsn) -> bool {
    i.code == CALL_OP && i.src == PSEUDO_CALL
}

pub(crate) fn is_pseudo_func(i: &RawInsn) -> bool {
    i.code == LDDW && i.src == PSEUDO_FUNC
}

pub(crate) fn is_kfunc_call(i: &RawInsn) -> bool {
    i.code == CALL_OP && i.src == PSEUDO_KFUNC_CALL
}

pub(crate) fn is_helper_call(i: &RawInsn) -> bool {
    i.code == CALL_OP && i.src == 0
}

/// `bpf_jmp_offset`: `gotol` (JMP32 | JA) keeps its offset in `imm`, every other jump in `off`.
pub(crate) fn jmp_offset(i: &RawInsn) -> i32 {
    if i.code == JMP32 | JA {
        i.imm
    } else {
        i.off as i32
    }
}

/// `i + off + 1` as the kernel computes it: in `int`, wrapping (the kernel is built with
/// `-fno-strict-overflow`), so that messages print the same numbers.
pub(crate) fn rel_target(i: usize, off: i32) -> i64 {
    (i as i32).wrapping_add(off).wrapping_add(1) as i64
}

/// `add_subprog`: records a function starting at `off`, keeping the starts sorted.
fn add_subprog(
    starts: &mut Vec<usize>,
    off: i64,
    len: usize,
    at: usize,
) -> Result<(), VerifierError> {
    if off < 0 || off >= len as i64 {
        return Err(VerifierError::inval(
            Pass::AddSubprogAndKfunc,
            at,
            "call to invalid destination",
        ));
    }
    let off = off as usize;
    if let Err(pos) = starts.binary_search(&off) {
        if starts.len() >= BPF_MAX_SUBPROGS {
            return Err(VerifierError::new(
                Pass::AddSubprogAndKfunc,
                at,
                Errno::TooBig,
                "too many subprograms",
            ));
        }
        starts.insert(pos, off);
    }
    Ok(())
}

/// `add_kfunc_call`: the checks of one `BPF_PSEUDO_KFUNC_CALL` at slot `at`.
fn add_kfunc_call(
    subprogs: &mut Subprogs,
    insn: &RawInsn,
    at: usize,
    env: &KfuncEnv<'_>,
) -> Result<(), VerifierError> {
    let err =
        |errno, msg: String| Err(VerifierError::new(Pass::AddSubprogAndKfunc, at, errno, msg));
    let func_id = insn.imm as u32;
    let offset = insn.off;
    if !subprogs.has_kfunc_call {
        // First kfunc call: the kernel builds its table (BTF, JIT and licence checks; this
        // simulation stands for a kernel with BTF and a JIT that calls kfuncs).
        if !env.gpl_compatible {
            return err(
                Errno::Inval,
                "cannot call kernel function from non-GPL compatible program".into(),
            );
        }
        subprogs.has_kfunc_call = true;
    }
    // Left for dead-code elimination.
    if func_id == 0 && offset == 0 {
        return Ok(());
    }
    if offset < 0 {
        // "negative offset disallowed for kernel module function call" comes first; the
        // log's last line is the caller's summary.
        return err(
            Errno::Inval,
            "failed to find BTF for kernel function".into(),
        );
    }
    if offset > 0 && !env.has_fd_array {
        // After "kfunc offset > 0 without fd_array is invalid".
        return err(
            Errno::Proto,
            "failed to find BTF for kernel function".into(),
        );
    }
    if subprogs
        .kfuncs
        .iter()
        .any(|k| k.btf_id == func_id && k.offset == offset)
    {
        return Ok(());
    }
    if subprogs.kfuncs.len() >= MAX_KFUNC_DESCS {
        return err(
            Errno::TooBig,
            "too many different kernel function calls".into(),
        );
    }
    let mut name = None;
    if let (Some(btf), 0) = (env.kernel_btf, offset) {
        let func = btf.get(func_id).filter(|t| t.kind == BtfKind::Func);
        let Some(func) = func else {
            return err(
                Errno::Inval,
                format!("kernel btf_id {func_id} is not a function"),
            );
        };
        let proto_ok = btf
            .get(func.size_or_type)
            .is_some_and(|t| t.kind == BtfKind::FuncProto);
        if !proto_ok {
            return err(
                Errno::Inval,
                format!("kernel function btf_id {func_id} does not have a valid func_proto"),
            );
        }
        name = Some(func.name.clone());
    }
    subprogs.kfuncs.push(KfuncDesc {
        btf_id: func_id,
        offset,
        name,
    });
    Ok(())
}

/// The kernel's `add_subprog_and_kfunc`: finds every function start (the entry, every
/// `call local` target and every `BPF_PSEUDO_FUNC` load target) and every kfunc call.
///
/// `bpf_capable` is `CAP_BPF` (or `CAP_SYS_ADMIN`): without it, neither calls to other
/// functions nor kfunc calls are allowed.
pub fn add_subprog_and_kfunc(
    insns: &[RawInsn],
    bpf_capable: bool,
    kfuncs: &KfuncEnv<'_>,
) -> Result<Subprogs, VerifierError> {
    let len = insns.len();
    let mut starts = Vec::new();
    let mut subprogs = Subprogs::default();
    add_subprog(&mut starts, 0, len, 0)?;
    for (i, insn) in insns.iter().enumerate() {
        let local = is_pseudo_func(insn) || is_pseudo_call(insn);
        if !local && !is_kfunc_call(insn) {
            continue;
        }
        if !bpf_capable {
            return Err(VerifierError::new(
                Pass::AddSubprogAndKfunc,
                i,
                Errno::Perm,
                "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN",
            ));
        }
        if local {
            add_subprog(&mut starts, rel_target(i, insn.imm), len, i)?;
        } else {
            add_kfunc_call(&mut subprogs, insn, i, kfuncs)?;
        }
    }
    subprogs.info = starts
        .iter()
        .enumerate()
        .map(|(k, &start)| SubprogInfo {
            start,
            end: starts.get(k + 1).copied().unwrap_or(len),
            ..SubprogInfo::default()
        })
        .collect();
    Ok(subprogs)
}

/// The kernel's `check_subprogs`: every jump stays inside its function, and every function
/// ends in `exit` or `goto` (`ja`/`gotol`). Also notes which functions tail-call or use
/// legacy packet loads.
pub fn check_subprogs(insns: &[RawInsn], subprogs: &mut Subprogs) -> Result<(), VerifierError> {
    let mut cur = 0usize;
    let Some(first) = subprogs.info.first() else {
        return Ok(());
    };
    let (mut start, mut end) = (first.start, first.end);
    for (i, insn) in insns.iter().enumerate() {
        let code = insn.code;
        let class = code & CLASS_MASK;
        if let Some(s) = subprogs.info.get_mut(cur) {
            if code == CALL_OP && insn.src == 0 && insn.imm == helper::TAIL_CALL {
                s.has_tail_call = true;
                s.tail_call_reachable = true;
            }
            if class == LD && matches!(code & MODE_MASK, ABS | IND) {
                s.has_ld_abs = true;
            }
        }
        let is_jmp = class == JMP || class == JMP32;
        let op = code & OP_MASK;
        if is_jmp && op != EXIT && op != CALL {
            let off = rel_target(i, jmp_offset(insn));
            if off < start as i64 || off >= end as i64 {
                return Err(VerifierError::inval(
                    Pass::CheckSubprogs,
                    i,
                    format!("jump out of range from insn {i} to {off}"),
                ));
            }
        }
        if i + 1 == end {
            if code != EXIT_OP && code != JMP32 | JA && code != JMP | JA {
                return Err(VerifierError::inval(
                    Pass::CheckSubprogs,
                    i,
                    "last insn is not an exit or jmp",
                ));
            }
            cur += 1;
            start = end;
            if let Some(s) = subprogs.info.get(cur) {
                end = s.end;
            }
        }
    }
    Ok(())
}

/// `check_abnormal_return`: without BTF func info, subprograms (not the entry) may not
/// use legacy packet loads or tail calls.
pub fn check_abnormal_return(subprogs: &Subprogs) -> Result<(), VerifierError> {
    for s in subprogs.info.iter().skip(1) {
        if s.has_ld_abs {
            return Err(VerifierError::inval(
                Pass::CheckBtfInfo,
                s.start,
                "LD_ABS is not allowed in subprogs without BTF",
            ));
        }
        if s.has_tail_call {
            return Err(VerifierError::inval(
                Pass::CheckBtfInfo,
                s.start,
                "tail_call is not allowed in subprogs without BTF",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::opcode::{ALU64, K, MOV};

    const EXIT_I: RawInsn = RawInsn::new(EXIT_OP, 0, 0, 0, 0);
    const MOV0: RawInsn = RawInsn::new(ALU64 | MOV | K, 0, 0, 0, 0);

    fn call_local(imm: i32) -> RawInsn {
        RawInsn::new(CALL_OP, 0, PSEUDO_CALL, 0, imm)
    }

    fn ja(off: i16) -> RawInsn {
        RawInsn::new(JMP | JA, 0, 0, off, 0)
    }

    fn run(insns: &[RawInsn]) -> Result<Subprogs, VerifierError> {
        let env = KfuncEnv {
            gpl_compatible: true,
            ..KfuncEnv::default()
        };
        let mut s = add_subprog_and_kfunc(insns, true, &env)?;
        check_subprogs(insns, &mut s)?;
        Ok(s)
    }

    #[test]
    fn finds_subprograms_from_calls_and_func_loads() {
        // 0: call +2 (-> 3); 1: r1 = func(+3 -> 5) ll; 3: r0 = 0; exit; 5: r0 = 0; exit
        let prog = [
            call_local(2),
            RawInsn::new(LDDW, 1, PSEUDO_FUNC, 0, 3),
            RawInsn::new(0, 0, 0, 0, 0),
            MOV0,
            EXIT_I,
            MOV0,
            EXIT_I,
        ];
        // The entry function [0, 3) must end in exit: slot 2 is the lddw's second half.
        let e = run(&prog).unwrap_err();
        assert_eq!(e.message(), "last insn is not an exit or jmp");
        assert_eq!(e.insn(), 2);

        let prog = [
            call_local(3),
            RawInsn::new(LDDW, 1, PSEUDO_FUNC, 0, 4),
            RawInsn::new(0, 0, 0, 0, 0),
            EXIT_I,
            MOV0,
            EXIT_I,
            MOV0,
            EXIT_I,
        ];
        let s = run(&prog).unwrap();
        let bounds: Vec<_> = s.info.iter().map(|i| (i.start, i.end)).collect();
        assert_eq!(bounds, [(0, 4), (4, 6), (6, 8)]);
        assert_eq!(s.containing(5), Some(1));
        assert_eq!(s.containing(8), None);
        assert_eq!(s.starting_at(6), Some(2));
        assert_eq!(s.starting_at(5), None);
    }

    #[test]
    fn call_targets_must_be_inside_the_program() {
        for imm in [-2, 2, i32::MAX, i32::MIN] {
            let e = run(&[call_local(imm), EXIT_I]).unwrap_err();
            assert_eq!(e.message(), "call to invalid destination");
            assert_eq!(e.insn(), 0);
        }
    }

    #[test]
    fn jumps_stay_in_their_subprogram() {
        // 0: call +1 (-> 2); 1: exit; 2: goto -2 (-> 1, outside); 3: exit
        let prog = [call_local(1), EXIT_I, ja(-2), EXIT_I];
        let e = run(&prog).unwrap_err();
        assert_eq!(e.message(), "jump out of range from insn 2 to 1");
        // gotol keeps its offset in imm.
        let prog = [RawInsn::new(JMP32 | JA, 0, 0, 0, 5), EXIT_I];
        let e = run(&prog).unwrap_err();
        assert_eq!(e.message(), "jump out of range from insn 0 to 6");
    }

    #[test]
    fn unprivileged_programs_cannot_call_functions() {
        let env = KfuncEnv::default();
        let e = add_subprog_and_kfunc(&[call_local(0), EXIT_I], false, &env).unwrap_err();
        assert_eq!(e.errno(), Errno::Perm);
        assert!(e.message().starts_with("loading/calling other bpf"));
    }

    #[test]
    fn kfunc_calls_need_gpl_and_module_btf() {
        let kf = |off, imm| RawInsn::new(CALL_OP, 0, PSEUDO_KFUNC_CALL, off, imm);
        let no_gpl = KfuncEnv::default();
        let e = add_subprog_and_kfunc(&[kf(0, 0), EXIT_I], true, &no_gpl).unwrap_err();
        assert_eq!(
            e.message(),
            "cannot call kernel function from non-GPL compatible program"
        );
        let gpl = KfuncEnv {
            gpl_compatible: true,
            ..KfuncEnv::default()
        };
        assert!(add_subprog_and_kfunc(&[kf(0, 0), EXIT_I], true, &gpl).is_ok());
        for off in [-1, 1] {
            let e = add_subprog_and_kfunc(&[kf(off, 5), EXIT_I], true, &gpl).unwrap_err();
            assert_eq!(e.message(), "failed to find BTF for kernel function");
        }
        let s = add_subprog_and_kfunc(&[kf(0, 7), kf(0, 7), EXIT_I], true, &gpl).unwrap();
        assert_eq!(s.kfuncs.len(), 1);
    }

    #[test]
    fn licences() {
        assert!(license_is_gpl_compatible("Dual BSD/GPL"));
        assert!(!license_is_gpl_compatible("GPLv2"));
        assert!(!license_is_gpl_compatible(""));
    }

    #[test]
    fn abnormal_returns_in_subprograms() {
        let prog = [
            call_local(1),
            EXIT_I,
            RawInsn::new(CALL_OP, 0, 0, 0, helper::TAIL_CALL),
            EXIT_I,
        ];
        let s = run(&prog).unwrap();
        assert!(s.info[1].has_tail_call && !s.info[0].has_tail_call);
        let e = check_abnormal_return(&s).unwrap_err();
        assert_eq!(
            e.message(),
            "tail_call is not allowed in subprogs without BTF"
        );
    }

    #[test]
    fn too_many_subprograms() {
        // 257 functions: the entry calls 256 one-instruction functions.
        let n = BPF_MAX_SUBPROGS;
        let mut prog: Vec<RawInsn> = (0..n).map(|_| call_local(n as i32)).collect();
        prog.push(EXIT_I);
        prog.extend(std::iter::repeat_n(EXIT_I, n));
        let env = KfuncEnv::default();
        let e = add_subprog_and_kfunc(&prog, true, &env).unwrap_err();
        assert_eq!(e.message(), "too many subprograms");
        assert_eq!(e.errno(), Errno::TooBig);
        assert_eq!(e.insn(), n - 1);
    }
}
