//! Map definitions: legacy `maps`/`maps/*` sections, BTF-defined `.maps`, and global data
//! sections as single-element array maps, in libbpf's order (declared maps first, then global
//! data by section index), plus the lookup tables relocations use to find them.
//!
//! Legacy definitions are told apart by their symbol's size: 20 bytes and less is
//! `struct bpf_map_def` {type, key_size, value_size, max_entries, map_flags}; 28 bytes is either
//! samples/bpf's `bpf_map_def` with `inner_map_idx` and `numa_node` or iproute2's
//! `struct bpf_elf_map` without the inner fields (the sixth word is only read as an inner map
//! index for map-in-map types, where iproute2 would need 36 bytes); 36 bytes and more is
//! iproute2's `struct bpf_elf_map` {type, size_key, size_value, max_elem, flags, id, pinning,
//! inner_id, inner_idx}, whose `inner_id` names another map's `id`.

use std::collections::HashMap;

use super::btf::{BtfKind, BtfTypes};
use super::elf::{Elf, SHT_NOBITS, SHT_PROGBITS, STT_FUNC, STT_SECTION};
use super::error::ObjectError;
use crate::maps::{BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, MapDef, MapOrigin, MapType};

/// Where a map of [`super::Object::maps`] was declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSource {
    /// ELF section of the definition (`maps`, `.maps`, `.rodata`, ...).
    pub section: String,
    /// The symbol naming it (legacy and BTF maps); `None` for global data.
    pub symbol: Option<String>,
    /// Byte offset of the definition in its section.
    pub offset: u64,
    /// BTF type ids of key and value (BTF maps, and global data's DATASEC), 0 when unknown.
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
}

/// Largest global-data section turned into a map (the kernel refuses larger values anyway);
/// guards the allocation of `.bss` contents against absurd `sh_size` values.
const MAX_DATA_SIZE: u64 = 1 << 28;

/// The maps of an object with the relocation lookup tables.
#[derive(Debug, Default)]
pub(crate) struct Maps {
    pub defs: Vec<MapDef>,
    pub sources: Vec<MapSource>,
    /// (section index, offset) → map index, for legacy and BTF maps.
    pub by_symbol: HashMap<(usize, u64), usize>,
    /// section index → map index, for global data.
    pub by_data_section: HashMap<usize, usize>,
    /// The `.kconfig` map's index and each kconfig extern's offset in its value.
    pub kconfig: Option<(usize, HashMap<String, u32>)>,
}

fn is_legacy_maps_section(name: &str) -> bool {
    name == "maps" || name.starts_with("maps/")
}

pub(crate) fn is_maps_section(name: &str) -> bool {
    is_legacy_maps_section(name) || name == ".maps"
}

fn data_kind(name: &str, sh_type: u32) -> Option<bool> {
    let pfx = |p: &str| name == p || name.strip_prefix(p).is_some_and(|r| r.starts_with('.'));
    match sh_type {
        SHT_PROGBITS if pfx(".data") => Some(false),
        SHT_PROGBITS if pfx(".rodata") => Some(true),
        SHT_NOBITS if pfx(".bss") => Some(false),
        _ => None,
    }
}

/// libbpf's `internal_map_name`: up to 15 characters, the object name's start then the
/// section name (at least 7 characters kept for it); a custom `.data.foo` keeps only its own
/// name; characters the kernel refuses become `_`.
pub(crate) fn internal_map_name(obj_name: &str, section: &str) -> String {
    const MAX: usize = 15;
    let sfx_len = section.len().clamp(7, MAX);
    let pfx_len = if section.get(1..).is_some_and(|r| r.contains('.')) {
        0
    } else {
        (MAX - sfx_len).min(obj_name.len())
    };
    let name: String = obj_name
        .chars()
        .take(pfx_len)
        .chain(section.chars().take(sfx_len))
        .take(MAX)
        .collect();
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn word(data: &[u8], i: usize) -> u32 {
    data.get(i * 4..i * 4 + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

struct LegacyRaw {
    words: [u32; 9],
    size: u64,
}

impl Maps {
    pub fn collect(
        elf: &Elf<'_>,
        btf: Option<&BtfTypes>,
        obj_name: &str,
    ) -> Result<Maps, ObjectError> {
        let mut maps = Maps::default();
        maps.collect_legacy(elf)?;
        if let Some(sec) = elf.section_by_name(".maps") {
            let btf = btf.ok_or_else(|| {
                ObjectError::section(".maps", "BTF-defined maps need a .BTF section")
            })?;
            maps.collect_btf(elf, btf, sec.index)?;
        }
        maps.collect_data(elf, btf, obj_name)?;
        if let Some(btf) = btf {
            maps.collect_kconfig(btf, obj_name);
        }
        Ok(maps)
    }

    fn push(&mut self, def: MapDef, src: MapSource, key: Option<(usize, u64)>) -> usize {
        let idx = self.defs.len();
        self.defs.push(def);
        self.sources.push(src);
        if let Some(k) = key {
            self.by_symbol.entry(k).or_insert(idx);
        }
        idx
    }

    fn collect_legacy(&mut self, elf: &Elf<'_>) -> Result<(), ObjectError> {
        let mut raws: Vec<LegacyRaw> = Vec::new();
        let first = self.defs.len();
        for sec in elf
            .sections
            .iter()
            .filter(|s| is_legacy_maps_section(&s.name))
        {
            let mut syms: Vec<_> = elf
                .symbols_in(sec.index)
                .filter(|s| s.kind != STT_SECTION && s.kind != STT_FUNC && !s.name.is_empty())
                .collect();
            syms.sort_by_key(|s| s.value);
            syms.dedup_by_key(|s| s.value);
            if syms.is_empty() {
                continue;
            }
            let data = if sec.sh_type == SHT_NOBITS {
                &[][..]
            } else {
                sec.data
            };
            let count = syms.len() as u64;
            let even = if sec.size % count == 0 {
                Some(sec.size / count)
            } else {
                None
            };
            for sym in syms {
                let size = if sym.size > 0 { Some(sym.size) } else { even }.ok_or_else(|| {
                    ObjectError::map(
                        &sym.name,
                        &sec.name,
                        format!(
                            "symbol has size 0 and the section's {} bytes do not divide into {count} maps",
                            sec.size
                        ),
                    )
                })?;
                if size < 16 {
                    return Err(ObjectError::map(
                        &sym.name,
                        &sec.name,
                        format!(
                            "definition at offset {:#x} is {size} bytes, less than type, key size, value size and max entries (16)",
                            sym.value
                        ),
                    ));
                }
                let bytes = usize::try_from(sym.value)
                    .ok()
                    .and_then(|s| Some((s, s.checked_add(usize::try_from(size).ok()?)?)))
                    .and_then(|(s, e)| data.get(s..e))
                    .ok_or_else(|| {
                        ObjectError::map(
                            &sym.name,
                            &sec.name,
                            format!(
                                "definition at offset {:#x}, size {size} lies outside the section ({} bytes)",
                                sym.value,
                                data.len()
                            ),
                        )
                    })?;
                let mut words = [0u32; 9];
                for (i, w) in words.iter_mut().enumerate() {
                    *w = word(bytes, i);
                }
                let def = MapDef {
                    name: sym.name.clone(),
                    map_type: MapType::from_u32(words[0]),
                    key_size: words[1],
                    value_size: words[2],
                    max_entries: words[3],
                    map_flags: words[4],
                    inner: None,
                    initial: Vec::new(),
                    read_only: false,
                    origin: MapOrigin::Legacy,
                };
                let src = MapSource {
                    section: sec.name.clone(),
                    symbol: Some(sym.name.clone()),
                    offset: sym.value,
                    btf_key_type_id: 0,
                    btf_value_type_id: 0,
                };
                self.push(def, src, Some((sec.index, sym.value)));
                raws.push(LegacyRaw { words, size });
            }
        }
        // Inner map templates of map-in-map definitions.
        let inners: Vec<Option<usize>> = raws
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let t = MapType::from_u32(r.words[0]);
                if !matches!(t, MapType::ArrayOfMaps | MapType::HashOfMaps) {
                    return None;
                }
                let found = if r.size >= 36 {
                    let inner_id = r.words[7];
                    raws.iter().enumerate().position(|(j, o)| {
                        j != i && inner_id != 0 && o.size >= 28 && o.words[5] == inner_id
                    })
                } else if r.size >= 24 {
                    let idx = r.words[5] as usize;
                    (idx != i && idx < raws.len()).then_some(idx)
                } else {
                    None
                };
                found.map(|j| first + j)
            })
            .collect();
        for (i, inner) in inners.into_iter().enumerate() {
            if let Some(j) = inner
                && let Some(tmpl) = self.defs.get(j).cloned()
                && let Some(d) = self.defs.get_mut(first + i)
            {
                d.inner = Some(Box::new(tmpl));
            }
        }
        Ok(())
    }

    fn collect_btf(
        &mut self,
        elf: &Elf<'_>,
        btf: &BtfTypes,
        sec_index: usize,
    ) -> Result<(), ObjectError> {
        let Some(ds) = btf.find(BtfKind::DataSec, ".maps").and_then(|i| btf.get(i)) else {
            return Err(ObjectError::section(
                ".maps",
                "BTF has no DATASEC \".maps\" describing the maps",
            ));
        };
        for entry in &ds.members {
            let var = btf
                .get(entry.type_id)
                .filter(|v| v.kind == BtfKind::Var)
                .ok_or_else(|| {
                    ObjectError::section(
                        ".maps",
                        format!(
                            "DATASEC entry at offset {:#x} is not a VAR (type {})",
                            entry.offset, entry.type_id
                        ),
                    )
                })?;
            let name = var.name.clone();
            let mut parsed = parse_btf_def(btf, var.size_or_type, &name, 0)?;
            parsed.def.origin = MapOrigin::Btf;
            let offset = elf
                .symbols_in(sec_index)
                .find(|s| s.name == name)
                .map_or(entry.offset as u64, |s| s.value);
            let src = MapSource {
                section: ".maps".into(),
                symbol: Some(name),
                offset,
                btf_key_type_id: parsed.key_type,
                btf_value_type_id: parsed.value_type,
            };
            self.push(parsed.def, src, Some((sec_index, offset)));
        }
        Ok(())
    }

    fn collect_data(
        &mut self,
        elf: &Elf<'_>,
        btf: Option<&BtfTypes>,
        obj_name: &str,
    ) -> Result<(), ObjectError> {
        for sec in &elf.sections {
            if sec.is_exec() || sec.size == 0 {
                continue;
            }
            let Some(read_only) = data_kind(&sec.name, sec.sh_type) else {
                continue;
            };
            if sec.size > MAX_DATA_SIZE {
                return Err(ObjectError::section(
                    &sec.name,
                    format!("global data of {} bytes is too large for a map", sec.size),
                ));
            }
            let initial = if sec.sh_type == SHT_NOBITS {
                vec![0u8; sec.size as usize]
            } else {
                sec.data.to_vec()
            };
            let datasec = btf.and_then(|b| {
                b.find(BtfKind::DataSec, &sec.name)
                    .map(|id| (id, b.get(id).map(|t| t.members.clone())))
            });
            // libbpf makes the map mmapable when a DATASEC var is not static.
            let mmapable = match (btf, &datasec) {
                (Some(b), Some((_, Some(members)))) => members.iter().any(|m| {
                    b.get(m.type_id)
                        .is_some_and(|v| v.kind == BtfKind::Var && v.linkage != 0)
                }),
                _ => false,
            };
            let mut flags = if read_only { BPF_F_RDONLY_PROG } else { 0 };
            if mmapable {
                flags |= BPF_F_MMAPABLE;
            }
            let def = MapDef {
                name: internal_map_name(obj_name, &sec.name),
                map_type: MapType::Array,
                key_size: 4,
                value_size: sec.size as u32,
                max_entries: 1,
                map_flags: flags,
                inner: None,
                initial,
                read_only,
                origin: MapOrigin::GlobalData {
                    section: sec.name.clone(),
                },
            };
            let src = MapSource {
                section: sec.name.clone(),
                symbol: None,
                offset: 0,
                btf_key_type_id: 0,
                btf_value_type_id: datasec.map_or(0, |(id, _)| id),
            };
            let idx = self.push(def, src, None);
            self.by_data_section.insert(sec.index, idx);
        }
        Ok(())
    }
}

impl Maps {
    /// `extern ... __kconfig` variables (BTF DATASEC `.kconfig`): one read-only array map laid
    /// out as libbpf does (descending alignment, then ascending size, then name). The values
    /// libbpf reads from the running kernel's config are not known here: they start as zeros.
    fn collect_kconfig(&mut self, btf: &BtfTypes, obj_name: &str) {
        let Some(ds) = btf
            .find(BtfKind::DataSec, ".kconfig")
            .and_then(|i| btf.get(i))
        else {
            return;
        };
        let mut vars: Vec<(String, u64, u64)> = ds
            .members
            .iter()
            .filter_map(|m| {
                let v = btf.get(m.type_id).filter(|v| v.kind == BtfKind::Var)?;
                let size = btf.size_of(v.size_or_type)?;
                Some((v.name.clone(), size, align_of(btf, v.size_or_type, 0)))
            })
            .collect();
        if vars.is_empty() {
            return;
        }
        vars.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
        let mut offsets = HashMap::new();
        let mut off = 0u64;
        for (name, size, align) in vars {
            off = off.div_ceil(align.max(1)) * align.max(1);
            if off > MAX_DATA_SIZE {
                return;
            }
            offsets.insert(name, off as u32);
            off += size;
        }
        if off > MAX_DATA_SIZE {
            return;
        }
        let def = MapDef {
            name: internal_map_name(obj_name, ".kconfig"),
            map_type: MapType::Array,
            key_size: 4,
            value_size: off as u32,
            max_entries: 1,
            map_flags: BPF_F_RDONLY_PROG,
            inner: None,
            initial: vec![0u8; off as usize],
            read_only: true,
            origin: MapOrigin::GlobalData {
                section: ".kconfig".into(),
            },
        };
        let src = MapSource {
            section: ".kconfig".into(),
            symbol: None,
            offset: 0,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
        };
        let idx = self.push(def, src, None);
        self.kconfig = Some((idx, offsets));
    }
}

/// libbpf's `btf__align_of`, for the types kconfig externs have.
fn align_of(btf: &BtfTypes, id: u32, depth: u32) -> u64 {
    let Some(t) = btf.skip_mods(id).and_then(|i| btf.get(i)) else {
        return 1;
    };
    if depth > 16 {
        return 1;
    }
    match t.kind {
        BtfKind::Int | BtfKind::Enum | BtfKind::Enum64 | BtfKind::Float => {
            (t.size_or_type as u64).clamp(1, 8)
        }
        BtfKind::Ptr => 8,
        BtfKind::Array => t.array.map_or(1, |(e, _, _)| align_of(btf, e, depth + 1)),
        BtfKind::Struct | BtfKind::Union => t
            .members
            .iter()
            .map(|m| align_of(btf, m.type_id, depth + 1))
            .max()
            .unwrap_or(1),
        _ => 1,
    }
}

struct ParsedBtfDef {
    def: MapDef,
    key_type: u32,
    value_type: u32,
}

/// The number a `__uint(name, N)` member encodes: a pointer to an array of N elements.
fn uint_field(btf: &BtfTypes, member_type: u32) -> Option<u32> {
    let p = btf.get(btf.skip_mods(member_type)?)?;
    if p.kind != BtfKind::Ptr {
        return None;
    }
    let a = btf.get(btf.skip_mods(p.size_or_type)?)?;
    a.array.map(|(_, _, n)| n)
}

/// A BTF map definition struct (`struct { __uint(type, ...); __type(key, ...); ... }`).
fn parse_btf_def(
    btf: &BtfTypes,
    type_id: u32,
    name: &str,
    depth: u32,
) -> Result<ParsedBtfDef, ObjectError> {
    let err = |m: String| ObjectError::map(name, ".maps", m);
    let st = btf
        .skip_mods(type_id)
        .and_then(|i| btf.get(i))
        .filter(|t| t.kind == BtfKind::Struct)
        .ok_or_else(|| err(format!("type {type_id} is not a struct")))?;
    let mut out = ParsedBtfDef {
        def: MapDef {
            name: name.to_string(),
            map_type: MapType::Unspec,
            key_size: 0,
            value_size: 0,
            max_entries: 0,
            map_flags: 0,
            inner: None,
            initial: Vec::new(),
            read_only: false,
            origin: MapOrigin::Btf,
        },
        key_type: 0,
        value_type: 0,
    };
    for m in &st.members {
        let num = || {
            uint_field(btf, m.type_id).ok_or_else(|| {
                err(format!(
                    "member \"{}\" is not a __uint() (pointer to an array)",
                    m.name
                ))
            })
        };
        let pointee = || {
            btf.skip_mods(m.type_id)
                .and_then(|i| btf.get(i))
                .filter(|t| t.kind == BtfKind::Ptr)
                .map(|t| t.size_or_type)
                .ok_or_else(|| err(format!("member \"{}\" is not a __type() pointer", m.name)))
        };
        match m.name.as_str() {
            "type" => out.def.map_type = MapType::from_u32(num()?),
            "max_entries" => out.def.max_entries = num()?,
            "map_flags" => out.def.map_flags = num()?,
            "key_size" => out.def.key_size = num()?,
            "value_size" => out.def.value_size = num()?,
            "numa_node" | "map_extra" | "pinning" => {
                num()?;
            }
            "key" => {
                let t = pointee()?;
                out.key_type = t;
                out.def.key_size = btf
                    .size_of(t)
                    .and_then(|s| u32::try_from(s).ok())
                    .ok_or_else(|| err(format!("key type {t} has no size")))?;
            }
            "value" => {
                let t = pointee()?;
                out.value_type = t;
                out.def.value_size = btf
                    .size_of(t)
                    .and_then(|s| u32::try_from(s).ok())
                    .ok_or_else(|| err(format!("value type {t} has no size")))?;
            }
            "values" => {
                // `__array(values, struct inner)`: a zero-length array of pointers to the
                // inner map's definition (map-in-map) or to a function (prog array).
                let arr = btf
                    .skip_mods(m.type_id)
                    .and_then(|i| btf.get(i))
                    .and_then(|t| t.array)
                    .ok_or_else(|| err("member \"values\" is not an array".into()))?;
                let target = btf
                    .skip_mods(arr.0)
                    .and_then(|i| btf.get(i))
                    .filter(|t| t.kind == BtfKind::Ptr)
                    .and_then(|p| btf.skip_mods(p.size_or_type))
                    .ok_or_else(|| err("\"values\" elements are not pointers".into()))?;
                if btf.get(target).is_some_and(|t| t.kind == BtfKind::Struct) {
                    if depth > 0 {
                        return Err(err("inner map definitions cannot nest".into()));
                    }
                    let inner = parse_btf_def(btf, target, &format!("{name}.inner"), depth + 1)?;
                    out.def.inner = Some(Box::new(inner.def));
                }
                out.def.value_size = 4;
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_names_as_libbpf_builds_them() {
        assert_eq!(
            internal_map_name("my_object_name", ".rodata"),
            "my_objec.rodata"
        );
        assert_eq!(internal_map_name("my_object_name", ".bss"), "my_objec.bss");
        assert_eq!(
            internal_map_name("my_object_name", ".kconfig"),
            "my_obje.kconfig"
        );
        assert_eq!(
            internal_map_name("x", ".rodata.abracadabra"),
            ".rodata.abracad"
        );
        assert_eq!(internal_map_name("globals", ".data"), "globals.data");
        assert_eq!(internal_map_name("a-b", ".data"), "a_b.data");
        assert_eq!(internal_map_name("obj", ".rodata.str1.1"), ".rodata.str1.1");
    }
}
