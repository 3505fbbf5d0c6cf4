//! The packet examples' spec inputs, run by bpfsim and by Linux's BPF_PROG_TEST_RUN on the
//! same objects with the same map seeds: every run's return value and output packet (or
//! the errno the test run refused the frame with), and every map's contents after each
//! case, must agree. The kernel's answers are recorded in
//! tests/fixtures/testtool/kernel_results.json and compared with bpfsim everywhere; as
//! root with bpftool they are also re-checked live (`BPFSIM_RECORD=1` rewrites the file).
//!
//! The opensnoop example is not here: the kernel cannot test-run tracepoint programs
//! (BPF_PROG_TEST_RUN answers ENOTSUPP), so only its load (the verifier's verdict) is
//! compared, in `opensnoop_loads_in_the_kernel`.

mod common;
mod runs_support;

use bpfsim::maps::MapSetConfig;
use bpfsim::progtype::TestRunInput;
use bpfsim::session::{Session, SessionError};
use bpfsim::testing::spec::{self, Action, Case, Spec};
use bpfsim::testing::{Harness, TestError};
use runs_support::kernel;
use serde_json::{Value, json};
use std::path::Path;

const PACKET_SPECS: [&str; 3] = [
    "tests/fixtures/testtool/perf_events.toml",
    "examples/xdp_filter/xdp_filter.toml",
    "examples/tc_counter/tc_counter.toml",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn record_path() -> std::path::PathBuf {
    root().join("tests/fixtures/testtool/kernel_results.json")
}

fn packets(case: &Case) -> Option<(&str, Vec<Vec<u8>>)> {
    match &case.action {
        Action::Run { program, data, .. } => Some((program, vec![data.clone()])),
        Action::Pcap { program, packets } => Some((program, packets.clone())),
        Action::Steps(_) => None,
    }
}

fn maps_json(maps: &[runs_support::MapState]) -> Value {
    let mut m = serde_json::Map::new();
    for s in maps {
        if s.map_type == "ringbuf" || s.map_type == "perf_event_array" {
            continue;
        }
        m.insert(s.name.clone(), json!(s.entries));
    }
    Value::Object(m)
}

/// What bpfsim gives for a case: one entry per frame, then the maps.
fn bpfsim_case(spec: &Spec, case: &Case) -> Value {
    let (program, frames) = packets(case).expect("a packet case");
    let session = Session::new(spec.object.clone(), MapSetConfig::default()).expect("session");
    let mut h = Harness::from_session(session, spec.object_path.clone());
    for s in &case.seeds {
        h.map_update(&s.map, &s.key, &s.value).expect("seed");
    }
    let mut runs = Vec::new();
    for f in &frames {
        runs.push(match h.run(program, &TestRunInput::new(f)) {
            Ok(r) => json!({"retval": r.output.retval, "data_out": runs_support::hex(&r.output.data_out)}),
            Err(TestError::Session(SessionError::Context { source, .. })) => {
                json!({"errno": source.errno()})
            }
            Err(e) => panic!("{}: {}: {e}", spec.path.display(), case.name),
        });
    }
    let maps = runs_support::bpfsim_maps(h.session_mut(), &[]);
    json!({"runs": runs, "maps": maps_json(&maps)})
}

/// What the running kernel gives for the same case.
fn kernel_case(spec: &Spec, case: &Case) -> Value {
    let (program, frames) = packets(case).expect("a packet case");
    let loaded = kernel::Loaded::load(&spec.object_path).expect("the kernel loads the example");
    for s in &case.seeds {
        loaded
            .update_map(&s.map, &s.key, &s.value)
            .expect("seed the kernel's map");
    }
    let mut runs = Vec::new();
    for f in &frames {
        runs.push(match loaded.run(program, &TestRunInput::new(f)) {
            Ok(o) => json!({"retval": o.retval, "data_out": o.data_out}),
            Err(errno) => json!({"errno": errno}),
        });
    }
    let maps = loaded.maps(&[]).expect("dump the kernel's maps");
    json!({"runs": runs, "maps": maps_json(&maps)})
}

#[test]
fn packet_examples_agree_with_the_kernel() {
    let recorded: Value = std::fs::read_to_string(record_path())
        .map(|t| serde_json::from_str(&t).expect("kernel_results.json is JSON"))
        .unwrap_or(json!({}));
    let live = kernel::unavailable();
    if let Some(why) = &live {
        println!("skipped live kernel runs ({why}); comparing with the recorded results");
    }
    let mut fresh = serde_json::Map::new();
    let mut compared = 0;
    for rel in PACKET_SPECS {
        let s = spec::load(&root().join(rel)).unwrap_or_else(|e| panic!("{e}"));
        for case in &s.cases {
            if packets(case).is_none() {
                continue;
            }
            let key = format!("{rel} :: {}", case.name);
            let sim = bpfsim_case(&s, case);
            if live.is_none() {
                let k = kernel_case(&s, case);
                assert_eq!(sim, k, "{key}: bpfsim (left) and the kernel (right) differ");
                fresh.insert(key.clone(), k);
            }
            if std::env::var_os("BPFSIM_RECORD").is_none() {
                let want = recorded.get(&key).unwrap_or_else(|| {
                    panic!("{key}: no recorded kernel result (run as root with BPFSIM_RECORD=1)")
                });
                assert_eq!(
                    &sim, want,
                    "{key}: bpfsim (left) and the recorded kernel (right) differ"
                );
            }
            compared += 1;
        }
    }
    if std::env::var_os("BPFSIM_RECORD").is_some() && live.is_none() {
        let text = serde_json::to_string_pretty(&Value::Object(fresh)).expect("JSON") + "\n";
        std::fs::write(record_path(), text).expect("write kernel_results.json");
        println!("recorded {}", record_path().display());
    }
    println!("{compared} cases agree");
    assert!(compared >= 9, "{compared}");
}

#[test]
fn opensnoop_loads_in_the_kernel() {
    if let Some(why) = kernel::unavailable() {
        println!("skipped: {why}");
        return;
    }
    let obj = root().join("examples/opensnoop/opensnoop.bpf.o");
    let loaded = kernel::Loaded::load(&obj).expect("the kernel's verifier accepts opensnoop");
    assert_eq!(
        loaded.programs(),
        vec![
            "tracepoint__syscalls__sys_enter_openat".to_string(),
            "tracepoint__syscalls__sys_exit_openat".to_string()
        ]
    );
    // And it cannot test-run them: tracepoint programs have no BPF_PROG_TEST_RUN.
    let rec = bpfsim::testing::syscall::exit_record(1, 257, 3);
    let r = loaded.run(
        "tracepoint__syscalls__sys_exit_openat",
        &TestRunInput::tracing(&rec),
    );
    assert_eq!(r.err(), Some(524), "ENOTSUPP");
}
