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
    /// The function's linkage and parameters, where its BTF FUNC_PROTO gives them.
    pub signature: Option<FuncSig>,
}

/// What the verifier reads from a function's BTF: whether it is global (verified once,
/// on its own, from its parameter types) and what its parameters are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncSig {
    /// `BTF_FUNC_GLOBAL` linkage.
    pub global: bool,
    pub params: Vec<FuncParam>,
    /// Returns an integer of at most 8 bytes or an enum (`btf_type_is_small_int`,
    /// `btf_is_any_enum`): what `LD_ABS` and tail calls in subprograms need.
    pub scalar_return: bool,
}

/// A parameter as `btf_prepare_func_args` sorts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FuncParam {
    /// An integer or enum.
    Scalar,
    /// A pointer to `struct <name>` (maybe the program's context) of `size` bytes, or to
    /// another type of `size` bytes (`name` empty); `size` is `None` when BTF cannot size
    /// the target (`void *`). `nonnull` when tagged `arg:nonnull` (`__arg_nonnull`).
    Ptr {
        name: String,
        size: Option<u64>,
        nonnull: bool,
    },
    /// Tagged `arg:ctx` (`__arg_ctx`): the program's context, whatever its C type.
    Ctx,
    /// Tagged `arg:trusted` (`__arg_trusted`): a trusted BTF pointer, maybe NULL when also
    /// tagged `arg:nullable`.
    Trusted { nullable: bool },
    /// Anything else (also `arg:arena`, ... tagged pointers).
    Other,
}

/// The signature of BTF FUNC `type_id`.
fn func_sig(btf: &BtfTypes, type_id: u32) -> Option<FuncSig> {
    use super::btf::BtfKind;
    let func = btf.get(type_id).filter(|t| t.kind == BtfKind::Func)?;
    let proto = btf
        .get(func.size_or_type)
        .filter(|t| t.kind == BtfKind::FuncProto)?;
    // Decl tags on the parameters: `arg:ctx`, `arg:nonnull`, ...
    let tags = |i: usize| {
        btf.iter()
            .filter(move |(_, t)| {
                t.kind == BtfKind::DeclTag && t.size_or_type == type_id && t.linkage == i as u32
            })
            .map(|(_, t)| t.name.as_str())
    };
    let params = proto
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut nonnull = false;
            let (mut trusted, mut nullable) = (false, false);
            for tag in tags(i) {
                match tag {
                    "arg:ctx" => return FuncParam::Ctx,
                    "arg:nonnull" => nonnull = true,
                    "arg:trusted" => trusted = true,
                    "arg:nullable" => nullable = true,
                    t if t.starts_with("arg:") => return FuncParam::Other,
                    _ => {}
                }
            }
            if trusted {
                return FuncParam::Trusted { nullable };
            }
            let Some(t) = btf.skip_mods(m.type_id).and_then(|id| btf.get(id)) else {
                return FuncParam::Other;
            };
            match t.kind {
                BtfKind::Int | BtfKind::Enum | BtfKind::Enum64 => FuncParam::Scalar,
                BtfKind::Ptr => {
                    let target = btf.skip_mods(t.size_or_type);
                    let tt = target.and_then(|id| btf.get(id));
                    let name = tt
                        .filter(|t| matches!(t.kind, BtfKind::Struct | BtfKind::Union))
                        .map_or(String::new(), |t| t.name.clone());
                    let size = target.and_then(|id| btf.size_of(id)).filter(|&s| s > 0);
                    FuncParam::Ptr {
                        name,
                        size,
                        nonnull,
                    }
                }
                _ => FuncParam::Other,
            }
        })
        .collect();
    let ret = btf.skip_mods(proto.size_or_type).and_then(|id| btf.get(id));
    let scalar_return = ret.is_some_and(|t| match t.kind {
        BtfKind::Int => t.size_or_type <= 8,
        BtfKind::Enum | BtfKind::Enum64 => true,
        _ => false,
    });
    Some(FuncSig {
        global: func.vlen == 1,
        params,
        scalar_return,
    })
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
                    signature: func_sig(btf, r.type_id),
                });
            }
        }
    }
    lines.sort_by_key(|l| l.insn);
    funcs.sort_by_key(|f| f.insn);
    (lines, funcs)
}
