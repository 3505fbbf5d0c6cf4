//! The bpf_conformance (ubpf-style) syntax: `mnemonic op, op, ...` with `%rN` registers and
//! `[%rN+off]` memory operands. Also reads `call` and `exit`, which the llvm syntax shares.
//!
//! Mnemonics: the ALU operations `add sub mul div sdiv mod smod or and xor lsh rsh arsh mov`
//! (64-bit, or with a `32` or `64` suffix), `neg`/`neg32`/`neg64`, `movsx{8,16}{32,64}` and
//! `movsx3264`, `le`/`be`/`swap`/`bswap` with `16`/`32`/`64`, `lddw`, `ldx{b,h,w,dw}`,
//! `ldxs{b,h,w}`, `st{b,h,w,dw}`, `stx{b,h,w,dw}`, `ldabs{b,h,w}`, `ldind{b,h,w}`,
//! `ja`, `ja32`, `j{eq,ne,gt,ge,lt,le,sgt,sge,slt,sle,set}` (with `32` for JMP32),
//! `lock [fetch] {add,or,and,xor,xchg,cmpxchg}[32]`, `call`, `exit`.

use super::lex::{Cursor, Number, Target, Tok};
use super::{AsmErrorKind, Stmt, with_target};
use crate::insn::{
    AluOp, AtomicOp, ByteOrder, CallTarget, Insn, JmpCond, Ld64Kind, Reg, Size, Source, Width,
};

/// One operand as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operand {
    Reg(Reg),
    Mem(Reg, i16),
    Num(Number),
    Word(String),
}

/// `%rN` → a register (`%r11`.. and anything else are invalid).
pub(super) fn pct_reg(name: &str) -> Result<Reg, AsmErrorKind> {
    let bad = || AsmErrorKind::InvalidRegister(format!("%{name}"));
    let digits = name
        .strip_prefix('r')
        .or_else(|| name.strip_prefix('R'))
        .ok_or_else(bad)?;
    let canonical = digits.len() == 1 || (digits.len() == 2 && !digits.starts_with('0'));
    if !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits.parse().ok().and_then(Reg::new).ok_or_else(bad)
}

fn operand(cur: &mut Cursor<'_>) -> Result<Operand, AsmErrorKind> {
    if cur.at_number() {
        return Ok(Operand::Num(cur.number()?));
    }
    match cur.peek() {
        Some(Tok::Pct(name)) => {
            cur.next_tok();
            Ok(Operand::Reg(pct_reg(name)?))
        }
        Some(Tok::Ident(w)) => {
            cur.next_tok();
            Ok(Operand::Word(w.to_string()))
        }
        Some(Tok::Punct("[")) => {
            cur.next_tok();
            let base = match cur.next_tok() {
                Some(Tok::Pct(name)) => pct_reg(name)?,
                Some(t) => return Err(AsmErrorKind::InvalidRegister(raw_text(t))),
                None => return Err(cur.error("a register")),
            };
            let off = if cur.at_number() {
                // The sign is the `+`/`-` between register and offset.
                match cur.peek() {
                    Some(Tok::Punct("+" | "-")) => cur.number()?.off16()?,
                    _ => return Err(cur.error("\"+\" or \"-\"")),
                }
            } else {
                0
            };
            cur.expect("]")?;
            Ok(Operand::Mem(base, off))
        }
        _ => Err(cur.error("an operand")),
    }
}

/// A token's text as written.
fn raw_text(t: Tok<'_>) -> String {
    match t {
        Tok::Ident(s) | Tok::Num(s) | Tok::Punct(s) => s.to_string(),
        Tok::Pct(s) => format!("%{s}"),
    }
}

fn operands(cur: &mut Cursor<'_>) -> Result<Vec<Operand>, AsmErrorKind> {
    let mut ops = Vec::new();
    while !cur.at_end() {
        ops.push(operand(cur)?);
        cur.eat(",");
    }
    Ok(ops)
}

fn count(m: &str, ops: &[Operand], n: usize, expected: &str) -> Result<(), AsmErrorKind> {
    if ops.len() == n {
        Ok(())
    } else {
        Err(AsmErrorKind::OperandCount {
            mnemonic: m.to_string(),
            expected: expected.to_string(),
            got: ops.len(),
        })
    }
}

fn want_reg(m: &str, op: &Operand) -> Result<Reg, AsmErrorKind> {
    match op {
        Operand::Reg(r) => Ok(*r),
        other => Err(AsmErrorKind::Syntax(format!(
            "{m}: expected a register, found {}",
            describe(other)
        ))),
    }
}

fn want_mem(m: &str, op: &Operand) -> Result<(Reg, i16), AsmErrorKind> {
    match op {
        Operand::Mem(r, off) => Ok((*r, *off)),
        other => Err(AsmErrorKind::Syntax(format!(
            "{m}: expected a memory operand [%rN+off], found {}",
            describe(other)
        ))),
    }
}

fn want_num<'a>(m: &str, op: &'a Operand) -> Result<&'a Number, AsmErrorKind> {
    match op {
        Operand::Num(n) => Ok(n),
        other => Err(AsmErrorKind::Syntax(format!(
            "{m}: expected an immediate, found {}",
            describe(other)
        ))),
    }
}

fn want_source(m: &str, op: &Operand) -> Result<Source, AsmErrorKind> {
    match op {
        Operand::Reg(r) => Ok(Source::Reg(*r)),
        Operand::Num(n) => Ok(Source::Imm(n.imm32()?)),
        other => Err(AsmErrorKind::Syntax(format!(
            "{m}: expected a register or an immediate, found {}",
            describe(other)
        ))),
    }
}

fn want_target(m: &str, op: &Operand) -> Result<Target, AsmErrorKind> {
    match op {
        Operand::Num(n) => Ok(Target::Offset(n.clone())),
        Operand::Word(w) => Ok(Target::Label(w.clone())),
        other => Err(AsmErrorKind::Syntax(format!(
            "{m}: expected a label or an offset, found {}",
            describe(other)
        ))),
    }
}

fn describe(op: &Operand) -> String {
    match op {
        Operand::Reg(r) => format!("register %{r}"),
        Operand::Mem(r, off) => format!("memory operand [%{r}{off:+}]"),
        Operand::Num(n) => format!("number {}", n.text),
        Operand::Word(w) => format!("\"{w}\""),
    }
}

fn alu_op(base: &str, width: Width) -> Option<AluOp> {
    Some(match base {
        "add" => AluOp::Add,
        "sub" => AluOp::Sub,
        "mul" => AluOp::Mul,
        "div" => AluOp::Div,
        "sdiv" => AluOp::SDiv,
        "or" => AluOp::Or,
        "and" => AluOp::And,
        "lsh" => AluOp::Lsh,
        "rsh" => AluOp::Rsh,
        "mod" => AluOp::Mod,
        "smod" => AluOp::SMod,
        "xor" => AluOp::Xor,
        "mov" => AluOp::Mov,
        "arsh" => AluOp::Arsh,
        "movsx8" => AluOp::MovSx(8),
        "movsx16" => AluOp::MovSx(16),
        "movsx32" if width == Width::W64 => AluOp::MovSx(32),
        _ => return None,
    })
}

fn jmp_cond(base: &str) -> Option<JmpCond> {
    Some(match base {
        "jeq" => JmpCond::Eq,
        "jgt" => JmpCond::Gt,
        "jge" => JmpCond::Ge,
        "jset" => JmpCond::Set,
        "jne" => JmpCond::Ne,
        "jsgt" => JmpCond::Sgt,
        "jsge" => JmpCond::Sge,
        "jlt" => JmpCond::Lt,
        "jle" => JmpCond::Le,
        "jslt" => JmpCond::Slt,
        "jsle" => JmpCond::Sle,
        _ => return None,
    })
}

fn size_suffix(s: &str) -> Option<Size> {
    Some(match s {
        "b" => Size::B,
        "h" => Size::H,
        "w" => Size::W,
        "dw" => Size::DW,
        _ => return None,
    })
}

/// Splits an optional `32`/`64` width suffix (no suffix means 64-bit).
fn split_width(m: &str) -> (&str, Width) {
    if let Some(b) = m.strip_suffix("32") {
        (b, Width::W32)
    } else if let Some(b) = m.strip_suffix("64") {
        (b, Width::W64)
    } else {
        (m, Width::W64)
    }
}

/// Whether `m` (lower case) is a mnemonic of this syntax.
fn is_mnemonic(m: &str) -> bool {
    if matches!(m, "exit" | "lddw" | "call" | "lock" | "ja" | "ja32") {
        return true;
    }
    for prefix in ["le", "be", "bswap", "swap"] {
        if matches!(m.strip_prefix(prefix), Some("16" | "32" | "64")) {
            return true;
        }
    }
    let sized = |prefix: &str, dw: bool| {
        m.strip_prefix(prefix)
            .and_then(size_suffix)
            .is_some_and(|s| dw || s != Size::DW)
    };
    if sized("ldxs", false)
        || sized("ldx", true)
        || sized("stx", true)
        || sized("st", true)
        || sized("ldabs", false)
        || sized("ldind", false)
    {
        return true;
    }
    let (base, width) = split_width(m);
    (jmp_cond(base).is_some() && !m.ends_with("64"))
        || base == "neg"
        || alu_op(base, width).is_some()
}

/// Reads one line in the conformance syntax (the cursor is at the mnemonic).
pub(super) fn parse(cur: &mut Cursor<'_>) -> Result<Option<Stmt>, AsmErrorKind> {
    let word = match cur.peek() {
        Some(Tok::Ident(w)) => w,
        _ => return Err(cur.error("a mnemonic")),
    };
    cur.next_tok();
    let m = word.to_ascii_lowercase();
    let m = m.as_str();
    let unknown = || AsmErrorKind::UnknownMnemonic(word.to_string());
    if !is_mnemonic(m) {
        return Err(unknown());
    }
    let ops = operands(cur)?;

    match m {
        "exit" => {
            count(m, &ops, 0, "no operands")?;
            return Stmt::plain(Insn::Exit);
        }
        "lddw" => {
            count(m, &ops, 2, "2 operands (register, immediate)")?;
            let dst = want_reg(m, &ops[0])?;
            let v = want_num(m, &ops[1])?.imm64()?;
            return Stmt::plain(Insn::Ld64 {
                kind: Ld64Kind::Imm,
                dst,
                imm: v as u32 as i32,
                next_imm: (v >> 32) as u32 as i32,
            });
        }
        "call" => return call(&ops),
        "lock" => return lock(&ops),
        "ja" | "ja32" => {
            count(m, &ops, 1, "1 operand (label or offset)")?;
            let target = want_target(m, &ops[0])?;
            let insn = Insn::Ja {
                off: 0,
                long: m == "ja32",
            };
            return with_target(insn, target);
        }
        _ => {}
    }

    // Byte order: le16, be32, swap64, bswap16, ...
    for (prefix, order) in [
        ("le", ByteOrder::ToLe),
        ("be", ByteOrder::ToBe),
        ("bswap", ByteOrder::Swap),
        ("swap", ByteOrder::Swap),
    ] {
        if let Some(bits) = m.strip_prefix(prefix) {
            let bits = match bits {
                "16" => 16,
                "32" => 32,
                "64" => 64,
                _ => return Err(unknown()),
            };
            count(m, &ops, 1, "1 operand (register)")?;
            let dst = want_reg(m, &ops[0])?;
            return Stmt::plain(Insn::Endian { order, bits, dst });
        }
    }

    // Loads and stores.
    if let Some(s) = m.strip_prefix("ldxs").and_then(size_suffix) {
        if s == Size::DW {
            return Err(unknown());
        }
        return load(m, &ops, s, true);
    }
    if let Some(s) = m.strip_prefix("ldx").and_then(size_suffix) {
        return load(m, &ops, s, false);
    }
    if let Some(s) = m.strip_prefix("stx").and_then(size_suffix) {
        count(m, &ops, 2, "2 operands ([%rN+off], register)")?;
        let (dst, off) = want_mem(m, &ops[0])?;
        let src = want_reg(m, &ops[1])?;
        return Stmt::plain(Insn::Store {
            size: s,
            dst,
            off,
            src: Source::Reg(src),
        });
    }
    if let Some(s) = m.strip_prefix("st").and_then(size_suffix) {
        count(m, &ops, 2, "2 operands ([%rN+off], immediate)")?;
        let (dst, off) = want_mem(m, &ops[0])?;
        let imm = want_num(m, &ops[1])?.imm32()?;
        return Stmt::plain(Insn::Store {
            size: s,
            dst,
            off,
            src: Source::Imm(imm),
        });
    }
    if let Some(s) = m.strip_prefix("ldabs").and_then(size_suffix) {
        if s == Size::DW {
            return Err(unknown());
        }
        count(m, &ops, 1, "1 operand (immediate)")?;
        let imm = want_num(m, &ops[0])?.imm32()?;
        return Stmt::plain(Insn::LdAbs { size: s, imm });
    }
    if let Some(s) = m.strip_prefix("ldind").and_then(size_suffix) {
        if s == Size::DW {
            return Err(unknown());
        }
        count(m, &ops, 2, "2 operands (register, immediate)")?;
        let src = want_reg(m, &ops[0])?;
        let imm = want_num(m, &ops[1])?.imm32()?;
        return Stmt::plain(Insn::LdInd { size: s, src, imm });
    }

    // Conditional jumps: jeq, jeq32, ...
    let (base, width) = split_width(m);
    if let Some(cond) = jmp_cond(base) {
        if m.ends_with("64") {
            return Err(unknown());
        }
        count(
            m,
            &ops,
            3,
            "3 operands (register, register or immediate, target)",
        )?;
        let dst = want_reg(m, &ops[0])?;
        let src = want_source(m, &ops[1])?;
        let target = want_target(m, &ops[2])?;
        let insn = Insn::Jump {
            width,
            cond,
            dst,
            src,
            off: 0,
        };
        return with_target(insn, target);
    }

    // ALU.
    if base == "neg" {
        count(m, &ops, 1, "1 operand (register)")?;
        let dst = want_reg(m, &ops[0])?;
        return Stmt::plain(Insn::Neg { width, dst });
    }
    let op = alu_op(base, width).ok_or_else(unknown)?;
    count(m, &ops, 2, "2 operands (register, register or immediate)")?;
    let dst = want_reg(m, &ops[0])?;
    let src = if matches!(op, AluOp::MovSx(_)) {
        Source::Reg(want_reg(m, &ops[1])?)
    } else {
        want_source(m, &ops[1])?
    };
    Stmt::plain(Insn::Alu {
        width,
        op,
        dst,
        src,
    })
}

fn load(
    m: &str,
    ops: &[Operand],
    size: Size,
    sign_extend: bool,
) -> Result<Option<Stmt>, AsmErrorKind> {
    count(m, ops, 2, "2 operands (register, [%rN+off])")?;
    let dst = want_reg(m, &ops[0])?;
    let (src, off) = want_mem(m, &ops[1])?;
    Stmt::plain(Insn::Load {
        size,
        sign_extend,
        dst,
        src,
        off,
    })
}

/// `lock [fetch] op[32] [%rD+off], %rS`.
fn lock(ops: &[Operand]) -> Result<Option<Stmt>, AsmErrorKind> {
    let usage = "[fetch] <op> [%rN+off], <register>";
    let fetch = matches!(ops.first(), Some(Operand::Word(w)) if w.eq_ignore_ascii_case("fetch"));
    let rest = if fetch { &ops[1..] } else { ops };
    let bad_count = || AsmErrorKind::OperandCount {
        mnemonic: "lock".to_string(),
        expected: usage.to_string(),
        got: ops.len(),
    };
    let [Operand::Word(name), mem, src] = rest else {
        if rest.len() == 3 {
            return Err(AsmErrorKind::Syntax(format!(
                "lock: expected an atomic operation, found {}",
                describe(&rest[0])
            )));
        }
        return Err(bad_count());
    };
    let name = name.to_ascii_lowercase();
    let (base, size) = match name.strip_suffix("32") {
        Some(b) => (b, Size::W),
        None => (name.as_str(), Size::DW),
    };
    let (op, fetch) = match base {
        "add" => (AtomicOp::Add, fetch),
        "or" => (AtomicOp::Or, fetch),
        "and" => (AtomicOp::And, fetch),
        "xor" => (AtomicOp::Xor, fetch),
        "xchg" => (AtomicOp::Xchg, true),
        "cmpxchg" => (AtomicOp::CmpXchg, true),
        _ => return Err(AsmErrorKind::UnknownMnemonic(format!("lock {name}"))),
    };
    let (dst, off) = want_mem("lock", mem)?;
    let src = want_reg("lock", src)?;
    Stmt::plain(Insn::Atomic {
        size,
        op,
        fetch,
        dst,
        src,
        off,
    })
}

/// `call 5`, `call %r2` (callx), `call local <target>`, `call helper 5`,
/// `call runtime 5` / `call kfunc 5 [module 3]` (kfunc by BTF id).
fn call(ops: &[Operand]) -> Result<Option<Stmt>, AsmErrorKind> {
    let usage = || {
        AsmErrorKind::Syntax(
            "call takes a helper id, a register (callx), `local <label or offset>` or \
             `kfunc <btf id> [module <index>]`"
                .to_string(),
        )
    };
    let word = |op: &Operand, w: &str| matches!(op, Operand::Word(x) if x.eq_ignore_ascii_case(w));
    match ops {
        [Operand::Num(n)] => Stmt::plain(Insn::Call(CallTarget::Helper(n.imm32()?))),
        [Operand::Reg(r)] => Stmt::plain(Insn::CallX { reg: *r }),
        [h, Operand::Num(n)] if word(h, "helper") => {
            Stmt::plain(Insn::Call(CallTarget::Helper(n.imm32()?)))
        }
        [h, Operand::Reg(r)] if word(h, "helper") => Stmt::plain(Insn::CallX { reg: *r }),
        [l, t] if word(l, "local") => {
            let target = want_target("call local", t)?;
            with_target(Insn::Call(CallTarget::Local(0)), target)
        }
        [k, Operand::Num(n)] if word(k, "kfunc") || word(k, "runtime") => {
            Stmt::plain(Insn::Call(CallTarget::Kfunc {
                btf_id: n.imm32()?,
                module: 0,
            }))
        }
        [k, Operand::Num(n), mw, Operand::Num(module)]
            if (word(k, "kfunc") || word(k, "runtime")) && word(mw, "module") =>
        {
            let module =
                i16::try_from(module.value()).map_err(|_| AsmErrorKind::ImmOutOfRange {
                    text: module.text.clone(),
                    bits: 16,
                })?;
            Stmt::plain(Insn::Call(CallTarget::Kfunc {
                btf_id: n.imm32()?,
                module,
            }))
        }
        [] => Err(AsmErrorKind::OperandCount {
            mnemonic: "call".to_string(),
            expected: "1 or 2 operands".to_string(),
            got: 0,
        }),
        _ => Err(usage()),
    }
}
