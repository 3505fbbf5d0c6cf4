//! A small, panic-free reader of `.BTF`: the string table and the type table, with just the
//! questions the loader (and later error messages) ask: a type's kind, name, size, members,
//! the `.maps` DATASEC, a FUNC's name. Cycles and out-of-range ids give `None`, not a hang.
//!
//! aya-obj's `Btf` is kept alongside (see [`super::ObjectBtf`]) for CO-RE; its type table is
//! not public, which is why this reader exists.

/// BTF kinds (`BTF_KIND_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BtfKind {
    Void,
    Int,
    Ptr,
    Array,
    Struct,
    Union,
    Enum,
    Fwd,
    Typedef,
    Volatile,
    Const,
    Restrict,
    Func,
    FuncProto,
    Var,
    DataSec,
    Float,
    DeclTag,
    TypeTag,
    Enum64,
}

impl BtfKind {
    fn from_u32(k: u32) -> Option<BtfKind> {
        use BtfKind::*;
        Some(match k {
            0 => Void,
            1 => Int,
            2 => Ptr,
            3 => Array,
            4 => Struct,
            5 => Union,
            6 => Enum,
            7 => Fwd,
            8 => Typedef,
            9 => Volatile,
            10 => Const,
            11 => Restrict,
            12 => Func,
            13 => FuncProto,
            14 => Var,
            15 => DataSec,
            16 => Float,
            17 => DeclTag,
            18 => TypeTag,
            19 => Enum64,
            _ => return None,
        })
    }
}

/// A struct/union member, a DATASEC entry or a function parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfMember {
    pub name: String,
    pub type_id: u32,
    /// Struct/union: bit offset (bitfield size in the top 8 bits when the kind flag is set).
    /// DATASEC: byte offset of the variable in the section.
    pub offset: u32,
    /// DATASEC: the variable's size; 0 otherwise.
    pub size: u32,
}

/// One type record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfType {
    pub kind: BtfKind,
    pub name: String,
    /// `vlen`: members, enum values, params, DATASEC entries; linkage for FUNC.
    pub vlen: u32,
    pub kind_flag: bool,
    /// `size` for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT, `type` for the rest.
    pub size_or_type: u32,
    /// ARRAY: (element type, index type, number of elements).
    pub array: Option<(u32, u32, u32)>,
    /// STRUCT/UNION members, DATASEC entries, FUNC_PROTO params (name, type).
    pub members: Vec<BtfMember>,
    /// VAR: linkage (0 static, 1 global, 2 extern).
    pub linkage: u32,
    /// INT: the encoding word (`BTF_INT_ENCODING` bits 24..28: 1 signed, 2 char, 4 bool;
    /// bit offset in 16..24; bits in 0..8); 0 for other kinds.
    pub int_encoding: u32,
}

/// The parsed `.BTF`: type 0 is `void`.
#[derive(Clone, Debug, Default)]
pub struct BtfTypes {
    strings: Vec<u8>,
    types: Vec<BtfType>,
}

const MAX_CHAIN: usize = 64;

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

impl BtfTypes {
    /// Parses `.BTF` bytes; the error says which part is malformed.
    pub fn parse(data: &[u8]) -> Result<BtfTypes, String> {
        let magic = data
            .get(0..2)
            .ok_or("section shorter than the BTF header")?;
        if magic == [0xeb, 0x9f] {
            return Err("big-endian BTF is not supported".into());
        }
        if magic != [0x9f, 0xeb] {
            return Err(format!("bad magic {magic:02x?}"));
        }
        let field = |o: usize| u32_at(data, o).ok_or("section shorter than the BTF header");
        let hdr_len = field(4)? as usize;
        let (type_off, type_len) = (field(8)? as usize, field(12)? as usize);
        let (str_off, str_len) = (field(16)? as usize, field(20)? as usize);
        let range = |off: usize, len: usize, what: &str| -> Result<&[u8], String> {
            hdr_len
                .checked_add(off)
                .and_then(|s| Some((s, s.checked_add(len)?)))
                .and_then(|(s, e)| data.get(s..e))
                .ok_or_else(|| {
                    format!("{what} (offset {off:#x}, length {len:#x}) is out of bounds")
                })
        };
        let strings = range(str_off, str_len, "string section")?.to_vec();
        let tdata = range(type_off, type_len, "type section")?;

        let mut out = BtfTypes {
            strings,
            types: vec![BtfType {
                kind: BtfKind::Void,
                name: String::new(),
                vlen: 0,
                kind_flag: false,
                size_or_type: 0,
                array: None,
                members: Vec::new(),
                linkage: 0,
                int_encoding: 0,
            }],
        };
        let mut p = 0usize;
        while p < tdata.len() {
            let id = out.types.len();
            let at = p;
            let bad = || format!("type {id} at offset {at:#x} is truncated");
            let name_off = u32_at(tdata, p).ok_or_else(bad)?;
            let info = u32_at(tdata, p + 4).ok_or_else(bad)?;
            let st = u32_at(tdata, p + 8).ok_or_else(bad)?;
            p += 12;
            let kind = BtfKind::from_u32((info >> 24) & 0x1f)
                .ok_or_else(|| format!("type {id} has unknown kind {}", (info >> 24) & 0x1f))?;
            let vlen = info & 0xffff;
            let mut t = BtfType {
                kind,
                name: out.string_at(name_off).unwrap_or_default().to_string(),
                vlen,
                kind_flag: info >> 31 != 0,
                size_or_type: st,
                array: None,
                members: Vec::new(),
                linkage: 0,
                int_encoding: 0,
            };
            let n = vlen as usize;
            match kind {
                BtfKind::Int => {
                    t.int_encoding = u32_at(tdata, p).ok_or_else(bad)?;
                    p += 4;
                }
                BtfKind::DeclTag => p += 4,
                BtfKind::Var => {
                    t.linkage = u32_at(tdata, p).ok_or_else(bad)?;
                    p += 4;
                }
                BtfKind::Array => {
                    let e = u32_at(tdata, p).ok_or_else(bad)?;
                    let i = u32_at(tdata, p + 4).ok_or_else(bad)?;
                    let c = u32_at(tdata, p + 8).ok_or_else(bad)?;
                    t.array = Some((e, i, c));
                    p += 12;
                }
                BtfKind::Struct | BtfKind::Union | BtfKind::DataSec => {
                    for k in 0..n {
                        let q = p + 12 * k;
                        let a = u32_at(tdata, q).ok_or_else(bad)?;
                        let b = u32_at(tdata, q + 4).ok_or_else(bad)?;
                        let c = u32_at(tdata, q + 8).ok_or_else(bad)?;
                        t.members.push(if kind == BtfKind::DataSec {
                            BtfMember {
                                name: String::new(),
                                type_id: a,
                                offset: b,
                                size: c,
                            }
                        } else {
                            BtfMember {
                                name: out.string_at(a).unwrap_or_default().to_string(),
                                type_id: b,
                                offset: c,
                                size: 0,
                            }
                        });
                    }
                    p += 12 * n;
                }
                BtfKind::Enum => p += 8 * n,
                BtfKind::Enum64 => p += 12 * n,
                BtfKind::FuncProto => {
                    for k in 0..n {
                        let q = p + 8 * k;
                        let a = u32_at(tdata, q).ok_or_else(bad)?;
                        let b = u32_at(tdata, q + 4).ok_or_else(bad)?;
                        t.members.push(BtfMember {
                            name: out.string_at(a).unwrap_or_default().to_string(),
                            type_id: b,
                            offset: 0,
                            size: 0,
                        });
                    }
                    p += 8 * n;
                }
                _ => {}
            }
            if p > tdata.len() {
                return Err(bad());
            }
            out.types.push(t);
        }
        // DATASEC entries are named after their VAR.
        let fixes: Vec<(usize, Vec<String>)> = out
            .types
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == BtfKind::DataSec)
            .map(|(i, t)| {
                let names = t
                    .members
                    .iter()
                    .map(|m| {
                        out.get(m.type_id)
                            .map(|v| v.name.clone())
                            .unwrap_or_default()
                    })
                    .collect();
                (i, names)
            })
            .collect();
        for (i, names) in fixes {
            if let Some(t) = out.types.get_mut(i) {
                for (m, n) in t.members.iter_mut().zip(names) {
                    m.name = n;
                }
            }
        }
        Ok(out)
    }

    /// The NUL-terminated string at an offset of the string section.
    pub fn string_at(&self, off: u32) -> Option<&str> {
        let rest = self.strings.get(off as usize..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(rest.get(..end)?).ok()
    }

    /// Number of types including `void` (valid ids are `0..len()`).
    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.len() <= 1
    }

    pub fn get(&self, id: u32) -> Option<&BtfType> {
        self.types.get(id as usize)
    }

    /// All types with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &BtfType)> {
        self.types.iter().enumerate().map(|(i, t)| (i as u32, t))
    }

    /// Skips typedefs and qualifiers (const, volatile, restrict, type tags).
    pub fn skip_mods(&self, mut id: u32) -> Option<u32> {
        for _ in 0..MAX_CHAIN {
            let t = self.get(id)?;
            match t.kind {
                BtfKind::Typedef
                | BtfKind::Volatile
                | BtfKind::Const
                | BtfKind::Restrict
                | BtfKind::TypeTag => id = t.size_or_type,
                _ => return Some(id),
            }
        }
        None
    }

    /// Size in bytes of a type (`None` for void, functions, forward declarations, cycles).
    pub fn size_of(&self, id: u32) -> Option<u64> {
        self.size_of_depth(id, 0)
    }

    fn size_of_depth(&self, id: u32, depth: usize) -> Option<u64> {
        if depth > MAX_CHAIN {
            return None;
        }
        let id = self.skip_mods(id)?;
        let t = self.get(id)?;
        match t.kind {
            BtfKind::Int
            | BtfKind::Struct
            | BtfKind::Union
            | BtfKind::Enum
            | BtfKind::Enum64
            | BtfKind::DataSec
            | BtfKind::Float => Some(t.size_or_type as u64),
            BtfKind::Ptr => Some(8),
            BtfKind::Var => self.size_of_depth(t.size_or_type, depth + 1),
            BtfKind::Array => {
                let (elem, _, n) = t.array?;
                self.size_of_depth(elem, depth + 1)?.checked_mul(n as u64)
            }
            _ => None,
        }
    }

    /// The id of the first type of a kind with a name.
    pub fn find(&self, kind: BtfKind, name: &str) -> Option<u32> {
        self.iter()
            .find(|(_, t)| t.kind == kind && t.name == name)
            .map(|(i, _)| i)
    }
}
