//! `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one slot per perf event (usually one per CPU); programs
//! write samples with `bpf_perf_event_output`, which this map captures in order as
//! [`PerfEvent`]s for the embedder to read.
//!
//! A slot "has a reader" when it holds a perf event. Unlike a fresh kernel map (empty until user
//! space stores event fds), every slot starts with a reader that accepts samples from any CPU,
//! so programs can output without setup; [`PerfEventArray::set_reader`] and
//! [`PerfEventArray::set_reader_cpu`] change that. A sample to a slot without a reader fails
//! with `ENOENT`, one to a reader bound to another CPU with `EOPNOTSUPP`, as in the kernel.

use super::array::next_index;
use super::errno::Errno;
use super::flags::{BPF_ANY, BPF_F_CTXLEN_MASK, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK};
use super::value::key_index;

/// One sample written by `bpf_perf_event_output`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerfEvent {
    /// The slot written to.
    pub index: u32,
    /// The CPU the program ran on.
    pub cpu: usize,
    pub data: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Reader {
    /// The fd user space stored (0 for the default readers).
    fd: u32,
    /// The CPU the event is bound to; `None`: any.
    cpu: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct PerfEventArray {
    max_entries: u32,
    readers: Vec<Option<Reader>>,
    events: Vec<PerfEvent>,
}

impl PerfEventArray {
    pub(crate) fn new(max_entries: u32) -> Self {
        PerfEventArray {
            max_entries,
            readers: vec![Some(Reader { fd: 0, cpu: None }); max_entries as usize],
            events: Vec::new(),
        }
    }

    fn slot(&mut self, index: u32) -> Result<&mut Option<Reader>, Errno> {
        self.readers.get_mut(index as usize).ok_or(Errno::E2BIG)
    }

    /// Gives slot `index` a reader (any CPU) or takes it away.
    pub(crate) fn set_reader(&mut self, index: u32, present: bool) -> Result<(), Errno> {
        *self.slot(index)? = present.then_some(Reader { fd: 0, cpu: None });
        Ok(())
    }

    /// Binds slot `index`'s reader to one CPU (`None`: any), giving it one if it had none.
    pub(crate) fn set_reader_cpu(&mut self, index: u32, cpu: Option<usize>) -> Result<(), Errno> {
        let slot = self.slot(index)?;
        let fd = slot.map(|r| r.fd).unwrap_or(0);
        *slot = Some(Reader { fd, cpu });
        Ok(())
    }

    /// `bpf_perf_event_output` (and the skb/xdp variants, whose context bytes the helper has
    /// already appended to `data`).
    pub(crate) fn output(&mut self, flags: u64, cpu: usize, data: &[u8]) -> Result<(), Errno> {
        if flags & !(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK) != 0 {
            return Err(Errno::EINVAL);
        }
        let mut index = flags & BPF_F_INDEX_MASK;
        if index == BPF_F_CURRENT_CPU {
            index = cpu as u64;
        }
        if index >= u64::from(self.max_entries) {
            return Err(Errno::E2BIG);
        }
        let reader = self
            .readers
            .get(index as usize)
            .copied()
            .flatten()
            .ok_or(Errno::ENOENT)?;
        if reader.cpu.is_some_and(|c| c != cpu) {
            return Err(Errno::EOPNOTSUPP);
        }
        self.events.push(PerfEvent {
            index: index as u32,
            cpu,
            data: data.to_vec(),
        });
        Ok(())
    }

    pub(crate) fn events(&self) -> &[PerfEvent] {
        &self.events
    }

    pub(crate) fn take_events(&mut self) -> Vec<PerfEvent> {
        std::mem::take(&mut self.events)
    }

    pub(crate) fn len(&self) -> usize {
        self.readers.iter().filter(|r| r.is_some()).count()
    }

    /// `BPF_MAP_UPDATE_ELEM` with a perf event fd: the slot gets a reader on any CPU.
    pub(crate) fn update(&mut self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        if flags != BPF_ANY {
            return Err(Errno::EINVAL);
        }
        let i = key_index(key).ok_or(Errno::EINVAL)?;
        let fd = value
            .try_into()
            .map(u32::from_ne_bytes)
            .map_err(|_| Errno::EINVAL)?;
        *self.slot(i)? = Some(Reader { fd, cpu: None });
        Ok(())
    }

    /// `BPF_MAP_DELETE_ELEM`: removes the slot's reader.
    pub(crate) fn delete(&mut self, key: &[u8]) -> Result<(), Errno> {
        let i = key_index(key).ok_or(Errno::EINVAL)?;
        let slot = self.slot(i)?;
        if slot.take().is_none() {
            return Err(Errno::ENOENT);
        }
        Ok(())
    }

    pub(crate) fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        next_index(self.max_entries, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errnos were confirmed on 6.18 with a tc program calling bpf_perf_event_output
    /// under BPF_PROG_TEST_RUN: no event in the slot -2, index past max_entries -7, unknown
    /// flag bits -22 (context-length bits are allowed).
    #[test]
    fn output_order_and_errnos() {
        let mut p = PerfEventArray::new(2);
        p.output(BPF_F_CURRENT_CPU, 1, b"a").expect("current cpu");
        p.output(0, 1, b"b").expect("explicit index");
        assert_eq!(p.output(2, 0, b"c"), Err(Errno::E2BIG));
        assert_eq!(p.output(BPF_F_CURRENT_CPU, 2, b"c"), Err(Errno::E2BIG));
        assert_eq!(p.output(1 << 62, 0, b"c"), Err(Errno::EINVAL));
        assert_eq!(p.output((1 << 33) | 9, 0, b"c"), Err(Errno::E2BIG));
        p.set_reader(0, false).expect("in range");
        assert_eq!(p.output(0, 0, b"c"), Err(Errno::ENOENT));
        p.set_reader_cpu(1, Some(1)).expect("in range");
        assert_eq!(p.output(1, 0, b"c"), Err(Errno::EOPNOTSUPP));
        p.output(1, 1, b"d").expect("bound cpu");
        assert_eq!(p.set_reader(2, true), Err(Errno::E2BIG));
        let got: Vec<(u32, usize, Vec<u8>)> = p
            .take_events()
            .into_iter()
            .map(|e| (e.index, e.cpu, e.data))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 1, b"a".to_vec()),
                (0, 1, b"b".to_vec()),
                (1, 1, b"d".to_vec())
            ]
        );
        assert!(p.events().is_empty());
    }

    /// Confirmed with the bpf() syscall on 6.18: delete of an empty slot is ENOENT, out of
    /// range E2BIG; updates need BPF_ANY.
    #[test]
    fn user_side() {
        let mut p = PerfEventArray::new(2);
        assert_eq!(p.len(), 2);
        p.delete(&0u32.to_ne_bytes()).expect("reader present");
        assert_eq!(p.delete(&0u32.to_ne_bytes()), Err(Errno::ENOENT));
        assert_eq!(p.delete(&2u32.to_ne_bytes()), Err(Errno::E2BIG));
        assert_eq!(
            p.update(&0u32.to_ne_bytes(), &5u32.to_ne_bytes(), 2),
            Err(Errno::EINVAL)
        );
        p.update(&0u32.to_ne_bytes(), &5u32.to_ne_bytes(), BPF_ANY)
            .expect("update");
        assert_eq!(p.len(), 2);
    }
}
