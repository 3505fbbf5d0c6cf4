//! BPF ELF objects (as `clang -target bpf` and libbpf produce them) → [`Object`]: programs
//! linked and relocated the way libbpf prepares them for `BPF_PROG_LOAD`, map definitions,
//! line info and BTF.
//!
//! The ELF structure (sections, symbols, REL/RELA relocations, legacy map layouts, old
//! objects without `STT_FUNC` symbols) is read with the `object` crate by this module, because
//! aya-obj 0.3.0 refuses many objects the kernel loads (section names outside its table,
//! iproute2 and samples/bpf map layouts, RELA). aya-obj is used for what it does well and
//! nothing here duplicates: its `Btf` (kept in [`ObjectBtf::aya`]) and CO-RE relocation
//! (`relocate_btf`, see `core.rs`).
//!
//! One module per job: `elf` (ELF tables), `btf` / `btf_ext` (panic-free BTF readers),
//! `functions` (functions and entry points), `maps` (map definitions), `link` (subprogram
//! appending and relocations), `debuginfo` (line and func info), `core` (CO-RE through
//! aya-obj), `map_fields` (the special fields of map values), `error`.
//!
//! No input makes this module panic: every index into input-derived data is checked, and the
//! calls into aya-obj run under `catch_unwind`.

mod btf_ext;
mod core;
mod debuginfo;
mod elf;
mod error;
mod functions;
mod link;
mod maps;

pub mod btf;
pub mod map_fields;

use std::path::{Path, PathBuf};

pub use debuginfo::{FuncInfo, FuncParam, FuncSig, LineInfo, SourceLine};
pub use error::ObjectError;
pub use link::{BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE};
pub use maps::MapSource;

use crate::insn::RawInsn;
use crate::maps::MapDef;
use crate::progtype::ProgType;
use crate::progtype::section::{from_section, from_section_legacy};
use btf::BtfTypes;
use btf_ext::BtfExtInfo;
use elf::Elf;
use functions::Code;
use maps::Maps;

/// What the BTF of an object gives later stages.
#[derive(Clone, Debug)]
pub struct ObjectBtf {
    /// The `.BTF` section's bytes.
    pub raw: Vec<u8>,
    /// The type table (names, kinds, sizes, members).
    pub types: BtfTypes,
    /// aya-obj's parse of the same bytes (for CO-RE); `None` when aya-obj refuses them.
    pub aya: Option<aya_obj::btf::Btf>,
}

/// Where a program's type came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgTypeSource {
    /// libbpf 1.x's section table.
    Section,
    /// The plain-prefix rules of older loaders (`socket1`, `xdp_prog`, `tc_mark`).
    LegacyPrefix,
    /// Unknown section name: socket filter, until the user says otherwise.
    Default,
    /// Set by the user ([`Program::set_prog_type`]).
    User,
}

/// How an instruction refers to an undefined symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    /// A call (kfunc, or a function the object does not define).
    Call,
    /// An `lddw` of a ksym or kconfig variable.
    Load,
}

/// An instruction that refers to an undefined symbol, left as compiled: the loader does not
/// resolve kfuncs, ksyms or kconfig externs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternRef {
    /// Instruction index in [`Program::insns`].
    pub insn: usize,
    pub name: String,
    pub kind: ExternKind,
}

/// A subprogram appended to a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subprog {
    pub name: String,
    pub section: String,
    /// First instruction in [`Program::insns`].
    pub start: usize,
    pub len: usize,
}

/// One program, linked and relocated.
#[derive(Clone, Debug)]
pub struct Program {
    /// The function symbol's name.
    pub name: String,
    /// The full ELF section name.
    pub section: String,
    pub prog_type: ProgType,
    /// `enum bpf_attach_type` as libbpf sets it for the section, `None` where it leaves 0.
    pub expected_attach_type: Option<u32>,
    pub prog_type_source: ProgTypeSource,
    /// The program's text with every called subprogram appended, calls relinked, map and
    /// global-data references as `BPF_PSEUDO_MAP_IDX` / `BPF_PSEUDO_MAP_IDX_VALUE`.
    pub insns: Vec<RawInsn>,
    /// Instructions of the entry function itself (`insns[..entry_len]`).
    pub entry_len: usize,
    /// Appended subprograms in order.
    pub subprogs: Vec<Subprog>,
    /// Sorted by instruction.
    pub line_info: Vec<LineInfo>,
    /// Sorted by instruction.
    pub func_info: Vec<FuncInfo>,
    /// Instructions that refer to undefined symbols.
    pub externs: Vec<ExternRef>,
    pub license: Option<String>,
    pub kernel_version: Option<u32>,
}

impl Program {
    /// A program made of raw instructions rather than read from an ELF object (fuzzers,
    /// generated tests, `--raw` input): no subprogram table, line info or license. Map
    /// references in `lddw` use `BPF_PSEUDO_MAP_IDX` as for loaded objects.
    pub fn from_insns(name: &str, prog_type: ProgType, insns: Vec<RawInsn>) -> Program {
        Program {
            name: name.to_string(),
            section: String::new(),
            prog_type,
            expected_attach_type: None,
            prog_type_source: ProgTypeSource::User,
            entry_len: insns.len(),
            insns,
            subprogs: Vec::new(),
            line_info: Vec::new(),
            func_info: Vec::new(),
            externs: Vec::new(),
            license: Some("GPL".to_string()),
            kernel_version: None,
        }
    }

    /// Sets the program type as the user says (`--prog-type`); the expected attach type
    /// becomes the one libbpf would give that type's canonical section, if any.
    pub fn set_prog_type(&mut self, t: ProgType) {
        if t != self.prog_type {
            self.expected_attach_type = None;
        }
        self.prog_type = t;
        self.prog_type_source = ProgTypeSource::User;
    }

    /// First and one-past-last instruction of the function (entry or subprogram) holding
    /// `insn`.
    fn function_range(&self, insn: usize) -> Option<(usize, usize)> {
        if insn < self.entry_len {
            return Some((0, self.entry_len));
        }
        self.subprogs
            .iter()
            .find(|s| s.start <= insn && insn < s.start + s.len)
            .map(|s| (s.start, s.start + s.len))
    }

    /// The source line of an instruction: the last line info record at or before it within
    /// the same function.
    pub fn source_line(&self, insn: usize) -> Option<&SourceLine> {
        let (start, _) = self.function_range(insn)?;
        let upto = self.line_info.partition_point(|l| l.insn <= insn);
        self.line_info
            .get(..upto)?
            .iter()
            .rev()
            .take_while(|l| l.insn >= start)
            .map(|l| &l.source)
            .next()
    }

    /// The name of the function (entry or subprogram) holding `insn`.
    pub fn function_name(&self, insn: usize) -> Option<&str> {
        if insn < self.entry_len {
            return Some(&self.name);
        }
        self.subprogs
            .iter()
            .find(|s| s.start <= insn && insn < s.start + s.len)
            .map(|s| s.name.as_str())
    }
}

/// Which BTF CO-RE relocations are resolved against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CoreTarget {
    /// The object's own BTF (the compiled offsets stay; nothing is needed from the host).
    #[default]
    ObjectBtf,
    /// A BTF file, e.g. a copy of `/sys/kernel/btf/vmlinux`.
    BtfFile(PathBuf),
    /// Raw BTF bytes.
    BtfBytes(Vec<u8>),
    /// Leave CO-RE relocations unapplied.
    Skip,
}

/// Options of [`Object::parse_with`].
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// The object's name, used in global-data map names (`<name>.rodata`); libbpf takes the
    /// file name up to its first `.`. [`Object::from_file`] sets it; default `obj`.
    pub name: Option<String>,
    pub core_target: CoreTarget,
}

/// A parsed object.
#[derive(Clone, Debug)]
pub struct Object {
    /// The object name (see [`ParseOptions::name`]).
    pub name: String,
    pub programs: Vec<Program>,
    /// Map definitions; `BPF_PSEUDO_MAP_IDX*` immediates index this.
    pub maps: Vec<MapDef>,
    /// Where each map of `maps` was declared (same indexes).
    pub map_sources: Vec<MapSource>,
    /// The `license` section's string; `None` when there is none.
    pub license: Option<String>,
    /// The `version` section's number.
    pub kernel_version: Option<u32>,
    pub btf: Option<ObjectBtf>,
    /// Whether `.BTF.ext` line info was found.
    pub has_line_info: bool,
    /// Number of CO-RE relocation records, and whether they were applied.
    pub core_relocations: usize,
    pub core_applied: bool,
    /// Things the loader noticed and worked around (unusable BTF, CO-RE not applied).
    pub warnings: Vec<String>,
}

/// libbpf's object name: the file name up to its first `.`.
fn object_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned()
}

impl Object {
    /// An object holding one program and the maps its `BPF_PSEUDO_MAP_IDX` references
    /// index, built in memory (fuzzers and generated tests), with no BTF.
    pub fn from_program(program: Program, maps: Vec<MapDef>) -> Object {
        let map_sources = maps
            .iter()
            .map(|m| MapSource {
                section: "maps".to_string(),
                symbol: Some(m.name.clone()),
                offset: 0,
                btf_key_type_id: 0,
                btf_value_type_id: 0,
            })
            .collect();
        Object {
            name: "obj".to_string(),
            license: program.license.clone(),
            programs: vec![program],
            maps,
            map_sources,
            kernel_version: None,
            btf: None,
            has_line_info: false,
            core_relocations: 0,
            core_applied: false,
            warnings: Vec::new(),
        }
    }

    /// Parses an object with default options (name `obj`, CO-RE against its own BTF).
    pub fn parse(bytes: &[u8]) -> Result<Object, ObjectError> {
        Object::parse_with(bytes, &ParseOptions::default())
    }

    /// Reads and parses a file; the object name is the file name up to its first `.`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Object, ObjectError> {
        Object::from_file_with(path, ParseOptions::default())
    }

    /// [`Object::from_file`] with options (a `name` given there wins).
    pub fn from_file_with(
        path: impl AsRef<Path>,
        mut options: ParseOptions,
    ) -> Result<Object, ObjectError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| ObjectError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if options.name.is_none() {
            options.name = Some(object_name(path));
        }
        Object::parse_with(&bytes, &options)
    }

    pub fn parse_with(bytes: &[u8], options: &ParseOptions) -> Result<Object, ObjectError> {
        let elf = Elf::parse(bytes)?;
        let name = options.name.clone().unwrap_or_else(|| "obj".to_string());
        let mut warnings = Vec::new();

        let license = elf.section_by_name("license").map(|s| c_string(s.data));
        let kernel_version = match elf.section_by_name("version") {
            None => None,
            Some(s) => {
                let b: [u8; 4] = s.data.try_into().map_err(|_| {
                    ObjectError::section(
                        "version",
                        format!(
                            "is {} bytes, expected a 4-byte kernel version",
                            s.data.len()
                        ),
                    )
                })?;
                Some(u32::from_le_bytes(b))
            }
        };

        let btf = match elf.section_by_name(".BTF") {
            None => None,
            Some(s) => match BtfTypes::parse(s.data) {
                Ok(types) => {
                    let aya = match core::parse_aya_btf(s.data) {
                        Ok(b) => Some(b),
                        Err(e) => {
                            warnings.push(format!("aya-obj cannot read .BTF: {e}"));
                            None
                        }
                    };
                    Some(ObjectBtf {
                        raw: s.data.to_vec(),
                        types,
                        aya,
                    })
                }
                Err(e) => {
                    warnings.push(format!(".BTF ignored: {e}"));
                    None
                }
            },
        };
        let ext = match (elf.section_by_name(".BTF.ext"), &btf) {
            (Some(s), Some(b)) => match BtfExtInfo::parse(s.data, &b.types) {
                Ok(x) => Some(x),
                Err(e) => {
                    warnings.push(format!(".BTF.ext ignored: {e}"));
                    None
                }
            },
            _ => None,
        };
        let types = btf.as_ref().map(|b| &b.types);

        let maps = Maps::collect(&elf, types, &name)?;
        let mut code = Code::collect(&elf)?;

        let core_relocations = ext.as_ref().map_or(0, |x| x.core_relos);
        let mut core_applied = false;
        if core_relocations > 0 {
            core_applied = apply_core(bytes, options, btf.as_ref(), &mut code, &mut warnings)?;
        }

        let mut programs = Vec::new();
        for entry in code.entry_points(&elf) {
            let Some(f) = code.functions.get(entry) else {
                continue;
            };
            let section = elf.section_name(f.section).to_string();
            let linked = link::link(&elf, &code, &maps, entry)?;
            let (line_info, func_info) =
                debuginfo::for_program(&elf, &code, &linked.placed, ext.as_ref(), types);
            let (prog_type, expected_attach_type, prog_type_source) =
                if let Some((t, a)) = from_section(&section) {
                    (t, a, ProgTypeSource::Section)
                } else if let Some((t, a)) = from_section_legacy(&section) {
                    (t, a, ProgTypeSource::LegacyPrefix)
                } else {
                    (ProgType::SocketFilter, None, ProgTypeSource::Default)
                };
            let subprogs = linked
                .placed
                .iter()
                .skip(1)
                .filter_map(|p| {
                    let sf = code.functions.get(p.function)?;
                    Some(Subprog {
                        name: sf.name.clone(),
                        section: elf.section_name(sf.section).to_string(),
                        start: p.base,
                        len: sf.len,
                    })
                })
                .collect();
            programs.push(Program {
                name: f.name.clone(),
                section,
                prog_type,
                expected_attach_type,
                prog_type_source,
                insns: linked.insns,
                entry_len: f.len,
                subprogs,
                line_info,
                func_info,
                externs: linked.externs,
                license: license.clone(),
                kernel_version,
            });
        }

        Ok(Object {
            name,
            programs,
            maps: maps.defs,
            map_sources: maps.sources,
            license,
            kernel_version,
            has_line_info: ext.as_ref().is_some_and(|x| !x.line_info.is_empty()),
            btf,
            core_relocations,
            core_applied,
            warnings,
        })
    }

    /// The program with this function name.
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The index of the map with this name.
    pub fn map_index(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.name == name)
    }

    /// The byte offset of the `struct bpf_spin_lock` in map `index`'s value, from BTF (see
    /// [`Object::map_fields`]).
    pub fn spin_lock_offset(&self, index: usize) -> Option<u32> {
        self.map_fields(index)
            .iter()
            .find(|f| f.kind == map_fields::FieldKind::SpinLock)
            .map(|f| f.offset)
    }

    /// The special fields (`bpf_spin_lock`, `bpf_timer`, kptrs, ...) of map `index`'s value,
    /// as the kernel records them from the map's BTF at creation; `None` when the map has
    /// no BTF value type.
    pub fn map_record(&self, index: usize) -> Option<Vec<map_fields::MapField>> {
        let btf = self.btf.as_ref()?;
        let src = self.map_sources.get(index)?;
        let def = self.maps.get(index)?;
        if src.btf_value_type_id == 0 {
            return None;
        }
        Some(map_fields::parse_fields(
            &btf.types,
            src.btf_value_type_id,
            def.value_size,
        ))
    }

    /// The special fields of map `index`'s value (empty without BTF).
    pub fn map_fields(&self, index: usize) -> Vec<map_fields::MapField> {
        self.map_record(index).unwrap_or_default()
    }

    /// [`Object::map_record`] of every map, in map order (what
    /// [`PreflightOptions::map_records`](crate::verifier::PreflightOptions) takes).
    pub fn map_records(&self) -> Vec<Option<Vec<map_fields::MapField>>> {
        (0..self.maps.len()).map(|i| self.map_record(i)).collect()
    }
}

/// Applies CO-RE relocations to the section text; returns whether they were applied.
fn apply_core(
    bytes: &[u8],
    options: &ParseOptions,
    btf: Option<&ObjectBtf>,
    code: &mut Code,
    warnings: &mut Vec<String>,
) -> Result<bool, ObjectError> {
    let explicit;
    let target = match &options.core_target {
        CoreTarget::Skip => return Ok(false),
        CoreTarget::ObjectBtf => match btf.and_then(|b| b.aya.as_ref()) {
            Some(b) => b,
            None => {
                warnings.push("CO-RE relocations not applied: no usable object BTF".into());
                return Ok(false);
            }
        },
        CoreTarget::BtfFile(p) => {
            let data = std::fs::read(p).map_err(|e| ObjectError::Io {
                path: p.display().to_string(),
                message: e.to_string(),
            })?;
            explicit = core::parse_aya_btf(&data)
                .map_err(|e| ObjectError::Core(format!("{}: {e}", p.display())))?;
            &explicit
        }
        CoreTarget::BtfBytes(data) => {
            explicit = core::parse_aya_btf(data)
                .map_err(|e| ObjectError::Core(format!("target BTF: {e}")))?;
            &explicit
        }
    };
    match core::relocate(bytes, target) {
        Ok(patched) => {
            for ((section, start), insns) in patched {
                let Some(dst) = code
                    .insns
                    .get_mut(section)
                    .and_then(|s| s.get_mut(start..start.checked_add(insns.len())?))
                else {
                    continue;
                };
                dst.copy_from_slice(&insns);
            }
            Ok(true)
        }
        Err(e) if options.core_target == CoreTarget::ObjectBtf => {
            warnings.push(format!("CO-RE relocations not applied: {e}"));
            Ok(false)
        }
        Err(e) => Err(ObjectError::Core(e)),
    }
}
