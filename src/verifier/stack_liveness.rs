//! Live stack slots (Linux 6.18's `kernel/bpf/liveness.c`): which 8-byte stack slots some
//! instruction at or after a given one may still read, so that states kept for pruning can
//! forget the dead ones (`clean_func_state`).
//!
//! `do_check` reports, per instruction, the slots it reads (`may_read`, a union over all
//! the paths seen) and the slots it fully writes (`must_write`, an intersection). They are
//! kept per *function instance*: the call chain (call sites plus the function's first
//! instruction) and, inside it, per frame of the chain, since a function can read its
//! callers' stacks through pointers. When a path ends or a function returns, the instances
//! on the path solve the usual backward data-flow equations
//!
//! ```text
//! live_after(i)  = U live_before(s) for s in successors(i)
//! live_before(i) = (live_after(i) - must_write(i)) U may_read(i)
//! ```
//!
//! and hand what a callee reads or surely writes of its callers' frames to the call
//! instruction of the calling instance.

use super::cfg::insn_successors;
use super::state::{MAX_CALL_FRAMES, VerifierState};
use super::subprog::Subprogs;
use crate::insn::RawInsn;
use std::collections::HashMap;

/// Per instruction and frame (`struct per_frame_masks`).
#[derive(Clone, Copy, Debug, Default)]
struct Masks {
    may_read: u64,
    must_write: u64,
    must_write_acc: u64,
    live_before: u64,
}

/// `struct func_instance`.
#[derive(Debug)]
struct Instance {
    /// Call sites (call instructions) of frames `0..curframe`, then the function's start.
    callchain: Vec<usize>,
    start: usize,
    frames: Vec<Option<Vec<Masks>>>,
    must_write_set: Vec<bool>,
    updated: bool,
    must_write_dropped: bool,
}

impl Instance {
    fn curframe(&self) -> usize {
        self.callchain.len() - 1
    }

    fn rel(&self, insn: usize) -> Option<usize> {
        insn.checked_sub(self.start)
            .filter(|&r| r < self.must_write_set.len())
    }

    fn masks(&self, frame: usize, insn: usize) -> Option<&Masks> {
        let r = self.rel(insn)?;
        self.frames.get(frame)?.as_ref()?.get(r)
    }

    fn masks_mut(&mut self, frame: usize, insn: usize) -> Option<&mut Masks> {
        let r = self.rel(insn)?;
        let n = self.must_write_set.len();
        let f = self.frames.get_mut(frame)?;
        f.get_or_insert_with(|| vec![Masks::default(); n])
            .get_mut(r)
    }
}

/// The analysis (`struct bpf_liveness`).
#[derive(Debug, Default)]
pub struct StackLiveness {
    instances: Vec<Instance>,
    by_chain: HashMap<Vec<usize>, usize>,
    cur: Option<usize>,
    write_acc: [u64; MAX_CALL_FRAMES],
    write_insn: usize,
    query: Vec<usize>,
    query_insn: usize,
}

/// The call chain of `st` seen from frame `frameno` (`compute_callchain`), in `buf` when
/// it fits (it does within `MAX_CALL_FRAMES`), so that looking up a known chain allocates
/// nothing.
fn callchain<'b>(
    st: &VerifierState,
    frameno: usize,
    subprogs: &Subprogs,
    buf: &'b mut [usize; MAX_CALL_FRAMES + 1],
    spill: &'b mut Vec<usize>,
) -> &'b [usize] {
    let sp = st.frame[frameno].subprogno;
    let start = subprogs.info.get(sp).map_or(0, |s| s.start);
    let site = |i: usize| st.frame[i + 1].callsite.saturating_sub(1);
    if frameno < buf.len() {
        for (i, b) in buf.iter_mut().enumerate().take(frameno) {
            *b = site(i);
        }
        buf[frameno] = start;
        return &buf[..=frameno];
    }
    spill.clear();
    spill.extend((0..frameno).map(site));
    spill.push(start);
    spill
}

impl StackLiveness {
    fn lookup_chain(&mut self, chain: &[usize], subprogs: &Subprogs) -> usize {
        if let Some(&i) = self.by_chain.get(chain) {
            return i;
        }
        let start = *chain.last().unwrap_or(&0);
        let len = subprogs
            .starting_at(start)
            .and_then(|s| subprogs.info.get(s))
            .map_or(1, |s| s.end.saturating_sub(s.start).max(1));
        let frames = vec![None; chain.len()];
        let i = self.instances.len();
        self.instances.push(Instance {
            callchain: chain.to_vec(),
            start,
            frames,
            must_write_set: vec![false; len],
            updated: false,
            must_write_dropped: false,
        });
        self.by_chain.insert(chain.to_vec(), i);
        i
    }

    fn lookup(&mut self, st: &VerifierState, frameno: usize, subprogs: &Subprogs) -> usize {
        let mut buf = [0; MAX_CALL_FRAMES + 1];
        let mut spill = Vec::new();
        let chain = callchain(st, frameno, subprogs, &mut buf, &mut spill);
        self.lookup_chain(chain, subprogs)
    }

    /// The current path changed function (call, return, another path): forget the cached
    /// instance (`bpf_reset_live_stack_callchain`).
    pub fn reset_cur(&mut self) {
        self.cur = None;
    }

    fn ensure_cur(&mut self, st: &VerifierState, subprogs: &Subprogs) -> usize {
        if let Some(c) = self.cur {
            return c;
        }
        let c = self.lookup(st, st.frame.len() - 1, subprogs);
        self.cur = Some(c);
        c
    }

    fn mark_read_in(&mut self, inst: usize, frame: usize, insn: usize, mask: u64) {
        let inst = &mut self.instances[inst];
        let Some(m) = inst.masks_mut(frame, insn) else {
            return;
        };
        let new = m.may_read | mask;
        let updated = new != m.may_read && (new | m.live_before) != m.live_before;
        m.may_read = new;
        if updated {
            inst.updated = true;
        }
    }

    /// `bpf_mark_stack_read`: instruction `insn` of the current path may read `mask`'s
    /// slots of frame `frame`.
    pub fn mark_read(
        &mut self,
        st: &VerifierState,
        subprogs: &Subprogs,
        frame: usize,
        insn: usize,
        mask: u64,
    ) {
        let c = self.ensure_cur(st, subprogs);
        self.mark_read_in(c, frame, insn, mask);
    }

    /// `bpf_reset_stack_write_marks`, before each instruction.
    pub fn reset_write_marks(&mut self, insn: usize) {
        self.write_insn = insn;
        self.write_acc = [0; MAX_CALL_FRAMES];
    }

    /// `bpf_mark_stack_write`: the instruction surely writes `mask`'s slots of `frame`.
    pub fn mark_write(&mut self, frame: usize, mask: u64) {
        if let Some(w) = self.write_acc.get_mut(frame) {
            *w |= mask;
        }
    }

    fn commit_in(&mut self, inst: usize) {
        let write_insn = self.write_insn;
        let acc = self.write_acc;
        let inst = &mut self.instances[inst];
        let Some(idx) = inst.rel(write_insn) else {
            return;
        };
        for (frame, &acc) in acc.iter().enumerate().take(inst.curframe() + 1) {
            let mut mask = acc;
            if mask == 0 && !inst.must_write_set[idx] {
                continue;
            }
            let seen = inst.must_write_set[idx];
            let Some(m) = inst.masks_mut(frame, write_insn) else {
                continue;
            };
            let old = m.must_write;
            if seen {
                mask &= old;
            }
            if old != mask {
                m.must_write = mask;
                inst.updated = true;
            }
            if old & !mask != 0 {
                inst.must_write_dropped = true;
            }
        }
        inst.must_write_set[idx] = true;
    }

    /// `bpf_commit_stack_write_marks`, after an instruction was checked.
    pub fn commit_write_marks(&mut self, st: &VerifierState, subprogs: &Subprogs) {
        let c = self.ensure_cur(st, subprogs);
        self.commit_in(c);
        self.write_insn = 0;
    }

    /// `update_instance`: the fixed point, then the marks for outer frames go to the caller.
    fn update_instance(&mut self, i: usize, insns: &[RawInsn], subprogs: &Subprogs) {
        let inst = &mut self.instances[i];
        let n = inst.must_write_set.len();
        if inst.must_write_dropped {
            for m in inst.frames.iter_mut().flatten().flat_map(|f| f.iter_mut()) {
                m.must_write_acc = 0;
            }
        }
        let start = inst.start;
        loop {
            let mut changed = false;
            for f in inst.frames.iter_mut().flatten() {
                for r in (0..n).rev() {
                    let (succ, k) = insn_successors(insns, start + r);
                    if k == 0 {
                        continue;
                    }
                    let mut after = 0u64;
                    let mut acc = u64::MAX;
                    for &s in &succ[..k] {
                        let Some(sm) = s.checked_sub(start).and_then(|sr| f.get(sr)) else {
                            continue;
                        };
                        after |= sm.live_before;
                        acc &= sm.must_write_acc;
                    }
                    let m = &mut f[r];
                    acc |= m.must_write;
                    let before = (after & !m.must_write) | m.may_read;
                    changed |= before != m.live_before || acc != m.must_write_acc;
                    m.live_before = before;
                    m.must_write_acc = acc;
                }
            }
            if !changed {
                break;
            }
        }
        inst.updated = false;
        inst.must_write_dropped = false;
        let cur = inst.curframe();
        if cur == 0 {
            return;
        }
        // propagate_to_outer_instance
        let mut outer_chain = inst.callchain[..cur].to_vec();
        let callsite = outer_chain[cur - 1];
        let per_frame: Vec<Option<(u64, u64)>> = (0..cur)
            .map(|f| {
                inst.masks(f, start)
                    .map(|m| (m.must_write_acc, m.live_before))
            })
            .collect();
        // The outer instance's chain ends with its own function's start.
        let outer_start = subprogs
            .containing(callsite)
            .and_then(|s| subprogs.info.get(s))
            .map_or(0, |s| s.start);
        outer_chain[cur - 1] = outer_start;
        let outer = self.lookup_chain(&outer_chain, subprogs);
        let saved = (self.write_insn, self.write_acc);
        self.reset_write_marks(callsite);
        for (f, m) in per_frame.into_iter().enumerate() {
            let Some((must, live)) = m else { continue };
            self.mark_write(f, must);
            self.mark_read_in(outer, f, callsite, live);
        }
        self.commit_in(outer);
        (self.write_insn, self.write_acc) = saved;
    }

    /// `bpf_update_live_stack`: solve the instances on `st`'s call chain that changed.
    pub fn update(&mut self, st: &VerifierState, insns: &[RawInsn], subprogs: &Subprogs) {
        self.cur = None;
        for frame in (0..st.frame.len()).rev() {
            let i = self.lookup(st, frame, subprogs);
            if self.instances[i].updated {
                self.update_instance(i, insns, subprogs);
            }
        }
    }

    /// `bpf_live_stack_query_init`: answer [`Self::slot_alive`] for `st`.
    pub fn query_init(&mut self, st: &VerifierState, subprogs: &Subprogs) {
        let mut query = std::mem::take(&mut self.query);
        query.clear();
        for f in 0..st.frame.len() {
            query.push(self.lookup(st, f, subprogs));
        }
        self.query = query;
        self.query_insn = st.insn_idx;
    }

    fn live_before(&self, inst: usize, insn: usize, frame: usize, spi: usize) -> bool {
        spi < 64
            && self.instances[inst]
                .masks(frame, insn)
                .is_some_and(|m| m.live_before & (1 << spi) != 0)
    }

    /// `bpf_stack_slot_alive`: may slot `spi` of frame `frameno` still be read, here or
    /// after some return? `calls_callback(insn)` says whether a call instruction calls a
    /// callback (then the slot must be live before it rather than after).
    pub fn slot_alive(
        &self,
        frameno: usize,
        spi: usize,
        calls_callback: impl Fn(usize) -> bool,
    ) -> bool {
        if spi >= 64 {
            return true;
        }
        let Some(&curi) = self.query.last() else {
            return true;
        };
        if self.live_before(curi, self.query_insn, frameno, spi) {
            return true;
        }
        let chain = &self.instances[curi].callchain;
        let outer = self.query.len() - 1;
        for (&callsite, &inst) in chain
            .iter()
            .zip(self.query.iter())
            .take(outer)
            .skip(frameno)
        {
            let alive = if calls_callback(callsite) {
                self.live_before(inst, callsite, frameno, spi)
            } else {
                self.live_before(inst, callsite + 1, frameno, spi)
            };
            if alive {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::subprog::SubprogInfo;

    fn one_function(n: usize) -> Subprogs {
        Subprogs {
            info: vec![SubprogInfo {
                start: 0,
                end: n,
                ..SubprogInfo::default()
            }],
            ..Subprogs::default()
        }
    }

    #[test]
    fn a_slot_read_later_is_alive_and_dies_once_overwritten() {
        // 0: r0 = 0; 1: *(u64 *)(r10 - 8) = r0; 2: r0 = *(u64 *)(r10 - 8); 3: exit
        let insns = [
            RawInsn::new(0xb7, 0, 0, 0, 0),
            RawInsn::new(0x7b, 10, 0, -8, 0),
            RawInsn::new(0x79, 0, 10, -8, 0),
            RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        let sp = one_function(4);
        let st = VerifierState::initial();
        let mut l = StackLiveness::default();
        for i in 0..4 {
            l.reset_write_marks(i);
            if i == 1 {
                l.mark_write(0, 1);
            }
            if i == 2 {
                l.mark_read(&st, &sp, 0, 2, 1);
            }
            l.commit_write_marks(&st, &sp);
        }
        l.update(&st, &insns, &sp);
        let alive_at = |l: &mut StackLiveness, at: usize| {
            let mut s = VerifierState::initial();
            s.insn_idx = at;
            l.query_init(&s, &sp);
            l.slot_alive(0, 0, |_| false)
        };
        assert!(!alive_at(&mut l, 0));
        assert!(!alive_at(&mut l, 1));
        assert!(alive_at(&mut l, 2));
        assert!(!alive_at(&mut l, 3));
    }
}
