//! Internet checksum arithmetic as Linux does it on x86-64, and the checksum helpers
//! `bpf_csum_diff`, `bpf_l3_csum_replace` and `bpf_l4_csum_replace`.
//!
//! Values are in "memory order": a 16-bit checksum field is the little-endian load of its two
//! bytes, a 32-bit word likewise, exactly as the kernel's C code sees them on x86-64. The
//! one's complement sums are therefore the same bits the kernel computes.
//!
//! Linux 6.18's `bpf_csum_diff` returns the 16-bit fold (not complemented) of
//! `csum_partial(to, seed) - csum_partial(from, 0)` (since 6.13; before it returned the
//! 32-bit partial sum of the concatenated, from-negated words), and no longer refuses sizes
//! that are not multiples of 4: checked against the kernel in tests/helpers_net_kernel.rs.
//! The verifier bounds both sizes by the memory passed; larger ones than a stack buffer
//! (map values) were not compared.

use super::{NetResult, skb_ctx};
use crate::helpers::{CallEnv, errno};

use crate::progtype::skb::{CHECKSUM_COMPLETE, CHECKSUM_PARTIAL};

/// `csum_add`: 32-bit one's complement addition (end-around carry).
pub fn add(a: u32, b: u32) -> u32 {
    let (s, carry) = a.overflowing_add(b);
    s.wrapping_add(carry as u32)
}

/// `csum_sub`.
pub fn sub(a: u32, b: u32) -> u32 {
    add(a, !b)
}

/// `csum_fold`: the complemented 16-bit fold of a 32-bit partial sum.
pub fn fold(sum: u32) -> u16 {
    !from32to16(sum)
}

/// `csum_from32to16`: the 16-bit fold, not complemented.
pub fn from32to16(sum: u32) -> u16 {
    let s = sum.wrapping_add(sum.rotate_left(16));
    (s >> 16) as u16
}

/// `csum_block_add`: adds a block's sum found at byte offset `offset` (odd offsets swap
/// the bytes of the sum).
pub fn block_add(csum: u32, block: u32, offset: usize) -> u32 {
    let b = if offset & 1 == 1 {
        block.rotate_right(8)
    } else {
        block
    };
    add(csum, b)
}

/// `csum_block_sub`.
pub fn block_sub(csum: u32, block: u32, offset: usize) -> u32 {
    block_add(csum, !block, offset)
}

/// 64-bit add with carry into the accumulator (`addq`/`adcq` chains end with `adcq $0`).
fn add64(acc: u64, v: u64) -> u64 {
    let (s, c) = acc.overflowing_add(v);
    s.wrapping_add(c as u64)
}

fn le64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(w)
}

/// x86-64's `csum_partial`: the 32-bit partial sum of `buf` added to `seed`. The bytes are
/// summed as little-endian 64-bit words (two 40-byte blocks in parallel from 80 bytes on,
/// then 40, 32, 16, 8 bytes and the zero-padded tail) and folded to 32 bits with an
/// end-around carry, which gives the same bits as the kernel's assembly.
pub fn partial(buf: &[u8], seed: u32) -> u32 {
    let mut t = seed as u64;
    let mut rest = buf;
    let block40 = |mut acc: u64, b: &[u8]| {
        for i in 0..5 {
            acc = add64(acc, le64(&b[8 * i..8 * i + 8]));
        }
        acc
    };
    if rest.len() >= 80 {
        let mut t2 = 0u64;
        while rest.len() >= 80 {
            t = block40(t, &rest[..40]);
            t2 = block40(t2, &rest[40..80]);
            rest = &rest[80..];
        }
        t = add64(t, t2);
    }
    if rest.len() >= 40 {
        t = block40(t, &rest[..40]);
        rest = &rest[40..];
        if rest.is_empty() {
            return finalize(t);
        }
    }
    for chunk in [32usize, 16, 8] {
        if rest.len() & chunk != 0 {
            for w in rest[..chunk].chunks_exact(8) {
                t = add64(t, le64(w));
            }
            rest = &rest[chunk..];
        }
    }
    if !rest.is_empty() {
        t = add64(t, le64(rest));
    }
    finalize(t)
}

/// `csum_finalize_sum`: `(t + ror64(t, 32)) >> 32`.
fn finalize(t: u64) -> u32 {
    (t.wrapping_add(t.rotate_right(32)) >> 32) as u32
}

/// `bpf_csum_diff` on the words' bytes (see the module docs).
pub fn diff(from: &[u8], to: &[u8], seed: u32) -> u16 {
    let ret = match (from.is_empty(), to.is_empty()) {
        (false, false) => sub(partial(to, seed), partial(from, 0)),
        (true, false) => partial(to, seed),
        (false, true) => !partial(from, !seed),
        (true, true) => seed,
    };
    from32to16(ret)
}

/// `csum_replace4`.
pub fn replace4(sum: u16, from: u32, to: u32) -> u16 {
    let tmp = sub(!(sum as u32), from);
    fold(add(tmp, to))
}

/// `csum16_add`.
fn csum16_add(csum: u16, addend: u16) -> u16 {
    let (r, c) = csum.overflowing_add(addend);
    r.wrapping_add(c as u16)
}

/// `csum_replace2`.
pub fn replace2(sum: u16, from: u16, to: u16) -> u16 {
    !csum16_add(csum16_add(!sum, !from), to)
}

/// `csum_replace_by_diff`.
pub fn replace_by_diff(sum: u16, diff: u32) -> u16 {
    fold(add(diff, !(sum as u32)))
}

/// `BPF_F_HDR_FIELD_MASK`.
const HDR_FIELD_MASK: u64 = 0xf;
const F_PSEUDO_HDR: u64 = 1 << 4;
const F_MARK_MANGLED_0: u64 = 1 << 5;
const F_MARK_ENFORCE: u64 = 1 << 6;
const F_IPV6: u64 = 1 << 7;
/// `CSUM_MANGLED_0`.
const CSUM_MANGLED_0: u16 = 0xffff;

/// `bpf_csum_diff(from, from_size, to, to_size, seed)`.
pub(super) fn csum_diff(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (from_size, to_size) = (a[1] as u32, a[3] as u32);
    let from = c.read(a[0], from_size as usize)?;
    let to = c.read(a[2], to_size as usize)?;
    Ok(diff(&from, &to, a[4] as u32) as u64)
}

/// Where a checksum helper may write its 16-bit field: `offset` must be even, at most
/// 0xffff, and the field must lie in the packet. `Err` carries the helper's return value.
fn csum_field(len: usize, offset: u64) -> Result<usize, u64> {
    if offset > 0xffff || offset & 1 != 0 {
        return Err(errno::EFAULT);
    }
    let off = offset as usize;
    if off + 2 > len {
        return Err(errno::EFAULT);
    }
    Ok(off)
}

/// `bpf_l3_csum_replace(skb, offset, from, to, flags)`.
pub(super) fn l3_csum_replace(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (offset, from, to, flags) = (a[1], a[2], a[3], a[4]);
    let skb = skb_ctx(c, "bpf_l3_csum_replace")?;
    if flags & !HDR_FIELD_MASK != 0 {
        return Ok(errno::EINVAL);
    }
    let off = match csum_field(skb.packet().len(), offset) {
        Ok(o) => o,
        Err(e) => return Ok(e),
    };
    let sum = read16(skb.packet(), off);
    let new = match flags & HDR_FIELD_MASK {
        0 if from != 0 => return Ok(errno::EINVAL),
        0 => replace_by_diff(sum, to as u32),
        2 => replace2(sum, from as u16, to as u16),
        4 => replace4(sum, from as u32, to as u32),
        _ => return Ok(errno::EINVAL),
    };
    skb.packet_mut().store_bytes(off, &new.to_le_bytes());
    Ok(0)
}

/// `bpf_l4_csum_replace(skb, offset, from, to, flags)`.
pub(super) fn l4_csum_replace(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (offset, from, to, flags) = (a[1], a[2], a[3], a[4]);
    let skb = skb_ctx(c, "bpf_l4_csum_replace")?;
    let pseudo = flags & F_PSEUDO_HDR != 0;
    let mmzero = flags & F_MARK_MANGLED_0 != 0;
    let mforce = flags & F_MARK_ENFORCE != 0;
    let ipv6 = flags & F_IPV6 != 0;
    if flags & !(F_MARK_MANGLED_0 | F_MARK_ENFORCE | F_PSEUDO_HDR | HDR_FIELD_MASK | F_IPV6) != 0 {
        return Ok(errno::EINVAL);
    }
    let off = match csum_field(skb.packet().len(), offset) {
        Ok(o) => o,
        Err(e) => return Ok(e),
    };
    let sum = read16(skb.packet(), off);
    if mmzero && !mforce && sum == 0 {
        return Ok(0);
    }
    let partial = skb.ip_summed == CHECKSUM_PARTIAL;
    let complete = skb.ip_summed == CHECKSUM_COMPLETE;
    let new = match flags & HDR_FIELD_MASK {
        0 if from != 0 => return Ok(errno::EINVAL),
        0 => {
            let d = to as u32;
            if !partial {
                if complete && pseudo && !ipv6 {
                    skb.csum = !sub(d, skb.csum);
                }
                replace_by_diff(sum, d)
            } else if pseudo {
                !fold(add(d, sum as u32))
            } else {
                sum
            }
        }
        size @ (2 | 4) => {
            let (f, t) = if size == 2 {
                (from as u16 as u32, to as u16 as u32)
            } else {
                (from as u32, to as u32)
            };
            if !partial {
                if complete && pseudo {
                    skb.csum = !add(sub(!skb.csum, f), t);
                }
                replace4(sum, f, t)
            } else if pseudo {
                !fold(add(sub(sum as u32, f), t))
            } else {
                sum
            }
        }
        _ => return Ok(errno::EINVAL),
    };
    let new = if mmzero && new == 0 {
        CSUM_MANGLED_0
    } else {
        new
    };
    skb.packet_mut().store_bytes(off, &new.to_le_bytes());
    Ok(0)
}

/// The 16-bit field at `off` (relative to `data`; callers checked the range).
fn read16(p: &crate::progtype::Packet, off: usize) -> u16 {
    let b = p.load_bytes(off, 2).unwrap_or_default();
    match b.as_slice() {
        [x, y] => u16::from_le_bytes([*x, *y]),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain RFC 1071 sum, for comparison: every 32-bit partial sum the kernel gives
    /// must fold to the same 16 bits.
    fn reference(buf: &[u8], seed: u32) -> u16 {
        let mut s = seed as u64;
        for ch in buf.chunks(2) {
            s += u16::from_le_bytes([ch[0], ch.get(1).copied().unwrap_or(0)]) as u64;
        }
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        s as u16
    }

    #[test]
    fn partial_folds_like_the_plain_sum() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..data.len() {
            for seed in [0u32, 1, 0xffff_ffff, 0xdead_beef] {
                let p = partial(&data[..len], seed);
                let r = reference(&data[..len], seed);
                assert!(
                    from32to16(p) == r
                        || (from32to16(p) == 0xffff && r == 0)
                        || (from32to16(p) == 0 && r == 0xffff),
                    "len {len} seed {seed:#x}"
                );
            }
        }
    }

    // Values Linux 6.18 returned from bpf_csum_diff (tests/helpers_net_kernel.rs asks again).
    #[test]
    fn csum_diff_matches_the_kernel() {
        let w = |ws: &[u32]| ws.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        assert_eq!(
            diff(
                &w(&[0xffff_ffff, 0x1234_5678]),
                &w(&[0x0001_0002, 0xfffe_fffd, 7]),
                0xdead_beef
            ),
            13560
        );
        assert_eq!(diff(&[], &w(&[u32::MAX; 3]), u32::MAX), 0xffff);
        assert_eq!(diff(&w(&[0]), &[], 0x12345), 9030);
    }

    #[test]
    fn replace_keeps_the_checksum_valid() {
        // An IPv4 header: changing the TTL/protocol word and an address with the replace
        // functions gives the checksum a full recomputation gives.
        let mut h = [
            0x45u8, 0, 0, 0x54, 0, 0, 0x40, 0, 0x40, 1, 0, 0, 192, 168, 0, 1, 10, 0, 0, 2,
        ];
        let sum = fold(partial(&h, 0));
        h[10..12].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(fold(partial(&h, 0)), 0);
        let old = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
        let new = u32::from_le_bytes([172, 16, 9, 9]);
        let s = replace4(u16::from_le_bytes([h[10], h[11]]), old, new);
        h[12..16].copy_from_slice(&new.to_le_bytes());
        h[10..12].copy_from_slice(&s.to_le_bytes());
        assert_eq!(fold(partial(&h, 0)), 0);
        let old16 = u16::from_le_bytes([h[8], h[9]]);
        let new16 = u16::from_le_bytes([0x3f, 6]);
        let s = replace2(u16::from_le_bytes([h[10], h[11]]), old16, new16);
        h[8..10].copy_from_slice(&new16.to_le_bytes());
        h[10..12].copy_from_slice(&s.to_le_bytes());
        assert_eq!(fold(partial(&h, 0)), 0);
        let d = diff(&h[16..20], &[1, 2, 3, 4], 0) as u32;
        let s = replace_by_diff(u16::from_le_bytes([h[10], h[11]]), d);
        h[16..20].copy_from_slice(&[1, 2, 3, 4]);
        h[10..12].copy_from_slice(&s.to_le_bytes());
        assert_eq!(fold(partial(&h, 0)), 0);
    }
}
