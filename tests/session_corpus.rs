//! Every object of the shared corpus gets its maps created, after the adjustments loaders
//! make, exactly when the kernel created them: the two objects the kernel refused at map
//! creation (`stage: map_create` in the verdicts) are refused with the same errno here.

mod common;

use bpfsim::maps::MapSetConfig;
use bpfsim::object::Object;
use bpfsim::session::{Session, SessionError};
use std::collections::BTreeMap;

#[test]
fn corpus_maps_are_created_exactly_when_the_kernel_created_them() {
    let corpus = common::shared_dir().join("corpus");
    let verdicts = corpus.join("ebpf-samples.kernel-6.18.jsonl");
    let Ok(text) = std::fs::read_to_string(&verdicts) else {
        println!("skipped: corpus not found at {}", corpus.display());
        return;
    };
    // file -> whether the kernel refused one of its maps.
    let mut refused: BTreeMap<String, bool> = BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let file = v["file"].as_str().expect("file").to_string();
        let at_map_create = v["stage"].as_str() == Some("map_create");
        *refused.entry(file).or_default() |= at_map_create;
    }
    let (mut created, mut failures) = (0, Vec::new());
    for (file, kernel_refused) in &refused {
        let Ok(obj) = Object::from_file(corpus.join("ebpf-samples").join(file)) else {
            continue;
        };
        match (Session::new(obj, MapSetConfig::default()), kernel_refused) {
            (Ok(_), false) => created += 1,
            (Err(SessionError::Maps(e)), true) if e.errno().code() == 22 => created += 1,
            (Ok(_), true) => failures.push(format!("{file}: created, the kernel refused a map")),
            (Err(e), _) => failures.push(format!("{file}: {e}")),
        }
    }
    println!(
        "{created} objects agree with the kernel on map creation, {} do not",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(created >= 150, "{created}");
}
