//! bpfsim: a userspace eBPF engine. Loads BPF programs, verifies them the way the Linux
//! kernel does and runs them in an interpreter (and later a JIT) against simulated memory,
//! maps and helpers.
//!
//! Data flows one way: [`insn`] (bytes → typed instructions) → [`vm`] (interpreter) → an
//! outcome (r0 and memory).

pub mod cli;
pub mod conformance;
pub mod helpers;
pub mod insn;
pub mod maps;
pub mod object;
pub mod progtype;
pub mod session;
pub mod verifier;
pub mod vm;
