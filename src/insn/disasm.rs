//! Typed [`Insn`]s → text, in the syntax `llvm-objdump -d` (LLVM 19) prints for BPF objects.
//!
//! Owns the spelling of every instruction. The texts are the ones plain `llvm-objdump -d`
//! prints (`r0 = *(u32 *)(r1 + 0x4)`, `if w1 > w7 goto +0x4`, `r0 = -0x1 ll`, ...). Where
//! that output is `<unknown>` or loses information, the text is an extension that the
//! assembler ([`super::asm`]) reads back to the same bytes:
//!
//! - 32-bit atomics other than plain `lock ... += r1`: the spelling `llvm-objdump --mcpu=v4`
//!   uses (`w0 = atomic_fetch_add((u32 *)(r10 - 0x8), w0)`, `w1 = xchg32_32(r10 - 0x8, w1)`,
//!   `w0 = cmpxchg32_32(r10 - 0x8, w0, w1)`, `lock *(u32 *)(r10 - 0x8) ^= w1`);
//! - bpf-to-bpf calls: `call local +0x5` (llvm prints these like helper calls, `call 0x5`);
//! - kfunc calls: `call kfunc 0x4d2`, or `call kfunc 0x4d2 module 0x3` when the BTF is a
//!   module's (llvm prints `call 0x4d2` for both);
//! - `lddw` with a pseudo source: `r1 = map_fd(0x5) ll`, `r1 = map_value(0x5, 0x8) ll`,
//!   `r1 = btf_id(0x5) ll`, `r1 = func(0x5) ll`, `r1 = map_idx(0x5) ll`,
//!   `r1 = map_idx_value(0x5, 0x8) ll` (llvm prints `ld_pseudo r1, 0x2, 0x5`, dropping the
//!   second immediate); the second argument is printed for the `*_value` kinds always and
//!   for the others only when it is non-zero;
//! - `LD_IND` with a non-zero immediate: `r0 = *(u8 *)skb[r1 + 0x5]` (llvm drops the
//!   immediate and prints `skb[r1]`).
//!
//! `callx r2` and `may_goto +0x3` are what llvm 19 prints. Jump and call offsets are shown
//! relative (`goto +0x3`), without llvm's `<.text+0x..>` symbol annotation.

use super::{
    AluOp, AtomicOp, ByteOrder, CallTarget, DecodeError, Insn, Ld64Kind, RawInsn, Reg, Size,
    Source, Width, decode_program,
};
use std::fmt::Write;

/// A signed value in llvm-objdump's hex form: `0x5`, `-0x5`.
pub(crate) fn signed_hex(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

/// A relative offset in llvm-objdump's form: `+0x5`, `-0x5`, `+0x0`.
pub(crate) fn rel_hex(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("+{v:#x}")
    }
}

/// `r1 + 0x4` / `r10 - 0x8`: a base register and a signed offset.
fn addr(base: Reg, off: i16) -> String {
    if off < 0 {
        format!("{base} - {:#x}", off.unsigned_abs())
    } else {
        format!("{base} + {off:#x}")
    }
}

/// A register as a 32-bit (`w1`) or 64-bit (`r1`) operand.
fn reg(width: Width, r: Reg) -> String {
    match width {
        Width::W32 => format!("w{}", r.index()),
        Width::W64 => format!("r{}", r.index()),
    }
}

fn source(width: Width, src: Source) -> String {
    match src {
        Source::Reg(r) => reg(width, r),
        Source::Imm(i) => signed_hex(i as i64),
    }
}

/// The compound-assignment operator of an ALU operation (`None` for the moves).
fn alu_operator(op: AluOp) -> Option<&'static str> {
    Some(match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div => "/=",
        AluOp::SDiv => "s/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Mod => "%=",
        AluOp::SMod => "s%=",
        AluOp::Xor => "^=",
        AluOp::Arsh => "s>>=",
        AluOp::Mov | AluOp::MovSx(_) => return None,
    })
}

/// The name of an `lddw` pseudo source in the `r1 = map_fd(0x5) ll` form (`None` for a
/// plain constant).
pub(crate) fn ld64_kind_name(kind: Ld64Kind) -> Option<&'static str> {
    Some(match kind {
        Ld64Kind::Imm => return None,
        Ld64Kind::MapFd => "map_fd",
        Ld64Kind::MapValue => "map_value",
        Ld64Kind::BtfId => "btf_id",
        Ld64Kind::Func => "func",
        Ld64Kind::MapIdx => "map_idx",
        Ld64Kind::MapIdxValue => "map_idx_value",
    })
}

fn atomic_text(size: Size, op: AtomicOp, fetch: bool, dst: Reg, src: Reg, off: i16) -> String {
    let ty = size.c_type();
    let a = addr(dst, off);
    let w64 = size == Size::DW;
    // 64-bit atomics use r registers; 32-bit ones the w registers of `--mcpu=v4`, except
    // the plain add, which default llvm-objdump prints with an r register.
    let val = if w64 || (op == AtomicOp::Add && !fetch) {
        format!("r{}", src.index())
    } else {
        format!("w{}", src.index())
    };
    let r0 = if w64 { "r0" } else { "w0" };
    let (name, sym) = match op {
        AtomicOp::Add => ("add", "+="),
        AtomicOp::Or => ("or", "|="),
        AtomicOp::And => ("and", "&="),
        AtomicOp::Xor => ("xor", "^="),
        AtomicOp::Xchg => {
            let f = if w64 { "xchg_64" } else { "xchg32_32" };
            return format!("{val} = {f}({a}, {val})");
        }
        AtomicOp::CmpXchg => {
            let f = if w64 { "cmpxchg_64" } else { "cmpxchg32_32" };
            return format!("{r0} = {f}({a}, {r0}, {val})");
        }
    };
    if fetch {
        format!("{val} = atomic_fetch_{name}(({ty} *)({a}), {val})")
    } else {
        format!("lock *({ty} *)({a}) {sym} {val}")
    }
}

/// The text of one instruction, as llvm-objdump prints it (see the module documentation for
/// the kinds llvm has no faithful syntax for).
pub fn insn_text(insn: &Insn) -> String {
    match *insn {
        Insn::Alu {
            width,
            op,
            dst,
            src,
        } => {
            let d = reg(width, dst);
            match op {
                AluOp::Mov => format!("{d} = {}", source(width, src)),
                AluOp::MovSx(bits) => format!("{d} = (s{bits}){}", source(width, src)),
                _ => {
                    let o = alu_operator(op).unwrap_or("?=");
                    format!("{d} {o} {}", source(width, src))
                }
            }
        }
        Insn::Neg { width, dst } => {
            let d = reg(width, dst);
            format!("{d} = -{d}")
        }
        Insn::Endian { order, bits, dst } => {
            let name = match order {
                ByteOrder::ToLe => "le",
                ByteOrder::ToBe => "be",
                ByteOrder::Swap => "bswap",
            };
            format!("{dst} = {name}{bits} {dst}")
        }
        Insn::Ld64 {
            kind,
            dst,
            imm,
            next_imm,
        } => match ld64_kind_name(kind) {
            None => format!(
                "{dst} = {} ll",
                signed_hex(Insn::ld64_value(imm, next_imm) as i64)
            ),
            Some(name) => {
                let always_second = matches!(kind, Ld64Kind::MapValue | Ld64Kind::MapIdxValue);
                if always_second || next_imm != 0 {
                    format!(
                        "{dst} = {name}({}, {}) ll",
                        signed_hex(imm as i64),
                        signed_hex(next_imm as i64)
                    )
                } else {
                    format!("{dst} = {name}({}) ll", signed_hex(imm as i64))
                }
            }
        },
        Insn::Ld64Tail => "<lddw second slot>".to_string(),
        Insn::Load {
            size,
            sign_extend,
            dst,
            src,
            off,
        } => {
            let ty = if sign_extend {
                size.c_type().replace('u', "s")
            } else {
                size.c_type().to_string()
            };
            format!("{dst} = *({ty} *)({})", addr(src, off))
        }
        Insn::Store {
            size,
            dst,
            off,
            src,
        } => format!(
            "*({} *)({}) = {}",
            size.c_type(),
            addr(dst, off),
            source(Width::W64, src)
        ),
        Insn::Atomic {
            size,
            op,
            fetch,
            dst,
            src,
            off,
        } => atomic_text(size, op, fetch, dst, src, off),
        Insn::LdAbs { size, imm } => {
            format!("r0 = *({} *)skb[{}]", size.c_type(), signed_hex(imm as i64))
        }
        Insn::LdInd { size, src, imm } => {
            let ty = size.c_type();
            if imm == 0 {
                format!("r0 = *({ty} *)skb[{src}]")
            } else if imm < 0 {
                format!("r0 = *({ty} *)skb[{src} - {:#x}]", imm.unsigned_abs())
            } else {
                format!("r0 = *({ty} *)skb[{src} + {imm:#x}]")
            }
        }
        Insn::Ja { off, long } => {
            let m = if long { "gotol" } else { "goto" };
            format!("{m} {}", rel_hex(off as i64))
        }
        Insn::Jump {
            width,
            cond,
            dst,
            src,
            off,
        } => format!(
            "if {} {} {} goto {}",
            reg(width, dst),
            cond.operator(),
            source(width, src),
            rel_hex(off as i64)
        ),
        Insn::MayGoto { off } => format!("may_goto {}", rel_hex(off as i64)),
        Insn::Call(CallTarget::Helper(id)) => format!("call {}", signed_hex(id as i64)),
        Insn::Call(CallTarget::Local(off)) => format!("call local {}", rel_hex(off as i64)),
        Insn::Call(CallTarget::Kfunc { btf_id, module }) => {
            if module == 0 {
                format!("call kfunc {}", signed_hex(btf_id as i64))
            } else {
                format!(
                    "call kfunc {} module {}",
                    signed_hex(btf_id as i64),
                    signed_hex(module as i64)
                )
            }
        }
        Insn::CallX { reg } => format!("callx {reg}"),
        Insn::Exit => "exit".to_string(),
    }
}

/// One llvm-objdump line: `     N:\t<bytes spaced>\t<text>`. `lddw` is one line holding both
/// slots' 16 bytes, as llvm-objdump 19 prints it.
pub fn line(out: &mut String, index: usize, slots: &[RawInsn], text: &str) {
    let _ = write!(out, "{index:>8}:\t");
    let mut first = true;
    for slot in slots {
        for b in slot.to_bytes() {
            if !first {
                out.push(' ');
            }
            first = false;
            let _ = write!(out, "{b:02x}");
        }
    }
    let _ = writeln!(out, "\t{text}");
}

/// Disassembles a whole program into llvm-objdump-like lines (one per instruction, each
/// ending with a newline). Fails on the first slot that does not decode.
pub fn disassemble(bytes: &[u8]) -> Result<String, DecodeError> {
    let slots = RawInsn::slots(bytes)?;
    let insns = decode_program(&slots)?;
    let mut out = String::new();
    for (index, insn) in insns.iter().enumerate() {
        if *insn == Insn::Ld64Tail {
            continue;
        }
        let end = (index + insn.slots()).min(slots.len());
        let raw = slots.get(index..end).unwrap_or_default();
        line(&mut out, index, raw, &insn_text(insn));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::decode_slot;

    fn text_of(hex: &str) -> String {
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let slots = RawInsn::slots(&bytes).unwrap();
        insn_text(&decode_slot(&slots, 0).unwrap())
    }

    /// Every pair is a line of `llvm-objdump-19 -d` (no `--mcpu`) on objects assembled with
    /// `llvm-mc-19 -triple bpfel -mcpu=v4`, symbol annotations removed.
    #[test]
    fn matches_llvm_objdump_19() {
        let golden = [
            ("bf10000000000000", "r0 = r1"),
            ("bc10000000000000", "w0 = w1"),
            ("b700000005000000", "r0 = 0x5"),
            ("b400000005000000", "w0 = 0x5"),
            ("b7000000ffffffff", "r0 = -0x1"),
            ("b4000000ffffffff", "w0 = -0x1"),
            ("b7000000ffffff7f", "r0 = 0x7fffffff"),
            ("b4000000ffffff7f", "w0 = 0x7fffffff"),
            ("0f10000000000000", "r0 += r1"),
            ("1700000003000000", "r0 -= 0x3"),
            ("2f20000000000000", "r0 *= r2"),
            ("3f20000000000000", "r0 /= r2"),
            ("3f20010000000000", "r0 s/= r2"),
            ("9f20000000000000", "r0 %= r2"),
            ("9f20010000000000", "r0 s%= r2"),
            ("4f20000000000000", "r0 |= r2"),
            ("5f20000000000000", "r0 &= r2"),
            ("6f20000000000000", "r0 <<= r2"),
            ("7f20000000000000", "r0 >>= r2"),
            ("cf20000000000000", "r0 s>>= r2"),
            ("af20000000000000", "r0 ^= r2"),
            ("0c10000000000000", "w0 += w1"),
            ("3c10010000000000", "w0 s/= w1"),
            ("9400010007000000", "w0 s%= 0x7"),
            ("c400000003000000", "w0 s>>= 0x3"),
            ("8700000000000000", "r0 = -r0"),
            ("8400000000000000", "w0 = -w0"),
            ("bf10080000000000", "r0 = (s8)r1"),
            ("bf10100000000000", "r0 = (s16)r1"),
            ("bf10200000000000", "r0 = (s32)r1"),
            ("bc10080000000000", "w0 = (s8)w1"),
            ("bc10100000000000", "w0 = (s16)w1"),
            ("dc01000010000000", "r1 = be16 r1"),
            ("dc01000020000000", "r1 = be32 r1"),
            ("dc01000040000000", "r1 = be64 r1"),
            ("d401000010000000", "r1 = le16 r1"),
            ("d401000020000000", "r1 = le32 r1"),
            ("d401000040000000", "r1 = le64 r1"),
            ("d701000010000000", "r1 = bswap16 r1"),
            ("d701000020000000", "r1 = bswap32 r1"),
            ("d701000040000000", "r1 = bswap64 r1"),
            (
                "18000000887766550000000044332211",
                "r0 = 0x1122334455667788 ll",
            ),
            ("18000000010000000000000000000000", "r0 = 0x1 ll"),
            ("7110040000000000", "r0 = *(u8 *)(r1 + 0x4)"),
            ("6910fcff00000000", "r0 = *(u16 *)(r1 - 0x4)"),
            ("6110000000000000", "r0 = *(u32 *)(r1 + 0x0)"),
            ("79a0f8ff00000000", "r0 = *(u64 *)(r10 - 0x8)"),
            ("9110010000000000", "r0 = *(s8 *)(r1 + 0x1)"),
            ("8910020000000000", "r0 = *(s16 *)(r1 + 0x2)"),
            ("8110040000000000", "r0 = *(s32 *)(r1 + 0x4)"),
            ("6110040000000000", "r0 = *(u32 *)(r1 + 0x4)"),
            ("731affff00000000", "*(u8 *)(r10 - 0x1) = r1"),
            ("6b1afeff00000000", "*(u16 *)(r10 - 0x2) = r1"),
            ("631afcff00000000", "*(u32 *)(r10 - 0x4) = r1"),
            ("7b1af8ff00000000", "*(u64 *)(r10 - 0x8) = r1"),
            ("720affff05000000", "*(u8 *)(r10 - 0x1) = 0x5"),
            ("6a0afefffbffffff", "*(u16 *)(r10 - 0x2) = -0x5"),
            ("620afcffffffff7f", "*(u32 *)(r10 - 0x4) = 0x7fffffff"),
            ("7a0af8ff01000000", "*(u64 *)(r10 - 0x8) = 0x1"),
            ("db1af8ff00000000", "lock *(u64 *)(r10 - 0x8) += r1"),
            ("c31af8ff00000000", "lock *(u32 *)(r10 - 0x8) += r1"),
            ("db1af8ff40000000", "lock *(u64 *)(r10 - 0x8) |= r1"),
            ("db1af8ff50000000", "lock *(u64 *)(r10 - 0x8) &= r1"),
            ("db1af8ffa0000000", "lock *(u64 *)(r10 - 0x8) ^= r1"),
            (
                "db0af8ff01000000",
                "r0 = atomic_fetch_add((u64 *)(r10 - 0x8), r0)",
            ),
            (
                "db0af8ff41000000",
                "r0 = atomic_fetch_or((u64 *)(r10 - 0x8), r0)",
            ),
            (
                "db0af8ff51000000",
                "r0 = atomic_fetch_and((u64 *)(r10 - 0x8), r0)",
            ),
            (
                "db0af8ffa1000000",
                "r0 = atomic_fetch_xor((u64 *)(r10 - 0x8), r0)",
            ),
            ("db1af8ffe1000000", "r1 = xchg_64(r10 - 0x8, r1)"),
            ("db1af8fff1000000", "r0 = cmpxchg_64(r10 - 0x8, r0, r1)"),
            ("300000000c000000", "r0 = *(u8 *)skb[0xc]"),
            ("280000000c000000", "r0 = *(u16 *)skb[0xc]"),
            ("200000000c000000", "r0 = *(u32 *)skb[0xc]"),
            ("5010000000000000", "r0 = *(u8 *)skb[r1]"),
            ("4810000000000000", "r0 = *(u16 *)skb[r1]"),
            ("4010000000000000", "r0 = *(u32 *)skb[r1]"),
            ("2d71040000000000", "if r1 > r7 goto +0x4"),
            ("1501fcff05000000", "if r1 == 0x5 goto -0x4"),
            ("5d21000000000000", "if r1 != r2 goto +0x0"),
            ("6d21010000000000", "if r1 s> r2 goto +0x1"),
            ("7d21010000000000", "if r1 s>= r2 goto +0x1"),
            ("cd21010000000000", "if r1 s< r2 goto +0x1"),
            ("dd21010000000000", "if r1 s<= r2 goto +0x1"),
            ("ad21010000000000", "if r1 < r2 goto +0x1"),
            ("bd21010000000000", "if r1 <= r2 goto +0x1"),
            ("3d21010000000000", "if r1 >= r2 goto +0x1"),
            ("4d21010000000000", "if r1 & r2 goto +0x1"),
            ("4501010010000000", "if r1 & 0x10 goto +0x1"),
            ("2e71040000000000", "if w1 > w7 goto +0x4"),
            ("1601fcff05000000", "if w1 == 0x5 goto -0x4"),
            ("1601fcfffbffffff", "if w1 == -0x5 goto -0x4"),
            ("1501fcfffbffffff", "if r1 == -0x5 goto -0x4"),
            ("0500030000000000", "goto +0x3"),
            ("0500ffff00000000", "goto -0x1"),
            ("0600000003000000", "gotol +0x3"),
            ("060000009cffffff", "gotol -0x64"),
            ("8500000005000000", "call 0x5"),
            ("85000000ffffffff", "call -0x1"),
            ("8d02000000000000", "callx r2"),
            ("9500000000000000", "exit"),
            ("18000000ffffffff00000000ffffffff", "r0 = -0x1 ll"),
            ("18000000000000800000000000000000", "r0 = 0x80000000 ll"),
            ("b400000000000080", "w0 = -0x80000000"),
            ("b700000000000080", "r0 = -0x80000000"),
            ("1501000000000080", "if r1 == -0x80000000 goto +0x0"),
            ("1e21000000000000", "if w1 == w2 goto +0x0"),
            ("4e21000000000000", "if w1 & w2 goto +0x0"),
            ("c601000003000000", "if w1 s< 0x3 goto +0x0"),
            ("7a0af8ff00000080", "*(u64 *)(r10 - 0x8) = -0x80000000"),
            ("7110008000000000", "r0 = *(u8 *)(r1 - 0x8000)"),
            ("7110ff7f00000000", "r0 = *(u8 *)(r1 + 0x7fff)"),
            ("7110000000000000", "r0 = *(u8 *)(r1 + 0x0)"),
            ("0500ff7f00000000", "goto +0x7fff"),
            ("0500008000000000", "goto -0x8000"),
            ("06000000ff7f0000", "gotol +0x7fff"),
            ("e500030000000000", "may_goto +0x3"),
            ("85000000ffffff7f", "call 0x7fffffff"),
            ("8500000000000080", "call -0x80000000"),
            ("18000000000000000000000000000000", "r0 = 0x0 ll"),
            ("bfa1000000000000", "r1 = r10"),
            ("bf1a000000000000", "r10 = r1"),
        ];
        for (hex, want) in golden {
            assert_eq!(text_of(hex), want, "{hex}");
        }
    }

    /// 32-bit atomics that plain `llvm-objdump -d` cannot print: the `--mcpu=v4` spelling.
    #[test]
    fn atomics32_use_the_mcpu_v4_spelling() {
        let golden = [
            ("c31af8ffa0000000", "lock *(u32 *)(r10 - 0x8) ^= w1"),
            (
                "c30af8ff01000000",
                "w0 = atomic_fetch_add((u32 *)(r10 - 0x8), w0)",
            ),
            (
                "c30af8ffa1000000",
                "w0 = atomic_fetch_xor((u32 *)(r10 - 0x8), w0)",
            ),
            ("c31af8ffe1000000", "w1 = xchg32_32(r10 - 0x8, w1)"),
            ("c31af8fff1000000", "w0 = cmpxchg32_32(r10 - 0x8, w0, w1)"),
        ];
        for (hex, want) in golden {
            assert_eq!(text_of(hex), want, "{hex}");
        }
    }

    /// Kinds llvm prints ambiguously or lossily get re-assemblable spellings.
    #[test]
    fn extensions_for_what_llvm_cannot_spell() {
        let golden = [
            ("85100000ffffffff", "call local -0x1"),
            ("85200000d2040000", "call kfunc 0x4d2"),
            ("85200300d2040000", "call kfunc 0x4d2 module 0x3"),
            ("18110000050000000000000000000000", "r1 = map_fd(0x5) ll"),
            (
                "18210000050000000000000008000000",
                "r1 = map_value(0x5, 0x8) ll",
            ),
            ("18310000050000000000000000000000", "r1 = btf_id(0x5) ll"),
            ("18410000050000000000000000000000", "r1 = func(0x5) ll"),
            ("18510000050000000000000000000000", "r1 = map_idx(0x5) ll"),
            (
                "18610000050000000000000008000000",
                "r1 = map_idx_value(0x5, 0x8) ll",
            ),
            ("50100000fbffffff", "r0 = *(u8 *)skb[r1 - 0x5]"),
            ("4810000005000000", "r0 = *(u16 *)skb[r1 + 0x5]"),
            ("8d02000000000000", "callx r2"),
            ("e500030000000000", "may_goto +0x3"),
        ];
        for (hex, want) in golden {
            assert_eq!(text_of(hex), want, "{hex}");
        }
    }

    #[test]
    fn disassembles_lines_like_llvm_objdump() {
        let bytes = [
            0xb7, 0, 0, 0, 5, 0, 0, 0, // r0 = 0x5
            0x18, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, // lddw
            0x95, 0, 0, 0, 0, 0, 0, 0, // exit
        ];
        assert_eq!(
            disassemble(&bytes).unwrap(),
            "       0:\tb7 00 00 00 05 00 00 00\tr0 = 0x5\n\
             \x20      1:\t18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11\tr0 = 0x1122334455667788 ll\n\
             \x20      3:\t95 00 00 00 00 00 00 00\texit\n"
        );
        assert!(disassemble(&[0x95, 0, 0]).is_err());
        assert!(disassemble(&[0xff, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert_eq!(disassemble(&[]).unwrap(), "");
    }
}
