//! Precision tracking (`mark_chain_precision`, `backtrack_insn`, `push_jmp_history`): when a
//! scalar's exact value decides safety (pointer arithmetic, a decided branch, a helper's
//! size argument, the return value), walk the path back instruction by instruction, through
//! the state's jump history and then its parent checkpoints, and mark every register and
//! spilled stack slot that contributed to it `precise` in those checkpoints. Pruning then
//! compares precise scalars by range and lets imprecise ones match anything.
//!
//! As in the kernel the current state itself is never marked (only checkpoints matter);
//! when backtracking meets something it cannot follow it marks every scalar of every
//! parent checkpoint precise (`mark_all_scalars_precise`).

use super::*;
use crate::verifier::do_check::equiv::{is_spilled_reg, is_spilled_scalar_reg};
use crate::verifier::state::JmpHistEntry;

/// `INSN_F_FRAMENO_MASK`.
const F_FRAMENO_MASK: u32 = 0x7;
/// `INSN_F_SPI_SHIFT` / `INSN_F_SPI_MASK`.
const F_SPI_SHIFT: u32 = 3;
const F_SPI_MASK: u32 = 0x3f;
/// `INSN_F_STACK_ACCESS`: a spill to or fill from stack slot (frame, spi).
pub(super) const F_STACK_ACCESS: u32 = 1 << 9;
/// `INSN_F_DST_REG_STACK` / `INSN_F_SRC_REG_STACK`: a jump compared a stack pointer.
pub(super) const F_DST_REG_STACK: u32 = 1 << 10;
pub(super) const F_SRC_REG_STACK: u32 = 1 << 11;

/// `insn_stack_access_flags`.
pub(super) fn stack_access_flags(frameno: usize, spi: usize) -> u32 {
    F_STACK_ACCESS | ((spi as u32 & F_SPI_MASK) << F_SPI_SHIFT) | (frameno as u32 & F_FRAMENO_MASK)
}

/// R1-R5.
const REGMASK_ARGS: u32 = 0b11_1110;

/// `struct backtrack_state`: registers and stack slots still to be explained, per frame.
#[derive(Clone, Debug, Default)]
pub(super) struct Backtrack {
    frame: usize,
    reg: [u32; MAX_CALL_FRAMES],
    stack: [u64; MAX_CALL_FRAMES],
}

/// Why backtracking stopped early: the kernel's `-ENOTSUPP` (fall back to all precise).
struct NotSupp;

impl Backtrack {
    pub(super) fn set_frame_reg(&mut self, fr: usize, r: usize) {
        if fr < MAX_CALL_FRAMES {
            self.reg[fr] |= 1 << r;
        }
    }
    pub(super) fn set_frame_slot(&mut self, fr: usize, spi: usize) {
        if fr < MAX_CALL_FRAMES && spi < 64 {
            self.stack[fr] |= 1 << spi;
        }
    }
    fn set_reg(&mut self, r: usize) {
        self.set_frame_reg(self.frame, r);
    }
    fn clear_reg(&mut self, r: usize) {
        self.reg[self.frame] &= !(1 << r);
    }
    fn is_reg_set(&self, r: usize) -> bool {
        self.reg[self.frame] & (1 << r) != 0
    }
    fn is_frame_slot_set(&self, fr: usize, spi: usize) -> bool {
        fr < MAX_CALL_FRAMES && spi < 64 && self.stack[fr] & (1 << spi) != 0
    }
    fn empty(&self) -> bool {
        (0..=self.frame).all(|f| self.reg[f] == 0 && self.stack[f] == 0)
    }
}

fn get_jmp_hist_entry(h: &[JmpHistEntry], end: usize, idx: usize) -> Option<JmpHistEntry> {
    if end > 0 && h[end - 1].idx == idx {
        Some(h[end - 1])
    } else {
        None
    }
}

/// `get_prev_insn_idx`: the instruction before `i` on the path, or `None` at the start of
/// the state's segment.
fn get_prev_insn_idx(st: &VerifierState, i: usize, history: &mut usize) -> Option<usize> {
    let cnt = *history;
    if i == st.first_insn_idx && (cnt == 0 || (cnt == 1 && st.jmp_history[0].idx == i)) {
        return None;
    }
    if cnt > 0 && st.jmp_history[cnt - 1].idx == i {
        *history -= 1;
        Some(st.jmp_history[cnt - 1].prev_idx)
    } else {
        i.checked_sub(1)
    }
}

impl Walker<'_> {
    /// `push_jmp_history` for the instruction being checked: a second push for the same
    /// instruction merges its flags.
    pub(super) fn push_jmp_history(&mut self, st: &mut VerifierState, flags: u32) {
        self.push_jmp_history_linked(st, flags, 0);
    }

    /// `push_jmp_history` with the linked scalars of a conditional jump.
    pub(super) fn push_jmp_history_linked(
        &mut self,
        st: &mut VerifierState,
        flags: u32,
        linked_regs: u64,
    ) {
        if self.cur_hist_ent
            && let Some(last) = st.jmp_history.last_mut()
        {
            last.flags |= flags;
            last.linked_regs = linked_regs;
            return;
        }
        st.jmp_history.push(JmpHistEntry {
            idx: self.insn_idx,
            prev_idx: self.prev_insn_idx.unwrap_or(usize::MAX),
            flags,
            linked_regs,
        });
        self.cur_hist_ent = true;
    }

    /// `mark_chain_precision(env, regno)` from the current state.
    pub(super) fn mark_chain_precision(&mut self, st: &VerifierState, regno: usize) {
        let fr = st.frame.len() - 1;
        if st.frame[fr].regs.get(regno).is_none_or(|r| !r.is_scalar()) {
            return;
        }
        let mut bt = Backtrack {
            frame: fr,
            ..Backtrack::default()
        };
        bt.set_reg(regno);
        self.mark_chain_precision_bt(st, bt);
    }

    /// `__mark_chain_precision`: returns whether some checkpoint gained a precise mark.
    pub(super) fn mark_chain_precision_bt(
        &mut self,
        start: &VerifierState,
        mut bt: Backtrack,
    ) -> bool {
        if !self.env.bpf_capable {
            return false;
        }
        bt.frame = start.frame.len() - 1;
        if bt.empty() {
            return false;
        }
        let mut changed = false;
        let mut first_idx = start.first_insn_idx;
        let mut last_idx = Some(start.insn_idx);
        let mut subseq_idx: Option<usize> = None;
        let mut skip_first = true;
        // None: the starting state; Some(k): checkpoint k of the arena.
        let mut cur_kept: Option<usize> = None;
        loop {
            let st: &VerifierState = match cur_kept {
                None => start,
                Some(k) => &self.kept[k].st,
            };
            let mut history = st.jmp_history.len();
            let Some(mut i) = last_idx else {
                // The entry of the program: nothing left can be explained.
                break;
            };
            loop {
                if skip_first {
                    skip_first = false;
                } else {
                    let hist = get_jmp_hist_entry(&st.jmp_history, history, i);
                    if self.backtrack_insn(i, subseq_idx, hist, &mut bt).is_err() {
                        changed |= self.mark_all_scalars_precise(start);
                        return changed;
                    }
                }
                if bt.empty() {
                    return changed;
                }
                subseq_idx = Some(i);
                match get_prev_insn_idx(st, i, &mut history) {
                    None => break,
                    Some(p) if p < self.insns.len() => i = p,
                    Some(_) => {
                        changed |= self.mark_all_scalars_precise(start);
                        return changed;
                    }
                }
            }
            let Some(parent) = st.parent else { break };
            let p = &mut self.kept[parent].st;
            for fr in (0..=bt.frame).rev() {
                let Some(func) = p.frame.get_mut(fr) else {
                    bt.reg[fr] = 0;
                    bt.stack[fr] = 0;
                    continue;
                };
                for r in 0..11 {
                    if bt.reg[fr] & (1 << r) == 0 {
                        continue;
                    }
                    let reg = &mut func.regs[r];
                    if !reg.is_scalar() || reg.precise {
                        bt.reg[fr] &= !(1 << r);
                    } else {
                        reg.precise = true;
                        changed = true;
                    }
                }
                for spi in 0..64 {
                    if bt.stack[fr] & (1 << spi) == 0 {
                        continue;
                    }
                    match func.stack.get_mut(spi) {
                        Some(slot) if is_spilled_scalar_reg(slot) => {
                            let Some(reg) = slot.spilled.as_mut() else {
                                continue;
                            };
                            if reg.precise {
                                bt.stack[fr] &= !(1 << spi);
                            } else {
                                reg.precise = true;
                                changed = true;
                            }
                        }
                        Some(_) => bt.stack[fr] &= !(1 << spi),
                        None => {
                            // verifier_bug in the kernel: a slot the parent never had.
                            bt.stack[fr] &= !(1 << spi);
                        }
                    }
                }
            }
            if bt.empty() {
                return changed;
            }
            subseq_idx = Some(first_idx);
            last_idx = p.last_insn_idx;
            first_idx = p.first_insn_idx;
            cur_kept = Some(parent);
        }
        if !bt.empty() {
            changed |= self.mark_all_scalars_precise(start);
        }
        changed
    }

    /// `mark_all_scalars_precise`: every scalar of every checkpoint above `start`.
    pub(super) fn mark_all_scalars_precise(&mut self, start: &VerifierState) -> bool {
        let mut changed = false;
        let mut next = start.parent;
        while let Some(k) = next {
            let st = &mut self.kept[k].st;
            for func in &mut st.frame {
                for reg in func.regs.iter_mut().take(10) {
                    if reg.is_scalar() && !reg.precise {
                        reg.precise = true;
                        changed = true;
                    }
                }
                for slot in &mut func.stack {
                    if !is_spilled_reg(slot) {
                        continue;
                    }
                    if let Some(reg) = slot.spilled.as_mut()
                        && reg.is_scalar()
                        && !reg.precise
                    {
                        reg.precise = true;
                        changed = true;
                    }
                }
            }
            next = st.parent;
        }
        changed
    }

    /// `backtrack_insn`: what instruction `idx` needs precise before it, given what is
    /// needed after it.
    fn backtrack_insn(
        &self,
        idx: usize,
        subseq_idx: Option<usize>,
        hist: Option<JmpHistEntry>,
        bt: &mut Backtrack,
    ) -> Result<(), NotSupp> {
        let Some(insn) = self.insns.get(idx) else {
            return Err(NotSupp);
        };
        if insn.code == 0 {
            return Ok(());
        }
        let stack_flags = hist.map_or(0, |h| h.flags);
        let linked = hist.map_or(0, |h| h.linked_regs);
        bt_sync_linked_regs(bt, linked);
        let r = self.backtrack_insn_inner(idx, subseq_idx, insn, stack_flags, bt);
        if r.is_ok() {
            bt_sync_linked_regs(bt, linked);
        }
        r
    }

    fn backtrack_insn_inner(
        &self,
        idx: usize,
        subseq_idx: Option<usize>,
        insn: &RawInsn,
        stack_flags: u32,
        bt: &mut Backtrack,
    ) -> Result<(), NotSupp> {
        let class = insn.code & 0x07;
        let opcode = insn.code & 0xf0;
        let mode = insn.code & 0xe0;
        let is_x = insn.code & 0x08 != 0;
        let dreg = insn.dst as usize & 15;
        let sreg = insn.src as usize & 15;
        if dreg > 10 || sreg > 10 {
            return Err(NotSupp);
        }
        let stack_slot = |bt: &Backtrack| -> Option<(usize, usize)> {
            let _ = bt;
            (stack_flags & F_STACK_ACCESS != 0).then_some((
                (stack_flags & F_FRAMENO_MASK) as usize,
                ((stack_flags >> F_SPI_SHIFT) & F_SPI_MASK) as usize,
            ))
        };
        const ALU: u8 = 0x04;
        const ALU64: u8 = 0x07;
        const LDX: u8 = 0x01;
        const ST: u8 = 0x02;
        const STX: u8 = 0x03;
        const JMP: u8 = 0x05;
        const JMP32: u8 = 0x06;
        const LD: u8 = 0x00;
        let is_atomic_load = class == STX && mode == 0xc0 && insn.imm == 0x100;
        match class {
            ALU | ALU64 => {
                if !bt.is_reg_set(dreg) {
                    return Ok(());
                }
                if opcode == 0xd0 || opcode == 0x80 {
                    // END, NEG
                    return Ok(());
                } else if opcode == 0xb0 {
                    // MOV
                    bt.clear_reg(dreg);
                    if is_x && sreg != 10 {
                        bt.set_reg(sreg);
                    }
                } else if is_x && sreg != 10 {
                    bt.set_reg(sreg);
                }
            }
            LDX => {
                if !bt.is_reg_set(dreg) {
                    return Ok(());
                }
                bt.clear_reg(dreg);
                if let Some((fr, spi)) = stack_slot(bt) {
                    bt.set_frame_slot(fr, spi);
                }
            }
            _ if is_atomic_load => {
                if !bt.is_reg_set(dreg) {
                    return Ok(());
                }
                bt.clear_reg(dreg);
                if let Some((fr, spi)) = stack_slot(bt) {
                    bt.set_frame_slot(fr, spi);
                }
            }
            STX | ST => {
                if bt.is_reg_set(dreg) {
                    return Err(NotSupp);
                }
                let Some((fr, spi)) = stack_slot(bt) else {
                    return Ok(());
                };
                if !bt.is_frame_slot_set(fr, spi) {
                    return Ok(());
                }
                bt.stack[fr] &= !(1 << spi);
                if class == STX {
                    bt.set_reg(sreg);
                }
            }
            JMP | JMP32 => {
                let is_pseudo_call = insn.code == 0x85 && insn.src == 1;
                if is_pseudo_call {
                    // A static subprogram: leaving the callee backwards.
                    if bt.reg[bt.frame] & !REGMASK_ARGS != 0 || bt.stack[bt.frame] != 0 {
                        return Err(NotSupp);
                    }
                    if bt.frame == 0 {
                        return Err(NotSupp);
                    }
                    for r in 1..=5 {
                        if bt.is_reg_set(r) {
                            bt.clear_reg(r);
                            bt.set_frame_reg(bt.frame - 1, r);
                        }
                    }
                    bt.frame -= 1;
                    return Ok(());
                }
                let calls_cb = |i: usize| self.pre.cfg.aux.get(i).is_some_and(|a| a.calls_callback);
                if opcode == 0x80 && calls_cb(idx) && subseq_idx != Some(idx + 1) {
                    // Back out of a callback into the helper that called it.
                    if bt.reg[bt.frame] & !REGMASK_ARGS != 0 || bt.stack[bt.frame] != 0 {
                        return Err(NotSupp);
                    }
                    for r in 1..=5 {
                        bt.clear_reg(r);
                    }
                    if bt.frame == 0 {
                        return Err(NotSupp);
                    }
                    bt.frame -= 1;
                    return Ok(());
                }
                if opcode == 0x80 {
                    if insn.src == 2 && insn.imm == 0 {
                        return Err(NotSupp);
                    }
                    bt.clear_reg(0);
                    if bt.reg[bt.frame] & REGMASK_ARGS != 0 {
                        return Err(NotSupp);
                    }
                    if insn.src == 0 && insn.imm == 12 && subseq_idx.is_some_and(|s| s != idx + 1) {
                        if bt.frame + 1 >= MAX_CALL_FRAMES {
                            return Err(NotSupp);
                        }
                        bt.frame += 1;
                    }
                } else if opcode == 0x90 {
                    // EXIT: backwards, entering the callee from the caller.
                    if subseq_idx.is_some_and(calls_cb) {
                        for r in 1..=5 {
                            bt.clear_reg(r);
                        }
                    }
                    if bt.reg[bt.frame] & REGMASK_ARGS != 0 {
                        return Err(NotSupp);
                    }
                    let r0_precise = subseq_idx
                        .and_then(|s| s.checked_sub(1))
                        .and_then(|p| self.insns.get(p))
                        .is_some_and(|c| c.code == 0x85 && c.src == 1)
                        && bt.is_reg_set(0);
                    bt.clear_reg(0);
                    if bt.frame + 1 >= MAX_CALL_FRAMES {
                        return Err(NotSupp);
                    }
                    bt.frame += 1;
                    bt.reg[bt.frame] = 0;
                    bt.stack[bt.frame] = 0;
                    if r0_precise {
                        bt.set_reg(0);
                    }
                    return Ok(());
                } else if is_x {
                    if !bt.is_reg_set(dreg) && !bt.is_reg_set(sreg) {
                        return Ok(());
                    }
                    if stack_flags & F_SRC_REG_STACK == 0 {
                        bt.set_reg(sreg);
                    }
                    if stack_flags & F_DST_REG_STACK == 0 {
                        bt.set_reg(dreg);
                    }
                }
            }
            LD => {
                if !bt.is_reg_set(dreg) {
                    return Ok(());
                }
                bt.clear_reg(dreg);
                if mode == 0x20 || mode == 0x40 {
                    return Err(NotSupp);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// One scalar sharing an id at a jump: (frame, register or stack slot, is a register).
pub(super) type LinkedReg = (usize, usize, bool);

/// `LR_MAX_REGS`.
pub(super) const LR_MAX_REGS: usize = 6;

/// `linked_regs_pack`: a count in 3 bits, then 10 bits per entry (frame, index, is_reg).
pub(super) fn linked_regs_pack(regs: &[LinkedReg]) -> u64 {
    let mut v = 0u64;
    for &(fr, i, is_reg) in regs.iter().take(LR_MAX_REGS).rev() {
        v = (v << 10) | ((fr as u64 & 7) | ((i as u64 & 63) << 3) | ((is_reg as u64) << 9));
    }
    (v << 3) | regs.len().min(LR_MAX_REGS) as u64
}

fn linked_regs_unpack(mut v: u64) -> Vec<LinkedReg> {
    let n = (v & 7) as usize;
    v >>= 3;
    (0..n)
        .map(|_| {
            let e = (v & 0x3ff) as usize;
            v >>= 10;
            (e & 7, (e >> 3) & 63, e & (1 << 9) != 0)
        })
        .collect()
}

/// `bt_sync_linked_regs`: if one linked scalar must be precise, all must.
fn bt_sync_linked_regs(bt: &mut Backtrack, packed: u64) {
    if packed == 0 {
        return;
    }
    let regs = linked_regs_unpack(packed);
    let some = regs.iter().any(|&(fr, i, is_reg)| {
        if is_reg {
            fr < MAX_CALL_FRAMES && bt.reg[fr] & (1 << i) != 0
        } else {
            bt.is_frame_slot_set(fr, i)
        }
    });
    if !some {
        return;
    }
    for (fr, i, is_reg) in regs {
        if is_reg {
            bt.set_frame_reg(fr, i);
        } else {
            bt.set_frame_slot(fr, i);
        }
    }
}

/// `propagate_precision`'s request: the precise scalars of the explored state `old` that
/// matched, to be marked in the current state's checkpoints.
pub(super) fn precise_marks(old: &VerifierState) -> Backtrack {
    {
        let mut bt = Backtrack::default();
        for (fr, func) in old.frame.iter().enumerate() {
            for (r, reg) in func.regs.iter().enumerate().take(10) {
                if reg.is_scalar() && reg.precise {
                    bt.set_frame_reg(fr, r);
                }
            }
            for (spi, slot) in func.stack.iter().enumerate() {
                if !is_spilled_reg(slot) {
                    continue;
                }
                if slot.spilled.is_some_and(|r| r.is_scalar() && r.precise) {
                    bt.set_frame_slot(fr, spi);
                }
            }
        }
        bt
    }
}
