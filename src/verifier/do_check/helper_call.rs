//! Helper calls, driven by the helpers' prototypes (`check_helper_call`, `check_func_arg`,
//! `check_reg_type`, `check_func_arg_reg_off`, `check_helper_mem_access`,
//! `check_mem_size_reg`, `check_map_func_compatibility`, `record_func_key`,
//! `do_refine_retval_range` and the return-type switch of `kernel/bpf/verifier.c`).
//!
//! For each argument the prototype names ([`ArgBase`] plus [`TypeFlags`]) the register must
//! have one of the kernel's compatible types (`R2 type=scalar expected=fp, pkt, ...`), a
//! pointer the helper reads or writes is checked over the bytes it covers as the kernel's
//! memory checks do (stack, map key and value, packet, helper memory), sizes must be
//! bounded, map pointers must fit the helper, references are acquired and released
//! (see [`super::refs`]) and callbacks are verified in their own frame (see
//! [`super::callback`]). R0 then gets the prototype's return type.
//!
//! Pointers this slice does not track (BTF pointers, [`RegState::untracked`] scalars) pass
//! every pointer check, so that their programs are not refused for what bpfsim cannot see.

use super::*;
use crate::helpers::proto::{ArgBase, ArgType, HelperId, HelperProto, RetBase, TypeFlags};
use crate::maps::MapType;
use crate::object::map_fields::FieldKind;
use crate::verifier::state::{AUX_SOCKET, INNER_MAP_UNKNOWN};

/// `BPF_MAX_VAR_SIZ`: the largest size a helper may be given.
const BPF_MAX_VAR_SIZ: u64 = 1 << 29;
/// `BPF_MAX_VAR_OFF`.
const BPF_MAX_VAR_OFF: i64 = 1 << 29;
/// `MAX_ERRNO`.
const MAX_ERRNO: i64 = 4095;

/// What the argument checks learn (`struct bpf_call_arg_meta`).
#[derive(Default)]
pub(super) struct Meta {
    /// The map of the `ARG_CONST_MAP_PTR` argument (index into the walker's maps).
    pub map: Option<usize>,
    /// The map argument was a map this slice does not track (an inner map).
    pub map_untracked: bool,
    /// `MEM_UNINIT`: the helper only writes the memory of the current argument.
    raw_mode: bool,
    /// Bytes a raw-mode stack argument covers: (register, size).
    access: Option<(usize, i64)>,
    /// The register whose reference the helper releases.
    release_regno: Option<usize>,
    /// The reference an argument holds.
    pub ref_obj_id: u32,
    /// `ARG_CONST_ALLOC_SIZE_OR_ZERO`'s value.
    mem_size: u64,
    /// `ARG_PTR_TO_FUNC`: the callback's first instruction.
    pub callback: Option<usize>,
    /// A constant key of an array map (`get_constant_map_key`).
    const_map_key: Option<u64>,
    /// The size argument's largest value (`msize_max_value`).
    msize_max: u64,
}

/// A check's failure as `do_check` reports it.
fn err<T>(errno: Errno, msg: String) -> Res<T> {
    Err((errno, msg))
}

/// `register_is_null`.
fn is_null(r: &RegState) -> bool {
    r.is_scalar() && r.var.var_off.is_const() && r.var.var_off.value == 0
}

/// Registers whose type this slice does not know: they pass pointer checks.
fn untracked(r: &RegState) -> bool {
    r.ty == RegType::Other || (r.is_scalar() && r.untracked)
}

/// The kernel's `compatible_reg_types` for an argument's base type, as `reg_type_str`
/// names them.
fn compatible(base: ArgBase) -> &'static [&'static str] {
    const MEM: &[&str] = &[
        "fp",
        "pkt",
        "pkt_meta",
        "map_key",
        "map_value",
        "mem",
        "ringbuf_mem",
        "buf",
        "trusted_ptr_",
    ];
    const SOCK: &[&str] = &["sock_common", "sock", "tcp_sock", "xdp_sock"];
    const BTF_SOCK: &[&str] = &[
        "sock_common",
        "sock",
        "tcp_sock",
        "xdp_sock",
        "ptr_",
        "trusted_ptr_",
    ];
    match base {
        ArgBase::PtrToMapKey | ArgBase::PtrToMapValue | ArgBase::PtrToMem => MEM,
        ArgBase::ConstSize
        | ArgBase::ConstSizeOrZero
        | ArgBase::ConstAllocSizeOrZero
        | ArgBase::Anything => &["scalar"],
        ArgBase::ConstMapPtr => &["map_ptr"],
        ArgBase::PtrToCtx => &["ctx"],
        ArgBase::PtrToSockCommon => SOCK,
        ArgBase::PtrToBtfIdSockCommon => BTF_SOCK,
        ArgBase::PtrToSocket => &["sock"],
        ArgBase::PtrToBtfId => &["ptr_", "trusted_ptr_", "rcu_ptr_"],
        ArgBase::PtrToSpinLock => &["map_value", "ptr_"],
        ArgBase::PtrToRingbufMem => &["ringbuf_mem"],
        // reg_type_str puts "percpu_" before "rcu_" and "trusted_".
        ArgBase::PtrToPercpuBtfId => &["percpu_ptr_", "percpu_rcu_ptr_", "percpu_trusted_ptr_"],
        ArgBase::PtrToFunc => &["func"],
        ArgBase::PtrToStack => &["fp"],
        ArgBase::PtrToConstStr | ArgBase::PtrToTimer => &["map_value"],
        ArgBase::KptrXchgDest => &["map_value", "ptr_"],
        ArgBase::PtrToDynptr => &["fp", "dynptr_ptr"],
        ArgBase::PtrToArena | ArgBase::DontCare => &[],
    }
}

/// The register's type as `check_reg_type` compares it: `MEM_RDONLY` and `PTR_MAYBE_NULL`
/// folded away where the argument accepts them.
fn folded_type(r: &RegState, arg: ArgType) -> String {
    let mut f = *r;
    if arg.has(TypeFlags::MEM_RDONLY) {
        f.mem_rdonly = false;
    }
    if arg.may_be_null() {
        f.maybe_null = false;
    }
    f.type_str()
}

/// `check_reg_type`.
fn check_reg_type(r: &RegState, regno: usize, arg: ArgType) -> Res<()> {
    let types = compatible(arg.base);
    let ty = folded_type(r, arg);
    if types.contains(&ty.as_str()) {
        return Ok(());
    }
    err(
        Errno::Acces,
        format!(
            "R{regno} type={} expected={}",
            r.type_str(),
            types.join(", ")
        ),
    )
}

/// `__check_ptr_off_reg`.
fn check_ptr_off_reg(r: &RegState, regno: usize, fixed_off_ok: bool) -> Res<()> {
    if r.off < 0 {
        return err(
            Errno::Acces,
            format!(
                "negative offset {} ptr R{regno} off={} disallowed",
                r.type_str(),
                r.off
            ),
        );
    }
    if !fixed_off_ok && r.off != 0 {
        return err(
            Errno::Acces,
            format!(
                "dereference of modified {} ptr R{regno} off={} disallowed",
                r.type_str(),
                r.off
            ),
        );
    }
    if !r.var.var_off.is_const() || r.var.var_off.value != 0 {
        return err(
            Errno::Acces,
            format!(
                "variable {} access var_off={} disallowed",
                r.type_str(),
                tnum_str(r)
            ),
        );
    }
    Ok(())
}

/// `tnum_strn`.
fn tnum_str(r: &RegState) -> String {
    format!("({:#x}; {:#x})", r.var.var_off.value, r.var.var_off.mask)
}

/// `check_func_arg_reg_off`.
fn check_func_arg_reg_off(r: &RegState, regno: usize, arg: ArgType) -> Res<()> {
    if arg.is_release() {
        if arg.base == ArgBase::PtrToDynptr && r.ty == RegType::PtrToStack {
            return Ok(());
        }
        if r.off != 0 {
            return err(
                Errno::Inval,
                format!(
                    "R{regno} must have zero offset when passed to release func or trusted arg to kfunc"
                ),
            );
        }
        return check_ptr_off_reg(r, regno, false);
    }
    match r.ty {
        RegType::PtrToStack
        | RegType::PtrToPacket
        | RegType::PtrToPacketMeta
        | RegType::PtrToMapKey
        | RegType::PtrToMapValue
        | RegType::PtrToMem
        | RegType::Scalar
        | RegType::Other => Ok(()),
        _ => check_ptr_off_reg(r, regno, false),
    }
}

/// `__check_mem_access`: `[off, off + size)` inside `[0, mem_size)`.
fn mem_access_ok(off: i64, size: i64, mem_size: i64, zero_ok: bool) -> bool {
    !(off < 0 || size < 0 || (size == 0 && !zero_ok) || off + size > mem_size)
}

/// `check_mem_region_access`: `size` bytes at `off` from `reg` (fixed plus variable offset)
/// inside `mem_size` bytes.
pub(super) fn check_mem_region_access(
    reg: &RegState,
    regno: usize,
    off: i32,
    size: i64,
    mem_size: u64,
    zero_ok: bool,
) -> Res<()> {
    let v = &reg.var;
    let off = off as i64;
    let mem_size = mem_size as i64;
    if v.smin_value < 0
        && (v.smin_value == i64::MIN
            || off + v.smin_value != (off + v.smin_value) as i32 as i64
            || v.smin_value + off < 0)
    {
        return err(
            Errno::Acces,
            format!(
                "R{regno} min value is negative, either use unsigned index or do a if (index >=0) check."
            ),
        );
    }
    if !mem_access_ok(v.smin_value + off, size, mem_size, zero_ok) {
        return err(
            Errno::Acces,
            format!("R{regno} min value is outside of the allowed memory range"),
        );
    }
    if v.umax_value >= BPF_MAX_VAR_OFF as u64 {
        return err(
            Errno::Acces,
            format!("R{regno} unbounded memory access, make sure to bounds check any such access"),
        );
    }
    if !mem_access_ok(v.umax_value as i64 + off, size, mem_size, zero_ok) {
        return err(
            Errno::Acces,
            format!("R{regno} max value is outside of the allowed memory range"),
        );
    }
    Ok(())
}

/// Map types whose lookups of a constant key in range cannot fail
/// (`can_elide_value_nullness`).
fn can_elide_value_nullness(t: MapType) -> bool {
    matches!(t, MapType::Array | MapType::PercpuArray)
}

fn reg_of(regno: usize) -> Reg {
    Reg::new(regno as u8).unwrap_or(Reg::R0)
}

impl Walker<'_> {
    /// `check_helper_call`: the prototype, the arguments, the references, R0.
    pub(super) fn check_helper_call(
        &mut self,
        idx: usize,
        st: &mut VerifierState,
        func_id: i32,
    ) -> Res<Option<Next>> {
        let spec = ProgSpec {
            prog_type: self.env.prog_type,
            expected_attach_type: self.env.expected_attach_type,
            sleepable: self.env.sleepable,
            attach_func: None,
        };
        let fp = self
            .env
            .helpers
            .prototype(func_id, &spec, self.env.gpl_compatible)
            .map_err(|e| (Errno::Inval, e.to_string()))?;
        let id = fp.id;
        let mut meta = Meta::default();
        for arg in 0..5 {
            self.check_func_arg(st, arg, fp, &mut meta)?;
        }
        // Precision and stack-liveness marks for what the helper reads.
        self.helper_call_marks(st, func_id, fp);
        // record_func_key
        if id == HelperId::TailCall && !meta.map_untracked {
            let ok = meta
                .map
                .and_then(|m| self.maps.get(m))
                .is_some_and(|m| m.map_type == MapType::ProgArray);
            if !ok {
                return err(Errno::Inval, "expected prog array map for tail call".into());
            }
        }
        // Raw-mode memory: the helper writes every byte.
        if let Some((regno, size)) = meta.access {
            for i in 0..size {
                self.check_mem_access(st, reg_of(regno), i as i32, Size::B, Access::Write(None))?;
            }
        }
        if let Some(regno) = meta.release_regno {
            let released = if meta.ref_obj_id != 0 {
                self.release_reference(st, meta.ref_obj_id)
            } else {
                is_null(&st.cur().regs[regno])
            };
            if !released {
                return err(
                    Errno::Inval,
                    format!(
                        "func {}#{} reference has not been acquired before",
                        fp.name(),
                        func_id
                    ),
                );
            }
        }
        let mut callback = None;
        match id {
            HelperId::TailCall if !st.refs.is_empty() => {
                return err(
                    Errno::Inval,
                    "tail_call would lead to reference leak".into(),
                );
            }
            HelperId::Snprintf => self.check_bpf_snprintf_call(st)?,
            HelperId::GetLocalStorage if !is_null(&st.cur().regs[2]) => {
                return err(
                    Errno::Inval,
                    "get_local_storage() doesn't support non-zero flags".into(),
                );
            }
            HelperId::Loop
            | HelperId::ForEachMapElem
            | HelperId::FindVma
            | HelperId::TimerSetCallback
            | HelperId::UserRingbufDrain => callback = meta.callback,
            _ => {}
        }
        let callback_state = match callback {
            Some(start) if self.another_iteration(st, id) => {
                let cb = self.callback_state(idx, st, id, start, &meta)?;
                st.cur_mut().callback_depth = 0;
                Some(cb)
            }
            Some(_) => {
                st.cur_mut().callback_depth = 0;
                None
            }
            None => None,
        };

        if id == HelperId::MapLookupElem {
            // A constant key that elides the NULL check must stay precise
            // (`get_constant_map_key` marks its stack slot).
            self.const_key_in_array(st);
        }
        clobber_caller_saved(st);
        let r0 = self.return_value(st, idx, fp, &meta)?;
        st.cur_mut().regs[0] = r0;
        self.check_map_func_compatibility(meta.map, id)?;
        if proto::helper_changes_pkt_data(func_id as u32) {
            clear_all_pkt_pointers(st);
        }
        if let Some(cb) = callback_state {
            // The callback's path returns to the instruction after the call.
            self.push_stack(cb.0, cb.1)?;
        }
        Ok(None)
    }

    /// Whether a synchronous callback runs once more: below `bpf_loop`'s count and
    /// [`callback::CALLBACK_ITER_CAP`]; an asynchronous one always (it runs once).
    fn another_iteration(&self, st: &VerifierState, id: HelperId) -> bool {
        if id == HelperId::TimerSetCallback {
            return true;
        }
        let depth = st.cur().callback_depth as u64;
        let mut limit = super::callback::CALLBACK_ITER_CAP;
        if id == HelperId::Loop {
            limit = limit.min(st.cur().regs[1].var.umax_value);
        }
        depth < limit
    }

    /// `check_func_arg` for argument `arg` (0 = R1).
    fn check_func_arg(
        &mut self,
        st: &mut VerifierState,
        arg: usize,
        fp: &HelperProto,
        meta: &mut Meta,
    ) -> Res<()> {
        let regno = arg + 1;
        let mut arg_type = fp.args[arg].ty;
        if arg_type.is_unused() {
            return Ok(());
        }
        let reg = st.cur().regs[regno];
        if reg.ty == RegType::NotInit {
            return err(Errno::Acces, format!("R{regno} !read_ok"));
        }
        if arg_type.base == ArgBase::Anything {
            return Ok(());
        }
        if reg.is_pkt_pointer() && !self.may_access_direct_pkt_data(fp) {
            return err(
                Errno::Acces,
                "helper access to the packet is not allowed".into(),
            );
        }
        if arg_type.base == ArgBase::PtrToMapValue {
            // resolve_map_arg_type: sockmap and sockhash values are sockets.
            if let Some(m) = meta.map.and_then(|m| self.maps.get(m))
                && matches!(m.map_type, MapType::SockMap | MapType::SockHash)
            {
                let mut t = ArgType::new(ArgBase::PtrToBtfIdSockCommon);
                if arg_type.may_be_null() {
                    t = t.with(TypeFlags::PTR_MAYBE_NULL);
                }
                arg_type = t;
            }
        }
        let null = is_null(&reg);
        let scalar_arg = matches!(
            arg_type.base,
            ArgBase::ConstSize | ArgBase::ConstSizeOrZero | ArgBase::ConstAllocSizeOrZero
        );
        if untracked(&reg) && !scalar_arg {
            if arg_type.is_release() && reg.ref_obj_id != 0 {
                // A cast of a referenced pointer (bpf_skc_to_tcp_sock): released too.
                meta.ref_obj_id = reg.ref_obj_id;
                meta.release_regno = Some(regno);
                return Ok(());
            }
            if arg_type.base == ArgBase::ConstMapPtr {
                meta.map = None;
                meta.map_untracked = true;
            }
            return Ok(());
        }
        if !(null && arg_type.may_be_null()) {
            check_reg_type(&reg, regno, arg_type)?;
            check_func_arg_reg_off(&reg, regno, arg_type)?;
        }
        if arg_type.is_release() {
            if arg_type.base != ArgBase::PtrToDynptr && reg.ref_obj_id == 0 && !null {
                return err(
                    Errno::Inval,
                    format!("R{regno} must be referenced when passed to release function"),
                );
            }
            meta.release_regno = Some(regno);
        }
        if reg.ref_obj_id != 0 && meta.ref_obj_id == 0 {
            meta.ref_obj_id = reg.ref_obj_id;
        }
        let write = arg_type.has(TypeFlags::MEM_WRITE);
        match arg_type.base {
            ArgBase::ConstMapPtr => {
                meta.map = Some(reg.map);
                meta.map_untracked = false;
            }
            ArgBase::PtrToMapKey => {
                let Some(map) = meta.map.and_then(|m| self.maps.get(m)).copied() else {
                    return Ok(());
                };
                self.check_helper_mem_access(st, regno, map.key_size as i64, false, false, None)?;
                if can_elide_value_nullness(map.map_type) {
                    meta.const_map_key = constant_map_key(st, &reg, map.key_size);
                }
            }
            ArgBase::PtrToMapValue => {
                if arg_type.may_be_null() && null {
                    return Ok(());
                }
                let Some(map) = meta.map.and_then(|m| self.maps.get(m)).copied() else {
                    return Ok(());
                };
                meta.raw_mode = arg_type.has(TypeFlags::MEM_UNINIT);
                self.check_helper_mem_access(
                    st,
                    regno,
                    map.value_size as i64,
                    write,
                    false,
                    Some(meta),
                )?;
            }
            ArgBase::PtrToMem => {
                meta.raw_mode = arg_type.has(TypeFlags::MEM_UNINIT);
                if arg_type.has(TypeFlags::MEM_FIXED_SIZE) {
                    let size = fp.args[arg].size.unwrap_or(0) as i64;
                    if !(null && arg_type.may_be_null()) {
                        self.check_helper_mem_access(st, regno, size, write, false, Some(meta))?;
                    }
                    if arg_type.has(TypeFlags::MEM_ALIGNED) && reg.ty == RegType::PtrToStack {
                        let at = reg.off as i64 + reg.var.var_off.value as i64;
                        if reg.var.var_off.is_const() && size > 0 && at % size != 0 {
                            return err(
                                Errno::Acces,
                                format!(
                                    "misaligned stack access off {}+{}+0 size {size}",
                                    reg.var.var_off.value as i64, reg.off
                                ),
                            );
                        }
                    }
                }
            }
            ArgBase::ConstSize | ArgBase::ConstSizeOrZero => {
                let prev_write = arg > 0 && fp.args[arg - 1].ty.has(TypeFlags::MEM_WRITE);
                let zero_ok = arg_type.base == ArgBase::ConstSizeOrZero;
                self.check_mem_size_reg(st, &reg, regno, prev_write, zero_ok, meta)?;
            }
            ArgBase::ConstAllocSizeOrZero => {
                if !reg.var.var_off.is_const() {
                    return err(Errno::Acces, format!("R{regno} is not a known constant'"));
                }
                meta.mem_size = reg.var.var_off.value;
            }
            ArgBase::PtrToFunc => meta.callback = Some(reg.aux as usize),
            ArgBase::PtrToConstStr => self.check_reg_const_str(&reg, regno)?,
            ArgBase::PtrToSpinLock if reg.ty == RegType::PtrToMapValue => {
                self.check_spin_lock_field(&reg, regno)?;
                process_spin_lock(st, &reg, fp.id == HelperId::SpinLock)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// `may_access_direct_pkt_data` for a helper argument.
    fn may_access_direct_pkt_data(&self, fp: &HelperProto) -> bool {
        use crate::progtype::ProgType as P;
        match self.env.prog_type {
            P::LwtIn | P::LwtOut | P::LwtSeg6local | P::SkReuseport | P::FlowDissector => false,
            P::SchedCls
            | P::SchedAct
            | P::Xdp
            | P::LwtXmit
            | P::SkSkb
            | P::SkMsg
            | P::CgroupSkb
            | P::Netfilter => fp.pkt_access,
            _ => false,
        }
    }

    /// `check_mem_reg` for a global function's memory argument: `size` bytes behind
    /// `regno`, readable and writable.
    pub(super) fn helper_mem_arg(
        &mut self,
        st: &mut VerifierState,
        regno: usize,
        size: i64,
    ) -> Res<()> {
        self.check_helper_mem_access(st, regno, size, false, true, None)?;
        self.check_helper_mem_access(st, regno, size, true, true, None)
    }

    /// `check_mem_size_reg`: the size in `regno` for the memory in `regno - 1`.
    fn check_mem_size_reg(
        &mut self,
        st: &mut VerifierState,
        reg: &RegState,
        regno: usize,
        write: bool,
        zero_ok: bool,
        meta: &mut Meta,
    ) -> Res<()> {
        meta.msize_max = reg.var.umax_value;
        let raw_ok = reg.var.var_off.is_const();
        if reg.var.smin_value < 0 {
            return err(
                Errno::Acces,
                format!("R{regno} min value is negative, either use unsigned or 'var &= const'"),
            );
        }
        if reg.var.umin_value == 0 && !zero_ok {
            return err(
                Errno::Acces,
                format!(
                    "R{regno} invalid zero-sized read: u64=[{},{}]",
                    reg.var.umin_value as i64, reg.var.umax_value as i64
                ),
            );
        }
        if reg.var.umax_value >= BPF_MAX_VAR_SIZ {
            return err(
                Errno::Acces,
                format!(
                    "R{regno} unbounded memory access, use 'var &= const' or 'if (var < const)'"
                ),
            );
        }
        let ptr = regno - 1;
        if untracked(&st.cur().regs[ptr]) {
            return Ok(());
        }
        let size = reg.var.umax_value as i64;
        if raw_ok {
            self.check_helper_mem_access(st, ptr, size, write, zero_ok, Some(meta))
        } else {
            meta.raw_mode = false;
            self.check_helper_mem_access(st, ptr, size, write, zero_ok, None)
        }
    }

    /// `check_helper_mem_access`: `size` bytes behind `regno`, read or written by a helper.
    fn check_helper_mem_access(
        &mut self,
        st: &mut VerifierState,
        regno: usize,
        size: i64,
        write: bool,
        zero_ok: bool,
        meta: Option<&mut Meta>,
    ) -> Res<()> {
        let reg = st.cur().regs[regno];
        match reg.ty {
            RegType::PtrToPacket | RegType::PtrToPacketMeta => {
                if reg.var.smin_value < 0 {
                    return err(
                        Errno::Acces,
                        format!(
                            "R{regno} min value is negative, either use unsigned index or do a if (index >=0) check."
                        ),
                    );
                }
                if !mem_access_ok(reg.off as i64, size, reg.range as i64, zero_ok) {
                    return err(
                        Errno::Acces,
                        format!("R{regno} offset is outside of the packet"),
                    );
                }
                Ok(())
            }
            RegType::PtrToMapKey => {
                if write {
                    return err(
                        Errno::Acces,
                        format!("R{regno} cannot write into {}", reg.type_str()),
                    );
                }
                let key_size = self.maps.get(reg.map).map_or(u32::MAX, |m| m.key_size);
                check_mem_region_access(&reg, regno, reg.off, size, key_size as u64, false)
            }
            RegType::PtrToMapValue => {
                let Some(map) = self.maps.get(reg.map).copied() else {
                    return Ok(());
                };
                // check_map_access_type with the helper's access type: BPF_F_RDONLY_PROG
                // maps refuse writes, BPF_F_WRONLY_PROG maps reads.
                super::mem::check_map_access_type(map, reg.off, size as i32, write)?;
                check_mem_region_access(
                    &reg,
                    regno,
                    reg.off,
                    size,
                    map.value_size as u64,
                    zero_ok,
                )?;
                self.check_map_fields(&reg, reg.off, size, false)
            }
            RegType::PtrToMem => {
                if reg.mem_rdonly && write {
                    return err(
                        Errno::Acces,
                        format!("R{regno} cannot write into {}", reg.type_str()),
                    );
                }
                check_mem_region_access(&reg, regno, reg.off, size, reg.mem_size as u64, zero_ok)
            }
            RegType::PtrToStack => {
                self.check_stack_range_initialized(st, regno, size, zero_ok, write, meta)
            }
            RegType::Other => Ok(()),
            RegType::Scalar if reg.untracked => Ok(()),
            _ => {
                if zero_ok && size == 0 && is_null(&reg) {
                    return Ok(());
                }
                err(
                    Errno::Acces,
                    format!("R{regno} type={} expected=fp", reg.type_str()),
                )
            }
        }
    }

    /// `check_stack_range_initialized` for a helper's access (Linux 6.14 and later: the
    /// access type says whether the bytes are read or written).
    fn check_stack_range_initialized(
        &mut self,
        st: &mut VerifierState,
        regno: usize,
        size: i64,
        zero_ok: bool,
        write: bool,
        meta: Option<&mut Meta>,
    ) -> Res<()> {
        let reg = st.cur().regs[regno];
        if size == 0 && !zero_ok {
            return err(Errno::Acces, "invalid zero-sized read".into());
        }
        let off = reg.off as i64;
        let konst = reg.var.var_off.is_const();
        let size32 = i32::try_from(size).unwrap_or(i32::MAX);
        let min_off =
            super::mem::check_stack_access_within_bounds(&reg, regno, reg.off, size32, write)?;
        // grow_stack_state, as for any stack access.
        if let Some(f) = st.frame.get(reg.frameno as usize) {
            self.grow_stack(f.subprogno, -min_off);
        }
        let (lo, hi) = if konst {
            (min_off, min_off + size)
        } else {
            (min_off, reg.var.smax_value + off + size)
        };
        if let Some(meta) = meta
            && meta.raw_mode
            && konst
        {
            meta.access = Some((regno, size));
            return Ok(());
        }
        let allow_uninit = self.env.bpf_capable;
        let Some(frame) = st.frame.get_mut(reg.frameno as usize) else {
            return Ok(());
        };
        for i in lo..hi {
            let o = i as i32;
            let spi = ((-o - 1) / BPF_REG_SIZE as i32) as usize;
            let byte = o.rem_euclid(BPF_REG_SIZE as i32) as usize;
            let slot = frame.slot_mut(o);
            match slot.slot_type[byte] {
                SlotType::Misc => {}
                SlotType::Zero | SlotType::Invalid
                    if slot.slot_type[byte] == SlotType::Zero || allow_uninit =>
                {
                    if write {
                        slot.slot_type[byte] = SlotType::Misc;
                    }
                }
                SlotType::Spill
                    if slot.spilled.is_some_and(|r| r.is_scalar()) || self.env.bpf_capable =>
                {
                    if write {
                        slot.spilled = None;
                        for t in &mut slot.slot_type {
                            if *t == SlotType::Spill {
                                *t = SlotType::Misc;
                            }
                        }
                    }
                }
                _ => {
                    let _ = spi;
                    return err(
                        Errno::Acces,
                        format!(
                            "invalid read from stack R{regno} off {min_off}+{} size {size}",
                            i - min_off
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// `check_reg_const_str`: a NUL-terminated string in a read-only map.
    fn check_reg_const_str(&self, reg: &RegState, regno: usize) -> Res<()> {
        let Some(map) = self.maps.get(reg.map).copied() else {
            return Ok(());
        };
        if !map.read_only {
            return err(
                Errno::Acces,
                format!("R{regno} does not point to a readonly map'"),
            );
        }
        if !reg.var.var_off.is_const() {
            return err(Errno::Acces, format!("R{regno} is not a constant address'"));
        }
        let size = map.value_size as i64 - reg.off as i64;
        check_mem_region_access(reg, regno, reg.off, size, map.value_size as u64, false)?;
        let start = (reg.off as i64 + reg.var.var_off.value as i64).max(0) as usize;
        if !map.initial.is_empty() && !map.initial.get(start..).is_some_and(|s| s.contains(&0)) {
            return err(Errno::Inval, "string is not zero-terminated".into());
        }
        Ok(())
    }

    /// `check_bpf_snprintf_call`: the format's conversions take the data's 8-byte
    /// arguments, one each (`bpf_bprintf_prepare`, as far as counting them).
    fn check_bpf_snprintf_call(&self, st: &VerifierState) -> Res<()> {
        let regs = &st.cur().regs;
        let (fmt, len) = (regs[3], regs[5]);
        let Some(map) = self.maps.get(fmt.map).copied() else {
            return Ok(());
        };
        if fmt.ty != RegType::PtrToMapValue || map.initial.is_empty() || !len.var.var_off.is_const()
        {
            return Ok(());
        }
        let start = (fmt.off as i64 + fmt.var.var_off.value as i64).max(0) as usize;
        let Some(bytes) = map.initial.get(start..) else {
            return Ok(());
        };
        let text = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
        let mut specs = 0u64;
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'%' {
                if text.get(i + 1) == Some(&b'%') {
                    i += 2;
                    continue;
                }
                specs += 1;
            }
            i += 1;
        }
        if specs != len.var.var_off.value / 8 {
            return err(Errno::Inval, "Invalid format string".into());
        }
        Ok(())
    }

    /// R0 after the call, from the prototype's return type (with the reference an acquiring
    /// helper hands out).
    fn return_value(
        &mut self,
        st: &mut VerifierState,
        idx: usize,
        fp: &HelperProto,
        meta: &Meta,
    ) -> Res<RegState> {
        let ret = fp.ret;
        let maybe_null = ret.may_be_null();
        let mut r0 = match ret.base {
            RetBase::Integer => {
                let mut r = RegState::unknown();
                self.refine_retval_range(&mut r, fp.id, meta);
                r
            }
            RetBase::Void => RegState::not_init(),
            RetBase::PtrToMapValue => match meta.map.and_then(|m| self.maps.get(m).map(|d| (m, d)))
            {
                Some((m, def)) => {
                    let elide = fp.id == HelperId::MapLookupElem
                        && can_elide_value_nullness(def.map_type)
                        && meta
                            .const_map_key
                            .is_some_and(|k| k < def.max_entries as u64);
                    let mut r = RegState {
                        map: m,
                        maybe_null: maybe_null && !elide,
                        ..RegState::pointer(RegType::PtrToMapValue)
                    };
                    if matches!(def.map_type, MapType::SockMap | MapType::SockHash) {
                        r.aux = AUX_SOCKET;
                    } else if def.map_type == MapType::XskMap {
                        r.aux = INNER_MAP_UNKNOWN;
                    } else if matches!(def.map_type, MapType::ArrayOfMaps | MapType::HashOfMaps) {
                        r.aux = self
                            .inner_of
                            .get(m)
                            .copied()
                            .flatten()
                            .map_or(INNER_MAP_UNKNOWN, |i| i as u32 + 1);
                    }
                    r
                }
                None => RegState {
                    maybe_null,
                    ..RegState::pointer(RegType::Other)
                },
            },
            RetBase::PtrToSocket => RegState {
                maybe_null,
                ..RegState::pointer(RegType::PtrToSocket)
            },
            RetBase::PtrToSockCommon => RegState {
                maybe_null,
                ..RegState::pointer(RegType::PtrToSockCommon)
            },
            RetBase::PtrToTcpSock => RegState {
                maybe_null,
                ..RegState::pointer(RegType::PtrToTcpSock)
            },
            RetBase::PtrToMem => RegState {
                maybe_null,
                mem_size: meta.mem_size.min(u32::MAX as u64) as u32,
                mem_ringbuf: ret.has(TypeFlags::MEM_RINGBUF),
                mem_rdonly: ret.has(TypeFlags::MEM_RDONLY),
                ..RegState::pointer(RegType::PtrToMem)
            },
            RetBase::PtrToMemOrBtfId | RetBase::PtrToBtfId => RegState {
                maybe_null,
                ..RegState::pointer(RegType::Other)
            },
        };
        if r0.maybe_null || r0.ty == RegType::PtrToMapValue {
            // A map value's id also names the spin lock taken through it.
            self.id_gen += 1;
            r0.id = self.id_gen;
        }
        let map_type = meta.map.and_then(|m| self.maps.get(m)).map(|d| d.map_type);
        if proto::is_ptr_cast_function(fp.func_id()) {
            r0.ref_obj_id = meta.ref_obj_id;
        } else if proto::is_acquire_function(fp.func_id(), map_type) && r0.is_pointer() {
            let id = self.acquire_reference(st, idx);
            r0.id = id;
            r0.ref_obj_id = id;
        }
        Ok(r0)
    }

    /// `do_refine_retval_range`: helpers whose result is bounded by their size argument.
    fn refine_retval_range(&self, r: &mut RegState, id: HelperId, meta: &Meta) {
        if matches!(
            id,
            HelperId::GetStack
                | HelperId::GetTaskStack
                | HelperId::ProbeReadStr
                | HelperId::ProbeReadKernelStr
                | HelperId::ProbeReadUserStr
        ) {
            let max = meta.msize_max.min(i64::MAX as u64) as i64;
            r.var.smax_value = max;
            r.var.s32_max_value = max.min(i32::MAX as i64) as i32;
            r.var.smin_value = -MAX_ERRNO;
            r.var.s32_min_value = -MAX_ERRNO as i32;
            r.var.reg_bounds_sync();
        }
    }

    /// `check_map_func_compatibility`: the map fits the helper, both ways.
    fn check_map_func_compatibility(&self, map: Option<usize>, id: HelperId) -> Res<()> {
        let Some(def) = map.and_then(|m| self.maps.get(m)) else {
            return Ok(());
        };
        let t = def.map_type;
        if !map_allows(t, id, self.env) || !func_allows(t, id) {
            return err(
                Errno::Inval,
                format!(
                    "cannot pass map_type {} into func {}#{}",
                    t.as_u32(),
                    id.kernel_name(),
                    id as u32
                ),
            );
        }
        Ok(())
    }
}

/// The map side of `check_map_func_compatibility`.
fn map_allows(t: MapType, id: HelperId, env: &CheckEnv<'_>) -> bool {
    use HelperId as H;
    match t {
        MapType::ProgArray => id == H::TailCall,
        MapType::PerfEventArray => matches!(
            id,
            H::PerfEventRead
                | H::PerfEventOutput
                | H::SkbOutput
                | H::PerfEventReadValue
                | H::XdpOutput
        ),
        MapType::RingBuf => matches!(
            id,
            H::RingbufOutput
                | H::RingbufReserve
                | H::RingbufQuery
                | H::RingbufReserveDynptr
                | H::RingbufSubmitDynptr
                | H::RingbufDiscardDynptr
        ),
        MapType::UserRingBuf => id == H::UserRingbufDrain,
        MapType::StackTrace => id == H::GetStackid,
        MapType::CgroupArray => matches!(id, H::SkbUnderCgroup | H::CurrentTaskUnderCgroup),
        MapType::CgroupStorage | MapType::PercpuCgroupStorage => id == H::GetLocalStorage,
        MapType::DevMap | MapType::DevMapHash => {
            matches!(id, H::RedirectMap | H::MapLookupElem)
        }
        MapType::CpuMap => id == H::RedirectMap,
        MapType::XskMap => matches!(id, H::RedirectMap | H::MapLookupElem),
        MapType::ArrayOfMaps | MapType::HashOfMaps => id == H::MapLookupElem,
        MapType::SockMap => {
            matches!(
                id,
                H::SkRedirectMap
                    | H::SockMapUpdate
                    | H::MsgRedirectMap
                    | H::SkSelectReuseport
                    | H::MapLookupElem
            ) || may_update_sockmap(id, env)
        }
        MapType::SockHash => {
            matches!(
                id,
                H::SkRedirectHash
                    | H::SockHashUpdate
                    | H::MsgRedirectHash
                    | H::SkSelectReuseport
                    | H::MapLookupElem
            ) || may_update_sockmap(id, env)
        }
        MapType::ReuseportSockarray => id == H::SkSelectReuseport,
        MapType::Queue | MapType::Stack => {
            matches!(id, H::MapPeekElem | H::MapPopElem | H::MapPushElem)
        }
        MapType::SkStorage => matches!(id, H::SkStorageGet | H::SkStorageDelete | H::KptrXchg),
        MapType::InodeStorage => {
            matches!(id, H::InodeStorageGet | H::InodeStorageDelete | H::KptrXchg)
        }
        MapType::TaskStorage => {
            matches!(id, H::TaskStorageGet | H::TaskStorageDelete | H::KptrXchg)
        }
        MapType::CgrpStorage => {
            matches!(id, H::CgrpStorageGet | H::CgrpStorageDelete | H::KptrXchg)
        }
        MapType::BloomFilter => matches!(id, H::MapPeekElem | H::MapPushElem),
        _ => true,
    }
}

/// `may_update_sockmap`.
fn may_update_sockmap(id: HelperId, env: &CheckEnv<'_>) -> bool {
    use crate::progtype::ProgType as P;
    if !matches!(id, HelperId::MapUpdateElem | HelperId::MapDeleteElem) {
        return false;
    }
    match env.prog_type {
        P::Tracing => {
            env.expected_attach_type == Some(crate::progtype::section::attach::TRACE_ITER)
        }
        P::SockOps => id == HelperId::MapDeleteElem,
        P::SocketFilter
        | P::SchedCls
        | P::SchedAct
        | P::Xdp
        | P::SkReuseport
        | P::FlowDissector
        | P::SkLookup => true,
        _ => false,
    }
}

/// The helper side of `check_map_func_compatibility`.
fn func_allows(t: MapType, id: HelperId) -> bool {
    use HelperId as H;
    use MapType as M;
    match id {
        H::TailCall => t == M::ProgArray,
        H::PerfEventRead
        | H::PerfEventOutput
        | H::PerfEventReadValue
        | H::SkbOutput
        | H::XdpOutput => t == M::PerfEventArray,
        H::RingbufOutput
        | H::RingbufReserve
        | H::RingbufQuery
        | H::RingbufReserveDynptr
        | H::RingbufSubmitDynptr
        | H::RingbufDiscardDynptr => t == M::RingBuf,
        H::UserRingbufDrain => t == M::UserRingBuf,
        H::GetStackid => t == M::StackTrace,
        H::CurrentTaskUnderCgroup | H::SkbUnderCgroup => t == M::CgroupArray,
        H::RedirectMap => matches!(t, M::DevMap | M::DevMapHash | M::CpuMap | M::XskMap),
        H::SkRedirectMap | H::MsgRedirectMap | H::SockMapUpdate => t == M::SockMap,
        H::SkRedirectHash | H::MsgRedirectHash | H::SockHashUpdate => t == M::SockHash,
        H::GetLocalStorage => matches!(t, M::CgroupStorage | M::PercpuCgroupStorage),
        H::SkSelectReuseport => matches!(t, M::ReuseportSockarray | M::SockMap | M::SockHash),
        H::MapPopElem => matches!(t, M::Queue | M::Stack),
        H::MapPeekElem | H::MapPushElem => matches!(t, M::Queue | M::Stack | M::BloomFilter),
        H::MapLookupPercpuElem => {
            matches!(t, M::PercpuArray | M::PercpuHash | M::LruPercpuHash)
        }
        H::SkStorageGet | H::SkStorageDelete => t == M::SkStorage,
        H::InodeStorageGet | H::InodeStorageDelete => t == M::InodeStorage,
        H::TaskStorageGet | H::TaskStorageDelete => t == M::TaskStorage,
        H::CgrpStorageGet | H::CgrpStorageDelete => t == M::CgrpStorage,
        _ => true,
    }
}

/// `get_constant_map_key`: the key behind a stack pointer when its bytes are known zeros
/// (or a spilled constant of the key's size), else `None`.
fn constant_map_key(st: &VerifierState, key: &RegState, key_size: u32) -> Option<u64> {
    if key.ty != RegType::PtrToStack || !key.var.var_off.is_const() {
        return None;
    }
    let frame = st.frame.get(key.frameno as usize)?;
    let at = key.off as i64 + key.var.var_off.value as i64;
    if at >= 0 || at < -(MAX_BPF_STACK as i64) {
        return None;
    }
    let at = at as i32;
    let spi = ((-at - 1) / BPF_REG_SIZE as i32) as usize;
    let slot = frame.stack.get(spi)?;
    // Bytes from the key's first one up to the end of its slot.
    let first = at.rem_euclid(BPF_REG_SIZE as i32) as usize;
    let zeros = slot.slot_type[first..]
        .iter()
        .take_while(|t| **t == SlotType::Zero)
        .count();
    if zeros >= key_size as usize {
        return Some(0);
    }
    let spilled = slot.spilled.filter(|r| r.is_scalar())?;
    let spill = slot.slot_type[first..]
        .iter()
        .take_while(|t| **t == SlotType::Spill)
        .count();
    if spill != key_size as usize || !spilled.var.var_off.is_const() {
        return None;
    }
    Some(spilled.var.var_off.value)
}

/// `clear_all_pkt_pointers`: after a helper that may move packet data.
pub(super) fn clear_all_pkt_pointers(st: &mut VerifierState) {
    for_each_reg(st, |r| {
        if matches!(
            r.ty,
            RegType::PtrToPacket | RegType::PtrToPacketMeta | RegType::PtrToPacketEnd
        ) {
            *r = RegState::unknown();
        }
    });
}

/// `bpf_sock_is_valid_access`, `bpf_sock_common_is_valid_access` and
/// `bpf_tcp_sock_is_valid_access`: the fields of `struct bpf_sock` (80 bytes) and
/// `struct bpf_tcp_sock` (112) a program may read, and how narrowly.
pub(super) fn sock_access_ok(ty: RegType, off: i32, size: i32) -> bool {
    if size <= 0 || off < 0 || off % size != 0 {
        return false;
    }
    let narrow = |field: i32| size <= field && (size & (size - 1)) == 0;
    match ty {
        RegType::PtrToTcpSock => {
            if off >= 112 {
                return false;
            }
            match off {
                80 | 88 => size == 8,
                _ => size == 4,
            }
        }
        RegType::PtrToSockCommon if (8..24).contains(&off) => false,
        RegType::PtrToSocket | RegType::PtrToSockCommon => {
            if off >= 80 {
                return false;
            }
            match off {
                // state, family, type, protocol, src_port, rx_queue_mapping
                72 | 4 | 8 | 12 | 44 | 76 => narrow(4),
                // src_ip4, src_ip6, dst_ip4, dst_ip6
                24..=43 | 52..=71 => narrow(4),
                // dst_port: a 4-byte read, or 2 bytes and less
                48 | 49 => narrow(if size == 4 { 4 } else { 2 }),
                50 | 51 => false,
                _ => size == 4,
            }
        }
        _ => true,
    }
}

impl Walker<'_> {
    /// The first checks of `process_spin_lock`: a constant offset, to the map value's
    /// `bpf_spin_lock` (where the map's BTF records one; unchecked when the records were not
    /// given).
    fn check_spin_lock_field(&self, reg: &RegState, regno: usize) -> Res<()> {
        if !reg.var.var_off.is_const() {
            return err(
                Errno::Inval,
                format!(
                    "R{regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset"
                ),
            );
        }
        let Some(record) = self.pre.map_fields.get(reg.map) else {
            return Ok(());
        };
        let name: String = self
            .maps
            .get(reg.map)
            .map(|m| m.name.chars().take(15).collect())
            .unwrap_or_default();
        let Some(fields) = record else {
            return err(
                Errno::Inval,
                format!("map '{name}' has to have BTF in order to use bpf_spin_lock"),
            );
        };
        let Some(lock) = fields.iter().find(|f| f.kind == FieldKind::SpinLock) else {
            return err(
                Errno::Inval,
                format!("map '{name}' has no valid bpf_spin_lock"),
            );
        };
        let at = reg.var.var_off.value.wrapping_add(reg.off as i64 as u64) as i64;
        if lock.offset as i64 != at {
            return err(
                Errno::Inval,
                format!(
                    "off {at} doesn't point to 'struct bpf_spin_lock' that is at {}",
                    lock.offset
                ),
            );
        }
        Ok(())
    }
}

/// `process_spin_lock`: take the lock in a map value, or release the one held through the
/// same map value.
fn process_spin_lock(st: &mut VerifierState, reg: &RegState, lock: bool) -> Res<()> {
    if lock {
        if st.active_lock.is_some() {
            return err(
                Errno::Inval,
                "Locking two bpf_spin_locks are not allowed".into(),
            );
        }
        st.active_lock = Some((reg.map, reg.id));
        return Ok(());
    }
    match st.active_lock {
        None => err(Errno::Inval, "bpf_spin_unlock without taking a lock".into()),
        Some((map, id)) if map != reg.map || id != reg.id => {
            err(Errno::Inval, "bpf_spin_unlock of different lock".into())
        }
        Some(_) => {
            st.active_lock = None;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::ScalarBounds;

    #[test]
    fn socket_fields_follow_the_uapi_layouts() {
        // bpf_sock: family (4), narrow dst_port (48), not past it (50), not past the end.
        assert!(sock_access_ok(RegType::PtrToSocket, 4, 4));
        assert!(sock_access_ok(RegType::PtrToSocket, 48, 2));
        assert!(sock_access_ok(RegType::PtrToSocket, 48, 4));
        assert!(!sock_access_ok(RegType::PtrToSocket, 50, 2));
        assert!(!sock_access_ok(RegType::PtrToSocket, 80, 4));
        assert!(!sock_access_ok(RegType::PtrToSocket, 0, 8));
        // sock_common stops at type..priority.
        assert!(sock_access_ok(RegType::PtrToSockCommon, 4, 4));
        assert!(!sock_access_ok(RegType::PtrToSockCommon, 8, 4));
        // bpf_tcp_sock: 8-byte counters at 80 and 88, 112 bytes in all.
        assert!(sock_access_ok(RegType::PtrToTcpSock, 80, 8));
        assert!(!sock_access_ok(RegType::PtrToTcpSock, 80, 4));
        assert!(!sock_access_ok(RegType::PtrToTcpSock, 112, 4));
    }

    #[test]
    fn memory_regions_report_min_then_max() {
        let mut r = RegState::pointer(RegType::PtrToMem);
        r.mem_size = 8;
        assert!(check_mem_region_access(&r, 1, 0, 8, 8, false).is_ok());
        let e = check_mem_region_access(&r, 1, 4, 8, 8, false).unwrap_err();
        assert_eq!(e.1, "R1 min value is outside of the allowed memory range");
        r.var = ScalarBounds::unknown();
        r.var.smin_value = 0;
        r.var.umax_value = 4;
        r.var.smax_value = 4;
        let e = check_mem_region_access(&r, 1, 0, 8, 8, false).unwrap_err();
        assert_eq!(e.1, "R1 max value is outside of the allowed memory range");
    }

    #[test]
    fn constant_keys_come_from_zeroed_or_spilled_stack() {
        let mut st = VerifierState::initial();
        let key = RegState {
            off: -4,
            ..RegState::pointer(RegType::PtrToStack)
        };
        assert_eq!(constant_map_key(&st, &key, 4), None);
        for o in -4i32..0 {
            let byte = o.rem_euclid(8) as usize;
            st.cur_mut().slot_mut(o).slot_type[byte] = SlotType::Zero;
        }
        assert_eq!(constant_map_key(&st, &key, 4), Some(0));
        // A key that straddles two slots is not constant.
        let straddling = RegState { off: -10, ..key };
        assert_eq!(constant_map_key(&st, &straddling, 4), None);
    }

    #[test]
    fn compatibility_is_checked_both_ways() {
        assert!(!func_allows(MapType::Array, HelperId::TailCall));
        assert!(func_allows(MapType::ProgArray, HelperId::TailCall));
        assert!(!func_allows(MapType::Hash, HelperId::RingbufOutput));
        assert!(func_allows(MapType::Hash, HelperId::MapLookupElem));
    }
}
