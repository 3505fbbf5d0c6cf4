//! Conditional jumps (`check_cond_jmp_op`): branch decisions (pointers against 0 only for
//! never-NULL types), bounds refinement on both sides and on the scalars linked to them
//! (`sync_linked_regs`), null checks (against an immediate 0, and equality with a
//! non-NULL pointer) and packet ranges.

use super::*;

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

        let mut flags = 0;
        if src_reg.ty == RegType::PtrToStack && s.is_some() {
            flags |= super::backtrack::F_SRC_REG_STACK;
        }
        if dst_reg.ty == RegType::PtrToStack {
            flags |= super::backtrack::F_DST_REG_STACK;
        }
        if flags != 0 {
            self.push_jmp_history(st, flags);
        }

        // Decide what can be decided.
        let decided = if dst_reg.is_scalar() && src_reg.is_scalar() {
            is_branch_taken(&dst_reg.var, &src_reg.var, cond, width)
        } else if matches!(cond, JmpCond::Eq | JmpCond::Ne)
            && ((reg_not_null(&dst_reg) && const_zero(&src_reg, width))
                || (reg_not_null(&src_reg) && const_zero(&dst_reg, width)))
        {
            // is_branch_taken: a pointer that cannot be NULL is not equal to 0.
            Some(cond == JmpCond::Ne)
        } else if width == Width::W64 && is_pkt_any(&dst_reg) && is_pkt_any(&src_reg) {
            is_pkt_ptr_branch_taken(&dst_reg, &src_reg, cond)
        } else {
            None
        };
        if decided.is_some() {
            if !dst_reg.is_pointer() {
                self.mark_chain_precision(st, d);
            }
            if let Some(sn) = s
                && !src_reg.is_pointer()
            {
                self.mark_chain_precision(st, sn);
            }
        }
        match decided {
            Some(true) => return Ok(Next::Goto(target)),
            Some(false) => return Ok(Next::Goto(idx + 1)),
            None => {}
        }

        // Scalars sharing an id with an operand learn the same bounds; record them for
        // backtracking before the branch copies the history.
        let mut linked = Vec::new();
        if let Some(sn) = s
            && src_reg.is_scalar()
            && src_reg.id != 0
        {
            let _ = sn;
            collect_linked_regs(st, src_reg.id, &mut linked);
        }
        if dst_reg.is_scalar() && dst_reg.id != 0 {
            collect_linked_regs(st, dst_reg.id, &mut linked);
        }
        if linked.len() > 1 {
            self.push_jmp_history_linked(st, 0, super::backtrack::linked_regs_pack(&linked));
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
            if let Some(sn) = s
                && src_reg.id != 0
            {
                sync_linked_regs(st, sn, &linked);
                sync_linked_regs(&mut other, sn, &linked);
            }
            if dst_reg.id != 0 {
                sync_linked_regs(st, d, &linked);
                sync_linked_regs(&mut other, d, &linked);
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
            if dst_reg.is_pointer()
                && src_reg.is_pointer()
                && dst_reg.maybe_null != src_reg.maybe_null
                && dst_reg.ty != RegType::Other
                && src_reg.ty != RegType::Other
                && matches!(cond, JmpCond::Eq | JmpCond::Ne)
            {
                // Equal to a pointer that is not NULL: not NULL either.
                let eq = if cond == JmpCond::Eq {
                    &mut other
                } else {
                    &mut *st
                };
                let n = if src_reg.maybe_null { sn } else { d };
                eq.cur_mut().regs[n].mark_not_null();
            }
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
        d: usize,
        s: usize,
        dst: &RegState,
        src: &RegState,
        fall: &mut VerifierState,
        taken: &mut VerifierState,
    ) {
        let pkt_vs_end = (dst.ty == RegType::PtrToPacket && src.ty == RegType::PtrToPacketEnd)
            || (dst.ty == RegType::PtrToPacketMeta && is_init_pkt(src));
        let end_vs_pkt = (dst.ty == RegType::PtrToPacketEnd && src.ty == RegType::PtrToPacket)
            || (is_init_pkt(dst) && src.ty == RegType::PtrToPacketMeta);
        // find_good_pkt_pointers where the pointer is within the packet, mark_pkt_end where
        // it is (at or) beyond its end.
        match (cond, pkt_vs_end, end_vs_pkt) {
            (JmpCond::Gt, true, _) => {
                find_good_pkt_pointers(fall, dst, false);
                mark_pkt_end(taken, d, true);
            }
            (JmpCond::Gt, _, true) => {
                find_good_pkt_pointers(taken, src, true);
                mark_pkt_end(fall, s, false);
            }
            (JmpCond::Lt, true, _) => {
                find_good_pkt_pointers(taken, dst, true);
                mark_pkt_end(fall, d, false);
            }
            (JmpCond::Lt, _, true) => {
                find_good_pkt_pointers(fall, src, false);
                mark_pkt_end(taken, s, true);
            }
            (JmpCond::Ge, true, _) => {
                find_good_pkt_pointers(fall, dst, true);
                mark_pkt_end(taken, d, false);
            }
            (JmpCond::Ge, _, true) => {
                find_good_pkt_pointers(taken, src, false);
                mark_pkt_end(fall, s, true);
            }
            (JmpCond::Le, true, _) => {
                find_good_pkt_pointers(taken, dst, false);
                mark_pkt_end(fall, d, true);
            }
            (JmpCond::Le, _, true) => {
                find_good_pkt_pointers(fall, src, true);
                mark_pkt_end(taken, s, false);
            }
            _ => {}
        }
    }
}

/// `reg_not_null`: pointer types that are never NULL once null-checked (of those this
/// slice tells apart; the untracked ones are taken as such). Stack, context and packet
/// pointers are not among them.
fn reg_not_null(r: &RegState) -> bool {
    !r.maybe_null
        && matches!(
            r.ty,
            RegType::PtrToMapValue
                | RegType::PtrToMapKey
                | RegType::PtrToSocket
                | RegType::PtrToSockCommon
                | RegType::PtrToTcpSock
                | RegType::PtrToMem
                | RegType::ConstPtrToMap
                | RegType::Other
        )
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

/// `collect_linked_regs`: every scalar register and spilled scalar with base id `id`,
/// innermost frame first; past [`LR_MAX_REGS`](super::backtrack::LR_MAX_REGS) they lose
/// the id.
fn collect_linked_regs(
    st: &mut VerifierState,
    id: u32,
    out: &mut Vec<super::backtrack::LinkedReg>,
) {
    use super::alu::BPF_ADD_CONST;
    use super::backtrack::LR_MAX_REGS;
    let id = id & !BPF_ADD_CONST;
    let mut push = |r: &mut RegState, e: super::backtrack::LinkedReg| {
        if !r.is_scalar() || r.id & !BPF_ADD_CONST != id {
            return;
        }
        if out.len() < LR_MAX_REGS {
            out.push(e);
        } else {
            r.id = 0;
        }
    };
    for fr in (0..st.frame.len()).rev() {
        let func = &mut st.frame[fr];
        for (i, r) in func.regs.iter_mut().enumerate().take(10) {
            push(r, (fr, i, true));
        }
        for (spi, slot) in func.stack.iter_mut().enumerate() {
            if !super::equiv::is_spilled_reg(slot) {
                continue;
            }
            if let Some(r) = slot.spilled.as_mut() {
                push(r, (fr, spi, false));
            }
        }
    }
}

/// `sync_linked_regs`: the registers linked to `known` (of the innermost frame) take its
/// bounds, shifted by their constant distance.
fn sync_linked_regs(st: &mut VerifierState, known: usize, linked: &[super::backtrack::LinkedReg]) {
    use super::alu::BPF_ADD_CONST;
    let cur = st.frame.len() - 1;
    let known_reg = st.frame[cur].regs[known];
    for &(fr, i, is_reg) in linked {
        if is_reg && fr == cur && i == known {
            continue;
        }
        let Some(func) = st.frame.get_mut(fr) else {
            continue;
        };
        let reg = if is_reg {
            func.regs.get_mut(i)
        } else {
            func.stack.get_mut(i).and_then(|s| s.spilled.as_mut())
        };
        let Some(reg) = reg else { continue };
        if !reg.is_scalar() || (reg.id & !BPF_ADD_CONST) != (known_reg.id & !BPF_ADD_CONST) {
            continue;
        }
        let flags = (reg.id | known_reg.id) & BPF_ADD_CONST;
        if flags == 0 || reg.off == known_reg.off {
            *reg = known_reg;
        } else {
            let delta = reg.off.wrapping_sub(known_reg.off);
            let saved_off = reg.off;
            *reg = known_reg;
            reg.off = saved_off;
            let k = RegState::known(delta as i64 as u64);
            let _ = adjust_scalar_min_max_vals(&mut reg.var, AluOp::Add, &k.var, Width::W64);
        }
    }
}

/// `AT_PKT_END` / `BEYOND_PKT_END`: packet pointer ranges meaning "at" and "past" the
/// packet's end.
const AT_PKT_END: i32 = -1;
const BEYOND_PKT_END: i32 = -2;

/// `reg_is_pkt_pointer_any`.
fn is_pkt_any(r: &RegState) -> bool {
    r.is_pkt_pointer() || r.ty == RegType::PtrToPacketEnd
}

/// `mark_pkt_end`: in this branch the packet pointer in register `regn` is at (`>=`) or
/// beyond (`>`) the packet's end.
fn mark_pkt_end(st: &mut VerifierState, regn: usize, range_open: bool) {
    let r = &mut st.cur_mut().regs[regn];
    if r.ty != RegType::PtrToPacket {
        return;
    }
    r.range = if range_open {
        BEYOND_PKT_END
    } else {
        AT_PKT_END
    };
}

/// `is_pkt_ptr_branch_taken`: a pointer known to be at or past the end decides a later
/// comparison with `pkt_end`.
fn is_pkt_ptr_branch_taken(dst: &RegState, src: &RegState, cond: JmpCond) -> Option<bool> {
    let (pkt, cond) = if src.ty == RegType::PtrToPacketEnd {
        (dst, cond)
    } else if dst.ty == RegType::PtrToPacketEnd {
        let flipped = match cond {
            JmpCond::Gt => JmpCond::Lt,
            JmpCond::Lt => JmpCond::Gt,
            JmpCond::Ge => JmpCond::Le,
            JmpCond::Le => JmpCond::Ge,
            c => c,
        };
        (src, flipped)
    } else {
        return None;
    };
    if pkt.range >= 0 {
        return None;
    }
    match cond {
        JmpCond::Le | JmpCond::Gt if pkt.range == BEYOND_PKT_END => Some(cond == JmpCond::Gt),
        JmpCond::Lt | JmpCond::Ge if pkt.range == BEYOND_PKT_END || pkt.range == AT_PKT_END => {
            Some(cond == JmpCond::Ge)
        }
        _ => None,
    }
}

pub(super) fn is_init_pkt(r: &RegState) -> bool {
    r.ty == RegType::PtrToPacket
        && r.off == 0
        && r.var.var_off.is_const()
        && r.var.var_off.value == 0
}

/// `mark_ptr_or_null_regs`: registers sharing `id` become NULL (a zero scalar) or lose
/// `PTR_MAYBE_NULL`.
pub(super) fn mark_ptr_or_null(st: &mut VerifierState, id: u32, is_null: bool) {
    if id == 0 {
        return;
    }
    if is_null {
        // A NULL pointer holds no reference.
        st.refs.retain(|r| r.id != id);
    }
    for_each_reg(st, |r| {
        if r.maybe_null && r.id == id {
            if is_null {
                *r = RegState::known(0);
            } else {
                r.mark_not_null();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(range: i32) -> RegState {
        RegState {
            range,
            ..RegState::pointer(RegType::PtrToPacket)
        }
    }

    #[test]
    fn a_pointer_past_the_packet_end_decides_later_comparisons() {
        let end = RegState::pointer(RegType::PtrToPacketEnd);
        assert_eq!(
            is_pkt_ptr_branch_taken(&pkt(BEYOND_PKT_END), &end, JmpCond::Gt),
            Some(true)
        );
        assert_eq!(
            is_pkt_ptr_branch_taken(&pkt(BEYOND_PKT_END), &end, JmpCond::Le),
            Some(false)
        );
        assert_eq!(
            is_pkt_ptr_branch_taken(&end, &pkt(AT_PKT_END), JmpCond::Le),
            Some(true)
        );
        assert_eq!(
            is_pkt_ptr_branch_taken(&pkt(AT_PKT_END), &end, JmpCond::Gt),
            None
        );
        assert_eq!(is_pkt_ptr_branch_taken(&pkt(14), &end, JmpCond::Gt), None);
    }

    #[test]
    fn the_branch_past_the_end_marks_the_pointer() {
        let mut st = VerifierState::initial();
        st.cur_mut().regs[3] = pkt(0);
        mark_pkt_end(&mut st, 3, true);
        assert_eq!(st.cur().regs[3].range, BEYOND_PKT_END);
        mark_pkt_end(&mut st, 3, false);
        assert_eq!(st.cur().regs[3].range, AT_PKT_END);
    }
}
