//! The verifier's memory stays bounded: a counting allocator records the peak of live heap
//! bytes while programs that keep thousands of long paths pending are verified.

mod common;

use bpfsim::insn::asm::assemble;
use bpfsim::object::Program;
use bpfsim::progtype::ProgType;
use bpfsim::verifier::{PreflightOptions, verify};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are
// updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on as it came.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Found by the `verify` fuzz target (it ran out of memory): a loop whose every iteration
/// leaves a branch pending, so thousands of states wait at once, each after a path
/// thousands of branches long. Linux refuses it at the 8,193rd pending branch; so must
/// bpfsim, without holding every pending state's whole path.
const LONG_PATHS: &str = "
    r1 = 0x43
    r0 = 1
    r2 = 2
    if r1 > 2 goto +4
    goto +10
    r2 += 1
    r0 = 1
    if r2 >= r1 goto +7
    r3 = r1
    r3 /= r2
    r3 *= r2
    r4 = r1
    r1 -= r3
    r0 = 0
    if r4 != 0xffff00 goto -10
    exit";

#[test]
fn pending_states_do_not_copy_their_whole_paths() {
    let insns = assemble(LONG_PATHS).expect("assembles");
    let program = Program::from_insns("long_paths", ProgType::SchedCls, insns.clone());
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let verdict = verify(&program, &PreflightOptions::default());
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let err = verdict.result.expect_err("too many pending branches");
    assert_eq!(err.message(), "The sequence of 8193 jumps is too complex.");
    if common::sys::bpf_available() {
        let bytes: Vec<u8> = insns.iter().flat_map(|i| i.to_bytes()).collect();
        let kernel = common::sys::prog_load(3, &bytes, "GPL", 1);
        assert_eq!(
            kernel.error_line(),
            Some(err.message()),
            "the kernel's verdict"
        );
    }
    assert!(
        peak < 256 << 20,
        "verifying took {} MiB of heap at its peak",
        peak >> 20
    );
}
