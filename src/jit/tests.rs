//! Unit tests: small programs run in the interpreter and the JIT (both modes) must give the
//! same outcome and memory.

use super::*;
use crate::insn::asm::assemble;
use crate::vm::memory::Region;

fn interp(src: &str, mem: &[u8], budget: u64) -> (Result<Outcome, VmError>, Vec<u8>) {
    let insns = decode_program(&assemble(src).expect("assembles")).expect("decodes");
    let mut vm = Interpreter::new(&insns, HelperTable::conformance()).expect("prepares");
    vm.set_budget(budget);
    let mut m = mem.to_vec();
    let out = vm.run_raw(&mut m);
    (out, m)
}

fn jit(src: &str, mem: &[u8], budget: u64, mode: JitMode) -> (Result<Outcome, VmError>, Vec<u8>) {
    let insns = decode_program(&assemble(src).expect("assembles")).expect("decodes");
    let mut j = Jit::compile(&insns, HelperTable::conformance(), mode).expect("compiles");
    j.set_budget(budget);
    let mut m = mem.to_vec();
    let out = j.run_raw(&mut m);
    (out, m)
}

/// Addresses in errors differ between runs (the input is a fresh copy): compare the
/// messages with the hex addresses masked.
fn norm(r: &Result<Outcome, VmError>) -> String {
    let s = format!("{r:?}");
    let mut out = String::new();
    let mut digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() && s.contains("addr") {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            digits = false;
            out.push(c);
        }
    }
    out
}

fn same(src: &str, mem: &[u8]) {
    same_budget(src, mem, 1_000_000);
}

fn same_budget(src: &str, mem: &[u8], budget: u64) {
    let (want, want_mem) = interp(src, mem, budget);
    for mode in [JitMode::Checked, JitMode::Verified] {
        if mode == JitMode::Verified && want.is_err() {
            continue;
        }
        let (got, got_mem) = jit(src, mem, budget, mode);
        match (&want, &got) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{mode:?}\n{src}"),
            _ => assert_eq!(norm(&want), norm(&got), "{mode:?}\n{src}"),
        }
        assert_eq!(want_mem, got_mem, "{mode:?} memory\n{src}");
    }
}

#[test]
fn arithmetic_matches() {
    same("mov %r0, 7\nadd %r0, 5\nmul %r0, 3\nsub %r0, 1\nexit", &[]);
    same("mov32 %r0, -1\nadd32 %r0, 2\nexit", &[]);
    same(
        "lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1\nexit",
        &[],
    );
    same(
        "lddw %r0, 0x8000000000000000\nmov %r1, -1\nsmod %r0, %r1\nexit",
        &[],
    );
    same(
        "mov32 %r0, 0x80000000\nmov32 %r1, -1\nsdiv32 %r0, %r1\nexit",
        &[],
    );
    same("mov %r0, 9\nmov %r1, 0\ndiv %r0, %r1\nexit", &[]);
    same(
        "lddw %r0, 0xffffffff00000009\nmov %r1, 0\nmod32 %r0, %r1\nexit",
        &[],
    );
    same("lddw %r0, 0xffffffff00000009\nmod %r0, 0\nexit", &[]);
    same("mov %r0, -17\nmov %r3, 5\nsmod %r0, %r3\nexit", &[]);
    same("mov %r0, -17\nmov %r3, 5\nsdiv32 %r0, %r3\nexit", &[]);
    same(
        "mov %r0, 100\nmov %r3, 7\ndiv %r0, %r3\nmov %r3, 7\nmod %r3, 3\nadd %r0, %r3\nexit",
        &[],
    );
    same("mov %r0, 1\nmov %r4, 65\nlsh %r0, %r4\nexit", &[]);
    same(
        "mov %r4, 3\nmov %r1, 65\nlsh %r4, %r1\nmov %r0, %r4\nexit",
        &[],
    );
    same("mov %r4, -1\nrsh32 %r4, %r4\nmov %r0, %r4\nexit", &[]);
    same("lddw %r0, 0xffffffff00000001\nlsh32 %r0, 0\nexit", &[]);
    same("mov32 %r0, 0x80000000\narsh32 %r0, 4\nexit", &[]);
    same("mov %r0, -8\narsh %r0, 1\nexit", &[]);
    same("lddw %r0, 0x1122334455667788\nbe16 %r0\nexit", &[]);
    same("lddw %r0, 0x1122334455667788\nbe32 %r0\nexit", &[]);
    same("lddw %r0, 0x1122334455667788\nbe64 %r0\nexit", &[]);
    same("lddw %r0, 0x1122334455667788\nle16 %r0\nexit", &[]);
    same("lddw %r0, 0x1122334455667788\nle32 %r0\nexit", &[]);
    same("mov %r1, 0x80\nmovsx8 %r0, %r1\nexit", &[]);
    same("mov %r6, 0x8000\nmovsx1632 %r0, %r6\nexit", &[]);
    same("mov %r0, 5\nneg32 %r0\nexit", &[]);
}

#[test]
fn memory_and_jumps_match() {
    let mem = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    same("ldxw %r0, [%r1+4]\nexit", &mem);
    same("ldxdw %r0, [%r1+4]\nexit", &mem);
    same("ldxb %r0, [%r1+11]\nexit", &mem);
    same("ldxh %r0, [%r1+11]\nexit", &mem);
    same("stw [%r1+8], -1\nldxdw %r0, [%r1+4]\nexit", &mem);
    same(
        "stxdw [%r10-8], %r1\nldxdw %r0, [%r10-8]\nsub %r0, %r1\nexit",
        &mem,
    );
    same(
        "mov %r1, 0x1234\nstxb [%r10-1], %r1\nldxb %r0, [%r10-1]\nexit",
        &mem,
    );
    same("stxb [%r10+0], %r1\nexit", &mem);
    same("ldxb %r0, [%r10-513]\nexit", &mem);
    same(
        "mov %r0, 0\nmov %r2, 10\nadd %r0, %r2\nsub %r2, 1\njne %r2, 0, -3\nexit",
        &[],
    );
    same(
        "mov32 %r0, 0\nmov %r1, -1\njsgt32 %r1, 0, +1\nmov %r0, 1\nexit",
        &[],
    );
    same("ja +5\nexit", &[]);
    same("mov %r0, 1\njeq %r0, 1, -3\nexit", &[]);
    same("lddw %r0, 1\nja -2\nexit", &[]);
    same("mov %r0, 0\nadd %r0, 1\nja -2\nexit", &[]);
    same("mov %r0, 1\n", &[]);
    same(
        "mov %r0, 0\nmov %r1, 1\nstxdw [%r10-8], %r1\nlock fetch add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit",
        &[],
    );
    same(
        "mov %r0, 3\nmov %r2, 9\nstxdw [%r10-8], %r0\nlock cmpxchg [%r10-8], %r2\nldxdw %r1, [%r10-8]\nlsh %r1, 8\nadd %r0, %r1\nexit",
        &[],
    );
}

#[test]
fn calls_match() {
    same(
        "mov %r6, 5\nmov %r1, 1\ncall local local\nadd %r0, %r6\nexit\nlocal:\nmov %r6, 100\nmov %r0, %r1\nadd %r0, 10\nexit",
        &[],
    );
    same("mov %r1, 42\ncall 5\nexit", &[]);
    // Deep recursion: the call depth error.
    same("recurse:\ncall local recurse\nexit", &[]);
}

/// Helpers that need only the world are called directly by the JIT: the same results and
/// world afterwards (clock steps, random state), r1..r5 kept in checked mode as the
/// interpreter keeps them, and budgets counted alike.
#[test]
fn direct_world_helper_calls_match() {
    // ktime_get_ns twice (the clock steps), prandom, pid/tgid, cpu, in a loop.
    let calls = "mov %r8, 3\nmov %r7, 0\nloop:\n\
                 call 5\nmov %r6, %r0\ncall 5\nsub %r0, %r6\nadd %r7, %r0\n\
                 call 7\nadd %r7, %r0\ncall 14\nadd %r7, %r0\ncall 8\nadd %r7, %r0\n\
                 sub %r8, 1\njne %r8, 0, loop\n";
    // The same, and then r1..r5 read back (only an unverified program may).
    let set = "mov %r1, 7\nmov %r2, 8\nmov %r3, 9\nmov %r4, 10\nmov %r5, 11\n";
    let read = "add %r7, %r1\nadd %r7, %r2\nadd %r7, %r3\nadd %r7, %r4\nadd %r7, %r5\n";
    let valid = format!("{calls}mov %r0, %r7\nexit");
    let unverified = format!("{set}{calls}{read}mov %r0, %r7\nexit");
    for (src, modes) in [
        (valid, &[JitMode::Checked, JitMode::Verified][..]),
        (unverified, &[JitMode::Checked]),
    ] {
        world_helpers_match(&src, modes);
    }
}

/// The JIT reads a helper's [`WorldField`](crate::helpers::WorldField) inline instead of
/// calling it: for each such helper, the same r0 as the interpreter's call.
#[test]
fn inline_world_fields_match_their_helpers() {
    let mut env = Env::default();
    env.world.cpu = 0x0102_0304;
    env.world.numa_node = 7;
    env.world.task.task_addr = 0xffff_8880_1234_5678;
    env.world.task.cgroup_id = 0x1122_3344_5566_7788;
    let table = HelperTable::kernel();
    let mut fields = 0;
    for (id, helper) in table.iter() {
        let crate::helpers::HelperImpl::World(_, Some(_)) = helper.func else {
            continue;
        };
        fields += 1;
        let insns = [
            Insn::Call(crate::insn::CallTarget::Helper(id as i32)),
            Insn::Exit,
        ];
        let mut vm = Interpreter::new(&insns, table.clone()).expect("prepares");
        let want = vm.run(&mut env, [0; 5]).expect("runs");
        assert_ne!(want.r0, 0, "{}", helper.name);
        for mode in [JitMode::Checked, JitMode::Verified] {
            let mut j = Jit::compile(&insns, table.clone(), mode).expect("compiles");
            assert_eq!(
                j.run(&mut env, [0; 5]),
                Ok(want),
                "{} {mode:?}",
                helper.name
            );
        }
    }
    assert_eq!(fields, 5);
}

fn world_helpers_match(src: &str, modes: &[JitMode]) {
    let insns = decode_program(&assemble(src).expect("assembles")).expect("decodes");
    let world = || {
        let mut env = Env::default();
        env.world.mono_ns = 1_000;
        env.world.clock_step_ns = 250;
        env.world.cpu = 3;
        env.world.task.pid = 41;
        env.world.task.tgid = 40;
        env
    };
    for budget in [3, 15, 30, 100] {
        let mut vm = Interpreter::new(&insns, HelperTable::kernel()).expect("prepares");
        vm.set_budget(budget);
        let mut want_env = world();
        let want = vm.run(&mut want_env, [0; 5]);
        for &mode in modes {
            let mut j = Jit::compile(&insns, HelperTable::kernel(), mode).expect("compiles");
            j.set_budget(budget);
            let mut env = world();
            let got = j.run(&mut env, [0; 5]);
            if mode == JitMode::Checked || want.is_ok() {
                assert_eq!(got, want, "{mode:?} budget {budget}\n{src}");
                assert_eq!(env.world, want_env.world, "{mode:?} budget {budget}");
            }
        }
    }
}

/// `r <<= 32; r >>= 32` is emitted as one 32-bit move, except where the second shift is a
/// jump target or shifts another register.
#[test]
fn zero_extension_pairs_match() {
    same(
        "lddw %r1, 0x8765432112345678\nlsh %r1, 32\nrsh %r1, 32\nmov %r0, %r1\nexit",
        &[],
    );
    same(
        "lddw %r1, 0x8765432112345678\nmov %r2, %r1\nlsh %r1, 32\nrsh %r2, 32\nmov %r0, %r1\nadd %r0, %r2\nexit",
        &[],
    );
    same(
        "lddw %r1, 0x8765432112345678\nlsh %r1, 31\nrsh %r1, 32\nmov %r0, %r1\nexit",
        &[],
    );
    // The second shift is a jump target: taken, it shifts the unshifted value.
    same(
        "lddw %r1, 0x8765432112345678\nmov %r0, 0\njeq %r0, 0, +1\nlsh %r1, 32\nrsh %r1, 32\nmov %r0, %r1\nexit",
        &[],
    );
    // `d = s; d += x` as one lea, for every register pair (r7 is r13: a base that needs a
    // displacement; `d += d` adds the moved value).
    for d in 0..10 {
        for s in 0..11 {
            for t in 0..11 {
                let src = format!(
                    "lddw %r0, 0x1234567890\nmov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\n\
                     mov %r5, 5\nmov %r6, 6\nmov %r7, 7\nmov %r8, 8\nmov %r9, 9\n\
                     mov %r{d}, %r{s}\nadd %r{d}, %r{t}\nadd %r0, %r{d}\n\
                     mov %r{d}, %r{s}\nadd %r{d}, -3\nadd %r0, %r{d}\nexit"
                );
                same(&src, &[]);
            }
        }
    }
    for budget in [0, 1, 2, 3, 4, 5] {
        same_budget(
            "mov %r1, -1\nlsh %r1, 32\nrsh %r1, 32\nlsh %r1, 32\nrsh %r1, 32\nmov %r0, %r1\nexit",
            &[],
            budget,
        );
    }
}

/// The checked JIT caches the element of a map-values region an access found (until a
/// helper call): an access inside it passes inline, one that crosses its end still faults
/// as in the interpreter, and the next element is found again.
/// Loads or stores through one base in straight-line code share one check (`Group`): when
/// that check fails, each access runs with its own, so the fault is the interpreter's, at
/// the same slot, after the same stores.
#[test]
fn grouped_accesses_fault_where_the_interpreter_does() {
    let mem: Vec<u8> = (1..=16).collect();
    for src in [
        // All in bounds, loads and stores, spans of 2, 8, 16 and 11 bytes.
        "ldxb %r0, [%r1+0]\nldxb %r2, [%r1+1]\nadd %r0, %r2\nexit",
        "ldxw %r0, [%r1+0]\nldxw %r2, [%r1+4]\nadd %r0, %r2\nexit",
        "ldxdw %r0, [%r1+8]\nmov %r3, 5\nldxw %r2, [%r1+0]\nldxh %r4, [%r1+6]\nxor %r0, %r2\nxor %r0, %r4\nexit",
        "stw [%r1+0], 7\nmov %r3, 0x60\nstxb [%r1+10], %r3\nmov %r0, 0\nexit",
        // The last member out of bounds: the first store stays, the fault is the second's.
        "stw [%r1+0], 7\nmov %r0, 1\nstw [%r1+13], 9\nexit",
        "ldxw %r0, [%r1+12]\nldxb %r2, [%r1+16]\nexit",
        // The first out of bounds (below the input), the second in.
        "ldxb %r0, [%r1-1]\nldxb %r2, [%r1+0]\nexit",
        // Another base in between, out of bounds: its own fault, after the first store.
        "mov %r3, %r1\nstb [%r1+0], 1\nstb [%r3+20], 2\nstb [%r1+1], 3\nexit",
        // Loads and stores through one base are two groups (two caches).
        "ldxw %r0, [%r1+0]\nstw [%r1+4], 1\nldxw %r2, [%r1+8]\nstw [%r1+12], 2\nexit",
        // Through a pointer into the stack, then across the frame's top.
        "mov %r2, %r10\nadd %r2, -16\nstdw [%r2+0], 1\nstdw [%r2+8], 2\nldxdw %r0, [%r2+0]\nldxdw %r3, [%r2+8]\nadd %r0, %r3\nexit",
        "mov %r2, %r10\nadd %r2, -8\nstdw [%r2+0], 1\nstdw [%r2+8], 2\nexit",
        // A parser's exits between the members: taken, not taken, and a fault after them.
        "ldxh %r2, [%r1+12]\nmov %r0, 0\njne %r2, 0x0e0d, +2\nldxb %r0, [%r1+14]\nldxb %r3, [%r1+15]\nexit",
        "ldxh %r2, [%r1+12]\nmov %r0, 0\njeq %r2, 0x0e0d, +2\nldxb %r0, [%r1+14]\nldxb %r3, [%r1+15]\nexit",
        "ldxh %r2, [%r1+12]\nmov %r0, 0\njne %r2, 0x0e0d, +2\nldxb %r0, [%r1+14]\nldxb %r3, [%r1+16]\nexit",
        // A jump to the first member (may_goto's taken edge) comes to the group's check; the
        // frame pointer moved, so the accesses are checked (the differential test's find).
        "add %r10, 40\nja +4\nadd %r0, %r0\nadd %r0, %r0\nadd %r0, %r0\nldxb %r0, [%r1+0]\nadd %r0, %r0\nadd %r10, 72\njne %r0, %r1, +3\nadd %r0, %r0\nadd %r0, %r0\nmay_goto +0\nldxb %r0, [%r10-9]\nadd %r0, %r0\nldxb %r0, [%r10-9]\n",
        // lddw among the members.
        "ldxw %r0, [%r1+0]\nlddw %r3, 0x100000000\nldxw %r2, [%r1+4]\nadd %r0, %r3\nadd %r0, %r2\nexit",
    ] {
        same(src, &mem);
    }
    // The base rewritten by a member: the next access is not the group's (it faults at an
    // address made of the input's bytes, whose nearest region varies from run to run).
    let src = "ldxw %r2, [%r1+0]\nldxdw %r1, [%r1+8]\nldxb %r0, [%r1+0]\nexit";
    let (got, _) = jit(src, &mem, 100, JitMode::Checked);
    assert!(
        matches!(got, Err(VmError::MemoryAccess { pc: 2, .. })),
        "{got:?}"
    );
    assert!(matches!(
        interp(src, &mem, 100).0,
        Err(VmError::MemoryAccess { pc: 2, .. })
    ));
}

/// Each frame starts zeroed as far as its function reaches (`frame_use`): what an earlier
/// callee left below the next one's reach is never read, in either engine, and each run
/// starts with its entry frame zeroed again.
#[test]
fn frames_read_zero_where_their_function_reaches() {
    // f dirties 8 and 200 bytes down; g reads them (g reaches 208 bytes); h, reaching 16
    // bytes, reads 8 down; main reads 24 down (its own reach) and dirties it for the next run.
    let src = "call local f\ncall local g\nmov %r6, %r0\ncall local h\nadd %r6, %r0\n\
               ldxdw %r0, [%r10-24]\nadd %r0, %r6\nstdw [%r10-24], 5\nexit\n\
               f:\nstdw [%r10-8], -1\nstdw [%r10-200], -1\nstdw [%r10-512], -1\nexit\n\
               g:\nldxdw %r0, [%r10-8]\nldxdw %r1, [%r10-200]\nadd %r0, %r1\nexit\n\
               h:\nldxdw %r0, [%r10-8]\nexit";
    let insns = decode_program(&assemble(src).expect("assembles")).expect("decodes");
    let mut vm = Interpreter::new(&insns, HelperTable::conformance()).expect("prepares");
    for _ in 0..2 {
        assert_eq!(vm.run_raw(&mut []).expect("runs").r0, 0, "interpreter");
    }
    for mode in [JitMode::Checked, JitMode::Verified] {
        let mut j = Jit::compile(&insns, HelperTable::conformance(), mode).expect("compiles");
        for _ in 0..2 {
            assert_eq!(j.run_raw(&mut []).expect("runs").r0, 0, "{mode:?}");
        }
    }
}

/// Eight frames are allowed (the entry's and seven callees'), a ninth is the call depth
/// error, in both engines; stack accesses through a copy of r10 in the deepest frame and
/// after the returns see each frame's bounds.
#[test]
fn call_depth_is_eight_frames_in_both_engines() {
    let chain = |calls: usize| {
        let mut src = String::new();
        for i in 0..calls {
            src += &format!("f{i}:\ncall local f{}\nadd %r0, 1\nexit\n", i + 1);
        }
        src += &format!("f{calls}:\nmov %r2, %r10\nstdw [%r2-8], 40\nldxdw %r0, [%r2-8]\nexit\n");
        src
    };
    let seven = chain(7);
    same(&seven, &[]);
    let (got, _) = jit(&seven, &[], 1000, JitMode::Checked);
    assert_eq!(got.map(|o| o.r0), Ok(47));
    let eight = chain(8);
    same(&eight, &[]);
    let (got, _) = jit(&eight, &[], 1000, JitMode::Checked);
    assert!(
        matches!(got, Err(VmError::CallDepth { pc: 21, .. })),
        "{got:?}"
    );
    // r10 moved (frames are then zeroed whole): the same limits.
    let moved = format!("add %r10, 0\n{}", chain(7).replacen("f0:\n", "", 1));
    same(&moved, &[]);
    let moved = format!("add %r10, 0\n{}", chain(8).replacen("f0:\n", "", 1));
    same(&moved, &[]);
}

#[test]
fn cached_map_elements_keep_accesses_inside_one_element() {
    for tail in [
        "ldxh %r4, [%r1+12]\nexit",
        "ldxw %r4, [%r1+12]\nexit",
        "stxh [%r1+12], %r2\nldxh %r0, [%r1+12]\nexit",
        "stxw [%r1+12], %r2\nexit",
        "ldxb %r4, [%r1+6]\nexit",
        "ldxb %r4, [%r1+29]\nexit",
    ] {
        let src = format!("ldxw %r0, [%r1+0]\nldxw %r2, [%r1+8]\nstxw [%r1+8], %r0\n{tail}");
        let insns = decode_program(&assemble(&src).expect("assembles")).expect("decodes");
        let run = |jit: Option<JitMode>| {
            // Four 6-byte values at a stride of 8.
            let mut values: Vec<u8> = (0..32).collect();
            let mut env = Env::default();
            let region = Region {
                stride: 8,
                elem_size: 6,
                ..Region::block(
                    RegionKind::MapValues { index: 0 },
                    values.as_mut_ptr() as u64,
                    32,
                    true,
                )
            };
            // SAFETY: `values` outlives the run and nothing else touches it meanwhile.
            unsafe { env.mem.add_raw(region) };
            let args = [region.start, 0, 0, 0, 0];
            let out = match jit {
                None => Interpreter::new(&insns, HelperTable::conformance())
                    .expect("prepares")
                    .run(&mut env, args),
                Some(mode) => Jit::compile(&insns, HelperTable::conformance(), mode)
                    .expect("compiles")
                    .run(&mut env, args),
            };
            (norm(&out), values)
        };
        assert_eq!(run(Some(JitMode::Checked)), run(None), "{tail}");
    }
}

/// Every atomic, 32 and 64-bit, with and without fetch, on the stack and on the input, with
/// the source in r0, in another register and in the address register: the verified JIT's
/// locked instructions give what the interpreter's operation gives.
#[test]
fn atomics_match() {
    let ops = [
        "add",
        "or",
        "and",
        "xor",
        "fetch add",
        "fetch or",
        "fetch and",
        "fetch xor",
        "xchg",
        "cmpxchg",
    ];
    for op in ops {
        for w in ["", "32"] {
            for (base, setup) in [("%r10-16", ""), ("%r1+8", "")] {
                for src in ["%r2", "%r0"] {
                    for r0 in ["0x1234", "0x7fff_0000_1234"] {
                        let src_prog = format!(
                            "lddw %r0, {r0}\nlddw %r2, 0x8000_0001_0000_0101\n{setup}\
                             lddw %r3, 0x1234\nstxdw [%r10-16], %r3\n\
                             lock {op}{w} [{base}], {src}\n\
                             ldxdw %r4, [{base}]\nxor %r0, %r4\nlsh %r2, 1\nxor %r0, %r2\nexit"
                        )
                        .replace('_', "");
                        same(
                            &src_prog,
                            &[0x34, 0x12, 0, 0, 0, 0, 0, 0, 0x34, 0x12, 0, 0, 0, 0, 0, 0],
                        );
                    }
                }
            }
            // The address register as the source.
            same(
                &format!(
                    "mov %r2, %r10\nadd %r2, -8\nstdw [%r10-8], 5\nlock {op}{w} [%r2+0], %r2\nldxdw %r0, [%r10-8]\nxor %r0, %r2\nexit"
                ),
                &[],
            );
        }
    }
}

#[test]
fn budgets_match() {
    for budget in [0, 1, 2, 3, 5, 10, 33, 100] {
        same_budget("mov %r0, 0\nadd %r0, 1\nja -2\nexit", &[], budget);
        same_budget(
            "mov %r0, 0\nmov %r2, 10\nadd %r0, %r2\nsub %r2, 1\njne %r2, 0, -3\nexit",
            &[],
            budget,
        );
        same_budget(
            "f:\nmov %r0, 1\ncall local g\nexit\ng:\nmov %r0, 2\nexit",
            &[],
            budget,
        );
    }
}

#[test]
#[ignore = "prints the code of JIT_DUMP (an assembler file) for objdump"]
fn dump() {
    let Ok(path) = std::env::var("JIT_DUMP") else {
        return;
    };
    let src = std::fs::read_to_string(path).unwrap();
    let insns = decode_program(&assemble(&src).unwrap()).unwrap();
    let mode = if std::env::var_os("JIT_VERIFIED").is_some() {
        JitMode::Verified
    } else {
        JitMode::Checked
    };
    let table = if std::env::var_os("JIT_CONFORMANCE").is_some() {
        HelperTable::conformance()
    } else {
        HelperTable::kernel()
    };
    let j = Jit::compile(&insns, table, mode).unwrap();
    std::fs::write("/tmp/jit.bin", j.code(0).unwrap()).unwrap();
}

#[test]
fn access_limits_are_exact_per_size() {
    assert_eq!(runtime::limits(20), [20, 19, 17, 13]);
    assert_eq!(runtime::limits(3), [3, 2, 0, 0]);
    assert_eq!(runtime::limits(0), [0; 4]);
    // Accesses at the very start and end of a small input, in every size.
    let mem = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    for (size, name) in [(1, "b"), (2, "h"), (4, "w"), (8, "dw")] {
        for off in 0..=(10 - size) {
            same(&format!("ldx{name} %r0, [%r1+{off}]\nexit"), &mem);
            same(
                &format!("st{name} [%r1+{off}], 7\nldxdw %r0, [%r1+0]\nexit"),
                &mem,
            );
        }
        same(&format!("ldx{name} %r0, [%r1+{}]\nexit", 11 - size), &mem);
        same(&format!("ldx{name} %r0, [%r1-1]\nexit"), &mem);
    }
}
