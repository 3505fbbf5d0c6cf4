//! Map helpers from a running program: lookups return value pointers the program can
//! dereference, updates and deletes return the kernel's errno, and ring buffer records are
//! reserved, written in place and submitted.

use bpfsim::helpers::HelperTable;
use bpfsim::insn::asm::assemble_bytes;
use bpfsim::maps::{MapDef, MapOrigin, MapSet, MapSetConfig, MapType};
use bpfsim::vm::{Env, Interpreter, VmError};

fn def(name: &str, map_type: MapType, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
    MapDef {
        name: name.into(),
        map_type,
        key_size,
        value_size,
        max_entries,
        map_flags: 0,
        inner: None,
        initial: Vec::new(),
        read_only: false,
        origin: MapOrigin::User,
    }
}

/// Runs `src` with `{map0}`, `{map1}`... replaced by the maps' pointers.
fn run(src: &str, maps: &mut MapSet) -> Result<u64, VmError> {
    let mut text = src.to_string();
    for i in 0..maps.len() {
        text = text.replace(&format!("{{map{i}}}"), &format!("{:#x}", maps.map_ptr(i)));
    }
    let bytes = assemble_bytes(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut vm = Interpreter::from_bytes(&bytes, HelperTable::kernel()).expect("loads");
    let mut env = Env::default();
    env.attach_maps(maps);
    vm.run(&mut env, [0; 5]).map(|o| o.r0)
}

const KEY7: &str = "r1 = 7\n*(u32 *)(r10 - 0x4) = r1\n";

#[test]
fn lookup_gives_a_pointer_into_the_value_and_writes_stick() {
    let mut maps = MapSet::new(
        &[def("counts", MapType::Array, 4, 8, 16)],
        MapSetConfig::default(),
    )
    .expect("maps");
    let src = format!(
        "{KEY7}r1 = {{map0}} ll\nr2 = r10\nr2 += -4\ncall 1\nif r0 == 0 goto miss\nr1 = 41\n*(u64 *)(r0 + 0x0) = r1\nlock *(u64 *)(r0 + 0x0) += r1\nr0 = *(u64 *)(r0 + 0x0)\nexit\nmiss:\nr0 = -1\nexit"
    );
    assert_eq!(run(&src, &mut maps), Ok(82));
    let value = maps
        .get(0)
        .expect("map")
        .lookup_user(&7u32.to_le_bytes())
        .expect("present");
    assert_eq!(value, 82u64.to_le_bytes());
}

#[test]
fn value_pointers_are_bounded_by_the_value_size() {
    let mut maps = MapSet::new(
        &[def("counts", MapType::Array, 4, 8, 16)],
        MapSetConfig::default(),
    )
    .expect("maps");
    let src = format!(
        "{KEY7}r1 = {{map0}} ll\nr2 = r10\nr2 += -4\ncall 1\nr0 = *(u32 *)(r0 + 0x6)\nexit"
    );
    let err = run(&src, &mut maps).unwrap_err();
    assert!(err.to_string().contains("invalid load of 4 bytes"), "{err}");
}

#[test]
fn hash_update_flags_return_the_kernel_errno() {
    let mut maps =
        MapSet::new(&[def("h", MapType::Hash, 4, 8, 4)], MapSetConfig::default()).expect("maps");
    let update = |flags: u32, save: &str| {
        format!(
            "r1 = {{map0}} ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = {flags}\ncall 2\n{save} = r0\n"
        )
    };
    // BPF_EXIST on a missing key: -ENOENT; BPF_NOEXIST: 0; BPF_NOEXIST again: -EEXIST.
    let src = format!(
        "{KEY7}r1 = 5\n*(u64 *)(r10 - 0x10) = r1\n{}{}{}r0 = 0\n\
         if r6 != -2 goto a\nr0 |= 1\na:\nif r7 != 0 goto b\nr0 |= 2\nb:\nif r8 != -17 goto c\nr0 |= 4\nc:\nexit",
        update(2, "r6"),
        update(1, "r7"),
        update(1, "r8")
    );
    assert_eq!(run(&src, &mut maps), Ok(7));
    assert_eq!(maps.get(0).expect("map").len(), 1);
}

#[test]
fn ringbuf_reserve_write_submit_reaches_the_consumer() {
    let mut maps = MapSet::new(
        &[def("events", MapType::RingBuf, 0, 0, 4096)],
        MapSetConfig::default(),
    )
    .expect("maps");
    let src = "r1 = {map0} ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = 0x1122334455667788 ll\n*(u64 *)(r0 + 0x0) = r1\nr1 = r0\nr2 = 0\ncall 132\nr0 = 1\nout:\nexit";
    assert_eq!(run(src, &mut maps), Ok(1));
    let records = maps.get_mut(0).expect("map").consume();
    assert_eq!(records, vec![0x1122334455667788u64.to_le_bytes().to_vec()]);
}

#[test]
fn get_stackid_records_the_worlds_stack_once_per_distinct_stack() {
    let mut maps = MapSet::new(
        &[def("stacks", MapType::StackTrace, 4, 8 * 4, 64)],
        MapSetConfig::default(),
    )
    .expect("maps");
    // Two calls on the same stack give the same id; an empty (skipped-away) stack -EFAULT.
    let src = "r6 = r1\nr1 = r6\nr2 = {map0} ll\nr3 = 0\ncall 27\nr7 = r0\nr1 = r6\nr2 = {map0} ll\nr3 = 0\ncall 27\nif r0 != r7 goto bad\nr1 = r6\nr2 = {map0} ll\nr3 = 5\ncall 27\nif r0 != -14 goto bad\nr0 = r7\nexit\nbad:\nr0 = -1\nexit";
    let id = run(src, &mut maps).expect("runs");
    assert!(id < 64, "{id}");
    let frames = maps
        .get(0)
        .expect("map")
        .lookup_user(&(id as u32).to_le_bytes())
        .expect("recorded");
    let world = bpfsim::helpers::World::default();
    let want: Vec<u8> = world
        .kernel_stack
        .iter()
        .flat_map(|ip| ip.to_le_bytes())
        .chain([0u8; 16])
        .collect();
    assert_eq!(frames, want);
}

#[test]
fn tail_call_from_a_subprogram_returns_to_the_callers_frame_with_its_registers() {
    let mut maps = MapSet::new(
        &[def("progs", MapType::ProgArray, 4, 4, 4)],
        MapSetConfig::default(),
    )
    .expect("maps");
    maps.get_mut(0)
        .expect("map")
        .update_user(&0u32.to_le_bytes(), &1u32.to_le_bytes(), 0)
        .expect("slot 0 = program 1");
    let main = format!(
        "r6 = 7\ncall local f\nr0 = r6\nexit\nf:\nr6 = 99\nr2 = {:#x} ll\nr3 = 0\ncall 12\nr0 = -1\nexit",
        maps.map_ptr(0)
    );
    let target = "r6 = 55\nr0 = 0\nexit";
    let mut vm = Interpreter::empty(HelperTable::kernel());
    for src in [main.as_str(), target] {
        let bytes = assemble_bytes(src).unwrap_or_else(|e| panic!("{e}"));
        let slots = bpfsim::insn::RawInsn::slots(&bytes).expect("slots");
        vm.add_program(&bpfsim::insn::decode_program(&slots).expect("decodes"))
            .expect("prepares");
    }
    let mut env = Env::default();
    env.attach_maps(&mut maps);
    // Program 1 ends the subprogram's frame; the caller gets its own r6 back.
    assert_eq!(vm.run(&mut env, [0; 5]).map(|o| o.r0), Ok(7));
}
