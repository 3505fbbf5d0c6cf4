//! `bpfsim disasm`: a raw program, or the programs of an object, as an llvm-objdump style
//! listing; for objects with line info each source line is printed above its instructions
//! (like `llvm-objdump -dl`), subprograms are labelled and map references named.

use super::{CliError, read_file};
use crate::helpers::helper_name;
use crate::insn::disasm::{insn_text, line};
use crate::insn::{CallTarget, Insn, decode_slot, opcode};
use crate::object::{Object, Program};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DisasmArgs {
    /// A BPF ELF object (or use --raw).
    #[arg(
        value_name = "OBJ",
        required_unless_present = "raw",
        conflicts_with = "raw"
    )]
    pub object: Option<PathBuf>,
    /// Only this program of the object.
    #[arg(long, value_name = "NAME")]
    pub program: Option<String>,
    /// A raw program: little-endian 8-byte instruction slots.
    #[arg(long, value_name = "PROG.bin")]
    pub raw: Option<PathBuf>,
}

pub fn disasm(a: DisasmArgs) -> Result<(), CliError> {
    if let Some(raw) = &a.raw {
        let bytes = read_file(raw)?;
        let text = crate::insn::disasm::disassemble(&bytes)
            .map_err(|e| CliError::Input(format!("{}: {e}", raw.display())))?;
        out!("{text}");
        return Ok(());
    }
    let Some(path) = &a.object else {
        return Err(CliError::Input(
            "give an object file or --raw PROG.bin".into(),
        ));
    };
    let obj =
        Object::from_file(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let programs: Vec<&Program> = match &a.program {
        Some(name) => vec![obj.program(name).ok_or_else(|| {
            CliError::Input(format!("{}: no program named {name:?}", path.display()))
        })?],
        None => obj.programs.iter().collect(),
    };
    let mut out = String::new();
    for p in programs {
        listing(&mut out, &obj, p);
    }
    out!("{out}");
    Ok(())
}

/// One program's listing. Undecodable slots print as `<unknown: reason>`, as llvm-objdump
/// prints `<unknown>`, and the listing goes on.
fn listing(out: &mut String, obj: &Object, p: &Program) {
    let _ = writeln!(
        out,
        "{} (section {}, {}, {} insns):",
        p.name,
        p.section,
        p.prog_type,
        p.insns.len()
    );
    let mut last_line = None;
    let mut pc = 0;
    while pc < p.insns.len() {
        if let Some(sub) = p.subprogs.iter().find(|s| s.start == pc) {
            let _ = writeln!(out, "<{}>:", sub.name);
        }
        if let Some(src) = p.source_line(pc) {
            let key = (src.file.clone(), src.line);
            if last_line.as_ref() != Some(&key) {
                let _ = writeln!(out, "; {}  [{}:{}]", src.text.trim(), src.file, src.line);
                last_line = Some(key);
            }
        }
        match decode_slot(&p.insns, pc) {
            Ok(insn) => {
                let n = insn.slots();
                let mut text = insn_text(&insn);
                let src = p.insns[pc].src;
                let note = match insn {
                    Insn::Call(CallTarget::Helper(id)) => u64::try_from(id)
                        .ok()
                        .and_then(helper_name)
                        .map(|name| format!("bpf_{name}")),
                    Insn::Ld64 { imm, .. }
                        if src == opcode::PSEUDO_MAP_IDX || src == opcode::PSEUDO_MAP_IDX_VALUE =>
                    {
                        usize::try_from(imm)
                            .ok()
                            .and_then(|i| obj.maps.get(i))
                            .map(|m| format!("map {}", m.name))
                    }
                    _ => None,
                };
                if let Some(note) = note {
                    let _ = write!(text, "  ; {note}");
                }
                line(out, pc, &p.insns[pc..(pc + n).min(p.insns.len())], &text);
                pc += n;
            }
            Err(e) => {
                line(
                    out,
                    pc,
                    &p.insns[pc..pc + 1],
                    &format!("<unknown: {}>", e.kind),
                );
                pc += 1;
            }
        }
    }
    out.push('\n');
}
