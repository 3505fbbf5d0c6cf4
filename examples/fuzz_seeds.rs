//! Writes seed corpora for the fuzz targets (`fuzz/corpus/<target>/`, not committed) from
//! the shared data: the corpus objects for `load_elf`; their programs and the
//! bpf_conformance programs, each behind a program-type byte, for `verify`; and slices of
//! the same bytes for the generator of `verify_then_run`.
//!
//! `cargo run --release --example fuzz_seeds` (reads `$BPFSIM_SHARED`, default `../shared`).

use bpfsim::object::Object;
use std::path::{Path, PathBuf};

fn shared_dir() -> PathBuf {
    std::env::var_os("BPFSIM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn objects(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            objects(&p, out);
        } else if p.extension().is_some_and(|x| x == "o") {
            out.push(p);
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shared = shared_dir();
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let dirs = ["load_elf", "verify", "verify_then_run"].map(|t| fuzz.join(t));
    for d in &dirs {
        std::fs::create_dir_all(d)?;
    }
    let mut programs: Vec<Vec<u8>> = Vec::new();
    let mut paths = Vec::new();
    objects(&shared.join("corpus"), &mut paths);
    paths.sort();
    for (i, path) in paths.iter().enumerate() {
        let bytes = std::fs::read(path)?;
        if bytes.len() <= 1 << 20 {
            std::fs::write(dirs[0].join(format!("obj{i}")), &bytes)?;
        }
        if let Ok(obj) = Object::parse(&bytes) {
            for p in obj.programs.iter().filter(|p| p.insns.len() <= 512) {
                programs.push(p.insns.iter().flat_map(|i| i.to_bytes()).collect());
            }
        }
    }
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        shared.join("conformance/manifest.json"),
    )?)?;
    for t in manifest["tests"].as_array().into_iter().flatten() {
        if let Some(h) = t["program_hex"].as_str() {
            programs.push(hex(h));
        }
    }
    for (i, prog) in programs.iter().enumerate() {
        let mut seed = vec![(i % 6) as u8];
        seed.extend_from_slice(prog);
        std::fs::write(dirs[1].join(format!("prog{i}")), &seed)?;
        let gen_seed = &prog[..prog.len().min(256)];
        std::fs::write(dirs[2].join(format!("prog{i}")), gen_seed)?;
    }
    println!(
        "{} objects, {} programs -> {}",
        paths.len(),
        programs.len(),
        fuzz.display()
    );
    Ok(())
}
