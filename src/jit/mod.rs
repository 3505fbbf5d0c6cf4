//! The x86-64 JIT: compiles the interpreter's lowered programs ([`crate::vm::code::Op`]) to
//! machine code and runs them with the interpreter's semantics. The results (r0, memory,
//! maps, errors, the instruction count) are the interpreter's, because everything that is
//! not straight-line arithmetic goes through the interpreter's own code: helper calls use
//! the same [`HelperTable`] and [`crate::helpers::CallEnv`], memory faults and context
//! field accesses the interpreter's slow paths (so faults are the same [`VmError`]s),
//! atomics and `ld_abs`/`ld_ind` its operations, and callbacks a helper starts
//! (`bpf_loop`, `bpf_for_each_map_elem`) run in the interpreter on the same stack.
//!
//! - [`x86`]: the instruction encoder; [`exec_mem`]: W^X code pages;
//!   `codegen`: program → code; `runtime`: the run state generated code shares with Rust
//!   and the `extern "C"` entry points it calls.
//!
//! # Modes
//! - [`JitMode::Checked`]: every load and store is checked against the live regions
//!   (inline for the stack frames and the last region used, else through the interpreter's
//!   slow path; accesses through one base in straight-line code share one inline check).
//!   This is what [`crate::session::Session`], `bpfsim run --engine jit` and the
//!   conformance plugin use, for every program: the verifier (`crate::verifier`) is not
//!   complete yet and still accepts some programs the kernel refuses, so its verdict cannot
//!   be the reason to drop checks.
//! - [`JitMode::Verified`]: loads and stores are emitted unchecked, as the kernel's JIT does
//!   for verified programs, except those through a register that may hold the context
//!   pointer (a dataflow, `ctxflow`, that relies on the verifier's rules): context fields
//!   are translated, not plain memory. Atomics and legacy packet loads are still checked
//!   (they go through the interpreter's code). An explicit API choice
//!   ([`crate::session::Session::set_jit_mode`], [`Jit::new`]) for embedders that verified
//!   the program themselves, and for the benchmarks: a program that is not what the kernel's
//!   verifier accepts can corrupt or crash the process in this mode.
//!
//! Helpers must not panic: a panic cannot unwind through generated code, so it aborts the
//! process (Rust's `extern "C"` rule) instead of failing the run.
//!
//! # Budget
//! Both modes stop runaway programs with the interpreter's budget: instructions are counted
//! per block and checked at every taken transfer, where the interpreter checks, so the
//! error is the same `BudgetExhausted { pc, budget }` and `insns` is equal. One documented
//! difference: after a helper that ran callbacks, the interpreter compares its count
//! *without* the current straight-line run, the JIT with it, so a run that is within a few
//! instructions of its budget when a callback helper returns can stop there in the JIT and
//! at the next taken jump in the interpreter.

mod codegen;
mod ctxflow;
pub mod exec_mem;
mod runtime;
pub mod x86;

pub use codegen::CodegenError;

use crate::helpers::HelperTable;
use crate::insn::{Insn, RawInsn, decode_program};
use crate::vm::memory::{self, Checked, RegionKind};
use crate::vm::{
    Env, Interpreter, LoadError, MAY_GOTO_LOOPS, Outcome, PrepareError, STACK_SIZE, VmError,
};
use exec_mem::ExecMem;
use runtime::{JitCtx, ST_ERROR, ST_JIT_ERROR, ST_LEGACY_EXIT, ST_OK, ST_TAIL};
use std::ffi::c_void;
use thiserror::Error;

/// Whether loads and stores are checked (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum JitMode {
    #[default]
    Checked,
    Verified,
}

/// A program the JIT cannot compile.
#[derive(Debug, Error)]
pub enum JitError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("program #{program}: {source}")]
    Codegen {
        program: usize,
        source: CodegenError,
    },
    #[error("program #{program}: cannot map executable memory: {source}")]
    Memory {
        program: usize,
        source: std::io::Error,
    },
}

impl From<PrepareError> for JitError {
    fn from(e: PrepareError) -> Self {
        JitError::Load(LoadError::Prepare(e))
    }
}

/// One compiled program.
struct Compiled {
    mem: ExecMem,
    /// Address of the prologue (the C entry) and of the body (the tail-call entry).
    entry: u64,
    body: u64,
}

/// Programs compiled to machine code, with the interpreter that holds their lowered form
/// (helpers, budget, stack, and the engine for callbacks).
pub struct Jit {
    interp: Interpreter,
    compiled: Vec<Option<Compiled>>,
    /// Body addresses by program index (0: not available), for tail calls.
    entries: Vec<u64>,
    mode: JitMode,
}

impl Jit {
    /// Compiles every available program of an interpreter.
    pub fn new(interp: Interpreter, mode: JitMode) -> Result<Jit, JitError> {
        let mut jit = Jit {
            interp,
            compiled: Vec::new(),
            entries: Vec::new(),
            mode,
        };
        // Tail calls keep registers: r10 is fixed only if no program of the set writes it.
        let fixed_frame = (0..jit.interp.program_count())
            .filter_map(|i| jit.interp.lowered(i))
            .all(|(code, len)| crate::vm::frame_use::keeps_frame_pointer(code, len));
        for index in 0..jit.interp.program_count() {
            let compiled = match jit.interp.lowered(index) {
                None => None,
                Some((code, len)) => {
                    let helpers = jit.interp.helpers();
                    Some(compile(code, len, index, mode, helpers, fixed_frame)?)
                }
            };
            jit.entries.push(compiled.as_ref().map_or(0, |c| c.body));
            jit.compiled.push(compiled);
        }
        Ok(jit)
    }

    /// Prepares and compiles a decoded program.
    pub fn compile(insns: &[Insn], helpers: HelperTable, mode: JitMode) -> Result<Jit, JitError> {
        Jit::new(Interpreter::new(insns, helpers)?, mode)
    }

    /// Decodes, prepares and compiles a raw program (little-endian 8-byte slots).
    pub fn from_bytes(bytes: &[u8], helpers: HelperTable, mode: JitMode) -> Result<Jit, JitError> {
        let insns = decode_program(&RawInsn::slots(bytes).map_err(LoadError::from)?)
            .map_err(LoadError::from)?;
        Jit::compile(&insns, helpers, mode)
    }

    pub fn mode(&self) -> JitMode {
        self.mode
    }

    /// The interpreter holding the same programs, for running them there too (on the same
    /// stack). Programs added to it afterwards are not compiled: add them before [`Jit::new`].
    pub fn interpreter(&mut self) -> &mut Interpreter {
        &mut self.interp
    }

    /// Gives back the interpreter (the compiled code is dropped).
    pub fn into_interpreter(self) -> Interpreter {
        self.interp
    }

    pub fn helpers(&self) -> &HelperTable {
        self.interp.helpers()
    }

    /// Bytes of machine code of program `index`.
    pub fn code_size(&self, index: usize) -> Option<usize> {
        self.compiled
            .get(index)
            .and_then(|c| c.as_ref())
            .map(|c| c.mem.len())
    }

    /// The machine code of program `index`.
    pub fn code(&self, index: usize) -> Option<&[u8]> {
        self.compiled
            .get(index)
            .and_then(|c| c.as_ref())
            .map(|c| c.mem.code())
    }

    /// Sets how many instructions one run may execute.
    pub fn set_budget(&mut self, budget: u64) {
        self.interp.set_budget(budget);
    }

    pub fn budget(&self) -> u64 {
        self.interp.budget()
    }

    /// Runs with r1 = the input memory, r2 = its length (the bpf_conformance convention).
    pub fn run_raw(&mut self, input: &mut [u8]) -> Result<Outcome, VmError> {
        let len = input.len() as u64;
        let mut env = Env::default();
        let addr = env.mem.add_mut(RegionKind::Input, input);
        self.run(&mut env, [addr, len, 0, 0, 0])
    }

    /// Runs the first program in `env` with r1..r5 = `args`.
    pub fn run(&mut self, env: &mut Env<'_>, args: [u64; 5]) -> Result<Outcome, VmError> {
        self.run_program(0, env, args)
    }

    /// Runs program `index` in `env` with r1..r5 = `args`, as
    /// [`Interpreter::run_program`] does.
    pub fn run_program(
        &mut self,
        index: usize,
        env: &mut Env<'_>,
        args: [u64; 5],
    ) -> Result<Outcome, VmError> {
        let Some(entry) = self
            .compiled
            .get(index)
            .and_then(|c| c.as_ref().map(|c| c.entry))
        else {
            return Err(VmError::NoSuchProgram { index });
        };
        let budget = self.interp.budget();
        let counted = budget.min(i64::MAX as u64);
        let entries = self.entries.as_ptr();
        let n_entries = self.entries.len();
        let zeroed = self.interp.entry_use(index);
        let machine = self.interp.machine();
        let stack_top = machine.stack_top();
        let frame = STACK_SIZE as u64;
        // Each run's entry frame starts zeroed as far as the program reaches, as in the
        // interpreter.
        memory::zero(Checked(stack_top - zeroed as u64), zeroed);
        // The region r1 points to (raw mode's input) is the likely first one used.
        let cache = |write: bool| {
            env.mem
                .find(args[0], 1, write)
                .map_or((0, [0; 4]), |r| runtime::cache_for(r, args[0], env))
        };
        let ((rcache_lo, rcache_lim), (wcache_lo, wcache_lim)) = (cache(false), cache(true));
        // Generated code and the entry points reach the run's `Env` (and its world) only
        // through this one pointer.
        let env_ptr = env as *mut Env<'_>;
        let mut ctx = JitCtx {
            stack_lo: stack_top - frame,
            stack_lim: runtime::limits(frame),
            rcache_lo,
            rcache_lim,
            wcache_lo,
            wcache_lim,
            budget: counted as i64,
            depth: 0,
            status: ST_OK,
            ret: 0,
            r0: 0,
            site: 0,
            call_id: 0,
            helper: 0,
            tail_addr: 0,
            entry_rsp: 0,
            err_kind: 0,
            err_arg: 0,
            may_goto_left: MAY_GOTO_LOOPS,
            frame_top: stack_top,
            // SAFETY: `env_ptr` comes from the live `&mut Env` of this run; only the
            // address of its field is taken.
            world: unsafe { &raw mut (*env_ptr).world } as u64,
            args,
            stack_top,
            budget_start: budget,
            tail_calls: 0,
            env: env_ptr as *mut c_void,
            machine: &machine as *const _ as *const c_void,
            entries,
            n_entries,
            error: None,
        };
        // SAFETY: `entry` is the prologue of code this Jit compiled and still owns (its
        // ExecMem lives as long as `self`), a function with the C ABI taking the run state.
        let f: extern "C" fn(*mut JitCtx) -> u64 = unsafe { std::mem::transmute(entry as usize) };
        let r0 = f(&mut ctx);
        let insns = (counted as i64).wrapping_sub(ctx.budget) as u64;
        match ctx.status {
            ST_OK => Ok(Outcome { r0, insns }),
            ST_LEGACY_EXIT => Ok(Outcome { r0: 0, insns }),
            ST_JIT_ERROR => Err(runtime::jit_error(&ctx)),
            ST_ERROR | ST_TAIL => Err(ctx.error.take().unwrap_or(VmError::Unsupported {
                pc: 0,
                what: "a JIT run that stopped without an error",
            })),
            _ => Err(VmError::Unsupported {
                pc: 0,
                what: "a JIT run that stopped with an unknown status",
            }),
        }
    }
}

fn compile(
    code: &[crate::vm::code::Op],
    len: usize,
    program: usize,
    mode: JitMode,
    helpers: &HelperTable,
    fixed_frame: bool,
) -> Result<Compiled, JitError> {
    let generated = codegen::generate(code, len, program, mode, helpers, fixed_frame)
        .map_err(|source| JitError::Codegen { program, source })?;
    let mem =
        ExecMem::new(&generated.code).map_err(|source| JitError::Memory { program, source })?;
    Ok(Compiled {
        entry: mem.addr(0),
        body: mem.addr(generated.body),
        mem,
    })
}

#[cfg(test)]
mod tests;
