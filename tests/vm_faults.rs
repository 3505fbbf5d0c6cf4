//! What the interpreter does with programs that misbehave: every bad access, runaway loop,
//! deep recursion or wild jump ends in an error naming the instruction, never a crash; and
//! any byte string at all gives a result or an error.

use bpfsim::helpers::HelperTable;
use bpfsim::insn::asm::assemble_bytes;
use bpfsim::vm::memory::RegionKind;
use bpfsim::vm::{AccessKind, Env, Interpreter, LoadError, VmError};
use proptest::prelude::*;

fn vm(src: &str) -> Interpreter {
    let bytes = assemble_bytes(src).unwrap_or_else(|e| panic!("{e}\n{src}"));
    Interpreter::from_bytes(&bytes, HelperTable::conformance()).expect("loads")
}

fn run(src: &str, mem: &mut [u8]) -> Result<u64, VmError> {
    vm(src).run_raw(mem).map(|o| o.r0)
}

#[test]
fn load_past_the_input_names_instruction_address_and_region() {
    let mut mem = [0u8; 10];
    let err = run("r0 = *(u64 *)(r1 + 0x4)\nexit", &mut mem).unwrap_err();
    let VmError::MemoryAccess {
        pc,
        kind,
        size,
        nearest,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((*pc, *kind, *size), (0, AccessKind::Load, 8));
    assert_eq!(nearest.expect("a region").kind, RegionKind::Input);
    let msg = err.to_string();
    assert!(
        msg.starts_with("instruction 0: invalid load of 8 bytes at 0x"),
        "{msg}"
    );
    assert!(msg.contains("runs past the end of input memory"), "{msg}");
}

#[test]
fn null_and_wild_pointers_are_refused() {
    let mut mem = [0u8; 4];
    for src in [
        "r1 = 0\nr0 = *(u8 *)(r1 + 0x0)\nexit",
        "r1 = -1\n*(u32 *)(r1 + 0x0) = r1\nexit",
        "r1 = 0x7fffffffffff ll\nlock *(u64 *)(r1 + 0x0) += r1\nexit",
    ] {
        assert!(
            matches!(run(src, &mut mem), Err(VmError::MemoryAccess { .. })),
            "{src}"
        );
    }
}

#[test]
fn stack_is_512_bytes_per_frame() {
    let mut mem = [];
    assert_eq!(
        run("*(u64 *)(r10 - 0x200) = r10\nr0 = 1\nexit", &mut mem),
        Ok(1)
    );
    let below = run("*(u64 *)(r10 - 0x208) = r10\nexit", &mut mem).unwrap_err();
    assert!(below.to_string().contains("stack of frame 0"), "{below}");
    // r10 itself is the top: nothing above it.
    assert!(run("r0 = *(u8 *)(r10 + 0x0)\nexit", &mut mem).is_err());
}

#[test]
fn callee_gets_a_fresh_frame_and_can_reach_its_callers_stack() {
    let mut mem = [];
    let src = "
        r1 = 7
        *(u64 *)(r10 - 0x8) = r1
        r1 = r10
        r6 = 5
        call local f
        r0 += r6
        exit
    f:
        r6 = 100
        r0 = *(u64 *)(r1 - 0x8)
        *(u64 *)(r10 - 0x200) = r0
        exit
    ";
    // r0 = 7 from the caller's stack; r6 restored to 5.
    assert_eq!(run(src, &mut mem), Ok(12));
}

#[test]
fn recursion_stops_at_eight_frames() {
    let mut mem = [];
    let err = run("f:\ncall local f\nexit", &mut mem).unwrap_err();
    assert!(matches!(err, VmError::CallDepth { pc: 0, max: 8 }), "{err}");
}

#[test]
fn endless_loop_exhausts_the_budget() {
    let mut v = vm("r0 = 0\nl:\nr0 += 1\ngoto l");
    v.set_budget(10_000);
    let err = v.run_raw(&mut []).unwrap_err();
    assert!(
        matches!(err, VmError::BudgetExhausted { budget: 10_000, .. }),
        "{err}"
    );
}

#[test]
fn budget_counts_instructions_exactly() {
    let mut v = vm(
        "r0 = 0\nr1 = 3\nl:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto l\nr2 = 0x1122334455667788 ll\nexit",
    );
    // 2 + 3 * 3 + lddw + exit
    assert_eq!(v.run_raw(&mut []).expect("runs").insns, 13);
}

#[test]
fn falling_off_the_end_and_wild_jumps_are_errors() {
    let mut mem = [];
    assert!(matches!(
        run("r0 = 0", &mut mem),
        Err(VmError::PcOutOfRange { target: 1, len: 1 })
    ));
    assert!(matches!(
        run("goto -0x5\nexit", &mut mem),
        Err(VmError::PcOutOfRange { .. })
    ));
    assert!(matches!(
        run("goto +0x1\nr0 = 0x1 ll\nexit", &mut mem),
        Err(VmError::JumpIntoLd64 { pc: 2 })
    ));
}

#[test]
fn read_only_regions_refuse_stores() {
    let ro = [1u8, 2, 3, 4];
    let mut env = Env::default();
    let addr = env.mem.add_ro(RegionKind::Other("rodata"), &ro);
    let mut v = vm("r0 = *(u32 *)(r1 + 0x0)\n*(u8 *)(r1 + 0x0) = r0\nexit");
    let err = v.run(&mut env, [addr, 4, 0, 0, 0]).unwrap_err();
    assert!(
        matches!(
            err,
            VmError::MemoryAccess {
                pc: 1,
                kind: AccessKind::Store,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("read-only rodata"), "{err}");
}

#[test]
fn unknown_helpers_are_refused_before_running_and_through_callx() {
    let bytes = assemble_bytes("call 0x63\nexit").expect("assembles");
    let err = Interpreter::from_bytes(&bytes, HelperTable::conformance())
        .err()
        .expect("refused");
    assert!(matches!(err, LoadError::Prepare(_)), "{err}");
    assert!(
        err.to_string()
            .contains("helper bpf_skc_lookup_tcp#99 is not implemented by bpfsim"),
        "{err}"
    );
    let mut mem = [];
    assert!(matches!(
        run("r2 = 99\ncallx r2\nexit", &mut mem),
        Err(VmError::UnknownHelper { pc: 1, id: 99 })
    ));
}

#[test]
fn runs_are_deterministic_even_reading_unwritten_stack() {
    let mut v = vm("r0 = *(u64 *)(r10 - 0x8)\nr1 = -1\n*(u64 *)(r10 - 0x8) = r1\nexit");
    assert_eq!(v.run_raw(&mut []).expect("runs").r0, 0);
    assert_eq!(v.run_raw(&mut []).expect("runs").r0, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any byte string is a program that loads and runs to a result, or an error.
    #[test]
    fn any_bytes_give_a_result_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..256), mem in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(mut v) = Interpreter::from_bytes(&bytes, HelperTable::conformance()) {
            v.set_budget(100_000);
            let mut mem = mem;
            let _ = v.run_raw(&mut mem);
        }
    }

    /// Random streams of valid-looking slots (known opcodes, small registers, small offsets)
    /// reach far more of the interpreter than random bytes do.
    #[test]
    fn plausible_programs_give_a_result_or_an_error(
        slots in prop::collection::vec((prop::sample::select(OPCODES.to_vec()), 0u8..11, 0u8..11, -8i16..8, prop_oneof![Just(0i32), -64i32..64, any::<i32>()]), 1..64)
    ) {
        let bytes: Vec<u8> = slots.iter().flat_map(|&(code, dst, src, off, imm)| {
            bpfsim::insn::RawInsn::new(code, dst, src, off, imm).to_bytes()
        }).collect();
        if let Ok(mut v) = Interpreter::from_bytes(&bytes, HelperTable::conformance()) {
            v.set_budget(100_000);
            let mut mem = vec![0u8; 64];
            let _ = v.run_raw(&mut mem);
        }
    }
}

/// Every opcode the decoder knows.
const OPCODES: [u8; 108] = [
    0x07, 0x0f, 0x04, 0x0c, 0x17, 0x1f, 0x14, 0x1c, 0x27, 0x2f, 0x24, 0x2c, 0x37, 0x3f, 0x34, 0x3c,
    0x47, 0x4f, 0x44, 0x4c, 0x57, 0x5f, 0x54, 0x5c, 0x67, 0x6f, 0x64, 0x6c, 0x77, 0x7f, 0x74, 0x7c,
    0x87, 0x84, 0x97, 0x9f, 0x94, 0x9c, 0xa7, 0xaf, 0xa4, 0xac, 0xb7, 0xbf, 0xb4, 0xbc, 0xc7, 0xcf,
    0xc4, 0xcc, 0xd4, 0xdc, 0xd7, 0x18, 0x00, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a,
    0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x05, 0x06,
    0x15, 0x1d, 0x16, 0x1e, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d,
    0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0x85, 0x8d, 0x95, 0xe5,
];
