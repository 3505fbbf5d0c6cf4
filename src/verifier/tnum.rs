//! Tracked numbers ("tnums"): what the verifier knows about each bit of a 64-bit value.
//!
//! A [`Tnum`] is a pair `(value; mask)`: a bit set in `mask` is unknown, every other bit is
//! known and equal to the same bit of `value`. The set of concrete values a tnum stands for
//! is `{ x | x & !mask == value }`. Every operation returns a tnum that contains every result
//! of the concrete operation applied to members of its operands (soundness), and is exactly
//! the one Linux 6.18 computes in `kernel/bpf/tnum.c` (precision: the verifier's verdicts
//! depend on it). The kernel's names are kept, without the `tnum_` prefix: `tnum_const` is
//! [`Tnum::constant`], `tnum_in(a, b)` is [`Tnum::contains`], `tnum_strn` is the
//! [`Display`](std::fmt::Display) impl, `tnum_sbin` is [`Tnum::sbin`], `tnum_step` is
//! [`Tnum::step`].
//!
//! A well-formed tnum has `value & mask == 0`; every constructor here produces one, and the
//! operations preserve it. None of them panics, whatever the input (shift counts of 64 or
//! more give the mathematically shifted-out result instead of C's undefined behaviour).

use std::fmt;

/// What is known about the bits of a 64-bit value (`struct tnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tnum {
    /// The known bits (bits set in `mask` are 0 here in a well-formed tnum).
    pub value: u64,
    /// The unknown bits.
    pub mask: u64,
}

/// Logical left shift that yields 0 instead of wrapping the count.
const fn shl(v: u64, n: u32) -> u64 {
    if n >= 64 { 0 } else { v << n }
}

/// Logical right shift that yields 0 instead of wrapping the count.
const fn shr(v: u64, n: u32) -> u64 {
    if n >= 64 { 0 } else { v >> n }
}

/// Arithmetic right shift that saturates the count at 63 (the sign fills every bit).
const fn sar(v: u64, n: u32) -> u64 {
    let n = if n >= 64 { 63 } else { n };
    ((v as i64) >> n) as u64
}

/// `(1 << bits) - 1` without overflow for `bits >= 64`.
const fn low_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

impl Tnum {
    /// A completely unknown value (`tnum_unknown`).
    pub const UNKNOWN: Tnum = Tnum {
        value: 0,
        mask: u64::MAX,
    };

    /// The tnum with exactly these fields (the kernel's `TNUM()` macro); not normalised.
    pub const fn new(value: u64, mask: u64) -> Tnum {
        Tnum { value, mask }
    }

    /// A known constant (`tnum_const`).
    pub const fn constant(value: u64) -> Tnum {
        Tnum { value, mask: 0 }
    }

    /// The smallest tnum of the form "known high bits, unknown low bits" that contains every
    /// value in `min..=max` (`tnum_range`). With `min > max` the result is that of the
    /// kernel: it then describes the bits where the two bounds differ.
    pub const fn range(min: u64, max: u64) -> Tnum {
        let chi = min ^ max;
        // fls64: index (1-based) of the highest set bit, 0 for 0.
        let bits = 64 - chi.leading_zeros();
        if bits > 63 {
            return Tnum::UNKNOWN;
        }
        let delta = low_mask(bits);
        Tnum {
            value: min & !delta,
            mask: delta,
        }
    }

    /// Left shift by a known amount (`tnum_lshift`).
    pub const fn lshift(self, shift: u8) -> Tnum {
        Tnum {
            value: shl(self.value, shift as u32),
            mask: shl(self.mask, shift as u32),
        }
    }

    /// Logical right shift by a known amount (`tnum_rshift`).
    pub const fn rshift(self, shift: u8) -> Tnum {
        Tnum {
            value: shr(self.value, shift as u32),
            mask: shr(self.mask, shift as u32),
        }
    }

    /// Arithmetic right shift by a known amount in a 32- or 64-bit operation
    /// (`tnum_arshift`): with `insn_bitness == 32` the low 32 bits are shifted as an `s32`
    /// and the result is zero-extended.
    pub const fn arshift(self, min_shift: u8, insn_bitness: u8) -> Tnum {
        if insn_bitness == 32 {
            let n = if min_shift >= 32 {
                31
            } else {
                min_shift as u32
            };
            Tnum {
                value: (((self.value as u32 as i32) >> n) as u32) as u64,
                mask: (((self.mask as u32 as i32) >> n) as u32) as u64,
            }
        } else {
            Tnum {
                value: sar(self.value, min_shift as u32),
                mask: sar(self.mask, min_shift as u32),
            }
        }
    }

    /// Addition (`tnum_add`).
    pub const fn add(self, b: Tnum) -> Tnum {
        let sm = self.mask.wrapping_add(b.mask);
        let sv = self.value.wrapping_add(b.value);
        let sigma = sm.wrapping_add(sv);
        let chi = sigma ^ sv;
        let mu = chi | self.mask | b.mask;
        Tnum {
            value: sv & !mu,
            mask: mu,
        }
    }

    /// Subtraction (`tnum_sub`).
    pub const fn sub(self, b: Tnum) -> Tnum {
        let dv = self.value.wrapping_sub(b.value);
        let alpha = dv.wrapping_add(self.mask);
        let beta = dv.wrapping_sub(b.mask);
        let chi = alpha ^ beta;
        let mu = chi | self.mask | b.mask;
        Tnum {
            value: dv & !mu,
            mask: mu,
        }
    }

    /// Two's complement negation (`tnum_neg`): `0 - self`.
    pub const fn neg(self) -> Tnum {
        Tnum::constant(0).sub(self)
    }

    /// Bitwise and (`tnum_and`).
    pub const fn and(self, b: Tnum) -> Tnum {
        let alpha = self.value | self.mask;
        let beta = b.value | b.mask;
        let v = self.value & b.value;
        Tnum {
            value: v,
            mask: alpha & beta & !v,
        }
    }

    /// Bitwise or (`tnum_or`).
    pub const fn or(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask | b.mask;
        Tnum {
            value: v,
            mask: mu & !v,
        }
    }

    /// Bitwise exclusive or (`tnum_xor`).
    pub const fn xor(self, b: Tnum) -> Tnum {
        let v = self.value ^ b.value;
        let mu = self.mask | b.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// Multiplication (`tnum_mul`), the shift-and-add algorithm of Linux 6.18: for every bit
    /// of `self`, from the lowest, add the correspondingly shifted `b` when the bit is a known
    /// 1, and join (union) "added" and "not added" when it is unknown.
    pub const fn mul(self, b: Tnum) -> Tnum {
        let mut acc = Tnum::constant(0);
        let mut a = self;
        let mut b = b;
        while a.value != 0 || a.mask != 0 {
            if a.value & 1 != 0 {
                acc = acc.add(b);
            } else if a.mask & 1 != 0 {
                acc = acc.union(acc.add(b));
            }
            a = a.rshift(1);
            b = b.lshift(1);
        }
        acc
    }

    /// Whether some value is in both tnums: their known bits agree where both are known
    /// (`tnum_overlap`).
    pub const fn overlap(self, b: Tnum) -> bool {
        let mu = !self.mask & !b.mask;
        (self.value & mu) == (b.value & mu)
    }

    /// The values in both tnums (`tnum_intersect`). Where the known bits disagree (the
    /// intersection is empty) the result has a known 1 in that bit, as in the kernel.
    pub const fn intersect(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask & b.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// The smallest tnum containing both (`tnum_union`): a bit is known only where both
    /// operands know it with the same value.
    pub const fn union(self, b: Tnum) -> Tnum {
        let mu = (self.value ^ b.value) | self.mask | b.mask;
        Tnum {
            value: self.value & b.value & !mu,
            mask: mu,
        }
    }

    /// Keeps the low `size` bytes, clearing the rest (`tnum_cast`). `size >= 8` keeps all.
    pub const fn cast(self, size: u8) -> Tnum {
        let m = low_mask(size as u32 * 8);
        Tnum {
            value: self.value & m,
            mask: self.mask & m,
        }
    }

    /// Whether every value is a multiple of `size`, a power of two (`tnum_is_aligned`);
    /// `size == 0` is always aligned.
    pub const fn is_aligned(self, size: u64) -> bool {
        if size == 0 {
            return true;
        }
        (self.value | self.mask) & (size.wrapping_sub(1)) == 0
    }

    /// Whether every value of `b` is a value of `self` (`tnum_in(self, b)`).
    pub const fn contains(self, b: Tnum) -> bool {
        if b.mask & !self.mask != 0 {
            return false;
        }
        self.value == b.value & !self.mask
    }

    /// Whether the concrete value `v` is one of the values of `self`.
    pub const fn contains_value(self, v: u64) -> bool {
        v & !self.mask == self.value
    }

    /// The smallest value of `self` greater than `z` (`tnum_step`), for `z` between the
    /// smallest and the largest value; below the smallest it returns the smallest, from the
    /// largest on it returns the largest, as the kernel's does.
    pub const fn step(self, z: u64) -> u64 {
        let tmax = self.value | self.mask;
        if z >= tmax {
            return tmax;
        }
        if z < self.value {
            return self.value;
        }
        // The smallest member >= n, with n <= tmax.
        let n = z + 1;
        let known = !self.mask;
        let diff = (n ^ self.value) & known;
        if diff == 0 {
            return n;
        }
        // The highest known bit where n disagrees with the tnum decides.
        let i = 63 - diff.leading_zeros();
        let below = low_mask(i + 1);
        if self.value >> i & 1 != 0 {
            // The tnum has a 1 where n has a 0: keep n above, the smallest tnum bits from i.
            (n & !below) | (self.value & below)
        } else {
            // The tnum has a 0 where n has a 1: the unknown bits above i must count up by
            // one (the next subset of those mask bits), and everything below is minimal.
            let m_hi = self.mask & !below;
            let next = (n & m_hi).wrapping_sub(m_hi) & m_hi;
            if next == 0 {
                return tmax;
            }
            self.value | next
        }
    }

    /// Whether the value is fully known (`tnum_is_const`).
    pub const fn is_const(self) -> bool {
        self.mask == 0
    }

    /// Whether the value is fully known and equal to `b` (`tnum_equals_const`).
    pub const fn equals_const(self, b: u64) -> bool {
        self.mask == 0 && self.value == b
    }

    /// Whether nothing is known (`tnum_is_unknown`).
    pub const fn is_unknown(self) -> bool {
        self.mask == u64::MAX
    }

    /// The low 32 bits, zero-extended (`tnum_subreg`).
    pub const fn subreg(self) -> Tnum {
        self.cast(4)
    }

    /// The high 32 bits, with the low 32 known zero (`tnum_clear_subreg`).
    pub const fn clear_subreg(self) -> Tnum {
        self.rshift(32).lshift(32)
    }

    /// The high 32 bits of `self` with the low 32 bits of `subreg` (`tnum_with_subreg`).
    pub const fn with_subreg(self, subreg: Tnum) -> Tnum {
        self.clear_subreg().or(subreg.subreg())
    }

    /// The high 32 bits of `self` with the low 32 bits known to be `value`
    /// (`tnum_const_subreg`).
    pub const fn const_subreg(self, value: u32) -> Tnum {
        self.with_subreg(Tnum::constant(value as u64))
    }

    /// Whether the low 32 bits are fully known (`tnum_subreg_is_const`).
    pub const fn subreg_is_const(self) -> bool {
        self.mask as u32 == 0
    }

    /// Byte swap of the low 16 bits, zero-extended (`tnum_bswap16`).
    pub const fn bswap16(self) -> Tnum {
        Tnum {
            value: (self.value as u16).swap_bytes() as u64,
            mask: (self.mask as u16).swap_bytes() as u64,
        }
    }

    /// Byte swap of the low 32 bits, zero-extended (`tnum_bswap32`).
    pub const fn bswap32(self) -> Tnum {
        Tnum {
            value: (self.value as u32).swap_bytes() as u64,
            mask: (self.mask as u32).swap_bytes() as u64,
        }
    }

    /// Byte swap of all 64 bits (`tnum_bswap64`).
    pub const fn bswap64(self) -> Tnum {
        Tnum {
            value: self.value.swap_bytes(),
            mask: self.mask.swap_bytes(),
        }
    }

    /// The 64 bits as a string of `0`, `1` and `x`, most significant first (`tnum_sbin`).
    pub fn sbin(self) -> String {
        (0..64)
            .rev()
            .map(|bit| {
                if self.mask >> bit & 1 != 0 {
                    'x'
                } else if self.value >> bit & 1 != 0 {
                    '1'
                } else {
                    '0'
                }
            })
            .collect()
    }
}

impl Default for Tnum {
    /// The unknown tnum.
    fn default() -> Self {
        Tnum::UNKNOWN
    }
}

/// The verifier log's form of a tnum (`tnum_strn`): `(0x0; 0xff)` when some bits are
/// unknown, as in `var_off=(0x0; 0xff)`; a constant prints as its value, in decimal up to
/// 65535 and in hex above. Linux's `%#llx` prints zero as `0x0`, and so does this.
impl fmt::Display for Tnum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mask == 0 {
            if self.value <= u16::MAX as u64 {
                write!(f, "{}", self.value)
            } else {
                write!(f, "{:#x}", self.value)
            }
        } else {
            write!(f, "({:#x}; {:#x})", self.value, self.mask)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(value: u64, mask: u64) -> Tnum {
        Tnum::new(value, mask)
    }

    /// A well-formed tnum.
    fn arb_tnum() -> impl Strategy<Value = Tnum> {
        prop_oneof![
            // Small masks keep many bits known, which is where the precision is.
            (any::<u64>(), any::<u64>(), 0u32..64).prop_map(|(v, m, shift)| {
                let m = m >> shift;
                t(v & !m, m)
            }),
            any::<u64>().prop_map(Tnum::constant),
            (any::<u64>(), any::<u64>()).prop_map(|(v, m)| t(v & !m, m)),
            (any::<u64>(), any::<u64>()).prop_map(|(a, b)| Tnum::range(a.min(b), a.max(b))),
        ]
    }

    /// A well-formed tnum and one of its members.
    fn arb_member() -> impl Strategy<Value = (Tnum, u64)> {
        (arb_tnum(), any::<u64>()).prop_map(|(tn, r)| (tn, tn.value | (r & tn.mask)))
    }

    #[test]
    fn constructors() {
        assert_eq!(Tnum::constant(5), t(5, 0));
        assert_eq!(Tnum::range(0, 0xff), t(0, 0xff));
        assert_eq!(Tnum::range(4, 4), t(4, 0));
        assert_eq!(Tnum::range(0x10, 0x17), t(0x10, 0x7));
        assert_eq!(Tnum::range(0x10, 0x20), t(0, 0x3f));
        assert_eq!(Tnum::range(0, u64::MAX), Tnum::UNKNOWN);
        assert_eq!(Tnum::range(1, 1 << 63), Tnum::UNKNOWN);
        // min > max: the bits where they differ (the kernel never relies on it).
        assert_eq!(Tnum::range(3, 1), t(0, 3));
    }

    #[test]
    fn shifts() {
        assert_eq!(t(0x1, 0x2).lshift(4), t(0x10, 0x20));
        assert_eq!(t(0x10, 0x20).rshift(4), t(0x1, 0x2));
        assert_eq!(t(1, 0).lshift(64), t(0, 0));
        assert_eq!(t(1 << 63, 0).rshift(64), t(0, 0));
        assert_eq!(
            t(0x8000_0000_0000_0000, 0x0f).arshift(4, 64),
            t(0xf800_0000_0000_0000, 0)
        );
        assert_eq!(t(0x8000_0000, 0x10).arshift(4, 32), t(0xf800_0000, 0x1));
        // Unknown sign bit: the mask spreads.
        assert_eq!(
            t(0, 0x8000_0000_0000_0000).arshift(60, 64),
            t(0, 0xffff_ffff_ffff_fff8)
        );
    }

    #[test]
    fn arithmetic_examples() {
        // (0x0; 0xff) + 1 = (0x0; 0x1ff)
        assert_eq!(t(0, 0xff).add(Tnum::constant(1)), t(0, 0x1ff));
        assert_eq!(Tnum::constant(3).add(Tnum::constant(4)), Tnum::constant(7));
        // 12 + (0x0; 0x...fff0) as the kernel printed for r9 -= 100 on (0x0; 0x3f0).
        assert_eq!(
            t(0, 0x3f0).sub(Tnum::constant(100)),
            t(0xc, 0xffff_ffff_ffff_fff0)
        );
        assert_eq!(t(0, 0xff).neg(), Tnum::UNKNOWN);
        assert_eq!(Tnum::constant(5).neg(), Tnum::constant(5u64.wrapping_neg()));
        assert_eq!(t(0, 0xff).and(Tnum::constant(0x0f)), t(0, 0x0f));
        assert_eq!(t(0, 0xff).or(Tnum::constant(0x100)), t(0x100, 0xff));
        assert_eq!(t(0x100, 0xff).xor(Tnum::constant(0x101)), t(0, 0xff));
        assert_eq!(Tnum::constant(6).mul(Tnum::constant(7)), Tnum::constant(42));
        assert_eq!(t(0, 1).mul(Tnum::constant(4)), t(0, 4));
        assert_eq!(t(0, 3).mul(t(0, 3)), t(0, 0xf));
        // From a Linux 6.18 log: r7 *= -2 with r7 var_off=(0xe0000005; 0xffffffff1ffffffa).
        assert_eq!(
            t(0xe000_0005, 0xffff_ffff_1fff_fffa).mul(Tnum::constant(-2i64 as u64)),
            t(0x2, 0xffff_fffe_3fff_fff4)
        );
        // Not commutative in precision: `r6 *= 0xb22` and `r7 = 0xb22; r7 *= r6` with
        // r6 var_off=(0x44; 0xc32) printed these two.
        assert_eq!(t(0x44, 0xc32).mul(Tnum::constant(0xb22)), t(0x8, 0xff_ffe4));
        assert_eq!(
            Tnum::constant(0xb22).mul(t(0x44, 0xc32)),
            t(0x108, 0xff_fee4)
        );
    }

    #[test]
    fn subreg_helpers() {
        let a = t(0x1_0000_0000, 0xfffe_0000_00ff);
        assert_eq!(a.subreg(), t(0, 0xff));
        assert_eq!(a.clear_subreg(), t(0x1_0000_0000, 0xfffe_0000_0000));
        assert_eq!(
            a.with_subreg(Tnum::constant(7)),
            t(0x1_0000_0007, 0xfffe_0000_0000)
        );
        assert_eq!(a.const_subreg(9), t(0x1_0000_0009, 0xfffe_0000_0000));
        assert!(t(0, 0xffff_0000_0000).subreg_is_const());
        assert!(!a.subreg_is_const());
        assert_eq!(a.cast(1), t(0, 0xff));
        assert_eq!(a.cast(8), a);
    }

    #[test]
    fn bswaps_match_the_kernel_log() {
        // be16 on (0x0; 0xff) printed var_off=(0x0; 0xff00).
        assert_eq!(t(0, 0xff).bswap16(), t(0, 0xff00));
        assert_eq!(t(0, 0xff).bswap32(), t(0, 0xff00_0000));
        // be64 on (0x100000000; 0xff) printed (0x1000000; 0xff00000000000000).
        assert_eq!(
            t(0x1_0000_0000, 0xff).bswap64(),
            t(0x100_0000, 0xff00_0000_0000_0000)
        );
        assert_eq!(t(0xc, 0xffff_ffff_ffff_fff0).bswap16(), t(0xc00, 0xf0ff));
    }

    #[test]
    fn predicates() {
        assert!(Tnum::constant(3).is_const());
        assert!(Tnum::constant(3).equals_const(3));
        assert!(!t(0, 1).equals_const(0));
        assert!(Tnum::UNKNOWN.is_unknown());
        assert!(t(0, 0xf0).is_aligned(16));
        assert!(!t(0, 0xf8).is_aligned(16));
        assert!(t(8, 0).is_aligned(0));
        assert!(t(0, 0xff).contains(t(0x10, 0x0f)));
        assert!(!t(0x10, 0x0f).contains(t(0, 0xff)));
        assert!(t(0, 0xff).overlap(t(0x10, 0)));
        assert!(!t(0x100, 0xff).overlap(t(0x10, 0)));
        assert_eq!(t(1, 0).union(t(2, 0)), t(0, 3));
    }

    #[test]
    fn step_examples() {
        // Members of (0x0; 0x8000): 0 and 0x8000.
        assert_eq!(t(0, 0x8000).step(1), 0x8000);
        assert_eq!(t(0, 0x8000).step(0), 0x8000);
        assert_eq!(t(0, 0x8000).step(0x8000), 0x8000);
        // Members of (0x4; 0x3): 4..=7.
        assert_eq!(t(4, 3).step(2), 4);
        assert_eq!(t(4, 3).step(5), 6);
        // (0x1; 0x12): 1, 3, 0x11, 0x13.
        assert_eq!(t(1, 0x12).step(3), 0x11);
        assert_eq!(t(1, 0x12).step(0x10), 0x11);
        assert_eq!(t(1, 0x12).step(0x11), 0x13);
        assert_eq!(Tnum::UNKNOWN.step(5), 6);
        assert_eq!(Tnum::UNKNOWN.step(u64::MAX), u64::MAX);
        assert_eq!(t(1 << 63, 1).step(0), 1 << 63);
    }

    #[test]
    fn printing() {
        assert_eq!(t(0, 0xff).to_string(), "(0x0; 0xff)");
        assert_eq!(
            t(0xffff_ffff_ffff_fe00, 0x1ff).to_string(),
            "(0xfffffffffffffe00; 0x1ff)"
        );
        assert_eq!(Tnum::constant(0).to_string(), "0");
        assert_eq!(Tnum::constant(65535).to_string(), "65535");
        assert_eq!(Tnum::constant(65536).to_string(), "0x10000");
        let s = t(0b10, 0b100).sbin();
        assert_eq!(s.len(), 64);
        assert!(s.ends_with("x10"));
        assert!(s.starts_with("000"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn binary_ops_contain_concrete_results((a, x) in arb_member(), (b, y) in arb_member()) {
            prop_assert!(a.add(b).contains_value(x.wrapping_add(y)));
            prop_assert!(a.sub(b).contains_value(x.wrapping_sub(y)));
            prop_assert!(a.mul(b).contains_value(x.wrapping_mul(y)));
            prop_assert!(a.and(b).contains_value(x & y));
            prop_assert!(a.or(b).contains_value(x | y));
            prop_assert!(a.xor(b).contains_value(x ^ y));
            prop_assert!(a.union(b).contains_value(x));
            prop_assert!(a.union(b).contains_value(y));
            prop_assert!(a.overlap(b) || x != y);
            if x == y {
                prop_assert!(a.intersect(b).contains_value(x));
            }
            for r in [a.add(b), a.sub(b), a.mul(b), a.and(b), a.or(b), a.xor(b), a.union(b)] {
                prop_assert_eq!(r.value & r.mask, 0);
            }
        }

        #[test]
        fn unary_ops_contain_concrete_results((a, x) in arb_member(), s in 0u8..64) {
            prop_assert!(a.neg().contains_value(x.wrapping_neg()));
            prop_assert!(a.lshift(s).contains_value(x << s));
            prop_assert!(a.rshift(s).contains_value(x >> s));
            prop_assert!(a.arshift(s, 64).contains_value(((x as i64) >> s) as u64));
            let s32 = s % 32;
            prop_assert!(a.arshift(s32, 32).contains_value(((x as i32) >> s32) as u32 as u64));
            for size in 1u8..=8 {
                let m = if size == 8 { u64::MAX } else { (1u64 << (size * 8)) - 1 };
                prop_assert!(a.cast(size).contains_value(x & m));
            }
            prop_assert!(a.subreg().contains_value(x as u32 as u64));
            prop_assert!(a.clear_subreg().contains_value(x & !0xffff_ffff));
            prop_assert!(a.bswap16().contains_value((x as u16).swap_bytes() as u64));
            prop_assert!(a.bswap32().contains_value((x as u32).swap_bytes() as u64));
            prop_assert!(a.bswap64().contains_value(x.swap_bytes()));
        }

        #[test]
        fn range_contains_its_interval(a in any::<u64>(), b in any::<u64>(), r in any::<u64>()) {
            let (lo, hi) = (a.min(b), a.max(b));
            let tn = Tnum::range(lo, hi);
            prop_assert!(tn.contains_value(lo));
            prop_assert!(tn.contains_value(hi));
            let span = hi - lo;
            let mid = lo + if span == u64::MAX { r } else { r % (span + 1) };
            prop_assert!(tn.contains_value(mid));
        }

        #[test]
        fn subset_and_membership_agree((a, x) in arb_member(), b in arb_tnum()) {
            if a.contains(b) {
                prop_assert!(a.contains_value(b.value));
                prop_assert!(a.contains_value(b.value | b.mask));
            }
            prop_assert!(Tnum::UNKNOWN.contains(a));
            prop_assert!(a.contains(Tnum::constant(x)));
            prop_assert!(a.contains(a));
        }

        #[test]
        fn constant_ops_are_exact(x in any::<u64>(), y in any::<u64>()) {
            let (a, b) = (Tnum::constant(x), Tnum::constant(y));
            prop_assert_eq!(a.add(b), Tnum::constant(x.wrapping_add(y)));
            prop_assert_eq!(a.sub(b), Tnum::constant(x.wrapping_sub(y)));
            prop_assert_eq!(a.mul(b), Tnum::constant(x.wrapping_mul(y)));
            prop_assert_eq!(a.and(b), Tnum::constant(x & y));
            prop_assert_eq!(a.or(b), Tnum::constant(x | y));
            prop_assert_eq!(a.xor(b), Tnum::constant(x ^ y));
            prop_assert_eq!(a.neg(), Tnum::constant(x.wrapping_neg()));
        }

        #[test]
        fn step_is_the_next_member(v in any::<u64>(), bits in proptest::collection::vec(0u32..64, 0..8),
                                   pick in any::<u64>(), delta in 0u64..3) {
            // A tnum with few unknown bits, so that its members can be listed.
            let mask = bits.iter().fold(0u64, |m, &b| m | 1 << b);
            let tn = t(v & !mask, mask);
            let mut members: Vec<u64> = (0..1u64 << bits.len())
                .map(|k| {
                    let mut x = tn.value;
                    let mut j = 0;
                    for b in 0..64 {
                        if mask >> b & 1 != 0 {
                            if k >> j & 1 != 0 { x |= 1 << b; }
                            j += 1;
                        }
                    }
                    x
                })
                .collect();
            members.sort_unstable();
            members.dedup();
            let tmax = *members.last().unwrap();
            let base = members[(pick % members.len() as u64) as usize];
            for z in [base.wrapping_sub(delta), base.wrapping_add(delta), base] {
                let expect = if z >= tmax {
                    tmax
                } else {
                    *members.iter().find(|&&m| m > z).unwrap()
                };
                prop_assert_eq!(tn.step(z), expect, "tnum {} z {:#x}", tn, z);
            }
        }

        #[test]
        fn nothing_panics(a in any::<u64>(), b in any::<u64>(), c in any::<u64>(),
                          d in any::<u64>(), s in any::<u8>()) {
            // Ill-formed tnums (value & mask != 0) and any shift count.
            let (x, y) = (t(a, b), t(c, d));
            let _ = (x.add(y), x.sub(y), x.mul(y), x.and(y), x.or(y), x.xor(y), x.neg());
            let _ = (x.lshift(s), x.rshift(s), x.arshift(s, 64), x.arshift(s, 32), x.cast(s));
            let _ = (x.intersect(y), x.union(y), x.is_aligned(c), x.contains(y), x.sbin());
            let _ = (Tnum::range(a, c), x.step(c));
        }
    }
}
