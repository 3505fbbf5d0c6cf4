//! Memory accesses (`check_mem_access`, `check_atomic`): the stack (strict alignment,
//! fixed and variable offsets, spills and fills), the context (its offset rules and the
//! per-type fields), map values (bounds, `BPF_F_RDONLY_PROG`/`WRONLY_PROG`, constants of
//! frozen read-only maps), packets (write permission, ranges), the pointer types atomics may
//! use, and `save_aux_ptr_type`.

use super::alu::BPF_MAX_VAR_OFF;

/// `sizeof(struct bpf_flow_keys)`.
const BPF_FLOW_KEYS_SIZE: i64 = 56;
use super::*;
use crate::verifier::tnum::Tnum;

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
        if reg.ty == RegType::PtrToStack {
            // check_ptr_alignment: stack accesses are always strict, the spill tracking
            // relies on it.
            check_generic_alignment(&reg, "stack ", insn_off, size_b)?;
        }
        let off = insn_off.wrapping_add(reg.off);
        let write = matches!(access, Access::Write(_));
        match reg.ty {
            RegType::PtrToStack => {
                if !reg.var.var_off.is_const() && !matches!(access, Access::Write(_)) {
                    // Liveness: a variable-offset read may read any slot.
                    self.stack_read_mark(st, reg.frameno as usize, u64::MAX);
                }
                let min_off = check_stack_access_within_bounds(&reg, n, off, size_b, write)?;
                let frameno = reg.frameno as usize;
                if let Some(f) = st.frame.get(frameno) {
                    // grow_stack_state: the frame's depth is what the accesses reach.
                    self.grow_stack(f.subprogno, -min_off);
                }
                let bpf_capable = self.env.bpf_capable;
                let caller_frame = frameno + 1 < st.frame.len();
                let Some(frame) = st.frame.get_mut(frameno) else {
                    return Ok(None);
                };
                if !reg.var.var_off.is_const() {
                    // check_stack_{read,write}_var_off: every slot in range may be hit.
                    let lo = reg.var.smin_value + off as i64;
                    let hi = reg.var.smax_value + off as i64 + size_b as i64;
                    return match access {
                        Access::Write(value) => {
                            stack_write_var_off(frame, lo as i32, hi as i32, value);
                            Ok(None)
                        }
                        _ => Ok(Some(stack_read_var_off(frame, lo as i32, hi as i32))),
                    };
                }
                let off = (reg.var.var_off.value as i64 + off as i64) as i32;
                match access {
                    Access::Write(value) => {
                        if caller_frame
                            && size_b == 8
                            && value.is_some_and(|v| v.ty == RegType::PtrToStack)
                        {
                            return Err((
                                Errno::Inval,
                                "cannot spill pointers to stack into stack frame of the caller"
                                    .into(),
                            ));
                        }
                        let spilled = stack_write(frame, off, size_b, value, bpf_capable)?;
                        self.note_stack_write(st, frameno, off, size_b, spilled);
                        Ok(None)
                    }
                    _ => {
                        let (v, fill) = stack_read(frame, off, size_b, bpf_capable)?;
                        self.note_stack_read(st, frameno, off, fill);
                        Ok(v)
                    }
                }
            }
            RegType::PtrToCtx => {
                check_ptr_off_reg(&reg, n)?;
                let ldsx = matches!(access, Access::ReadSx);
                if (ldsx && ctx_pointer_field(self.env.prog_type, off))
                    || !ctx_pointer_fields_ok(self.env.prog_type, off, size_b)
                    || ctx_modelled(self.env.prog_type)
                        && (off < 0
                            || !ctx_access_ok(
                                self.env.prog_type,
                                self.env.expected_attach_type,
                                off as u32,
                                size_b as u32,
                                write,
                            ))
                {
                    return acces(format!(
                        "invalid bpf_context access off={off} size={size_b}"
                    ));
                }
                Ok(self.ctx_load(off, size))
            }
            RegType::PtrToMapValue => {
                let map = self.maps.get(reg.map).copied();
                let value_size = map.map_or(u32::MAX, |m| m.value_size) as i64;
                if let Some(m) = map {
                    check_map_access_type(m, off, size_b, write)?;
                }
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
                self.check_map_fields(&reg, off, size_b as i64, true)?;
                if !write && v.var_off.is_const() {
                    // bpf_map_direct_read, sign-extended for BPF_MEMSX.
                    let at = off64 + v.var_off.value as i64;
                    let sx = matches!(access, Access::ReadSx);
                    return Ok(self
                        .maps
                        .get(reg.map)
                        .and_then(|m| map_direct_read(m, at, size_b))
                        .map(|raw| {
                            let shift = 64 - 8 * size_b as u32;
                            if sx && shift > 0 {
                                (((raw << shift) as i64) >> shift) as u64
                            } else {
                                raw
                            }
                        })
                        .map(RegState::known));
                }
                Ok(None)
            }
            RegType::PtrToPacket | RegType::PtrToPacketMeta => {
                if write && !may_write_packet(self.env.prog_type) {
                    return acces("cannot write into packet".into());
                }
                if reg.var.smin_value < 0 {
                    return acces(format!(
                        "R{n} min value is negative, either use unsigned index or do a if (index >=0) check."
                    ));
                }
                if off < 0 || off + size_b > reg.range {
                    // __check_mem_access prints the access, then this line.
                    return acces(format!("R{n} offset is outside of the packet"));
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
            RegType::PtrToFlowKeys => {
                // check_flow_keys_access: within struct bpf_flow_keys.
                if matches!(access, Access::Write(Some(v)) if !v.is_scalar())
                    && !self.env.bpf_capable
                {
                    return acces(format!("R{n} leaks addr into flow keys"));
                }
                if off < 0 || off as i64 + size_b as i64 > BPF_FLOW_KEYS_SIZE {
                    return acces(format!(
                        "invalid access to flow keys off={off} size={size_b}"
                    ));
                }
                Ok(None)
            }
            RegType::PtrToTpBuffer => {
                // check_tp_buffer_access: a constant, non-negative offset.
                if off < 0 {
                    return acces(format!(
                        "R{n} invalid tracepoint buffer access: off={off}, size={size_b}"
                    ));
                }
                if !reg.var.var_off.is_const() || reg.var.var_off.value != 0 {
                    return acces(format!(
                        "R{n} invalid variable buffer offset: off={off}, var_off={}",
                        reg.var.var_off
                    ));
                }
                Ok(None)
            }
            RegType::ConstPtrToMap => {
                // check_ptr_to_map_access: reads of the map's kernel struct.
                let name = self
                    .maps
                    .get(reg.map)
                    .map_or("bpf_map", |m| map_struct_name(m.map_type));
                if !self.env.bpf_capable {
                    return acces(format!(
                        "'struct {name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN"
                    ));
                }
                if off < 0 {
                    return acces(format!("R{n} is {name} invalid negative access: off={off}"));
                }
                if write {
                    return acces(format!("only read from {name} is supported"));
                }
                // btf_struct_access: a field of the struct (BTF pointers are untracked).
                Ok(Some(RegState {
                    untracked: true,
                    ..RegState::unknown()
                }))
            }
            RegType::PtrToPacketEnd | RegType::PtrToFunc => {
                acces(format!("R{n} invalid mem access '{}'", reg.type_str()))
            }
            RegType::NotInit => acces(format!("R{n} !read_ok")),
            RegType::Scalar if !reg.untracked => {
                acces(format!("R{n} invalid mem access '{}'", reg.type_str()))
            }
            RegType::Scalar | RegType::Other => Ok(None),
        }
    }

    /// `save_aux_ptr_type`: one memory instruction may not see the context on one path and
    /// another pointer type on another (the kernel rewrites context accesses in place).
    pub(super) fn save_aux_ptr_type(&mut self, idx: usize, ty: RegType) -> Res<()> {
        let prev = self
            .ptr_types
            .get_mut(idx)
            .map_or(ty, |t| *t.get_or_insert(ty));
        // reg_type_mismatch_ok: the types whose accesses are rewritten (ctx; sockets and BTF
        // pointers are not told apart from other pointers here yet).
        let rewritten = |t: RegType| t == RegType::PtrToCtx;
        if prev != ty && (rewritten(prev) || rewritten(ty)) {
            return Err((
                Errno::Inval,
                "same insn cannot be used with different pointers".into(),
            ));
        }
        Ok(())
    }

    /// `check_atomic_rmw`: the operand size, the pointer types atomics may use, strict
    /// alignment, and the read-modify-write of the memory.
    pub(super) fn check_atomic(
        &mut self,
        st: &mut VerifierState,
        dst: Reg,
        off: i16,
        size: Size,
    ) -> Res<Option<RegState>> {
        let n = dst.index() as usize;
        let reg = st.cur().regs[n];
        if matches!(
            reg.ty,
            RegType::PtrToCtx | RegType::PtrToPacket | RegType::PtrToPacketMeta
        ) {
            return acces(format!(
                "BPF_ATOMIC stores into R{n} {} is not allowed",
                reg.type_str()
            ));
        }
        // check_ptr_alignment with strict_alignment_once.
        let desc = match reg.ty {
            RegType::PtrToStack if !reg.maybe_null => Some("stack "),
            RegType::PtrToMapValue if !reg.maybe_null => Some("value "),
            RegType::Other | RegType::Scalar | RegType::NotInit => None,
            _ => Some(""),
        };
        if let Some(desc) = desc {
            check_generic_alignment(&reg, desc, off as i32, size.bytes() as i32)?;
        }
        let old = self.check_mem_access(st, dst, off as i32, size, Access::Read)?;
        self.check_mem_access(st, dst, off as i32, size, Access::Write(None))?;
        Ok(old)
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
            return self.ctx_load_dw(off, size);
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

impl Walker<'_> {
    /// Context loads of 8-byte pointer fields.
    fn ctx_load_dw(&self, off: i32, size: Size) -> Option<RegState> {
        if size == Size::DW {
            match (self.env.prog_type, off) {
                // `__sk_buff->flow_keys`.
                (ProgType::FlowDissector, 144) => {
                    return Some(RegState::pointer(RegType::PtrToFlowKeys));
                }
                // The writable tracepoint's buffer.
                (ProgType::RawTracepointWritable, 0) => {
                    return Some(RegState::pointer(RegType::PtrToTpBuffer));
                }
                _ => {}
            }
        }
        use crate::progtype::sock_ops::off as so;
        if size != Size::DW {
            return None;
        }
        let ty = match (self.env.prog_type, off as u32) {
            (ProgType::SockOps, so::SKB_DATA)
            | (ProgType::SkMsg, 0)
            | (ProgType::CgroupSockopt, 8) => RegType::PtrToPacket,
            (ProgType::SockOps, so::SKB_DATA_END)
            | (ProgType::SkMsg, 8)
            | (ProgType::CgroupSockopt, 16) => RegType::PtrToPacketEnd,
            (ProgType::CgroupSockAddr, 64) => RegType::PtrToSocket,
            // `bpf_sk_lookup->sk`: PTR_TO_SOCKET_OR_NULL (its id comes with the load).
            (ProgType::SkLookup, 0) => {
                return Some(RegState {
                    maybe_null: true,
                    ..RegState::pointer(RegType::PtrToSocket)
                });
            }
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

/// How memory is accessed: a read, a sign-extending read (`BPF_MEMSX`), or a write of
/// (maybe) a known register.
#[derive(Clone, Copy)]
pub(super) enum Access {
    Read,
    ReadSx,
    Write(Option<RegState>),
}

/// The program types whose context layout [`ctx_access_ok`] knows; the others' context
/// accesses are let through for now.
pub(super) fn ctx_modelled(t: ProgType) -> bool {
    crate::progtype::skb::is_skb_type(t)
        || matches!(
            t,
            ProgType::Xdp
                | ProgType::SockOps
                | ProgType::SkMsg
                | ProgType::SkSkb
                | ProgType::SkLookup
                | ProgType::CgroupSock
                | ProgType::CgroupSockAddr
                | ProgType::Kprobe
                | ProgType::Tracepoint
                | ProgType::RawTracepoint
                | ProgType::PerfEvent
        )
}

/// `check_generic_ptr_alignment` in strict mode: `reg + off` must be aligned to `size`.
fn check_generic_alignment(reg: &RegState, desc: &str, off: i32, size: i32) -> Res<()> {
    if size == 1 {
        return Ok(());
    }
    let at = reg
        .var
        .var_off
        .add(Tnum::constant((reg.off as i64 + off as i64) as u64));
    if !at.is_aligned(size as u64) {
        return acces(format!(
            "misaligned {desc}access off {}+{}+{off} size {size}",
            reg.var.var_off, reg.off
        ));
    }
    Ok(())
}

/// `__check_ptr_off_reg` for the context: no negative or other fixed offset, no variable
/// part.
fn check_ptr_off_reg(reg: &RegState, n: usize) -> Res<()> {
    let t = reg.type_str();
    if reg.off < 0 {
        return acces(format!(
            "negative offset {t} ptr R{n} off={} disallowed",
            reg.off
        ));
    }
    if reg.off != 0 {
        return acces(format!(
            "dereference of modified {t} ptr R{n} off={} disallowed",
            reg.off
        ));
    }
    if !reg.var.var_off.is_const() || reg.var.var_off.value != 0 {
        return acces(format!(
            "variable {t} access var_off={} disallowed",
            reg.var.var_off
        ));
    }
    Ok(())
}

/// `check_stack_access_within_bounds` for a direct access by root: `[min, max)` must lie
/// in the 512-byte frame. Gives the lowest offset reached.
pub(super) fn check_stack_access_within_bounds(
    reg: &RegState,
    n: usize,
    off: i32,
    size: i32,
    write: bool,
) -> Res<i64> {
    let extra = if write { " write to" } else { " read from" };
    let v = &reg.var;
    let (min_off, max_off) = if v.var_off.is_const() {
        let min = v.var_off.value as i64 + off as i64;
        (min, min + size as i64)
    } else {
        if v.smax_value >= BPF_MAX_VAR_OFF || v.smin_value <= -BPF_MAX_VAR_OFF {
            return acces(format!(
                "invalid unbounded variable-offset{extra} stack R{n}"
            ));
        }
        (
            v.smin_value + off as i64,
            v.smax_value + off as i64 + size as i64,
        )
    };
    if min_off < -(MAX_BPF_STACK as i64) || min_off > -1 || max_off > 0 {
        return Err(if v.var_off.is_const() {
            (
                Errno::Acces,
                format!("invalid{extra} stack R{n} off={off} size={size}"),
            )
        } else {
            (
                Errno::Acces,
                format!(
                    "invalid variable-offset{extra} stack R{n} var_off={} off={off} size={size}",
                    v.var_off
                ),
            )
        });
    }
    Ok(min_off)
}

impl Walker<'_> {
    /// The record part of `check_map_access`: no load, store or helper access may touch a
    /// special field of the map value (`bpf_spin_lock`, `bpf_timer`, ...); kptrs only by
    /// exact, constant-offset, 8-byte loads and stores (`direct`).
    pub(super) fn check_map_fields(
        &self,
        reg: &RegState,
        off: i32,
        size: i64,
        direct: bool,
    ) -> Res<()> {
        let Some(Some(fields)) = self.pre.map_fields.get(reg.map) else {
            return Ok(());
        };
        for f in fields {
            let p = f.offset as i64;
            let lo_hits = reg.var.smin_value.saturating_add(off as i64) < p + f.kind.size() as i64;
            let hi = reg
                .var
                .umax_value
                .wrapping_add(off as i64 as u64)
                .wrapping_add(size as u64);
            if !(lo_hits && (p as u64) < hi) {
                continue;
            }
            let name = f.kind.name();
            if !f.kind.is_kptr() {
                return acces(format!("{name} cannot be accessed directly by load/store"));
            }
            if !direct {
                return acces(format!("{name} cannot be accessed indirectly by helper"));
            }
            if !reg.var.var_off.is_const() {
                return acces(format!("{name} access cannot have variable offset"));
            }
            let at = (off as i64 as u64).wrapping_add(reg.var.var_off.value);
            if p as u64 != at {
                return acces(format!("{name} access misaligned expected={p} off={at}"));
            }
            if size != 8 {
                return acces(format!("{name} access size must be BPF_DW"));
            }
        }
        Ok(())
    }
}

/// The kernel struct behind a map of type `t` (its ops' `map_btf_id`).
fn map_struct_name(t: crate::maps::MapType) -> &'static str {
    use crate::maps::MapType as M;
    match t {
        M::Array
        | M::PercpuArray
        | M::ProgArray
        | M::PerfEventArray
        | M::CgroupArray
        | M::ArrayOfMaps => "bpf_array",
        M::Hash | M::PercpuHash | M::LruHash | M::LruPercpuHash | M::HashOfMaps => "bpf_htab",
        M::StackTrace => "bpf_stack_map",
        M::LpmTrie => "lpm_trie",
        M::DevMap | M::DevMapHash => "bpf_dtab",
        M::SockMap => "bpf_stab",
        M::SockHash => "bpf_shtab",
        M::CpuMap => "bpf_cpu_map",
        M::XskMap => "xsk_map",
        M::Queue | M::Stack => "bpf_queue_stack",
        M::RingBuf | M::UserRingBuf => "bpf_ringbuf_map",
        M::BloomFilter => "bpf_bloom_filter",
        M::ReuseportSockarray => "reuseport_array",
        M::CgroupStorage | M::PercpuCgroupStorage => "bpf_cgroup_storage_map",
        M::SkStorage | M::InodeStorage | M::TaskStorage | M::CgrpStorage => "bpf_local_storage_map",
        M::Arena => "bpf_arena",
        M::StructOps => "bpf_struct_ops_map",
        M::Unspec | M::Other(_) => "bpf_map",
    }
}

/// `check_map_access_type`: `BPF_F_RDONLY_PROG` maps refuse writes, `BPF_F_WRONLY_PROG`
/// maps reads.
pub(super) fn check_map_access_type(map: &MapDef, off: i32, size: i32, write: bool) -> Res<()> {
    use crate::maps::{BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG};
    let rdonly = map.read_only || map.map_flags & BPF_F_RDONLY_PROG != 0;
    let wronly = map.map_flags & BPF_F_WRONLY_PROG != 0;
    if write && rdonly {
        return acces(format!(
            "write into map forbidden, value_size={} off={off} size={size}",
            map.value_size
        ));
    }
    if !write && wronly {
        return acces(format!(
            "read from map forbidden, value_size={} off={off} size={size}",
            map.value_size
        ));
    }
    Ok(())
}

/// `may_access_direct_pkt_data` for writes.
fn may_write_packet(t: ProgType) -> bool {
    matches!(
        t,
        ProgType::SchedCls
            | ProgType::SchedAct
            | ProgType::Xdp
            | ProgType::LwtXmit
            | ProgType::SkSkb
            | ProgType::SkMsg
            | ProgType::CgroupSockopt
    )
}

/// For contexts whose rules are not all modelled: their 8-byte pointer fields take only
/// 8-byte accesses at their start (cg_sockopt_is_valid_access for `sk`, `optval`,
/// `optval_end`; sock_addr_is_valid_access for `sk`).
fn ctx_pointer_fields_ok(t: ProgType, off: i32, size: i32) -> bool {
    let fields: &[i32] = match t {
        ProgType::CgroupSockopt => &[0, 8, 16],
        ProgType::CgroupSockAddr => &[64],
        _ => return true,
    };
    fields
        .iter()
        .all(|&f| off + size <= f || off >= f + 8 || (off == f && size == 8))
}

/// Context fields that load as packet pointers (no sign-extending loads of them).
fn ctx_pointer_field(t: ProgType, off: i32) -> bool {
    if t == ProgType::Xdp {
        return matches!(off, 0..=11);
    }
    if t == ProgType::FlowDissector {
        return matches!(off, 76..=83);
    }
    crate::progtype::skb::is_skb_type(t) && matches!(off, 76..=83 | 140..=143)
}

/// `mark_stack_slot_misc`: zero and never-written bytes stay as they are.
fn mark_misc(t: &mut SlotType) {
    if !matches!(t, SlotType::Zero | SlotType::Invalid) {
        *t = SlotType::Misc;
    }
}

/// `scrub_special_slot`: a data write over a spill ends it; its bytes become data.
fn scrub_spill(slot: &mut StackSlot) {
    if slot.spilled.is_some() || slot.slot_type[0] == SlotType::Spill {
        for t in &mut slot.slot_type {
            if *t != SlotType::Invalid {
                *t = SlotType::Misc;
            }
        }
    }
    slot.spilled = None;
}

/// A write of `size` bytes at stack offset `off`, aligned to `size`
/// (`check_stack_write_fixed_off`, as root).
pub(super) fn stack_write(
    frame: &mut crate::verifier::state::FuncState,
    off: i32,
    size: i32,
    value: Option<RegState>,
    bpf_capable: bool,
) -> Res<bool> {
    let slot_start = off.rem_euclid(8) == 0;
    if let Some(mut v) = value {
        // check_stack_write_fixed_off: scalars are spilled whatever their size (as root),
        // pointers only whole.
        let spill = if v.is_scalar() {
            bpf_capable
        } else {
            size == 8
        };
        if slot_start && spill {
            if v.is_scalar() && reg_width(&v) > 8 * size as u32 {
                // A narrowing spill breaks the link with the register.
                v.id = 0;
            }
            // save_register_state: the spill covers the low `size` bytes of the slot.
            let slot = frame.slot_mut(off);
            slot.spilled = Some(v);
            for (i, t) in slot.slot_type.iter_mut().enumerate() {
                if (i as i32) < size {
                    *t = SlotType::Spill;
                } else {
                    mark_misc(t);
                }
            }
            return Ok(true);
        }
        if !v.is_scalar() && v.ty != RegType::NotInit {
            return acces("invalid size of register spill".into());
        }
    }
    let zero = value.is_some_and(|v| is_zero(&v));
    let slot = frame.slot_mut(off);
    scrub_spill(slot);
    for i in 0..size {
        let byte = (off + i).rem_euclid(8) as usize;
        slot.slot_type[byte] = if zero { SlotType::Zero } else { SlotType::Misc };
    }
    Ok(false)
}

/// `get_reg_width`: the bits the unsigned maximum needs.
fn reg_width(r: &RegState) -> u32 {
    64 - r.var.umax_value.leading_zeros()
}

/// `check_stack_write_var_off` as root: every byte of `[lo, hi)` may be written.
fn stack_write_var_off(
    frame: &mut crate::verifier::state::FuncState,
    lo: i32,
    hi: i32,
    value: Option<RegState>,
) {
    let zero = value.is_some_and(|v| is_zero(&v));
    for o in lo..hi {
        let byte = o.rem_euclid(8) as usize;
        let slot = frame.slot_mut(o);
        if zero
            && slot.slot_type[byte] == SlotType::Spill
            && slot.spilled.is_some_and(|s| {
                s.is_scalar() && s.var.var_off.is_const() && s.var.var_off.value == 0
            })
        {
            continue;
        }
        scrub_spill(slot);
        let t = &mut slot.slot_type[byte];
        *t = if zero && *t == SlotType::Zero {
            SlotType::Zero
        } else {
            SlotType::Misc
        };
    }
}

/// `check_stack_read_var_off` as root: any byte of `[lo, hi)` may be read; the result is
/// zero only when all are.
fn stack_read_var_off(frame: &crate::verifier::state::FuncState, lo: i32, hi: i32) -> RegState {
    if (lo..hi).all(|o| frame.byte_type(o) == SlotType::Zero) {
        RegState::known(0)
    } else {
        RegState::unknown()
    }
}

/// A read of `size` bytes at stack offset `off`, aligned to `size`
/// (`check_stack_read_fixed_off`).
pub(super) fn stack_read(
    frame: &mut crate::verifier::state::FuncState,
    off: i32,
    size: i32,
    allow_uninit: bool,
) -> Res<(Option<RegState>, bool)> {
    let slot = frame.stack.get(((-off - 1) / 8) as usize).copied();
    if let Some(slot) = slot.filter(|s| s.slot_type[0] == SlotType::Spill)
        && let Some(sp) = slot.spilled
    {
        let spill_size = slot
            .slot_type
            .iter()
            .take_while(|t| **t == SlotType::Spill)
            .count() as i32;
        if size == 8 && spill_size == 8 {
            return Ok((Some(sp), true));
        }
        if !sp.is_scalar() {
            return acces("invalid size of register fill".into());
        }
        if size <= spill_size && off.rem_euclid(8) == 0 {
            // A narrowing fill: coerce_reg_to_size (by the caller) adjusts the bounds.
            let mut v = sp;
            if reg_width(&sp) > 8 * size as u32 {
                v.id = 0;
            }
            return Ok((Some(v), true));
        }
        let (mut spill_cnt, mut zero_cnt) = (0, 0);
        for i in 0..size {
            match frame.byte_type(off + i) {
                SlotType::Spill => spill_cnt += 1,
                SlotType::Misc => {}
                SlotType::Zero => zero_cnt += 1,
                SlotType::Invalid if allow_uninit => {}
                SlotType::Invalid => {
                    return acces(format!("invalid read from stack off {off}+{i} size {size}"));
                }
            }
        }
        let zero_spill = sp.var.var_off.is_const() && sp.var.var_off.value == 0;
        // Only zeroes read back from the spill itself are a register fill.
        return Ok(if spill_cnt == size && zero_spill {
            (Some(RegState::known(0)), true)
        } else if zero_cnt == size {
            (Some(RegState::known(0)), false)
        } else {
            (Some(RegState::unknown()), false)
        });
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
    Ok((
        Some(if all_zero {
            RegState::known(0)
        } else {
            RegState::unknown()
        }),
        false,
    ))
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
        use crate::verifier::do_check::check_insns;
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
        check_insns(&insns, ProgType::SchedCls, &maps).map_err(|e| e.message().to_string())
    }

    #[test]
    fn a_packet_range_from_a_rodata_constant() {
        assert_eq!(header_length_from_rodata(true), Ok(()));
        assert_eq!(
            header_length_from_rodata(false),
            // The kernel's last line (check_packet_access after __check_mem_access).
            Err("R1 offset is outside of the packet".into())
        );
    }
}
