//! Helper calls as `do_check` sees them (`check_helper_call`): what a helper requires of
//! R1–R5 and what it leaves in R0.
//!
//! The verifier asks a [`HelperModel`]; [`MapHelpers`] is the first one. It knows the map
//! helpers `bpf_map_lookup_elem`, `bpf_map_update_elem` and `bpf_map_delete_elem` (a map
//! pointer in R1, a key of `key_size` bytes behind R2, a value of `value_size` behind R3)
//! and treats every other helper as taking anything and returning an unknown scalar. The
//! helper prototypes (`src/helpers/proto.rs`) are meant to replace it with a model built
//! from the kernel's `bpf_func_proto` table.

use super::state::{RegState, RegType, VerifierState};
use crate::maps::{MapDef, MapType};

/// `BPF_FUNC_map_lookup_elem`.
pub const BPF_FUNC_MAP_LOOKUP_ELEM: i32 = 1;
/// `BPF_FUNC_map_update_elem`.
pub const BPF_FUNC_MAP_UPDATE_ELEM: i32 = 2;
/// `BPF_FUNC_map_delete_elem`.
pub const BPF_FUNC_MAP_DELETE_ELEM: i32 = 3;

/// What a helper-call check may look at.
pub struct HelperCallCx<'a> {
    /// The state before the call (R1–R5 hold the arguments).
    pub state: &'a VerifierState,
    /// The program's maps, as `RegState::map` indexes them.
    pub maps: &'a [&'a MapDef],
    /// The loader may read uninitialised stack (`env->allow_uninit_stack`, root).
    pub allow_uninit_stack: bool,
}

/// A helper's effect on the verifier state: the R0 it returns. (R1–R5 are clobbered by
/// the caller, as `check_helper_call` does.)
pub trait HelperModel {
    /// Checks the arguments of helper `func_id`; `Err` is the kernel's log line. A
    /// `maybe_null` R0 gets a fresh id from the caller.
    fn check_helper_call(&self, cx: &HelperCallCx<'_>, func_id: i32) -> Result<RegState, String>;
}

/// The first model: the three map element helpers, the rest unknown.
#[derive(Clone, Copy, Debug, Default)]
pub struct MapHelpers;

impl HelperModel for MapHelpers {
    fn check_helper_call(&self, cx: &HelperCallCx<'_>, func_id: i32) -> Result<RegState, String> {
        let regs = &cx.state.cur().regs;
        let nargs = match func_id {
            BPF_FUNC_MAP_LOOKUP_ELEM | BPF_FUNC_MAP_DELETE_ELEM => 2,
            BPF_FUNC_MAP_UPDATE_ELEM => 4,
            _ => return Ok(RegState::unknown()),
        };
        for (i, r) in regs.iter().enumerate().take(nargs + 1).skip(1) {
            if r.ty == RegType::NotInit {
                return Err(format!("R{i} !read_ok"));
            }
        }
        let r1 = &regs[1];
        if matches!(r1.ty, RegType::Other | RegType::Scalar) {
            // A map this slice does not track (an inner map of a map-in-map).
            return Ok(lookup_result(func_id, RegState::pointer(RegType::Other)));
        }
        if r1.ty != RegType::ConstPtrToMap {
            return Err(format!("R1 type={} expected=map_ptr", r1.type_str()));
        }
        let Some(map) = cx.maps.get(r1.map) else {
            return Ok(RegState::unknown());
        };
        if map.inner.is_some() || matches!(map.map_type, MapType::ArrayOfMaps | MapType::HashOfMaps)
        {
            // A map of maps: the lookup gives an inner map, not tracked yet.
            return Ok(lookup_result(func_id, RegState::pointer(RegType::Other)));
        }
        check_mem_arg(cx, 2, map.key_size)?;
        if func_id == BPF_FUNC_MAP_UPDATE_ELEM {
            check_mem_arg(cx, 3, map.value_size)?;
        }
        Ok(match func_id {
            BPF_FUNC_MAP_LOOKUP_ELEM => RegState {
                maybe_null: true,
                map: r1.map,
                ..RegState::pointer(RegType::PtrToMapValue)
            },
            _ => RegState::unknown(),
        })
    }
}

fn lookup_result(func_id: i32, ptr: RegState) -> RegState {
    if func_id == BPF_FUNC_MAP_LOOKUP_ELEM {
        RegState {
            maybe_null: true,
            ..ptr
        }
    } else {
        RegState::unknown()
    }
}

/// `check_helper_mem_access` for a stack or map-value argument of `size` bytes in `regno`
/// (`ARG_PTR_TO_MAP_KEY`/`ARG_PTR_TO_MAP_VALUE`). Other pointer types are let through.
fn check_mem_arg(cx: &HelperCallCx<'_>, regno: usize, size: u32) -> Result<(), String> {
    let reg = &cx.state.cur().regs[regno];
    match reg.ty {
        RegType::PtrToStack if reg.var.var_off.is_const() => {
            let off = reg.off as i64 + reg.var.var_off.value as i64;
            if off < -512 || off + size as i64 > 0 {
                return Err(format!(
                    "invalid indirect access to stack R{regno} off={} size={size}",
                    reg.off
                ));
            }
            if !cx.allow_uninit_stack {
                let frame = &cx.state.frame[reg.frameno as usize];
                for i in 0..size as i64 {
                    if frame.byte_type((off + i) as i32) == super::state::SlotType::Invalid {
                        return Err(format!(
                            "invalid indirect read from stack R{regno} off {off}+{i} size {size}"
                        ));
                    }
                }
            }
            Ok(())
        }
        RegType::PtrToMapValue if reg.var.var_off.is_const() => {
            let value_size = cx.maps.get(reg.map).map_or(u32::MAX, |m| m.value_size);
            let off = reg.off as i64 + reg.var.var_off.value as i64;
            if off < 0 || off + size as i64 > value_size as i64 {
                return Err(format!(
                    "R{regno} min value is outside of the allowed memory range"
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
