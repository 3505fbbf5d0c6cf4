//! `BPF_MAP_TYPE_QUEUE` (FIFO) and `BPF_MAP_TYPE_STACK` (LIFO): a ring of `max_entries + 1`
//! values with head and tail indices, as `queue_stack_maps.c` keeps it. A full push fails with
//! `E2BIG` unless `BPF_EXIST` is given, which drops the oldest element (for a stack too: the
//! bottom one). Values are copied in and out, never pointed to.

use super::arena::Arena;
use super::errno::Errno;
use super::flags::{BPF_EXIST, BPF_NOEXIST};

#[derive(Debug)]
pub(crate) struct QueueStack {
    lifo: bool,
    value_size: usize,
    size: usize,
    head: usize,
    tail: usize,
    arena: Arena,
}

impl QueueStack {
    pub(crate) fn new(lifo: bool, value_size: u32, max_entries: u32) -> Result<Self, Errno> {
        let size = (max_entries as usize).checked_add(1).ok_or(Errno::ENOMEM)?;
        let value_size = value_size as usize;
        Ok(QueueStack {
            lifo,
            value_size,
            size,
            head: 0,
            tail: 0,
            arena: Arena::new(size.checked_mul(value_size).ok_or(Errno::ENOMEM)?)?,
        })
    }

    pub(crate) fn len(&self) -> usize {
        (self.head + self.size - self.tail) % self.size
    }

    fn is_full(&self) -> bool {
        (self.head + 1) % self.size == self.tail
    }

    /// `queue_stack_map_push_elem()`.
    pub(crate) fn push(&mut self, value: &[u8], flags: u64) -> Result<(), Errno> {
        if flags & BPF_NOEXIST != 0 || flags > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        if value.len() != self.value_size {
            return Err(Errno::EINVAL);
        }
        if self.is_full() {
            if flags & BPF_EXIST == 0 {
                return Err(Errno::E2BIG);
            }
            self.tail = (self.tail + 1) % self.size;
        }
        self.arena.write(self.head * self.value_size, value);
        self.head = (self.head + 1) % self.size;
        Ok(())
    }

    /// The index of the next element out (front of a queue, top of a stack).
    fn next_out(&self) -> usize {
        if self.lifo {
            (self.head + self.size - 1) % self.size
        } else {
            self.tail
        }
    }

    /// Copies the next element into `out`; empty: `ENOENT` with `out` zeroed, as the kernel
    /// leaves it.
    pub(crate) fn peek(&self, out: &mut [u8]) -> Result<(), Errno> {
        if out.len() != self.value_size {
            return Err(Errno::EINVAL);
        }
        if self.len() == 0 {
            out.fill(0);
            return Err(Errno::ENOENT);
        }
        self.arena.read(self.next_out() * self.value_size, out);
        Ok(())
    }

    /// Like [`QueueStack::peek`], and removes the element.
    pub(crate) fn pop(&mut self, out: &mut [u8]) -> Result<(), Errno> {
        self.peek(out)?;
        let index = self.next_out();
        if self.lifo {
            self.head = index;
        } else {
            self.tail = (self.tail + 1) % self.size;
        }
        Ok(())
    }

    pub(crate) fn value_size(&self) -> usize {
        self.value_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::flags::BPF_ANY;

    fn pop(q: &mut QueueStack) -> Result<u32, Errno> {
        let mut b = [0u8; 4];
        q.pop(&mut b)?;
        Ok(u32::from_ne_bytes(b))
    }

    /// Confirmed with the bpf() syscall on 6.18 (push = update, pop = lookup_and_delete).
    #[test]
    fn queue_order_and_full() {
        let mut q = QueueStack::new(false, 4, 2).expect("queue");
        q.push(&1u32.to_ne_bytes(), BPF_ANY).expect("push");
        q.push(&2u32.to_ne_bytes(), BPF_ANY).expect("push");
        assert_eq!(q.push(&3u32.to_ne_bytes(), BPF_ANY), Err(Errno::E2BIG));
        assert_eq!(q.push(&3u32.to_ne_bytes(), BPF_NOEXIST), Err(Errno::EINVAL));
        assert_eq!(q.push(&3u32.to_ne_bytes(), 4), Err(Errno::EINVAL));
        q.push(&3u32.to_ne_bytes(), BPF_EXIST)
            .expect("drops the oldest");
        let mut peek = [0u8; 4];
        q.peek(&mut peek).expect("peek");
        assert_eq!(u32::from_ne_bytes(peek), 2);
        assert_eq!(pop(&mut q), Ok(2));
        assert_eq!(pop(&mut q), Ok(3));
        assert_eq!(pop(&mut q), Err(Errno::ENOENT));
        for round in 0..10u32 {
            q.push(&round.to_ne_bytes(), BPF_ANY).expect("push");
            assert_eq!(pop(&mut q), Ok(round));
        }
    }

    #[test]
    fn stack_order_and_exist_drops_bottom() {
        let mut s = QueueStack::new(true, 4, 2).expect("stack");
        s.push(&1u32.to_ne_bytes(), BPF_ANY).expect("push");
        s.push(&2u32.to_ne_bytes(), BPF_ANY).expect("push");
        s.push(&3u32.to_ne_bytes(), BPF_EXIST).expect("push");
        assert_eq!(s.len(), 2);
        assert_eq!(pop(&mut s), Ok(3));
        assert_eq!(pop(&mut s), Ok(2));
        let mut out = [9u8; 4];
        assert_eq!(s.pop(&mut out), Err(Errno::ENOENT));
        assert_eq!(out, [0; 4]);
    }
}
