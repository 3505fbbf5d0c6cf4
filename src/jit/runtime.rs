//! What generated code shares with Rust while it runs: the run's state block ([`JitCtx`],
//! pointed to by r12), and the `extern "C"` entry points generated code calls for what it
//! does not do inline: helper calls (through the interpreter's helper table, with the same
//! [`CallEnv`]), memory accesses outside the stack and the cached region (through the
//! interpreter's own slow paths, so faults are the same [`VmError`]s), atomics, and legacy
//! packet loads.

use crate::helpers::{CallEnv, Helper, HelperError};
use crate::vm::alu;
use crate::vm::code::{Op, OpKind, RegIdx};
use crate::vm::memory::{self, Checked, Region, RegionKind};
use crate::vm::{
    Env, MAX_CALL_FRAMES, MAX_TAIL_CALLS, Machine, VmError, atomic, atomic_target,
    legacy_packet_load, load_slow, store_slow,
};
use std::ffi::c_void;

/// `status`: the run goes on.
pub const ST_OK: u64 = 0;
/// `status`: a Rust entry point stored an error in `error`.
pub const ST_ERROR: u64 = 1;
/// `status`: a tail call: continue at `tail_addr`.
pub const ST_TAIL: u64 = 2;
/// `status`: a legacy packet load outside the packet: the program ends with r0 = 0.
pub const ST_LEGACY_EXIT: u64 = 3;
/// `status`: generated code stopped with `err_kind`/`err_arg`.
pub const ST_JIT_ERROR: u64 = 4;

/// `err_kind` values generated code sets.
pub const ERR_BUDGET: u64 = 1;
pub const ERR_CALL_DEPTH: u64 = 2;
pub const ERR_PC_OUT_OF_RANGE: u64 = 3;
pub const ERR_INTO_LD64: u64 = 4;
pub const ERR_KFUNC: u64 = 5;

/// The state of one run. Generated code addresses the fields before `args` by their offsets
/// (see [`std::mem::offset_of`] in the code generator).
#[repr(C)]
pub struct JitCtx {
    /// `&mut World` of the run's `Env`, first: a pointer to the `JitCtx` is the
    /// [`WorldSlot`](crate::helpers::WorldSlot) a direct helper call passes.
    pub world: u64,
    /// The current stack region: its first address and, per access size 1, 2, 4, 8, one
    /// more than the highest offset such an access may start at (see [`limits`]); updated at
    /// bpf-to-bpf calls and returns.
    pub stack_lo: u64,
    pub stack_lim: [u64; 4],
    /// The last region a checked load (store) found outside the stack, in the same form;
    /// limits all 0 when none is cached. Cleared by every helper call.
    pub rcache_lo: u64,
    pub rcache_lim: [u64; 4],
    pub wcache_lo: u64,
    pub wcache_lim: [u64; 4],
    /// Instructions the run may still execute (negative: over budget).
    pub budget: i64,
    /// The current call depth (0 = the entry frame).
    pub depth: u64,
    pub status: u64,
    /// A Rust entry point's result.
    pub ret: u64,
    /// r0 around helper calls and atomics.
    pub r0: u64,
    /// The calling site: the slot in the low half, the program index in the high half.
    pub site: u64,
    /// The helper id of a call.
    pub call_id: u64,
    /// The `Helper` of a `call` (0 for `callx`: found by `call_id`).
    pub helper: u64,
    pub tail_addr: u64,
    pub entry_rsp: u64,
    pub err_kind: u64,
    pub err_arg: u64,
    pub may_goto_left: u64,
    pub frame_top: u64,
    pub args: [u64; 5],
    // ---- Rust only ----
    pub(crate) stack_top: u64,
    /// The budget the run started with (clamped to `i64::MAX`).
    pub(crate) budget_start: u64,
    pub(crate) tail_calls: u32,
    /// `&mut Env<'_>` of the run.
    pub(crate) env: *mut c_void,
    /// `&Machine<'_>` of the run.
    pub(crate) machine: *const c_void,
    /// Body entry addresses of the compiled programs by index (0: not available).
    pub(crate) entries: *const u64,
    pub(crate) n_entries: usize,
    pub(crate) error: Option<VmError>,
}

impl JitCtx {
    /// The stack region as the interpreter names it (current frame and its callers).
    pub(crate) fn stack(&self) -> Region {
        Region::block(
            RegionKind::Stack(self.depth as usize),
            self.stack_lo,
            self.stack_top - self.stack_lo,
            true,
        )
    }

    fn fail(&mut self, e: VmError) -> u64 {
        self.error = Some(e);
        self.status = ST_ERROR;
        0
    }

    /// Forgets the cached regions (a helper may have moved or removed them).
    fn clear_caches(&mut self) {
        self.rcache_lim = [0; 4];
        self.wcache_lim = [0; 4];
    }
}

/// Per access size 1, 2, 4, 8: `len - size + 1`, so that an access at offset `o` fits
/// exactly when `o < limit` (unsigned); 0 (nothing fits) when `len < size`.
pub(crate) fn limits(len: u64) -> [u64; 4] {
    [1u64, 2, 4, 8].map(|size| (len + 1).saturating_sub(size))
}

/// What the inline checks may cache after an access at `addr` found region `r`: its first
/// address and limits; for a region of elements (map values), the element `addr` lies in,
/// which stays valid until the next helper call clears the cache (only helpers delete
/// elements); nothing (limits all 0) for a translated context, which is not memory.
pub(crate) fn cache_for(r: &Region, addr: u64, env: &Env<'_>) -> (u64, [u64; 4]) {
    let translated = r.kind == RegionKind::Context && env.ctx.is_some();
    if translated {
        return (0, [0; 4]);
    }
    match (addr - r.start).checked_div(r.stride) {
        Some(element) => (r.start + element * r.stride, limits(r.elem_size)),
        None => (r.start, limits(r.len)),
    }
}

/// Packs the slot and access size of a memory access for the entry points below.
pub fn access_info(pc: usize, size: u64, sign: bool) -> u64 {
    (pc as u64) << 32 | (sign as u64) << 8 | size
}

/// # Safety
/// `ctx` must be the live [`JitCtx`] of a run, whose `env` points to the run's `Env`.
unsafe fn parts<'c>(ctx: *mut JitCtx) -> (&'c mut JitCtx, &'c mut Env<'c>) {
    // SAFETY: generated code passes the r12 it was entered with: the run's JitCtx, borrowed
    // mutably by `Jit::run_program` for the whole run and touched by nothing else meanwhile.
    let ctx = unsafe { &mut *ctx };
    // SAFETY: `env` was set from the `&mut Env` `run_program` holds for the whole run; the
    // generated code does not touch it, so this is the only live reference.
    let env = unsafe { &mut *(ctx.env as *mut Env<'c>) };
    (ctx, env)
}

/// A load the inline checks did not prove: the interpreter's slow path.
pub extern "C" fn jit_load(ctx: *mut JitCtx, addr: u64, _unused: u64, info: u64) -> u64 {
    // SAFETY: called by generated code with its ctx (see `parts`).
    let (ctx, env) = unsafe { parts(ctx) };
    let (pc, size, sign) = ((info >> 32) as usize, info & 0xff, info & 0x100 != 0);
    let stack = ctx.stack();
    let v = if stack.contains(addr, size) {
        memory::read_sized(Checked(addr), size)
    } else {
        match load_slow(pc, addr, size, stack, env) {
            Ok(v) => {
                if let Some(r) = env.mem.find(addr, size, false) {
                    (ctx.rcache_lo, ctx.rcache_lim) = cache_for(r, addr, env);
                }
                v
            }
            Err(e) => return ctx.fail(e),
        }
    };
    if sign {
        alu::sign_extend(v, (size * 8) as u8)
    } else {
        v
    }
}

/// A store the inline checks did not prove: the interpreter's slow path.
pub extern "C" fn jit_store(ctx: *mut JitCtx, addr: u64, value: u64, info: u64) -> u64 {
    // SAFETY: called by generated code with its ctx (see `parts`).
    let (ctx, env) = unsafe { parts(ctx) };
    let (pc, size) = ((info >> 32) as usize, info & 0xff);
    let stack = ctx.stack();
    if stack.contains(addr, size) {
        memory::write_sized(Checked(addr), size, value);
        return 0;
    }
    match store_slow(pc, addr, size, value, stack, env) {
        Ok(()) => {
            if let Some(r) = env.mem.find(addr, size, true) {
                (ctx.wcache_lo, ctx.wcache_lim) = cache_for(r, addr, env);
            }
            0
        }
        Err(e) => ctx.fail(e),
    }
}

/// An atomic operation, checked as the interpreter checks it. r0 is in `ctx.r0` and comes
/// back there; the source register's new value is returned.
pub extern "C" fn jit_atomic(ctx: *mut JitCtx, addr: u64, src: u64, info: u64) -> u64 {
    // SAFETY: called by generated code with its ctx (see `parts`).
    let (ctx, env) = unsafe { parts(ctx) };
    let (pc, size, code) = ((info >> 32) as usize, info & 0xff, (info >> 8) as u8);
    let stack = ctx.stack();
    let p = if stack.contains(addr, size) {
        Checked(addr)
    } else {
        match atomic_target(pc, addr, size, stack, env) {
            Ok(p) => p,
            Err(e) => return ctx.fail(e),
        }
    };
    // The interpreter's operation on a register file where r0 and the source live (the
    // source is r1 here unless it is r0 itself, which `info` bit 16 says).
    let same = info & 0x1_0000 != 0;
    let s = if same { 0 } else { 1 };
    let mut regs = [0u64; 16];
    regs[0] = ctx.r0;
    regs[s] = if same { ctx.r0 } else { src };
    atomic(code, size, p, &mut regs, s);
    ctx.r0 = regs[0];
    regs[s]
}

/// `ld_abs`/`ld_ind`: the interpreter's legacy packet load.
pub extern "C" fn jit_legacy(ctx: *mut JitCtx, src: u64, _unused: u64, info: u64) -> u64 {
    // SAFETY: called by generated code with its ctx (see `parts`).
    let (ctx, env) = unsafe { parts(ctx) };
    let pc = (info >> 32) as usize;
    let op = Op {
        kind: if info & 0x100 != 0 {
            OpKind::LdInd
        } else {
            OpKind::LdAbs
        },
        dst: RegIdx::R0,
        src: RegIdx::R0,
        aux: (info & 0xff) as u8,
        off: 0,
        imm: ctx.call_id as i32 as i64,
    };
    match legacy_packet_load(env, pc, &op, src) {
        Ok(Some(v)) => v,
        Ok(None) => {
            ctx.status = ST_LEGACY_EXIT;
            0
        }
        Err(e) => ctx.fail(e),
    }
}

/// A helper call (`call`, `callx`): the helper table, a [`CallEnv`] as the interpreter
/// builds it, the same handling of tail calls, callback budgets and failures.
pub extern "C" fn jit_helper(ctx: *mut JitCtx, r1: u64, r2: u64, r3: u64, r4: u64, r5: u64) -> u64 {
    // SAFETY: called by generated code with its ctx (see `parts`).
    let (ctx, env) = unsafe { parts(ctx) };
    // SAFETY: `machine` was set from the `Machine` `run_program` keeps alive for the run.
    let machine = unsafe { &*(ctx.machine as *const Machine<'_>) };
    let pc = ctx.site as u32 as usize;
    let program = (ctx.site >> 32) as usize;
    let id = ctx.call_id;
    let helper = if ctx.helper != 0 {
        // SAFETY: the code generator took this address from the helper table, which the
        // `Jit` owns, unchanged, for as long as the code exists.
        Some(unsafe { &*(ctx.helper as *const Helper) })
    } else {
        machine.helpers().get(id)
    };
    let Some(helper) = helper else {
        return ctx.fail(VmError::UnknownHelper { pc, id });
    };
    let mut call = CallEnv {
        env,
        stack: ctx.stack(),
        machine,
        program,
        depth: ctx.depth as usize,
        budget_left: ctx.budget.max(0) as u64,
        callback_insns: 0,
    };
    let result = helper.call(&mut call, [r1, r2, r3, r4, r5]);
    let callback_insns = call.callback_insns;
    ctx.clear_caches();
    ctx.budget = ctx
        .budget
        .saturating_sub(i64::try_from(callback_insns).unwrap_or(i64::MAX));
    let over = ctx.budget < 0;
    let budget_error = |ctx: &mut JitCtx| VmError::BudgetExhausted {
        pc,
        budget: ctx.budget_total(),
    };
    match result {
        Ok(v) => {
            if callback_insns > 0 && over {
                let e = budget_error(ctx);
                return ctx.fail(e);
            }
            v
        }
        Err(HelperError::TailCall { target }) => {
            let entry = target
                .and_then(|t| usize::try_from(t).ok())
                .filter(|&t| t < ctx.n_entries)
                // SAFETY: `entries` points to `n_entries` addresses owned by the Jit for the
                // run, and `t` is below that.
                .map(|t| unsafe { *ctx.entries.add(t) })
                .filter(|&a| a != 0);
            match entry {
                Some(addr) if ctx.tail_calls < MAX_TAIL_CALLS => {
                    ctx.tail_calls += 1;
                    if over {
                        let e = budget_error(ctx);
                        return ctx.fail(e);
                    }
                    ctx.tail_addr = addr;
                    ctx.status = ST_TAIL;
                }
                _ => {
                    if callback_insns > 0 && over {
                        let e = budget_error(ctx);
                        return ctx.fail(e);
                    }
                }
            }
            // A tail call (made or failed) leaves r0 as it was.
            ctx.r0
        }
        Err(HelperError::Callback(e)) => ctx.fail(*e),
        Err(source) => ctx.fail(VmError::Helper {
            pc,
            name: helper.name,
            source,
        }),
    }
}

impl JitCtx {
    /// The budget the run started with, as the interpreter reports it.
    pub(crate) fn budget_total(&self) -> u64 {
        self.budget_start
    }
}

/// The error generated code stopped with (`status` = [`ST_JIT_ERROR`]): `err_kind` holds the
/// kind in its low byte and the program's length above it.
pub(crate) fn jit_error(ctx: &JitCtx) -> VmError {
    let pc = ctx.err_arg as usize;
    let len = (ctx.err_kind >> 8) as usize;
    match ctx.err_kind & 0xff {
        ERR_BUDGET => VmError::BudgetExhausted {
            pc,
            budget: ctx.budget_total(),
        },
        ERR_CALL_DEPTH => VmError::CallDepth {
            pc,
            max: MAX_CALL_FRAMES,
        },
        ERR_PC_OUT_OF_RANGE => VmError::PcOutOfRange {
            target: ctx.err_arg as i64,
            len,
        },
        ERR_INTO_LD64 => VmError::JumpIntoLd64 { pc },
        _ => VmError::Unsupported {
            pc,
            what: "a kfunc call",
        },
    }
}
