//! The loader never panics: real objects with bytes flipped, fields set to extremes and tails
//! cut off parse to `Ok` or `Err`, never a panic. (aya-obj's own panics are caught inside the
//! loader; a panic that reaches here is the loader's.)

mod common;

use std::path::PathBuf;

use bpfsim::object::Object;
use proptest::prelude::*;

fn fixtures() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for name in [
        "btf_maps.o",
        "legacy_maps.o",
        "globals.o",
        "calls.o",
        "core.o",
        "externs.o",
    ] {
        out.push(std::fs::read(dir.join(name)).expect("fixture"));
    }
    // A few corpus objects with other shapes (no BTF, iproute2 maps, CO-RE), when present.
    let corpus = common::shared_dir().join("corpus/ebpf-samples");
    for rel in [
        "linux/sockex1_kern.o",
        "cilium/bpf_lb.o",
        "cilium-examples/tcprtt_sockops_bpf_bpfel.o",
        "build/map_in_map_legacy.o",
    ] {
        if let Ok(b) = std::fs::read(corpus.join(rel)) {
            out.push(b);
        }
    }
    out
}

fn quiet<T>(f: impl FnOnce() -> T) -> T {
    // aya-obj panics that the loader catches would print; keep the output readable.
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(prev);
    match r {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// Every ELF header and section header byte set to 0xff, then 0x00; every 8-byte truncation.
#[test]
fn header_sweep_and_truncations_do_not_panic() {
    for orig in fixtures() {
        let shoff = u64::from_le_bytes(orig[0x28..0x30].try_into().unwrap()) as usize;
        let shnum = u16::from_le_bytes(orig[0x3c..0x3e].try_into().unwrap()) as usize;
        let mut positions: Vec<usize> = (0..64).collect();
        positions.extend(shoff..(shoff + shnum * 64).min(orig.len()));
        for &pos in &positions {
            for v in [0xffu8, 0x00, 0x80] {
                let mut b = orig.clone();
                b[pos] = v;
                quiet(|| {
                    let _ = Object::parse(&b);
                });
            }
        }
        for len in (0..orig.len()).step_by(8) {
            quiet(|| {
                let _ = Object::parse(&orig[..len]);
            });
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_objects_do_not_panic(
        which in 0usize..64,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..12),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let all = fixtures();
        let mut b = all[which % all.len()].clone();
        for (at, v, kind) in edits {
            let i = at.index(b.len());
            match kind {
                0 => b[i] ^= v,
                1 => b[i] = v,
                // a 32-bit field set to an extreme
                2 => {
                    let i = i & !3;
                    if i + 4 <= b.len() {
                        b[i..i + 4].copy_from_slice(&u32::MAX.to_le_bytes());
                    }
                }
                _ => {
                    let i = i & !3;
                    if i + 4 <= b.len() {
                        b[i..i + 4].copy_from_slice(&(v as u32 * 8).to_le_bytes());
                    }
                }
            }
        }
        if let Some(c) = cut {
            let n = c.index(b.len() + 1);
            b.truncate(n);
        }
        quiet(|| {
            let _ = Object::parse(&b);
        });
    }
}
