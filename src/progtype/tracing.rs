//! The tracing contexts, which are plain read-only memory: a kprobe's `struct pt_regs`
//! (x86-64 layout), a tracepoint's record, a raw tracepoint's `u64` arguments and a perf
//! event's `struct bpf_perf_event_data` (the registers, then `sample_period` and `addr`).
//! The kernel rewrites only the perf event's `sample_period`/`addr` loads, and those read
//! what a flat blob holds, so a run needs no translator: the context is a region over the
//! caller's bytes. The access rules (kernel/trace/bpf_trace.c) are here for the verifier.

use super::ProgType;

/// `sizeof(struct pt_regs)` on x86-64: 21 registers of 8 bytes.
pub const PT_REGS_SIZE: usize = 168;
/// `sizeof(struct bpf_perf_event_data)`: `pt_regs`, `sample_period`, `addr`.
pub const PERF_EVENT_DATA_SIZE: usize = PT_REGS_SIZE + 16;
/// Largest raw tracepoint context: `MAX_BPF_FUNC_ARGS` (12) arguments of 8 bytes.
pub const RAW_TP_MAX_SIZE: usize = 12 * 8;
/// Largest tracepoint record a program may read (`PERF_MAX_TRACE_SIZE`).
pub const TRACEPOINT_MAX_SIZE: usize = 8192;
/// The tracepoint record's common header (`struct trace_entry`), which programs may not read.
pub const TRACE_ENTRY_SIZE: usize = 8;

/// Offsets of `struct pt_regs` (arch/x86/include/asm/ptrace.h), x86-64.
pub mod pt_regs {
    pub const R15: usize = 0;
    pub const R14: usize = 8;
    pub const R13: usize = 16;
    pub const R12: usize = 24;
    pub const BP: usize = 32;
    pub const BX: usize = 40;
    pub const R11: usize = 48;
    pub const R10: usize = 56;
    pub const R9: usize = 64;
    pub const R8: usize = 72;
    pub const AX: usize = 80;
    pub const CX: usize = 88;
    pub const DX: usize = 96;
    pub const SI: usize = 104;
    pub const DI: usize = 112;
    pub const ORIG_AX: usize = 120;
    pub const IP: usize = 128;
    pub const CS: usize = 136;
    pub const FLAGS: usize = 144;
    pub const SP: usize = 152;
    pub const SS: usize = 160;
}

/// Offsets of `struct bpf_perf_event_data`.
pub mod perf_event {
    pub const REGS: usize = 0;
    pub const SAMPLE_PERIOD: usize = super::PT_REGS_SIZE;
    pub const ADDR: usize = super::PT_REGS_SIZE + 8;
}

/// Whether a tracing program of type `t` may access `size` bytes at `off` of its context.
/// All of them are read-only and need naturally aligned accesses.
pub fn access_ok(t: ProgType, off: u32, size: u32, write: bool) -> bool {
    if write || !matches!(size, 1 | 2 | 4 | 8) || !off.is_multiple_of(size) {
        return false;
    }
    let (off, size) = (off as usize, size as usize);
    match t {
        ProgType::Kprobe => off + size <= PT_REGS_SIZE,
        ProgType::Tracepoint => (TRACE_ENTRY_SIZE..TRACEPOINT_MAX_SIZE).contains(&off),
        ProgType::RawTracepoint => off < RAW_TP_MAX_SIZE,
        ProgType::PerfEvent => {
            if off >= PERF_EVENT_DATA_SIZE {
                false
            } else if off >= perf_event::SAMPLE_PERIOD {
                true
            } else {
                size == 8
            }
        }
        _ => false,
    }
}

/// The size a context blob of type `t` must have, for the types with a fixed one.
pub fn fixed_size(t: ProgType) -> Option<usize> {
    match t {
        ProgType::Kprobe => Some(PT_REGS_SIZE),
        ProgType::PerfEvent => Some(PERF_EVENT_DATA_SIZE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        use ProgType::*;
        assert!(access_ok(Kprobe, pt_regs::DI as u32, 8, false));
        assert!(access_ok(Kprobe, 112, 4, false));
        assert!(!access_ok(Kprobe, 113, 4, false));
        assert!(!access_ok(Kprobe, 160, 8, true));
        assert!(!access_ok(Kprobe, 168, 1, false));
        assert!(!access_ok(Tracepoint, 4, 4, false));
        assert!(access_ok(Tracepoint, 8, 8, false));
        assert!(access_ok(RawTracepoint, 88, 8, false));
        assert!(!access_ok(RawTracepoint, 96, 1, false));
        assert!(!access_ok(PerfEvent, 112, 4, false));
        assert!(access_ok(PerfEvent, 172, 4, false));
        assert!(access_ok(PerfEvent, 176, 8, false));
        assert!(!access_ok(PerfEvent, 184, 8, false));
    }
}
