//! `do_check`: the path-by-path walk over the program with register and stack states, as
//! in `kernel/bpf/verifier.c` (first slice).
//!
//! The walk starts at instruction 0 with R1 = ctx and R10 = frame pointer and follows one
//! path at a time; at a conditional jump that [`is_branch_taken`] cannot decide it pushes
//! the jump's state (`push_stack`) and goes on with the fall-through, and at an exit it
//! takes the next pending state (`pop_stack`). At the CFG's prune points it compares the
//! state with the ones already explored there ([`VerifierState::equal`]) and stops the path
//! when one covers it (`is_state_visited`).
//!
//! What this slice checks, with the kernel's words: reads of uninitialised registers
//! (`R%d !read_ok`), writes to R10, ALU on scalars through [`ScalarBounds`], the basic
//! pointer-arithmetic rules, stack, context, map-value and packet accesses, null checks,
//! packet ranges from comparisons with `data_end`, the return-value range at exit, the map
//! helpers (through a [`HelperModel`]) and bpf-to-bpf calls, and the
//! 1,000,000-instruction complexity limit.
//!
//! Not yet (so the verdict errs on the side of accepting): liveness and precision (pruning
//! is rarer than in the kernel), helper prototypes beyond the map helpers, kfuncs, BTF
//! pointers, spin locks, references, dynptrs, iterators, callbacks, loads through scalars
//! (allowed here: they may be BTF pointers this slice does not track), alignment, and the
//! unprivileged loader's rules.

use super::error::{Errno, Pass, VerifierError};
use super::fields::check_fields;
use super::helper_model::{HelperCallCx, HelperModel, MapHelpers};
use super::preflight::{Preflight, PreflightOptions, preflight};
use super::resolve::{LdImm64, MapRefs};
use super::scalar::{
    adjust_scalar_min_max_vals, is_branch_taken, reg_set_min_max, scalar_byte_swap, scalar_neg,
};
use super::state::{
    MAX_BPF_STACK, MAX_CALL_FRAMES, RegState, RegType, SlotType, StackSlot, VerifierState,
};
use crate::helpers::proto::{self, ProgSpec};
use crate::insn::decode_slot;
use crate::insn::{AluOp, AtomicOp, CallTarget, Insn, JmpCond, RawInsn, Reg, Size, Source, Width};
use crate::maps::MapDef;
use crate::object::Program;
use crate::progtype::{ProgType, ctx_access_ok};
use std::collections::HashMap;

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
    let pre = match preflight(program, options) {
        Ok(p) => p,
        Err(e) => {
            return Verification {
                result: Err(e),
                stats: Stats::default(),
            };
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
    };
    let (result, stats) = do_check(&program.insns, &pre, &env);
    Verification {
        result: result.map_err(|e| e.with_source_from(program)),
        stats,
    }
}

/// The walk itself, over instructions that passed [`preflight`](super::preflight()).
pub fn do_check(
    insns: &[RawInsn],
    pre: &Preflight,
    env: &CheckEnv<'_>,
) -> (Result<(), VerifierError>, Stats) {
    let used: Vec<&MapDef> = pre
        .resolved
        .used_maps
        .iter()
        .filter_map(|&i| env.maps.get(i))
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
        live: super::liveness::compute_live_registers(insns),
    };
    let r = w.run();
    (r, w.stats)
}

struct Walker<'a> {
    insns: &'a [RawInsn],
    pre: &'a Preflight,
    env: &'a CheckEnv<'a>,
    maps: Vec<&'a MapDef>,
    stats: Stats,
    pending: Vec<(usize, VerifierState)>,
    explored: HashMap<usize, Vec<VerifierState>>,
    id_gen: u32,
    live: Vec<super::liveness::RegMask>,
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

fn imm_value(imm: i32) -> u64 {
    imm as i64 as u64
}

impl Walker<'_> {
    fn run(&mut self) -> Result<(), VerifierError> {
        self.pending.push((0, VerifierState::initial()));
        while let Some((mut idx, mut st)) = self.pending.pop() {
            loop {
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
                if self.pre.cfg.aux.get(idx).is_some_and(|a| a.prune_point)
                    && self.visited(idx, &st)
                {
                    break;
                }
                match self.step(idx, &mut st) {
                    Ok(Next::Goto(n)) => idx = n,
                    Ok(Next::PathDone) => break,
                    Err((errno, msg)) => return Err(self.error(idx, &st, errno, msg)),
                }
            }
        }
        Ok(())
    }

    fn error(&self, idx: usize, st: &VerifierState, errno: Errno, msg: String) -> VerifierError {
        VerifierError::new(Pass::DoCheck, idx, errno, msg).with_path(st.path.clone())
    }

    /// `is_state_visited`: true when an explored state covers `st` (prune the path).
    fn visited(&mut self, idx: usize, st: &VerifierState) -> bool {
        let list = self.explored.entry(idx).or_default();
        if list.iter().any(|old| old.equal(st)) {
            return true;
        }
        // A first bound on the states kept per instruction, until the kernel's eviction
        // heuristics are modelled: comparing against every kept state is quadratic.
        if list.len() < 64 {
            let mut copy = st.clone();
            copy.path.clear();
            // clean_live_states: dead registers of the kept state match anything.
            let nframes = copy.frame.len();
            for (i, frame) in copy.frame.iter_mut().enumerate() {
                let at = if i + 1 == nframes {
                    idx
                } else {
                    st.frame[i + 1].callsite
                };
                let mask = self.live.get(at).copied().unwrap_or(u16::MAX)
                    & if i + 1 == nframes {
                        u16::MAX
                    } else {
                        !0b11_1111
                    };
                for (r, reg) in frame.regs.iter_mut().enumerate().take(10) {
                    if mask & (1 << r) == 0 {
                        *reg = RegState::not_init();
                    }
                }
            }
            list.push(copy);
            self.stats.total_states += 1;
            self.stats.peak_states = self.stats.peak_states.max(self.stats.total_states);
        }
        false
    }

    fn push_stack(&mut self, idx: usize, st: VerifierState) -> Res<()> {
        if self.pending.len() >= BPF_COMPLEXITY_LIMIT_JMP_SEQ {
            return acces(format!(
                "The sequence of {} jumps is too complex.",
                self.pending.len()
            ));
        }
        self.pending.push((idx, st));
        Ok(())
    }

    fn step(&mut self, idx: usize, st: &mut VerifierState) -> Res<Next> {
        let Some(raw) = self.insns.get(idx) else {
            return acces(format!(
                "invalid insn idx {idx} insn_cnt {}",
                self.insns.len()
            ));
        };
        check_fields(raw, false).map_err(|m| (Errno::Inval, m))?;
        let insn = decode_slot(self.insns, idx)
            .map_err(|_| (Errno::Inval, format!("unknown opcode {:02x}", raw.code)))?;
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
                let v = self.check_mem_access(st, src, off as i32, size, Access::Read)?;
                let mut v = v.unwrap_or_else(RegState::unknown);
                if v.is_scalar() && size != Size::DW {
                    if sign_extend {
                        v.var.coerce_reg_to_size_sx(size.bytes() as u8);
                    } else {
                        v.var.coerce_reg_to_size(size.bytes() as u8);
                    }
                }
                st.cur_mut().regs[dst.index() as usize] = v;
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
                        Some(st.cur().regs[r.index() as usize])
                    }
                    Source::Imm(i) => Some(RegState::known(imm_value(i))),
                };
                read_reg(st, dst)?;
                self.check_mem_access(st, dst, off as i32, size, Access::Write(value))?;
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
                self.check_mem_access(st, dst, off as i32, size, Access::Read)?;
                self.check_mem_access(st, dst, off as i32, size, Access::Write(None))?;
                if op == AtomicOp::CmpXchg {
                    st.cur_mut().regs[0] = RegState::unknown();
                } else if fetch || op == AtomicOp::Xchg {
                    write_check(src)?;
                    st.cur_mut().regs[src.index() as usize] = RegState::unknown();
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
                clobber_caller_saved(st);
                st.cur_mut().regs[0] = RegState::unknown();
            }
            Insn::Ja { off, .. } => {
                return Ok(Next::Goto((idx as i64 + 1 + off as i64) as usize));
            }
            Insn::MayGoto { off } => {
                let target = (idx as i64 + 1 + off as i64) as usize;
                let mut other = st.clone();
                other.path.push((idx, true));
                self.push_stack(target, other)?;
                st.path.push((idx, false));
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
                clobber_caller_saved(st);
                st.cur_mut().regs[0] = RegState::unknown();
            }
            Insn::Exit => return self.check_exit(st),
        }
        Ok(Next::Goto(idx + 1))
    }

    fn check_alu(
        &mut self,
        st: &mut VerifierState,
        width: Width,
        op: AluOp,
        dst: Reg,
        src: Source,
    ) -> Res<()> {
        let src_reg = match src {
            Source::Reg(r) => {
                read_reg(st, r)?;
                st.cur().regs[r.index() as usize]
            }
            Source::Imm(i) => RegState::known(imm_value(i)),
        };
        let is_mov = matches!(op, AluOp::Mov | AluOp::MovSx(_));
        if !is_mov {
            read_reg(st, dst)?;
            if matches!(op, AluOp::Div | AluOp::Mod | AluOp::SDiv | AluOp::SMod)
                && src == Source::Imm(0)
            {
                return Err((Errno::Inval, "div by zero".into()));
            }
        }
        write_check(dst)?;
        let d = dst.index() as usize;
        let dst_reg = st.cur().regs[d];
        if is_mov {
            let v = if src_reg.is_scalar() {
                let mut v = RegState::unknown();
                v.var = dst_reg.var;
                let _ = adjust_scalar_min_max_vals(&mut v.var, op, &src_reg.var, width);
                v
            } else if op == AluOp::Mov && width == Width::W64 {
                src_reg
            } else {
                RegState::unknown()
            };
            st.cur_mut().regs[d] = v;
            return Ok(());
        }
        match (dst_reg.is_scalar(), src_reg.is_scalar()) {
            (true, true) => {
                let mut v = dst_reg;
                if let Some(fork) = adjust_scalar_min_max_vals(&mut v.var, op, &src_reg.var, width)
                {
                    let _ = fork;
                }
                v.id = 0;
                st.cur_mut().regs[d] = v;
                Ok(())
            }
            (false, false) => {
                if op == AluOp::Sub && self.env.bpf_capable {
                    st.cur_mut().regs[d] = RegState::unknown();
                    return Ok(());
                }
                acces(format!(
                    "R{d} pointer {} pointer prohibited",
                    alu_string(op)
                ))
            }
            (false, true) => {
                let v = self.adjust_ptr(d, dst_reg, src_reg, op, width, true)?;
                st.cur_mut().regs[d] = v;
                Ok(())
            }
            (true, false) => {
                let v = self.adjust_ptr(d, src_reg, dst_reg, op, width, false)?;
                st.cur_mut().regs[d] = v;
                Ok(())
            }
        }
    }

    /// `adjust_ptr_min_max_vals`: `ptr op scalar` (or `scalar op ptr` when `!ptr_is_dst`).
    fn adjust_ptr(
        &mut self,
        dst: usize,
        ptr: RegState,
        off_reg: RegState,
        op: AluOp,
        width: Width,
        ptr_is_dst: bool,
    ) -> Res<RegState> {
        if width == Width::W32 {
            if op == AluOp::Sub && self.env.bpf_capable {
                return Ok(RegState::unknown());
            }
            return acces(format!("R{dst} 32-bit pointer arithmetic prohibited"));
        }
        if ptr.maybe_null {
            return acces(format!(
                "R{dst} pointer arithmetic on {} prohibited, null-check it first",
                ptr.type_str()
            ));
        }
        let known = off_reg.var.is_const(Width::W64);
        let val = off_reg.var.smin_value;
        let ok = match ptr.ty {
            RegType::PtrToCtx
            | RegType::PtrToMapValue
            | RegType::PtrToStack
            | RegType::PtrToPacket
            | RegType::PtrToPacketMeta
            | RegType::Other => true,
            RegType::ConstPtrToMap => known && val == 0 && op == AluOp::Add,
            _ => false,
        };
        if !ok {
            return acces(format!(
                "R{dst} pointer arithmetic on {} prohibited",
                ptr.type_str()
            ));
        }
        let mut r = ptr;
        match op {
            AluOp::Add => {
                if known {
                    r.off = match ptr.off.checked_add(val as i32) {
                        Some(o) if (val as i32) as i64 == val => o,
                        _ => return Ok(RegState::unknown()),
                    };
                } else {
                    let _ = adjust_scalar_min_max_vals(&mut r.var, AluOp::Add, &off_reg.var, width);
                    if r.is_pkt_pointer() {
                        self.id_gen += 1;
                        r.id = self.id_gen;
                        r.range = 0;
                    }
                }
            }
            AluOp::Sub => {
                if !ptr_is_dst {
                    return acces(format!("R{dst} tried to subtract pointer from scalar"));
                }
                if known {
                    r.off = match ptr.off.checked_sub(val as i32) {
                        Some(o) if (val as i32) as i64 == val => o,
                        _ => return Ok(RegState::unknown()),
                    };
                } else {
                    let _ = adjust_scalar_min_max_vals(&mut r.var, AluOp::Sub, &off_reg.var, width);
                    if r.is_pkt_pointer() {
                        self.id_gen += 1;
                        r.id = self.id_gen;
                        if off_reg.var.smin_value < 0 {
                            r.range = 0;
                        }
                    }
                }
            }
            AluOp::And | AluOp::Or | AluOp::Xor => {
                return acces(format!(
                    "R{dst} bitwise operator {} on pointer prohibited",
                    alu_string(op)
                ));
            }
            _ => {
                return acces(format!(
                    "R{dst} pointer arithmetic with {} operator prohibited",
                    alu_string(op)
                ));
            }
        }
        Ok(r)
    }

    fn check_mem_access(
        &mut self,
        st: &mut VerifierState,
        regno: Reg,
        insn_off: i32,
        size: Size,
        access: Access,
    ) -> Res<Option<RegState>> {
        let n = regno.index() as usize;
        let reg = st.cur().regs[n];
        let size_b = size.bytes() as i32;
        if reg.maybe_null {
            return acces(format!("R{n} invalid mem access '{}'", reg.type_str()));
        }
        let off = insn_off.wrapping_add(reg.off);
        match reg.ty {
            RegType::PtrToStack => {
                if !reg.var.var_off.is_const() {
                    return Ok(None);
                }
                let min_off = reg.var.var_off.value as i64 + off as i64;
                let extra = match access {
                    Access::Read => " read from",
                    Access::Write(_) => " write to",
                };
                if min_off < -(MAX_BPF_STACK as i64) || min_off + size_b as i64 > 0 {
                    return acces(format!("invalid{extra} stack R{n} off={off} size={size_b}"));
                }
                let frameno = reg.frameno as usize;
                let allow_uninit = self.env.bpf_capable;
                let Some(frame) = st.frame.get_mut(frameno) else {
                    return Ok(None);
                };
                let off = min_off as i32;
                match access {
                    Access::Write(value) => {
                        stack_write(frame, off, size_b, value);
                        Ok(None)
                    }
                    Access::Read => stack_read(frame, off, size_b, allow_uninit),
                }
            }
            RegType::PtrToCtx => {
                if reg.off != 0 || !reg.var.var_off.is_const() || reg.var.var_off.value != 0 {
                    return acces(format!(
                        "dereference of modified ctx ptr R{n} off={} disallowed",
                        reg.off
                    ));
                }
                let write = matches!(access, Access::Write(_));
                if ctx_modelled(self.env.prog_type)
                    && (off < 0
                        || !ctx_access_ok(self.env.prog_type, off as u32, size_b as u32, write))
                {
                    return acces(format!(
                        "invalid bpf_context access off={off} size={size_b}"
                    ));
                }
                Ok(self.ctx_load(off, size))
            }
            RegType::PtrToMapValue => {
                let value_size = self.maps.get(reg.map).map_or(u32::MAX, |m| m.value_size) as i64;
                let v = &reg.var;
                let off64 = off as i64;
                if v.smin_value < 0
                    && (v.smin_value == i64::MIN
                        || off64 + v.smin_value != (off64 + v.smin_value) as i32 as i64
                        || v.smin_value + off64 < 0)
                {
                    return acces(format!(
                        "R{n} min value is negative, either use unsigned index or do a if (index >=0) check."
                    ));
                }
                let lo = v.smin_value + off64;
                if lo < 0 || lo + size_b as i64 > value_size {
                    return acces(format!(
                        "R{n} min value is outside of the allowed memory range"
                    ));
                }
                if v.umax_value >= 1 << 29 {
                    return acces(format!(
                        "R{n} unbounded memory access, make sure to bounds check any such access"
                    ));
                }
                let hi = v.umax_value as i64 + off64;
                if hi < 0 || hi + size_b as i64 > value_size {
                    return acces(format!(
                        "R{n} max value is outside of the allowed memory range"
                    ));
                }
                Ok(None)
            }
            RegType::PtrToPacket | RegType::PtrToPacketMeta => {
                if reg.var.smin_value < 0 {
                    return acces(format!(
                        "R{n} min value is negative, either use unsigned index or do a if (index >=0) check."
                    ));
                }
                if off < 0 || off + size_b > reg.range {
                    return acces(format!(
                        "invalid access to packet, off={off} size={size_b}, R{n}(id={},off={off},r={})",
                        reg.id, reg.range
                    ));
                }
                Ok(None)
            }
            RegType::ConstPtrToMap | RegType::PtrToPacketEnd => {
                acces(format!("R{n} invalid mem access '{}'", reg.type_str()))
            }
            RegType::NotInit => acces(format!("R{n} !read_ok")),
            RegType::Scalar | RegType::Other => Ok(None),
        }
    }

    /// What a context load gives: packet pointers for the `data` fields, else a scalar.
    fn ctx_load(&self, off: i32, size: Size) -> Option<RegState> {
        if size != Size::W {
            return None;
        }
        let ty = match (self.env.prog_type, off) {
            (ProgType::Xdp, 0) => RegType::PtrToPacket,
            (ProgType::Xdp, 4) => RegType::PtrToPacketEnd,
            (ProgType::Xdp, 8) => RegType::PtrToPacketMeta,
            (
                ProgType::SchedCls
                | ProgType::SchedAct
                | ProgType::LwtIn
                | ProgType::LwtOut
                | ProgType::LwtXmit
                | ProgType::LwtSeg6local
                | ProgType::SkSkb
                | ProgType::CgroupSkb,
                76,
            ) => RegType::PtrToPacket,
            (
                ProgType::SchedCls
                | ProgType::SchedAct
                | ProgType::LwtIn
                | ProgType::LwtOut
                | ProgType::LwtXmit
                | ProgType::LwtSeg6local
                | ProgType::SkSkb
                | ProgType::CgroupSkb,
                80,
            ) => RegType::PtrToPacketEnd,
            (ProgType::SchedCls | ProgType::SchedAct, 140) => RegType::PtrToPacketMeta,
            _ => return None,
        };
        Some(RegState::pointer(ty))
    }

    #[allow(clippy::too_many_arguments)]
    fn check_cond_jmp(
        &mut self,
        idx: usize,
        st: &mut VerifierState,
        width: Width,
        cond: JmpCond,
        dst: Reg,
        src: Source,
        target: usize,
    ) -> Res<Next> {
        read_reg(st, dst)?;
        let d = dst.index() as usize;
        let src_reg = match src {
            Source::Reg(r) => {
                read_reg(st, r)?;
                st.cur().regs[r.index() as usize]
            }
            Source::Imm(i) => RegState::known(imm_value(i)),
        };
        let dst_reg = st.cur().regs[d];
        let s = match src {
            Source::Reg(r) => Some(r.index() as usize),
            Source::Imm(_) => None,
        };

        // Decide what can be decided.
        let decided = if dst_reg.is_scalar() && src_reg.is_scalar() {
            is_branch_taken(&dst_reg.var, &src_reg.var, cond, width)
        } else if width == Width::W64
            && matches!(cond, JmpCond::Eq | JmpCond::Ne)
            && ((dst_reg.is_pointer() && !dst_reg.maybe_null && is_zero(&src_reg))
                || (src_reg.is_pointer() && !src_reg.maybe_null && is_zero(&dst_reg)))
        {
            Some(cond == JmpCond::Ne)
        } else {
            None
        };
        match decided {
            Some(true) => return Ok(Next::Goto(target)),
            Some(false) => return Ok(Next::Goto(idx + 1)),
            None => {}
        }

        let mut other = st.clone();
        other.path.push((idx, true));
        st.path.push((idx, false));
        if dst_reg.is_scalar() && src_reg.is_scalar() {
            if let Some(sn) = s.filter(|&sn| sn == d) {
                let _ = sn;
            } else {
                let (taken, fall, _) = reg_set_min_max(&dst_reg.var, &src_reg.var, cond, width);
                other.cur_mut().regs[d].var = taken.dst;
                st.cur_mut().regs[d].var = fall.dst;
                if let Some(sn) = s {
                    other.cur_mut().regs[sn].var = taken.src;
                    st.cur_mut().regs[sn].var = fall.src;
                }
            }
        } else if width == Width::W64
            && matches!(cond, JmpCond::Eq | JmpCond::Ne)
            && dst_reg.maybe_null
            && is_zero(&src_reg)
        {
            // mark_ptr_or_null_regs: the == 0 branch holds NULL, the other the pointer.
            let (null_st, ok_st) = if cond == JmpCond::Eq {
                (&mut other, &mut *st)
            } else {
                (&mut *st, &mut other)
            };
            mark_ptr_or_null(null_st, dst_reg.id, true);
            mark_ptr_or_null(ok_st, dst_reg.id, false);
        } else if let (Source::Reg(_), Width::W64, Some(sn)) = (src, width, s) {
            self.match_pkt_pointers(cond, d, sn, &dst_reg, &src_reg, st, &mut other);
        }
        self.push_stack(target, other)?;
        Ok(Next::Goto(idx + 1))
    }

    /// `try_match_pkt_pointers`: `pkt' <op> pkt_end` gives a range in one of the branches.
    #[allow(clippy::too_many_arguments)]
    fn match_pkt_pointers(
        &self,
        cond: JmpCond,
        _d: usize,
        _s: usize,
        dst: &RegState,
        src: &RegState,
        fall: &mut VerifierState,
        taken: &mut VerifierState,
    ) {
        let pkt_vs_end = (dst.ty == RegType::PtrToPacket && src.ty == RegType::PtrToPacketEnd)
            || (dst.ty == RegType::PtrToPacketMeta && is_init_pkt(src));
        let end_vs_pkt = (dst.ty == RegType::PtrToPacketEnd && src.ty == RegType::PtrToPacket)
            || (is_init_pkt(dst) && src.ty == RegType::PtrToPacketMeta);
        match (cond, pkt_vs_end, end_vs_pkt) {
            (JmpCond::Gt, true, _) => find_good_pkt_pointers(fall, dst, false),
            (JmpCond::Gt, _, true) => find_good_pkt_pointers(taken, src, true),
            (JmpCond::Lt, true, _) => find_good_pkt_pointers(taken, dst, true),
            (JmpCond::Lt, _, true) => find_good_pkt_pointers(fall, src, false),
            (JmpCond::Ge, true, _) => find_good_pkt_pointers(fall, dst, true),
            (JmpCond::Ge, _, true) => find_good_pkt_pointers(taken, src, false),
            (JmpCond::Le, true, _) => find_good_pkt_pointers(taken, dst, false),
            (JmpCond::Le, _, true) => find_good_pkt_pointers(fall, src, true),
            _ => {}
        }
    }

    fn check_call(&mut self, idx: usize, st: &mut VerifierState, target: CallTarget) -> Res<Next> {
        match target {
            CallTarget::Helper(func_id) => {
                // check_helper_call: the prototype the program type gets, GPL-only helpers.
                let spec = ProgSpec {
                    prog_type: self.env.prog_type,
                    expected_attach_type: self.env.expected_attach_type,
                    sleepable: false,
                    attach_func: None,
                };
                if let Err(e) = proto::check_call(func_id, &spec, self.env.gpl_compatible) {
                    return Err((Errno::Inval, e.to_string()));
                }
                let r0 = {
                    let maps = &self.maps;
                    let cx = HelperCallCx {
                        state: st,
                        maps,
                        allow_uninit_stack: self.env.bpf_capable,
                    };
                    self.env.helpers.check_helper_call(&cx, func_id)
                }
                .map_err(|m| (Errno::Acces, m))?;
                let mut r0 = r0;
                if r0.maybe_null {
                    self.id_gen += 1;
                    r0.id = self.id_gen;
                }
                clobber_caller_saved(st);
                st.cur_mut().regs[0] = r0;
                if func_id == 12 {
                    // bpf_tail_call: when it fails the program goes on.
                    st.cur_mut().regs[0] = RegState::unknown();
                }
            }
            CallTarget::Local(imm) => {
                let callee = (idx as i64 + 1 + imm as i64) as usize;
                if st.frame.len() >= MAX_CALL_FRAMES {
                    return Err((
                        Errno::TooBig,
                        format!(
                            "the call stack of {} frames is too deep !",
                            st.frame.len() + 1
                        ),
                    ));
                }
                let subprogno = self.pre.subprogs.starting_at(callee).unwrap_or(0);
                let frameno = st.frame.len() as u8;
                let mut f = super::state::FuncState::new(frameno, idx + 1, subprogno);
                f.regs[1..=5].copy_from_slice(&st.cur().regs[1..=5]);
                clobber_caller_saved(st);
                st.frame.push(f);
                return Ok(Next::Goto(callee));
            }
            CallTarget::Kfunc { .. } => {
                clobber_caller_saved(st);
                st.cur_mut().regs[0] = RegState::unknown();
            }
        }
        Ok(Next::Goto(idx + 1))
    }

    fn check_exit(&mut self, st: &mut VerifierState) -> Res<Next> {
        read_reg(st, Reg::R0)?;
        if st.frame.len() > 1 {
            let callee = st.frame.pop().expect("more than one frame");
            let mut r0 = callee.regs[0];
            if r0.ty == RegType::PtrToStack && r0.frameno as usize >= st.frame.len() {
                r0 = RegState::unknown();
            }
            st.cur_mut().regs[0] = r0;
            return Ok(Next::Goto(callee.callsite));
        }
        let r0 = st.cur().regs[0];
        let range = match self.env.prog_type {
            ProgType::CgroupSkb if self.env.expected_attach_type == Some(1) => Some((0, 3)),
            ProgType::CgroupSkb
            | ProgType::CgroupSock
            | ProgType::SockOps
            | ProgType::CgroupDevice
            | ProgType::CgroupSysctl
            | ProgType::CgroupSockopt
            | ProgType::SkLookup => Some((0i64, 1i64)),
            _ => None,
        };
        if let Some((lo, hi)) = range {
            if !r0.is_scalar() {
                return Err((
                    Errno::Inval,
                    format!(
                        "At program exit the register R0 is not a known value ({})",
                        r0.type_str()
                    ),
                ));
            }
            if r0.var.smin_value < lo || r0.var.smax_value > hi {
                let mut m = String::from("At program exit the register R0 has");
                let mut unknown = true;
                if r0.var.smin_value > i64::MIN {
                    m += &format!(" smin={}", r0.var.smin_value);
                    unknown = false;
                }
                if r0.var.smax_value < i64::MAX {
                    m += &format!(" smax={}", r0.var.smax_value);
                    unknown = false;
                }
                if unknown {
                    m += " unknown scalar value";
                }
                m += &format!(" should have been in [{lo}, {hi}]");
                return Err((Errno::Inval, m));
            }
        }
        Ok(Next::PathDone)
    }
}

/// How memory is accessed: a read, or a write of (maybe) a known register.
#[derive(Clone, Copy)]
enum Access {
    Read,
    Write(Option<RegState>),
}

/// The program types whose context layout [`ctx_access_ok`] knows; the others' context
/// accesses are let through for now.
fn ctx_modelled(t: ProgType) -> bool {
    crate::progtype::skb::is_skb_type(t)
        || matches!(
            t,
            ProgType::Xdp
                | ProgType::Kprobe
                | ProgType::Tracepoint
                | ProgType::RawTracepoint
                | ProgType::PerfEvent
        )
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

fn clobber_caller_saved(st: &mut VerifierState) {
    for r in &mut st.cur_mut().regs[1..=5] {
        *r = RegState::not_init();
    }
}

fn is_zero(r: &RegState) -> bool {
    r.is_scalar() && r.var.is_const(Width::W64) && r.var.var_off.value == 0
}

fn is_init_pkt(r: &RegState) -> bool {
    r.ty == RegType::PtrToPacket
        && r.off == 0
        && r.var.var_off.is_const()
        && r.var.var_off.value == 0
}

/// `bpf_alu_string`.
fn alu_string(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div | AluOp::SDiv => "/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Mod | AluOp::SMod => "%=",
        AluOp::Xor => "^=",
        AluOp::Mov | AluOp::MovSx(_) => "=",
        AluOp::Arsh => "s>>=",
    }
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

/// `mark_ptr_or_null_regs`: registers sharing `id` become NULL (a zero scalar) or lose
/// `PTR_MAYBE_NULL`.
fn mark_ptr_or_null(st: &mut VerifierState, id: u32, is_null: bool) {
    if id == 0 {
        return;
    }
    for_each_reg(st, |r| {
        if r.maybe_null && r.id == id {
            if is_null {
                *r = RegState::known(0);
            } else {
                r.maybe_null = false;
            }
        }
    });
}

/// `find_good_pkt_pointers`.
fn find_good_pkt_pointers(st: &mut VerifierState, dst: &RegState, right_open: bool) {
    if dst.off < 0 || (dst.off == 0 && right_open) {
        return;
    }
    if dst.var.umax_value > MAX_PACKET_OFF
        || dst.var.umax_value.saturating_add(dst.off as u64) > MAX_PACKET_OFF
    {
        return;
    }
    let new_range = dst.off + i32::from(right_open);
    let (ty, id) = (dst.ty, dst.id);
    for_each_reg(st, |r| {
        if r.ty == ty && r.id == id {
            r.range = r.range.max(new_range);
        }
    });
}

/// A write of `size` bytes at stack offset `off` (`check_stack_write_fixed_off`).
fn stack_write(frame: &mut super::state::FuncState, off: i32, size: i32, value: Option<RegState>) {
    let aligned = off.rem_euclid(8) == 0 && size == 8;
    if aligned && let Some(v) = value {
        let slot = frame.slot_mut(off);
        *slot = StackSlot {
            spilled: Some(v),
            slot_type: [SlotType::Spill; 8],
        };
        return;
    }
    let zero = value.is_some_and(|v| is_zero(&v));
    for i in 0..size {
        let o = off + i;
        let byte = o.rem_euclid(8) as usize;
        let slot = frame.slot_mut(o);
        if slot.spilled.is_some() {
            slot.spilled = None;
            for t in &mut slot.slot_type {
                if *t == SlotType::Spill {
                    *t = SlotType::Misc;
                }
            }
        }
        slot.slot_type[byte] = if zero { SlotType::Zero } else { SlotType::Misc };
    }
}

/// A read of `size` bytes at stack offset `off` (`check_stack_read_fixed_off`).
fn stack_read(
    frame: &mut super::state::FuncState,
    off: i32,
    size: i32,
    allow_uninit: bool,
) -> Res<Option<RegState>> {
    let spi_slot = frame.stack.get(((-off - 1) / 8) as usize).copied();
    if let Some(sp) = spi_slot.and_then(|slot| slot.spilled) {
        if off.rem_euclid(8) == 0 && size == 8 {
            return Ok(Some(sp));
        }
        if sp.is_scalar() {
            return Ok(Some(RegState::unknown()));
        }
    }
    let mut all_zero = true;
    for i in 0..size {
        match frame.byte_type(off + i) {
            SlotType::Zero => {}
            SlotType::Invalid if !allow_uninit => {
                return acces(format!("invalid read from stack off {off}+{i} size {size}"));
            }
            _ => all_zero = false,
        }
    }
    Ok(Some(if all_zero {
        RegState::known(0)
    } else {
        RegState::unknown()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::preflight_insns;

    fn check(insns: &[RawInsn], t: ProgType) -> Result<(), VerifierError> {
        let pre = preflight_insns(insns, Some("GPL"), &PreflightOptions::default())?;
        let env = CheckEnv {
            prog_type: t,
            expected_attach_type: None,
            maps: &[],
            bpf_capable: true,
            helpers: &MapHelpers,
            gpl_compatible: true,
        };
        do_check(insns, &pre, &env).0
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
