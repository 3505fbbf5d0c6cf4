//! The JIT on what the conformance suite does not cover: map helpers and pointers into map
//! values, tail calls (also from a subprogram), callbacks a helper runs (`bpf_loop`), and
//! context translation, each against the interpreter.

use bpfsim::engine::Engine;
use bpfsim::helpers::HelperTable;
use bpfsim::insn::asm::assemble_bytes;
use bpfsim::insn::{RawInsn, decode_program};
use bpfsim::jit::{Jit, JitMode};
use bpfsim::maps::{MapDef, MapOrigin, MapSet, MapSetConfig, MapType};
use bpfsim::progtype::TestRunInput;
use bpfsim::session::Session;
use bpfsim::vm::{Env, Interpreter, Outcome, VmError};

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

fn prepared(sources: &[&str]) -> Interpreter {
    let mut vm = Interpreter::empty(HelperTable::kernel());
    for src in sources {
        let bytes = assemble_bytes(src).unwrap_or_else(|e| panic!("{e}\n{src}"));
        let slots = RawInsn::slots(&bytes).expect("slots");
        vm.add_program(&decode_program(&slots).expect("decodes"))
            .expect("prepares");
    }
    vm
}

/// Runs program 0 of `sources` with fresh maps from `defs` (set up by `init`) in the
/// interpreter and in the JIT (both modes); returns the interpreter's result and map 0's
/// value for key `key`, after checking the JIT gives the same.
fn both(
    defs: &[MapDef],
    init: impl Fn(&mut MapSet),
    sources: &[&str],
    key: u32,
) -> (Result<Outcome, VmError>, Option<Vec<u8>>) {
    let mut results = Vec::new();
    for engine in [None, Some(JitMode::Checked), Some(JitMode::Verified)] {
        if engine == Some(JitMode::Verified)
            && results
                .first()
                .is_some_and(|r: &(_, Result<Outcome, VmError>, _)| r.1.is_err())
        {
            results.push((engine, Err(VmError::NoSuchProgram { index: 0 }), None));
            continue;
        }
        let mut maps = MapSet::new(defs, MapSetConfig::default()).expect("maps");
        init(&mut maps);
        let text: Vec<String> = sources
            .iter()
            .map(|s| {
                let mut t = s.to_string();
                for i in 0..maps.len() {
                    t = t.replace(&format!("{{map{i}}}"), &format!("{:#x}", maps.map_ptr(i)));
                }
                t
            })
            .collect();
        let refs: Vec<&str> = text.iter().map(String::as_str).collect();
        let vm = prepared(&refs);
        let out = {
            let mut env = Env::default();
            env.attach_maps(&mut maps);
            match engine {
                None => {
                    let mut vm = vm;
                    vm.run(&mut env, [0; 5])
                }
                Some(mode) => {
                    let mut jit = Jit::new(vm, mode).expect("compiles");
                    jit.run(&mut env, [0; 5])
                }
            }
        };
        let value = maps
            .get(0)
            .and_then(|m| m.lookup_user(&key.to_le_bytes()).ok());
        results.push((engine, out, value));
    }
    let (_, want, want_value) = results.remove(0);
    for (engine, got, value) in results {
        if engine == Some(JitMode::Verified) && want.is_err() {
            continue; // verified mode is for programs that do not fault
        }
        assert_eq!(relative(&got), relative(&want), "{engine:?}");
        assert_eq!(value, want_value, "{engine:?}");
    }
    (want, want_value)
}

/// A result with fault addresses made relative to their region (each engine ran over
/// freshly created maps).
fn relative(r: &Result<Outcome, VmError>) -> String {
    match r {
        Err(VmError::MemoryAccess {
            pc,
            kind,
            addr,
            size,
            nearest: Some(n),
        }) => format!(
            "{pc} {kind} {size} {:?} +{}",
            n.kind,
            addr.wrapping_sub(n.start)
        ),
        other => format!("{other:?}"),
    }
}

#[test]
fn map_values_are_memory_the_jit_reads_writes_and_bounds() {
    let defs = [def("counts", MapType::Array, 4, 8, 16)];
    let prog = "r1 = 7\n*(u32 *)(r10 - 0x4) = r1\nr1 = {map0} ll\nr2 = r10\nr2 += -4\ncall 1\nif r0 == 0 goto miss\nr1 = 41\n*(u64 *)(r0 + 0x0) = r1\nlock *(u64 *)(r0 + 0x0) += r1\nr0 = *(u64 *)(r0 + 0x0)\nexit\nmiss:\nr0 = -1\nexit";
    let (out, value) = both(&defs, |_| {}, &[prog], 7);
    assert_eq!(out.map(|o| o.r0), Ok(82));
    assert_eq!(value, Some(82u64.to_le_bytes().to_vec()));
    // Past the 8-byte value: the same fault in both engines.
    let bad = prog.replace("*(u64 *)(r0 + 0x0) = r1", "*(u64 *)(r0 + 0x4) = r1");
    let (out, _) = both(&defs, |_| {}, &[bad.as_str()], 7);
    assert!(matches!(out, Err(VmError::MemoryAccess { .. })), "{out:?}");
}

#[test]
fn tail_calls_from_a_subprogram_return_to_the_callers_frame() {
    let defs = [def("progs", MapType::ProgArray, 4, 4, 4)];
    let init = |maps: &mut MapSet| {
        maps.get_mut(0)
            .expect("map")
            .update_user(&0u32.to_le_bytes(), &1u32.to_le_bytes(), 0)
            .expect("slot 0 = program 1");
    };
    let main = "r6 = 7\ncall local f\nr0 = r6\nexit\nf:\nr6 = 99\nr2 = {map0} ll\nr3 = 0\ncall 12\nr0 = -1\nexit";
    let target = "r6 = 55\nr0 = 0\nexit";
    let (out, _) = both(&defs, init, &[main, target], 0);
    assert_eq!(out.map(|o| o.r0), Ok(7));
    // An empty slot: the call falls through.
    let miss = main.replace("r3 = 0\n", "r3 = 3\n");
    let (out, _) = both(&defs, init, &[miss.as_str(), target], 0);
    assert_eq!(out.map(|o| o.r0), Ok(7));
    // A program that tail-calls itself stops after 33 tail calls.
    let chain = "r6 += 1\nr0 = r6\nr2 = {map0} ll\nr3 = 0\ncall 12\nr0 = r6\nexit";
    let self_init = |maps: &mut MapSet| {
        maps.get_mut(0)
            .expect("map")
            .update_user(&0u32.to_le_bytes(), &0u32.to_le_bytes(), 0)
            .expect("slot 0 = program 0");
    };
    let (out, _) = both(&defs, self_init, &[chain], 0);
    assert_eq!(out.map(|o| o.r0), Ok(34));
}

#[test]
fn callbacks_and_context_fields_agree_through_a_session() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut frame = vec![0xffu8; 6];
    frame.extend([0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    frame.extend([
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    let mut results = Vec::new();
    for engine in [Engine::Interp, Engine::Jit] {
        let mut s = Session::open(format!("{root}/tests/fixtures/calls.o")).expect("calls.o");
        s.set_engine(engine);
        let out = s
            .run("second", &TestRunInput::new(&frame), 3)
            .expect("runs");
        results.push((out.output, out.r0, out.insns));
    }
    // skb->len is 34: leaf(34) = 103, and bpf_loop adds 0 + 1 + 2 + 3.
    assert_eq!(results[0].0.retval, 109);
    assert_eq!(results[1], results[0]);
}
