//! Code generation: one lowered program ([`Op`]s, as the interpreter runs them) to x86-64.
//!
//! Register map (as Linux's x86-64 JIT): r0=rax, r1=rdi, r2=rsi, r3=rdx, r4=rcx, r5=r8,
//! r6=rbx, r7=r13, r8=r14, r9=r15, r10=rbp. r12 holds the run's [`JitCtx`], r9 the
//! instructions the run may still execute, r10/r11 are scratch.
//!
//! Instruction counting: the code is cut into blocks at jump targets and after every
//! transfer (jump, call, exit, helper call, legacy packet load); each block subtracts its
//! instruction count (lddw counts once) from r9 where it ends, and every *taken* transfer
//! checks r9 < 0, exactly where the interpreter checks its count, so the budget error
//! (slot and budget) and the `insns` of an outcome are the interpreter's.
//!
//! Memory (checked mode): an access `[r10 + off]` with `off` in [-512, -size] needs no check
//! when no program of the set writes r10 (it is then always the current frame's top). Other
//! accesses are done inline when they lie in the current stack frames
//! or in the last region a slow access found (one cache for loads, one for stores); anything
//! else goes to the interpreter's slow path through [`super::runtime`], which translates
//! context fields, finds the region or reports the same fault. Loads (or stores) through one
//! base register in straight-line code share one check of the bytes they span ([`Group`]),
//! with a copy of that code whose accesses are checked one by one for when it fails.
//! Verified mode emits the
//! access with no check, except through registers that may hold the context pointer
//! (`ctxflow`).

use super::JitMode;
use super::runtime::{
    ERR_BUDGET, ERR_CALL_DEPTH, ERR_INTO_LD64, ERR_KFUNC, ERR_PC_OUT_OF_RANGE, JitCtx,
    ST_JIT_ERROR, ST_TAIL, access_info, jit_atomic, jit_helper, jit_legacy, jit_load, jit_store,
};
use super::x86::{
    Asm, Label, R8, R9, R10, R11, R12, R13, R14, R15, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP, Size,
    alu, cc, shift,
};
use crate::helpers::{Helper, HelperImpl, HelperTable, WorldField, WorldHelperFn};
use crate::vm::code::{ATOMIC_FETCH, Op, OpKind};
use crate::vm::{MAX_CALL_FRAMES, STACK_SIZE};
use std::mem::offset_of;

/// BPF register → x86 register.
const REG: [u8; 11] = [RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP];
const CTX: u8 = R9;
const BUDGET: u8 = R12;

macro_rules! field {
    ($f:ident) => {
        offset_of!(JitCtx, $f) as i32
    };
}

/// What the code generator could not do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodegenError {
    #[error("instruction {pc}: register r{reg} does not exist")]
    BadRegister { pc: usize, reg: u8 },
    #[error("internal error: a branch to an unbound label")]
    Unbound,
}

/// Generated code and where its body starts (the tail-call entry, after the prologue).
pub struct Generated {
    pub code: Vec<u8>,
    pub body: usize,
}

type Cold = Box<dyn FnOnce(&mut Gen<'_>)>;

struct Gen<'a> {
    a: Asm,
    /// Helper calls name their [`Helper`] directly (the table outlives the code: both
    /// belong to the `Jit`).
    helpers: &'a HelperTable,
    /// No program of the set writes r10, so r10 is always the current frame's top.
    fixed_frame: bool,
    code: &'a [Op],
    len: usize,
    program: usize,
    mode: JitMode,
    slot: Vec<Label>,
    epilogue: Label,
    budget_common: Label,
    budget_stub: Vec<Option<Label>>,
    helper_status: Option<Label>,
    cold: Vec<Cold>,
    /// Verified mode: per slot, the registers that may hold the context pointer.
    maybe_ctx: Vec<super::ctxflow::RegSet>,
    /// Per slot: an access a group check (`group`) covers, emitted without its own check.
    covered: Vec<bool>,
}

/// Compiles program `program` (its lowered `code`, `len` slots of its own).
pub fn generate(
    code: &[Op],
    len: usize,
    program: usize,
    mode: JitMode,
    helpers: &HelperTable,
    fixed_frame: bool,
) -> Result<Generated, CodegenError> {
    for (pc, op) in code.iter().enumerate().take(len) {
        for r in [op.dst.get(), op.src.get()] {
            if r >= REG.len() {
                return Err(CodegenError::BadRegister { pc, reg: r as u8 });
            }
        }
    }
    let mut a = Asm::new();
    let slot = (0..code.len()).map(|_| a.label()).collect();
    let epilogue = a.label();
    let budget_common = a.label();
    let mut g = Gen {
        a,
        helpers,
        fixed_frame,
        code,
        len,
        program,
        mode,
        slot,
        epilogue,
        budget_common,
        budget_stub: vec![None; code.len()],
        helper_status: None,
        cold: Vec::new(),
        maybe_ctx: match mode {
            JitMode::Verified => super::ctxflow::maybe_ctx(code, len),
            JitMode::Checked => Vec::new(),
        },
        covered: vec![false; code.len()],
    };
    let body = g.prologue();
    g.body();
    while let Some(stub) = g.cold.pop() {
        stub(&mut g);
    }
    g.tail();
    let code = g.a.finish().ok_or(CodegenError::Unbound)?;
    Ok(Generated { code, body })
}

fn is_transfer(kind: OpKind) -> bool {
    use OpKind::*;
    (Ja as u8..=MayGoto as u8).contains(&(kind as u8))
        || matches!(
            kind,
            CallHelper | CallLocal | CallX | CallKfunc | Exit | LdAbs | LdInd
        )
}

/// A conditional jump (not `ja`, not `may_goto`) to a later slot.
fn is_forward_cond(op: &Op, pc: usize) -> bool {
    let k = op.kind as u8;
    (OpKind::Jeq64K as u8..=OpKind::Jsle32X as u8).contains(&k) && op.off as usize > pc
}

/// Accesses through one base register that one check covers (checked mode): loads only or
/// stores only (the two caches), the base not written between them, and among them no jump
/// target, no call, atomic or backward jump: only straight-line code and forward conditional
/// jumps out. Parsers read several header fields after one test against the packet's end
/// (and leave on the first field they do not want): one check instead of one per field.
struct Group {
    first: usize,
    last: usize,
    base: crate::vm::code::RegIdx,
    write: bool,
    /// The bytes the members touch, as offsets from the base: `[lo, hi)`.
    lo: i64,
    hi: i64,
    members: Vec<usize>,
}

/// Whether `op` at `pc` has no effect beyond registers and plain memory and, if it does not
/// run straight on, leaves forward (the way a parser leaves on a field it does not want):
/// ALU operations, `lddw`, loads, stores and forward conditional jumps.
fn straight(op: &Op, pc: usize) -> bool {
    use OpKind::*;
    let k = op.kind as u8;
    (Add64K as u8..=Arsh32X as u8).contains(&k)
        || is_forward_cond(op, pc)
        || op.memory_access().is_some()
        || matches!(
            op.kind,
            MovSx64 | MovSx32 | Neg64 | Neg32 | Le | Swap | Ld64 | Ld64Tail
        )
}

/// Whether a straight-line `op` writes register `r`.
fn writes(op: &Op, r: crate::vm::code::RegIdx) -> bool {
    op.memory_access().is_none_or(|a| !a.write) && op.kind != OpKind::Ld64Tail && op.dst == r
}

fn has_target(kind: OpKind) -> bool {
    use OpKind::*;
    (Ja as u8..=MayGoto as u8).contains(&(kind as u8)) || kind == CallLocal
}

impl Gen<'_> {
    fn r(&self, i: crate::vm::code::RegIdx) -> u8 {
        REG[i.get()]
    }

    /// Whether an access at `pc` through `base` is checked: always in checked mode; in
    /// verified mode when the base may be the context pointer (its fields are translated).
    fn checked(&self, pc: usize, base: crate::vm::code::RegIdx, off: i32, size: u64) -> bool {
        if self.covered[pc] {
            return false;
        }
        // r10 never written: `[r10 + off]` with off in [-512, -size] is in the current frame.
        let frame = -(STACK_SIZE as i32)..=-(size as i32);
        if self.fixed_frame && base.get() == 10 && frame.contains(&off) {
            return false;
        }
        match self.mode {
            JitMode::Checked => true,
            JitMode::Verified => self
                .maybe_ctx
                .get(pc)
                .is_none_or(|s| s >> base.get() & 1 == 1),
        }
    }

    fn prologue(&mut self) -> usize {
        let a = &mut self.a;
        for r in [RBP, RBX, R12, R13, R14, R15] {
            a.push(r);
        }
        a.alu_ri(true, alu::SUB, RSP, 8);
        a.mov_rr(true, CTX, RDI);
        a.store64(CTX, field!(entry_rsp), RSP);
        for r in [RAX, RBX, R13, R14, R15] {
            a.mov_imm(r, 0);
        }
        a.load64(RBP, CTX, field!(frame_top));
        for (i, r) in [RDI, RSI, RDX, RCX, R8].into_iter().enumerate() {
            a.load64(r, CTX, field!(args) + 8 * i as i32);
        }
        a.load64(BUDGET, CTX, field!(budget));
        a.pos()
    }

    /// The shared exits: every way out restores the native stack saved at entry.
    fn tail(&mut self) {
        let epilogue = self.epilogue;
        let budget_common = self.budget_common;
        let len = self.len as u64;
        let a = &mut self.a;
        a.bind(budget_common);
        a.store64(CTX, field!(err_arg), R11);
        a.mov_imm(R11, ERR_BUDGET | len << 8);
        a.store64(CTX, field!(err_kind), R11);
        a.store64_imm(CTX, field!(status), ST_JIT_ERROR as i32);
        a.bind(epilogue);
        a.store64(CTX, field!(budget), BUDGET);
        a.load64(RSP, CTX, field!(entry_rsp));
        a.alu_ri(true, alu::ADD, RSP, 8);
        for r in [R15, R14, R13, R12, RBX, RBP] {
            a.pop(r);
        }
        a.ret();
    }

    /// Stops the run with a JIT-side error.
    fn error_stub(&mut self, kind: u64, arg: u64) {
        let len = self.len as u64;
        let epilogue = self.epilogue;
        let a = &mut self.a;
        a.mov_imm(R11, arg);
        a.store64(CTX, field!(err_arg), R11);
        a.mov_imm(R11, kind | len << 8);
        a.store64(CTX, field!(err_kind), R11);
        a.store64_imm(CTX, field!(status), ST_JIT_ERROR as i32);
        a.jmp(epilogue);
    }

    /// The label of "budget exhausted at `pc`".
    fn budget_label(&mut self, pc: usize) -> Label {
        if let Some(l) = self.budget_stub[pc] {
            return l;
        }
        let l = self.a.label();
        self.budget_stub[pc] = Some(l);
        self.cold.push(Box::new(move |g: &mut Gen<'_>| {
            g.a.bind(l);
            g.a.mov_imm(R11, pc as u64);
            g.a.jmp(g.budget_common);
        }));
        l
    }

    fn body(&mut self) {
        let len = self.len;
        let code = self.code;
        let mut leader = vec![false; code.len() + 1];
        leader[0] = true;
        leader[len] = true;
        let mut needed_padding = vec![len];
        for (pc, op) in code.iter().enumerate().take(len) {
            // A forward conditional jump carries its count into the fall-through block
            // (only the taken edge pays it, in a stub); every other transfer ends a block.
            if is_transfer(op.kind) && !is_forward_cond(op, pc) && self.world_call(op).is_none() {
                leader[pc + 1] = true;
            }
            if has_target(op.kind) {
                let t = op.off as usize;
                leader[t] = true;
                if t >= len {
                    needed_padding.push(t);
                }
            }
        }
        for pc in 0..len {
            if code[pc].kind == OpKind::Ld64 && leader[pc + 1] {
                leader[pc + 2] = true;
            }
        }
        let mut pending = 0u32;
        let mut pc = 0;
        while pc < len {
            if leader[pc] {
                self.flush(&mut pending);
            }
            if let Some(group) = self.group_at(pc, &leader) {
                self.group(&group, &mut pending);
                pc = group.last + 1;
                continue;
            }
            let next_is_leader = pc + 1 >= len || leader[pc + 1];
            pc += self.slot_code(pc, next_is_leader, &mut pending, true);
        }
        self.flush(&mut pending);
        needed_padding.sort_unstable();
        needed_padding.dedup();
        for t in needed_padding {
            if t < code.len() && !self.a.is_bound(self.slot[t]) {
                self.a.bind(self.slot[t]);
                self.error_stub(ERR_PC_OUT_OF_RANGE, code[t].imm as u64);
            }
        }
    }

    /// Emits slot `pc` (binding its label when `bind`) and returns how many slots it took:
    /// 2 when the next one (not a leader) was fused into it.
    fn slot_code(
        &mut self,
        pc: usize,
        next_is_leader: bool,
        pending: &mut u32,
        bind: bool,
    ) -> usize {
        let code = self.code;
        let op = code[pc];
        if op.kind == OpKind::Ld64Tail {
            if bind {
                let l = self.slot[pc];
                self.cold.push(Box::new(move |g: &mut Gen<'_>| {
                    g.a.bind(l);
                    g.error_stub(ERR_INTO_LD64, pc as u64);
                }));
            }
            return 1;
        }
        if bind {
            self.a.bind(self.slot[pc]);
        }
        *pending += 1;
        if !next_is_leader && self.fuse(&op, &code[pc + 1]) {
            // The second instruction of the pair: no code of its own.
            if bind {
                self.a.bind(self.slot[pc + 1]);
            }
            *pending += 1;
            return 2;
        }
        self.op(pc, &op, pending);
        1
    }

    /// Checked mode: the group of accesses starting at `pc`, if one does (see [`Group`]).
    fn group_at(&self, pc: usize, leader: &[bool]) -> Option<Group> {
        if self.mode != JitMode::Checked {
            return None;
        }
        let first = self.code[pc].memory_access()?;
        if !self.checked(pc, first.base, first.off, first.size) {
            return None;
        }
        let mut group = Group {
            first: pc,
            last: pc,
            base: first.base,
            write: first.write,
            lo: first.off as i64,
            hi: first.off as i64 + first.size as i64,
            members: vec![pc],
        };
        let mut q = pc;
        loop {
            if writes(&self.code[q], first.base) {
                break;
            }
            q += 1;
            if q >= self.len || leader[q] || !straight(&self.code[q], q) {
                break;
            }
            if let Some(a) = self.code[q].memory_access()
                && a.base == first.base
                && a.write == first.write
                && self.checked(q, a.base, a.off, a.size)
            {
                group.members.push(q);
                group.last = q;
                group.lo = group.lo.min(a.off as i64);
                group.hi = group.hi.max(a.off as i64 + a.size as i64);
            }
        }
        (group.members.len() > 1).then_some(group)
    }

    /// One check for a whole group: when `[base + lo, base + hi)` lies in one region, the
    /// members run unchecked; otherwise a copy of the group's slots runs, each access with
    /// its own check, so that a fault is the same error at the same slot, after the same
    /// effects.
    fn group(&mut self, group: &Group, pending: &mut u32) {
        let base = self.r(group.base);
        let span = (group.hi - group.lo) as u64;
        let each = self.a.label();
        let join = self.a.label();
        // A jump to the first member comes to the check.
        self.a.bind(self.slot[group.first]);
        self.check(base, group.lo as i32, span, group.write, each);
        for &m in &group.members {
            self.covered[m] = true;
        }
        let before = *pending;
        let mut pc = group.first;
        while pc <= group.last {
            pc += self.slot_code(pc, pc == group.last, pending, pc != group.first);
        }
        for &m in &group.members {
            self.covered[m] = false;
        }
        self.a.bind(join);
        let (first, last) = (group.first, group.last);
        self.cold.push(Box::new(move |g: &mut Gen<'_>| {
            g.a.bind(each);
            // Counted once, by the copy above: this one's count is dropped.
            let mut count = before;
            let mut pc = first;
            while pc <= last {
                pc += g.slot_code(pc, pc == last, &mut count, false);
            }
            g.a.jmp(join);
        }));
    }

    /// Emits two ALU instructions (the second no jump target) as one x86 instruction where
    /// a common pair allows it, and says whether it did. BPF has no flags, so nothing
    /// observes the difference:
    /// - `r <<= 32; r >>= 32` (clang's zero-extension of a u32): `mov r32, r32`;
    /// - `d = s; d += imm` and `d = s; d += t`: `lea d, [s + imm]`, `lea d, [s + t]`.
    fn fuse(&mut self, op: &Op, next: &Op) -> bool {
        use OpKind::*;
        if next.dst != op.dst {
            return false;
        }
        let (d, s) = (self.r(op.dst), self.r(op.src));
        match (op.kind, next.kind) {
            (Lsh64K, Rsh64K) if op.imm == 32 && next.imm == 32 => self.a.mov_rr(false, d, d),
            (Mov64X, Add64K) => self.a.lea(d, s, next.imm as i32),
            (Mov64X, Add64X) => {
                // `d += d` adds the value just moved in.
                let t = if next.src == op.dst {
                    s
                } else {
                    self.r(next.src)
                };
                self.a.lea_index(d, s, t);
            }
            _ => return false,
        }
        true
    }

    /// Subtracts the instructions counted since the last flush from the budget.
    fn flush(&mut self, pending: &mut u32) {
        if *pending > 0 {
            self.a.alu_ri(true, alu::SUB, BUDGET, *pending as i32);
            *pending = 0;
        }
    }

    fn op(&mut self, pc: usize, op: &Op, pending: &mut u32) {
        use OpKind::*;
        let k = op.kind as u8;
        if (Add64K as u8..=Arsh32X as u8).contains(&k) {
            let rel = k - Add64K as u8;
            return self.alu(rel / 4, rel % 4, op);
        }
        if (Jeq64K as u8..=Jsle32X as u8).contains(&k) {
            let rel = k - Jeq64K as u8;
            if is_forward_cond(op, pc) {
                return self.forward_jump(pc, rel / 4, rel % 4, op, *pending);
            }
            self.flush(pending);
            return self.cond_jump(pc, rel / 4, rel % 4, op);
        }
        let d = self.r(op.dst);
        let s = self.r(op.src);
        match op.kind {
            MovSx64 | MovSx32 => {
                let w = op.kind == MovSx64;
                match op.aux {
                    8 | 16 | 32 => self.a.movsx(w, op.aux, d, s),
                    _ => self.a.mov_rr(w, d, s),
                }
            }
            Neg64 => self.a.group3(true, 3, d),
            Neg32 => self.a.group3(false, 3, d),
            Le => match op.aux {
                16 => self.a.movzx16(d, d),
                32 => self.a.mov_rr(false, d, d),
                _ => {}
            },
            Swap => match op.aux {
                16 => {
                    self.a.ror16_8(d);
                    self.a.movzx16(d, d);
                }
                32 => self.a.bswap(false, d),
                _ => self.a.bswap(true, d),
            },
            Ld64 => self.a.mov_imm(d, op.imm as u64),
            LdxB | LdxH | LdxW | LdxDW | LdxSB | LdxSH | LdxSW => self.load(pc, op),
            StB | StH | StW | StDW | StxB | StxH | StxW | StxDW => self.store(pc, op),
            Atomic32 | Atomic64 => self.atomic(pc, op),
            LdAbs | LdInd => {
                self.flush(pending);
                self.a.store64_imm(CTX, field!(call_id), op.imm as i32);
                self.a.mov_rr(true, R11, s);
                let info = access_info(pc, op.aux as u64, op.kind == LdInd);
                self.call_rust(jit_legacy as *const () as u64, info);
                self.a.load64(RAX, CTX, field!(ret));
            }
            Ja => {
                self.flush(pending);
                let b = self.budget_label(pc);
                self.a.jcc(cc::S, b);
                self.a.jmp(self.slot[op.off as usize]);
            }
            MayGoto => {
                self.flush(pending);
                let taken = self.a.label();
                let target = self.slot[op.off as usize];
                self.a.alu_mi(alu::CMP, CTX, field!(may_goto_left), 0);
                self.a.jcc(cc::E, taken);
                self.a.alu_mi(alu::SUB, CTX, field!(may_goto_left), 1);
                let b = self.budget_label(pc);
                self.cold.push(Box::new(move |g: &mut Gen<'_>| {
                    g.a.bind(taken);
                    g.a.test_rr(true, BUDGET, BUDGET);
                    g.a.jcc(cc::S, b);
                    g.a.jmp(target);
                }));
            }
            CallHelper | CallX => match self.world_call(op) {
                Some((_, Some(field))) => self.world_field_read(field),
                Some((f, None)) => self.world_helper_call(f as usize as u64),
                None => {
                    self.flush(pending);
                    self.helper_call(pc, op);
                }
            },
            CallLocal => {
                self.flush(pending);
                self.local_call(pc, op);
            }
            CallKfunc => {
                self.flush(pending);
                self.error_stub(ERR_KFUNC, pc as u64);
            }
            Exit => {
                self.flush(pending);
                self.exit(pc);
            }
            Ld64Tail | OutOfRange => {}
            _ => {}
        }
    }

    fn alu(&mut self, group: u8, variant: u8, op: &Op) {
        let w = variant < 2;
        let imm = variant.is_multiple_of(2);
        let d = self.r(op.dst);
        let s = self.r(op.src);
        let k = op.imm as i32;
        let a = &mut self.a;
        let simple = |a: &mut Asm, x86op: u8| {
            if imm {
                a.alu_ri(w, x86op, d, k)
            } else {
                a.alu_rr(w, x86op, d, s)
            }
        };
        match group {
            0 => simple(a, alu::ADD),
            1 => simple(a, alu::SUB),
            2 => {
                if imm {
                    a.imul_ri(w, d, k)
                } else {
                    a.imul_rr(w, d, s)
                }
            }
            3 => self.divmod(w, false, false, op, imm),
            4 => self.divmod(w, true, false, op, imm),
            5 => simple(a, alu::OR),
            6 => simple(a, alu::AND),
            7 => self.shift(w, shift::SHL, op, imm),
            8 => self.shift(w, shift::SHR, op, imm),
            9 => self.divmod(w, false, true, op, imm),
            10 => self.divmod(w, true, true, op, imm),
            11 => simple(a, alu::XOR),
            12 => {
                if !imm {
                    a.mov_rr(w, d, s)
                } else if w {
                    a.mov_imm(d, op.imm as u64)
                } else {
                    a.mov_imm32(d, op.imm as u32)
                }
            }
            _ => self.shift(w, shift::SAR, op, imm),
        }
    }

    fn shift(&mut self, w: bool, sop: u8, op: &Op, imm: bool) {
        let d = self.r(op.dst);
        let s = self.r(op.src);
        let a = &mut self.a;
        if imm {
            let n = (op.imm as u64 & if w { 63 } else { 31 }) as u8;
            if n != 0 {
                a.shift_imm(w, sop, d, n);
            }
        } else if s == RCX {
            if d == RCX {
                a.mov_rr(true, R11, RCX);
                a.shift_cl(w, sop, R11);
                a.mov_rr(true, RCX, R11);
            } else {
                a.shift_cl(w, sop, d);
            }
        } else if d == RCX {
            a.mov_rr(true, R11, RCX);
            a.mov_rr(true, RCX, s);
            a.shift_cl(w, sop, R11);
            a.mov_rr(true, RCX, R11);
        } else {
            a.mov_rr(true, R11, RCX);
            a.mov_rr(true, RCX, s);
            a.shift_cl(w, sop, d);
            a.mov_rr(true, RCX, R11);
        }
        if !w {
            // A 32-bit result is zero-extended, also when the count is 0.
            a.mov_rr(false, d, d);
        }
    }

    /// Division and modulo with RFC 9669's rules: by zero gives 0 (div) or leaves dst
    /// (mod, truncated to 32 bits for the 32-bit form); signed `MIN / -1` gives `MIN` and
    /// `MIN % -1` gives 0 (x86 would trap).
    fn divmod(&mut self, w: bool, signed: bool, is_mod: bool, op: &Op, imm: bool) {
        let d = self.r(op.dst);
        let s = self.r(op.src);
        let a = &mut self.a;
        let zero = a.label();
        let minus1 = a.label();
        let done = a.label();
        if imm {
            if w {
                a.mov_imm(R11, op.imm as u64);
            } else {
                a.mov_imm32(R11, op.imm as u32);
            }
        } else {
            a.mov_rr(w, R11, s);
        }
        a.test_rr(w, R11, R11);
        a.jcc(cc::E, zero);
        if signed {
            a.alu_ri(w, alu::CMP, R11, -1);
            a.jcc(cc::E, minus1);
        }
        a.push(RAX);
        a.push(RDX);
        a.mov_rr(true, RAX, d);
        if signed {
            if w {
                a.cqo();
            } else {
                a.cdq();
            }
            a.group3(w, 7, R11);
        } else {
            a.mov_imm(RDX, 0);
            a.group3(w, 6, R11);
        }
        a.mov_rr(w, R10, if is_mod { RDX } else { RAX });
        a.pop(RDX);
        a.pop(RAX);
        a.mov_rr(true, d, R10);
        a.jmp(done);
        a.bind(zero);
        if !is_mod {
            a.mov_imm(d, 0);
        } else if !w {
            a.mov_rr(false, d, d);
        }
        if signed {
            a.jmp(done);
            a.bind(minus1);
            if is_mod {
                a.mov_imm(d, 0);
            } else {
                a.group3(w, 3, d);
            }
        }
        a.bind(done);
    }

    /// A forward conditional jump: the count so far stays pending on the fall-through path;
    /// the taken edge subtracts it, checks the budget and jumps, in a stub.
    fn forward_jump(&mut self, pc: usize, cond: u8, variant: u8, op: &Op, pending: u32) {
        let (x86cc, compare) = self.comparison(cond, variant, op);
        let taken = self.a.label();
        let target = self.slot[op.off as usize];
        compare(&mut self.a);
        self.a.jcc(x86cc, taken);
        let b = self.budget_label(pc);
        self.cold.push(Box::new(move |g: &mut Gen<'_>| {
            g.a.bind(taken);
            g.a.alu_ri(true, alu::SUB, BUDGET, pending as i32);
            g.a.jcc(cc::S, b);
            g.a.jmp(target);
        }));
    }

    /// The x86 condition and the comparison that sets the flags for a BPF jump.
    fn comparison(
        &self,
        cond: u8,
        variant: u8,
        op: &Op,
    ) -> (u8, impl Fn(&mut Asm) + Copy + 'static) {
        let w = variant < 2;
        let imm = variant.is_multiple_of(2);
        let d = self.r(op.dst);
        let s = self.r(op.src);
        let k = op.imm as i32;
        // Eq, Gt, Ge, Set, Ne, Sgt, Sge, Lt, Le, Slt, Sle
        let x86cc = [
            cc::E,
            cc::A,
            cc::AE,
            cc::NE,
            cc::NE,
            cc::G,
            cc::GE,
            cc::B,
            cc::BE,
            cc::L,
            cc::LE,
        ][cond as usize];
        let set = cond == 3;
        let compare = move |a: &mut Asm| match (set, imm) {
            (false, false) => a.alu_rr(w, alu::CMP, d, s),
            (false, true) => a.alu_ri(w, alu::CMP, d, k),
            (true, false) => a.test_rr(w, d, s),
            (true, true) => a.test_ri(w, d, k),
        };
        (x86cc, compare)
    }

    fn cond_jump(&mut self, pc: usize, cond: u8, variant: u8, op: &Op) {
        let (x86cc, compare) = self.comparison(cond, variant, op);
        let recheck = self.a.label();
        let back = self.a.label();
        let target = self.slot[op.off as usize];
        self.a.jcc(cc::S, recheck);
        compare(&mut self.a);
        self.a.jcc(x86cc, target);
        self.a.bind(back);
        let b = self.budget_label(pc);
        // Over budget: only a taken jump stops the run (as in the interpreter).
        self.cold.push(Box::new(move |g: &mut Gen<'_>| {
            g.a.bind(recheck);
            compare(&mut g.a);
            g.a.jcc(x86cc, b);
            g.a.jmp(back);
        }));
    }

    /// Calls a Rust entry point `f(ctx, r11, r10, info)`, keeping every BPF register; its
    /// result is left in `ctx.ret`. A non-zero status ends the run.
    fn call_rust(&mut self, f: u64, info: u64) {
        let epilogue = self.epilogue;
        let a = &mut self.a;
        let saved = [RAX, RDI, RSI, RDX, RCX, R8, R9];
        for r in saved {
            a.push(r);
        }
        a.alu_ri(true, alu::SUB, RSP, 8);
        a.mov_rr(true, RDI, CTX);
        a.mov_rr(true, RSI, R11);
        a.mov_rr(true, RDX, R10);
        a.mov_imm(RCX, info);
        a.mov_imm(RAX, f);
        a.call_reg(RAX);
        // CTX is caller-saved: the result waits in r11 until it is back.
        a.mov_rr(true, R11, RAX);
        a.alu_ri(true, alu::ADD, RSP, 8);
        for r in saved.into_iter().rev() {
            a.pop(r);
        }
        a.store64(CTX, field!(ret), R11);
        a.alu_mi(alu::CMP, CTX, field!(status), 0);
        a.jcc(cc::NE, epilogue);
    }

    /// The inline bounds check of a checked access or group: falls through when
    /// `[base + off, +span)` lies in the stack frames or the cached region, else goes to
    /// `slow`. The run state keeps limits for 1, 2, 4 and 8 bytes; a span of another length
    /// is checked as its first byte and its last byte lying in the region.
    fn check(&mut self, base: u8, off: i32, span: u64, write: bool, slow: Label) {
        let (clo, clim) = if write {
            (field!(wcache_lo), field!(wcache_lim))
        } else {
            (field!(rcache_lo), field!(rcache_lim))
        };
        let stack = (field!(stack_lo), field!(stack_lim));
        let order = if base == RBP {
            [stack, (clo, clim)]
        } else {
            [(clo, clim), stack]
        };
        // r11 = addr - lo: `span` bytes fit exactly when r11 < lim[span] (= len - span + 1),
        // or, for other spans, when r11 < len and r11 + span - 1 < len (len < 2^63: no wrap).
        let sized = matches!(span, 1 | 2 | 4 | 8);
        let idx = if sized {
            span.trailing_zeros() as i32
        } else {
            0
        };
        let [(lo1, lim1), (lo2, lim2)] = order.map(|(lo, lim)| (lo, lim + 8 * idx));
        let emit = move |a: &mut Asm, lo: i32, lim: i32, miss: Label| {
            a.lea(R11, base, off);
            a.alu_rm(alu::SUB, R11, CTX, lo);
            a.alu_rm(alu::CMP, R11, CTX, lim);
            if !sized {
                a.jcc(cc::AE, miss);
                a.lea(R10, R11, (span - 1) as i32);
                a.alu_rm(alu::CMP, R10, CTX, lim);
            }
        };
        // The likely region inline, with its branch not taken; the other one out of line.
        let second = self.a.label();
        let fast = self.a.label();
        emit(&mut self.a, lo1, lim1, second);
        self.a.jcc(cc::AE, second);
        self.a.bind(fast);
        self.cold.push(Box::new(move |g: &mut Gen<'_>| {
            g.a.bind(second);
            let miss = g.a.label();
            emit(&mut g.a, lo2, lim2, miss);
            g.a.jcc(cc::B, fast);
            g.a.bind(miss);
            g.a.jmp(slow);
        }));
    }

    fn load(&mut self, pc: usize, op: &Op) {
        use OpKind::*;
        let (size, sign) = match op.kind {
            LdxB => (1, false),
            LdxH => (2, false),
            LdxW => (4, false),
            LdxDW => (8, false),
            LdxSB => (1, true),
            LdxSH => (2, true),
            _ => (4, true),
        };
        let d = self.r(op.dst);
        let s = self.r(op.src);
        let off = op.off;
        if self.checked(pc, op.src, off, size) {
            let slow = self.a.label();
            let back = self.a.label();
            self.check(s, off, size, false, slow);
            self.a.load_sized(Size::from_bytes(size), sign, d, s, off);
            self.a.bind(back);
            self.cold.push(Box::new(move |g: &mut Gen<'_>| {
                g.a.bind(slow);
                g.a.lea(R11, s, off);
                g.call_rust(jit_load as *const () as u64, access_info(pc, size, sign));
                g.a.load64(d, CTX, field!(ret));
                g.a.jmp(back);
            }));
        } else {
            self.a.load_sized(Size::from_bytes(size), sign, d, s, off);
        }
    }

    fn store(&mut self, pc: usize, op: &Op) {
        use OpKind::*;
        let (size, from_reg) = match op.kind {
            StB => (1, false),
            StH => (2, false),
            StW => (4, false),
            StDW => (8, false),
            StxB => (1, true),
            StxH => (2, true),
            StxW => (4, true),
            _ => (8, true),
        };
        let d = self.r(op.dst);
        let s = self.r(op.src);
        let off = op.off;
        let imm = op.imm;
        let emit = move |a: &mut Asm| {
            if from_reg {
                a.store_sized(Size::from_bytes(size), d, off, s);
            } else {
                a.store_sized_imm(Size::from_bytes(size), d, off, imm as i32);
            }
        };
        if self.checked(pc, op.dst, off, size) {
            let slow = self.a.label();
            let back = self.a.label();
            self.check(d, off, size, true, slow);
            emit(&mut self.a);
            self.a.bind(back);
            self.cold.push(Box::new(move |g: &mut Gen<'_>| {
                g.a.bind(slow);
                g.a.lea(R11, d, off);
                if from_reg {
                    g.a.mov_rr(true, R10, s);
                } else {
                    g.a.mov_imm(R10, imm as u64);
                }
                g.call_rust(jit_store as *const () as u64, access_info(pc, size, false));
                g.a.jmp(back);
            }));
        } else {
            emit(&mut self.a);
        }
    }

    /// Atomics whose access the verifier proved, in verified mode, are the x86 locked
    /// instruction (as Linux's JIT emits them); the others, and every atomic in checked
    /// mode, go through the interpreter's own operation.
    fn atomic(&mut self, pc: usize, op: &Op) {
        let d = self.r(op.dst);
        let s = self.r(op.src);
        let size = if op.kind == OpKind::Atomic64 { 8 } else { 4 };
        if !self.checked(pc, op.dst, op.off, size) && self.inline_atomic(op, d, s, size) {
            return;
        }
        let same = (op.src.get() == 0) as u64;
        let info = (pc as u64) << 32 | same << 16 | (op.aux as u64) << 8 | size;
        self.a.lea(R11, d, op.off);
        self.a.mov_rr(true, R10, s);
        self.a.store64(CTX, field!(r0), RAX);
        self.call_rust(jit_atomic as *const () as u64, info);
        self.a.load64(s, CTX, field!(ret));
        self.a.load64(RAX, CTX, field!(r0));
    }

    /// Emits `[d + off] op= s` as one x86 instruction when there is one with the same
    /// result: add, or, and, xor without fetch (`lock add/or/and/xor`), add with fetch
    /// (`lock xadd`), xchg, cmpxchg (`lock cmpxchg` against rax, which is r0); or/and/xor
    /// with fetch have none. 32-bit forms zero-extend what they write to a register.
    fn inline_atomic(&mut self, op: &Op, d: u8, s: u8, size: u64) -> bool {
        let w = size == 8;
        let (lock, opcode): (bool, &[u8]) = match op.aux {
            0 => (true, &[0x01]),
            1 => (true, &[0x09]),
            2 => (true, &[0x21]),
            3 => (true, &[0x31]),
            c if c == ATOMIC_FETCH => (true, &[0x0f, 0xc1]),
            c if c == 4 | ATOMIC_FETCH => (false, &[0x87]),
            c if c == 5 | ATOMIC_FETCH => (true, &[0x0f, 0xb1]),
            _ => return false,
        };
        if lock {
            self.a.lock();
        }
        self.a.rm(false, w, false, opcode, s, d, op.off);
        if op.aux == 5 | ATOMIC_FETCH && !w {
            // On success cmpxchg leaves rax as it was: r0 is the zero-extended old value.
            self.a.mov_rr(false, RAX, RAX);
        }
        true
    }

    fn helper_call(&mut self, pc: usize, op: &Op) {
        let a = &mut self.a;
        a.store64(CTX, field!(r0), RAX);
        a.store64(CTX, field!(budget), BUDGET);
        a.mov_imm(R11, pc as u64 | (self.program as u64) << 32);
        a.store64(CTX, field!(site), R11);
        if op.kind == OpKind::CallX {
            a.store64(CTX, field!(call_id), REG[op.dst.get()]);
            a.store64_imm(CTX, field!(helper), 0);
        } else {
            // Prepared programs only call helpers the table has.
            let helper = self
                .helpers
                .get(op.imm as u64)
                .map_or(0, |h| h as *const Helper as u64);
            a.mov_imm(R11, op.imm as u64);
            a.store64(CTX, field!(call_id), R11);
            a.mov_imm(R11, helper);
            a.store64(CTX, field!(helper), R11);
        }
        // r1..r5 and CTX (caller-saved) kept on the native stack: six pushes keep it
        // 16-byte aligned.
        for r in [RDI, RSI, RDX, RCX, R8, CTX] {
            a.push(r);
        }
        // (ctx, r1, r2, r3, r4, r5) in the C argument registers, moved in an order that
        // reads every BPF register before it is overwritten (CTX is the sixth register).
        a.mov_rr(true, R11, CTX);
        a.mov_rr(true, R9, R8);
        a.mov_rr(true, R8, RCX);
        a.mov_rr(true, RCX, RDX);
        a.mov_rr(true, RDX, RSI);
        a.mov_rr(true, RSI, RDI);
        a.mov_rr(true, RDI, R11);
        a.mov_imm(RAX, jit_helper as *const () as u64);
        a.call_reg(RAX);
        for r in [CTX, R8, RCX, RDX, RSI, RDI] {
            a.pop(r);
        }
        a.load64(BUDGET, CTX, field!(budget));
        a.alu_mi(alu::CMP, CTX, field!(status), 0);
        let status = match self.helper_status {
            Some(l) => l,
            None => {
                let l = self.a.label();
                self.helper_status = Some(l);
                self.cold.push(Box::new(move |g: &mut Gen<'_>| {
                    g.a.bind(l);
                    g.a.alu_mi(alu::CMP, CTX, field!(status), ST_TAIL as i32);
                    g.a.jcc(cc::NE, g.epilogue);
                    g.a.store64_imm(CTX, field!(status), 0);
                    g.a.jmp_mem(CTX, field!(tail_addr));
                }));
                l
            }
        };
        self.a.jcc(cc::NE, status);
    }

    /// The function (and field) of a `call` to a helper that needs only the world: such a
    /// call is no transfer (it cannot fail, runs no program code and reads no budget), so
    /// the instructions around it count in one block.
    fn world_call(&self, op: &Op) -> Option<(WorldHelperFn, Option<WorldField>)> {
        match self.helpers.get(op.imm as u64) {
            Some(Helper {
                func: HelperImpl::World(f, field),
                ..
            }) if op.kind == OpKind::CallHelper => Some((*f, *field)),
            _ => None,
        }
    }

    /// A helper that returns a field of the world, read inline (zero-extended into r0).
    fn world_field_read(&mut self, field: WorldField) {
        let size = Size::from_bytes(field.size as u64);
        self.a.load64(R11, CTX, field!(world));
        self.a
            .load_sized(size, false, RAX, R11, field.offset as i32);
    }

    /// A helper that needs only the world, called directly as the kernel's JIT calls one:
    /// r1..r5 already sit in the C argument registers, CTX is the sixth (its first field is
    /// the world) and comes back in rdx beside r0 in rax, so nothing passes through memory
    /// and the budget stays in its callee-saved register. It cannot fail, so there is no
    /// status to test. In checked mode r1..r5 keep their values across the call as in the
    /// interpreter; in verified mode the verifier proved they are not read before being
    /// written, as the BPF calling convention has it.
    fn world_helper_call(&mut self, f: u64) {
        const { assert!(offset_of!(JitCtx, world) == 0) };
        let keep = match self.mode {
            JitMode::Checked => &[RDI, RSI, RDX, RCX, R8][..],
            JitMode::Verified => &[],
        };
        let a = &mut self.a;
        for &r in keep {
            a.push(r);
        }
        // The native stack stays 16-byte aligned at the call.
        if keep.len() % 2 == 1 {
            a.alu_ri(true, alu::SUB, RSP, 8);
        }
        a.mov_imm(R11, f);
        a.call_reg(R11);
        a.mov_rr(true, CTX, RDX);
        if keep.len() % 2 == 1 {
            a.alu_ri(true, alu::ADD, RSP, 8);
        }
        for &r in keep.iter().rev() {
            a.pop(r);
        }
    }

    fn local_call(&mut self, pc: usize, op: &Op) {
        let target = self.slot[op.off as usize];
        let b = self.budget_label(pc);
        let depth_err = self.a.label();
        self.cold.push(Box::new(move |g: &mut Gen<'_>| {
            g.a.bind(depth_err);
            g.error_stub(ERR_CALL_DEPTH, pc as u64);
        }));
        let frame = STACK_SIZE as i32;
        let a = &mut self.a;
        a.alu_mi(alu::CMP, CTX, field!(depth), MAX_CALL_FRAMES as i32 - 1);
        a.jcc(cc::AE, depth_err);
        a.test_rr(true, BUDGET, BUDGET);
        a.jcc(cc::S, b);
        a.alu_mi(alu::ADD, CTX, field!(depth), 1);
        a.alu_mi(alu::SUB, CTX, field!(stack_lo), frame);
        for i in 0..4 {
            a.alu_mi(alu::ADD, CTX, field!(stack_lim) + 8 * i, frame);
        }
        a.alu_ri(true, alu::SUB, RBP, frame);
        // Each frame starts zeroed as far as the callee reaches (a multiple of 16 bytes; see
        // `frame_use`), as in the interpreter: up to 128 bytes in straight stores, more in
        // 64-byte steps (which may clear a little more, below what the callee reaches).
        let zeroed = (op.imm as usize).min(STACK_SIZE) as i32;
        if zeroed > 0 {
            a.load64(R11, CTX, field!(stack_lo));
            a.xorps_xmm0();
            if zeroed <= 128 {
                for i in 0..zeroed / 16 {
                    a.movups_store_xmm0(R11, frame - zeroed + 16 * i);
                }
            } else {
                let steps = (zeroed + 63) / 64;
                a.alu_ri(true, alu::ADD, R11, frame - 64 * steps);
                a.mov_imm(R10, steps as u64);
                let lp = a.label();
                a.bind(lp);
                for i in 0..4 {
                    a.movups_store_xmm0(R11, 16 * i);
                }
                a.alu_ri(true, alu::ADD, R11, 64);
                a.alu_ri(true, alu::SUB, R10, 1);
                a.jcc(cc::NE, lp);
            }
        }
        // r6-r9 are the caller's again after the call.
        for r in [RBX, R13, R14, R15] {
            a.push(r);
        }
        a.alu_ri(true, alu::SUB, RSP, 8);
        a.call_label(target);
        a.alu_ri(true, alu::ADD, RSP, 8);
        for r in [R15, R14, R13, RBX] {
            a.pop(r);
        }
    }

    fn exit(&mut self, pc: usize) {
        let b = self.budget_label(pc);
        let frame = STACK_SIZE as i32;
        let epilogue = self.epilogue;
        let a = &mut self.a;
        a.alu_mi(alu::CMP, CTX, field!(depth), 0);
        a.jcc(cc::E, epilogue);
        a.test_rr(true, BUDGET, BUDGET);
        a.jcc(cc::S, b);
        a.alu_mi(alu::SUB, CTX, field!(depth), 1);
        a.alu_mi(alu::ADD, CTX, field!(stack_lo), frame);
        for i in 0..4 {
            a.alu_mi(alu::SUB, CTX, field!(stack_lim) + 8 * i, frame);
        }
        a.alu_ri(true, alu::ADD, RBP, frame);
        a.ret();
    }
}
