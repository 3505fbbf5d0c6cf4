//! bpfsim's interpreter and JIT (checked and verified) against rbpf 0.4.1's interpreter and
//! JIT on `cargo bench --bench jit`'s `raw/*` programs (`benches/common`), in one process:
//! thread CPU time, the engines interleaved round by round, the fastest and the median round
//! reported. Criterion's wall-clock medians of the same programs move by up to 50% on a
//! shared VM; this comparison does not.
//!
//! ```sh
//! cargo run --release --example engines_vs_rbpf [ROUNDS]
//! ```

#[path = "../benches/common/mod.rs"]
mod common;

use bpfsim::helpers::HelperTable;
use bpfsim::insn::{Insn, encode_program};
use bpfsim::jit::{Jit, JitMode};
use bpfsim::vm::memory::RegionKind;
use bpfsim::vm::{Env, Interpreter};
use common::{identity, raw_cases, thread_cpu_ns};
use std::hint::black_box;

/// Runs of a program per round (so that a round of the shortest one is tens of µs).
fn runs_per_round(insns: u64) -> u32 {
    (100_000 / insns.max(1)).clamp(1, 1000) as u32
}

fn rbpf_vm(prog: &[Insn]) -> rbpf::EbpfVmRaw<'static> {
    let bytes: Vec<u8> = encode_program(prog)
        .iter()
        .flat_map(|r| r.to_bytes())
        .collect();
    let mut vm =
        rbpf::EbpfVmRaw::new(Some(Box::leak(bytes.into_boxed_slice()))).expect("rbpf loads");
    vm.register_helper(5, identity).expect("helper");
    vm
}

fn format_ns(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let labels = [
        "bpfsim interp",
        "JIT checked",
        "JIT verified",
        "rbpf interp",
        "rbpf JIT",
    ];
    println!(
        "{:<12} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11}   (fastest round; median below)",
        "program", "insns", labels[0], labels[1], labels[2], labels[3], labels[4]
    );
    for (name, prog, mem) in raw_cases() {
        // Each engine runs over its own copy of the input, in an environment built once.
        let mut m = mem.clone();
        let mut env = Env::default();
        let args = [
            env.mem.add_mut(RegionKind::Input, &mut m),
            mem.len() as u64,
            0,
            0,
            0,
        ];
        let mut vm = Interpreter::new(&prog, HelperTable::conformance()).expect("valid program");
        let want = vm.run(&mut env, args).expect("runs");
        let mut jits = [JitMode::Checked, JitMode::Verified]
            .map(|mode| Jit::compile(&prog, HelperTable::conformance(), mode).expect("compiles"));
        for jit in &mut jits {
            assert_eq!(jit.run(&mut env, args), Ok(want), "{name}");
        }
        let rbpf_interp = rbpf_vm(&prog);
        let mut rbpf_jit = rbpf_vm(&prog);
        rbpf_jit.jit_compile().expect("rbpf compiles");
        let mut m2 = mem.clone();
        assert_eq!(
            rbpf_interp.execute_program(&mut m2).ok(),
            Some(want.r0),
            "{name}"
        );
        // SAFETY: rbpf's JIT runs the program unchecked; these programs only touch their
        // input, which `m2` holds.
        assert_eq!(
            unsafe { rbpf_jit.execute_program_jit(&mut m2) }.ok(),
            Some(want.r0)
        );
        let per = runs_per_round(want.insns);
        let mut times = vec![Vec::with_capacity(rounds); labels.len()];
        for _ in 0..rounds {
            for (engine, t) in times.iter_mut().enumerate() {
                let start = thread_cpu_ns();
                for _ in 0..per {
                    match engine {
                        0 => {
                            black_box(vm.run(black_box(&mut env), args).expect("runs"));
                        }
                        1 | 2 => {
                            black_box(jits[engine - 1].run(&mut env, args).expect("runs"));
                        }
                        3 => {
                            black_box(rbpf_interp.execute_program(&mut m2).expect("runs"));
                        }
                        _ => {
                            // SAFETY: as above.
                            black_box(unsafe { rbpf_jit.execute_program_jit(&mut m2) }.ok());
                        }
                    }
                }
                t.push((thread_cpu_ns() - start) / per as f64);
            }
        }
        let stat = |t: &Vec<f64>, median: bool| {
            let mut t = t.clone();
            t.sort_by(f64::total_cmp);
            if median { t[t.len() / 2] } else { t[0] }
        };
        for median in [false, true] {
            let cells: Vec<String> = times.iter().map(|t| format_ns(stat(t, median))).collect();
            println!(
                "{:<12} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11}",
                if median { "" } else { name },
                if median {
                    String::new()
                } else {
                    want.insns.to_string()
                },
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                cells[4]
            );
        }
    }
    println!("thread CPU time per run, {rounds} rounds, engines interleaved");
}
