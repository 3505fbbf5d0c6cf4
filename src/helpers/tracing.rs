//! The tracing core: clocks, random numbers, CPU and task identity, `bpf_probe_read_*`
//! against the simulated kernel and user memory, and `bpf_trace_printk`/`bpf_snprintf`.
//! Kernel semantics: a failed probe read zeroes the destination and returns -EFAULT; string
//! reads always NUL-terminate and return the length including the NUL.

use super::printk::{self, FormatMemory};
use super::{CallEnv, HelperError, HelperTable, World, WorldField, errno};
use crate::world_helper;
use std::mem::offset_of;

pub(super) fn register(t: &mut HelperTable) {
    t.register(4, "probe_read", probe_read_kernel);
    t.register_world(5, "ktime_get_ns", world_helper!(ktime_get_ns));
    t.register(6, "trace_printk", trace_printk);
    t.register_world(7, "get_prandom_u32", world_helper!(get_prandom_u32));
    t.register_world_field(
        8,
        "get_smp_processor_id",
        world_helper!(get_smp_processor_id),
        WorldField {
            offset: offset_of!(World, cpu),
            size: 4,
        },
    );
    t.register_world(
        14,
        "get_current_pid_tgid",
        world_helper!(get_current_pid_tgid),
    );
    t.register_world(
        15,
        "get_current_uid_gid",
        world_helper!(get_current_uid_gid),
    );
    t.register(16, "get_current_comm", get_current_comm);
    t.register_world_field(
        35,
        "get_current_task",
        world_helper!(get_current_task),
        WorldField {
            offset: offset_of!(World, task.task_addr),
            size: 8,
        },
    );
    t.register(36, "probe_write_user", probe_write_user);
    t.register_world_field(
        42,
        "get_numa_node_id",
        world_helper!(get_numa_node_id),
        WorldField {
            offset: offset_of!(World, numa_node),
            size: 4,
        },
    );
    t.register(45, "probe_read_str", probe_read_kernel_str);
    t.register_world_field(
        80,
        "get_current_cgroup_id",
        world_helper!(get_current_cgroup_id),
        WorldField {
            offset: offset_of!(World, task.cgroup_id),
            size: 8,
        },
    );
    t.register(112, "probe_read_user", probe_read_user);
    t.register(113, "probe_read_kernel", probe_read_kernel);
    t.register(114, "probe_read_user_str", probe_read_user_str);
    t.register(115, "probe_read_kernel_str", probe_read_kernel_str);
    t.register_world(118, "jiffies64", world_helper!(jiffies64));
    t.register_world(125, "ktime_get_boot_ns", world_helper!(ktime_get_boot_ns));
    t.register_world_field(
        158,
        "get_current_task_btf",
        world_helper!(get_current_task),
        WorldField {
            offset: offset_of!(World, task.task_addr),
            size: 8,
        },
    );
    t.register_world(160, "ktime_get_coarse_ns", world_helper!(ktime_get_ns));
    t.register(165, "snprintf", snprintf);
    t.register_world(208, "ktime_get_tai_ns", world_helper!(ktime_get_tai_ns));
}

type Result = std::result::Result<u64, HelperError>;

/// Jiffies per second (CONFIG_HZ of Debian's kernels).
const HZ: u64 = 250;

fn ktime_get_ns(w: &mut World, _: [u64; 5]) -> u64 {
    w.read_clock()
}

fn ktime_get_boot_ns(w: &mut World, _: [u64; 5]) -> u64 {
    let offset = w.boot_offset_ns;
    w.read_clock().wrapping_add(offset)
}

fn ktime_get_tai_ns(w: &mut World, _: [u64; 5]) -> u64 {
    let offset = w.tai_offset_ns;
    w.read_clock().wrapping_add(offset)
}

fn jiffies64(w: &mut World, _: [u64; 5]) -> u64 {
    w.read_clock() / (1_000_000_000 / HZ)
}

fn get_prandom_u32(w: &mut World, _: [u64; 5]) -> u64 {
    w.next_random() as u64
}

fn get_smp_processor_id(w: &mut World, _: [u64; 5]) -> u64 {
    w.cpu as u64
}

fn get_numa_node_id(w: &mut World, _: [u64; 5]) -> u64 {
    w.numa_node as u64
}

fn get_current_pid_tgid(w: &mut World, _: [u64; 5]) -> u64 {
    ((w.task.tgid as u64) << 32) | w.task.pid as u64
}

fn get_current_uid_gid(w: &mut World, _: [u64; 5]) -> u64 {
    ((w.task.gid as u64) << 32) | w.task.uid as u64
}

fn get_current_task(w: &mut World, _: [u64; 5]) -> u64 {
    w.task.task_addr
}

fn get_current_cgroup_id(w: &mut World, _: [u64; 5]) -> u64 {
    w.task.cgroup_id
}

/// `bpf_get_current_comm(buf, size)`: the comm, truncated and NUL-padded to `size`.
fn get_current_comm(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let size = a[1] as usize;
    if size == 0 {
        return Ok(errno::EINVAL);
    }
    c.zero(a[0], size)?;
    let comm = c.world().task.comm.clone();
    let n = comm.len().min(15).min(size - 1);
    c.write(a[0], &comm.as_bytes()[..n])?;
    Ok(0)
}

/// Reads `len` bytes at a kernel address: program-visible memory (the stack, map values and
/// the packet are kernel memory too) or the simulated kernel memory.
fn read_kernel(c: &CallEnv<'_, '_>, addr: u64, len: usize) -> Option<Vec<u8>> {
    c.read(addr, len)
        .ok()
        .or_else(|| c.env.world.kernel_memory.read(addr, len))
}

fn read_user(c: &CallEnv<'_, '_>, addr: u64, len: usize) -> Option<Vec<u8>> {
    c.env.world.user_memory.read(addr, len)
}

/// A NUL-terminated string at `addr`, at most `max` bytes including the NUL.
fn read_string(c: &CallEnv<'_, '_>, addr: u64, max: usize, user: bool) -> Option<Vec<u8>> {
    let mut s = Vec::new();
    for i in 0..max.saturating_sub(1) as u64 {
        let a = addr.checked_add(i)?;
        let b = if user {
            read_user(c, a, 1)
        } else {
            read_kernel(c, a, 1)
        }?[0];
        if b == 0 {
            break;
        }
        s.push(b);
    }
    Some(s)
}

fn probe_read(c: &mut CallEnv<'_, '_>, a: [u64; 5], user: bool) -> Result {
    let (dst, size, src) = (a[0], a[1] as usize, a[2]);
    // The destination first: it bounds everything below.
    c.translate(dst, size as u64, true)?;
    let got = if user {
        read_user(c, src, size)
    } else {
        read_kernel(c, src, size)
    };
    match got {
        Some(bytes) => {
            c.write(dst, &bytes)?;
            Ok(0)
        }
        None => {
            c.zero(dst, size)?;
            Ok(errno::EFAULT)
        }
    }
}

fn probe_read_kernel(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    probe_read(c, a, false)
}

fn probe_read_user(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    probe_read(c, a, true)
}

fn probe_read_str(c: &mut CallEnv<'_, '_>, a: [u64; 5], user: bool) -> Result {
    let (dst, size, src) = (a[0], a[1] as usize, a[2]);
    if size == 0 {
        return Ok(0);
    }
    c.translate(dst, size as u64, true)?;
    match read_string(c, src, size, user) {
        Some(mut s) => {
            s.push(0);
            let n = s.len();
            c.write(dst, &s)?;
            Ok(n as u64)
        }
        None => {
            c.zero(dst, size)?;
            Ok(errno::EFAULT)
        }
    }
}

fn probe_read_kernel_str(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    probe_read_str(c, a, false)
}

fn probe_read_user_str(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    probe_read_str(c, a, true)
}

/// `bpf_probe_write_user(dst, src, len)`: writes mapped user memory, else -EFAULT.
fn probe_write_user(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let data = c.read(a[1], a[2] as usize)?;
    Ok(if c.world().user_memory.write(a[0], &data) {
        0
    } else {
        errno::EFAULT
    })
}

struct Memory<'c, 'e, 'a>(&'c CallEnv<'e, 'a>);

impl FormatMemory for Memory<'_, '_, '_> {
    fn string(&self, addr: u64, user: bool) -> Option<Vec<u8>> {
        read_string(self.0, addr, 1024, user)
    }
    fn bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        read_kernel(self.0, addr, len)
    }
}

/// `bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3)`: captures the line in the world.
fn trace_printk(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let fmt = c.read(a[0], a[1] as usize)?;
    match printk::format(&fmt, &a[2..5], &Memory(c)) {
        Ok((text, full)) => {
            let line = String::from_utf8_lossy(&text).into_owned();
            c.world().trace.push(line);
            Ok(full as u64)
        }
        Err(e) => Ok(e as u64),
    }
}

/// `bpf_snprintf(str, str_size, fmt, data, data_len)`: `data` holds the u64 arguments; the
/// result is NUL-terminated in `str` and the return value counts the NUL.
fn snprintf(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let (out, out_size, fmt_addr, data, data_len) =
        (a[0], a[1] as usize, a[2], a[3], a[4] as usize);
    if data_len % 8 != 0 || data_len > 8 * 12 {
        return Ok(errno::EINVAL);
    }
    let raw = c.read(data, data_len)?;
    let args: Vec<u64> = raw
        .chunks_exact(8)
        .map(|w| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
        .collect();
    // The format is a read-only string: take it up to its NUL.
    let fmt = read_string(c, fmt_addr, 1024, false).ok_or(HelperError::BadMemory {
        addr: fmt_addr,
        size: 1,
    })?;
    let mut fmt = fmt;
    fmt.push(0);
    match printk::format(&fmt, &args, &Memory(c)) {
        Ok((mut text, full)) => {
            if out_size > 0 {
                text.truncate(out_size - 1);
                text.push(0);
                c.write(out, &text)?;
            }
            Ok(full as u64 + 1)
        }
        Err(e) => Ok(e as u64),
    }
}
