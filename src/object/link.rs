//! Linking one program: its instructions, every subprogram it calls (or takes the address of)
//! appended after it depth-first in first-use order as libbpf's `bpf_object__reloc_code` does,
//! call offsets relinked, and `lddw` relocations resolved:
//! - against a map symbol: `BPF_PSEUDO_MAP_IDX` (src 5), `imm` = index into `Object::maps`;
//! - against global data: `BPF_PSEUDO_MAP_IDX_VALUE` (src 6), `imm` = map index, second
//!   slot's `imm` = offset in the value;
//! - against a function: `BPF_PSEUDO_FUNC` (src 4), `imm` = relative offset like a call;
//! - against a kconfig extern: `BPF_PSEUDO_MAP_IDX_VALUE` into the `.kconfig` map;
//! - against another undefined symbol (ksym, kfunc): left as compiled, recorded in
//!   [`super::Program::externs`].

use super::elf::{EM_BPF, Elf, Reloc, STT_SECTION};
use super::error::ObjectError;
use super::functions::Code;
use super::maps::{Maps, is_maps_section};
use super::{ExternKind, ExternRef};
use crate::insn::RawInsn;

pub const BPF_PSEUDO_MAP_IDX: u8 = 5;
pub const BPF_PSEUDO_MAP_IDX_VALUE: u8 = 6;
pub const BPF_PSEUDO_FUNC: u8 = 4;
pub const BPF_PSEUDO_CALL: u8 = 1;

const LDDW: u8 = 0x18;
const CALL: u8 = 0x85;
const R_BPF_NONE: u32 = 0;
/// Longest chain of first calls followed while appending (the kernel allows 256 subprograms).
const MAX_DEPTH: usize = 256;

/// Where one function landed in the linked program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Placed {
    /// Index into `Code::functions`.
    pub function: usize,
    /// First instruction in the linked program.
    pub base: usize,
}

/// The result of linking one entry function.
#[derive(Debug, Default)]
pub(crate) struct Linked {
    pub insns: Vec<RawInsn>,
    pub placed: Vec<Placed>,
    pub externs: Vec<ExternRef>,
}

struct Linker<'e, 'a> {
    elf: &'e Elf<'a>,
    code: &'e Code,
    maps: &'e Maps,
    entry_name: String,
    out: Linked,
}

impl Linker<'_, '_> {
    fn err(&self, section: usize, message: String) -> ObjectError {
        ObjectError::Program {
            program: self.entry_name.clone(),
            section: self.elf.section_name(section).to_string(),
            message,
        }
    }

    /// Appends a function and links it (depth-first), returning its base.
    fn place(&mut self, fidx: usize, depth: usize) -> Result<usize, ObjectError> {
        if let Some(p) = self.out.placed.iter().find(|p| p.function == fidx) {
            return Ok(p.base);
        }
        let f = self
            .code
            .functions
            .get(fidx)
            .ok_or_else(|| self.err(0, format!("no function #{fidx}")))?
            .clone();
        if depth > MAX_DEPTH {
            return Err(self.err(f.section, "subprogram calls nest too deeply".into()));
        }
        let base = self.out.insns.len();
        let text = self
            .code
            .section_insns(f.section)
            .get(f.start..f.start + f.len)
            .ok_or_else(|| self.err(f.section, format!("function \"{}\" out of range", f.name)))?;
        self.out.insns.extend_from_slice(text);
        self.out.placed.push(Placed {
            function: fidx,
            base,
        });

        let mut i = 0;
        while i < f.len {
            let sec_insn = f.start + i;
            let at = base + i;
            let Some(insn) = self.out.insns.get(at).copied() else {
                break;
            };
            let rel = self.elf.reloc_at(f.section, sec_insn as u64 * 8).copied();
            if insn.code == LDDW {
                if i + 1 >= f.len && rel.is_none() {
                    // A truncated lddw is the verifier's to refuse ("last insn is not an
                    // exit or jmp"), as the kernel does; only a relocation needs the slot.
                    break;
                }
                if i + 1 >= f.len {
                    return Err(self.err(
                        f.section,
                        format!(
                            "lddw at offset {:#x} (insn {sec_insn}) has no second slot",
                            sec_insn * 8
                        ),
                    ));
                }
                if let Some(r) = rel {
                    self.reloc_lddw(f.section, sec_insn, at, insn, r, depth)?;
                }
                i += 2;
                continue;
            }
            if insn.code == CALL {
                self.call(f.section, sec_insn, at, insn, rel, depth)?;
            } else if let Some(r) = rel
                && r.r_type != R_BPF_NONE
                && self.elf.machine == EM_BPF
            {
                let sym = self
                    .elf
                    .symbol(r.symbol)
                    .map(|s| self.elf.symbol_display(s));
                return Err(ObjectError::reloc(
                    self.elf.section_name(f.section),
                    r.offset,
                    format!(
                        "(type {}) against \"{}\" is on instruction {sec_insn} (opcode {:#04x}), which is neither a call nor an lddw",
                        r.r_type,
                        sym.unwrap_or_default(),
                        insn.code
                    ),
                ));
            }
            i += 1;
        }
        Ok(base)
    }

    fn set(&mut self, at: usize, f: impl FnOnce(&mut RawInsn)) {
        if let Some(slot) = self.out.insns.get_mut(at) {
            f(slot);
        }
    }

    /// Target (section, instruction) → its function's index and the instruction's final index.
    fn place_target(
        &mut self,
        section: usize,
        target: i64,
        depth: usize,
        what: &str,
        from_section: usize,
        from_off: u64,
    ) -> Result<usize, ObjectError> {
        let fidx = usize::try_from(target)
            .ok()
            .and_then(|t| Some((t, self.code.function_at(section, t)?)));
        let Some((t, fidx)) = fidx else {
            return Err(ObjectError::reloc(
                self.elf.section_name(from_section),
                from_off,
                format!(
                    "{what} targets instruction {target} of section \"{}\", which is in no function",
                    self.elf.section_name(section)
                ),
            ));
        };
        let base = self.place(fidx, depth + 1)?;
        let start = self.code.functions.get(fidx).map_or(0, |f| f.start);
        Ok(base + (t - start))
    }

    fn call(
        &mut self,
        section: usize,
        sec_insn: usize,
        at: usize,
        insn: RawInsn,
        rel: Option<Reloc>,
        depth: usize,
    ) -> Result<(), ObjectError> {
        let off = sec_insn as u64 * 8;
        let target = match rel {
            Some(r) => {
                let sym = self.elf.symbol(r.symbol).ok_or_else(|| {
                    ObjectError::reloc(
                        self.elf.section_name(section),
                        off,
                        format!("refers to unknown symbol #{}", r.symbol),
                    )
                })?;
                match sym.section {
                    None => {
                        // kfunc or an undefined function: kept as compiled, marked.
                        self.out.externs.push(ExternRef {
                            insn: at,
                            name: sym.name.clone(),
                            kind: ExternKind::Call,
                        });
                        return Ok(());
                    }
                    Some(s) if insn.src == BPF_PSEUDO_CALL => {
                        if sym.value % 8 != 0 {
                            return Err(ObjectError::reloc(
                                self.elf.section_name(section),
                                off,
                                format!(
                                    "call against \"{}\" at unaligned offset {:#x}",
                                    self.elf.symbol_display(sym),
                                    sym.value
                                ),
                            ));
                        }
                        (s, (sym.value / 8) as i64 + insn.imm as i64 + 1)
                    }
                    Some(_) => return Ok(()),
                }
            }
            None if insn.src == BPF_PSEUDO_CALL => (section, sec_insn as i64 + insn.imm as i64 + 1),
            None => return Ok(()),
        };
        let new = self.place_target(target.0, target.1, depth, "call", section, off)?;
        let rel_imm = new as i64 - at as i64 - 1;
        let imm = i32::try_from(rel_imm)
            .map_err(|_| self.err(section, format!("call offset {rel_imm} does not fit")))?;
        self.set(at, |s| s.imm = imm);
        Ok(())
    }

    fn reloc_lddw(
        &mut self,
        section: usize,
        sec_insn: usize,
        at: usize,
        insn: RawInsn,
        r: Reloc,
        depth: usize,
    ) -> Result<(), ObjectError> {
        let off = r.offset;
        let secname = self.elf.section_name(section).to_string();
        let sym = self
            .elf
            .symbol(r.symbol)
            .ok_or_else(|| {
                ObjectError::reloc(
                    &secname,
                    off,
                    format!("refers to unknown symbol #{}", r.symbol),
                )
            })?
            .clone();
        let Some(tsec) = sym.section else {
            if let Some((idx, offsets)) = &self.maps.kconfig
                && let Some(&data_off) = offsets.get(&sym.name)
            {
                // A kconfig extern: its slot in the .kconfig map, as libbpf relocates it.
                let imm = i32::try_from(*idx).unwrap_or(i32::MAX);
                let data_off = data_off as i32;
                self.set(at, |s| {
                    s.src = BPF_PSEUDO_MAP_IDX_VALUE;
                    s.imm = imm;
                });
                self.set(at + 1, |s| s.imm = data_off);
                return Ok(());
            }
            self.out.externs.push(ExternRef {
                insn: at,
                name: sym.name.clone(),
                kind: ExternKind::Load,
            });
            return Ok(());
        };
        let tname = self.elf.section_name(tsec).to_string();
        let display = self.elf.symbol_display(&sym);
        let sym_off = sym.value.wrapping_add(r.addend as u64);

        if is_maps_section(&tname) {
            let found = self
                .maps
                .by_symbol
                .get(&(tsec, sym_off))
                .or_else(|| {
                    // A section symbol with the offset in the instruction (old REL objects).
                    (sym.kind == STT_SECTION)
                        .then(|| {
                            self.maps
                                .by_symbol
                                .get(&(tsec, sym_off.wrapping_add(insn.imm as i64 as u64)))
                        })
                        .flatten()
                })
                .copied();
            let Some(idx) = found else {
                return Err(ObjectError::reloc(
                    &secname,
                    off,
                    format!(
                        "refers to \"{display}\" at offset {sym_off:#x} of section \"{tname}\", where no map is defined"
                    ),
                ));
            };
            let imm = i32::try_from(idx).unwrap_or(i32::MAX);
            self.set(at, |s| {
                s.src = BPF_PSEUDO_MAP_IDX;
                s.imm = imm;
            });
            self.set(at + 1, |s| s.imm = 0);
            return Ok(());
        }
        if let Some(&idx) = self.maps.by_data_section.get(&tsec) {
            let value_off = (insn.imm as i64)
                .wrapping_add(sym.value as i64)
                .wrapping_add(r.addend);
            let value_off = i32::try_from(value_off).map_err(|_| {
                ObjectError::reloc(
                    &secname,
                    off,
                    format!("offset {value_off} into \"{tname}\" does not fit in 32 bits"),
                )
            })?;
            let imm = i32::try_from(idx).unwrap_or(i32::MAX);
            self.set(at, |s| {
                s.src = BPF_PSEUDO_MAP_IDX_VALUE;
                s.imm = imm;
            });
            self.set(at + 1, |s| s.imm = value_off);
            return Ok(());
        }
        if self.elf.section(tsec).is_some_and(|s| s.is_exec()) {
            let byte = (sym.value as i64)
                .wrapping_add(insn.imm as i64)
                .wrapping_add(r.addend);
            if byte % 8 != 0 {
                return Err(ObjectError::reloc(
                    &secname,
                    off,
                    format!("function address of \"{display}\" at unaligned offset {byte:#x}"),
                ));
            }
            let new = self.place_target(tsec, byte / 8, depth, "function address", section, off)?;
            let rel_imm = new as i64 - at as i64 - 1;
            let imm = i32::try_from(rel_imm).map_err(|_| {
                self.err(section, format!("function offset {rel_imm} does not fit"))
            })?;
            self.set(at, |s| {
                s.src = BPF_PSEUDO_FUNC;
                s.imm = imm;
            });
            self.set(at + 1, |s| s.imm = 0);
            return Ok(());
        }
        let _ = sec_insn;
        Err(ObjectError::reloc(
            &secname,
            off,
            format!(
                "refers to \"{display}\" in section \"{tname}\", which holds neither maps, global data nor code"
            ),
        ))
    }
}

/// Links the program whose entry is `Code::functions[entry]`.
pub(crate) fn link(
    elf: &Elf<'_>,
    code: &Code,
    maps: &Maps,
    entry: usize,
) -> Result<Linked, ObjectError> {
    let mut l = Linker {
        elf,
        code,
        maps,
        entry_name: code
            .functions
            .get(entry)
            .map_or_else(String::new, |f| f.name.clone()),
        out: Linked::default(),
    };
    l.place(entry, 0)?;
    Ok(l.out)
}
