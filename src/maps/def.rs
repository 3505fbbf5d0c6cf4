//! What a map is before it exists: its type and sizes as an object (or a user) declares them.

use std::fmt;

/// Map types, with the kernel's `enum bpf_map_type` numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapType {
    Unspec,
    Hash,
    Array,
    ProgArray,
    PerfEventArray,
    PercpuHash,
    PercpuArray,
    StackTrace,
    CgroupArray,
    LruHash,
    LruPercpuHash,
    LpmTrie,
    ArrayOfMaps,
    HashOfMaps,
    DevMap,
    SockMap,
    CpuMap,
    XskMap,
    SockHash,
    CgroupStorage,
    ReuseportSockarray,
    PercpuCgroupStorage,
    Queue,
    Stack,
    SkStorage,
    DevMapHash,
    StructOps,
    RingBuf,
    InodeStorage,
    TaskStorage,
    BloomFilter,
    UserRingBuf,
    CgrpStorage,
    Arena,
    /// A number this crate does not know.
    Other(u32),
}

const KNOWN: [MapType; 34] = [
    MapType::Unspec,
    MapType::Hash,
    MapType::Array,
    MapType::ProgArray,
    MapType::PerfEventArray,
    MapType::PercpuHash,
    MapType::PercpuArray,
    MapType::StackTrace,
    MapType::CgroupArray,
    MapType::LruHash,
    MapType::LruPercpuHash,
    MapType::LpmTrie,
    MapType::ArrayOfMaps,
    MapType::HashOfMaps,
    MapType::DevMap,
    MapType::SockMap,
    MapType::CpuMap,
    MapType::XskMap,
    MapType::SockHash,
    MapType::CgroupStorage,
    MapType::ReuseportSockarray,
    MapType::PercpuCgroupStorage,
    MapType::Queue,
    MapType::Stack,
    MapType::SkStorage,
    MapType::DevMapHash,
    MapType::StructOps,
    MapType::RingBuf,
    MapType::InodeStorage,
    MapType::TaskStorage,
    MapType::BloomFilter,
    MapType::UserRingBuf,
    MapType::CgrpStorage,
    MapType::Arena,
];

impl MapType {
    /// From the kernel's `enum bpf_map_type` number.
    pub fn from_u32(n: u32) -> MapType {
        KNOWN.get(n as usize).copied().unwrap_or(MapType::Other(n))
    }

    /// The kernel's `enum bpf_map_type` number.
    pub fn as_u32(self) -> u32 {
        match self {
            MapType::Other(n) => n,
            t => KNOWN.iter().position(|k| *k == t).unwrap_or(0) as u32,
        }
    }

    /// bpftool's name for the type (`hash`, `array`, `percpu_array`, `ringbuf`, ...).
    pub fn name(self) -> String {
        let s = match self {
            MapType::Unspec => "unspec",
            MapType::Hash => "hash",
            MapType::Array => "array",
            MapType::ProgArray => "prog_array",
            MapType::PerfEventArray => "perf_event_array",
            MapType::PercpuHash => "percpu_hash",
            MapType::PercpuArray => "percpu_array",
            MapType::StackTrace => "stack_trace",
            MapType::CgroupArray => "cgroup_array",
            MapType::LruHash => "lru_hash",
            MapType::LruPercpuHash => "lru_percpu_hash",
            MapType::LpmTrie => "lpm_trie",
            MapType::ArrayOfMaps => "array_of_maps",
            MapType::HashOfMaps => "hash_of_maps",
            MapType::DevMap => "devmap",
            MapType::SockMap => "sockmap",
            MapType::CpuMap => "cpumap",
            MapType::XskMap => "xskmap",
            MapType::SockHash => "sockhash",
            MapType::CgroupStorage => "cgroup_storage",
            MapType::ReuseportSockarray => "reuseport_sockarray",
            MapType::PercpuCgroupStorage => "percpu_cgroup_storage",
            MapType::Queue => "queue",
            MapType::Stack => "stack",
            MapType::SkStorage => "sk_storage",
            MapType::DevMapHash => "devmap_hash",
            MapType::StructOps => "struct_ops",
            MapType::RingBuf => "ringbuf",
            MapType::InodeStorage => "inode_storage",
            MapType::TaskStorage => "task_storage",
            MapType::BloomFilter => "bloom_filter",
            MapType::UserRingBuf => "user_ringbuf",
            MapType::CgrpStorage => "cgrp_storage",
            MapType::Arena => "arena",
            MapType::Other(n) => return format!("type_{n}"),
        };
        s.to_string()
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Where a map's definition came from (what error messages and `inspect` report).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapOrigin {
    /// A BTF-defined map in `.maps`.
    Btf,
    /// A legacy `struct bpf_map_def` (or iproute2 `struct bpf_elf_map`) in `maps`/`maps/*`.
    Legacy,
    /// Global data: `.data`, `.rodata*`, `.bss` (and `.data.*`, `.kconfig`), an array map of
    /// one element holding the section's bytes.
    GlobalData { section: String },
    /// Made by the user (library API or CLI).
    User,
}

/// A map as declared: the arguments of `BPF_MAP_CREATE`, plus its initial contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    pub name: String,
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// `BPF_F_*` creation flags (`BPF_F_NO_PREALLOC`, `BPF_F_RDONLY_PROG`, `BPF_F_MMAPABLE`, ...).
    pub map_flags: u32,
    /// For map-in-map types: the inner map's definition (from BTF `values` or iproute2's
    /// `inner_id`/`inner_idx`), when the object gives it.
    pub inner: Option<Box<MapDef>>,
    /// Initial value bytes of global-data maps (element 0); empty otherwise.
    pub initial: Vec<u8>,
    /// Read-only for the program (`.rodata`: `BPF_F_RDONLY_PROG`, frozen).
    pub read_only: bool,
    pub origin: MapOrigin,
}

/// `BPF_F_NO_PREALLOC`.
pub const BPF_F_NO_PREALLOC: u32 = 1 << 0;
/// `BPF_F_NO_COMMON_LRU`: one LRU list per CPU instead of a shared one.
pub const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
/// `BPF_F_NUMA_NODE`.
pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
/// `BPF_F_RDONLY`: user space may only read.
pub const BPF_F_RDONLY: u32 = 1 << 3;
/// `BPF_F_WRONLY`: user space may only write.
pub const BPF_F_WRONLY: u32 = 1 << 4;
/// `BPF_F_STACK_BUILD_ID`.
pub const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
/// `BPF_F_ZERO_SEED`.
pub const BPF_F_ZERO_SEED: u32 = 1 << 6;
/// `BPF_F_RDONLY_PROG`.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// `BPF_F_WRONLY_PROG`.
pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
/// `BPF_F_CLONE`.
pub const BPF_F_CLONE: u32 = 1 << 9;
/// `BPF_F_MMAPABLE`.
pub const BPF_F_MMAPABLE: u32 = 1 << 10;
/// `BPF_F_PRESERVE_ELEMS` (perf event arrays).
pub const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
/// `BPF_F_INNER_MAP`: an array usable as an inner map whatever its `max_entries`.
pub const BPF_F_INNER_MAP: u32 = 1 << 12;
/// `BPF_F_ACCESS_MASK`: the user and program access flags.
pub const BPF_F_ACCESS_MASK: u32 =
    BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_numbers() {
        assert_eq!(MapType::from_u32(11), MapType::LpmTrie);
        assert_eq!(MapType::from_u32(22), MapType::Queue);
        assert_eq!(MapType::from_u32(27), MapType::RingBuf);
        assert_eq!(MapType::from_u32(33), MapType::Arena);
        assert_eq!(MapType::from_u32(99), MapType::Other(99));
        for n in 0..40 {
            assert_eq!(MapType::from_u32(n).as_u32(), n);
        }
    }
}
