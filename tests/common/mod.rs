//! What the integration tests (and `benches/verifier.rs`) share: finding `../shared` (the
//! conformance suite, the corpus) through `BPFSIM_SHARED`, and skipping with a message where
//! it is absent.
#![allow(dead_code)]

pub mod corpus;
pub mod probes;
pub mod sys;

use std::path::{Path, PathBuf};

/// `$BPFSIM_SHARED`, or `../shared` next to the checkout.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("BPFSIM_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// The conformance suite's directory, or `None` after printing that the test is skipped.
pub fn conformance_dir() -> Option<PathBuf> {
    let dir = shared_dir().join("conformance");
    if dir.join("manifest.json").is_file() {
        Some(dir)
    } else {
        println!("skipped: conformance suite not found at {}", dir.display());
        None
    }
}

/// The manifest's test entries.
pub fn manifest(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json readable");
    let v: serde_json::Value = serde_json::from_str(&text).expect("manifest.json is JSON");
    v["tests"].as_array().expect("manifest has tests").clone()
}

/// A manifest `result`: hex when it contains `0x`, else decimal.
pub fn expected_result(entry: &serde_json::Value) -> u64 {
    let r = entry["result"].as_str().expect("result is a string");
    if let Some(h) = r.strip_prefix("0x") {
        u64::from_str_radix(h, 16).expect("hex result")
    } else {
        r.parse::<i64>()
            .map(|v| v as u64)
            .or_else(|_| r.parse::<u64>())
            .expect("decimal result")
    }
}

pub fn hex_to_bytes(h: &str) -> Vec<u8> {
    (0..h.len() / 2)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// Bytes as the plugin protocol spells them: two hex digits and two spaces each.
pub fn spaced_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}  ")).collect()
}

/// CPU time of this thread (wall time is meaningless on a loaded machine).
pub fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if r != 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
