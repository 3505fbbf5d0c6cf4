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
                    if matches!(access, Access::Read) {
                        self.stack_read_mark(st, reg.frameno as usize, u64::MAX);
                    }
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
                        let spilled = off.rem_euclid(8) == 0 && size_b == 8 && value.is_some();
                        self.note_stack_write(st, frameno, off, size_b, spilled);
                        Ok(None)
                    }
                    Access::Read => {
                        let fill = off.rem_euclid(8) == 0
                            && size_b == 8
                            && frame
                                .stack
                                .get(((-off - 1) / 8) as usize)
                                .is_some_and(|s| s.spilled.is_some());
                        let v = stack_read(frame, off, size_b, allow_uninit);
                        self.note_stack_read(st, frameno, off, fill);
                        v
                    }
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
                if matches!(access, Access::Read) && v.var_off.is_const() {
                    let at = off64 + v.var_off.value as i64;
                    return Ok(self
                        .maps
                        .get(reg.map)
                        .and_then(|m| map_direct_read(m, at, size_b))
                        .map(RegState::known));
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
            RegType::PtrToMem => {
                if reg.mem_rdonly && matches!(access, Access::Write(_)) {
                    return acces(format!("R{n} cannot write into {}", reg.type_str()));
                }
                let size = size_b as i64;
                helper_call::check_mem_region_access(
                    &reg,
                    n,
                    off,
                    size,
                    reg.mem_size as u64,
                    false,
                )?;
                Ok(None)
            }
            RegType::PtrToMapKey => {
                if matches!(access, Access::Write(_)) {
                    return acces(format!("write to change key R{n} not allowed"));
                }
                let key_size = self.maps.get(reg.map).map_or(u32::MAX, |m| m.key_size);
                helper_call::check_mem_region_access(
                    &reg,
                    n,
                    off,
                    size_b as i64,
                    key_size as u64,
                    false,
                )?;
                Ok(None)
            }
            RegType::PtrToSocket | RegType::PtrToSockCommon | RegType::PtrToTcpSock => {
                if matches!(access, Access::Write(_)) {
                    return acces(format!("R{n} cannot write into {}", reg.type_str()));
                }
                if reg.var.smin_value < 0 {
                    return acces(format!(
                        "R{n} min value is negative, either use unsigned index or do a if (index >=0) check."
                    ));
                }
                if !helper_call::sock_access_ok(reg.ty, off, size_b) {
                    return acces(format!(
                        "R{n} invalid {} access off={off} size={size_b}",
                        reg.type_str()
                    ));
                }
                Ok(None)
            }
            RegType::ConstPtrToMap | RegType::PtrToPacketEnd | RegType::PtrToFunc => {
                acces(format!("R{n} invalid mem access '{}'", reg.type_str()))
            }
            RegType::NotInit => acces(format!("R{n} !read_ok")),
            RegType::Scalar if !reg.untracked => {
                acces(format!("R{n} invalid mem access '{}'", reg.type_str()))
            }
            RegType::Scalar | RegType::Other => Ok(None),
        }
    }

    /// What a context load gives: packet pointers for the `data` fields, else a scalar.
    pub(super) fn ctx_load(&self, off: i32, size: Size) -> Option<RegState> {
        if size == Size::DW
            && off == crate::progtype::skb::off::SK as i32
            && crate::progtype::skb::is_skb_type(self.env.prog_type)
        {
            // `__sk_buff->sk`: PTR_TO_SOCK_COMMON_OR_NULL (its id comes with the load).
            return Some(RegState {
                maybe_null: true,
                ..RegState::pointer(RegType::PtrToSockCommon)
            });
        }
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

/// `bpf_map_direct_read`: a load at a constant offset of a frozen read-only array of one
/// element (`.rodata`) reads the map's actual bytes, so the verifier knows the value.
pub(super) fn map_direct_read(m: &MapDef, at: i64, size: i32) -> Option<u64> {
    if !m.read_only || m.map_type != crate::maps::MapType::Array || m.max_entries != 1 {
        return None;
    }
    let at = usize::try_from(at).ok()?;
    let size = usize::try_from(size).ok()?;
    if at + size > m.value_size as usize {
        return None;
    }
    let mut bytes = [0u8; 8];
    for (i, b) in bytes.iter_mut().enumerate().take(size) {
        *b = m.initial.get(at + i).copied().unwrap_or(0);
    }
    Some(u64::from_le_bytes(bytes))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::{MapOrigin, MapType};

    fn rodata(bytes: &[u8], read_only: bool) -> MapDef {
        MapDef {
            name: ".rodata".into(),
            map_type: MapType::Array,
            key_size: 4,
            value_size: bytes.len() as u32,
            max_entries: 1,
            map_flags: 0,
            inner: None,
            initial: bytes.to_vec(),
            read_only,
            origin: MapOrigin::GlobalData {
                section: ".rodata".into(),
            },
        }
    }

    #[test]
    fn frozen_read_only_data_is_read_as_a_constant() {
        let m = rodata(&[14, 0, 0x34, 0x12], true);
        assert_eq!(map_direct_read(&m, 0, 1), Some(14));
        assert_eq!(map_direct_read(&m, 2, 2), Some(0x1234));
        assert_eq!(map_direct_read(&m, 3, 2), None);
        assert_eq!(map_direct_read(&rodata(&[14], false), 0, 1), None);
    }

    /// Cilium's `tail_srv6_encap`: the L2 header length comes from `.rodata.config`, and
    /// `data + len > data_end` then gives `data` itself a range.
    fn header_length_from_rodata(read_only: bool) -> Result<(), String> {
        use crate::verifier::{CheckEnv, MapHelpers, MapRefs, PreflightOptions, preflight_insns};
        let maps = [rodata(&[14, 0, 0, 0], read_only)];
        let insns = [
            RawInsn::new(0xbf, 6, 1, 0, 0),  // r6 = r1
            RawInsn::new(0x61, 2, 6, 80, 0), // r2 = data_end
            RawInsn::new(0x61, 1, 6, 76, 0), // r1 = data
            RawInsn::new(0x18, 4, 6, 0, 0),  // r4 = map_value(0) + 0
            RawInsn::new(0x00, 0, 0, 0, 0),
            RawInsn::new(0x71, 3, 4, 0, 0),  // r3 = *(u8 *)(r4 + 0)
            RawInsn::new(0xbf, 4, 1, 0, 0),  // r4 = r1
            RawInsn::new(0x0f, 4, 3, 0, 0),  // r4 += r3
            RawInsn::new(0x2d, 4, 2, 1, 0),  // if r4 > r2 goto +1
            RawInsn::new(0x71, 0, 1, 12, 0), // r0 = *(u8 *)(r1 + 12)
            RawInsn::new(0xb7, 0, 0, 0, 0),  // r0 = 0
            RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        let options = PreflightOptions {
            maps: MapRefs::Object(&maps),
            ..PreflightOptions::default()
        };
        let pre = preflight_insns(&insns, Some("GPL"), &options).map_err(|e| e.to_string())?;
        let env = CheckEnv {
            prog_type: ProgType::SchedCls,
            expected_attach_type: None,
            maps: &maps,
            bpf_capable: true,
            helpers: &MapHelpers,
            gpl_compatible: true,
        };
        do_check(&insns, &pre, &env)
            .0
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn a_packet_range_from_a_rodata_constant() {
        assert_eq!(header_length_from_rodata(true), Ok(()));
        assert_eq!(
            header_length_from_rodata(false),
            Err("invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)".into())
        );
    }
}
