//! The stack-size limits that `bpf_check` applies after `do_check` (`check_max_stack_depth`):
//! each function's stack depth (the deepest stack byte any path touched, in 8-byte slots,
//! recorded by `do_check` as the kernel's `grow_stack_state` does) is rounded up as the JIT
//! rounds it (16 bytes), and along every chain of calls the sum must stay within 512 bytes:
//! `combined stack size of N calls is M. Too large`. The walk follows the calls in
//! instruction order from the entry function, as the kernel's does.
//!
//! Tracing programs (kprobe, tracepoint, perf_event, raw_tracepoint) get private stacks on
//! x86-64 for functions using 64 bytes or more (unless a function tail-calls): those are
//! limited to 512 bytes each (`stack size of subprog N is M. Too large`) and do not count
//! toward the chain's sum. Functions that tail-call cannot run on top of 256 bytes or more
//! of callers' stack.

use super::error::Errno;
use super::state::{MAX_BPF_STACK, MAX_CALL_FRAMES};
use super::subprog::Subprogs;
use crate::insn::RawInsn;
use crate::progtype::ProgType;

/// `BPF_PRIV_STACK_MIN_SIZE`.
const PRIV_STACK_MIN_SIZE: u32 = 64;

/// `BPF_PSEUDO_CALL` and `BPF_PSEUDO_FUNC`.
const PSEUDO_CALL: u8 = 1;
const PSEUDO_FUNC: u8 = 4;

/// `round_up_stack_depth` with the JIT (always on for x86-64).
fn round_up(depth: u32) -> u32 {
    depth.div_ceil(16) * 16
}

/// `bpf_enable_priv_stack`: the program types whose functions may get private stacks.
fn private_stacks(t: ProgType) -> bool {
    matches!(
        t,
        ProgType::Kprobe | ProgType::Tracepoint | ProgType::PerfEvent | ProgType::RawTracepoint
    )
}

/// `check_max_stack_depth`: `depths[i]` is function `i`'s stack depth in bytes.
pub fn check_max_stack_depth(
    insns: &[RawInsn],
    subprogs: &Subprogs,
    depths: &[u32],
    prog_type: ProgType,
) -> Result<(), (Errno, String)> {
    let info = &subprogs.info;
    let any_tail_call = info.iter().any(|s| s.has_tail_call);
    let private = private_stacks(prog_type) && !any_tail_call;
    let depth_of = |i: usize| round_up(depths.get(i).copied().unwrap_or(0));
    let uses_private = |i: usize| private && depth_of(i) >= PRIV_STACK_MIN_SIZE;
    // The walk: (function, next instruction to look at) per frame.
    let mut frames: Vec<(usize, usize)> = Vec::with_capacity(MAX_CALL_FRAMES);
    let mut idx = 0usize;
    let mut i = info.first().map_or(0, |s| s.start);
    let mut depth = 0u32;
    loop {
        // process_func
        if idx > 0 && info[idx].has_tail_call && depth >= 256 {
            return Err((
                Errno::Acces,
                format!(
                    "tail_calls are not allowed when call stack of previous frames is {depth} bytes. Too large"
                ),
            ));
        }
        let own = depth_of(idx);
        if uses_private(idx) {
            if own > MAX_BPF_STACK as u32 {
                return Err((
                    Errno::Acces,
                    format!("stack size of subprog {idx} is {own}. Too large"),
                ));
            }
        } else {
            depth += own;
            if depth > MAX_BPF_STACK as u32 {
                return Err((
                    Errno::Acces,
                    format!(
                        "combined stack size of {} calls is {depth}. Too large",
                        frames.len() + 1
                    ),
                ));
            }
        }
        // continue_func: the next call in this function, if any.
        'scan: loop {
            let end = info[idx].end.min(insns.len());
            while i < end {
                let insn = insns[i];
                let is_call = insn.code == 0x85 && insn.src == PSEUDO_CALL;
                let is_func = insn.code == 0x18 && insn.src == PSEUDO_FUNC;
                if is_call || is_func {
                    let target = (i as i64 + i64::from(insn.imm) + 1) as usize;
                    let Some(callee) = info.iter().position(|s| s.start == target) else {
                        return Err((
                            Errno::Fault,
                            format!("verifier bug. No program starts at insn {target}"),
                        ));
                    };
                    frames.push((idx, i + 1));
                    if frames.len() >= MAX_CALL_FRAMES {
                        return Err((
                            Errno::TooBig,
                            format!("the call stack of {} frames is too deep !", frames.len()),
                        ));
                    }
                    idx = callee;
                    i = info[idx].start;
                    break 'scan;
                }
                i += 1;
            }
            // The end of the function: back to the caller.
            let Some((caller, next)) = frames.pop() else {
                return Ok(());
            };
            if !uses_private(idx) {
                depth -= depth_of(idx);
            }
            idx = caller;
            i = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::asm::assemble;
    use crate::verifier::{PreflightOptions, preflight_insns};

    fn check(src: &str, depths: &[u32], t: ProgType) -> Result<(), String> {
        let insns = assemble(src).expect("assembles");
        let pre =
            preflight_insns(&insns, Some("GPL"), &PreflightOptions::default()).expect("preflight");
        check_max_stack_depth(&insns, &pre.subprogs, depths, t).map_err(|e| e.1)
    }

    const CHAIN: &str = "call local f\nr0 = 0\nexit\nf:\nr0 = 0\nexit";

    #[test]
    fn chains_add_up_rounded_to_16_bytes() {
        assert_eq!(check(CHAIN, &[256, 256], ProgType::SocketFilter), Ok(()));
        assert_eq!(
            check(CHAIN, &[256, 264], ProgType::SocketFilter),
            Err("combined stack size of 2 calls is 528. Too large".into())
        );
    }

    #[test]
    fn tracing_functions_with_big_stacks_get_private_ones() {
        assert_eq!(check(CHAIN, &[256, 264], ProgType::Kprobe), Ok(()));
        assert_eq!(
            check(CHAIN, &[8, 520], ProgType::Kprobe),
            Err("stack size of subprog 1 is 528. Too large".into())
        );
    }
}
