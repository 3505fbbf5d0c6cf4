//! `do_check`: the path-by-path walk over the program with register and stack states, as
//! in `kernel/bpf/verifier.c` (Linux 6.18).
//!
//! The walk starts at instruction 0 with R1 = ctx and R10 = frame pointer and follows one
//! path at a time; at a conditional jump that [`is_branch_taken`] cannot decide it pushes
//! the jump's state (`push_stack`) and goes on with the fall-through, and at an exit it
//! takes the next pending state (`pop_stack`). At the CFG's prune points it compares the
//! state with the checkpoints kept there ([`equiv::states_equal`], in `prune`) and stops the
//! path when one covers it (`is_state_visited`), with the kernel's heuristics for adding and
//! evicting checkpoints, loop detection and SCC backedges. Scalars whose value decided
//! safety are marked precise in the checkpoints by backtracking the path (`backtrack`);
//! registers are compared where live (`compute_live_registers`) and stack slots where some
//! path may still read them ([`StackLiveness`]). `marks` holds what instructions and helper
//! calls contribute to those two, and `log` the verifier log (`bpfsim verify --log`).
//!
//! What this slice checks, with the kernel's words: reads of uninitialised registers
//! (`R%d !read_ok`), writes to R10, ALU on scalars through [`ScalarBounds`](super::ScalarBounds), the basic
//! pointer-arithmetic rules, stack, context, map-value and packet accesses, null checks,
//! packet ranges from comparisons with `data_end`, the return-value range at exit, helper
//! calls from the kernel's prototypes (`helper_call`: every argument kind, return types,
//! map/helper compatibility, tail calls), references and spin locks (`refs`), callbacks
//! (`callback`), bpf-to-bpf calls, global functions verified from their BTF signature
//! (`global_func`), and the 1,000,000-instruction complexity limit.
//!
//! Not yet (so the verdict errs on the side of accepting): kfuncs, BTF pointers (they are
//! `RegType::Other`, and scalars that may be one are [`RegState::untracked`]: both pass
//! pointer checks), dynptrs, iterators, where a `bpf_spin_lock` lies in a map value, scalar
//! spills narrower than 8 bytes (kept as data bytes), and the unprivileged loader's rules.

use super::error::{Errno, Pass, VerifierError};
use super::fields::check_fields;
use super::helper_model::{HelperModel, MapHelpers};
use super::preflight::{Preflight, PreflightOptions, preflight};
use super::resolve::{LdImm64, MapRefs};
use super::scalar::{
    adjust_scalar_min_max_vals, is_branch_taken, reg_set_min_max, scalar_byte_swap, scalar_neg,
};
use super::stack_liveness::StackLiveness;
use super::state::{
    BPF_REG_SIZE, MAX_BPF_STACK, MAX_CALL_FRAMES, RegState, RegType, SlotType, StackSlot,
    VerifierState,
};
use crate::helpers::proto::{self, ProgSpec};
use crate::insn::decode_slot;
use crate::insn::{AluOp, AtomicOp, CallTarget, Insn, JmpCond, RawInsn, Reg, Size, Source, Width};
use crate::maps::MapDef;
use crate::object::Program;
use crate::progtype::{ProgType, ctx_access_ok};
use std::collections::HashMap;

mod alu;
mod backtrack;
mod call;
mod callback;
pub mod equiv;
mod global_func;
mod helper_call;
mod jmp;
pub mod log;
mod marks;
mod mem;
mod prune;
mod refs;

use call::clobber_caller_saved;
use mem::Access;

/// `BPF_COMPLEXITY_LIMIT_INSNS`: instructions processed before the kernel gives up.
pub const BPF_COMPLEXITY_LIMIT_INSNS: u64 = 1_000_000;
/// `BPF_COMPLEXITY_LIMIT_JMP_SEQ`: pending branch states at once.
pub const BPF_COMPLEXITY_LIMIT_JMP_SEQ: usize = 8192;
/// `MAX_PACKET_OFF`.
const MAX_PACKET_OFF: u64 = 0xffff;

/// The kernel's statistics line: `processed N insns (limit 1000000) ... total_states N
/// peak_states N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Instructions processed (`env->insn_processed`).
    pub insns_processed: u64,
    /// States kept at prune points (`env->total_states`).
    pub total_states: u64,
    /// The most kept at once (`env->peak_states`).
    pub peak_states: u64,
}

/// How `do_check` runs beyond the program itself.
pub struct CheckEnv<'a> {
    /// The program type (context layout, return values).
    pub prog_type: ProgType,
    /// `expected_attach_type`, where it matters.
    pub expected_attach_type: Option<u32>,
    /// The maps `lddw` resolved against ([`MapRefs::Object`]'s slice).
    pub maps: &'a [MapDef],
    /// Root: uninitialised stack reads and pointer leaks are allowed.
    pub bpf_capable: bool,
    /// What helper calls do.
    pub helpers: &'a dyn HelperModel,
    /// Whether the license lets the program call GPL-only helpers.
    pub gpl_compatible: bool,
    /// Loaded with `BPF_F_SLEEPABLE` (libbpf does for its `.s` sections and `syscall`).
    pub sleepable: bool,
}

/// The verdict of [`verify`]: the statistics, and the error when the program is refused.
#[derive(Clone, Debug)]
pub struct Verification {
    /// `Ok` when accepted.
    pub result: Result<(), VerifierError>,
    /// What `do_check` did (zero when an earlier pass refused the program).
    pub stats: Stats,
}

/// Runs the structural passes and then `do_check` over an object's program, as
/// `BPF_PROG_LOAD` would, with [`MapHelpers`] for helper calls.
pub fn verify(program: &Program, options: &PreflightOptions<'_>) -> Verification {
    verify_program(program, options, false).0
}

/// The walk itself, over instructions that passed [`preflight`](super::preflight()).
pub fn do_check(
    insns: &[RawInsn],
    pre: &Preflight,
    env: &CheckEnv<'_>,
) -> (Result<(), VerifierError>, Stats) {
    let (r, stats, _) = check_program(insns, pre, env, false);
    (r, stats)
}

/// [`do_check`] that also writes the verifier log (see [`log`](mod@log)).
pub fn do_check_with_log(
    insns: &[RawInsn],
    pre: &Preflight,
    env: &CheckEnv<'_>,
) -> (Result<(), VerifierError>, Stats, String) {
    check_program(insns, pre, env, true)
}

/// [`verify`] that also returns the verifier log; when an earlier pass refused the program,
/// the log is its message.
pub fn verify_with_log(
    program: &Program,
    options: &PreflightOptions<'_>,
) -> (Verification, String) {
    verify_program(program, options, true)
}

/// [`verify`] and [`verify_with_log`]: the structural passes, the environment the
/// program and options describe, then the walk (with its log when `with_log`).
fn verify_program(
    program: &Program,
    options: &PreflightOptions<'_>,
    with_log: bool,
) -> (Verification, String) {
    let pre = match preflight(program, options) {
        Ok(p) => p,
        Err(e) => {
            let text = if with_log {
                format!("{}\n", e.message())
            } else {
                String::new()
            };
            let verification = Verification {
                result: Err(e),
                stats: Stats::default(),
            };
            return (verification, text);
        }
    };
    let maps = match options.maps {
        MapRefs::Object(m) => m,
        MapRefs::None => &[],
    };
    let env = CheckEnv {
        prog_type: program.prog_type,
        expected_attach_type: program.expected_attach_type,
        maps,
        bpf_capable: options.bpf_capable,
        helpers: &MapHelpers,
        gpl_compatible: options
            .license
            .or(program.license.as_deref())
            .is_some_and(crate::helpers::proto::license_is_gpl_compatible),
        sleepable: crate::progtype::section::is_sleepable(&program.section),
    };
    let (result, stats, log) = check_program(&program.insns, &pre, &env, with_log);
    let verification = Verification {
        result: result.map_err(|e| e.with_source_from(program)),
        stats,
    };
    (verification, log)
}

/// Preflight and walk of raw instructions as a privileged GPL program of `prog_type` with
/// `maps`: how the unit tests beside each rule run their programs.
#[cfg(test)]
pub(crate) fn check_insns(
    insns: &[RawInsn],
    prog_type: crate::progtype::ProgType,
    maps: &[MapDef],
) -> Result<(), VerifierError> {
    let options = PreflightOptions {
        maps: MapRefs::Object(maps),
        ..PreflightOptions::default()
    };
    let pre = crate::verifier::preflight_insns(insns, Some("GPL"), &options)?;
    let env = CheckEnv {
        prog_type,
        expected_attach_type: None,
        maps,
        bpf_capable: true,
        helpers: &MapHelpers,
        gpl_compatible: true,
        sleepable: false,
    };
    do_check(insns, &pre, &env).0
}

fn check_program(
    insns: &[RawInsn],
    pre: &Preflight,
    env: &CheckEnv<'_>,
    with_log: bool,
) -> (Result<(), VerifierError>, Stats, String) {
    let mut used: Vec<&MapDef> = pre
        .resolved
        .used_maps
        .iter()
        .filter_map(|&i| env.maps.get(i))
        .collect();
    // The inner maps of maps of maps follow, for the pointers their lookups give.
    let mut inner_of = vec![None; used.len()];
    for (i, slot) in inner_of.iter_mut().enumerate() {
        if let Some(inner) = used[i].inner.as_deref() {
            *slot = Some(used.len());
            used.push(inner);
        }
    }
    // Every slot decoded once, for the walk and the register liveness.
    let decoded: Vec<Option<Insn>> = (0..insns.len())
        .map(|i| decode_slot(insns, i).ok())
        .collect();
    let mut w = Walker {
        insns,
        pre,
        env,
        maps: used,
        stats: Stats::default(),
        pending: Vec::new(),
        explored: HashMap::new(),
        id_gen: 0,
        live: super::liveness::compute_live_registers_decoded(insns, &decoded, |func_id| {
            proto::proto_for(
                func_id,
                &ProgSpec::new(env.prog_type, env.expected_attach_type)
                    .with_sleepable(env.sleepable),
            )
            .map(|p| p.arg_count())
        }),
        decoded,
        kept: Vec::new(),
        insn_idx: 0,
        prev_insn_idx: None,
        cur_hist_ent: false,
        jmps_processed: 0,
        prev_jmps_processed: 0,
        prev_insn_processed: 0,
        explored_states_size: 0,
        free_list_size: 0,
        num_backedges: 0,
        scc_visits: HashMap::new(),
        stack_live: StackLiveness::default(),
        log: with_log.then(String::new),
        max_states_per_insn: 0,
        ptr_types: vec![None; insns.len()],
        stack_depth: vec![0; pre.subprogs.info.len()],
        inner_of,
        globals_called: Vec::new(),
        placeholder_kfunc: None,
    };
    let r = w.run();
    let mut log = w.log.take().unwrap_or_default();
    if with_log {
        use std::fmt::Write as _;
        let _ = writeln!(
            log,
            "processed {} insns (limit {BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn {} total_states {} peak_states {} mark_read 0",
            w.stats.insns_processed,
            w.max_states_per_insn,
            w.stats.total_states,
            w.stats.peak_states
        );
    }
    (r, w.stats, log)
}

struct Walker<'a> {
    insns: &'a [RawInsn],
    pre: &'a Preflight,
    env: &'a CheckEnv<'a>,
    maps: Vec<&'a MapDef>,
    stats: Stats,
    /// Paths still to explore: (instruction, the one before it, state).
    pending: Vec<(usize, Option<usize>, VerifierState)>,
    /// Checkpoints per (instruction, callsite of the innermost frame), oldest first.
    explored: HashMap<(usize, usize), Vec<usize>>,
    id_gen: u32,
    live: Vec<super::liveness::RegMask>,
    /// The pointer type each load, store and atomic was first verified with
    /// (`insn_aux_data[].ptr_type`), by instruction.
    ptr_types: Vec<Option<RegType>>,
    /// `decode_slot` of every slot (`None` where it fails).
    decoded: Vec<Option<Insn>>,
    /// Every checkpoint ever made; `VerifierState::parent` indexes it.
    kept: Vec<prune::Kept>,
    /// The instruction being checked and the one before it on this path.
    insn_idx: usize,
    prev_insn_idx: Option<usize>,
    /// The jump history already has an entry for this instruction.
    cur_hist_ent: bool,
    jmps_processed: u64,
    prev_jmps_processed: u64,
    prev_insn_processed: u64,
    explored_states_size: usize,
    free_list_size: usize,
    num_backedges: usize,
    scc_visits: HashMap<(Vec<usize>, u32), prune::SccVisit>,
    stack_live: StackLiveness,
    /// The verifier log, when asked for.
    log: Option<String>,
    /// `max_states_per_insn`, for the log's statistics line.
    max_states_per_insn: usize,
    /// Each function's stack depth so far (`subprog_info[i].stack_depth`).
    stack_depth: Vec<u32>,
    /// For each map of maps among `maps`: the index of its inner map's definition.
    inner_of: Vec<Option<usize>>,
    /// Global functions whose call was reached, to verify after the main program.
    globals_called: Vec<usize>,
    /// The first reachable kfunc call with BTF id 0 (`check_kfunc_call` skips it; the
    /// kernel refuses it after the walk, in `fixup_kfunc_call`, unless dead code removal
    /// took it out).
    placeholder_kfunc: Option<usize>,
}

/// What one instruction leads to.
enum Next {
    Goto(usize),
    PathDone,
}

type Res<T> = Result<T, (Errno, String)>;

fn acces<T>(msg: String) -> Res<T> {
    Err((Errno::Acces, msg))
}

/// Why a slot the opcode table knows does not decode: a register number past R10
/// (`check_reg_arg`: `R%d is invalid`; jumps read their destination first, the other
/// classes their source), else the opcode.
fn invalid_reg_or_opcode(raw: &RawInsn) -> (Errno, String) {
    let class = raw.code & 0x07;
    let order = if class == 0x05 || class == 0x06 {
        [raw.dst, raw.src]
    } else {
        [raw.src, raw.dst]
    };
    match order.into_iter().find(|&r| r > 10) {
        Some(r) => (Errno::Inval, format!("R{r} is invalid")),
        None => (Errno::Inval, format!("unknown opcode {:02x}", raw.code)),
    }
}

fn imm_value(imm: i32) -> u64 {
    imm as i64 as u64
}

impl Walker<'_> {
    /// The register a load from `base` leaves: the memory's value (`check_mem_access`'s
    /// answer) or an unknown scalar, a fresh id for a maybe-null pointer, and a scalar cut
    /// (or sign-extended) to the access size.
    fn loaded(
        &mut self,
        base: &RegState,
        value: Option<RegState>,
        size: Size,
        sign_extend: bool,
    ) -> RegState {
        let mut v = value.unwrap_or_else(|| RegState {
            untracked: self.may_load_untracked_pointer(base, size),
            ..RegState::unknown()
        });
        if v.maybe_null && v.id == 0 {
            self.id_gen += 1;
            v.id = self.id_gen;
        }
        if v.is_scalar() && size != Size::DW {
            if sign_extend {
                v.var.coerce_reg_to_size_sx(size.bytes() as u8);
            } else {
                v.var.coerce_reg_to_size(size.bytes() as u8);
            }
        }
        v
    }

    fn run(&mut self) -> Result<(), VerifierError> {
        self.walk(0, VerifierState::initial())?;
        // do_check_subprogs: the global functions called, each from its signature.
        let mut done = 0;
        while let Some(&subprogno) = self.globals_called.get(done) {
            done += 1;
            let Some(f) = self.pre.globals.get(subprogno).cloned().flatten() else {
                continue;
            };
            let (Some(sig), Some(start)) = (
                f.signature.as_ref(),
                self.pre.subprogs.info.get(subprogno).map(|s| s.start),
            ) else {
                continue;
            };
            let st = self.global_entry_state(subprogno, sig);
            self.walk(start, st)?;
        }
        super::stack_depth::check_max_stack_depth(
            self.insns,
            &self.pre.subprogs,
            &self.stack_depth,
            self.env.prog_type,
        )
        .map_err(|(errno, msg)| VerifierError::new(Pass::DoCheck, 0, errno, msg))?;
        match self.placeholder_kfunc {
            Some(at) => Err(VerifierError::new(
                Pass::DoCheck,
                at,
                Errno::Inval,
                "invalid kernel function call not eliminated in verifier pass",
            )),
            None => Ok(()),
        }
    }

    /// Explores every path from `start` in state `st`.
    fn walk(&mut self, start: usize, st: VerifierState) -> Result<(), VerifierError> {
        let mut st = st;
        let mut idx = start;
        let mut prev: Option<usize> = None;
        if let Some(log) = self.log.as_mut() {
            log.push_str(&format!("{start}:"));
            log.push_str(&log::state_text(&st, &self.maps));
            log.push('\n');
        }
        loop {
            self.cur_hist_ent = false;
            self.prev_insn_idx = prev;
            self.insn_idx = idx;
            if idx >= self.insns.len() {
                return Err(self.error(
                    idx,
                    &st,
                    Errno::Fault,
                    format!("invalid insn idx {idx} insn_cnt {}", self.insns.len()),
                ));
            }
            self.stats.insns_processed += 1;
            if self.stats.insns_processed > BPF_COMPLEXITY_LIMIT_INSNS {
                return Err(self.error(
                    idx,
                    &st,
                    Errno::TooBig,
                    format!(
                        "BPF program is too large. Processed {} insn",
                        self.stats.insns_processed
                    ),
                ));
            }
            st.last_insn_idx = prev;
            st.insn_idx = idx;
            let aux = self.pre.cfg.aux.get(idx).copied().unwrap_or_default();
            let mut path_done = false;
            if aux.prune_point {
                match self.is_state_visited(idx, &mut st) {
                    Ok(true) => {
                        self.log_safe(idx);
                        path_done = true;
                    }
                    Ok(false) => {}
                    Err((errno, msg)) => {
                        self.log_line(&msg);
                        return Err(self.error(idx, &st, errno, msg));
                    }
                }
            }
            if !path_done {
                if aux.jmp_point {
                    self.push_jmp_history(&mut st, 0);
                }
                prev = Some(idx);
                self.stack_live.reset_write_marks(idx);
                let class = self.insns[idx].code & 0x07;
                if class == 0x05 || class == 0x06 {
                    self.jmps_processed += 1;
                }
                let frames_before = st.frame.len();
                let before = self.log.is_some().then(|| st.clone());
                self.log_insn(idx);
                match self.step(idx, &mut st) {
                    Ok(next) => {
                        if let Some(b) = before {
                            self.log_changes(&b, &st);
                        }
                        self.stack_live.commit_write_marks(&st, &self.pre.subprogs);
                        if st.frame.len() != frames_before {
                            self.stack_live.reset_cur();
                        }
                        match next {
                            Next::Goto(n) => idx = n,
                            Next::PathDone => path_done = true,
                        }
                    }
                    Err((errno, msg)) => {
                        self.log_line(&msg);
                        return Err(self.error(idx, &st, errno, msg));
                    }
                }
            }
            if path_done {
                self.update_branch_counts(&st);
                self.stack_live.update(&st, self.insns, &self.pre.subprogs);
                let Some((i, p, s)) = self.pending.pop() else {
                    break;
                };
                idx = i;
                prev = p;
                st = s;
                self.stack_live.reset_cur();
                if self.log.is_some() {
                    self.log_resume(prev, idx, &st);
                }
            }
        }
        Ok(())
    }

    /// `grow_stack_state`: an access reached `size` bytes below the frame pointer of
    /// function `subprogno`; its stack depth is the deepest such access, in 8-byte slots.
    fn grow_stack(&mut self, subprogno: usize, size: i64) {
        let size = (size.clamp(0, MAX_BPF_STACK as i64) as u32).div_ceil(8) * 8;
        if let Some(d) = self.stack_depth.get_mut(subprogno) {
            *d = (*d).max(size);
        }
    }

    fn error(&self, idx: usize, st: &VerifierState, errno: Errno, msg: String) -> VerifierError {
        VerifierError::new(Pass::DoCheck, idx, errno, msg).with_path(st.path.to_vec())
    }

    /// `push_stack`: a path to explore later, from `idx` with `prev` executed before it.
    fn push_stack(&mut self, idx: usize, st: VerifierState) -> Res<()> {
        if self.pending.len() >= BPF_COMPLEXITY_LIMIT_JMP_SEQ {
            return acces(format!(
                "The sequence of {} jumps is too complex.",
                self.pending.len() + 1
            ));
        }
        if let Some(p) = st.parent
            && let Some(k) = self.kept.get_mut(p)
        {
            k.branches += 1;
        }
        self.pending.push((idx, Some(self.insn_idx), st));
        Ok(())
    }

    /// A legacy packet load that fails returns 0 from the function at once (the code
    /// `gen_ld_abs` emits has a hidden exit): in a called subprogram, that return is a path
    /// of its own, back at the caller with R0 = 0.
    fn ld_abs_failure_return(&mut self, idx: usize, st: &VerifierState) -> Res<()> {
        if st.frame.len() < 2 || st.cur().callback_ret.is_some() {
            return Ok(());
        }
        let mut fail = st.clone();
        fail.path.push((idx, true));
        let Some(callee) = fail.frame.pop() else {
            return Ok(());
        };
        fail.cur_mut().regs[0] = RegState::known(0);
        self.push_stack(callee.callsite, fail)
    }

    fn step(&mut self, idx: usize, st: &mut VerifierState) -> Res<Next> {
        let Some(raw) = self.insns.get(idx) else {
            return acces(format!(
                "invalid insn idx {idx} insn_cnt {}",
                self.insns.len()
            ));
        };
        check_fields(raw, false).map_err(|m| (Errno::Inval, m))?;
        let Some(insn) = self.decoded.get(idx).copied().flatten() else {
            return Err(invalid_reg_or_opcode(raw));
        };
        match insn {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => {
                self.check_alu(st, width, op, dst, src)?;
            }
            Insn::Neg { width, dst } => {
                read_reg(st, dst)?;
                write_check(dst)?;
                let r = &mut st.cur_mut().regs[dst.index() as usize];
                if r.is_scalar() {
                    scalar_neg(&mut r.var, width);
                } else {
                    *r = RegState::unknown();
                }
            }
            Insn::Endian { order, bits, dst } => {
                read_reg(st, dst)?;
                write_check(dst)?;
                let r = &mut st.cur_mut().regs[dst.index() as usize];
                if r.is_scalar() {
                    scalar_byte_swap(&mut r.var, order, bits);
                } else {
                    *r = RegState::unknown();
                }
            }
            Insn::Ld64 { dst, .. } => {
                write_check(dst)?;
                let v = match self.pre.resolved.ld_imm64.get(idx).copied().flatten() {
                    Some(LdImm64::Imm(v)) => RegState::known(v),
                    Some(LdImm64::Map { map }) => RegState {
                        map,
                        ..RegState::pointer(RegType::ConstPtrToMap)
                    },
                    Some(LdImm64::MapValue { map, off }) => RegState {
                        map,
                        off: off as i32,
                        ..RegState::pointer(RegType::PtrToMapValue)
                    },
                    Some(LdImm64::Func { target }) => RegState {
                        aux: u32::try_from(target).unwrap_or(u32::MAX),
                        ..RegState::pointer(RegType::PtrToFunc)
                    },
                    _ => RegState::pointer(RegType::Other),
                };
                st.cur_mut().regs[dst.index() as usize] = v;
                return Ok(Next::Goto(idx + 2));
            }
            Insn::Ld64Tail => {
                return acces("invalid BPF_LD_IMM insn".to_string());
            }
            Insn::Load {
                size,
                sign_extend,
                dst,
                src,
                off,
            } => {
                read_reg(st, src)?;
                write_check(dst)?;
                let access = if sign_extend {
                    Access::ReadSx
                } else {
                    Access::Read
                };
                let base = st.cur().regs[src.index() as usize];
                let v = self.check_mem_access(st, src, off as i32, size, access)?;
                self.save_aux_ptr_type(idx, base.ty)?;
                st.cur_mut().regs[dst.index() as usize] = self.loaded(&base, v, size, sign_extend);
            }
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => {
                let value = match src {
                    Source::Reg(r) => {
                        read_reg(st, r)?;
                        self.link_spilled_scalar(st, dst, off as i32, size, r);
                        Some(st.cur().regs[r.index() as usize])
                    }
                    Source::Imm(i) => Some(RegState::known(imm_value(i))),
                };
                read_reg(st, dst)?;
                let ptr = st.cur().regs[dst.index() as usize];
                self.check_mem_access(st, dst, off as i32, size, Access::Write(value))?;
                self.save_aux_ptr_type(idx, ptr.ty)?;
                if let Source::Reg(r) = src {
                    self.zero_store_precision(st, &ptr, off as i32, r.index() as usize, value);
                }
            }
            Insn::Atomic {
                size,
                op,
                fetch,
                dst,
                src,
                off,
            } => {
                read_reg(st, src)?;
                read_reg(st, dst)?;
                if op == AtomicOp::CmpXchg {
                    read_reg(st, Reg::R0)?;
                }
                let base = st.cur().regs[dst.index() as usize];
                let old = self.check_atomic(st, dst, off, size)?;
                self.save_aux_ptr_type(idx, base.ty)?;
                // The fetched old value is what a load there gives (a spilled register
                // comes back as it was), read before the write.
                let load_reg = match op {
                    AtomicOp::CmpXchg => Some(Reg::R0),
                    _ if fetch || op == AtomicOp::Xchg => Some(src),
                    _ => None,
                };
                if let Some(r) = load_reg {
                    write_check(r)?;
                    st.cur_mut().regs[r.index() as usize] = self.loaded(&base, old, size, false);
                }
            }
            Insn::LdAbs { .. } | Insn::LdInd { .. } => {
                if let Insn::LdInd { src, .. } = insn {
                    read_reg(st, src)?;
                }
                read_reg(st, Reg::R6)?;
                if st.cur().regs[6].ty != RegType::PtrToCtx {
                    return Err((
                        Errno::Inval,
                        "at the time of BPF_LD_ABS|IND R6 != pointer to skb".into(),
                    ));
                }
                refs::check_resource_leak(st, "BPF_LD_[ABS|IND]")?;
                clobber_caller_saved(st);
                st.cur_mut().regs[0] = RegState::unknown();
                self.ld_abs_failure_return(idx, st)?;
            }
            Insn::Ja { off, .. } => {
                return Ok(Next::Goto((idx as i64 + 1 + off as i64) as usize));
            }
            Insn::MayGoto { off } => {
                // The jump is taken now; the fall-through (one more iteration) is explored
                // later, one level deeper, with the scalars that changed since the loop's
                // previous visit here widened.
                let target = (idx as i64 + 1 + off as i64) as usize;
                let prev = self.find_prev_entry(st, idx);
                let mut other = st.clone();
                other.path.push((idx, false));
                other.may_goto_depth += 1;
                if let Some(k) = prev {
                    equiv::widen_imprecise_scalars(&self.kept[k].st, &mut other, self.id_gen);
                }
                self.push_stack(idx + 1, other)?;
                st.path.push((idx, true));
                return Ok(Next::Goto(target));
            }
            Insn::Jump {
                width,
                cond,
                dst,
                src,
                off,
            } => {
                let target = (idx as i64 + 1 + off as i64) as usize;
                return self.check_cond_jmp(idx, st, width, cond, dst, src, target);
            }
            Insn::Call(target) => return self.check_call(idx, st, target),
            Insn::CallX { reg } => {
                read_reg(st, reg)?;
                self.unknown_call_marks(st);
                clobber_caller_saved(st);
                st.cur_mut().regs[0] = RegState::unknown();
            }
            Insn::Exit => return self.check_exit(st),
        }
        Ok(Next::Goto(idx + 1))
    }
}

/// `check_reg_arg(.., SRC_OP)`.
fn read_reg(st: &VerifierState, r: Reg) -> Res<()> {
    let n = r.index() as usize;
    match st.cur().regs.get(n) {
        Some(reg) if reg.ty != RegType::NotInit => Ok(()),
        _ => acces(format!("R{n} !read_ok")),
    }
}

/// `check_reg_arg(.., DST_OP)`: R10 is read only.
fn write_check(r: Reg) -> Res<()> {
    if r.index() == 10 {
        return acces("frame pointer is read only".into());
    }
    Ok(())
}

fn is_zero(r: &RegState) -> bool {
    r.is_scalar() && r.var.is_const(Width::W64) && r.var.var_off.value == 0
}

/// Every register (and spill) of every frame, mutably.
fn for_each_reg(st: &mut VerifierState, mut f: impl FnMut(&mut RegState)) {
    for frame in &mut st.frame {
        for r in &mut frame.regs {
            f(r);
        }
        for s in &mut frame.stack {
            if let Some(r) = &mut s.spilled {
                f(r);
            }
        }
    }
}

impl Walker<'_> {
    /// Whether a load of `size` bytes through `base` may give a pointer this slice does
    /// not track (a BTF pointer, a kptr in a map value, a context's socket pointer): the
    /// loaded scalar is then [`RegState::untracked`].
    fn may_load_untracked_pointer(&self, base: &RegState, size: Size) -> bool {
        match base.ty {
            RegType::Other => true,
            RegType::Scalar => base.untracked,
            RegType::PtrToCtx => size == Size::DW || !mem::ctx_modelled(self.env.prog_type),
            RegType::PtrToMapValue | RegType::PtrToMem => size == Size::DW,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(insns: &[RawInsn], t: ProgType) -> Result<(), VerifierError> {
        check_insns(insns, t, &[])
    }

    fn msg(insns: &[RawInsn]) -> String {
        match check(insns, ProgType::SocketFilter) {
            Ok(()) => "accept".into(),
            Err(e) => e.message().to_string(),
        }
    }

    const EXIT: RawInsn = RawInsn::new(0x95, 0, 0, 0, 0);

    #[test]
    fn exit_needs_r0() {
        assert_eq!(msg(&[EXIT]), "R0 !read_ok");
        assert_eq!(msg(&[RawInsn::new(0xb7, 0, 0, 0, 0), EXIT]), "accept");
    }

    #[test]
    fn registers_past_r10_are_invalid_source_first() {
        // As Linux 6.18 says to the raw selftests of basic_stx_ldx.c.
        let r0 = RawInsn::new(0xb7, 0, 0, 0, 0);
        // *(u64 *)(r10 - 8) = r15, *(u64 *)(r14 - 8) = r15, *(u64 *)(r14 - 8) = r1
        assert_eq!(
            msg(&[r0, RawInsn::new(0x7b, 10, 15, -8, 0), EXIT]),
            "R15 is invalid"
        );
        assert_eq!(
            msg(&[r0, RawInsn::new(0x7b, 14, 15, -8, 0), EXIT]),
            "R15 is invalid"
        );
        assert_eq!(
            msg(&[r0, RawInsn::new(0x7b, 14, 1, -8, 0), EXIT]),
            "R14 is invalid"
        );
        // r0 = *(u64 *)(r12 + 0)
        assert_eq!(
            msg(&[RawInsn::new(0x79, 0, 12, 0, 0), EXIT]),
            "R12 is invalid"
        );
        // Behind a branch never taken, nothing is checked.
        let skip = RawInsn::new(0x15, 0, 0, 1, 0);
        assert_eq!(
            msg(&[r0, skip, RawInsn::new(0x7b, 10, 15, -8, 0), EXIT]),
            "accept"
        );
    }

    #[test]
    fn registers_past_r10_are_invalid() {
        // r0 = r15: the source is read first; a jump reads its destination first.
        assert_eq!(
            msg(&[RawInsn::new(0xbf, 0, 15, 0, 0), EXIT]),
            "R15 is invalid"
        );
        assert_eq!(
            msg(&[RawInsn::new(0x1d, 12, 11, 0, 0), EXIT]),
            "R12 is invalid"
        );
    }

    #[test]
    fn r10_is_read_only() {
        assert_eq!(
            msg(&[RawInsn::new(0xb7, 10, 0, 0, 0), EXIT]),
            "frame pointer is read only"
        );
    }

    #[test]
    fn division_by_a_zero_constant() {
        assert_eq!(
            msg(&[
                RawInsn::new(0xb7, 0, 0, 0, 1),
                RawInsn::new(0x37, 0, 0, 0, 0),
                EXIT
            ]),
            "div by zero"
        );
    }

    #[test]
    fn shifts_by_a_constant_stay_below_the_width() {
        // Found by the kernel differential (examples/kernel_diff): `w1 <<= 39`.
        let shift = |code: u8, imm: i32| {
            msg(&[
                RawInsn::new(0xb7, 0, 0, 0, 0),
                RawInsn::new(0xb7, 1, 0, 0, 1),
                RawInsn::new(code, 1, 0, 0, imm),
                EXIT,
            ])
        };
        assert_eq!(shift(0x64, 39), "invalid shift 39"); // w1 <<= 39
        assert_eq!(shift(0x64, 31), "accept");
        assert_eq!(shift(0x67, 63), "accept"); // r1 <<= 63
        assert_eq!(shift(0x77, 64), "invalid shift 64"); // r1 >>= 64
        assert_eq!(shift(0xc4, -1), "invalid shift -1"); // w1 s>>= -1
    }

    #[test]
    fn stack_bounds_and_ctx_pointer_rules() {
        // *(u64 *)(r10 + 0) = 0
        assert_eq!(
            msg(&[
                RawInsn::new(0x7a, 10, 0, 0, 0),
                RawInsn::new(0xb7, 0, 0, 0, 0),
                EXIT
            ]),
            "invalid write to stack R10 off=0 size=8"
        );
        // r1 &= 1 on ctx
        assert_eq!(
            msg(&[
                RawInsn::new(0x57, 1, 0, 0, 1),
                RawInsn::new(0xb7, 0, 0, 0, 0),
                EXIT
            ]),
            "R1 bitwise operator &= on pointer prohibited"
        );
        // w1 += 1 on ctx
        assert_eq!(
            msg(&[
                RawInsn::new(0x04, 1, 0, 0, 1),
                RawInsn::new(0xb7, 0, 0, 0, 0),
                EXIT
            ]),
            "R1 32-bit pointer arithmetic prohibited"
        );
    }

    #[test]
    fn spill_and_fill_keep_the_pointer() {
        // *(u64 *)(r10 - 8) = r1; r2 = *(u64 *)(r10 - 8); r0 = *(u32 *)(r2 + 0); exit
        assert_eq!(
            msg(&[
                RawInsn::new(0x7b, 10, 1, -8, 0),
                RawInsn::new(0x79, 2, 10, -8, 0),
                RawInsn::new(0x61, 0, 2, 0, 0),
                EXIT
            ]),
            "accept"
        );
    }

    #[test]
    fn dead_branches_are_skipped() {
        // r0 = 0; if r0 == 0 goto +1; r0 = *(u32 *)(r3 + 0) (dead, R3 uninit); exit
        assert_eq!(
            msg(&[
                RawInsn::new(0xb7, 0, 0, 0, 0),
                RawInsn::new(0x15, 0, 0, 1, 0),
                RawInsn::new(0x61, 0, 3, 0, 0),
                EXIT
            ]),
            "accept"
        );
    }

    #[test]
    fn the_path_to_an_error_is_recorded() {
        // r0 = *(u32 *)(r1 + 0); if r0 == 5 goto +1; exit; r0 = r4 (R4 uninit); exit
        let e = check(
            &[
                RawInsn::new(0x61, 0, 1, 0, 0),
                RawInsn::new(0x15, 0, 0, 1, 5),
                EXIT,
                RawInsn::new(0xbf, 0, 4, 0, 0),
                EXIT,
            ],
            ProgType::SocketFilter,
        )
        .unwrap_err();
        assert_eq!(e.message(), "R4 !read_ok");
        assert_eq!(e.insn(), 3);
        assert_eq!(e.path(), &[(1, true)]);
    }
}
