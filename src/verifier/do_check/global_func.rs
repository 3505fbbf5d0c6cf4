//! Global functions (`subprog_is_global`): the kernel verifies a global function once, on
//! its own, from the parameter types of its BTF signature (`btf_prepare_func_args`), and
//! at a call only checks the arguments against them (`btf_check_subprog_call`); the caller
//! goes on with an unknown scalar in R0.
//!
//! Parameter kinds: an integer or enum is a scalar, a pointer to the program type's
//! context struct is the context, any other pointer of known size is `mem_or_null` of that
//! size (`ARG_PTR_TO_MEM | PTR_MAYBE_NULL`); what this slice cannot sort is an untracked
//! pointer. Functions are verified after the main program, in the order their first call
//! was reached (`do_check_subprogs`).

use super::*;
use crate::object::{FuncParam, FuncSig};
use crate::verifier::state::FuncState;

/// A parameter as the verifier treats it.
enum Param {
    Scalar,
    Ctx,
    /// `size` bytes of memory, maybe NULL unless tagged `arg:nonnull`.
    Mem(u64, bool),
    /// A trusted BTF pointer (`arg:trusted`), maybe NULL when `arg:nullable`.
    Trusted(bool),
    Untracked,
}

/// The context struct of each program type (`btf_get_prog_ctx_type`'s names).
fn ctx_struct(t: ProgType) -> &'static [&'static str] {
    use ProgType as P;
    match t {
        P::SocketFilter
        | P::SchedCls
        | P::SchedAct
        | P::CgroupSkb
        | P::LwtIn
        | P::LwtOut
        | P::LwtXmit
        | P::LwtSeg6local
        | P::SkSkb
        | P::FlowDissector => &["__sk_buff"],
        P::Xdp => &["xdp_md"],
        P::SockOps => &["bpf_sock_ops"],
        P::SkMsg => &["sk_msg_md"],
        P::Kprobe => &["pt_regs", "user_pt_regs"],
        P::PerfEvent => &["bpf_perf_event_data"],
        P::CgroupSock => &["bpf_sock"],
        P::CgroupSockAddr => &["bpf_sock_addr"],
        P::CgroupDevice => &["bpf_cgroup_dev_ctx"],
        P::RawTracepoint | P::RawTracepointWritable => &["bpf_raw_tracepoint_args"],
        P::SkReuseport => &["sk_reuseport_md"],
        P::CgroupSysctl => &["bpf_sysctl"],
        P::CgroupSockopt => &["bpf_sockopt"],
        P::SkLookup => &["bpf_sk_lookup"],
        P::Netfilter => &["bpf_nf_ctx"],
        _ => &[],
    }
}

/// A pointer parameter of known size: memory.
fn mem_param(p: &FuncParam) -> Param {
    match p {
        FuncParam::Ptr {
            size: Some(s),
            nonnull,
            ..
        } => Param::Mem(*s, *nonnull),
        _ => Param::Untracked,
    }
}

impl Walker<'_> {
    fn params(&self, sig: &FuncSig) -> Vec<Param> {
        sig.params
            .iter()
            .map(|p| match p {
                FuncParam::Scalar => Param::Scalar,
                FuncParam::Ctx => Param::Ctx,
                FuncParam::Trusted { nullable } => Param::Trusted(*nullable),
                FuncParam::Ptr { name, .. } if !name.is_empty() => {
                    let ctx = ctx_struct(self.env.prog_type);
                    if ctx.contains(&name.as_str()) {
                        Param::Ctx
                    } else if ctx.is_empty() {
                        // Typed contexts (tracing, iterators, struct_ops): not modelled.
                        Param::Untracked
                    } else {
                        mem_param(p)
                    }
                }
                _ => mem_param(p),
            })
            .collect()
    }

    /// A call of global function `subprogno` from `st` at `idx`: the arguments against its
    /// signature, then R0 unknown.
    pub(super) fn global_call(
        &mut self,
        idx: usize,
        st: &mut VerifierState,
        subprogno: usize,
        sig: &FuncSig,
    ) -> Res<Next> {
        if st.active_lock.is_some() {
            return Err((Errno::Inval, "use static function instead".into()));
        }
        let params = self.params(sig);
        let ok = self.global_args_match(st, &params);
        if !ok {
            return Err((
                Errno::Inval,
                format!(
                    "Caller passes invalid args into func#{subprogno} ('{}')",
                    self.subprog_name(subprogno)
                ),
            ));
        }
        if !self.globals_called.contains(&subprogno) {
            self.globals_called.push(subprogno);
        }
        if self
            .pre
            .subprogs
            .info
            .get(subprogno)
            .is_some_and(|s| s.changes_pkt_data)
        {
            helper_call::clear_all_pkt_pointers(st);
        }
        clobber_caller_saved(st);
        st.cur_mut().regs[0] = RegState::unknown();
        Ok(Next::Goto(idx + 1))
    }

    fn global_args_match(&mut self, st: &mut VerifierState, params: &[Param]) -> bool {
        for (i, p) in params.iter().enumerate().take(5) {
            let regno = i + 1;
            let reg = st.cur().regs[regno];
            if reg.ty == RegType::NotInit {
                return false;
            }
            if let Param::Trusted(nullable) = p {
                // ARG_PTR_TO_BTF_ID | PTR_TRUSTED: NULL only when nullable, never another
                // scalar or a pointer that may be NULL (BTF types are not compared here).
                let null =
                    reg.is_scalar() && reg.var.var_off.is_const() && reg.var.var_off.value == 0;
                let ok = if reg.is_scalar() {
                    reg.untracked || (*nullable && null)
                } else {
                    reg.ty == RegType::Other && (*nullable || !reg.maybe_null)
                };
                if !ok {
                    return false;
                }
                continue;
            }
            if reg.ty == RegType::Other || (reg.is_scalar() && reg.untracked) {
                continue;
            }
            let ok = match p {
                Param::Scalar => reg.is_scalar(),
                Param::Ctx => reg.ty == RegType::PtrToCtx,
                Param::Mem(size, nonnull) => {
                    if reg.is_scalar() && reg.var.var_off.is_const() && reg.var.var_off.value == 0 {
                        // Linux 6.18 lets NULL through even for `arg:nonnull`.
                        true
                    } else if *nonnull && reg.maybe_null {
                        false
                    } else {
                        let mut r = reg;
                        r.maybe_null = false;
                        st.cur_mut().regs[regno] = r;
                        let res = self.helper_mem_arg(st, regno, *size as i64);
                        st.cur_mut().regs[regno] = reg;
                        res.is_ok()
                    }
                }
                Param::Trusted(_) | Param::Untracked => true,
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// The name the kernel prints for a subprogram (its func_info name).
    fn subprog_name(&self, subprogno: usize) -> String {
        self.pre
            .globals
            .get(subprogno)
            .and_then(|g| g.as_ref())
            .map_or(String::new(), |f| f.name.clone())
    }

    /// The state a global function starts in: its parameters from its signature.
    pub(super) fn global_entry_state(&mut self, subprogno: usize, sig: &FuncSig) -> VerifierState {
        let params = self.params(sig);
        let mut f = FuncState::new(0, 0, subprogno);
        for (i, p) in params.iter().enumerate().take(5) {
            f.regs[i + 1] = match p {
                Param::Scalar => RegState::unknown(),
                Param::Ctx => RegState::pointer(RegType::PtrToCtx),
                Param::Mem(size, nonnull) => {
                    self.id_gen += 1;
                    RegState {
                        maybe_null: !nonnull,
                        mem_size: (*size).min(u32::MAX as u64) as u32,
                        id: self.id_gen,
                        ..RegState::pointer(RegType::PtrToMem)
                    }
                }
                Param::Trusted(_) | Param::Untracked => RegState::pointer(RegType::Other),
            };
        }
        let start = self.pre.subprogs.info.get(subprogno).map_or(0, |s| s.start);
        VerifierState {
            frame: vec![f],
            first_insn_idx: start,
            insn_idx: start,
            ..VerifierState::initial()
        }
    }
}
