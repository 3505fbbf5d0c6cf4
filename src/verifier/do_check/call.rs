//! Calls and exits (`check_helper_call`, `check_func_call`, `check_return_code`):
//! helpers through the [`HelperModel`], bpf-to-bpf calls and their frames, program exit.

use super::*;

impl Walker<'_> {
    pub(super) fn check_call(
        &mut self,
        idx: usize,
        st: &mut VerifierState,
        target: CallTarget,
    ) -> Res<Next> {
        match target {
            CallTarget::Helper(func_id) => {
                // check_helper_call: the prototype the program type gets, GPL-only helpers.
                let spec = ProgSpec {
                    prog_type: self.env.prog_type,
                    expected_attach_type: self.env.expected_attach_type,
                    sleepable: false,
                    attach_func: None,
                };
                let hproto = match proto::check_call(func_id, &spec, self.env.gpl_compatible) {
                    Ok(p) => p,
                    Err(e) => return Err((Errno::Inval, e.to_string())),
                };
                let r0 = {
                    let maps = &self.maps;
                    let cx = HelperCallCx {
                        state: st,
                        maps,
                        allow_uninit_stack: self.env.bpf_capable,
                    };
                    self.env.helpers.check_helper_call(&cx, func_id)
                }
                .map_err(|m| (Errno::Acces, m))?;
                self.helper_call_marks(st, func_id, hproto);
                self.helper_stack_writes(st, hproto);
                let mut r0 = r0;
                if func_id == 1 && r0.maybe_null && self.const_key_in_array(st) {
                    // An array lookup with a constant in-range key cannot fail.
                    r0.maybe_null = false;
                }
                if r0.maybe_null {
                    self.id_gen += 1;
                    r0.id = self.id_gen;
                }
                clobber_caller_saved(st);
                st.cur_mut().regs[0] = r0;
                if func_id == 12 {
                    // bpf_tail_call: when it fails the program goes on.
                    st.cur_mut().regs[0] = RegState::unknown();
                }
            }
            CallTarget::Local(imm) => {
                let callee = (idx as i64 + 1 + imm as i64) as usize;
                if st.frame.len() >= MAX_CALL_FRAMES {
                    return Err((
                        Errno::TooBig,
                        format!(
                            "the call stack of {} frames is too deep",
                            st.frame.len() + 1
                        ),
                    ));
                }
                let subprogno = self.pre.subprogs.starting_at(callee).unwrap_or(0);
                let frameno = st.frame.len() as u8;
                let mut f = crate::verifier::state::FuncState::new(frameno, idx + 1, subprogno);
                f.regs[1..=5].copy_from_slice(&st.cur().regs[1..=5]);
                clobber_caller_saved(st);
                st.frame.push(f);
                return Ok(Next::Goto(callee));
            }
            CallTarget::Kfunc { .. } => {
                self.unknown_call_marks(st);
                clobber_caller_saved(st);
                st.cur_mut().regs[0] = RegState::unknown();
            }
        }
        Ok(Next::Goto(idx + 1))
    }

    pub(super) fn check_exit(&mut self, st: &mut VerifierState) -> Res<Next> {
        read_reg(st, Reg::R0)?;
        if st.frame.len() > 1 {
            // prepare_func_exit: the callee's stack marks are final for this path.
            self.stack_live.update(st, self.insns, &self.pre.subprogs);
            let callee = st.frame.pop().expect("more than one frame");
            let mut r0 = callee.regs[0];
            if r0.ty == RegType::PtrToStack && r0.frameno as usize >= st.frame.len() {
                r0 = RegState::unknown();
            }
            st.cur_mut().regs[0] = r0;
            return Ok(Next::Goto(callee.callsite));
        }
        let r0 = st.cur().regs[0];
        let range = match self.env.prog_type {
            ProgType::CgroupSkb if self.env.expected_attach_type == Some(1) => Some((0, 3)),
            ProgType::CgroupSkb
            | ProgType::CgroupSock
            | ProgType::SockOps
            | ProgType::CgroupDevice
            | ProgType::CgroupSysctl
            | ProgType::CgroupSockopt
            | ProgType::SkLookup => Some((0i64, 1i64)),
            _ => None,
        };
        if let Some((lo, hi)) = range {
            if !r0.is_scalar() {
                return Err((
                    Errno::Inval,
                    format!(
                        "At program exit the register R0 is not a known value ({})",
                        r0.type_str()
                    ),
                ));
            }
            self.mark_chain_precision(st, 0);
            if r0.var.smin_value < lo || r0.var.smax_value > hi {
                let mut m = String::from("At program exit the register R0 has");
                let mut unknown = true;
                if r0.var.smin_value > i64::MIN {
                    m += &format!(" smin={}", r0.var.smin_value);
                    unknown = false;
                }
                if r0.var.smax_value < i64::MAX {
                    m += &format!(" smax={}", r0.var.smax_value);
                    unknown = false;
                }
                if unknown {
                    m += " unknown scalar value";
                }
                m += &format!(" should have been in [{lo}, {hi}]");
                return Err((Errno::Inval, m));
            }
        }
        Ok(Next::PathDone)
    }
}

pub(super) fn clobber_caller_saved(st: &mut VerifierState) {
    for r in &mut st.cur_mut().regs[1..=5] {
        *r = RegState::not_init();
    }
}
