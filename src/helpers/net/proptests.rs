//! Fuzzing every networking helper's arguments through a program run: whatever the
//! arguments (random numbers, small numbers, pointers into the stack or the packet), a tc,
//! XDP or socket filter run ends with a result or an error, never a panic, and the packet
//! region stays inside the packet's buffer.

use crate::helpers::HelperTable;
use crate::insn::asm::assemble_bytes;
use crate::progtype::{ProgType, TestRun, TestRunInput};
use crate::vm::Interpreter;
use crate::vm::memory::RegionKind;
use proptest::prelude::*;

/// The helpers of this module.
const IDS: [u32; 42] = [
    9, 10, 11, 13, 18, 19, 20, 21, 23, 26, 28, 29, 30, 31, 32, 33, 34, 38, 39, 41, 43, 44, 46, 48,
    49, 50, 51, 53, 54, 57, 59, 65, 69, 84, 85, 86, 99, 122, 124, 137, 152, 155,
];

#[derive(Clone, Debug)]
enum Arg {
    Any(u64),
    Small(u64),
    /// `r10 - off`: a pointer into the (zeroed) stack.
    Stack(u16),
}

fn arg() -> impl Strategy<Value = Arg> {
    prop_oneof![
        any::<u64>().prop_map(Arg::Any),
        (0u64..80).prop_map(Arg::Small),
        prop::sample::select(vec![
            0u64,
            1,
            2,
            4,
            8,
            12,
            14,
            16,
            20,
            36,
            44,
            64,
            0x7fff_ffff
        ])
        .prop_map(Arg::Small),
        (1u16..=64).prop_map(|n| Arg::Stack(n * 8)),
    ]
}

fn program(id: u32, args: &[Arg]) -> String {
    // Zero the stack so helpers read defined bytes, then load the arguments.
    let mut s = String::from("r6 = r1\nr0 = 0\n");
    for off in (8..=512).step_by(8) {
        s += &format!("*(u64 *)(r10 - {off}) = r0\n");
    }
    for (i, a) in args.iter().enumerate() {
        let r = i + 1;
        match a {
            Arg::Any(v) | Arg::Small(v) => s += &format!("r{r} = {v:#x} ll\n"),
            Arg::Stack(off) => s += &format!("r{r} = r10\nr{r} += -{off}\n"),
        }
    }
    // The context is the first argument of every helper that takes one.
    if !matches!(id, 23 | 28 | 86 | 137 | 152 | 155) {
        s += "r1 = r6\n";
    }
    s += &format!("call {id}\nexit\n");
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn helpers_never_panic(
        id in prop::sample::select(IDS.to_vec()),
        t in prop::sample::select(vec![ProgType::SchedCls, ProgType::Xdp, ProgType::SocketFilter]),
        args in prop::collection::vec(arg(), 5),
        len in 14usize..200,
        checksum in any::<bool>(),
    ) {
        let bytes = assemble_bytes(&program(id, &args)).expect("assembles");
        let mut vm = Interpreter::from_bytes(&bytes, HelperTable::kernel()).expect("prepares");
        let mut frame: Vec<u8> = (0..len).map(|i| (i * 13 + 5) as u8).collect();
        if len > 34 && checksum {
            frame[12..14].copy_from_slice(&[0x08, 0x00]);
            frame[14] = 0x45;
        }
        let input = TestRunInput {
            flags: if checksum && t != ProgType::Xdp { 4 } else { 0 },
            ..TestRunInput::new(&frame)
        };
        let Ok(mut run) = TestRun::new(t, &input) else { return Ok(()) };
        let a = run.args();
        let outcome = {
            let mut env = run.env();
            let r = vm.run(&mut env, a);
            if let Some(region) = env.mem.region(RegionKind::Packet) {
                let (start, len) = (region.start, region.len);
                drop(env);
                let p = match (run.skb(), run.xdp()) {
                    (Some(s), _) => s.packet(),
                    (_, Some(x)) => x.packet(),
                    _ => unreachable!("packet region without a packet"),
                };
                let (bs, bl) = p.buffer();
                prop_assert!(start >= bs && start + len <= bs + bl);
                prop_assert_eq!((start, len), p.region());
            }
            r
        };
        if let Ok(o) = outcome {
            let _ = run.finish(o.r0);
        }
    }
}
