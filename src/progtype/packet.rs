//! A packet buffer the way the kernel's test runs lay one out: headroom, the packet
//! (`data_meta` ≤ `data` ≤ `data_end`) and tailroom in one allocation made once.
//!
//! Programs hold raw pointers into the buffer (`skb->data`, `xdp->data_end`, ...), so it is
//! never reachable through a Rust reference while a program runs: it is allocated with
//! `std::alloc`, read and written only through raw pointers in this module (the only
//! `unsafe` of the context code), and freed on drop. Offsets (`meta`, `data`, `end`) are
//! relative to the start of the allocation.
//!
//! The `adjust_*` methods are `bpf_xdp_adjust_head`/`_tail`/`_meta` with Linux's limits and
//! error codes (checked against the running kernel, see `tests/progtype_kernel.rs`): the
//! first [`XDP_FRAME_SIZE`] bytes of the buffer are kept for the `struct xdp_frame` the
//! kernel may write there, the packet never gets shorter than [`ETH_HLEN`], and the tail
//! never passes the hard end (the buffer less the `skb_shared_info` the kernel keeps after
//! it). After any change a helper must move the program's packet region with
//! `MemoryMap::reshape(RegionKind::Packet, start, len)` using [`Packet::region`].

use std::alloc::{self, Layout};
use std::ptr::NonNull;

/// Length of an Ethernet header (`ETH_HLEN`).
pub const ETH_HLEN: usize = 14;
/// Headroom of an XDP buffer (`XDP_PACKET_HEADROOM`).
pub const XDP_PACKET_HEADROOM: usize = 256;
/// `sizeof(struct xdp_frame)` on x86-64: the start of the headroom no adjustment may reach.
pub const XDP_FRAME_SIZE: usize = 40;
/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86-64: what the kernel keeps after
/// the data area of a buffer (the tailroom `bpf_test_init` reserves).
pub const SHARED_INFO_SIZE: usize = 320;
/// Size of one page, the frame size of an XDP test buffer.
pub const PAGE_SIZE: usize = 4096;
/// The largest metadata `bpf_xdp_adjust_meta` accepts (`type_max(skb_shared_info.meta_len)`).
pub const XDP_META_MAX: usize = 255;

/// `-EINVAL`, as the kernel's helpers return it.
pub const EINVAL: i32 = -22;
/// `-EACCES`.
pub const EACCES: i32 = -13;
/// `-EFAULT`.
pub const EFAULT: i32 = -14;

/// Whether the kernel would accept `len` bytes of XDP metadata: a multiple of 4 that fits
/// `skb_shared_info.meta_len` (`xdp_metalen_invalid` is the negation).
pub fn xdp_metalen_valid(len: usize) -> bool {
    len.is_multiple_of(4) && len <= XDP_META_MAX
}

/// A packet buffer with headroom and tailroom, allocated once (see the module docs).
#[derive(Debug)]
pub struct Packet {
    buf: NonNull<u8>,
    cap: usize,
    meta: usize,
    data: usize,
    end: usize,
    /// The largest `end` may become (`xdp_data_hard_end`).
    hard_end: usize,
}

impl Packet {
    /// A buffer of `headroom + bytes.len() + tailroom` zeroed bytes with `bytes` copied
    /// after the headroom; `data_meta == data`; the tail may grow up to the end of the
    /// buffer.
    pub fn new(headroom: usize, bytes: &[u8], tailroom: usize) -> Packet {
        let cap = headroom
            .saturating_add(bytes.len())
            .saturating_add(tailroom);
        let mut p = Packet::zeroed(cap);
        p.meta = headroom;
        p.data = headroom;
        p.end = headroom + bytes.len();
        p.hard_end = cap;
        p.write_at(headroom, bytes);
        p
    }

    /// The buffer `bpf_prog_test_run_xdp` builds: one page with [`XDP_PACKET_HEADROOM`] of
    /// headroom, the last [`SHARED_INFO_SIZE`] bytes kept back; `bytes` (metadata first,
    /// `meta_len` of it) placed so that `data` is at the headroom's end.
    ///
    /// The caller checks the kernel's limits first: `meta_len ≤ XDP_PACKET_HEADROOM -
    /// XDP_FRAME_SIZE` and `bytes.len() - meta_len ≤ PAGE_SIZE - XDP_PACKET_HEADROOM -
    /// SHARED_INFO_SIZE`; larger values are clamped so the buffer stays consistent.
    pub fn xdp(bytes: &[u8], meta_len: usize) -> Packet {
        let hard_end = PAGE_SIZE - SHARED_INFO_SIZE;
        let meta_len = meta_len.min(XDP_PACKET_HEADROOM - XDP_FRAME_SIZE);
        let start = XDP_PACKET_HEADROOM - meta_len;
        let len = bytes.len().min(hard_end - start);
        let mut p = Packet::zeroed(PAGE_SIZE);
        p.meta = start;
        p.data = XDP_PACKET_HEADROOM.min(start + len);
        p.end = start + len;
        p.hard_end = hard_end;
        p.write_at(start, &bytes[..len]);
        p
    }

    fn zeroed(cap: usize) -> Packet {
        // One extra byte so that even an empty buffer is a real allocation.
        let layout = match Layout::from_size_align(cap.saturating_add(1), 64) {
            Ok(l) => l,
            Err(_) => panic!("packet buffer of {cap} bytes is too large"),
        };
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let Some(buf) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        Packet {
            buf,
            cap,
            meta: 0,
            data: 0,
            end: 0,
            hard_end: cap,
        }
    }

    /// Copies `bytes` to buffer offset `at`; callers have checked `at + len ≤ cap`.
    fn write_at(&mut self, at: usize, bytes: &[u8]) {
        debug_assert!(at + bytes.len() <= self.cap);
        // SAFETY: `[at, at + len)` lies inside the allocation of `cap` bytes (checked by every
        // caller); `ptr::copy` allows `bytes` to overlap the buffer.
        unsafe { std::ptr::copy(bytes.as_ptr(), self.buf.as_ptr().add(at), bytes.len()) }
    }

    /// Copies `len` bytes from buffer offset `at`; callers have checked the range.
    fn read_at(&self, at: usize, len: usize) -> Vec<u8> {
        debug_assert!(at + len <= self.cap);
        let mut out = vec![0u8; len];
        // SAFETY: `[at, at + len)` lies inside the allocation; `out` is a fresh vector.
        unsafe { std::ptr::copy(self.buf.as_ptr().add(at), out.as_mut_ptr(), len) }
        out
    }

    /// Moves `len` bytes inside the buffer from `from` to `to` (they may overlap).
    fn move_within(&mut self, from: usize, to: usize, len: usize) {
        debug_assert!(from + len <= self.cap && to + len <= self.cap);
        let base = self.buf.as_ptr();
        // SAFETY: both ranges lie inside the allocation; `ptr::copy` is a memmove.
        unsafe { std::ptr::copy(base.add(from), base.add(to), len) }
    }

    /// Zeroes `len` bytes at `at`.
    fn zero_at(&mut self, at: usize, len: usize) {
        debug_assert!(at + len <= self.cap);
        // SAFETY: `[at, at + len)` lies inside the allocation.
        unsafe { std::ptr::write_bytes(self.buf.as_ptr().add(at), 0, len) }
    }

    /// Host address of buffer offset `off` (what the program sees as a pointer).
    fn addr(&self, off: usize) -> u64 {
        self.buf.as_ptr() as u64 + off as u64
    }

    /// Bytes between `data` and `data_end` (`skb_headlen`, `xdp->data_end - xdp->data`).
    pub fn len(&self) -> usize {
        self.end - self.data
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.data
    }

    /// Bytes of metadata (`data - data_meta`).
    pub fn meta_len(&self) -> usize {
        self.data - self.meta
    }

    /// Free bytes before `data_meta`.
    pub fn headroom(&self) -> usize {
        self.meta
    }

    /// Free bytes after `data_end` up to the hard end.
    pub fn tailroom(&self) -> usize {
        self.hard_end - self.end
    }

    /// The buffer offsets `(data_meta, data, data_end)`.
    pub fn offsets(&self) -> (usize, usize, usize) {
        (self.meta, self.data, self.end)
    }

    /// The program's address of `data`.
    pub fn data_ptr(&self) -> u64 {
        self.addr(self.data)
    }

    /// The program's address of `data_end`.
    pub fn data_end_ptr(&self) -> u64 {
        self.addr(self.end)
    }

    /// The program's address of `data_meta`.
    pub fn data_meta_ptr(&self) -> u64 {
        self.addr(self.meta)
    }

    /// The range programs may touch, `(start, len)` from `data_meta` to `data_end`: what
    /// the packet region of the run's memory map must be after every change.
    pub fn region(&self) -> (u64, u64) {
        (self.addr(self.meta), (self.end - self.meta) as u64)
    }

    /// The whole allocation, `(start, len)`: every [`Packet::region`] lies inside it.
    pub fn buffer(&self) -> (u64, u64) {
        (self.addr(0), self.cap as u64)
    }

    /// `len` bytes at buffer offset `at` (headroom included), or `None` past `data_end`.
    pub fn load_at(&self, at: usize, len: usize) -> Option<Vec<u8>> {
        (at.checked_add(len)? <= self.end).then(|| self.read_at(at, len))
    }

    /// `len` bytes from `off` (relative to `data`), or `None` past `data_end`.
    pub fn load_bytes(&self, off: usize, len: usize) -> Option<Vec<u8>> {
        let at = self.data.checked_add(off)?;
        (at.checked_add(len)? <= self.end).then(|| self.read_at(at, len))
    }

    /// Writes `bytes` at `off` (relative to `data`); `false` (and nothing written) when they
    /// would pass `data_end`.
    pub fn store_bytes(&mut self, off: usize, bytes: &[u8]) -> bool {
        let Some(at) = self.data.checked_add(off) else {
            return false;
        };
        match at.checked_add(bytes.len()) {
            Some(e) if e <= self.end => {
                self.write_at(at, bytes);
                true
            }
            _ => false,
        }
    }

    /// A copy of the packet from `data_meta` to `data_end` (what BPF_PROG_TEST_RUN reports
    /// for XDP as `data_out`).
    pub fn data_out(&self) -> Vec<u8> {
        self.read_at(self.meta, self.end - self.meta)
    }

    /// A copy of the packet from `data` to `data_end`.
    pub fn data(&self) -> Vec<u8> {
        self.read_at(self.data, self.end - self.data)
    }

    /// A copy of the metadata (`data_meta` to `data`).
    pub fn meta(&self) -> Vec<u8> {
        self.read_at(self.meta, self.data - self.meta)
    }

    /// Sets the three offsets directly (for skb helpers that push, pull or trim), checking
    /// only that `meta ≤ data ≤ end ≤` the hard end. Bytes are neither moved nor zeroed.
    pub fn set_offsets(&mut self, meta: usize, data: usize, end: usize) -> Result<(), i32> {
        if meta > data || data > end || end > self.hard_end {
            return Err(EINVAL);
        }
        self.meta = meta;
        self.data = data;
        self.end = end;
        Ok(())
    }

    /// Makes sure there are at least `headroom` free bytes before `data_meta` and
    /// `tailroom` after `data_end`, moving the packet into a larger buffer when there are
    /// not, as the kernel's `pskb_expand_head` does for skb helpers (`bpf_skb_change_head`,
    /// `bpf_skb_change_tail`, ...). The packet's bytes from `data_meta` to `data_end` and its
    /// offsets relative to each other are kept; the rest of a new buffer is zero. Every old
    /// address into the buffer becomes invalid: callers must reshape the packet region
    /// ([`Packet::region`]). Returns how far every buffer offset moved (0 when the buffer
    /// stayed).
    pub fn reserve(&mut self, headroom: usize, tailroom: usize) -> isize {
        if self.headroom() >= headroom && self.tailroom() >= tailroom {
            return 0;
        }
        let head = headroom.max(self.headroom());
        let tail = tailroom.max(self.tailroom());
        let used = self.end - self.meta;
        let mut grown = Packet::zeroed(head.saturating_add(used).saturating_add(tail));
        grown.write_at(head, &self.read_at(self.meta, used));
        grown.meta = head;
        grown.data = head + (self.data - self.meta);
        grown.end = head + used;
        grown.hard_end = grown.cap;
        let shift = head as isize - self.meta as isize;
        std::mem::swap(self, &mut grown);
        shift
    }

    /// `bpf_xdp_adjust_head`: moves `data` by `delta` (negative grows the packet at the
    /// front), carrying the metadata along. `-EINVAL` when `data` would enter the reserved
    /// `xdp_frame` area plus the metadata, or leave fewer than [`ETH_HLEN`] bytes.
    pub fn adjust_head(&mut self, delta: i32) -> Result<(), i32> {
        let metalen = self.meta_len();
        let data_start = XDP_FRAME_SIZE + metalen;
        let Some(data) = self.data.checked_add_signed(delta as isize) else {
            return Err(EINVAL);
        };
        if data < data_start || data + ETH_HLEN > self.end {
            return Err(EINVAL);
        }
        let meta = data - metalen;
        if metalen > 0 {
            self.move_within(self.meta, meta, metalen);
        }
        self.meta = meta;
        self.data = data;
        Ok(())
    }

    /// `bpf_xdp_adjust_tail`: moves `data_end` by `delta`, zeroing grown bytes. `-EINVAL`
    /// past the hard end or below `data + ETH_HLEN`.
    pub fn adjust_tail(&mut self, delta: i32) -> Result<(), i32> {
        let Some(end) = self.end.checked_add_signed(delta as isize) else {
            return Err(EINVAL);
        };
        if end > self.hard_end || end < self.data + ETH_HLEN {
            return Err(EINVAL);
        }
        if end > self.end {
            self.zero_at(self.end, end - self.end);
        }
        self.end = end;
        Ok(())
    }

    /// `bpf_xdp_adjust_meta`: moves `data_meta` by `delta` (negative grows the metadata).
    /// `-EINVAL` outside `[xdp_frame end, data]`, `-EACCES` for a metadata length that is
    /// not a multiple of 4 (or over 255).
    pub fn adjust_meta(&mut self, delta: i32) -> Result<(), i32> {
        let Some(meta) = self.meta.checked_add_signed(delta as isize) else {
            return Err(EINVAL);
        };
        if meta < XDP_FRAME_SIZE || meta > self.data {
            return Err(EINVAL);
        }
        if !xdp_metalen_valid(self.data - meta) {
            return Err(EACCES);
        }
        self.meta = meta;
        Ok(())
    }
}

impl Drop for Packet {
    fn drop(&mut self) {
        if let Ok(layout) = Layout::from_size_align(self.cap + 1, 64) {
            // SAFETY: `buf` was allocated in `zeroed` with exactly this layout and is freed
            // only here.
            unsafe { alloc::dealloc(self.buf.as_ptr(), layout) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 1) as u8).collect()
    }

    #[test]
    fn xdp_layout_matches_test_run() {
        let p = Packet::xdp(&pattern(64), 0);
        assert_eq!(p.offsets(), (256, 256, 320));
        assert_eq!(p.len(), 64);
        assert_eq!(p.tailroom(), 4096 - 320 - 320);
        assert_eq!(p.data_out(), pattern(64));
        let (start, len) = p.region();
        assert_eq!((start, len), (p.data_meta_ptr(), 64));
        let m = Packet::xdp(&pattern(64), 8);
        assert_eq!(m.offsets(), (248, 256, 312));
        assert_eq!(m.meta(), pattern(8));
    }

    #[test]
    fn load_and_store_stay_inside_data() {
        let mut p = Packet::new(64, &pattern(20), 0);
        assert_eq!(p.load_bytes(18, 2), Some(pattern(20)[18..].to_vec()));
        assert_eq!(p.load_bytes(19, 2), None);
        assert_eq!(p.load_bytes(usize::MAX, 2), None);
        assert!(p.store_bytes(0, &[9, 9]));
        assert!(!p.store_bytes(19, &[1, 2]));
        assert_eq!(&p.data()[..3], &[9, 9, pattern(3)[2]]);
    }

    // The expectations below are what Linux 6.18 answered for a 64-byte packet (no
    // metadata unless said) to bpf_xdp_adjust_*; tests/progtype_kernel.rs re-asks it.
    #[test]
    fn adjust_head_limits() {
        let mut p = Packet::xdp(&pattern(64), 0);
        assert_eq!(p.adjust_head(-217), Err(EINVAL));
        assert_eq!(p.adjust_head(51), Err(EINVAL));
        assert_eq!(p.adjust_head(-216), Ok(()));
        assert_eq!(p.len(), 280);
        assert_eq!(&p.data_out()[..216], &[0u8; 216][..]);
        let mut p = Packet::xdp(&pattern(64), 0);
        assert_eq!(p.adjust_head(50), Ok(()));
        assert_eq!(p.data_out(), pattern(64)[50..].to_vec());
    }

    #[test]
    fn adjust_head_carries_metadata() {
        let mut p = Packet::xdp(&pattern(64), 8);
        assert_eq!(p.adjust_head(-209), Err(EINVAL));
        assert_eq!(p.adjust_head(-4), Ok(()));
        let out = p.data_out();
        assert_eq!(out.len(), 68);
        assert_eq!(&out[..8], &pattern(8)[..]);
        assert_eq!(&out[8..12], &pattern(8)[4..]);
        assert_eq!(&out[12..], &pattern(64)[8..]);
    }

    #[test]
    fn adjust_tail_limits_and_zeroing() {
        let mut p = Packet::xdp(&pattern(64), 0);
        assert_eq!(p.adjust_tail(-51), Err(EINVAL));
        assert_eq!(p.adjust_tail(3457), Err(EINVAL));
        assert_eq!(p.adjust_tail(-50), Ok(()));
        assert_eq!(p.adjust_tail(3506), Ok(()));
        assert_eq!(p.len(), 3520);
        assert!(p.data()[14..].iter().all(|&b| b == 0));
    }

    #[test]
    fn reserve_moves_into_a_larger_buffer() {
        let mut p = Packet::new(4, &pattern(20), 2);
        assert_eq!(p.reserve(4, 2), 0);
        assert_eq!(p.reserve(64, 100), 60);
        assert_eq!((p.headroom(), p.tailroom()), (64, 100));
        assert_eq!(p.data(), pattern(20));
        assert_eq!(p.set_offsets(0, 0, 184), Ok(()));
        assert_eq!(&p.data_out()[64..84], &pattern(20)[..]);
    }

    #[test]
    fn adjust_meta_limits() {
        let mut p = Packet::xdp(&pattern(64), 0);
        assert_eq!(p.adjust_meta(4), Err(EINVAL));
        assert_eq!(p.adjust_meta(-1), Err(EACCES));
        assert_eq!(p.adjust_meta(-220), Err(EINVAL));
        assert_eq!(p.adjust_meta(-216), Ok(()));
        assert_eq!(p.meta_len(), 216);
        assert_eq!(p.adjust_meta(216), Ok(()));
        assert_eq!(p.meta_len(), 0);
    }
}
