//! Map helpers: lookups, updates and deletes, queues and stacks, ring buffers and perf event
//! output, with the kernel's return values (a value pointer or NULL; 0 or -errno). The map
//! argument is the address a map relocation gave the program ([`MapSet::map_ptr`]).

use super::{CallEnv, HelperError, HelperTable};
use crate::maps::{Map, MapSet};

pub(super) fn register(t: &mut HelperTable) {
    t.register(1, "map_lookup_elem", map_lookup_elem);
    t.register(2, "map_update_elem", map_update_elem);
    t.register(3, "map_delete_elem", map_delete_elem);
    t.register(25, "perf_event_output", perf_event_output);
    t.register(87, "map_push_elem", map_push_elem);
    t.register(88, "map_pop_elem", map_pop_elem);
    t.register(89, "map_peek_elem", map_peek_elem);
    t.register(130, "ringbuf_output", ringbuf_output);
    t.register(131, "ringbuf_reserve", ringbuf_reserve);
    t.register(132, "ringbuf_submit", ringbuf_submit);
    t.register(133, "ringbuf_discard", ringbuf_discard);
    t.register(134, "ringbuf_query", ringbuf_query);
    t.register(195, "map_lookup_percpu_elem", map_lookup_percpu_elem);
}

type Result = std::result::Result<u64, HelperError>;

fn maps<'c>(c: &'c mut CallEnv<'_, '_>) -> std::result::Result<&'c mut MapSet, HelperError> {
    c.env
        .maps
        .as_deref_mut()
        .ok_or_else(|| HelperError::Other("the program uses maps but the run has none".into()))
}

/// Map `index` of the run, for a helper.
fn map_mut<'c>(
    c: &'c mut CallEnv<'_, '_>,
    index: usize,
) -> std::result::Result<&'c mut Map, HelperError> {
    maps(c)?
        .get_mut(index)
        .ok_or_else(|| HelperError::Other(format!("no map #{index}")))
}

/// Reads the map's key (key_size bytes) from program memory.
fn key_of(
    c: &mut CallEnv<'_, '_>,
    index: usize,
    addr: u64,
) -> std::result::Result<Vec<u8>, HelperError> {
    let size = map_mut(c, index)?.def().key_size as usize;
    c.read(addr, size)
}

fn value_of(
    c: &mut CallEnv<'_, '_>,
    index: usize,
    addr: u64,
) -> std::result::Result<Vec<u8>, HelperError> {
    let size = map_mut(c, index)?.def().value_size as usize;
    c.read(addr, size)
}

fn ret(r: std::result::Result<(), crate::maps::Errno>) -> u64 {
    match r {
        Ok(()) => 0,
        Err(e) => e.as_neg_i64() as u64,
    }
}

fn map_lookup_elem(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    let key = key_of(c, m, a[1])?;
    let cpu = c.world().cpu as usize;
    Ok(map_mut(c, m)?.lookup(&key, cpu).unwrap_or(0))
}

fn map_lookup_percpu_elem(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    let key = key_of(c, m, a[1])?;
    let map = map_mut(c, m)?;
    if a[2] >= map.ncpus() as u64 {
        return Ok(0);
    }
    Ok(map.lookup(&key, a[2] as usize).unwrap_or(0))
}

fn map_update_elem(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    let key = key_of(c, m, a[1])?;
    let value = value_of(c, m, a[2])?;
    let cpu = c.world().cpu as usize;
    Ok(ret(map_mut(c, m)?.update(&key, &value, a[3], cpu)))
}

fn map_delete_elem(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    let key = key_of(c, m, a[1])?;
    Ok(ret(map_mut(c, m)?.delete(&key)))
}

fn map_push_elem(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    let value = value_of(c, m, a[1])?;
    Ok(ret(map_mut(c, m)?.push(&value, a[2])))
}

fn pop_or_peek(c: &mut CallEnv<'_, '_>, a: [u64; 5], pop: bool) -> Result {
    let m = c.map_index(a[0])?;
    let map = map_mut(c, m)?;
    let mut out = vec![0u8; map.def().value_size as usize];
    let r = if pop {
        map.pop(&mut out)
    } else {
        map.peek(&mut out)
    };
    if r.is_ok() {
        c.write(a[1], &out)?;
    }
    Ok(ret(r))
}

fn map_pop_elem(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    pop_or_peek(c, a, true)
}

fn map_peek_elem(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    pop_or_peek(c, a, false)
}

/// `bpf_perf_event_output(ctx, map, flags, data, size)`.
fn perf_event_output(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[1])?;
    let data = c.read(a[3], a[4] as usize)?;
    let cpu = c.world().cpu as usize;
    Ok(ret(map_mut(c, m)?.perf_output(a[2], cpu, &data)))
}

fn ringbuf_output(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    let data = c.read(a[1], a[2] as usize)?;
    Ok(ret(map_mut(c, m)?.ringbuf_output(&data, a[3])))
}

fn ringbuf_reserve(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    Ok(map_mut(c, m)?.ringbuf_reserve(a[1], a[2]).unwrap_or(0))
}

/// The ring buffer a reserved record belongs to.
fn ringbuf_of(c: &mut CallEnv<'_, '_>, record: u64) -> std::result::Result<usize, HelperError> {
    let maps = maps(c)?;
    (0..maps.len())
        .find(|&i| {
            maps.get(i)
                .is_some_and(|m| m.value_regions().iter().any(|r| r.contains(record, 1)))
        })
        .ok_or_else(|| HelperError::Other(format!("{record:#x} is not a ring buffer record")))
}

fn ringbuf_submit(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = ringbuf_of(c, a[0])?;
    map_mut(c, m)?
        .ringbuf_submit(a[0], a[1])
        .map_err(|e| HelperError::Other(format!("ringbuf_submit: {e:?}")))?;
    Ok(0)
}

fn ringbuf_discard(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = ringbuf_of(c, a[0])?;
    map_mut(c, m)?
        .ringbuf_discard(a[0], a[1])
        .map_err(|e| HelperError::Other(format!("ringbuf_discard: {e:?}")))?;
    Ok(0)
}

fn ringbuf_query(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> Result {
    let m = c.map_index(a[0])?;
    Ok(map_mut(c, m)?.ringbuf_query(a[1]))
}
