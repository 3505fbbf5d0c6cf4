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

/// (use, def) of one instruction; `helper_args` gives a helper's argument count where its
/// prototype is known (`get_call_summary`), and then the call reads only those.
fn use_def(insn: Option<Insn>, helper_args: &dyn Fn(u32) -> Option<usize>) -> (RegMask, RegMask) {
    let Some(insn) = insn else {
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
        // The kernel keeps its defaults for these: every register used, none defined.
        Insn::LdAbs { .. } | Insn::LdInd { .. } => (RegMask::MAX, 0),
        Insn::Ja { .. } | Insn::MayGoto { .. } => (0, 0),
        Insn::Jump { dst, src, .. } => (bit(dst.index()) | src_bit(src), 0),
        Insn::Call(crate::insn::CallTarget::Helper(id)) => match helper_args(id as u32) {
            Some(n) => (((1u32 << (n.min(5) + 1)) - 2) as RegMask, CALLER_SAVED),
            None => (ARGS, CALLER_SAVED),
        },
        Insn::Call(_) => (ARGS, CALLER_SAVED),
        Insn::CallX { reg } => (ARGS | bit(reg.index()), CALLER_SAVED),
        Insn::Exit => (1, 0),
    }
}

/// The registers live before each instruction, every call reading R1-R5.
pub fn compute_live_registers(insns: &[RawInsn]) -> Vec<RegMask> {
    compute_live_registers_with(insns, |_| None)
}

/// The registers live before each instruction, a helper call reading only the arguments
/// `helper_args(func_id)` counts (its prototype's, for the program type).
pub fn compute_live_registers_with(
    insns: &[RawInsn],
    helper_args: impl Fn(u32) -> Option<usize>,
) -> Vec<RegMask> {
    let decoded: Vec<Option<Insn>> = (0..insns.len())
        .map(|i| decode_slot(insns, i).ok())
        .collect();
    compute_live_registers_decoded(insns, &decoded, helper_args)
}

/// [`compute_live_registers_with`] over slots already decoded: `decoded[i]` is
/// `decode_slot(insns, i).ok()`.
pub fn compute_live_registers_decoded(
    insns: &[RawInsn],
    decoded: &[Option<Insn>],
    helper_args: impl Fn(u32) -> Option<usize>,
) -> Vec<RegMask> {
    let n = insns.len();
    let ud: Vec<(RegMask, RegMask)> = (0..n)
        .map(|i| use_def(decoded.get(i).copied().flatten(), &helper_args))
        .collect();
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

    #[test]
    fn a_helper_call_reads_only_its_prototype_arguments() {
        // r1 = 1; r2 = 2; call 5 (ktime_get_ns: no arguments); exit
        let insns = [
            RawInsn::new(0xb7, 1, 0, 0, 1),
            RawInsn::new(0xb7, 2, 0, 0, 2),
            RawInsn::new(0x85, 0, 0, 0, 5),
            RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        let live = compute_live_registers_with(&insns, |id| (id == 5).then_some(0));
        assert_eq!(live[2], 0);
        let one = compute_live_registers_with(&insns, |_| Some(1));
        assert_eq!(one[2], 0b10);
        assert_eq!(compute_live_registers(&insns)[2], ARGS);
    }
}
