//! How values move between callers and arena storage: element sizes rounded to 8 bytes as in
//! the kernel, per-CPU copies, array-style keys, and the `bpf_spin_lock` word that copies skip
//! (`copy_map_value` in the kernel never overwrites a value's lock).

use super::arena::Arena;
use super::errno::Errno;
use super::flags::{BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST};

/// `round_up(n, 8)`: the kernel's element size for a value of `n` bytes.
pub(crate) fn round8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// An array index from a 4-byte key (native endian, as a program stores a `u32`); `None` when
/// the key is not 4 bytes.
pub(crate) fn key_index(key: &[u8]) -> Option<u32> {
    let b: [u8; 4] = key.try_into().ok()?;
    Some(u32::from_ne_bytes(b))
}

/// `check_flags()` of hash maps: `NOEXIST` on a present key is `EEXIST`, `EXIST` on a missing
/// one `ENOENT`.
pub(crate) fn check_exist(present: bool, flags: u64) -> Result<(), Errno> {
    match flags & !BPF_F_LOCK {
        BPF_NOEXIST if present => Err(Errno::EEXIST),
        BPF_EXIST if !present => Err(Errno::ENOENT),
        _ => Ok(()),
    }
}

/// Where a value's `bpf_spin_lock` sits (set from BTF by the loader), if it has one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lock(pub(crate) Option<usize>);

impl Lock {
    /// Copies `value` to `off`, leaving the 4 lock bytes as they are.
    pub(crate) fn write(self, arena: &mut Arena, off: usize, value: &[u8]) {
        match self.0 {
            Some(l) if l + 4 <= value.len() => {
                arena.write(off, &value[..l]);
                arena.write(off + l + 4, &value[l + 4..]);
            }
            _ => arena.write(off, value),
        }
    }

    /// Copies `n` bytes at `off` out, with the lock bytes zeroed (as the syscall reports them).
    pub(crate) fn read(self, arena: &Arena, off: usize, n: usize) -> Vec<u8> {
        let mut v = arena.to_vec(off, n);
        if let Some(l) = self.0
            && l + 4 <= n
        {
            v[l..l + 4].fill(0);
        }
        v
    }

    /// `BPF_F_LOCK` needs a lock in the value (`EINVAL` otherwise).
    pub(crate) fn check(self, flags: u64) -> Result<(), Errno> {
        if flags & BPF_F_LOCK != 0 && self.0.is_none() {
            Err(Errno::EINVAL)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(round8(1), 8);
        assert_eq!(round8(8), 8);
        assert_eq!(round8(9), 16);
        assert_eq!(key_index(&7u32.to_ne_bytes()), Some(7));
        assert_eq!(key_index(&[1, 2]), None);
        assert_eq!(check_exist(true, BPF_NOEXIST), Err(Errno::EEXIST));
        assert_eq!(
            check_exist(false, BPF_EXIST | BPF_F_LOCK),
            Err(Errno::ENOENT)
        );
        assert_eq!(check_exist(true, 0), Ok(()));
    }

    #[test]
    fn lock_word_is_skipped() {
        let mut a = Arena::new(16).expect("alloc");
        a.write(0, &[9; 16]);
        Lock(Some(4)).write(&mut a, 0, &[1; 12]);
        assert_eq!(a.to_vec(0, 12), vec![1, 1, 1, 1, 9, 9, 9, 9, 1, 1, 1, 1]);
        assert_eq!(
            Lock(Some(4)).read(&a, 0, 12),
            vec![1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]
        );
        assert_eq!(Lock(None).check(BPF_F_LOCK), Err(Errno::EINVAL));
        assert_eq!(Lock(Some(0)).check(BPF_F_LOCK), Ok(()));
    }
}
