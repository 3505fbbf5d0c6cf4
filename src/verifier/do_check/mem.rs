//! Memory accesses (`check_mem_access`): the stack (spills and fills), the context,
//! map values and packets.

use super::*;

impl Walker<'_> {
    pub(super) fn check_mem_access(
        &mut self,
        st: &mut VerifierState,
        regno: Reg,
        insn_off: i32,
        size: Size,
        access: Access,
    ) -> Res<Option<RegState>> {
        let n = regno.index() as usize;
        let reg = st.cur().regs[n];
        let size_b = size.bytes() as i32;
        if reg.maybe_null {
            return acces(format!("R{n} invalid mem access '{}'", reg.type_str()));
        }
        let off = insn_off.wrapping_add(reg.off);
        match reg.ty {
            RegType::PtrToStack => {
                if !reg.var.var_off.is_const() {
                    return Ok(None);
                }
                let min_off = reg.var.var_off.value as i64 + off as i64;
                let extra = match access {
                    Access::Read => " read from",
                    Access::Write(_) => " write to",
                };
                if min_off < -(MAX_BPF_STACK as i64) || min_off + size_b as i64 > 0 {
                    return acces(format!("invalid{extra} stack R{n} off={off} size={size_b}"));
                }
                let frameno = reg.frameno as usize;
                if let Some(f) = st.frame.get(frameno) {
                    self.grow_stack(f.subprogno, -min_off);
                }
                let allow_uninit = self.env.bpf_capable;
                let Some(frame) = st.frame.get_mut(frameno) else {
                    return Ok(None);
                };
                let off = min_off as i32;
                match access {
                    Access::Write(value) => {
                        stack_write(frame, off, size_b, value);
                        Ok(None)
                    }
                    Access::Read => stack_read(frame, off, size_b, allow_uninit),
                }
            }
            RegType::PtrToCtx => {
                if reg.off != 0 || !reg.var.var_off.is_const() || reg.var.var_off.value != 0 {
                    return acces(format!(
                        "dereference of modified ctx ptr R{n} off={} disallowed",
                        reg.off
                    ));
                }
                let write = matches!(access, Access::Write(_));
                if ctx_modelled(self.env.prog_type)
                    && (off < 0
                        || !ctx_access_ok(self.env.prog_type, off as u32, size_b as u32, write))
                {
                    return acces(format!(
                        "invalid bpf_context access off={off} size={size_b}"
                    ));
                }
                Ok(self.ctx_load(off, size))
            }
            RegType::PtrToMapValue => {
                let value_size = self.maps.get(reg.map).map_or(u32::MAX, |m| m.value_size) as i64;
                let v = &reg.var;
                let off64 = off as i64;
                if v.smin_value < 0
                    && (v.smin_value == i64::MIN
                        || off64 + v.smin_value != (off64 + v.smin_value) as i32 as i64
                        || v.smin_value + off64 < 0)
                {
                    return acces(format!(
                        "R{n} min value is negative, either use unsigned index or do a if (index >=0) check."
                    ));
                }
                let lo = v.smin_value + off64;
                if lo < 0 || lo + size_b as i64 > value_size {
                    return acces(format!(
                        "R{n} min value is outside of the allowed memory range"
                    ));
                }
                if v.umax_value >= 1 << 29 {
                    return acces(format!(
                        "R{n} unbounded memory access, make sure to bounds check any such access"
                    ));
                }
                let hi = v.umax_value as i64 + off64;
                if hi < 0 || hi + size_b as i64 > value_size {
                    return acces(format!(
                        "R{n} max value is outside of the allowed memory range"
                    ));
                }
                Ok(None)
            }
            RegType::PtrToPacket | RegType::PtrToPacketMeta => {
                if reg.var.smin_value < 0 {
                    return acces(format!(
                        "R{n} min value is negative, either use unsigned index or do a if (index >=0) check."
                    ));
                }
                if off < 0 || off + size_b > reg.range {
                    return acces(format!(
                        "invalid access to packet, off={off} size={size_b}, R{n}(id={},off={off},r={})",
                        reg.id, reg.range
                    ));
                }
                Ok(None)
            }
            RegType::ConstPtrToMap | RegType::PtrToPacketEnd => {
                acces(format!("R{n} invalid mem access '{}'", reg.type_str()))
            }
            RegType::NotInit => acces(format!("R{n} !read_ok")),
            RegType::Scalar | RegType::Other => Ok(None),
        }
    }

    /// What a context load gives: packet pointers for the `data` fields, else a scalar.
    pub(super) fn ctx_load(&self, off: i32, size: Size) -> Option<RegState> {
        if size != Size::W {
            return None;
        }
        let ty = match (self.env.prog_type, off) {
            (ProgType::Xdp, 0) => RegType::PtrToPacket,
            (ProgType::Xdp, 4) => RegType::PtrToPacketEnd,
            (ProgType::Xdp, 8) => RegType::PtrToPacketMeta,
            (
                ProgType::SchedCls
                | ProgType::SchedAct
                | ProgType::LwtIn
                | ProgType::LwtOut
                | ProgType::LwtXmit
                | ProgType::LwtSeg6local
                | ProgType::SkSkb
                | ProgType::CgroupSkb,
                76,
            ) => RegType::PtrToPacket,
            (
                ProgType::SchedCls
                | ProgType::SchedAct
                | ProgType::LwtIn
                | ProgType::LwtOut
                | ProgType::LwtXmit
                | ProgType::LwtSeg6local
                | ProgType::SkSkb
                | ProgType::CgroupSkb,
                80,
            ) => RegType::PtrToPacketEnd,
            (ProgType::SchedCls | ProgType::SchedAct, 140) => RegType::PtrToPacketMeta,
            _ => return None,
        };
        Some(RegState::pointer(ty))
    }
}

/// How memory is accessed: a read, or a write of (maybe) a known register.
#[derive(Clone, Copy)]
pub(super) enum Access {
    Read,
    Write(Option<RegState>),
}

/// The program types whose context layout [`ctx_access_ok`] knows; the others' context
/// accesses are let through for now.
pub(super) fn ctx_modelled(t: ProgType) -> bool {
    crate::progtype::skb::is_skb_type(t)
        || matches!(
            t,
            ProgType::Xdp
                | ProgType::Kprobe
                | ProgType::Tracepoint
                | ProgType::RawTracepoint
                | ProgType::PerfEvent
        )
}

/// A write of `size` bytes at stack offset `off` (`check_stack_write_fixed_off`).
pub(super) fn stack_write(
    frame: &mut crate::verifier::state::FuncState,
    off: i32,
    size: i32,
    value: Option<RegState>,
) {
    let aligned = off.rem_euclid(8) == 0 && size == 8;
    if aligned && let Some(v) = value {
        let slot = frame.slot_mut(off);
        *slot = StackSlot {
            spilled: Some(v),
            slot_type: [SlotType::Spill; 8],
        };
        return;
    }
    let zero = value.is_some_and(|v| is_zero(&v));
    for i in 0..size {
        let o = off + i;
        let byte = o.rem_euclid(8) as usize;
        let slot = frame.slot_mut(o);
        if slot.spilled.is_some() {
            slot.spilled = None;
            for t in &mut slot.slot_type {
                if *t == SlotType::Spill {
                    *t = SlotType::Misc;
                }
            }
        }
        slot.slot_type[byte] = if zero { SlotType::Zero } else { SlotType::Misc };
    }
}

/// A read of `size` bytes at stack offset `off` (`check_stack_read_fixed_off`).
pub(super) fn stack_read(
    frame: &mut crate::verifier::state::FuncState,
    off: i32,
    size: i32,
    allow_uninit: bool,
) -> Res<Option<RegState>> {
    let spi_slot = frame.stack.get(((-off - 1) / 8) as usize).copied();
    if let Some(sp) = spi_slot.and_then(|slot| slot.spilled) {
        if off.rem_euclid(8) == 0 && size == 8 {
            return Ok(Some(sp));
        }
        if sp.is_scalar() {
            return Ok(Some(RegState::unknown()));
        }
    }
    let mut all_zero = true;
    for i in 0..size {
        match frame.byte_type(off + i) {
            SlotType::Zero => {}
            SlotType::Invalid if !allow_uninit => {
                return acces(format!("invalid read from stack off {off}+{i} size {size}"));
            }
            _ => all_zero = false,
        }
    }
    Ok(Some(if all_zero {
        RegState::known(0)
    } else {
        RegState::unknown()
    }))
}
