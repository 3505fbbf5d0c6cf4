//! Programs both benchmarks run, so that the interpreter, the JIT and rbpf are measured on
//! the same instructions.

use bpfsim::insn::{AluOp, Insn, JmpCond, Reg, Source, Width};

pub fn alu(op: AluOp, dst: Reg, src: Source) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op,
        dst,
        src,
    }
}

pub fn loop_back(reg: Reg, off: i16) -> Insn {
    Insn::Jump {
        width: Width::W64,
        cond: JmpCond::Ne,
        dst: reg,
        src: Source::Imm(0),
        off,
    }
}

/// r0 = 0; r1 = n; do { r0 += r1; r0 ^= 0x5a; r2 = r0; r2 >>= 3; r0 += r2 } while (--r1)
pub fn arithmetic_loop(n: i32) -> Vec<Insn> {
    vec![
        alu(AluOp::Mov, Reg::R0, Source::Imm(0)),
        alu(AluOp::Mov, Reg::R1, Source::Imm(n)),
        alu(AluOp::Add, Reg::R0, Source::Reg(Reg::R1)),
        alu(AluOp::Xor, Reg::R0, Source::Imm(0x5a)),
        alu(AluOp::Mov, Reg::R2, Source::Reg(Reg::R0)),
        alu(AluOp::Rsh, Reg::R2, Source::Imm(3)),
        alu(AluOp::Add, Reg::R0, Source::Reg(Reg::R2)),
        alu(AluOp::Sub, Reg::R1, Source::Imm(1)),
        loop_back(Reg::R1, -7),
        Insn::Exit,
    ]
}
