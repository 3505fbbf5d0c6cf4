//! Precision tracking and state pruning in `do_check` against Linux 6.18.
//!
//! Each case is a small socket filter, mostly in twins: one where pruning with imprecise
//! scalars would hide an unsafe path (the kernel explores it because backtracking marked
//! the scalar precise), one where the same shape is safe. The recorded expectation is the
//! kernel's verdict (`accept` or its last log line) and its statistics line
//! (`processed N insns ... total_states N peak_states N`), taken as root with
//! `bpf(BPF_PROG_LOAD)`. `recorded_verdicts_and_statistics_hold` checks bpfsim against the
//! constants without a kernel; `kernel_agrees_with_the_recorded_verdicts` asks the kernel
//! again, printing `skipped` where bpf() is unavailable. Set `BPFSIM_RECORD=1` to print what
//! the kernel says in the constants' syntax.

mod common;

use bpfsim::insn::RawInsn;
use bpfsim::insn::asm::assemble;
use bpfsim::progtype::ProgType;
use bpfsim::verifier::{CheckEnv, MapHelpers, PreflightOptions, Stats, do_check, preflight_insns};

struct Case {
    name: &'static str,
    asm: &'static str,
    /// `accept`, or the kernel's error line.
    kernel: &'static str,
    /// insns_processed, total_states, peak_states.
    stats: [u64; 3],
}

/// `r1` is 8 on one path and 16 on the other; the join at `l2` is checkpointed on the
/// first path, then `r1` moves a stack pointer, so it must be precise in the checkpoint or
/// the second path (writing at fp+0) would be pruned.
const PRECISE_OFFSET: &str = "
    call 7
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    if r0 == 0 goto l1
    r1 = 8
    goto l2
l1:
    r1 = 16
l2:
    r2 = r10
    r2 += -16
    r2 += r1
    *(u64 *)(r2 + 0) = 0
    r0 = 0
    exit
";

/// The same, with both values in bounds.
const PRECISE_OFFSET_SAFE: &str = "
    call 7
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    if r0 == 0 goto l1
    r1 = 8
    goto l2
l1:
    r1 = 0
l2:
    r2 = r10
    r2 += -16
    r2 += r1
    *(u64 *)(r2 + 0) = 0
    r0 = 0
    exit
";

/// `r1` differs between the paths but is never used in a way that needs its value: the
/// second path is pruned at the join.
const IMPRECISE_IS_PRUNED: &str = "
    call 7
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    if r0 == 0 goto l1
    r1 = 8
    goto l2
l1:
    r1 = 16
l2:
    r4 = r1
    r4 += 1
    r4 += 1
    r4 += 1
    r0 = 0
    exit
";

/// A spilled scalar filled back and used as a stack offset: precision goes through the
/// stack slot (the spill and the fill are in the jump history).
const PRECISE_THROUGH_SPILL: &str = "
    call 7
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    if r0 == 0 goto l1
    r1 = 8
    goto l2
l1:
    r1 = 16
l2:
    *(u64 *)(r10 - 24) = r1
    r3 = 0
    r1 = *(u64 *)(r10 - 24)
    r2 = r10
    r2 += -16
    r2 += r1
    *(u64 *)(r2 + 0) = 0
    r0 = 0
    exit
";

/// A bounded loop, explored iteration by iteration.
const BOUNDED_LOOP: &str = "
    r1 = 0
    r0 = 0
l1:
    r0 += r1
    r1 += 1
    if r1 < 20 goto l1
    r0 = 0
    exit
";

/// A loop whose counter never changes: the same state comes back.
const INFINITE_LOOP: &str = "
    r1 = 0
l1:
    r1 += 0
    if r1 < 20 goto l1
    r0 = 0
    exit
";

/// `r0 s>>= 63` leaves -1 or 0; `&=` with a constant then forks the state (6.18's
/// `maybe_fork_scalars`), so the `r0 == 0` branch is explored and its bad read found.
const AND_FORKS: &str = "
    call 5
    r0 s>>= 63
    r0 &= -3
    if r0 == 0 goto l1
    r0 = 0
    exit
l1:
    r0 = r5
    exit
";

/// The same, safe.
const AND_FORKS_SAFE: &str = "
    call 5
    r0 s>>= 63
    r0 &= -3
    if r0 == 0 goto l1
    r0 = 0
    exit
l1:
    r0 = 1
    exit
";

/// `r1 = r0` links the two: bounds learnt on r0 reach r1 (`sync_linked_regs`), so the
/// second test is decided and the bad read is dead.
const LINKED_COPY: &str = "
    call 7
    r1 = r0
    if r0 > 8 goto l1
    if r1 > 8 goto l2
l1:
    r0 = 0
    exit
l2:
    r0 = r5
    exit
";

/// The same with a bound r1 can exceed: the bad read is reached.
const LINKED_COPY_REACHED: &str = "
    call 7
    r1 = r0
    if r0 > 8 goto l1
    if r1 > 7 goto l2
l1:
    r0 = 0
    exit
l2:
    r0 = r5
    exit
";

/// `r1 = r0; r1 += 2` stays linked at distance 2 (`BPF_ADD_CONST`).
const LINKED_ADD_CONST: &str = "
    call 7
    r1 = r0
    r1 += 2
    if r0 > 8 goto l1
    if r1 > 10 goto l2
l1:
    r0 = 0
    exit
l2:
    r0 = r5
    exit
";

/// `bpf_skb_load_bytes` writes the stack it is given: the zero spilled there before the
/// call is gone, so the `r1 != 0` path is explored.
const HELPER_WRITES_STACK: &str = "
    r6 = r1
    r1 = 0
    *(u64 *)(r10 - 8) = r1
    r1 = r6
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 8
    call 26
    r1 = *(u64 *)(r10 - 8)
    if r1 == 0 goto l1
    r0 = r5
    exit
l1:
    r0 = 0
    exit
";

/// The same, safe.
const HELPER_WRITES_STACK_SAFE: &str = "
    r6 = r1
    r1 = 0
    *(u64 *)(r10 - 8) = r1
    r1 = r6
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 8
    call 26
    r1 = *(u64 *)(r10 - 8)
    if r1 == 0 goto l1
    r0 = 1
    exit
l1:
    r0 = 0
    exit
";

/// A zero stored at a misaligned stack offset makes `STACK_ZERO` bytes that a later read
/// relies on, so the stored register is precise in the checkpoint at `l2` and the path
/// storing a non-zero value is not pruned there.
const ZERO_STORE_PRECISE: &str = "
    call 7
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    if r0 != 0 goto l1
    r1 = 0
    goto l2
l1:
    r1 = r0
l2:
    *(u32 *)(r10 - 4) = r1
    r2 = *(u32 *)(r10 - 4)
    if r2 == 0 goto l3
    r0 = r5
    exit
l3:
    r0 = 0
    exit
";

/// The same, safe.
const ZERO_STORE_PRECISE_SAFE: &str = "
    call 7
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    r3 = 0
    if r0 != 0 goto l1
    r1 = 0
    goto l2
l1:
    r1 = r0
l2:
    *(u32 *)(r10 - 4) = r1
    r2 = *(u32 *)(r10 - 4)
    if r2 == 0 goto l3
    r0 = 1
    exit
l3:
    r0 = 0
    exit
";

/// A spill links the stack copy with the register (`assign_scalar_id_before_mov` in
/// `check_stack_write_fixed_off`): the bound learnt on r0 reaches the filled r1.
const LINKED_SPILL: &str = "
    call 7
    *(u64 *)(r10 - 8) = r0
    if r0 > 8 goto l1
    r1 = *(u64 *)(r10 - 8)
    if r1 > 8 goto l2
l1:
    r0 = 0
    exit
l2:
    r0 = r5
    exit
";

const CASES: &[Case] = &[
    Case {
        name: "linked_spill",
        asm: LINKED_SPILL,
        kernel: "accept",
        stats: [9, 1, 1],
    },
    Case {
        name: "zero_store_precise",
        asm: ZERO_STORE_PRECISE,
        kernel: "R5 !read_ok",
        stats: [20, 2, 2],
    },
    Case {
        name: "zero_store_precise_safe",
        asm: ZERO_STORE_PRECISE_SAFE,
        kernel: "accept",
        stats: [23, 2, 2],
    },
    Case {
        name: "helper_writes_stack",
        asm: HELPER_WRITES_STACK,
        kernel: "R5 !read_ok",
        stats: [12, 0, 0],
    },
    Case {
        name: "helper_writes_stack_safe",
        asm: HELPER_WRITES_STACK_SAFE,
        kernel: "accept",
        stats: [15, 1, 1],
    },
    Case {
        name: "linked_copy",
        asm: LINKED_COPY,
        kernel: "accept",
        stats: [8, 0, 0],
    },
    Case {
        name: "linked_copy_reached",
        asm: LINKED_COPY_REACHED,
        kernel: "R5 !read_ok",
        stats: [7, 0, 0],
    },
    Case {
        name: "linked_add_const",
        asm: LINKED_ADD_CONST,
        kernel: "accept",
        stats: [9, 1, 1],
    },
    Case {
        name: "and_forks",
        asm: AND_FORKS,
        kernel: "R5 !read_ok",
        stats: [9, 1, 1],
    },
    Case {
        name: "and_forks_safe",
        asm: AND_FORKS_SAFE,
        kernel: "accept",
        stats: [10, 1, 1],
    },
    Case {
        name: "precise_offset",
        asm: PRECISE_OFFSET,
        kernel: "invalid write to stack R2 off=0 size=8",
        stats: [21, 1, 1],
    },
    Case {
        name: "precise_offset_safe",
        asm: PRECISE_OFFSET_SAFE,
        kernel: "accept",
        stats: [23, 1, 1],
    },
    Case {
        name: "imprecise_is_pruned",
        asm: IMPRECISE_IS_PRUNED,
        kernel: "accept",
        stats: [18, 1, 1],
    },
    Case {
        name: "precise_through_spill",
        asm: PRECISE_THROUGH_SPILL,
        kernel: "invalid write to stack R2 off=0 size=8",
        stats: [27, 1, 1],
    },
    Case {
        name: "bounded_loop",
        asm: BOUNDED_LOOP,
        kernel: "accept",
        stats: [64, 2, 2],
    },
    Case {
        name: "infinite_loop",
        asm: INFINITE_LOOP,
        kernel: "infinite loop detected at insn 1",
        stats: [10, 1, 1],
    },
];

fn insns_of(c: &Case) -> Vec<RawInsn> {
    assemble(c.asm).unwrap_or_else(|e| panic!("{}: {e}", c.name))
}

/// bpfsim's verdict (`accept` or the message) and statistics.
fn bpfsim(c: &Case) -> (String, Stats) {
    let insns = insns_of(c);
    let pre = match preflight_insns(&insns, Some("GPL"), &PreflightOptions::default()) {
        Ok(p) => p,
        Err(e) => return (e.message().to_string(), Stats::default()),
    };
    let env = CheckEnv {
        prog_type: ProgType::SocketFilter,
        expected_attach_type: None,
        maps: &[],
        bpf_capable: true,
        helpers: &MapHelpers,
        gpl_compatible: true,
        sleepable: false,
    };
    let (r, stats) = do_check(&insns, &pre, &env);
    let said = match r {
        Ok(()) => "accept".to_string(),
        Err(e) => e.message().to_string(),
    };
    (said, stats)
}

#[test]
fn recorded_verdicts_and_statistics_hold() {
    let mut bad = Vec::new();
    for c in CASES {
        let (said, stats) = bpfsim(c);
        if said != c.kernel {
            bad.push(format!(
                "{}: kernel {:?}, bpfsim {said:?}",
                c.name, c.kernel
            ));
        }
        let ours = [stats.insns_processed, stats.total_states, stats.peak_states];
        if ours != c.stats {
            bad.push(format!(
                "{}: kernel statistics {:?}, bpfsim {ours:?}",
                c.name, c.stats
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn kernel_agrees_with_the_recorded_verdicts() {
    if !common::sys::bpf_available() {
        return;
    }
    let record = std::env::var_os("BPFSIM_RECORD").is_some();
    let mut bad = Vec::new();
    for c in CASES {
        let bytes: Vec<u8> = insns_of(c).iter().flat_map(|i| i.to_bytes()).collect();
        let loaded = common::sys::prog_load(1, &bytes, "GPL", 1);
        let said = loaded.verdict();
        let log = loaded.log;
        let stats = kernel::stats(&log);
        if record {
            if std::env::var_os("BPFSIM_RECORD_LOG").is_some() {
                println!("{log}");
            }
            println!("{:?} => {said:?} stats: {stats:?}", c.name);
        }
        if said != c.kernel || stats != Some(c.stats) {
            bad.push(format!(
                "{}: recorded {:?} {:?}, kernel now says {said:?} {stats:?}",
                c.name, c.kernel, c.stats
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Reading the kernel's verifier log.
mod kernel {

    /// insns_processed, total_states and peak_states from the `processed ...` line.
    pub fn stats(log: &str) -> Option<[u64; 3]> {
        let line = log.lines().find(|l| l.starts_with("processed "))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let after = |w: &str| {
            let i = words.iter().position(|x| *x == w)?;
            words.get(i + 1)?.parse::<u64>().ok()
        };
        Some([
            after("processed")?,
            after("total_states")?,
            after("peak_states")?,
        ])
    }
}
