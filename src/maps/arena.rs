//! Value storage that programs point into: one zeroed, 8-byte aligned host allocation per map,
//! made once at creation and never moved or resized, like the kernel's preallocated maps.
//! Programs hold raw addresses into it between map calls, so this module never hands out a Rust
//! reference to the memory: every access copies through raw pointers inside one method call.
//! This is the only module of `maps` with `unsafe` code.

use std::alloc::{self, Layout};
use std::ptr::NonNull;

use super::errno::Errno;

/// One owned, fixed-size block of zeroed memory.
pub(crate) struct Arena {
    ptr: NonNull<u8>,
    len: usize,
    layout: Layout,
}

// SAFETY: an `Arena` owns its allocation exclusively (like a `Box<[u8]>`); moving it to another
// thread moves that ownership. It is not `Sync`: writes through program-held addresses are not
// synchronised.
unsafe impl Send for Arena {}

impl Arena {
    /// Allocates `len` zeroed bytes (at least 8, so that every arena has a distinct non-null
    /// address). Fails with `ENOMEM` when the host cannot provide them, as the kernel's
    /// `bpf_map_area_alloc` does.
    pub(crate) fn new(len: usize) -> Result<Arena, Errno> {
        let layout = Layout::from_size_align(len.max(8), 8).map_err(|_| Errno::ENOMEM)?;
        // SAFETY: `layout` has a non-zero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(raw).ok_or(Errno::ENOMEM)?;
        Ok(Arena { ptr, len, layout })
    }

    /// The host address of byte 0.
    pub(crate) fn addr(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Panics unless `[off, off + n)` lies inside the arena: callers compute offsets from
    /// indices they have already validated, so a failure here is a bug in `maps`.
    fn check(&self, off: usize, n: usize) {
        let end = off.checked_add(n);
        assert!(
            matches!(end, Some(e) if e <= self.len),
            "arena access [{off}, +{n}) outside {} bytes",
            self.len
        );
    }

    /// Copies `out.len()` bytes from offset `off` into `out`.
    pub(crate) fn read(&self, off: usize, out: &mut [u8]) {
        self.check(off, out.len());
        // SAFETY: the range was checked to lie inside the live allocation; `out` is a distinct
        // Rust buffer, so the ranges do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(self.ptr.as_ptr().add(off), out.as_mut_ptr(), out.len())
        }
    }

    /// The `n` bytes at `off`, copied out.
    pub(crate) fn to_vec(&self, off: usize, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.read(off, &mut v);
        v
    }

    /// Copies `data` to offset `off`.
    pub(crate) fn write(&mut self, off: usize, data: &[u8]) {
        self.check(off, data.len());
        // SAFETY: the range was checked to lie inside the live allocation, which no Rust
        // reference covers; `data` is a distinct Rust buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr().add(off), data.len())
        }
    }

    /// Sets `n` bytes at `off` to `byte`.
    pub(crate) fn fill(&mut self, off: usize, n: usize, byte: u8) {
        self.check(off, n);
        // SAFETY: the range was checked to lie inside the live allocation.
        unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(off), byte, n) }
    }

    /// Copies `n` bytes from `src` to `dst` inside the arena (the ranges may overlap).
    pub(crate) fn copy_within(&mut self, src: usize, dst: usize, n: usize) {
        self.check(src, n);
        self.check(dst, n);
        // SAFETY: both ranges were checked to lie inside the live allocation; `copy` allows
        // overlap.
        unsafe { std::ptr::copy(self.ptr.as_ptr().add(src), self.ptr.as_ptr().add(dst), n) }
    }

    /// The native-endian `u32` at `off`.
    pub(crate) fn read_u32(&self, off: usize) -> u32 {
        let mut b = [0; 4];
        self.read(off, &mut b);
        u32::from_ne_bytes(b)
    }

    pub(crate) fn write_u32(&mut self, off: usize, v: u32) {
        self.write(off, &v.to_ne_bytes());
    }
}

/// Test stand-ins for the interpreter's checked loads and stores at value addresses.
#[cfg(test)]
pub(crate) mod program {
    use super::ValueRegion;

    fn check(regions: &[ValueRegion], addr: u64, n: usize, write: bool) {
        assert!(
            regions
                .iter()
                .any(|r| r.contains(addr, n as u64) && (r.writable || !write)),
            "access [{addr:#x}, +{n}) outside the value regions"
        );
    }

    /// Reads `n` bytes at `addr`, which must lie in `regions` (of a live map).
    pub(crate) fn read(regions: &[ValueRegion], addr: u64, n: usize) -> Vec<u8> {
        check(regions, addr, n, false);
        let mut out = vec![0; n];
        // SAFETY: the range lies inside a value region of a live map's arena (checked above);
        // the caller keeps the map alive and makes no Rust reference to the arena.
        unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, out.as_mut_ptr(), n) }
        out
    }

    /// Writes `bytes` at `addr`, which must lie in a writable region of `regions`.
    pub(crate) fn write(regions: &[ValueRegion], addr: u64, bytes: &[u8]) {
        check(regions, addr, bytes.len(), true);
        // SAFETY: as for `read`, and the region is writable.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: `ptr` was returned by `alloc_zeroed` with exactly this layout and is freed
        // only here.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

impl std::fmt::Debug for Arena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Arena({:#x}, {} bytes)", self.addr(), self.len)
    }
}

/// Where a program may access a map's values: `[start, start + len)` cut into elements every
/// `stride` bytes, of which the first `elem_size` bytes are the value. An access
/// `[addr, addr + n)` is valid iff it lies inside `[start, start + len)` and
/// `(addr - start) % stride + n <= elem_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueRegion {
    pub start: u64,
    pub len: u64,
    pub stride: u64,
    pub elem_size: u64,
    /// False for read-only values (`.rodata`, `BPF_F_RDONLY_PROG`, devmaps).
    pub writable: bool,
}

impl ValueRegion {
    /// Whether `[addr, addr + n)` is a valid access by the rule above (ignoring `writable`).
    pub fn contains(&self, addr: u64, n: u64) -> bool {
        let Some(off) = addr.checked_sub(self.start) else {
            return false;
        };
        let inside = off
            .checked_add(n)
            .is_some_and(|end| end <= self.len && n > 0);
        inside && self.stride > 0 && off % self.stride + n <= self.elem_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_aligned_and_copies() {
        let mut a = Arena::new(24).expect("alloc");
        assert_eq!(a.addr() % 8, 0);
        assert_eq!(a.to_vec(0, 24), vec![0; 24]);
        a.write(3, &[1, 2, 3]);
        a.copy_within(3, 10, 3);
        a.write_u32(20, 0xdead_beef);
        assert_eq!(a.to_vec(10, 3), vec![1, 2, 3]);
        assert_eq!(a.read_u32(20), 0xdead_beef);
        a.fill(0, 24, 0);
        assert_eq!(a.to_vec(0, 24), vec![0; 24]);
        assert_ne!(Arena::new(0).expect("alloc").addr(), 0);
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn out_of_range_panics() {
        let a = Arena::new(8).expect("alloc");
        a.to_vec(4, 5);
    }

    #[test]
    fn huge_allocation_is_enomem() {
        assert_eq!(Arena::new(usize::MAX - 16).err(), Some(Errno::ENOMEM));
    }

    #[test]
    fn region_rule() {
        let r = ValueRegion {
            start: 1000,
            len: 48,
            stride: 16,
            elem_size: 12,
            writable: true,
        };
        assert!(r.contains(1000, 12));
        assert!(r.contains(1016, 8));
        assert!(!r.contains(1010, 4));
        assert!(r.contains(1032, 12));
        assert!(r.contains(1040, 4));
        assert!(!r.contains(1040, 8));
        assert!(!r.contains(999, 1));
        assert!(!r.contains(1048, 1));
        assert!(!r.contains(u64::MAX, 2));
        assert!(!r.contains(1000, 0));
    }
}
