//! The same generated program and input through the interpreter and the JIT (checked mode,
//! and verified mode when bpfsim's verifier accepts it): any difference in r0, packet,
//! maps, instruction count or error is a bug (`bpfsim::progen::check_engines`).
#![no_main]

use bpfsim::progen::check_engines;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(mismatch) = check_engines(data) {
        panic!("{mismatch}");
    }
});
