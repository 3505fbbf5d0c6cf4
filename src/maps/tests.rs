//! Tests of [`Map`] and [`MapSet`] as helpers and user space use them: value addresses and
//! regions for every map type, access flags, global data, map-in-map.

use super::arena::program;
use super::flags::*;
use super::*;

pub(crate) fn def(name: &str, t: MapType, ks: u32, vs: u32, me: u32, flags: u32) -> MapDef {
    MapDef {
        name: name.into(),
        map_type: t,
        key_size: ks,
        value_size: vs,
        max_entries: me,
        map_flags: flags,
        inner: None,
        initial: Vec::new(),
        read_only: false,
        origin: MapOrigin::User,
    }
}

pub(crate) fn k(i: u32) -> Vec<u8> {
    i.to_ne_bytes().to_vec()
}

fn lpm_key(plen: u32, ip: [u8; 4]) -> Vec<u8> {
    [plen.to_ne_bytes().to_vec(), ip.to_vec()].concat()
}

/// A user-side value for `m`: per-CPU maps take every CPU's rounded copy.
fn user_value(m: &Map, value: &[u8]) -> Vec<u8> {
    let percpu = matches!(
        m.map_type(),
        MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash
    );
    if !percpu {
        return value.to_vec();
    }
    let mut per = value.to_vec();
    per.resize(value.len().div_ceil(8) * 8, 0);
    per.repeat(m.ncpus())
}

struct Case {
    def: MapDef,
    key: Vec<u8>,
    value: Vec<u8>,
    others: Vec<Vec<u8>>,
    other_value: Vec<u8>,
}

fn case(def: MapDef, key: Vec<u8>, value: Vec<u8>, others: Vec<Vec<u8>>) -> Case {
    let other_value = match def.map_type {
        MapType::CpuMap => k(32),
        MapType::DevMap | MapType::DevMapHash => [k(2), k(0)].concat(),
        _ => vec![7; value.len()],
    };
    Case {
        def,
        key,
        value,
        others,
        other_value,
    }
}

/// For each type with program-visible values: the address `lookup` returns lies in the map's
/// value regions, reads the value, and stays the same (with the same bytes) while other keys
/// are inserted and deleted.
#[test]
fn lookup_addresses_are_in_regions_and_stable() {
    let keys = |r: std::ops::Range<u32>| r.map(k).collect::<Vec<_>>();
    let cases = vec![
        case(
            def("a", MapType::Array, 4, 12, 8, 0),
            k(3),
            vec![1; 12],
            vec![k(1), k(5)],
        ),
        case(
            def("pa", MapType::PercpuArray, 4, 12, 8, 0),
            k(3),
            vec![1; 12],
            vec![k(1)],
        ),
        case(
            def("h", MapType::Hash, 4, 12, 8, 0),
            k(3),
            vec![1; 12],
            keys(10..16),
        ),
        case(
            def("ph", MapType::PercpuHash, 4, 12, 8, 0),
            k(3),
            vec![1; 12],
            keys(10..16),
        ),
        case(
            def("l", MapType::LruHash, 4, 12, 8, 0),
            k(3),
            vec![1; 12],
            keys(10..14),
        ),
        case(
            def("lp", MapType::LruPercpuHash, 4, 12, 8, 0),
            k(3),
            vec![1; 12],
            keys(10..14),
        ),
        case(
            def("t", MapType::LpmTrie, 8, 12, 8, BPF_F_NO_PREALLOC),
            lpm_key(24, [10, 0, 0, 0]),
            vec![1; 12],
            vec![
                lpm_key(8, [10, 0, 0, 0]),
                lpm_key(32, [10, 0, 0, 1]),
                lpm_key(16, [9, 9, 0, 0]),
            ],
        ),
        case(
            def("d", MapType::DevMap, 4, 8, 8, 0),
            k(3),
            [k(1), k(0)].concat(),
            vec![k(1)],
        ),
        case(
            def("dh", MapType::DevMapHash, 4, 8, 8, 0),
            k(3),
            [k(1), k(0)].concat(),
            keys(10..16),
        ),
        case(
            def("c", MapType::CpuMap, 4, 4, 2, 0),
            k(1),
            k(64),
            vec![k(0)],
        ),
        case(
            def("x", MapType::XskMap, 4, 4, 8, 0),
            k(3),
            k(9),
            vec![k(1), k(5)],
        ),
    ];
    for c in cases {
        let name = c.def.name.clone();
        let mut m = Map::new(&c.def, 2).expect("create");
        m.update_user(&c.key, &user_value(&m, &c.value), BPF_ANY)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let addr = m
            .lookup(&c.key, 1)
            .unwrap_or_else(|| panic!("{name}: lookup"));
        let regions = m.value_regions();
        assert_eq!(
            program::read(&regions, addr, c.value.len()),
            c.value,
            "{name}"
        );
        for o in &c.others {
            m.update_user(o, &user_value(&m, &c.other_value), BPF_ANY)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for o in c.others.iter().step_by(2) {
            let _ = m.delete_user(o);
        }
        assert_eq!(m.lookup(&c.key, 1), Some(addr), "{name}: same address");
        assert_eq!(m.value_regions(), regions, "{name}: regions never move");
        assert_eq!(
            program::read(&regions, addr, c.value.len()),
            c.value,
            "{name}"
        );
    }
}

#[test]
fn program_stores_are_seen_by_user_space_and_cpus_are_separate() {
    let mut m = Map::new(&def("pa", MapType::PercpuArray, 4, 4, 2, 0), 2).expect("create");
    let regions = m.value_regions();
    let a0 = m.lookup(&k(1), 0).expect("cpu 0");
    let a1 = m.lookup(&k(1), 1).expect("cpu 1");
    assert_eq!(m.lookup(&k(1), 2), None, "no CPU 2");
    program::write(&regions, a0, &[1, 2, 3, 4]);
    program::write(&regions, a1, &[5, 6, 7, 8]);
    assert_eq!(
        m.lookup_user(&k(1)),
        Ok(vec![1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0])
    );
    m.update(&k(1), &[9; 4], BPF_ANY, 1)
        .expect("program update");
    assert_eq!(program::read(&regions, a0, 4), vec![1, 2, 3, 4]);
    assert_eq!(program::read(&regions, a1, 4), vec![9; 4]);
    // A region check refuses the padding after a 4-byte value.
    assert!(!regions.iter().any(|r| r.contains(a0 + 4, 1)));
}

#[test]
fn ring_buffer_records_are_in_the_region() {
    let mut m = Map::new(&def("rb", MapType::RingBuf, 0, 0, 4096, 0), 2).expect("create");
    let regions = m.value_regions();
    let a = m.ringbuf_reserve(4000, 0).expect("room");
    m.ringbuf_discard(a, 0).expect("discard");
    assert!(m.consume().is_empty());
    let b = m.ringbuf_reserve(300, 0).expect("room, wrapping");
    program::write(&regions, b, &[0xab; 300]);
    m.ringbuf_submit(b, BPF_RB_FORCE_WAKEUP).expect("submit");
    m.ringbuf_output(b"tail", 0).expect("output");
    assert_eq!(m.consume(), vec![vec![0xab; 300], b"tail".to_vec()]);
    assert_eq!(m.ringbuf_query(BPF_RB_RING_SIZE), 4096);
    assert_eq!(m.lookup(&[], 0), None);
    assert_eq!(m.lookup_user(&[]), Err(Errno::ENOTSUPP));
    assert_eq!(m.update_user(&[], &[], 0), Err(Errno::ENOTSUPP));
    assert_eq!(m.delete_user(&[]), Err(Errno::ENOTSUPP));
    assert_eq!(m.get_next_key(None), Err(Errno::ENOTSUPP));
}

#[test]
fn global_data_initial_bytes_and_rodata() {
    let mut data = def(".data", MapType::Array, 4, 8, 1, 0);
    data.initial = vec![1, 2, 3];
    data.origin = MapOrigin::GlobalData {
        section: ".data".into(),
    };
    let mut ro = def(".rodata", MapType::Array, 4, 4, 1, BPF_F_RDONLY_PROG);
    ro.initial = vec![9, 9, 9, 9];
    ro.read_only = true;
    ro.origin = MapOrigin::GlobalData {
        section: ".rodata".into(),
    };
    let mut set = MapSet::new(&[data, ro], MapSetConfig::default()).expect("set");
    let d = set.by_name(".data").expect("data");
    assert_eq!(d.lookup_user(&k(0)), Ok(vec![1, 2, 3, 0, 0, 0, 0, 0]));
    assert!(d.value_regions()[0].writable);
    let r = set.by_name_mut(".rodata").expect("rodata");
    assert!(r.is_frozen());
    assert!(!r.value_regions()[0].writable);
    assert_eq!(r.lookup_user(&k(0)), Ok(vec![9; 4]));
    assert_eq!(r.update_user(&k(0), &[0; 4], BPF_ANY), Err(Errno::EPERM));
    let mut big = def(".bss", MapType::Array, 4, 2, 1, 0);
    big.initial = vec![0; 3];
    let e = MapSet::new(&[big], MapSetConfig::default()).err();
    assert_eq!(e.map(|e| e.errno()), Some(Errno::EINVAL));
}

/// Confirmed on 6.18: a BPF_F_RDONLY map refuses updates (EPERM), a BPF_F_WRONLY map refuses
/// lookups and get_next_key (EPERM), a frozen map refuses updates and deletes (EPERM);
/// BPF_F_LOCK without a spin lock is EINVAL, unknown lookup flags EINVAL.
#[test]
fn user_access_flags_and_freezing() {
    let mut ro = Map::new(&def("r", MapType::Array, 4, 4, 2, BPF_F_RDONLY), 2).expect("create");
    assert_eq!(ro.update_user(&k(0), &k(1), BPF_ANY), Err(Errno::EPERM));
    assert_eq!(ro.lookup_user(&k(0)), Ok(k(0)));
    ro.update(&k(0), &k(1), BPF_ANY, 0)
        .expect("programs still write");
    let wo = Map::new(&def("w", MapType::Array, 4, 4, 2, BPF_F_WRONLY), 2).expect("create");
    assert_eq!(wo.lookup_user(&k(0)), Err(Errno::EPERM));
    assert_eq!(wo.get_next_key(None), Err(Errno::EPERM));
    let mut h = Map::new(&def("h", MapType::Hash, 4, 4, 2, 0), 2).expect("create");
    h.update_user(&k(1), &k(1), BPF_ANY).expect("update");
    h.freeze();
    assert_eq!(h.delete_user(&k(1)), Err(Errno::EPERM));
    assert_eq!(h.update_user(&k(2), &k(1), BPF_ANY), Err(Errno::EPERM));
    assert_eq!(h.lookup_user_flags(&k(1), BPF_F_LOCK), Err(Errno::EINVAL));
    assert_eq!(h.lookup_user_flags(&k(1), 8), Err(Errno::EINVAL));
    assert_eq!(h.lookup_user(&k(1)), Ok(k(1)));
    assert_eq!(
        Map::new(
            &def("rw", MapType::Array, 4, 4, 2, BPF_F_RDONLY | BPF_F_WRONLY),
            2
        )
        .err()
        .map(|e| e.errno()),
        Some(Errno::EINVAL)
    );
}

#[test]
fn spin_lock_makes_bpf_f_lock_valid() {
    let mut a = Map::new(&def("a", MapType::Array, 4, 8, 2, 0), 2).expect("create");
    assert_eq!(
        a.update_user(&k(0), &[1; 8], BPF_F_LOCK),
        Err(Errno::EINVAL)
    );
    assert_eq!(a.set_spin_lock(Some(2)), Err(Errno::EINVAL));
    assert_eq!(a.set_spin_lock(Some(8)), Err(Errno::EINVAL));
    a.set_spin_lock(Some(4)).expect("lock at 4");
    a.update_user(&k(0), &[1; 8], BPF_F_LOCK)
        .expect("locked update");
    assert_eq!(
        a.lookup_user_flags(&k(0), BPF_F_LOCK),
        Ok(vec![1, 1, 1, 1, 0, 0, 0, 0])
    );
    let mut h = Map::new(&def("h", MapType::Hash, 4, 8, 2, 0), 2).expect("create");
    h.set_spin_lock(Some(0)).expect("lock at 0");
    assert_eq!(
        h.update(&k(1), &[2; 8], BPF_F_LOCK | BPF_EXIST, 0),
        Err(Errno::ENOENT)
    );
    h.update(&k(1), &[2; 8], BPF_F_LOCK, 0).expect("insert");
    assert_eq!(h.lookup_user(&k(1)), Ok(vec![0, 0, 0, 0, 2, 2, 2, 2]));
    let mut l = Map::new(&def("l", MapType::LruHash, 4, 8, 2, 0), 2).expect("create");
    assert_eq!(l.set_spin_lock(Some(0)), Err(Errno::EOPNOTSUPP));
}

#[test]
fn map_in_map_stores_indexes_and_yields_map_pointers() {
    let inner = def("inner", MapType::Array, 4, 8, 4, 0);
    let mut outer = def("outer", MapType::ArrayOfMaps, 4, 4, 2, 0);
    outer.inner = Some(Box::new(inner.clone()));
    let mut houter = def("houter", MapType::HashOfMaps, 4, 4, 2, 0);
    houter.inner = Some(Box::new(inner.clone()));
    let other = def("other", MapType::Array, 4, 8, 5, 0);
    let hash = def("hash", MapType::Hash, 4, 8, 4, 0);
    let defs = [inner, outer, houter, other, hash];
    let mut set = MapSet::new(&defs, MapSetConfig::default()).expect("set");
    let inner_ptr = set.map_ptr(0);
    let by_map: Vec<usize> = set.regions_by_map().iter().map(|(i, _)| *i).collect();
    assert_eq!(
        by_map,
        vec![0, 3, 4],
        "arrays and hashes have value regions, map-in-maps none"
    );
    assert_eq!(set.value_regions().len(), 3);
    assert_eq!(set.index_of_ptr(inner_ptr), Some(0));
    assert_eq!(set.index_of_ptr(inner_ptr + 1), None);
    assert_eq!(set.map_ptr(99), 0);
    let o = set.get_mut(1).expect("outer");
    // Confirmed on 6.18: BPF_EXIST/NOEXIST are EINVAL, a different max_entries or type is
    // EINVAL, a bad fd EBADF, out of range E2BIG, deleting an empty slot ENOENT.
    assert_eq!(o.update_user(&k(0), &k(0), BPF_EXIST), Err(Errno::EINVAL));
    assert_eq!(o.update_user(&k(0), &k(3), BPF_ANY), Err(Errno::EINVAL));
    assert_eq!(o.update_user(&k(0), &k(4), BPF_ANY), Err(Errno::EINVAL));
    assert_eq!(o.update_user(&k(0), &k(42), BPF_ANY), Err(Errno::EBADF));
    assert_eq!(o.update_user(&k(2), &k(0), BPF_ANY), Err(Errno::E2BIG));
    assert_eq!(o.delete_user(&k(1)), Err(Errno::ENOENT));
    o.update_user(&k(0), &k(0), BPF_ANY).expect("store inner");
    assert_eq!(o.lookup(&k(0), 0), Some(inner_ptr));
    assert_eq!(o.lookup(&k(1), 0), None);
    assert_eq!(o.inner_map(&k(0)), Some(0));
    assert_eq!(o.lookup_user(&k(0)), Ok(k(0)));
    let h = set.get_mut(2).expect("hash of maps");
    h.update_user(&k(7), &k(0), BPF_ANY).expect("store inner");
    h.update_user(&k(8), &k(0), BPF_NOEXIST)
        .expect("store inner");
    assert_eq!(h.update_user(&k(9), &k(0), BPF_ANY), Err(Errno::E2BIG));
    assert_eq!(h.update_user(&k(7), &k(0), BPF_NOEXIST), Err(Errno::EEXIST));
    assert_eq!(h.update_user(&k(70), &k(0), BPF_EXIST), Err(Errno::ENOENT));
    assert_eq!(h.update_user(&k(7), &k(0), BPF_F_LOCK), Err(Errno::EINVAL));
    assert_eq!(h.lookup(&k(7), 0), Some(inner_ptr));
    assert_eq!(h.inner_map(&k(8)), Some(0));
    // BPF_F_INNER_MAP lets arrays of any size in.
    let mut flex = def("flex", MapType::Array, 4, 8, 4, BPF_F_INNER_MAP);
    let mut o2 = def("o2", MapType::ArrayOfMaps, 4, 4, 2, 0);
    o2.inner = Some(Box::new(flex.clone()));
    flex.max_entries = 9;
    let mut set = MapSet::new(&[o2, flex], MapSetConfig::default()).expect("set");
    let o2 = set.get_mut(0).expect("outer");
    o2.update_user(&k(0), &k(1), BPF_ANY).expect("any size");
}

#[test]
fn programs_and_tail_calls() {
    let mut p = Map::new(&def("jmp", MapType::ProgArray, 4, 4, 4, 0), 2).expect("create");
    p.update_user(&k(2), &k(11), BPF_ANY).expect("store");
    assert_eq!(p.prog_at(2), Some(11));
    assert_eq!(p.prog_at(1), None);
    assert_eq!(p.prog_at(9), None);
    assert_eq!(p.lookup(&k(2), 0), None);
    assert_eq!(p.keys().len(), 4);
    assert_eq!(p.entries(), vec![(k(2), k(11))]);
}

#[test]
fn queues_through_the_map() {
    let mut q = Map::new(&def("q", MapType::Queue, 0, 4, 2, 0), 2).expect("create");
    q.push(&k(1), BPF_ANY).expect("push");
    q.update_user(&[], &k(2), BPF_ANY)
        .expect("push from user space");
    assert_eq!(q.lookup_user(&[]), Ok(k(1)));
    let mut out = [0; 4];
    q.peek(&mut out).expect("peek");
    assert_eq!(out.to_vec(), k(1));
    assert_eq!(q.lookup_and_delete_user(&[]), Ok(k(1)));
    q.pop(&mut out).expect("pop");
    assert_eq!(out.to_vec(), k(2));
    assert_eq!(q.pop(&mut out), Err(Errno::ENOENT));
    assert_eq!(q.delete_user(&[]), Err(Errno::EINVAL));
    assert_eq!(q.get_next_key(None), Err(Errno::EINVAL));
    assert_eq!(q.update(&[], &k(1), BPF_ANY, 0), Err(Errno::EINVAL));
    assert_eq!(q.lookup(&[], 0), None);
    let mut h = Map::new(&def("h", MapType::Hash, 4, 4, 2, 0), 2).expect("create");
    assert_eq!(h.push(&k(1), 0), Err(Errno::EINVAL));
    h.update_user(&k(1), &k(5), BPF_ANY).expect("insert");
    assert_eq!(h.lookup_and_delete_user(&k(1)), Ok(k(5)));
    assert_eq!(h.lookup_and_delete_user(&k(1)), Err(Errno::ENOENT));
}

#[test]
fn perf_output_through_the_map() {
    let mut p = Map::new(&def("events", MapType::PerfEventArray, 4, 4, 2, 0), 2).expect("create");
    p.perf_output(BPF_F_CURRENT_CPU, 1, b"x").expect("output");
    assert_eq!(p.perf_output(5, 1, b"x"), Err(Errno::E2BIG));
    assert_eq!(p.perf_events().len(), 1);
    assert_eq!(p.perf_events()[0].index, 1);
    assert_eq!(p.lookup_user(&k(0)), Err(Errno::ENOTSUPP));
    p.delete_user(&k(0)).expect("remove the reader");
    assert_eq!(p.perf_output(0, 0, b"x"), Err(Errno::ENOENT));
    p.update_user(&k(0), &k(3), BPF_ANY).expect("new reader");
    p.perf_output(0, 0, b"y").expect("output");
    assert_eq!(p.take_perf_events().len(), 2);
}

#[test]
fn lru_per_cpu_lists_round_max_entries() {
    let m = Map::new(&def("l", MapType::LruHash, 4, 4, 3, BPF_F_NO_COMMON_LRU), 2).expect("create");
    assert_eq!(m.def().max_entries, 4);
    let d = Map::new(&def("d", MapType::DevMap, 4, 4, 3, 0), 2).expect("create");
    assert_eq!(d.def().map_flags & BPF_F_RDONLY_PROG, BPF_F_RDONLY_PROG);
    assert!(!d.value_regions()[0].writable);
}

#[test]
fn unsupported_and_invalid_creation() {
    let e = Map::new(&def("s", MapType::SockMap, 4, 4, 4, 0), 2).err();
    assert!(matches!(e, Some(MapError::Unsupported { .. })));
    let e = Map::new(&def("a", MapType::Array, 4, 4, 4, 0), 0).err();
    assert_eq!(e.map(|e| e.errno()), Some(Errno::EINVAL));
    let e = MapSet::new(
        &[
            def("ok", MapType::Array, 4, 4, 4, 0),
            def("bad", MapType::Array, 3, 4, 4, 0),
        ],
        MapSetConfig::default(),
    )
    .err();
    assert_eq!(e.as_ref().map(|e| e.name()), Some("bad"));
    assert_eq!(MapSetConfig::default().ncpus, 2);
}

#[test]
fn maps_can_move_to_another_thread() {
    fn send<T: Send>() {}
    send::<Map>();
    send::<MapSet>();
}

#[test]
fn the_map_memory_limit_refuses_with_enomem() {
    let small = MapSetConfig {
        ncpus: 4,
        max_memory: 1 << 20,
    };
    // 1,000 entries of 8 + 4 * 100 bytes (4 per-CPU copies) fit in 1 MiB...
    let fits = def("pc", MapType::PercpuHash, 8, 100, 1000, 0);
    assert!(MapSet::new(std::slice::from_ref(&fits), small).is_ok());
    // ...a second such map does not, and the error names it and the limit.
    let err = MapSet::new(
        &[fits.clone(), def("big", MapType::Array, 4, 1000, 1000, 0)],
        small,
    )
    .expect_err("over the limit");
    assert_eq!(err.errno(), Errno::ENOMEM);
    let text = err.to_string();
    assert!(
        text.contains("map `big`") && text.contains("1048576-byte map memory limit"),
        "{text}"
    );
}
