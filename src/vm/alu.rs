//! The arithmetic semantics of RFC 9669 in one place: division and modulo by zero, signed
//! overflow, shift masking, sign extension, byte swaps, jump conditions. The interpreter calls
//! these; the JIT is checked against them.

use crate::insn::JmpCond;

/// `dst / src` (unsigned, 64-bit): division by zero gives 0.
#[inline(always)]
pub fn div64(dst: u64, src: u64) -> u64 {
    dst.checked_div(src).unwrap_or(0)
}

/// `dst / src` (unsigned, 32-bit, zero-extended): division by zero gives 0.
#[inline(always)]
pub fn div32(dst: u64, src: u64) -> u64 {
    (dst as u32).checked_div(src as u32).unwrap_or(0) as u64
}

/// `dst % src` (unsigned, 64-bit): modulo by zero leaves dst unchanged.
#[inline(always)]
pub fn mod64(dst: u64, src: u64) -> u64 {
    dst.checked_rem(src).unwrap_or(dst)
}

/// `dst % src` (unsigned, 32-bit): modulo by zero leaves the low half of dst (zero-extended).
#[inline(always)]
pub fn mod32(dst: u64, src: u64) -> u64 {
    let d = dst as u32;
    d.checked_rem(src as u32).unwrap_or(d) as u64
}

/// Signed 64-bit division: by zero gives 0, `INT_MIN / -1` gives `INT_MIN`.
#[inline(always)]
pub fn sdiv64(dst: u64, src: u64) -> u64 {
    if src == 0 {
        0
    } else {
        (dst as i64).wrapping_div(src as i64) as u64
    }
}

/// Signed 32-bit division (zero-extended): by zero gives 0, `INT_MIN / -1` gives `INT_MIN`.
#[inline(always)]
pub fn sdiv32(dst: u64, src: u64) -> u64 {
    if src as u32 == 0 {
        0
    } else {
        (dst as i32).wrapping_div(src as i32) as u32 as u64
    }
}

/// Signed 64-bit modulo (sign of the dividend): by zero leaves dst, `INT_MIN % -1` is 0.
#[inline(always)]
pub fn smod64(dst: u64, src: u64) -> u64 {
    if src == 0 {
        dst
    } else {
        (dst as i64).wrapping_rem(src as i64) as u64
    }
}

/// Signed 32-bit modulo (zero-extended): by zero leaves the low half of dst.
#[inline(always)]
pub fn smod32(dst: u64, src: u64) -> u64 {
    if src as u32 == 0 {
        dst as u32 as u64
    } else {
        (dst as i32).wrapping_rem(src as i32) as u32 as u64
    }
}

#[inline(always)]
pub fn lsh64(dst: u64, src: u64) -> u64 {
    dst << (src & 63)
}

#[inline(always)]
pub fn lsh32(dst: u64, src: u64) -> u64 {
    ((dst as u32) << (src & 31)) as u64
}

#[inline(always)]
pub fn rsh64(dst: u64, src: u64) -> u64 {
    dst >> (src & 63)
}

#[inline(always)]
pub fn rsh32(dst: u64, src: u64) -> u64 {
    ((dst as u32) >> (src & 31)) as u64
}

#[inline(always)]
pub fn arsh64(dst: u64, src: u64) -> u64 {
    ((dst as i64) >> (src & 63)) as u64
}

#[inline(always)]
pub fn arsh32(dst: u64, src: u64) -> u64 {
    ((dst as i32) >> (src & 31)) as u32 as u64
}

/// Sign-extends the low `bits` (8, 16 or 32) of `v` to 64 bits.
#[inline(always)]
pub fn sign_extend(v: u64, bits: u8) -> u64 {
    match bits {
        8 => v as i8 as i64 as u64,
        16 => v as i16 as i64 as u64,
        32 => v as i32 as i64 as u64,
        _ => v,
    }
}

/// `le16/32/64`: on a little-endian machine, truncation to the size (zero-extended).
#[inline(always)]
pub fn to_le(v: u64, bits: u8) -> u64 {
    match bits {
        16 => u16::from_le(v as u16) as u64,
        32 => u32::from_le(v as u32) as u64,
        _ => u64::from_le(v),
    }
}

/// `be16/32/64` and `bswap16/32/64`: byte swap of the low `bits` (zero-extended).
#[inline(always)]
pub fn swap(v: u64, bits: u8) -> u64 {
    match bits {
        16 => (v as u16).swap_bytes() as u64,
        32 => (v as u32).swap_bytes() as u64,
        _ => v.swap_bytes(),
    }
}

/// Whether a 64-bit conditional jump is taken.
#[inline(always)]
pub fn cond64(cond: JmpCond, a: u64, b: u64) -> bool {
    match cond {
        JmpCond::Eq => a == b,
        JmpCond::Gt => a > b,
        JmpCond::Ge => a >= b,
        JmpCond::Set => a & b != 0,
        JmpCond::Ne => a != b,
        JmpCond::Sgt => (a as i64) > (b as i64),
        JmpCond::Sge => (a as i64) >= (b as i64),
        JmpCond::Lt => a < b,
        JmpCond::Le => a <= b,
        JmpCond::Slt => (a as i64) < (b as i64),
        JmpCond::Sle => (a as i64) <= (b as i64),
    }
}

/// Whether a 32-bit conditional jump (JMP32) is taken: compares the low halves.
#[inline(always)]
pub fn cond32(cond: JmpCond, a: u64, b: u64) -> bool {
    let (a, b) = (a as u32, b as u32);
    match cond {
        JmpCond::Sgt => (a as i32) > (b as i32),
        JmpCond::Sge => (a as i32) >= (b as i32),
        JmpCond::Slt => (a as i32) < (b as i32),
        JmpCond::Sle => (a as i32) <= (b as i32),
        _ => cond64(cond, a as u64, b as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_edge_cases() {
        assert_eq!(div64(7, 0), 0);
        assert_eq!(mod64(7, 0), 7);
        assert_eq!(mod32(0xffff_ffff_0000_0007, 0), 7);
        assert_eq!(sdiv64(i64::MIN as u64, u64::MAX), i64::MIN as u64);
        assert_eq!(smod64(i64::MIN as u64, u64::MAX), 0);
        assert_eq!(sdiv32(i32::MIN as u32 as u64, 0xffff_ffff), 0x8000_0000);
        assert_eq!(smod32((-7i32) as u32 as u64, 2), (-1i32) as u32 as u64);
    }

    #[test]
    fn shifts_mask_their_amount() {
        assert_eq!(lsh64(1, 65), 2);
        assert_eq!(lsh32(1, 33), 2);
        assert_eq!(arsh32(0x8000_0000, 4), 0xf800_0000);
    }

    #[test]
    fn byte_swaps() {
        assert_eq!(swap(0x1122_3344_5566_7788, 16), 0x8877);
        assert_eq!(to_le(0x1122_3344_5566_7788, 32), 0x5566_7788);
        assert_eq!(sign_extend(0x80, 8), 0xffff_ffff_ffff_ff80);
    }
}
