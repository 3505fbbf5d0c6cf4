//! State pruning (`is_state_visited`): the states kept at prune points and the check that
//! an explored one covers the current path.

use super::*;

impl Walker<'_> {
    /// `is_state_visited`: true when an explored state covers `st` (prune the path).
    pub(super) fn visited(&mut self, idx: usize, st: &VerifierState) -> bool {
        let list = self.explored.entry(idx).or_default();
        if list
            .iter()
            .any(|old| old.equal(st) && scalar_ids::scalar_ids_consistent(old, st))
        {
            return true;
        }
        // A first bound on the states kept per instruction, until the kernel's eviction
        // heuristics are modelled: comparing against every kept state is quadratic.
        if list.len() < 64 {
            let mut copy = st.clone();
            copy.path.clear();
            // clean_live_states: dead registers of the kept state match anything.
            let nframes = copy.frame.len();
            for (i, frame) in copy.frame.iter_mut().enumerate() {
                let at = if i + 1 == nframes {
                    idx
                } else {
                    st.frame[i + 1].callsite
                };
                let mask = self.live.get(at).copied().unwrap_or(u16::MAX)
                    & if i + 1 == nframes {
                        u16::MAX
                    } else {
                        !0b11_1111
                    };
                for (r, reg) in frame.regs.iter_mut().enumerate().take(10) {
                    if mask & (1 << r) == 0 {
                        *reg = RegState::not_init();
                    }
                }
            }
            list.push(copy);
            self.stats.total_states += 1;
            self.stats.peak_states = self.stats.peak_states.max(self.stats.total_states);
        }
        false
    }
}
