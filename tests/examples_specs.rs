//! The test tool as users meet it: every example spec under `examples/` passes (through the
//! library and through `bpfsim test`), the opensnoop example prints opensnoop's table, spec
//! mistakes are refused with the spec's file and line, failing expectations give diffs and
//! exit 1, and `bpfsim run` verifies before running.

use bpfsim::testing::spec::{self, run::Status};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bpfsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run bpfsim")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every `examples/*/*.toml`, and the test tool's own fixtures' specs.
fn example_specs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .map(|d| d.expect("entry").path())
        .collect();
    dirs.push(root().join("tests/fixtures/testtool"));
    for dir in dirs {
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("example dir") {
            let f = f.expect("entry").path();
            if f.extension().is_some_and(|e| e == "toml") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_example_spec_passes() {
    let specs = example_specs();
    assert!(specs.len() >= 4, "{specs:?}");
    let mut cases = 0;
    for path in &specs {
        let s = spec::load(path).unwrap_or_else(|e| panic!("{e}"));
        for r in spec::run::run_spec(&s, &mut |_, _, _| {}) {
            assert_eq!(
                r.status,
                Status::Pass,
                "{}: {}: {:?}",
                path.display(),
                r.name,
                r.messages
            );
            cases += 1;
        }
    }
    println!("{} specs, {cases} cases passed", specs.len());
}

#[test]
fn opensnoop_prints_the_table_the_real_tool_prints() {
    let o = bpfsim(&["test", "examples/opensnoop/opensnoop.toml"]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    let lines: Vec<&str> = out.lines().collect();
    // libbpf-tools: printf("%-6s %-16s %3s %3s ", "PID", "COMM", "FD", "ERR"); "PATH".
    assert!(
        lines.contains(&"PID    COMM              FD ERR PATH"),
        "{out}"
    );
    // printf("%-6d %-16s %3d %3d ", pid, comm, fd, err); path.
    assert!(
        lines.contains(&"4242   cat                3   0 /etc/passwd"),
        "{out}"
    );
    assert!(
        lines.contains(&"4243   ls                -1   2 /home/user/.config/nope"),
        "{out}"
    );
    assert!(
        lines.contains(&"4244   sudo              -1  13 /etc/shadow"),
        "{out}"
    );
    assert!(
        out.contains("test result: 3 passed, 0 failed, 0 errors"),
        "{out}"
    );
    // A directory runs every spec under it.
    let o = bpfsim(&["test", "-q", "examples"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("test result: 10 passed, 0 failed, 0 errors"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn events_json_and_junit() {
    let junit = std::env::temp_dir().join(format!("bpfsim-junit-{}.xml", std::process::id()));
    let o = bpfsim(&[
        "test",
        "examples/opensnoop/opensnoop.toml",
        "examples/xdp_filter/xdp_filter.toml",
        "--events-json",
        "--junit",
        junit.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["map"], "events");
    assert_eq!(lines[0]["fields"]["comm"], "cat");
    assert_eq!(lines[0]["fields"]["fname"], "/etc/passwd");
    assert_eq!(lines[3]["fields"]["ret"], -13);
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    let _ = std::fs::remove_file(&junit);
    assert!(
        xml.contains(
            "<testsuite name=\"examples/xdp_filter/xdp_filter.toml\" tests=\"4\" failures=\"0\""
        ),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 7, "{xml}");
}

/// Writes a spec next to the examples' objects (so `object =` paths resolve) in a temp dir.
fn temp_spec(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpfsim-specs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    let body = body.replace("@EXAMPLES@", &root().join("examples").display().to_string());
    std::fs::write(&p, body).expect("write spec");
    p
}

const XDP_HEAD: &str = "object = \"@EXAMPLES@/xdp_filter/xdp_filter.bpf.o\"\n";

/// Loads a broken spec and checks the error names the file, the line and the problem.
fn refused(name: &str, body: &str, line: usize, message: &str) {
    let p = temp_spec(name, body);
    let e = spec::load(&p).expect_err("the spec is refused");
    assert_eq!(e.file, p);
    assert_eq!(e.line, line, "{e}");
    assert!(e.to_string().contains(message), "{e}");
    // The CLI says the same and exits 2.
    let o = bpfsim(&["test", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("{}:{line}:", p.display())), "{err}");
    assert!(err.contains(message), "{err}");
}

#[test]
fn spec_mistakes_point_at_their_line() {
    refused(
        "program.toml",
        &format!("{XDP_HEAD}program = \"xdp_filtre\"\n[[case]]\nname = \"x\"\npacket = \"00\"\n"),
        2,
        "unknown program \"xdp_filtre\" (the object has: xdp_filter)",
    );
    refused(
        "hex.toml",
        &format!("{XDP_HEAD}[[case]]\nname = \"x\"\npacket = \"0800zz\"\n"),
        4,
        "bad hex: \"zz\" is not a hex byte",
    );
    refused(
        "odd.toml",
        &format!("{XDP_HEAD}[[case]]\nname = \"x\"\npacket = \"080\"\n"),
        4,
        "odd number of hex digits",
    );
    refused(
        "map.toml",
        &format!(
            "{XDP_HEAD}[[maps]]\nmap = \"blocked\"\nkey = 1\nvalue = 1\n[[case]]\nname = \"x\"\npacket = \"00\"\n"
        ),
        3,
        "no map named \"blocked\" (the object has: blocked_ports, verdicts)",
    );
    refused(
        "size.toml",
        &format!(
            "{XDP_HEAD}[[maps]]\nmap = \"blocked_ports\"\nkey = 22\nvalue = \"0100\"\n[[case]]\nname = \"x\"\npacket = \"00\"\n"
        ),
        5,
        "wrong value size: 2 bytes given, map blocked_ports has 1-byte values",
    );
    refused(
        "fit.toml",
        &format!(
            "{XDP_HEAD}[[maps]]\nmap = \"blocked_ports\"\nkey = 70000\nvalue = 1\n[[case]]\nname = \"x\"\npacket = \"00\"\n"
        ),
        4,
        "70000 does not fit in the map's 2-byte key",
    );
    refused(
        "key.toml",
        &format!("{XDP_HEAD}[[case]]\nname = \"x\"\npackit = \"00\"\n"),
        4,
        "unknown field `packit`",
    );
    refused(
        "expect.toml",
        &format!(
            "{XDP_HEAD}[[case]]\nname = \"x\"\npacket = \"00\"\n[[case.expect]]\nretval = 1\n"
        ),
        5,
        "[case.expect], not [[case.expect]]",
    );
    refused(
        "verdict.toml",
        &format!(
            "{XDP_HEAD}[[case]]\nname = \"x\"\npacket = \"00\"\n[case.expect]\nretval = \"XDP_PASSS\"\n"
        ),
        6,
        "unknown verdict \"XDP_PASSS\"",
    );
    refused(
        "field.toml",
        "object = \"@EXAMPLES@/tc_counter/tc_counter.bpf.o\"\n[[case]]\nname = \"x\"\npacket = \"00\"\n[[case.expect.maps]]\nmap = \"proto_stats\"\nkey = 6\nvalue = { packets = 1, bites = 2 }\n",
        8,
        "struct proto_stat has no field \"bites\" (it has: packets, bytes)",
    );
    refused(
        "ctx.toml",
        "object = \"@EXAMPLES@/tc_counter/tc_counter.bpf.o\"\n[[case]]\nname = \"x\"\npacket = \"00\"\nctx = { marc = 1 }\n",
        5,
        "unknown context field \"marc\" for sched_cls",
    );
    refused(
        "syscall.toml",
        "object = \"@EXAMPLES@/opensnoop/opensnoop.bpf.o\"\n[[case]]\nname = \"x\"\n[[case.syscalls]]\nname = \"read\"\nret = 1\n",
        5,
        "no program of the object traces syscall read",
    );
    refused(
        "event_type.toml",
        "object = \"@EXAMPLES@/opensnoop/opensnoop.bpf.o\"\nevent_type = \"evnt\"\n[[case]]\nname = \"x\"\n",
        2,
        "no BTF type named \"evnt\"",
    );
}

#[test]
fn failed_expectations_show_diffs_and_exit_1() {
    let p = temp_spec(
        "fail.toml",
        &format!(
            "{XDP_HEAD}[[maps]]\nmap = \"blocked_ports\"\nkey = 22\nvalue = 1\n[[case]]\nname = \"tcp 22\"\n\
             packet = \"020000000001020000000002 0800 450000280001000040060000 0a0000020a000001 9c400016000000010000000050020000ffff0000\"\n\
             [case.expect]\nretval = \"XDP_PASS\"\n[[case.expect.maps]]\nmap = \"verdicts\"\nkey = 1\nvalue = 2\n"
        ),
    );
    let o = bpfsim(&["test", p.to_str().expect("utf-8")]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("FAIL  tcp 22"), "{out}");
    assert!(
        out.contains("retval: expected XDP_PASS, got XDP_DROP"),
        "{out}"
    );
    assert!(out.contains("map verdicts key 01000000 (spec line 12): expected 0200000000000000, got 0100000000000000"), "{out}");
    assert!(
        out.contains("test result: 0 passed, 1 failed, 0 errors"),
        "{out}"
    );
}

#[test]
fn an_unavailable_engine_is_reported_not_run() {
    let p = temp_spec(
        "jit.toml",
        &format!(
            "{XDP_HEAD}engine = \"jit\"\n[[case]]\nname = \"on the jit\"\npacket = \"020000000001020000000002 0806 00000000000000000000000000000000\"\n"
        ),
    );
    let s = spec::load(&p).expect("loads");
    let r = &spec::run::run_spec(&s, &mut |_, _, _| {})[0];
    if r.status == Status::Pass {
        println!("the JIT is available: nothing to report");
        return;
    }
    assert_eq!(r.status, Status::Error, "{:?}", r.messages);
    assert!(
        r.messages[0].contains("the jit engine is not available"),
        "{:?}",
        r.messages
    );
    let o = bpfsim(&["test", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let bad = temp_spec(
        "engine.toml",
        &format!("{XDP_HEAD}engine = \"wasm\"\n[[case]]\nname = \"x\"\n"),
    );
    let e = spec::load(&bad).expect_err("unknown engine");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("unknown engine \"wasm\""), "{e}");
}

#[test]
fn run_verifies_first_and_says_how_to_skip() {
    let obj = "tests/fixtures/testtool/rejected.o";
    let frame = std::env::temp_dir().join(format!("bpfsim-frame-{}.bin", std::process::id()));
    std::fs::write(&frame, [0u8; 14]).expect("write frame");
    let f = frame.to_str().expect("utf-8");
    let o = bpfsim(&["run", obj, "--data-in", f]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("insn 7: R0 invalid mem access 'map_value_or_null'"),
        "{err}"
    );
    assert!(err.contains("; *n += 1; @ rejected.c:20"), "{err}");
    assert!(err.contains("--no-verify skips it"), "{err}");
    // Skipped, the program runs: the empty hash map gives NULL, and the interpreter's own
    // memory checks stop the run at the same source line (exit 1).
    let o = bpfsim(&["run", obj, "--data-in", f, "--no-verify"]);
    let _ = std::fs::remove_file(&frame);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("instruction 7: invalid load of 8 bytes at 0x0"),
        "{err}"
    );
    assert!(err.contains("rejected.c:20: *n += 1;"), "{err}");
}

#[test]
fn run_over_a_pcap_counts_verdicts_and_writes_what_passed() {
    let out = std::env::temp_dir().join(format!("bpfsim-out-{}.pcap", std::process::id()));
    let o = bpfsim(&[
        "run",
        "examples/xdp_filter/xdp_filter.bpf.o",
        "--pcap",
        "examples/xdp_filter/traffic.pcap",
        "--pcap-out",
        out.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).expect("JSON");
    // No ports blocked from the command line: the cut and the optioned IPv4 frames drop.
    assert_eq!(
        v["verdicts"],
        serde_json::json!({"XDP_DROP": 2, "XDP_PASS": 7, "XDP_TX": 1})
    );
    assert_eq!(v["written"], 8);
    let written =
        bpfsim::testing::pcap::Pcap::parse(&std::fs::read(&out).expect("written")).expect("a pcap");
    let _ = std::fs::remove_file(&out);
    assert_eq!(written.packets.len(), 8);
    // The echo request went back out with its MAC addresses swapped.
    let input = bpfsim::testing::pcap::Pcap::parse(
        &std::fs::read(root().join("examples/xdp_filter/traffic.pcap")).expect("pcap"),
    )
    .expect("a pcap");
    let echo = &input.packets[3].data;
    let tx = written
        .packets
        .iter()
        .find(|p| p.data[6..12] == echo[0..6] && p.data[12..] == echo[12..])
        .expect("the reflected echo request");
    assert_eq!(tx.data[0..6], echo[6..12]);
}

#[test]
fn run_prints_perf_events_as_json_lines() {
    let frame = std::env::temp_dir().join(format!("bpfsim-perf-{}.bin", std::process::id()));
    std::fs::write(&frame, parse("0a0b0c0d0e0f0200000000020800")).expect("write frame");
    let o = bpfsim(&[
        "run",
        "tests/fixtures/testtool/perf_events.o",
        "--data-in",
        frame.to_str().expect("utf-8"),
        "--events-json",
        "--event-type",
        "sample",
    ]);
    let _ = std::fs::remove_file(&frame);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    let line = out
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("a JSON line");
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(v["map"], "samples");
    assert_eq!(v["fields"]["len"], 14);
    assert_eq!(v["fields"]["proto"], 0x0800);
    assert_eq!(v["fields"]["tag"], "frame");
    assert_eq!(v["fields"]["kind"], 0x123);
    assert!(out.contains("trace: frame of 14 bytes"), "{out}");
}

fn parse(h: &str) -> Vec<u8> {
    bpfsim::testing::parse_hex(h).expect("hex")
}

#[test]
fn generic_tracepoint_records_and_the_world() {
    let p = temp_spec(
        "tp.toml",
        "object = \"@EXAMPLES@/opensnoop/opensnoop.bpf.o\"\n\
         [world]\npid = 77\ncomm = \"init\"\n\
         [[case]]\nname = \"enter by hand\"\n\
         [[case.tracepoints]]\nprogram = \"tracepoint__syscalls__sys_enter_openat\"\n\
         args = [257, -100, 0x1000, 0x241]\n\
         [[case.expect.maps]]\nmap = \"start\"\nkey = 77\nvalue = { fname = 0x1000, flags = 0x241 }\n\
         [[case]]\nname = \"the task comes from the case's world\"\nworld = { pid = 78 }\n\
         [[case.tracepoints]]\nprogram = \"tracepoint__syscalls__sys_enter_openat\"\n\
         args = [257, -100, 0x2000, 0]\n\
         [[case.expect.maps]]\nmap = \"start\"\nkey = 77\nabsent = true\n\
         [[case.expect.maps]]\nmap = \"start\"\nkey = 78\nvalue = \"00200000000000000000000000000000\"\n",
    );
    let s = spec::load(&p).unwrap_or_else(|e| panic!("{e}"));
    for r in spec::run::run_spec(&s, &mut |_, _, _| {}) {
        assert_eq!(r.status, Status::Pass, "{}: {:?}", r.name, r.messages);
        assert_eq!(r.runs, 1);
    }
}

#[test]
fn specs_verify_first_unless_told_not_to() {
    let body = |verify: &str| {
        format!(
            "object = \"{}\"\n{verify}[[case]]\nname = \"unchecked lookup\"\npacket_file = \"frame.bin\"\n",
            root().join("tests/fixtures/testtool/rejected.o").display()
        )
    };
    let p = temp_spec("verify.toml", &body(""));
    std::fs::write(p.with_file_name("frame.bin"), [0u8; 14]).expect("write frame");
    let s = spec::load(&p).unwrap_or_else(|e| panic!("{e}"));
    let r = &spec::run::run_spec(&s, &mut |_, _, _| {})[0];
    assert_eq!(r.status, Status::Fail, "{:?}", r.messages);
    assert!(
        r.messages[0].contains("R0 invalid mem access 'map_value_or_null'"),
        "{:?}",
        r.messages
    );
    assert!(r.messages[0].contains("*n += 1;"), "{:?}", r.messages);
    assert!(
        r.messages[0].contains("`verify = false`"),
        "{:?}",
        r.messages
    );
    // Not verified, it runs from packet_file and faults at the same line: a failed case.
    let p = temp_spec("noverify.toml", &body("verify = false\n"));
    let s = spec::load(&p).unwrap_or_else(|e| panic!("{e}"));
    let r = &spec::run::run_spec(&s, &mut |_, _, _| {})[0];
    assert_eq!(r.status, Status::Fail, "{:?}", r.messages);
    assert!(r.messages[0].contains("rejected.c:20"), "{:?}", r.messages);
    let o = bpfsim(&[
        "test",
        "--no-verify",
        temp_spec("v2.toml", &body("")).to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
}

#[test]
fn every_example_spec_passes_on_the_jit() {
    for path in example_specs() {
        let mut s = spec::load(&path).unwrap_or_else(|e| panic!("{e}"));
        for c in &mut s.cases {
            c.engine = bpfsim::engine::Engine::Jit;
        }
        for r in spec::run::run_spec(&s, &mut |_, _, _| {}) {
            assert_eq!(
                r.status,
                Status::Pass,
                "{} on the jit: {}: {:?}",
                path.display(),
                r.name,
                r.messages
            );
        }
    }
}

#[test]
fn run_seeds_maps_from_the_command_line() {
    let args = |extra: &[&str]| {
        let mut v = vec![
            "run",
            "examples/xdp_filter/xdp_filter.bpf.o",
            "--pcap",
            "examples/xdp_filter/traffic.pcap",
            "--json",
        ];
        v.extend_from_slice(extra);
        bpfsim(&v)
    };
    // Ports 22 (0x0016) and 9999 (0x270f), little-endian u16 keys: as the spec blocks them.
    let o = args(&[
        "--map-update",
        "blocked_ports:1600:01",
        "--map-update",
        "blocked_ports:0f27:01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).expect("JSON");
    assert_eq!(
        v["verdicts"],
        serde_json::json!({"XDP_DROP": 4, "XDP_PASS": 5, "XDP_TX": 1})
    );
    let o = args(&["--map-update", "blocked_ports:16:01"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("the key is 1 bytes, the map's keys are 2"),
        "{}",
        text(&o.stderr)
    );
    let o = args(&["--map-update", "nope:1600:01"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no map named \"nope\""),
        "{}",
        text(&o.stderr)
    );
}
