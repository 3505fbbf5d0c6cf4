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
use std::sync::Arc;

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
    /// Any other pointer (BTF ids, kfunc results, ...): not modelled yet, so accesses
    /// through it are allowed.
    Other,
    /// `PTR_TO_MEM`: `mem_size` bytes from a helper (`bpf_ringbuf_reserve` with
    /// [`RegState::mem_ringbuf`]), or a global function's pointer argument.
    PtrToMem,
    /// `PTR_TO_MAP_KEY`: a key of map `map` (callbacks of `bpf_for_each_map_elem`).
    PtrToMapKey,
    /// `PTR_TO_SOCKET`: a full socket (`bpf_sk_lookup_tcp`).
    PtrToSocket,
    /// `PTR_TO_SOCK_COMMON` (`bpf_skc_lookup_tcp`, `__sk_buff->sk`).
    PtrToSockCommon,
    /// `PTR_TO_TCP_SOCK` (`bpf_tcp_sock`).
    PtrToTcpSock,
    /// `PTR_TO_FUNC`: the address of subprogram `subprogno` (`ld_imm64` of a function).
    PtrToFunc,
    /// `PTR_TO_FLOW_KEYS`: `__sk_buff->flow_keys` in a flow dissector.
    PtrToFlowKeys,
    /// `PTR_TO_TP_BUFFER`: a writable raw tracepoint's buffer (its context's first field).
    PtrToTpBuffer,
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
    /// The reference this pointer holds (`ref_obj_id`), 0 for none.
    pub ref_obj_id: u32,
    /// `PTR_TO_MEM`: the bytes it may access.
    pub mem_size: u32,
    /// `MEM_RDONLY`: the memory may only be read.
    pub mem_rdonly: bool,
    /// `MEM_RINGBUF`: a ring buffer record.
    pub mem_ringbuf: bool,
    /// `PTR_TO_FUNC`: the subprogram; map values of a map of maps: 1 + the index of the
    /// inner map's definition among the walker's maps (0 when not a map of maps), or
    /// [`INNER_MAP_UNKNOWN`] when the object does not describe it.
    pub aux: u32,
    /// A scalar that may in truth be a pointer this slice does not track (read through an
    /// untracked pointer or from a context whose layout is not modelled): helper argument
    /// checks let it pass where a pointer is expected.
    pub untracked: bool,
}

/// [`RegState::aux`] of a map value in a map of maps whose inner map is not known (and of
/// an `xskmap` lookup): an untracked pointer once not NULL.
pub const INNER_MAP_UNKNOWN: u32 = u32::MAX;
/// [`RegState::aux`] of a `sockmap`/`sockhash` lookup: a socket once not NULL.
pub const AUX_SOCKET: u32 = u32::MAX - 1;

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
            ref_obj_id: 0,
            mem_size: 0,
            mem_rdonly: false,
            mem_ringbuf: false,
            aux: 0,
            untracked: false,
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
            RegType::Other => "ptr_",
            RegType::PtrToMem => "mem",
            RegType::PtrToMapKey => "map_key",
            RegType::PtrToSocket => "sock",
            RegType::PtrToSockCommon => "sock_common",
            RegType::PtrToTcpSock => "tcp_sock",
            RegType::PtrToFunc => "func",
            RegType::PtrToFlowKeys => "flow_keys",
            RegType::PtrToTpBuffer => "tp_buffer",
        };
        let mut s = String::new();
        if self.ty == RegType::PtrToMem {
            if self.mem_rdonly {
                s += "rdonly_";
            }
            if self.mem_ringbuf {
                s += "ringbuf_";
            }
        }
        s += base;
        if self.maybe_null {
            // reg_type_str: BTF pointers say ptr_or_null_.
            s += if self.ty == RegType::Other {
                "or_null_"
            } else {
                "_or_null"
            };
        }
        s
    }

    /// `mark_ptr_or_null_reg` for the branch where the pointer is not NULL: the flag goes,
    /// and a map value of a map of maps becomes the inner map's pointer.
    pub fn mark_not_null(&mut self) {
        self.maybe_null = false;
        if self.ty == RegType::PtrToMapValue && self.aux != 0 {
            if self.aux == INNER_MAP_UNKNOWN {
                *self = RegState {
                    id: self.id,
                    ref_obj_id: self.ref_obj_id,
                    ..RegState::pointer(RegType::Other)
                };
            } else if self.aux == AUX_SOCKET {
                self.ty = RegType::PtrToSocket;
                self.aux = 0;
            } else {
                self.ty = RegType::ConstPtrToMap;
                self.map = (self.aux - 1) as usize;
                self.aux = 0;
            }
        }
    }

    /// Whether `self` (an old, explored state) covers `cur`: `regsafe` without liveness or
    /// precision, so only exact matches and scalars that contain the new one.
    pub fn covers(&self, cur: &RegState) -> bool {
        if self.ty == RegType::NotInit {
            return true;
        }
        if self.ty == RegType::Scalar && cur.ty == RegType::Scalar {
            // An untracked scalar passes helper checks a tracked one would fail.
            return range_within(&self.var, &cur.var) && (!self.untracked || cur.untracked);
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
            && (self.ref_obj_id == 0) == (cur.ref_obj_id == 0)
            && self.mem_size == cur.mem_size
            && self.mem_rdonly == cur.mem_rdonly
            && self.mem_ringbuf == cur.mem_ringbuf
            && self.aux == cur.aux
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
    /// A callback's frame: the range its R0 must be in at exit (`callback_ret_range`).
    pub callback_ret: Option<(i64, i64)>,
    /// An asynchronous callback (a timer's): its exit ends the path.
    pub async_callback: bool,
    /// Iterations of a synchronous callback this frame's helper call has run on this path
    /// (`callback_depth`).
    pub callback_depth: u32,
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
            callback_ret: None,
            async_callback: false,
            callback_depth: 0,
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
        if self.callsite != cur.callsite
            || self.subprogno != cur.subprogno
            || self.callback_ret != cur.callback_ret
            || self.callback_depth > cur.callback_depth
        {
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

/// An acquired reference (`struct bpf_reference_state`): a socket or ring buffer record
/// the program must release before it exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefState {
    /// The id the pointers holding it carry as `ref_obj_id`.
    pub id: u32,
    /// The instruction that acquired it (`alloc_insn`).
    pub insn_idx: usize,
}

/// The branch decisions that led to a state, oldest first: (jump instruction, taken).
///
/// A persistent list: the states a branch forks share the decisions before it, so a fork
/// costs one node however long the path is. (Copying the path into every pending state
/// made memory grow with pending states times path length: gigabytes for a loop that
/// leaves thousands of branches pending.)
#[derive(Clone, Default)]
pub struct BranchPath(Option<Arc<PathNode>>);

struct PathNode {
    insn: usize,
    taken: bool,
    len: usize,
    prev: BranchPath,
}

impl BranchPath {
    /// Appends a decision.
    pub fn push(&mut self, (insn, taken): (usize, bool)) {
        let prev = std::mem::take(self);
        let len = prev.len() + 1;
        *self = BranchPath(Some(Arc::new(PathNode {
            insn,
            taken,
            len,
            prev,
        })));
    }

    /// How many decisions the path holds.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |n| n.len)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The decisions, oldest first.
    pub fn to_vec(&self) -> Vec<(usize, bool)> {
        let mut out = Vec::with_capacity(self.len());
        let mut cur = &self.0;
        while let Some(node) = cur {
            out.push((node.insn, node.taken));
            cur = &node.prev.0;
        }
        out.reverse();
        out
    }
}

impl Drop for BranchPath {
    /// Unlinks the nodes this path alone holds one by one: dropping a path of a million
    /// decisions recursively would overflow the stack.
    fn drop(&mut self) {
        let mut cur = self.0.take();
        while let Some(node) = cur {
            match Arc::try_unwrap(node) {
                Ok(mut node) => cur = node.prev.0.take(),
                Err(_) => break,
            }
        }
    }
}

impl PartialEq for BranchPath {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) => true,
            _ => self.len() == other.len() && self.to_vec() == other.to_vec(),
        }
    }
}

impl Eq for BranchPath {}

impl std::hash::Hash for BranchPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.to_vec().hash(state);
    }
}

impl std::fmt::Debug for BranchPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.to_vec()).finish()
    }
}

/// A whole path's state (`struct bpf_verifier_state`): the call frames, innermost last.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VerifierState {
    /// The frames, `frame[curframe]` innermost.
    pub frame: Vec<FuncState>,
    /// The branch decisions that led here: (jump instruction, taken).
    pub path: BranchPath,
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
    /// The references held (`refs`, kept in the verifier state since Linux 6.13).
    pub refs: Vec<RefState>,
    /// The `bpf_spin_lock` held (`active_locks`): the map and the id of the map value
    /// pointer it was taken through.
    pub active_lock: Option<(usize, u32)>,
}

impl VerifierState {
    /// The state at a program's first instruction: R1 is the context (`PTR_TO_CTX`).
    pub fn initial() -> Self {
        let mut f = FuncState::new(0, 0, 0);
        f.regs[1] = RegState::pointer(RegType::PtrToCtx);
        VerifierState {
            frame: vec![f],
            path: BranchPath::default(),
            parent: None,
            first_insn_idx: 0,
            last_insn_idx: None,
            insn_idx: 0,
            jmp_history: Vec::new(),
            may_goto_depth: 0,
            refs: Vec::new(),
            active_lock: None,
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
        // refsafe: the same references, acquired at the same places, the same lock.
        self.active_lock.is_some() == cur.active_lock.is_some()
            && self.refs.len() == cur.refs.len()
            && self
                .refs
                .iter()
                .zip(cur.refs.iter())
                .all(|(o, c)| o.insn_idx == c.insn_idx)
            && self.frame.len() == cur.frame.len()
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
    fn branch_paths_share_their_prefix_and_drop_without_recursion() {
        let mut a = BranchPath::default();
        a.push((1, true));
        let mut b = a.clone();
        a.push((5, false));
        b.push((7, true));
        assert_eq!(a.to_vec(), [(1, true), (5, false)]);
        assert_eq!(b.to_vec(), [(1, true), (7, true)]);
        assert_ne!(a, b);
        let mut long = BranchPath::default();
        for i in 0..2_000_000 {
            long.push((i, i % 2 == 0));
        }
        assert_eq!(long.len(), 2_000_000);
        drop(long);
    }

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
