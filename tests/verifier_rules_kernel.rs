//! `do_check`'s ALU, memory and pointer-comparison rules against Linux 6.18.
//!
//! Each case is a small program probing one rule of `adjust_ptr_min_max_vals`,
//! `check_mem_access` (stack, context, map values, packets, alignment, atomics) or
//! `check_cond_jmp_op`, mostly in accepted and rejected twins. Its expectation is the
//! running kernel's verdict, recorded from `bpf(BPF_PROG_LOAD)` as root with default flags:
//! `accept`, or the last line of the verifier log that is not `processed ...`.
//!
//! `recorded_verdicts_hold` runs bpfsim's verifier on every case and compares with the
//! constants (no kernel needed); `kernel_agrees_with_the_recorded_verdicts` loads every
//! case into the running kernel and compares again, printing `skipped` where bpf() is
//! unavailable. `BPFSIM_RECORD=1` prints what the kernel says, in the constants' syntax.
//!
//! Programs are llvm-syntax assembly. Map references use magic `lddw` immediates:
//! `r1 = 0x7ea1000N ll` is map N (`BPF_PSEUDO_MAP_FD`), `r1 = 0xOOOOOOOO7eb1000N ll` is a
//! pointer to map N's value at offset `0xOOOOOOOO` (`BPF_PSEUDO_MAP_VALUE`). The maps are
//! [`MAPS`].

mod common;

use bpfsim::insn::RawInsn;
use bpfsim::insn::asm::assemble;
use bpfsim::maps::{MapDef, MapOrigin, MapType};
use bpfsim::progtype::ProgType;
use bpfsim::verifier::{
    CheckEnv, MapHelpers, MapRefs, PreflightOptions, do_check, preflight_insns,
};

/// A map the cases can use: type, key size, value size, flags, frozen with these bytes.
struct Map {
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    flags: u32,
    frozen: Option<&'static [u8]>,
}

const BPF_F_RDONLY_PROG: u32 = 1 << 7;
const BPF_F_WRONLY_PROG: u32 = 1 << 8;

const MAPS: &[Map] = &[
    // 0: array of one 48-byte value.
    Map {
        map_type: MapType::Array,
        key_size: 4,
        value_size: 48,
        flags: 0,
        frozen: None,
    },
    // 1: hash, 8-byte values.
    Map {
        map_type: MapType::Hash,
        key_size: 8,
        value_size: 8,
        flags: 0,
        frozen: None,
    },
    // 2: read-only for programs (`.rodata`), frozen, value 8 bytes: 1, 0, 0, 0, 5, 0, 0, 0.
    Map {
        map_type: MapType::Array,
        key_size: 4,
        value_size: 8,
        flags: BPF_F_RDONLY_PROG,
        frozen: Some(&[1, 0, 0, 0, 5, 0, 0, 0]),
    },
    // 3: write-only for programs.
    Map {
        map_type: MapType::Array,
        key_size: 4,
        value_size: 8,
        flags: BPF_F_WRONLY_PROG,
        frozen: None,
    },
];

struct Case {
    name: &'static str,
    prog_type: ProgType,
    /// `expected_attach_type` (0 when the type needs none).
    attach: u32,
    asm: &'static str,
    /// `accept`, or the kernel's error line.
    kernel: &'static str,
}

const fn sk(name: &'static str, asm: &'static str, kernel: &'static str) -> Case {
    Case {
        name,
        prog_type: ProgType::SocketFilter,
        attach: 0,
        asm,
        kernel,
    }
}

const fn typed(
    name: &'static str,
    prog_type: ProgType,
    asm: &'static str,
    kernel: &'static str,
) -> Case {
    Case {
        name,
        prog_type,
        attach: 0,
        asm,
        kernel,
    }
}

const fn attached(
    name: &'static str,
    prog_type: ProgType,
    attach: u32,
    asm: &'static str,
    kernel: &'static str,
) -> Case {
    Case {
        name,
        prog_type,
        attach,
        asm,
        kernel,
    }
}

/// `BPF_CGROUP_INET4_CONNECT`.
const INET4_CONNECT: u32 = 10;
/// `BPF_CGROUP_GETSOCKOPT`.
const GETSOCKOPT: u32 = 21;

const CASES: &[Case] = &[
    // adjust_ptr_min_max_vals / check_reg_sane_offset.
    sk(
        "fp += small constant",
        "r1 = r10\nr1 += -8\n*(u64 *)(r1 + 0) = 0\nr0 = 0\nexit",
        "accept",
    ),
    sk(
        "fp += huge constant",
        "r1 = r10\nr1 += 0x20000000\nr0 = 0\nexit",
        "math between fp pointer and 536870912 is not allowed",
    ),
    sk(
        "fp -= register",
        "r1 = r10\nr2 = 8\nr1 -= r2\nr0 = 0\nexit",
        "R1 subtraction from stack pointer prohibited",
    ),
    sk(
        "fp -= constant",
        "r1 = r10\nr1 -= 8\n*(u64 *)(r1 + 0) = 0\nr0 = 0\nexit",
        "R1 subtraction from stack pointer prohibited",
    ),
    sk(
        "ctx += unbounded register",
        "r2 = *(u32 *)(r1 + 0)\nr2 <<= 32\nr2 s>>= 32\nr3 = r2\nr3 *= -1\nr4 = r3\nr4 <<= 1\nr1 += r4\nr0 = 0\nexit",
        "math between ctx pointer and register with unbounded min value is not allowed",
    ),
    sk(
        "map value += unbounded register",
        "r6 = *(u32 *)(r1 + 0)\nr1 = 0x7ea10001 ll\nr2 = r10\nr2 += -8\n*(u64 *)(r2 + 0) = 0\ncall 1\nif r0 == 0 goto l\nr6 <<= 32\nr0 += r6\nr6 = r0\nr6 = 0\nr0 += 0\nr1 = r10\nr1 += -8\nr2 = *(u64 *)(r1 + 0)\nr2 *= r2\nr0 += r2\nl: r0 = 0\nexit",
        "math between map_value pointer and register with unbounded min value is not allowed",
    ),
    sk(
        "map value += register with a huge min",
        "r1 = 0x7ea10001 ll\nr2 = r10\nr2 += -8\n*(u64 *)(r2 + 0) = 0\ncall 1\nif r0 == 0 goto l\nr1 = *(u32 *)(r0 + 0)\nr1 += 0x20000000\nr0 += r1\nl: r0 = 0\nexit",
        "value 536870912 makes map_value pointer be out of bounds",
    ),
    sk(
        "map value pointer offset too large",
        "r1 = 0x7ea10001 ll\nr2 = r10\nr2 += -8\n*(u64 *)(r2 + 0) = 0\ncall 1\nif r0 == 0 goto l\nr0 += 0x1fffffff\nr0 += 1\nl: r0 = 0\nexit",
        "map_value pointer offset 536870912 is not allowed",
    ),
    sk(
        "pointer - pointer as root",
        "r1 = r10\nr2 = r10\nr1 -= r2\nr0 = r1\nexit",
        "accept",
    ),
    sk(
        "pointer + pointer",
        "r1 = r10\nr2 = r10\nr1 += r2\nr0 = 0\nexit",
        "R1 pointer += pointer prohibited",
    ),
    sk(
        "w-sub on a pointer as root",
        "r1 = r10\nw1 -= 4\nr0 = r1\nexit",
        "accept",
    ),
    // Stack: strict alignment, spills and fills, variable offsets.
    sk(
        "misaligned stack write",
        "*(u32 *)(r10 - 6) = 0\nr0 = 0\nexit",
        "misaligned stack access off 0+0+-6 size 4",
    ),
    sk(
        "misaligned stack write past the frame",
        "*(u64 *)(r10 - 4) = 0\nr0 = 0\nexit",
        "misaligned stack access off 0+0+-4 size 8",
    ),
    sk(
        "aligned half-word write and read",
        "*(u16 *)(r10 - 8) = 1\nr0 = *(u16 *)(r10 - 8)\nexit",
        "accept",
    ),
    sk(
        "partial scalar spill keeps the value",
        "r1 = 5\n*(u32 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nif r0 == 5 goto l\nr0 = r4\nl: exit",
        "accept",
    ),
    sk(
        "narrow fill of a spilled pointer",
        "*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nexit",
        "invalid size of register fill",
    ),
    sk(
        "narrow spill of a pointer",
        "*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit",
        "invalid size of register spill",
    ),
    sk(
        "variable-offset stack write in bounds",
        "r2 = *(u32 *)(r1 + 0)\nr2 &= 8\nr3 = r10\nr3 += -16\nr3 += r2\n*(u64 *)(r3 + 0) = 0\nr0 = *(u64 *)(r10 - 16)\nexit",
        "accept",
    ),
    sk(
        "variable-offset stack write out of bounds",
        "r2 = *(u32 *)(r1 + 0)\nr2 &= 0xff\nr3 = r10\nr3 += -8\nr3 += r2\n*(u8 *)(r3 + 0) = 0\nr0 = 0\nexit",
        "invalid variable-offset write to stack R3 var_off=(0x0; 0xff) off=-8 size=1",
    ),
    sk(
        "unbounded variable-offset stack write",
        "r2 = *(u32 *)(r1 + 0)\nr3 = r10\nr3 += r2\n*(u8 *)(r3 + 0) = 0\nr0 = 0\nexit",
        "invalid unbounded variable-offset write to stack R3",
    ),
    sk(
        "variable-offset stack read below the frame",
        "r2 = *(u32 *)(r1 + 0)\nr2 &= 0x3fc\nr3 = r10\nr3 += -1024\nr3 += r2\nr0 = *(u32 *)(r3 + 0)\nexit",
        "invalid variable-offset read from stack R3 var_off=(0x0; 0x3fc) off=-1024 size=4",
    ),
    // Atomics.
    typed(
        "atomic add into ctx",
        ProgType::SchedCls,
        "r2 = 1\nlock *(u32 *)(r1 + 0) += w2\nr0 = 0\nexit",
        "BPF_ATOMIC stores into R1 ctx is not allowed",
    ),
    sk(
        "misaligned atomic on the stack",
        "*(u64 *)(r10 - 8) = 0\nr2 = 1\nlock *(u32 *)(r10 - 7) += w2\nr0 = 0\nexit",
        "misaligned stack access off 0+0+-7 size 4",
    ),
    sk(
        "misaligned atomic on a map value",
        "r1 = 0x7eb10000 ll\nr2 = 1\nlock *(u32 *)(r1 + 3) += w2\nr0 = 0\nexit",
        "misaligned value access off 0+0+3 size 4",
    ),
    sk(
        "aligned atomic on a map value",
        "r1 = 0x7eb10000 ll\nr2 = 1\nlock *(u32 *)(r1 + 4) += w2\nr0 = 0\nexit",
        "accept",
    ),
    typed(
        "atomic add into the packet",
        ProgType::Xdp,
        "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto l\nr5 = 1\nlock *(u32 *)(r2 + 0) += w5\nl: r0 = 0\nexit",
        "BPF_ATOMIC stores into R2 pkt is not allowed",
    ),
    // The context: fixed and variable offsets, sign-extending loads.
    sk(
        "ctx with a negative offset",
        "r1 += -8\nr0 = *(u32 *)(r1 + 8)\nexit",
        "negative offset ctx ptr R1 off=-8 disallowed",
    ),
    sk(
        "ctx with a positive offset",
        "r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit",
        "dereference of modified ctx ptr R1 off=4 disallowed",
    ),
    sk(
        "ctx with a variable offset",
        "r2 = *(u32 *)(r1 + 0)\nr2 &= 4\nr1 += r2\nr0 = *(u32 *)(r1 + 0)\nexit",
        "variable ctx access var_off=(0x0; 0x4) disallowed",
    ),
    typed(
        "sign-extending load of xdp data",
        ProgType::Xdp,
        "r0 = *(s32 *)(r1 + 0)\nr0 = 0\nexit",
        "invalid bpf_context access off=0 size=4",
    ),
    typed(
        "sign-extending load of skb mark",
        ProgType::SchedCls,
        "r0 = *(s32 *)(r1 + 8)\nr0 = 0\nexit",
        "accept",
    ),
    // Map access flags and read-only values.
    sk(
        "write into a read-only map",
        "r1 = 0x7eb10002 ll\n*(u32 *)(r1 + 0) = 1\nr0 = 0\nexit",
        "write into map forbidden, value_size=8 off=0 size=4",
    ),
    sk(
        "read from a write-only map",
        "r1 = 0x7eb10003 ll\nr0 = *(u32 *)(r1 + 0)\nexit",
        "read from map forbidden, value_size=8 off=0 size=4",
    ),
    sk(
        "a frozen read-only value is known",
        "r1 = 0x7eb10002 ll\nr2 = *(u32 *)(r1 + 4)\nif r2 == 5 goto l\nr0 = r4\nexit\nl: r0 = 0\nexit",
        "accept",
    ),
    sk(
        "a frozen read-only value is known (twin)",
        "r1 = 0x7eb10002 ll\nr2 = *(u32 *)(r1 + 4)\nif r2 == 6 goto l\nr0 = r4\nexit\nl: r0 = 0\nexit",
        "R4 !read_ok",
    ),
    // Packets.
    typed(
        "lwt_in writes the packet",
        ProgType::LwtIn,
        "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 1\nif r4 > r3 goto l\n*(u8 *)(r2 + 0) = 0\nl: r0 = 0\nexit",
        "cannot write into packet",
    ),
    typed(
        "packet read without a range",
        ProgType::Xdp,
        "r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nexit",
        "R2 offset is outside of the packet",
    ),
    sk(
        "fp += s32 max",
        "r0 = r10\nr0 += 0x7fffffff\nr0 = 0\nexit",
        "math between fp pointer and 2147483647 is not allowed",
    ),
    // save_aux_ptr_type.
    typed(
        "one load through ctx and through fp",
        ProgType::SchedCls,
        "*(u64 *)(r10 - 8) = 0\nr2 = *(u32 *)(r1 + 0)\nr3 = r10\nr3 += -8\nif r2 == 0 goto l\nr3 = r1\nl: r0 = *(u32 *)(r3 + 0)\nexit",
        "same insn cannot be used with different pointers",
    ),
    typed(
        "one load through two stack pointers",
        ProgType::SchedCls,
        "*(u64 *)(r10 - 16) = 0\n*(u64 *)(r10 - 8) = 0\nr2 = *(u32 *)(r1 + 0)\nr3 = r10\nr3 += -8\nif r2 == 0 goto l\nr3 += -8\nl: r0 = *(u32 *)(r3 + 0)\nexit",
        "accept",
    ),
    typed(
        "sign-extending load of flow dissector data",
        ProgType::FlowDissector,
        "r0 = *(s32 *)(r1 + 76)\nr0 = 0\nexit",
        "invalid bpf_context access off=76 size=4",
    ),
    // Scalars linked by copies learn from a branch on one of them (sync_linked_regs).
    sk(
        "bounds reach a copy",
        "r0 = 0x7eb10000 ll\nr2 = *(u32 *)(r1 + 0)\nr3 = r2\nif r2 > 40 goto l\nr0 += r3\nr0 = *(u8 *)(r0 + 0)\nl: r0 = 0\nexit",
        "accept",
    ),
    sk(
        "bounds reach a copy (twin)",
        "r0 = 0x7eb10000 ll\nr2 = *(u32 *)(r1 + 0)\nr3 = r2\nif r2 > 48 goto l\nr0 += r3\nr0 = *(u8 *)(r0 + 0)\nl: r0 = 0\nexit",
        "R0 max value is outside of the allowed memory range",
    ),
    sk(
        "bounds reach a spill",
        "r0 = 0x7eb10000 ll\nr2 = *(u32 *)(r1 + 0)\n*(u64 *)(r10 - 8) = r2\nif r2 > 40 goto l\nr3 = *(u64 *)(r10 - 8)\nr0 += r3\nr0 = *(u8 *)(r0 + 0)\nl: r0 = 0\nexit",
        "accept",
    ),
    sk(
        "a 32-bit copy of a wide value is not linked",
        "r0 = 0x7eb10000 ll\nr2 = *(u32 *)(r1 + 0)\nr2 <<= 8\nw3 = w2\nif r2 > 40 goto l\nr0 += r3\nr0 = *(u8 *)(r0 + 0)\nl: r0 = 0\nexit",
        "R0 unbounded memory access, make sure to bounds check any such access",
    ),
    // Pointer comparisons and null checks.
    sk(
        "ctx compared with 0 explores both branches",
        "r0 = 0\nif r1 != 0 goto l\nr0 = r4\nl: exit",
        "R4 !read_ok",
    ),
    sk(
        "fp compared with 0 explores both branches",
        "r0 = 0\nif r10 != 0 goto l\nr0 = r4\nl: exit",
        "R4 !read_ok",
    ),
    sk(
        "a map value compared with 0 is decided",
        "r0 = 0\nr1 = 0x7eb10000 ll\nif r1 != 0 goto l\nr0 = r4\nl: exit",
        "accept",
    ),
    sk(
        "null check against a zero register",
        "r1 = 0x7ea10001 ll\nr2 = r10\nr2 += -8\n*(u64 *)(r2 + 0) = 0\ncall 1\nr2 = 0\nif r0 == r2 goto l\nr0 = *(u32 *)(r0 + 0)\nl: r0 = 0\nexit",
        "R0 invalid mem access 'map_value_or_null'",
    ),
    sk(
        "32-bit null check",
        "r1 = 0x7ea10001 ll\nr2 = r10\nr2 += -8\n*(u64 *)(r2 + 0) = 0\ncall 1\nif w0 == 0 goto l\nr0 = *(u32 *)(r0 + 0)\nl: r0 = 0\nexit",
        "R0 invalid mem access 'map_value_or_null'",
    ),
    sk(
        "equal to a map value is not null",
        "r6 = 0x7eb10000 ll\nr1 = 0x7ea10000 ll\nr2 = r10\nr2 += -8\n*(u64 *)(r2 + 0) = 0\ncall 1\nif r0 == r6 goto l\nr0 = 0\nexit\nl: r0 = *(u32 *)(r0 + 0)\nr0 = 0\nexit",
        "accept",
    ),
    sk(
        "pointer comparison as root",
        "r0 = 0\nr2 = r10\nif r1 > r2 goto l\nr0 = 1\nl: exit",
        "accept",
    ),
    // Contexts whose pointer fields take only full loads.
    attached(
        "narrow load of sockopt sk",
        ProgType::CgroupSockopt,
        GETSOCKOPT,
        "r0 = *(u32 *)(r1 + 4)\nr0 = 1\nexit",
        "invalid bpf_context access off=4 size=4",
    ),
    attached(
        "full load of sockopt optval",
        ProgType::CgroupSockopt,
        GETSOCKOPT,
        "r0 = *(u64 *)(r1 + 8)\nr0 = 1\nexit",
        "accept",
    ),
    attached(
        "narrow load of sock_addr sk",
        ProgType::CgroupSockAddr,
        INET4_CONNECT,
        "r0 = *(u32 *)(r1 + 68)\nr0 = 1\nexit",
        "invalid bpf_context access off=68 size=4",
    ),
    typed(
        "narrow load of sk_msg data",
        ProgType::SkMsg,
        "r0 = *(u32 *)(r1 + 4)\nr0 = 1\nexit",
        "invalid bpf_context access off=4 size=4",
    ),
    sk(
        "bounds reach a copy plus a constant",
        "r0 = 0x7eb10000 ll\nr2 = *(u32 *)(r1 + 0)\nr3 = r2\nr3 += 8\nif r2 > 39 goto l\nr0 += r3\nr0 = *(u8 *)(r0 + 0)\nl: r0 = 0\nexit",
        "accept",
    ),
    sk(
        "bounds reach a copy plus a constant (twin)",
        "r0 = 0x7eb10000 ll\nr2 = *(u32 *)(r1 + 0)\nr3 = r2\nr3 += 8\nif r2 > 40 goto l\nr0 += r3\nr0 = *(u8 *)(r0 + 0)\nl: r0 = 0\nexit",
        "R0 max value is outside of the allowed memory range",
    ),
    sk(
        "bounds reach the base from a copy plus a constant",
        "r0 = 0x7eb10000 ll\nr2 = *(u32 *)(r1 + 0)\nr3 = r2\nr3 += 8\nif r3 > 47 goto l\nr0 += r2\nr0 = *(u8 *)(r0 + 0)\nl: r0 = 0\nexit",
        "accept",
    ),
    // fixup_kfunc_call: a kfunc call with BTF id 0 is a placeholder that dead code removal
    // must take out; check_kfunc_call skips it.
    sk(
        "kfunc 0 reached",
        "call kfunc 0\nr0 = 0\nexit",
        "invalid kernel function call not eliminated in verifier pass",
    ),
    sk(
        "kfunc 0 behind a branch never taken",
        "r0 = 0\nif r0 == 0 goto l\ncall kfunc 0\nl: exit",
        "accept",
    ),
    // check_stack_write_fixed_off: a callee may store data in its caller's stack, but no
    // pointer to a stack.
    sk(
        "callee spills a stack pointer into its caller's frame",
        "*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\ncall local f\nexit\nf: *(u64 *)(r1 + 0) = r1\nr0 = 0\nexit",
        "cannot spill pointers to stack into stack frame of the caller",
    ),
    sk(
        "callee stores a scalar into its caller's frame",
        "*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\ncall local f\nr0 = 0\nexit\nf: r2 = 7\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit",
        "accept",
    ),
    sk(
        "callee spills a stack pointer into its own frame",
        "*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\ncall local f\nr0 = 0\nexit\nf: r2 = r10\n*(u64 *)(r10 - 8) = r2\nr0 = 0\nexit",
        "accept",
    ),
    // check_atomic_rmw: the fetched old value is a load of the slot (a fill), before the
    // write.
    sk(
        "fetch_add returns the spilled constant",
        "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = 1\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nl: if r1 != 0 goto l\nexit",
        "accept",
    ),
    sk(
        "fetch_add returns a spilled unknown",
        "r0 = *(u32 *)(r1 + 0)\n*(u64 *)(r10 - 8) = r0\nr1 = 1\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nl: if r1 != 0 goto l\nr0 = 0\nexit",
        "infinite loop detected at insn 4",
    ),
    sk(
        "cmpxchg returns the spilled stack pointer",
        "r0 = r10\n*(u64 *)(r10 - 8) = r0\nr1 = 0\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr1 = *(u64 *)(r0 - 8)\nr0 = 0\nexit",
        "accept",
    ),
    sk(
        "cmpxchg returns a spilled scalar",
        "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = 0\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr1 = *(u64 *)(r0 - 8)\nr0 = 0\nexit",
        "R0 invalid mem access 'scalar'",
    ),
];

/// The program of a case, with map references in bpfsim's form (`MAP_IDX`, index into
/// [`MAPS`]) or the kernel's (`MAP_FD`, the given fds).
fn program(c: &Case, fds: Option<&[i32]>) -> Vec<RawInsn> {
    let mut insns = assemble(c.asm).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let mut i = 0;
    while i + 1 < insns.len() {
        let (lo, hi) = (insns[i].imm as u32, insns[i + 1].imm);
        if insns[i].code == 0x18
            && (lo & 0xffff_fff0 == 0x7ea1_0000 || lo & 0xffff_fff0 == 0x7eb1_0000)
        {
            let map = (lo & 0xf) as usize;
            let value = lo & 0xffff_fff0 == 0x7eb1_0000;
            let (src, imm) = match fds {
                Some(fds) => (if value { 2 } else { 1 }, fds[map]),
                None => (if value { 6 } else { 5 }, map as i32),
            };
            insns[i] = RawInsn::new(0x18, insns[i].dst, src, 0, imm);
            insns[i + 1] = RawInsn::new(0, 0, 0, 0, hi);
            i += 2;
        } else {
            i += 1;
        }
    }
    insns
}

fn map_defs() -> Vec<MapDef> {
    MAPS.iter()
        .enumerate()
        .map(|(i, m)| MapDef {
            name: format!("map{i}"),
            map_type: m.map_type,
            key_size: m.key_size,
            value_size: m.value_size,
            max_entries: 1,
            map_flags: m.flags,
            inner: None,
            initial: m.frozen.map(<[u8]>::to_vec).unwrap_or_default(),
            read_only: m.frozen.is_some(),
            origin: MapOrigin::User,
        })
        .collect()
}

/// bpfsim's verdict on a case: `accept` or its message.
fn bpfsim_verdict(c: &Case, maps: &[MapDef]) -> String {
    let insns = program(c, None);
    let options = PreflightOptions {
        maps: MapRefs::Object(maps),
        ..PreflightOptions::default()
    };
    let pre = match preflight_insns(&insns, Some("GPL"), &options) {
        Ok(p) => p,
        Err(e) => return e.message().to_string(),
    };
    let env = CheckEnv {
        prog_type: c.prog_type,
        expected_attach_type: (c.attach != 0).then_some(c.attach),
        maps,
        bpf_capable: true,
        helpers: &MapHelpers,
        gpl_compatible: true,
        sleepable: false,
    };
    match do_check(&insns, &pre, &env).0 {
        Ok(()) => "accept".to_string(),
        Err(e) => e.message().to_string(),
    }
}

/// Cases where bpfsim knowingly differs from the kernel, with the reason; they are still
/// checked against the live kernel.
const KNOWN_GAPS: &[(&str, &str)] = &[];

#[test]
fn recorded_verdicts_hold() {
    let maps = map_defs();
    let mut bad = Vec::new();
    for c in CASES {
        if let Some((_, why)) = KNOWN_GAPS.iter().find(|(n, _)| *n == c.name) {
            println!("known gap: {}: {why}", c.name);
            continue;
        }
        let got = bpfsim_verdict(c, &maps);
        if got != c.kernel {
            bad.push(format!(
                "{}: kernel {:?}, bpfsim {:?}",
                c.name, c.kernel, got
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} cases differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

mod kernel {
    use super::common::sys;
    use bpfsim::insn::RawInsn;
    use std::os::fd::OwnedFd;

    /// Creates a map; frozen maps get `value` at key 0 first.
    pub fn create_map(
        map_type: u32,
        key_size: u32,
        value_size: u32,
        flags: u32,
        frozen: Option<&[u8]>,
    ) -> Option<OwnedFd> {
        let fd = sys::map_create_with(&sys::MapCreateAttr {
            map_type,
            key_size,
            value_size,
            max_entries: 1,
            map_flags: flags,
        })
        .ok()?;
        if let Some(value) = frozen {
            let mut v = value.to_vec();
            v.resize(value_size as usize, 0);
            sys::map_update(&fd, &0u32.to_le_bytes(), &v).ok()?;
            sys::map_freeze(&fd).ok()?;
        }
        Some(fd)
    }

    /// Loads `insns` as `prog_type` with `expected_attach_type` `attach`: whether the kernel
    /// accepted, and its log.
    pub fn load(insns: &[RawInsn], prog_type: u32, attach: u32) -> (bool, String) {
        let bytes: Vec<u8> = insns.iter().flat_map(|i| i.to_bytes()).collect();
        let r = sys::prog_load_with(
            &bytes,
            &sys::LoadOptions {
                prog_type,
                log_level: 1,
                log_size: 1 << 20,
                expected_attach_type: attach,
                ..sys::LoadOptions::default()
            },
        );
        (r.accepted(), r.log)
    }

    /// The verifier's error line (`sys::error_line`).
    pub fn error_line(log: &str) -> String {
        super::common::sys::error_line(log)
            .unwrap_or("")
            .to_string()
    }
}

#[test]
fn kernel_agrees_with_the_recorded_verdicts() {
    use std::os::fd::AsRawFd;
    let record = std::env::var_os("BPFSIM_RECORD").is_some();
    let mut fds = Vec::new();
    for m in MAPS {
        match kernel::create_map(
            m.map_type.as_u32(),
            m.key_size,
            m.value_size,
            m.flags,
            m.frozen,
        ) {
            Some(fd) => fds.push(fd),
            None => {
                println!("skipped: cannot create maps (bpf() unavailable or not root)");
                return;
            }
        }
    }
    let raw: Vec<i32> = fds.iter().map(|f| f.as_raw_fd()).collect();
    let mut bad = Vec::new();
    for c in CASES {
        let (ok, log) = kernel::load(&program(c, Some(&raw)), c.prog_type.as_u32(), c.attach);
        let got = if ok {
            "accept".to_string()
        } else {
            kernel::error_line(&log)
        };
        if record {
            println!("{:?} => {:?}", c.name, got);
        }
        if got != c.kernel {
            bad.push(format!(
                "{}: recorded {:?}, kernel now {:?}",
                c.name, c.kernel, got
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} cases differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
