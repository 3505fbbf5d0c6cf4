//! [`VerifierError`]: why the verifier refuses a program, the way the kernel says it.
//!
//! The kernel's verifier writes its reasons to the log and returns an errno from
//! `bpf(BPF_PROG_LOAD)`. A [`VerifierError`] keeps both: the log's last line verbatim
//! ([`VerifierError::message`]), the errno ([`Errno`]), the instruction the error is about,
//! the pass that found it ([`Pass`]) and, where the object has line info, the source line
//! of that instruction.
//!
//! `Display` prints `insn 12: jump out of range from insn 12 to 40`, followed on a second
//! line by the source line as the kernel's log shows it (`; if (x > 4) @ prog.c:33`) when
//! it is known.

use crate::object::{Program, SourceLine};
use std::fmt;

/// The errno `bpf(BPF_PROG_LOAD)` fails with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Errno {
    /// `EPERM` (1): an operation the caller's capabilities do not allow.
    Perm,
    /// `ENOENT` (2).
    NoEnt,
    /// `ENXIO` (6).
    NxIo,
    /// `E2BIG` (7): a limit was reached (subprograms, maps, complexity).
    TooBig,
    /// `EBADF` (9).
    BadF,
    /// `EACCES` (13): the program is unsafe.
    Acces,
    /// `EFAULT` (14).
    Fault,
    /// `EBUSY` (16).
    Busy,
    /// `EINVAL` (22): the program is malformed.
    Inval,
    /// `EPROTO` (71).
    Proto,
    /// `EOPNOTSUPP` (95).
    OpNotSupp,
    /// `ENOTSUPP` (524, kernel-internal, seen by user space as 524).
    NotSupp,
}

impl Errno {
    /// The errno's number.
    pub const fn code(self) -> i32 {
        match self {
            Errno::Perm => 1,
            Errno::NoEnt => 2,
            Errno::NxIo => 6,
            Errno::TooBig => 7,
            Errno::BadF => 9,
            Errno::Acces => 13,
            Errno::Fault => 14,
            Errno::Busy => 16,
            Errno::Inval => 22,
            Errno::Proto => 71,
            Errno::OpNotSupp => 95,
            Errno::NotSupp => 524,
        }
    }

    /// The errno's C name (`EINVAL`), as `errno(3)` spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Errno::Perm => "EPERM",
            Errno::NoEnt => "ENOENT",
            Errno::NxIo => "ENXIO",
            Errno::TooBig => "E2BIG",
            Errno::BadF => "EBADF",
            Errno::Acces => "EACCES",
            Errno::Fault => "EFAULT",
            Errno::Busy => "EBUSY",
            Errno::Inval => "EINVAL",
            Errno::Proto => "EPROTO",
            Errno::OpNotSupp => "EOPNOTSUPP",
            Errno::NotSupp => "ENOTSUPP",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kernel pass (a function called by `bpf_check`) that found an error, in the order
/// `bpf_check` runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pass {
    /// `bpf_prog_load`: the syscall's own checks before the verifier runs (these leave the
    /// log empty, so the message is empty too).
    ProgLoad,
    /// `check_btf_info_early`: the order of the func_info records.
    CheckBtfInfoEarly,
    /// `add_subprog_and_kfunc`: subprogram starts and kfunc calls.
    AddSubprogAndKfunc,
    /// `check_subprogs`: jumps stay inside their subprogram, subprograms end in exit/jump.
    CheckSubprogs,
    /// `check_btf_info`: func_info and line_info against the subprogram layout.
    CheckBtfInfo,
    /// `resolve_pseudo_ldimm64`: `lddw` forms, map and BTF references, the opcode table.
    ResolvePseudoLdimm64,
    /// `check_cfg`: the depth-first walk of the control-flow graph.
    CheckCfg,
    /// `do_check`: the path-by-path walk with register states.
    DoCheck,
}

/// A program the verifier refuses, with the kernel's reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insn {insn}: {message}{}", fmt_line(.line.as_ref()))]
pub struct VerifierError {
    insn: usize,
    message: String,
    errno: Errno,
    pass: Pass,
    line: Option<SourceLine>,
    path: Vec<(usize, bool)>,
}

impl VerifierError {
    /// An error at instruction `insn` with the kernel's log line `message` (no newline).
    pub fn new(pass: Pass, insn: usize, errno: Errno, message: impl Into<String>) -> Self {
        VerifierError {
            insn,
            message: message.into(),
            errno,
            pass,
            line: None,
            path: Vec::new(),
        }
    }

    /// Shorthand for the most common case: `EINVAL`.
    pub fn inval(pass: Pass, insn: usize, message: impl Into<String>) -> Self {
        VerifierError::new(pass, insn, Errno::Inval, message)
    }

    /// Attaches the source line of the error's instruction from the program's line info.
    pub fn with_source_from(mut self, program: &Program) -> Self {
        self.line = program.source_line(self.insn).cloned();
        self
    }

    /// Attaches a source line.
    pub fn with_source(mut self, line: Option<SourceLine>) -> Self {
        self.line = line;
        self
    }

    /// Attaches the branch decisions that led to the error (`do_check` only): each
    /// conditional jump on the path and whether it was taken. The kernel does not print
    /// this; it says which path a rejection is about.
    pub fn with_path(mut self, path: Vec<(usize, bool)>) -> Self {
        self.path = path;
        self
    }

    /// The branch decisions on the path to the error: (jump instruction, taken).
    pub fn path(&self) -> &[(usize, bool)] {
        &self.path
    }

    /// The instruction (slot index) the error is about.
    pub fn insn(&self) -> usize {
        self.insn
    }

    /// The kernel's log line, verbatim and without its newline: what the kernel's log shows
    /// last before `processed N insns` (when it shows that).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The errno `BPF_PROG_LOAD` returns.
    pub fn errno(&self) -> Errno {
        self.errno
    }

    /// The pass that found the error.
    pub fn pass(&self) -> Pass {
        self.pass
    }

    /// The source line of the instruction, where the object's line info gives it.
    pub fn source_line(&self) -> Option<&SourceLine> {
        self.line.as_ref()
    }
}

/// The second line of the `Display` form: the source line as the kernel's log prints it.
fn fmt_line(line: Option<&SourceLine>) -> String {
    match line {
        Some(s) => format!(
            "\n; {} @ {}:{}",
            s.text.trim_start(),
            file_name(&s.file),
            s.line
        ),
        None => String::new(),
    }
}

/// The kernel's log prints the file name without its directories.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_instruction_and_the_source_line() {
        let e = VerifierError::inval(Pass::CheckCfg, 12, "jump out of range from insn 12 to 40");
        assert_eq!(
            e.to_string(),
            "insn 12: jump out of range from insn 12 to 40"
        );
        let e = e.with_source(Some(SourceLine {
            file: "/src/prog.c".into(),
            line: 33,
            col: 5,
            text: "    if (x > 4)".into(),
        }));
        assert_eq!(
            e.to_string(),
            "insn 12: jump out of range from insn 12 to 40\n; if (x > 4) @ prog.c:33"
        );
        assert_eq!(e.message(), "jump out of range from insn 12 to 40");
        assert_eq!(e.errno().code(), 22);
        assert_eq!(e.source_line().map(|s| s.line), Some(33));
    }

    #[test]
    fn passes_are_ordered_as_bpf_check_runs_them() {
        assert!(Pass::ProgLoad < Pass::CheckBtfInfoEarly);
        assert!(Pass::CheckBtfInfoEarly < Pass::AddSubprogAndKfunc);
        assert!(Pass::AddSubprogAndKfunc < Pass::CheckSubprogs);
        assert!(Pass::CheckSubprogs < Pass::CheckBtfInfo);
        assert!(Pass::CheckBtfInfo < Pass::ResolvePseudoLdimm64);
        assert!(Pass::ResolvePseudoLdimm64 < Pass::CheckCfg);
        assert!(Pass::CheckCfg < Pass::DoCheck);
    }
}
