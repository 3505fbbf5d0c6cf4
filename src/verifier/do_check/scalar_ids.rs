//! `check_scalar_ids` for pruning: scalars that share an id (copies by `rX = rY` and
//! spills, see `sync_linked_regs`) in an explored state must be linked the same way in the
//! current one, or a branch that refined them together there would not here.
//!
//! Ids are handed out afresh on every path, so they are compared through a bijection
//! (the kernel's `bpf_idmap`), not by value. A current scalar without an id gets a
//! temporary one of its own.

use super::*;

/// The kernel's `check_ids`: `old` ↔ `cur` is consistent with the pairs seen so far.
#[derive(Default)]
struct IdMap {
    pairs: Vec<(u32, u32)>,
    tmp: u32,
}

impl IdMap {
    fn check(&mut self, old: u32, cur: u32) -> bool {
        use super::alu::BPF_ADD_CONST;
        if old & BPF_ADD_CONST != cur & BPF_ADD_CONST {
            return false;
        }
        let cur = if cur == 0 {
            self.tmp += 1;
            u32::MAX - self.tmp
        } else {
            cur
        };
        for &(o, c) in &self.pairs {
            if o == old {
                return c == cur;
            }
            if c == cur {
                return false;
            }
        }
        self.pairs.push((old, cur));
        true
    }
}

/// `o` and `c` are linked alike: the ids map, and a constant delta (`BPF_ADD_CONST`) is
/// the same.
fn linked_alike(map: &mut IdMap, o: &RegState, c: &RegState) -> bool {
    use super::alu::BPF_ADD_CONST;
    map.check(o.id, c.id) && (o.id & BPF_ADD_CONST == 0 || o.off == c.off)
}

/// Whether every linked scalar of `old` (the explored state) maps to one set of linked
/// scalars of `cur`.
pub(super) fn scalar_ids_consistent(old: &VerifierState, cur: &VerifierState) -> bool {
    let mut map = IdMap::default();
    for (fo, fc) in old.frame.iter().zip(cur.frame.iter()) {
        for (o, c) in fo.regs.iter().zip(fc.regs.iter()) {
            if o.is_scalar() && o.id != 0 && c.is_scalar() && !linked_alike(&mut map, o, c) {
                return false;
            }
        }
        for (so, sc) in fo.stack.iter().zip(fc.stack.iter()) {
            if let (Some(o), Some(c)) = (&so.spilled, &sc.spilled)
                && o.is_scalar()
                && o.id != 0
                && c.is_scalar()
                && !linked_alike(&mut map, o, c)
            {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(ids: &[u32]) -> VerifierState {
        let mut st = VerifierState::initial();
        for (i, &id) in ids.iter().enumerate() {
            st.cur_mut().regs[i] = RegState {
                id,
                ..RegState::unknown()
            };
        }
        st
    }

    #[test]
    fn links_must_map_one_to_one() {
        // Renamed ids are fine.
        assert!(scalar_ids_consistent(
            &state(&[5, 5, 0]),
            &state(&[9, 9, 3])
        ));
        // Linked in the old state, not now.
        assert!(!scalar_ids_consistent(&state(&[5, 5]), &state(&[9, 0])));
        assert!(!scalar_ids_consistent(&state(&[5, 5]), &state(&[9, 8])));
        // Two old links may not become one.
        assert!(!scalar_ids_consistent(&state(&[5, 6]), &state(&[9, 9])));
        // Not linked before: anything goes.
        assert!(scalar_ids_consistent(&state(&[0, 0]), &state(&[9, 9])));
        // A constant delta must be the same one.
        let flag = super::super::alu::BPF_ADD_CONST;
        let mut old = state(&[5, 5 | flag]);
        let mut cur = state(&[9, 9 | flag]);
        old.cur_mut().regs[1].off = 4;
        cur.cur_mut().regs[1].off = 4;
        assert!(scalar_ids_consistent(&old, &cur));
        cur.cur_mut().regs[1].off = 8;
        assert!(!scalar_ids_consistent(&old, &cur));
    }
}
