//! The tracing helpers against the deterministic world: trace_printk output, the current
//! task, clocks, and probe reads of simulated kernel and user memory.

use bpfsim::helpers::{HelperTable, World};
use bpfsim::insn::asm::assemble_bytes;
use bpfsim::vm::{Env, Interpreter};

fn run_with(src: &str, world: World) -> (u64, World) {
    let bytes = assemble_bytes(src).unwrap_or_else(|e| panic!("{e}"));
    let mut vm = Interpreter::from_bytes(&bytes, HelperTable::kernel()).expect("loads");
    let mut env = Env {
        world,
        ..Env::default()
    };
    let r0 = vm.run(&mut env, [0; 5]).expect("runs").r0;
    (r0, env.world)
}

/// Stores `text` (NUL-terminated) at r10 - 32 and leaves r1 = its address, r2 = its size.
fn string_on_stack(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    assert!(bytes.len() <= 32);
    let mut src = String::new();
    for (i, chunk) in bytes.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        src += &format!(
            "r1 = {:#x} ll\n*(u64 *)(r10 - {:#x}) = r1\n",
            u64::from_le_bytes(w),
            32 - 8 * i
        );
    }
    src += &format!("r1 = r10\nr1 += -32\nr2 = {}\n", bytes.len());
    src
}

#[test]
fn trace_printk_captures_the_formatted_line() {
    let src = string_on_stack("pid %d: %x") + "r3 = 42\nr4 = 255\ncall 6\nexit";
    let (r0, world) = run_with(&src, World::default());
    assert_eq!(world.trace, vec!["pid 42: ff".to_string()]);
    assert_eq!(r0, "pid 42: ff".len() as u64);
}

#[test]
fn trace_printk_refuses_bad_formats_with_einval() {
    let src = string_on_stack("%d %d %d %d") + "call 6\nexit";
    let (r0, world) = run_with(&src, World::default());
    assert_eq!(r0 as i64, -22);
    assert!(world.trace.is_empty());
}

#[test]
fn current_task_identity_comes_from_the_world() {
    let mut world = World::default();
    world.task.pid = 7;
    world.task.tgid = 9;
    world.task.comm = "opensnoop".into();
    let src = "call 14\nr6 = r0\nr1 = r10\nr1 += -16\nr2 = 16\ncall 16\nr0 = *(u64 *)(r10 - 0x10)\nr0 ^= r6\nexit";
    let (r0, _) = run_with(src, world);
    let comm = u64::from_le_bytes(*b"opensnoo");
    assert_eq!(r0, comm ^ ((9u64 << 32) | 7));
}

#[test]
fn clock_advances_deterministically() {
    let (r0, _) = run_with("call 5\nr6 = r0\ncall 5\nr0 -= r6\nexit", World::default());
    assert_eq!(r0, World::default().clock_step_ns);
}

#[test]
fn probe_read_kernel_reads_mapped_memory_and_faults_elsewhere() {
    let mut world = World::default();
    world.kernel_memory.map(
        0xffff_8880_0000_1000,
        0x1122_3344_5566_7788u64.to_le_bytes().to_vec(),
    );
    let read = |addr: u64| {
        format!(
            "r1 = r10\nr1 += -8\nr2 = 8\nr3 = {addr:#x} ll\ncall 113\nr6 = r0\nr0 = *(u64 *)(r10 - 0x8)\nr0 += r6\nexit"
        )
    };
    let (r0, _) = run_with(&read(0xffff_8880_0000_1000), world.clone());
    assert_eq!(r0, 0x1122_3344_5566_7788);
    // Unmapped: -EFAULT and the destination zeroed.
    let (r0, _) = run_with(&read(0xffff_8880_0000_2000), world);
    assert_eq!(r0 as i64, -14);
}

#[test]
fn probe_read_user_str_stops_at_the_nul() {
    let mut world = World::default();
    world
        .user_memory
        .map(0x7fff_0000, b"/etc/passwd\0junk".to_vec());
    let src = "r1 = r10\nr1 += -32\nr2 = 32\nr3 = 0x7fff0000 ll\ncall 114\nexit";
    let (r0, _) = run_with(src, world);
    assert_eq!(r0, 12);
}

#[test]
fn huge_sizes_from_the_program_are_refused_without_allocating() {
    // Unverified programs can pass any size: each of these must fail on the bad destination
    // (or the unmapped source) at once, not allocate or walk 1 TiB.
    for call in [
        "r1 = r10\nr1 += -8\nr2 = 0x10000000000 ll\nr3 = 0xffff888000001000 ll\ncall 113\nexit",
        "r1 = r10\nr1 += -8\nr2 = 0x10000000000 ll\nr3 = 0x7fff0000 ll\ncall 112\nexit",
        "r1 = r10\nr1 += -8\nr2 = 0x10000000000 ll\ncall 16\nexit",
    ] {
        let bytes = assemble_bytes(call).unwrap_or_else(|e| panic!("{e}"));
        let mut vm = Interpreter::from_bytes(&bytes, HelperTable::kernel()).expect("loads");
        let err = vm.run(&mut Env::default(), [0; 5]).unwrap_err();
        assert!(
            err.to_string().contains("invalid memory access"),
            "{call}: {err}"
        );
    }
}
