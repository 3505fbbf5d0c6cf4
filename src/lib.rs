//! bpfsim: a userspace eBPF engine. It loads BPF ELF objects, verifies their programs the
//! way the Linux kernel does ([`verifier`]) and runs them in an interpreter or an x86-64
//! JIT against simulated maps, helpers and program contexts, giving the results Linux's
//! BPF_PROG_TEST_RUN gives.
//!
//! Data flows one way: [`object`] (ELF → programs, maps, BTF) → [`verifier`] → [`vm`]
//! (interpreter) or [`jit`] → an outcome (r0, packet, maps, trace output). [`session::Session`] ties
//! them together for a loaded object; [`insn`] is the instruction set underneath all of it,
//! [`maps`], [`helpers`] and [`progtype`] the kernel's maps, helpers and program contexts.
//!
//! ```no_run
//! use bpfsim::progtype::TestRunInput;
//! use bpfsim::session::Session;
//!
//! let mut session = Session::open("prog.o")?;
//! let frame = std::fs::read("packet.bin")?;
//! let result = session.run("xdp_prog", &TestRunInput::new(&frame), 1)?;
//! println!("retval {} data_out {:?}", result.output.retval, result.output.data_out);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cli;
pub mod conformance;
pub mod engine;
pub mod helpers;
pub mod insn;
pub mod jit;
pub mod maps;
pub mod object;
pub mod progen;
pub mod progtype;
pub mod session;
pub mod testing;
pub mod verifier;
pub mod vm;
