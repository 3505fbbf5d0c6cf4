//! The assembler: text → raw slots. Owns the two accepted syntaxes, label resolution and the
//! assembler's error type.
//!
//! One source may mix, line by line:
//! - the bpf_conformance syntax ([`classic`]): `mov32 %r0, 1`, `ldxb %r9, [%r0+0x1]`,
//!   `lock fetch add32 [%r10-8], %r1`, `jne %r0, %r1, exit`, `call local func1`, ...
//! - the llvm-objdump syntax the disassembler prints ([`llvm`]): `r0 = *(u32 *)(r1 + 0x4)`,
//!   `if r1 > r7 goto +0x4`, `r0 = 0x1122334455667788 ll`, ... Whole `llvm-objdump -d` lines
//!   (`   3:\tb7 00 00 00 05 00 00 00\tr0 = 0x5`) are accepted too: the index and the bytes
//!   are skipped.
//!
//! Common to both: `#` and `//` start comments, `name:` defines a label (alone on its line or
//! before an instruction), and every jump or local call takes a label or a signed offset in
//! slots (`+0x4`, `-4`, `4`).
//!
//! A jump to `exit` when no label `exit:` is defined goes to the first `exit` instruction,
//! as in the bpf_conformance assembler.
//!
//! Immediates follow the bpf_conformance assembler: a decimal 32-bit immediate must fit `i32`,
//! a hex one `u32` (so `mov32 %r0, 2147483648` is refused while `0x80000000` is accepted);
//! `lddw` takes any `u64` or `i64`. Offsets must fit `i16` (`i32` for `gotol`/`ja32` and local
//! calls).

mod classic;
mod lex;
mod llvm;

use super::{CallTarget, Insn, RawInsn, encode};
use lex::{Cursor, Target, Tok, tokenize};
use std::collections::HashMap;
use thiserror::Error;

/// An assembler error at a 1-based source line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {kind}")]
pub struct AsmError {
    pub line: usize,
    pub kind: AsmErrorKind,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AsmErrorKind {
    #[error("unknown mnemonic \"{0}\"")]
    UnknownMnemonic(String),
    #[error("invalid register {0}")]
    InvalidRegister(String),
    #[error("immediate {text} out of {bits}-bit range")]
    ImmOutOfRange { text: String, bits: u8 },
    #[error("offset {text} out of {bits}-bit signed range")]
    OffsetOutOfRange { text: String, bits: u8 },
    #[error("invalid number \"{0}\"")]
    InvalidNumber(String),
    #[error("{mnemonic} takes {expected}, got {got} operand(s)")]
    OperandCount {
        mnemonic: String,
        expected: String,
        got: usize,
    },
    #[error("undefined label \"{0}\"")]
    UndefinedLabel(String),
    #[error("duplicate label \"{0}\"")]
    DuplicateLabel(String),
    #[error("jump to \"{label}\" out of range (offset {offset} does not fit {bits} bits)")]
    JumpOutOfRange {
        label: String,
        offset: i64,
        bits: u8,
    },
    #[error("{0}")]
    Syntax(String),
}

/// One instruction as read, with the label its offset still waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stmt {
    insn: Insn,
    label: Option<String>,
}

impl Stmt {
    fn plain(insn: Insn) -> Result<Option<Stmt>, AsmErrorKind> {
        Ok(Some(Stmt { insn, label: None }))
    }
}

/// Builds a jump-like instruction from a target: a numeric offset is checked and set now, a
/// label is left for [`resolve`].
fn with_target(
    insn: Insn,
    target: Target,
) -> Result<Option<Stmt>, AsmErrorKind> {
    match target {
        Target::Offset(n) => {
            let insn = if wide_offset(&insn) {
                set_offset(insn, n.off32()? as i64)
            } else {
                set_offset(insn, n.off16()? as i64)
            };
            Stmt::plain(insn)
        }
        Target::Label(l) => Ok(Some(Stmt {
            insn,
            label: Some(l),
        })),
    }
}

/// Whether the instruction's offset lives in the 32-bit imm (`gotol`, local calls).
fn wide_offset(insn: &Insn) -> bool {
    matches!(
        insn,
        Insn::Ja { long: true, .. } | Insn::Call(CallTarget::Local(_))
    )
}

/// Sets the offset of a jump-like instruction; `off` must fit its field.
fn set_offset(insn: Insn, off: i64) -> Insn {
    match insn {
        Insn::Ja { long, .. } => Insn::Ja {
            off: off as i32,
            long,
        },
        Insn::Jump {
            width,
            cond,
            dst,
            src,
            ..
        } => Insn::Jump {
            width,
            cond,
            dst,
            src,
            off: off as i16,
        },
        Insn::MayGoto { .. } => Insn::MayGoto { off: off as i16 },
        Insn::Call(CallTarget::Local(_)) => Insn::Call(CallTarget::Local(off as i32)),
        other => other,
    }
}

/// A parsed line: the labels it defines and its instruction, if any.
struct Line {
    labels: Vec<String>,
    stmt: Option<Stmt>,
}

/// Removes a `#` or `//` comment.
fn strip_comment(line: &str) -> &str {
    let mut end = line.len();
    if let Some(i) = line.find('#') {
        end = end.min(i);
    }
    if let Some(i) = line.find("//") {
        end = end.min(i);
    }
    line.get(..end).unwrap_or(line)
}

/// Removes the `   3:\tb7 00 00 00 05 00 00 00\t` head of an llvm-objdump line.
fn strip_objdump_head(line: &str) -> &str {
    let t = line.trim_start();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits == 0 || !t[digits..].starts_with(':') {
        return line;
    }
    let mut rest = &t[digits + 1..];
    loop {
        let r = rest.trim_start();
        let b = r.as_bytes();
        let is_byte = b.len() >= 2
            && b[0].is_ascii_hexdigit()
            && b[1].is_ascii_hexdigit()
            && b.get(2).is_none_or(|c| c.is_ascii_whitespace());
        if !is_byte {
            return r;
        }
        rest = &r[2..];
    }
}

fn parse_line(line: &str) -> Result<Line, AsmErrorKind> {
    let text = strip_objdump_head(strip_comment(line));
    let mut cur = Cursor::new(tokenize(text)?);
    let mut labels = Vec::new();
    while let (Some(Tok::Ident(name)), Some(Tok::Punct(":"))) = (cur.peek(), cur.peek_at(1)) {
        labels.push(name.to_string());
        cur.next_tok();
        cur.next_tok();
    }
    let stmt = if cur.at_end() {
        None
    } else if llvm::is_llvm_line(&cur) {
        llvm::parse(&mut cur)?
    } else {
        classic::parse(&mut cur)?
    };
    Ok(Line { labels, stmt })
}

/// Assembles a program into raw slots (`lddw` gives two).
pub fn assemble(src: &str) -> Result<Vec<RawInsn>, AsmError> {
    let mut labels: HashMap<String, usize> = HashMap::new();
    let mut stmts: Vec<(usize, usize, Stmt)> = Vec::new();
    let mut first_exit: Option<usize> = None;
    let mut pc: usize = 0;
    for (i, text) in src.lines().enumerate() {
        let line = i + 1;
        let err = |kind| AsmError { line, kind };
        let parsed = parse_line(text).map_err(err)?;
        for l in parsed.labels {
            if labels.contains_key(&l) {
                return Err(err(AsmErrorKind::DuplicateLabel(l)));
            }
            labels.insert(l, pc);
        }
        if let Some(stmt) = parsed.stmt {
            if stmt.insn == Insn::Exit && first_exit.is_none() {
                first_exit = Some(pc);
            }
            let slots = stmt.insn.slots();
            stmts.push((line, pc, stmt));
            pc = pc.saturating_add(slots);
        }
    }
    let mut out = Vec::with_capacity(pc);
    for (line, pc, stmt) in stmts {
        let insn = match stmt.label {
            None => stmt.insn,
            Some(label) => resolve(stmt.insn, pc, &label, &labels, first_exit)
                .map_err(|kind| AsmError { line, kind })?,
        };
        out.extend(encode(&insn));
    }
    Ok(out)
}

/// Sets the offset of the instruction at `pc` so that it reaches `label`.
fn resolve(
    insn: Insn,
    pc: usize,
    label: &str,
    labels: &HashMap<String, usize>,
    first_exit: Option<usize>,
) -> Result<Insn, AsmErrorKind> {
    let target = match labels.get(label) {
        Some(&t) => t,
        None if label == "exit" => {
            first_exit.ok_or_else(|| AsmErrorKind::UndefinedLabel(label.to_string()))?
        }
        None => return Err(AsmErrorKind::UndefinedLabel(label.to_string())),
    };
    let offset = (target as i64)
        .wrapping_sub(pc as i64)
        .wrapping_sub(1);
    let (fits, bits) = if wide_offset(&insn) {
        (i32::try_from(offset).is_ok(), 32)
    } else {
        (i16::try_from(offset).is_ok(), 16)
    };
    if !fits {
        return Err(AsmErrorKind::JumpOutOfRange {
            label: label.to_string(),
            offset,
            bits,
        });
    }
    Ok(set_offset(insn, offset))
}

/// Assembles a program into its little-endian bytes.
pub fn assemble_bytes(src: &str) -> Result<Vec<u8>, AsmError> {
    Ok(assemble(src)?
        .into_iter()
        .flat_map(|s| s.to_bytes())
        .collect())
}
