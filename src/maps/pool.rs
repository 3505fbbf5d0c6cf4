//! Free-slot bookkeeping for arenas of fixed-size slots: a freed slot is reused first (LIFO, as
//! the kernel's free lists hand back the element just freed), and never-used slots are handed
//! out in increasing order on demand, so a map with millions of entries costs no bookkeeping
//! until it is filled.

#[derive(Clone, Debug)]
pub(crate) struct SlotPool {
    returned: Vec<usize>,
    next: usize,
    end: usize,
}

impl SlotPool {
    /// The slots `start..end`, all free.
    pub(crate) fn new(start: usize, end: usize) -> Self {
        SlotPool {
            returned: Vec::new(),
            next: start,
            end,
        }
    }

    pub(crate) fn pop(&mut self) -> Option<usize> {
        if let Some(s) = self.returned.pop() {
            return Some(s);
        }
        (self.next < self.end).then(|| {
            self.next += 1;
            self.next - 1
        })
    }

    pub(crate) fn push(&mut self, slot: usize) {
        self.returned.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_in_order_then_lifo_reuse() {
        let mut p = SlotPool::new(2, 5);
        assert_eq!(p.pop(), Some(2));
        assert_eq!(p.pop(), Some(3));
        p.push(2);
        assert_eq!(p.pop(), Some(2));
        assert_eq!(p.pop(), Some(4));
        assert_eq!(p.pop(), None);
    }
}
