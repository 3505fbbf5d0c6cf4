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
fn line(out: &mut String, index: usize, slots: &[RawInsn], text: &str) {
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
