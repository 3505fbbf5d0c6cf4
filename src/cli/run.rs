//! `bpfsim run`: run a program on input memory and print r0, optionally many times to
//! measure the average duration (like `bpftool prog run ... repeat N`).

use super::{CliError, read_file, write_file};
use crate::helpers::HelperTable;
use crate::vm::Interpreter;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The program: raw little-endian 8-byte instruction slots.
    #[arg(long, value_name = "PROG.bin")]
    pub raw: PathBuf,
    /// Input memory: r1 points to a writable copy of this file's bytes, r2 holds its length.
    #[arg(long, value_name = "FILE")]
    pub mem_in: Option<PathBuf>,
    /// Write the input memory as the program left it to this file.
    #[arg(long, value_name = "FILE")]
    pub mem_out: Option<PathBuf>,
    /// Run N times (each on a fresh copy of the input) and report the average duration.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: u64,
    /// Most instructions one run may execute.
    #[arg(long, default_value_t = crate::vm::DEFAULT_BUDGET, value_name = "N")]
    pub budget: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: RunArgs) -> Result<(), CliError> {
    let prog = read_file(&a.raw)?;
    let input = match &a.mem_in {
        Some(p) => read_file(p)?,
        None => Vec::new(),
    };
    let mut vm = Interpreter::from_bytes(&prog, HelperTable::conformance())
        .map_err(|e| CliError::Input(format!("{}: {e}", a.raw.display())))?;
    vm.set_budget(a.budget);
    let repeat = a.repeat.max(1);
    let mut mem = input.clone();
    let mut outcome = None;
    let start = Instant::now();
    for i in 0..repeat {
        if i > 0 {
            mem.copy_from_slice(&input);
        }
        outcome = Some(
            vm.run_raw(&mut mem)
                .map_err(|e| CliError::Run(e.to_string()))?,
        );
    }
    let elapsed = start.elapsed();
    let Some(out) = outcome else {
        return Err(CliError::Run("the program did not run".into()));
    };
    let avg_ns = elapsed.as_nanos() / repeat as u128;
    if let Some(p) = &a.mem_out {
        write_file(p, &mem)?;
    }
    if a.json {
        let v = serde_json::json!({
            "r0": out.r0,
            "r0_hex": format!("{:#x}", out.r0),
            "insns": out.insns,
            "repeat": repeat,
            "duration_ns": avg_ns as u64,
        });
        println!("{v}");
    } else {
        println!("Return value: {} ({:#x})", out.r0, out.r0);
        println!("Instructions executed: {}", out.insns);
        if a.repeat > 1 {
            println!("Duration (average of {repeat} runs): {avg_ns}ns");
        }
    }
    Ok(())
}
