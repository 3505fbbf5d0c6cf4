//! Helpers that steer the program itself: `bpf_tail_call` (continue in another program of a
//! program array), `bpf_loop` and `bpf_for_each_map_elem` (call a callback of the program),
//! with the kernel's limits and return values.

use super::{CallEnv, HelperError, HelperTable, errno};
use crate::maps::MapType;
use crate::vm::memory::{Region, RegionKind};

pub(super) fn register(t: &mut HelperTable) {
    t.register(12, "tail_call", tail_call);
    t.register(93, "spin_lock", spin_lock);
    t.register(94, "spin_unlock", spin_unlock);
    t.register(164, "for_each_map_elem", for_each_map_elem);
    t.register(181, "loop", bpf_loop);
}

type Result = std::result::Result<u64, HelperError>;

/// Iterations `bpf_loop` allows (`BPF_MAX_LOOPS`).
const BPF_MAX_LOOPS: u64 = 8 * 1024 * 1024;

/// `bpf_tail_call(ctx, prog_array, index)`: on success the program does not come back here;
/// an empty slot or an index past the array makes the call fall through.
fn tail_call(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[1])?;
    let maps = c
        .env
        .maps
        .as_deref()
        .ok_or_else(|| HelperError::Other("no maps".into()))?;
    let target = maps.get(m).and_then(|map| {
        (map.map_type() == MapType::ProgArray)
            .then(|| u32::try_from(a[2]).ok().and_then(|i| map.prog_at(i)))
            .flatten()
    });
    Err(HelperError::TailCall { target })
}

/// `bpf_spin_lock(lock)`: one program runs at a time here, so taking the lock always
/// succeeds at once; the lock word holds 1 while taken, as the kernel's qspinlock does.
fn spin_lock(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    c.write(a[0], &1u32.to_le_bytes())?;
    Ok(0)
}

/// `bpf_spin_unlock(lock)`.
fn spin_unlock(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    c.write(a[0], &0u32.to_le_bytes())?;
    Ok(0)
}

/// `bpf_loop(nr_loops, callback, ctx, flags)`: calls `callback(i, ctx)` until it returns
/// non-zero; returns the number of calls made.
fn bpf_loop(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let (nr, callback, ctx, flags) = (a[0] as u32 as u64, a[1], a[2], a[3]);
    if flags != 0 {
        return Ok(errno::EINVAL);
    }
    if nr > BPF_MAX_LOOPS {
        return Ok(errno::E2BIG);
    }
    for i in 0..nr {
        if c.call_callback(callback, [i, ctx, 0, 0, 0])? != 0 {
            return Ok(i + 1);
        }
    }
    Ok(nr)
}

/// `bpf_for_each_map_elem(map, callback, ctx, flags)`: calls `callback(map, &key, &value,
/// ctx)` for each element until it returns non-zero; returns the number of calls made.
fn for_each_map_elem(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let (map_ptr, callback, ctx, flags) = (a[0], a[1], a[2], a[3]);
    if flags != 0 {
        return Ok(errno::EINVAL);
    }
    let m = c.map_index(map_ptr)?;
    let cpu = c.world().cpu as usize;
    let keys = match c.env.maps.as_deref().and_then(|maps| maps.get(m)) {
        Some(map) => map.keys(),
        None => return Ok(errno::EINVAL),
    };
    let mut calls = 0;
    for key in keys {
        let Some(value) = c
            .env
            .maps
            .as_deref_mut()
            .and_then(|maps| maps.get_mut(m))
            .and_then(|map| map.lookup(&key, cpu))
        else {
            continue;
        };
        // The key lives in a buffer of ours for the callback's duration, as the kernel
        // passes a pointer to its own copy.
        let key_buf = key.into_boxed_slice();
        let region = Region::block(
            RegionKind::Other("map key"),
            key_buf.as_ptr() as u64,
            key_buf.len() as u64,
            false,
        );
        // SAFETY: `key_buf` stays alive and unmoved until the region is removed below,
        // and nothing writes it (the region is read-only).
        unsafe { c.env.mem.add_raw(region) };
        let ret = c.call_callback(callback, [map_ptr, region.start, value, ctx, 0]);
        c.env.mem.remove(region);
        drop(key_buf);
        calls += 1;
        if ret? != 0 {
            break;
        }
    }
    Ok(calls)
}
