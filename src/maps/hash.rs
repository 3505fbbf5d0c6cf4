//! The hash family: `hash`, `percpu_hash`, `lru_hash`, `lru_percpu_hash`, and the storage of
//! `hash_of_maps` and `devmap_hash`. Keys live in a Rust `HashMap` that names each element's
//! slot; values live in preallocated arena slots (`copies` rounded values per slot) that a
//! deleted element returns to a LIFO free list, so a later insert may reuse them, as in the
//! kernel's preallocated maps.
//!
//! Kernel behaviours kept on purpose:
//! - Updating a present key of a plain hash (or an LRU hash) writes the new value into a
//!   *different* slot and frees the old one (`htab_map_update_elem` swaps in the CPU's spare
//!   "extra" element; the LRU pops a fresh node). An address a program got from an earlier
//!   lookup keeps the old value until that slot is reused. Per-CPU maps update in place.
//! - An LRU update takes its new node *before* looking the key up, so updating a key of a full
//!   LRU map evicts the least recently used element even when the key was present (confirmed
//!   on 6.18: in a full 4-entry LRU hash filled with keys 0..4, updating key 1 leaves 3
//!   elements, key 0 gone).
//!
//! Iteration order (`get_next_key`): keys in the order they were inserted; updating a present
//! key keeps its place; a deleted and re-inserted key goes last. As in the kernel, a key that
//! is not in the map restarts the walk at the first key. (The kernel walks its buckets, an
//! order that depends on a random hash seed.)
//!
//! LRU order: exact least-recently-used. An element is "used" when it is inserted, updated, or
//! looked up by a program; user-space lookups (`lookup_user`) do not count, as in the kernel.
//! The victim is the element used longest ago, evicted only when no free node is left. The
//! kernel's LRU is an approximation of this (active/inactive lists with reference bits, per-CPU
//! free-node caches, and batch shrinking of up to 128 nodes); the exact order here is what the
//! tests and the documentation promise; it agrees with the kernel on small maps, while the
//! kernel's batch shrinking evicts many elements at once in large ones (a full 300-entry map
//! lost 74 on that same update). With `BPF_F_NO_COMMON_LRU` each CPU has its own list:
//! `max_entries` (rounded up to a multiple of the CPU count, as the kernel does) nodes split
//! evenly, an insert on CPU `c` takes and evicts only nodes of CPU `c`'s list, and user-space
//! inserts count as CPU 0.

use std::collections::{BTreeMap, HashMap};

use super::arena::{Arena, ValueRegion};
use super::errno::Errno;
use super::flags::{BPF_EXIST, BPF_F_LOCK};
use super::pool::SlotPool;
use super::value::{Lock, check_exist, round8};

/// Which member of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashKind {
    Plain,
    Percpu,
    Lru,
    LruPercpu,
}

#[derive(Clone, Copy, Debug)]
struct Elem {
    slot: usize,
    /// Insertion sequence number: the iteration order.
    seq: u64,
    /// Last use (LRU maps).
    tick: u64,
}

#[derive(Debug)]
pub(crate) struct HashTable {
    kind: HashKind,
    key_size: usize,
    value_size: usize,
    elem: usize,
    copies: usize,
    arena: Arena,
    index: HashMap<Vec<u8>, Elem>,
    order: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
    /// Free slots per LRU list (one list unless `BPF_F_NO_COMMON_LRU`).
    free: Vec<SlotPool>,
    /// Elements per LRU list by last use.
    recency: Vec<BTreeMap<u64, Vec<u8>>>,
    tick: u64,
    /// Slots per LRU list.
    per_list: usize,
    /// Plain hash: each CPU's spare slot for replacing a present key.
    extra: Vec<usize>,
}

impl HashTable {
    /// A table of `max_entries` elements; `per_cpu_lru` gives each of `ncpus` CPUs its own LRU
    /// list (the caller has already rounded `max_entries` to a multiple of `ncpus`).
    pub(crate) fn new(
        kind: HashKind,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
        ncpus: usize,
        per_cpu_lru: bool,
    ) -> Result<Self, Errno> {
        let max_entries = max_entries as usize;
        let percpu = matches!(kind, HashKind::Percpu | HashKind::LruPercpu);
        let copies = if percpu { ncpus } else { 1 };
        let spares = if kind == HashKind::Plain { ncpus } else { 0 };
        let nslots = max_entries.checked_add(spares).ok_or(Errno::ENOMEM)?;
        let elem = round8(value_size as usize);
        let bytes = nslots
            .checked_mul(copies)
            .and_then(|n| n.checked_mul(elem))
            .ok_or(Errno::ENOMEM)?;
        let lists = if per_cpu_lru { ncpus.max(1) } else { 1 };
        let per_list = max_entries.div_ceil(lists).max(1);
        let free = (0..lists)
            .map(|l| {
                let end = if l + 1 == lists {
                    max_entries
                } else {
                    (l + 1) * per_list
                };
                SlotPool::new((l * per_list).min(max_entries), end.min(max_entries))
            })
            .collect();
        Ok(HashTable {
            kind,
            key_size: key_size as usize,
            value_size: value_size as usize,
            elem,
            copies,
            arena: Arena::new(bytes)?,
            index: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            free,
            recency: vec![BTreeMap::new(); lists],
            tick: 0,
            per_list,
            extra: (max_entries..nslots).collect(),
        })
    }

    fn is_lru(&self) -> bool {
        matches!(self.kind, HashKind::Lru | HashKind::LruPercpu)
    }

    fn is_percpu(&self) -> bool {
        matches!(self.kind, HashKind::Percpu | HashKind::LruPercpu)
    }

    /// The LRU list a slot belongs to for good.
    fn list_of(&self, slot: usize) -> usize {
        (slot / self.per_list).min(self.free.len() - 1)
    }

    /// The LRU list an insert on `cpu` draws from.
    fn list_for(&self, cpu: usize) -> usize {
        if self.free.len() > 1 {
            cpu % self.free.len()
        } else {
            0
        }
    }

    fn off(&self, slot: usize, copy: usize) -> usize {
        (slot * self.copies + copy) * self.elem
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    fn check_key(&self, key: &[u8]) -> Result<(), Errno> {
        if key.len() == self.key_size {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }

    fn copy_for(&self, cpu: usize) -> Result<usize, Errno> {
        if !self.is_percpu() {
            Ok(0)
        } else if cpu < self.copies {
            Ok(cpu)
        } else {
            Err(Errno::EINVAL)
        }
    }

    /// The slot holding `key`'s value.
    pub(crate) fn find(&self, key: &[u8]) -> Option<usize> {
        self.index.get(key).map(|e| e.slot)
    }

    /// Marks `key` as just used.
    fn touch(&mut self, key: &[u8]) {
        if !self.is_lru() {
            return;
        }
        self.tick += 1;
        let tick = self.tick;
        let Some(e) = self.index.get_mut(key) else {
            return;
        };
        let old = std::mem::replace(&mut e.tick, tick);
        let list = (e.slot / self.per_list).min(self.free.len() - 1);
        self.recency[list].remove(&old);
        self.recency[list].insert(tick, key.to_vec());
    }

    /// Adds `key` at `slot`, or moves a present `key` to `slot` (keeping its place in the
    /// iteration order).
    fn link(&mut self, key: &[u8], slot: usize) {
        if let Some(e) = self.index.get(key).copied() {
            let list = self.list_of(e.slot);
            self.recency[list].remove(&e.tick);
            if let Some(e) = self.index.get_mut(key) {
                e.slot = slot;
            }
        } else {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.order.insert(seq, key.to_vec());
            self.index.insert(key.to_vec(), Elem { slot, seq, tick: 0 });
        }
        self.touch(key);
    }

    /// Removes `key`; returns its slot (not yet freed).
    fn unlink(&mut self, key: &[u8]) -> Option<usize> {
        let e = self.index.remove(key)?;
        self.order.remove(&e.seq);
        if self.is_lru() {
            let list = self.list_of(e.slot);
            self.recency[list].remove(&e.tick);
        }
        Some(e.slot)
    }

    fn free_slot(&mut self, slot: usize) {
        let list = self.list_of(slot);
        self.free[list].push(slot);
    }

    /// `prealloc_lru_pop()`: a free node of `list`, else the slot of its least recently used
    /// element, which is deleted.
    fn lru_pop(&mut self, list: usize) -> Result<usize, Errno> {
        if let Some(slot) = self.free[list].pop() {
            return Ok(slot);
        }
        let victim = self.recency[list]
            .first_key_value()
            .map(|(_, k)| k.clone())
            .ok_or(Errno::ENOMEM)?;
        self.unlink(&victim).ok_or(Errno::ENOMEM)
    }

    /// Writes the value of a new or updated element: `onall` = every CPU's rounded copy (user
    /// space), else the value for CPU `copy` (and, for a new per-CPU element, zeroes elsewhere).
    fn write(
        &mut self,
        slot: usize,
        copy: usize,
        value: &[u8],
        onall: bool,
        fresh: bool,
        lock: Lock,
    ) {
        if onall && self.is_percpu() {
            let off = self.off(slot, 0);
            self.arena.write(off, value);
            return;
        }
        if fresh && self.is_percpu() {
            let off = self.off(slot, 0);
            self.arena.fill(off, self.elem * self.copies, 0);
        }
        let off = self.off(slot, copy);
        lock.write(&mut self.arena, off, value);
    }

    /// The length a value passed to an update must have.
    fn value_len(&self, onall: bool) -> usize {
        if onall && self.is_percpu() {
            self.elem * self.copies
        } else {
            self.value_size
        }
    }

    /// `BPF_MAP_UPDATE_ELEM`: `cpu` is the program's CPU (0 from user space); `onall` is set
    /// for user-space updates, whose per-CPU values carry every CPU's copy.
    pub(crate) fn update(
        &mut self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: usize,
        onall: bool,
        lock: Lock,
    ) -> Result<(), Errno> {
        let lock_ok = self.kind == HashKind::Plain;
        let unknown = if lock_ok { flags & !BPF_F_LOCK } else { flags };
        if unknown > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        if lock_ok {
            lock.check(flags)?;
        }
        self.check_key(key)?;
        let copy = if onall { 0 } else { self.copy_for(cpu)? };
        if value.len() != self.value_len(onall) {
            return Err(Errno::EINVAL);
        }
        match self.kind {
            HashKind::Plain => {
                let old = self.find(key);
                check_exist(old.is_some(), flags)?;
                if let (Some(slot), true) = (old, flags & BPF_F_LOCK != 0) {
                    self.write(slot, 0, value, onall, false, lock);
                    return Ok(());
                }
                let spare = cpu % self.extra.len().max(1);
                let slot = match old {
                    Some(o) if !self.extra.is_empty() => {
                        std::mem::replace(&mut self.extra[spare], o)
                    }
                    Some(o) => o,
                    None => self.free[0].pop().ok_or(Errno::E2BIG)?,
                };
                self.write(slot, 0, value, onall, true, lock);
                self.link(key, slot);
                Ok(())
            }
            HashKind::Percpu => {
                let old = self.find(key);
                check_exist(old.is_some(), flags)?;
                let (slot, fresh) = match old {
                    Some(s) => (s, false),
                    None => (self.free[0].pop().ok_or(Errno::E2BIG)?, true),
                };
                self.write(slot, copy, value, onall, fresh, lock);
                if fresh {
                    self.link(key, slot);
                }
                Ok(())
            }
            HashKind::Lru => {
                let list = self.list_for(cpu);
                let slot = self.lru_pop(list)?;
                let old = self.find(key);
                if let Err(e) = check_exist(old.is_some(), flags) {
                    self.free_slot(slot);
                    return Err(e);
                }
                self.write(slot, 0, value, onall, true, lock);
                self.link(key, slot);
                if let Some(o) = old {
                    self.free_slot(o);
                }
                Ok(())
            }
            HashKind::LruPercpu => {
                let list = self.list_for(cpu);
                let new = if flags != BPF_EXIST {
                    Some(self.lru_pop(list)?)
                } else {
                    None
                };
                let old = self.find(key);
                if let Err(e) = check_exist(old.is_some(), flags) {
                    if let Some(n) = new {
                        self.free_slot(n);
                    }
                    return Err(e);
                }
                match (old, new) {
                    (Some(o), new) => {
                        self.touch(key);
                        self.write(o, copy, value, onall, false, lock);
                        if let Some(n) = new {
                            self.free_slot(n);
                        }
                    }
                    (None, Some(n)) => {
                        self.write(n, copy, value, onall, true, lock);
                        self.link(key, n);
                    }
                    // check_exist refused BPF_EXIST on a missing key.
                    (None, None) => return Err(Errno::ENOENT),
                }
                Ok(())
            }
        }
    }

    /// Inserts `key` or overwrites its value in place, failing with `E2BIG` when full
    /// (`devmap_hash`, whose flags the caller checks).
    pub(crate) fn upsert_in_place(&mut self, key: &[u8], value: &[u8]) -> Result<(), Errno> {
        self.check_key(key)?;
        match self.find(key) {
            Some(slot) => {
                let off = self.off(slot, 0);
                self.arena.write(off, value);
            }
            None => {
                let slot = self.free[0].pop().ok_or(Errno::E2BIG)?;
                let off = self.off(slot, 0);
                self.arena.fill(off, self.elem, 0);
                self.arena.write(off, value);
                self.link(key, slot);
            }
        }
        Ok(())
    }

    /// A program's lookup: the address of this CPU's copy; LRU elements become most recent.
    pub(crate) fn lookup(&mut self, key: &[u8], cpu: usize) -> Option<u64> {
        let slot = self.find(key)?;
        let copy = self.copy_for(cpu).ok()?;
        self.touch(key);
        Some(self.arena.addr() + self.off(slot, copy) as u64)
    }

    /// `BPF_MAP_LOOKUP_ELEM`: the value, or every CPU's rounded copy; no LRU update.
    pub(crate) fn lookup_user(&self, key: &[u8], lock: Lock) -> Result<Vec<u8>, Errno> {
        self.check_key(key)?;
        let slot = self.find(key).ok_or(Errno::ENOENT)?;
        if self.is_percpu() {
            Ok(self
                .arena
                .to_vec(self.off(slot, 0), self.elem * self.copies))
        } else {
            Ok(lock.read(&self.arena, self.off(slot, 0), self.value_size))
        }
    }

    /// The first 4 bytes of `key`'s value (map-in-map and devmap_hash storage).
    pub(crate) fn read_u32(&self, key: &[u8]) -> Option<u32> {
        let slot = self.find(key)?;
        Some(self.arena.read_u32(self.off(slot, 0)))
    }

    pub(crate) fn delete(&mut self, key: &[u8]) -> Result<(), Errno> {
        self.check_key(key)?;
        let slot = self.unlink(key).ok_or(Errno::ENOENT)?;
        self.free_slot(slot);
        Ok(())
    }

    /// The iteration order documented above.
    pub(crate) fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        let after = key.and_then(|k| self.index.get(k)).map(|e| e.seq);
        let next = match after {
            Some(seq) => self.order.range(seq + 1..).next(),
            None => self.order.iter().next(),
        };
        next.map(|(_, k)| k.clone()).ok_or(Errno::ENOENT)
    }

    pub(crate) fn regions(&self, writable: bool) -> Vec<ValueRegion> {
        vec![ValueRegion {
            start: self.arena.addr(),
            len: self.arena.len() as u64,
            stride: self.elem as u64,
            elem_size: self.value_size as u64,
            writable,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::flags::{BPF_ANY, BPF_NOEXIST};

    fn k(i: u32) -> Vec<u8> {
        i.to_ne_bytes().to_vec()
    }

    fn table(kind: HashKind, max: u32) -> HashTable {
        HashTable::new(kind, 4, 8, max, 2, false).expect("table")
    }

    fn up(t: &mut HashTable, key: u32, v: u8, flags: u64) -> Result<(), Errno> {
        t.update(&k(key), &[v; 8], flags, 0, false, Lock(None))
    }

    /// Confirmed with `bpf(BPF_MAP_UPDATE_ELEM)` on a 2-entry hash on the 6.18 kernel.
    #[test]
    fn hash_flags_matrix() {
        let mut t = table(HashKind::Plain, 2);
        assert_eq!(up(&mut t, 1, 1, BPF_ANY), Ok(()));
        assert_eq!(up(&mut t, 2, 2, BPF_ANY), Ok(()));
        assert_eq!(up(&mut t, 3, 3, BPF_ANY), Err(Errno::E2BIG));
        assert_eq!(
            up(&mut t, 1, 4, BPF_ANY),
            Ok(()),
            "replacing works when full"
        );
        assert_eq!(up(&mut t, 3, 3, BPF_EXIST), Err(Errno::ENOENT));
        assert_eq!(up(&mut t, 1, 3, BPF_NOEXIST), Err(Errno::EEXIST));
        assert_eq!(up(&mut t, 1, 3, BPF_F_LOCK), Err(Errno::EINVAL));
        assert_eq!(up(&mut t, 1, 3, 3), Err(Errno::EINVAL));
        assert_eq!(up(&mut t, 1, 3, 8), Err(Errno::EINVAL));
        assert_eq!(t.delete(&k(7)), Err(Errno::ENOENT));
        assert_eq!(t.lookup_user(&k(1), Lock(None)), Ok(vec![4; 8]));
        let mut l = table(HashKind::Lru, 2);
        assert_eq!(up(&mut l, 1, 1, BPF_F_LOCK), Err(Errno::EINVAL));
        let mut p = table(HashKind::Percpu, 2);
        assert_eq!(up(&mut p, 1, 1, BPF_F_LOCK), Err(Errno::EINVAL));
    }

    #[test]
    fn replacing_moves_the_value_and_keeps_the_old_copy() {
        let mut t = table(HashKind::Plain, 4);
        up(&mut t, 1, 1, BPF_ANY).expect("insert");
        let a = t.lookup(&k(1), 0).expect("present");
        up(&mut t, 1, 2, BPF_ANY).expect("update");
        let b = t.lookup(&k(1), 0).expect("present");
        assert_ne!(a, b);
        assert_eq!(t.arena.to_vec((a - t.arena.addr()) as usize, 8), vec![1; 8]);
        assert_eq!(t.len(), 1);
        // The percpu hash updates in place.
        let mut p = table(HashKind::Percpu, 4);
        up(&mut p, 1, 1, BPF_ANY).expect("insert");
        let a = p.lookup(&k(1), 0);
        up(&mut p, 1, 2, BPF_ANY).expect("update");
        assert_eq!(p.lookup(&k(1), 0), a);
    }

    #[test]
    fn walk_order_is_insertion_order_and_missing_key_restarts() {
        let mut t = table(HashKind::Plain, 8);
        for i in [5, 3, 9] {
            up(&mut t, i, 0, BPF_ANY).expect("insert");
        }
        up(&mut t, 5, 1, BPF_ANY).expect("update keeps place");
        assert_eq!(t.get_next_key(None), Ok(k(5)));
        assert_eq!(t.get_next_key(Some(&k(5))), Ok(k(3)));
        assert_eq!(t.get_next_key(Some(&k(3))), Ok(k(9)));
        assert_eq!(t.get_next_key(Some(&k(9))), Err(Errno::ENOENT));
        assert_eq!(t.get_next_key(Some(&k(77))), Ok(k(5)));
        t.delete(&k(5)).expect("delete");
        up(&mut t, 5, 0, BPF_ANY).expect("insert");
        assert_eq!(t.get_next_key(Some(&k(9))), Ok(k(5)));
        let empty = table(HashKind::Plain, 8);
        assert_eq!(empty.get_next_key(None), Err(Errno::ENOENT));
    }

    #[test]
    fn lru_evicts_least_recently_used() {
        let mut t = table(HashKind::Lru, 3);
        for i in 1..=3 {
            up(&mut t, i, i as u8, BPF_ANY).expect("insert");
        }
        // Program lookups count as use; user lookups do not.
        assert!(t.lookup(&k(1), 0).is_some());
        t.lookup_user(&k(2), Lock(None)).expect("present");
        up(&mut t, 4, 4, BPF_ANY).expect("evicts 2");
        assert_eq!(t.find(&k(2)), None);
        assert!(t.find(&k(1)).is_some() && t.find(&k(3)).is_some());
        // Updating a present key of a full LRU map still takes a node first: 3 is evicted.
        up(&mut t, 1, 9, BPF_ANY).expect("update");
        assert_eq!(t.find(&k(3)), None);
        assert_eq!(t.len(), 2);
        // A refused update still evicted its victim (the kernel allocates first).
        up(&mut t, 5, 5, BPF_ANY).expect("insert");
        assert_eq!(up(&mut t, 1, 0, BPF_NOEXIST), Err(Errno::EEXIST));
        assert_eq!(t.find(&k(4)), None);
        assert_eq!(t.len(), 2);
    }

    /// The scenario run with the bpf() syscall on 6.18 (see the module documentation).
    #[test]
    fn lru_update_of_a_present_key_when_full_matches_the_kernel() {
        let mut t = table(HashKind::Lru, 4);
        for i in 0..4 {
            up(&mut t, i, 0, BPF_ANY).expect("insert");
        }
        up(&mut t, 1, 1, BPF_ANY).expect("update");
        assert_eq!(t.len(), 3);
        assert_eq!(t.find(&k(0)), None);
        up(&mut t, 9, 1, BPF_ANY).expect("insert");
        assert_eq!(t.len(), 4);
        assert_eq!(t.find(&k(0)), None);
    }

    /// Run on 6.18 with a program calling bpf_map_lookup_elem (BPF_PROG_TEST_RUN) between
    /// user-space inserts into a full 4-entry LRU hash holding keys 0..4.
    #[test]
    fn lru_victims_match_the_kernel_after_program_lookups() {
        for (touched, first_victim, second_victim) in [(0, 1, 2), (2, 0, 1)] {
            let mut t = table(HashKind::Lru, 4);
            for i in 0..4 {
                up(&mut t, i, 0, BPF_ANY).expect("insert");
            }
            assert!(t.lookup(&k(touched), 0).is_some());
            up(&mut t, 9, 0, BPF_ANY).expect("insert");
            assert_eq!(t.find(&k(first_victim)), None);
            assert_eq!(t.len(), 4);
            up(&mut t, 10, 0, BPF_ANY).expect("insert");
            assert_eq!(t.find(&k(second_victim)), None);
        }
    }

    #[test]
    fn uneven_lru_lists_stay_inside_the_arena() {
        // 5 nodes over 4 lists of 2: the last list is empty, and inserting from its CPU finds
        // no node (ENOMEM, the failure the kernel's rounding of max_entries avoids).
        let mut t = HashTable::new(HashKind::Lru, 4, 8, 5, 4, true).expect("table");
        for key in 0..20 {
            let cpu = key as usize % 4;
            let got = t.update(&k(key), &[0; 8], BPF_ANY, cpu, false, Lock(None));
            assert_eq!(got.is_err(), cpu == 3, "key {key}");
        }
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn per_cpu_lru_lists_evict_within_the_cpu() {
        let mut t = HashTable::new(HashKind::Lru, 4, 8, 4, 2, true).expect("table");
        for (key, cpu) in [(1, 0), (2, 0), (3, 1), (4, 1)] {
            t.update(&k(key), &[0; 8], BPF_ANY, cpu, false, Lock(None))
                .expect("insert");
        }
        t.update(&k(5), &[0; 8], BPF_ANY, 1, false, Lock(None))
            .expect("insert on cpu 1 evicts from cpu 1's list");
        assert_eq!(t.find(&k(3)), None);
        assert!(t.find(&k(1)).is_some());
    }

    #[test]
    fn lru_percpu_updates_in_place_and_exist_takes_no_node() {
        let mut t = table(HashKind::LruPercpu, 2);
        up(&mut t, 1, 1, BPF_ANY).expect("insert");
        up(&mut t, 2, 2, BPF_ANY).expect("insert");
        let a = t.lookup(&k(1), 0);
        up(&mut t, 1, 3, BPF_EXIST).expect("update without eviction");
        assert_eq!(t.len(), 2);
        assert_eq!(t.lookup(&k(1), 0), a);
        // Without BPF_EXIST a node is popped first: key 2 (least recent) goes.
        up(&mut t, 1, 4, BPF_ANY).expect("update");
        assert_eq!(t.find(&k(2)), None);
        assert_eq!(t.lookup(&k(1), 0), a);
    }

    #[test]
    fn percpu_insert_zeroes_other_cpus() {
        let mut t = table(HashKind::Percpu, 2);
        t.update(&k(1), &[0xaa; 8], BPF_ANY, 1, false, Lock(None))
            .expect("insert");
        let all = t.lookup_user(&k(1), Lock(None)).expect("present");
        assert_eq!(all, [[0u8; 8], [0xaa; 8]].concat());
        let v: Vec<u8> = (0..16).collect();
        t.update(&k(1), &v, BPF_ANY, 0, true, Lock(None))
            .expect("user update");
        assert_eq!(t.lookup_user(&k(1), Lock(None)), Ok(v));
        assert_eq!(
            t.update(&k(1), &[0; 8], BPF_ANY, 0, true, Lock(None)),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn deleted_slots_are_reused() {
        let mut t = table(HashKind::Plain, 2);
        up(&mut t, 1, 1, BPF_ANY).expect("insert");
        let a = t.lookup(&k(1), 0);
        t.delete(&k(1)).expect("delete");
        up(&mut t, 2, 2, BPF_ANY).expect("insert");
        assert_eq!(t.lookup(&k(2), 0), a);
    }
}
