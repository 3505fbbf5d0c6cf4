//! The interpreter. Runs a lowered program ([`code::Op`]s) over checked memory: every load,
//! store and atomic is translated through the [`memory::MemoryMap`] or the current stack
//! frames; bpf-to-bpf calls get a fresh 512-byte frame (8 frames at most) and keep r6–r9;
//! an instruction budget stops runaway programs.

pub mod alu;
pub mod code;
mod env;
mod error;
pub mod frame_use;
mod interp;
pub mod memory;

pub use code::PrepareError;
pub use env::{CtxAccess, CtxFault, Env, LegacyLoad};
pub use error::{AccessKind, LoadError, VmError};
pub use interp::{CALLBACK_TAG, Interpreter, MAX_TAIL_CALLS, Outcome, callback_pc};
pub(crate) use interp::{
    Machine, atomic, atomic_target, legacy_packet_load, load_slow, run_callback, store_slow,
};

/// Bytes of stack each call frame gets.
pub const STACK_SIZE: usize = 512;
/// Most call frames a program may have at once (the entry frame included), as in Linux.
pub const MAX_CALL_FRAMES: usize = 8;
/// Instructions a run may execute unless the embedder sets another budget.
pub const DEFAULT_BUDGET: u64 = 100_000_000;
/// Iterations `may_goto` allows before it jumps (Linux's `BPF_MAX_LOOPS`).
pub const MAY_GOTO_LOOPS: u64 = 8 * 1024 * 1024;
