//! The assembler: text → raw slots. Owns the two accepted syntaxes, label resolution and the
//! assembler's error type.
//!
//! One source may mix, line by line:
//! - the bpf_conformance syntax (module `classic`): `mov32 %r0, 1`, `ldxb %r9, [%r0+0x1]`,
//!   `lock fetch add32 [%r10-8], %r1`, `jne %r0, %r1, exit`, `call local func1`, ...
//! - the llvm-objdump syntax the disassembler prints (module `llvm`): `r0 = *(u32 *)(r1 + 0x4)`,
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
fn with_target(insn: Insn, target: Target) -> Result<Option<Stmt>, AsmErrorKind> {
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
    let offset = (target as i64).wrapping_sub(pc as i64).wrapping_sub(1);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(src: &str) -> String {
        match assemble_bytes(src) {
            Ok(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
            Err(e) => panic!("{src:?}: {e}"),
        }
    }

    fn err(src: &str) -> String {
        match assemble(src) {
            Ok(p) => panic!("{src:?} assembled to {p:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn conformance_syntax_matches_llvm_mc_bytes() {
        // Each pair: the conformance spelling and the llvm spelling of one instruction; the
        // expected bytes are what llvm-mc-19 -mcpu=v4 emits for the llvm spelling.
        let cases = [
            ("mov32 %r0, 1", "w0 = 1", "b400000001000000"),
            ("mov %r0, -1", "r0 = -1", "b7000000ffffffff"),
            ("mov64 %r0, %r1", "r0 = r1", "bf10000000000000"),
            ("add32 %r0, %r1", "w0 += w1", "0c10000000000000"),
            ("sdiv %r0, %r2", "r0 s/= r2", "3f20010000000000"),
            ("smod32 %r0, 7", "w0 s%= 7", "9400010007000000"),
            ("arsh32 %r0, 3", "w0 s>>= 3", "c400000003000000"),
            ("neg %r0", "r0 = -r0", "8700000000000000"),
            ("neg32 %r0", "w0 = -w0", "8400000000000000"),
            ("movsx864 %r0, %r1", "r0 = (s8)r1", "bf10080000000000"),
            ("movsx3264 %r0, %r1", "r0 = (s32)r1", "bf10200000000000"),
            ("movsx1632 %r0, %r1", "w0 = (s16)w1", "bc10100000000000"),
            ("be16 %r1", "r1 = be16 r1", "dc01000010000000"),
            ("le64 %r1", "r1 = le64 r1", "d401000040000000"),
            ("bswap32 %r1", "r1 = bswap32 r1", "d701000020000000"),
            ("swap64 %r1", "r1 = bswap64 r1", "d701000040000000"),
            (
                "lddw %r0, 0x1122334455667788",
                "r0 = 0x1122334455667788 ll",
                "18000000887766550000000044332211",
            ),
            (
                "ldxb %r9, [%r0+0x1]",
                "r9 = *(u8 *)(r0 + 0x1)",
                "7109010000000000",
            ),
            (
                "ldxdw %r0, [%r10-8]",
                "r0 = *(u64 *)(r10 - 8)",
                "79a0f8ff00000000",
            ),
            (
                "ldxsh %r0, [%r1+2]",
                "r0 = *(s16 *)(r1 + 2)",
                "8910020000000000",
            ),
            (
                "stxdw [%r10-8], %r1",
                "*(u64 *)(r10 - 8) = r1",
                "7b1af8ff00000000",
            ),
            (
                "stb [%r10-1], 5",
                "*(u8 *)(r10 - 1) = 5",
                "720affff05000000",
            ),
            (
                "lock add [%r10-8], %r1",
                "lock *(u64 *)(r10 - 8) += r1",
                "db1af8ff00000000",
            ),
            (
                "lock fetch add32 [%r10-8], %r0",
                "w0 = atomic_fetch_add((u32 *)(r10 - 8), w0)",
                "c30af8ff01000000",
            ),
            (
                "lock xchg [%r10-8], %r1",
                "r1 = xchg_64(r10 - 8, r1)",
                "db1af8ffe1000000",
            ),
            (
                "lock cmpxchg32 [%r10-8], %r1",
                "w0 = cmpxchg32_32(r10 - 8, w0, w1)",
                "c31af8fff1000000",
            ),
            ("ldabsb 12", "r0 = *(u8 *)skb[12]", "300000000c000000"),
            ("ldindh %r1, 0", "r0 = *(u16 *)skb[r1]", "4810000000000000"),
            ("jgt %r1, %r7, +4", "if r1 > r7 goto +4", "2d71040000000000"),
            ("jeq32 %r1, 5, -4", "if w1 == 5 goto -4", "1601fcff05000000"),
            ("ja +3", "goto +3", "0500030000000000"),
            ("ja32 -100", "gotol -100", "060000009cffffff"),
            ("call 5", "call 0x5", "8500000005000000"),
            ("call %r2", "callx r2", "8d02000000000000"),
            ("exit", "exit", "9500000000000000"),
        ];
        for (conf, llvm, bytes) in cases {
            assert_eq!(hex(conf), bytes, "{conf}");
            assert_eq!(hex(llvm), bytes, "{llvm}");
        }
    }

    #[test]
    fn llvm_immediates_and_lddw_forms() {
        assert_eq!(hex("r0 = -0x1 ll"), "18000000ffffffff00000000ffffffff");
        // Without `ll`, a value that does not fit a 32-bit immediate needs lddw.
        assert_eq!(
            hex("r0 = 0x1122334455667788"),
            hex("r0 = 0x1122334455667788 ll")
        );
        assert_eq!(hex("r0 = 0x7fffffff"), "b7000000ffffff7f");
        assert_eq!(hex("w0 = -0x80000000"), "b400000000000080");
        assert_eq!(
            hex("r1 = map_value(0x5, 0x8) ll"),
            "18210000050000000000000008000000"
        );
        assert_eq!(hex("r1 = map_fd(5) ll"), "18110000050000000000000000000000");
        assert_eq!(
            hex("ld_pseudo r1, 0x2, 0x5"),
            "18210000050000000000000000000000"
        );
        assert_eq!(hex("call kfunc 0x4d2 module 3"), "85200300d2040000");
        assert_eq!(hex("call runtime 1234"), "85200000d2040000");
        assert_eq!(hex("call local -0x1"), "85100000ffffffff");
        assert_eq!(hex("may_goto +3"), "e500030000000000");
        assert_eq!(hex("r0 = *(u8 *)skb[r1 - 0x5]"), "50100000fbffffff");
        // The w forms of `llvm-objdump --mcpu=v4`.
        assert_eq!(hex("w0 = *(u8 *)(r1 + 0x4)"), "7110040000000000");
        assert_eq!(hex("*(u32 *)(r10 - 0x4) = w1"), "631afcff00000000");
        assert_eq!(hex("lock *(u32 *)(r10 - 0x8) += w1"), "c31af8ff00000000");
    }

    #[test]
    fn labels_resolve_in_both_directions() {
        let src = "
            # count down
            mov %r0, 3
        loop:
            sub %r0, 1
            jne %r0, 0, loop     # backwards
            ja done
            lddw %r1, 0x100000000
        done: exit
            if r0 == 0 goto loop
            gotol done
            call local sub
        sub:
            exit
        ";
        let p = assemble(src).unwrap();
        // loop = 1, done = 6 (lddw takes 2 slots), sub = 10.
        assert_eq!(p[2].off, -2);
        assert_eq!(p[3].off, 2);
        assert_eq!(p[7].off, -7);
        assert_eq!(p[8].imm, -3);
        assert_eq!(p[9].imm, 0);
    }

    #[test]
    fn exit_label_means_the_first_exit() {
        // As the bpf_conformance assembler (and the manifest bytes) have it.
        let p = assemble(
            "jeq %r1, 0, exit
mov %r0, 1
exit
mov %r0, 2
exit",
        )
        .unwrap();
        assert_eq!(p[0].off, 1);
        // A defined `exit:` label wins.
        let p = assemble(
            "ja exit
exit
exit:
exit",
        )
        .unwrap();
        assert_eq!(p[0].off, 1);
        assert_eq!(
            err("ja exit
mov %r0, 1"),
            "line 1: undefined label \"exit\""
        );
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        assert_eq!(err("exit\n\nfoo %r0"), "line 3: unknown mnemonic \"foo\"");
        assert_eq!(
            err("exit\nmov32 %r0, 2147483648"),
            "line 2: immediate 2147483648 out of 32-bit range"
        );
        assert_eq!(
            err("mov32 %r0, 0x100000000"),
            "line 1: immediate 0x100000000 out of 32-bit range"
        );
        assert_eq!(err("\n\n\n\nja L9"), "line 5: undefined label \"L9\"");
        assert_eq!(err("foo = 1"), "line 1: unknown mnemonic \"foo\"");
        assert_eq!(
            err("ldxdq %r0, [%r1]"),
            "line 1: unknown mnemonic \"ldxdq\""
        );
        assert_eq!(err("mov %r11, 1"), "line 1: invalid register %r11");
        assert_eq!(err("r11 = 1"), "line 1: invalid register r11");
        assert_eq!(
            err("lddw %r0"),
            "line 1: lddw takes 2 operands (register, immediate), got 1 operand(s)"
        );
        assert_eq!(
            err("ldxb %r0, [%r1+0x10000]"),
            "line 1: offset +0x10000 out of 16-bit signed range"
        );
        assert_eq!(
            err("r0 = *(u8 *)(r1 + 32768)"),
            "line 1: offset +32768 out of 16-bit signed range"
        );
        assert_eq!(err("a:\na:"), "line 2: duplicate label \"a\"");
        assert!(err("lock").contains("lock takes"));
        assert!(err("lock or [%r10-8]").contains("lock takes"));
        assert!(err("r0 = w1").contains("expected a 64-bit register"));
        assert!(err("mov %r0, 1 2").starts_with("line 1: mov takes"));
        assert!(err("r0 = r1 r2").contains("unexpected"));
    }

    #[test]
    fn jumps_out_of_range_are_refused() {
        let mut src = String::from("ja end\n");
        for _ in 0..40000 {
            src.push_str("mov %r0, 0\n");
        }
        src.push_str("end: exit\n");
        let e = assemble(&src).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(
            matches!(e.kind, AsmErrorKind::JumpOutOfRange { offset: 40000, .. }),
            "{e}"
        );
        // gotol reaches it.
        let long = src.replacen("ja end", "ja32 end", 1);
        assert_eq!(assemble(&long).unwrap()[0].imm, 40000);
    }

    #[test]
    fn objdump_lines_and_comments_are_accepted() {
        let src = "       0:\tb7 00 00 00 05 00 00 00\tr0 = 0x5\n\
                   \x20      1:\t18 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0x1 ll\n\
                   \x20      3:\t05 00 ff ff 00 00 00 00\tgoto -0x1 <.text+0x18>\n\
                   exit // done\n";
        assert_eq!(
            hex(src),
            "b700000005000000180100000100000000000000000000000500ffff000000009500000000000000"
        );
        assert_eq!(assemble("  # only a comment\n\n").unwrap(), vec![]);
    }
}
