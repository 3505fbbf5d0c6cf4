//! Kernel-checked probe objects: small C programs in a fixture directory, each with the
//! running kernel's verdict recorded as `(file, program, "accept" or the error line)`.
//! [`check_recorded`] compares bpfsim's verifier with the records (no kernel needed);
//! [`check_kernel`] loads the directory's objects into the running kernel
//! (`../shared/tools/kernel_verdicts.py`, as root) and compares the kernel with the records
//! again, printing `skipped` where that cannot run.

use bpfsim::object::Object;
use bpfsim::verifier::{PreflightOptions, verify};
use std::path::Path;

/// One probe: the object's file stem, the program, and the kernel's verdict.
pub type Probe = (&'static str, &'static str, &'static str);

/// bpfsim's verdict on one program, loaded as libbpf loads it: `accept` or the message.
pub fn bpfsim_verdict(obj: &Object, program: &str) -> String {
    let Some(prog) = obj.programs.iter().find(|p| p.name == program) else {
        return format!("no program {program}");
    };
    let records = obj.map_records();
    let options = PreflightOptions::for_object_program(prog, &obj.maps, &records);
    match verify(prog, &options).result {
        Ok(()) => "accept".to_string(),
        Err(e) => e.message().to_string(),
    }
}

/// Asserts that bpfsim's verifier gives every probe's recorded verdict.
pub fn check_recorded(dir: &Path, probes: &[Probe]) {
    let mut objects = std::collections::BTreeMap::new();
    let mut wrong = Vec::new();
    for &(file, program, kernel) in probes {
        let obj = objects.entry(file).or_insert_with(|| {
            Object::from_file(dir.join(format!("{file}.o"))).expect("fixture parses")
        });
        let got = bpfsim_verdict(obj, program);
        if got != kernel {
            wrong.push(format!(
                "{file}/{program}: kernel {kernel:?}, bpfsim {got:?}"
            ));
        }
    }
    println!(
        "{}/{} probes agree with the kernel",
        probes.len() - wrong.len(),
        probes.len()
    );
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
}

/// Asserts that the running kernel still gives every probe of `dir` its recorded verdict
/// (and that every program there is recorded).
pub fn check_kernel(dir: &Path, probes: &[Probe]) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("skipped: not root");
        return;
    }
    let tool = super::shared_dir().join("tools/kernel_verdicts.py");
    if !tool.is_file() {
        println!("skipped: {} not found", tool.display());
        return;
    }
    let stem = dir.file_name().and_then(|n| n.to_str()).unwrap_or("probes");
    let out = std::env::temp_dir().join(format!("bpfsim-{stem}-{}.jsonl", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(&tool)
        .arg(dir)
        .arg("-o")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let Ok(text) = status.and_then(|_| std::fs::read_to_string(&out)) else {
        println!("skipped: kernel_verdicts.py did not run");
        return;
    };
    let _ = std::fs::remove_file(&out);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for line in text.lines() {
        let rec: serde_json::Value = serde_json::from_str(line).expect("jsonl line is JSON");
        let (Some(file), Some(program)) = (rec["file"].as_str(), rec["program"].as_str()) else {
            continue;
        };
        let said = match rec["kernel_verdict"].as_str() {
            Some("accept") => "accept".to_string(),
            _ => rec["error_line"].as_str().unwrap_or("").to_string(),
        };
        let file = file.trim_end_matches(".o");
        match probes.iter().find(|c| c.0 == file && c.1 == program) {
            Some(c) => {
                seen += 1;
                if c.2 != said {
                    wrong.push(format!(
                        "{file}/{program}: recorded {:?}, kernel now {said:?}",
                        c.2
                    ));
                }
            }
            None => wrong.push(format!("{file}/{program}: not recorded (kernel: {said:?})")),
        }
    }
    println!("kernel re-checked {seen} probes");
    assert_eq!(seen, probes.len(), "some probes were not loaded");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
