//! Line and function info of a linked program: `.BTF.ext` records of every placed function,
//! moved to their instruction offsets in the final program, with file names and source text
//! read from the BTF string table.

use super::btf::BtfTypes;
use super::btf_ext::BtfExtInfo;
use super::elf::Elf;
use super::functions::Code;
use super::link::Placed;

/// A source position: what `; text @ file:line` in the kernel's verifier log shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub file: String,
    pub line: u32,
    pub col: u32,
    /// The source line's text as the compiler recorded it.
    pub text: String,
}

/// One `bpf_line_info` record at its instruction in the final program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInfo {
    pub insn: usize,
    pub source: SourceLine,
    /// The raw BTF string offsets and line/column word, as the kernel takes them.
    pub file_name_off: u32,
    pub line_off: u32,
    pub line_col: u32,
}

/// One `bpf_func_info` record at its instruction in the final program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    pub insn: usize,
    pub type_id: u32,
    /// The BTF FUNC's name.
    pub name: String,
}

pub(crate) fn for_program(
    elf: &Elf<'_>,
    code: &Code,
    placed: &[Placed],
    ext: Option<&BtfExtInfo>,
    btf: Option<&BtfTypes>,
) -> (Vec<LineInfo>, Vec<FuncInfo>) {
    let (Some(ext), Some(btf)) = (ext, btf) else {
        return (Vec::new(), Vec::new());
    };
    let mut lines = Vec::new();
    let mut funcs = Vec::new();
    let mut order: Vec<&Placed> = placed.iter().collect();
    order.sort_by_key(|p| p.base);
    for p in order {
        let Some(f) = code.functions.get(p.function) else {
            continue;
        };
        let sec = elf.section_name(f.section);
        let inside = |insn: u32| {
            let i = insn as usize;
            (i >= f.start && i < f.start + f.len).then(|| p.base + (i - f.start))
        };
        for r in ext.line_info.get(sec).into_iter().flatten() {
            if let Some(insn) = inside(r.insn) {
                lines.push(LineInfo {
                    insn,
                    source: SourceLine {
                        file: btf
                            .string_at(r.file_name_off)
                            .unwrap_or_default()
                            .to_string(),
                        line: r.line_col >> 10,
                        col: r.line_col & 0x3ff,
                        text: btf.string_at(r.line_off).unwrap_or_default().to_string(),
                    },
                    file_name_off: r.file_name_off,
                    line_off: r.line_off,
                    line_col: r.line_col,
                });
            }
        }
        for r in ext.func_info.get(sec).into_iter().flatten() {
            if let Some(insn) = inside(r.insn) {
                funcs.push(FuncInfo {
                    insn,
                    type_id: r.type_id,
                    name: btf
                        .get(r.type_id)
                        .map(|t| t.name.clone())
                        .unwrap_or_default(),
                });
            }
        }
    }
    lines.sort_by_key(|l| l.insn);
    funcs.sort_by_key(|f| f.insn);
    (lines, funcs)
}
