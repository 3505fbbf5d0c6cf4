//! The verifier: Linux's algorithm from `kernel/bpf/verifier.c` (as of the 6.18 kernel), so
//! that bpfsim gives exactly the kernel's verdicts.
//!
//! Built bottom-up. First, pure modules with no knowledge of programs:
//! - [`tnum`]: tracked numbers, what is known about each bit of a value (`kernel/bpf/tnum.c`).
//! - [`scalar`]: the scalar part of a register state — `var_off` plus signed/unsigned 64- and
//!   32-bit bounds — with `reg_bounds_sync`, the ALU transfer functions
//!   (`adjust_scalar_min_max_vals`), `is_branch_taken` and `reg_set_min_max`.
//! - [`print`](mod@print): the verifier log's rendering of a scalar (`R1=scalar(smin=...,var_off=...)`).
//!
//! And the structural passes `bpf_check` runs before `do_check`, over raw slots:
//! - [`subprog`]: `add_subprog_and_kfunc` and `check_subprogs` (function boundaries, jumps
//!   that stay inside their function, functions that end in exit or jump);
//! - [`resolve`]: `resolve_pseudo_ldimm64` (opcode table, `lddw` forms, map references);
//! - [`cfg`](mod@cfg): `check_cfg` (unreachable code, loops for the unprivileged, prune points and
//!   checkpoints), `compute_postorder` and `compute_scc`;
//! - [`preflight`](mod@preflight): all of them in the kernel's order, [`preflight()`];
//! - [`fields`]: the reserved-field rules `do_check` applies where a path reaches;
//! - [`state`], [`do_check`](mod@do_check), [`helper_model`]: the path-by-path walk with
//!   register and stack states, helper calls, references, callbacks, precision and pruning;
//! - [`stack_depth`]: the stack-size limits checked after the walk;
//! - [`stack_liveness`]: which stack slots may still be read (6.18's `liveness.c`);
//! - [`error`]: [`VerifierError`], the kernel's message with its instruction and source line.
//!
//! The kernel's names are kept for its concepts so that kernel readers feel at home; the
//! code is written anew from the kernel's documented behaviour, not copied.
//!
//! Where the 6.12 sources and the running 6.18 kernel differ, the running kernel decides:
//! the `kernel_logs` tests replay verifier logs recorded from it and requires
//! every scalar register state they print to come out the same here.

pub mod cfg;
pub mod do_check;
pub mod error;
pub mod fields;
pub mod helper_model;
#[cfg(test)]
mod kernel_logs;
pub mod liveness;
pub mod preflight;
pub mod print;
pub mod resolve;
pub mod scalar;
pub mod stack_depth;
pub mod stack_liveness;
pub mod state;
pub mod subprog;
pub mod tnum;

pub use do_check::{
    CheckEnv, Stats, Verification, do_check, do_check_with_log, verify, verify_with_log,
};
pub use error::{Errno, Pass, VerifierError};
pub use helper_model::{HelperModel, KernelHelpers, MapHelpers};
pub use preflight::{Preflight, PreflightOptions, preflight, preflight_insns};
pub use resolve::MapRefs;
pub use scalar::ScalarBounds;
pub use tnum::Tnum;
