//! Arbitrary instruction streams into the verifier (every program type the first byte
//! picks, two maps to refer to): no panic, and it stops within its limits.
#![no_main]

use bpfsim::insn::RawInsn;
use bpfsim::maps::{MapDef, MapOrigin, MapType};
use bpfsim::object::Program;
use bpfsim::progtype::ProgType;
use bpfsim::verifier::do_check::BPF_COMPLEXITY_LIMIT_INSNS;
use bpfsim::verifier::{MapRefs, PreflightOptions, verify};
use libfuzzer_sys::fuzz_target;

const TYPES: [ProgType; 6] = [
    ProgType::SocketFilter,
    ProgType::Xdp,
    ProgType::SchedCls,
    ProgType::Kprobe,
    ProgType::Tracepoint,
    ProgType::RawTracepoint,
];

fn map(name: &str, map_type: MapType, key_size: u32, value_size: u32) -> MapDef {
    MapDef {
        name: name.into(),
        map_type,
        key_size,
        value_size,
        max_entries: 4,
        map_flags: 0,
        inner: None,
        initial: Vec::new(),
        read_only: false,
        origin: MapOrigin::User,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let insns: Vec<RawInsn> = rest
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            RawInsn::from_bytes(b)
        })
        .collect();
    let prog_type = TYPES[first as usize % TYPES.len()];
    let maps = [
        map("array", MapType::Array, 4, 8),
        map("hash", MapType::Hash, 8, 16),
    ];
    let program = Program::from_insns("fuzzed", prog_type, insns);
    let options = PreflightOptions {
        maps: MapRefs::Object(&maps),
        bpf_capable: first & 0x80 == 0,
        ..PreflightOptions::default()
    };
    let verdict = verify(&program, &options);
    assert!(verdict.stats.insns_processed <= BPF_COMPLEXITY_LIMIT_INSNS + 1);
});
