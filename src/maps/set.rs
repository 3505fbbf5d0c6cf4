//! [`MapSet`]: the maps of one loaded object, indexed like the object's map definitions, each
//! with a stable address that programs receive for it (the value of a map relocation).

use super::arena::ValueRegion;
use super::def::MapType;
use super::def::{MapDef, MapOrigin};
use super::errno::{Errno, MapError};
use super::map::{InnerMeta, Map, Peer};

/// How maps are created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapSetConfig {
    /// Possible CPUs: per-CPU maps hold this many copies of each value, cpumaps accept keys
    /// below it.
    pub ncpus: usize,
    /// The most memory all maps of the set may take together, in bytes, as the kernel's
    /// memory cgroup limit would: creating a map beyond it fails with `ENOMEM`. Counted as
    /// `max_entries * (key_size + value_size * copies)` (per-CPU maps keep one copy per CPU;
    /// ring buffers count their data pages), before any element exists.
    pub max_memory: u64,
}

/// The default [`MapSetConfig::max_memory`]: 1 GiB.
pub const DEFAULT_MAX_MAP_MEMORY: u64 = 1 << 30;

impl Default for MapSetConfig {
    fn default() -> Self {
        MapSetConfig {
            ncpus: 2,
            max_memory: DEFAULT_MAX_MAP_MEMORY,
        }
    }
}

/// All maps of one object. The maps sit in one heap buffer that is never grown or shrunk after
/// creation, so [`MapSet::map_ptr`] (a map's address there) identifies it for the set's whole
/// life, even when the set itself moves.
#[derive(Debug)]
pub struct MapSet {
    maps: Vec<Map>,
    config: MapSetConfig,
}

impl MapSet {
    /// Creates every map of `defs` (failing on the first that `BPF_MAP_CREATE` would refuse),
    /// writes global-data maps' initial bytes into element 0, freezes the read-only ones
    /// (`.rodata`, as libbpf does), and lets map-in-maps refer to the other maps by index.
    pub fn new(defs: &[MapDef], config: MapSetConfig) -> Result<MapSet, MapError> {
        let mut maps = Vec::with_capacity(defs.len());
        let mut charged = 0u64;
        for def in defs {
            charged = charged.saturating_add(charge(def, config.ncpus));
            if charged > config.max_memory {
                return Err(MapError::Create {
                    name: def.name.clone(),
                    errno: Errno::ENOMEM,
                    reason: format!(
                        "the maps need {charged} bytes, more than the {}-byte map memory limit \
                         (MapSetConfig::max_memory)",
                        config.max_memory
                    ),
                });
            }
            let mut map = Map::new(def, config.ncpus)?;
            let global = matches!(def.origin, MapOrigin::GlobalData { .. });
            if global || !def.initial.is_empty() {
                map.write_initial(&def.initial)
                    .map_err(|errno| MapError::Create {
                        name: def.name.clone(),
                        errno,
                        reason: format!(
                            "{} bytes of initial data do not fit a {}-byte array value",
                            def.initial.len(),
                            def.value_size
                        ),
                    })?;
            }
            if def.read_only {
                map.freeze();
            }
            maps.push(map);
        }
        let peers: Vec<Peer> = maps
            .iter()
            .map(|m| Peer {
                ptr: m as *const Map as u64,
                meta: InnerMeta::of(m.def()),
            })
            .collect();
        for m in maps.iter_mut().filter(|m| m.is_map_in_map()) {
            m.set_peers(peers.clone());
        }
        Ok(MapSet { maps, config })
    }

    pub fn config(&self) -> MapSetConfig {
        self.config
    }

    pub fn len(&self) -> usize {
        self.maps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&Map> {
        self.maps.get(i)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Map> {
        self.maps.get_mut(i)
    }

    /// The map called `name` (the first, should two share a name).
    pub fn by_name(&self, name: &str) -> Option<&Map> {
        self.index_of(name).and_then(|i| self.get(i))
    }

    pub fn by_name_mut(&mut self, name: &str) -> Option<&mut Map> {
        self.index_of(name).and_then(|i| self.get_mut(i))
    }

    /// The index of the map called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.name() == name)
    }

    /// The address that identifies map `i` (what `lddw rX, map` loads): unique and stable while
    /// the set lives, never to be dereferenced by programs (it lies in no value region). 0 if
    /// there is no map `i`.
    pub fn map_ptr(&self, i: usize) -> u64 {
        self.maps
            .get(i)
            .map(|m| m as *const Map as u64)
            .unwrap_or(0)
    }

    /// The map whose [`MapSet::map_ptr`] is `addr`.
    pub fn index_of_ptr(&self, addr: u64) -> Option<usize> {
        (0..self.maps.len()).find(|&i| self.map_ptr(i) == addr)
    }

    /// The value regions of every map.
    pub fn value_regions(&self) -> Vec<ValueRegion> {
        self.maps.iter().flat_map(|m| m.value_regions()).collect()
    }

    /// The value regions of every map, each with its map's index (to name the region).
    pub fn regions_by_map(&self) -> Vec<(usize, ValueRegion)> {
        self.maps
            .iter()
            .enumerate()
            .flat_map(|(i, m)| m.value_regions().into_iter().map(move |r| (i, r)))
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Map> {
        self.maps.iter()
    }
}

/// What one map counts against [`MapSetConfig::max_memory`].
fn charge(def: &MapDef, ncpus: usize) -> u64 {
    let copies = match def.map_type {
        MapType::PercpuArray
        | MapType::PercpuHash
        | MapType::LruPercpuHash
        | MapType::PercpuCgroupStorage => ncpus.max(1) as u64,
        _ => 1,
    };
    if def.map_type == MapType::RingBuf || def.map_type == MapType::UserRingBuf {
        return u64::from(def.max_entries);
    }
    u64::from(def.max_entries).saturating_mul(
        u64::from(def.key_size).saturating_add(u64::from(def.value_size).saturating_mul(copies)),
    )
}
