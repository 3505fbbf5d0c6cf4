//! The verifier's speed (criterion's "elements" are instructions processed, the verifier's
//! `insns_processed` summed over the programs of one iteration):
//! - `verifier/corpus`: every program of the ebpf-samples corpus that the kernel accepted or
//!   rejected in its verifier (`$BPFSIM_SHARED/corpus`, default `../shared`; the programs
//!   `tests/verifier_corpus.rs` compares with the kernel, set up the same way by
//!   `tests/common/corpus.rs`), verified one after the other: the time is the whole corpus.
//!   Before measuring, one pass is timed in thread CPU time and printed beside the kernel's
//!   sum of `verification_time_usec` over the same programs. Without the corpus it prints
//!   `skipped` and registers no benchmark.
//! - `verifier/fixtures`: programs of `tests/fixtures` (always present), one benchmark each.
//!
//! `cargo bench --bench verifier` (the corpus pass takes seconds per iteration: add
//! `-- --warm-up-time 1 --measurement-time 3` for a short run).

#[path = "../tests/common/mod.rs"]
mod test_common;

use bpfsim::object::Object;
use bpfsim::verifier::{PreflightOptions, verify};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn corpus(c: &mut Criterion) {
    let Some(corpus) = test_common::corpus::verifier_cases() else {
        println!("verifier/corpus: skipped (set BPFSIM_SHARED to the shared data directory)");
        return;
    };
    let verify_all = || -> (u64, usize) {
        let mut processed = 0;
        let mut accepted = 0;
        for case in &corpus.cases {
            let v = verify(black_box(&case.program), &case.options(&corpus));
            processed += v.stats.insns_processed;
            accepted += usize::from(v.result.is_ok());
        }
        (processed, accepted)
    };
    let cpu = test_common::thread_cpu_time();
    let (processed, accepted) = verify_all();
    let cpu = test_common::thread_cpu_time().saturating_sub(cpu);
    let kernel_usec: u64 = corpus
        .cases
        .iter()
        .filter_map(|c| c.record["verification_time_usec"].as_u64())
        .sum();
    let kernel_processed: u64 = corpus
        .cases
        .iter()
        .filter_map(|c| c.record["verifier_insns_processed"].as_u64())
        .sum();
    println!(
        "verifier/corpus: {} programs ({accepted} accepted), {processed} insns processed \
         (kernel: {kernel_processed}); one pass {:.3} s CPU, the kernel's verification_time_usec \
         sum {:.3} s: {:.2}x",
        corpus.cases.len(),
        cpu.as_secs_f64(),
        kernel_usec as f64 / 1e6,
        cpu.as_secs_f64() / (kernel_usec as f64 / 1e6),
    );
    let mut g = c.benchmark_group("verifier/corpus");
    // Seconds per iteration: the fewest samples criterion takes, one iteration each.
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    g.throughput(Throughput::Elements(processed));
    g.bench_function(format!("{} programs", corpus.cases.len()), |b| {
        b.iter(|| black_box(verify_all()))
    });
    g.finish();
}

/// `(object under tests/fixtures, program)`.
const FIXTURES: [(&str, &str); 5] = [
    ("globals.o", "classify"),
    ("calls.o", "first"),
    ("calls.o", "second"),
    ("runs/tc_ttl.o", "tc_ttl"),
    ("runs/xdp_stats.o", "xdp_stats"),
];

fn fixtures(c: &mut Criterion) {
    let mut g = c.benchmark_group("verifier/fixtures");
    for (file, name) in FIXTURES {
        let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        let obj = Object::from_file(&path).expect("fixture object");
        let program = obj.program(name).expect("fixture program");
        // As `bpfsim run` verifies (`testing::verify_program`): with the object's maps and,
        // from a libbpf-style object, its BTF info.
        let records = obj.map_records();
        let options = PreflightOptions::for_object_program(program, &obj.maps, &records);
        let v = verify(program, &options);
        assert!(v.result.is_ok(), "{file} {name}: {:?}", v.result);
        g.throughput(Throughput::Elements(v.stats.insns_processed));
        g.bench_function(
            format!("{name} ({} insns, {file})", program.insns.len()),
            |b| b.iter(|| black_box(verify(black_box(program), &options))),
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = fixtures, corpus
}
criterion_main!(benches);
