//! The eBPF instruction set (RFC 9669 plus the Linux extensions real objects use).
//!
//! Owns the raw 8-byte slot ([`RawInsn`]), the decoded typed form ([`Insn`]) that every later
//! stage matches on, decoding with reserved-field checks ([`decode_program`]), encoding back to bytes
//! ([`encode`]), the llvm-objdump style disassembler ([`disasm`]) and the assembler ([`asm`]).

pub mod asm;
mod decode;
pub mod disasm;
mod encode;
pub mod opcode;

pub use decode::{DecodeError, DecodeErrorKind, decode_program, decode_slot};
pub use encode::{encode, encode_program};

use std::fmt;

/// Size in bytes of one instruction slot.
pub const SLOT_SIZE: usize = 8;

/// One raw 8-byte instruction slot, fields as in `struct bpf_insn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct RawInsn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl RawInsn {
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Self {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    /// Reads one slot from its little-endian bytes.
    pub fn from_bytes(b: [u8; 8]) -> Self {
        Self {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// The slot's little-endian bytes. Register fields wider than 4 bits are truncated.
    pub fn to_bytes(self) -> [u8; 8] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [
            self.code,
            (self.dst & 0x0f) | (self.src << 4),
            off[0],
            off[1],
            imm[0],
            imm[1],
            imm[2],
            imm[3],
        ]
    }

    /// Splits a byte string into slots; a trailing partial slot is an error.
    pub fn slots(bytes: &[u8]) -> Result<Vec<RawInsn>, DecodeError> {
        if !bytes.len().is_multiple_of(SLOT_SIZE) {
            return Err(DecodeError {
                index: bytes.len() / SLOT_SIZE,
                kind: DecodeErrorKind::TruncatedSlot {
                    len: bytes.len() % SLOT_SIZE,
                },
            });
        }
        Ok(bytes
            .chunks_exact(SLOT_SIZE)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                RawInsn::from_bytes(b)
            })
            .collect())
    }
}

/// A register, r0..=r10.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(u8);

impl Reg {
    pub const R0: Reg = Reg(0);
    pub const R1: Reg = Reg(1);
    pub const R2: Reg = Reg(2);
    pub const R3: Reg = Reg(3);
    pub const R4: Reg = Reg(4);
    pub const R5: Reg = Reg(5);
    pub const R6: Reg = Reg(6);
    pub const R7: Reg = Reg(7);
    pub const R8: Reg = Reg(8);
    pub const R9: Reg = Reg(9);
    /// The read-only frame pointer.
    pub const R10: Reg = Reg(10);
    /// Number of registers.
    pub const COUNT: usize = 11;

    /// `Some` for r0..=r10.
    pub const fn new(n: u8) -> Option<Reg> {
        if n <= 10 { Some(Reg(n)) } else { None }
    }

    pub const fn index(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// Operand width of ALU (32-bit `ALU` / 64-bit `ALU64`) and jump (`JMP32` / `JMP`) classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    W32,
    W64,
}

/// Access size of loads, stores and atomics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    B,
    H,
    W,
    DW,
}

impl Size {
    pub const fn bytes(self) -> usize {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }

    /// The C type name llvm-objdump prints (`u8`..`u64`).
    pub const fn c_type(self) -> &'static str {
        match self {
            Size::B => "u8",
            Size::H => "u16",
            Size::W => "u32",
            Size::DW => "u64",
        }
    }

    pub(crate) const fn bits(self) -> u8 {
        match self {
            Size::W => opcode::W,
            Size::H => opcode::H,
            Size::B => opcode::B,
            Size::DW => opcode::DW,
        }
    }

    pub(crate) const fn from_bits(code: u8) -> Size {
        match code & opcode::SIZE_MASK {
            opcode::W => Size::W,
            opcode::H => Size::H,
            opcode::B => Size::B,
            _ => Size::DW,
        }
    }
}

/// The second operand of ALU, jump and store instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Reg(Reg),
    Imm(i32),
}

/// ALU operations (everything with a destination and a source operand).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    Add,
    Sub,
    Mul,
    Div,
    /// Signed division (`DIV` with offset 1, ISA v4).
    SDiv,
    Or,
    And,
    Lsh,
    Rsh,
    Mod,
    /// Signed modulo (`MOD` with offset 1, ISA v4).
    SMod,
    Xor,
    Mov,
    /// Sign-extending move from the low 8, 16 or 32 bits (`MOV` with offset 8/16/32, ISA v4).
    MovSx(u8),
    Arsh,
}

/// Byte-order operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `le16/32/64`: convert to little endian (truncation only on a little-endian host).
    ToLe,
    /// `be16/32/64`: convert to big endian.
    ToBe,
    /// `bswap16/32/64`: unconditional swap (ALU64 class, ISA v4).
    Swap,
}

/// Conditions of conditional jumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JmpCond {
    Eq,
    Gt,
    Ge,
    Set,
    Ne,
    Sgt,
    Sge,
    Lt,
    Le,
    Slt,
    Sle,
}

impl JmpCond {
    /// The C operator llvm-objdump prints for the condition.
    pub const fn operator(self) -> &'static str {
        match self {
            JmpCond::Eq => "==",
            JmpCond::Gt => ">",
            JmpCond::Ge => ">=",
            JmpCond::Set => "&",
            JmpCond::Ne => "!=",
            JmpCond::Sgt => "s>",
            JmpCond::Sge => "s>=",
            JmpCond::Lt => "<",
            JmpCond::Le => "<=",
            JmpCond::Slt => "s<",
            JmpCond::Sle => "s<=",
        }
    }
}

/// Atomic read-modify-write operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    Add,
    Or,
    And,
    Xor,
    /// Always fetches.
    Xchg,
    /// Compares with r0; always fetches into r0.
    CmpXchg,
}

/// What the 64-bit immediate of `lddw` means (its src_reg).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ld64Kind {
    /// A plain 64-bit constant.
    Imm,
    /// `BPF_PSEUDO_MAP_FD`: imm is a map fd.
    MapFd,
    /// `BPF_PSEUDO_MAP_VALUE`: imm is a map fd, next imm an offset into its value.
    MapValue,
    /// `BPF_PSEUDO_BTF_ID`: imm is a kernel BTF id (ksym).
    BtfId,
    /// `BPF_PSEUDO_FUNC`: imm is the relative slot offset of a subprogram.
    Func,
    /// `BPF_PSEUDO_MAP_IDX`: imm is an index into the map array.
    MapIdx,
    /// `BPF_PSEUDO_MAP_IDX_VALUE`: map index plus value offset.
    MapIdxValue,
}

impl Ld64Kind {
    pub(crate) const fn src(self) -> u8 {
        match self {
            Ld64Kind::Imm => 0,
            Ld64Kind::MapFd => opcode::PSEUDO_MAP_FD,
            Ld64Kind::MapValue => opcode::PSEUDO_MAP_VALUE,
            Ld64Kind::BtfId => opcode::PSEUDO_BTF_ID,
            Ld64Kind::Func => opcode::PSEUDO_FUNC,
            Ld64Kind::MapIdx => opcode::PSEUDO_MAP_IDX,
            Ld64Kind::MapIdxValue => opcode::PSEUDO_MAP_IDX_VALUE,
        }
    }

    pub(crate) const fn from_src(src: u8) -> Option<Ld64Kind> {
        Some(match src {
            0 => Ld64Kind::Imm,
            opcode::PSEUDO_MAP_FD => Ld64Kind::MapFd,
            opcode::PSEUDO_MAP_VALUE => Ld64Kind::MapValue,
            opcode::PSEUDO_BTF_ID => Ld64Kind::BtfId,
            opcode::PSEUDO_FUNC => Ld64Kind::Func,
            opcode::PSEUDO_MAP_IDX => Ld64Kind::MapIdx,
            opcode::PSEUDO_MAP_IDX_VALUE => Ld64Kind::MapIdxValue,
            _ => return None,
        })
    }
}

/// What a `call` instruction calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallTarget {
    /// A helper function by id.
    Helper(i32),
    /// A bpf-to-bpf call: the callee starts at `pc + 1 + offset` (slots).
    Local(i32),
    /// A kernel function by BTF id; `module` is the fd-array index of its BTF (0 = vmlinux).
    Kfunc { btf_id: i32, module: i16 },
}

/// A decoded instruction. Programs are decoded slot by slot: `lddw` occupies two slots and
/// the second one decodes to [`Insn::Ld64Tail`], so slot indices (and jump offsets) keep
/// meaning what they mean in the raw program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Insn {
    Alu {
        width: Width,
        op: AluOp,
        dst: Reg,
        src: Source,
    },
    Neg {
        width: Width,
        dst: Reg,
    },
    Endian {
        order: ByteOrder,
        bits: u8,
        dst: Reg,
    },
    /// `lddw dst, imm64`; `imm` and `next_imm` are the two slots' immediates.
    Ld64 {
        kind: Ld64Kind,
        dst: Reg,
        imm: i32,
        next_imm: i32,
    },
    /// The second slot of an `lddw`; never executed.
    Ld64Tail,
    /// `dst = *(size *)(src + off)`, sign-extending with `sign_extend` (ISA v4 `ldsx`).
    Load {
        size: Size,
        sign_extend: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    /// `*(size *)(dst + off) = src` (`ST` with an immediate, `STX` with a register).
    Store {
        size: Size,
        dst: Reg,
        off: i16,
        src: Source,
    },
    /// `lock *(size *)(dst + off) op= src` (size W or DW).
    Atomic {
        size: Size,
        op: AtomicOp,
        fetch: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    /// Legacy packet load `r0 = ntoh(*(size *)(skb->data + imm))` (`LD_ABS`).
    LdAbs {
        size: Size,
        imm: i32,
    },
    /// Legacy packet load `r0 = ntoh(*(size *)(skb->data + src + imm))` (`LD_IND`).
    LdInd {
        size: Size,
        src: Reg,
        imm: i32,
    },
    /// Unconditional jump to `pc + 1 + off`; `long` is `gotol` (JMP32 class, offset in imm).
    Ja {
        off: i32,
        long: bool,
    },
    /// Conditional jump to `pc + 1 + off`.
    Jump {
        width: Width,
        cond: JmpCond,
        dst: Reg,
        src: Source,
        off: i16,
    },
    /// `may_goto`: jumps to `pc + 1 + off` once the loop budget is spent (Linux 6.9+).
    MayGoto {
        off: i16,
    },
    Call(CallTarget),
    /// `callx reg`: calls the helper whose id the register holds.
    CallX {
        reg: Reg,
    },
    Exit,
}

impl Insn {
    /// The 64-bit immediate of an `lddw`.
    pub fn ld64_value(imm: i32, next_imm: i32) -> u64 {
        (imm as u32 as u64) | ((next_imm as u32 as u64) << 32)
    }

    /// Number of slots the instruction occupies (2 for `lddw`).
    pub fn slots(&self) -> usize {
        match self {
            Insn::Ld64 { .. } => 2,
            _ => 1,
        }
    }

    /// The relative jump offset of a jump instruction (taken branch).
    pub fn jump_offset(&self) -> Option<i64> {
        match *self {
            Insn::Ja { off, .. } => Some(off as i64),
            Insn::Jump { off, .. } | Insn::MayGoto { off } => Some(off as i64),
            _ => None,
        }
    }
}
