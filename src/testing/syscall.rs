//! The records the syscall tracepoints hand their programs (`syscalls/sys_enter_NAME` and
//! `syscalls/sys_exit_NAME`, kernel/trace/trace_syscalls.c), built from a scripted syscall:
//! the common header (`struct trace_entry`: type, flags, preempt count, pid), the syscall
//! number at offset 8, then six arguments (enter) or the return value (exit) at offset 16.
//! This is the layout `struct trace_event_raw_sys_enter` / `sys_exit` describe in vmlinux.h.

/// Size of a `sys_enter_*` record: header, number, six arguments.
pub const SYS_ENTER_SIZE: usize = 16 + 6 * 8;
/// Size of a `sys_exit_*` record: header, number, return value.
pub const SYS_EXIT_SIZE: usize = 24;

/// x86-64 syscall numbers of the syscalls examples trace most (others: give `nr`).
pub fn syscall_nr(name: &str) -> Option<i64> {
    Some(match name {
        "read" => 0,
        "write" => 1,
        "open" => 2,
        "close" => 3,
        "stat" => 4,
        "mmap" => 9,
        "connect" => 42,
        "accept" => 43,
        "clone" => 56,
        "fork" => 57,
        "execve" => 59,
        "exit" => 60,
        "kill" => 62,
        "rename" => 82,
        "mkdir" => 83,
        "unlink" => 87,
        "exit_group" => 231,
        "openat" => 257,
        "mkdirat" => 258,
        "unlinkat" => 263,
        "renameat2" => 316,
        "execveat" => 322,
        "openat2" => 437,
        _ => return None,
    })
}

fn header(pid: u32, nr: i64) -> Vec<u8> {
    let mut r = Vec::with_capacity(SYS_ENTER_SIZE);
    r.extend_from_slice(&0u16.to_le_bytes()); // common_type: the event id, unused here
    r.push(0); // common_flags
    r.push(0); // common_preempt_count
    r.extend_from_slice(&pid.to_le_bytes());
    r.extend_from_slice(&nr.to_le_bytes());
    r
}

/// The `sys_enter_*` record: `args` beyond six are refused, missing ones are 0.
pub fn enter_record(pid: u32, nr: i64, args: &[u64]) -> Result<Vec<u8>, String> {
    if args.len() > 6 {
        return Err(format!(
            "a syscall has at most 6 arguments, {} given",
            args.len()
        ));
    }
    let mut r = header(pid, nr);
    for i in 0..6 {
        r.extend_from_slice(&args.get(i).copied().unwrap_or(0).to_le_bytes());
    }
    Ok(r)
}

/// The `sys_exit_*` record.
pub fn exit_record(pid: u32, nr: i64, ret: i64) -> Vec<u8> {
    let mut r = header(pid, nr);
    r.extend_from_slice(&ret.to_le_bytes());
    r
}

/// The section names a program for this syscall's entry or exit may have.
pub fn sections(name: &str, enter: bool) -> [String; 2] {
    let which = if enter { "enter" } else { "exit" };
    [
        format!("tracepoint/syscalls/sys_{which}_{name}"),
        format!("tp/syscalls/sys_{which}_{name}"),
    ]
}

/// The offset of an x86-64 `struct pt_regs` register by name.
pub fn pt_reg_offset(name: &str) -> Option<usize> {
    use crate::progtype::tracing::pt_regs::*;
    Some(match name {
        "r15" => R15,
        "r14" => R14,
        "r13" => R13,
        "r12" => R12,
        "bp" => BP,
        "bx" => BX,
        "r11" => R11,
        "r10" => R10,
        "r9" => R9,
        "r8" => R8,
        "ax" => AX,
        "cx" => CX,
        "dx" => DX,
        "si" => SI,
        "di" => DI,
        "orig_ax" => ORIG_AX,
        "ip" => IP,
        "cs" => CS,
        "flags" => FLAGS,
        "sp" => SP,
        "ss" => SS,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let e = enter_record(7, 257, &[0xffff_ff9c, 0x1000, 2]).unwrap();
        assert_eq!(e.len(), SYS_ENTER_SIZE);
        assert_eq!(&e[4..8], &7u32.to_le_bytes());
        assert_eq!(&e[8..16], &257i64.to_le_bytes());
        assert_eq!(&e[24..32], &0x1000u64.to_le_bytes());
        let x = exit_record(7, 257, -2);
        assert_eq!(x.len(), SYS_EXIT_SIZE);
        assert_eq!(&x[16..24], &(-2i64).to_le_bytes());
        assert!(enter_record(1, 0, &[0; 7]).is_err());
    }
}
