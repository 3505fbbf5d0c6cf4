//! `bpfsim inspect` as a user runs it: text and JSON output, `--prog-type`, exit code 2 with
//! a message for an object the loader refuses.

mod common;

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

#[test]
fn text_lists_programs_and_maps() {
    let o = bpfsim(&["inspect", "tests/fixtures/calls.o"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("BTF: yes, line info: yes"), "{out}");
    assert!(out.contains("programs (2):"), "{out}");
    let first = out
        .lines()
        .find(|l| l.trim_start().starts_with("first"))
        .expect("first");
    assert!(
        first.contains("xdp") && first.contains("20 insns (8 + middle, leaf)"),
        "{first}"
    );

    let o = bpfsim(&["inspect", "tests/fixtures/globals.o"]);
    let out = stdout(&o);
    let ro = out
        .lines()
        .find(|l| l.contains("globals.rodata"))
        .expect("rodata map");
    assert!(
        ro.contains("array") && ro.contains("value 4") && ro.contains("flags 0x480"),
        "{ro}"
    );
}

#[test]
fn json_is_one_object_with_the_documented_fields() {
    let o = bpfsim(&["inspect", "--json", "tests/fixtures/btf_maps.o"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON object");
    assert_eq!(v["file"], "tests/fixtures/btf_maps.o");
    assert_eq!(v["btf"], true);
    assert_eq!(v["line_info"], true);
    assert_eq!(v["license"], "GPL");
    let p = &v["programs"][0];
    assert_eq!(p["name"], "count");
    assert_eq!(p["section"], "xdp");
    assert_eq!(p["prog_type"], "xdp");
    assert_eq!(p["insns"], 27);
    assert!(p["line_info"].as_u64().expect("line_info count") > 0);
    let maps = v["maps"].as_array().expect("maps");
    assert_eq!(maps.len(), 3);
    assert_eq!(maps[0]["name"], "flows");
    assert_eq!(maps[0]["type"], "hash");
    assert_eq!(maps[0]["key_size"], 4);
    assert_eq!(maps[0]["value_size"], 16);
    assert_eq!(maps[0]["max_entries"], 1024);
    assert_eq!(maps[0]["flags"], 1);
}

#[test]
fn prog_type_overrides_the_section() {
    let o = bpfsim(&[
        "inspect",
        "--json",
        "--prog-type",
        "sched_cls",
        "tests/fixtures/calls.o",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    for p in v["programs"].as_array().expect("programs") {
        assert_eq!(p["prog_type"], "sched_cls");
        assert_eq!(p["prog_type_source"], "user");
    }
    let o = bpfsim(&[
        "inspect",
        "--prog-type",
        "nonsense",
        "tests/fixtures/calls.o",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown program type \"nonsense\""));
}

#[test]
fn unusable_objects_exit_2_with_a_message() {
    let dir = std::env::temp_dir().join(format!("bpfsim-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cut = dir.join("cut.o");
    let bytes = std::fs::read("tests/fixtures/calls.o").expect("fixture");
    std::fs::write(&cut, &bytes[..100]).expect("write");
    let o = bpfsim(&["inspect", cut.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cut.o: ELF: "), "{}", stderr(&o));

    let o = bpfsim(&["inspect", "tests/fixtures/no-such.o"]);
    assert_eq!(o.status.code(), Some(2));

    let bad = common::shared_dir().join("corpus/ebpf-samples/invalid/badsymsize.o");
    if bad.is_file() {
        let o = bpfsim(&["inspect", bad.to_str().expect("utf-8 path")]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("symbol table: section \".symtab\" has entry size 8, expected 24"),
            "{}",
            stderr(&o)
        );
    } else {
        println!("skipped: badsymsize.o not found at {}", bad.display());
    }
}
