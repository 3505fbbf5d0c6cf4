//! The memory a program can touch: a list of host regions (input memory, and later context,
//! packet and map values) plus the interpreter's own stack frames. Every load, store and
//! atomic is translated here: an address range either lies wholly inside one region (with the
//! right permission) or the access is refused. This module holds the interpreter's only
//! `unsafe` code: the raw reads and writes done after a successful translation.

use std::fmt;
use std::marker::PhantomData;

/// What a region holds; named in out-of-bounds errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// The program's input memory (r1 in raw mode).
    Input,
    /// The stack of call frame `n` (0 = the entry frame).
    Stack(usize),
    /// The program's context (`struct __sk_buff`, `struct xdp_md`, `struct pt_regs`, ...).
    /// When the run has a context translator, accesses here go through it, the way the
    /// kernel's convert_ctx_access rewrites them; otherwise it is plain memory.
    Context,
    /// Packet data (`data_meta`/`data` up to `data_end`).
    Packet,
    /// The values of map `index` of the loaded object.
    MapValues { index: usize },
    /// A read-only or writable region the embedder added.
    Other(&'static str),
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionKind::Input => f.write_str("input memory"),
            RegionKind::Stack(n) => write!(f, "stack of frame {n}"),
            RegionKind::Context => f.write_str("context"),
            RegionKind::Packet => f.write_str("packet"),
            RegionKind::MapValues { index } => write!(f, "values of map #{index}"),
            RegionKind::Other(name) => f.write_str(name),
        }
    }
}

/// One host memory range a program may access. A region can be an array of elements
/// (`stride` > 0): then an access must also stay inside one element's first `elem_size`
/// bytes, as map values must.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub kind: RegionKind,
    /// First address (a host address).
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    pub writable: bool,
    /// Distance between elements; 0 when the region is one block.
    pub stride: u64,
    /// Accessible bytes at the start of each element (with `stride` > 0).
    pub elem_size: u64,
}

impl Region {
    /// A region that is one block of memory.
    pub const fn block(kind: RegionKind, start: u64, len: u64, writable: bool) -> Region {
        Region {
            kind,
            start,
            len,
            writable,
            stride: 0,
            elem_size: 0,
        }
    }

    /// Whether `[addr, addr + size)` lies inside the region (and inside one element).
    #[inline(always)]
    pub fn contains(&self, addr: u64, size: u64) -> bool {
        let off = addr.wrapping_sub(self.start);
        if off > self.len.wrapping_sub(size) || size > self.len {
            return false;
        }
        self.stride == 0 || off % self.stride + size <= self.elem_size
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{:#x}, {:#x})",
            self.kind,
            self.start,
            self.start.wrapping_add(self.len)
        )
    }
}

/// The regions a run may access, borrowed for `'a` from their owners. Built by the embedder
/// before a run; the interpreter adds its stack itself.
#[derive(Debug, Default)]
pub struct MemoryMap<'a> {
    regions: Vec<Region>,
    _borrow: PhantomData<&'a mut [u8]>,
}

impl<'a> MemoryMap<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a writable region; returns its start address (what the program sees).
    pub fn add_mut(&mut self, kind: RegionKind, bytes: &'a mut [u8]) -> u64 {
        let start = bytes.as_mut_ptr() as u64;
        self.regions
            .push(Region::block(kind, start, bytes.len() as u64, true));
        start
    }

    /// Adds a read-only region; returns its start address.
    pub fn add_ro(&mut self, kind: RegionKind, bytes: &'a [u8]) -> u64 {
        let start = bytes.as_ptr() as u64;
        self.regions
            .push(Region::block(kind, start, bytes.len() as u64, false));
        start
    }

    /// Adds a region over memory the caller guarantees stays allocated, and is touched by
    /// nothing else while a program runs, for all of `'a`: map arenas, packet buffers.
    ///
    /// # Safety
    /// `[region.start, region.start + region.len)` must be one live allocation, valid for
    /// reads (and writes when `region.writable`) for `'a`, with no Rust reference to it in use
    /// while the program runs.
    pub unsafe fn add_raw(&mut self, region: Region) {
        self.regions.push(region);
    }

    /// Moves or resizes the first region of `kind` (a packet after `bpf_xdp_adjust_head`)
    /// within the memory it was created over.
    ///
    /// # Safety
    /// As for [`MemoryMap::add_raw`]: the new range must lie in memory that stays valid.
    pub unsafe fn reshape(&mut self, kind: RegionKind, start: u64, len: u64) -> bool {
        match self.regions.iter_mut().find(|r| r.kind == kind) {
            Some(r) => {
                r.start = start;
                r.len = len;
                true
            }
            None => false,
        }
    }

    /// Removes a region added earlier (the last one equal to `region`).
    pub fn remove(&mut self, region: Region) {
        if let Some(i) = self.regions.iter().rposition(|r| *r == region) {
            self.regions.remove(i);
        }
    }

    /// The first region of `kind`.
    pub fn region(&self, kind: RegionKind) -> Option<&Region> {
        self.regions.iter().find(|r| r.kind == kind)
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Finds the region that holds `[addr, addr + size)` with the needed permission.
    #[inline(always)]
    pub fn find(&self, addr: u64, size: u64, write: bool) -> Option<&Region> {
        self.regions
            .iter()
            .find(|r| r.contains(addr, size) && (r.writable || !write))
    }

    /// The region nearest to `addr` (for error messages).
    pub fn nearest(&self, addr: u64) -> Option<Region> {
        self.regions
            .iter()
            .min_by_key(|r| distance(r, addr))
            .copied()
    }
}

/// How far `addr` lies from the region (0 inside it).
pub(crate) fn distance(r: &Region, addr: u64) -> u64 {
    if addr < r.start {
        r.start - addr
    } else {
        addr.saturating_sub(r.start.saturating_add(r.len))
    }
}

/// A host address the translation proved valid for an access of its size.
#[derive(Clone, Copy, Debug)]
pub struct Checked(pub(crate) u64);

macro_rules! access {
    ($read:ident, $write:ident, $t:ty) => {
        #[inline(always)]
        pub fn $read(p: Checked) -> $t {
            // SAFETY: `Checked` is only built after `[p, p + size_of::<$t>())` was found inside
            // a region of a live `MemoryMap` or the interpreter's stack, whose owners are
            // borrowed for the whole run; unaligned access is allowed.
            unsafe { std::ptr::read_unaligned(p.0 as *const $t) }
        }

        #[inline(always)]
        pub fn $write(p: Checked, v: $t) {
            // SAFETY: as for the read, and the region was checked to be writable.
            unsafe { std::ptr::write_unaligned(p.0 as *mut $t, v) }
        }
    };
}

access!(read_u8, write_u8, u8);
access!(read_u16, write_u16, u16);
access!(read_u32, write_u32, u32);
access!(read_u64, write_u64, u64);

/// Zeroes `len` bytes at `p`.
#[inline]
pub fn zero(p: Checked, len: usize) {
    // SAFETY: callers build `p` from a range of `len` bytes inside a live, writable region
    // (the interpreter's own stack buffer when a frame is pushed).
    unsafe { std::ptr::write_bytes(p.0 as *mut u8, 0, len) }
}

/// Copies `len` bytes out of program memory.
pub fn read_bytes(p: Checked, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    // SAFETY: `p` was checked for `len` readable bytes (see `Checked`); `out` is a fresh
    // allocation, so the ranges do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(p.0 as *const u8, out.as_mut_ptr(), len) };
    out
}

/// Copies `bytes` into program memory.
pub fn write_bytes(p: Checked, bytes: &[u8]) {
    // SAFETY: `p` was checked for `bytes.len()` writable bytes; `bytes` is Rust-owned memory
    // the program cannot reach through `p`... unless the helper read it from there first, and
    // `copy` (memmove) is correct for overlapping ranges anyway.
    unsafe { std::ptr::copy(bytes.as_ptr(), p.0 as *mut u8, bytes.len()) };
}

/// Reads `size` (1, 2, 4, 8) bytes, zero-extended.
#[inline(always)]
pub fn read_sized(p: Checked, size: u64) -> u64 {
    match size {
        1 => read_u8(p) as u64,
        2 => read_u16(p) as u64,
        4 => read_u32(p) as u64,
        _ => read_u64(p),
    }
}

/// Writes the low `size` (1, 2, 4, 8) bytes of `v`.
#[inline(always)]
pub fn write_sized(p: Checked, size: u64, v: u64) {
    match size {
        1 => write_u8(p, v as u8),
        2 => write_u16(p, v as u16),
        4 => write_u32(p, v as u32),
        _ => write_u64(p, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_handles_edges_and_overflow() {
        let r = Region::block(RegionKind::Input, 100, 8, true);
        assert!(r.contains(100, 8));
        assert!(r.contains(107, 1));
        assert!(!r.contains(107, 2));
        assert!(!r.contains(99, 1));
        assert!(!r.contains(u64::MAX, 2));
        let empty = Region { len: 0, ..r };
        assert!(!empty.contains(100, 1));
    }

    #[test]
    fn element_regions_keep_accesses_inside_one_element() {
        // Three 6-byte values at a stride of 8.
        let r = Region {
            stride: 8,
            elem_size: 6,
            ..Region::block(RegionKind::MapValues { index: 0 }, 0x1000, 24, true)
        };
        assert!(r.contains(0x1000, 4));
        assert!(r.contains(0x1008 + 2, 4));
        assert!(!r.contains(0x1008 + 4, 4));
        assert!(!r.contains(0x1006, 1));
        assert!(r.contains(0x1010 + 5, 1));
        assert!(!r.contains(0x1018, 1));
    }

    #[test]
    fn read_only_regions_refuse_writes() {
        let data = [1u8, 2, 3, 4];
        let mut m = MemoryMap::new();
        let a = m.add_ro(RegionKind::Other("rodata"), &data);
        assert!(m.find(a, 4, false).is_some());
        assert!(m.find(a, 4, true).is_none());
    }
}
