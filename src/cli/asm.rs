//! `bpfsim asm`: assembly text (llvm-objdump or bpf_conformance syntax) → raw program.

use super::{CliError, read_file, write_file};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct AsmArgs {
    /// The source file.
    pub source: PathBuf,
    /// Where to write the raw program.
    #[arg(short, long, value_name = "PROG.bin")]
    pub output: PathBuf,
}

pub fn asm(a: AsmArgs) -> Result<(), CliError> {
    let src = read_file(&a.source)?;
    let text = String::from_utf8(src)
        .map_err(|_| CliError::Input(format!("{}: not UTF-8 text", a.source.display())))?;
    let bytes = crate::insn::asm::assemble_bytes(&text)
        .map_err(|e| CliError::Input(format!("{}: {e}", a.source.display())))?;
    write_file(&a.output, &bytes)
}
