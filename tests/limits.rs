//! The verifier's resource limits, each hit by a program made for it, with the kernel's
//! message (recorded from Linux 6.18 and re-checked live as root, skipped otherwise). The
//! runtime limits (instruction budget, call frames, stack per frame) are in
//! `tests/vm_faults.rs`, the map memory limit below and in `src/maps/tests.rs`; README's
//! *Resource limits* lists them all.

mod common;

use bpfsim::insn::asm::assemble;
use bpfsim::maps::{MapDef, MapOrigin, MapSetConfig, MapType};
use bpfsim::object::{Object, Program};
use bpfsim::progtype::ProgType;
use bpfsim::session::Session;
use bpfsim::verifier::{PreflightOptions, verify};
use common::sys;

/// `(name, program, the kernel's error line)`.
const CASES: &[(&str, &str, &str)] = &[
    (
        "the 1,000,000 processed-instruction limit",
        "r1 = 0\nl:\nr1 += 1\nif r1 < 10000000 goto l\nr0 = 0\nexit",
        "BPF program is too large. Processed 1000001 insn",
    ),
    (
        "512 bytes of stack per frame",
        "r1 = 0\n*(u64 *)(r10 - 520) = r1\nr0 = 0\nexit",
        "invalid write to stack R10 off=-520 size=8",
    ),
    (
        "8 call frames",
        "call local f1\nexit\nf1:\ncall local f2\nexit\nf2:\ncall local f3\nexit\nf3:\n\
         call local f4\nexit\nf4:\ncall local f5\nexit\nf5:\ncall local f6\nexit\nf6:\n\
         call local f7\nexit\nf7:\ncall local f8\nexit\nf8:\nr0 = 0\nexit",
        "the call stack of 9 frames is too deep",
    ),
    (
        "512 bytes of stack for all frames of a call chain",
        "r1 = 0\n*(u64 *)(r10 - 256) = r1\ncall local f1\nr0 = 0\nexit\nf1:\nr1 = 0\n\
         *(u64 *)(r10 - 264) = r1\nr0 = 0\nexit",
        "combined stack size of 2 calls is 528. Too large",
    ),
];

#[test]
fn verifier_limits_give_the_kernels_errors() {
    let live = sys::bpf_available();
    for (name, src, expected) in CASES {
        let insns = assemble(src).expect("assembles");
        let program = Program::from_insns("limit", ProgType::SocketFilter, insns.clone());
        let verdict = verify(&program, &PreflightOptions::default());
        let err = verdict.result.expect_err(name);
        assert_eq!(err.message(), *expected, "{name}");
        if live {
            let bytes: Vec<u8> = insns.iter().flat_map(|i| i.to_bytes()).collect();
            let kernel = sys::prog_load(1, &bytes, "GPL", 1);
            assert!(kernel.fd.is_err(), "{name}: the kernel accepted it");
            assert_eq!(kernel.error_line(), Some(*expected), "{name}: kernel");
        }
    }
}

#[test]
fn the_map_memory_limit_refuses_an_object_with_enomem() {
    let program = Program::from_insns(
        "p",
        ProgType::SocketFilter,
        assemble("r0 = 0\nexit").expect("assembles"),
    );
    let big = MapDef {
        name: "big".into(),
        map_type: MapType::Array,
        key_size: 4,
        value_size: 4096,
        max_entries: 1 << 16,
        map_flags: 0,
        inner: None,
        initial: Vec::new(),
        read_only: false,
        origin: MapOrigin::User,
    };
    let object = Object::from_program(program, vec![big]);
    let config = MapSetConfig {
        max_memory: 64 << 20,
        ..MapSetConfig::default()
    };
    let err = Session::new(object, config).expect_err("256 MiB > 64 MiB");
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("map memory limit"), "{err}");
}

#[test]
fn the_pending_branch_limit_gives_the_kernels_error() {
    // Every `if r0 == N goto +1` on an unknown r0 leaves its other branch pending until
    // the path ends: the 8,193rd is one too many.
    let mut src = String::from("call 7\n");
    for i in 0..8200 {
        src += &format!("if r0 == {} goto +1\nr1 = 0\n", 1000 + i);
    }
    src += "r0 = 0\nexit";
    let insns = assemble(&src).expect("assembles");
    let program = Program::from_insns("jumps", ProgType::SocketFilter, insns.clone());
    let err = verify(&program, &PreflightOptions::default())
        .result
        .expect_err("too many pending branches");
    let expected = "The sequence of 8193 jumps is too complex.";
    assert_eq!(err.message(), expected);
    if sys::bpf_available() {
        let bytes: Vec<u8> = insns.iter().flat_map(|i| i.to_bytes()).collect();
        let kernel = sys::prog_load(1, &bytes, "GPL", 1);
        assert!(kernel.fd.is_err());
        assert_eq!(kernel.error_line(), Some(expected), "kernel");
    }
}

#[test]
fn stack_a_helper_reads_counts_toward_the_call_chain() {
    // f never writes its stack; bpf_csum_diff reads 16 uninitialised bytes at fp-272 (root
    // may), which makes f's stack 272 bytes deep, as an access would.
    let src = "r1 = 0\n*(u64 *)(r10 - 256) = r1\ncall local f\nr0 = 0\nexit\nf:\nr1 = r10\n\
               r1 += -272\nr2 = 16\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit";
    let insns = assemble(src).expect("assembles");
    let program = Program::from_insns("helper_stack", ProgType::Xdp, insns.clone());
    let err = verify(&program, &PreflightOptions::default())
        .result
        .expect_err("528 bytes of stack");
    let expected = "combined stack size of 2 calls is 528. Too large";
    assert_eq!(err.message(), expected);
    if sys::bpf_available() {
        let bytes: Vec<u8> = insns.iter().flat_map(|i| i.to_bytes()).collect();
        let kernel = sys::prog_load(6, &bytes, "GPL", 1);
        assert_eq!(kernel.error_line(), Some(expected), "kernel");
    }
}
