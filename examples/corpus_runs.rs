//! Runs every program of a corpus once over a fixed IPv4/TCP frame (or a zeroed context for
//! tracing types) and tallies the outcomes: a smoke test that real objects run end to end.
//! `cargo run --release --example corpus_runs -- DIR`

use bpfsim::maps::MapSetConfig;
use bpfsim::object::Object;
use bpfsim::progtype::{ProgType, TestRunInput, ctx_size};
use bpfsim::session::{Session, SessionError};
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
    let mut frame = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    frame.extend([
        0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    frame.extend([
        0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
    ]);
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        let Ok(obj) = Object::from_file(f) else {
            continue;
        };
        let names: Vec<(String, ProgType)> = obj
            .programs
            .iter()
            .map(|p| (p.name.clone(), p.prog_type))
            .collect();
        let Ok(mut session) = Session::new(obj, MapSetConfig::default()) else {
            continue;
        };
        session.set_budget(1_000_000);
        for (name, t) in names {
            let blob = vec![0u8; ctx_size(t).unwrap_or(0)];
            let input = match t {
                ProgType::Kprobe | ProgType::Tracepoint | ProgType::PerfEvent => {
                    TestRunInput::tracing(&blob)
                }
                ProgType::RawTracepoint => TestRunInput::default(),
                _ => TestRunInput::new(&frame),
            };
            let key = match session.run(&name, &input, 1) {
                Ok(_) => "ran".to_string(),
                Err(SessionError::Run { source, .. }) => {
                    let s = source.to_string();
                    if std::env::var_os("SHOW")
                        .is_some_and(|v| s.contains(v.to_str().unwrap_or("-")))
                    {
                        println!("{}: {name}: {s}", f.display());
                    }
                    let kind = s
                        .split(": ")
                        .nth(1)
                        .unwrap_or(&s)
                        .split(' ')
                        .take(3)
                        .collect::<Vec<_>>()
                        .join(" ");
                    format!("run error: {kind}")
                }
                Err(SessionError::Context { source, .. }) => format!(
                    "context: {}",
                    source.to_string().split(':').next().unwrap_or("")
                ),
                Err(e) => format!(
                    "other: {}",
                    e.to_string().chars().take(60).collect::<String>()
                ),
            };
            *tally.entry(key).or_default() += 1;
        }
    }
    for (k, n) in &tally {
        println!("{n:5}  {k}");
    }
}
