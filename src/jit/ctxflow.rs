//! Which registers may hold the context pointer at each instruction, for verified mode: a
//! load or store through a possible context pointer keeps its check, because a context
//! field access is translated (as the kernel's convert_ctx_access does) and not plain memory.
//!
//! A forward dataflow over the lowered program (joins are unions). It relies on what the
//! kernel's verifier guarantees of an accepted program: the context pointer is r1 at entry
//! and only moves by register copies, pointer arithmetic, call arguments and stack spills;
//! 32-bit operations, helpers and context loads never produce it. A 64-bit load may give it
//! back only when a possible context pointer was ever stored (a spill).

use crate::vm::code::{ATOMIC_FETCH, Op, OpKind};

/// Bit `i` set: ri may hold the context pointer.
pub type RegSet = u16;

const ALL_ARGS: RegSet = 0b11_1111;

/// The registers that may hold the context pointer before each of the first `len` slots.
pub fn maybe_ctx(code: &[Op], len: usize) -> Vec<RegSet> {
    let mut spilled = false;
    loop {
        let (state, spills) = solve(code, len, spilled);
        if spills == spilled {
            return state;
        }
        spilled = spills;
    }
}

/// One fixpoint with `spilled` assumed; returns whether a possible context pointer is stored.
fn solve(code: &[Op], len: usize, spilled: bool) -> (Vec<RegSet>, bool) {
    let mut state = vec![0 as RegSet; len];
    let mut seen = vec![false; len];
    let mut work = vec![0usize];
    if len > 0 {
        state[0] = 1 << 1;
        seen[0] = true;
    }
    let mut stores = false;
    let loaded = |bit: bool| if spilled && bit { 1 } else { 0 };
    while let Some(pc) = work.pop() {
        let op = code[pc];
        let s = state[pc];
        let d = op.dst.get();
        let r = op.src.get();
        let bit = |x: usize| s >> x & 1;
        use OpKind::*;
        let k = op.kind as u8;
        let mut out = s;
        let mut next: [Option<usize>; 2] = [Some(pc + 1), None];
        if (Add64K as u8..=Arsh32X as u8).contains(&k) {
            let rel = k - Add64K as u8;
            let (group, variant) = (rel / 4, rel % 4);
            let is64 = variant < 2;
            let from_reg = variant % 2 == 1;
            out &= !(1 << d);
            if is64 {
                // mov copies; other operations keep a pointer (ctx + offset) or combine.
                let keep = if group == 12 { 0 } else { bit(d) };
                let src = if from_reg { bit(r) } else { 0 };
                out |= (keep | src) << d;
            }
        } else if (Jeq64K as u8..=MayGoto as u8).contains(&k) || op.kind == Ja {
            next[1] = Some(op.off as usize);
        } else {
            match op.kind {
                MovSx64 | MovSx32 | Neg64 | Neg32 | Le | Swap => out &= !(1 << d),
                Ld64 => {
                    out &= !(1 << d);
                    next[0] = Some(pc + 2);
                }
                LdxDW => out = out & !(1 << d) | loaded(true) << d,
                LdxB | LdxH | LdxW | LdxSB | LdxSH | LdxSW => out &= !(1 << d),
                StxDW | StxW | StxH | StxB => stores |= bit(r) == 1,
                Atomic32 | Atomic64 => {
                    stores |= bit(r) == 1;
                    if op.aux & ATOMIC_FETCH != 0 {
                        let v = loaded(op.kind == Atomic64);
                        out = out & !1 & !(1 << r) | v | v << r;
                    }
                }
                LdAbs | LdInd | CallHelper | CallX | CallKfunc => out &= !1,
                CallLocal => {
                    let t = op.off as usize;
                    if t < len && (!seen[t] || state[t] | s != state[t]) {
                        seen[t] = true;
                        state[t] |= s;
                        work.push(t);
                    }
                    // After the call r0-r5 are whatever the callee left.
                    if s & ALL_ARGS != 0 || spilled {
                        out |= ALL_ARGS;
                    }
                }
                Exit | Ld64Tail | OutOfRange => next[0] = None,
                _ => {}
            }
        }
        for n in next.into_iter().flatten() {
            if n < len && (!seen[n] || state[n] | out != state[n]) {
                seen[n] = true;
                state[n] |= out;
                work.push(n);
            }
        }
    }
    (state, stores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::{asm::assemble, decode_program};
    use crate::vm::code::lower;

    fn flow(src: &str) -> Vec<RegSet> {
        let insns = decode_program(&assemble(src).unwrap()).unwrap();
        let code = lower(&insns).unwrap();
        maybe_ctx(&code, insns.len())
    }

    #[test]
    fn follows_copies_and_offsets_and_drops_loaded_values() {
        let s = flow(
            "mov %r6, %r1\nadd %r6, 8\nldxw %r2, [%r6+0]\nmov32 %r1, 0\nldxw %r3, [%r2+0]\nexit",
        );
        assert_eq!(s[1], 0b100_0010);
        assert_eq!(s[2], 0b100_0010);
        assert_eq!(s[3], 0b100_0010);
        assert_eq!(s[4], 0b100_0000);
    }

    #[test]
    fn a_spill_makes_64_bit_loads_suspect() {
        let s =
            flow("stxdw [%r10-8], %r1\nmov %r1, 0\nldxdw %r4, [%r10-8]\nldxw %r5, [%r4+0]\nexit");
        assert_eq!(s[3] & 1 << 4, 1 << 4);
        let s = flow("mov %r1, 0\nldxdw %r4, [%r10-8]\nexit");
        assert_eq!(s[2], 0);
    }

    #[test]
    fn joins_at_branch_targets_and_callees() {
        let s = flow(
            "jeq %r2, 0, +1\nmov %r1, 0\nmov %r3, %r1\ncall local f\nexit\nf:\nldxw %r0, [%r1+0]\nexit",
        );
        assert_eq!(s[2] & 0b10, 0b10);
        assert_eq!(s[5] & 0b10, 0b10);
    }
}
