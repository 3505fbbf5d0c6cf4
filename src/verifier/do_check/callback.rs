//! Callbacks (`push_callback_call` and the `set_*_callback_state` functions): a helper
//! that calls a static function of the program (`bpf_loop`, `bpf_for_each_map_elem`,
//! `bpf_find_vma`, `bpf_user_ringbuf_drain`, `bpf_timer_set_callback`) gets it verified in
//! a new frame whose R1–R5 are what the helper passes.
//!
//! The callback runs once on the path that [`Walker::callback_state`] queues, and returns
//! to the instruction after the helper call with R0 the helper's unknown result; the path
//! that goes on directly after the call is the one where it never runs. (The kernel goes
//! round the callback until the states converge; one iteration is modelled here.) At the
//! callback's exit R0 must be a scalar in the helper's range (`At callback return the
//! register R0 has ...`); a timer callback is asynchronous and its path ends there.

use super::helper_call::Meta;
use super::*;
use crate::helpers::proto::HelperId;
use crate::verifier::state::FuncState;

impl Walker<'_> {
    /// The state in which helper `id`'s callback, starting at slot `start`, begins.
    pub(super) fn callback_state(
        &mut self,
        idx: usize,
        st: &VerifierState,
        id: HelperId,
        start: usize,
        meta: &Meta,
    ) -> Res<(usize, VerifierState)> {
        if st.frame.len() >= MAX_CALL_FRAMES {
            return Err((
                Errno::TooBig,
                format!(
                    "the call stack of {} frames is too deep !",
                    st.frame.len() + 1
                ),
            ));
        }
        let subprogno = self.pre.subprogs.starting_at(start).unwrap_or(0);
        let mut cb = st.clone();
        let caller = st.cur().regs;
        let frameno = cb.frame.len() as u8;
        let mut f = FuncState::new(frameno, idx + 1, subprogno);
        let map_regs = |map: Option<usize>| -> [RegState; 3] {
            match map {
                Some(m) => [
                    RegState {
                        map: m,
                        ..RegState::pointer(RegType::ConstPtrToMap)
                    },
                    RegState {
                        map: m,
                        ..RegState::pointer(RegType::PtrToMapKey)
                    },
                    RegState {
                        map: m,
                        ..RegState::pointer(RegType::PtrToMapValue)
                    },
                ],
                None => [RegState::pointer(RegType::Other); 3],
            }
        };
        match id {
            HelperId::Loop => {
                f.regs[1] = RegState::unknown();
                f.regs[2] = caller[3];
                f.callback_ret = Some((0, 1));
            }
            HelperId::ForEachMapElem => {
                let [m, k, v] = map_regs(meta.map);
                f.regs[1] = m;
                f.regs[2] = k;
                f.regs[3] = v;
                f.regs[4] = caller[3];
                f.callback_ret = Some((0, 1));
            }
            HelperId::TimerSetCallback => {
                let timer = caller[1];
                let map = (timer.ty == RegType::PtrToMapValue).then_some(timer.map);
                let [m, k, v] = map_regs(map);
                f.regs[1] = m;
                f.regs[2] = k;
                f.regs[3] = v;
                f.callback_ret = Some((0, 0));
                f.async_callback = true;
            }
            HelperId::FindVma => {
                f.regs[1] = caller[1];
                f.regs[2] = RegState::pointer(RegType::Other);
                f.regs[3] = caller[4];
                f.callback_ret = Some((0, 1));
            }
            _ => {
                // bpf_user_ringbuf_drain: a dynptr and the context.
                f.regs[1] = RegState::pointer(RegType::Other);
                f.regs[2] = caller[3];
                f.callback_ret = Some((0, 1));
            }
        }
        cb.frame.push(f);
        cb.path.push((idx, true));
        Ok((start, cb))
    }

    /// The exit of a callback frame: R0 in range, then back to the caller (or, for an
    /// asynchronous callback, the end of the path).
    pub(super) fn callback_exit(
        &mut self,
        st: &mut VerifierState,
        (lo, hi): (i64, i64),
    ) -> Res<Next> {
        let callee = st.cur();
        let r0 = callee.regs[0];
        let is_async = callee.async_callback;
        if !r0.is_scalar() {
            return Err((Errno::Acces, "R0 not a scalar value".into()));
        }
        if r0.var.smin_value < lo || r0.var.smax_value > hi {
            let ctx = if is_async {
                "At async callback return"
            } else {
                "At callback return"
            };
            return Err((Errno::Inval, call::retval_message(ctx, &r0, lo, hi)));
        }
        if is_async {
            return Ok(Next::PathDone);
        }
        let callee = st.frame.pop().expect("a callback frame");
        clobber_caller_saved(st);
        st.cur_mut().regs[0] = RegState::unknown();
        Ok(Next::Goto(callee.callsite))
    }
}
