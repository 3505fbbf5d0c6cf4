//! The `bpfsim` command line as a user sees it: outputs, JSON, exit codes (0 ok, 1 the
//! program failed, 2 unusable input) and the bundled example staying in sync with its source.

use std::path::Path;
use std::process::{Command, Output};

fn bpfsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("bpfsim starts")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bpfsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn example_checksum_runs_to_the_rfc1071_checksum() {
    let o = bpfsim(&[
        "run",
        "--raw",
        "examples/checksum.bin",
        "--mem-in",
        "examples/ipv4_header.bin",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Return value: 47201 (0xb861)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn example_binary_is_the_assembled_source() {
    let out = temp("checksum.bin");
    let o = bpfsim(&[
        "asm",
        "examples/checksum.s",
        "-o",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let built = std::fs::read(&out).expect("written");
    let bundled =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/checksum.bin"))
            .expect("bundled");
    assert_eq!(
        built, bundled,
        "examples/checksum.bin is stale: re-run `bpfsim asm examples/checksum.s -o examples/checksum.bin`"
    );
}

#[test]
fn json_output_and_repeat() {
    let o = bpfsim(&[
        "run",
        "--raw",
        "examples/checksum.bin",
        "--mem-in",
        "examples/ipv4_header.bin",
        "--repeat",
        "50",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON object");
    assert_eq!(v["r0"], 47201);
    assert_eq!(v["r0_hex"], "0xb861");
    assert_eq!(v["repeat"], 50);
    assert!(v["insns"].as_u64().expect("insns") > 0);
    assert!(v["duration_ns"].is_u64());
}

#[test]
fn mem_out_writes_what_the_program_stored() {
    let src = temp("store.s");
    let prog = temp("store.bin");
    let out = temp("mem.out");
    std::fs::write(&src, "*(u32 *)(r1 + 0x0) = 0x11223344\nr0 = 0\nexit\n").expect("write");
    assert!(
        bpfsim(&["asm", src.to_str().unwrap(), "-o", prog.to_str().unwrap()])
            .status
            .success()
    );
    let o = bpfsim(&[
        "run",
        "--raw",
        prog.to_str().unwrap(),
        "--mem-in",
        "examples/ipv4_header.bin",
        "--mem-out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mem = std::fs::read(&out).expect("mem out");
    assert_eq!(&mem[..4], &[0x44, 0x33, 0x22, 0x11]);
    assert_eq!(mem.len(), 20);
}

#[test]
fn disasm_prints_llvm_objdump_syntax() {
    let o = bpfsim(&["disasm", "--raw", "examples/checksum.bin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("r6 = *(u16 *)(r3 + 0x0)"), "{text}");
    assert!(text.contains("if r5 > r4 goto +0x5"), "{text}");
    assert!(text.contains("r6 = be16 r6"), "{text}");
}

#[test]
fn exit_codes_tell_bad_input_from_a_failing_program() {
    // Missing file: 2.
    let o = bpfsim(&["run", "--raw", "no/such/file.bin"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.bin"), "{}", stderr(&o));
    // Not whole instructions: 2.
    let bad = temp("bad.bin");
    std::fs::write(&bad, [0x95u8, 0, 0]).expect("write");
    let o = bpfsim(&["run", "--raw", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A reserved field: 2, naming the instruction.
    std::fs::write(
        &bad,
        [0x07u8, 0, 1, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0],
    )
    .expect("write");
    let o = bpfsim(&["disasm", "--raw", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("instruction 0"), "{}", stderr(&o));
    // A program that faults at run time: 1.
    std::fs::write(
        &bad,
        [0x71u8, 0x01, 0, 0x10, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0],
    )
    .expect("write");
    let o = bpfsim(&["run", "--raw", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("instruction 0: invalid load"),
        "{}",
        stderr(&o)
    );
    // Assembly errors: 2 with the line.
    let src = temp("bad.s");
    std::fs::write(&src, "r0 = 0\nfrobnicate r0\n").expect("write");
    let o = bpfsim(&[
        "asm",
        src.to_str().unwrap(),
        "-o",
        temp("x.bin").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
}

#[test]
fn runaway_program_stops_at_the_budget() {
    let prog = temp("loop.bin");
    std::fs::write(&prog, [0x05u8, 0, 0xff, 0xff, 0, 0, 0, 0]).expect("write");
    let o = bpfsim(&["run", "--raw", prog.to_str().unwrap(), "--budget", "1000"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("budget of 1000 exhausted"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn disasm_of_an_object_shows_source_lines_subprograms_and_names() {
    let o = bpfsim(&["disasm", "tests/fixtures/calls.o", "--program", "second"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("second (section tc, sched_cls, 21 insns):"),
        "{text}"
    );
    assert!(
        text.contains("; bpf_loop(4, step, &acc, 0);  [./calls.c:34]"),
        "{text}"
    );
    assert!(text.contains("<leaf>:"), "{text}");
    assert!(text.contains("call 0xb5  ; bpf_loop"), "{text}");
    let o = bpfsim(&[
        "disasm",
        "tests/fixtures/globals.o",
        "--program",
        "classify",
    ]);
    assert!(stdout(&o).contains("; map globals.bss"), "{}", stdout(&o));
}

#[test]
fn run_of_an_object_reports_like_bpftool() {
    let frame = temp("frame.bin");
    let mut bytes = vec![0xffu8; 6];
    bytes.extend([0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    bytes.extend([
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    std::fs::write(&frame, &bytes).expect("write");
    let f = frame.to_str().expect("utf-8");
    // skb->len is 34: leaf(34) = 103, and bpf_loop adds 0 + 1 + 2 + 3 (the kernel says 109).
    let o = bpfsim(&[
        "run",
        "tests/fixtures/calls.o",
        "--program",
        "second",
        "--data-in",
        f,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(v["retval"], 109);
    assert_eq!(
        v["data_out"],
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let o = bpfsim(&[
        "run",
        "tests/fixtures/calls.o",
        "--program",
        "second",
        "--data-in",
        f,
    ]);
    assert!(
        stdout(&o).starts_with("Return value: 109, duration (average): "),
        "{}",
        stdout(&o)
    );
}

#[test]
fn object_runs_refuse_bad_input_clearly() {
    let short = temp("short.bin");
    std::fs::write(&short, [0u8; 10]).expect("write");
    let s = short.to_str().expect("utf-8");
    // A packet shorter than an Ethernet header: 2, with the kernel's reason.
    let o = bpfsim(&[
        "run",
        "tests/fixtures/calls.o",
        "--program",
        "second",
        "--data-in",
        s,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("packet too short"), "{}", stderr(&o));
    // Several programs and none chosen: 2, listing them.
    let o = bpfsim(&["run", "tests/fixtures/calls.o"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("first, second"), "{}", stderr(&o));
    // No such program.
    let o = bpfsim(&["run", "tests/fixtures/calls.o", "--program", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no program named \"nope\""),
        "{}",
        stderr(&o)
    );
    // A truncated ELF: 2, never a panic.
    let obj = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/calls.o"))
        .expect("fixture");
    let cut = temp("cut.o");
    std::fs::write(&cut, &obj[..obj.len() / 3]).expect("write");
    let o = bpfsim(&["run", cut.to_str().expect("utf-8"), "--program", "second"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    // A tracing context blob of the wrong size.
    let o = bpfsim(&[
        "run",
        "tests/fixtures/contexts/kprobe_regs.o",
        "--ctx-in",
        s,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("context blob is 10 bytes"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unimplemented_helpers_are_named_before_anything_runs() {
    let prog = temp("stackid.bin");
    std::fs::write(
        &prog,
        [0x85u8, 0, 0, 0, 27, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0],
    )
    .expect("write");
    let o = bpfsim(&["run", "--raw", prog.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("instruction 0: helper bpf_get_stackid#27 is not implemented by bpfsim"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn helpers_lists_what_the_engine_implements() {
    let o = bpfsim(&["helpers"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("   1 bpf_map_lookup_elem"), "{text}");
    assert!(text.contains("  12 bpf_tail_call"), "{text}");
    assert!(text.lines().count() >= 89, "{text}");
}

#[test]
fn calls_to_functions_the_object_does_not_define_are_refused_before_running() {
    // bpf_rcu_read_lock is a kfunc: bpfsim cannot link it yet, as a loader without the
    // kernel's BTF cannot.
    let o = bpfsim(&["run", "tests/fixtures/externs.o", "--program", "probe"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("instruction 0: call to undefined symbol bpf_rcu_read_lock"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn both_engines_give_the_same_json_for_raw_and_object_runs() {
    let raw = |engine: &str| {
        let o = bpfsim(&[
            "run",
            "--raw",
            "examples/checksum.bin",
            "--mem-in",
            "examples/ipv4_header.bin",
            "--engine",
            engine,
            "--json",
        ]);
        assert!(o.status.success(), "{engine}: {}", stderr(&o));
        let mut v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
        v["duration_ns"] = serde_json::Value::Null;
        v
    };
    let want = raw("interp");
    assert_eq!(want["r0"], 47201);
    assert_eq!(raw("jit"), want);
    let o = bpfsim(&["run", "--raw", "examples/checksum.bin", "--engine", "wasm"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn the_jit_reports_a_runaway_program_like_the_interpreter() {
    let src = temp("forever.s");
    let prog = temp("forever.bin");
    std::fs::write(&src, "r0 = 0\nr0 += 1\ngoto -2\n").expect("write");
    assert!(
        bpfsim(&["asm", src.to_str().unwrap(), "-o", prog.to_str().unwrap()])
            .status
            .success()
    );
    let run = |engine: &str| {
        let o = bpfsim(&[
            "run",
            "--raw",
            prog.to_str().unwrap(),
            "--budget",
            "1000",
            "--engine",
            engine,
        ]);
        assert_eq!(o.status.code(), Some(1), "{engine}: {}", stdout(&o));
        stderr(&o)
    };
    let want = run("interp");
    assert!(want.contains("budget of 1000"), "{want}");
    assert_eq!(run("jit"), want);
}

#[test]
fn bench_times_the_program_on_every_engine() {
    let obj = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/runs/xdp_stats.o"
    );
    let pkt = temp("bench_pkt.bin");
    let mut frame = vec![0xffu8; 6];
    frame.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0x08, 0x00]);
    frame.extend_from_slice(&[0x45; 46]);
    std::fs::write(&pkt, &frame).expect("write packet");
    let out = bpfsim(&[
        "bench",
        obj,
        "--data-in",
        pkt.to_str().unwrap(),
        "--time-ms",
        "20",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("program xdp_stats"), "{text}");
    let interp = text
        .lines()
        .find(|l| l.starts_with("interp"))
        .expect("interp row");
    assert!(interp.ends_with("1.00x"), "{interp}");
    assert!(text.lines().any(|l| l.starts_with("jit")), "{text}");
    let missing = bpfsim(&["bench", obj, "--program", "nope", "--time-ms", "1"]);
    assert_eq!(missing.status.code(), Some(2));
}

/// A reader that goes away (`bpfsim ... | head -1`) ends the output quietly, as other Unix
/// tools do: no panic message, exit 0.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    for args in [
        &["disasm", "tests/fixtures/net/net.o"][..],
        &["inspect", "tests/fixtures/net/net.o"][..],
        &["helpers"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bpfsim"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("bpfsim starts");
        // The reader closes before reading anything.
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("bpfsim ends");
        assert!(
            o.status.success(),
            "{args:?}: {:?} {}",
            o.status,
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}

/// Event records print their fields in the order the C struct declares them (as
/// `bpftool map dump` does), not sorted by name.
#[test]
fn event_fields_keep_their_declaration_order() {
    let o = bpfsim(&["test", "--events-json", "examples/opensnoop/opensnoop.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let first = out.lines().next().expect("an event line");
    let at = |key: &str| {
        first
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} in {first}"))
    };
    let order = ["ts", "pid", "tid", "uid", "ret", "flags", "comm", "fname"].map(at);
    assert!(order.is_sorted(), "{first}");
}

/// `bpfsim verify --raw`: bare instructions, as given to BPF_PROG_LOAD, with the verdict,
/// message and exit code of an object's program.
#[test]
fn verify_takes_a_raw_program() {
    let accept = temp("accept.bin");
    let reject = temp("reject.bin");
    // r0 = 0; exit
    std::fs::write(
        &accept,
        [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0],
    )
    .unwrap();
    // exit (r0 never set)
    std::fs::write(&reject, [0x95, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    let o = bpfsim(&[
        "verify",
        "--raw",
        accept.to_str().unwrap(),
        "--prog-type",
        "xdp",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("raw (): accept"), "{}", stdout(&o));
    let o = bpfsim(&["verify", "--raw", reject.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let line: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON line");
    assert_eq!(line["verdict"], "reject");
    assert_eq!(line["error"], "R0 !read_ok");
    assert_eq!(line["prog_type"], "socket_filter");
    // Not whole 8-byte slots: unusable input.
    let partial = temp("partial.bin");
    std::fs::write(&partial, [0x95, 0, 0]).unwrap();
    let o = bpfsim(&["verify", "--raw", partial.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
