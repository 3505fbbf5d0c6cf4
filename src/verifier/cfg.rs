//! The control-flow passes: the kernel's `check_cfg` (with `visit_insn` and `push_insn`),
//! `compute_postorder` and `compute_scc` (kernel/bpf/verifier.c, Linux 6.18).
//!
//! `check_cfg` is an iterative depth-first walk from instruction 0 over fall-through,
//! jump and call edges. Each slot's state is `0` (not seen), `DISCOVERED` (on the walk's
//! stack, `| FALLTHROUGH` / `| BRANCH` once that edge was followed) or `EXPLORED`. The walk
//! refuses:
//! - an edge leaving the program: `jump out of range from insn %d to %d`;
//! - an edge back to a slot still on the stack, a loop, unless the program is privileged
//!   (`CAP_BPF`): `back-edge from insn %d to %d`. Privileged programs may loop; whether a
//!   loop ends is `do_check`'s question (`infinite loop detected at insn %d` is its message,
//!   not this pass's);
//! - a slot no edge reaches: `unreachable insn %d`;
//! - an edge into the second half of an `lddw`: `jump into the middle of ldimm64 insn %d`.
//!
//! On the way it marks what the state-pruning pass of `do_check` relies on ([`InsnAux`]):
//! prune points (jump targets, conditional jumps, instructions after calls, callback-calling
//! calls, `may_goto`), force-checkpoints (`may_goto`, callback-calling helpers, open-coded
//! iterator `next` kfuncs), jump points (where a state's jump history must record a
//! non-linear step) and which calls call callbacks. It also merges the callee's
//! `changes_pkt_data` / `might_sleep` into the caller.
//!
//! `compute_postorder` lists each subprogram's instructions in DFS postorder, and
//! `compute_scc` numbers the strongly connected components (loops) with Tarjan's algorithm:
//! an instruction alone in its component, without a self edge, gets 0. The kernel prints
//! these numbers in its level-2 log (`Live regs before insn:`), which is how they are
//! compared with it.

use super::error::{Errno, Pass, VerifierError};
use super::subprog::{
    Subprogs, helper, is_helper_call, is_kfunc_call, is_pseudo_func, jmp_offset,
    rel_target as target,
};
use crate::insn::RawInsn;
use crate::insn::opcode::{
    CALL, CLASS_MASK, EXIT, JA, JCOND, JMP, JMP32, K, LDDW, OP_MASK, PSEUDO_CALL, SRC_MASK,
};

/// What the structural passes learn about one slot (the CFG part of the kernel's
/// `struct bpf_insn_aux_data`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InsnAux {
    /// `is_state_visited` runs here (`prune_point`).
    pub prune_point: bool,
    /// A checkpoint state is always saved here (`force_checkpoint`).
    pub force_checkpoint: bool,
    /// Reached non-linearly: the jump history records arriving here (`jmp_point`).
    pub jmp_point: bool,
    /// A call of a helper or kfunc that calls a callback synchronously (`calls_callback`).
    pub calls_callback: bool,
    /// Strongly connected component, 0 for none (`scc`).
    pub scc: u32,
}

/// The result of the control-flow passes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cfg {
    /// One entry per slot.
    pub aux: Vec<InsnAux>,
    /// Every subprogram's instructions in DFS postorder, subprogram after subprogram
    /// ([`super::subprog::SubprogInfo::postorder_start`] says where each begins).
    pub postorder: Vec<usize>,
    /// Number of SCC ids handed out, plus one (`env->scc_cnt`; ids are `1..scc_count`).
    pub scc_count: u32,
    /// The entry function changes packet data (`prog->aux->changes_pkt_data`).
    pub changes_pkt_data: bool,
    /// The entry function might sleep (`prog->aux->might_sleep`).
    pub might_sleep: bool,
}

// check_cfg's slot states.
const DISCOVERED: u8 = 0x10;
const EXPLORED: u8 = 0x20;
const FALLTHROUGH: u8 = 1;
const BRANCH: u8 = 2;

/// What `visit_insn` / `push_insn` return when they do not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Visit {
    Done,
    KeepExploring,
}

/// How kfunc calls are classified for the marks (by their kernel name).
fn kfunc_name<'a>(subprogs: &'a Subprogs, insn: &RawInsn) -> Option<&'a str> {
    subprogs
        .kfuncs
        .iter()
        .find(|k| k.btf_id == insn.imm as u32 && k.offset == insn.off)
        .and_then(|k| k.name.as_deref())
}

/// `is_sync_callback_calling_insn`.
fn is_sync_callback_calling(subprogs: &Subprogs, insn: &RawInsn) -> bool {
    (is_helper_call(insn)
        && matches!(
            insn.imm,
            helper::FOR_EACH_MAP_ELEM
                | helper::FIND_VMA
                | helper::LOOP
                | helper::USER_RINGBUF_DRAIN
        ))
        || (is_kfunc_call(insn) && kfunc_name(subprogs, insn) == Some("bpf_rbtree_add_impl"))
}

/// `is_async_callback_calling_insn`.
fn is_async_callback_calling(subprogs: &Subprogs, insn: &RawInsn) -> bool {
    (is_helper_call(insn) && insn.imm == helper::TIMER_SET_CALLBACK)
        || (is_kfunc_call(insn)
            && matches!(
                kfunc_name(subprogs, insn),
                Some(
                    "bpf_wq_set_callback_impl"
                        | "bpf_task_work_schedule_signal_impl"
                        | "bpf_task_work_schedule_resume_impl"
                )
            ))
}

/// `bpf_helper_changes_pkt_data` (net/core/filter.c): helpers that may move packet data.
pub fn helper_changes_pkt_data(id: i32) -> bool {
    matches!(
        id,
        13  // clone_redirect
        | 10 // l3_csum_replace
        | 11 // l4_csum_replace
        | 73 // lwt_push_encap
        | 76 // lwt_seg6_action
        | 75 // lwt_seg6_adjust_srh
        | 74 // lwt_seg6_store_bytes
        | 90 // msg_pop_data
        | 63 // msg_pull_data
        | 89 // msg_push_data
        | 50 // skb_adjust_room
        | 43 // skb_change_head
        | 31 // skb_change_proto
        | 38 // skb_change_tail
        | 39 // skb_pull_data
        | 9  // skb_store_bytes
        | 19 // skb_vlan_pop
        | 18 // skb_vlan_push
        | 143 // store_hdr_opt
        | 44 // xdp_adjust_head
        | 54 // xdp_adjust_meta
        | 65 // xdp_adjust_tail
        | helper::TAIL_CALL
    )
}

/// Helpers whose prototype says `might_sleep`.
fn helper_might_sleep(id: i32) -> bool {
    matches!(
        id,
        helper::COPY_FROM_USER
            | helper::COPY_FROM_USER_TASK
            | helper::IMA_INODE_HASH
            | helper::IMA_FILE_HASH
    )
}

/// `bpf_is_ldimm64`.
fn is_ldimm64(insn: &RawInsn) -> bool {
    insn.code == LDDW
}

struct Walk<'a> {
    insns: &'a [RawInsn],
    subprogs: &'a mut Subprogs,
    bpf_capable: bool,
    state: Vec<u8>,
    stack: Vec<usize>,
    aux: Vec<InsnAux>,
}

impl Walk<'_> {
    fn mark_prune_point(&mut self, idx: usize) {
        if let Some(a) = self.aux.get_mut(idx) {
            a.prune_point = true;
        }
    }

    fn mark_jmp_point(&mut self, idx: usize) {
        if let Some(a) = self.aux.get_mut(idx) {
            a.jmp_point = true;
        }
    }

    fn mark_force_checkpoint(&mut self, idx: usize) {
        if let Some(a) = self.aux.get_mut(idx) {
            a.force_checkpoint = true;
        }
    }

    /// `push_insn`: follows edge `e` from `t` to `w`.
    fn push_insn(&mut self, t: usize, w: i64, e: u8) -> Result<Visit, VerifierError> {
        let st = self.state.get(t).copied().unwrap_or(0);
        if e == FALLTHROUGH && st >= DISCOVERED | FALLTHROUGH {
            return Ok(Visit::Done);
        }
        if e == BRANCH && st >= DISCOVERED | BRANCH {
            return Ok(Visit::Done);
        }
        if w < 0 || w >= self.insns.len() as i64 {
            return Err(VerifierError::inval(
                Pass::CheckCfg,
                t,
                format!("jump out of range from insn {t} to {w}"),
            ));
        }
        let w = w as usize;
        if e == BRANCH {
            self.mark_prune_point(w);
            self.mark_jmp_point(w);
        }
        let sw = self.state[w];
        if sw == 0 {
            // Tree edge.
            self.state[t] = DISCOVERED | e;
            self.state[w] = DISCOVERED;
            if self.stack.len() >= self.insns.len() {
                return Err(VerifierError::new(Pass::CheckCfg, t, Errno::TooBig, ""));
            }
            self.stack.push(w);
            Ok(Visit::KeepExploring)
        } else if sw & 0xf0 == DISCOVERED {
            if self.bpf_capable {
                return Ok(Visit::Done);
            }
            Err(VerifierError::inval(
                Pass::CheckCfg,
                t,
                format!("back-edge from insn {t} to {w}"),
            ))
        } else if sw == EXPLORED {
            // Forward or cross edge.
            self.state[t] = DISCOVERED | e;
            Ok(Visit::Done)
        } else {
            Err(VerifierError::new(
                Pass::CheckCfg,
                t,
                Errno::Fault,
                "verifier bug: insn state internal bug",
            ))
        }
    }

    /// `merge_callee_effects`: the caller inherits the callee's packet and sleep effects.
    fn merge_callee_effects(&mut self, t: usize, w: i64) {
        let (Some(caller), Some(callee)) = (
            self.subprogs.containing(t),
            usize::try_from(w)
                .ok()
                .and_then(|w| self.subprogs.containing(w)),
        ) else {
            return;
        };
        let (pkt, sleep) = {
            let c = &self.subprogs.info[callee];
            (c.changes_pkt_data, c.might_sleep)
        };
        let c = &mut self.subprogs.info[caller];
        c.changes_pkt_data |= pkt;
        c.might_sleep |= sleep;
    }

    /// `visit_func_call_insn`.
    fn visit_func_call_insn(
        &mut self,
        t: usize,
        visit_callee: bool,
    ) -> Result<Visit, VerifierError> {
        let insn = self.insns[t];
        let size = if is_ldimm64(&insn) { 2 } else { 1 };
        let ret = self.push_insn(t, t as i64 + size, FALLTHROUGH)?;
        if ret != Visit::Done {
            return Ok(ret);
        }
        self.mark_prune_point(t + size as usize);
        // Returning from the callee is a non-linear step.
        self.mark_jmp_point(t + size as usize);
        if !visit_callee {
            return Ok(ret);
        }
        let w = target(t, insn.imm);
        self.mark_prune_point(t);
        self.merge_callee_effects(t, w);
        self.push_insn(t, w, BRANCH)
    }

    fn mark_subprog(&mut self, t: usize, changes_pkt_data: bool, might_sleep: bool) {
        if let Some(s) = self.subprogs.containing(t) {
            let s = &mut self.subprogs.info[s];
            s.changes_pkt_data |= changes_pkt_data;
            s.might_sleep |= might_sleep;
        }
    }

    /// `visit_insn`.
    fn visit_insn(&mut self, t: usize) -> Result<Visit, VerifierError> {
        let insn = self.insns[t];
        if is_pseudo_func(&insn) {
            return self.visit_func_call_insn(t, true);
        }
        let class = insn.code & CLASS_MASK;
        if class != JMP && class != JMP32 {
            let size = if is_ldimm64(&insn) { 2 } else { 1 };
            return self.push_insn(t, t as i64 + size, FALLTHROUGH);
        }
        match insn.code & OP_MASK {
            EXIT => Ok(Visit::Done),
            CALL => {
                if is_async_callback_calling(self.subprogs, &insn) {
                    self.mark_prune_point(t);
                }
                if is_sync_callback_calling(self.subprogs, &insn) {
                    if let Some(a) = self.aux.get_mut(t) {
                        a.calls_callback = true;
                    }
                    self.mark_force_checkpoint(t);
                    self.mark_prune_point(t);
                    self.mark_jmp_point(t);
                }
                if is_helper_call(&insn) {
                    let sleep = helper_might_sleep(insn.imm);
                    let pkt = helper_changes_pkt_data(insn.imm);
                    self.mark_subprog(t, pkt, sleep);
                } else if insn.src == crate::insn::opcode::PSEUDO_KFUNC_CALL {
                    let name = kfunc_name(self.subprogs, &insn).unwrap_or("");
                    // Open-coded iterators: `bpf_iter_<type>_next` (KF_ITER_NEXT).
                    let iter_next = name.starts_with("bpf_iter_") && name.ends_with("_next");
                    let pkt = name == "bpf_xdp_pull_data";
                    if iter_next {
                        self.mark_prune_point(t);
                        self.mark_force_checkpoint(t);
                    }
                    self.mark_subprog(t, pkt, false);
                }
                self.visit_func_call_insn(t, insn.src == PSEUDO_CALL)
            }
            JA => {
                if insn.code & SRC_MASK != K {
                    // `gotox` is not known to 6.18; the opcode table refused it earlier.
                    return Err(VerifierError::new(Pass::CheckCfg, t, Errno::Inval, ""));
                }
                let w = target(t, jmp_offset(&insn));
                let ret = self.push_insn(t, w, FALLTHROUGH)?;
                if ret != Visit::Done {
                    return Ok(ret);
                }
                if let Ok(w) = usize::try_from(w) {
                    self.mark_prune_point(w);
                    self.mark_jmp_point(w);
                }
                Ok(ret)
            }
            op => {
                // Conditional jump with two edges (may_goto included).
                self.mark_prune_point(t);
                if insn.code == JMP | JCOND && insn.src == 0 && op == JCOND {
                    self.mark_force_checkpoint(t);
                }
                let ret = self.push_insn(t, t as i64 + 1, FALLTHROUGH)?;
                if ret != Visit::Done {
                    return Ok(ret);
                }
                self.push_insn(t, target(t, insn.off as i32), BRANCH)
            }
        }
    }

    /// The walk from `start` until the stack is empty.
    fn walk_from(&mut self, start: usize) -> Result<(), VerifierError> {
        self.state[start] = DISCOVERED;
        self.stack.clear();
        self.stack.push(start);
        while let Some(&t) = self.stack.last() {
            match self.visit_insn(t)? {
                Visit::Done => {
                    self.state[t] = EXPLORED;
                    self.stack.pop();
                }
                Visit::KeepExploring => {}
            }
        }
        Ok(())
    }
}

/// The kernel's `check_cfg`: walks the program from instruction 0, refuses unreachable
/// instructions, jumps out of the program or into an `lddw`, and (for unprivileged
/// programs) loops; returns the per-slot marks (SCC ids not yet set). Updates the
/// subprograms' `changes_pkt_data` and `might_sleep`.
pub fn check_cfg(
    insns: &[RawInsn],
    subprogs: &mut Subprogs,
    bpf_capable: bool,
) -> Result<Vec<InsnAux>, VerifierError> {
    let n = insns.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let exception_start = subprogs
        .exception_callback
        .and_then(|s| subprogs.info.get(s))
        .map(|s| s.start)
        .filter(|&s| s != 0);
    let mut walk = Walk {
        insns,
        subprogs,
        bpf_capable,
        state: vec![0; n],
        // A slot is on the stack at most once: no reallocation while it grows.
        stack: Vec::with_capacity(n),
        aux: vec![InsnAux::default(); n],
    };
    walk.walk_from(0)?;
    if let Some(ex) = exception_start
        && walk.state.get(ex).is_some_and(|&s| s != EXPLORED)
    {
        walk.walk_from(ex)?;
    }
    let mut i = 0;
    while i < n {
        if walk.state[i] != EXPLORED {
            return Err(VerifierError::inval(
                Pass::CheckCfg,
                i,
                format!("unreachable insn {i}"),
            ));
        }
        if is_ldimm64(&insns[i]) {
            if walk.state.get(i + 1).is_some_and(|&s| s != 0) {
                return Err(VerifierError::inval(
                    Pass::CheckCfg,
                    i,
                    format!("jump into the middle of ldimm64 insn {i}"),
                ));
            }
            i += 1;
        }
        i += 1;
    }
    Ok(walk.aux)
}

/// `bpf_insn_successors` (kernel/bpf/liveness.c): the slots that may run right after `idx`.
/// Calls fall through (the callee is not a successor); `exit` has none.
pub fn insn_successors(insns: &[RawInsn], idx: usize) -> ([usize; 2], usize) {
    let mut succ = [0usize; 2];
    let mut n = 0;
    let Some(insn) = insns.get(idx) else {
        return (succ, 0);
    };
    let class = insn.code & CLASS_MASK;
    let (can_jump, can_fallthrough) = if class == JMP || class == JMP32 {
        match insn.code & OP_MASK {
            EXIT => (false, false),
            JA => (true, false),
            CALL => (false, true),
            // The conditions and JCOND; opcodes 0xf0 are not jumps.
            0xf0 => (false, true),
            _ => (true, true),
        }
    } else {
        (false, true)
    };
    let size = if is_ldimm64(insn) { 2 } else { 1 };
    let mut push = |w: i64| {
        if let Ok(w) = usize::try_from(w)
            && w < insns.len()
        {
            succ[n] = w;
            n += 1;
        }
    };
    if can_fallthrough {
        push(idx as i64 + size);
    }
    if can_jump {
        push(target(idx, jmp_offset(insn)));
    }
    (succ, n)
}

/// The kernel's `compute_postorder`: each subprogram's instructions in DFS postorder, in
/// subprogram order; sets each subprogram's `postorder_start`.
pub fn compute_postorder(insns: &[RawInsn], subprogs: &mut Subprogs) -> Vec<usize> {
    let n = insns.len();
    let mut postorder = Vec::with_capacity(n);
    let mut state = vec![0u8; n];
    let mut stack = Vec::with_capacity(n);
    for s in subprogs.info.iter_mut() {
        s.postorder_start = postorder.len();
        if s.start >= n {
            continue;
        }
        stack.clear();
        stack.push(s.start);
        while let Some(&top) = stack.last() {
            state[top] |= DISCOVERED;
            if state[top] & EXPLORED != 0 {
                postorder.push(top);
                stack.pop();
                continue;
            }
            let (succ, cnt) = insn_successors(insns, top);
            for &w in &succ[..cnt] {
                if state[w] == 0 {
                    stack.push(w);
                    state[w] |= DISCOVERED;
                }
            }
            state[top] |= EXPLORED;
        }
    }
    postorder
}

/// The kernel's `compute_scc`: Tarjan's strongly connected components over
/// [`insn_successors`], numbered from 1 in the order they complete; an instruction alone
/// in its component without a self edge keeps 0. Returns the id count (`scc_cnt`).
pub fn compute_scc(insns: &[RawInsn], aux: &mut [InsnAux]) -> u32 {
    const NOT_ON_STACK: u32 = u32::MAX;
    let n = insns.len().min(aux.len());
    let mut pre = vec![0u32; n];
    let mut low = vec![0u32; n];
    // Each slot is pushed on either stack at most once per DFS: sized once.
    let mut stack: Vec<usize> = Vec::with_capacity(n);
    let mut dfs: Vec<usize> = Vec::with_capacity(n);
    let mut next_preorder = 1u32;
    let mut next_scc = 1u32;
    for i in 0..n {
        if pre[i] != 0 {
            continue;
        }
        stack.clear();
        dfs.clear();
        dfs.push(i);
        'dfs: while let Some(&w) = dfs.last() {
            if pre[w] == 0 {
                low[w] = next_preorder;
                pre[w] = next_preorder;
                next_preorder += 1;
                stack.push(w);
            }
            let (succ, cnt) = insn_successors(&insns[..n], w);
            for &s in &succ[..cnt] {
                if pre[s] != 0 {
                    low[w] = low[w].min(low[s]);
                } else {
                    dfs.push(s);
                    continue 'dfs;
                }
            }
            if low[w] < pre[w] {
                dfs.pop();
                continue;
            }
            let mut assign = stack.last() != Some(&w);
            if succ[..cnt].contains(&w) {
                assign = true;
            }
            while let Some(t) = stack.pop() {
                low[t] = NOT_ON_STACK;
                if assign {
                    aux[t].scc = next_scc;
                }
                if t == w {
                    break;
                }
            }
            if assign {
                next_scc += 1;
            }
            dfs.pop();
        }
    }
    next_scc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::asm::assemble;
    use crate::verifier::subprog::{KfuncEnv, add_subprog_and_kfunc, check_subprogs};

    fn run(
        src: &str,
        capable: bool,
    ) -> Result<(Vec<InsnAux>, Subprogs, Vec<RawInsn>), VerifierError> {
        let insns = assemble(src).expect("assembles");
        let env = KfuncEnv {
            gpl_compatible: true,
            ..KfuncEnv::default()
        };
        let mut s = add_subprog_and_kfunc(&insns, true, &env)?;
        check_subprogs(&insns, &mut s)?;
        let aux = check_cfg(&insns, &mut s, capable)?;
        Ok((aux, s, insns))
    }

    fn err(src: &str, capable: bool) -> String {
        run(src, capable)
            .map(|_| "ok".to_string())
            .unwrap_or_else(|e| e.message().to_string())
    }

    #[test]
    fn unreachable_and_loops() {
        assert_eq!(
            err("r0 = 0\nexit\nr0 = 1\nexit", true),
            "unreachable insn 2"
        );
        let looping = "r0 = 0\nl: r0 += 1\nif r0 < 10 goto l\nexit";
        assert_eq!(err(looping, true), "ok");
        assert_eq!(err(looping, false), "back-edge from insn 2 to 1");
        assert_eq!(err("l: goto l", false), "back-edge from insn 0 to 0");
    }

    #[test]
    fn jumps_into_lddw() {
        let src = "if r1 == 0 goto +1\nr0 = 0x100000000 ll\nexit";
        assert_eq!(err(src, true), "jump into the middle of ldimm64 insn 1");
    }

    #[test]
    fn marks_prune_and_jump_points() {
        let (aux, _, _) = run("r0 = 0\nif r1 == 0 goto l\nr0 = 1\nl: call 5\nexit", true).unwrap();
        let prune: Vec<_> = (0..aux.len()).filter(|&i| aux[i].prune_point).collect();
        let jmp: Vec<_> = (0..aux.len()).filter(|&i| aux[i].jmp_point).collect();
        // The conditional, its target, and the slot after the call.
        assert_eq!(prune, [1, 3, 4]);
        assert_eq!(jmp, [3, 4]);

        let (aux, _, _) = run("r0 = 0\nmay_goto +1\nr0 = 1\nexit", true).unwrap();
        assert!(aux[1].prune_point && aux[1].force_checkpoint);
        assert!(aux[3].prune_point && aux[3].jmp_point);

        let (aux, _, _) = run("r1 = 1\nr2 = 0\nr3 = 0\nr4 = 0\ncall 181\nexit", true).unwrap();
        assert!(aux[4].calls_callback && aux[4].force_checkpoint && aux[4].prune_point);
    }

    #[test]
    fn local_calls_mark_the_call_and_the_callee() {
        let (aux, s, insns) = run("call local f\nexit\nf: call 44\nr0 = 0\nexit", true).unwrap();
        assert!(aux[0].prune_point && aux[1].prune_point && aux[2].prune_point);
        assert!(aux[2].jmp_point);
        // bpf_xdp_adjust_head changes packet data; the caller inherits it.
        assert!(s.info[1].changes_pkt_data && s.info[0].changes_pkt_data);
        let mut s = s;
        let post = compute_postorder(&insns, &mut s);
        assert_eq!(post, [1, 0, 4, 3, 2]);
        assert_eq!(s.info[1].postorder_start, 2);
    }

    #[test]
    fn sccs_number_loops() {
        let insns = assemble("r0 = 0\nl: r0 += 1\nif r0 < 10 goto l\nm: goto m\nexit").unwrap();
        let mut aux = vec![InsnAux::default(); insns.len()];
        let cnt = compute_scc(&insns, &mut aux);
        let sccs: Vec<_> = aux.iter().map(|a| a.scc).collect();
        // exit completes first (no id); the self-loop at 3 gets 1, the loop {1, 2} gets 2.
        assert_eq!(sccs, [0, 2, 2, 1, 0]);
        assert_eq!(cnt, 3);
    }

    #[test]
    fn successors() {
        let insns = assemble("if r1 == 0 goto +1\nr0 = 1 ll\ngoto -3\nexit\ncall 1").unwrap();
        assert_eq!(insn_successors(&insns, 0), ([1, 2], 2));
        assert_eq!(insn_successors(&insns, 1), ([3, 0], 1));
        assert_eq!(insn_successors(&insns, 3), ([1, 0], 1));
        assert_eq!(insn_successors(&insns, 4), ([0, 0], 0));
        assert_eq!(insn_successors(&insns, 5), ([0, 0], 0));
    }
}
