//! `compute_live_registers`: which registers each instruction may still read before
//! writing them, found by a backward data-flow fix point over the CFG (Linux 6.15+ does
//! this before `do_check`). `do_check` forgets dead registers of the states it keeps at
//! prune points, so that states differing only in dead registers prune each other.
//!
//! Calls read R1–R5 and write R0–R5 (a bpf-to-bpf call is seen from the caller the same
//! way); `exit` reads R0.

use super::cfg::insn_successors;
use crate::insn::{AtomicOp, Insn, RawInsn, Source, decode_slot};

/// One bit per register, R0 in bit 0.
pub type RegMask = u16;

const CALLER_SAVED: RegMask = 0b11_1111; // R0-R5
const ARGS: RegMask = 0b11_1110; // R1-R5

fn bit(r: u8) -> RegMask {
    1 << (r & 15)
}

/// (use, def) of one instruction.
fn use_def(insns: &[RawInsn], idx: usize) -> (RegMask, RegMask) {
    let Ok(insn) = decode_slot(insns, idx) else {
        return (0, 0);
    };
    let src_bit = |s: Source| match s {
        Source::Reg(r) => bit(r.index()),
        Source::Imm(_) => 0,
    };
    match insn {
        Insn::Alu { op, dst, src, .. } => {
            let is_mov = matches!(op, crate::insn::AluOp::Mov | crate::insn::AluOp::MovSx(_));
            let u = src_bit(src) | if is_mov { 0 } else { bit(dst.index()) };
            (u, bit(dst.index()))
        }
        Insn::Neg { dst, .. } | Insn::Endian { dst, .. } => (bit(dst.index()), bit(dst.index())),
        Insn::Ld64 { dst, .. } => (0, bit(dst.index())),
        Insn::Ld64Tail => (0, 0),
        Insn::Load { dst, src, .. } => (bit(src.index()), bit(dst.index())),
        Insn::Store { dst, src, .. } => (bit(dst.index()) | src_bit(src), 0),
        Insn::Atomic {
            op,
            fetch,
            dst,
            src,
            ..
        } => {
            let mut u = bit(dst.index()) | bit(src.index());
            let mut d = 0;
            if op == AtomicOp::CmpXchg {
                u |= 1;
                d |= 1;
            } else if fetch || op == AtomicOp::Xchg {
                d |= bit(src.index());
            }
            (u, d)
        }
        Insn::LdAbs { .. } => (bit(6), CALLER_SAVED),
        Insn::LdInd { src, .. } => (bit(6) | bit(src.index()), CALLER_SAVED),
        Insn::Ja { .. } | Insn::MayGoto { .. } => (0, 0),
        Insn::Jump { dst, src, .. } => (bit(dst.index()) | src_bit(src), 0),
        Insn::Call(_) => (ARGS, CALLER_SAVED),
        Insn::CallX { reg } => (ARGS | bit(reg.index()), CALLER_SAVED),
        Insn::Exit => (1, 0),
    }
}

/// The registers live before each instruction.
pub fn compute_live_registers(insns: &[RawInsn]) -> Vec<RegMask> {
    let n = insns.len();
    let ud: Vec<(RegMask, RegMask)> = (0..n).map(|i| use_def(insns, i)).collect();
    let mut live = vec![0 as RegMask; n];
    let mut changed = true;
    while changed {
        changed = false;
        for i in (0..n).rev() {
            let (succ, k) = insn_successors(insns, i);
            let out = succ[..k].iter().fold(0, |m, &s| m | live[s]);
            let new = ud[i].0 | (out & !ud[i].1);
            if new != live[i] {
                live[i] = new;
                changed = true;
            }
        }
    }
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_register_written_before_it_is_read_is_dead() {
        // r0 = 1; r1 = r0; exit
        let insns = [
            RawInsn::new(0xb7, 0, 0, 0, 1),
            RawInsn::new(0xbf, 1, 0, 0, 0),
            RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        let live = compute_live_registers(&insns);
        assert_eq!(live[0], 0);
        assert_eq!(live[1], 1);
        assert_eq!(live[2], 1);
    }
}
