//! ALU transfer functions on scalars: `adjust_scalar_min_max_vals` and the moves of
//! `check_alu_op`, as in Linux 6.18.
//!
//! For `dst op= src` on two scalars the kernel first decides whether it can compute a range
//! at all ([`is_safe_to_compute_dst_reg_range`]): add, sub, mul, and, or, xor, neg and the
//! byte-order ops always; shifts only by a known amount below the operand width; division
//! and modulo never (their result is unknown). Then it computes the tnum and the 32-bit and
//! 64-bit bounds separately (`scalar32_min_max_*` / `scalar_min_max_*`), zero-extends a
//! 32-bit result, and runs `reg_bounds_sync`.
//!
//! An immediate operand is the constant `imm as i32 as i64 as u64` (sign-extended, as
//! `__mark_reg_known(&off_reg, insn->imm)` makes it), for 32-bit operations too: pass
//! [`ScalarBounds::known`] of that.

use super::{ScalarBounds, max, min};
use crate::insn::{AluOp, ByteOrder, Width};

/// A request to explore a second state, returned by `and`/`or` with a constant when the
/// destination is known to be `-1` or `0` (`maybe_fork_scalars`): the kernel pushes a state
/// that executes the same instruction again with the destination equal to `dst_before`,
/// and continues the current one with the destination `-1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the forked state has to be explored too"]
pub struct Fork {
    /// The destination register of the pushed state, before the instruction runs.
    pub dst_before: ScalarBounds,
}

/// Whether the kernel computes a range for `op` with this source, or marks the destination
/// unknown (`is_safe_to_compute_dst_reg_range`). Shifts need a constant source (by tnum
/// and bounds, in the operation's width) below the width; `Mov`/`MovSx` count as safe here
/// because they never reach this check in the kernel.
pub fn is_safe_to_compute_dst_reg_range(op: AluOp, src: &ScalarBounds, width: Width) -> bool {
    let src_is_const = match width {
        Width::W32 => {
            src.var_off.subreg_is_const()
                && src.s32_min_value == src.s32_max_value
                && src.u32_min_value == src.u32_max_value
        }
        Width::W64 => {
            src.var_off.is_const()
                && src.smin_value == src.smax_value
                && src.umin_value == src.umax_value
        }
    };
    let bitness: u64 = match width {
        Width::W32 => 32,
        Width::W64 => 64,
    };
    match op {
        AluOp::Add | AluOp::Sub | AluOp::And | AluOp::Xor | AluOp::Or | AluOp::Mul => true,
        AluOp::Mov | AluOp::MovSx(_) => true,
        // Note the 64-bit umax even for 32-bit shifts, as in the kernel.
        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => src_is_const && src.umax_value < bitness,
        AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod => false,
    }
}

/// `dst op= src` for two scalars (`adjust_scalar_min_max_vals`, plus the scalar moves of
/// `check_alu_op`). Updates `dst` to contain every result and returns a [`Fork`] when the
/// kernel would explore a second state.
///
/// - `Mov`: a 64-bit move copies `src`; a 32-bit one copies and zero-extends.
/// - `MovSx(8|16|32)`: sign extension (`coerce_reg_to_size_sx` for 64-bit,
///   `coerce_subreg_to_size_sx` and zero-extension for 32-bit). A 32-bit `MovSx(32)` is
///   not a valid instruction; it is treated as a 32-bit move.
/// - `Div`, `SDiv`, `Mod`, `SMod`, and shifts by an unknown or too large amount: unknown.
///
/// The caller runs [`ScalarBounds::reg_bounds_sanity_check`] with `"alu"` afterwards, as
/// `check_alu_op` does.
pub fn adjust_scalar_min_max_vals(
    dst: &mut ScalarBounds,
    op: AluOp,
    src: &ScalarBounds,
    width: Width,
) -> Option<Fork> {
    let alu32 = width == Width::W32;
    match op {
        AluOp::Mov => {
            *dst = *src;
            if alu32 {
                dst.zext_32_to_64();
                dst.reg_bounds_sync();
            }
            return None;
        }
        AluOp::MovSx(bits) => {
            *dst = *src;
            match (width, bits) {
                (Width::W64, 8 | 16 | 32) => dst.coerce_reg_to_size_sx(bits / 8),
                (Width::W64, _) => {}
                (Width::W32, 8 | 16) => {
                    dst.coerce_subreg_to_size_sx(bits / 8);
                    dst.zext_32_to_64();
                    dst.reg_bounds_sync();
                }
                (Width::W32, _) => {
                    dst.zext_32_to_64();
                    dst.reg_bounds_sync();
                }
            }
            return None;
        }
        _ => {}
    }

    if !is_safe_to_compute_dst_reg_range(op, src, width) {
        *dst = ScalarBounds::unknown();
        return None;
    }

    let mut fork = None;
    match op {
        AluOp::Add => {
            scalar32_min_max_add(dst, src);
            scalar_min_max_add(dst, src);
            dst.var_off = dst.var_off.add(src.var_off);
        }
        AluOp::Sub => {
            scalar32_min_max_sub(dst, src);
            scalar_min_max_sub(dst, src);
            dst.var_off = dst.var_off.sub(src.var_off);
        }
        AluOp::Mul => {
            dst.var_off = dst.var_off.mul(src.var_off);
            scalar32_min_max_mul(dst, src);
            scalar_min_max_mul(dst, src);
        }
        AluOp::And => {
            if src.var_off.is_const() {
                fork = maybe_fork_scalars(dst);
            }
            dst.var_off = dst.var_off.and(src.var_off);
            scalar32_min_max_and(dst, src);
            scalar_min_max_and(dst, src);
        }
        AluOp::Or => {
            if src.var_off.is_const() {
                fork = maybe_fork_scalars(dst);
            }
            dst.var_off = dst.var_off.or(src.var_off);
            scalar32_min_max_or(dst, src);
            scalar_min_max_or(dst, src);
        }
        AluOp::Xor => {
            dst.var_off = dst.var_off.xor(src.var_off);
            scalar32_min_max_xor(dst, src);
            scalar_min_max_xor(dst, src);
        }
        AluOp::Lsh => {
            if alu32 {
                scalar32_min_max_lsh(dst, src);
            } else {
                scalar_min_max_lsh(dst, src);
            }
        }
        AluOp::Rsh => {
            if alu32 {
                scalar32_min_max_rsh(dst, src);
            } else {
                scalar_min_max_rsh(dst, src);
            }
        }
        AluOp::Arsh => {
            if alu32 {
                scalar32_min_max_arsh(dst, src);
            } else {
                scalar_min_max_arsh(dst, src);
            }
        }
        // Handled above (unknown, or moves).
        AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod | AluOp::Mov | AluOp::MovSx(_) => {}
    }

    if alu32 {
        dst.zext_32_to_64();
    }
    dst.reg_bounds_sync();
    fork
}

/// `dst = -dst` (`BPF_NEG` in Linux 6.18's `adjust_scalar_min_max_vals`): the bounds of
/// `0 - dst` and the tnum `tnum_neg(dst)`.
pub fn scalar_neg(dst: &mut ScalarBounds, width: Width) {
    let operand = *dst;
    dst.mark_known(0);
    scalar32_min_max_sub(dst, &operand);
    scalar_min_max_sub(dst, &operand);
    dst.var_off = operand.var_off.neg();
    if width == Width::W32 {
        dst.zext_32_to_64();
    }
    dst.reg_bounds_sync();
}

/// Byte-order operations (`BPF_END` in Linux 6.18, `scalar_byte_swap`) on a little-endian
/// machine: `le16/32/64` only truncate; `be16/32/64` and `bswap16/32/64` swap the tnum's
/// bytes and forget the bounds. The 16- and 32-bit forms then truncate
/// (`coerce_reg_to_size`). There is no zero-extension step: `be64`/`le64` are 64-bit.
pub fn scalar_byte_swap(dst: &mut ScalarBounds, order: ByteOrder, bits: u8) {
    // Swap when the conversion is not the identity on a little-endian host.
    if order != ByteOrder::ToLe {
        dst.var_off = match bits {
            16 => dst.var_off.bswap16(),
            32 => dst.var_off.bswap32(),
            _ => dst.var_off.bswap64(),
        };
        dst.mark_unbounded();
    }
    if bits == 16 || bits == 32 {
        dst.coerce_reg_to_size(bits / 8);
    }
    dst.reg_bounds_sync();
}

/// `maybe_fork_scalars`: a destination in `[-1, 0]` (as s64, or else as s32) splits into
/// the two constants, so that `and`/`or` with a constant stay precise.
fn maybe_fork_scalars(dst: &mut ScalarBounds) -> Option<Fork> {
    let alu32 = if dst.smin_value == -1 && dst.smax_value == 0 {
        false
    } else if dst.s32_min_value == -1 && dst.s32_max_value == 0 {
        true
    } else {
        return None;
    };
    let mut other = *dst;
    if alu32 {
        other.mark_known32(0);
        dst.mark_known32(u64::MAX);
    } else {
        other.mark_known(0);
        dst.mark_known(u64::MAX);
    }
    Some(Fork { dst_before: other })
}

fn scalar32_min_max_add(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let (smin, o1) = dst.s32_min_value.overflowing_add(src.s32_min_value);
    let (smax, o2) = dst.s32_max_value.overflowing_add(src.s32_max_value);
    if o1 || o2 {
        dst.s32_min_value = i32::MIN;
        dst.s32_max_value = i32::MAX;
    } else {
        dst.s32_min_value = smin;
        dst.s32_max_value = smax;
    }
    // If all additions overflow or none does, the wrapped bounds still form a range.
    let (umin, min_overflow) = dst.u32_min_value.overflowing_add(src.u32_min_value);
    let (umax, max_overflow) = dst.u32_max_value.overflowing_add(src.u32_max_value);
    if !min_overflow && max_overflow {
        dst.u32_min_value = 0;
        dst.u32_max_value = u32::MAX;
    } else {
        dst.u32_min_value = umin;
        dst.u32_max_value = umax;
    }
}

fn scalar_min_max_add(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let (smin, o1) = dst.smin_value.overflowing_add(src.smin_value);
    let (smax, o2) = dst.smax_value.overflowing_add(src.smax_value);
    if o1 || o2 {
        dst.smin_value = i64::MIN;
        dst.smax_value = i64::MAX;
    } else {
        dst.smin_value = smin;
        dst.smax_value = smax;
    }
    let (umin, min_overflow) = dst.umin_value.overflowing_add(src.umin_value);
    let (umax, max_overflow) = dst.umax_value.overflowing_add(src.umax_value);
    if !min_overflow && max_overflow {
        dst.umin_value = 0;
        dst.umax_value = u64::MAX;
    } else {
        dst.umin_value = umin;
        dst.umax_value = umax;
    }
}

fn scalar32_min_max_sub(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let (smin, o1) = dst.s32_min_value.overflowing_sub(src.s32_max_value);
    let (smax, o2) = dst.s32_max_value.overflowing_sub(src.s32_min_value);
    if o1 || o2 {
        dst.s32_min_value = i32::MIN;
        dst.s32_max_value = i32::MAX;
    } else {
        dst.s32_min_value = smin;
        dst.s32_max_value = smax;
    }
    // If all subtractions underflow or none does, the wrapped bounds still form a range.
    let (umin, min_underflow) = dst.u32_min_value.overflowing_sub(src.u32_max_value);
    let (umax, max_underflow) = dst.u32_max_value.overflowing_sub(src.u32_min_value);
    if min_underflow && !max_underflow {
        dst.u32_min_value = 0;
        dst.u32_max_value = u32::MAX;
    } else {
        dst.u32_min_value = umin;
        dst.u32_max_value = umax;
    }
}

fn scalar_min_max_sub(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let (smin, o1) = dst.smin_value.overflowing_sub(src.smax_value);
    let (smax, o2) = dst.smax_value.overflowing_sub(src.smin_value);
    if o1 || o2 {
        dst.smin_value = i64::MIN;
        dst.smax_value = i64::MAX;
    } else {
        dst.smin_value = smin;
        dst.smax_value = smax;
    }
    let (umin, min_underflow) = dst.umin_value.overflowing_sub(src.umax_value);
    let (umax, max_underflow) = dst.umax_value.overflowing_sub(src.umin_value);
    if min_underflow && !max_underflow {
        dst.umin_value = 0;
        dst.umax_value = u64::MAX;
    } else {
        dst.umin_value = umin;
        dst.umax_value = umax;
    }
}

fn scalar32_min_max_mul(dst: &mut ScalarBounds, src: &ScalarBounds) {
    match (
        dst.u32_max_value.checked_mul(src.u32_max_value),
        dst.u32_min_value.checked_mul(src.u32_min_value),
    ) {
        (Some(umax), Some(umin)) => {
            dst.u32_min_value = umin;
            dst.u32_max_value = umax;
        }
        _ => {
            dst.u32_min_value = 0;
            dst.u32_max_value = u32::MAX;
        }
    }
    let (a, b) = (dst.s32_min_value, dst.s32_max_value);
    let (c, d) = (src.s32_min_value, src.s32_max_value);
    match (
        a.checked_mul(c),
        a.checked_mul(d),
        b.checked_mul(c),
        b.checked_mul(d),
    ) {
        (Some(p0), Some(p1), Some(p2), Some(p3)) => {
            dst.s32_min_value = min(min(p0, p1), min(p2, p3));
            dst.s32_max_value = max(max(p0, p1), max(p2, p3));
        }
        _ => {
            dst.s32_min_value = i32::MIN;
            dst.s32_max_value = i32::MAX;
        }
    }
}

fn scalar_min_max_mul(dst: &mut ScalarBounds, src: &ScalarBounds) {
    match (
        dst.umax_value.checked_mul(src.umax_value),
        dst.umin_value.checked_mul(src.umin_value),
    ) {
        (Some(umax), Some(umin)) => {
            dst.umin_value = umin;
            dst.umax_value = umax;
        }
        _ => {
            dst.umin_value = 0;
            dst.umax_value = u64::MAX;
        }
    }
    let (a, b) = (dst.smin_value, dst.smax_value);
    let (c, d) = (src.smin_value, src.smax_value);
    match (
        a.checked_mul(c),
        a.checked_mul(d),
        b.checked_mul(c),
        b.checked_mul(d),
    ) {
        (Some(p0), Some(p1), Some(p2), Some(p3)) => {
            dst.smin_value = min(min(p0, p1), min(p2, p3));
            dst.smax_value = max(max(p0, p1), max(p2, p3));
        }
        _ => {
            dst.smin_value = i64::MIN;
            dst.smax_value = i64::MAX;
        }
    }
}

/// After `var_off` was updated: a u32 range that stays on one side of the sign bit is also
/// the s32 range; otherwise the s32 range is unknown.
fn s32_from_u32(dst: &mut ScalarBounds) {
    if dst.u32_min_value as i32 <= dst.u32_max_value as i32 {
        dst.s32_min_value = dst.u32_min_value as i32;
        dst.s32_max_value = dst.u32_max_value as i32;
    } else {
        dst.s32_min_value = i32::MIN;
        dst.s32_max_value = i32::MAX;
    }
}

/// The 64-bit counterpart of [`s32_from_u32`].
fn s64_from_u64(dst: &mut ScalarBounds) {
    if dst.umin_value as i64 <= dst.umax_value as i64 {
        dst.smin_value = dst.umin_value as i64;
        dst.smax_value = dst.umax_value as i64;
    } else {
        dst.smin_value = i64::MIN;
        dst.smax_value = i64::MAX;
    }
}

fn scalar32_min_max_and(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let src_known = src.var_off.subreg_is_const();
    let dst_known = dst.var_off.subreg_is_const();
    let var32_off = dst.var_off.subreg();
    if src_known && dst_known {
        dst.mark_known32(var32_off.value);
        return;
    }
    // The minimum comes from the known bits; the maximum is the smaller operand maximum.
    dst.u32_min_value = var32_off.value as u32;
    dst.u32_max_value = min(dst.u32_max_value, src.u32_max_value);
    s32_from_u32(dst);
}

fn scalar_min_max_and(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let src_known = src.var_off.is_const();
    let dst_known = dst.var_off.is_const();
    if src_known && dst_known {
        dst.mark_known(dst.var_off.value);
        return;
    }
    dst.umin_value = dst.var_off.value;
    dst.umax_value = min(dst.umax_value, src.umax_value);
    s64_from_u64(dst);
    dst.update_reg_bounds();
}

fn scalar32_min_max_or(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let src_known = src.var_off.subreg_is_const();
    let dst_known = dst.var_off.subreg_is_const();
    let var32_off = dst.var_off.subreg();
    if src_known && dst_known {
        dst.mark_known32(var32_off.value);
        return;
    }
    // The maximum comes from the possibly-set bits; the minimum is the larger minimum.
    dst.u32_min_value = max(dst.u32_min_value, src.u32_min_value);
    dst.u32_max_value = (var32_off.value | var32_off.mask) as u32;
    s32_from_u32(dst);
}

fn scalar_min_max_or(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let src_known = src.var_off.is_const();
    let dst_known = dst.var_off.is_const();
    if src_known && dst_known {
        dst.mark_known(dst.var_off.value);
        return;
    }
    dst.umin_value = max(dst.umin_value, src.umin_value);
    dst.umax_value = dst.var_off.value | dst.var_off.mask;
    s64_from_u64(dst);
    dst.update_reg_bounds();
}

fn scalar32_min_max_xor(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let src_known = src.var_off.subreg_is_const();
    let dst_known = dst.var_off.subreg_is_const();
    let var32_off = dst.var_off.subreg();
    if src_known && dst_known {
        dst.mark_known32(var32_off.value);
        return;
    }
    dst.u32_min_value = var32_off.value as u32;
    dst.u32_max_value = (var32_off.value | var32_off.mask) as u32;
    s32_from_u32(dst);
}

fn scalar_min_max_xor(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let src_known = src.var_off.is_const();
    let dst_known = dst.var_off.is_const();
    if src_known && dst_known {
        dst.mark_known(dst.var_off.value);
        return;
    }
    dst.umin_value = dst.var_off.value;
    dst.umax_value = dst.var_off.value | dst.var_off.mask;
    s64_from_u64(dst);
    dst.update_reg_bounds();
}

/// `1 << n` as the kernel's `1ULL << n`, 0 when `n` is out of range.
fn bit(n: u64) -> u64 {
    if n < 64 { 1u64 << n } else { 0 }
}

fn scalar32_min_max_lsh_bounds(dst: &mut ScalarBounds, umin_val: u64, umax_val: u64) {
    // Sign information is lost, except what the tnum tells.
    dst.s32_min_value = i32::MIN;
    dst.s32_max_value = i32::MAX;
    // If the top bit may be shifted out, nothing is known.
    if umax_val > 31 || dst.u32_max_value as u64 > bit(31 - umax_val) {
        dst.u32_min_value = 0;
        dst.u32_max_value = u32::MAX;
    } else {
        dst.u32_min_value = shl32(dst.u32_min_value, umin_val);
        dst.u32_max_value = shl32(dst.u32_max_value, umax_val);
    }
}

fn scalar32_min_max_lsh(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let (umin_val, umax_val) = (src.u32_min_value as u64, src.u32_max_value as u64);
    let subreg = dst.var_off.subreg();
    scalar32_min_max_lsh_bounds(dst, umin_val, umax_val);
    dst.var_off = subreg.lshift(shift_amount(umin_val)).subreg();
    dst.mark_unbounded64();
    dst.update_reg32_bounds();
}

fn scalar64_min_max_lsh_bounds(dst: &mut ScalarBounds, umin_val: u64, umax_val: u64) {
    // `<< 32` is how compilers sign-extend a subregister (`<< 32 s>> 32`): s32 bounds keep
    // their order when shifted into the upper half.
    if umin_val == 32 && umax_val == 32 {
        dst.smax_value = (dst.s32_max_value as i64) << 32;
        dst.smin_value = (dst.s32_min_value as i64) << 32;
    } else {
        dst.smax_value = i64::MAX;
        dst.smin_value = i64::MIN;
    }
    if umax_val > 63 || dst.umax_value > bit(63 - umax_val) {
        dst.umin_value = 0;
        dst.umax_value = u64::MAX;
    } else {
        dst.umin_value = shl64(dst.umin_value, umin_val);
        dst.umax_value = shl64(dst.umax_value, umax_val);
    }
}

fn scalar_min_max_lsh(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let (umin_val, umax_val) = (src.umin_value, src.umax_value);
    // The 64-bit part reads the unshifted s32 bounds, so it goes first.
    scalar64_min_max_lsh_bounds(dst, umin_val, umax_val);
    scalar32_min_max_lsh_bounds(dst, umin_val, umax_val);
    dst.var_off = dst.var_off.lshift(shift_amount(umin_val));
    dst.update_reg_bounds();
}

fn scalar32_min_max_rsh(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let subreg = dst.var_off.subreg();
    let (umin_val, umax_val) = (src.u32_min_value, src.u32_max_value);
    // A logical shift makes the sign unknowable from the signed bounds; rely on the
    // unsigned bounds and the tnum instead.
    dst.s32_min_value = i32::MIN;
    dst.s32_max_value = i32::MAX;
    dst.var_off = subreg.rshift(shift_amount(umin_val as u64));
    dst.u32_min_value = dst.u32_min_value.checked_shr(umax_val).unwrap_or(0);
    dst.u32_max_value = dst.u32_max_value.checked_shr(umin_val).unwrap_or(0);
    dst.mark_unbounded64();
    dst.update_reg32_bounds();
}

fn scalar_min_max_rsh(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let (umin_val, umax_val) = (src.umin_value, src.umax_value);
    dst.smin_value = i64::MIN;
    dst.smax_value = i64::MAX;
    dst.var_off = dst.var_off.rshift(shift_amount(umin_val));
    dst.umin_value = shr64(dst.umin_value, umax_val);
    dst.umax_value = shr64(dst.umax_value, umin_val);
    // Bits shifted in from the upper half make 32-bit bounds hard: take them from the tnum.
    dst.mark_unbounded32();
    dst.update_reg_bounds();
}

fn scalar32_min_max_arsh(dst: &mut ScalarBounds, src: &ScalarBounds) {
    // Only reached with a constant shift amount.
    let n = src.u32_min_value.min(31);
    dst.s32_min_value >>= n;
    dst.s32_max_value >>= n;
    dst.var_off = dst.var_off.subreg().arshift(shift_amount(n as u64), 32);
    // The unsigned bounds come from the tnum.
    dst.u32_min_value = 0;
    dst.u32_max_value = u32::MAX;
    dst.mark_unbounded64();
    dst.update_reg32_bounds();
}

fn scalar_min_max_arsh(dst: &mut ScalarBounds, src: &ScalarBounds) {
    let n = src.umin_value.min(63) as u32;
    dst.smin_value >>= n;
    dst.smax_value >>= n;
    dst.var_off = dst.var_off.arshift(shift_amount(n as u64), 64);
    dst.umin_value = 0;
    dst.umax_value = u64::MAX;
    dst.mark_unbounded32();
    dst.update_reg_bounds();
}

fn shr64(v: u64, n: u64) -> u64 {
    if n < 64 { v >> n } else { 0 }
}

fn shl64(v: u64, n: u64) -> u64 {
    if n < 64 { v << n } else { 0 }
}

fn shl32(v: u32, n: u64) -> u32 {
    if n < 32 { v << n } else { 0 }
}

/// A shift amount as the tnum shifts take it (they treat 64 and more as "all shifted out").
fn shift_amount(n: u64) -> u8 {
    n.min(255) as u8
}

#[cfg(test)]
mod tests;
