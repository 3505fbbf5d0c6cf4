//! `do_check` over the ebpf-samples corpus: every program the kernel (Linux 6.18) accepted
//! or rejected in the verifier, run through [`bpfsim::verifier::verify`], with the verdicts
//! compared. Records refused before the verifier (`load_error`) are skipped.
//!
//! The test prints the agreement, lists the false accepts (the dangerous kind) and the
//! false rejects by message, and asserts that nothing panics and that the agreement stays
//! at or above the measured floor, so the number can only go up.

mod common;

use bpfsim::object::Object;
use bpfsim::progtype::ProgType;
use bpfsim::verifier::{MapRefs, PreflightOptions, verify};
use std::collections::BTreeMap;

/// Verdicts that agree with the kernel's over the whole corpus (release builds), measured
/// when this slice landed.
const AGREE_FLOOR: usize = 425;

#[test]
fn corpus_verdicts_agree_with_the_kernel() {
    if cfg!(debug_assertions) {
        // Dozens of programs still run into the 1,000,000-instruction limit here, which
        // takes minutes each without optimisation: .ci/run runs this test with --release.
        println!("skipped in debug builds: run cargo test --release --test verifier_corpus");
        return;
    }
    let dir = common::shared_dir().join("corpus");
    let objs = dir.join("ebpf-samples");
    let Ok(text) = std::fs::read_to_string(dir.join("ebpf-samples.kernel-6.18.jsonl")) else {
        println!("skipped: corpus not found at {}", dir.display());
        return;
    };
    let mut parsed: BTreeMap<String, Option<Object>> = BTreeMap::new();
    let (mut total, mut agree, mut rejects, mut lines_equal) = (0, 0, 0, 0);
    let mut false_accepts = Vec::new();
    let mut false_rejects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut panics = Vec::new();
    // Time spent verifying, here and (from the jsonl) in the kernel.
    let (mut bpfsim_time, mut kernel_usec) = (std::time::Duration::ZERO, 0u64);
    for line in text.lines() {
        let rec: serde_json::Value = serde_json::from_str(line).expect("jsonl line is JSON");
        let verdict = rec["kernel_verdict"].as_str().unwrap_or("");
        if verdict != "accept" && verdict != "reject" {
            continue;
        }
        let (Some(file), Some(section), Some(name)) = (
            rec["file"].as_str(),
            rec["section"].as_str(),
            rec["program"].as_str(),
        ) else {
            continue;
        };
        let obj = parsed
            .entry(file.to_string())
            .or_insert_with(|| Object::from_file(objs.join(file)).ok());
        let Some(obj) = obj.as_ref() else { continue };
        let Some(prog) = obj
            .programs
            .iter()
            .find(|p| p.name == name && p.section == section)
        else {
            continue;
        };
        total += 1;
        let mut prog = prog.clone();
        if let Some(t) = rec["prog_type"].as_str().and_then(ProgType::from_name) {
            prog.set_prog_type(t);
        }
        prog.expected_attach_type = rec["expected_attach_type"].as_u64().map(|v| v as u32);
        let prog = &prog;
        let libbpf = rec["loader"].as_str() == Some("libbpf");
        let license = match rec["license"].as_str() {
            Some(l) if l.contains("used GPL") => Some("GPL"),
            _ => None,
        };
        let options = PreflightOptions {
            btf_info: libbpf && !prog.func_info.is_empty(),
            maps: MapRefs::Object(&obj.maps),
            license,
            ..PreflightOptions::default()
        };
        let what = format!("{file} {section}/{name}");
        let started = std::time::Instant::now();
        let got = std::panic::catch_unwind(|| verify(prog, &options));
        bpfsim_time += started.elapsed();
        kernel_usec += rec["verification_time_usec"].as_u64().unwrap_or(0);
        let Ok(got) = got else {
            panics.push(what);
            continue;
        };
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
    println!(
        "verification time: bpfsim {:.2} s, Linux {:.2} s (bpfsim takes {:.2}x the kernel's time)",
        bpfsim_time.as_secs_f64(),
        kernel_usec as f64 / 1e6,
        bpfsim_time.as_secs_f64() / (kernel_usec as f64 / 1e6).max(1e-9)
    );
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
                };
                let (_, stats) = do_check(&insns, &pre, &env);
                prop_assert!(stats.insns_processed <= BPF_COMPLEXITY_LIMIT_INSNS + 1);
            }
        }
    }
}
