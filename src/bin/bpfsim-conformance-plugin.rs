//! A bpf_conformance plugin (see `shared/conformance/PROTOCOL.md`):
//! `bpfsim-conformance-plugin [MEM] [--interp|--jit] [--elf]`, the program as hex bytes on
//! stdin, r0 in hex on stdout; errors on stderr with exit code 1.

use bpfsim::engine::Engine;
use bpfsim::helpers::HelperTable;
use bpfsim::jit::{Jit, JitMode};
use bpfsim::vm::Interpreter;
use std::io::Read;
use std::process::ExitCode;

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    text.split_whitespace()
        .map(|w| u8::from_str_radix(w, 16).map_err(|_| format!("invalid hex byte {w:?}")))
        .collect()
}

fn run() -> Result<u64, String> {
    let mut mem = Vec::new();
    let mut engine = Engine::Interp;
    for (i, arg) in std::env::args().skip(1).enumerate() {
        match arg.as_str() {
            "--interp" => engine = Engine::Interp,
            // Checked mode: the plugin runs unverified programs.
            "--jit" => engine = Engine::Jit,
            "--elf" => return Err("ELF input is not supported yet".into()),
            a if i == 0 && !a.starts_with("--") => mem = parse_hex(a)?,
            a => return Err(format!("unknown option {a:?}")),
        }
    }
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("reading the program from stdin: {e}"))?;
    let prog = parse_hex(&input)?;
    let outcome = match engine {
        Engine::Interp => Interpreter::from_bytes(&prog, HelperTable::conformance())
            .map_err(|e| e.to_string())?
            .run_raw(&mut mem),
        Engine::Jit => Jit::from_bytes(&prog, HelperTable::conformance(), JitMode::Checked)
            .map_err(|e| e.to_string())?
            .run_raw(&mut mem),
    };
    outcome.map(|o| o.r0).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(r0) => {
            println!("{r0:x}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
