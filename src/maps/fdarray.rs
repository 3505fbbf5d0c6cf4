//! Arrays of references: `prog_array`, `array_of_maps`, `devmap`, `cpumap` and `xskmap`. The
//! kernel stores object pointers (programs, maps, net devices, CPU queues, sockets) taken from
//! file descriptors; here each slot stores the `u32` user space gave — a program index, an
//! inner map's index in the [`MapSet`](super::MapSet), an ifindex, a queue size, a socket id —
//! plus, for devmaps and cpumaps, the second word of their 8-byte values. Slots start empty.
//! The errnos follow each type's `map_update_elem`/`map_delete_elem` (confirmed on 6.18).
//! Net devices, XDP programs and sockets are not simulated: any non-zero ifindex, any program
//! and any socket id is accepted.

use super::arena::{Arena, ValueRegion};
use super::array::next_index;
use super::errno::Errno;
use super::flags::{BPF_ANY, BPF_EXIST, BPF_NOEXIST};
use super::value::key_index;

/// Which array of references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SlotKind {
    Prog,
    Maps,
    Dev,
    Cpu,
    Xsk,
}

/// The largest cpumap queue size (`cpu_map_update_elem`: larger is `EOVERFLOW`).
const CPUMAP_MAX_QSIZE: u32 = 16384;

#[derive(Debug)]
pub(crate) struct SlotArray {
    kind: SlotKind,
    max_entries: u32,
    value_size: usize,
    /// 8 bytes per slot: the value's two words.
    arena: Arena,
    present: Vec<bool>,
}

impl SlotArray {
    pub(crate) fn new(kind: SlotKind, max_entries: u32, value_size: u32) -> Result<Self, Errno> {
        let n = max_entries as usize;
        Ok(SlotArray {
            kind,
            max_entries,
            value_size: value_size as usize,
            arena: Arena::new(n.checked_mul(8).ok_or(Errno::ENOMEM)?)?,
            present: vec![false; n],
        })
    }

    fn index(&self, key: &[u8]) -> Result<usize, Errno> {
        key_index(key).map(|i| i as usize).ok_or(Errno::EINVAL)
    }

    fn in_range(&self, i: usize) -> bool {
        i < self.max_entries as usize
    }

    fn words(&self, value: &[u8]) -> Result<(u32, u32), Errno> {
        if value.len() != self.value_size {
            return Err(Errno::EINVAL);
        }
        let word = |at: usize| {
            value
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_ne_bytes)
                .unwrap_or(0)
        };
        Ok((word(0), word(4)))
    }

    fn store(&mut self, i: usize, first: u32, second: u32) {
        self.arena.write_u32(i * 8, first);
        self.arena.write_u32(i * 8 + 4, second);
        self.present[i] = true;
    }

    fn clear(&mut self, i: usize) {
        self.arena.fill(i * 8, 8, 0);
        self.present[i] = false;
    }

    /// The first word of slot `i`, if set.
    pub(crate) fn entry(&self, i: u32) -> Option<u32> {
        let i = i as usize;
        (self.in_range(i) && self.present[i]).then(|| self.arena.read_u32(i * 8))
    }

    pub(crate) fn len(&self) -> usize {
        self.present.iter().filter(|p| **p).count()
    }

    /// `BPF_MAP_UPDATE_ELEM`; `ncpus` bounds cpumap keys. Map-in-map values are checked by the
    /// caller, which knows the other maps.
    pub(crate) fn update(
        &mut self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        ncpus: usize,
    ) -> Result<(), Errno> {
        let i = self.index(key)?;
        match self.kind {
            SlotKind::Prog | SlotKind::Maps => {
                if flags != BPF_ANY {
                    return Err(Errno::EINVAL);
                }
                if !self.in_range(i) {
                    return Err(Errno::E2BIG);
                }
                let (v, _) = self.words(value)?;
                self.store(i, v, 0);
            }
            SlotKind::Dev => {
                if flags > BPF_EXIST {
                    return Err(Errno::EINVAL);
                }
                if !self.in_range(i) {
                    return Err(Errno::E2BIG);
                }
                if flags == BPF_NOEXIST {
                    return Err(Errno::EEXIST);
                }
                let (ifindex, prog) = self.words(value)?;
                if ifindex == 0 {
                    // "can not specify fd if ifindex is 0"; ifindex 0 empties the slot.
                    if prog as i32 > 0 {
                        return Err(Errno::EINVAL);
                    }
                    self.clear(i);
                } else {
                    self.store(i, ifindex, prog);
                }
            }
            SlotKind::Cpu => {
                let (qsize, prog) = self.words(value)?;
                if flags > BPF_EXIST {
                    return Err(Errno::EINVAL);
                }
                if !self.in_range(i) {
                    return Err(Errno::E2BIG);
                }
                if flags == BPF_NOEXIST {
                    return Err(Errno::EEXIST);
                }
                if qsize > CPUMAP_MAX_QSIZE {
                    return Err(Errno::EOVERFLOW);
                }
                if i >= ncpus {
                    return Err(Errno::ENODEV);
                }
                if qsize == 0 {
                    self.clear(i);
                } else {
                    self.store(i, qsize, prog);
                }
            }
            SlotKind::Xsk => {
                if flags > BPF_EXIST {
                    return Err(Errno::EINVAL);
                }
                if !self.in_range(i) {
                    return Err(Errno::E2BIG);
                }
                let (sock, _) = self.words(value)?;
                let old = self.entry(i as u32);
                if old == Some(sock) {
                    return Ok(());
                }
                match (old, flags) {
                    (Some(_), BPF_NOEXIST) => return Err(Errno::EEXIST),
                    (None, BPF_EXIST) => return Err(Errno::ENOENT),
                    _ => self.store(i, sock, 0),
                }
            }
        }
        Ok(())
    }

    /// `BPF_MAP_DELETE_ELEM`.
    pub(crate) fn delete(&mut self, key: &[u8]) -> Result<(), Errno> {
        let i = self.index(key)?;
        match self.kind {
            SlotKind::Prog | SlotKind::Maps => {
                if !self.in_range(i) {
                    return Err(Errno::E2BIG);
                }
                if !self.present[i] {
                    return Err(Errno::ENOENT);
                }
            }
            // Deleting an empty slot succeeds.
            SlotKind::Dev | SlotKind::Cpu | SlotKind::Xsk => {
                if !self.in_range(i) {
                    return Err(Errno::EINVAL);
                }
            }
        }
        self.clear(i);
        Ok(())
    }

    /// `BPF_MAP_LOOKUP_ELEM`: the stored id, or the device/queue value; sockets cannot be read
    /// back (`EOPNOTSUPP`).
    pub(crate) fn lookup_user(&self, key: &[u8]) -> Result<Vec<u8>, Errno> {
        if self.kind == SlotKind::Xsk {
            return Err(Errno::EOPNOTSUPP);
        }
        let i = self.index(key)?;
        if !self.in_range(i) || !self.present[i] {
            return Err(Errno::ENOENT);
        }
        let n = if matches!(self.kind, SlotKind::Dev | SlotKind::Cpu) {
            self.value_size
        } else {
            4
        };
        Ok(self.arena.to_vec(i * 8, n))
    }

    /// A program's lookup: the address of a devmap/cpumap/xskmap slot's (read-only) value.
    /// Program arrays give `None` (the kernel's lookup is `EOPNOTSUPP`); map-in-map lookups
    /// are resolved by the caller through [`SlotArray::entry`].
    pub(crate) fn lookup(&self, key: &[u8]) -> Option<u64> {
        let i = key_index(key)?;
        match self.kind {
            SlotKind::Dev | SlotKind::Cpu | SlotKind::Xsk => {
                self.entry(i)?;
                Some(self.arena.addr() + u64::from(i) * 8)
            }
            SlotKind::Prog | SlotKind::Maps => None,
        }
    }

    pub(crate) fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        next_index(self.max_entries, key)
    }

    /// Devmap, cpumap and xskmap values are readable by programs, never writable.
    pub(crate) fn regions(&self) -> Vec<ValueRegion> {
        match self.kind {
            SlotKind::Dev | SlotKind::Cpu | SlotKind::Xsk => vec![ValueRegion {
                start: self.arena.addr(),
                len: self.arena.len() as u64,
                stride: 8,
                elem_size: self.value_size as u64,
                writable: false,
            }],
            SlotKind::Prog | SlotKind::Maps => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(i: u32) -> [u8; 4] {
        i.to_ne_bytes()
    }

    fn u(v: u32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    /// All rows confirmed with the bpf() syscall on the 6.18 kernel.
    #[test]
    fn prog_array_errnos() {
        let mut a = SlotArray::new(SlotKind::Prog, 4, 4).expect("array");
        assert_eq!(a.lookup_user(&k(0)), Err(Errno::ENOENT));
        assert_eq!(a.delete(&k(0)), Err(Errno::ENOENT));
        assert_eq!(a.delete(&k(4)), Err(Errno::E2BIG));
        assert_eq!(a.update(&k(5), &u(1), BPF_ANY, 2), Err(Errno::E2BIG));
        assert_eq!(a.update(&k(0), &u(1), BPF_EXIST, 2), Err(Errno::EINVAL));
        assert_eq!(a.update(&k(0), &u(1), BPF_NOEXIST, 2), Err(Errno::EINVAL));
        a.update(&k(0), &u(7), BPF_ANY, 2).expect("update");
        assert_eq!(a.lookup_user(&k(0)), Ok(u(7).to_vec()));
        assert_eq!(a.entry(0), Some(7));
        assert_eq!(a.lookup(&k(0)), None);
        assert_eq!(a.len(), 1);
        assert_eq!(a.get_next_key(None), Ok(k(0).to_vec()));
        assert_eq!(a.get_next_key(Some(&k(3))), Err(Errno::ENOENT));
    }

    #[test]
    fn devmap_errnos() {
        let mut d = SlotArray::new(SlotKind::Dev, 4, 4).expect("devmap");
        assert_eq!(d.delete(&k(0)), Ok(()));
        assert_eq!(d.delete(&k(4)), Err(Errno::EINVAL));
        assert_eq!(d.update(&k(0), &u(1), BPF_ANY, 2), Ok(()));
        assert_eq!(d.update(&k(3), &u(1), BPF_EXIST, 2), Ok(()));
        assert_eq!(d.update(&k(3), &u(1), BPF_NOEXIST, 2), Err(Errno::EEXIST));
        assert_eq!(d.update(&k(4), &u(1), BPF_ANY, 2), Err(Errno::E2BIG));
        assert_eq!(d.update(&k(2), &u(0), BPF_ANY, 2), Ok(()));
        assert_eq!(d.lookup_user(&k(2)), Err(Errno::ENOENT));
        assert_eq!(d.lookup_user(&k(0)), Ok(u(1).to_vec()));
        assert!(d.lookup(&k(0)).is_some() && d.lookup(&k(1)).is_none());
        let mut d8 = SlotArray::new(SlotKind::Dev, 4, 8).expect("devmap");
        let v = [u(0), u(5)].concat();
        assert_eq!(d8.update(&k(1), &v, BPF_ANY, 2), Err(Errno::EINVAL));
        let v = [u(1), u(0)].concat();
        d8.update(&k(1), &v, BPF_ANY, 2).expect("update");
        assert_eq!(d8.lookup_user(&k(1)), Ok(v));
    }

    #[test]
    fn cpumap_and_xskmap_errnos() {
        let mut c = SlotArray::new(SlotKind::Cpu, 4, 4).expect("cpumap");
        assert_eq!(c.update(&k(0), &u(16), BPF_ANY, 2), Ok(()));
        assert_eq!(c.update(&k(2), &u(16), BPF_ANY, 2), Err(Errno::ENODEV));
        assert_eq!(
            c.update(&k(0), &u(16385), BPF_ANY, 2),
            Err(Errno::EOVERFLOW)
        );
        assert_eq!(c.update(&k(0), &u(16), BPF_NOEXIST, 2), Err(Errno::EEXIST));
        assert_eq!(c.update(&k(5), &u(16), BPF_ANY, 2), Err(Errno::E2BIG));
        assert_eq!(c.lookup_user(&k(0)), Ok(u(16).to_vec()));
        assert_eq!(c.lookup_user(&k(1)), Err(Errno::ENOENT));
        assert_eq!(c.delete(&k(1)), Ok(()));
        assert_eq!(c.delete(&k(4)), Err(Errno::EINVAL));
        assert_eq!(c.update(&k(0), &u(0), BPF_ANY, 2), Ok(()));
        assert_eq!(c.lookup_user(&k(0)), Err(Errno::ENOENT));

        let mut x = SlotArray::new(SlotKind::Xsk, 4, 4).expect("xskmap");
        assert_eq!(x.update(&k(9), &u(1), BPF_ANY, 2), Err(Errno::E2BIG));
        assert_eq!(x.update(&k(0), &u(1), BPF_EXIST, 2), Err(Errno::ENOENT));
        assert_eq!(x.update(&k(0), &u(1), BPF_ANY, 2), Ok(()));
        assert_eq!(x.update(&k(0), &u(2), BPF_NOEXIST, 2), Err(Errno::EEXIST));
        assert_eq!(
            x.update(&k(0), &u(1), BPF_NOEXIST, 2),
            Ok(()),
            "same socket"
        );
        assert_eq!(x.lookup_user(&k(0)), Err(Errno::EOPNOTSUPP));
        assert!(x.lookup(&k(0)).is_some());
        assert_eq!(x.delete(&k(0)), Ok(()));
        assert_eq!(x.delete(&k(4)), Err(Errno::EINVAL));
    }
}
