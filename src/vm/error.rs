//! Errors of the interpreter: preparing a program and running it. Each names the
//! instruction (slot index) where it happened.

use super::code::PrepareError;
use super::memory::Region;
use crate::helpers::HelperError;
use crate::insn::DecodeError;
use std::fmt;
use thiserror::Error;

/// What a faulting memory access tried to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessKind {
    Load,
    Store,
    Atomic,
}

impl fmt::Display for AccessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessKind::Load => "load",
            AccessKind::Store => "store",
            AccessKind::Atomic => "atomic access",
        })
    }
}

/// A run that stopped with an error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VmError {
    #[error("instruction {pc}: invalid {kind} of {size} bytes at {addr:#x}{}", describe_nearest(*.addr, *.size, .nearest))]
    MemoryAccess {
        pc: usize,
        kind: AccessKind,
        addr: u64,
        size: u64,
        /// The region closest to the address, if any region exists.
        nearest: Option<Region>,
    },
    #[error("instruction {pc}: {fault}")]
    Context { pc: usize, fault: super::CtxFault },
    #[error("instruction {pc}: instruction budget of {budget} exhausted")]
    BudgetExhausted { pc: usize, budget: u64 },
    #[error("execution reached slot {target}, outside the program of {len} slots")]
    PcOutOfRange { target: i64, len: usize },
    #[error("instruction {pc}: jump into the middle of lddw")]
    JumpIntoLd64 { pc: usize },
    #[error("instruction {pc}: call stack exceeds {max} frames")]
    CallDepth { pc: usize, max: usize },
    #[error("instruction {pc}: {} is not implemented by bpfsim", super::code::helper_label(*.id as i64))]
    UnknownHelper { pc: usize, id: u64 },
    #[error("instruction {pc}: helper {name} failed: {source}")]
    Helper {
        pc: usize,
        name: &'static str,
        source: HelperError,
    },
    #[error("no program #{index} in this interpreter")]
    NoSuchProgram { index: usize },
    #[error("instruction {pc}: {what} is not supported here")]
    Unsupported { pc: usize, what: &'static str },
}

fn describe_nearest(addr: u64, size: u64, nearest: &Option<Region>) -> String {
    match nearest {
        None => " (no memory region exists)".into(),
        Some(r) => {
            let end = r.start.wrapping_add(r.len);
            if addr >= r.start && addr < end {
                if !r.writable && addr.saturating_add(size) <= end {
                    format!(" (in read-only {r})")
                } else {
                    format!(" (runs past the end of {r})")
                }
            } else if addr < r.start {
                format!(" ({} bytes before {r})", r.start - addr)
            } else {
                format!(" ({} bytes after the end of {r})", addr - end)
            }
        }
    }
}

impl VmError {
    /// The instruction where the run stopped, when the error has one.
    pub fn pc(&self) -> Option<usize> {
        match *self {
            VmError::MemoryAccess { pc, .. }
            | VmError::BudgetExhausted { pc, .. }
            | VmError::Context { pc, .. }
            | VmError::JumpIntoLd64 { pc }
            | VmError::CallDepth { pc, .. }
            | VmError::UnknownHelper { pc, .. }
            | VmError::Helper { pc, .. }
            | VmError::Unsupported { pc, .. } => Some(pc),
            VmError::PcOutOfRange { .. } | VmError::NoSuchProgram { .. } => None,
        }
    }
}

/// A program that cannot be made ready to run: bad bytes or an unpreparable instruction.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoadError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Prepare(#[from] PrepareError),
}
