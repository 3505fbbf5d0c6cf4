//! Verifier states: what `do_check` knows about every register and stack byte on one path
//! (the kernel's `struct bpf_reg_state`, `struct bpf_stack_state`, `struct bpf_func_state`
//! and `struct bpf_verifier_state`).
//!
//! A register has a [`RegType`] (the kernel's `base_type`) plus the `PTR_MAYBE_NULL` flag,
//! a fixed offset `off`, and a [`ScalarBounds`] that is the value itself for a scalar and
//! the variable part of the offset for a pointer. The stack is kept per frame as 8-byte
//! slots with a type per byte ([`SlotType`]) and, for spills, the spilled register.
//!
//! A state also carries what precision tracking needs: its parent checkpoint, the
//! instructions its segment spans and its jump history ([`JmpHistEntry`]); scalars carry
//! a `precise` mark. `do_check` compares states with the kernel's `states_equal`
//! (`do_check::equiv`); [`VerifierState::equal`] is the older, stricter comparison without
//! liveness or precision, kept for callers that want that.

use super::scalar::ScalarBounds;
use super::tnum::Tnum;

/// `MAX_BPF_STACK`: the bytes of stack each frame may use.
pub const MAX_BPF_STACK: usize = 512;
/// `BPF_REG_SIZE`: the size of one stack slot.
pub const BPF_REG_SIZE: usize = 8;
/// `MAX_CALL_FRAMES`.
pub const MAX_CALL_FRAMES: usize = 8;

/// The base type of a register (`enum bpf_reg_type`, the subset this slice models).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegType {
    /// `NOT_INIT`: never written on this path.
    NotInit,
    /// `SCALAR_VALUE`.
    Scalar,
    /// `PTR_TO_CTX`.
    PtrToCtx,
    /// `PTR_TO_STACK`, into frame `frameno` of the register.
    PtrToStack,
    /// `CONST_PTR_TO_MAP`.
    ConstPtrToMap,
    /// `PTR_TO_MAP_VALUE`.
    PtrToMapValue,
    /// `PTR_TO_PACKET`.
    PtrToPacket,
    /// `PTR_TO_PACKET_META`.
    PtrToPacketMeta,
    /// `PTR_TO_PACKET_END`.
    PtrToPacketEnd,
    /// Any other pointer (sockets, BTF ids, memory from helpers): not modelled yet, so
    /// accesses through it are allowed.
    Other,
}

/// One register (`struct bpf_reg_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegState {
    /// The base type.
    pub ty: RegType,
    /// `PTR_MAYBE_NULL`: the pointer may be NULL until a null check.
    pub maybe_null: bool,
    /// The fixed offset of a pointer.
    pub off: i32,
    /// The value of a scalar, or the variable offset of a pointer.
    pub var: ScalarBounds,
    /// Pointers that share an id are null-checked (or packet-ranged) together.
    pub id: u32,
    /// Packet pointers: bytes known to be safe to access past `off`.
    pub range: i32,
    /// Map pointers and map values: index into the program's map list.
    pub map: usize,
    /// Stack pointers: the frame they point into.
    pub frameno: u8,
    /// Scalars: some explored path needed this value's bounds (`precise`); an old state's
    /// imprecise scalar matches any scalar when pruning.
    pub precise: bool,
}

impl RegState {
    /// `NOT_INIT`.
    pub fn not_init() -> Self {
        RegState {
            ty: RegType::NotInit,
            maybe_null: false,
            off: 0,
            var: ScalarBounds::unknown(),
            id: 0,
            range: 0,
            map: 0,
            frameno: 0,
            precise: false,
        }
    }

    /// An unknown scalar (`mark_reg_unknown`).
    pub fn unknown() -> Self {
        RegState {
            ty: RegType::Scalar,
            ..RegState::not_init()
        }
    }

    /// A known scalar (`__mark_reg_known`).
    pub fn known(v: u64) -> Self {
        RegState {
            ty: RegType::Scalar,
            var: ScalarBounds::known(v),
            ..RegState::not_init()
        }
    }

    /// A pointer of type `ty` at fixed offset 0 with no variable part.
    pub fn pointer(ty: RegType) -> Self {
        RegState {
            ty,
            var: ScalarBounds::known(0),
            ..RegState::not_init()
        }
    }

    /// A scalar?
    pub fn is_scalar(&self) -> bool {
        self.ty == RegType::Scalar
    }

    /// Any pointer type.
    pub fn is_pointer(&self) -> bool {
        !matches!(self.ty, RegType::NotInit | RegType::Scalar)
    }

    /// `reg_is_pkt_pointer`.
    pub fn is_pkt_pointer(&self) -> bool {
        matches!(self.ty, RegType::PtrToPacket | RegType::PtrToPacketMeta)
    }

    /// The kernel's `reg_type_str` for this register.
    pub fn type_str(&self) -> String {
        let base = match self.ty {
            RegType::NotInit => "?",
            RegType::Scalar => "scalar",
            RegType::PtrToCtx => "ctx",
            RegType::PtrToStack => "fp",
            RegType::ConstPtrToMap => "map_ptr",
            RegType::PtrToMapValue => "map_value",
            RegType::PtrToPacket => "pkt",
            RegType::PtrToPacketMeta => "pkt_meta",
            RegType::PtrToPacketEnd => "pkt_end",
            RegType::Other => "mem",
        };
        if self.maybe_null {
            format!("{base}_or_null")
        } else {
            base.to_string()
        }
    }

    /// Whether `self` (an old, explored state) covers `cur`: `regsafe` without liveness or
    /// precision, so only exact matches and scalars that contain the new one.
    pub fn covers(&self, cur: &RegState) -> bool {
        if self.ty == RegType::NotInit {
            return true;
        }
        if self.ty == RegType::Scalar && cur.ty == RegType::Scalar {
            return range_within(&self.var, &cur.var);
        }
        if self.ty != cur.ty || self.maybe_null != cur.maybe_null {
            return false;
        }
        self.off == cur.off
            && self.map == cur.map
            && self.frameno == cur.frameno
            && self.range <= cur.range
            && range_within(&self.var, &cur.var)
            && (self.id == 0) == (cur.id == 0)
    }
}

/// `range_within` plus `tnum_in`: every value of `cur` is a value of `old`.
fn range_within(old: &ScalarBounds, cur: &ScalarBounds) -> bool {
    old.umin_value <= cur.umin_value
        && old.umax_value >= cur.umax_value
        && old.smin_value <= cur.smin_value
        && old.smax_value >= cur.smax_value
        && old.u32_min_value <= cur.u32_min_value
        && old.u32_max_value >= cur.u32_max_value
        && old.s32_min_value <= cur.s32_min_value
        && old.s32_max_value >= cur.s32_max_value
        && tnum_in(old.var_off, cur.var_off)
}

fn tnum_in(a: Tnum, b: Tnum) -> bool {
    if b.mask & !a.mask != 0 {
        return false;
    }
    (b.value & !a.mask) == a.value
}

/// The type of one stack byte (`STACK_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlotType {
    /// `STACK_INVALID`: never written.
    Invalid,
    /// `STACK_SPILL`: part of a spilled register.
    Spill,
    /// `STACK_MISC`: written with some data.
    Misc,
    /// `STACK_ZERO`: written with zero.
    Zero,
}

/// One 8-byte stack slot (`struct bpf_stack_state`); byte `i` is at `-(8*(n+1)) + i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StackSlot {
    /// The register spilled here, when `slot_type` has spill bytes.
    pub spilled: Option<RegState>,
    /// The type of each byte.
    pub slot_type: [SlotType; BPF_REG_SIZE],
}

impl Default for StackSlot {
    fn default() -> Self {
        StackSlot {
            spilled: None,
            slot_type: [SlotType::Invalid; BPF_REG_SIZE],
        }
    }
}

/// One call frame (`struct bpf_func_state`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncState {
    /// R0–R10.
    pub regs: [RegState; 11],
    /// Stack slots, slot 0 at `fp-8`; grows as the program writes deeper.
    pub stack: Vec<StackSlot>,
    /// The instruction to return to (the call's index + 1); 0 for the main frame.
    pub callsite: usize,
    /// This frame's index.
    pub frameno: u8,
    /// The subprogram this frame runs.
    pub subprogno: usize,
}

impl FuncState {
    /// A frame with every register `NOT_INIT` except R10 (`init_func_state`).
    pub fn new(frameno: u8, callsite: usize, subprogno: usize) -> Self {
        let mut regs = [RegState::not_init(); 11];
        regs[10] = RegState {
            frameno,
            ..RegState::pointer(RegType::PtrToStack)
        };
        FuncState {
            regs,
            stack: Vec::new(),
            callsite,
            frameno,
            subprogno,
        }
    }

    /// The slot holding stack offset `off` (negative), growing the stack as needed.
    pub fn slot_mut(&mut self, off: i32) -> &mut StackSlot {
        let spi = ((-off - 1) / BPF_REG_SIZE as i32) as usize;
        if self.stack.len() <= spi {
            self.stack.resize(spi + 1, StackSlot::default());
        }
        &mut self.stack[spi]
    }

    /// The type of the byte at stack offset `off` (negative).
    pub fn byte_type(&self, off: i32) -> SlotType {
        let spi = ((-off - 1) / BPF_REG_SIZE as i32) as usize;
        let byte = (off.rem_euclid(BPF_REG_SIZE as i32)) as usize;
        self.stack
            .get(spi)
            .map_or(SlotType::Invalid, |s| s.slot_type[byte])
    }

    fn covers(&self, cur: &FuncState) -> bool {
        if self.callsite != cur.callsite || self.subprogno != cur.subprogno {
            return false;
        }
        if !self
            .regs
            .iter()
            .zip(cur.regs.iter())
            .all(|(o, c)| o.covers(c))
        {
            return false;
        }
        let empty = StackSlot::default();
        let n = self.stack.len().max(cur.stack.len());
        (0..n).all(|i| {
            let o = self.stack.get(i).unwrap_or(&empty);
            let c = cur.stack.get(i).unwrap_or(&empty);
            let bytes_ok = o.slot_type.iter().zip(c.slot_type.iter()).all(|(a, b)| {
                *a == SlotType::Invalid || a == b || (*a == SlotType::Misc && *b == SlotType::Zero)
            });
            let spill_ok = match (&o.spilled, &c.spilled) {
                (None, _) => true,
                (Some(a), Some(b)) => a.covers(b),
                (Some(_), None) => false,
            };
            bytes_ok && spill_ok
        })
    }
}

/// One entry of a state's jump history (`struct bpf_jmp_history_entry`): an instruction
/// reached other than by falling through, or one whose register use backtracking must know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JmpHistEntry {
    /// The instruction.
    pub idx: usize,
    /// The instruction executed before it.
    pub prev_idx: usize,
    /// `INSN_F_*` flags: a stack spill/fill (frame and slot), stack pointers compared.
    pub flags: u32,
    /// Scalars that shared an id at this jump, packed (`linked_regs_pack`); 0 for none.
    pub linked_regs: u64,
}

/// A whole path's state (`struct bpf_verifier_state`): the call frames, innermost last.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VerifierState {
    /// The frames, `frame[curframe]` innermost.
    pub frame: Vec<FuncState>,
    /// The branch decisions that led here: (jump instruction, taken).
    pub path: Vec<(usize, bool)>,
    /// The checkpoint this state continues from (an index into the walker's state arena).
    pub parent: Option<usize>,
    /// The instruction this state (segment) started at: its parent checkpoint's.
    pub first_insn_idx: usize,
    /// The instruction executed last before `insn_idx` (`last_insn_idx`).
    pub last_insn_idx: Option<usize>,
    /// The instruction this state is at.
    pub insn_idx: usize,
    /// Non-linear steps since `first_insn_idx`, oldest first (`jmp_history`).
    pub jmp_history: Vec<JmpHistEntry>,
    /// `may_goto` iterations taken on this path (`may_goto_depth`).
    pub may_goto_depth: u32,
}

impl VerifierState {
    /// The state at a program's first instruction: R1 is the context (`PTR_TO_CTX`).
    pub fn initial() -> Self {
        let mut f = FuncState::new(0, 0, 0);
        f.regs[1] = RegState::pointer(RegType::PtrToCtx);
        VerifierState {
            frame: vec![f],
            path: Vec::new(),
            parent: None,
            first_insn_idx: 0,
            last_insn_idx: None,
            insn_idx: 0,
            jmp_history: Vec::new(),
            may_goto_depth: 0,
        }
    }

    /// The innermost frame.
    pub fn cur(&self) -> &FuncState {
        self.frame.last().expect("a state has a frame")
    }

    /// The innermost frame, mutably.
    pub fn cur_mut(&mut self) -> &mut FuncState {
        self.frame.last_mut().expect("a state has a frame")
    }

    /// `states_equal` without liveness or precision: `self` (explored) covers `cur`.
    pub fn equal(&self, cur: &VerifierState) -> bool {
        self.frame.len() == cur.frame.len()
            && self
                .frame
                .iter()
                .zip(cur.frame.iter())
                .all(|(o, c)| o.covers(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_scalar_covers_known_but_not_the_reverse() {
        let u = RegState::unknown();
        let k = RegState::known(5);
        assert!(u.covers(&k));
        assert!(!k.covers(&u));
        assert!(RegState::not_init().covers(&k));
    }

    #[test]
    fn stack_bytes_are_addressed_from_the_frame_pointer() {
        let mut f = FuncState::new(0, 0, 0);
        f.slot_mut(-8).slot_type[0] = SlotType::Misc;
        assert_eq!(f.byte_type(-8), SlotType::Misc);
        assert_eq!(f.byte_type(-7), SlotType::Invalid);
        f.slot_mut(-9).slot_type[7] = SlotType::Zero;
        assert_eq!(f.byte_type(-9), SlotType::Zero);
        assert_eq!(f.stack.len(), 2);
    }

    #[test]
    fn type_strings_follow_the_kernel() {
        let mut r = RegState::pointer(RegType::PtrToMapValue);
        r.maybe_null = true;
        assert_eq!(r.type_str(), "map_value_or_null");
    }
}
