//! The ebpf-samples corpus as the verifier sees it: every program the kernel (Linux 6.18)
//! accepted or rejected in its verifier (`ebpf-samples.kernel-6.18.jsonl`; records refused
//! before the verifier, `load_error`, are left out), with the program type, attach type,
//! licence and BTF info its `BPF_PROG_LOAD` had. `tests/verifier_corpus.rs` compares the
//! verdicts, `benches/verifier.rs` times them.

use super::shared_dir;
use bpfsim::object::map_fields::MapField;
use bpfsim::object::{Object, Program};
use bpfsim::progtype::ProgType;
use bpfsim::verifier::{MapRefs, PreflightOptions};
use std::collections::BTreeMap;

/// The corpus's objects and the programs to verify.
pub struct Corpus {
    /// Parsed objects by file name (relative to `ebpf-samples/`).
    pub objects: BTreeMap<String, Object>,
    /// Each object's map records (`Object::map_records`), by file name.
    pub records: BTreeMap<String, Vec<Option<Vec<MapField>>>>,
    pub cases: Vec<Case>,
}

/// One program of the kernel's record, set up as the kernel was given it.
pub struct Case {
    pub file: String,
    /// The program, with the record's program and attach type.
    pub program: Program,
    /// The kernel's record: verdict, error line, statistics, verification time.
    pub record: serde_json::Value,
    btf_info: bool,
    license: Option<&'static str>,
}

impl Case {
    /// `file section/name`.
    pub fn what(&self) -> String {
        format!(
            "{} {}/{}",
            self.file, self.program.section, self.program.name
        )
    }

    /// `accept` or `reject`.
    pub fn verdict(&self) -> &str {
        self.record["kernel_verdict"].as_str().unwrap_or("")
    }

    /// The verifier options for this program, its maps from `corpus`.
    pub fn options<'a>(&'a self, corpus: &'a Corpus) -> PreflightOptions<'a> {
        PreflightOptions {
            btf_info: self.btf_info,
            maps: corpus
                .objects
                .get(&self.file)
                .map_or(MapRefs::None, |o| MapRefs::Object(&o.maps)),
            license: self.license,
            map_records: corpus.records.get(&self.file).map_or(&[], |r| r.as_slice()),
            ..PreflightOptions::default()
        }
    }
}

/// The corpus under `$BPFSIM_SHARED/corpus`, or `None` after printing that it was skipped.
/// Objects that do not parse and programs the objects do not have are left out.
pub fn verifier_cases() -> Option<Corpus> {
    let dir = shared_dir().join("corpus");
    let objs = dir.join("ebpf-samples");
    let Ok(text) = std::fs::read_to_string(dir.join("ebpf-samples.kernel-6.18.jsonl")) else {
        println!("skipped: corpus not found at {}", dir.display());
        return None;
    };
    let mut parsed: BTreeMap<String, Option<Object>> = BTreeMap::new();
    let mut cases = Vec::new();
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("jsonl line is JSON");
        let verdict = record["kernel_verdict"].as_str().unwrap_or("");
        if verdict != "accept" && verdict != "reject" {
            continue;
        }
        let (Some(file), Some(section), Some(name)) = (
            record["file"].as_str(),
            record["section"].as_str(),
            record["program"].as_str(),
        ) else {
            continue;
        };
        let obj = parsed
            .entry(file.to_string())
            .or_insert_with(|| Object::from_file(objs.join(file)).ok());
        let Some(obj) = obj.as_ref() else { continue };
        let Some(prog) = obj
            .programs
            .iter()
            .find(|p| p.name == name && p.section == section)
        else {
            continue;
        };
        let mut program = prog.clone();
        if let Some(t) = record["prog_type"].as_str().and_then(ProgType::from_name) {
            program.set_prog_type(t);
        }
        program.expected_attach_type = record["expected_attach_type"].as_u64().map(|v| v as u32);
        let libbpf = record["loader"].as_str() == Some("libbpf");
        let license = match record["license"].as_str() {
            Some(l) if l.contains("used GPL") => Some("GPL"),
            _ => None,
        };
        cases.push(Case {
            file: file.to_string(),
            btf_info: libbpf && !program.func_info.is_empty(),
            license,
            program,
            record,
        });
    }
    let objects: BTreeMap<String, Object> = parsed
        .into_iter()
        .filter_map(|(f, o)| o.map(|o| (f, o)))
        .collect();
    let records = objects
        .iter()
        .map(|(f, o)| (f.clone(), o.map_records()))
        .collect();
    Some(Corpus {
        objects,
        records,
        cases,
    })
}
