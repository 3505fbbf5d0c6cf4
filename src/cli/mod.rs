//! The `bpfsim` command line: argument definitions and one module per subcommand. Exit codes:
//! 0 success, 1 the program was refused or failed at run time, 2 the input cannot be used.

#[macro_use]
mod output;
mod asm;
mod bench;
mod disasm;
mod inspect;
mod pcap;
mod run;
mod test;
mod verify;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Parser, Debug)]
#[command(
    name = "bpfsim",
    version,
    about = "A userspace eBPF engine: verify and run BPF programs without a kernel"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a program and print its return value (r0).
    Run(Box<run::RunArgs>),
    /// Disassemble a raw program in llvm-objdump syntax.
    Disasm(disasm::DisasmArgs),
    /// Assemble a program (llvm-objdump or bpf_conformance syntax) into raw bytes.
    Asm(asm::AsmArgs),
    /// Show the programs, maps, BTF and line info the loader finds in an object file.
    Inspect(inspect::InspectArgs),
    /// List the kernel helpers bpfsim implements (id and name).
    Helpers,
    /// Run the verifier over an object's programs: accept or reject, as Linux 6.18 would.
    Verify(verify::VerifyArgs),
    /// Time a program on every engine (interpreter, JIT) over the same input; print ratios.
    Bench(bench::BenchArgs),
    /// Run spec files' test cases (TOML): inputs, events, maps, expected results.
    Test(test::TestArgs),
}

/// Why a command failed, with the exit code it maps to.
#[derive(Debug, Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The input cannot be used (bad bytes, bad syntax, unsupported option): exit 2.
    #[error("{0}")]
    Input(String),
    /// The program failed when run: exit 1.
    #[error("{0}")]
    Run(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Run(_) => 1,
            CliError::Io { .. } | CliError::Input(_) => 2,
        }
    }
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Opens an object for a command that runs it, with `--prog-type` applied.
pub(crate) fn open_session(
    path: &Path,
    prog_type: Option<&str>,
) -> Result<crate::session::Session, CliError> {
    let mut session = crate::session::Session::open(path)
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    for note in session.fixups() {
        eprintln!("bpfsim: note: {}: {note}", path.display());
    }
    if let Some(name) = prog_type {
        let t = crate::progtype::ProgType::from_name(name)
            .ok_or_else(|| CliError::Input(format!("unknown program type \"{name}\"")))?;
        session.set_prog_type(t);
    }
    Ok(session)
}

/// The packet (`--data-in`, empty without it) and context (`--ctx-in`) files of a run.
pub(crate) fn read_run_input(
    data_in: Option<&Path>,
    ctx_in: Option<&Path>,
) -> Result<(Vec<u8>, Option<Vec<u8>>), CliError> {
    let data = data_in.map(read_file).transpose()?.unwrap_or_default();
    let ctx = ctx_in.map(read_file).transpose()?;
    Ok((data, ctx))
}

/// The program a command works on: the one named, or the object's only one.
pub(crate) fn choose_program(
    session: &crate::session::Session,
    name: Option<&str>,
    path: &Path,
) -> Result<String, CliError> {
    let names: Vec<&str> = session
        .object()
        .programs
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    match (name, names.as_slice()) {
        (Some(p), _) => Ok(p.to_string()),
        (None, [only]) => Ok(only.to_string()),
        (None, _) => Err(CliError::Input(format!(
            "{}: the object has {} programs, choose one with --program ({})",
            path.display(),
            names.len(),
            names.join(", ")
        ))),
    }
}

/// Runs one parsed command line.
pub fn dispatch(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run(a) => run::run(*a),
        Command::Disasm(a) => disasm::disasm(a),
        Command::Asm(a) => asm::asm(a),
        Command::Inspect(a) => inspect::inspect(a),
        Command::Verify(a) => verify::verify(a),
        Command::Bench(a) => bench::bench(a),
        Command::Test(a) => test::test(a),
        Command::Helpers => {
            for (id, h) in crate::helpers::HelperTable::kernel().iter() {
                outln!("{id:4} bpf_{}", h.name);
            }
            Ok(())
        }
    }
}
