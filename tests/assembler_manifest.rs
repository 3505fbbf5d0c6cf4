//! The assembler against the bpf_conformance suite: every test's `-- asm` section must
//! assemble to the bytes the reference runner produced (`program_hex` in the manifest), and
//! the suite's negative files must be refused the way the reference tools refuse them.

use bpfsim::conformance::DataFile;
use bpfsim::insn::asm::{AsmErrorKind, assemble, assemble_bytes};
use bpfsim::insn::disasm::disassemble;
use bpfsim::insn::{RawInsn, decode_program};
use std::path::Path;

mod common;
use common::conformance_dir;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The program of a `.data` file: its assembled `-- asm` section, else its `-- raw` one.
fn program(file: &DataFile) -> Result<Vec<u8>, String> {
    match (&file.asm, file.raw_bytes()) {
        (Some(asm), _) => assemble_bytes(asm).map_err(|e| e.to_string()),
        (None, Some(raw)) => Ok(raw),
        (None, None) => Err("no asm or raw section".to_string()),
    }
}

#[test]
fn every_manifest_program_assembles_to_its_bytes() {
    let Some(dir) = conformance_dir() else { return };
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&dir.join("manifest.json"))).expect("manifest.json");
    let tests = manifest["tests"].as_array().expect("tests[]");
    assert_eq!(tests.len(), 313, "the manifest lists 313 tests");
    let mut failures = Vec::new();
    let mut checked = 0;
    for t in tests {
        let name = t["file"].as_str().expect("file");
        let want = t["program_hex"].as_str().expect("program_hex");
        let file = match DataFile::parse(&read(&dir.join("tests").join(name))) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: parse: {e}"));
                continue;
            }
        };
        match program(&file) {
            Ok(bytes) if hex(&bytes) == want => checked += 1,
            Ok(bytes) => failures.push(format!(
                "{name}: assembled\n    {}\n  expected\n    {want}",
                hex(&bytes)
            )),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} programs differ:\n{}",
        failures.len(),
        tests.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 313);
}

/// Every manifest program that decodes survives bytes → disassembly → assembler unchanged.
#[test]
fn every_manifest_program_round_trips_through_the_disassembler() {
    let Some(dir) = conformance_dir() else { return };
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&dir.join("manifest.json"))).expect("manifest.json");
    let mut failures = Vec::new();
    let mut decoded = 0;
    for t in manifest["tests"].as_array().expect("tests[]") {
        let name = t["file"].as_str().expect("file");
        let want = t["program_hex"].as_str().expect("program_hex");
        let bytes: Vec<u8> = (0..want.len() / 2)
            .map(|i| u8::from_str_radix(&want[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        let Ok(text) = disassemble(&bytes) else {
            continue; // Programs with invalid instructions (the negative-style cases).
        };
        decoded += 1;
        match assemble_bytes(&text) {
            Ok(back) if back == bytes => {}
            Ok(back) => failures.push(format!("{name}: {}\n  != {want}\n{text}", hex(&back))),
            Err(e) => failures.push(format!("{name}: {e}\n{text}")),
        }
    }
    assert!(decoded > 250, "only {decoded} programs decoded");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What each negative file must give.
enum Refusal {
    /// The assembler refuses the program with this error.
    Asm(fn(&AsmErrorKind) -> bool),
    /// The program is empty (nothing to run; the runner refuses it).
    Empty,
    /// The program assembles (its refusal comes later, from the verifier or the VM).
    Assembles,
}

#[test]
fn negative_files_are_refused() {
    let Some(dir) = conformance_dir() else { return };
    let neg = dir.join("negative");
    let expected: &[(&str, Refusal)] = &[
        (
            "invalid_imm32_dec_range.data",
            Refusal::Asm(|k| matches!(k, AsmErrorKind::ImmOutOfRange { bits: 32, .. })),
        ),
        (
            "invalid_imm32_hex_range.data",
            Refusal::Asm(|k| matches!(k, AsmErrorKind::ImmOutOfRange { bits: 32, .. })),
        ),
        (
            "invalid_label.data",
            Refusal::Asm(|k| matches!(k, AsmErrorKind::UndefinedLabel(l) if l == "NOT_A_LABEL")),
        ),
        (
            "invalid_lock.data",
            Refusal::Asm(
                |k| matches!(k, AsmErrorKind::OperandCount { mnemonic, .. } if mnemonic == "lock"),
            ),
        ),
        (
            "invalid_lock2.data",
            Refusal::Asm(
                |k| matches!(k, AsmErrorKind::OperandCount { mnemonic, .. } if mnemonic == "lock"),
            ),
        ),
        (
            "invalid_mnemonic.data",
            Refusal::Asm(|k| matches!(k, AsmErrorKind::UnknownMnemonic(m) if m == "ldxq")),
        ),
        (
            // `ldxb %r0, %r1`: the second operand must be a memory operand.
            "invalid_offset.data",
            Refusal::Asm(|k| matches!(k, AsmErrorKind::Syntax(_))),
        ),
        (
            "invalid_offset_range.data",
            Refusal::Asm(|k| matches!(k, AsmErrorKind::OffsetOutOfRange { bits: 16, .. })),
        ),
        (
            "invalid_operand_count.data",
            Refusal::Asm(
                |k| matches!(k, AsmErrorKind::OperandCount { mnemonic, got: 1, .. } if mnemonic == "lddw"),
            ),
        ),
        (
            "invalid_register.data",
            Refusal::Asm(|k| matches!(k, AsmErrorKind::InvalidRegister(r) if r == "%r50")),
        ),
        // Its `-- Unknown directive` line starts a section the format ignores, leaving the
        // asm section empty: an empty program.
        ("invalid_unknown_directive.data", Refusal::Empty),
        // No sections at all / only a result: nothing to assemble.
        ("empty.data", Refusal::Empty),
        ("empty_instructions.data", Refusal::Empty),
        // `or %r0, %r10` is well-formed; reading the uninitialised r0 is the verifier's
        // business, not the assembler's.
        ("error.data", Refusal::Assembles),
    ];
    let mut listed: Vec<String> = std::fs::read_dir(&neg)
        .expect("negative/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("invalid_") || n.starts_with("empty") || n == "error.data")
        .collect();
    listed.sort();
    let mut names: Vec<String> = expected.iter().map(|(n, _)| n.to_string()).collect();
    names.sort();
    assert_eq!(
        listed, names,
        "every invalid_/empty/error file has an expectation"
    );

    let mut failures = Vec::new();
    for (name, refusal) in expected {
        let file = DataFile::parse(&read(&neg.join(name))).expect(name);
        let asm = file.asm.as_deref();
        match refusal {
            Refusal::Asm(want) => match assemble(asm.unwrap_or("")) {
                Err(e) if want(&e.kind) => {
                    // Errors name a line of the asm section.
                    if e.line == 0 {
                        failures.push(format!("{name}: error without a line: {e}"));
                    }
                }
                Err(e) => failures.push(format!("{name}: wrong error: {e}")),
                Ok(p) => failures.push(format!("{name}: assembled to {} slots", p.len())),
            },
            Refusal::Empty => {
                let prog = match (asm, file.raw_bytes()) {
                    (Some(a), _) => assemble(a).map_err(|e| e.to_string()),
                    (None, Some(raw)) => RawInsn::slots(&raw).map_err(|e| e.to_string()),
                    (None, None) => Ok(Vec::new()),
                };
                match prog {
                    Ok(p) if p.is_empty() => {}
                    other => failures.push(format!("{name}: expected empty, got {other:?}")),
                }
            }
            Refusal::Assembles => {
                if let Err(e) = assemble(asm.unwrap_or("")) {
                    failures.push(format!("{name}: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The `unused-*` files set a reserved field of an otherwise valid instruction.
#[test]
fn unused_field_files_fail_to_decode() {
    let Some(dir) = conformance_dir() else { return };
    let neg = dir.join("negative");
    let mut names: Vec<String> = std::fs::read_dir(&neg)
        .expect("negative/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("unused-"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 40,
        "found only {} unused-* files",
        names.len()
    );
    let mut failures = Vec::new();
    for name in &names {
        let file = DataFile::parse(&read(&neg.join(name))).expect(name);
        let bytes = match (file.raw_bytes(), &file.asm) {
            (Some(raw), _) => raw,
            (None, Some(asm)) => assemble_bytes(asm).expect(name),
            (None, None) => panic!("{name}: no program"),
        };
        let slots = RawInsn::slots(&bytes).expect(name);
        if let Ok(p) = decode_program(&slots) {
            failures.push(format!("{name}: decoded to {p:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
