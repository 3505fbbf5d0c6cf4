//! Finding functions in executable sections and deciding which are programs.
//!
//! A function is an `STT_FUNC` symbol's range of instructions (size from the symbol; a size of
//! 0 reaches to the next function or the section's end). Objects from old compilers have no
//! `STT_FUNC` symbols: then the section's global `NOTYPE` symbols mark the entry points, and a
//! section with no symbol at all is one function named after the section.
//!
//! Which functions are programs follows libbpf: every function of a non-`.text` executable
//! section is a program and `.text` holds subprograms. An object whose only code is `.text`
//! (test objects built with `clang -c` and no `SEC()`) has its global `.text` functions as
//! programs, as the kernel-verdict loader and PREVAIL treat them.

use super::elf::{Elf, STB_GLOBAL, STB_LOCAL, STT_FUNC, STT_NOTYPE};
use super::error::ObjectError;
use crate::insn::RawInsn;

/// A function: a range of instructions of one executable section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Function {
    pub name: String,
    pub section: usize,
    /// First instruction, as an index into the section.
    pub start: usize,
    pub len: usize,
    /// `STB_LOCAL` (a `static` function).
    pub local: bool,
}

/// The executable sections' instructions and functions.
#[derive(Debug, Default)]
pub(crate) struct Code {
    /// Instructions per section index (empty for non-executable sections).
    pub insns: Vec<Vec<RawInsn>>,
    /// All functions, sorted by (section, start).
    pub functions: Vec<Function>,
}

impl Code {
    pub fn collect(elf: &Elf<'_>) -> Result<Code, ObjectError> {
        let mut code = Code {
            insns: vec![Vec::new(); elf.sections.len()],
            functions: Vec::new(),
        };
        for sec in elf.sections.iter().filter(|s| s.is_exec() && s.size > 0) {
            let insns = RawInsn::slots(sec.data).map_err(|_| {
                ObjectError::section(
                    &sec.name,
                    format!(
                        "size {} is not a multiple of 8 (instructions are 8 bytes)",
                        sec.data.len()
                    ),
                )
            })?;
            let n = insns.len();
            if let Some(slot) = code.insns.get_mut(sec.index) {
                *slot = insns;
            }

            let mut syms: Vec<_> = elf
                .symbols_in(sec.index)
                .filter(|s| s.kind == STT_FUNC)
                .collect();
            if syms.is_empty() {
                syms = elf
                    .symbols_in(sec.index)
                    .filter(|s| s.kind == STT_NOTYPE && s.bind == STB_GLOBAL)
                    .collect();
            }
            syms.sort_by_key(|s| s.value);
            syms.dedup_by_key(|s| s.value);
            if syms.is_empty() {
                code.functions.push(Function {
                    name: sec.name.clone(),
                    section: sec.index,
                    start: 0,
                    len: n,
                    local: false,
                });
                continue;
            }
            for (k, sym) in syms.iter().enumerate() {
                if sym.value % 8 != 0 || sym.size % 8 != 0 {
                    return Err(ObjectError::section(
                        &sec.name,
                        format!(
                            "function \"{}\" at offset {:#x}, size {} is not instruction-aligned",
                            sym.name, sym.value, sym.size
                        ),
                    ));
                }
                let start = (sym.value / 8) as usize;
                let len = if sym.size > 0 {
                    (sym.size / 8) as usize
                } else {
                    let next = syms.get(k + 1).map_or(n, |s| (s.value / 8) as usize);
                    next.saturating_sub(start)
                };
                if start.checked_add(len).is_none_or(|end| end > n) {
                    return Err(ObjectError::section(
                        &sec.name,
                        format!(
                            "function \"{}\" at offset {:#x} (size {}) crosses the section's end ({} bytes)",
                            sym.name,
                            sym.value,
                            sym.size,
                            n * 8
                        ),
                    ));
                }
                if len == 0 {
                    continue;
                }
                code.functions.push(Function {
                    name: sym.name.clone(),
                    section: sec.index,
                    start,
                    len,
                    local: sym.bind == STB_LOCAL,
                });
            }
        }
        code.functions.sort_by_key(|f| (f.section, f.start));
        Ok(code)
    }

    /// The function containing instruction `insn` of a section.
    pub fn function_at(&self, section: usize, insn: usize) -> Option<usize> {
        self.functions
            .iter()
            .position(|f| f.section == section && f.start <= insn && insn < f.start + f.len)
    }

    pub fn section_insns(&self, section: usize) -> &[RawInsn] {
        self.insns.get(section).map_or(&[], |v| v.as_slice())
    }

    /// Indexes into `functions` of the entry programs, in section then offset order.
    pub fn entry_points(&self, elf: &Elf<'_>) -> Vec<usize> {
        let is_text = |f: &Function| elf.section_name(f.section) == ".text";
        let has_sections = self.functions.iter().any(|f| !is_text(f));
        self.functions
            .iter()
            .enumerate()
            .filter(|(_, f)| if has_sections { !is_text(f) } else { !f.local })
            .map(|(i, _)| i)
            .collect()
    }
}
