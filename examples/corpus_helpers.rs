//! Counts the helpers the programs of a corpus call: `cargo run --example corpus_helpers --
//! DIR` walks DIR for `.o` files, loads each with bpfsim's loader and prints each helper id,
//! its name, how many programs call it and whether bpfsim implements it; then the objects
//! whose maps bpfsim cannot create, and why.

use bpfsim::helpers::{HelperTable, helper_name};
use bpfsim::insn::{CallTarget, Insn, decode_slot};
use bpfsim::object::Object;
use std::collections::BTreeMap;
use std::path::Path;

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "o") {
            out.push(p);
        }
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/corpus/ebpf-samples".into());
    let mut files = Vec::new();
    walk(Path::new(&dir), &mut files);
    files.sort();
    let table = HelperTable::kernel();
    let mut calls: BTreeMap<i32, usize> = BTreeMap::new();
    let mut unloadable = Vec::new();
    for f in &files {
        let Ok(obj) = Object::from_file(f) else {
            continue;
        };
        if let Err(e) = bpfsim::session::Session::new(obj.clone(), Default::default()) {
            unloadable.push(format!("{}: {e}", f.display()));
        }
        for p in &obj.programs {
            let mut seen = std::collections::BTreeSet::new();
            for pc in 0..p.insns.len() {
                if let Ok(Insn::Call(CallTarget::Helper(id))) = decode_slot(&p.insns, pc) {
                    seen.insert(id);
                }
            }
            for id in seen {
                *calls.entry(id).or_default() += 1;
            }
        }
    }
    let mut missing = 0;
    for (id, n) in &calls {
        let have = table.get(*id as u64).is_some();
        missing += usize::from(!have);
        let name = helper_name(*id as u64).unwrap_or("?");
        println!(
            "{id:4} {name:32} {n:4} programs  {}",
            if have { "implemented" } else { "MISSING" }
        );
    }
    println!("{} helpers called, {} missing", calls.len(), missing);
    for u in &unloadable {
        println!("maps not created: {u}");
    }
    println!(
        "{} objects whose maps bpfsim cannot create",
        unloadable.len()
    );
}
