//! `bpfsim disasm`: raw program → llvm-objdump style listing.

use super::{CliError, read_file};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DisasmArgs {
    /// The program: raw little-endian 8-byte instruction slots.
    #[arg(long, value_name = "PROG.bin")]
    pub raw: PathBuf,
}

pub fn disasm(a: DisasmArgs) -> Result<(), CliError> {
    let bytes = read_file(&a.raw)?;
    let text = crate::insn::disasm::disassemble(&bytes)
        .map_err(|e| CliError::Input(format!("{}: {e}", a.raw.display())))?;
    print!("{text}");
    Ok(())
}
