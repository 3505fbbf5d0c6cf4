//! The loader against the ebpf-samples corpus and the kernel's verdicts on it
//! (`$BPFSIM_SHARED/corpus/ebpf-samples.kernel-6.18.jsonl`): every object the kernel-verdict
//! loader could read parses, and lists every (section, program) the kernel was given, with
//! the same instruction counts and, where the section name decided it, the same program type.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bpfsim::object::{Object, ProgTypeSource};

fn corpus() -> Option<(PathBuf, PathBuf)> {
    let dir = common::shared_dir().join("corpus");
    let objs = dir.join("ebpf-samples");
    let jsonl = dir.join("ebpf-samples.kernel-6.18.jsonl");
    if objs.is_dir() && jsonl.is_file() {
        Some((objs, jsonl))
    } else {
        println!("skipped: corpus not found at {}", dir.display());
        None
    }
}

fn objects(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable corpus dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "o") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn records(jsonl: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(jsonl)
        .expect("jsonl readable")
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl line is JSON"))
        .collect()
}

#[test]
fn corpus_objects_parse_and_list_the_kernels_programs() {
    let Some((dir, jsonl)) = corpus() else {
        return;
    };
    let mut parsed = BTreeMap::new();
    let mut refused = Vec::new();
    for path in objects(&dir) {
        let rel = path
            .strip_prefix(&dir)
            .expect("under corpus")
            .to_string_lossy()
            .into_owned();
        match Object::from_file(&path) {
            Ok(o) => {
                parsed.insert(rel, o);
            }
            Err(e) => refused.push(format!("{rel}: {e}")),
        }
    }
    for r in &refused {
        println!("refused: {r}");
    }
    assert_eq!(
        refused.len(),
        1,
        "only invalid/badsymsize.o may be refused: {refused:#?}"
    );
    assert!(refused[0].starts_with("invalid/badsymsize.o: "));

    let mut wanted = 0;
    let mut found = 0;
    let mut mismatches = Vec::new();
    for rec in records(&jsonl) {
        let (Some(file), Some(section), Some(program)) = (
            rec["file"].as_str(),
            rec["section"].as_str(),
            rec["program"].as_str(),
        ) else {
            continue;
        };
        wanted += 1;
        let Some(obj) = parsed.get(file) else {
            mismatches.push(format!("{file}: not parsed"));
            continue;
        };
        let Some(p) = obj
            .programs
            .iter()
            .find(|p| p.name == program && p.section == section)
        else {
            mismatches.push(format!("{file}: program {section}/{program} not found"));
            continue;
        };
        found += 1;
        if let Some(n) = rec["insn_count"].as_u64()
            && n as usize != p.entry_len
        {
            mismatches.push(format!(
                "{file} {program}: insn_count {n}, loader has {}",
                p.entry_len
            ));
        }
        if let Some(n) = rec["total_insns"].as_u64()
            && n as usize != p.insns.len()
        {
            mismatches.push(format!(
                "{file} {program}: total_insns {n}, loader has {}",
                p.insns.len()
            ));
        }
        let source = rec["prog_type_source"].as_str().unwrap_or("");
        if matches!(source, "section" | "libbpf" | "default") {
            let want = rec["prog_type"].as_str().unwrap_or("");
            if want != p.prog_type.name() {
                mismatches.push(format!(
                    "{file} {program} (section {section}): prog_type {want} ({source}), loader has {} ({:?})",
                    p.prog_type, p.prog_type_source
                ));
            }
        }
        if source == "default" && p.prog_type_source != ProgTypeSource::Default {
            mismatches.push(format!(
                "{file} {program} (section {section}): corpus default, loader {:?}",
                p.prog_type_source
            ));
        }
        if source == "libbpf" {
            let want = rec["expected_attach_type"].as_u64();
            let have = p.expected_attach_type.map(u64::from).or(Some(0));
            if want != have {
                mismatches.push(format!(
                    "{file} {program} (section {section}): expected_attach_type {want:?}, loader has {have:?}"
                ));
            }
        }
    }
    for m in &mismatches {
        println!("mismatch: {m}");
    }
    println!(
        "{} objects parsed, {found}/{wanted} programs found, {} mismatches",
        parsed.len(),
        mismatches.len()
    );
    assert_eq!(found, wanted);
    assert!(mismatches.is_empty());
}

/// The kernel's name for a map: 15 characters, as `BPF_OBJ_NAME_LEN` keeps them.
fn kernel_name(name: &str) -> String {
    name.chars()
        .take(15)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A map as a kernel log names it: name, key size, value size, and from map-creation
/// errors also (type, max_entries, flags).
type MapFact = (String, u64, u64, Option<(u64, u64, u64)>);

/// Numbers after `key` in `... key 4 value 0 ...`.
fn field(text: &str, key: &str) -> Option<u64> {
    let rest = text.split(&format!(" {key} ")).nth(1)?;
    let tok = rest.split([' ', ')']).next()?;
    match tok.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => tok.parse().ok(),
    }
}

#[test]
fn corpus_map_definitions_agree_with_the_kernel_logs() {
    let Some((dir, jsonl)) = corpus() else {
        return;
    };
    let mut checked = 0;
    let mut bad = Vec::new();
    for rec in records(&jsonl) {
        let Some(file) = rec["file"].as_str() else {
            continue;
        };
        let mut facts: Vec<MapFact> = Vec::new();
        // `R1=map_ptr(map=test_map,ks=4,vs=4)` in verifier log lines.
        for line in rec["log_tail"].as_array().into_iter().flatten() {
            let line = line.as_str().unwrap_or("");
            for part in line.split("map=").skip(1) {
                let name = part.split(',').next().unwrap_or("");
                let ks = part
                    .split("ks=")
                    .nth(1)
                    .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok());
                let vs = part
                    .split("vs=")
                    .nth(1)
                    .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok());
                if let (Some(ks), Some(vs)) = (ks, vs) {
                    facts.push((name.to_string(), ks, vs, None));
                }
            }
        }
        // `map map (type 2 key 4 value 0 max 1 flags 0x0): Invalid argument` from map creation.
        if rec["stage"].as_str() == Some("map_create")
            && let Some(el) = rec["error_line"].as_str()
            && let Some(rest) = el.strip_prefix("map ")
        {
            let name = rest.split(" (").next().unwrap_or("");
            if let (Some(t), Some(k), Some(v), Some(m), Some(f)) = (
                field(el, "(type"),
                field(el, "key"),
                field(el, "value"),
                field(el, "max"),
                field(el, "flags"),
            ) {
                facts.push((name.to_string(), k, v, Some((t, m, f))));
            }
        }
        if facts.is_empty() {
            continue;
        }
        let obj = Object::from_file(dir.join(file)).expect("corpus object parses");
        for (name, ks, vs, more) in facts {
            checked += 1;
            let Some(m) = obj.maps.iter().find(|m| kernel_name(&m.name) == name) else {
                bad.push(format!("{file}: no map named {name}"));
                continue;
            };
            if (u64::from(m.key_size), u64::from(m.value_size)) != (ks, vs) {
                bad.push(format!(
                    "{file}: map {name}: kernel ks={ks} vs={vs}, loader ks={} vs={}",
                    m.key_size, m.value_size
                ));
            }
            if let Some((t, max, flags)) = more
                && (
                    u64::from(m.map_type.as_u32()),
                    u64::from(m.max_entries),
                    u64::from(m.map_flags),
                ) != (t, max, flags)
            {
                bad.push(format!(
                    "{file}: map {name}: kernel type {t} max {max} flags {flags:#x}, loader {:?}",
                    m
                ));
            }
        }
    }
    for b in &bad {
        println!("mismatch: {b}");
    }
    println!(
        "{checked} map facts from kernel logs checked, {} mismatches",
        bad.len()
    );
    assert!(checked >= 10, "too few map facts found: {checked}");
    assert!(bad.is_empty());
}
