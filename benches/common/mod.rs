//! Programs the benchmarks and `examples/engines_vs_rbpf.rs` run, so that the interpreter,
//! the JIT and rbpf are measured on the same instructions. Each user takes what it needs.
#![allow(dead_code)]

use bpfsim::insn::{AluOp, CallTarget, Insn, JmpCond, Reg, Source, Width};

pub fn alu(op: AluOp, dst: Reg, src: Source) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op,
        dst,
        src,
    }
}

pub fn loop_back(reg: Reg, off: i16) -> Insn {
    Insn::Jump {
        width: Width::W64,
        cond: JmpCond::Ne,
        dst: reg,
        src: Source::Imm(0),
        off,
    }
}

/// r0 = 0; r1 = n; do { r0 += r1; r0 ^= 0x5a; r2 = r0; r2 >>= 3; r0 += r2 } while (--r1)
pub fn arithmetic_loop(n: i32) -> Vec<Insn> {
    vec![
        alu(AluOp::Mov, Reg::R0, Source::Imm(0)),
        alu(AluOp::Mov, Reg::R1, Source::Imm(n)),
        alu(AluOp::Add, Reg::R0, Source::Reg(Reg::R1)),
        alu(AluOp::Xor, Reg::R0, Source::Imm(0x5a)),
        alu(AluOp::Mov, Reg::R2, Source::Reg(Reg::R0)),
        alu(AluOp::Rsh, Reg::R2, Source::Imm(3)),
        alu(AluOp::Add, Reg::R0, Source::Reg(Reg::R2)),
        alu(AluOp::Sub, Reg::R1, Source::Imm(1)),
        loop_back(Reg::R1, -7),
        Insn::Exit,
    ]
}

/// r6 = n; do { r1 = r6; call 5; r6 -= 1 } while (r6); exit
pub fn helper_loop(n: i32) -> Vec<Insn> {
    with_call(n, Insn::Call(CallTarget::Helper(5)))
}

/// The same loop with `r0 = r1` where the call was: the time a call adds is the difference.
pub fn helper_free_loop(n: i32) -> Vec<Insn> {
    with_call(n, alu(AluOp::Mov, Reg::R0, Source::Reg(Reg::R1)))
}

pub fn with_call(n: i32, call: Insn) -> Vec<Insn> {
    vec![
        alu(AluOp::Mov, Reg::R6, Source::Imm(n)),
        alu(AluOp::Mov, Reg::R1, Source::Reg(Reg::R6)),
        call,
        alu(AluOp::Sub, Reg::R6, Source::Imm(1)),
        loop_back(Reg::R6, -4),
        Insn::Exit,
    ]
}

/// r6 = n; r7 = 0; do { r1 = r6; call f; r7 += r0; r6 -= 1 } while (r6); r0 = r7; exit
/// f: r0 = r1; r0 ^= 0x5a; r0 += 3; exit
pub fn local_call_loop(n: i32) -> Vec<Insn> {
    vec![
        alu(AluOp::Mov, Reg::R6, Source::Imm(n)),
        alu(AluOp::Mov, Reg::R7, Source::Imm(0)),
        alu(AluOp::Mov, Reg::R1, Source::Reg(Reg::R6)),
        // f is at 9 = 3 + 1 + 5.
        Insn::Call(CallTarget::Local(5)),
        alu(AluOp::Add, Reg::R7, Source::Reg(Reg::R0)),
        alu(AluOp::Sub, Reg::R6, Source::Imm(1)),
        loop_back(Reg::R6, -5),
        alu(AluOp::Mov, Reg::R0, Source::Reg(Reg::R7)),
        Insn::Exit,
        alu(AluOp::Mov, Reg::R0, Source::Reg(Reg::R1)),
        alu(AluOp::Xor, Reg::R0, Source::Imm(0x5a)),
        alu(AluOp::Add, Reg::R0, Source::Imm(3)),
        Insn::Exit,
    ]
}

pub fn checksum() -> (Vec<Insn>, Vec<u8>) {
    let root = env!("CARGO_MANIFEST_DIR");
    let bytes =
        std::fs::read(format!("{root}/examples/checksum.bin")).expect("examples/checksum.bin");
    let slots = bpfsim::insn::RawInsn::slots(&bytes).expect("whole slots");
    let mem = std::fs::read(format!("{root}/examples/ipv4_header.bin"))
        .expect("examples/ipv4_header.bin");
    // rbpf's raw mode does not pass the length in r2: every engine gets it from a first
    // `r2 = len` (relative jumps are unaffected).
    let mut insns = vec![alu(AluOp::Mov, Reg::R2, Source::Imm(mem.len() as i32))];
    insns.extend(bpfsim::insn::decode_program(&slots).expect("decodes"));
    (insns, mem)
}

pub fn identity(a: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    a
}

/// The `raw/*` programs: (name, program, input).
pub fn raw_cases() -> Vec<(&'static str, Vec<Insn>, Vec<u8>)> {
    let (cks, header) = checksum();
    vec![
        ("arithmetic", arithmetic_loop(100_000), vec![0u8; 64]),
        ("checksum", cks, header),
        ("helper_call", helper_loop(10_000), vec![0u8; 64]),
        ("helper_free", helper_free_loop(10_000), vec![0u8; 64]),
        ("local_call", local_call_loop(10_000), vec![0u8; 64]),
    ]
}

/// This thread's CPU time in nanoseconds.
pub fn thread_cpu_ns() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given and reads nothing else.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
}
