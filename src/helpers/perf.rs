//! Profiling helpers: `bpf_get_stackid` over the world's simulated call stacks and a
//! stack-trace map, perf counter reads, and `bpf_override_return` (recorded in the world).
//! Return values and error codes follow the kernel (kernel/bpf/stackmap.c,
//! kernel/trace/bpf_trace.c).

use super::{CallEnv, HelperError, HelperTable, errno};
use crate::maps::MapType;

pub(super) fn register(t: &mut HelperTable) {
    t.register(22, "perf_event_read", perf_event_read);
    t.register(27, "get_stackid", get_stackid);
    t.register(55, "perf_event_read_value", perf_event_read_value);
    t.register(56, "perf_prog_read_value", perf_prog_read_value);
    t.register(37, "current_task_under_cgroup", current_task_under_cgroup);
    t.register(58, "override_return", override_return);
}

type Result = std::result::Result<u64, HelperError>;

const BPF_F_SKIP_FIELD_MASK: u64 = 0xff;
const BPF_F_USER_STACK: u64 = 1 << 8;
const BPF_F_FAST_STACK_CMP: u64 = 1 << 9;
const BPF_F_REUSE_STACKID: u64 = 1 << 10;
const BPF_F_INDEX_MASK: u64 = 0xffff_ffff;
const BPF_F_CURRENT_CPU: u64 = BPF_F_INDEX_MASK;

/// FNV-1a over the frames: the bucket of a stack (the kernel uses jhash2; ids differ, their
/// meaning does not).
fn stack_hash(ips: &[u64]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in ips.iter().flat_map(|ip| ip.to_le_bytes()) {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `bpf_get_stackid(ctx, map, flags)`: the id of the current stack in a stack-trace map.
fn get_stackid(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let flags = a[2];
    let known =
        BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID;
    if flags & !known != 0 {
        return Ok(errno::EINVAL);
    }
    let m = c.map_index(a[1])?;
    let skip = (flags & BPF_F_SKIP_FIELD_MASK) as usize;
    let stack = if flags & BPF_F_USER_STACK != 0 {
        &c.env.world.user_stack
    } else {
        &c.env.world.kernel_stack
    };
    let Some(ips) = stack.get(skip..).filter(|s| !s.is_empty()) else {
        return Ok(errno::EFAULT);
    };
    let mut ips = ips.to_vec();
    let cpu = c.env.world.cpu as usize;
    let map = c
        .env
        .maps
        .as_deref_mut()
        .and_then(|maps| maps.get_mut(m))
        .filter(|map| map.map_type() == MapType::StackTrace)
        .ok_or_else(|| HelperError::Other("bpf_get_stackid needs a stack trace map".into()))?;
    let frames = (map.def().value_size / 8) as usize;
    ips.truncate(frames);
    let id = stack_hash(&ips) % map.def().max_entries.max(1);
    let mut value: Vec<u8> = ips.iter().flat_map(|ip| ip.to_le_bytes()).collect();
    value.resize(frames * 8, 0);
    let key = id.to_le_bytes();
    match map.lookup_user(&key) {
        Ok(old) if old == value => return Ok(id as u64),
        Ok(_) if flags & BPF_F_REUSE_STACKID == 0 => return Ok(errno::EEXIST),
        _ => {}
    }
    match map.update(&key, &value, 0, cpu) {
        Ok(()) => Ok(id as u64),
        Err(e) => Ok(e.as_neg_i64() as u64),
    }
}

/// The slot of a perf event array that a perf read names, or the errno.
fn perf_slot(
    c: &mut CallEnv<'_, '_>,
    map_ptr: u64,
    flags: u64,
) -> std::result::Result<std::result::Result<usize, u64>, HelperError> {
    if flags & !BPF_F_INDEX_MASK != 0 {
        return Ok(Err(errno::EINVAL));
    }
    let m = c.map_index(map_ptr)?;
    let cpu = c.env.world.cpu as u64;
    let index = if flags == BPF_F_CURRENT_CPU {
        cpu
    } else {
        flags
    };
    let max = c
        .env
        .maps
        .as_deref()
        .and_then(|maps| maps.get(m))
        .filter(|map| map.map_type() == MapType::PerfEventArray)
        .map(|map| map.def().max_entries as u64)
        .ok_or_else(|| HelperError::Other("perf reads need a perf event array".into()))?;
    if index >= max {
        return Ok(Err(errno::E2BIG));
    }
    Ok(Ok(index as usize))
}

/// `bpf_perf_event_read(map, flags)`: the counter of the slot's event.
fn perf_event_read(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    Ok(match perf_slot(c, a[0], a[1])? {
        Ok(i) => c.env.world.perf_counters.get(i).copied().unwrap_or(0),
        Err(e) => e,
    })
}

/// Writes `struct bpf_perf_event_value { counter, enabled, running }` (24 bytes).
fn write_value(c: &mut CallEnv<'_, '_>, buf: u64, size: u64, counter: u64) -> Result {
    if size != 24 {
        c.zero(buf, size as usize)?;
        return Ok(errno::EINVAL);
    }
    let w = &c.env.world;
    let bytes: Vec<u8> = [counter, w.perf_enabled_ns, w.perf_running_ns]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    c.write(buf, &bytes)?;
    Ok(0)
}

/// `bpf_perf_event_read_value(map, flags, buf, size)`.
fn perf_event_read_value(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    match perf_slot(c, a[0], a[1])? {
        Ok(i) => {
            let counter = c.env.world.perf_counters.get(i).copied().unwrap_or(0);
            write_value(c, a[2], a[3], counter)
        }
        Err(e) => {
            c.zero(a[2], a[3] as usize)?;
            Ok(e)
        }
    }
}

/// `bpf_perf_prog_read_value(ctx, buf, size)`: the values of the event that ran the program.
fn perf_prog_read_value(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let counter = c.env.world.perf_counters.first().copied().unwrap_or(0);
    write_value(c, a[1], a[2], counter)
}

/// `bpf_current_task_under_cgroup(map, index)`: 1 when the world's task is in the cgroup the
/// cgroup array holds at `index` (its cgroup id), 0 when not; -E2BIG past the array, -EAGAIN
/// for an empty slot.
fn current_task_under_cgroup(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    let cgroup = c.env.world.task.cgroup_id;
    let map = c
        .env
        .maps
        .as_deref()
        .and_then(|maps| maps.get(m))
        .filter(|map| map.map_type() == MapType::CgroupArray)
        .ok_or_else(|| HelperError::Other("needs a cgroup array".into()))?;
    let Ok(index) = u32::try_from(a[1]) else {
        return Ok(errno::E2BIG);
    };
    if index >= map.def().max_entries {
        return Ok(errno::E2BIG);
    }
    Ok(match map.lookup_user(&index.to_le_bytes()) {
        Ok(v) if v.len() >= 4 => {
            u64::from(u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as u64 == cgroup)
        }
        _ => errno::EAGAIN,
    })
}

/// `bpf_override_return(regs, rc)`: recorded in the world; returns 0.
fn override_return(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    c.env.world.override_return = Some(a[1]);
    Ok(0)
}
