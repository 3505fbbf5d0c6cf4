//! The verifier: Linux's algorithm from `kernel/bpf/verifier.c` (as of the 6.18 kernel), so
//! that bpfsim gives exactly the kernel's verdicts.
//!
//! It is being built bottom-up, as pure modules with no knowledge of programs yet:
//! - [`tnum`]: tracked numbers, what is known about each bit of a value (`kernel/bpf/tnum.c`).
//! - [`scalar`]: the scalar part of a register state — `var_off` plus signed/unsigned 64- and
//!   32-bit bounds — with `reg_bounds_sync`, the ALU transfer functions
//!   (`adjust_scalar_min_max_vals`), `is_branch_taken` and `reg_set_min_max`.
//! - [`print`](mod@print): the verifier log's rendering of a scalar (`R1=scalar(smin=...,var_off=...)`).
//!
//! The kernel's names are kept for its concepts so that kernel readers feel at home; the
//! code is written anew from the kernel's documented behaviour, not copied.
//!
//! Where the 6.12 sources and the running 6.18 kernel differ, the running kernel decides:
//! the `kernel_logs` tests replay verifier logs recorded from it and requires
//! every scalar register state they print to come out the same here.

#[cfg(test)]
mod kernel_logs;
pub mod print;
pub mod scalar;
pub mod tnum;

pub use scalar::ScalarBounds;
pub use tnum::Tnum;
