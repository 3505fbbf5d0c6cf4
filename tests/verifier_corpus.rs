//! `do_check` over the ebpf-samples corpus: every program the kernel (Linux 6.18) accepted
//! or rejected in the verifier, run through [`bpfsim::verifier::verify`], with the verdicts
//! compared. Records refused before the verifier (`load_error`) are skipped.
//!
//! The test prints the agreement, lists the false accepts (the dangerous kind) and the
//! false rejects by message, and asserts that nothing panics and that the agreement stays
//! at or above the measured floor, so the number can only go up.

mod common;

use bpfsim::verifier::verify;
use std::collections::BTreeMap;

/// Verdicts that agree with the kernel's over the whole corpus (release builds), measured
/// when this slice landed.
const AGREE_FLOOR: usize = 488;

#[test]
fn corpus_verdicts_agree_with_the_kernel() {
    if cfg!(debug_assertions) {
        // Dozens of programs still run into the 1,000,000-instruction limit here, which
        // takes minutes each without optimisation: .ci/run runs this test with --release.
        println!("skipped in debug builds: run cargo test --release --test verifier_corpus");
        return;
    }
    let Some(corpus) = common::corpus::verifier_cases() else {
        return;
    };
    let (mut total, mut agree, mut rejects, mut lines_equal) = (0, 0, 0, 0);
    let mut false_accepts = Vec::new();
    let mut false_rejects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut panics = Vec::new();
    let mut stats = StatsAgreement::default();
    let mut stats_rows = Vec::new();
    let mut verify_time = std::time::Duration::ZERO;
    let mut verify_cpu = std::time::Duration::ZERO;
    let mut kernel_usec = 0u64;
    for case in &corpus.cases {
        total += 1;
        let (rec, verdict, prog) = (&case.record, case.verdict(), &case.program);
        let options = case.options(&corpus);
        let what = case.what();
        let started = std::time::Instant::now();
        let cpu_started = common::thread_cpu_time();
        let got = std::panic::catch_unwind(|| verify(prog, &options));
        let elapsed = started.elapsed();
        verify_time += elapsed;
        verify_cpu += common::thread_cpu_time().saturating_sub(cpu_started);
        let Ok(got) = got else {
            panics.push(what);
            continue;
        };
        kernel_usec += rec["verification_time_usec"].as_u64().unwrap_or(0);
        let kstats = [
            rec["verifier_insns_processed"].as_u64().unwrap_or(0),
            rec["verifier_total_states"].as_u64().unwrap_or(0),
            rec["verifier_peak_states"].as_u64().unwrap_or(0),
        ];
        let ours = [
            got.stats.insns_processed,
            got.stats.total_states,
            got.stats.peak_states,
        ];
        stats.compare(verdict, got.result.is_ok(), kstats, ours);
        stats_rows.push(format!(
            "{what}\t{verdict}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            if got.result.is_ok() {
                "accept"
            } else {
                "reject"
            },
            kstats[0],
            ours[0],
            kstats[1],
            ours[1],
            kstats[2],
            ours[2],
            elapsed.as_micros()
        ));
        let kernel_line = rec["error_line"].as_str().unwrap_or("");
        match (verdict, &got.result) {
            ("accept", Ok(())) => agree += 1,
            ("accept", Err(e)) => false_rejects
                .entry(e.message().to_string())
                .or_default()
                .push(format!("{what} at insn {}", e.insn())),
            (_, Ok(())) => {
                rejects += 1;
                false_accepts.push(format!("{what}: kernel says {kernel_line:?}"));
            }
            (_, Err(e)) => {
                rejects += 1;
                agree += 1;
                if e.message() == kernel_line {
                    lines_equal += 1;
                }
            }
        }
    }
    if total == 0 {
        println!("skipped: no corpus programs loaded");
        return;
    }
    println!(
        "verdicts: {agree}/{total} agree, false accepts: {}, false rejects: {}, error lines equal: {lines_equal}/{rejects}",
        false_accepts.len(),
        false_rejects.values().map(Vec::len).sum::<usize>()
    );
    stats.print();
    println!(
        "verify time: {:.3} s wall, {:.3} s CPU (the kernel's verification_time_usec sum: {:.3} s)",
        verify_time.as_secs_f64(),
        verify_cpu.as_secs_f64(),
        kernel_usec as f64 / 1e6
    );
    if let Ok(path) = std::env::var("BPFSIM_CORPUS_STATS") {
        let mut out = String::from(
            "program\tkernel\tbpfsim\tinsns_k\tinsns\ttotal_k\ttotal\tpeak_k\tpeak\tusec\n",
        );
        for r in &stats_rows {
            out += r;
            out.push('\n');
        }
        std::fs::write(&path, out).expect("stats file is writable");
        println!("per-program statistics written to {path}");
    }
    println!("false accepts:");
    for f in &false_accepts {
        println!("  {f}");
    }
    println!("false rejects by message:");
    for (m, progs) in &false_rejects {
        println!("  {:4} {m}", progs.len());
        for p in progs.iter().take(3) {
            println!("         {p}");
        }
    }
    assert!(panics.is_empty(), "panics: {panics:#?}");
    assert!(
        agree >= AGREE_FLOOR,
        "agreement fell below the floor: {agree} < {AGREE_FLOOR}"
    );
}

/// How close the walk's statistics are to the kernel's, over programs both accept.
#[derive(Default)]
struct StatsAgreement {
    programs: usize,
    exact: [usize; 3],
    all_exact: usize,
    ratios: [Vec<f64>; 3],
}

impl StatsAgreement {
    fn compare(&mut self, verdict: &str, accepted: bool, kernel: [u64; 3], ours: [u64; 3]) {
        if verdict != "accept" || !accepted {
            return;
        }
        self.programs += 1;
        for i in 0..3 {
            if kernel[i] == ours[i] {
                self.exact[i] += 1;
            }
            if kernel[i] > 0 {
                self.ratios[i].push(ours[i] as f64 / kernel[i] as f64);
            }
        }
        if kernel == ours {
            self.all_exact += 1;
        }
    }

    fn print(&mut self) {
        let names = ["insns_processed", "total_states", "peak_states"];
        println!(
            "statistics over {} programs both accept: all three equal for {}",
            self.programs, self.all_exact
        );
        for ((name, r), exact) in names.iter().zip(self.ratios.iter_mut()).zip(self.exact) {
            r.sort_by(f64::total_cmp);
            let median = r.get(r.len() / 2).copied().unwrap_or(0.0);
            let geo = if r.is_empty() {
                0.0
            } else {
                (r.iter().map(|x| x.max(1e-9).ln()).sum::<f64>() / r.len() as f64).exp()
            };
            println!(
                "  {:16} equal {:4}, ratio bpfsim/kernel median {median:.3}, geometric mean {geo:.3}",
                name, exact
            );
        }
    }
}

mod fuzz {
    use bpfsim::insn::RawInsn;
    use bpfsim::progtype::ProgType;
    use bpfsim::verifier::do_check::BPF_COMPLEXITY_LIMIT_INSNS;
    use bpfsim::verifier::{CheckEnv, MapHelpers, PreflightOptions, do_check, preflight_insns};
    use proptest::prelude::*;

    /// Slots drawn mostly from opcodes do_check handles, with small fields.
    fn slot() -> impl Strategy<Value = RawInsn> {
        let code = prop_oneof![
            any::<u8>(),
            Just(0xb7u8), // r = imm
            Just(0xbf),   // r = r
            Just(0x07),   // r += imm
            Just(0x0f),   // r += r
            Just(0x61),   // ldxw
            Just(0x7b),   // stxdw
            Just(0x62),   // stw imm
            Just(0x15),   // jeq imm
            Just(0x2d),   // jgt reg
            Just(0x05),   // ja
            Just(0x85),   // call
            Just(0x95),   // exit
        ];
        let off = prop_oneof![-16i16..16, any::<i16>()];
        let imm = prop_oneof![-16i32..16, any::<i32>(), Just(1), Just(2)];
        (code, 0u8..11, 0u8..11, off, imm).prop_map(|(c, d, s, o, i)| RawInsn::new(c, d, s, o, i))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn random_programs_never_panic_and_stay_within_the_limits(
            mut insns in proptest::collection::vec(slot(), 1..24),
            t in prop_oneof![Just(ProgType::SocketFilter), Just(ProgType::Xdp), Just(ProgType::Kprobe)],
        ) {
            insns.push(RawInsn::new(0x95, 0, 0, 0, 0));
            let options = PreflightOptions::default();
            if let Ok(pre) = preflight_insns(&insns, Some("GPL"), &options) {
                let env = CheckEnv {
                    prog_type: t,
                    expected_attach_type: None,
                    maps: &[],
                    bpf_capable: true,
                    helpers: &MapHelpers,
                    gpl_compatible: true,
                    sleepable: false,
                };
                let (_, stats) = do_check(&insns, &pre, &env);
                prop_assert!(stats.insns_processed <= BPF_COMPLEXITY_LIMIT_INSNS + 1);
            }
        }
    }
}
