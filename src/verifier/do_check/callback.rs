//! Callbacks (`push_callback_call` and the `set_*_callback_state` functions): a helper
//! that calls a static function of the program (`bpf_loop`, `bpf_for_each_map_elem`,
//! `bpf_find_vma`, `bpf_user_ringbuf_drain`, `bpf_timer_set_callback`) gets it verified in
//! a new frame whose R1–R5 are what the helper passes.
//!
//! As in the kernel, the helper call queues a path into the callback
//! ([`Walker::callback_state`]) and goes on after the call as if the callback had run its
//! last time; the callback's exit returns to the helper call, which runs it again. The
//! iterations stop where the state at the call is one already explored (pruning), at
//! `bpf_loop`'s count, or after [`CALLBACK_ITER_CAP`] iterations (a bound of bpfsim's:
//! without precision tracking, states that differ in counters never converge). At the
//! callback's exit R0 must be a scalar in the helper's range (`At callback return the
//! register R0 has ...`). A timer callback is asynchronous: it is verified in a state of
//! its own (one frame, no references), and its path ends at its exit.

use super::helper_call::Meta;
use super::*;
use crate::helpers::proto::HelperId;
use crate::verifier::state::FuncState;

/// The most iterations of one synchronous callback explored on one path.
pub(super) const CALLBACK_ITER_CAP: u64 = 8;

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
        // A synchronous callback returns to the call, which runs it again (or not).
        let mut f = FuncState::new(frameno, idx, subprogno);
        cb.cur_mut().callback_depth += 1;
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
        if f.async_callback {
            // push_async_cb: the callback runs later, in a state of its own.
            f.frameno = 0;
            f.regs[10].frameno = 0;
            cb.frame = vec![f];
            cb.refs.clear();
        } else {
            cb.frame.push(f);
        }
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
        // Back to the helper call, with the caller's arguments as they were: it decides
        // whether the callback runs once more (push_callback_call) and goes on after it.
        let callee = st.frame.pop().expect("a callback frame");
        // prepare_func_exit: the next call of the callback starts from the caller's state
        // with the imprecise scalars that changed since the previous call widened, so
        // that the iterations converge.
        if let Some(k) = self.find_prev_entry(st, callee.callsite) {
            super::equiv::widen_imprecise_scalars(&self.kept[k].st, st, self.id_gen);
        }
        Ok(Next::Goto(callee.callsite))
    }
}
