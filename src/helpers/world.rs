//! Everything outside the program that helpers read or produce, set by the test so every run
//! is deterministic: the clocks, the random source, the CPU, the current task, the "kernel
//! memory" and "user memory" that `bpf_probe_read_*` see, the simulated network
//! ([`Net`](super::net::Net)), and the captured output (`bpf_trace_printk` lines).

/// A sparse address space: byte ranges at given addresses (for probe_read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SparseMemory {
    ranges: Vec<(u64, Vec<u8>)>,
}

impl SparseMemory {
    /// Maps `bytes` at `addr` (later mappings win where they overlap).
    pub fn map(&mut self, addr: u64, bytes: Vec<u8>) {
        self.ranges.push((addr, bytes));
    }

    /// Reads `len` bytes at `addr`, if every byte is mapped. The work and memory it takes are
    /// bounded by the mapped bytes, whatever `len` the program asked for.
    pub fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for i in 0..len as u64 {
            out.push(self.byte(addr.checked_add(i)?)?);
        }
        Some(out)
    }

    /// The byte at `addr`, if mapped.
    pub fn byte(&self, addr: u64) -> Option<u8> {
        self.ranges.iter().rev().find_map(|(start, bytes)| {
            let off = addr.checked_sub(*start)?;
            bytes.get(usize::try_from(off).ok()?).copied()
        })
    }

    /// Writes into mapped bytes (for `bpf_probe_write_user`); false when not all mapped.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> bool {
        if self.read(addr, data.len()).is_none() {
            return false;
        }
        for (i, &b) in data.iter().enumerate() {
            let a = addr + i as u64;
            if let Some((start, bytes)) = self
                .ranges
                .iter_mut()
                .rev()
                .find(|(s, b)| a >= *s && a - *s < b.len() as u64)
            {
                bytes[(a - *start) as usize] = b;
            }
        }
        true
    }
}

/// The task the program runs "in" (for `bpf_get_current_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub pid: u32,
    pub tgid: u32,
    pub uid: u32,
    pub gid: u32,
    /// `comm`, at most 15 bytes plus NUL as in the kernel.
    pub comm: String,
    /// What `bpf_get_current_task` returns: an address in `World::kernel_memory` where the
    /// test may map a `task_struct` image.
    pub task_addr: u64,
    pub cgroup_id: u64,
}

impl Default for Task {
    fn default() -> Self {
        Task {
            pid: 1000,
            tgid: 1000,
            uid: 0,
            gid: 0,
            comm: "bpfsim".into(),
            task_addr: 0xffff_8880_0100_0000,
            cgroup_id: 1,
        }
    }
}

/// The deterministic outside world of a run, and what the run printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    /// `bpf_ktime_get_ns` of the first call.
    pub mono_ns: u64,
    /// How far the clock moves at each clock read.
    pub clock_step_ns: u64,
    /// Boot time minus monotonic time (time spent suspended).
    pub boot_offset_ns: u64,
    /// TAI minus monotonic time.
    pub tai_offset_ns: u64,
    /// State of the `bpf_get_prandom_u32` generator (xorshift64*; never 0).
    pub random_state: u64,
    /// `bpf_get_smp_processor_id`.
    pub cpu: u32,
    /// Number of possible CPUs (per-CPU maps hold this many copies).
    pub ncpus: u32,
    pub numa_node: u32,
    pub task: Task,
    pub kernel_memory: SparseMemory,
    pub user_memory: SparseMemory,
    /// Lines `bpf_trace_printk` printed (the message part of a trace_pipe line).
    pub trace: Vec<String>,
    /// The network the networking helpers see: devices, routes, sockets, cookies, the
    /// flow hash key, and the redirects and clones programs asked for.
    pub net: super::net::Net,
    /// The kernel and user call stacks `bpf_get_stackid` records (instruction pointers,
    /// innermost first).
    pub kernel_stack: Vec<u64>,
    pub user_stack: Vec<u64>,
    /// Counter values of the perf events behind a perf event array, by slot (missing
    /// slots read 0), with their enabled and running times.
    pub perf_counters: Vec<u64>,
    pub perf_enabled_ns: u64,
    pub perf_running_ns: u64,
    /// What `bpf_override_return` asked the probed function to return.
    pub override_return: Option<u64>,
}

impl Default for World {
    fn default() -> Self {
        World {
            mono_ns: 1_000_000_000_000,
            clock_step_ns: 1_000,
            boot_offset_ns: 0,
            tai_offset_ns: 37_000_000_000,
            random_state: 0x2545_f491_4f6c_dd1d,
            cpu: 0,
            ncpus: 2,
            numa_node: 0,
            task: Task::default(),
            kernel_memory: SparseMemory::default(),
            user_memory: SparseMemory::default(),
            trace: Vec::new(),
            net: super::net::Net::default(),
            kernel_stack: vec![0xffff_ffff_8100_0000, 0xffff_ffff_8100_1000],
            user_stack: vec![0x0000_5555_5555_0000],
            perf_counters: Vec::new(),
            perf_enabled_ns: 0,
            perf_running_ns: 0,
            override_return: None,
        }
    }
}

impl World {
    /// The monotonic clock, moving by `clock_step_ns` at each read.
    pub fn read_clock(&mut self) -> u64 {
        let now = self.mono_ns;
        self.mono_ns = self.mono_ns.wrapping_add(self.clock_step_ns);
        now
    }

    /// The next pseudo-random 32-bit number.
    pub fn next_random(&mut self) -> u32 {
        let mut x = self.random_state;
        if x == 0 {
            x = 0x2545_f491_4f6c_dd1d;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random_state = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_memory_reads_only_mapped_bytes() {
        let mut m = SparseMemory::default();
        m.map(0x1000, vec![1, 2, 3]);
        assert_eq!(m.read(0x1001, 2), Some(vec![2, 3]));
        assert_eq!(m.read(0x1002, 2), None);
        assert!(m.write(0x1000, &[9]));
        assert_eq!(m.byte(0x1000), Some(9));
        assert!(!m.write(0x0fff, &[1, 2]));
    }

    #[test]
    fn clock_and_random_are_deterministic() {
        let mut a = World::default();
        let mut b = World::default();
        assert_eq!(a.read_clock() + 1000, a.read_clock());
        assert_eq!(a.next_random(), b.next_random());
        assert_ne!(a.next_random(), a.next_random());
    }
}
