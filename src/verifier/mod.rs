//! The verifier: Linux's algorithm from `kernel/bpf/verifier.c` (as of the 6.18 kernel), so
//! that bpfsim gives exactly the kernel's verdicts.
//!
//! It is being built bottom-up, as pure modules with no knowledge of programs yet:
//! - [`tnum`]: tracked numbers, what is known about each bit of a value (`kernel/bpf/tnum.c`).
//!
//! The kernel's names are kept for its concepts so that kernel readers feel at home.

pub mod tnum;

pub use tnum::Tnum;
