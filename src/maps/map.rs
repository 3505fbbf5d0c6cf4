//! [`Map`]: one simulated map, created from a [`MapDef`] with `BPF_MAP_CREATE`'s checks, and its
//! two faces — the program side (what helpers call, with the current CPU) and the user side
//! (what the `bpf()` syscall offers: copies in and out, per-CPU values for all CPUs, access
//! flags and freezing).

use super::arena::ValueRegion;
use super::array::ArrayMap;
use super::check;
use super::def::*;
use super::errno::{Errno, MapError};
use super::fdarray::{SlotArray, SlotKind};
use super::flags::{BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST};
use super::hash::{HashKind, HashTable};
use super::lpm::LpmTrie;
use super::perf::{PerfEvent, PerfEventArray};
use super::queue::QueueStack;
use super::ringbuf::RingBuf;
use super::value::{Lock, key_index};

/// What the kernel compares when a map is stored into a map-in-map (`bpf_map_meta_equal`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InnerMeta {
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    map_flags: u32,
    max_entries: u32,
}

impl InnerMeta {
    pub(crate) fn of(def: &MapDef) -> InnerMeta {
        InnerMeta {
            map_type: def.map_type,
            key_size: def.key_size,
            value_size: def.value_size,
            map_flags: def.map_flags,
            max_entries: def.max_entries,
        }
    }

    /// Whether a map of `self` may be stored in a map-in-map declared with inner `want`
    /// (`array_map_meta_equal` also compares `max_entries` unless `BPF_F_INNER_MAP`;
    /// `xsk_map_meta_equal` always does).
    fn fits(&self, want: &InnerMeta) -> bool {
        let same = self.map_type == want.map_type
            && self.key_size == want.key_size
            && self.value_size == want.value_size
            && self.map_flags == want.map_flags;
        let entries = match want.map_type {
            MapType::Array => want.map_flags & BPF_F_INNER_MAP != 0,
            MapType::XskMap => false,
            _ => true,
        } || self.max_entries == want.max_entries;
        same && entries
    }
}

/// Another map of the same set, as a map-in-map sees it.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub(crate) ptr: u64,
    pub(crate) meta: InnerMeta,
}

#[derive(Debug)]
enum Store {
    Array(ArrayMap),
    Hash(HashTable),
    Lpm(LpmTrie),
    Queue(QueueStack),
    RingBuf(RingBuf),
    Perf(PerfEventArray),
    Slots(SlotArray),
    HashOfMaps(HashTable),
    DevHash(HashTable),
}

/// One simulated map. Values live in storage allocated once at creation: addresses returned by
/// [`Map::lookup`] stay valid (and keep pointing at the same element while it is not updated
/// or deleted) for the map's whole life.
#[derive(Debug)]
pub struct Map {
    def: MapDef,
    ncpus: usize,
    frozen: bool,
    lock: Lock,
    inner: Option<InnerMeta>,
    peers: Vec<Peer>,
    store: Store,
}

/// The definition as the kernel keeps it after creation: LRU maps with per-CPU lists round
/// `max_entries` to a multiple of the CPU count; devmaps are read-only for programs.
pub(crate) fn normalized(def: &MapDef, ncpus: usize) -> MapDef {
    let mut d = def.clone();
    let lru = matches!(d.map_type, MapType::LruHash | MapType::LruPercpuHash);
    if lru && d.map_flags & BPF_F_NO_COMMON_LRU != 0 {
        let n = ncpus.max(1) as u64;
        let me = u64::from(d.max_entries);
        let up = me.div_ceil(n) * n;
        d.max_entries = u32::try_from(up).unwrap_or((me / n * n) as u32);
    }
    if matches!(d.map_type, MapType::DevMap | MapType::DevMapHash) {
        d.map_flags |= BPF_F_RDONLY_PROG;
    }
    d
}

impl Map {
    /// Creates a map as `BPF_MAP_CREATE` would on a machine with `ncpus` possible CPUs.
    pub fn new(def: &MapDef, ncpus: usize) -> Result<Map, MapError> {
        let refuse = |errno, reason: &str| MapError::Create {
            name: def.name.clone(),
            errno,
            reason: reason.to_string(),
        };
        if ncpus == 0 {
            return Err(refuse(Errno::EINVAL, "the CPU count must be at least 1"));
        }
        check::check(def, ncpus)?;
        let d = normalized(def, ncpus);
        let nomem = |e: Errno| refuse(e, "cannot allocate the map's memory");
        let (ks, vs, me) = (d.key_size, d.value_size, d.max_entries);
        let hash = |kind| {
            let per_cpu_lru = d.map_flags & BPF_F_NO_COMMON_LRU != 0;
            HashTable::new(kind, ks, vs, me, ncpus, per_cpu_lru)
        };
        let store = match d.map_type {
            MapType::Array => Store::Array(ArrayMap::new(me, vs, false, ncpus).map_err(nomem)?),
            MapType::PercpuArray => {
                Store::Array(ArrayMap::new(me, vs, true, ncpus).map_err(nomem)?)
            }
            MapType::Hash => Store::Hash(hash(HashKind::Plain).map_err(nomem)?),
            MapType::PercpuHash => Store::Hash(hash(HashKind::Percpu).map_err(nomem)?),
            MapType::LruHash => Store::Hash(hash(HashKind::Lru).map_err(nomem)?),
            MapType::LruPercpuHash => Store::Hash(hash(HashKind::LruPercpu).map_err(nomem)?),
            MapType::HashOfMaps => Store::HashOfMaps(hash(HashKind::Plain).map_err(nomem)?),
            // Stack ids → instruction pointers, filled by bpf_get_stackid. Kept as a hash
            // table (only ids in use are present); programs cannot look it up.
            MapType::StackTrace => Store::Hash(hash(HashKind::Plain).map_err(nomem)?),
            MapType::DevMapHash => Store::DevHash(hash(HashKind::Plain).map_err(nomem)?),
            MapType::LpmTrie => Store::Lpm(LpmTrie::new(ks, vs, me).map_err(nomem)?),
            MapType::Queue => Store::Queue(QueueStack::new(false, vs, me).map_err(nomem)?),
            MapType::Stack => Store::Queue(QueueStack::new(true, vs, me).map_err(nomem)?),
            MapType::RingBuf => Store::RingBuf(RingBuf::new(me).map_err(nomem)?),
            MapType::PerfEventArray => Store::Perf(PerfEventArray::new(me)),
            t => {
                let kind = match t {
                    // A cgroup array holds ids the way a program array does (the kernel
                    // stores cgroups opened by fd; here the user stores cgroup ids).
                    MapType::ProgArray | MapType::CgroupArray => SlotKind::Prog,
                    MapType::ArrayOfMaps => SlotKind::Maps,
                    MapType::DevMap => SlotKind::Dev,
                    MapType::CpuMap => SlotKind::Cpu,
                    MapType::XskMap => SlotKind::Xsk,
                    _ => {
                        return Err(MapError::Unsupported {
                            name: def.name.clone(),
                            map_type: t,
                        });
                    }
                };
                Store::Slots(SlotArray::new(kind, me, vs).map_err(nomem)?)
            }
        };
        let inner = d
            .inner
            .as_deref()
            .map(|i| InnerMeta::of(&normalized(i, ncpus)));
        Ok(Map {
            def: d,
            ncpus,
            frozen: false,
            lock: Lock::default(),
            inner,
            peers: Vec::new(),
            store,
        })
    }

    /// The definition as created (see [`MapDef`]; LRU maps with per-CPU lists have their
    /// `max_entries` rounded to a multiple of the CPU count, devmaps carry
    /// `BPF_F_RDONLY_PROG`, as the kernel reports them).
    pub fn def(&self) -> &MapDef {
        &self.def
    }

    pub fn name(&self) -> &str {
        &self.def.name
    }

    pub fn map_type(&self) -> MapType {
        self.def.map_type
    }

    /// The number of possible CPUs (per-CPU values have this many copies).
    pub fn ncpus(&self) -> usize {
        self.ncpus
    }

    /// Where programs may access this map's values (see [`ValueRegion`]). Read-only for
    /// `.rodata` (`MapDef::read_only`), `BPF_F_RDONLY_PROG` maps and devmaps.
    pub fn value_regions(&self) -> Vec<ValueRegion> {
        let writable = !self.def.read_only && self.def.map_flags & BPF_F_RDONLY_PROG == 0;
        match &self.store {
            Store::Array(a) => a.regions(writable),
            Store::Hash(h) => h.regions(writable),
            Store::Lpm(t) => t.regions(writable),
            Store::RingBuf(r) => r.regions(),
            Store::Slots(s) => s.regions(),
            Store::DevHash(h) => h.regions(false),
            Store::Queue(_) | Store::Perf(_) | Store::HashOfMaps(_) => Vec::new(),
        }
    }

    /// The pointer of the map stored in a map-in-map slot.
    fn peer_ptr(&self, index: u32) -> Option<u64> {
        self.peers.get(index as usize).map(|p| p.ptr)
    }

    // ---- program side ----

    /// `bpf_map_lookup_elem` from a program on CPU `cpu`: the address of the value (this CPU's
    /// copy for per-CPU maps; the inner map's pointer for map-in-maps; the read-only entry of a
    /// devmap, cpumap or xskmap), or `None`. LRU elements found become the most recently used.
    /// Queues, stacks, ring buffers, perf event arrays and program arrays give `None`.
    pub fn lookup(&mut self, key: &[u8], cpu: usize) -> Option<u64> {
        match &mut self.store {
            Store::Array(a) => a.lookup(key, cpu),
            Store::Hash(h) => h.lookup(key, cpu),
            Store::Lpm(t) => t.lookup(key),
            Store::Slots(s) => match s.lookup(key) {
                Some(addr) => Some(addr),
                None => {
                    let idx = s.entry(key_index(key)?)?;
                    (self.def.map_type == MapType::ArrayOfMaps)
                        .then(|| self.peer_ptr(idx))
                        .flatten()
                }
            },
            Store::HashOfMaps(h) => {
                let idx = h.read_u32(key)?;
                self.peer_ptr(idx)
            }
            Store::DevHash(h) => h.lookup(key, 0),
            Store::Queue(_) | Store::RingBuf(_) | Store::Perf(_) => None,
        }
    }

    /// `bpf_map_update_elem` from a program on CPU `cpu` (`BPF_ANY`/`BPF_NOEXIST`/`BPF_EXIST`,
    /// plus `BPF_F_LOCK` for arrays and hashes whose value has a spin lock). Per-CPU maps write
    /// only this CPU's copy (a new per-CPU hash element has the other copies zeroed).
    pub fn update(
        &mut self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: usize,
    ) -> Result<(), Errno> {
        match &mut self.store {
            Store::Array(a) => a.update(key, value, flags, cpu, self.lock),
            Store::Hash(h) => h.update(key, value, flags, cpu, false, self.lock),
            Store::Lpm(t) => t.update(key, value, flags),
            Store::Queue(_) => Err(Errno::EINVAL),
            Store::RingBuf(_) => Err(Errno::ENOTSUPP),
            _ => self.update_refs(key, value, flags),
        }
    }

    /// `bpf_map_delete_elem`: arrays refuse (`EINVAL`), a missing key is `ENOENT`.
    pub fn delete(&mut self, key: &[u8]) -> Result<(), Errno> {
        match &mut self.store {
            Store::Array(_) | Store::Queue(_) => Err(Errno::EINVAL),
            Store::Hash(h) | Store::HashOfMaps(h) | Store::DevHash(h) => h.delete(key),
            Store::Lpm(t) => t.delete(key),
            Store::RingBuf(_) => Err(Errno::ENOTSUPP),
            Store::Perf(p) => p.delete(key),
            Store::Slots(s) => s.delete(key),
        }
    }

    /// `bpf_map_push_elem` (queue/stack): a full map is `E2BIG` unless `BPF_EXIST`, which drops
    /// the oldest element.
    pub fn push(&mut self, value: &[u8], flags: u64) -> Result<(), Errno> {
        match &mut self.store {
            Store::Queue(q) => q.push(value, flags),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_map_pop_elem`: `ENOENT` (and `out` zeroed) when empty.
    pub fn pop(&mut self, out: &mut [u8]) -> Result<(), Errno> {
        match &mut self.store {
            Store::Queue(q) => q.pop(out),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_map_peek_elem`.
    pub fn peek(&self, out: &mut [u8]) -> Result<(), Errno> {
        match &self.store {
            Store::Queue(q) => q.peek(out),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_ringbuf_reserve`: the address of `size` writable bytes, or `None`.
    pub fn ringbuf_reserve(&mut self, size: u64, flags: u64) -> Option<u64> {
        match &mut self.store {
            Store::RingBuf(r) => r.reserve(size, flags),
            _ => None,
        }
    }

    /// `bpf_ringbuf_submit` of the record at `addr` (`flags`: the wakeup hints, ignored).
    pub fn ringbuf_submit(&mut self, addr: u64, _flags: u64) -> Result<(), Errno> {
        match &mut self.store {
            Store::RingBuf(r) => r.commit(addr, false),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_ringbuf_discard` of the record at `addr`.
    pub fn ringbuf_discard(&mut self, addr: u64, _flags: u64) -> Result<(), Errno> {
        match &mut self.store {
            Store::RingBuf(r) => r.commit(addr, true),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_ringbuf_output`: `EAGAIN` when there is no room.
    pub fn ringbuf_output(&mut self, data: &[u8], flags: u64) -> Result<(), Errno> {
        match &mut self.store {
            Store::RingBuf(r) => r.output(data, flags),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_ringbuf_query` (`BPF_RB_AVAIL_DATA`, `BPF_RB_RING_SIZE`, `BPF_RB_CONS_POS`,
    /// `BPF_RB_PROD_POS`; anything else is 0).
    pub fn ringbuf_query(&self, flags: u64) -> u64 {
        match &self.store {
            Store::RingBuf(r) => r.query(flags),
            _ => 0,
        }
    }

    /// `bpf_perf_event_output` from CPU `cpu`: `flags & BPF_F_INDEX_MASK` is the slot, or
    /// `BPF_F_CURRENT_CPU` for slot `cpu`. See [`PerfEvent`] and [`Map::set_reader`].
    pub fn perf_output(&mut self, flags: u64, cpu: usize, data: &[u8]) -> Result<(), Errno> {
        match &mut self.store {
            Store::Perf(p) => p.output(flags, cpu, data),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The program stored at `index` of a program array (for tail calls).
    pub fn prog_at(&self, index: u32) -> Option<u32> {
        match &self.store {
            Store::Slots(s) if self.def.map_type == MapType::ProgArray => s.entry(index),
            _ => None,
        }
    }

    /// The index (in the [`MapSet`](super::MapSet)) of the inner map stored under `key` of a
    /// map-in-map.
    pub fn inner_map(&self, key: &[u8]) -> Option<usize> {
        let idx = match &self.store {
            Store::Slots(s) if self.def.map_type == MapType::ArrayOfMaps => {
                s.entry(key_index(key)?)
            }
            Store::HashOfMaps(h) => h.read_u32(key),
            _ => None,
        }?;
        Some(idx as usize)
    }

    // ---- user side ----

    fn can_read(&self) -> Result<(), Errno> {
        if self.def.map_flags & BPF_F_WRONLY != 0 {
            Err(Errno::EPERM)
        } else {
            Ok(())
        }
    }

    fn can_write(&self) -> Result<(), Errno> {
        if self.frozen || self.def.map_flags & BPF_F_RDONLY != 0 {
            Err(Errno::EPERM)
        } else {
            Ok(())
        }
    }

    /// `BPF_MAP_LOOKUP_ELEM`: a copy of the value. Per-CPU maps give every CPU's value, each
    /// rounded up to 8 bytes, CPU 0 first. Queues and stacks peek; program arrays and
    /// map-in-maps give the stored index; ring buffers and perf event arrays are `ENOTSUPP`,
    /// xskmaps `EOPNOTSUPP`.
    pub fn lookup_user(&self, key: &[u8]) -> Result<Vec<u8>, Errno> {
        self.lookup_user_flags(key, 0)
    }

    /// [`Map::lookup_user`] with `BPF_MAP_LOOKUP_ELEM`'s flags (only `BPF_F_LOCK`, which needs
    /// a spin lock in the value).
    pub fn lookup_user_flags(&self, key: &[u8], flags: u64) -> Result<Vec<u8>, Errno> {
        if flags & !BPF_F_LOCK != 0 {
            return Err(Errno::EINVAL);
        }
        self.can_read()?;
        self.lock.check(flags)?;
        match &self.store {
            Store::Array(a) => a.lookup_user(key, self.lock),
            Store::Hash(h) | Store::DevHash(h) => h.lookup_user(key, self.lock),
            Store::Lpm(t) => t.lookup_user(key),
            Store::Queue(q) => {
                let mut out = vec![0; q.value_size()];
                q.peek(&mut out)?;
                Ok(out)
            }
            Store::RingBuf(_) | Store::Perf(_) => Err(Errno::ENOTSUPP),
            Store::Slots(s) => s.lookup_user(key),
            Store::HashOfMaps(h) => h
                .read_u32(key)
                .map(|v| v.to_ne_bytes().to_vec())
                .ok_or(Errno::ENOENT),
        }
    }

    /// `BPF_MAP_UPDATE_ELEM` from user space. Per-CPU maps take every CPU's value, each
    /// rounded up to 8 bytes; queues and stacks push (`key` empty); program arrays take a
    /// program index, map-in-maps the index of a map of the same set (`EBADF` if there is no
    /// such map, `EINVAL` if it does not match the declared inner map), devmaps an ifindex,
    /// cpumaps a queue size. Frozen and `BPF_F_RDONLY` maps refuse (`EPERM`).
    pub fn update_user(&mut self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        self.can_write()?;
        self.lock.check(flags)?;
        match &mut self.store {
            Store::Array(a) => a.update_user(key, value, flags, self.lock),
            Store::Hash(h) => h.update(key, value, flags, 0, true, self.lock),
            Store::Lpm(t) => t.update(key, value, flags),
            Store::Queue(q) => {
                if !key.is_empty() {
                    return Err(Errno::EINVAL);
                }
                q.push(value, flags)
            }
            Store::RingBuf(_) => Err(Errno::ENOTSUPP),
            _ => self.update_refs(key, value, flags),
        }
    }

    /// Updates of maps that hold references (map-in-maps, program arrays, device and CPU maps,
    /// perf event arrays), the same from programs and user space.
    fn update_refs(&mut self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        let is_map_in_map = matches!(
            self.def.map_type,
            MapType::ArrayOfMaps | MapType::HashOfMaps
        );
        if is_map_in_map {
            let idx = key_index(value).ok_or(Errno::EINVAL)?;
            let peer = self.peers.get(idx as usize).ok_or(Errno::EBADF)?;
            if !self.inner.as_ref().is_some_and(|want| peer.meta.fits(want)) {
                return Err(Errno::EINVAL);
            }
        }
        let ncpus = self.ncpus;
        match &mut self.store {
            Store::Slots(s) => s.update(key, value, flags, ncpus),
            Store::Perf(p) => p.update(key, value, flags),
            Store::HashOfMaps(h) => h.update(key, value, flags, 0, false, Lock::default()),
            Store::DevHash(h) => {
                // __dev_map_hash_update_elem(): no BPF_EXIST check, ifindex 0 refused.
                if value.len() != self.def.value_size as usize {
                    return Err(Errno::EINVAL);
                }
                let ifindex = value.get(..4).and_then(key_index).unwrap_or(0);
                if flags > BPF_EXIST || ifindex == 0 {
                    return Err(Errno::EINVAL);
                }
                if flags & BPF_NOEXIST != 0 && h.find(key).is_some() {
                    return Err(Errno::EEXIST);
                }
                h.upsert_in_place(key, value)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// `BPF_MAP_DELETE_ELEM` from user space.
    pub fn delete_user(&mut self, key: &[u8]) -> Result<(), Errno> {
        self.can_write()?;
        self.delete(key)
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: pops a queue or stack (`key` empty), or takes an
    /// element out of a hash, per-CPU hash or LRU hash; `ENOTSUPP` for other types.
    pub fn lookup_and_delete_user(&mut self, key: &[u8]) -> Result<Vec<u8>, Errno> {
        self.can_read()?;
        self.can_write()?;
        match &mut self.store {
            Store::Queue(q) => {
                if !key.is_empty() {
                    return Err(Errno::EINVAL);
                }
                let mut out = vec![0; q.value_size()];
                q.pop(&mut out)?;
                Ok(out)
            }
            Store::Hash(h) => {
                let v = h.lookup_user(key, self.lock)?;
                h.delete(key)?;
                Ok(v)
            }
            _ => Err(Errno::ENOTSUPP),
        }
    }

    /// `BPF_MAP_GET_NEXT_KEY`: the key after `key` (or the first one for `None`). Arrays walk
    /// indices (a missing or out-of-range key restarts at 0); hashes walk keys in insertion
    /// order (a key that is not in the map restarts at the first); LPM tries walk in the
    /// kernel's post-order. Queues and stacks are `EINVAL`, ring buffers `ENOTSUPP`.
    pub fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        self.can_read()?;
        self.next_key(key)
    }

    fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        match &self.store {
            Store::Array(a) => a.get_next_key(key),
            Store::Hash(h) | Store::HashOfMaps(h) | Store::DevHash(h) => h.get_next_key(key),
            Store::Lpm(t) => t.get_next_key(key),
            Store::Queue(_) => Err(Errno::EINVAL),
            Store::RingBuf(_) => Err(Errno::ENOTSUPP),
            Store::Perf(p) => p.get_next_key(key),
            Store::Slots(s) => s.get_next_key(key),
        }
    }

    /// Every key, in [`Map::get_next_key`] order (all indices for array types).
    pub fn keys(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cur: Option<Vec<u8>> = None;
        let limit = self.def.max_entries as usize + 1;
        while out.len() < limit {
            match self.next_key(cur.as_deref()) {
                Ok(k) => {
                    out.push(k.clone());
                    cur = Some(k);
                }
                Err(_) => break,
            }
        }
        out
    }

    /// Every `(key, value)` that [`Map::lookup_user`] can read, in key order.
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.keys()
            .into_iter()
            .filter_map(|k| self.lookup_user(&k).ok().map(|v| (k, v)))
            .collect()
    }

    /// The number of elements present: `max_entries` for arrays, the elements of hashes, tries,
    /// queues and stacks, the occupied slots of reference arrays, the slots with a reader of
    /// perf event arrays; 0 for ring buffers (see [`Map::consume`]).
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Array(_) => self.def.max_entries as usize,
            Store::Hash(h) | Store::HashOfMaps(h) | Store::DevHash(h) => h.len(),
            Store::Lpm(t) => t.len(),
            Store::Queue(q) => q.len(),
            Store::RingBuf(_) => 0,
            Store::Perf(p) => p.len(),
            Store::Slots(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `BPF_MAP_FREEZE`: user space can no longer change the map (programs still can, unless
    /// the map is read-only for them).
    pub fn freeze(&mut self) {
        self.frozen = true;
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// Declares a `struct bpf_spin_lock` at byte `offset` of the value (from BTF), which makes
    /// `BPF_F_LOCK` valid and which copies leave alone. Only arrays and hashes may have one
    /// (`EOPNOTSUPP`); the lock must lie inside the value, 4-byte aligned (`EINVAL`).
    pub fn set_spin_lock(&mut self, offset: Option<u32>) -> Result<(), Errno> {
        if offset.is_some() && !matches!(self.def.map_type, MapType::Array | MapType::Hash) {
            return Err(Errno::EOPNOTSUPP);
        }
        if let Some(off) = offset
            && (off % 4 != 0 || u64::from(off) + 4 > u64::from(self.def.value_size))
        {
            return Err(Errno::EINVAL);
        }
        self.lock = Lock(offset.map(|o| o as usize));
        Ok(())
    }

    /// Ring buffer consumer: the submitted records not yet consumed, oldest first, skipping
    /// discarded ones; stops at the first record still reserved.
    pub fn consume(&mut self) -> Vec<Vec<u8>> {
        match &mut self.store {
            Store::RingBuf(r) => r.consume(),
            _ => Vec::new(),
        }
    }

    /// The samples perf output captured so far, oldest first.
    pub fn perf_events(&self) -> &[PerfEvent] {
        match &self.store {
            Store::Perf(p) => p.events(),
            _ => &[],
        }
    }

    /// Takes the captured samples, leaving none.
    pub fn take_perf_events(&mut self) -> Vec<PerfEvent> {
        match &mut self.store {
            Store::Perf(p) => p.take_events(),
            _ => Vec::new(),
        }
    }

    /// Gives perf event array slot `index` a reader (any CPU) or removes it; `E2BIG` out of
    /// range, `EINVAL` for other map types.
    pub fn set_reader(&mut self, index: u32, present: bool) -> Result<(), Errno> {
        match &mut self.store {
            Store::Perf(p) => p.set_reader(index, present),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Binds perf event array slot `index`'s reader to CPU `cpu` (`None`: any CPU): output from
    /// another CPU is then `EOPNOTSUPP`, as for a kernel perf event opened on one CPU.
    pub fn set_reader_cpu(&mut self, index: u32, cpu: Option<usize>) -> Result<(), Errno> {
        match &mut self.store {
            Store::Perf(p) => p.set_reader_cpu(index, cpu),
            _ => Err(Errno::EINVAL),
        }
    }

    // ---- for MapSet ----

    /// Writes global data's initial bytes into element 0 (`EINVAL` if they do not fit or the
    /// map is not an array).
    pub(crate) fn write_initial(&mut self, bytes: &[u8]) -> Result<(), Errno> {
        match &mut self.store {
            Store::Array(a) if bytes.len() <= self.def.value_size as usize => {
                a.write_initial(bytes);
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    }

    pub(crate) fn set_peers(&mut self, peers: Vec<Peer>) {
        self.peers = peers;
    }

    pub(crate) fn is_map_in_map(&self) -> bool {
        matches!(
            self.def.map_type,
            MapType::ArrayOfMaps | MapType::HashOfMaps
        )
    }
}
