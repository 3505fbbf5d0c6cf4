//! The checks `BPF_MAP_CREATE` makes before a map exists: sizes, flags and limits per type, with
//! the errno the kernel picks. Sources: each type's `map_alloc_check`/`map_alloc` in
//! `kernel/bpf/` (6.12), with the numbers that differ confirmed on the running 6.18 kernel by
//! calling `bpf(BPF_MAP_CREATE)` as root (noted where they are used).

use super::def::*;
use super::errno::{Errno, MapError};

/// `KMALLOC_MAX_SIZE` on x86-64 (4 MiB).
const KMALLOC_MAX_SIZE: u64 = 1 << 22;
/// `sizeof(struct htab_elem)`: hash maps refuse `key_size + value_size >= 4 MiB - 48` with
/// `E2BIG` (6.18: largest value_size accepted with key_size 4 is 4194251).
const HTAB_ELEM_SIZE: u64 = 48;
/// `PCPU_MIN_UNIT_SIZE`: per-CPU values are at most 32 KiB (rounded up to 8).
const PCPU_MIN_UNIT_SIZE: u64 = 32768;
/// `sizeof(struct lpm_trie_node)` on 6.18: the largest LPM value_size accepted there is
/// 4194024 = 4 MiB - 256 - 24 (6.12 had a 40-byte node).
const LPM_NODE_SIZE: u64 = 24;
/// `NR_CPUS` of the running kernel's configuration: a cpumap with more entries fails with
/// `E2BIG` (confirmed: 256 accepted, 257 refused).
pub(crate) const NR_CPUS: u32 = 256;
const PAGE_SIZE: u32 = 4096;

const ARRAY_FLAGS: u32 =
    BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const HTAB_FLAGS: u32 =
    BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const LPM_FLAGS: u32 = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const QUEUE_FLAGS: u32 = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const DEV_FLAGS: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/// Whether bpfsim simulates maps of this type.
pub(crate) fn supported(t: MapType) -> bool {
    use MapType::*;
    matches!(
        t,
        Array
            | PercpuArray
            | Hash
            | PercpuHash
            | LruHash
            | LruPercpuHash
            | LpmTrie
            | RingBuf
            | PerfEventArray
            | ProgArray
            | ArrayOfMaps
            | HashOfMaps
            | Queue
            | Stack
            | StackTrace
            | CgroupArray
            | DevMap
            | DevMapHash
            | CpuMap
            | XskMap
    )
}

fn round8(v: u32) -> u64 {
    (u64::from(v) + 7) & !7
}

/// A refusal: the errno and a short reason for the message.
type Refusal = (Errno, &'static str);

fn fail(cond: bool, errno: Errno, reason: &'static str) -> Result<(), Refusal> {
    if cond { Err((errno, reason)) } else { Ok(()) }
}

/// `bpf_map_flags_access_ok`: a map cannot be both read-only and write-only for programs.
fn access_ok(flags: u32) -> bool {
    flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG
}

/// Checks `def` as `BPF_MAP_CREATE` would on a machine with `ncpus` possible CPUs.
pub(crate) fn check(def: &MapDef, ncpus: usize) -> Result<(), MapError> {
    let t = def.map_type;
    if matches!(t, MapType::Unspec | MapType::Other(_)) {
        return Err(refused(def, (Errno::EINVAL, "unknown map type")));
    }
    if !supported(t) {
        return Err(MapError::Unsupported {
            name: def.name.clone(),
            map_type: t,
        });
    }
    // bpf_get_file_flag(): read-only and write-only for user space at once.
    if def.map_flags & (BPF_F_RDONLY | BPF_F_WRONLY) == BPF_F_RDONLY | BPF_F_WRONLY {
        return Err(refused(
            def,
            (Errno::EINVAL, "BPF_F_RDONLY and BPF_F_WRONLY together"),
        ));
    }
    check_type(def, ncpus).map_err(|r| refused(def, r))?;
    if matches!(t, MapType::ArrayOfMaps | MapType::HashOfMaps) {
        check_inner(def, ncpus)?;
    }
    Ok(())
}

fn refused(def: &MapDef, (errno, reason): Refusal) -> MapError {
    MapError::Create {
        name: def.name.clone(),
        errno,
        reason: reason.to_string(),
    }
}

fn check_type(def: &MapDef, _ncpus: usize) -> Result<(), Refusal> {
    use MapType::*;
    let (ks, vs, me, fl) = (def.key_size, def.value_size, def.max_entries, def.map_flags);
    match def.map_type {
        Array | PercpuArray => check_array(def),
        StackTrace => {
            // stack_map_alloc(): u32 ids, values of whole u64 instruction pointers (at most
            // sysctl_perf_event_max_stack, 127 by default).
            fail(ks != 4, Errno::EINVAL, "key_size must be 4")?;
            fail(
                vs < 8 || vs % 8 != 0,
                Errno::EINVAL,
                "value_size must be a multiple of 8",
            )?;
            fail(vs / 8 > 127, Errno::EINVAL, "value_size is over 127 frames")?;
            fail(me == 0, Errno::EINVAL, "max_entries must not be 0")
        }
        ProgArray | ArrayOfMaps | PerfEventArray | CgroupArray => {
            // fd_array_map_alloc_check()
            fail(vs != 4, Errno::EINVAL, "value_size must be 4")?;
            fail(
                fl & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != 0,
                Errno::EINVAL,
                "program access flags are not allowed",
            )?;
            check_array(def)
        }
        Hash | PercpuHash | LruHash | LruPercpuHash | HashOfMaps => {
            if def.map_type == HashOfMaps {
                fail(vs != 4, Errno::EINVAL, "value_size must be 4")?;
            }
            check_htab(def)
        }
        LpmTrie => {
            fail(me == 0, Errno::EINVAL, "max_entries must be > 0")?;
            fail(
                fl & BPF_F_NO_PREALLOC == 0,
                Errno::EINVAL,
                "lpm_trie requires BPF_F_NO_PREALLOC",
            )?;
            fail(
                fl & !LPM_FLAGS != 0 || !access_ok(fl),
                Errno::EINVAL,
                "bad map_flags",
            )?;
            fail(
                !(5..=260).contains(&ks),
                Errno::EINVAL,
                "key_size must be 4 + 1..=256 bytes",
            )?;
            fail(
                vs == 0 || u64::from(vs) > KMALLOC_MAX_SIZE - 256 - LPM_NODE_SIZE,
                Errno::EINVAL,
                "value_size out of range",
            )
        }
        Queue | Stack => {
            fail(me == 0, Errno::EINVAL, "max_entries must be > 0")?;
            fail(ks != 0, Errno::EINVAL, "key_size must be 0")?;
            fail(vs == 0, Errno::EINVAL, "value_size must be > 0")?;
            fail(
                fl & !QUEUE_FLAGS != 0 || !access_ok(fl),
                Errno::EINVAL,
                "bad map_flags",
            )?;
            // 6.18 no longer refuses max_entries * value_size > 4 GiB (confirmed: 2^29 entries
            // of 8 bytes are created); only the allocation can fail.
            fail(
                u64::from(vs) > KMALLOC_MAX_SIZE,
                Errno::E2BIG,
                "value_size too large",
            )
        }
        RingBuf => {
            fail(fl & !BPF_F_NUMA_NODE != 0, Errno::EINVAL, "bad map_flags")?;
            fail(
                ks != 0 || vs != 0,
                Errno::EINVAL,
                "key_size and value_size must be 0",
            )?;
            fail(
                !me.is_power_of_two() || me % PAGE_SIZE != 0,
                Errno::EINVAL,
                "max_entries must be a power of 2 and a multiple of 4096",
            )
        }
        DevMap | DevMapHash => {
            fail(me == 0, Errno::EINVAL, "max_entries must be > 0")?;
            fail(ks != 4, Errno::EINVAL, "key_size must be 4")?;
            fail(
                vs != 4 && vs != 8,
                Errno::EINVAL,
                "value_size must be 4 or 8",
            )?;
            fail(fl & !DEV_FLAGS != 0, Errno::EINVAL, "bad map_flags")?;
            fail(
                def.map_type == DevMapHash && me > 1 << 31,
                Errno::EINVAL,
                "max_entries too large",
            )
        }
        CpuMap => {
            fail(me == 0, Errno::EINVAL, "max_entries must be > 0")?;
            fail(ks != 4, Errno::EINVAL, "key_size must be 4")?;
            fail(
                vs != 4 && vs != 8,
                Errno::EINVAL,
                "value_size must be 4 or 8",
            )?;
            fail(fl & !BPF_F_NUMA_NODE != 0, Errno::EINVAL, "bad map_flags")?;
            fail(
                me > NR_CPUS,
                Errno::E2BIG,
                "max_entries larger than NR_CPUS",
            )
        }
        XskMap => {
            fail(me == 0, Errno::EINVAL, "max_entries must be > 0")?;
            fail(ks != 4, Errno::EINVAL, "key_size must be 4")?;
            fail(vs != 4, Errno::EINVAL, "value_size must be 4")?;
            fail(fl & !DEV_FLAGS != 0, Errno::EINVAL, "bad map_flags")
        }
        _ => Err((Errno::EINVAL, "unsupported map type")),
    }
}

/// `array_map_alloc_check()`.
fn check_array(def: &MapDef) -> Result<(), Refusal> {
    let percpu = def.map_type == MapType::PercpuArray;
    let fl = def.map_flags;
    fail(
        def.max_entries == 0,
        Errno::EINVAL,
        "max_entries must be > 0",
    )?;
    fail(def.key_size != 4, Errno::EINVAL, "key_size must be 4")?;
    fail(def.value_size == 0, Errno::EINVAL, "value_size must be > 0")?;
    fail(
        fl & !ARRAY_FLAGS != 0 || !access_ok(fl),
        Errno::EINVAL,
        "bad map_flags",
    )?;
    fail(
        percpu && fl & BPF_F_NUMA_NODE != 0,
        Errno::EINVAL,
        "per-CPU maps take no NUMA node",
    )?;
    fail(
        def.map_type != MapType::Array && fl & (BPF_F_MMAPABLE | BPF_F_INNER_MAP) != 0,
        Errno::EINVAL,
        "BPF_F_MMAPABLE and BPF_F_INNER_MAP are for plain arrays",
    )?;
    fail(
        def.map_type != MapType::PerfEventArray && fl & BPF_F_PRESERVE_ELEMS != 0,
        Errno::EINVAL,
        "BPF_F_PRESERVE_ELEMS is for perf event arrays",
    )?;
    fail(
        def.value_size > i32::MAX as u32,
        Errno::E2BIG,
        "value_size too large",
    )?;
    fail(
        percpu && round8(def.value_size) > PCPU_MIN_UNIT_SIZE,
        Errno::E2BIG,
        "per-CPU value_size larger than 32 KiB",
    )
}

/// `htab_map_alloc_check()` and the limits of `htab_map_alloc()`.
fn check_htab(def: &MapDef) -> Result<(), Refusal> {
    use MapType::*;
    let t = def.map_type;
    let percpu = matches!(t, PercpuHash | LruPercpuHash);
    let lru = matches!(t, LruHash | LruPercpuHash);
    let fl = def.map_flags;
    fail(
        fl & !HTAB_FLAGS != 0 || !access_ok(fl),
        Errno::EINVAL,
        "bad map_flags",
    )?;
    fail(
        !lru && fl & BPF_F_NO_COMMON_LRU != 0,
        Errno::EINVAL,
        "BPF_F_NO_COMMON_LRU is for LRU maps",
    )?;
    fail(
        lru && fl & BPF_F_NO_PREALLOC != 0,
        Errno::ENOTSUPP,
        "LRU maps are always preallocated",
    )?;
    fail(
        fl & BPF_F_NUMA_NODE != 0 && (percpu || fl & BPF_F_NO_COMMON_LRU != 0),
        Errno::EINVAL,
        "per-CPU maps take no NUMA node",
    )?;
    fail(
        def.max_entries == 0,
        Errno::EINVAL,
        "max_entries must be > 0",
    )?;
    fail(def.key_size == 0, Errno::EINVAL, "key_size must be > 0")?;
    fail(def.value_size == 0, Errno::EINVAL, "value_size must be > 0")?;
    fail(
        u64::from(def.key_size) + u64::from(def.value_size) >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE,
        Errno::E2BIG,
        "key_size + value_size too large",
    )?;
    fail(
        percpu && round8(def.value_size) > PCPU_MIN_UNIT_SIZE,
        Errno::E2BIG,
        "per-CPU value_size larger than 32 KiB",
    )?;
    fail(
        def.max_entries > 1 << 31,
        Errno::E2BIG,
        "max_entries larger than 2^31",
    )
}

/// `bpf_map_meta_alloc()`: the inner map of a map-in-map, given as a definition.
fn check_inner(def: &MapDef, ncpus: usize) -> Result<(), MapError> {
    let Some(inner) = &def.inner else {
        // No inner_map_fd: the kernel fails to find a map behind fd 0.
        return Err(refused(
            def,
            (Errno::EINVAL, "map-in-map needs an inner map definition"),
        ));
    };
    check(inner, ncpus).map_err(|e| MapError::Create {
        name: def.name.clone(),
        errno: e.errno(),
        reason: format!("inner map: {e}"),
    })?;
    let r = match inner.map_type {
        MapType::ArrayOfMaps | MapType::HashOfMaps => {
            Err((Errno::EINVAL, "inner map is a map-in-map"))
        }
        // No map_meta_equal for program arrays (confirmed: ENOTSUPP on 6.18; cpumaps, which
        // 6.12 also refused, are accepted there).
        MapType::ProgArray => Err((Errno::ENOTSUPP, "a program array cannot be an inner map")),
        _ => Ok(()),
    };
    r.map_err(|r| refused(def, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn def(t: MapType, ks: u32, vs: u32, me: u32, flags: u32) -> MapDef {
        MapDef {
            name: "m".into(),
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

    fn errno(t: MapType, ks: u32, vs: u32, me: u32, flags: u32) -> Option<Errno> {
        match check(&def(t, ks, vs, me, flags), 2) {
            Ok(()) => None,
            Err(e) => Some(e.errno()),
        }
    }

    /// Every row was run through `bpf(BPF_MAP_CREATE)` on the 6.18 kernel of this project's
    /// machine; the expected errno is what it returned.
    #[test]
    fn creation_matrix_matches_the_kernel() {
        use Errno::*;
        use MapType::*;
        /// Type, key_size, value_size, max_entries, map_flags, expected errno.
        type Row = (MapType, u32, u32, u32, u32, Option<Errno>);
        let rows: &[Row] = &[
            (Array, 4, 8, 4, 0, None),
            (Array, 8, 8, 4, 0, Some(EINVAL)),
            (Array, 4, 0, 4, 0, Some(EINVAL)),
            (Array, 4, 8, 0, 0, Some(EINVAL)),
            (Array, 4, 8, 4, BPF_F_NO_PREALLOC, Some(EINVAL)),
            (Array, 4, 8, 4, BPF_F_MMAPABLE, None),
            (
                Array,
                4,
                8,
                4,
                BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG,
                Some(EINVAL),
            ),
            (Array, 4, 1 << 31, 1, 0, Some(E2BIG)),
            (PercpuArray, 4, 32768, 4, 0, None),
            (PercpuArray, 4, 32769, 4, 0, Some(E2BIG)),
            (PercpuArray, 4, 8, 4, BPF_F_MMAPABLE, Some(EINVAL)),
            (Hash, 0, 8, 4, 0, Some(EINVAL)),
            (Hash, 4, 0, 4, 0, Some(EINVAL)),
            (Hash, 4, 8, 0, 0, Some(EINVAL)),
            (Hash, 4, 8, 4, BPF_F_NO_COMMON_LRU, Some(EINVAL)),
            (Hash, 4, 8, 4, BPF_F_NO_PREALLOC, None),
            (Hash, 4, 4194251, 1, 0, None),
            (Hash, 4, 4194252, 1, 0, Some(E2BIG)),
            (Hash, 4, 4, (1 << 31) + 1, 0, Some(E2BIG)),
            (PercpuHash, 4, 32769, 1, 0, Some(E2BIG)),
            (LruHash, 4, 8, 4, BPF_F_NO_PREALLOC, Some(ENOTSUPP)),
            (LruHash, 4, 8, 4, BPF_F_NO_COMMON_LRU, None),
            (LpmTrie, 8, 8, 4, 0, Some(EINVAL)),
            (LpmTrie, 4, 8, 4, BPF_F_NO_PREALLOC, Some(EINVAL)),
            (LpmTrie, 5, 8, 4, BPF_F_NO_PREALLOC, None),
            (LpmTrie, 260, 8, 4, BPF_F_NO_PREALLOC, None),
            (LpmTrie, 261, 8, 4, BPF_F_NO_PREALLOC, Some(EINVAL)),
            (LpmTrie, 8, 0, 4, BPF_F_NO_PREALLOC, Some(EINVAL)),
            (LpmTrie, 8, 4194024, 1, BPF_F_NO_PREALLOC, None),
            (LpmTrie, 8, 4194025, 1, BPF_F_NO_PREALLOC, Some(EINVAL)),
            (RingBuf, 0, 0, 4096, 0, None),
            (RingBuf, 4, 0, 8192, 0, Some(EINVAL)),
            (RingBuf, 0, 0, 2048, 0, Some(EINVAL)),
            (RingBuf, 0, 0, 12288, 0, Some(EINVAL)),
            (RingBuf, 0, 0, 4096, BPF_F_NO_PREALLOC, Some(EINVAL)),
            (RingBuf, 0, 0, 4096, BPF_F_NUMA_NODE, None),
            (Queue, 4, 8, 4, 0, Some(EINVAL)),
            (Queue, 0, 8, 4, 0, None),
            (Queue, 0, 0, 4, 0, Some(EINVAL)),
            (Queue, 0, 8, 0, 0, Some(EINVAL)),
            (Queue, 0, 8, 4, BPF_F_NO_PREALLOC, Some(EINVAL)),
            (Queue, 0, (1 << 22) + 1, 1, 0, Some(E2BIG)),
            (Stack, 0, 1 << 22, 1, 0, None),
            (ProgArray, 4, 8, 4, 0, Some(EINVAL)),
            (ProgArray, 4, 4, 4, 0, None),
            (ProgArray, 4, 4, 4, BPF_F_RDONLY_PROG, Some(EINVAL)),
            (PerfEventArray, 4, 8, 4, 0, Some(EINVAL)),
            (PerfEventArray, 8, 4, 4, 0, Some(EINVAL)),
            (PerfEventArray, 4, 4, 4, BPF_F_PRESERVE_ELEMS, None),
            (DevMap, 4, 4, 4, 0, None),
            (DevMap, 4, 8, 4, 0, None),
            (DevMap, 4, 6, 4, 0, Some(EINVAL)),
            (DevMap, 4, 12, 4, 0, Some(EINVAL)),
            (DevMap, 8, 4, 4, 0, Some(EINVAL)),
            (DevMap, 4, 4, 4, BPF_F_NO_PREALLOC, Some(EINVAL)),
            (DevMapHash, 4, 8, 4, 0, None),
            (CpuMap, 4, 4, 256, 0, None),
            (CpuMap, 4, 8, 257, 0, Some(E2BIG)),
            (XskMap, 4, 4, 4, 0, None),
            (XskMap, 4, 8, 4, 0, Some(EINVAL)),
            (ArrayOfMaps, 4, 4, 4, 0, Some(EINVAL)),
            (HashOfMaps, 4, 4, 4, 0, Some(EINVAL)),
            (Unspec, 4, 4, 4, 0, Some(EINVAL)),
            (Other(99), 4, 4, 4, 0, Some(EINVAL)),
        ];
        for &(t, ks, vs, me, fl, want) in rows {
            assert_eq!(
                errno(t, ks, vs, me, fl),
                want,
                "{t} ks={ks} vs={vs} me={me} fl={fl:#x}"
            );
        }
    }

    #[test]
    fn inner_maps() {
        let mut outer = def(MapType::ArrayOfMaps, 4, 4, 4, 0);
        outer.inner = Some(Box::new(def(MapType::Array, 4, 8, 4, 0)));
        assert!(check(&outer, 2).is_ok());
        outer.inner = Some(Box::new(def(MapType::ProgArray, 4, 4, 4, 0)));
        assert_eq!(
            check(&outer, 2).err().map(|e| e.errno()),
            Some(Errno::ENOTSUPP)
        );
        outer.inner = Some(Box::new(def(MapType::ArrayOfMaps, 4, 4, 4, 0)));
        assert_eq!(
            check(&outer, 2).err().map(|e| e.errno()),
            Some(Errno::EINVAL)
        );
        outer.inner = Some(Box::new(def(MapType::CpuMap, 4, 4, 4, 0)));
        assert!(check(&outer, 2).is_ok());
        outer.inner = Some(Box::new(def(MapType::Array, 4, 0, 4, 0)));
        assert_eq!(
            check(&outer, 2).err().map(|e| e.errno()),
            Some(Errno::EINVAL)
        );
    }

    #[test]
    fn unsupported_types_say_so() {
        let e = check(&def(MapType::SockMap, 4, 4, 4, 0), 2).err();
        assert!(matches!(e, Some(MapError::Unsupported { .. })));
        assert!(e.is_some_and(|e| e.to_string().contains("unsupported map type sockmap")));
    }
}
