//! Typed [`Insn`] → raw slots: the exact inverse of decoding for every valid instruction.

use super::opcode::*;
use super::{AluOp, AtomicOp, ByteOrder, CallTarget, Insn, JmpCond, RawInsn, Source, Width};

/// Encodes one instruction into its slot(s): two for `lddw`, none for [`Insn::Ld64Tail`]
/// (the tail is written by the `lddw` itself).
pub fn encode(insn: &Insn) -> Vec<RawInsn> {
    let mut out = Vec::with_capacity(2);
    encode_into(insn, &mut out);
    out
}

/// Encodes a decoded program (one entry per slot, as [`super::decode_program`] returns it).
pub fn encode_program(insns: &[Insn]) -> Vec<RawInsn> {
    let mut out = Vec::with_capacity(insns.len());
    for insn in insns {
        encode_into(insn, &mut out);
    }
    out
}

fn src_bits(src: Source) -> (u8, u8, i32) {
    match src {
        Source::Reg(r) => (X, r.index(), 0),
        Source::Imm(i) => (K, 0, i),
    }
}

fn alu_class(width: Width) -> u8 {
    match width {
        Width::W32 => ALU,
        Width::W64 => ALU64,
    }
}

fn encode_into(insn: &Insn, out: &mut Vec<RawInsn>) {
    let raw = match *insn {
        Insn::Alu {
            width,
            op,
            dst,
            src,
        } => {
            let (opbits, off) = match op {
                AluOp::Add => (ADD, 0),
                AluOp::Sub => (SUB, 0),
                AluOp::Mul => (MUL, 0),
                AluOp::Div => (DIV, 0),
                AluOp::SDiv => (DIV, 1),
                AluOp::Or => (OR, 0),
                AluOp::And => (AND, 0),
                AluOp::Lsh => (LSH, 0),
                AluOp::Rsh => (RSH, 0),
                AluOp::Mod => (MOD, 0),
                AluOp::SMod => (MOD, 1),
                AluOp::Xor => (XOR, 0),
                AluOp::Mov => (MOV, 0),
                AluOp::MovSx(bits) => (MOV, bits as i16),
                AluOp::Arsh => (ARSH, 0),
            };
            let (s, sreg, imm) = src_bits(src);
            RawInsn::new(alu_class(width) | opbits | s, dst.index(), sreg, off, imm)
        }
        Insn::Neg { width, dst } => RawInsn::new(alu_class(width) | NEG, dst.index(), 0, 0, 0),
        Insn::Endian { order, bits, dst } => {
            let code = match order {
                ByteOrder::ToLe => ALU | END | K,
                ByteOrder::ToBe => ALU | END | X,
                ByteOrder::Swap => ALU64 | END | K,
            };
            RawInsn::new(code, dst.index(), 0, 0, bits as i32)
        }
        Insn::Ld64 {
            kind,
            dst,
            imm,
            next_imm,
        } => {
            out.push(RawInsn::new(LDDW, dst.index(), kind.src(), 0, imm));
            RawInsn::new(0, 0, 0, 0, next_imm)
        }
        Insn::Ld64Tail => return,
        Insn::Load {
            size,
            sign_extend,
            dst,
            src,
            off,
        } => {
            let mode = if sign_extend { MEMSX } else { MEM };
            RawInsn::new(LDX | mode | size.bits(), dst.index(), src.index(), off, 0)
        }
        Insn::Store {
            size,
            dst,
            off,
            src,
        } => match src {
            Source::Imm(imm) => RawInsn::new(ST | MEM | size.bits(), dst.index(), 0, off, imm),
            Source::Reg(r) => RawInsn::new(STX | MEM | size.bits(), dst.index(), r.index(), off, 0),
        },
        Insn::Atomic {
            size,
            op,
            fetch,
            dst,
            src,
            off,
        } => {
            let imm = match op {
                AtomicOp::Add => 0x00,
                AtomicOp::Or => 0x40,
                AtomicOp::And => 0x50,
                AtomicOp::Xor => 0xa0,
                AtomicOp::Xchg => XCHG,
                AtomicOp::CmpXchg => CMPXCHG,
            } | if fetch { FETCH } else { 0 };
            RawInsn::new(
                STX | ATOMIC | size.bits(),
                dst.index(),
                src.index(),
                off,
                imm,
            )
        }
        Insn::LdAbs { size, imm } => RawInsn::new(LD | ABS | size.bits(), 0, 0, 0, imm),
        Insn::LdInd { size, src, imm } => {
            RawInsn::new(LD | IND | size.bits(), 0, src.index(), 0, imm)
        }
        Insn::Ja { off, long: false } => RawInsn::new(JMP | JA, 0, 0, off as i16, 0),
        Insn::Ja { off, long: true } => RawInsn::new(JMP32 | JA, 0, 0, 0, off),
        Insn::Jump {
            width,
            cond,
            dst,
            src,
            off,
        } => {
            let class = match width {
                Width::W32 => JMP32,
                Width::W64 => JMP,
            };
            let opbits = match cond {
                JmpCond::Eq => JEQ,
                JmpCond::Gt => JGT,
                JmpCond::Ge => JGE,
                JmpCond::Set => JSET,
                JmpCond::Ne => JNE,
                JmpCond::Sgt => JSGT,
                JmpCond::Sge => JSGE,
                JmpCond::Lt => JLT,
                JmpCond::Le => JLE,
                JmpCond::Slt => JSLT,
                JmpCond::Sle => JSLE,
            };
            let (s, sreg, imm) = src_bits(src);
            RawInsn::new(class | opbits | s, dst.index(), sreg, off, imm)
        }
        Insn::MayGoto { off } => RawInsn::new(JMP | JCOND, 0, 0, off, 0),
        Insn::Call(CallTarget::Helper(id)) => RawInsn::new(CALL_OP, 0, 0, 0, id),
        Insn::Call(CallTarget::Local(off)) => RawInsn::new(CALL_OP, 0, PSEUDO_CALL, 0, off),
        Insn::Call(CallTarget::Kfunc { btf_id, module }) => {
            RawInsn::new(CALL_OP, 0, PSEUDO_KFUNC_CALL, module, btf_id)
        }
        Insn::CallX { reg } => RawInsn::new(JMP | CALL | X, reg.index(), 0, 0, 0),
        Insn::Exit => RawInsn::new(EXIT_OP, 0, 0, 0, 0),
    };
    out.push(raw);
}
