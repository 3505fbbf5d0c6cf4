//! `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY` (and global data, which is an array of
//! one element): `max_entries` preallocated, zeroed elements that always exist. Element `i`'s
//! copy for CPU `c` sits at `(i * copies + c) * round_up(value_size, 8)`, `copies` being 1, or
//! the CPU count for per-CPU arrays.

use super::arena::{Arena, ValueRegion};
use super::errno::Errno;
use super::flags::{BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST};
use super::value::{Lock, key_index, round8};

#[derive(Debug)]
pub(crate) struct ArrayMap {
    arena: Arena,
    max_entries: u32,
    value_size: usize,
    elem: usize,
    copies: usize,
    percpu: bool,
}

impl ArrayMap {
    /// A per-CPU array when `percpu` (one copy per CPU of `ncpus`), else a plain array.
    pub(crate) fn new(
        max_entries: u32,
        value_size: u32,
        percpu: bool,
        ncpus: usize,
    ) -> Result<Self, Errno> {
        let copies = if percpu { ncpus } else { 1 };
        let value_size = value_size as usize;
        let elem = round8(value_size);
        let bytes = (max_entries as usize)
            .checked_mul(copies)
            .and_then(|n| n.checked_mul(elem))
            .ok_or(Errno::ENOMEM)?;
        Ok(ArrayMap {
            arena: Arena::new(bytes)?,
            max_entries,
            value_size,
            elem,
            copies,
            percpu,
        })
    }

    fn index(&self, key: &[u8]) -> Option<usize> {
        key_index(key)
            .filter(|&i| i < self.max_entries)
            .map(|i| i as usize)
    }

    fn off(&self, i: usize, cpu: usize) -> usize {
        (i * self.copies + cpu) * self.elem
    }

    /// The copy a program on `cpu` sees: its own for per-CPU arrays, the only one otherwise.
    fn copy_of(&self, cpu: usize) -> Option<usize> {
        if !self.percpu {
            Some(0)
        } else {
            (cpu < self.copies).then_some(cpu)
        }
    }

    /// The address of element `key`'s value (this CPU's copy); `None` out of range.
    pub(crate) fn lookup(&self, key: &[u8], cpu: usize) -> Option<u64> {
        let i = self.index(key)?;
        let c = self.copy_of(cpu)?;
        Some(self.arena.addr() + self.off(i, c) as u64)
    }

    /// `array_map_update_elem()`: from a program (per-CPU arrays: this CPU's copy only).
    pub(crate) fn update(
        &mut self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: usize,
        lock: Lock,
    ) -> Result<(), Errno> {
        // Per-CPU arrays know no BPF_F_LOCK.
        let unknown = if self.percpu {
            flags
        } else {
            flags & !BPF_F_LOCK
        };
        if unknown > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        let i = self.index(key).ok_or(Errno::E2BIG)?;
        if flags & BPF_NOEXIST != 0 {
            return Err(Errno::EEXIST);
        }
        lock.check(flags)?;
        let c = self.copy_of(cpu).ok_or(Errno::EINVAL)?;
        if value.len() != self.value_size {
            return Err(Errno::EINVAL);
        }
        let off = self.off(i, c);
        lock.write(&mut self.arena, off, value);
        Ok(())
    }

    /// `bpf_percpu_array_update()`: from user space, every CPU's copy (`round_up(value_size, 8)`
    /// bytes each, padding included, as the kernel copies them). Plain arrays behave as from a
    /// program.
    pub(crate) fn update_user(
        &mut self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        lock: Lock,
    ) -> Result<(), Errno> {
        if !self.percpu {
            return self.update(key, value, flags, 0, lock);
        }
        if flags > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        let i = self.index(key).ok_or(Errno::E2BIG)?;
        if flags == BPF_NOEXIST {
            return Err(Errno::EEXIST);
        }
        if value.len() != self.elem * self.copies {
            return Err(Errno::EINVAL);
        }
        let off = self.off(i, 0);
        self.arena.write(off, value);
        Ok(())
    }

    /// What `BPF_MAP_LOOKUP_ELEM` copies out: the value, or every CPU's rounded copy.
    pub(crate) fn lookup_user(&self, key: &[u8], lock: Lock) -> Result<Vec<u8>, Errno> {
        let i = self.index(key).ok_or(Errno::ENOENT)?;
        if !self.percpu {
            Ok(lock.read(&self.arena, self.off(i, 0), self.value_size))
        } else {
            Ok(self.arena.to_vec(self.off(i, 0), self.elem * self.copies))
        }
    }

    /// `array_map_get_next_key()`: index order; a missing or out-of-range key restarts at 0.
    pub(crate) fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        next_index(self.max_entries, key)
    }

    /// Writes `bytes` at the start of element 0 (global data's initial contents).
    pub(crate) fn write_initial(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.value_size);
        self.arena.write(0, &bytes[..n]);
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

/// Array-style `get_next_key` over `max_entries` indices.
pub(crate) fn next_index(max_entries: u32, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
    let index = match key {
        Some(k) => key_index(k).ok_or(Errno::EINVAL)?,
        None => u32::MAX,
    };
    let next = if index >= max_entries {
        0
    } else if index == max_entries - 1 {
        return Err(Errno::ENOENT);
    } else {
        index + 1
    };
    Ok(next.to_ne_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::flags::BPF_ANY;

    fn k(i: u32) -> [u8; 4] {
        i.to_ne_bytes()
    }

    /// The errno rows were confirmed with `bpf(BPF_MAP_UPDATE_ELEM)` on the 6.18 kernel.
    #[test]
    fn update_flags_matrix() {
        let mut a = ArrayMap::new(4, 8, false, 2).expect("array");
        let v = [7u8; 8];
        let none = Lock(None);
        assert_eq!(a.update(&k(0), &v, BPF_ANY, 0, none), Ok(()));
        assert_eq!(a.update(&k(0), &v, BPF_EXIST, 0, none), Ok(()));
        assert_eq!(
            a.update(&k(0), &v, BPF_NOEXIST, 0, none),
            Err(Errno::EEXIST)
        );
        assert_eq!(a.update(&k(4), &v, BPF_ANY, 0, none), Err(Errno::E2BIG));
        assert_eq!(a.update(&k(0), &v, BPF_F_LOCK, 0, none), Err(Errno::EINVAL));
        assert_eq!(a.update(&k(0), &v, 8, 0, none), Err(Errno::EINVAL));
        assert_eq!(a.update(&k(0), &v, 3, 0, none), Err(Errno::EINVAL));
        assert_eq!(a.update(&k(0), &v, BPF_F_LOCK, 0, Lock(Some(0))), Ok(()));
        assert_eq!(a.lookup_user(&k(0), none), Ok(v.to_vec()));
        assert_eq!(a.lookup_user(&k(9), none), Err(Errno::ENOENT));
        assert_eq!(a.lookup(&k(4), 0), None);
        let p = ArrayMap::new(4, 4, true, 2).expect("percpu");
        let mut p = p;
        assert_eq!(
            p.update(&k(0), &[1; 4], BPF_F_LOCK, 0, none),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn get_next_key_walks_indices() {
        let a = ArrayMap::new(3, 4, false, 2).expect("array");
        assert_eq!(a.get_next_key(None), Ok(k(0).to_vec()));
        assert_eq!(a.get_next_key(Some(&k(0))), Ok(k(1).to_vec()));
        assert_eq!(a.get_next_key(Some(&k(2))), Err(Errno::ENOENT));
        assert_eq!(a.get_next_key(Some(&k(99))), Ok(k(0).to_vec()));
    }

    #[test]
    fn per_cpu_copies_are_separate() {
        let mut a = ArrayMap::new(2, 4, true, 2).expect("percpu");
        a.update(&k(1), &[1, 2, 3, 4], BPF_ANY, 1, Lock(None))
            .expect("update");
        let user = a.lookup_user(&k(1), Lock(None)).expect("lookup");
        assert_eq!(user, [[0u8; 8], [1, 2, 3, 4, 0, 0, 0, 0]].concat());
        let (c0, c1) = (a.lookup(&k(1), 0), a.lookup(&k(1), 1));
        assert!(c0.is_some() && c1.is_some() && c0 != c1);
        // User updates carry every CPU's rounded copy, padding included (as the kernel).
        let all: Vec<u8> = (0..16).collect();
        a.update_user(&k(0), &all, BPF_ANY, Lock(None))
            .expect("update");
        assert_eq!(a.lookup_user(&k(0), Lock(None)), Ok(all));
        assert_eq!(
            a.update_user(&k(0), &[0; 8], BPF_ANY, Lock(None)),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            a.update_user(&k(0), &[0; 16], BPF_NOEXIST, Lock(None)),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            a.update_user(&k(2), &[0; 16], BPF_ANY, Lock(None)),
            Err(Errno::E2BIG)
        );
    }
}
