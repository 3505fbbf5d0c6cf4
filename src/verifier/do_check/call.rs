//! Calls and exits (`check_func_call`, `check_return_code`, `check_reference_leak` at
//! exit): helpers (checked in [`super::helper_call`]), bpf-to-bpf calls and their frames,
//! callback and program exits.

use super::*;
use crate::helpers::proto::HelperId;

impl Walker<'_> {
    pub(super) fn check_call(
        &mut self,
        idx: usize,
        st: &mut VerifierState,
        target: CallTarget,
    ) -> Res<Next> {
        // do_check: only bpf_spin_unlock and static functions under a lock.
        if st.active_lock.is_some()
            && match target {
                CallTarget::Helper(id) => id != HelperId::SpinUnlock as i32,
                CallTarget::Kfunc { .. } => true,
                CallTarget::Local(_) => false,
            }
        {
            return Err((
                Errno::Inval,
                "function calls are not allowed while holding a lock".into(),
            ));
        }
        match target {
            CallTarget::Helper(func_id) => {
                if let Some(next) = self.check_helper_call(idx, st, func_id)? {
                    return Ok(next);
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
                if let Some(sig) = self
                    .pre
                    .globals
                    .get(subprogno)
                    .and_then(|g| g.as_ref())
                    .and_then(|f| f.signature.clone())
                {
                    return self.global_call(idx, st, subprogno, &sig);
                }
                let frameno = st.frame.len() as u8;
                let mut f = crate::verifier::state::FuncState::new(frameno, idx + 1, subprogno);
                f.regs[1..=5].copy_from_slice(&st.cur().regs[1..=5]);
                clobber_caller_saved(st);
                st.frame.push(f);
                return Ok(Next::Goto(callee));
            }
            CallTarget::Kfunc { btf_id: 0, .. } => {
                // A placeholder: no call, no clobbering; refused after the walk.
                self.placeholder_kfunc.get_or_insert(idx);
            }
            CallTarget::Kfunc { .. } => {
                self.unknown_call_marks(st);
                clobber_caller_saved(st);
                // Kernel functions often return pointers this slice does not track.
                st.cur_mut().regs[0] = RegState {
                    untracked: true,
                    ..RegState::unknown()
                };
            }
        }
        Ok(Next::Goto(idx + 1))
    }

    pub(super) fn check_exit(&mut self, st: &mut VerifierState) -> Res<Next> {
        if st.frame.len() == 1 {
            refs::check_resource_leak(st, "BPF_EXIT instruction in main prog")?;
        }
        if st.frame.len() > 1 {
            // prepare_func_exit: R0 goes back to the caller as it is (even unset).
            let r0 = st.cur().regs[0];
            if r0.ty == RegType::PtrToStack {
                return Err((
                    Errno::Inval,
                    "cannot return stack pointer to the caller".into(),
                ));
            }
            if let Some(range) = st.cur().callback_ret {
                return self.callback_exit(st, range);
            }
            // prepare_func_exit: the callee's stack marks are final for this path.
            self.stack_live.update(st, self.insns, &self.pre.subprogs);
            let callee = st.frame.pop().expect("more than one frame");
            st.cur_mut().regs[0] = r0;
            return Ok(Next::Goto(callee.callsite));
        }
        read_reg(st, Reg::R0)?;
        if let Some(range) = st.cur().callback_ret {
            // An asynchronous callback runs in a frame of its own.
            return self.callback_exit(st, range);
        }
        let r0 = st.cur().regs[0];
        if !self.env.bpf_capable && !r0.is_scalar() {
            // is_pointer_value without allow_ptr_leaks.
            return Err((Errno::Acces, "R0 leaks addr as return value".into()));
        }
        if st.cur().subprogno != 0 {
            // A global function's exit: any scalar.
            if !r0.is_scalar() {
                return Err((
                    Errno::Inval,
                    format!(
                        "At subprogram exit the register R0 is not a scalar value ({})",
                        r0.type_str()
                    ),
                ));
            }
            return Ok(Next::PathDone);
        }
        let range = return_range(self.env.prog_type, self.env.expected_attach_type);
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
                return Err((Errno::Inval, retval_message("At program exit", &r0, lo, hi)));
            }
        }
        Ok(Next::PathDone)
    }
}

/// The range `check_return_code` enforces on R0 at the main program's exit, by program
/// type and expected attach type; `None` where any value goes. LSM hooks' ranges (from the
/// hook's BTF) and struct_ops returns are not modelled (any value).
fn return_range(prog_type: ProgType, attach: Option<u32>) -> Option<(i64, i64)> {
    use crate::progtype::section::attach as a;
    let attach = attach.unwrap_or(0);
    match prog_type {
        ProgType::CgroupSockAddr => Some(match attach {
            a::CGROUP_UDP4_RECVMSG
            | a::CGROUP_UDP6_RECVMSG
            | a::CGROUP_UNIX_RECVMSG
            | a::CGROUP_INET4_GETPEERNAME
            | a::CGROUP_INET6_GETPEERNAME
            | a::CGROUP_UNIX_GETPEERNAME
            | a::CGROUP_INET4_GETSOCKNAME
            | a::CGROUP_INET6_GETSOCKNAME
            | a::CGROUP_UNIX_GETSOCKNAME => (1, 1),
            a::CGROUP_INET4_BIND | a::CGROUP_INET6_BIND => (0, 3),
            _ => (0, 1),
        }),
        ProgType::CgroupSkb if attach == a::CGROUP_INET_EGRESS => Some((0, 3)),
        ProgType::CgroupSkb
        | ProgType::CgroupSock
        | ProgType::SockOps
        | ProgType::CgroupDevice
        | ProgType::CgroupSysctl
        | ProgType::CgroupSockopt
        | ProgType::SkLookup
        // NF_DROP..NF_ACCEPT
        | ProgType::Netfilter => Some((0, 1)),
        ProgType::Tracing => match attach {
            a::TRACE_FENTRY | a::TRACE_FEXIT => Some((0, 0)),
            a::TRACE_ITER => Some((0, 1)),
            _ => None,
        },
        ProgType::Kprobe
            if attach == a::TRACE_KPROBE_SESSION || attach == a::TRACE_UPROBE_SESSION =>
        {
            Some((0, 1))
        }
        _ => None,
    }
}

/// `verbose_invalid_scalar`: `<ctx> the register R0 has smin=.. smax=.. should have been
/// in [lo, hi]`.
pub(super) fn retval_message(ctx: &str, r0: &RegState, lo: i64, hi: i64) -> String {
    let mut m = format!("{ctx} the register R0 has");
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
    m
}

pub(super) fn clobber_caller_saved(st: &mut VerifierState) {
    for r in &mut st.cur_mut().regs[1..=5] {
        *r = RegState::not_init();
    }
}
