//! Arbitrary bytes into the ELF loader, then map creation and program linking: no panic,
//! no hang, bounded memory (the map set gets a 64 MiB limit). The verifier has its own
//! target (`verify`).
//!
//! The loader calls aya-obj under `catch_unwind` and turns its panics into errors, but
//! libFuzzer's panic hook aborts on every panic, caught or not: the hook installed here
//! lets aya-obj's panics through to the loader and aborts on any other.
#![no_main]

use bpfsim::maps::MapSetConfig;
use bpfsim::object::Object;
use bpfsim::session::Session;
use libfuzzer_sys::fuzz_target;

fn panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.location().is_some_and(|l| l.file().contains("/aya-obj-")) {
            return;
        }
        default(info);
        std::process::abort();
    }));
}

fuzz_target!(init: panic_hook(), |data: &[u8]| {
    let Ok(object) = Object::parse(data) else {
        return;
    };
    let names: Vec<String> = object.programs.iter().map(|p| p.name.clone()).collect();
    let config = MapSetConfig {
        max_memory: 64 << 20,
        ..MapSetConfig::default()
    };
    let Ok(mut session) = Session::new(object, config) else {
        return;
    };
    for name in names {
        let _ = session.linked_insns(&name);
    }
});
