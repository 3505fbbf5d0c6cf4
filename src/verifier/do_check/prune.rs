//! State pruning (`is_state_visited`, `update_branch_counts`, `clean_live_states`, the
//! SCC visits of 6.18): the checkpoints kept at prune points and the check that one of them
//! covers the current path.
//!
//! Checkpoints live in an arena ([`Kept`]) and point to their parent checkpoint, so that
//! precision marks can be walked back ([`super::backtrack`]). A checkpoint whose paths are
//! not all explored yet (`branches > 0`) is never used to prune; meeting it again means a
//! loop, which is an error when the states are exactly equal (`infinite loop detected`).
//! The kernel's heuristics decide when a checkpoint is added (two jumps and eight
//! instructions since the last one, or a forced checkpoint) and when one that keeps missing
//! is dropped (`miss_cnt > 3 * hit_cnt + 3`).
//!
//! Inside a loop (a strongly connected component of the CFG) a checkpoint's precision marks
//! are incomplete until every path leaving the loop's entry state is explored, so such
//! checkpoints are compared with [`Exact::RangeWithin`] and each match is kept as a
//! *backedge*; when the entry state's paths are all done the backedges propagate precision
//! until nothing changes (`propagate_backedges`).

use super::equiv::{EquivCx, Exact, frame_insn_idx, states_equal, states_maybe_looping};
use super::*;

/// A checkpoint (`struct bpf_verifier_state_list`).
pub(super) struct Kept {
    /// The state at `st.insn_idx`.
    pub st: VerifierState,
    /// Paths from here not yet finished.
    pub branches: u32,
    pub hit_cnt: u32,
    pub miss_cnt: u32,
    /// Dropped from its instruction's list, kept while others refer to it.
    pub in_free_list: bool,
    /// Dead registers and stack slots were forgotten.
    pub cleaned: bool,
}

/// `BPF_COMPLEXITY_LIMIT_STATES`: without `CAP_BPF`, no checkpoint is added where this many
/// already are.
const BPF_COMPLEXITY_LIMIT_STATES: usize = 64;

/// `MAX_BACKEDGE_ITERS`.
const MAX_BACKEDGE_ITERS: usize = 64;

/// One visit of a loop along one call chain (`struct bpf_scc_visit`).
#[derive(Default)]
pub(super) struct SccVisit {
    entry_state: Option<usize>,
    /// Copies of states that matched a checkpoint inside the loop, with that checkpoint.
    backedges: Vec<(VerifierState, usize)>,
}

impl Walker<'_> {
    fn equiv_cx(&self) -> EquivCx<'_> {
        EquivCx {
            live_regs: &self.live,
            allow_uninit_stack: self.env.bpf_capable,
        }
    }

    fn aux(&self, idx: usize) -> crate::verifier::cfg::InsnAux {
        self.pre.cfg.aux.get(idx).copied().unwrap_or_default()
    }

    fn update_peak_states(&mut self) {
        let cur = self.explored_states_size + self.free_list_size + self.num_backedges;
        self.stats.peak_states = self.stats.peak_states.max(cur as u64);
    }

    /// `compute_scc_callchain`: the call sites down to the outermost frame that is inside a
    /// loop, and that loop; `None` when no frame is.
    fn scc_callchain(&self, st: &VerifierState) -> Option<(Vec<usize>, u32)> {
        let mut sites = Vec::new();
        for i in 0..st.frame.len() {
            let at = frame_insn_idx(st, i);
            let scc = self.aux(at).scc;
            if scc != 0 {
                return Some((sites, scc));
            }
            if i + 1 < st.frame.len() {
                sites.push(at);
            } else {
                return None;
            }
        }
        None
    }

    /// `incomplete_read_marks`.
    fn incomplete_read_marks(&self, st: &VerifierState) -> bool {
        self.scc_callchain(st)
            .and_then(|c| self.scc_visits.get(&c))
            .is_some_and(|v| !v.backedges.is_empty())
    }

    /// `maybe_enter_scc`.
    fn maybe_enter_scc(&mut self, k: usize) {
        let Some(c) = self.scc_callchain(&self.kept[k].st) else {
            return;
        };
        let v = self.scc_visits.entry(c).or_default();
        if v.entry_state.is_none() {
            v.entry_state = Some(k);
        }
    }

    /// `maybe_exit_scc`: the loop entry's paths are all done; settle its backedges.
    fn maybe_exit_scc(&mut self, k: usize) {
        let Some(c) = self.scc_callchain(&self.kept[k].st) else {
            return;
        };
        let Some(v) = self.scc_visits.get_mut(&c) else {
            return;
        };
        if v.entry_state != Some(k) {
            return;
        }
        v.entry_state = None;
        let backedges = std::mem::take(&mut v.backedges);
        self.num_backedges -= backedges.len();
        self.update_peak_states();
        // propagate_backedges
        let mut iters = 0;
        loop {
            iters += 1;
            if iters > MAX_BACKEDGE_ITERS {
                for (st, _) in &backedges {
                    self.mark_all_scalars_precise_from(st);
                }
                break;
            }
            let mut changed = false;
            for (st, eq) in &backedges {
                let bt = super::backtrack::precise_marks(&self.kept[*eq].st);
                changed |= self.mark_chain_precision_bt(st, bt);
            }
            if !changed {
                break;
            }
        }
    }

    fn mark_all_scalars_precise_from(&mut self, st: &VerifierState) {
        let _ = self.mark_all_scalars_precise(st);
    }

    /// `maybe_free_verifier_state`.
    fn maybe_free(&mut self, k: usize) {
        let kept = &self.kept[k];
        if !kept.in_free_list || kept.branches != 0 || self.incomplete_read_marks(&kept.st) {
            return;
        }
        let kept = &mut self.kept[k];
        kept.in_free_list = false;
        kept.st.frame.truncate(1);
        kept.st.frame[0].stack = Vec::new();
        kept.st.jmp_history = Vec::new();
        self.free_list_size -= 1;
    }

    /// `update_branch_counts`: the current path ended.
    pub(super) fn update_branch_counts(&mut self, cur: &VerifierState) {
        let mut next = cur.parent;
        while let Some(k) = next {
            let kept = &mut self.kept[k];
            kept.branches = kept.branches.saturating_sub(1);
            if kept.branches > 0 {
                break;
            }
            self.maybe_exit_scc(k);
            next = self.kept[k].st.parent;
            self.maybe_free(k);
        }
    }

    /// `clean_verifier_state`: forget what no instruction ahead reads.
    fn clean_verifier_state(&mut self, k: usize) {
        self.stack_live
            .query_init(&self.kept[k].st, &self.pre.subprogs);
        let nframes = self.kept[k].st.frame.len();
        let aux = &self.pre.cfg.aux;
        let calls_cb = |i: usize| aux.get(i).is_some_and(|a| a.calls_callback);
        for i in 0..nframes {
            let ip = frame_insn_idx(&self.kept[k].st, i);
            let live = self.live.get(ip).copied().unwrap_or(u16::MAX);
            let nslots = self.kept[k].st.frame[i].stack.len();
            let dead: Vec<usize> = (0..nslots)
                .filter(|&spi| !self.stack_live.slot_alive(i, spi, calls_cb))
                .collect();
            let frame = &mut self.kept[k].st.frame[i];
            for (r, reg) in frame.regs.iter_mut().enumerate().take(10) {
                if live & (1 << r) == 0 {
                    *reg = RegState::not_init();
                }
            }
            for spi in dead {
                frame.stack[spi] = StackSlot::default();
            }
        }
        self.kept[k].cleaned = true;
    }

    fn same_callsites(a: &VerifierState, b: &VerifierState) -> bool {
        a.frame.len() == b.frame.len()
            && a.frame
                .iter()
                .zip(b.frame.iter())
                .all(|(x, y)| x.callsite == y.callsite)
    }

    /// `clean_live_states`.
    fn clean_live_states(&mut self, key: (usize, usize), idx: usize, cur: &VerifierState) {
        let Some(list) = self.explored.get(&key) else {
            return;
        };
        let todo: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&k| {
                let s = &self.kept[k];
                s.branches == 0
                    && s.st.insn_idx == idx
                    && !s.cleaned
                    && Self::same_callsites(&s.st, cur)
            })
            .collect();
        for k in todo {
            if self.incomplete_read_marks(&self.kept[k].st) {
                continue;
            }
            self.clean_verifier_state(k);
        }
    }

    /// `find_prev_entry`: the most recent checkpoint at `idx` still on the path being
    /// explored (branches pending, same call chain), other than `cur`'s own parent: the
    /// state a loop through `idx` came around from.
    pub(super) fn find_prev_entry(&self, cur: &VerifierState, idx: usize) -> Option<usize> {
        let list = self.explored.get(&(idx, cur.cur().callsite))?;
        list.iter().rev().copied().find(|&k| {
            let s = &self.kept[k];
            Some(k) != cur.parent
                && s.st.insn_idx == idx
                && s.branches > 0
                && Self::same_callsites(&s.st, cur)
        })
    }

    /// `is_state_visited`: `Ok(true)` when an explored state covers `cur` (prune the path).
    pub(super) fn is_state_visited(&mut self, idx: usize, cur: &mut VerifierState) -> Res<bool> {
        let aux = self.aux(idx);
        let force_new_state = aux.force_checkpoint || cur.jmp_history.len() > 40;
        let mut add_new_state = force_new_state;
        if self.jmps_processed - self.prev_jmps_processed >= 2
            && self.stats.insns_processed - self.prev_insn_processed >= 8
        {
            add_new_state = true;
        }
        let key = (idx, cur.cur().callsite);
        self.clean_live_states(key, idx, cur);
        let list: Vec<usize> = match self.explored.get(&key) {
            Some(l) => l.clone(),
            None => Vec::new(),
        };
        let is_may_goto = self
            .insns
            .get(idx)
            .is_some_and(|i| i.code == 0xe5 && i.src == 0);
        let mut evicted = Vec::new();
        for &k in list.iter().rev() {
            if self.kept[k].st.insn_idx != idx {
                continue;
            }
            let mut is_loop = false;
            let hit = if self.kept[k].branches > 0 {
                let old = &self.kept[k].st;
                let cx = self.equiv_cx();
                let mut hit = false;
                if is_may_goto
                    && old.may_goto_depth != cur.may_goto_depth
                    && states_equal(&cx, old, cur, self.id_gen, Exact::RangeWithin)
                {
                    is_loop = true;
                    hit = true;
                } else if aux.calls_callback {
                    hit = states_equal(&cx, old, cur, self.id_gen, Exact::RangeWithin);
                } else if states_maybe_looping(old, cur)
                    && old.may_goto_depth == cur.may_goto_depth
                    && states_equal(&cx, old, cur, self.id_gen, Exact::Exact)
                {
                    return Err((
                        Errno::Inval,
                        format!("infinite loop detected at insn {idx}"),
                    ));
                }
                if !hit
                    && !force_new_state
                    && self.jmps_processed - self.prev_jmps_processed < 20
                    && self.stats.insns_processed - self.prev_insn_processed < 100
                {
                    add_new_state = false;
                }
                hit
            } else {
                is_loop = self.incomplete_read_marks(&self.kept[k].st);
                let exact = if is_loop {
                    Exact::RangeWithin
                } else {
                    Exact::NotExact
                };
                states_equal(&self.equiv_cx(), &self.kept[k].st, cur, self.id_gen, exact)
            };
            if hit {
                self.kept[k].hit_cnt += 1;
                if aux.jmp_point {
                    self.push_jmp_history(cur, 0);
                }
                let bt = super::backtrack::precise_marks(&self.kept[k].st);
                self.mark_chain_precision_bt(cur, bt);
                if is_loop {
                    let mut copy = cur.clone();
                    copy.insn_idx = idx;
                    if let Some(c) = self.scc_callchain(&self.kept[k].st)
                        && let Some(v) = self.scc_visits.get_mut(&c)
                    {
                        v.backedges.push((copy, k));
                        self.num_backedges += 1;
                        self.update_peak_states();
                    }
                }
                self.remove_evicted(key, &evicted);
                return Ok(true);
            }
            // miss
            let kept = &mut self.kept[k];
            if add_new_state {
                kept.miss_cnt += 1;
            }
            let n = if aux.force_checkpoint && kept.branches > 0 {
                64
            } else {
                3
            };
            if kept.miss_cnt > kept.hit_cnt * n + n {
                kept.in_free_list = true;
                evicted.push(k);
                self.explored_states_size -= 1;
                self.free_list_size += 1;
                self.maybe_free(k);
            }
        }
        self.remove_evicted(key, &evicted);
        self.max_states_per_insn = self.max_states_per_insn.max(list.len());
        if !self.env.bpf_capable && list.len() > BPF_COMPLEXITY_LIMIT_STATES {
            return Ok(false);
        }
        if !add_new_state {
            return Ok(false);
        }
        self.stats.total_states += 1;
        self.explored_states_size += 1;
        self.update_peak_states();
        self.prev_jmps_processed = self.jmps_processed;
        self.prev_insn_processed = self.stats.insns_processed;
        if self.env.bpf_capable {
            mark_all_scalars_imprecise(cur);
        }
        let mut new = cur.clone();
        new.insn_idx = idx;
        new.path = crate::verifier::state::BranchPath::default();
        let k = self.kept.len();
        self.kept.push(Kept {
            st: new,
            branches: 1,
            hit_cnt: 0,
            miss_cnt: 0,
            in_free_list: false,
            cleaned: false,
        });
        self.explored.entry(key).or_default().push(k);
        self.maybe_enter_scc(k);
        cur.parent = Some(k);
        cur.first_insn_idx = idx;
        cur.jmp_history.clear();
        Ok(false)
    }

    fn remove_evicted(&mut self, key: (usize, usize), evicted: &[usize]) {
        if evicted.is_empty() {
            return;
        }
        if let Some(list) = self.explored.get_mut(&key) {
            list.retain(|k| !evicted.contains(k));
        }
    }
}

/// `mark_all_scalars_imprecise`: a new checkpoint starts with no precision of its own.
fn mark_all_scalars_imprecise(st: &mut VerifierState) {
    for f in &mut st.frame {
        for r in f.regs.iter_mut().take(10) {
            if r.is_scalar() {
                r.precise = false;
            }
        }
        for s in &mut f.stack {
            if super::equiv::is_spilled_reg(s)
                && let Some(r) = s.spilled.as_mut()
                && r.is_scalar()
            {
                r.precise = false;
            }
        }
    }
}
