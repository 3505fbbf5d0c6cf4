//! Helper functions: one table, shared by every engine, mapping a helper id to its name and
//! implementation. For now it holds what raw programs and the bpf_conformance suite need;
//! the kernel's helpers with their semantics come with the object loader.

use crate::vm::memory::{self, Checked, Region, RegionKind};
use crate::vm::{Env, Machine, callback_pc, run_callback};
use std::fmt;
use thiserror::Error;

mod control;
mod ids;
mod maps;
pub mod net;
mod perf;
pub mod printk;
pub mod proto;
mod tracing;
mod world;

pub use ids::{HELPER_NAMES, helper_id, helper_name};
pub use world::{SparseMemory, Task, World};

/// Why a helper call failed (the run stops with this error).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HelperError {
    #[error("invalid memory access of {size} bytes at {addr:#x}")]
    BadMemory { addr: u64, size: u64 },
    #[error("{0}")]
    Other(String),
    /// Not a failure: `bpf_tail_call` asks the interpreter to continue in program `target`
    /// (or, with `None`, to go on after the call as a failed tail call does).
    #[error("tail call")]
    TailCall { target: Option<u32> },
    /// A callback the helper ran failed; the run stops with its error.
    #[error("{0}")]
    Callback(Box<crate::vm::VmError>),
}

/// What a helper sees of the running program: its memory and the run's world, and the means
/// to call back into the program (`bpf_loop`).
pub struct CallEnv<'e, 'a> {
    pub env: &'e mut Env<'a>,
    pub(crate) stack: Region,
    pub(crate) machine: &'e Machine<'e>,
    /// The program that called the helper, and its call depth.
    pub(crate) program: usize,
    pub(crate) depth: usize,
    /// Instructions callbacks may still execute.
    pub(crate) budget_left: u64,
    /// Instructions callbacks executed during this helper call.
    pub(crate) callback_insns: u64,
}

impl CallEnv<'_, '_> {
    /// Translates a program address range for a helper, as the interpreter does for loads
    /// and stores (the context is not plain memory for helpers: pass fields, not pointers).
    pub fn translate(&self, addr: u64, size: u64, write: bool) -> Result<Checked, HelperError> {
        if self.stack.contains(addr, size) {
            return Ok(Checked(addr));
        }
        match self.env.mem.find(addr, size, write) {
            Some(r) if r.kind != RegionKind::Context || self.env.ctx.is_none() => Ok(Checked(addr)),
            _ => Err(HelperError::BadMemory { addr, size }),
        }
    }

    /// Copies `len` bytes of program memory (stack, map values, packet, ...).
    pub fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, HelperError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        Ok(memory::read_bytes(
            self.translate(addr, len as u64, false)?,
            len,
        ))
    }

    /// Copies `bytes` into program memory.
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), HelperError> {
        if bytes.is_empty() {
            return Ok(());
        }
        memory::write_bytes(self.translate(addr, bytes.len() as u64, true)?, bytes);
        Ok(())
    }

    /// Calls the program's callback `fnptr` (a [`crate::vm::CALLBACK_TAG`] value) with
    /// r1..r5 = `args` in a new frame; returns its r0.
    pub fn call_callback(&mut self, fnptr: u64, args: [u64; 5]) -> Result<u64, HelperError> {
        let pc = callback_pc(fnptr)
            .ok_or_else(|| HelperError::Other(format!("{fnptr:#x} is not a callback")))?;
        let budget = self.budget_left.saturating_sub(self.callback_insns);
        let out = run_callback(
            self.machine,
            self.program,
            pc,
            self.depth,
            budget,
            self.env,
            args,
        )
        .map_err(|e| HelperError::Callback(Box::new(e)))?;
        self.callback_insns += out.insns;
        Ok(out.r0)
    }

    /// Zeroes `len` bytes of program memory (checked before anything is allocated or
    /// written, so a program cannot make a helper allocate what it asks for).
    pub fn zero(&mut self, addr: u64, len: usize) -> Result<(), HelperError> {
        if len == 0 {
            return Ok(());
        }
        memory::zero(self.translate(addr, len as u64, true)?, len);
        Ok(())
    }

    /// The index of the map whose pointer (a map relocation's value) the program passed.
    pub fn map_index(&self, ptr: u64) -> Result<usize, HelperError> {
        self.env
            .maps
            .as_deref()
            .and_then(|m| m.index_of_ptr(ptr))
            .ok_or_else(|| HelperError::Other(format!("{ptr:#x} is not a map pointer")))
    }

    /// The run's outside world (clock, task, kernel memory, trace output).
    pub fn world(&mut self) -> &mut World {
        &mut self.env.world
    }
}

/// Negative errno values as helpers return them in r0.
pub mod errno {
    pub const EPERM: u64 = -1i64 as u64;
    pub const ENOENT: u64 = -2i64 as u64;
    pub const E2BIG: u64 = -7i64 as u64;
    pub const EAGAIN: u64 = -11i64 as u64;
    pub const ENOMEM: u64 = -12i64 as u64;
    pub const EFAULT: u64 = -14i64 as u64;
    pub const EBUSY: u64 = -16i64 as u64;
    pub const EEXIST: u64 = -17i64 as u64;
    pub const EINVAL: u64 = -22i64 as u64;
    pub const ENOSPC: u64 = -28i64 as u64;
    pub const ERANGE: u64 = -34i64 as u64;
    pub const EPROTO: u64 = -71i64 as u64;
    pub const EBADMSG: u64 = -74i64 as u64;
    pub const EOPNOTSUPP: u64 = -95i64 as u64;
    pub const ENOTSUPP: u64 = -524i64 as u64;
}

/// A helper's implementation: arguments r1..r5, result r0.
pub type HelperFn = fn(&mut CallEnv<'_, '_>, [u64; 5]) -> Result<u64, HelperError>;

/// A helper that reads only its arguments and the run's [`World`] (clocks, random numbers,
/// CPU and task identity): it cannot fail, touches no program memory and calls nothing
/// back, so the JIT calls it directly with r1..r5 where they are (the C argument registers)
/// and its run state as the sixth argument, whose first field is the world (a
/// [`WorldSlot`]), as the kernel's JIT calls a helper. The sixth argument comes back with
/// r0 ([`WorldCall`]), so the JIT has its state pointer again without reading memory. Made
/// from a plain Rust function by [`world_helper!`](crate::world_helper).
pub type WorldHelperFn = extern "C" fn(u64, u64, u64, u64, u64, &mut WorldSlot<'_>) -> WorldCall;

/// What a world helper's sixth argument points to.
#[repr(C)]
pub struct WorldSlot<'w> {
    pub world: &'w mut World,
}

/// A world helper's result: r0 in rax, and the address of its [`WorldSlot`] in rdx.
#[repr(C)]
pub struct WorldCall {
    pub r0: u64,
    pub slot: usize,
}

/// Makes a [`WorldHelperFn`] from a `fn(&mut World, [u64; 5]) -> u64`.
#[macro_export]
macro_rules! world_helper {
    ($f:expr) => {{
        extern "C" fn shim(
            a1: u64,
            a2: u64,
            a3: u64,
            a4: u64,
            a5: u64,
            slot: &mut $crate::helpers::WorldSlot<'_>,
        ) -> $crate::helpers::WorldCall {
            let f: fn(&mut $crate::helpers::World, [u64; 5]) -> u64 = $f;
            let r0 = f(slot.world, [a1, a2, a3, a4, a5]);
            $crate::helpers::WorldCall {
                r0,
                slot: slot as *mut $crate::helpers::WorldSlot<'_> as usize,
            }
        }
        shim as $crate::helpers::WorldHelperFn
    }};
}

/// A helper whose result is one unsigned integer field of the [`World`], `size` bytes at
/// `offset`: the JIT loads it inline, as the kernel's JIT inlines
/// `bpf_get_smp_processor_id` and `bpf_get_current_task`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorldField {
    pub offset: usize,
    pub size: u8,
}

/// How a helper is implemented.
#[derive(Clone, Copy)]
pub enum HelperImpl {
    /// With the whole [`CallEnv`]: program memory, maps, callbacks, failures.
    Env(HelperFn),
    /// With the run's world only; with `Some` field, what it returns is that field, so
    /// the JIT reads it inline (the function stays the semantics, and a test holds the
    /// two equal).
    World(WorldHelperFn, Option<WorldField>),
}

/// One helper of the table.
#[derive(Clone, Copy)]
pub struct Helper {
    pub name: &'static str,
    pub func: HelperImpl,
}

impl Helper {
    /// Calls the helper: the one place both engines' generic call paths go through.
    #[inline]
    pub fn call(&self, env: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
        match self.func {
            HelperImpl::Env(f) => f(env, a),
            HelperImpl::World(f, _) => {
                let mut slot = WorldSlot { world: env.world() };
                Ok(f(a[0], a[1], a[2], a[3], a[4], &mut slot).r0)
            }
        }
    }
}

impl fmt::Debug for Helper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Helpers by id.
#[derive(Clone, Debug, Default)]
pub struct HelperTable {
    by_id: Vec<Option<Helper>>,
}

impl HelperTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// The kernel's helpers that bpfsim implements, with the kernel's semantics.
    pub fn kernel() -> Self {
        let mut t = Self::new();
        tracing::register(&mut t);
        maps::register(&mut t);
        control::register(&mut t);
        perf::register(&mut t);
        net::register(&mut t);
        t
    }

    /// The table the bpf_conformance suite expects: helper 5 returns its first argument.
    pub fn conformance() -> Self {
        let mut t = Self::new();
        t.register_world(5, "conformance_identity", crate::world_helper!(|_, a| a[0]));
        t
    }

    /// Adds (or replaces) helper `id`.
    pub fn register(&mut self, id: u32, name: &'static str, func: HelperFn) {
        self.insert(id, name, HelperImpl::Env(func));
    }

    /// Adds (or replaces) helper `id`, one that needs only the world (see [`WorldHelperFn`]).
    pub fn register_world(&mut self, id: u32, name: &'static str, func: WorldHelperFn) {
        self.insert(id, name, HelperImpl::World(func, None));
    }

    /// Adds (or replaces) helper `id`, one that returns a field of the world (see
    /// [`WorldField`]).
    pub fn register_world_field(
        &mut self,
        id: u32,
        name: &'static str,
        func: WorldHelperFn,
        field: WorldField,
    ) {
        self.insert(id, name, HelperImpl::World(func, Some(field)));
    }

    fn insert(&mut self, id: u32, name: &'static str, func: HelperImpl) {
        let i = id as usize;
        if self.by_id.len() <= i {
            self.by_id.resize(i + 1, None);
        }
        self.by_id[i] = Some(Helper { name, func });
    }

    /// The helper with this id, if the table has one.
    #[inline]
    pub fn get(&self, id: u64) -> Option<&Helper> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.by_id.get(i))
            .and_then(Option::as_ref)
    }

    /// Every helper of the table with its id, by id.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Helper)> {
        self.by_id
            .iter()
            .enumerate()
            .filter_map(|(i, h)| Some((i as u32, h.as_ref()?)))
    }
}
