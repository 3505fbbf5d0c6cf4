//! The JIT against the interpreter. A property test runs random well-formed programs (every
//! instruction class, random registers, offsets that often leave the input or the stack,
//! jumps and calls that often leave the program, loops that exhaust a small budget) over
//! random input in both engines, on the same input buffer and the same stack, and wants the
//! same outcome (r0 and instruction count) or the same error, and the same memory. Programs
//! the interpreter ran without a fault also run in verified mode (their accesses are then
//! known to be in bounds). Crash tests: programs built to write out of bounds, jump wildly,
//! recurse deeply or run forever must end with an error, never bring the process down.

use bpfsim::helpers::HelperTable;
use bpfsim::insn::{
    AluOp, AtomicOp, ByteOrder, CallTarget, Insn, JmpCond, Ld64Kind, Reg, Size, Source, Width,
    asm::assemble, decode_program,
};
use bpfsim::jit::{Jit, JitMode};
use bpfsim::vm::{Interpreter, Outcome, VmError};
use proptest::prelude::*;

const BUDGET: u64 = 300;

fn reg(n: u8) -> Reg {
    Reg::new(n).expect("r0..r10")
}

/// A register an instruction may write: not r1 (the input) nor r10.
fn dst() -> impl Strategy<Value = Reg> {
    prop_oneof![Just(0u8), 2u8..=9].prop_map(reg)
}

fn any_reg() -> impl Strategy<Value = Reg> {
    (0u8..=10).prop_map(reg)
}

fn imm() -> impl Strategy<Value = i32> {
    prop_oneof![
        -3i32..=3,
        Just(i32::MIN),
        Just(i32::MAX),
        Just(-1),
        Just(31),
        Just(32),
        Just(63),
        Just(64),
        any::<i32>(),
    ]
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![any_reg().prop_map(Source::Reg), imm().prop_map(Source::Imm)]
}

fn width() -> impl Strategy<Value = Width> {
    prop_oneof![Just(Width::W64), Just(Width::W32)]
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![Just(Size::B), Just(Size::H), Just(Size::W), Just(Size::DW)]
}

fn alu_op() -> impl Strategy<Value = AluOp> {
    prop_oneof![
        Just(AluOp::Add),
        Just(AluOp::Sub),
        Just(AluOp::Mul),
        Just(AluOp::Div),
        Just(AluOp::SDiv),
        Just(AluOp::Or),
        Just(AluOp::And),
        Just(AluOp::Lsh),
        Just(AluOp::Rsh),
        Just(AluOp::Mod),
        Just(AluOp::SMod),
        Just(AluOp::Xor),
        Just(AluOp::Mov),
        Just(AluOp::Arsh),
    ]
}

fn cond() -> impl Strategy<Value = JmpCond> {
    prop_oneof![
        Just(JmpCond::Eq),
        Just(JmpCond::Gt),
        Just(JmpCond::Ge),
        Just(JmpCond::Set),
        Just(JmpCond::Ne),
        Just(JmpCond::Sgt),
        Just(JmpCond::Sge),
        Just(JmpCond::Lt),
        Just(JmpCond::Le),
        Just(JmpCond::Slt),
        Just(JmpCond::Sle),
    ]
}

/// A memory base (r1 = input, r10 = stack) and an offset around it.
fn mem_at() -> impl Strategy<Value = (Reg, i16)> {
    prop_oneof![
        12 => (Just(Reg::R1), 0i16..=56),
        12 => (Just(Reg::R10), -512i16..=-8),
        1 => (Just(Reg::R1), -4i16..=68),
        1 => (Just(Reg::R10), -520i16..=4),
        1 => (any_reg(), -8i16..=8),
    ]
}

fn jump_off() -> impl Strategy<Value = i16> {
    -6i16..=6
}

/// One instruction (two slots for lddw).
fn insn() -> impl Strategy<Value = Vec<Insn>> {
    prop_oneof![
        8 => (width(), alu_op(), dst(), source()).prop_map(|(width, op, dst, src)| vec![
            Insn::Alu { width, op, dst, src }
        ]),
        1 => (width(), prop_oneof![Just(8u8), Just(16), Just(32)], dst(), any_reg()).prop_map(
            |(width, bits, dst, src)| {
                let bits = if width == Width::W32 && bits == 32 { 16 } else { bits };
                vec![Insn::Alu { width, op: AluOp::MovSx(bits), dst, src: Source::Reg(src) }]
            }
        ),
        1 => (width(), dst()).prop_map(|(width, dst)| vec![Insn::Neg { width, dst }]),
        1 => (
            prop_oneof![Just(ByteOrder::ToLe), Just(ByteOrder::ToBe), Just(ByteOrder::Swap)],
            prop_oneof![Just(16u8), Just(32), Just(64)],
            dst()
        )
            .prop_map(|(order, bits, dst)| vec![Insn::Endian { order, bits, dst }]),
        1 => (dst(), any::<i32>(), any::<i32>()).prop_map(|(dst, imm, next_imm)| vec![
            Insn::Ld64 { kind: Ld64Kind::Imm, dst, imm, next_imm },
            Insn::Ld64Tail,
        ]),
        4 => (size(), any::<bool>(), dst(), mem_at()).prop_map(|(size, sx, dst, (src, off))| {
            let sign_extend = sx && size != Size::DW;
            vec![Insn::Load { size, sign_extend, dst, src, off }]
        }),
        4 => (size(), mem_at(), source()).prop_map(|(size, (dst, off), src)| vec![
            Insn::Store { size, dst, off, src }
        ]),
        1 => (
            prop_oneof![Just(Size::W), Just(Size::DW)],
            prop_oneof![
                Just(AtomicOp::Add),
                Just(AtomicOp::Or),
                Just(AtomicOp::And),
                Just(AtomicOp::Xor),
                Just(AtomicOp::Xchg),
                Just(AtomicOp::CmpXchg)
            ],
            any::<bool>(),
            mem_at(),
            any_reg()
        )
            .prop_map(|(size, op, fetch, (dst, off), src)| {
                let fetch = fetch || matches!(op, AtomicOp::Xchg | AtomicOp::CmpXchg);
                let src = if src == Reg::R1 || src == Reg::R10 { Reg::R3 } else { src };
                vec![Insn::Atomic { size, op, fetch, dst, src, off }]
            }),
        3 => (width(), cond(), any_reg(), source(), jump_off()).prop_map(
            |(width, cond, dst, src, off)| vec![Insn::Jump { width, cond, dst, src, off }]
        ),
        1 => jump_off().prop_map(|off| vec![Insn::Ja { off: off as i32, long: false }]),
        1 => jump_off().prop_map(|off| vec![Insn::MayGoto { off }]),
        1 => Just(vec![Insn::Call(CallTarget::Helper(5))]),
        1 => jump_off().prop_map(|off| vec![Insn::Call(CallTarget::Local(off as i32))]),
        1 => Just(vec![Insn::Exit]),
        1 => any_reg().prop_map(|reg| vec![Insn::CallX { reg }]),
        // Rarely, r10 moves: the JIT then checks stack accesses it could otherwise prove.
        1 => (-16i32..=16).prop_map(|k| vec![Insn::Alu {
            width: Width::W64,
            op: AluOp::Add,
            dst: Reg::R10,
            src: Source::Imm(k * 8),
        }]),
    ]
}

fn program() -> impl Strategy<Value = Vec<Insn>> {
    (prop::collection::vec(insn(), 1..40), any::<bool>()).prop_map(|(parts, exit)| {
        let mut p: Vec<Insn> = parts.into_iter().flatten().collect();
        if exit {
            p.push(Insn::Exit);
        }
        p
    })
}

/// What one engine gave: the outcome and the input memory afterwards.
type Run = (Result<Outcome, VmError>, Vec<u8>);

/// Runs `prog` over `input` in the interpreter, the JIT in checked mode and, when the
/// interpreter ran without an error, the JIT in verified mode; all on the same input buffer
/// and the same stack, so even addresses in errors must agree.
fn engines(prog: &[Insn], input: &[u8]) -> Option<(Run, Run, Option<Run>)> {
    let vm = Interpreter::new(prog, HelperTable::conformance()).ok()?;
    let mut jit = Jit::new(vm, JitMode::Checked).expect("the JIT compiles what was prepared");
    jit.set_budget(BUDGET);
    let mut mem = input.to_vec();
    let want = jit.interpreter().run_raw(&mut mem);
    let want_mem = mem.clone();
    mem.copy_from_slice(input);
    let got = jit.run_raw(&mut mem);
    let got_mem = mem.clone();
    let verified = if want.is_ok() && !may_read_after_call(prog) {
        let mut vjit = Jit::new(jit.into_interpreter(), JitMode::Verified).expect("compiles");
        mem.copy_from_slice(input);
        let v = vjit.run_raw(&mut mem);
        Some((v, mem))
    } else {
        None
    };
    Some(((want, want_mem), (got, got_mem), verified))
}

/// Whether the program may read r1..r5 after a helper call, which leaves them undefined
/// (the BPF calling convention: the verified JIT does not keep them, the interpreter and
/// the checked JIT do). Conservative: after the first call, or anywhere when a jump goes
/// back, any instruction naming r1..r5, and any other call (it reads its arguments).
fn may_read_after_call(prog: &[Insn]) -> bool {
    let is_call = |i: &Insn| matches!(i, Insn::Call(CallTarget::Helper(_)) | Insn::CallX { .. });
    let Some(first) = prog.iter().position(is_call) else {
        return false;
    };
    let loops = prog.iter().any(|i| {
        matches!(i, Insn::Ja { off, .. } if *off < 0)
            || matches!(i, Insn::Jump { off, .. } if *off < 0)
            || matches!(i, Insn::Call(CallTarget::Local(_)))
    });
    let clobbered = |r: &Reg| (1..=5).contains(&r.index());
    let source = |s: &Source| matches!(s, Source::Reg(r) if clobbered(r));
    let names = |i: &Insn| match i {
        Insn::Alu { dst, src, .. } | Insn::Jump { dst, src, .. } | Insn::Store { dst, src, .. } => {
            clobbered(dst) || source(src)
        }
        Insn::Neg { dst, .. } | Insn::Endian { dst, .. } => clobbered(dst),
        Insn::Load { src, .. } | Insn::LdInd { src, .. } => clobbered(src),
        Insn::Atomic { dst, src, .. } => clobbered(dst) || clobbered(src),
        Insn::Call(_) | Insn::CallX { .. } => true,
        _ => false,
    };
    let after = if loops { 0 } else { first + 1 };
    prog.iter()
        .enumerate()
        .any(|(i, insn)| i >= after && i != first && names(insn))
}

proptest! {
    // 1000 cases in `cargo test`; JIT_DIFF_CASES=N for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("JIT_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn jit_equals_interpreter(prog in program(), input in prop::collection::vec(any::<u8>(), 64)) {
        let Some((want, got, verified)) = engines(&prog, &input) else {
            return Ok(());
        };
        if std::env::var_os("JIT_DIFF_STATS").is_some() {
            let kind = match &want.0 {
                Ok(_) => "ok".to_string(),
                Err(e) => format!("{e:?}").split([' ', '{']).next().unwrap_or("").to_string(),
            };
            eprintln!("STAT {kind}");
        }
        prop_assert_eq!(&got, &want, "checked mode, program {:?}", prog);
        if let Some(v) = verified {
            prop_assert_eq!(&v, &want, "verified mode, program {:?}", prog);
        }
    }
}

fn run_asm(src: &str, input: &[u8]) -> (Result<Outcome, VmError>, Result<Outcome, VmError>) {
    let insns = decode_program(&assemble(src).expect("assembles")).expect("decodes");
    let Some(((want, _), (got, _), _)) = engines(&insns, input) else {
        panic!("not prepared: {src}");
    };
    (want, got)
}

#[test]
fn out_of_bounds_writes_are_errors() {
    for (src, what) in [
        ("stdw [%r1+8], 1\nexit", "past the input"),
        ("stdw [%r1-8], 1\nexit", "before the input"),
        ("mov %r2, 0\nstdw [%r2+0], 1\nexit", "null"),
        (
            "lddw %r2, 0xffffffff81000000\nstxdw [%r2+0], %r2\nexit",
            "kernel address",
        ),
        (
            "lddw %r2, 0x7fffffffffff\nstxb [%r2+0], %r2\nexit",
            "top of user space",
        ),
        ("stdw [%r10+0], 1\nexit", "above the stack"),
        ("stdw [%r10-520], 1\nexit", "below the stack"),
        (
            "add %r10, 8\nstdw [%r10-8], 1\nexit",
            "a moved frame pointer",
        ),
        (
            "mov %r10, 0\nstdw [%r10-8], 1\nexit",
            "a zeroed frame pointer",
        ),
        (
            "mov %r2, %r10\nadd %r2, 4096\nstw [%r2+0], 1\nexit",
            "far above the stack",
        ),
        ("ldxdw %r0, [%r1+4]\nexit", "load past the input"),
        ("lock add [%r1+4], %r2\nexit", "atomic past the input"),
    ] {
        let (want, got) = run_asm(src, &[0u8; 8]);
        assert!(
            matches!(got, Err(VmError::MemoryAccess { .. })),
            "{what}: {got:?}"
        );
        assert_eq!(got, want, "{what}");
    }
}

#[test]
fn wild_jumps_are_errors() {
    for src in [
        "ja +1000\nexit",
        "ja -1000\nexit",
        "jeq %r1, %r1, -2\nexit",
        "lddw %r0, 1\nja -2\nexit",
        "call local +100\nexit",
        "mov %r0, 0",
    ] {
        let (want, got) = run_asm(src, &[]);
        assert!(got.is_err(), "{src}: {got:?}");
        assert_eq!(got, want, "{src}");
    }
}

#[test]
fn deep_recursion_and_endless_loops_are_errors() {
    let (want, got) = run_asm("f:\ncall local f\nexit", &[]);
    assert!(matches!(got, Err(VmError::CallDepth { .. })), "{got:?}");
    assert_eq!(got, want);
    for src in [
        "ja -1",
        "mov %r0, 0\nadd %r0, 1\nja -2\nexit",
        "f:\nmov %r0, 1\ncall local g\nja f\ng:\nexit",
        "mov %r1, 1\ncall 5\nja -2\nexit",
        "l:\nmay_goto +1\nja l\nexit",
    ] {
        let (want, got) = run_asm(src, &[]);
        assert!(
            matches!(got, Err(VmError::BudgetExhausted { budget: BUDGET, .. })),
            "{src}: {got:?}"
        );
        assert_eq!(got, want, "{src}");
    }
}
