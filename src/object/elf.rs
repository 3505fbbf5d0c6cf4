//! The ELF layer: sections, symbols and relocations read once, with the `object` crate, into
//! plain owned tables that the rest of the loader indexes without panicking.
//!
//! Only 64-bit little-endian objects are accepted (what `clang -target bpf` produces on x86 and
//! arm64 hosts; `bpfeb` objects are refused with a message). Both `SHT_REL` and `SHT_RELA`
//! relocation sections are read (old LLVM emitted RELA).

use object::elf::{FileHeader64, Rel64, Rela64, Sym64};
use object::read::elf::{FileHeader, Rel as _, Rela as _, SectionHeader, Sym as _};
use object::{LittleEndian, SectionIndex};

use super::error::ObjectError;

pub(crate) const SHT_PROGBITS: u32 = 1;
pub(crate) const SHT_SYMTAB: u32 = 2;
pub(crate) const SHT_RELA: u32 = 4;
pub(crate) const SHT_NOBITS: u32 = 8;
pub(crate) const SHT_REL: u32 = 9;
pub(crate) const SHF_EXECINSTR: u64 = 4;

pub(crate) const STT_NOTYPE: u8 = 0;
pub(crate) const STT_FUNC: u8 = 2;
pub(crate) const STT_SECTION: u8 = 3;
pub(crate) const STB_LOCAL: u8 = 0;
pub(crate) const STB_GLOBAL: u8 = 1;

const SHN_UNDEF: u16 = 0;
const SHN_LORESERVE: u16 = 0xff00;
const SHN_XINDEX: u16 = 0xffff;
pub(crate) const EM_BPF: u16 = 247;

/// One section header with its bytes (empty for `SHT_NOBITS`).
#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub index: usize,
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub size: u64,
    pub data: &'a [u8],
}

impl Section<'_> {
    pub fn is_exec(&self) -> bool {
        self.sh_type == SHT_PROGBITS && self.flags & SHF_EXECINSTR != 0
    }
}

/// One symbol table entry.
#[derive(Debug, Clone)]
pub(crate) struct Symbol {
    pub index: usize,
    pub name: String,
    /// The section it is defined in; `None` for undefined, absolute and common symbols.
    pub section: Option<usize>,
    pub value: u64,
    pub size: u64,
    pub kind: u8,
    pub bind: u8,
}

/// One relocation, REL or RELA.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reloc {
    pub offset: u64,
    pub r_type: u32,
    pub symbol: usize,
    /// The explicit addend of a RELA entry; 0 for REL.
    pub addend: i64,
}

/// The whole file as tables.
#[derive(Debug)]
pub(crate) struct Elf<'a> {
    pub machine: u16,
    /// Indexed by ELF section index (entry 0 is the null section).
    pub sections: Vec<Section<'a>>,
    /// Indexed by ELF symbol index (entry 0 is the null symbol).
    pub symbols: Vec<Symbol>,
    /// Relocations per target section index, sorted by offset.
    pub relocs: Vec<Vec<Reloc>>,
}

fn elf_err(what: &str, e: object::read::Error) -> ObjectError {
    ObjectError::Elf(format!("{what}: {e}"))
}

impl<'a> Elf<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, ObjectError> {
        if data.len() >= 6 && data.get(..4) == Some(b"\x7fELF".as_slice()) {
            if data.get(4) != Some(&2) {
                return Err(ObjectError::Elf(
                    "not a 64-bit ELF file (BPF objects are ELF64)".into(),
                ));
            }
            if data.get(5) != Some(&1) {
                return Err(ObjectError::Elf(
                    "big-endian BPF objects (bpfeb) are not supported".into(),
                ));
            }
        }
        let header = FileHeader64::<LittleEndian>::parse(data).map_err(|e| elf_err("header", e))?;
        let endian = header.endian().map_err(|e| elf_err("header", e))?;
        let machine = header.e_machine(endian);
        if machine != EM_BPF && machine != 0 {
            return Err(ObjectError::Elf(format!(
                "e_machine is {machine}, not EM_BPF (247)"
            )));
        }
        let table = header
            .sections(endian, data)
            .map_err(|e| elf_err("section table", e))?;

        let mut sections = Vec::with_capacity(table.len());
        for (idx, sh) in table.enumerate() {
            let name = table
                .section_name(endian, sh)
                .map_err(|e| elf_err(&format!("name of section {}", idx.0), e))?;
            let name = String::from_utf8_lossy(name).into_owned();
            let sh_type = sh.sh_type(endian);
            let bytes: &[u8] = if sh_type == SHT_NOBITS {
                &[]
            } else {
                sh.data(endian, data).map_err(|_| {
                    ObjectError::section(
                        &name,
                        format!(
                            "contents at file offset {:#x}, size {:#x} lie outside the file",
                            sh.sh_offset(endian),
                            sh.sh_size(endian)
                        ),
                    )
                })?
            };
            sections.push(Section {
                index: idx.0,
                name,
                sh_type,
                flags: sh.sh_flags(endian),
                size: sh.sh_size(endian),
                data: bytes,
            });
        }

        // The symbol table (there is at most one SHT_SYMTAB in a relocatable object).
        let mut symbols = Vec::new();
        let mut symtab_index = None;
        for (idx, sh) in table.enumerate() {
            if sh.sh_type(endian) != SHT_SYMTAB {
                continue;
            }
            let entsize = sh.sh_entsize(endian);
            if entsize != 0 && entsize != size_of::<Sym64<LittleEndian>>() as u64 {
                return Err(ObjectError::Symbols(format!(
                    "section \"{}\" has entry size {entsize}, expected 24",
                    sections.get(idx.0).map_or("", |s| s.name.as_str())
                )));
            }
            let symtab = table
                .symbol_table_by_index(endian, data, idx)
                .map_err(|e| ObjectError::Symbols(e.to_string()))?;
            for (sidx, sym) in symtab.enumerate() {
                let name = symtab
                    .symbol_name(endian, sym)
                    .map_err(|e| ObjectError::Symbols(format!("name of symbol {}: {e}", sidx.0)))?;
                let shndx = sym.st_shndx(endian);
                let section = match shndx {
                    SHN_UNDEF => None,
                    SHN_XINDEX => symtab.shndx(endian, sidx).map(|i| i as usize),
                    n if n >= SHN_LORESERVE => None,
                    n => Some(n as usize),
                };
                if let Some(s) = section
                    && s >= sections.len()
                {
                    return Err(ObjectError::Symbols(format!(
                        "symbol \"{}\" refers to section {s}, but there are {}",
                        String::from_utf8_lossy(name),
                        sections.len()
                    )));
                }
                symbols.push(Symbol {
                    index: sidx.0,
                    name: String::from_utf8_lossy(name).into_owned(),
                    section,
                    value: sym.st_value(endian),
                    size: sym.st_size(endian),
                    kind: sym.st_type(),
                    bind: sym.st_bind(),
                });
            }
            symtab_index = Some(idx);
            break;
        }

        let mut relocs = vec![Vec::new(); sections.len()];
        for (idx, sh) in table.enumerate() {
            let sh_type = sh.sh_type(endian);
            if sh_type != SHT_REL && sh_type != SHT_RELA {
                continue;
            }
            let rname = sections.get(idx.0).map_or("", |s| s.name.as_str());
            let target = sh.sh_info(endian) as usize;
            if target == 0 || target >= sections.len() {
                return Err(ObjectError::section(
                    rname,
                    format!("applies to section {target}, which does not exist"),
                ));
            }
            if Some(SectionIndex(sh.sh_link(endian) as usize)) != symtab_index {
                return Err(ObjectError::section(
                    rname,
                    "is not linked to the symbol table",
                ));
            }
            let mut list = Vec::new();
            if sh_type == SHT_REL {
                let rel: &[Rel64<LittleEndian>] = sh
                    .data_as_array(endian, data)
                    .map_err(|e| ObjectError::section(rname, e.to_string()))?;
                for r in rel {
                    list.push(Reloc {
                        offset: r.r_offset(endian),
                        r_type: r.r_type(endian),
                        symbol: r.r_sym(endian) as usize,
                        addend: 0,
                    });
                }
            } else {
                let rela: &[Rela64<LittleEndian>] = sh
                    .data_as_array(endian, data)
                    .map_err(|e| ObjectError::section(rname, e.to_string()))?;
                for r in rela {
                    list.push(Reloc {
                        offset: r.r_offset(endian),
                        r_type: r.r_type(endian, false),
                        symbol: r.r_sym(endian, false) as usize,
                        addend: r.r_addend(endian),
                    });
                }
            }
            for r in &list {
                if r.symbol >= symbols.len() {
                    return Err(ObjectError::reloc(
                        sections.get(target).map_or("", |s| s.name.as_str()),
                        r.offset,
                        format!(
                            "refers to symbol {} but the symbol table has {}",
                            r.symbol,
                            symbols.len()
                        ),
                    ));
                }
            }
            if let Some(slot) = relocs.get_mut(target) {
                slot.extend(list);
            }
        }
        for list in &mut relocs {
            list.sort_by_key(|r| r.offset);
        }

        Ok(Elf {
            machine,
            sections,
            symbols,
            relocs,
        })
    }

    pub fn section(&self, index: usize) -> Option<&Section<'a>> {
        self.sections.get(index)
    }

    pub fn section_by_name(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    pub fn section_name(&self, index: usize) -> &str {
        self.sections.get(index).map_or("?", |s| s.name.as_str())
    }

    pub fn symbol(&self, index: usize) -> Option<&Symbol> {
        self.symbols.get(index)
    }

    /// Symbols defined in a section.
    pub fn symbols_in(&self, section: usize) -> impl Iterator<Item = &Symbol> {
        self.symbols
            .iter()
            .filter(move |s| s.section == Some(section))
    }

    pub fn relocs_of(&self, section: usize) -> &[Reloc] {
        self.relocs.get(section).map_or(&[], |v| v.as_slice())
    }

    /// The relocation at a byte offset of a section.
    pub fn reloc_at(&self, section: usize, offset: u64) -> Option<&Reloc> {
        let list = self.relocs_of(section);
        let i = list.partition_point(|r| r.offset < offset);
        list.get(i).filter(|r| r.offset == offset)
    }

    /// Display name of a relocation's symbol: its name, or its section's name for section
    /// symbols.
    pub fn symbol_display(&self, sym: &Symbol) -> String {
        if sym.kind == STT_SECTION || sym.name.is_empty() {
            match sym.section {
                Some(s) => self.section_name(s).to_string(),
                None => format!("#{}", sym.index),
            }
        } else {
            sym.name.clone()
        }
    }
}
