//! `BPF_MAP_TYPE_RINGBUF`: the kernel's BPF ring buffer. Records are an 8-byte header (`u32`
//! length with `BPF_RINGBUF_BUSY_BIT`/`BPF_RINGBUF_DISCARD_BIT`, `u32` page offset) followed by
//! the data, rounded up to 8 bytes, at positions that grow forever and wrap modulo the
//! (power-of-two) data size. The kernel maps the data pages twice in a row so that a record that
//! wraps is still contiguous; here the arena is twice the data size, a record's tail may run
//! into the second half while it is reserved, and submit/discard copy that tail back to the
//! start of the first half, where the consumer reads it. Reservation follows
//! `__bpf_ringbuf_reserve`: at most `size - 1` bytes between the consumer and the new producer
//! position, and between the oldest still-busy record and it.

use super::arena::{Arena, ValueRegion};
use super::errno::Errno;
use super::flags::*;
use super::value::round8;

/// Largest record (`RINGBUF_MAX_RECORD_SZ`).
const MAX_RECORD: u64 = (u32::MAX / 4) as u64;
/// Pages before the data in the kernel's `struct bpf_ringbuf` (header page, consumer page,
/// producer page): what a record header's page offset counts from.
const DATA_PGOFF: u64 = 3;
const HDR: u64 = BPF_RINGBUF_HDR_SZ as u64;

#[derive(Debug)]
pub(crate) struct RingBuf {
    size: u64,
    mask: u64,
    arena: Arena,
    cons: u64,
    prod: u64,
    pending: u64,
}

impl RingBuf {
    /// A ring of `size` data bytes (a power of two, checked at creation).
    pub(crate) fn new(size: u32) -> Result<Self, Errno> {
        let size = u64::from(size);
        let bytes = usize::try_from(size * 2).map_err(|_| Errno::ENOMEM)?;
        Ok(RingBuf {
            size,
            mask: size - 1,
            arena: Arena::new(bytes)?,
            cons: 0,
            prod: 0,
            pending: 0,
        })
    }

    fn header(&self, pos: u64) -> u32 {
        self.arena.read_u32((pos & self.mask) as usize)
    }

    fn record_len(word: u32) -> u64 {
        round8((word & !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) as usize + HDR as usize)
            as u64
    }

    /// `bpf_ringbuf_reserve`: the address of `size` contiguous writable bytes, or `None` when
    /// `flags` is non-zero, the record is too large, or there is no room.
    pub(crate) fn reserve(&mut self, size: u64, flags: u64) -> Option<u64> {
        if flags != 0 || size > MAX_RECORD {
            return None;
        }
        let len = (size + HDR).div_ceil(8) * 8;
        if len > self.size {
            return None;
        }
        // Skip the committed records at the start of the busy region.
        while self.prod > self.pending {
            let word = self.header(self.pending);
            if word & BPF_RINGBUF_BUSY_BIT != 0 {
                break;
            }
            self.pending += Self::record_len(word);
        }
        let new_prod = self.prod + len;
        if new_prod - self.cons > self.mask || new_prod - self.pending > self.mask {
            return None;
        }
        let off = self.prod & self.mask;
        let pg_off = (off >> 12) + DATA_PGOFF;
        self.arena
            .write_u32(off as usize, size as u32 | BPF_RINGBUF_BUSY_BIT);
        self.arena.write_u32(off as usize + 4, pg_off as u32);
        self.prod = new_prod;
        Some(self.arena.addr() + off + HDR)
    }

    /// The header offset of a reserved record's data address.
    fn reserved(&self, addr: u64) -> Result<usize, Errno> {
        let off = addr
            .checked_sub(self.arena.addr() + HDR)
            .filter(|o| *o < self.size && o % 8 == 0)
            .ok_or(Errno::EINVAL)? as usize;
        if self.arena.read_u32(off) & BPF_RINGBUF_BUSY_BIT == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(off)
    }

    /// `bpf_ringbuf_submit`/`bpf_ringbuf_discard` of the record at `addr` (what `reserve`
    /// returned). `EINVAL` if `addr` is not a reserved record (the verifier rules that out).
    pub(crate) fn commit(&mut self, addr: u64, discard: bool) -> Result<(), Errno> {
        let off = self.reserved(addr)?;
        let word = self.arena.read_u32(off);
        let end = off as u64 + Self::record_len(word);
        if end > self.size {
            let n = (end - self.size) as usize;
            self.arena.copy_within(self.size as usize, 0, n);
        }
        let mut new = word ^ BPF_RINGBUF_BUSY_BIT;
        if discard {
            new |= BPF_RINGBUF_DISCARD_BIT;
        }
        self.arena.write_u32(off, new);
        Ok(())
    }

    /// `bpf_ringbuf_output`: reserve, copy, submit; `EAGAIN` when there is no room.
    pub(crate) fn output(&mut self, data: &[u8], flags: u64) -> Result<(), Errno> {
        if flags & !(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP) != 0 {
            return Err(Errno::EINVAL);
        }
        let addr = self.reserve(data.len() as u64, 0).ok_or(Errno::EAGAIN)?;
        let off = (addr - self.arena.addr()) as usize;
        self.arena.write(off, data);
        self.commit(addr, false)
    }

    /// `bpf_ringbuf_query`.
    pub(crate) fn query(&self, flags: u64) -> u64 {
        match flags {
            BPF_RB_AVAIL_DATA => self.prod - self.cons,
            BPF_RB_RING_SIZE => self.size,
            BPF_RB_CONS_POS => self.cons,
            BPF_RB_PROD_POS => self.prod,
            _ => 0,
        }
    }

    /// The user-space consumer: every submitted record in order up to the first still-busy
    /// one, skipping discarded records, advancing the consumer position past them.
    pub(crate) fn consume(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while self.cons < self.prod {
            let word = self.header(self.cons);
            if word & BPF_RINGBUF_BUSY_BIT != 0 {
                break;
            }
            if word & BPF_RINGBUF_DISCARD_BIT == 0 {
                let len = word as usize;
                let start = ((self.cons + HDR) & self.mask) as usize;
                let first = len.min(self.size as usize - start);
                let mut data = self.arena.to_vec(start, first);
                data.extend(self.arena.to_vec(0, len - first));
                out.push(data);
            }
            self.cons += Self::record_len(word);
        }
        out
    }

    /// The whole double-mapped data area: programs write their reserved records in it (the
    /// verifier bounds each access to its record).
    pub(crate) fn regions(&self) -> Vec<ValueRegion> {
        let len = self.arena.len() as u64;
        vec![ValueRegion {
            start: self.arena.addr(),
            len,
            stride: len,
            elem_size: len,
            writable: true,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(rb: &mut RingBuf, addr: u64, data: &[u8]) {
        let off = (addr - rb.arena.addr()) as usize;
        rb.arena.write(off, data);
    }

    #[test]
    fn reserve_submit_discard_and_consume_in_order() {
        let mut rb = RingBuf::new(4096).expect("ringbuf");
        let a = rb.reserve(5, 0).expect("room");
        let b = rb.reserve(3, 0).expect("room");
        let c = rb.reserve(8, 0).expect("room");
        assert_eq!(b - a, 16);
        assert_eq!(c - b, 16);
        write(&mut rb, a, b"hello");
        write(&mut rb, b, b"bye");
        write(&mut rb, c, b"12345678");
        // b and c are committed, a is still busy: nothing can be consumed yet.
        rb.commit(b, true).expect("discard");
        rb.commit(c, false).expect("submit");
        assert!(rb.consume().is_empty());
        assert_eq!(rb.query(BPF_RB_AVAIL_DATA), 48);
        rb.commit(a, false).expect("submit");
        assert_eq!(rb.consume(), vec![b"hello".to_vec(), b"12345678".to_vec()]);
        assert_eq!(rb.query(BPF_RB_CONS_POS), 48);
        assert_eq!(rb.query(BPF_RB_PROD_POS), 48);
        assert_eq!(rb.query(BPF_RB_RING_SIZE), 4096);
        assert_eq!(rb.query(99), 0);
        assert_eq!(rb.commit(a, false), Err(Errno::EINVAL), "already submitted");
        assert_eq!(rb.commit(a + 1, false), Err(Errno::EINVAL));
        assert_eq!(rb.reserve(1, 1), None);
    }

    /// Confirmed on 6.18 with a socket filter under BPF_PROG_TEST_RUN: a 4096-byte ring takes
    /// 511 zero-byte outputs (8 bytes each; the 512th would leave no byte free), output flag 4
    /// is -EINVAL, an 8-byte output moves the producer by 16.
    #[test]
    fn ring_keeps_one_byte_free_like_the_kernel() {
        let mut rb = RingBuf::new(4096).expect("ringbuf");
        let ok = (0..600).filter(|_| rb.output(&[], 0).is_ok()).count();
        assert_eq!(ok, 511);
        let mut rb = RingBuf::new(4096).expect("ringbuf");
        assert_eq!(rb.output(&[0; 8], 4), Err(Errno::EINVAL));
        rb.output(&[0; 8], BPF_RB_FORCE_WAKEUP).expect("room");
        assert_eq!(rb.query(BPF_RB_PROD_POS), 16);
        assert_eq!(rb.query(BPF_RB_AVAIL_DATA), 16);
    }

    #[test]
    fn full_ring_and_output() {
        let mut rb = RingBuf::new(4096).expect("ringbuf");
        assert_eq!(rb.reserve(4096, 0), None, "larger than the ring");
        // At most size - 1 bytes outstanding: 4088 + 8 = 4096 does not fit.
        assert_eq!(rb.reserve(4088, 0), None);
        let a = rb.reserve(4080, 0).expect("4088 bytes fit");
        assert_eq!(rb.reserve(0, 0), None);
        assert_eq!(rb.output(b"x", 0), Err(Errno::EAGAIN));
        assert_eq!(rb.output(b"x", 4), Err(Errno::EINVAL));
        rb.commit(a, false).expect("submit");
        assert_eq!(rb.consume().len(), 1);
        rb.output(b"xyz", BPF_RB_NO_WAKEUP).expect("room again");
        assert_eq!(rb.consume(), vec![b"xyz".to_vec()]);
    }

    #[test]
    fn wrapped_records_are_contiguous_and_read_back() {
        let mut rb = RingBuf::new(4096).expect("ringbuf");
        // Move the positions near the end of the ring.
        let a = rb.reserve(4000, 0).expect("room");
        rb.commit(a, true).expect("discard");
        assert!(rb.consume().is_empty());
        assert_eq!(rb.query(BPF_RB_CONS_POS), 4008);
        // This record starts at 4008 and wraps: its 200 bytes are contiguous at `b`.
        let b = rb.reserve(200, 0).expect("room");
        assert_eq!(b - rb.arena.addr(), 4016);
        let data: Vec<u8> = (0..200u32).map(|i| i as u8).collect();
        write(&mut rb, b, &data);
        let c = rb.reserve(16, 0).expect("room");
        write(&mut rb, c, &[7; 16]);
        rb.commit(c, false).expect("submit");
        rb.commit(b, false).expect("submit");
        assert_eq!(rb.consume(), vec![data, vec![7; 16]]);
        assert_eq!(rb.query(BPF_RB_AVAIL_DATA), 0);
    }

    #[test]
    fn busy_records_limit_reservations() {
        let mut rb = RingBuf::new(4096).expect("ringbuf");
        let a = rb.reserve(2000, 0).expect("room");
        let b = rb.reserve(2000, 0).expect("room");
        rb.commit(b, false).expect("submit");
        // a is busy, so nothing can be consumed and the ring is full.
        assert!(rb.consume().is_empty());
        assert_eq!(rb.reserve(100, 0), None);
        rb.commit(a, false).expect("submit");
        assert_eq!(rb.consume().len(), 2);
        assert!(rb.reserve(100, 0).is_some());
    }
}
