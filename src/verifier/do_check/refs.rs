//! Reference tracking (`acquire_reference_state`, `release_reference`,
//! `check_reference_leak`): sockets from the lookup helpers and ring buffer records must be
//! released on every path before the program exits or tail-calls.
//!
//! A reference lives in [`VerifierState::refs`]; the pointers that hold it carry its id as
//! [`RegState::ref_obj_id`]. Releasing it turns every such pointer into an unknown scalar
//! (`mark_reg_invalid` for a privileged loader); the NULL branch of a null check drops it
//! (`mark_ptr_or_null_regs`, in `jmp`). `bpf_spin_lock` is a resource too
//! ([`VerifierState::active_lock`], `process_spin_lock`): one at a time, released by the
//! same map value, and not held where the program may end or call a function.

use super::*;
use crate::verifier::state::RefState;

impl Walker<'_> {
    /// `acquire_reference_state`: a new reference acquired at instruction `idx`.
    pub(super) fn acquire_reference(&mut self, st: &mut VerifierState, idx: usize) -> u32 {
        self.id_gen += 1;
        let id = self.id_gen;
        st.refs.push(RefState { id, insn_idx: idx });
        id
    }

    /// `release_reference`: false when `ref_obj_id` is not held.
    pub(super) fn release_reference(&mut self, st: &mut VerifierState, ref_obj_id: u32) -> bool {
        let Some(pos) = st.refs.iter().position(|r| r.id == ref_obj_id) else {
            return false;
        };
        st.refs.remove(pos);
        for_each_reg(st, |r| {
            if r.ref_obj_id == ref_obj_id {
                *r = RegState::unknown();
            }
        });
        true
    }
}

/// `check_resource_leak` where the program may end (its exit, `LD_ABS`): no lock held,
/// every reference released.
pub(super) fn check_resource_leak(st: &VerifierState, prefix: &str) -> Res<()> {
    if st.active_lock.is_some() {
        return Err((
            Errno::Inval,
            format!("{prefix} cannot be used inside bpf_spin_lock-ed region"),
        ));
    }
    if st.refs.is_empty() {
        return Ok(());
    }
    Err((
        Errno::Inval,
        format!("{prefix} would lead to reference leak"),
    ))
}
