//! The kernel's raw-instruction verifier tests (`tools/testing/selftests/bpf/verifier/*.c`)
//! as a hold-out measure: each test's instructions go to the running kernel's verifier and
//! to bpfsim's, with the maps the test asks for, and the verdicts and messages are compared.
//!
//! The tests are C initialisers; `tools/raw_selftests.py` compiles them (in place, from a
//! kernel source tree, into a work directory outside the repository) into a JSON-lines file
//! of instructions, program type, flags and map fix-ups, which this example reads:
//!
//! ```sh
//! python3 tools/raw_selftests.py                     # writes /tmp/raw-selftests/tests.jsonl
//! sudo cargo run --release --example raw_selftests -- /tmp/raw-selftests/tests.jsonl [--only FILE] [--list]
//! ```
//!
//! Prints the agreement, the false accepts and false rejects (file, test, both messages),
//! the reject messages that differ, and the tests left out because bpfsim cannot express
//! them (kfunc and kptr fix-ups, BTF, attach targets, load flags bpfsim does not model).
//! Needs root for the kernel's verdicts (exit 2 without bpf()).

#[path = "../tests/common/sys.rs"]
#[allow(dead_code)]
mod sys;

use bpfsim::insn::RawInsn;
use bpfsim::maps::{MapDef, MapOrigin, MapType};
use bpfsim::object::Program;
use bpfsim::progtype::ProgType;
use bpfsim::verifier::{MapRefs, PreflightOptions, verify};
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;

const PSEUDO_MAP_FD: u8 = 1;
const PSEUDO_MAP_VALUE: u8 = 2;
const PSEUDO_MAP_IDX: u8 = 5;
const PSEUDO_MAP_IDX_VALUE: u8 = 6;

/// test_verifier's own flags (not `BPF_F_*`).
const F_NEEDS_EFFICIENT_UNALIGNED_ACCESS: u32 = 1 << 0;
const F_LOAD_WITH_STRICT_ALIGNMENT: u32 = 1 << 1;
/// `BPF_F_STRICT_ALIGNMENT`, `BPF_F_ANY_ALIGNMENT`, `BPF_F_SLEEPABLE`.
const BPF_F_STRICT_ALIGNMENT: u32 = 1 << 0;
const BPF_F_ANY_ALIGNMENT: u32 = 1 << 1;
const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// The map each fix-up kind stands for in test_verifier (type, key, value, entries).
fn fixup_map(kind: &str) -> Option<Shape> {
    Some(match kind {
        "hash_8b" => (MapType::Hash, 8, 8, 1),
        // struct test_val: an index and 11 ints.
        "hash_48b" => (MapType::Hash, 8, 48, 1),
        // struct other_val: two longs.
        "hash_16b" => (MapType::Hash, 8, 16, 1),
        "array_48b" => (MapType::Array, 4, 48, 1),
        "array_small" => (MapType::Array, 4, 1, 1),
        "event_output" => (MapType::PerfEventArray, 4, 4, 1),
        "ringbuf" => (MapType::RingBuf, 0, 0, 4096),
        _ => return None,
    })
}

/// A map's type, key size, value size and entries.
type Shape = (MapType, u32, u32, u32);

struct Test {
    file: String,
    descr: String,
    prog_type: ProgType,
    prog_type_raw: u32,
    expected_attach_type: u32,
    prog_flags: u32,
    insns: Vec<RawInsn>,
    /// Per map: its shape and the instructions whose `lddw` loads it.
    maps: Vec<(Shape, Vec<usize>)>,
}

/// A test bpfsim can run, or why not.
fn parse(v: &Value) -> Result<Test, String> {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let n = |k: &str| v[k].as_u64().unwrap_or(0) as u32;
    if n("kfunc_fixups") > 0 || !v["kfunc"].is_null() {
        return Err("kfunc".into());
    }
    if n("btf") > 0 || n("func_info_cnt") > 0 {
        return Err("BTF".into());
    }
    let flags = n("flags");
    let mut prog_flags = 0;
    if flags & F_LOAD_WITH_STRICT_ALIGNMENT != 0 {
        prog_flags |= BPF_F_STRICT_ALIGNMENT;
    }
    if flags & F_NEEDS_EFFICIENT_UNALIGNED_ACCESS != 0 {
        prog_flags |= BPF_F_ANY_ALIGNMENT;
    }
    if flags & !3 != 0 {
        prog_flags |= flags;
    }
    if prog_flags & (BPF_F_STRICT_ALIGNMENT | BPF_F_SLEEPABLE) != 0 {
        return Err(format!("load flags {prog_flags:#x}"));
    }
    // test_verifier loads type 0 as a socket filter.
    let prog_type_raw = match n("prog_type") {
        0 => 1,
        t => t,
    };
    let prog_type = ProgType::from_u32(prog_type_raw).ok_or("program type")?;
    if matches!(prog_type, ProgType::Tracing | ProgType::Lsm | ProgType::Ext) {
        return Err("attach target".into());
    }
    let hex = s("insns");
    let bytes = hex
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("instructions: bad hex {pair:?}"))
        })
        .collect::<Result<Vec<u8>, String>>()?;
    let insns = RawInsn::slots(&bytes).map_err(|e| format!("instructions: {e}"))?;
    let mut maps = Vec::new();
    if let Some(fixups) = v["fixups"].as_object() {
        for (kind, at) in fixups {
            let shape = fixup_map(kind).ok_or_else(|| format!("{kind} map"))?;
            let at = at
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_u64())
                        .map(|x| x as usize)
                        .collect()
                })
                .unwrap_or_default();
            maps.push((shape, at));
        }
    }
    Ok(Test {
        file: s("file"),
        descr: s("descr"),
        prog_type,
        prog_type_raw,
        expected_attach_type: n("expected_attach_type"),
        prog_flags,
        insns,
        maps,
    })
}

/// The instructions with each fix-up's `lddw` pointing at map `i` through `imm(i)`, its
/// source register turned by `src` (fd → idx for bpfsim, unchanged for the kernel).
fn patched(t: &Test, imm: impl Fn(usize) -> i32, src: impl Fn(u8) -> u8) -> Vec<RawInsn> {
    let mut insns = t.insns.clone();
    for (i, (_, at)) in t.maps.iter().enumerate() {
        for &pc in at {
            if let Some(insn) = insns.get_mut(pc) {
                insn.imm = imm(i);
                insn.src = src(insn.src);
            }
        }
    }
    insns
}

fn kernel_verdict(t: &Test, fds: &mut BTreeMap<(u32, u32, u32, u32), OwnedFd>) -> String {
    let mut map_fds = Vec::new();
    for ((ty, k, v, n), _) in &t.maps {
        let key = (ty.as_u32(), *k, *v, *n);
        let fd = match fds.entry(key) {
            std::collections::btree_map::Entry::Occupied(e) => e.get().as_raw_fd(),
            std::collections::btree_map::Entry::Vacant(e) => {
                match sys::map_create(key.0, key.1, key.2, key.3) {
                    Ok(fd) => e.insert(fd).as_raw_fd(),
                    Err(e) => return format!("map create errno {e}"),
                }
            }
        };
        map_fds.push(fd);
    }
    let insns = patched(t, |i| map_fds[i], |s| s);
    let bytes: Vec<u8> = insns.iter().flat_map(|i| i.to_bytes()).collect();
    let r = sys::prog_load_with(
        &bytes,
        &sys::LoadOptions {
            prog_type: t.prog_type_raw,
            log_level: 1,
            prog_flags: t.prog_flags,
            expected_attach_type: t.expected_attach_type,
            ..Default::default()
        },
    );
    if r.accepted() {
        return "accept".into();
    }
    // A refusal before the verifier ran (no log) is not a verdict.
    match r.error_line() {
        Some(line) => line.to_string(),
        None => format!("errno {} (no log)", r.errno()),
    }
}

fn bpfsim_verdict(t: &Test) -> String {
    let defs: Vec<MapDef> = t
        .maps
        .iter()
        .enumerate()
        .map(
            |(i, ((map_type, key_size, value_size, max_entries), _))| MapDef {
                name: format!("map{i}"),
                map_type: *map_type,
                key_size: *key_size,
                value_size: *value_size,
                max_entries: *max_entries,
                map_flags: 0,
                inner: None,
                initial: Vec::new(),
                read_only: false,
                origin: MapOrigin::User,
            },
        )
        .collect();
    let insns = patched(
        t,
        |i| i as i32,
        |s| match s {
            PSEUDO_MAP_FD => PSEUDO_MAP_IDX,
            PSEUDO_MAP_VALUE => PSEUDO_MAP_IDX_VALUE,
            s => s,
        },
    );
    let mut program = Program::from_insns("test", t.prog_type, insns);
    if t.expected_attach_type != 0 {
        program.expected_attach_type = Some(t.expected_attach_type);
    }
    let options = PreflightOptions {
        maps: MapRefs::Object(&defs),
        ..PreflightOptions::default()
    };
    match verify(&program, &options).result {
        Ok(()) => "accept".into(),
        Err(e) => e.message().to_string(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: raw_selftests TESTS.jsonl [--only FILE] [--list]");
        return ExitCode::from(2);
    };
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    let list = args.iter().any(|a| a == "--list");
    if !sys::bpf_available() {
        eprintln!("bpf() is not available (run as root): no kernel verdicts");
        return ExitCode::from(2);
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut fds = BTreeMap::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let (mut agree, mut total, mut no_verdict) = (0, 0, 0);
    let (mut msg_total, mut msg_equal) = (0, 0);
    let mut false_accepts = Vec::new();
    let mut false_rejects = Vec::new();
    let mut msg_differ = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if only.is_some_and(|o| !v["file"].as_str().unwrap_or("").contains(o.as_str())) {
            continue;
        }
        let t = match parse(&v) {
            Ok(t) => t,
            Err(why) => {
                *skipped.entry(why).or_default() += 1;
                continue;
            }
        };
        let k = kernel_verdict(&t, &mut fds);
        if k.starts_with("errno") || k.starts_with("map create") {
            no_verdict += 1;
            continue;
        }
        let b = bpfsim_verdict(&t);
        total += 1;
        let row = format!("{} / {}\n    kernel: {k}\n    bpfsim: {b}", t.file, t.descr);
        if list {
            println!(
                "{} {} / {}",
                if (k == "accept") == (b == "accept") {
                    "ok  "
                } else {
                    "DIFF"
                },
                t.file,
                t.descr
            );
        }
        match (k == "accept", b == "accept") {
            (true, true) => agree += 1,
            (false, false) => {
                agree += 1;
                msg_total += 1;
                if k == b {
                    msg_equal += 1;
                } else {
                    msg_differ.push(row);
                }
            }
            (false, true) => false_accepts.push(row),
            (true, false) => false_rejects.push(row),
        }
    }
    for (title, rows) in [
        ("false accepts", &false_accepts),
        ("false rejects", &false_rejects),
        ("reject messages that differ", &msg_differ),
    ] {
        println!("\n## {title} ({})", rows.len());
        for r in rows.iter() {
            println!("  {r}");
        }
    }
    println!("\nleft out (bpfsim cannot express them): {skipped:?}");
    println!("no kernel verdict (refused before the verifier): {no_verdict}");
    println!(
        "raw selftests: {agree}/{total} verdicts agree ({:.1}%), {} false accepts, {} false rejects, {msg_equal}/{msg_total} reject messages equal",
        100.0 * agree as f64 / total.max(1) as f64,
        false_accepts.len(),
        false_rejects.len()
    );
    if false_accepts.is_empty() && false_rejects.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
