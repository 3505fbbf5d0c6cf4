//! Reserved-field rules that `do_check` applies to an instruction when a path reaches it
//! (kernel/bpf/verifier.c, Linux 6.18: `do_check_insn`, `check_alu_op`, `check_cond_jmp_op`,
//! `check_atomic`, `check_ld_imm`, `check_ld_abs`).
//!
//! Unlike the opcode table and the `lddw` form, which `resolve_pseudo_ldimm64` checks for
//! every slot before `check_cfg`, these are checked only for instructions `do_check`
//! walks: an instruction with reserved bits set in a branch that is never taken does not
//! make the kernel refuse the program. So [`preflight()`](crate::verifier::preflight()) does not apply
//! them; `do_check` calls [`check_fields`] as the first check of each instruction it
//! visits (each rule here comes before any register is looked at, in the kernel's order).
//!
//! `LDX` is absent: its reserved fields are `resolve_pseudo_ldimm64`'s.

use crate::insn::RawInsn;
use crate::insn::opcode::*;

/// `BPF_ADDR_SPACE_CAST`: the `off` of `mov` that casts between address spaces.
const ADDR_SPACE_CAST: i16 = 1;
/// `BPF_LOAD_ACQ` and `BPF_STORE_REL` atomic operations (`imm`).
const LOAD_ACQ: i32 = 0x100;
const STORE_REL: i32 = 0x110;

/// The message `do_check` gives for instruction `insn` before it looks at any register,
/// if its fields are malformed. `has_arena`: the program uses an arena map (the only
/// program property these rules depend on). `LD_ABS`/`LD_IND` are checked for the program
/// type first (`BPF_LD_[ABS|IND] instructions not allowed for this program type`); that
/// check is the caller's.
pub fn check_fields(insn: &RawInsn, has_arena: bool) -> Result<(), String> {
    let class = insn.code & CLASS_MASK;
    let op = insn.code & OP_MASK;
    let x = insn.code & SRC_MASK == X;
    let fail = |m: &str| Err(m.to_string());
    match class {
        ALU | ALU64 => match op {
            NEG => {
                if x || insn.src != 0 || insn.off != 0 || insn.imm != 0 {
                    return fail("BPF_NEG uses reserved fields");
                }
                Ok(())
            }
            END => {
                if insn.src != 0
                    || insn.off != 0
                    || !matches!(insn.imm, 16 | 32 | 64)
                    || (class == ALU64 && x)
                {
                    return fail("BPF_END uses reserved fields");
                }
                Ok(())
            }
            MOV => {
                if !x {
                    if insn.src != 0 || insn.off != 0 {
                        return fail("BPF_MOV uses reserved fields");
                    }
                } else if class == ALU {
                    if !matches!(insn.off, 0 | 8 | 16) || insn.imm != 0 {
                        return fail("BPF_MOV uses reserved fields");
                    }
                } else if insn.off == ADDR_SPACE_CAST {
                    if insn.imm != 1 && insn.imm != 1 << 16 {
                        return fail(
                            "addr_space_cast insn can only convert between address space 1 and 0",
                        );
                    }
                    if !has_arena {
                        return fail(
                            "addr_space_cast insn can only be used in a program that has an associated arena",
                        );
                    }
                } else if !matches!(insn.off, 0 | 8 | 16 | 32) || insn.imm != 0 {
                    return fail("BPF_MOV uses reserved fields");
                }
                Ok(())
            }
            0xe0 | 0xf0 => Err(format!("invalid BPF_ALU opcode {op:x}")),
            _ => {
                let bad_off =
                    (insn.off != 0 && insn.off != 1) || (insn.off == 1 && op != MOD && op != DIV);
                if (x && insn.imm != 0) || (!x && insn.src != 0) || bad_off {
                    return fail("BPF_ALU uses reserved fields");
                }
                Ok(())
            }
        },
        STX => {
            if insn.code & MODE_MASK == ATOMIC {
                return match insn.imm {
                    0x00 | 0x01 | 0x40 | 0x41 | 0x50 | 0x51 | 0xa0 | 0xa1 | XCHG | CMPXCHG => {
                        let size = insn.code & SIZE_MASK;
                        if size != W && size != DW {
                            return fail("invalid atomic operand size");
                        }
                        Ok(())
                    }
                    LOAD_ACQ | STORE_REL => Ok(()),
                    imm => Err(format!("BPF_ATOMIC uses invalid atomic opcode {imm:02x}")),
                };
            }
            if insn.code & MODE_MASK != MEM || insn.imm != 0 {
                return fail("BPF_STX uses reserved fields");
            }
            Ok(())
        }
        ST => {
            if insn.code & MODE_MASK != MEM || insn.src != 0 {
                return fail("BPF_ST uses reserved fields");
            }
            Ok(())
        }
        JMP | JMP32 => match op {
            CALL => {
                if x || (insn.src != PSEUDO_KFUNC_CALL && insn.off != 0)
                    || !matches!(insn.src, 0 | PSEUDO_CALL | PSEUDO_KFUNC_CALL)
                    || insn.dst != 0
                    || class == JMP32
                {
                    return fail("BPF_CALL uses reserved fields");
                }
                Ok(())
            }
            JA => {
                if x || insn.src != 0
                    || insn.dst != 0
                    || (class == JMP && insn.imm != 0)
                    || (class == JMP32 && insn.off != 0)
                {
                    return fail("BPF_JA uses reserved fields");
                }
                Ok(())
            }
            EXIT => {
                if x || insn.imm != 0 || insn.src != 0 || insn.dst != 0 || class == JMP32 {
                    return fail("BPF_EXIT uses reserved fields");
                }
                Ok(())
            }
            0xf0 => Err(format!("invalid BPF_JMP/JMP32 opcode {op:x}")),
            JCOND => {
                if insn.code != JMP | JCOND || insn.src != 0 || insn.dst != 0 || insn.imm != 0 {
                    return Err(format!("invalid may_goto imm {}", insn.imm));
                }
                Ok(())
            }
            _ => {
                if (x && insn.imm != 0) || (!x && insn.src != 0) {
                    return fail("BPF_JMP/JMP32 uses reserved fields");
                }
                Ok(())
            }
        },
        LD => match insn.code & MODE_MASK {
            ABS | IND => {
                if insn.dst != 0
                    || insn.off != 0
                    || insn.code & SIZE_MASK == DW
                    || (insn.code & MODE_MASK == ABS && insn.src != 0)
                {
                    return fail("BPF_LD_[ABS|IND] uses reserved fields");
                }
                Ok(())
            }
            IMM => {
                if insn.code & SIZE_MASK != DW {
                    return fail("invalid BPF_LD_IMM insn");
                }
                if insn.off != 0 {
                    return fail("BPF_LD_IMM64 uses reserved fields");
                }
                Ok(())
            }
            _ => fail("invalid BPF_LD mode"),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> String {
        check_fields(&RawInsn::new(code, dst, src, off, imm), false)
            .err()
            .unwrap_or_else(|| "ok".into())
    }

    #[test]
    fn alu() {
        assert_eq!(msg(ALU64 | ADD | K, 0, 0, 0, 1), "ok");
        assert_eq!(
            msg(ALU64 | ADD | K, 0, 1, 0, 1),
            "BPF_ALU uses reserved fields"
        );
        assert_eq!(
            msg(ALU64 | ADD | X, 0, 1, 0, 1),
            "BPF_ALU uses reserved fields"
        );
        assert_eq!(
            msg(ALU64 | ADD | K, 0, 0, 1, 1),
            "BPF_ALU uses reserved fields"
        );
        assert_eq!(msg(ALU64 | DIV | K, 0, 0, 1, 1), "ok");
        assert_eq!(
            msg(ALU | NEG | K, 0, 0, 0, 1),
            "BPF_NEG uses reserved fields"
        );
        assert_eq!(
            msg(ALU | END | K, 0, 0, 0, 8),
            "BPF_END uses reserved fields"
        );
        assert_eq!(msg(ALU64 | MOV | X, 0, 1, 32, 0), "ok");
        assert_eq!(
            msg(ALU | MOV | X, 0, 1, 32, 0),
            "BPF_MOV uses reserved fields"
        );
        assert_eq!(
            msg(ALU64 | MOV | K, 0, 1, 0, 0),
            "BPF_MOV uses reserved fields"
        );
        assert!(msg(ALU64 | MOV | X, 0, 1, 1, 1).contains("associated arena"));
    }

    #[test]
    fn jumps_stores_and_loads() {
        assert_eq!(msg(CALL_OP, 1, 0, 0, 1), "BPF_CALL uses reserved fields");
        assert_eq!(msg(CALL_OP, 0, PSEUDO_KFUNC_CALL, 3, 1), "ok");
        assert_eq!(msg(JMP | JA, 0, 0, 0, 1), "BPF_JA uses reserved fields");
        assert_eq!(msg(JMP32 | JA, 0, 0, 1, 1), "BPF_JA uses reserved fields");
        assert_eq!(msg(EXIT_OP, 0, 0, 0, 1), "BPF_EXIT uses reserved fields");
        assert_eq!(
            msg(JMP | JEQ | K, 0, 1, 0, 0),
            "BPF_JMP/JMP32 uses reserved fields"
        );
        assert_eq!(msg(JMP | JCOND, 0, 0, 0, 3), "invalid may_goto imm 3");
        assert_eq!(
            msg(STX | MEM | W, 0, 1, 0, 1),
            "BPF_STX uses reserved fields"
        );
        assert_eq!(msg(ST | MEM | W, 0, 1, 0, 1), "BPF_ST uses reserved fields");
        assert_eq!(
            msg(STX | ATOMIC | B, 0, 1, 0, 0),
            "invalid atomic operand size"
        );
        assert_eq!(
            msg(STX | ATOMIC | W, 0, 1, 0, 0x02),
            "BPF_ATOMIC uses invalid atomic opcode 02"
        );
        assert_eq!(msg(LDDW, 0, 0, 1, 0), "BPF_LD_IMM64 uses reserved fields");
        assert_eq!(
            msg(LD | ABS | W, 1, 0, 0, 0),
            "BPF_LD_[ABS|IND] uses reserved fields"
        );
    }
}
