//! Conditional jumps on scalars: which way a jump can go (`is_branch_taken`) and what each
//! successor learns about both operands (`reg_set_min_max`), as in Linux 6.18.
//!
//! For `if dst <cond> src goto` the kernel asks [`is_branch_taken`]; when it answers, only
//! that successor is explored. Otherwise both are, and [`reg_set_min_max`] narrows the two
//! operands in each: the jump (true) branch with the condition, the fall-through (false)
//! branch with its negation. A `JMP32` compares the low 32 bits only.
//!
//! An immediate operand is the constant `imm as i32 as i64 as u64`, in a register of its own
//! (`env->fake_reg`). When both operands are the same register (`if r1 < r1`) the kernel
//! refines that one register through two aliases of it, which is not the same as refining
//! two copies: [`is_branch_taken_same_reg`] and [`reg_set_min_max_same_reg`] reproduce it.

use super::{InvariantViolation, ScalarBounds, max, min};
use crate::insn::{JmpCond, Width};
use crate::verifier::tnum::Tnum;

/// The operand pair of one successor of a conditional jump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BranchRegs {
    /// The jump's destination operand (`dst_reg`).
    pub dst: ScalarBounds,
    /// The jump's source operand (the register, or the immediate's fake register).
    pub src: ScalarBounds,
}

/// The single register of `if rX <cond> rX` in each successor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SameRegBranch {
    /// The register in the jump (true) successor.
    pub taken: ScalarBounds,
    /// The register in the fall-through (false) successor.
    pub fallthrough: ScalarBounds,
}

/// A condition as `regs_refine_cond_op` sees it: a jump condition, or the negation of
/// `JSET` (which has no opcode; the kernel writes it `BPF_JSET | BPF_X`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cond {
    Jmp(JmpCond),
    NotSet,
}

/// The condition of the other successor (`rev_opcode`).
fn rev_opcode(c: Cond) -> Cond {
    use JmpCond::*;
    match c {
        Cond::Jmp(Eq) => Cond::Jmp(Ne),
        Cond::Jmp(Ne) => Cond::Jmp(Eq),
        Cond::Jmp(Set) => Cond::NotSet,
        Cond::NotSet => Cond::Jmp(Set),
        Cond::Jmp(Ge) => Cond::Jmp(Lt),
        Cond::Jmp(Gt) => Cond::Jmp(Le),
        Cond::Jmp(Le) => Cond::Jmp(Gt),
        Cond::Jmp(Lt) => Cond::Jmp(Ge),
        Cond::Jmp(Sge) => Cond::Jmp(Slt),
        Cond::Jmp(Sgt) => Cond::Jmp(Sle),
        Cond::Jmp(Sle) => Cond::Jmp(Sgt),
        Cond::Jmp(Slt) => Cond::Jmp(Sge),
    }
}

/// The condition with its operands exchanged (`flip_opcode`): `a < b` is `b > a`.
pub fn flip_opcode(c: JmpCond) -> JmpCond {
    use JmpCond::*;
    match c {
        Eq | Ne | Set => c,
        Ge => Le,
        Gt => Lt,
        Le => Ge,
        Lt => Gt,
        Sge => Sle,
        Sgt => Slt,
        Sle => Sge,
        Slt => Sgt,
    }
}

/// The four bounds of one operand in the comparison's width.
struct View {
    t: Tnum,
    umin: u64,
    umax: u64,
    smin: i64,
    smax: i64,
}

fn view(r: &ScalarBounds, is_jmp32: bool) -> View {
    if is_jmp32 {
        View {
            t: r.var_off.subreg(),
            umin: r.u32_min_value as u64,
            umax: r.u32_max_value as u64,
            smin: r.s32_min_value as i64,
            smax: r.s32_max_value as i64,
        }
    } else {
        View {
            t: r.var_off,
            umin: r.umin_value,
            umax: r.umax_value,
            smin: r.smin_value,
            smax: r.smax_value,
        }
    }
}

/// Which way `if reg1 <cond> reg2 goto` goes for two scalars (`is_scalar_branch_taken`):
/// `Some(true)` when the jump is always taken, `Some(false)` when never, `None` when both
/// are possible (as far as the bounds tell).
pub fn is_branch_taken(
    reg1: &ScalarBounds,
    reg2: &ScalarBounds,
    cond: JmpCond,
    width: Width,
) -> Option<bool> {
    let is_jmp32 = width == Width::W32;
    let (mut r1, mut r2) = (reg1, reg2);
    let (mut v1, mut v2) = (view(reg1, is_jmp32), view(reg2, is_jmp32));
    match cond {
        JmpCond::Eq | JmpCond::Ne => {
            let eq = cond == JmpCond::Eq;
            // Constants decide; then disjoint bits or ranges mean "never equal".
            if v1.t.is_const() && v2.t.is_const() {
                return Some((v1.t.value == v2.t.value) == eq);
            }
            let never_equal = !v1.t.overlap(v2.t)
                || v1.umin > v2.umax
                || v1.umax < v2.umin
                || v1.smin > v2.smax
                || v1.smax < v2.smin
                // A 64-bit comparison can also use the 32-bit ranges.
                || (!is_jmp32
                    && (r1.u32_min_value > r2.u32_max_value
                        || r1.u32_max_value < r2.u32_min_value
                        || r1.s32_min_value > r2.s32_max_value
                        || r1.s32_max_value < r2.s32_min_value));
            if never_equal {
                return Some(!eq);
            }
            None
        }
        JmpCond::Set => {
            if !r2.is_const(width) {
                std::mem::swap(&mut r1, &mut r2);
                std::mem::swap(&mut v1, &mut v2);
            }
            if !r2.is_const(width) {
                return None;
            }
            let _ = r1;
            if (!v1.t.mask & v1.t.value) & v2.t.value != 0 {
                return Some(true);
            }
            if (v1.t.mask | v1.t.value) & v2.t.value == 0 {
                return Some(false);
            }
            None
        }
        JmpCond::Gt => decide(v1.umin > v2.umax, v1.umax <= v2.umin),
        JmpCond::Sgt => decide(v1.smin > v2.smax, v1.smax <= v2.smin),
        JmpCond::Lt => decide(v1.umax < v2.umin, v1.umin >= v2.umax),
        JmpCond::Slt => decide(v1.smax < v2.smin, v1.smin >= v2.smax),
        JmpCond::Ge => decide(v1.umin >= v2.umax, v1.umax < v2.umin),
        JmpCond::Sge => decide(v1.smin >= v2.smax, v1.smax < v2.smin),
        JmpCond::Le => decide(v1.umax <= v2.umin, v1.umin > v2.umax),
        JmpCond::Sle => decide(v1.smax <= v2.smin, v1.smin > v2.smax),
    }
}

fn decide(always: bool, never: bool) -> Option<bool> {
    if always {
        Some(true)
    } else if never {
        Some(false)
    } else {
        None
    }
}

/// [`is_branch_taken`] for `if rX <cond> rX`: Linux 6.18 has no special case for it, so this
/// is the general answer with the register on both sides.
pub fn is_branch_taken_same_reg(reg: &ScalarBounds, cond: JmpCond, width: Width) -> Option<bool> {
    is_branch_taken(reg, reg, cond, width)
}

/// Narrows `regs[i1]` and `regs[i2]` (possibly the same register) for `reg1 <cond> reg2`
/// being true (`regs_refine_cond_op`). Indices, not references, so that the aliasing of
/// `if rX <cond> rX` behaves as in C.
fn regs_refine_cond_op(
    regs: &mut [ScalarBounds],
    mut i1: usize,
    mut i2: usize,
    cond: Cond,
    is_jmp32: bool,
) {
    let width = if is_jmp32 { Width::W32 } else { Width::W64 };
    let mut cond = cond;
    // GE/GT/SGE/SGT reuse LE/LT/SLE/SLT with the operands exchanged.
    if let Cond::Jmp(c @ (JmpCond::Ge | JmpCond::Gt | JmpCond::Sge | JmpCond::Sgt)) = cond {
        cond = Cond::Jmp(flip_opcode(c));
        std::mem::swap(&mut i1, &mut i2);
    }

    match cond {
        Cond::Jmp(JmpCond::Eq) => {
            if is_jmp32 {
                regs[i1].u32_min_value = max(regs[i1].u32_min_value, regs[i2].u32_min_value);
                regs[i1].u32_max_value = min(regs[i1].u32_max_value, regs[i2].u32_max_value);
                regs[i1].s32_min_value = max(regs[i1].s32_min_value, regs[i2].s32_min_value);
                regs[i1].s32_max_value = min(regs[i1].s32_max_value, regs[i2].s32_max_value);
                regs[i2].u32_min_value = regs[i1].u32_min_value;
                regs[i2].u32_max_value = regs[i1].u32_max_value;
                regs[i2].s32_min_value = regs[i1].s32_min_value;
                regs[i2].s32_max_value = regs[i1].s32_max_value;

                let t = regs[i1]
                    .var_off
                    .subreg()
                    .intersect(regs[i2].var_off.subreg());
                regs[i1].var_off = regs[i1].var_off.with_subreg(t);
                regs[i2].var_off = regs[i2].var_off.with_subreg(t);
            } else {
                regs[i1].umin_value = max(regs[i1].umin_value, regs[i2].umin_value);
                regs[i1].umax_value = min(regs[i1].umax_value, regs[i2].umax_value);
                regs[i1].smin_value = max(regs[i1].smin_value, regs[i2].smin_value);
                regs[i1].smax_value = min(regs[i1].smax_value, regs[i2].smax_value);
                regs[i2].umin_value = regs[i1].umin_value;
                regs[i2].umax_value = regs[i1].umax_value;
                regs[i2].smin_value = regs[i1].smin_value;
                regs[i2].smax_value = regs[i1].smax_value;

                regs[i1].var_off = regs[i1].var_off.intersect(regs[i2].var_off);
                regs[i2].var_off = regs[i1].var_off;
            }
        }
        Cond::Jmp(JmpCond::Ne) => {
            if !regs[i2].is_const(width) {
                std::mem::swap(&mut i1, &mut i2);
            }
            if !regs[i2].is_const(width) {
                return;
            }
            // A constant at the edge of the other range moves that edge.
            let val = regs[i2].const_value(width);
            let r = &mut regs[i1];
            if is_jmp32 {
                if r.u32_min_value == val as u32 {
                    r.u32_min_value = r.u32_min_value.wrapping_add(1);
                }
                if r.u32_max_value == val as u32 {
                    r.u32_max_value = r.u32_max_value.wrapping_sub(1);
                }
                if r.s32_min_value == val as i32 {
                    r.s32_min_value = r.s32_min_value.wrapping_add(1);
                }
                if r.s32_max_value == val as i32 {
                    r.s32_max_value = r.s32_max_value.wrapping_sub(1);
                }
            } else {
                if r.umin_value == val {
                    r.umin_value = r.umin_value.wrapping_add(1);
                }
                if r.umax_value == val {
                    r.umax_value = r.umax_value.wrapping_sub(1);
                }
                if r.smin_value == val as i64 {
                    r.smin_value = r.smin_value.wrapping_add(1);
                }
                if r.smax_value == val as i64 {
                    r.smax_value = r.smax_value.wrapping_sub(1);
                }
            }
        }
        Cond::Jmp(JmpCond::Set) => {
            if !regs[i2].is_const(width) {
                std::mem::swap(&mut i1, &mut i2);
            }
            if !regs[i2].is_const(width) {
                return;
            }
            // `r & val` true says which bit is set only when val has a single bit.
            let val = regs[i2].const_value(width);
            if !val.is_power_of_two() {
                return;
            }
            let r = &mut regs[i1];
            if is_jmp32 {
                let t = r.var_off.subreg().or(Tnum::constant(val));
                r.var_off = r.var_off.with_subreg(t);
            } else {
                r.var_off = r.var_off.or(Tnum::constant(val));
            }
        }
        Cond::NotSet => {
            if !regs[i2].is_const(width) {
                std::mem::swap(&mut i1, &mut i2);
            }
            if !regs[i2].is_const(width) {
                return;
            }
            let val = regs[i2].const_value(width);
            let r = &mut regs[i1];
            // Forget the ranges before narrowing the tnum, so that a dead branch cannot
            // produce contradicting bounds.
            r.mark_unbounded();
            if is_jmp32 {
                let t = r.var_off.subreg().and(Tnum::constant(!val));
                r.var_off = r.var_off.with_subreg(t);
            } else {
                r.var_off = r.var_off.and(Tnum::constant(!val));
            }
        }
        Cond::Jmp(JmpCond::Le) => {
            if is_jmp32 {
                regs[i1].u32_max_value = min(regs[i1].u32_max_value, regs[i2].u32_max_value);
                regs[i2].u32_min_value = max(regs[i1].u32_min_value, regs[i2].u32_min_value);
            } else {
                regs[i1].umax_value = min(regs[i1].umax_value, regs[i2].umax_value);
                regs[i2].umin_value = max(regs[i1].umin_value, regs[i2].umin_value);
            }
        }
        Cond::Jmp(JmpCond::Lt) => {
            if is_jmp32 {
                regs[i1].u32_max_value = min(
                    regs[i1].u32_max_value,
                    regs[i2].u32_max_value.wrapping_sub(1),
                );
                regs[i2].u32_min_value = max(
                    regs[i1].u32_min_value.wrapping_add(1),
                    regs[i2].u32_min_value,
                );
            } else {
                regs[i1].umax_value = min(regs[i1].umax_value, regs[i2].umax_value.wrapping_sub(1));
                regs[i2].umin_value = max(regs[i1].umin_value.wrapping_add(1), regs[i2].umin_value);
            }
        }
        Cond::Jmp(JmpCond::Sle) => {
            if is_jmp32 {
                regs[i1].s32_max_value = min(regs[i1].s32_max_value, regs[i2].s32_max_value);
                regs[i2].s32_min_value = max(regs[i1].s32_min_value, regs[i2].s32_min_value);
            } else {
                regs[i1].smax_value = min(regs[i1].smax_value, regs[i2].smax_value);
                regs[i2].smin_value = max(regs[i1].smin_value, regs[i2].smin_value);
            }
        }
        Cond::Jmp(JmpCond::Slt) => {
            if is_jmp32 {
                regs[i1].s32_max_value = min(
                    regs[i1].s32_max_value,
                    regs[i2].s32_max_value.wrapping_sub(1),
                );
                regs[i2].s32_min_value = max(
                    regs[i1].s32_min_value.wrapping_add(1),
                    regs[i2].s32_min_value,
                );
            } else {
                regs[i1].smax_value = min(regs[i1].smax_value, regs[i2].smax_value.wrapping_sub(1));
                regs[i2].smin_value = max(regs[i1].smin_value.wrapping_add(1), regs[i2].smin_value);
            }
        }
        // Flipped into the cases above.
        Cond::Jmp(JmpCond::Ge | JmpCond::Gt | JmpCond::Sge | JmpCond::Sgt) => {}
    }
}

/// Refines, syncs and checks both successors of a jump whose operands live at `regs[i1]`
/// and `regs[i2]` of two register files (one per successor).
fn set_min_max(
    taken: &mut [ScalarBounds],
    fallthrough: &mut [ScalarBounds],
    i1: usize,
    i2: usize,
    cond: JmpCond,
    is_jmp32: bool,
) -> Vec<InvariantViolation> {
    // Fall-through (false) branch, then the jump (true) branch, as the kernel orders them.
    regs_refine_cond_op(fallthrough, i1, i2, rev_opcode(Cond::Jmp(cond)), is_jmp32);
    fallthrough[i1].reg_bounds_sync();
    fallthrough[i2].reg_bounds_sync();

    regs_refine_cond_op(taken, i1, i2, Cond::Jmp(cond), is_jmp32);
    taken[i1].reg_bounds_sync();
    taken[i2].reg_bounds_sync();

    let checks = [
        (true, i1, "true_reg1"),
        (true, i2, "true_reg2"),
        (false, i1, "false_reg1"),
        (false, i2, "false_reg2"),
    ];
    let mut violations = Vec::new();
    for (in_taken, i, ctx) in checks {
        let regs = if in_taken {
            &mut *taken
        } else {
            &mut *fallthrough
        };
        if let Err(v) = regs[i].reg_bounds_sanity_check(ctx) {
            violations.push(v);
        }
    }
    violations
}

/// Both successors of `if dst <cond> src goto` for two scalars in different registers (or
/// an immediate), after the kernel narrows them (`reg_set_min_max`): `.0` is the jump
/// (true) successor and `.1` the fall-through (false) one. Call it only when
/// [`is_branch_taken`] returned `None`, as the kernel does.
///
/// The third element lists the invariant violations found by the sanity checks that follow
/// (in the kernel's order: true_reg1, true_reg2, false_reg1, false_reg2); each offending
/// register has already been reset to unbounded, and Linux logs each violation and goes on.
pub fn reg_set_min_max(
    dst: &ScalarBounds,
    src: &ScalarBounds,
    cond: JmpCond,
    width: Width,
) -> (BranchRegs, BranchRegs, Vec<InvariantViolation>) {
    let is_jmp32 = width == Width::W32;
    let mut taken = [*dst, *src];
    let mut fallthrough = [*dst, *src];
    let violations = set_min_max(&mut taken, &mut fallthrough, 0, 1, cond, is_jmp32);
    (
        BranchRegs {
            dst: taken[0],
            src: taken[1],
        },
        BranchRegs {
            dst: fallthrough[0],
            src: fallthrough[1],
        },
        violations,
    )
}

/// [`reg_set_min_max`] for `if rX <cond> rX goto`, with the kernel's aliasing: the one
/// register is narrowed as both operands in turn.
pub fn reg_set_min_max_same_reg(
    reg: &ScalarBounds,
    cond: JmpCond,
    width: Width,
) -> (SameRegBranch, Vec<InvariantViolation>) {
    let is_jmp32 = width == Width::W32;
    let mut taken = [*reg];
    let mut fallthrough = [*reg];
    let violations = set_min_max(&mut taken, &mut fallthrough, 0, 0, cond, is_jmp32);
    (
        SameRegBranch {
            taken: taken[0],
            fallthrough: fallthrough[0],
        },
        violations,
    )
}

#[cfg(test)]
mod tests;
