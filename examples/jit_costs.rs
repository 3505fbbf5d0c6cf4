//! Two of the JIT's costs, measured in one process where criterion's wall-clock numbers
//! move too much on a shared machine: thread CPU time, rounds interleaved, the fastest
//! round and the median reported.
//! - **One helper call**: a loop of 1,000,000 `r1 = r6; call 5; r6 -= 1` against the same
//!   loop with `r0 = r1` in place of the call, in bpfsim's JIT (verified and checked) and
//!   rbpf 0.4.1's JIT (helper 5 returns its argument in both), so the difference per
//!   iteration is what a call costs;
//! - **Compile time**: verifying and compiling `classify` of `tests/fixtures/globals.o`
//!   (34 instructions, four global-data maps; the issue's "30-instruction program"), each
//!   stage alone and both, as `benches/jit.rs`'s `compile/*` do.
//!
//! ```sh
//! cargo run --release --example jit_costs [ROUNDS]
//! ```

#[path = "../benches/common/mod.rs"]
mod common;

use bpfsim::helpers::HelperTable;
use bpfsim::insn::{AluOp, CallTarget, Insn, Reg, Source, encode_program};
use bpfsim::jit::{Jit, JitMode};
use bpfsim::session::Session;
use bpfsim::verifier::{PreflightOptions, verify};
use bpfsim::vm::Env;
use common::{alu, identity, thread_cpu_ns, with_call};
use std::hint::black_box;

const CALLS: i32 = 1_000_000;
/// Compilations per round (the time of one is the round's time divided by this).
const BATCH: u32 = 50;

/// Round times of each measurement, rounds interleaved across measurements.
fn rounds(rounds: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<Vec<f64>> {
    let mut times = vec![Vec::with_capacity(rounds); fs.len()];
    for _ in 0..rounds {
        for (f, t) in fs.iter_mut().zip(&mut times) {
            let start = thread_cpu_ns();
            f();
            t.push(thread_cpu_ns() - start);
        }
    }
    times
}

/// The fastest and the median of `times`, divided by `per`.
fn best_median(times: &[f64], per: f64) -> (f64, f64) {
    let mut t = times.to_vec();
    t.sort_by(f64::total_cmp);
    (t[0] / per, t[t.len() / 2] / per)
}

fn rbpf_jit(prog: &[Insn]) -> rbpf::EbpfVmNoData<'static> {
    let bytes: Vec<u8> = encode_program(prog)
        .iter()
        .flat_map(|r| r.to_bytes())
        .collect();
    let mut vm =
        rbpf::EbpfVmNoData::new(Some(Box::leak(bytes.into_boxed_slice()))).expect("rbpf loads");
    vm.register_helper(5, identity).expect("helper");
    vm.jit_compile().expect("rbpf compiles");
    vm
}

fn helper_calls(n: usize) {
    let with = with_call(CALLS, Insn::Call(CallTarget::Helper(5)));
    let without = with_call(CALLS, alu(AluOp::Mov, Reg::R0, Source::Reg(Reg::R1)));
    let mut env = Env::default();
    let mut jits: Vec<Jit> = [JitMode::Verified, JitMode::Checked]
        .iter()
        .flat_map(|&mode| {
            [&with, &without]
                .map(|p| Jit::compile(p, HelperTable::conformance(), mode).expect("compiles"))
        })
        .collect();
    let rbpf = [rbpf_jit(&with), rbpf_jit(&without)];
    let mut fs: Vec<Box<dyn FnMut()>> = Vec::new();
    for jit in jits.iter_mut() {
        let env = &mut env as *mut Env;
        fs.push(Box::new(move || {
            // SAFETY: the closures run one at a time, so this is the only use of `env`.
            let env = unsafe { &mut *env };
            black_box(jit.run(env, [0; 5]).expect("runs"));
        }));
    }
    for vm in &rbpf {
        fs.push(Box::new(move || {
            // SAFETY: the program only calls the registered helper; it touches no memory.
            black_box(unsafe { vm.execute_program_jit() }.expect("runs"));
        }));
    }
    let mut refs: Vec<&mut dyn FnMut()> = fs.iter_mut().map(|f| &mut **f as _).collect();
    let t = rounds(n, &mut refs);
    let per = CALLS as f64;
    println!(
        "one helper call (call loop − call-free loop, ns per iteration, fastest / median of {n} rounds):"
    );
    for (label, i) in [
        ("bpfsim JIT verified", 0),
        ("bpfsim JIT checked", 2),
        ("rbpf JIT", 4),
    ] {
        let (call_best, call_med) = best_median(&t[i], per);
        let (free_best, free_med) = best_median(&t[i + 1], per);
        println!(
            "  {label:<20} {:.2} / {:.2} ns   (loop {call_best:.2} ns, without the call {free_best:.2} ns)",
            call_best - free_best,
            call_med - free_med
        );
    }
}

fn compile_classify(n: usize) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut s = Session::open(format!("{root}/tests/fixtures/globals.o")).expect("object");
    let insns = s.linked_insns("classify").expect("links");
    let program = s.object().program("classify").expect("program").clone();
    let maps = s.object().maps.clone();
    let helpers = HelperTable::kernel();
    let records = s.object().map_records();
    let options = PreflightOptions::for_object_program(&program, &maps, &records);
    let mut verify_only = || {
        for _ in 0..BATCH {
            black_box(verify(black_box(&program), &options));
        }
    };
    let mut jit_only = || {
        for _ in 0..BATCH {
            black_box(Jit::compile(&insns, helpers.clone(), JitMode::Verified).expect("ok"));
        }
    };
    let mut both = || {
        for _ in 0..BATCH {
            let v = verify(black_box(&program), &options);
            assert!(v.result.is_ok());
            black_box(Jit::compile(&insns, helpers.clone(), JitMode::Verified).expect("ok"));
        }
    };
    let t = rounds(n, &mut [&mut verify_only, &mut jit_only, &mut both]);
    println!(
        "compiling classify ({} insns), µs, fastest / median of {n} rounds of {BATCH}:",
        insns.len()
    );
    for (label, times) in ["verify", "JIT", "verify + JIT"].iter().zip(&t) {
        let (best, median) = best_median(times, BATCH as f64 * 1000.0);
        println!("  {label:<14} {best:.1} / {median:.1} µs");
    }
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40);
    helper_calls(n);
    compile_classify(n.max(100));
}
