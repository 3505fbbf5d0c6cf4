//! Raw opcode constants of the eBPF instruction set (RFC 9669 and the Linux uapi
//! `bpf_common.h`/`bpf.h` names). Everything that looks at raw bytes uses these names.

// Instruction classes (low 3 bits).
pub const CLASS_MASK: u8 = 0x07;
pub const LD: u8 = 0x00;
pub const LDX: u8 = 0x01;
pub const ST: u8 = 0x02;
pub const STX: u8 = 0x03;
pub const ALU: u8 = 0x04;
pub const JMP: u8 = 0x05;
pub const JMP32: u8 = 0x06;
pub const ALU64: u8 = 0x07;

// Source operand (bit 3) for ALU and JMP classes.
pub const K: u8 = 0x00;
pub const X: u8 = 0x08;
pub const SRC_MASK: u8 = 0x08;

// Operation (high 4 bits) for ALU and JMP classes.
pub const OP_MASK: u8 = 0xf0;
pub const ADD: u8 = 0x00;
pub const SUB: u8 = 0x10;
pub const MUL: u8 = 0x20;
pub const DIV: u8 = 0x30;
pub const OR: u8 = 0x40;
pub const AND: u8 = 0x50;
pub const LSH: u8 = 0x60;
pub const RSH: u8 = 0x70;
pub const NEG: u8 = 0x80;
pub const MOD: u8 = 0x90;
pub const XOR: u8 = 0xa0;
pub const MOV: u8 = 0xb0;
pub const ARSH: u8 = 0xc0;
pub const END: u8 = 0xd0;

pub const JA: u8 = 0x00;
pub const JEQ: u8 = 0x10;
pub const JGT: u8 = 0x20;
pub const JGE: u8 = 0x30;
pub const JSET: u8 = 0x40;
pub const JNE: u8 = 0x50;
pub const JSGT: u8 = 0x60;
pub const JSGE: u8 = 0x70;
pub const CALL: u8 = 0x80;
pub const EXIT: u8 = 0x90;
pub const JLT: u8 = 0xa0;
pub const JLE: u8 = 0xb0;
pub const JSLT: u8 = 0xc0;
pub const JSLE: u8 = 0xd0;
/// `BPF_JCOND`: with src_reg 0 this is `may_goto` (Linux 6.9+).
pub const JCOND: u8 = 0xe0;

// Size (bits 3-4) for load/store classes.
pub const SIZE_MASK: u8 = 0x18;
pub const W: u8 = 0x00;
pub const H: u8 = 0x08;
pub const B: u8 = 0x10;
pub const DW: u8 = 0x18;

// Mode (high 3 bits) for load/store classes.
pub const MODE_MASK: u8 = 0xe0;
pub const IMM: u8 = 0x00;
pub const ABS: u8 = 0x20;
pub const IND: u8 = 0x40;
pub const MEM: u8 = 0x60;
pub const MEMSX: u8 = 0x80;
pub const ATOMIC: u8 = 0xc0;

// Atomic operations (in imm).
pub const FETCH: i32 = 0x01;
pub const XCHG: i32 = 0xe0 | FETCH;
pub const CMPXCHG: i32 = 0xf0 | FETCH;

// Pseudo sources of `lddw` (src_reg).
pub const PSEUDO_MAP_FD: u8 = 1;
pub const PSEUDO_MAP_VALUE: u8 = 2;
pub const PSEUDO_BTF_ID: u8 = 3;
pub const PSEUDO_FUNC: u8 = 4;
pub const PSEUDO_MAP_IDX: u8 = 5;
pub const PSEUDO_MAP_IDX_VALUE: u8 = 6;

// Call kinds (src_reg of BPF_CALL).
pub const PSEUDO_CALL: u8 = 1;
pub const PSEUDO_KFUNC_CALL: u8 = 2;

/// `lddw`: LD | IMM | DW.
pub const LDDW: u8 = LD | IMM | DW;
/// `exit`.
pub const EXIT_OP: u8 = JMP | EXIT;
/// `call imm`.
pub const CALL_OP: u8 = JMP | CALL;
