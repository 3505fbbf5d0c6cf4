//! The run loop: fetch an [`Op`], dispatch on its kind, repeat. No allocation and no decoding
//! per instruction; registers live in a local array; memory goes through the run's [`Env`].

use super::alu;
use super::code::{self, ATOMIC_FETCH, Op, OpKind, PrepareError};
use super::env::{Env, LegacyLoad};
use super::error::{AccessKind, LoadError, VmError};
use super::frame_use;
use super::memory::{self, Checked, Region, RegionKind};
use super::{DEFAULT_BUDGET, MAX_CALL_FRAMES, MAY_GOTO_LOOPS, STACK_SIZE};
use crate::helpers::{CallEnv, HelperError, HelperTable};
use crate::insn::{Insn, RawInsn, decode_program};

/// The result of a run that reached `exit` in the entry frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The program's return value.
    pub r0: u64,
    /// Instructions executed.
    pub insns: u64,
}

/// Programs made ready to run, with their helpers and their own stack. Usually one program;
/// an object's other programs are added as tail-call targets (`bpf_tail_call` finds them by
/// the index [`Interpreter::add_program`] returns).
pub struct Interpreter {
    programs: Vec<Lowered>,
    helpers: HelperTable,
    budget: u64,
    stack: Box<[u8]>,
}

/// A lowered program: its code (padded, see [`code::lower`]) and its own length.
pub(crate) struct Lowered {
    code: Vec<Op>,
    len: usize,
    /// False for a placeholder of a program that could not be prepared: tail calls to it
    /// fall through, as they do to an empty program array slot.
    available: bool,
    /// Bytes at the top of the entry frame zeroed when a run starts ([`frame_use::entry_use`]).
    entry_use: usize,
}

/// A caller's state saved across a bpf-to-bpf call.
#[derive(Clone, Copy, Default)]
struct Frame {
    program: usize,
    return_pc: usize,
    callee_saved: [u64; 4],
}

/// Most tail calls one run may make, as in Linux (`MAX_TAIL_CALL_CNT`).
pub const MAX_TAIL_CALLS: u32 = 33;

/// Tag of the values `lddw` of a `BPF_PSEUDO_FUNC` gives: a callback's slot in its program.
/// Helpers that take callbacks (`bpf_loop`, `bpf_for_each_map_elem`) get such a value.
pub const CALLBACK_TAG: u64 = 0xcb00_0000_0000_0000;

/// The slot a callback value names, if it is one.
pub fn callback_pc(value: u64) -> Option<usize> {
    (value & 0xffff_0000_0000_0000 == CALLBACK_TAG).then_some((value & 0xffff_ffff) as usize)
}

impl Interpreter {
    /// An interpreter with no program yet.
    pub fn empty(helpers: HelperTable) -> Self {
        Self {
            programs: Vec::new(),
            helpers,
            budget: DEFAULT_BUDGET,
            stack: vec![0u8; STACK_SIZE * MAX_CALL_FRAMES].into_boxed_slice(),
        }
    }

    /// Prepares a decoded program (one [`Insn`] per slot). Calls to helpers the table does
    /// not have are refused here, before anything runs.
    pub fn new(insns: &[Insn], helpers: HelperTable) -> Result<Self, PrepareError> {
        let mut vm = Self::empty(helpers);
        vm.add_program(insns)?;
        Ok(vm)
    }

    /// Prepares another program (a tail-call target); returns its index.
    pub fn add_program(&mut self, insns: &[Insn]) -> Result<usize, PrepareError> {
        let code = code::lower(insns)?;
        for (pc, op) in code.iter().enumerate() {
            if op.kind == OpKind::CallHelper && self.helpers.get(op.imm as u64).is_none() {
                return Err(PrepareError::UnknownHelper { pc, id: op.imm });
            }
        }
        let entry_use = frame_use::entry_use(&code, insns.len());
        self.programs.push(Lowered {
            code,
            len: insns.len(),
            available: true,
            entry_use,
        });
        Ok(self.programs.len() - 1)
    }

    /// Takes an index for a program that could not be prepared, so later programs keep the
    /// indices a program array refers to them by.
    pub fn add_unavailable(&mut self) -> usize {
        let code = code::lower(&[Insn::Exit]).unwrap_or_default();
        self.programs.push(Lowered {
            code,
            len: 0,
            available: false,
            entry_use: STACK_SIZE,
        });
        self.programs.len() - 1
    }

    /// Decodes and prepares a raw program (little-endian 8-byte slots).
    pub fn from_bytes(bytes: &[u8], helpers: HelperTable) -> Result<Self, LoadError> {
        let insns = decode_program(&RawInsn::slots(bytes)?)?;
        Ok(Self::new(&insns, helpers)?)
    }

    /// Sets how many instructions one run may execute.
    pub fn set_budget(&mut self, budget: u64) {
        self.budget = budget;
    }

    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// How many program slots (available or not) the interpreter holds.
    pub(crate) fn program_count(&self) -> usize {
        self.programs.len()
    }

    /// Program `index`'s lowered code (padded, see [`code::lower`]) and its own length, if
    /// the program is available.
    pub(crate) fn lowered(&self, index: usize) -> Option<(&[Op], usize)> {
        self.programs
            .get(index)
            .filter(|p| p.available)
            .map(|p| (&p.code[..], p.len))
    }

    pub(crate) fn helpers(&self) -> &HelperTable {
        &self.helpers
    }

    /// Bytes at the top of the entry frame a run of program `index` starts with zeroed.
    pub(crate) fn entry_use(&self, index: usize) -> usize {
        self.programs.get(index).map_or(STACK_SIZE, |p| p.entry_use)
    }

    /// What a run shares with callbacks, and the top of the entry frame's stack: another
    /// engine (the JIT) runs on the same stack, so callbacks a helper starts run in the
    /// interpreter on the frames below it.
    pub(crate) fn machine(&mut self) -> Machine<'_> {
        let stack_top = self.stack.as_mut_ptr() as u64 + self.stack.len() as u64;
        Machine {
            programs: &self.programs,
            helpers: &self.helpers,
            stack_top,
        }
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

    /// Runs program `index` in `env` with r1..r5 = `args`. Each frame's stack starts zeroed,
    /// so runs are deterministic even for programs that read stack they never wrote.
    pub fn run_program(
        &mut self,
        index: usize,
        env: &mut Env<'_>,
        args: [u64; 5],
    ) -> Result<Outcome, VmError> {
        if !self.programs.get(index).is_some_and(|p| p.available) {
            return Err(VmError::NoSuchProgram { index });
        }
        let stack_top = self.stack.as_mut_ptr() as u64 + self.stack.len() as u64;
        let machine = Machine {
            programs: &self.programs,
            helpers: &self.helpers,
            stack_top,
        };
        let entry = Entry {
            program: index,
            pc: 0,
            depth: 0,
            budget: self.budget,
        };
        execute(&machine, entry, env, args)
    }
}

/// What every (nested) execution of one run shares and never changes.
pub(crate) struct Machine<'m> {
    programs: &'m [Lowered],
    helpers: &'m HelperTable,
    /// The top of frame 0's stack.
    stack_top: u64,
}

impl Machine<'_> {
    pub(crate) fn helpers(&self) -> &HelperTable {
        self.helpers
    }

    /// The top of the entry frame's stack.
    pub(crate) fn stack_top(&self) -> u64 {
        self.stack_top
    }
}

/// Where an execution starts: the program's entry, or a callback a helper calls.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    program: usize,
    pc: usize,
    /// The call depth of the frame it starts in.
    depth: usize,
    /// Instructions it may execute.
    budget: u64,
}

/// Runs a callback (`pc` of `program`) in a new frame below `depth`, for a helper.
pub(crate) fn run_callback(
    machine: &Machine<'_>,
    program: usize,
    pc: usize,
    depth: usize,
    budget: u64,
    env: &mut Env<'_>,
    args: [u64; 5],
) -> Result<Outcome, VmError> {
    let depth = depth + 1;
    if depth >= MAX_CALL_FRAMES {
        return Err(VmError::CallDepth {
            pc,
            max: MAX_CALL_FRAMES,
        });
    }
    execute(
        machine,
        Entry {
            program,
            pc,
            depth,
            budget,
        },
        env,
        args,
    )
}

#[cold]
#[inline(never)]
pub(crate) fn memory_fault(
    pc: usize,
    kind: AccessKind,
    addr: u64,
    size: u64,
    stack: Region,
    env: &Env<'_>,
) -> VmError {
    let nearest = std::iter::once(stack)
        .chain(env.mem.nearest(addr))
        .min_by_key(|r| memory::distance(r, addr));
    VmError::MemoryAccess {
        pc,
        kind,
        addr,
        size,
        nearest,
    }
}

/// A load outside the current stack frames: another region, or a context field.
#[inline(never)]
pub(crate) fn load_slow(
    pc: usize,
    addr: u64,
    size: u64,
    stack: Region,
    env: &mut Env<'_>,
) -> Result<u64, VmError> {
    let Some(r) = env.mem.find(addr, size, false) else {
        return Err(memory_fault(pc, AccessKind::Load, addr, size, stack, env));
    };
    let off = addr - r.start;
    match (r.kind, env.ctx.as_deref_mut()) {
        (RegionKind::Context, Some(ctx)) => ctx
            .load(off, size)
            .map_err(|fault| VmError::Context { pc, fault }),
        _ => Ok(memory::read_sized(Checked(addr), size)),
    }
}

/// A store outside the current stack frames: another region, or a context field.
#[inline(never)]
pub(crate) fn store_slow(
    pc: usize,
    addr: u64,
    size: u64,
    value: u64,
    stack: Region,
    env: &mut Env<'_>,
) -> Result<(), VmError> {
    let Some(r) = env.mem.find(addr, size, true) else {
        return Err(memory_fault(pc, AccessKind::Store, addr, size, stack, env));
    };
    let off = addr - r.start;
    match (r.kind, env.ctx.as_deref_mut()) {
        (RegionKind::Context, Some(ctx)) => ctx
            .store(off, size, value)
            .map_err(|fault| VmError::Context { pc, fault }),
        _ => {
            memory::write_sized(Checked(addr), size, value);
            Ok(())
        }
    }
}

/// An atomic access outside the current stack frames (never to a translated context).
#[inline(never)]
pub(crate) fn atomic_target(
    pc: usize,
    addr: u64,
    size: u64,
    stack: Region,
    env: &Env<'_>,
) -> Result<Checked, VmError> {
    match env.mem.find(addr, size, true) {
        Some(r) if r.kind != RegionKind::Context || env.ctx.is_none() => Ok(Checked(addr)),
        _ => Err(memory_fault(pc, AccessKind::Atomic, addr, size, stack, env)),
    }
}

fn execute(
    machine: &Machine<'_>,
    entry: Entry,
    env: &mut Env<'_>,
    args: [u64; 5],
) -> Result<Outcome, VmError> {
    let budget = entry.budget;
    let mut program = entry.program;
    if machine.programs.get(program).is_none() {
        return Err(VmError::NoSuchProgram { index: program });
    }
    let frame_top = machine.stack_top - (STACK_SIZE * entry.depth) as u64;
    let mut regs = [0u64; 16];
    regs[1..6].copy_from_slice(&args);
    regs[10] = frame_top;
    // The current frame and every caller's frame above it.
    let mut stack = Region::block(
        RegionKind::Stack(entry.depth),
        frame_top - STACK_SIZE as u64,
        (STACK_SIZE * (entry.depth + 1)) as u64,
        true,
    );
    // A program's entry frame is zeroed as far as the program reaches; a callback's whole.
    let zeroed = match entry.depth {
        0 => machine.programs[program].entry_use,
        _ => STACK_SIZE,
    };
    memory::zero(Checked(frame_top - zeroed as u64), zeroed);
    let mut frames = [Frame::default(); MAX_CALL_FRAMES];
    let mut depth = entry.depth;
    let mut tail_calls = 0u32;
    // Instructions are counted per straight-line run: a run ends at a taken jump, a call or an
    // exit, and only there is the budget checked (a program can only loop through those).
    let mut executed = 0u64;
    let mut run_start = entry.pc;
    let mut may_goto_left = MAY_GOTO_LOOPS;
    let mut pc = entry.pc;

    // Loads and stores: the current stack frames inline, everything else out of line.
    macro_rules! load {
        ($op:expr, $size:expr, $read:ident) => {{
            let addr = regs[$op.src.get()].wrapping_add($op.off as i64 as u64);
            if stack.contains(addr, $size) {
                memory::$read(Checked(addr)) as u64
            } else {
                load_slow(pc, addr, $size, stack, env)?
            }
        }};
    }
    macro_rules! store {
        ($op:expr, $size:expr, $write:ident, $value:expr) => {{
            let addr = regs[$op.dst.get()].wrapping_add($op.off as i64 as u64);
            let value = $value;
            if stack.contains(addr, $size) {
                memory::$write(Checked(addr), value);
            } else {
                store_slow(pc, addr, $size, value as u64, stack, env)?;
            }
        }};
    }
    // Ends the current straight-line run at `pc` and starts the next one at `$target`.
    // (`pc` is the current instruction until its handler ends: the slot after it is `pc + 1`.)
    macro_rules! transfer {
        ($target:expr) => {{
            executed += (pc + 1 - run_start) as u64;
            if executed > budget {
                return Err(VmError::BudgetExhausted { pc, budget });
            }
            pc = $target;
            run_start = pc;
        }};
    }
    macro_rules! jump {
        ($op:expr, $taken:expr) => {
            if $taken {
                transfer!($op.off as usize);
                continue;
            }
        };
    }

    // The outer loop enters a program (the entry, a tail-call target, or a caller after a
    // callee tail-called away); the inner loop runs it with `code` and `mask` fixed, which
    // keeps them out of the dispatch (the compiler can then copy the dispatch into every
    // handler).
    'program: loop {
        let lowered = &machine.programs[program];
        // `lower` padded the code to a power of two and made every reachable slot exist.
        let code = &lowered.code[..];
        let mask = code.len() - 1;
        loop {
            let op = &code[pc & mask];
            let d = op.dst.get();
            let s = op.src.get();
            let k = op.imm as u64;
            use OpKind::*;
            match op.kind {
                Add64K => regs[d] = regs[d].wrapping_add(k),
                Add64X => regs[d] = regs[d].wrapping_add(regs[s]),
                Add32K => regs[d] = (regs[d] as u32).wrapping_add(k as u32) as u64,
                Add32X => regs[d] = (regs[d] as u32).wrapping_add(regs[s] as u32) as u64,
                Sub64K => regs[d] = regs[d].wrapping_sub(k),
                Sub64X => regs[d] = regs[d].wrapping_sub(regs[s]),
                Sub32K => regs[d] = (regs[d] as u32).wrapping_sub(k as u32) as u64,
                Sub32X => regs[d] = (regs[d] as u32).wrapping_sub(regs[s] as u32) as u64,
                Mul64K => regs[d] = regs[d].wrapping_mul(k),
                Mul64X => regs[d] = regs[d].wrapping_mul(regs[s]),
                Mul32K => regs[d] = (regs[d] as u32).wrapping_mul(k as u32) as u64,
                Mul32X => regs[d] = (regs[d] as u32).wrapping_mul(regs[s] as u32) as u64,
                Div64K => regs[d] = alu::div64(regs[d], k),
                Div64X => regs[d] = alu::div64(regs[d], regs[s]),
                Div32K => regs[d] = alu::div32(regs[d], k),
                Div32X => regs[d] = alu::div32(regs[d], regs[s]),
                SDiv64K => regs[d] = alu::sdiv64(regs[d], k),
                SDiv64X => regs[d] = alu::sdiv64(regs[d], regs[s]),
                SDiv32K => regs[d] = alu::sdiv32(regs[d], k),
                SDiv32X => regs[d] = alu::sdiv32(regs[d], regs[s]),
                Or64K => regs[d] |= k,
                Or64X => regs[d] |= regs[s],
                Or32K => regs[d] = (regs[d] as u32 | k as u32) as u64,
                Or32X => regs[d] = (regs[d] as u32 | regs[s] as u32) as u64,
                And64K => regs[d] &= k,
                And64X => regs[d] &= regs[s],
                And32K => regs[d] = (regs[d] as u32 & k as u32) as u64,
                And32X => regs[d] = (regs[d] as u32 & regs[s] as u32) as u64,
                Lsh64K => regs[d] = alu::lsh64(regs[d], k),
                Lsh64X => regs[d] = alu::lsh64(regs[d], regs[s]),
                Lsh32K => regs[d] = alu::lsh32(regs[d], k),
                Lsh32X => regs[d] = alu::lsh32(regs[d], regs[s]),
                Rsh64K => regs[d] = alu::rsh64(regs[d], k),
                Rsh64X => regs[d] = alu::rsh64(regs[d], regs[s]),
                Rsh32K => regs[d] = alu::rsh32(regs[d], k),
                Rsh32X => regs[d] = alu::rsh32(regs[d], regs[s]),
                Mod64K => regs[d] = alu::mod64(regs[d], k),
                Mod64X => regs[d] = alu::mod64(regs[d], regs[s]),
                Mod32K => regs[d] = alu::mod32(regs[d], k),
                Mod32X => regs[d] = alu::mod32(regs[d], regs[s]),
                SMod64K => regs[d] = alu::smod64(regs[d], k),
                SMod64X => regs[d] = alu::smod64(regs[d], regs[s]),
                SMod32K => regs[d] = alu::smod32(regs[d], k),
                SMod32X => regs[d] = alu::smod32(regs[d], regs[s]),
                Xor64K => regs[d] ^= k,
                Xor64X => regs[d] ^= regs[s],
                Xor32K => regs[d] = (regs[d] as u32 ^ k as u32) as u64,
                Xor32X => regs[d] = (regs[d] as u32 ^ regs[s] as u32) as u64,
                Mov64K => regs[d] = k,
                Mov64X => regs[d] = regs[s],
                Mov32K => regs[d] = k as u32 as u64,
                Mov32X => regs[d] = regs[s] as u32 as u64,
                Arsh64K => regs[d] = alu::arsh64(regs[d], k),
                Arsh64X => regs[d] = alu::arsh64(regs[d], regs[s]),
                Arsh32K => regs[d] = alu::arsh32(regs[d], k),
                Arsh32X => regs[d] = alu::arsh32(regs[d], regs[s]),
                MovSx64 => regs[d] = alu::sign_extend(regs[s], op.aux),
                MovSx32 => regs[d] = alu::sign_extend(regs[s], op.aux) as u32 as u64,
                Neg64 => regs[d] = regs[d].wrapping_neg(),
                Neg32 => regs[d] = (regs[d] as u32).wrapping_neg() as u64,
                Le => regs[d] = alu::to_le(regs[d], op.aux),
                Swap => regs[d] = alu::swap(regs[d], op.aux),
                Ld64 => {
                    regs[d] = k;
                    // Skip the second slot; it does not count as an instruction.
                    pc += 1;
                    run_start += 1;
                }
                LdxB => regs[d] = load!(op, 1, read_u8),
                LdxH => regs[d] = load!(op, 2, read_u16),
                LdxW => regs[d] = load!(op, 4, read_u32),
                LdxDW => regs[d] = load!(op, 8, read_u64),
                LdxSB => regs[d] = load!(op, 1, read_u8) as i8 as i64 as u64,
                LdxSH => regs[d] = load!(op, 2, read_u16) as i16 as i64 as u64,
                LdxSW => regs[d] = load!(op, 4, read_u32) as i32 as i64 as u64,
                StB => store!(op, 1, write_u8, k as u8),
                StH => store!(op, 2, write_u16, k as u16),
                StW => store!(op, 4, write_u32, k as u32),
                StDW => store!(op, 8, write_u64, k),
                StxB => store!(op, 1, write_u8, regs[s] as u8),
                StxH => store!(op, 2, write_u16, regs[s] as u16),
                StxW => store!(op, 4, write_u32, regs[s] as u32),
                StxDW => store!(op, 8, write_u64, regs[s]),
                Atomic32 | Atomic64 => {
                    let size = if op.kind == Atomic64 { 8 } else { 4 };
                    let addr = regs[d].wrapping_add(op.off as i64 as u64);
                    let p = if stack.contains(addr, size) {
                        Checked(addr)
                    } else {
                        atomic_target(pc, addr, size, stack, env)?
                    };
                    atomic(op.aux, size, p, &mut regs, s);
                }
                LdAbs | LdInd => match legacy_packet_load(env, pc, op, regs[s])? {
                    Some(v) => regs[0] = v,
                    // The kernel ends the program with r0 = 0.
                    None => {
                        return Ok(Outcome {
                            r0: 0,
                            insns: executed + (pc + 1 - run_start) as u64,
                        });
                    }
                },
                Ja => jump!(op, true),
                Jeq64K => jump!(op, regs[d] == k),
                Jeq64X => jump!(op, regs[d] == regs[s]),
                Jeq32K => jump!(op, regs[d] as u32 == k as u32),
                Jeq32X => jump!(op, regs[d] as u32 == regs[s] as u32),
                Jgt64K => jump!(op, regs[d] > k),
                Jgt64X => jump!(op, regs[d] > regs[s]),
                Jgt32K => jump!(op, regs[d] as u32 > k as u32),
                Jgt32X => jump!(op, regs[d] as u32 > regs[s] as u32),
                Jge64K => jump!(op, regs[d] >= k),
                Jge64X => jump!(op, regs[d] >= regs[s]),
                Jge32K => jump!(op, regs[d] as u32 >= k as u32),
                Jge32X => jump!(op, regs[d] as u32 >= regs[s] as u32),
                Jset64K => jump!(op, regs[d] & k != 0),
                Jset64X => jump!(op, regs[d] & regs[s] != 0),
                Jset32K => jump!(op, regs[d] as u32 & k as u32 != 0),
                Jset32X => jump!(op, regs[d] as u32 & regs[s] as u32 != 0),
                Jne64K => jump!(op, regs[d] != k),
                Jne64X => jump!(op, regs[d] != regs[s]),
                Jne32K => jump!(op, regs[d] as u32 != k as u32),
                Jne32X => jump!(op, regs[d] as u32 != regs[s] as u32),
                Jsgt64K => jump!(op, regs[d] as i64 > k as i64),
                Jsgt64X => jump!(op, regs[d] as i64 > regs[s] as i64),
                Jsgt32K => jump!(op, regs[d] as i32 > k as i32),
                Jsgt32X => jump!(op, regs[d] as i32 > regs[s] as i32),
                Jsge64K => jump!(op, regs[d] as i64 >= k as i64),
                Jsge64X => jump!(op, regs[d] as i64 >= regs[s] as i64),
                Jsge32K => jump!(op, regs[d] as i32 >= k as i32),
                Jsge32X => jump!(op, regs[d] as i32 >= regs[s] as i32),
                Jlt64K => jump!(op, regs[d] < k),
                Jlt64X => jump!(op, regs[d] < regs[s]),
                Jlt32K => jump!(op, (regs[d] as u32) < k as u32),
                Jlt32X => jump!(op, (regs[d] as u32) < regs[s] as u32),
                Jle64K => jump!(op, regs[d] <= k),
                Jle64X => jump!(op, regs[d] <= regs[s]),
                Jle32K => jump!(op, regs[d] as u32 <= k as u32),
                Jle32X => jump!(op, regs[d] as u32 <= regs[s] as u32),
                Jslt64K => jump!(op, (regs[d] as i64) < k as i64),
                Jslt64X => jump!(op, (regs[d] as i64) < regs[s] as i64),
                Jslt32K => jump!(op, (regs[d] as i32) < k as i32),
                Jslt32X => jump!(op, (regs[d] as i32) < regs[s] as i32),
                Jsle64K => jump!(op, regs[d] as i64 <= k as i64),
                Jsle64X => jump!(op, regs[d] as i64 <= regs[s] as i64),
                Jsle32K => jump!(op, regs[d] as i32 <= k as i32),
                Jsle32X => jump!(op, regs[d] as i32 <= regs[s] as i32),
                MayGoto => {
                    if may_goto_left == 0 {
                        transfer!(op.off as usize);
                        continue;
                    } else {
                        may_goto_left -= 1;
                    }
                }
                CallHelper | CallX => {
                    let id = if op.kind == CallX { regs[d] } else { k };
                    let Some(helper) = machine.helpers.get(id) else {
                        return Err(VmError::UnknownHelper { pc, id });
                    };
                    let spent = executed + (pc + 1 - run_start) as u64;
                    let mut call = CallEnv {
                        env,
                        stack,
                        machine,
                        program,
                        depth,
                        budget_left: budget.saturating_sub(spent),
                        callback_insns: 0,
                    };
                    let args = [regs[1], regs[2], regs[3], regs[4], regs[5]];
                    let result = helper.call(&mut call, args);
                    executed += call.callback_insns;
                    match result {
                        Ok(v) => regs[0] = v,
                        Err(HelperError::TailCall { target }) => {
                            let next = target
                                .and_then(|t| machine.programs.get(t as usize))
                                .filter(|p| p.available);
                            if let (Some(_), Some(t), true) =
                                (next, target, tail_calls < MAX_TAIL_CALLS)
                            {
                                tail_calls += 1;
                                transfer!(0);
                                program = t as usize;
                                continue 'program;
                            }
                        }
                        Err(HelperError::Callback(e)) => return Err(*e),
                        Err(source) => {
                            return Err(VmError::Helper {
                                pc,
                                name: helper.name,
                                source,
                            });
                        }
                    }
                    if executed > budget {
                        return Err(VmError::BudgetExhausted { pc, budget });
                    }
                }
                CallLocal => {
                    if depth + 1 >= MAX_CALL_FRAMES {
                        return Err(VmError::CallDepth {
                            pc,
                            max: MAX_CALL_FRAMES,
                        });
                    }
                    frames[depth] = Frame {
                        program,
                        return_pc: pc + 1,
                        callee_saved: [regs[6], regs[7], regs[8], regs[9]],
                    };
                    depth += 1;
                    regs[10] -= STACK_SIZE as u64;
                    stack.start -= STACK_SIZE as u64;
                    stack.len += STACK_SIZE as u64;
                    stack.kind = RegionKind::Stack(depth);
                    let zeroed = (op.imm as usize).min(STACK_SIZE);
                    let top = stack.start + STACK_SIZE as u64;
                    memory::zero(Checked(top - zeroed as u64), zeroed);
                    transfer!(op.off as usize);
                    continue;
                }
                CallKfunc => {
                    return Err(VmError::Unsupported {
                        pc,
                        what: "a kfunc call",
                    });
                }
                Exit => {
                    if depth == entry.depth {
                        return Ok(Outcome {
                            r0: regs[0],
                            insns: executed + (pc + 1 - run_start) as u64,
                        });
                    }
                    depth -= 1;
                    let f = frames[depth];
                    regs[6..10].copy_from_slice(&f.callee_saved);
                    regs[10] += STACK_SIZE as u64;
                    stack.start += STACK_SIZE as u64;
                    stack.len -= STACK_SIZE as u64;
                    stack.kind = RegionKind::Stack(depth);
                    transfer!(f.return_pc);
                    if f.program != program {
                        program = f.program;
                        continue 'program;
                    }
                    continue;
                }
                Ld64Tail => return Err(VmError::JumpIntoLd64 { pc }),
                OutOfRange => {
                    return Err(VmError::PcOutOfRange {
                        target: op.imm,
                        len: lowered.len,
                    });
                }
            }
            pc += 1;
        }
    }
}

/// A legacy packet load (`ld_abs`, or `ld_ind` with `src` = its register's value): the
/// value, or `None` when it lies outside the packet (the kernel then ends the program with
/// r0 = 0).
pub(crate) fn legacy_packet_load(
    env: &mut Env<'_>,
    pc: usize,
    op: &Op,
    src: u64,
) -> Result<Option<u64>, VmError> {
    let base = if op.kind == OpKind::LdInd {
        src as u32 as i32 as i64
    } else {
        0
    };
    let off = (base as i32).wrapping_add(op.imm as i32) as i64;
    let load = match env.ctx.as_deref_mut() {
        Some(ctx) => ctx.legacy_load(off, op.aux as u64),
        None => LegacyLoad::NoSocketBuffer,
    };
    match load {
        LegacyLoad::Value(v) => Ok(Some(v)),
        LegacyLoad::OutOfBounds => Ok(None),
        LegacyLoad::NoSocketBuffer => Err(VmError::Unsupported {
            pc,
            what: "a legacy packet load (ld_abs/ld_ind) without a socket buffer",
        }),
    }
}

/// Atomic read-modify-write of `size` (4 or 8) bytes at `p`; 32-bit operations zero-extend
/// what they fetch. The interpreter is single-threaded, so plain reads and writes are atomic.
#[inline(never)]
pub(crate) fn atomic(code: u8, size: u64, p: Checked, regs: &mut [u64; 16], s: usize) {
    let mask = if size == 8 { u64::MAX } else { u32::MAX as u64 };
    let old = memory::read_sized(p, size);
    let src = regs[s] & mask;
    let fetch = code & ATOMIC_FETCH != 0;
    let new = match code & !ATOMIC_FETCH {
        0 => old.wrapping_add(src),
        1 => old | src,
        2 => old & src,
        3 => old ^ src,
        4 => src,
        _ => {
            // cmpxchg: compare with r0, always load the old value into r0.
            let expected = regs[0] & mask;
            regs[0] = old;
            if old == expected {
                memory::write_sized(p, size, src);
            }
            return;
        }
    };
    memory::write_sized(p, size, new & mask);
    if fetch {
        regs[s] = old;
    }
}
