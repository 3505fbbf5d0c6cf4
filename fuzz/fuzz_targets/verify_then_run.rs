//! The soundness oracle: a structure-aware generator (`bpfsim::progen`) turns the bytes
//! into a mostly-valid program with maps and a packet; whatever the verifier accepts runs
//! in the checked interpreter, and any fault (a bad access, a budget overrun, a helper
//! misuse) is a verifier soundness bug.
#![no_main]

use bpfsim::progen::check_soundness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(bug) = check_soundness(data) {
        panic!("{bug}");
    }
});
