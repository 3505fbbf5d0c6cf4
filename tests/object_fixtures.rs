//! The loader's output on small objects built from tests/fixtures/*.c (rebuild them with
//! tests/fixtures/build.sh): map definitions, relocated `lddw`s, appended subprograms, line
//! and func info, CO-RE against another BTF.

use std::path::PathBuf;

use bpfsim::insn::RawInsn;
use bpfsim::maps::{BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, MapOrigin, MapType};
use bpfsim::object::{
    BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, CoreTarget, Object,
    ParseOptions, ProgTypeSource,
};
use bpfsim::progtype::ProgType;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> Object {
    Object::from_file(fixture(name)).expect("fixture parses")
}

/// (src, imm, next slot's imm) of the lddw at `i`.
fn lddw(insns: &[RawInsn], i: usize) -> (u8, i32, i32) {
    assert_eq!(insns[i].code, 0x18, "insn {i} is an lddw");
    (insns[i].src, insns[i].imm, insns[i + 1].imm)
}

#[test]
fn btf_maps_with_sizes_flags_and_inner_map() {
    let o = load("btf_maps.o");
    let names: Vec<_> = o.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["flows", "outer", "sized"]);

    let flows = &o.maps[0];
    assert_eq!(flows.map_type, MapType::Hash);
    assert_eq!((flows.key_size, flows.value_size), (4, 16));
    assert_eq!(flows.max_entries, 1024);
    assert_eq!(flows.map_flags, BPF_F_NO_PREALLOC);
    assert_eq!(flows.origin, MapOrigin::Btf);
    assert!(o.map_sources[0].btf_value_type_id != 0);

    let outer = &o.maps[1];
    assert_eq!(outer.map_type, MapType::ArrayOfMaps);
    assert_eq!(
        (outer.key_size, outer.value_size, outer.max_entries),
        (4, 4, 2)
    );
    let inner = outer.inner.as_ref().expect("inner map from `values`");
    assert_eq!(inner.name, "outer.inner");
    assert_eq!(inner.map_type, MapType::Array);
    assert_eq!(
        (inner.key_size, inner.value_size, inner.max_entries),
        (4, 8, 8)
    );

    let sized = &o.maps[2];
    assert_eq!(
        (sized.key_size, sized.value_size, sized.max_entries),
        (4, 12, 4)
    );

    let p = o.program("count").expect("program count");
    assert_eq!((p.section.as_str(), p.prog_type), ("xdp", ProgType::Xdp));
    assert_eq!(p.expected_attach_type, Some(37));
    // Relocations at byte offsets 0x20, 0x68, 0x98 against flows, outer, sized.
    assert_eq!(lddw(&p.insns, 4), (BPF_PSEUDO_MAP_IDX, 0, 0));
    assert_eq!(lddw(&p.insns, 13), (BPF_PSEUDO_MAP_IDX, 1, 0));
    assert_eq!(lddw(&p.insns, 19), (BPF_PSEUDO_MAP_IDX, 2, 0));
    assert_eq!(o.license.as_deref(), Some("GPL"));
}

#[test]
fn legacy_map_layouts_by_symbol_size() {
    let o = load("legacy_maps.o");
    let names: Vec<_> = o.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["counters", "template", "tables"]);
    let c = &o.maps[0];
    assert_eq!(c.origin, MapOrigin::Legacy);
    assert_eq!(
        (c.map_type, c.key_size, c.value_size, c.max_entries),
        (MapType::Array, 4, 8, 16)
    );
    assert_eq!(o.map_sources[0].section, "maps");
    let t = &o.maps[2];
    assert_eq!(
        (t.map_type, t.key_size, t.value_size, t.max_entries),
        (MapType::HashOfMaps, 4, 4, 4)
    );
    assert_eq!(o.map_sources[2].offset, 36, "bpf_elf_map is 36 bytes");
    let inner = t.inner.as_ref().expect("inner_id 7 names `template`");
    assert_eq!(inner.name, "template");
    assert_eq!((inner.map_type, inner.max_entries), (MapType::Hash, 32));

    let p = o.program("filter").expect("program filter");
    assert_eq!(p.prog_type, ProgType::SocketFilter);
    assert_eq!(p.prog_type_source, ProgTypeSource::Section);
    assert_eq!(lddw(&p.insns, 5), (BPF_PSEUDO_MAP_IDX, 0, 0));
    assert_eq!(lddw(&p.insns, 13), (BPF_PSEUDO_MAP_IDX, 2, 0));
}

#[test]
fn global_data_sections_become_array_maps() {
    let o = load("globals.o");
    assert_eq!(o.name, "globals");
    let names: Vec<_> = o.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "globals.data",
            "globals.rodata",
            ".data.stats",
            "globals.bss"
        ]
    );
    for m in &o.maps {
        assert_eq!(
            (m.map_type, m.key_size, m.max_entries),
            (MapType::Array, 4, 1)
        );
    }
    let data = &o.maps[0];
    assert_eq!(data.initial, 5i32.to_le_bytes());
    assert_eq!(data.map_flags, BPF_F_MMAPABLE);
    assert!(!data.read_only);
    let ro = &o.maps[1];
    assert_eq!(ro.initial, 100i32.to_le_bytes());
    assert_eq!(ro.map_flags, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE);
    assert!(ro.read_only);
    assert_eq!(
        ro.origin,
        MapOrigin::GlobalData {
            section: ".rodata".into()
        }
    );
    let stats = &o.maps[2];
    assert_eq!(stats.value_size, 16);
    assert_eq!(stats.initial[..4], 1i32.to_le_bytes());
    let bss = &o.maps[3];
    assert_eq!(bss.value_size, 32);
    assert_eq!(bss.initial, vec![0u8; 32]);

    let p = o.program("classify").expect("program classify");
    assert_eq!(p.prog_type, ProgType::SchedCls);
    assert_eq!(lddw(&p.insns, 0), (BPF_PSEUDO_MAP_IDX_VALUE, 3, 0)); // hits
    assert_eq!(lddw(&p.insns, 6), (BPF_PSEUDO_MAP_IDX_VALUE, 0, 0)); // counter
    assert_eq!(lddw(&p.insns, 12), (BPF_PSEUDO_MAP_IDX_VALUE, 1, 0)); // limit
    assert_eq!(lddw(&p.insns, 20), (BPF_PSEUDO_MAP_IDX_VALUE, 2, 0)); // stats
    assert_eq!(lddw(&p.insns, 27), (BPF_PSEUDO_MAP_IDX_VALUE, 3, 8)); // pad_hits
}

#[test]
fn subprograms_are_appended_depth_first_and_calls_relinked() {
    let o = load("calls.o");
    assert_eq!(o.programs.len(), 2, ".text functions are subprograms");

    let first = o.program("first").expect("first");
    assert_eq!(first.entry_len, 8);
    let subs: Vec<_> = first
        .subprogs
        .iter()
        .map(|s| (s.name.as_str(), s.start, s.len))
        .collect();
    assert_eq!(subs, [("middle", 8, 8), ("leaf", 16, 4)]);
    assert_eq!(first.insns.len(), 20);
    // first+1 calls middle (8); middle's calls at 9 and 13 reach leaf (16).
    assert_eq!((first.insns[1].src, first.insns[1].imm), (1, 6));
    assert_eq!(first.insns[9].imm, 6);
    assert_eq!(first.insns[13].imm, 2);

    let second = o.program("second").expect("second");
    let subs: Vec<_> = second
        .subprogs
        .iter()
        .map(|s| (s.name.as_str(), s.start, s.len))
        .collect();
    assert_eq!(subs, [("leaf", 12, 4), ("step", 16, 5)]);
    assert_eq!(second.insns[1].imm, 10);
    // bpf_loop's callback: lddw at 6 is a BPF_PSEUDO_FUNC to step at 16.
    assert_eq!(lddw(&second.insns, 6), (BPF_PSEUDO_FUNC, 9, 0));

    let fi: Vec<_> = first
        .func_info
        .iter()
        .map(|f| (f.insn, f.name.as_str()))
        .collect();
    assert_eq!(fi, [(0, "first"), (8, "middle"), (16, "leaf")]);
}

#[test]
fn line_info_lands_on_the_final_instructions() {
    let o = load("calls.o");
    assert!(o.has_line_info);
    let first = o.program("first").expect("first");
    let at0 = first.source_line(0).expect("line of insn 0");
    assert_eq!(at0.file, "./calls.c");
    assert_eq!(at0.line, 26);
    assert_eq!(at0.text.trim(), "int v = middle(ctx->ingress_ifindex);");
    let in_leaf = first.source_line(17).expect("line inside leaf");
    assert_eq!(
        (in_leaf.line, in_leaf.text.trim()),
        (8, "return x * 3 + 1;")
    );
    assert_eq!(first.function_name(17), Some("leaf"));
    let in_middle = first.source_line(8).expect("line of middle's first insn");
    assert_eq!(in_middle.line, 11);
    assert!(
        in_middle.text.contains("middle(int x)"),
        "{}",
        in_middle.text
    );
    assert!(first.source_line(20).is_none(), "past the end");
    for w in first.line_info.windows(2) {
        assert!(w[0].insn <= w[1].insn);
    }

    let second = o.program("second").expect("second");
    let step = second.source_line(16).expect("line in step");
    assert_eq!(step.text.trim(), "*acc += index;");
}

#[test]
fn core_relocation_against_the_objects_own_btf_keeps_offsets() {
    let o = load("core.o");
    assert_eq!(o.core_relocations, 1);
    assert!(o.core_applied, "{:?}", o.warnings);
    let p = o.program("on_exit").expect("on_exit");
    assert_eq!(p.prog_type, ProgType::Kprobe);
    assert_eq!(p.insns[0].off, 4, "tgid at offset 4 locally");
}

#[test]
fn core_relocation_against_another_btf_moves_the_field() {
    let target = load("core_target.o").btf.expect("target has BTF").raw;
    let bytes = std::fs::read(fixture("core.o")).expect("core.o");
    let o = Object::parse_with(
        &bytes,
        &ParseOptions {
            name: None,
            core_target: CoreTarget::BtfBytes(target),
        },
    )
    .expect("CO-RE applies");
    assert!(o.core_applied);
    let p = o.program("on_exit").expect("on_exit");
    assert_eq!(p.insns[0].off, 16, "tgid at offset 16 in the target");

    let skipped = Object::parse_with(
        &bytes,
        &ParseOptions {
            name: None,
            core_target: CoreTarget::Skip,
        },
    )
    .expect("parses");
    assert!(!skipped.core_applied);
}

#[test]
fn core_relocation_without_a_target_type_is_poisoned_as_libbpf_does() {
    // calls.o's BTF has no `struct task`: the access becomes libbpf's poison call
    // (`call 0xbad2310`), which the verifier refuses if the instruction is reachable.
    let target = load("calls.o").btf.expect("BTF").raw;
    let bytes = std::fs::read(fixture("core.o")).expect("core.o");
    let o = Object::parse_with(
        &bytes,
        &ParseOptions {
            name: None,
            core_target: CoreTarget::BtfBytes(target),
        },
    )
    .expect("parses");
    let p = o.program("on_exit").expect("on_exit");
    assert_eq!((p.insns[0].code, p.insns[0].imm), (0x85, 0xbad2310));
}

#[test]
fn core_target_that_is_not_btf_is_an_error() {
    let bytes = std::fs::read(fixture("core.o")).expect("core.o");
    let e = Object::parse_with(
        &bytes,
        &ParseOptions {
            name: None,
            core_target: CoreTarget::BtfBytes(vec![1, 2, 3, 4]),
        },
    )
    .expect_err("garbage target BTF");
    assert!(e.to_string().starts_with("CO-RE: "), "{e}");
}

#[test]
fn kconfig_externs_get_a_map_and_ksyms_kfuncs_are_marked() {
    use bpfsim::object::ExternKind;
    let o = load("externs.o");
    assert_eq!(o.maps.len(), 1);
    let k = &o.maps[0];
    assert_eq!(k.name, "externs.kconfig");
    // CONFIG_HZ (8 bytes) at 0, LINUX_KERNEL_VERSION (4) at 8, CONFIG_BPF_SYSCALL (1) at 12.
    assert_eq!(
        (k.map_type, k.key_size, k.value_size),
        (MapType::Array, 4, 13)
    );
    assert_eq!(k.map_flags, BPF_F_RDONLY_PROG);
    assert!(k.read_only);

    let p = o.program("probe").expect("probe");
    assert_eq!(p.prog_type, ProgType::Tracepoint);
    assert_eq!(lddw(&p.insns, 1), (BPF_PSEUDO_MAP_IDX_VALUE, 0, 12));
    assert_eq!(lddw(&p.insns, 5), (BPF_PSEUDO_MAP_IDX_VALUE, 0, 0));
    assert_eq!(lddw(&p.insns, 14), (BPF_PSEUDO_MAP_IDX_VALUE, 0, 8));
    // The ksym load and the kfunc call stay as compiled, listed as externs.
    assert_eq!(lddw(&p.insns, 10), (0, 0, 0));
    assert_eq!(
        (p.insns[0].code, p.insns[0].src, p.insns[0].imm),
        (0x85, 1, -1)
    );
    let ex: Vec<_> = p
        .externs
        .iter()
        .map(|e| (e.insn, e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        ex,
        [
            (0, "bpf_rcu_read_lock", ExternKind::Call),
            (10, "bpf_prog_active", ExternKind::Load)
        ]
    );
}

/// globals.o with its first relocation (offset 0, `hits`) pointed at another symbol.
fn globals_with_first_reloc_symbol(sym: u32) -> Vec<u8> {
    let mut b = std::fs::read(fixture("globals.o")).expect("globals.o");
    let mut entry = [0u8; 16];
    entry[8..].copy_from_slice(&((12u64 << 32) | 1).to_le_bytes()); // offset 0, `hits`, R_BPF_64_64
    let at = b
        .windows(16)
        .position(|w| w == entry)
        .expect("relocation entry for hits");
    b[at + 12..at + 16].copy_from_slice(&sym.to_le_bytes());
    b
}

#[test]
fn relocation_errors_name_section_offset_and_symbol() {
    let e = Object::parse(&globals_with_first_reloc_symbol(200)).expect_err("bad symbol index");
    assert_eq!(
        e.to_string(),
        "section \"tc\": relocation at offset 0x0 refers to symbol 200 but the symbol table has 18"
    );
    // Symbol 4 is the section symbol of .debug_abbrev: no map, data or code there.
    let e = Object::parse(&globals_with_first_reloc_symbol(4)).expect_err("not a map or data");
    assert_eq!(
        e.to_string(),
        "section \"tc\": relocation at offset 0x0 refers to \".debug_abbrev\" in section \".debug_abbrev\", which holds neither maps, global data nor code"
    );
}
