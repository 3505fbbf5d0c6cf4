//! State equivalence for pruning (`states_equal`, `func_states_equal`, `regsafe`,
//! `stacksafe`, `check_ids`): whether an explored state (`old`) that is known to lead only
//! to safe exits covers the current one, in the kernel's three modes:
//! - [`Exact::NotExact`]: old imprecise scalars and dead registers match anything;
//! - [`Exact::RangeWithin`]: like `NotExact`, but every scalar is compared by range (used
//!   where precision marks may still be incomplete: loops);
//! - [`Exact::Exact`]: everything equal up to id renaming (infinite-loop detection).
//!
//! Only the registers live before the instruction ([`RegMask`]) are compared; the stack is
//! compared as the kernel does it byte by byte, with a 64-bit spilled scalar and an all-MISC
//! slot both read as a scalar.

use crate::verifier::liveness::RegMask;
use crate::verifier::state::{
    BPF_REG_SIZE, FuncState, RegState, RegType, SlotType, StackSlot, VerifierState,
};
use crate::verifier::tnum::Tnum;

/// How strictly [`states_equal`] compares (`enum exact_level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exact {
    /// `NOT_EXACT`.
    NotExact,
    /// `EXACT`.
    Exact,
    /// `RANGE_WITHIN`.
    RangeWithin,
}

/// `BPF_ID_MAP_SIZE`: registers and stack slots of one frame.
const ID_MAP_SIZE: usize = 11 + 512 / BPF_REG_SIZE;

/// `struct bpf_idmap`: old id to current id, built as the comparison goes.
pub struct IdMap {
    map: Vec<(u32, u32)>,
    tmp_id_gen: u32,
}

impl IdMap {
    /// An empty map whose temporary ids start above `id_gen` (`reset_idmap_scratch`).
    pub fn new(id_gen: u32) -> Self {
        IdMap {
            map: Vec::with_capacity(8),
            tmp_id_gen: id_gen,
        }
    }

    /// `check_ids`.
    pub fn check_ids(&mut self, old: u32, cur: u32) -> bool {
        if (old == 0) != (cur == 0) {
            return false;
        }
        if old == 0 {
            return true;
        }
        for &(o, c) in &self.map {
            if o == old {
                return c == cur;
            }
            if c == cur {
                return false;
            }
        }
        if self.map.len() >= ID_MAP_SIZE * 8 {
            return false;
        }
        self.map.push((old, cur));
        true
    }

    /// `check_scalar_ids`: a zero id stands for a fresh one.
    pub fn check_scalar_ids(&mut self, old: u32, cur: u32) -> bool {
        let old = if old == 0 {
            self.tmp_id_gen += 1;
            self.tmp_id_gen
        } else {
            old
        };
        let cur = if cur == 0 {
            self.tmp_id_gen += 1;
            self.tmp_id_gen
        } else {
            cur
        };
        self.check_ids(old, cur)
    }
}

/// What the comparison needs from the walk.
pub struct EquivCx<'a> {
    /// Registers live before each instruction.
    pub live_regs: &'a [RegMask],
    /// `env->allow_uninit_stack`.
    pub allow_uninit_stack: bool,
}

/// `range_within` plus `tnum_in`.
pub fn range_within(old: &RegState, cur: &RegState) -> bool {
    let (o, c) = (&old.var, &cur.var);
    o.umin_value <= c.umin_value
        && o.umax_value >= c.umax_value
        && o.smin_value <= c.smin_value
        && o.smax_value >= c.smax_value
        && o.u32_min_value <= c.u32_min_value
        && o.u32_max_value >= c.u32_max_value
        && o.s32_min_value <= c.s32_min_value
        && o.s32_max_value >= c.s32_max_value
}

/// `tnum_in(a, b)`: every value of `b` is one of `a`.
pub fn tnum_in(a: Tnum, b: Tnum) -> bool {
    if b.mask & !a.mask != 0 {
        return false;
    }
    (b.value & !a.mask) == a.value
}

/// The part of a register `memcmp(.., offsetof(id))` sees: type, flags, offset, the
/// type-specific union and the value.
fn same_up_to_id(o: &RegState, c: &RegState) -> bool {
    o.ty == c.ty
        && o.maybe_null == c.maybe_null
        && o.off == c.off
        && o.range == c.range
        && o.map == c.map
        && o.var == c.var
}

/// `regs_exact`.
fn regs_exact(o: &RegState, c: &RegState, idmap: &mut IdMap) -> bool {
    same_up_to_id(o, c) && idmap.check_ids(o.id, c.id)
}

/// `regsafe`: `old` safe implies `cur` safe.
pub fn regsafe(o: &RegState, c: &RegState, idmap: &mut IdMap, exact: Exact) -> bool {
    if exact == Exact::Exact {
        return regs_exact(o, c, idmap);
    }
    if o.ty == RegType::NotInit && (exact == Exact::NotExact || c.ty == RegType::NotInit) {
        return true;
    }
    if o.ty != c.ty || o.maybe_null != c.maybe_null {
        return false;
    }
    match o.ty {
        RegType::Scalar => {
            if !o.precise && exact == Exact::NotExact {
                return true;
            }
            let add_const = super::alu::BPF_ADD_CONST;
            if (o.id & add_const) != (c.id & add_const) || (o.id & add_const != 0 && o.off != c.off)
            {
                return false;
            }
            range_within(o, c)
                && tnum_in(o.var.var_off, c.var.var_off)
                && idmap.check_scalar_ids(o.id, c.id)
        }
        RegType::PtrToMapValue => {
            o.off == c.off
                && o.map == c.map
                && o.range == c.range
                && range_within(o, c)
                && tnum_in(o.var.var_off, c.var.var_off)
                && idmap.check_ids(o.id, c.id)
        }
        RegType::PtrToPacket | RegType::PtrToPacketMeta => {
            o.range <= c.range
                && o.off == c.off
                && idmap.check_ids(o.id, c.id)
                && range_within(o, c)
                && tnum_in(o.var.var_off, c.var.var_off)
        }
        RegType::PtrToStack => regs_exact(o, c, idmap) && o.frameno == c.frameno,
        _ => regs_exact(o, c, idmap),
    }
}

/// The kernel's `slot_type[k]` of a slot: its byte `k` counts down from the slot's top
/// (`fp-1` of slot 0 is `k = 0`), where [`StackSlot::slot_type`] counts up.
fn ktype(s: &StackSlot, k: usize) -> SlotType {
    s.slot_type[BPF_REG_SIZE - 1 - k]
}

/// `is_spilled_reg`.
pub fn is_spilled_reg(s: &StackSlot) -> bool {
    ktype(s, BPF_REG_SIZE - 1) == SlotType::Spill
}

/// `is_spilled_scalar_reg`.
pub fn is_spilled_scalar_reg(s: &StackSlot) -> bool {
    is_spilled_reg(s) && s.spilled.is_some_and(|r| r.ty == RegType::Scalar)
}

fn is_spilled_scalar_reg64(s: &StackSlot) -> bool {
    ktype(s, 0) == SlotType::Spill && is_spilled_scalar_reg(s)
}

fn is_stack_all_misc(cx: &EquivCx<'_>, s: &StackSlot) -> bool {
    s.slot_type
        .iter()
        .all(|&t| t == SlotType::Misc || (t == SlotType::Invalid && cx.allow_uninit_stack))
}

/// `scalar_reg_for_stack`: a 64-bit spilled scalar, or an unbound imprecise scalar for an
/// all-MISC slot.
fn scalar_reg_for_stack(cx: &EquivCx<'_>, s: &StackSlot) -> Option<RegState> {
    if is_spilled_scalar_reg64(s) {
        return s.spilled;
    }
    if is_stack_all_misc(cx, s) {
        return Some(RegState::unknown());
    }
    None
}

/// `stacksafe`.
pub fn stacksafe(
    cx: &EquivCx<'_>,
    old: &FuncState,
    cur: &FuncState,
    idmap: &mut IdMap,
    exact: Exact,
) -> bool {
    let empty = StackSlot::default();
    let old_bytes = old.stack.len() * BPF_REG_SIZE;
    let cur_bytes = cur.stack.len() * BPF_REG_SIZE;
    let mut i = 0;
    while i < old_bytes {
        let spi = i / BPF_REG_SIZE;
        let k = i % BPF_REG_SIZE;
        let os = &old.stack[spi];
        if k == 0
            && exact == Exact::NotExact
            && os
                .slot_type
                .iter()
                .all(|&t| t == SlotType::Invalid || (cx.allow_uninit_stack && t == SlotType::Misc))
        {
            // Every byte of this old slot matches anything.
            i += BPF_REG_SIZE;
            continue;
        }
        let cs = cur.stack.get(spi).unwrap_or(&empty);
        let ot = ktype(os, k);
        let ct = ktype(cs, k);
        if exact != Exact::NotExact && (i >= cur_bytes || ot != ct) {
            return false;
        }
        if ot == SlotType::Invalid || (cx.allow_uninit_stack && ot == SlotType::Misc) {
            i += 1;
            continue;
        }
        if i >= cur_bytes {
            return false;
        }
        if let (Some(or), Some(cr)) = (scalar_reg_for_stack(cx, os), scalar_reg_for_stack(cx, cs)) {
            if !regsafe(&or, &cr, idmap, exact) {
                return false;
            }
            i += BPF_REG_SIZE;
            continue;
        }
        if ot == SlotType::Misc && ct == SlotType::Zero {
            i += 1;
            continue;
        }
        if ot != ct {
            return false;
        }
        if k == BPF_REG_SIZE - 1 && ot == SlotType::Spill {
            let unbound = RegState::not_init();
            let or = os.spilled.unwrap_or(unbound);
            let cr = cs.spilled.unwrap_or(unbound);
            if !regsafe(&or, &cr, idmap, exact) {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// The instruction frame `i` of `st` is at: the state's own for the innermost frame, the
/// call instruction for the others (`frame_insn_idx`).
pub fn frame_insn_idx(st: &VerifierState, i: usize) -> usize {
    if i + 1 == st.frame.len() {
        st.insn_idx
    } else {
        st.frame[i + 1].callsite.saturating_sub(1)
    }
}

/// `func_states_equal`.
fn func_states_equal(
    cx: &EquivCx<'_>,
    old: &FuncState,
    cur: &FuncState,
    insn_idx: usize,
    idmap: &mut IdMap,
    exact: Exact,
) -> bool {
    let live = cx.live_regs.get(insn_idx).copied().unwrap_or(RegMask::MAX);
    for i in 0..old.regs.len() {
        if live & (1 << i) != 0 && !regsafe(&old.regs[i], &cur.regs[i], idmap, exact) {
            return false;
        }
    }
    stacksafe(cx, old, cur, idmap, exact)
}

/// `states_equal`: `old` (explored) covers `cur`.
pub fn states_equal(
    cx: &EquivCx<'_>,
    old: &VerifierState,
    cur: &VerifierState,
    id_gen: u32,
    exact: Exact,
) -> bool {
    if old.frame.len() != cur.frame.len() {
        return false;
    }
    let mut idmap = IdMap::new(id_gen);
    if !refsafe(old, cur, &mut idmap) {
        return false;
    }
    for i in 0..old.frame.len() {
        if old.frame[i].callsite != cur.frame[i].callsite {
            return false;
        }
        let at = frame_insn_idx(old, i);
        if !func_states_equal(cx, &old.frame[i], &cur.frame[i], at, &mut idmap, exact) {
            return false;
        }
    }
    true
}

/// `refsafe`: the same references held (ids matched up to renaming) and the same
/// `bpf_spin_lock` (same map, matching ids).
fn refsafe(old: &VerifierState, cur: &VerifierState, idmap: &mut IdMap) -> bool {
    if old.refs.len() != cur.refs.len() {
        return false;
    }
    match (old.active_lock, cur.active_lock) {
        (None, None) => {}
        (Some((om, oid)), Some((cm, cid))) => {
            if om != cm || !idmap.check_ids(oid, cid) {
                return false;
            }
        }
        _ => return false,
    }
    old.refs
        .iter()
        .zip(&cur.refs)
        .all(|(o, c)| idmap.check_ids(o.id, c.id))
}

/// `maybe_widen_reg`: an imprecise scalar that differs from the one of the state the loop
/// came around from forgets its value.
fn maybe_widen_reg(o: &RegState, c: &mut RegState, idmap: &mut IdMap) {
    if o.ty != RegType::Scalar || c.ty != RegType::Scalar {
        return;
    }
    if o.precise || c.precise || regs_exact(o, c, idmap) {
        return;
    }
    *c = RegState {
        untracked: c.untracked,
        ..RegState::unknown()
    };
}

/// `widen_imprecise_scalars`: the next iteration of a loop (a `may_goto`, a callback run
/// again) keeps only the scalars it must, so that its states converge.
pub fn widen_imprecise_scalars(old: &VerifierState, cur: &mut VerifierState, id_gen: u32) {
    let mut idmap = IdMap::new(id_gen);
    for fr in (0..old.frame.len().min(cur.frame.len())).rev() {
        let (fo, fc) = (&old.frame[fr], &mut cur.frame[fr]);
        for (o, c) in fo.regs.iter().zip(fc.regs.iter_mut()) {
            maybe_widen_reg(o, c, &mut idmap);
        }
        for (so, sc) in fo.stack.iter().zip(fc.stack.iter_mut()) {
            if !is_spilled_reg(so) || !is_spilled_reg(sc) {
                continue;
            }
            if let (Some(o), Some(c)) = (so.spilled.as_ref(), sc.spilled.as_mut()) {
                maybe_widen_reg(o, c, &mut idmap);
            }
        }
    }
}

/// `states_maybe_looping`: the innermost frames' registers are byte-for-byte equal (up to
/// `frameno`, so ids count).
pub fn states_maybe_looping(old: &VerifierState, cur: &VerifierState) -> bool {
    if old.frame.len() != cur.frame.len() {
        return false;
    }
    let (o, c) = (old.cur(), cur.cur());
    o.regs
        .iter()
        .zip(c.regs.iter())
        .all(|(a, b)| same_up_to_id(a, b) && a.id == b.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(live: &[RegMask]) -> EquivCx<'_> {
        EquivCx {
            live_regs: live,
            allow_uninit_stack: true,
        }
    }

    #[test]
    fn imprecise_old_scalars_match_any_scalar_but_precise_ones_need_the_range() {
        let mut idmap = IdMap::new(0);
        let old = RegState::known(1);
        let cur = RegState::known(2);
        assert!(regsafe(&old, &cur, &mut idmap, Exact::NotExact));
        assert!(!regsafe(&old, &cur, &mut idmap, Exact::RangeWithin));
        let precise = RegState {
            precise: true,
            ..old
        };
        assert!(!regsafe(&precise, &cur, &mut idmap, Exact::NotExact));
        assert!(!regsafe(
            &old,
            &RegState::pointer(RegType::PtrToCtx),
            &mut idmap,
            Exact::NotExact
        ));
    }

    #[test]
    fn ids_must_map_one_to_one() {
        let mut m = IdMap::new(100);
        assert!(m.check_ids(1, 7));
        assert!(m.check_ids(1, 7));
        assert!(!m.check_ids(1, 8));
        assert!(!m.check_ids(2, 7));
        assert!(!m.check_ids(0, 7));
        assert!(m.check_scalar_ids(0, 0));
    }

    #[test]
    fn dead_registers_are_not_compared() {
        let live = [0b1u16, 0];
        let mut old = VerifierState::initial();
        let mut cur = VerifierState::initial();
        old.frame[0].regs[2] = RegState::pointer(RegType::PtrToCtx);
        cur.frame[0].regs[2] = RegState::known(3);
        // R1 (ctx in both) and R2 differ in type, but only R0 is live at insn 0.
        assert!(states_equal(&cx(&live), &old, &cur, 0, Exact::NotExact));
        let all = [RegMask::MAX];
        assert!(!states_equal(&cx(&all), &old, &cur, 0, Exact::NotExact));
    }

    #[test]
    fn misc_stack_in_the_old_state_covers_zero_but_not_the_reverse() {
        let live = [0u16];
        let c = EquivCx {
            live_regs: &live,
            allow_uninit_stack: false,
        };
        let mut old = VerifierState::initial();
        let mut cur = VerifierState::initial();
        old.frame[0].slot_mut(-8).slot_type = [SlotType::Misc; 8];
        cur.frame[0].slot_mut(-8).slot_type = [SlotType::Zero; 8];
        assert!(states_equal(&c, &old, &cur, 0, Exact::NotExact));
        assert!(!states_equal(&c, &cur, &old, 0, Exact::NotExact));
    }
}
