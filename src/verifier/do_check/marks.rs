//! The liveness and precision side effects of instructions: which stack slots an access or
//! a helper call reads or fully writes (for [`StackLiveness`](crate::verifier::stack_liveness::StackLiveness)),
//! which scalars a helper call relies on exactly (`mark_chain_precision` on size arguments,
//! the tail-call index), and the jump-history flags of spills and fills.

use super::backtrack::stack_access_flags;
use super::*;
use crate::helpers::proto::{ArgBase, HelperProto, TypeFlags};

/// The slots covering stack bytes `[off, off + size)` (negative offsets) as a mask.
pub(super) fn slot_mask(off: i64, size: i64) -> u64 {
    if size <= 0 || off >= 0 {
        return 0;
    }
    let hi = off + size - 1;
    let first = (-hi - 1).max(0) / 8;
    let last = (-off - 1) / 8;
    let mut m = 0u64;
    for spi in first..=last.min(63) {
        m |= 1 << spi;
    }
    m
}

/// Every slot from the one holding `off` up to the frame pointer: what an access of unknown
/// size starting at `off` may read.
fn slots_up_to_fp(off: i64) -> u64 {
    if off >= 0 {
        return 0;
    }
    let last = ((-off - 1) / 8).min(63);
    if last == 63 {
        u64::MAX
    } else {
        (1u64 << (last + 1)) - 1
    }
}

impl Walker<'_> {
    /// `bpf_mark_stack_read` for the current instruction.
    pub(super) fn stack_read_mark(&mut self, st: &VerifierState, frame: usize, mask: u64) {
        if mask != 0 {
            self.stack_live
                .mark_read(st, &self.pre.subprogs, frame, self.insn_idx, mask);
        }
    }

    /// `bpf_mark_stack_write` for the current instruction.
    pub(super) fn stack_write_mark(&mut self, frame: usize, mask: u64) {
        self.stack_live.mark_write(frame, mask);
    }

    /// After a fixed-offset stack write at `off` (frame `frame`): the slot is surely written
    /// when all 8 bytes are, and a register saved whole is a spill backtracking can follow.
    pub(super) fn note_stack_write(
        &mut self,
        st: &mut VerifierState,
        frame: usize,
        off: i32,
        size: i32,
        spilled: bool,
    ) {
        let spi = ((-off - 1) / 8) as usize;
        if off % 8 == 0 && size == 8 {
            self.stack_write_mark(frame, 1u64.checked_shl(spi as u32).unwrap_or(0));
        }
        if spilled {
            self.push_jmp_history(st, stack_access_flags(frame, spi));
        }
    }

    /// Before a fixed-offset stack read at `off`; `fill` when it restores a spilled register.
    pub(super) fn note_stack_read(
        &mut self,
        st: &mut VerifierState,
        frame: usize,
        off: i32,
        fill: bool,
    ) {
        let spi = ((-off - 1) / 8) as usize;
        self.stack_read_mark(st, frame, 1u64.checked_shl(spi as u32).unwrap_or(0));
        if fill {
            self.push_jmp_history(st, stack_access_flags(frame, spi));
        }
    }

    /// What a helper call reads of the stack and which of its scalar arguments must be
    /// precise (`check_func_arg`'s `mark_chain_precision` calls and stack reads).
    pub(super) fn helper_call_marks(
        &mut self,
        st: &VerifierState,
        func_id: i32,
        proto: &HelperProto,
    ) {
        let regs = st.cur().regs;
        for (i, arg) in proto.args.iter().enumerate() {
            let regno = i + 1;
            let reg = regs[regno];
            let ty = arg.ty;
            match ty.base {
                ArgBase::ConstSize | ArgBase::ConstSizeOrZero if reg.is_scalar() => {
                    self.mark_chain_precision(st, regno);
                }
                ArgBase::ConstAllocSizeOrZero if reg.is_scalar() && reg.var.var_off.is_const() => {
                    self.mark_chain_precision(st, regno);
                }
                _ => {}
            }
            if reg.ty != RegType::PtrToStack {
                continue;
            }
            let frame = reg.frameno as usize;
            if !reg.var.var_off.is_const() {
                self.stack_read_mark(st, frame, u64::MAX);
                continue;
            }
            let off = reg.off as i64 + reg.var.var_off.value as i64;
            let map_of = |r: &RegState| {
                (r.ty == RegType::ConstPtrToMap)
                    .then(|| self.maps.get(r.map).copied())
                    .flatten()
            };
            let size: Option<i64> = match ty.base {
                ArgBase::PtrToMapKey => map_of(&regs[1]).map(|m| m.key_size as i64),
                ArgBase::PtrToMapValue => map_of(&regs[1]).map(|m| m.value_size as i64),
                ArgBase::PtrToMem if ty.has(TypeFlags::MEM_UNINIT) => Some(0),
                ArgBase::PtrToMem if ty.has(TypeFlags::MEM_FIXED_SIZE) => {
                    arg.size.map(|s| s as i64)
                }
                ArgBase::PtrToMem => {
                    let next = regs.get(regno + 1).copied();
                    let sized = proto.args.get(i + 1).is_some_and(|a| a.ty.is_mem_size());
                    match next {
                        Some(n) if sized && n.is_scalar() && n.var.umax_value < 1 << 29 => {
                            Some(n.var.umax_value as i64)
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            let mask = match size {
                Some(s) => slot_mask(off, s),
                None => slots_up_to_fp(off),
            };
            self.stack_read_mark(st, frame, mask);
        }
        if func_id == 12 {
            // record_func_key: a constant in-range index of a program array.
            let r3 = regs[3];
            let max = self
                .maps
                .get(regs[2].map)
                .map_or(0, |m| m.max_entries as u64);
            if r3.is_scalar() && r3.var.var_off.is_const() && r3.var.var_off.value < max {
                self.mark_chain_precision(st, 3);
            }
        }
    }

    /// A scalar spilled whole to the stack keeps a link with its register: both get the
    /// same id first (`assign_scalar_id_before_mov` in `check_stack_write_fixed_off`), so
    /// bounds learnt on either reach the other (when the value fits the store's size).
    pub(super) fn link_spilled_scalar(
        &mut self,
        st: &mut VerifierState,
        dst: Reg,
        off: i32,
        size: Size,
        src: Reg,
    ) {
        let ptr = st.cur().regs[dst.index() as usize];
        if !self.env.bpf_capable || ptr.ty != RegType::PtrToStack || !ptr.var.var_off.is_const() {
            return;
        }
        let at = off as i64 + ptr.off as i64 + ptr.var.var_off.value as i64;
        if at.rem_euclid(8) != 0 {
            return;
        }
        let reg = &mut st.cur_mut().regs[src.index() as usize];
        // reg_value_fits: a narrowing spill keeps no link.
        let width = 64 - reg.var.umax_value.leading_zeros();
        if width > 8 * size.bytes() as u32 {
            return;
        }
        super::alu::assign_scalar_id_before_mov(reg, &mut self.id_gen);
    }

    /// A zero register stored to the stack where it is not a spill (an offset not a
    /// multiple of 8) makes `STACK_ZERO` bytes, which later reads rely on: the register
    /// must be precise (`check_stack_write_fixed_off`).
    pub(super) fn zero_store_precision(
        &mut self,
        st: &VerifierState,
        ptr: &RegState,
        off: i32,
        regno: usize,
        value: Option<RegState>,
    ) {
        if ptr.ty != RegType::PtrToStack || !ptr.var.var_off.is_const() {
            return;
        }
        let at = off as i64 + ptr.off as i64 + ptr.var.var_off.value as i64;
        if at.rem_euclid(8) != 0 && value.is_some_and(|v| is_zero(&v)) {
            self.mark_chain_precision(st, regno);
        }
    }

    /// `bpf_map_lookup_elem` on an array (`can_elide_value_nullness`) with a key the stack
    /// holds as a constant below `max_entries` (`get_constant_map_key`): the slot it came
    /// from must stay precise.
    pub(super) fn const_key_in_array(&mut self, st: &VerifierState) -> bool {
        let regs = st.cur().regs;
        let Some(m) = self.maps.get(regs[1].map).copied() else {
            return false;
        };
        if !self.env.bpf_capable
            || regs[1].ty != RegType::ConstPtrToMap
            || !matches!(
                m.map_type,
                crate::maps::MapType::Array | crate::maps::MapType::PercpuArray
            )
        {
            return false;
        }
        let key = regs[2];
        if key.ty != RegType::PtrToStack || !key.var.var_off.is_const() {
            return false;
        }
        let stack_off = key.off as i64 + key.var.var_off.value as i64;
        if !(-(MAX_BPF_STACK as i64)..0).contains(&stack_off) {
            return false;
        }
        let frameno = key.frameno as usize;
        let Some(frame) = st.frame.get(frameno) else {
            return false;
        };
        let spi = ((-stack_off - 1) / 8) as usize;
        let Some(slot) = frame.stack.get(spi) else {
            return false;
        };
        let key_size = m.key_size as usize;
        // The bytes from the key's first one up to the top of its slot.
        let first = stack_off.rem_euclid(8) as usize;
        let zeros = slot.slot_type[first..]
            .iter()
            .take_while(|&&t| t == SlotType::Zero)
            .count();
        let value = if zeros >= key_size {
            0
        } else {
            let spills = slot.slot_type[first..]
                .iter()
                .take_while(|&&t| t == SlotType::Spill)
                .count();
            match slot.spilled {
                Some(r)
                    if super::equiv::is_spilled_scalar_reg(slot)
                        && spills == key_size
                        && r.var.var_off.is_const() =>
                {
                    let mut bt = super::backtrack::Backtrack::default();
                    bt.set_frame_slot(frameno, spi);
                    self.mark_chain_precision_bt(st, bt);
                    r.var.var_off.value
                }
                _ => return false,
            }
        };
        value < u64::from(m.max_entries)
    }

    /// A kfunc or other call whose arguments are not modelled: any stack it is given may
    /// be read.
    pub(super) fn unknown_call_marks(&mut self, st: &VerifierState) {
        let regs = st.cur().regs;
        for reg in &regs[1..=5] {
            if reg.ty == RegType::PtrToStack {
                let mask = if reg.var.var_off.is_const() {
                    slots_up_to_fp(reg.off as i64 + reg.var.var_off.value as i64)
                } else {
                    u64::MAX
                };
                self.stack_read_mark(st, reg.frameno as usize, mask);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_masks_cover_the_bytes_touched() {
        assert_eq!(slot_mask(-8, 8), 0b1);
        assert_eq!(slot_mask(-16, 16), 0b11);
        assert_eq!(slot_mask(-12, 4), 0b10);
        assert_eq!(slot_mask(-16, 0), 0);
        assert_eq!(slots_up_to_fp(-24), 0b111);
        assert_eq!(slots_up_to_fp(-512), u64::MAX);
    }

    fn lookup_with_key(key: i32) -> Result<(), String> {
        use crate::maps::{MapOrigin, MapType};
        use crate::verifier::do_check::check_insns;
        let maps = [MapDef {
            name: "arr".into(),
            map_type: MapType::Array,
            key_size: 4,
            value_size: 8,
            max_entries: 4,
            map_flags: 0,
            inner: None,
            initial: Vec::new(),
            read_only: false,
            origin: MapOrigin::User,
        }];
        let insns = [
            RawInsn::new(0xb7, 1, 0, 0, key), // r1 = key
            RawInsn::new(0x63, 10, 1, -4, 0), // *(u32 *)(r10 - 4) = r1
            RawInsn::new(0xbf, 2, 10, 0, 0),  // r2 = r10
            RawInsn::new(0x07, 2, 0, 0, -4),  // r2 += -4
            RawInsn::new(0x18, 1, 5, 0, 0),   // r1 = map[0]
            RawInsn::new(0x00, 0, 0, 0, 0),
            RawInsn::new(0x85, 0, 0, 0, 1), // call map_lookup_elem
            RawInsn::new(0x79, 0, 0, 0, 0), // r0 = *(u64 *)(r0 + 0), no null check
            RawInsn::new(0xb7, 0, 0, 0, 0),
            RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        check_insns(&insns, ProgType::SocketFilter, &maps).map_err(|e| e.message().to_string())
    }

    #[test]
    fn array_lookups_with_a_constant_key_in_range_cannot_fail() {
        assert_eq!(lookup_with_key(0), Ok(()));
        assert_eq!(
            lookup_with_key(3),
            Err("R0 invalid mem access 'map_value_or_null'".into())
        );
        assert_eq!(
            lookup_with_key(4),
            Err("R0 invalid mem access 'map_value_or_null'".into())
        );
    }
}
