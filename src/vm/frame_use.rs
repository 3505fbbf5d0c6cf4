//! How many bytes at the top of its stack frame a function can reach, so that a new frame
//! is zeroed only that far (both engines zero each new frame, so that uninitialised stack,
//! which the kernel lets root programs read, reads the same in both).
//!
//! A function that uses r10 only as the base of loads, stores and atomics with constant
//! offsets reaches its frame only at those offsets: bytes below the deepest of them cannot
//! be read or written by it. Any other use of r10 (copied, compared, stored, changed) may
//! hand the frame's address to someone else, and the whole frame counts. Calls are not
//! followed: each callee's frame is zeroed when it is entered.
//!
//! Every frame counts whole in a program that writes r10 anywhere (r10 may then not be a
//! frame's top) or may make a tail call (`bpf_tail_call`, helper 12, or `callx`): the
//! program it continues in runs in the same frame, not zeroed again, and reaches what it
//! reaches, which the frame must hold as zeros or as what the caller wrote.

use super::STACK_SIZE;
use super::code::{ATOMIC_FETCH, Op, OpKind};

/// r10, the frame pointer.
const STACK_TOP_REG: usize = 10;

/// Whether no instruction of `code` writes r10 (then r10 is always the frame pointer).
pub fn keeps_frame_pointer(code: &[Op], len: usize) -> bool {
    use OpKind::*;
    code.iter().take(len).all(|op| {
        let k = op.kind as u8;
        let writes_dst =
            (Add64K as u8..=Ld64 as u8).contains(&k) || (LdxB as u8..=LdxSW as u8).contains(&k);
        let writes_src = matches!(op.kind, Atomic32 | Atomic64) && op.aux & ATOMIC_FETCH != 0;
        !(writes_dst && op.dst.get() == STACK_TOP_REG
            || writes_src && op.src.get() == STACK_TOP_REG)
    })
}

/// `bpf_tail_call`'s helper id.
const TAIL_CALL: i64 = 12;

/// Whether every frame of the program counts whole (see the module documentation).
pub fn whole_frames(code: &[Op], len: usize) -> bool {
    let tail_call =
        |op: &Op| op.kind == OpKind::CallX || op.kind == OpKind::CallHelper && op.imm == TAIL_CALL;
    !keeps_frame_pointer(code, len) || code.iter().take(len).any(tail_call)
}

/// Bytes at the top of the entry frame a program reaches (see [`Walker::frame_use`]).
pub fn entry_use(code: &[Op], len: usize) -> usize {
    if whole_frames(code, len) {
        STACK_SIZE
    } else {
        Walker::new(len).frame_use(code, len, 0)
    }
}

/// Walks functions of one program for [`Walker::frame_use`], with one bound on the work of
/// all its walks: a program can have a call target per slot, and each walk may cover the
/// rest of the program. Past the bound every frame counts whole (correct, only zeroing
/// more), so lowering stays linear in the program's length.
pub struct Walker {
    /// `seen[pc] == stamp`: visited by the current walk.
    seen: Vec<u32>,
    stamp: u32,
    /// Slots the walks may still visit.
    budget: usize,
}

impl Walker {
    /// Slots visited per slot of the program, over all walks.
    const WORK_PER_SLOT: usize = 8;

    pub fn new(len: usize) -> Walker {
        Walker {
            seen: vec![0; len],
            stamp: 0,
            budget: len.saturating_mul(Self::WORK_PER_SLOT).max(4096),
        }
    }

    /// Bytes at the top of the frame the function starting at slot `entry` of `code`
    /// (whose own slots are the first `len`) can reach: a multiple of 16, at most
    /// [`STACK_SIZE`]. Meaningful where the program's frames do not count whole
    /// ([`whole_frames`]).
    pub fn frame_use(&mut self, code: &[Op], len: usize, entry: usize) -> usize {
        self.stamp += 1;
        let stamp = self.stamp;
        let mut work = vec![entry];
        let mut deepest = 0usize;
        while let Some(pc) = work.pop() {
            if pc >= len.min(self.seen.len()) || self.seen[pc] == stamp {
                continue;
            }
            self.seen[pc] = stamp;
            let Some(left) = self.budget.checked_sub(1) else {
                return STACK_SIZE;
            };
            self.budget = left;
            let op = &code[pc];
            match frame_access(op) {
                Some(Ok(depth)) => deepest = deepest.max(depth),
                Some(Err(())) => return STACK_SIZE,
                None if op.dst.get() == STACK_TOP_REG || op.src.get() == STACK_TOP_REG => {
                    return STACK_SIZE;
                }
                None => {}
            }
            use OpKind::*;
            let k = op.kind as u8;
            match op.kind {
                Exit | OutOfRange | Ld64Tail => {}
                Ld64 => work.push(pc + 2),
                Ja => work.push(op.off as usize),
                // Both ways for conditional jumps and may_goto; after a call, the next slot.
                _ if (Jeq64K as u8..=MayGoto as u8).contains(&k) => {
                    work.push(op.off as usize);
                    work.push(pc + 1);
                }
                _ => work.push(pc + 1),
            }
        }
        deepest.next_multiple_of(16).min(STACK_SIZE)
    }
}

/// For a load, store or atomic through r10: how deep below r10 it reaches, or `Err` when
/// it is not inside the frame or r10 is also its value. `None` for anything else (a load
/// or store through another register included).
fn frame_access(op: &Op) -> Option<Result<usize, ()>> {
    let (size, base, value) = match (op.memory_access(), op.kind) {
        (Some(a), _) if a.write => (a.size, a.base, Some(op.src)),
        (Some(a), _) => (a.size, a.base, None),
        (None, OpKind::Atomic32) => (4, op.dst, Some(op.src)),
        (None, OpKind::Atomic64) => (8, op.dst, Some(op.src)),
        _ => return None,
    };
    if base.get() != STACK_TOP_REG {
        return None;
    }
    let value_is_frame = value.is_some_and(|v| v.get() == STACK_TOP_REG);
    let loaded_into_frame =
        op.memory_access().is_some_and(|a| !a.write) && op.dst.get() == STACK_TOP_REG;
    let off = op.off as i64;
    let inside = off >= -(STACK_SIZE as i64) && off + size as i64 <= 0;
    Some(if inside && !value_is_frame && !loaded_into_frame {
        Ok((-off) as usize)
    } else {
        Err(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::{asm::assemble, decode_program};
    use crate::vm::code::lower;

    fn use_of(src: &str, entry: usize) -> usize {
        let insns = decode_program(&assemble(src).expect("assembles")).expect("decodes");
        let code = lower(&insns).expect("lowers");
        Walker::new(insns.len()).frame_use(&code, insns.len(), entry)
    }

    #[test]
    fn constant_offsets_from_r10_bound_the_frame() {
        assert_eq!(use_of("mov %r0, 0\nexit", 0), 0);
        assert_eq!(use_of("stw [%r10-4], 1\nldxw %r0, [%r10-4]\nexit", 0), 16);
        assert_eq!(use_of("stdw [%r10-40], 1\nldxb %r0, [%r10-3]\nexit", 0), 48);
        assert_eq!(use_of("ldxdw %r0, [%r10-512]\nexit", 0), 512);
        // Reached only through a branch, or after a call (whose callee is not followed).
        assert_eq!(
            use_of("jeq %r1, 0, +1\nexit\nstb [%r10-100], 1\nexit", 0),
            112
        );
        let calls = "call local f\nstb [%r10-20], 1\nexit\nf:\nstb [%r10-300], 1\nexit";
        assert_eq!(use_of(calls, 0), 32);
        assert_eq!(use_of(calls, 3), 304);
    }

    #[test]
    fn any_other_use_of_r10_counts_the_whole_frame() {
        for src in [
            "mov %r1, %r10\nexit",
            "add %r10, -8\nexit",
            "stxdw [%r10-8], %r10\nexit",
            "stxdw [%r1+0], %r10\nexit",
            "jeq %r10, %r1, +0\nexit",
            "ldxdw %r10, [%r10-8]\nexit",
            "lock add [%r10-8], %r10\nexit",
            "ldxb %r0, [%r10+0]\nexit",
            "ldxb %r0, [%r10-513]\nexit",
        ] {
            assert_eq!(use_of(src, 0), STACK_SIZE, "{src}");
        }
    }

    /// Input: a program can have a call target per slot. Each target's walk may cover the
    /// rest of the program, so lowering bounds the walks' total work and counts the frames
    /// of the targets past that bound whole (still correct, only zeroing more).
    #[test]
    fn many_call_targets_lower_in_bounded_time() {
        use crate::insn::{AluOp, CallTarget, Insn, Reg, Source, Width};
        const CALLS: usize = 20_000;
        const TAIL: usize = 20_000;
        let mut insns = Vec::with_capacity(CALLS + TAIL + 3);
        // Call i (at slot i) lands on slot CALLS + 1 + i: each a different target.
        insns.extend((0..CALLS).map(|_| Insn::Call(CallTarget::Local(CALLS as i32))));
        insns.push(Insn::Exit);
        insns.push(Insn::Store {
            size: crate::insn::Size::B,
            dst: Reg::R10,
            off: -40,
            src: Source::Imm(1),
        });
        for _ in 0..TAIL {
            insns.push(Insn::Alu {
                width: Width::W64,
                op: AluOp::Add,
                dst: Reg::R0,
                src: Source::Imm(1),
            });
        }
        insns.push(Insn::Exit);
        let start = std::time::Instant::now();
        let code = lower(&insns).expect("lowers");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(1),
            "lowering took {:?}",
            start.elapsed()
        );
        for (pc, op) in code.iter().take(CALLS).enumerate() {
            assert_eq!(op.kind, OpKind::CallLocal);
            let target = op.off as usize;
            // Exact where walked: the store above the first target, none below it.
            let exact = if target <= CALLS + 1 { 48 } else { 0 };
            assert!(op.imm as usize >= exact, "call at {pc}: {}", op.imm);
        }
    }

    #[test]
    fn writing_r10_or_tail_calls_make_every_frame_whole() {
        let entry = |src: &str| {
            let insns = decode_program(&assemble(src).expect("assembles")).expect("decodes");
            let code = lower(&insns).expect("lowers");
            (entry_use(&code, insns.len()), code[0].imm)
        };
        let tail = "call local f\nstb [%r10-8], 1\nexit\nf:\ncall 12\nexit";
        assert_eq!(entry(tail), (STACK_SIZE, STACK_SIZE as i64));
        let moved = "call local f\nstb [%r10-8], 1\nexit\nf:\nadd %r10, 8\nexit";
        assert_eq!(entry(moved), (STACK_SIZE, STACK_SIZE as i64));
        let neither = "call local f\nstb [%r10-8], 1\nexit\nf:\ncall 5\nexit";
        assert_eq!(entry(neither), (16, 0));
    }
}
