//! The llvm-objdump syntax (what [`crate::insn::disasm`] prints): C-like statements over
//! `rN` (64-bit) and `wN` (32-bit) registers, such as `r0 += 0x1`, `w0 = (s8)w1`,
//! `r0 = *(u32 *)(r1 + 0x4)`, `*(u64 *)(r10 - 0x8) = r1`, `lock *(u32 *)(r10 - 0x8) += w1`,
//! `r0 = atomic_fetch_add((u64 *)(r10 - 0x8), r0)`, `if w1 s> 0x5 goto -0x2`, `gotol +0x3`,
//! `may_goto +0x1`, `callx r2`, `r0 = 0x1 ll`, `r1 = map_fd(0x5) ll` and `ld_pseudo r1, 1, 5`.
//! `call` and `exit` are shared with the conformance syntax and read there.
//!
//! An immediate move without `ll` whose value does not fit a 32-bit immediate becomes an
//! `lddw` (`r0 = 0x1122334455667788`).

use super::classic::pct_reg;
use super::lex::{Cursor, Tok};
use super::{AsmErrorKind, Stmt, with_target};
use crate::insn::{AluOp, AtomicOp, ByteOrder, Insn, JmpCond, Ld64Kind, Reg, Size, Source, Width};

/// Whether a word looks like an llvm register (`r1`, `w10`, `r99`).
fn is_reg_word(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 2
        && matches!(b[0], b'r' | b'R' | b'w' | b'W')
        && b[1..].iter().all(u8::is_ascii_digit)
}

/// Whether the line (cursor at its first token) is in the llvm syntax.
pub(super) fn is_llvm_line(cur: &Cursor<'_>) -> bool {
    match cur.peek() {
        Some(Tok::Punct("*")) => true,
        Some(Tok::Ident(w)) => {
            let lw = w.to_ascii_lowercase();
            match lw.as_str() {
                "if" | "goto" | "gotol" | "may_goto" | "callx" | "ld_pseudo" => true,
                "lock" => matches!(cur.peek_at(1), Some(Tok::Punct("*"))),
                _ => is_reg_word(w) && matches!(cur.peek_at(1), Some(Tok::Punct(_))),
            }
        }
        _ => false,
    }
}

/// A register word → its width and number.
fn reg_word(w: &str) -> Result<(Width, Reg), AsmErrorKind> {
    let bad = || AsmErrorKind::InvalidRegister(w.to_string());
    if !is_reg_word(w) {
        return Err(bad());
    }
    let width = if w.starts_with(['w', 'W']) {
        Width::W32
    } else {
        Width::W64
    };
    let digits = &w[1..];
    if digits.len() > 2 || (digits.len() == 2 && digits.starts_with('0')) {
        return Err(bad());
    }
    let reg = digits.parse().ok().and_then(Reg::new).ok_or_else(bad)?;
    Ok((width, reg))
}

fn reg(cur: &mut Cursor<'_>) -> Result<(Width, Reg), AsmErrorKind> {
    match cur.peek() {
        Some(Tok::Ident(w)) if is_reg_word(w) => {
            cur.next_tok();
            reg_word(w)
        }
        Some(Tok::Pct(w)) => {
            cur.next_tok();
            Ok((Width::W64, pct_reg(w)?))
        }
        _ => Err(cur.error("a register")),
    }
}

/// A register of the given width.
fn reg_of(cur: &mut Cursor<'_>, width: Width) -> Result<Reg, AsmErrorKind> {
    let (w, r) = reg(cur)?;
    if w != width {
        return Err(width_error(width, r));
    }
    Ok(r)
}

fn width_error(want: Width, r: Reg) -> AsmErrorKind {
    let (want, got) = match want {
        Width::W64 => ("a 64-bit register (rN)", format!("w{}", r.index())),
        Width::W32 => ("a 32-bit register (wN)", format!("r{}", r.index())),
    };
    AsmErrorKind::Syntax(format!("expected {want}, found \"{got}\""))
}

/// A register or an immediate of the given width.
fn source(cur: &mut Cursor<'_>, width: Width) -> Result<Source, AsmErrorKind> {
    if cur.at_number() {
        Ok(Source::Imm(cur.number()?.imm32()?))
    } else {
        Ok(Source::Reg(reg_of(cur, width)?))
    }
}

/// `(u32 *)` → size and signedness.
fn mem_type(cur: &mut Cursor<'_>) -> Result<(Size, bool), AsmErrorKind> {
    cur.expect("(")?;
    let t = match cur.peek() {
        Some(Tok::Ident(t)) => t.to_ascii_lowercase(),
        _ => return Err(cur.error("a type (u8, u16, u32, u64, s8, s16, s32)")),
    };
    let ty = match t.as_str() {
        "u8" => (Size::B, false),
        "u16" => (Size::H, false),
        "u32" => (Size::W, false),
        "u64" => (Size::DW, false),
        "s8" => (Size::B, true),
        "s16" => (Size::H, true),
        "s32" => (Size::W, true),
        _ => return Err(cur.error("a type (u8, u16, u32, u64, s8, s16, s32)")),
    };
    cur.next_tok();
    cur.expect("*")?;
    cur.expect(")")?;
    Ok(ty)
}

fn unsigned_type(cur: &mut Cursor<'_>) -> Result<Size, AsmErrorKind> {
    match mem_type(cur)? {
        (size, false) => Ok(size),
        (_, true) => Err(AsmErrorKind::Syntax(
            "a store or atomic needs an unsigned type".to_string(),
        )),
    }
}

/// `r1 + 0x4` / `r10 - 8` / `r1` (no parentheses).
fn addr_inner(cur: &mut Cursor<'_>) -> Result<(Reg, i16), AsmErrorKind> {
    let base = reg_of(cur, Width::W64)?;
    let off = match cur.peek() {
        Some(Tok::Punct("+" | "-")) => cur.number()?.off16()?,
        _ => 0,
    };
    Ok((base, off))
}

/// `(r1 + 0x4)`.
fn addr(cur: &mut Cursor<'_>) -> Result<(Reg, i16), AsmErrorKind> {
    cur.expect("(")?;
    let a = addr_inner(cur)?;
    cur.expect(")")?;
    Ok(a)
}

fn ld64(dst: Reg, kind: Ld64Kind, v: u64) -> Insn {
    Insn::Ld64 {
        kind,
        dst,
        imm: v as u32 as i32,
        next_imm: (v >> 32) as u32 as i32,
    }
}

fn done(cur: &Cursor<'_>, insn: Insn) -> Result<Option<Stmt>, AsmErrorKind> {
    cur.expect_end()?;
    Stmt::plain(insn)
}

/// Reads one line in the llvm syntax (see [`is_llvm_line`]).
pub(super) fn parse(cur: &mut Cursor<'_>) -> Result<Option<Stmt>, AsmErrorKind> {
    if cur.eat("*") {
        return store(cur);
    }
    let Some(Tok::Ident(first)) = cur.peek() else {
        return Err(cur.error("an instruction"));
    };
    match first.to_ascii_lowercase().as_str() {
        "if" => {
            cur.next_tok();
            jump(cur)
        }
        kw @ ("goto" | "gotol" | "may_goto") => {
            cur.next_tok();
            let insn = match kw {
                "goto" => Insn::Ja {
                    off: 0,
                    long: false,
                },
                "gotol" => Insn::Ja { off: 0, long: true },
                _ => Insn::MayGoto { off: 0 },
            };
            let target = cur.target()?;
            cur.expect_end()?;
            with_target(insn, target)
        }
        "callx" => {
            cur.next_tok();
            let (_, r) = reg(cur)?;
            done(cur, Insn::CallX { reg: r })
        }
        "ld_pseudo" => {
            cur.next_tok();
            let dst = reg_of(cur, Width::W64)?;
            cur.expect(",")?;
            let k = cur.number()?;
            let kind = u8::try_from(k.value())
                .ok()
                .filter(|&s| s != 0)
                .and_then(Ld64Kind::from_src)
                .ok_or_else(|| {
                    AsmErrorKind::Syntax(format!("unknown lddw pseudo source {}", k.text))
                })?;
            cur.expect(",")?;
            let imm = cur.number()?.imm32()?;
            let next_imm = if cur.eat(",") {
                cur.number()?.imm32()?
            } else {
                0
            };
            done(
                cur,
                Insn::Ld64 {
                    kind,
                    dst,
                    imm,
                    next_imm,
                },
            )
        }
        "lock" => {
            cur.next_tok();
            cur.expect("*")?;
            lock(cur)
        }
        _ => assignment(cur),
    }
}

fn jump(cur: &mut Cursor<'_>) -> Result<Option<Stmt>, AsmErrorKind> {
    let (width, dst) = reg(cur)?;
    let cond = match cur.next_tok() {
        Some(Tok::Punct(p)) => match p {
            "==" => JmpCond::Eq,
            "!=" => JmpCond::Ne,
            ">" => JmpCond::Gt,
            ">=" => JmpCond::Ge,
            "<" => JmpCond::Lt,
            "<=" => JmpCond::Le,
            "s>" => JmpCond::Sgt,
            "s>=" => JmpCond::Sge,
            "s<" => JmpCond::Slt,
            "s<=" => JmpCond::Sle,
            "&" => JmpCond::Set,
            other => {
                return Err(AsmErrorKind::Syntax(format!(
                    "unknown jump condition \"{other}\""
                )));
            }
        },
        _ => {
            return Err(AsmErrorKind::Syntax(
                "expected a jump condition".to_string(),
            ));
        }
    };
    let src = source(cur, width)?;
    cur.expect_word("goto")?;
    let target = cur.target()?;
    cur.expect_end()?;
    let insn = Insn::Jump {
        width,
        cond,
        dst,
        src,
        off: 0,
    };
    with_target(insn, target)
}

/// `*(u32 *)(r10 - 0x4) = r1` / `= 0x5` (the `*` is read).
fn store(cur: &mut Cursor<'_>) -> Result<Option<Stmt>, AsmErrorKind> {
    let size = unsigned_type(cur)?;
    let (dst, off) = addr(cur)?;
    cur.expect("=")?;
    let src = if cur.at_number() {
        Source::Imm(cur.number()?.imm32()?)
    } else {
        let (w, r) = reg(cur)?;
        if w == Width::W32 && size == Size::DW {
            return Err(width_error(Width::W64, r));
        }
        Source::Reg(r)
    };
    done(
        cur,
        Insn::Store {
            size,
            dst,
            off,
            src,
        },
    )
}

/// `lock *(u64 *)(r10 - 0x8) += r1` (`lock *` is read).
fn lock(cur: &mut Cursor<'_>) -> Result<Option<Stmt>, AsmErrorKind> {
    let size = unsigned_type(cur)?;
    let width = atomic_width(size)?;
    let (dst, off) = addr(cur)?;
    let op = match cur.next_tok() {
        Some(Tok::Punct("+=")) => AtomicOp::Add,
        Some(Tok::Punct("|=")) => AtomicOp::Or,
        Some(Tok::Punct("&=")) => AtomicOp::And,
        Some(Tok::Punct("^=")) => AtomicOp::Xor,
        _ => {
            return Err(AsmErrorKind::Syntax(
                "expected an atomic operator (+=, |=, &=, ^=)".to_string(),
            ));
        }
    };
    let src = atomic_reg(cur, width)?;
    done(
        cur,
        Insn::Atomic {
            size,
            op,
            fetch: false,
            dst,
            src,
            off,
        },
    )
}

fn atomic_width(size: Size) -> Result<Width, AsmErrorKind> {
    match size {
        Size::W => Ok(Width::W32),
        Size::DW => Ok(Width::W64),
        _ => Err(AsmErrorKind::Syntax(
            "atomic operations are 32- or 64-bit (u32, u64)".to_string(),
        )),
    }
}

/// The value register of an atomic: `rN` for 64-bit, `wN` (or `rN`) for 32-bit.
fn atomic_reg(cur: &mut Cursor<'_>, width: Width) -> Result<Reg, AsmErrorKind> {
    let (w, r) = reg(cur)?;
    if width == Width::W64 && w == Width::W32 {
        return Err(width_error(Width::W64, r));
    }
    Ok(r)
}

fn alu_assign_op(p: &str) -> Option<AluOp> {
    Some(match p {
        "+=" => AluOp::Add,
        "-=" => AluOp::Sub,
        "*=" => AluOp::Mul,
        "/=" => AluOp::Div,
        "s/=" => AluOp::SDiv,
        "%=" => AluOp::Mod,
        "s%=" => AluOp::SMod,
        "|=" => AluOp::Or,
        "&=" => AluOp::And,
        "<<=" => AluOp::Lsh,
        ">>=" => AluOp::Rsh,
        "s>>=" => AluOp::Arsh,
        "^=" => AluOp::Xor,
        _ => return None,
    })
}

/// `dst op= src` and every `dst = ...` form.
fn assignment(cur: &mut Cursor<'_>) -> Result<Option<Stmt>, AsmErrorKind> {
    let (width, dst) = reg(cur)?;
    let op = match cur.next_tok() {
        Some(Tok::Punct(p)) => p,
        _ => return Err(AsmErrorKind::Syntax("expected an assignment".to_string())),
    };
    if op != "=" {
        let op = alu_assign_op(op)
            .ok_or_else(|| AsmErrorKind::Syntax(format!("unknown operator \"{op}\"")))?;
        let src = source(cur, width)?;
        return done(
            cur,
            Insn::Alu {
                width,
                op,
                dst,
                src,
            },
        );
    }

    // dst = number [ll]
    if cur.at_number() {
        let n = cur.number()?;
        if cur.eat_word("ll") {
            if width != Width::W64 {
                return Err(width_error(Width::W64, dst));
            }
            return done(cur, ld64(dst, Ld64Kind::Imm, n.imm64()?));
        }
        let insn = match (n.imm32(), width) {
            (Ok(imm), _) => Insn::Alu {
                width,
                op: AluOp::Mov,
                dst,
                src: Source::Imm(imm),
            },
            (Err(_), Width::W64) => ld64(dst, Ld64Kind::Imm, n.imm64()?),
            (Err(e), Width::W32) => return Err(e),
        };
        return done(cur, insn);
    }

    match cur.peek() {
        // dst = -dst
        Some(Tok::Punct("-")) => {
            cur.next_tok();
            let (w, r) = reg(cur)?;
            if (w, r) != (width, dst) {
                return Err(AsmErrorKind::Syntax(
                    "negation must use the destination register (`r1 = -r1`)".to_string(),
                ));
            }
            done(cur, Insn::Neg { width, dst })
        }
        // dst = (s8)src
        Some(Tok::Punct("(")) => {
            cur.next_tok();
            let bits = match cur.next_tok() {
                Some(Tok::Ident(t)) => match t.to_ascii_lowercase().as_str() {
                    "s8" => 8,
                    "s16" => 16,
                    "s32" if width == Width::W64 => 32,
                    _ => 0,
                },
                _ => 0,
            };
            if bits == 0 {
                return Err(AsmErrorKind::Syntax(
                    "expected a sign-extension cast (s8, s16, or s32 for 64-bit)".to_string(),
                ));
            }
            cur.expect(")")?;
            let src = reg_of(cur, width)?;
            done(
                cur,
                Insn::Alu {
                    width,
                    op: AluOp::MovSx(bits),
                    dst,
                    src: Source::Reg(src),
                },
            )
        }
        // dst = *(u32 *)(src + off), dst = *(u8 *)skb[...]
        Some(Tok::Punct("*")) => {
            cur.next_tok();
            load(cur, width, dst)
        }
        Some(Tok::Ident(w)) if is_reg_word(w) => {
            let src = reg_of(cur, width)?;
            done(
                cur,
                Insn::Alu {
                    width,
                    op: AluOp::Mov,
                    dst,
                    src: Source::Reg(src),
                },
            )
        }
        Some(Tok::Ident(w)) => {
            cur.next_tok();
            named_rhs(cur, &w.to_ascii_lowercase(), width, dst)
        }
        _ => Err(cur.error("a value")),
    }
}

fn load(cur: &mut Cursor<'_>, width: Width, dst: Reg) -> Result<Option<Stmt>, AsmErrorKind> {
    let (size, signed) = mem_type(cur)?;
    if cur.eat_word("skb") {
        return packet_load(cur, width, dst, size, signed);
    }
    if width == Width::W32 && (signed || size == Size::DW) {
        return Err(width_error(Width::W64, dst));
    }
    let (src, off) = addr(cur)?;
    done(
        cur,
        Insn::Load {
            size,
            sign_extend: signed,
            dst,
            src,
            off,
        },
    )
}

/// `r0 = *(u8 *)skb[0xc]` (LD_ABS), `skb[r1]` / `skb[r1 + 0x4]` (LD_IND); `skb` is read.
fn packet_load(
    cur: &mut Cursor<'_>,
    width: Width,
    dst: Reg,
    size: Size,
    signed: bool,
) -> Result<Option<Stmt>, AsmErrorKind> {
    if width != Width::W64 || dst != Reg::R0 || signed || size == Size::DW {
        return Err(AsmErrorKind::Syntax(
            "packet loads are `r0 = *(u8|u16|u32 *)skb[...]`".to_string(),
        ));
    }
    cur.expect("[")?;
    let insn = if cur.at_number() {
        Insn::LdAbs {
            size,
            imm: cur.number()?.imm32()?,
        }
    } else {
        let src = reg_of(cur, Width::W64)?;
        let imm = match cur.peek() {
            Some(Tok::Punct("+" | "-")) => cur.number()?.imm32()?,
            _ => 0,
        };
        Insn::LdInd { size, src, imm }
    };
    cur.expect("]")?;
    done(cur, insn)
}

/// `dst = name(...)`: byte order, atomics with a result and the `lddw` pseudo forms.
fn named_rhs(
    cur: &mut Cursor<'_>,
    name: &str,
    width: Width,
    dst: Reg,
) -> Result<Option<Stmt>, AsmErrorKind> {
    for (prefix, order) in [
        ("le", ByteOrder::ToLe),
        ("be", ByteOrder::ToBe),
        ("bswap", ByteOrder::Swap),
    ] {
        let bits = match name.strip_prefix(prefix) {
            Some("16") => 16,
            Some("32") => 32,
            Some("64") => 64,
            _ => continue,
        };
        if width != Width::W64 {
            return Err(width_error(Width::W64, dst));
        }
        let src = reg_of(cur, Width::W64)?;
        if src != dst {
            return Err(AsmErrorKind::Syntax(format!(
                "{name} must use the destination register (`{dst} = {name} {dst}`)"
            )));
        }
        return done(cur, Insn::Endian { order, bits, dst });
    }

    if let Some(op) = name.strip_prefix("atomic_fetch_") {
        let op = match op {
            "add" => AtomicOp::Add,
            "or" => AtomicOp::Or,
            "and" => AtomicOp::And,
            "xor" => AtomicOp::Xor,
            _ => return Err(AsmErrorKind::UnknownMnemonic(name.to_string())),
        };
        cur.expect("(")?;
        let size = unsigned_type(cur)?;
        let aw = atomic_width(size)?;
        let (base, off) = addr(cur)?;
        cur.expect(",")?;
        let src = atomic_reg(cur, aw)?;
        cur.expect(")")?;
        check_fetch_dst(width, dst, aw, src)?;
        return done(
            cur,
            Insn::Atomic {
                size,
                op,
                fetch: true,
                dst: base,
                src,
                off,
            },
        );
    }

    let xchg = |cur: &mut Cursor<'_>, size: Size, cmp: bool| {
        let aw = atomic_width(size)?;
        cur.expect("(")?;
        let (base, off) = addr_inner(cur)?;
        cur.expect(",")?;
        if cmp {
            let (_, r0) = reg(cur)?;
            if r0 != Reg::R0 || dst != Reg::R0 {
                return Err(AsmErrorKind::Syntax(
                    "cmpxchg compares with and returns into r0".to_string(),
                ));
            }
            cur.expect(",")?;
        }
        let src = atomic_reg(cur, aw)?;
        cur.expect(")")?;
        if !cmp {
            check_fetch_dst(width, dst, aw, src)?;
        }
        let op = if cmp {
            AtomicOp::CmpXchg
        } else {
            AtomicOp::Xchg
        };
        done(
            cur,
            Insn::Atomic {
                size,
                op,
                fetch: true,
                dst: base,
                src,
                off,
            },
        )
    };
    match name {
        "xchg_64" => return xchg(cur, Size::DW, false),
        "xchg32_32" => return xchg(cur, Size::W, false),
        "cmpxchg_64" => return xchg(cur, Size::DW, true),
        "cmpxchg32_32" => return xchg(cur, Size::W, true),
        _ => {}
    }

    let kind = match name {
        "map_fd" => Ld64Kind::MapFd,
        "map_value" => Ld64Kind::MapValue,
        "btf_id" => Ld64Kind::BtfId,
        "func" => Ld64Kind::Func,
        "map_idx" => Ld64Kind::MapIdx,
        "map_idx_value" => Ld64Kind::MapIdxValue,
        _ => {
            return Err(AsmErrorKind::Syntax(format!(
                "unknown value \"{name}\" on the right of \"=\""
            )));
        }
    };
    if width != Width::W64 {
        return Err(width_error(Width::W64, dst));
    }
    cur.expect("(")?;
    let imm = cur.number()?.imm32()?;
    let next_imm = if cur.eat(",") {
        cur.number()?.imm32()?
    } else {
        0
    };
    cur.expect(")")?;
    cur.expect_word("ll")?;
    done(
        cur,
        Insn::Ld64 {
            kind,
            dst,
            imm,
            next_imm,
        },
    )
}

/// In `r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)` the result register is the value
/// register.
fn check_fetch_dst(width: Width, dst: Reg, aw: Width, src: Reg) -> Result<(), AsmErrorKind> {
    if dst != src {
        return Err(AsmErrorKind::Syntax(format!(
            "an atomic fetch returns into its value register (r{} here), not r{}",
            src.index(),
            dst.index()
        )));
    }
    if aw == Width::W64 && width == Width::W32 {
        return Err(width_error(Width::W64, dst));
    }
    Ok(())
}
