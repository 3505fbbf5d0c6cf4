//! The interpreter's pre-decoded form: one flat [`Op`] per slot, with the operation, its
//! width and its operand kind folded into one dispatch byte and immediates pre-extended, so
//! the run loop decodes nothing.

use super::{STACK_SIZE, frame_use};
use crate::insn::{
    AluOp, AtomicOp, ByteOrder, CallTarget, Insn, JmpCond, Ld64Kind, Size, Source, Width,
};
use thiserror::Error;

/// A program the interpreter cannot run as given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PrepareError {
    #[error(
        "instruction {pc}: lddw with pseudo source {kind:?} needs a loaded object to resolve it"
    )]
    UnresolvedLd64 { pc: usize, kind: Ld64Kind },
    #[error("instruction {pc}: {} is not implemented by bpfsim", helper_label(*.id))]
    UnknownHelper { pc: usize, id: i64 },
    #[error("program is empty")]
    Empty,
}

/// `bpf_name#id` as the kernel's verifier names a helper, or `unknown helper #id`.
pub(crate) fn helper_label(id: i64) -> String {
    match u64::try_from(id).ok().and_then(crate::helpers::helper_name) {
        Some(name) => format!("helper bpf_{name}#{id}"),
        None => format!("unknown helper #{id}"),
    }
}

/// Dispatch byte of an [`Op`]. Each ALU and jump operation has four variants
/// (64-bit or 32-bit, immediate or register source).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OpKind {
    Add64K,
    Add64X,
    Add32K,
    Add32X,
    Sub64K,
    Sub64X,
    Sub32K,
    Sub32X,
    Mul64K,
    Mul64X,
    Mul32K,
    Mul32X,
    Div64K,
    Div64X,
    Div32K,
    Div32X,
    SDiv64K,
    SDiv64X,
    SDiv32K,
    SDiv32X,
    Or64K,
    Or64X,
    Or32K,
    Or32X,
    And64K,
    And64X,
    And32K,
    And32X,
    Lsh64K,
    Lsh64X,
    Lsh32K,
    Lsh32X,
    Rsh64K,
    Rsh64X,
    Rsh32K,
    Rsh32X,
    Mod64K,
    Mod64X,
    Mod32K,
    Mod32X,
    SMod64K,
    SMod64X,
    SMod32K,
    SMod32X,
    Xor64K,
    Xor64X,
    Xor32K,
    Xor32X,
    Mov64K,
    Mov64X,
    Mov32K,
    Mov32X,
    Arsh64K,
    Arsh64X,
    Arsh32K,
    Arsh32X,
    MovSx64,
    MovSx32,
    Neg64,
    Neg32,
    Le,
    Swap,
    Ld64,
    LdxB,
    LdxH,
    LdxW,
    LdxDW,
    LdxSB,
    LdxSH,
    LdxSW,
    StB,
    StH,
    StW,
    StDW,
    StxB,
    StxH,
    StxW,
    StxDW,
    Atomic32,
    Atomic64,
    LdAbs,
    LdInd,
    Ja,
    Jeq64K,
    Jeq64X,
    Jeq32K,
    Jeq32X,
    Jgt64K,
    Jgt64X,
    Jgt32K,
    Jgt32X,
    Jge64K,
    Jge64X,
    Jge32K,
    Jge32X,
    Jset64K,
    Jset64X,
    Jset32K,
    Jset32X,
    Jne64K,
    Jne64X,
    Jne32K,
    Jne32X,
    Jsgt64K,
    Jsgt64X,
    Jsgt32K,
    Jsgt32X,
    Jsge64K,
    Jsge64X,
    Jsge32K,
    Jsge32X,
    Jlt64K,
    Jlt64X,
    Jlt32K,
    Jlt32X,
    Jle64K,
    Jle64X,
    Jle32K,
    Jle32X,
    Jslt64K,
    Jslt64X,
    Jslt32K,
    Jslt32X,
    Jsle64K,
    Jsle64X,
    Jsle32K,
    Jsle32X,
    MayGoto,
    CallHelper,
    CallLocal,
    CallX,
    CallKfunc,
    Exit,
    /// The second slot of `lddw`: reaching it is an error.
    Ld64Tail,
    /// Padding after the program: reaching it (falling off the end, or a jump whose target
    /// lies outside the program) is an error naming the slot in `imm`.
    OutOfRange,
}

/// A register index the compiler can prove is below 16, so indexing the 16-entry register
/// file needs neither a bounds check nor a mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u8)]
#[rustfmt::skip]
pub enum RegIdx {
    #[default]
    R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15,
}

impl RegIdx {
    pub fn new(n: u8) -> RegIdx {
        use RegIdx::*;
        [
            R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15,
        ][(n & 15) as usize]
    }

    #[inline(always)]
    pub fn get(self) -> usize {
        self as usize
    }
}

/// One pre-decoded slot. `off` is the memory offset of loads and stores, or the absolute
/// target slot of jumps and local calls; `imm` is the immediate already extended the way the
/// operation uses it, and for a local call the bytes at the top of the callee's frame that
/// are zeroed when it is entered ([`super::frame_use`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Op {
    pub kind: OpKind,
    pub dst: RegIdx,
    pub src: RegIdx,
    /// Operation detail: byte-swap width, sign-extension width, atomic op, access size.
    pub aux: u8,
    pub off: i32,
    pub imm: i64,
}

/// A plain load or store of an [`Op`]: the register holding the address, the offset, the
/// size in bytes and whether it writes (atomics are not plain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemAccess {
    pub base: RegIdx,
    pub off: i32,
    pub size: u64,
    pub write: bool,
}

impl Op {
    /// The access of a plain load or store, `None` for anything else.
    pub fn memory_access(&self) -> Option<MemAccess> {
        use OpKind::*;
        let (size, write) = match self.kind {
            LdxB | LdxSB => (1, false),
            LdxH | LdxSH => (2, false),
            LdxW | LdxSW => (4, false),
            LdxDW => (8, false),
            StB | StxB => (1, true),
            StH | StxH => (2, true),
            StW | StxW => (4, true),
            StDW | StxDW => (8, true),
            _ => return None,
        };
        Some(MemAccess {
            base: if write { self.dst } else { self.src },
            off: self.off,
            size,
            write,
        })
    }
}

/// Picks one of an operation's four variants `[64K, 64X, 32K, 32X]`.
fn quad(variants: [OpKind; 4], width: Width, src: Source) -> OpKind {
    variants[match (width, src) {
        (Width::W64, Source::Imm(_)) => 0,
        (Width::W64, Source::Reg(_)) => 1,
        (Width::W32, Source::Imm(_)) => 2,
        (Width::W32, Source::Reg(_)) => 3,
    }]
}

fn size_code(size: Size) -> u8 {
    size.bytes() as u8
}

/// Atomic detail byte: the operation in the low bits, bit 7 = fetch.
pub const ATOMIC_FETCH: u8 = 0x80;

pub fn atomic_code(op: AtomicOp, fetch: bool) -> u8 {
    let base = match op {
        AtomicOp::Add => 0,
        AtomicOp::Or => 1,
        AtomicOp::And => 2,
        AtomicOp::Xor => 3,
        AtomicOp::Xchg => 4,
        AtomicOp::CmpXchg => 5,
    };
    base | if fetch { ATOMIC_FETCH } else { 0 }
}

/// Lowers a decoded program (one [`Insn`] per slot) to the interpreter's form.
///
/// The result is padded with [`OpKind::OutOfRange`] slots to a power-of-two length, and every
/// jump or call target lies inside it: a target outside the program points at a padding slot
/// that reports it, as does the slot right after the last instruction. So every slot the run
/// loop can reach exists, and it can index the code with `pc & (len - 1)`, which the compiler
/// proves in bounds: the dispatch needs no bounds check.
pub fn lower(insns: &[Insn]) -> Result<Vec<Op>, PrepareError> {
    if insns.is_empty() {
        return Err(PrepareError::Empty);
    }
    // Room for the usual padding (one slot, then up to a power of two) from the start.
    let mut code = Vec::with_capacity((insns.len() + 1).next_power_of_two());
    for (pc, i) in insns.iter().enumerate() {
        code.push(lower_one(pc, i)?);
    }
    let len = code.len();
    let padding = |target: i64| Op {
        kind: OpKind::OutOfRange,
        dst: RegIdx::R0,
        src: RegIdx::R0,
        aux: 0,
        off: 0,
        imm: target,
    };
    code.push(padding(len as i64));
    for pc in 0..len {
        if !is_transfer(code[pc].kind) {
            continue;
        }
        let target = pc as i64 + 1 + code[pc].off as i64;
        let slot = if (0..len as i64).contains(&target) {
            target as usize
        } else {
            match code[len..].iter().position(|p| p.imm == target) {
                Some(i) => len + i,
                None => {
                    code.push(padding(target));
                    code.len() - 1
                }
            }
        };
        code[pc].off = slot as i32;
    }
    let padded = code.len().next_power_of_two();
    code.resize(padded, padding(len as i64));
    // A local call's `imm`: how much of its new frame the callee can reach (zeroed on entry).
    let whole = frame_use::whole_frames(&code, len);
    let mut callee_use: Vec<Option<i64>> = vec![None; len];
    let mut walker = frame_use::Walker::new(len);
    for pc in 0..len {
        if code[pc].kind == OpKind::CallLocal {
            let target = code[pc].off as usize;
            code[pc].imm = match callee_use.get(target).copied().flatten() {
                Some(n) => n,
                None if whole => STACK_SIZE as i64,
                None => {
                    let n = walker.frame_use(&code, len, target) as i64;
                    if let Some(slot) = callee_use.get_mut(target) {
                        *slot = Some(n);
                    }
                    n
                }
            };
        }
    }
    Ok(code)
}

/// Operations whose `off` is a jump or call target.
fn is_transfer(kind: OpKind) -> bool {
    use OpKind::*;
    (Ja as u8..=MayGoto as u8).contains(&(kind as u8)) || kind == CallLocal
}

fn lower_one(pc: usize, insn: &Insn) -> Result<Op, PrepareError> {
    use OpKind::*;
    let mut op = Op {
        kind: Exit,
        dst: RegIdx::R0,
        src: RegIdx::R0,
        aux: 0,
        off: 0,
        imm: 0,
    };
    let set_src = |op: &mut Op, width: Width, src: Source| match src {
        Source::Reg(r) => op.src = RegIdx::new(r.index()),
        Source::Imm(i) => {
            op.imm = match width {
                Width::W64 => i as i64,
                Width::W32 => i as u32 as i64,
            }
        }
    };
    match *insn {
        Insn::Alu {
            width,
            op: alu,
            dst,
            src,
        } => {
            op.dst = RegIdx::new(dst.index());
            set_src(&mut op, width, src);
            op.kind = match alu {
                AluOp::MovSx(bits) => {
                    op.aux = bits;
                    match width {
                        Width::W64 => MovSx64,
                        Width::W32 => MovSx32,
                    }
                }
                AluOp::Add => quad([Add64K, Add64X, Add32K, Add32X], width, src),
                AluOp::Sub => quad([Sub64K, Sub64X, Sub32K, Sub32X], width, src),
                AluOp::Mul => quad([Mul64K, Mul64X, Mul32K, Mul32X], width, src),
                AluOp::Div => quad([Div64K, Div64X, Div32K, Div32X], width, src),
                AluOp::SDiv => quad([SDiv64K, SDiv64X, SDiv32K, SDiv32X], width, src),
                AluOp::Or => quad([Or64K, Or64X, Or32K, Or32X], width, src),
                AluOp::And => quad([And64K, And64X, And32K, And32X], width, src),
                AluOp::Lsh => quad([Lsh64K, Lsh64X, Lsh32K, Lsh32X], width, src),
                AluOp::Rsh => quad([Rsh64K, Rsh64X, Rsh32K, Rsh32X], width, src),
                AluOp::Mod => quad([Mod64K, Mod64X, Mod32K, Mod32X], width, src),
                AluOp::SMod => quad([SMod64K, SMod64X, SMod32K, SMod32X], width, src),
                AluOp::Xor => quad([Xor64K, Xor64X, Xor32K, Xor32X], width, src),
                AluOp::Mov => quad([Mov64K, Mov64X, Mov32K, Mov32X], width, src),
                AluOp::Arsh => quad([Arsh64K, Arsh64X, Arsh32K, Arsh32X], width, src),
            };
        }
        Insn::Neg { width, dst } => {
            op.dst = RegIdx::new(dst.index());
            op.kind = match width {
                Width::W64 => Neg64,
                Width::W32 => Neg32,
            };
        }
        Insn::Endian { order, bits, dst } => {
            op.dst = RegIdx::new(dst.index());
            op.aux = bits;
            op.kind = match order {
                ByteOrder::ToLe => Le,
                ByteOrder::ToBe | ByteOrder::Swap => Swap,
            };
        }
        Insn::Ld64 {
            kind,
            dst,
            imm,
            next_imm,
        } => {
            if kind != Ld64Kind::Imm {
                return Err(PrepareError::UnresolvedLd64 { pc, kind });
            }
            op.kind = Ld64;
            op.dst = RegIdx::new(dst.index());
            op.imm = Insn::ld64_value(imm, next_imm) as i64;
        }
        Insn::Ld64Tail => op.kind = Ld64Tail,
        Insn::Load {
            size,
            sign_extend,
            dst,
            src,
            off,
        } => {
            op.dst = RegIdx::new(dst.index());
            op.src = RegIdx::new(src.index());
            op.off = off as i32;
            op.kind = match (sign_extend, size) {
                (false, Size::B) => LdxB,
                (false, Size::H) => LdxH,
                (false, Size::W) => LdxW,
                (false, Size::DW) => LdxDW,
                (true, Size::B) => LdxSB,
                (true, Size::H) => LdxSH,
                // The decoder never produces a sign-extending DW load.
                (true, _) => LdxSW,
            };
        }
        Insn::Store {
            size,
            dst,
            off,
            src,
        } => {
            op.dst = RegIdx::new(dst.index());
            op.off = off as i32;
            op.kind = match (src, size) {
                (Source::Imm(i), s) => {
                    op.imm = i as i64;
                    match s {
                        Size::B => StB,
                        Size::H => StH,
                        Size::W => StW,
                        Size::DW => StDW,
                    }
                }
                (Source::Reg(r), s) => {
                    op.src = RegIdx::new(r.index());
                    match s {
                        Size::B => StxB,
                        Size::H => StxH,
                        Size::W => StxW,
                        Size::DW => StxDW,
                    }
                }
            };
        }
        Insn::Atomic {
            size,
            op: aop,
            fetch,
            dst,
            src,
            off,
        } => {
            op.dst = RegIdx::new(dst.index());
            op.src = RegIdx::new(src.index());
            op.off = off as i32;
            op.aux = atomic_code(aop, fetch);
            op.kind = if size == Size::DW { Atomic64 } else { Atomic32 };
        }
        Insn::LdAbs { size, imm } => {
            op.kind = LdAbs;
            op.aux = size_code(size);
            op.imm = imm as i64;
        }
        Insn::LdInd { size, src, imm } => {
            op.kind = LdInd;
            op.src = RegIdx::new(src.index());
            op.aux = size_code(size);
            op.imm = imm as i64;
        }
        Insn::Ja { off, .. } => {
            op.kind = Ja;
            op.off = off;
        }
        Insn::Jump {
            width,
            cond,
            dst,
            src,
            off,
        } => {
            op.dst = RegIdx::new(dst.index());
            op.off = off as i32;
            set_src(&mut op, width, src);
            let base = match cond {
                JmpCond::Eq => [Jeq64K, Jeq64X, Jeq32K, Jeq32X],
                JmpCond::Gt => [Jgt64K, Jgt64X, Jgt32K, Jgt32X],
                JmpCond::Ge => [Jge64K, Jge64X, Jge32K, Jge32X],
                JmpCond::Set => [Jset64K, Jset64X, Jset32K, Jset32X],
                JmpCond::Ne => [Jne64K, Jne64X, Jne32K, Jne32X],
                JmpCond::Sgt => [Jsgt64K, Jsgt64X, Jsgt32K, Jsgt32X],
                JmpCond::Sge => [Jsge64K, Jsge64X, Jsge32K, Jsge32X],
                JmpCond::Lt => [Jlt64K, Jlt64X, Jlt32K, Jlt32X],
                JmpCond::Le => [Jle64K, Jle64X, Jle32K, Jle32X],
                JmpCond::Slt => [Jslt64K, Jslt64X, Jslt32K, Jslt32X],
                JmpCond::Sle => [Jsle64K, Jsle64X, Jsle32K, Jsle32X],
            };
            op.kind = quad(base, width, src);
        }
        Insn::MayGoto { off } => {
            op.kind = MayGoto;
            op.off = off as i32;
        }
        Insn::Call(CallTarget::Helper(id)) => {
            op.kind = CallHelper;
            op.imm = id as i64;
        }
        Insn::Call(CallTarget::Local(off)) => {
            op.kind = CallLocal;
            op.off = off;
        }
        Insn::Call(CallTarget::Kfunc { btf_id, .. }) => {
            op.kind = CallKfunc;
            op.imm = btf_id as i64;
        }
        Insn::CallX { reg } => {
            op.kind = CallX;
            op.dst = RegIdx::new(reg.index());
        }
        Insn::Exit => op.kind = Exit,
    }
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jumps_get_absolute_targets_and_out_of_range_ones_a_padding_slot() {
        use crate::insn::Reg;
        let insns = [
            Insn::Ja {
                off: 1,
                long: false,
            },
            Insn::Ja {
                off: -5,
                long: false,
            },
            Insn::Exit,
        ];
        let code = lower(&insns).unwrap();
        assert_eq!(code.len(), 8);
        assert_eq!(code[0].off, 2);
        let bad = &code[code[1].off as usize];
        assert_eq!((bad.kind, bad.imm), (OpKind::OutOfRange, -3));
        assert_eq!((code[3].kind, code[3].imm), (OpKind::OutOfRange, 3));
        let _ = Reg::R0;
    }

    #[test]
    fn op_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Op>(), 16);
    }
}
#[cfg(test)]
mod dbg_tests {
    #[test]
    fn dbg() {
        let b =
            crate::insn::asm::assemble("mov32 %r0, 0\nmov32 %r1, 2\nadd32 %r0, 1\nexit").unwrap();
        let i = crate::insn::decode_program(&b).unwrap();
        for o in super::lower(&i).unwrap() {
            eprintln!("{o:?}");
        }
    }
}
