//! ALU instructions (`check_alu_op`, `adjust_ptr_min_max_vals`): scalars through
//! [`ScalarBounds`](crate::verifier::scalar::ScalarBounds), the scalar ids that link copies
//! (`assign_scalar_id_before_mov`, `BPF_ADD_CONST`), and the kernel's pointer-arithmetic
//! rules (`check_reg_sane_offset`, no subtraction from the frame pointer).

use super::*;

impl Walker<'_> {
    pub(super) fn check_alu(
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
            if let (AluOp::Lsh | AluOp::Rsh | AluOp::Arsh, Source::Imm(imm)) = (op, src) {
                let size = if width == Width::W64 { 64 } else { 32 };
                if !(0..size).contains(&imm) {
                    return Err((Errno::Inval, format!("invalid shift {imm}")));
                }
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
                v.untracked = src_reg.untracked && op == AluOp::Mov && width == Width::W64;
                if let Source::Reg(r) = src {
                    // Linked scalars: a copy shares the source's id (and precision),
                    // unless the copy changes the value (a wide value cut to 32 bits, a
                    // sign extension that extends).
                    let links = match (op, width) {
                        (AluOp::Mov, Width::W64) => true,
                        (AluOp::Mov, Width::W32) => reg_width(&src_reg) <= 32,
                        (AluOp::MovSx(bits), _) => {
                            src_reg.var.umax_value < 1u64 << (u32::from(bits) - 1).min(63)
                        }
                        _ => false,
                    };
                    let sr = r.index() as usize;
                    if links && self.env.bpf_capable {
                        assign_scalar_id_before_mov(&mut st.cur_mut().regs[sr], &mut self.id_gen);
                    }
                    let linked = st.cur().regs[sr];
                    v.precise = linked.precise;
                    v.off = linked.off;
                    v.id = if links { linked.id } else { 0 };
                }
                v
            } else if op == AluOp::Mov && width == Width::W64 {
                src_reg
            } else {
                RegState::unknown()
            };
            st.cur_mut().regs[d] = v;
            return Ok(());
        }
        // Precision: a scalar added to a pointer, and the source of a precise scalar.
        if let Source::Reg(r) = src {
            let sr = r.index() as usize;
            match (dst_reg.is_scalar(), src_reg.is_scalar()) {
                (false, true) => self.mark_chain_precision(st, sr),
                (true, false) => self.mark_chain_precision(st, d),
                (true, true) if dst_reg.precise => self.mark_chain_precision(st, sr),
                _ => {}
            }
        }
        match (dst_reg.is_scalar(), src_reg.is_scalar()) {
            (true, true) => {
                let mut v = dst_reg;
                if let Some(fork) = adjust_scalar_min_max_vals(&mut v.var, op, &src_reg.var, width)
                {
                    // maybe_fork_scalars: the other value runs this instruction again.
                    let mut other = st.clone();
                    other.cur_mut().regs[d].var = fork.dst_before;
                    self.push_stack(self.insn_idx, other)?;
                }
                // `r1 = r2; r1 += K` keeps r1 linked to r2 at a known distance.
                let k = src_reg.var.var_off;
                if self.env.bpf_capable
                    && op == AluOp::Add
                    && width == Width::W64
                    && dst_reg.id != 0
                    && k.is_const()
                {
                    if dst_reg.id & BPF_ADD_CONST != 0 || k.value > i32::MAX as u64 {
                        v.off = 0;
                        v.id = 0;
                    } else {
                        v.id |= BPF_ADD_CONST;
                        v.off = k.value as i32;
                    }
                } else {
                    // A cleared id takes its delta along: a stale one would reach the next
                    // id this register gets (assign_scalar_id_before_mov).
                    v.id = 0;
                    v.off = 0;
                }
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
    pub(super) fn adjust_ptr(
        &mut self,
        dst: usize,
        ptr: RegState,
        off_reg: RegState,
        op: AluOp,
        width: Width,
        ptr_is_dst: bool,
    ) -> Res<RegState> {
        let o = &off_reg.var;
        let known = o.var_off.is_const();
        if (known && (o.smin_value != o.smax_value || o.umin_value != o.umax_value))
            || o.smin_value > o.smax_value
            || o.umin_value > o.umax_value
        {
            // Bounds from a dead branch: the result is tainted.
            return Ok(RegState::unknown());
        }
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
        let val = o.smin_value;
        let ok = match ptr.ty {
            RegType::PtrToCtx
            | RegType::PtrToMapValue
            | RegType::PtrToStack
            | RegType::PtrToPacket
            | RegType::PtrToPacketMeta
            | RegType::PtrToMapKey
            | RegType::PtrToMem
            | RegType::PtrToFunc
            | RegType::PtrToTpBuffer
            | RegType::Other => true,
            RegType::PtrToFlowKeys if known => true,
            RegType::ConstPtrToMap | RegType::PtrToFlowKeys => {
                known && val == 0 && op == AluOp::Add
            }
            _ => false,
        };
        if !ok {
            return acces(format!(
                "R{dst} pointer arithmetic on {} prohibited",
                ptr.type_str()
            ));
        }
        check_reg_sane_offset(&off_reg, &ptr)?;
        check_reg_sane_offset(&ptr, &ptr)?;
        let mut r = ptr;
        match op {
            AluOp::Add | AluOp::Sub => {
                if op == AluOp::Sub && !ptr_is_dst {
                    return acces(format!("R{dst} tried to subtract pointer from scalar"));
                }
                if op == AluOp::Sub && ptr.ty == RegType::PtrToStack {
                    return acces(format!("R{dst} subtraction from stack pointer prohibited"));
                }
                let fixed = if op == AluOp::Add {
                    ptr.off as i64 + val
                } else {
                    (ptr.off as i64).wrapping_sub(val)
                };
                if known && fixed == fixed as i32 as i64 {
                    // ptr +/-= K: into the fixed offset.
                    r.off = fixed as i32;
                } else {
                    let _ = adjust_scalar_min_max_vals(&mut r.var, op, &off_reg.var, width);
                    r.var.mark_unbounded32();
                    r.var.reg_bounds_sync();
                    if r.is_pkt_pointer() {
                        self.id_gen += 1;
                        r.id = self.id_gen;
                        if op == AluOp::Add || o.smin_value < 0 {
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
        check_reg_sane_offset(&r, &ptr)?;
        Ok(r)
    }
}

/// `BPF_ADD_CONST`: the id flag of a scalar linked to others at a constant distance (`off`).
pub(super) const BPF_ADD_CONST: u32 = 1 << 31;

/// `get_reg_width`: the bits the unsigned maximum needs.
fn reg_width(r: &RegState) -> u32 {
    64 - r.var.umax_value.leading_zeros()
}

/// `assign_scalar_id_before_mov`: give a copied scalar an id, so that bounds learnt on
/// either copy reach the other (`sync_linked_regs`).
pub(super) fn assign_scalar_id_before_mov(src: &mut RegState, id_gen: &mut u32) {
    if !src.is_scalar() {
        return;
    }
    if src.id & BPF_ADD_CONST != 0 {
        src.id = 0;
        src.off = 0;
    }
    if src.id == 0 && !src.var.var_off.is_const() {
        *id_gen += 1;
        src.id = *id_gen;
        src.off = 0;
    }
}

/// `BPF_MAX_VAR_OFF`: the largest offset a pointer may carry.
pub(super) const BPF_MAX_VAR_OFF: i64 = 1 << 29;

/// `check_reg_sane_offset`: `reg` (an offset or a pointer) keeps the pointer `ptr` within
/// the offsets the verifier can reason about.
fn check_reg_sane_offset(reg: &RegState, ptr: &RegState) -> Res<()> {
    let t = ptr.type_str();
    let v = &reg.var;
    let val = v.var_off.value as i64;
    if v.var_off.is_const() && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF) {
        return Err((
            Errno::Inval,
            format!("math between {t} pointer and {val} is not allowed"),
        ));
    }
    if reg.off as i64 >= BPF_MAX_VAR_OFF || reg.off as i64 <= -BPF_MAX_VAR_OFF {
        return Err((
            Errno::Inval,
            format!("{t} pointer offset {} is not allowed", reg.off),
        ));
    }
    if v.smin_value == i64::MIN {
        return Err((
            Errno::Inval,
            format!(
                "math between {t} pointer and register with unbounded min value is not allowed"
            ),
        ));
    }
    if v.smin_value >= BPF_MAX_VAR_OFF || v.smin_value <= -BPF_MAX_VAR_OFF {
        return Err((
            Errno::Inval,
            format!("value {} makes {t} pointer be out of bounds", v.smin_value),
        ));
    }
    Ok(())
}

/// `bpf_alu_string`.
pub(super) fn alu_string(op: AluOp) -> &'static str {
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
