//! A bpf_conformance plugin (see `shared/conformance/PROTOCOL.md`):
//! `bpfsim-conformance-plugin [MEM] [--interp|--jit] [--elf]`, the program as hex bytes on
//! stdin, r0 in hex on stdout; errors on stderr with exit code 1.

use bpfsim::helpers::HelperTable;
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
    for (i, arg) in std::env::args().skip(1).enumerate() {
        match arg.as_str() {
            "--interp" => {}
            "--jit" => return Err("the JIT engine is not available yet".into()),
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
    let mut vm =
        Interpreter::from_bytes(&prog, HelperTable::conformance()).map_err(|e| e.to_string())?;
    vm.run_raw(&mut mem)
        .map(|o| o.r0)
        .map_err(|e| e.to_string())
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
