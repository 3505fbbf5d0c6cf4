//! The bpf_conformance suite through the library and through the plugin binary: every
//! `.data` test, assembled by our assembler from its `-- asm` section, must give the expected
//! r0 in the interpreter and in the JIT (both modes); the plugin must pass every manifest
//! entry by the protocol with `--interp` and with `--jit`; the negative files must be refused
//! with a clear error, never a panic.

mod common;

use bpfsim::conformance::DataFile;
use bpfsim::helpers::HelperTable;
use bpfsim::insn::asm::assemble_bytes;
use bpfsim::vm::Interpreter;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn program_of(file: &DataFile) -> Vec<u8> {
    match (&file.asm, file.raw_bytes()) {
        (Some(asm), _) => assemble_bytes(asm).expect("assembles"),
        (None, Some(raw)) => raw,
        (None, None) => panic!("no program"),
    }
}

#[test]
fn every_data_file_runs_to_its_result_in_the_interpreter() {
    let Some(dir) = conformance_dir() else { return };
    let mut failures = Vec::new();
    let mut passed = 0;
    for entry in manifest(&dir) {
        let name = entry["file"].as_str().expect("file name");
        let text = std::fs::read_to_string(dir.join("tests").join(name)).expect("readable");
        let file = DataFile::parse(&text).expect("parses");
        let prog = program_of(&file);
        let want = file.result.expect("has a result");
        let mut mem = file.mem.clone();
        let got = Interpreter::from_bytes(&prog, HelperTable::conformance())
            .map_err(|e| e.to_string())
            .and_then(|mut vm| vm.run_raw(&mut mem).map_err(|e| e.to_string()));
        match got {
            Ok(o) if o.r0 == want => passed += 1,
            other => failures.push(format!("{name}: want {want:#x}, got {other:?}")),
        }
    }
    println!("{passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(passed, 313);
}

#[test]
fn every_data_file_runs_to_its_result_in_the_jit_in_both_modes() {
    use bpfsim::jit::{Jit, JitMode};
    let Some(dir) = conformance_dir() else { return };
    for mode in [JitMode::Checked, JitMode::Verified] {
        let mut failures = Vec::new();
        let mut passed = 0;
        for entry in manifest(&dir) {
            let name = entry["file"].as_str().expect("file name");
            let text = std::fs::read_to_string(dir.join("tests").join(name)).expect("readable");
            let file = DataFile::parse(&text).expect("parses");
            let prog = program_of(&file);
            let want = file.result.expect("has a result");
            let mut mem = file.mem.clone();
            let got = Jit::from_bytes(&prog, HelperTable::conformance(), mode)
                .map_err(|e| e.to_string())
                .and_then(|mut jit| jit.run_raw(&mut mem).map_err(|e| e.to_string()));
            match got {
                Ok(o) if o.r0 == want => passed += 1,
                other => failures.push(format!("{name}: want {want:#x}, got {other:?}")),
            }
        }
        println!("{mode:?}: {passed} passed, {} failed", failures.len());
        assert!(failures.is_empty(), "{mode:?}: {}", failures.join("\n"));
        assert_eq!(passed, 313);
    }
}

struct PluginRun {
    status: i32,
    stdout: String,
    stderr: String,
}

fn plugin(mem: &[u8], program: &[u8], options: &[&str]) -> PluginRun {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bpfsim-conformance-plugin"));
    if !mem.is_empty() {
        cmd.arg(spaced_hex(mem));
    }
    cmd.args(options);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("plugin starts");
    let mut stdin = child.stdin.take().expect("stdin");
    // A plugin that refuses its arguments may exit before reading: ignore a broken pipe.
    let _ = writeln!(stdin, "{}", spaced_hex(program));
    drop(stdin);
    let out = child.wait_with_output().expect("plugin finishes");
    PluginRun {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).trim().to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    }
}

#[test]
fn plugin_passes_the_manifest_by_the_protocol() {
    plugin_passes_the_manifest_with("--interp");
}

#[test]
fn plugin_passes_the_manifest_with_the_jit() {
    plugin_passes_the_manifest_with("--jit");
}

fn plugin_passes_the_manifest_with(engine: &str) {
    let Some(dir) = conformance_dir() else { return };
    let mut failures = Vec::new();
    let mut passed = 0;
    for entry in manifest(&dir) {
        let name = entry["file"].as_str().expect("file name");
        let prog = hex_to_bytes(entry["program_hex"].as_str().expect("program_hex"));
        let mem = hex_to_bytes(entry["mem_hex"].as_str().expect("mem_hex"));
        let want = expected_result(&entry);
        let run = plugin(&mem, &prog, &[engine]);
        let got = u64::from_str_radix(&run.stdout, 16).ok();
        if run.status == 0 && got == Some(want) {
            passed += 1;
        } else {
            failures.push(format!(
                "{name}: want {want:#x}, rc={} out={:?} err={:?}",
                run.status, run.stdout, run.stderr
            ));
        }
    }
    println!("{engine}: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(passed, 313);
}

#[test]
fn plugin_refuses_reserved_fields_with_a_message() {
    let Some(dir) = conformance_dir() else { return };
    let mut seen = 0;
    for entry in std::fs::read_dir(dir.join("negative")).expect("negative dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !name.starts_with("unused-") {
            continue;
        }
        let file =
            DataFile::parse(&std::fs::read_to_string(&path).expect("readable")).expect("parses");
        let prog = file.raw_bytes().expect("unused-* files are raw");
        for engine in ["--interp", "--jit"] {
            let run = plugin(&file.mem, &prog, &[engine]);
            assert_eq!(
                run.status, 1,
                "{name} {engine}: rc={} out={:?}",
                run.status, run.stdout
            );
            assert!(
                run.stderr.contains("instruction"),
                "{name} {engine}: {:?}",
                run.stderr
            );
            assert!(run.stdout.is_empty(), "{name}: printed {:?}", run.stdout);
        }
        seen += 1;
    }
    assert_eq!(seen, 45);
}

#[test]
fn incorrect_expected_result_is_detected() {
    // negative/incorrect_return_value_high_bits.data expects a value the program does not
    // return: a runner must report the mismatch rather than accept it.
    let Some(dir) = conformance_dir() else { return };
    let path = dir.join("negative/incorrect_return_value_high_bits.data");
    let file = DataFile::parse(&std::fs::read_to_string(path).expect("readable")).expect("parses");
    let mut mem = file.mem.clone();
    let mut vm =
        Interpreter::from_bytes(&program_of(&file), HelperTable::conformance()).expect("loads");
    let got = vm.run_raw(&mut mem).expect("runs").r0;
    assert_eq!(got, 0x8877665544332211);
    assert_ne!(Some(got), file.result);
}

#[test]
fn plugin_reports_bad_input_without_panicking() {
    for (args, stdin) in [
        (vec!["zz"], "95 00 00 00 00 00 00 00"),
        (vec![], "95 00 00"),
        (vec![], "not hex"),
        (vec!["--bogus"], "95 00 00 00 00 00 00 00 00"),
        (vec![], ""),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bpfsim-conformance-plugin"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .ok(); // the plugin may exit before reading (a refused option): not a failure
        let out = child.wait_with_output().expect("finishes");
        assert_eq!(out.status.code(), Some(1), "{args:?} {stdin:?}");
        assert!(!out.stderr.is_empty());
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}
