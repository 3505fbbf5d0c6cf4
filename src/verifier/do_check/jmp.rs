//! Conditional jumps (`check_cond_jmp_op`): branch decisions (pointers against 0 only for
//! never-NULL types), bounds refinement on both sides and on the scalars linked to them
//! (`sync_linked_regs`), null checks (against an immediate 0, and equality with a
//! non-NULL pointer) and packet ranges.

use super::*;
use crate::verifier::scalar::ScalarBounds;

impl Walker<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_cond_jmp(
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
        } else if matches!(cond, JmpCond::Eq | JmpCond::Ne)
            && ((reg_not_null(&dst_reg) && const_zero(&src_reg, width))
                || (reg_not_null(&src_reg) && const_zero(&dst_reg, width)))
        {
            // is_branch_taken: a pointer that cannot be NULL is not equal to 0.
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
                    sync_linked_regs(&mut other, sn);
                    sync_linked_regs(st, sn);
                }
                sync_linked_regs(&mut other, d);
                sync_linked_regs(st, d);
            }
        } else if width == Width::W64
            && matches!(cond, JmpCond::Eq | JmpCond::Ne)
            && dst_reg.maybe_null
            && src == Source::Imm(0)
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
            infer_not_null(cond, d, sn, &dst_reg, &src_reg, st, &mut other);
        }
        self.push_stack(target, other)?;
        Ok(Next::Goto(idx + 1))
    }

    /// `try_match_pkt_pointers`: `pkt' <op> pkt_end` gives a range in one of the branches.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn match_pkt_pointers(
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
}

/// `reg_not_null`: pointer types that are never NULL once null-checked (of those this
/// slice tells apart; the untracked ones are taken as such).
fn reg_not_null(r: &RegState) -> bool {
    !r.maybe_null && matches!(r.ty, RegType::PtrToMapValue | RegType::Other)
}

/// A scalar whose (32-bit, for `jmp32`) value is known to be 0.
fn const_zero(r: &RegState, width: Width) -> bool {
    r.is_scalar() && r.var.is_const(width) && r.var.const_value(width) == 0
}

/// `rX == rY` where one may be NULL and the other cannot: in the equal branch neither is
/// (the jeq_infer_not_null rule).
fn infer_not_null(
    cond: JmpCond,
    d: usize,
    s: usize,
    dst: &RegState,
    src: &RegState,
    fall: &mut VerifierState,
    taken: &mut VerifierState,
) {
    // Untracked pointers may be BTF pointers, which the rule leaves out.
    if !dst.is_pointer()
        || !src.is_pointer()
        || dst.maybe_null == src.maybe_null
        || dst.ty == RegType::Other
        || src.ty == RegType::Other
    {
        return;
    }
    let eq = match cond {
        JmpCond::Eq => taken,
        JmpCond::Ne => fall,
        _ => return,
    };
    // mark_ptr_not_null_reg: this register only, not the others sharing its id.
    let n = if src.maybe_null { s } else { d };
    eq.cur_mut().regs[n].maybe_null = false;
}

pub(super) fn is_init_pkt(r: &RegState) -> bool {
    r.ty == RegType::PtrToPacket
        && r.off == 0
        && r.var.var_off.is_const()
        && r.var.var_off.value == 0
}

/// `sync_linked_regs`: the scalars sharing register `r`'s id (copies made by `rX = rY`
/// and spills) learn what the branch taught `r`.
pub(super) fn sync_linked_regs(st: &mut VerifierState, r: usize) {
    use super::alu::BPF_ADD_CONST;
    let known = st.cur().regs[r];
    if !known.is_scalar() || known.id == 0 {
        return;
    }
    let base = known.id & !BPF_ADD_CONST;
    for_each_reg(st, |reg| {
        if !reg.is_scalar() || reg.id & !BPF_ADD_CONST != base {
            return;
        }
        let plain = reg.id & BPF_ADD_CONST == 0 && known.id & BPF_ADD_CONST == 0;
        if plain || reg.off == known.off {
            *reg = known;
        } else {
            // reg = known + (reg.off - known.off), keeping reg's own id and delta.
            let (id, off) = (reg.id, reg.off);
            let delta = (off as i64 - known.off as i64) as u64;
            *reg = known;
            reg.id = id;
            reg.off = off;
            let _ = adjust_scalar_min_max_vals(
                &mut reg.var,
                AluOp::Add,
                &ScalarBounds::known(delta),
                Width::W64,
            );
        }
    });
}

/// `mark_ptr_or_null_regs`: registers sharing `id` become NULL (a zero scalar) or lose
/// `PTR_MAYBE_NULL`.
pub(super) fn mark_ptr_or_null(st: &mut VerifierState, id: u32, is_null: bool) {
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
pub(super) fn find_good_pkt_pointers(st: &mut VerifierState, dst: &RegState, right_open: bool) {
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
