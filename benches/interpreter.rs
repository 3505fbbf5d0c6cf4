//! Interpreter throughput, bpfsim against rbpf 0.4.1's interpreter on the same programs in
//! the same process (criterion's "elements" are BPF instructions executed):
//! - `arithmetic`: a loop of dependent 64-bit ALU operations (the "simple arithmetic");
//! - `memory`: a loop of loads and stack stores, every access bounds-checked;
//! - `checksum`: `examples/checksum.bin` over a 20-byte IPv4 header (a small program, so the
//!   per-run cost shows).

use bpfsim::helpers::HelperTable;
use bpfsim::insn::{AluOp, Insn, Reg, Size, Source, encode_program};
use bpfsim::vm::Interpreter;
mod common;

use common::{alu, arithmetic_loop, checksum, loop_back};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// Loads from the input and round trips through the stack, n times.
fn memory_loop(n: i32) -> Vec<Insn> {
    vec![
        alu(AluOp::Mov, Reg::R0, Source::Imm(0)),
        alu(AluOp::Mov, Reg::R3, Source::Imm(n)),
        Insn::Load {
            size: Size::DW,
            sign_extend: false,
            dst: Reg::R2,
            src: Reg::R1,
            off: 0,
        },
        alu(AluOp::Add, Reg::R0, Source::Reg(Reg::R2)),
        Insn::Store {
            size: Size::DW,
            dst: Reg::R10,
            off: -8,
            src: Source::Reg(Reg::R0),
        },
        Insn::Load {
            size: Size::W,
            sign_extend: false,
            dst: Reg::R2,
            src: Reg::R10,
            off: -8,
        },
        alu(AluOp::Add, Reg::R0, Source::Reg(Reg::R2)),
        alu(AluOp::Sub, Reg::R3, Source::Imm(1)),
        loop_back(Reg::R3, -7),
        Insn::Exit,
    ]
}

fn bench(c: &mut Criterion) {
    let (cks, header) = checksum();
    let cases = [
        ("arithmetic", arithmetic_loop(100_000), vec![0u8; 64]),
        ("memory", memory_loop(100_000), vec![7u8; 64]),
        ("checksum", cks, header),
    ];
    for (name, prog, mem) in cases {
        let mut g = c.benchmark_group(format!("interpreter/{name}"));
        let mut vm = Interpreter::new(&prog, HelperTable::new()).expect("valid program");
        let mut m = mem.clone();
        let out = vm.run_raw(&mut m).expect("runs");
        g.throughput(Throughput::Elements(out.insns));
        g.bench_function("bpfsim", |b| {
            b.iter(|| black_box(vm.run_raw(black_box(&mut m)).expect("runs")))
        });
        let bytes: Vec<u8> = encode_program(&prog)
            .iter()
            .flat_map(|r| r.to_bytes())
            .collect();
        let rbpf_vm = rbpf::EbpfVmRaw::new(Some(&bytes)).expect("rbpf loads");
        let mut m2 = mem.clone();
        assert_eq!(
            rbpf_vm.execute_program(&mut m2).expect("rbpf runs"),
            out.r0,
            "{name}: engines disagree"
        );
        g.bench_function("rbpf", |b| {
            b.iter(|| black_box(rbpf_vm.execute_program(black_box(&mut m2)).expect("runs")))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
