//! The passes `bpf_check` runs before `do_check`, in the running kernel's order, as one
//! function: [`preflight`].
//!
//! Linux 6.18's `bpf_check` runs, before walking paths:
//! 1. `check_btf_info_early`: the func_info records' order;
//! 2. `add_subprog_and_kfunc` (the [`super::subprog`] module);
//! 3. `check_subprogs`;
//! 4. `check_btf_info`: func_info and line_info against the subprogram layout, or without
//!    them `check_abnormal_return`;
//! 5. `resolve_pseudo_ldimm64` (the [`super::resolve`] module): opcode table, `lddw` forms,
//!    maps;
//! 6. `check_cfg` ([`cfg`](mod@super::cfg) module), then `compute_postorder`;
//! 7. (`bpf_stack_liveness_init`, `check_attach_btf_id`: not structural, not here)
//! 8. `compute_scc` (then `compute_live_registers`, `mark_fastcall_patterns`, `do_check`).
//!
//! So a program with both an unknown opcode and an out-of-range jump is refused for the
//! jump (`check_subprogs` runs first), and one with an unknown opcode and unreachable code
//! for the opcode. The first error wins, as in the kernel.
//!
//! Before all of these, the `bpf()` syscall itself refuses an empty program or one longer
//! than `BPF_COMPLEXITY_LIMIT_INSNS` (`BPF_MAXINSNS` without `CAP_BPF`) with `E2BIG` and
//! an empty log.
//!
//! Not modelled (they need the kernel's or the object's BTF, which the options may not
//! give): func_info type ids and return types, line_info string offsets, the exception
//! callback's decl tag, kfunc flags (open-coded iterators are recognised by name,
//! `bpf_iter_*_next`, when the kernel BTF is given), map BTF records (spin locks, timers).

use super::cfg::{self, Cfg};
use super::error::{Errno, Pass, VerifierError};
use super::resolve::{self, MapRefs, Resolved};
use super::subprog::{self, KfuncEnv, Subprogs, license_is_gpl_compatible};
use crate::insn::RawInsn;
use crate::object::btf::BtfTypes;
use crate::object::map_fields::{FieldKind, MapField};
use crate::object::{FuncInfo, LineInfo, Program};
use crate::progtype::ProgType;

/// `BPF_COMPLEXITY_LIMIT_INSNS`: the most instructions a privileged program may have.
pub const BPF_COMPLEXITY_LIMIT_INSNS: usize = 1_000_000;
/// `BPF_MAXINSNS`: the most instructions an unprivileged program may have.
pub const BPF_MAXINSNS: usize = 4096;

/// How the program is loaded: what `BPF_PROG_LOAD` would be given besides instructions.
#[derive(Clone, Copy, Debug)]
pub struct PreflightOptions<'a> {
    /// The loader has `CAP_BPF` (or `CAP_SYS_ADMIN`): root. Without it, calls to other
    /// functions and loops are refused. Default `true`.
    pub bpf_capable: bool,
    /// Pass the program's func_info and line_info (libbpf does, for objects with
    /// `.BTF.ext`). Default `false`, as for bare instructions.
    pub btf_info: bool,
    /// What map references resolve against.
    pub maps: MapRefs<'a>,
    /// The running kernel's BTF, to check kfunc and ksym BTF ids; `None` takes them on
    /// trust.
    pub kernel_btf: Option<&'a BtfTypes>,
    /// The licence given to the kernel, overriding the program's own (`None` keeps it).
    pub license: Option<&'a str>,
    /// An fd array comes with the program (module kfuncs need one).
    pub has_fd_array: bool,
    /// The special fields of each map's value (spin locks, timers, kptrs), indexed like
    /// the maps [`MapRefs::Object`] gives ([`crate::object::Object::map_records`]); `None`
    /// for a map without BTF. Empty (the default): not known, and not checked.
    pub map_records: &'a [Option<Vec<MapField>>],
}

impl Default for PreflightOptions<'_> {
    fn default() -> Self {
        PreflightOptions {
            bpf_capable: true,
            btf_info: false,
            maps: MapRefs::None,
            kernel_btf: None,
            license: None,
            has_fd_array: false,
            map_records: &[],
        }
    }
}

impl<'a> PreflightOptions<'a> {
    /// As libbpf loads a program of an object (and `bpfsim run` verifies it), as root: with
    /// the program's func and line info when it has them, the object's maps, and their
    /// values' special fields ([`crate::object::Object::map_records`]).
    pub fn for_object_program(
        program: &Program,
        maps: &'a [crate::maps::MapDef],
        map_records: &'a [Option<Vec<MapField>>],
    ) -> Self {
        PreflightOptions {
            btf_info: !program.func_info.is_empty(),
            maps: MapRefs::Object(maps),
            map_records,
            ..PreflightOptions::default()
        }
    }
}

/// What the structural passes leave for `do_check`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preflight {
    /// Functions, their boundaries and facts, and the kfuncs called.
    pub subprogs: Subprogs,
    /// What every `lddw` loads, and the maps used.
    pub resolved: Resolved,
    /// Per-slot marks (prune points, checkpoints, jump points, SCCs) and the postorder.
    pub cfg: Cfg,
    /// Per subprogram: its BTF signature when it is a global function (verified on its
    /// own, `subprog_is_global`), from the func_info passed.
    pub globals: Vec<Option<FuncInfo>>,
    /// The special fields of each used map's value (indexed like `resolved.used_maps`;
    /// `None` for a map without BTF); empty when the options gave none.
    pub map_fields: Vec<Option<Vec<MapField>>>,
}

/// Runs the passes before `do_check` over an object's program, as `bpf_check` would for
/// its `BPF_PROG_LOAD`. Errors carry the source line of their instruction.
pub fn preflight(
    program: &Program,
    options: &PreflightOptions<'_>,
) -> Result<Preflight, VerifierError> {
    let license = options.license.or(program.license.as_deref());
    let (func_info, line_info): (&[FuncInfo], &[LineInfo]) = if options.btf_info {
        (&program.func_info, &program.line_info)
    } else {
        (&[], &[])
    };
    let sleepable = crate::progtype::section::is_sleepable(&program.section);
    let mut pre = run(
        &program.insns,
        license,
        func_info,
        line_info,
        options,
        Some((program.prog_type, sleepable)),
    )
    .map_err(|e| e.with_source_from(program))?;
    if func_info.len() == pre.subprogs.len() {
        pre.globals = func_info
            .iter()
            .map(|f| {
                f.signature
                    .as_ref()
                    .is_some_and(|s| s.global)
                    .then(|| f.clone())
            })
            .collect();
        // The program's own function is its entry, never verified as a global one.
        if let Some(g) = pre.globals.first_mut() {
            *g = None;
        }
    }
    Ok(pre)
}

/// [`preflight`] over bare instructions (no func_info or line_info), loaded with licence
/// `license` (`options.license` wins when set).
pub fn preflight_insns(
    insns: &[RawInsn],
    license: Option<&str>,
    options: &PreflightOptions<'_>,
) -> Result<Preflight, VerifierError> {
    run(insns, options.license.or(license), &[], &[], options, None)
}

fn run(
    insns: &[RawInsn],
    license: Option<&str>,
    func_info: &[FuncInfo],
    line_info: &[LineInfo],
    options: &PreflightOptions<'_>,
    prog: Option<(ProgType, bool)>,
) -> Result<Preflight, VerifierError> {
    let limit = if options.bpf_capable {
        BPF_COMPLEXITY_LIMIT_INSNS
    } else {
        BPF_MAXINSNS
    };
    if insns.is_empty() || insns.len() > limit {
        return Err(VerifierError::new(Pass::ProgLoad, 0, Errno::TooBig, ""));
    }
    let has_btf_info = !func_info.is_empty() || !line_info.is_empty();
    if has_btf_info {
        check_btf_func_early(func_info)?;
    }
    let kfuncs = KfuncEnv {
        gpl_compatible: license.is_some_and(license_is_gpl_compatible),
        kernel_btf: options.kernel_btf,
        has_fd_array: options.has_fd_array,
    };
    let mut subprogs = subprog::add_subprog_and_kfunc(insns, options.bpf_capable, &kfuncs)?;
    subprog::check_subprogs(insns, &mut subprogs)?;
    if has_btf_info {
        check_btf_func(func_info, &subprogs)?;
        check_btf_line(insns, line_info, &mut subprogs)?;
    } else {
        subprog::check_abnormal_return(&subprogs)?;
    }
    let resolved = resolve::resolve_pseudo_ldimm64(insns, options.maps, options.kernel_btf)?;
    let map_fields: Vec<Option<Vec<MapField>>> = if options.map_records.is_empty() {
        Vec::new()
    } else {
        resolved
            .used_maps
            .iter()
            .map(|&m| options.map_records.get(m).cloned().flatten())
            .collect()
    };
    if let Some((t, sleepable)) = prog {
        check_map_fields_compatibility(&resolved, &map_fields, t)?;
        if sleepable && let MapRefs::Object(defs) = options.maps {
            check_sleepable_maps(&resolved, defs)?;
        }
    }
    let mut aux = cfg::check_cfg(insns, &mut subprogs, options.bpf_capable)?;
    let postorder = cfg::compute_postorder(insns, &mut subprogs);
    let scc_count = cfg::compute_scc(insns, &mut aux);
    let (changes_pkt_data, might_sleep) = subprogs
        .info
        .first()
        .map_or((false, false), |s| (s.changes_pkt_data, s.might_sleep));
    Ok(Preflight {
        subprogs,
        resolved,
        cfg: Cfg {
            aux,
            postorder,
            scc_count,
            changes_pkt_data,
            might_sleep,
        },
        globals: Vec::new(),
        map_fields,
    })
}

/// The map part of `check_map_prog_compatibility` for sleepable programs: only arrays,
/// hashes, ring buffers, local storage, queues, stacks and arenas.
fn check_sleepable_maps(
    resolved: &Resolved,
    defs: &[crate::maps::MapDef],
) -> Result<(), VerifierError> {
    use crate::maps::MapType as M;
    for (k, &m) in resolved.used_maps.iter().enumerate() {
        let Some(def) = defs.get(m) else { continue };
        let ok = matches!(
            def.map_type,
            M::Hash
                | M::LruHash
                | M::Array
                | M::PercpuHash
                | M::PercpuArray
                | M::LruPercpuHash
                | M::ArrayOfMaps
                | M::HashOfMaps
                | M::RingBuf
                | M::UserRingBuf
                | M::InodeStorage
                | M::SkStorage
                | M::TaskStorage
                | M::CgrpStorage
                | M::Queue
                | M::Stack
                | M::Arena
        );
        if !ok {
            let at = resolved.first_use(k).unwrap_or(0);
            return Err(VerifierError::inval(
                Pass::ResolvePseudoLdimm64,
                at,
                "Sleepable programs can only use array, hash, ringbuf and local storage maps",
            ));
        }
    }
    Ok(())
}

/// `is_tracing_prog_type`.
fn is_tracing_prog_type(t: ProgType) -> bool {
    matches!(
        t,
        ProgType::Kprobe
            | ProgType::Tracepoint
            | ProgType::PerfEvent
            | ProgType::RawTracepoint
            | ProgType::RawTracepointWritable
    )
}

/// The record part of `check_map_prog_compatibility` (run by `resolve_pseudo_ldimm64` for
/// each map, in the order the program first uses them): tracing programs may not use maps
/// with locks, timers, workqueues or graph roots, socket filters none with locks.
fn check_map_fields_compatibility(
    resolved: &Resolved,
    map_fields: &[Option<Vec<MapField>>],
    prog_type: ProgType,
) -> Result<(), VerifierError> {
    let tracing = is_tracing_prog_type(prog_type);
    for (k, fields) in map_fields.iter().enumerate() {
        let Some(fields) = fields else {
            continue;
        };
        let has = |kinds: &[FieldKind]| fields.iter().any(|f| kinds.contains(&f.kind));
        let msg = if tracing && has(&[FieldKind::ListHead, FieldKind::RbRoot]) {
            "tracing progs cannot use bpf_{list_head,rb_root} yet"
        } else if prog_type == ProgType::SocketFilter
            && has(&[FieldKind::SpinLock, FieldKind::ResSpinLock])
        {
            "socket filter progs cannot use bpf_spin_lock yet"
        } else if tracing && has(&[FieldKind::SpinLock, FieldKind::ResSpinLock]) {
            "tracing progs cannot use bpf_spin_lock yet"
        } else if tracing && has(&[FieldKind::Timer]) {
            "tracing progs cannot use bpf_timer yet"
        } else if tracing && has(&[FieldKind::Workqueue]) {
            "tracing progs cannot use bpf_wq yet"
        } else {
            continue;
        };
        let at = resolved.first_use(k).unwrap_or(0);
        return Err(VerifierError::inval(Pass::ResolvePseudoLdimm64, at, msg));
    }
    Ok(())
}

fn btf_err(pass: Pass, insn: usize, msg: String) -> VerifierError {
    VerifierError::inval(pass, insn, msg)
}

/// The record-order part of `check_btf_func_early`.
fn check_btf_func_early(func_info: &[FuncInfo]) -> Result<(), VerifierError> {
    let mut prev = 0usize;
    for (i, f) in func_info.iter().enumerate() {
        if i == 0 && f.insn != 0 {
            // The kernel's message has no newline.
            return Err(btf_err(
                Pass::CheckBtfInfoEarly,
                f.insn,
                format!("nonzero insn_off {} for the first func info record", f.insn),
            ));
        }
        if i > 0 && f.insn <= prev {
            return Err(btf_err(
                Pass::CheckBtfInfoEarly,
                f.insn,
                format!(
                    "same or smaller insn offset ({}) than previous func info record ({prev})",
                    f.insn
                ),
            ));
        }
        prev = f.insn;
    }
    Ok(())
}

/// The layout part of `check_btf_func`.
fn check_btf_func(func_info: &[FuncInfo], subprogs: &Subprogs) -> Result<(), VerifierError> {
    if func_info.is_empty() {
        return subprog::check_abnormal_return(subprogs);
    }
    if func_info.len() != subprogs.len() {
        return Err(btf_err(
            Pass::CheckBtfInfo,
            0,
            "number of funcs in func_info doesn't match number of subprogs".into(),
        ));
    }
    for (i, (f, s)) in func_info.iter().zip(&subprogs.info).enumerate() {
        if f.insn != s.start {
            return Err(btf_err(
                Pass::CheckBtfInfo,
                f.insn,
                "func_info BTF section doesn't match subprog layout in BPF program".into(),
            ));
        }
        // A failing LD_ABS or tail call returns 0 from the subprogram: it must return an
        // integer.
        let scalar_return = f.signature.as_ref().is_none_or(|sig| sig.scalar_return);
        if i > 0 && !scalar_return && s.has_ld_abs {
            return Err(btf_err(
                Pass::CheckBtfInfo,
                f.insn,
                "LD_ABS is only allowed in functions that return 'int'.".into(),
            ));
        }
        if i > 0 && !scalar_return && s.has_tail_call {
            return Err(btf_err(
                Pass::CheckBtfInfo,
                f.insn,
                "tail_call is only allowed in functions that return 'int'.".into(),
            ));
        }
    }
    Ok(())
}

/// The layout part of `check_btf_line`; records each subprogram's first line record.
fn check_btf_line(
    insns: &[RawInsn],
    line_info: &[LineInfo],
    subprogs: &mut Subprogs,
) -> Result<(), VerifierError> {
    if line_info.is_empty() {
        return Ok(());
    }
    let len = insns.len();
    let mut s = 0usize;
    let mut prev = 0usize;
    for (i, l) in line_info.iter().enumerate() {
        if (i > 0 && l.insn <= prev) || l.insn >= len {
            return Err(btf_err(
                Pass::CheckBtfInfo,
                l.insn.min(len.saturating_sub(1)),
                format!(
                    "Invalid line_info[{i}].insn_off:{} (prev_offset:{prev} prog->len:{len})",
                    l.insn
                ),
            ));
        }
        if insns.get(l.insn).is_some_and(|x| x.code == 0) {
            return Err(btf_err(
                Pass::CheckBtfInfo,
                l.insn,
                format!("Invalid insn code at line_info[{i}].insn_off"),
            ));
        }
        if let Some(sub) = subprogs.info.get_mut(s) {
            if l.insn == sub.start {
                sub.linfo_idx = Some(i);
                s += 1;
            } else if sub.start < l.insn {
                return Err(btf_err(
                    Pass::CheckBtfInfo,
                    sub.start,
                    format!("missing bpf_line_info for func#{s}"),
                ));
            }
        }
        prev = l.insn;
    }
    if s != subprogs.len() {
        let at = subprogs.info.get(s).map_or(0, |x| x.start);
        return Err(btf_err(
            Pass::CheckBtfInfo,
            at,
            format!(
                "missing bpf_line_info for {} funcs starting from func#{s}",
                subprogs.len() - s
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::asm::assemble;
    use crate::object::SourceLine;

    fn pre(src: &str) -> Result<Preflight, VerifierError> {
        let insns = assemble(src).expect("assembles");
        preflight_insns(&insns, Some("GPL"), &PreflightOptions::default())
    }

    #[test]
    fn the_first_pass_to_fail_decides() {
        // An unknown opcode and an out-of-range jump: check_subprogs runs first.
        let mut insns = assemble("goto +5\nexit").unwrap();
        insns.insert(1, RawInsn::new(0xff, 0, 0, 0, 0));
        let e = preflight_insns(&insns, None, &PreflightOptions::default()).unwrap_err();
        assert_eq!(e.message(), "jump out of range from insn 0 to 6");
        assert_eq!(e.pass(), Pass::CheckSubprogs);
        // An unknown opcode in unreachable code: resolve_pseudo_ldimm64 runs before check_cfg.
        let mut insns = assemble("exit\nexit").unwrap();
        insns.insert(1, RawInsn::new(0xff, 0, 0, 0, 0));
        let e = preflight_insns(&insns, None, &PreflightOptions::default()).unwrap_err();
        assert_eq!(e.message(), "unknown opcode ff");
    }

    #[test]
    fn accepted_programs_come_with_their_facts() {
        let p = pre("r0 = 0\nl: r0 += 1\nif r0 < 4 goto l\ncall local f\nexit\nf: r0 = 0\nexit")
            .unwrap();
        assert_eq!(p.subprogs.len(), 2);
        assert_eq!(p.cfg.aux.len(), 7);
        assert_eq!(p.cfg.scc_count, 2);
        assert_eq!(p.cfg.aux[1].scc, 1);
        assert_eq!(p.cfg.postorder.len(), 7);
    }

    #[test]
    fn empty_and_oversized_programs_are_refused_by_the_syscall() {
        let e = preflight_insns(&[], None, &PreflightOptions::default()).unwrap_err();
        assert_eq!(
            (e.pass(), e.errno(), e.message()),
            (Pass::ProgLoad, Errno::TooBig, "")
        );
        let unpriv = PreflightOptions {
            bpf_capable: false,
            ..PreflightOptions::default()
        };
        let insns = vec![RawInsn::new(crate::insn::opcode::EXIT_OP, 0, 0, 0, 0); BPF_MAXINSNS + 1];
        let e = preflight_insns(&insns, None, &unpriv).unwrap_err();
        assert_eq!(e.errno(), Errno::TooBig);
    }

    fn line(insn: usize) -> LineInfo {
        LineInfo {
            insn,
            source: SourceLine {
                file: "a.c".into(),
                line: insn as u32 + 1,
                col: 0,
                text: format!("line {insn}"),
            },
            file_name_off: 1,
            line_off: 1,
            line_col: 0,
        }
    }

    fn func(insn: usize) -> FuncInfo {
        FuncInfo {
            insn,
            type_id: 1,
            name: "f".into(),
            signature: None,
        }
    }

    #[test]
    fn btf_info_layout() {
        let insns = assemble("call local f\nexit\nf: r0 = 0\nexit").unwrap();
        let opts = PreflightOptions::default();
        let run = |funcs: &[FuncInfo], lines: &[LineInfo]| {
            super::run(&insns, Some("GPL"), funcs, lines, &opts, None)
                .map(|_| "ok".to_string())
                .unwrap_or_else(|e| e.message().to_string())
        };
        assert_eq!(run(&[func(0), func(2)], &[line(0), line(2)]), "ok");
        assert_eq!(
            run(&[func(0)], &[line(0), line(2)]),
            "number of funcs in func_info doesn't match number of subprogs"
        );
        assert_eq!(
            run(&[func(0), func(3)], &[line(0), line(2)]),
            "func_info BTF section doesn't match subprog layout in BPF program"
        );
        assert_eq!(
            run(&[func(1), func(2)], &[]),
            "nonzero insn_off 1 for the first func info record"
        );
        assert_eq!(
            run(&[func(0), func(2)], &[line(0), line(3)]),
            "missing bpf_line_info for func#1"
        );
        assert_eq!(
            run(&[func(0), func(2)], &[line(0)]),
            "missing bpf_line_info for 1 funcs starting from func#1"
        );
        assert_eq!(
            run(&[func(0), func(2)], &[line(0), line(0)]),
            "Invalid line_info[1].insn_off:0 (prev_offset:0 prog->len:4)"
        );
    }
}
