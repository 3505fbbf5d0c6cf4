//! Raw slots → typed [`Insn`]s. Rejects unknown opcodes and non-zero reserved fields the way
//! Linux does (`unknown opcode`, `... uses reserved fields`), naming the slot index.

use super::opcode::*;
use super::{
    AluOp, AtomicOp, ByteOrder, CallTarget, Insn, JmpCond, Ld64Kind, RawInsn, Reg, Size, Source,
    Width,
};
use thiserror::Error;

/// A slot that cannot be decoded, with its index in the program.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("instruction {index}: {kind}")]
pub struct DecodeError {
    pub index: usize,
    pub kind: DecodeErrorKind,
}

/// Why a slot cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeErrorKind {
    #[error("unknown opcode {code:#04x}")]
    UnknownOpcode { code: u8 },
    #[error("{class} uses reserved fields ({field} = {value:#x})")]
    ReservedField {
        class: &'static str,
        field: &'static str,
        value: i64,
    },
    #[error("invalid register r{reg}")]
    InvalidRegister { reg: u8 },
    #[error("invalid byte swap size {imm}")]
    InvalidSwapSize { imm: i32 },
    #[error("invalid atomic operation {imm:#x}")]
    InvalidAtomicOp { imm: i32 },
    #[error("unknown lddw pseudo source {src}")]
    InvalidLd64Source { src: u8 },
    #[error("invalid bpf_ld_imm64 insn: second slot missing")]
    Ld64Truncated,
    #[error(
        "invalid bpf_ld_imm64 insn: second slot has code {code:#04x}, dst r{dst}, src r{src}, off {off}"
    )]
    Ld64BadTail {
        code: u8,
        dst: u8,
        src: u8,
        off: i16,
    },
    #[error("no such slot: the program has {len}")]
    NoSuchSlot { len: usize },
    #[error("program length is not a multiple of 8 ({len} stray bytes)")]
    TruncatedSlot { len: usize },
}

/// Decodes a whole program: one [`Insn`] per slot (the second slot of `lddw` is
/// [`Insn::Ld64Tail`]).
pub fn decode_program(slots: &[RawInsn]) -> Result<Vec<Insn>, DecodeError> {
    let mut out = Vec::with_capacity(slots.len());
    let mut pc = 0;
    while pc < slots.len() {
        let insn = decode_slot(slots, pc)?;
        out.push(insn);
        if insn.slots() == 2 {
            out.push(Insn::Ld64Tail);
            pc += 2;
        } else {
            pc += 1;
        }
    }
    Ok(out)
}

/// Decodes the instruction that starts at slot `pc` (reading the next slot for `lddw`).
pub fn decode_slot(slots: &[RawInsn], pc: usize) -> Result<Insn, DecodeError> {
    let Some(&raw) = slots.get(pc) else {
        return Err(DecodeError {
            index: pc,
            kind: DecodeErrorKind::NoSuchSlot { len: slots.len() },
        });
    };
    let err = |kind| DecodeError { index: pc, kind };
    let d = Decoder { raw };
    let insn = match raw.code & CLASS_MASK {
        ALU | ALU64 => d.alu(),
        JMP | JMP32 => d.jmp(),
        LD => {
            if raw.code == LDDW {
                let Some(tail) = slots.get(pc + 1) else {
                    return Err(err(DecodeErrorKind::Ld64Truncated));
                };
                d.lddw(*tail)
            } else {
                d.ld_legacy()
            }
        }
        LDX => d.ldx(),
        ST => d.st(),
        _ => d.stx(),
    };
    insn.map_err(err)
}

struct Decoder {
    raw: RawInsn,
}

type KindResult<T> = std::result::Result<T, DecodeErrorKind>;

impl Decoder {
    fn unknown(&self) -> DecodeErrorKind {
        DecodeErrorKind::UnknownOpcode {
            code: self.raw.code,
        }
    }

    fn reserved(&self, class: &'static str, field: &'static str, value: i64) -> DecodeErrorKind {
        DecodeErrorKind::ReservedField {
            class,
            field,
            value,
        }
    }

    fn reg(&self, n: u8) -> KindResult<Reg> {
        Reg::new(n).ok_or(DecodeErrorKind::InvalidRegister { reg: n })
    }

    fn dst(&self) -> KindResult<Reg> {
        self.reg(self.raw.dst)
    }

    fn src(&self) -> KindResult<Reg> {
        self.reg(self.raw.src)
    }

    /// Requires each named field to be zero.
    fn zero(&self, class: &'static str, fields: &[&'static str]) -> KindResult<()> {
        for &f in fields {
            let v = match f {
                "dst" => self.raw.dst as i64,
                "src" => self.raw.src as i64,
                "off" => self.raw.off as i64,
                _ => self.raw.imm as i64,
            };
            if v != 0 {
                return Err(self.reserved(class, f, v));
            }
        }
        Ok(())
    }

    fn alu(&self) -> KindResult<Insn> {
        let r = self.raw;
        let (width, class) = if r.code & CLASS_MASK == ALU64 {
            (Width::W64, "BPF_ALU64")
        } else {
            (Width::W32, "BPF_ALU")
        };
        let is_reg = r.code & SRC_MASK == X;
        let op = match r.code & OP_MASK {
            NEG => {
                if is_reg {
                    return Err(self.reserved(class, "source", 1));
                }
                self.zero(class, &["src", "off", "imm"])?;
                return Ok(Insn::Neg {
                    width,
                    dst: self.dst()?,
                });
            }
            END => {
                let order = match (width, is_reg) {
                    (Width::W32, false) => ByteOrder::ToLe,
                    (Width::W32, true) => ByteOrder::ToBe,
                    (Width::W64, false) => ByteOrder::Swap,
                    (Width::W64, true) => return Err(self.unknown()),
                };
                self.zero(class, &["src", "off"])?;
                if !matches!(r.imm, 16 | 32 | 64) {
                    return Err(DecodeErrorKind::InvalidSwapSize { imm: r.imm });
                }
                return Ok(Insn::Endian {
                    order,
                    bits: r.imm as u8,
                    dst: self.dst()?,
                });
            }
            ADD => AluOp::Add,
            SUB => AluOp::Sub,
            MUL => AluOp::Mul,
            DIV if r.off == 1 => AluOp::SDiv,
            DIV => AluOp::Div,
            OR => AluOp::Or,
            AND => AluOp::And,
            LSH => AluOp::Lsh,
            RSH => AluOp::Rsh,
            MOD if r.off == 1 => AluOp::SMod,
            MOD => AluOp::Mod,
            XOR => AluOp::Xor,
            MOV if is_reg && r.off != 0 => {
                let ok = match width {
                    Width::W64 => matches!(r.off, 8 | 16 | 32),
                    Width::W32 => matches!(r.off, 8 | 16),
                };
                if !ok {
                    return Err(self.reserved(class, "off", r.off as i64));
                }
                AluOp::MovSx(r.off as u8)
            }
            MOV => AluOp::Mov,
            ARSH => AluOp::Arsh,
            _ => return Err(self.unknown()),
        };
        let uses_off = matches!(op, AluOp::SDiv | AluOp::SMod | AluOp::MovSx(_));
        if !uses_off && r.off != 0 {
            return Err(self.reserved(class, "off", r.off as i64));
        }
        let src = if is_reg {
            self.zero(class, &["imm"])?;
            Source::Reg(self.src()?)
        } else {
            self.zero(class, &["src"])?;
            Source::Imm(r.imm)
        };
        Ok(Insn::Alu {
            width,
            op,
            dst: self.dst()?,
            src,
        })
    }

    fn jmp(&self) -> KindResult<Insn> {
        let r = self.raw;
        let jmp64 = r.code & CLASS_MASK == JMP;
        let (width, class) = if jmp64 {
            (Width::W64, "BPF_JMP")
        } else {
            (Width::W32, "BPF_JMP32")
        };
        let is_reg = r.code & SRC_MASK == X;
        let cond = match r.code & OP_MASK {
            JA => {
                if is_reg {
                    return Err(self.reserved(class, "source", 1));
                }
                self.zero("BPF_JA", &["dst", "src"])?;
                return if jmp64 {
                    self.zero("BPF_JA", &["imm"])?;
                    Ok(Insn::Ja {
                        off: r.off as i32,
                        long: false,
                    })
                } else {
                    self.zero("BPF_JA", &["off"])?;
                    Ok(Insn::Ja {
                        off: r.imm,
                        long: true,
                    })
                };
            }
            CALL if jmp64 => {
                if is_reg {
                    self.zero("BPF_CALL", &["src", "off", "imm"])?;
                    return Ok(Insn::CallX { reg: self.dst()? });
                }
                self.zero("BPF_CALL", &["dst"])?;
                let target = match r.src {
                    0 => CallTarget::Helper(r.imm),
                    PSEUDO_CALL => CallTarget::Local(r.imm),
                    PSEUDO_KFUNC_CALL => {
                        return Ok(Insn::Call(CallTarget::Kfunc {
                            btf_id: r.imm,
                            module: r.off,
                        }));
                    }
                    s => return Err(self.reserved("BPF_CALL", "src", s as i64)),
                };
                self.zero("BPF_CALL", &["off"])?;
                return Ok(Insn::Call(target));
            }
            EXIT if jmp64 => {
                if is_reg {
                    return Err(self.reserved("BPF_EXIT", "source", 1));
                }
                self.zero("BPF_EXIT", &["dst", "src", "off", "imm"])?;
                return Ok(Insn::Exit);
            }
            JCOND if jmp64 && !is_reg => {
                self.zero("BPF_JCOND", &["dst", "src", "imm"])?;
                return Ok(Insn::MayGoto { off: r.off });
            }
            JEQ => JmpCond::Eq,
            JGT => JmpCond::Gt,
            JGE => JmpCond::Ge,
            JSET => JmpCond::Set,
            JNE => JmpCond::Ne,
            JSGT => JmpCond::Sgt,
            JSGE => JmpCond::Sge,
            JLT => JmpCond::Lt,
            JLE => JmpCond::Le,
            JSLT => JmpCond::Slt,
            JSLE => JmpCond::Sle,
            _ => return Err(self.unknown()),
        };
        let src = if is_reg {
            self.zero(class, &["imm"])?;
            Source::Reg(self.src()?)
        } else {
            self.zero(class, &["src"])?;
            Source::Imm(r.imm)
        };
        Ok(Insn::Jump {
            width,
            cond,
            dst: self.dst()?,
            src,
            off: r.off,
        })
    }

    fn lddw(&self, tail: RawInsn) -> KindResult<Insn> {
        let r = self.raw;
        self.zero("BPF_LD_IMM64", &["off"])?;
        let kind =
            Ld64Kind::from_src(r.src).ok_or(DecodeErrorKind::InvalidLd64Source { src: r.src })?;
        if tail.code != 0 || tail.dst != 0 || tail.src != 0 || tail.off != 0 {
            return Err(DecodeErrorKind::Ld64BadTail {
                code: tail.code,
                dst: tail.dst,
                src: tail.src,
                off: tail.off,
            });
        }
        // Linux (resolve_pseudo_ldimm64): map fd/idx loads carry no value offset, so the
        // second immediate must be zero ("unrecognized bpf_ld_imm64 insn").
        if matches!(kind, Ld64Kind::MapFd | Ld64Kind::MapIdx) && tail.imm != 0 {
            return Err(self.reserved("BPF_LD_IMM64", "second imm", tail.imm as i64));
        }
        Ok(Insn::Ld64 {
            kind,
            dst: self.dst()?,
            imm: r.imm,
            next_imm: tail.imm,
        })
    }

    fn ld_legacy(&self) -> KindResult<Insn> {
        let r = self.raw;
        let mode = r.code & MODE_MASK;
        if mode != ABS && mode != IND {
            return Err(self.unknown());
        }
        let size = Size::from_bits(r.code);
        const CLASS: &str = "BPF_LD_[ABS|IND]";
        if size == Size::DW {
            return Err(self.reserved(CLASS, "size", 8));
        }
        self.zero(CLASS, &["dst", "off"])?;
        if mode == ABS {
            self.zero(CLASS, &["src"])?;
            Ok(Insn::LdAbs { size, imm: r.imm })
        } else {
            Ok(Insn::LdInd {
                size,
                src: self.src()?,
                imm: r.imm,
            })
        }
    }

    fn ldx(&self) -> KindResult<Insn> {
        let r = self.raw;
        let size = Size::from_bits(r.code);
        let sign_extend = match r.code & MODE_MASK {
            MEM => false,
            MEMSX if size != Size::DW => true,
            _ => return Err(self.unknown()),
        };
        self.zero("BPF_LDX", &["imm"])?;
        Ok(Insn::Load {
            size,
            sign_extend,
            dst: self.dst()?,
            src: self.src()?,
            off: r.off,
        })
    }

    fn st(&self) -> KindResult<Insn> {
        let r = self.raw;
        if r.code & MODE_MASK != MEM {
            return Err(self.unknown());
        }
        self.zero("BPF_ST", &["src"])?;
        Ok(Insn::Store {
            size: Size::from_bits(r.code),
            dst: self.dst()?,
            off: r.off,
            src: Source::Imm(r.imm),
        })
    }

    fn stx(&self) -> KindResult<Insn> {
        let r = self.raw;
        let size = Size::from_bits(r.code);
        match r.code & MODE_MASK {
            MEM => {
                self.zero("BPF_STX", &["imm"])?;
                Ok(Insn::Store {
                    size,
                    dst: self.dst()?,
                    off: r.off,
                    src: Source::Reg(self.src()?),
                })
            }
            ATOMIC if matches!(size, Size::W | Size::DW) => {
                let (op, fetch) = match r.imm {
                    XCHG => (AtomicOp::Xchg, true),
                    CMPXCHG => (AtomicOp::CmpXchg, true),
                    imm => {
                        let op = match imm & !FETCH {
                            0x00 => AtomicOp::Add,
                            0x40 => AtomicOp::Or,
                            0x50 => AtomicOp::And,
                            0xa0 => AtomicOp::Xor,
                            _ => return Err(DecodeErrorKind::InvalidAtomicOp { imm }),
                        };
                        (op, imm & FETCH != 0)
                    }
                };
                Ok(Insn::Atomic {
                    size,
                    op,
                    fetch,
                    dst: self.dst()?,
                    src: self.src()?,
                    off: r.off,
                })
            }
            _ => Err(self.unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(
        code: u8,
        dst: u8,
        src: u8,
        off: i16,
        imm: i32,
    ) -> std::result::Result<Insn, DecodeError> {
        decode_slot(&[RawInsn::new(code, dst, src, off, imm)], 0)
    }

    #[test]
    fn decodes_alu_and_signed_forms() {
        assert_eq!(
            one(ALU64 | DIV | X, 1, 2, 1, 0).unwrap(),
            Insn::Alu {
                width: Width::W64,
                op: AluOp::SDiv,
                dst: Reg::R1,
                src: Source::Reg(Reg::R2)
            }
        );
        assert_eq!(
            one(ALU | MOV | X, 0, 1, 16, 0).unwrap(),
            Insn::Alu {
                width: Width::W32,
                op: AluOp::MovSx(16),
                dst: Reg::R0,
                src: Source::Reg(Reg::R1)
            }
        );
        // movsx32 exists only in ALU64.
        assert!(one(ALU | MOV | X, 0, 1, 32, 0).is_err());
    }

    #[test]
    fn rejects_reserved_fields_with_index() {
        let prog = [
            RawInsn::new(EXIT_OP, 0, 0, 0, 0),
            RawInsn::new(ALU64 | ADD | K, 0, 0, 1, 1),
        ];
        let e = decode_program(&prog).unwrap_err();
        assert_eq!(e.index, 1);
        assert!(e.to_string().contains("reserved"), "{e}");
    }

    #[test]
    fn lddw_needs_its_second_slot() {
        let e = decode_program(&[RawInsn::new(LDDW, 0, 0, 0, 1)]).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Ld64Truncated);
        let p =
            decode_program(&[RawInsn::new(LDDW, 0, 0, 0, 1), RawInsn::new(0, 0, 0, 0, 2)]).unwrap();
        assert_eq!(p[1], Insn::Ld64Tail);
    }

    #[test]
    fn map_fd_loads_have_no_value_offset() {
        let load = |src, next| {
            decode_program(&[
                RawInsn::new(LDDW, 1, src, 0, 5),
                RawInsn::new(0, 0, 0, 0, next),
            ])
        };
        assert!(load(PSEUDO_MAP_FD, 8).is_err());
        assert!(load(PSEUDO_MAP_IDX, 8).is_err());
        assert!(load(PSEUDO_MAP_FD, 0).is_ok());
        assert!(load(PSEUDO_MAP_VALUE, 8).is_ok());
        assert!(load(PSEUDO_MAP_IDX_VALUE, 8).is_ok());
    }

    #[test]
    fn rejects_unknown_opcodes_and_registers() {
        assert!(matches!(
            one(0xff, 0, 0, 0, 0).unwrap_err().kind,
            DecodeErrorKind::UnknownOpcode { .. }
        ));
        assert!(matches!(
            one(ALU64 | MOV | K, 11, 0, 0, 0).unwrap_err().kind,
            DecodeErrorKind::InvalidRegister { reg: 11 }
        ));
    }
}
