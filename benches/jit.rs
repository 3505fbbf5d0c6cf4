//! The JIT against the interpreter and rbpf 0.4.1 (its interpreter and its x86-64 JIT), in
//! one process on the same programs (criterion's "elements" are BPF instructions executed):
//! - `raw/arithmetic`: a loop of dependent 64-bit ALU operations, 100,000 iterations;
//! - `raw/checksum`: `examples/checksum.bin` over a 20-byte IPv4 header;
//! - `raw/helper_call`: 10,000 helper calls (helper 5 returns its argument; rbpf gets the
//!   same function), so time / 10,000 is the cost of a call plus 4 instructions;
//! - `raw/helper_free`: the same loop with `r0 = r1` instead of the call, so the difference
//!   from `raw/helper_call`, / 10,000, is what one helper call costs;
//! - `raw/local_call`: 10,000 bpf-to-bpf calls of a 4-instruction function, so time / 10,000
//!   is the cost of a call and its return plus 9 instructions (rbpf 0.4.1 runs local calls
//!   in its interpreter and its JIT, so it has both columns);
//! - `object/*`: `benches/fixtures/bench.o` (XDP programs, `local_call` with a static
//!   function in `.text`, the ones `examples/jit_vs_kernel.rs`
//!   also runs in the kernel) through a `Session`, as `bpfsim run` runs them;
//! - `compile/*`: verification plus JIT compilation of a small program, and for `classify`
//!   each of the two stages alone (`verify classify`, `jit classify`);
//! - `load/*`: from an object's bytes to a compiled JIT (`elf to jit`), and each stage
//!   alone: `parse` (`Object::parse`), `maps` (`Session::new` creates the object's maps),
//!   `verify` (`testing::verify_program`, as `bpfsim run` verifies first) and `link+jit`
//!   (`Session::linked_insns`, then `Jit::compile` in verified mode). Results are dropped
//!   outside the timed loop (teardown is not counted). On `classify` of
//!   `tests/fixtures/globals.o` (34 instructions, four global-data maps) and on
//!   `examples/xdp_filter` (184 instructions, two maps).
//!
//! `cargo bench --bench jit`.

use bpfsim::engine::Engine;
use bpfsim::helpers::HelperTable;
use bpfsim::insn::encode_program;
use bpfsim::jit::{Jit, JitMode};
use bpfsim::maps::MapSetConfig;
use bpfsim::object::Object;
use bpfsim::progtype::TestRunInput;
use bpfsim::session::Session;
use bpfsim::testing::verify_program;
use bpfsim::verifier::{PreflightOptions, verify};
use bpfsim::vm::memory::RegionKind;
use bpfsim::vm::{Env, Interpreter};
mod common;

use common::{checksum, identity, raw_cases};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn raw(c: &mut Criterion) {
    for (name, prog, mem) in raw_cases() {
        let mut g = c.benchmark_group(format!("raw/{name}"));
        // Each engine runs over its own copy of the input, in an environment built once (the
        // engines are timed, not `run_raw`'s setup).
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
        g.throughput(Throughput::Elements(want.insns));
        g.bench_function("bpfsim_interp", |b| {
            b.iter(|| black_box(vm.run(black_box(&mut env), args).expect("runs")))
        });
        for (label, mode) in [
            ("bpfsim_jit_checked", JitMode::Checked),
            ("bpfsim_jit_verified", JitMode::Verified),
        ] {
            let mut jit = Jit::compile(&prog, HelperTable::conformance(), mode).expect("compiles");
            assert_eq!(jit.run(&mut env, args), Ok(want), "{name} {label}");
            g.bench_function(label, |b| {
                b.iter(|| black_box(jit.run(black_box(&mut env), args).expect("runs")))
            });
        }
        let bytes: Vec<u8> = encode_program(&prog)
            .iter()
            .flat_map(|r| r.to_bytes())
            .collect();
        let mut rbpf_vm = rbpf::EbpfVmRaw::new(Some(&bytes)).expect("rbpf loads");
        rbpf_vm.register_helper(5, identity).expect("helper");
        let mut m2 = mem.clone();
        assert_eq!(
            rbpf_vm.execute_program(&mut m2).expect("rbpf runs"),
            want.r0,
            "{name}: engines disagree"
        );
        g.bench_function("rbpf_interp", |b| {
            b.iter(|| black_box(rbpf_vm.execute_program(black_box(&mut m2)).expect("runs")))
        });
        rbpf_vm.jit_compile().expect("rbpf compiles");
        // SAFETY: rbpf's JIT runs the program unchecked; these programs only touch their
        // input, which `m2` holds.
        let r0 = unsafe { rbpf_vm.execute_program_jit(&mut m2) }.expect("rbpf JIT runs");
        assert_eq!(r0, want.r0, "{name}: rbpf JIT disagrees");
        g.bench_function("rbpf_jit", |b| {
            // SAFETY: as above.
            b.iter(|| black_box(unsafe { rbpf_vm.execute_program_jit(black_box(&mut m2)) }))
        });
        g.finish();
    }
}

/// A 1,514-byte Ethernet frame (IPv4, UDP), the packet `object/csum` sums.
pub fn frame() -> Vec<u8> {
    let mut f = vec![0xffu8; 6];
    f.extend([2, 0, 0, 0, 0, 1, 8, 0]);
    f.extend([
        0x45, 0, 5, 0xdc, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    f.extend((0..1514 - 34).map(|i| i as u8));
    f
}

fn object_path() -> String {
    format!("{}/benches/fixtures/bench.o", env!("CARGO_MANIFEST_DIR"))
}

fn objects(c: &mut Criterion) {
    let frame = frame();
    let input = TestRunInput::new(&frame);
    for program in ["arith", "csum", "fields", "helper_loop", "local_call"] {
        let mut g = c.benchmark_group(format!("object/{program}"));
        let mut want = None;
        for (label, engine, mode) in [
            ("bpfsim_interp", Engine::Interp, JitMode::Checked),
            ("bpfsim_jit_checked", Engine::Jit, JitMode::Checked),
            ("bpfsim_jit_verified", Engine::Jit, JitMode::Verified),
        ] {
            let mut s = Session::open(object_path()).expect("bench.o");
            s.set_engine(engine);
            s.set_jit_mode(mode);
            let out = s.run(program, &input, 1).expect("runs");
            let got = (out.r0, out.insns);
            assert_eq!(*want.get_or_insert(got), got, "{program} {label}");
            g.throughput(Throughput::Elements(out.insns));
            g.bench_function(label, |b| {
                b.iter_custom(|iters| {
                    let n = iters.clamp(1, u32::MAX as u64) as u32;
                    s.run(program, &input, n).expect("runs").duration * n
                })
            });
        }
        g.finish();
    }
}

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    // Verification plus compilation of a program: `classify` of tests/fixtures/globals.o
    // (34 instructions, the "30-instruction program"; the verifier walks it once)
    // and bench.o's `csum` (23 instructions whose 800-iteration loop the verifier walks
    // through, as the kernel's does). The helper table is built once, as a session does.
    let root = env!("CARGO_MANIFEST_DIR");
    let helpers = HelperTable::kernel();
    for (path, name) in [
        (format!("{root}/tests/fixtures/globals.o"), "classify"),
        (object_path(), "csum"),
    ] {
        let mut s = Session::open(&path).expect("object");
        let insns = s.linked_insns(name).expect("links");
        let program = s.object().program(name).expect("program").clone();
        let maps = s.object().maps.clone();
        let records = s.object().map_records();
        g.bench_function(format!("verify+jit {name} ({} insns)", insns.len()), |b| {
            b.iter(|| {
                let options = PreflightOptions::for_object_program(&program, &maps, &records);
                let v = verify(black_box(&program), &options);
                assert!(v.result.is_ok());
                black_box(Jit::compile(&insns, helpers.clone(), JitMode::Verified).expect("ok"))
            })
        });
        if name == "classify" {
            // Each stage of the line above alone.
            g.bench_function(format!("verify {name}"), |b| {
                b.iter(|| {
                    let options = PreflightOptions::for_object_program(&program, &maps, &records);
                    black_box(verify(black_box(&program), &options))
                })
            });
            g.bench_function(format!("jit {name}"), |b| {
                b.iter(|| {
                    black_box(
                        Jit::compile(black_box(&insns), helpers.clone(), JitMode::Verified)
                            .expect("ok"),
                    )
                })
            });
        }
    }
    // A 30-instruction program: the checksum (29) and a first `r2 = len`.
    let (cks, _) = checksum();
    g.bench_function(format!("jit checksum ({} insns)", cks.len()), |b| {
        b.iter(|| {
            black_box(Jit::compile(&cks, HelperTable::conformance(), JitMode::Checked).expect("ok"))
        })
    });
    g.finish();
}

/// Parses `bytes`, creates the maps, verifies `program` and compiles it: what a user's
/// object goes through before its first run on the JIT.
fn elf_to_jit(bytes: &[u8], program: &str) -> (Session, Jit) {
    let object = Object::parse(bytes).expect("parses");
    let mut session = Session::new(object, MapSetConfig::default()).expect("maps");
    verify_program(&session, program).expect("accepted");
    let insns = session.linked_insns(program).expect("links");
    let jit = Jit::compile(&insns, HelperTable::kernel(), JitMode::Verified).expect("compiles");
    (session, jit)
}

fn load(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    for (path, program) in [
        ("tests/fixtures/globals.o", "classify"),
        ("examples/xdp_filter/xdp_filter.bpf.o", "xdp_filter"),
    ] {
        let bytes = std::fs::read(format!("{root}/{path}")).expect("object");
        let object = Object::parse(&bytes).expect("parses");
        let n = object.program(program).expect("program").insns.len();
        let mut g = c.benchmark_group(format!("load/{program}"));
        g.bench_function(format!("elf to jit ({n} insns)"), |b| {
            b.iter_with_large_drop(|| elf_to_jit(black_box(&bytes), program))
        });
        g.bench_function("parse", |b| {
            b.iter_with_large_drop(|| Object::parse(black_box(&bytes)).expect("parses"))
        });
        g.bench_function("maps", |b| {
            b.iter_batched(
                || object.clone(),
                |o| Session::new(o, MapSetConfig::default()).expect("maps"),
                BatchSize::SmallInput,
            )
        });
        let mut session = Session::new(object.clone(), MapSetConfig::default()).expect("maps");
        g.bench_function("verify", |b| {
            b.iter(|| verify_program(black_box(&session), program).expect("accepted"))
        });
        g.bench_function("link+jit", |b| {
            b.iter_with_large_drop(|| {
                let insns = session.linked_insns(program).expect("links");
                Jit::compile(&insns, HelperTable::kernel(), JitMode::Verified).expect("compiles")
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = raw, objects, compile, load
}
criterion_main!(benches);
