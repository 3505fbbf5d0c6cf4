//! The scalar part of a register state: what the verifier knows about a number.
//!
//! [`ScalarBounds`] is the numeric core of the kernel's `struct bpf_reg_state`: the bit-level
//! knowledge `var_off` (a [`Tnum`]) and eight bounds, `umin_value..=umax_value` and
//! `smin_value..=smax_value` for the 64-bit value read unsigned and signed, and
//! `u32_min_value..=u32_max_value`, `s32_min_value..=s32_max_value` for its low 32 bits (the
//! "subregister"). A concrete value belongs to the abstract one when it satisfies all five
//! descriptions ([`ScalarBounds::contains`]).
//!
//! The five views are kept consistent with each other by [`ScalarBounds::reg_bounds_sync`],
//! which follows Linux 6.18's `reg_bounds_sync`: learn bounds from the tnum
//! (`__update_reg_bounds`), exchange knowledge between the signed/unsigned and 32/64-bit
//! views (`__reg_deduce_bounds`, three rounds), learn bits from the bounds
//! (`__reg_bound_offset`), and learn bounds from the tnum again.
//!
//! Submodules hold the transfer functions: [`alu`] for arithmetic (`adjust_scalar_min_max_vals`
//! and moves) and [`branch`] for conditional jumps (`is_branch_taken`, `reg_set_min_max`).
//!
//! Nothing here panics: the kernel's wrapping arithmetic is written with `wrapping_*` and its
//! overflow checks with `overflowing_*`/`checked_*`.

pub mod alu;
pub mod branch;

pub use alu::{
    Fork, adjust_scalar_min_max_vals, is_safe_to_compute_dst_reg_range, scalar_byte_swap,
    scalar_neg,
};
pub use branch::{
    BranchRegs, SameRegBranch, flip_opcode, is_branch_taken, is_branch_taken_same_reg,
    reg_set_min_max, reg_set_min_max_same_reg,
};

use super::tnum::Tnum;
use crate::insn::Width;
use std::fmt;

/// The numeric state of a scalar register (the scalar fields of `struct bpf_reg_state`).
///
/// Fields are public and named as in the kernel, so that code reading like verifier.c can be
/// written against it. The methods never assume the fields are consistent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScalarBounds {
    /// Known and unknown bits of the 64-bit value.
    pub var_off: Tnum,
    /// Minimum of the value as `s64`.
    pub smin_value: i64,
    /// Maximum of the value as `s64`.
    pub smax_value: i64,
    /// Minimum of the value as `u64`.
    pub umin_value: u64,
    /// Maximum of the value as `u64`.
    pub umax_value: u64,
    /// Minimum of the low 32 bits as `s32`.
    pub s32_min_value: i32,
    /// Maximum of the low 32 bits as `s32`.
    pub s32_max_value: i32,
    /// Minimum of the low 32 bits as `u32`.
    pub u32_min_value: u32,
    /// Maximum of the low 32 bits as `u32`.
    pub u32_max_value: u32,
}

impl Default for ScalarBounds {
    /// A completely unknown scalar.
    fn default() -> Self {
        ScalarBounds::unknown()
    }
}

/// `min` for `Ord` values, spelled like the kernel's `min_t`.
fn min<T: Ord>(a: T, b: T) -> T {
    std::cmp::min(a, b)
}

/// `max` for `Ord` values, spelled like the kernel's `max_t`.
fn max<T: Ord>(a: T, b: T) -> T {
    std::cmp::max(a, b)
}

const LOW32: u64 = 0xffff_ffff;

impl ScalarBounds {
    /// A completely unknown value (the numeric part of `__mark_reg_unknown`).
    pub const fn unknown() -> ScalarBounds {
        ScalarBounds {
            var_off: Tnum::UNKNOWN,
            smin_value: i64::MIN,
            smax_value: i64::MAX,
            umin_value: 0,
            umax_value: u64::MAX,
            s32_min_value: i32::MIN,
            s32_max_value: i32::MAX,
            u32_min_value: 0,
            u32_max_value: u32::MAX,
        }
    }

    /// A known constant (the numeric part of `__mark_reg_known`).
    pub const fn known(imm: u64) -> ScalarBounds {
        ScalarBounds {
            var_off: Tnum::constant(imm),
            smin_value: imm as i64,
            smax_value: imm as i64,
            umin_value: imm,
            umax_value: imm,
            s32_min_value: imm as i32,
            s32_max_value: imm as i32,
            u32_min_value: imm as u32,
            u32_max_value: imm as u32,
        }
    }

    /// Makes the value the known constant `imm` (`___mark_reg_known`).
    pub fn mark_known(&mut self, imm: u64) {
        *self = ScalarBounds::known(imm);
    }

    /// Makes the low 32 bits the known constant `imm as u32`, leaving the upper half of the
    /// tnum and the 64-bit bounds alone (`__mark_reg32_known`).
    pub fn mark_known32(&mut self, imm: u64) {
        self.var_off = self.var_off.const_subreg(imm as u32);
        self.s32_min_value = imm as i32;
        self.s32_max_value = imm as i32;
        self.u32_min_value = imm as u32;
        self.u32_max_value = imm as u32;
    }

    /// Resets all eight bounds, keeping `var_off` (`__mark_reg_unbounded`).
    pub fn mark_unbounded(&mut self) {
        self.mark_unbounded64();
        self.mark_unbounded32();
    }

    /// Resets the 64-bit bounds (`__mark_reg64_unbounded`).
    pub fn mark_unbounded64(&mut self) {
        self.smin_value = i64::MIN;
        self.smax_value = i64::MAX;
        self.umin_value = 0;
        self.umax_value = u64::MAX;
    }

    /// Resets the 32-bit bounds (`__mark_reg32_unbounded`).
    pub fn mark_unbounded32(&mut self) {
        self.s32_min_value = i32::MIN;
        self.s32_max_value = i32::MAX;
        self.u32_min_value = 0;
        self.u32_max_value = u32::MAX;
    }

    /// Whether the concrete 64-bit value `v` is described by all five views.
    pub fn contains(&self, v: u64) -> bool {
        let (s, v32, s32) = (v as i64, v as u32, v as i32);
        self.var_off.contains_value(v)
            && (self.umin_value..=self.umax_value).contains(&v)
            && (self.smin_value..=self.smax_value).contains(&s)
            && (self.u32_min_value..=self.u32_max_value).contains(&v32)
            && (self.s32_min_value..=self.s32_max_value).contains(&s32)
    }

    /// Whether the value (or its low 32 bits for [`Width::W32`]) is a known constant by its
    /// tnum (`is_reg_const` for a scalar).
    pub fn is_const(&self, width: Width) -> bool {
        match width {
            Width::W64 => self.var_off.is_const(),
            Width::W32 => self.var_off.subreg_is_const(),
        }
    }

    /// The constant of the tnum, or its low 32 bits zero-extended (`reg_const_value`); only
    /// meaningful when [`is_const`](Self::is_const) holds.
    pub fn const_value(&self, width: Width) -> u64 {
        match width {
            Width::W64 => self.var_off.value,
            Width::W32 => self.var_off.subreg().value,
        }
    }

    /// Learns 32-bit bounds from the tnum (`__update_reg32_bounds`).
    pub fn update_reg32_bounds(&mut self) {
        let var32_off = self.var_off.subreg();
        // The signed minimum has the sign bit set if it may be, and the other bits clear.
        self.s32_min_value = max(
            self.s32_min_value,
            (var32_off.value | (var32_off.mask & 0x8000_0000)) as u32 as i32,
        );
        // The signed maximum has the sign bit clear if it may be, the other bits set.
        self.s32_max_value = min(
            self.s32_max_value,
            (var32_off.value | (var32_off.mask & 0x7fff_ffff)) as u32 as i32,
        );
        self.u32_min_value = max(self.u32_min_value, var32_off.value as u32);
        self.u32_max_value = min(
            self.u32_max_value,
            (var32_off.value | var32_off.mask) as u32,
        );
    }

    /// Learns 64-bit bounds from the tnum (`__update_reg64_bounds`), and, as the running
    /// 6.18 kernel does, makes the value a constant when the tnum has exactly one value in
    /// `umin_value..=umax_value` (found with [`Tnum::step`]; not in the 6.12 sources).
    pub fn update_reg64_bounds(&mut self) {
        let t = self.var_off;
        self.smin_value = max(self.smin_value, (t.value | (t.mask & (1 << 63))) as i64);
        self.smax_value = min(
            self.smax_value,
            (t.value | (t.mask & (u64::MAX >> 1))) as i64,
        );
        self.umin_value = max(self.umin_value, t.value);
        self.umax_value = min(self.umax_value, t.value | t.mask);

        // When the u64 range and the tnum have a single value in common, it is the value.
        let tnum_next = t.step(self.umin_value);
        let umin_in_tnum = t.contains_value(self.umin_value);
        let tmax = t.value | t.mask;
        if umin_in_tnum && tnum_next > self.umax_value {
            // They meet only in umin.
            self.mark_known(self.umin_value);
        } else if !umin_in_tnum && tnum_next == tmax {
            // They meet only in the largest value of the tnum.
            self.mark_known(tmax);
        } else if !umin_in_tnum
            && tnum_next <= self.umax_value
            && t.step(tnum_next) > self.umax_value
        {
            // They meet only in one value between umin (excluded) and umax.
            self.mark_known(tnum_next);
        }
    }

    /// Learns all bounds from the tnum (`__update_reg_bounds`).
    pub fn update_reg_bounds(&mut self) {
        self.update_reg32_bounds();
        self.update_reg64_bounds();
    }

    /// Tightens the 32-bit bounds from each other and from the 64-bit ones
    /// (`__reg32_deduce_bounds`).
    pub fn reg32_deduce_bounds(&mut self) {
        // The low halves of a 64-bit range form a 32-bit range when the upper halves agree.
        if self.umin_value >> 32 == self.umax_value >> 32 {
            self.u32_min_value = max(self.u32_min_value, self.umin_value as u32);
            self.u32_max_value = min(self.u32_max_value, self.umax_value as u32);
            if self.umin_value as i32 <= self.umax_value as i32 {
                self.s32_min_value = max(self.s32_min_value, self.umin_value as i32);
                self.s32_max_value = min(self.s32_max_value, self.umax_value as i32);
            }
        }
        if self.smin_value >> 32 == self.smax_value >> 32 {
            if self.smin_value as u32 <= self.smax_value as u32 {
                self.u32_min_value = max(self.u32_min_value, self.smin_value as u32);
                self.u32_max_value = min(self.u32_max_value, self.smax_value as u32);
            }
            if self.smin_value as i32 <= self.smax_value as i32 {
                self.s32_min_value = max(self.s32_min_value, self.smin_value as i32);
                self.s32_max_value = min(self.s32_max_value, self.smax_value as i32);
            }
        }
        // Upper halves that are two consecutive numbers (mod 2^32) while the low halves go
        // from negative to non-negative still give a valid s32 range.
        if ((self.umin_value >> 32) as u32).wrapping_add(1) == (self.umax_value >> 32) as u32
            && (self.umin_value as i32) < 0
            && (self.umax_value as i32) >= 0
        {
            self.s32_min_value = max(self.s32_min_value, self.umin_value as i32);
            self.s32_max_value = min(self.s32_max_value, self.umax_value as i32);
        }
        if ((self.smin_value >> 32) as u32).wrapping_add(1) == (self.smax_value >> 32) as u32
            && (self.smin_value as i32) < 0
            && (self.smax_value as i32) >= 0
        {
            self.s32_min_value = max(self.s32_min_value, self.smin_value as i32);
            self.s32_max_value = min(self.s32_max_value, self.smax_value as i32);
        }
        // A u32 range that does not cross the sign bit is also an s32 range.
        if self.u32_min_value as i32 <= self.u32_max_value as i32 {
            self.s32_min_value = max(self.s32_min_value, self.u32_min_value as i32);
            self.s32_max_value = min(self.s32_max_value, self.u32_max_value as i32);
        }
        // An s32 range that does not cross the sign bit is also a u32 range; one that does
        // is two u32 segments, and a u32 range meeting only one of them selects it.
        if self.s32_min_value as u32 <= self.s32_max_value as u32 {
            self.u32_min_value = max(self.s32_min_value as u32, self.u32_min_value);
            self.u32_max_value = min(self.s32_max_value as u32, self.u32_max_value);
        } else if self.u32_max_value < self.s32_min_value as u32 {
            // The u32 range meets only the non-negative segment.
            self.s32_min_value = self.u32_min_value as i32;
            self.u32_max_value = min(self.u32_max_value, self.s32_max_value as u32);
        } else if (self.s32_max_value as u32) < self.u32_min_value {
            // The u32 range meets only the negative segment.
            self.s32_max_value = self.u32_max_value as i32;
            self.u32_min_value = max(self.u32_min_value, self.s32_min_value as u32);
        }
    }

    /// Tightens the 64-bit bounds from each other (`__reg64_deduce_bounds`).
    pub fn reg64_deduce_bounds(&mut self) {
        // A u64 range within one half of the number line is also an s64 range.
        if self.umin_value as i64 <= self.umax_value as i64 {
            self.smin_value = max(self.smin_value, self.umin_value as i64);
            self.smax_value = min(self.smax_value, self.umax_value as i64);
        }
        // An s64 range that does not cross the sign boundary is also a u64 range; one that
        // does is two u64 segments, and a u64 range meeting only one of them selects it.
        if self.smin_value as u64 <= self.smax_value as u64 {
            self.umin_value = max(self.smin_value as u64, self.umin_value);
            self.umax_value = min(self.smax_value as u64, self.umax_value);
        } else if self.umax_value < self.smin_value as u64 {
            // The u64 range meets only the non-negative segment.
            self.smin_value = self.umin_value as i64;
            self.umax_value = min(self.umax_value, self.smax_value as u64);
        } else if (self.smax_value as u64) < self.umin_value {
            // The u64 range meets only the negative segment.
            self.smax_value = self.umax_value as i64;
            self.umin_value = max(self.umin_value, self.smin_value as u64);
        }
    }

    /// Tightens the 64-bit bounds from the 32-bit ones (`__reg_deduce_mixed_bounds`).
    pub fn reg_deduce_mixed_bounds(&mut self) {
        // Substituting the u32 bounds for the low halves of the 64-bit bounds keeps them
        // valid ranges.
        let new_umin = (self.umin_value & !LOW32) | self.u32_min_value as u64;
        let new_umax = (self.umax_value & !LOW32) | self.u32_max_value as u64;
        self.umin_value = max(self.umin_value, new_umin);
        self.umax_value = min(self.umax_value, new_umax);
        let new_smin = ((self.smin_value as u64 & !LOW32) | self.u32_min_value as u64) as i64;
        let new_smax = ((self.smax_value as u64 & !LOW32) | self.u32_max_value as u64) as i64;
        self.smin_value = max(self.smin_value, new_smin);
        self.smax_value = min(self.smax_value, new_smax);

        // The same with the s32 bounds when they form a valid u32 range.
        if self.s32_min_value as u32 <= self.s32_max_value as u32 {
            let lo = self.s32_min_value as u32 as u64;
            let hi = self.s32_max_value as u32 as u64;
            let new_umin = (self.umin_value & !LOW32) | lo;
            let new_umax = (self.umax_value & !LOW32) | hi;
            self.umin_value = max(self.umin_value, new_umin);
            self.umax_value = min(self.umax_value, new_umax);
            let new_smin = ((self.smin_value as u64 & !LOW32) | lo) as i64;
            let new_smax = ((self.smax_value as u64 & !LOW32) | hi) as i64;
            self.smin_value = max(self.smin_value, new_smin);
            self.smax_value = min(self.smax_value, new_smax);
        }

        // After a sign-extending load the upper 32 bits are all zeros or all ones. If the
        // 64-bit range is within [S32_MIN, S32_MAX] and the low 32 bits are non-negative,
        // the upper bits cannot be all ones (those values would lie below S32_MIN), so the
        // value is the non-negative s32 range.
        if self.s32_min_value >= 0
            && self.smin_value >= i32::MIN as i64
            && self.smax_value <= i32::MAX as i64
        {
            self.smin_value = self.s32_min_value as i64;
            self.smax_value = self.s32_max_value as i64;
            self.umin_value = self.s32_min_value as u64;
            self.umax_value = self.s32_max_value as u64;
            self.var_off = self
                .var_off
                .intersect(Tnum::range(self.smin_value as u64, self.smax_value as u64));
        }
    }

    /// One round of exchanging knowledge between the four ranges (`__reg_deduce_bounds`).
    pub fn reg_deduce_bounds(&mut self) {
        self.reg32_deduce_bounds();
        self.reg64_deduce_bounds();
        self.reg_deduce_mixed_bounds();
    }

    /// Learns known bits from the unsigned bounds (`__reg_bound_offset`).
    pub fn reg_bound_offset(&mut self) {
        let var64_off = self
            .var_off
            .intersect(Tnum::range(self.umin_value, self.umax_value));
        let var32_off = var64_off.subreg().intersect(Tnum::range(
            self.u32_min_value as u64,
            self.u32_max_value as u64,
        ));
        self.var_off = var64_off.clear_subreg().or(var32_off);
    }

    /// Makes the five views consistent (`reg_bounds_sync`).
    pub fn reg_bounds_sync(&mut self) {
        // Bounds from the tnum.
        self.update_reg_bounds();
        // Signed and unsigned, 32 and 64 bits, from each other.
        self.reg_deduce_bounds();
        self.reg_deduce_bounds();
        self.reg_deduce_bounds();
        // Bits from the bounds.
        self.reg_bound_offset();
        // And bounds from those bits.
        self.update_reg_bounds();
    }

    /// Checks the invariants the kernel checks after every ALU op and branch refinement
    /// (`reg_bounds_sanity_check`): every range non-empty, and the bounds equal to the
    /// tnum's value where the tnum (or its low half) is constant. On a violation the bounds
    /// are reset (`__mark_reg_unbounded`, `var_off` kept) as Linux does, and the violation is
    /// returned so the caller can log it (the kernel logs
    /// [`InvariantViolation::log_line`] and carries on, unless the program was loaded with
    /// `BPF_F_TEST_REG_INVARIANTS`, which makes it `-EFAULT`).
    pub fn reg_bounds_sanity_check(&mut self, ctx: &str) -> Result<(), InvariantViolation> {
        let msg = if self.umin_value > self.umax_value
            || self.smin_value > self.smax_value
            || self.u32_min_value > self.u32_max_value
            || self.s32_min_value > self.s32_max_value
        {
            Some("range bounds violation")
        } else if self.var_off.is_const()
            && (self.umin_value != self.var_off.value
                || self.umax_value != self.var_off.value
                || self.smin_value != self.var_off.value as i64
                || self.smax_value != self.var_off.value as i64)
        {
            Some("const tnum out of sync with range bounds")
        } else if self.var_off.subreg_is_const() && {
            let v = self.var_off.value as u32;
            self.u32_min_value != v
                || self.u32_max_value != v
                || self.s32_min_value != v as i32
                || self.s32_max_value != v as i32
        } {
            Some("const subreg tnum out of sync with range bounds")
        } else {
            None
        };
        match msg {
            None => Ok(()),
            Some(msg) => {
                let violation = InvariantViolation {
                    ctx: ctx.to_string(),
                    msg,
                    reg: *self,
                };
                self.mark_unbounded();
                Err(violation)
            }
        }
    }

    /// Copies the 32-bit bounds into the 64-bit ones, for a value whose upper half is zero
    /// (`__reg_assign_32_into_64`).
    pub fn reg_assign_32_into_64(&mut self) {
        self.umin_value = self.u32_min_value as u64;
        self.umax_value = self.u32_max_value as u64;
        // The s32 bounds carry over only when both are non-negative; otherwise take the
        // widest non-negative range and let the tnum refine it later.
        if self.s32_min_value >= 0 && self.s32_max_value >= 0 {
            self.smin_value = self.s32_min_value as i64;
            self.smax_value = self.s32_max_value as i64;
        } else {
            self.smin_value = 0;
            self.smax_value = u32::MAX as i64;
        }
    }

    /// The effect of a 32-bit operation's zero-extension into the 64-bit register
    /// (`zext_32_to_64`).
    pub fn zext_32_to_64(&mut self) {
        self.var_off = self.var_off.subreg();
        self.reg_assign_32_into_64();
    }

    /// Truncates to the low `size` bytes (1, 2 or 4), zero-extending (`coerce_reg_to_size`).
    /// A `size` of 8 or more leaves the value alone (the kernel never asks for it).
    pub fn coerce_reg_to_size(&mut self, size: u8) {
        if size >= 8 {
            return;
        }
        self.var_off = self.var_off.cast(size);
        let mask = (1u64 << (size as u32 * 8)) - 1;
        if self.umin_value & !mask == self.umax_value & !mask {
            self.umin_value &= mask;
            self.umax_value &= mask;
        } else {
            self.umin_value = 0;
            self.umax_value = mask;
        }
        self.smin_value = self.umin_value as i64;
        self.smax_value = self.umax_value as i64;
        // Below 32 bits the subregister is truncated too: rebuild it from the 64-bit bounds.
        if size < 4 {
            self.mark_unbounded32();
        }
        self.reg_bounds_sync();
    }

    /// Sign-extends the low `size` bytes (1, 2 or 4) to 64 bits, as `movsx` does
    /// (`coerce_reg_to_size_sx`). No `reg_bounds_sync` follows, as in the kernel.
    pub fn coerce_reg_to_size_sx(&mut self, size: u8) {
        let sext = |v: u64| -> i64 {
            match size {
                1 => v as i8 as i64,
                2 => v as i16 as i64,
                _ => v as i32 as i64,
            }
        };
        if self.var_off.is_const() {
            let v = sext(self.var_off.value) as u64;
            *self = ScalarBounds::known(v);
            return;
        }
        let num_bits = match size {
            1 => 8,
            2 => 16,
            _ => 32,
        };
        let top_smax = (self.smax_value as u64 >> num_bits) << num_bits;
        let top_smin = (self.smin_value as u64 >> num_bits) << num_bits;
        if top_smax == top_smin {
            // Same upper bits: the low parts form a range, which sign extension keeps if it
            // does not cross the sign bit.
            let a = sext(self.smax_value as u64);
            let b = sext(self.smin_value as u64);
            let (s64_min, s64_max) = (min(a, b), max(a, b));
            if (s64_max >= 0) == (s64_min >= 0) {
                self.smin_value = s64_min;
                self.smax_value = s64_max;
                self.s32_min_value = s64_min as i32;
                self.s32_max_value = s64_max as i32;
                self.umin_value = s64_min as u64;
                self.umax_value = s64_max as u64;
                self.u32_min_value = s64_min as u32;
                self.u32_max_value = s64_max as u32;
                self.var_off = Tnum::range(s64_min as u64, s64_max as u64);
                return;
            }
        }
        // set_sext64_default_val
        let (lo, hi) = match size {
            1 => (i8::MIN as i64, i8::MAX as i64),
            2 => (i16::MIN as i64, i16::MAX as i64),
            _ => (i32::MIN as i64, i32::MAX as i64),
        };
        self.smin_value = lo;
        self.smax_value = hi;
        self.s32_min_value = lo as i32;
        self.s32_max_value = hi as i32;
        self.umin_value = 0;
        self.umax_value = u64::MAX;
        self.u32_min_value = 0;
        self.u32_max_value = u32::MAX;
        self.var_off = Tnum::UNKNOWN;
    }

    /// Sign-extends the low `size` bytes (1 or 2) into the 32-bit subregister, as a 32-bit
    /// `movsx` does (`coerce_subreg_to_size_sx`); the caller zero-extends afterwards.
    pub fn coerce_subreg_to_size_sx(&mut self, size: u8) {
        let sext = |v: u32| -> i32 {
            match size {
                1 => v as i8 as i32,
                _ => v as i16 as i32,
            }
        };
        if self.var_off.is_const() {
            // Like the kernel: the tnum becomes the sign-extended 64-bit constant and only the
            // 32-bit bounds are set; the zero-extension that follows fixes the rest.
            let v = sext(self.var_off.value as u32);
            self.var_off = Tnum::constant(v as i64 as u64);
            self.s32_min_value = v;
            self.s32_max_value = v;
            self.u32_min_value = v as u32;
            self.u32_max_value = v as u32;
            return;
        }
        let num_bits = if size == 1 { 8 } else { 16 };
        let top_smax = (self.s32_max_value as u32 >> num_bits) << num_bits;
        let top_smin = (self.s32_min_value as u32 >> num_bits) << num_bits;
        if top_smax == top_smin {
            let a = sext(self.s32_max_value as u32);
            let b = sext(self.s32_min_value as u32);
            let (s32_min, s32_max) = (min(a, b), max(a, b));
            if (s32_min >= 0) == (s32_max >= 0) {
                self.s32_min_value = s32_min;
                self.s32_max_value = s32_max;
                self.u32_min_value = s32_min as u32;
                self.u32_max_value = s32_max as u32;
                self.var_off = Tnum::range(s32_min as i64 as u64, s32_max as i64 as u64).subreg();
                return;
            }
        }
        // set_sext32_default_val
        let (lo, hi) = if size == 1 {
            (i8::MIN as i32, i8::MAX as i32)
        } else {
            (i16::MIN as i32, i16::MAX as i32)
        };
        self.s32_min_value = lo;
        self.s32_max_value = hi;
        self.u32_min_value = 0;
        self.u32_max_value = u32::MAX;
        self.var_off = Tnum::UNKNOWN.subreg();
    }
}

/// A failed [`ScalarBounds::reg_bounds_sanity_check`]: the bounds contradicted each other,
/// which means the verifier's reasoning went wrong (or the path is dead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantViolation {
    /// Where the check ran: `"alu"`, `"true_reg1"`, `"false_reg2"`, ...
    pub ctx: String,
    /// Which invariant failed, in the kernel's words.
    pub msg: &'static str,
    /// The register as it was before its bounds were reset.
    pub reg: ScalarBounds,
}

impl InvariantViolation {
    /// The line the Linux 6.18 verifier log shows for it.
    pub fn log_line(&self) -> String {
        format!("verifier bug: {self}")
    }
}

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.reg;
        write!(
            f,
            "REG INVARIANTS VIOLATION ({}): {} u64=[{:#x}, {:#x}] s64=[{:#x}, {:#x}] \
             u32=[{:#x}, {:#x}] s32=[{:#x}, {:#x}] var_off=({:#x}, {:#x})",
            self.ctx,
            self.msg,
            r.umin_value,
            r.umax_value,
            r.smin_value as u64,
            r.smax_value as u64,
            r.u32_min_value,
            r.u32_max_value,
            r.s32_min_value as u32,
            r.s32_max_value as u32,
            r.var_off.value,
            r.var_off.mask,
        )
    }
}

impl std::error::Error for InvariantViolation {}

#[cfg(test)]
pub(crate) mod tests;
