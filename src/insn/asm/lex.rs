//! Tokens of one assembler line, a cursor over them, and number parsing with the range rules
//! both syntaxes share.

use super::AsmErrorKind;
use std::fmt;

/// One token of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    /// A word: mnemonics, llvm registers (`r1`, `w1`), type names, labels.
    Ident(&'a str),
    /// `%name`: a register in the conformance syntax.
    Pct(&'a str),
    /// A number without its sign (`12`, `0x1f`), validated when it is read.
    Num(&'a str),
    /// Punctuation and operators.
    Punct(&'static str),
}

impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) | Tok::Num(s) | Tok::Punct(s) => write!(f, "\"{s}\""),
            Tok::Pct(s) => write!(f, "\"%{s}\""),
        }
    }
}

/// Operators, longest first so that the first match is the longest one.
const PUNCTS: &[&str] = &[
    ">>=", "<<=", "==", "!=", ">=", "<=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", ">", "<",
    "=", "&", "+", "-", "*", "(", ")", "[", "]", ",", ":", "/", "|", "^", "!", "%",
];

/// The signed comparison and assignment operators that start with the letter `s`.
const S_PUNCTS: &[&str] = &["s>>=", "s>=", "s<=", "s/=", "s%=", "s>", "s<"];

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '.' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$'
}

/// Splits a line (comments already removed) into tokens.
pub(super) fn tokenize(line: &str) -> Result<Vec<Tok<'_>>, AsmErrorKind> {
    let mut toks = Vec::new();
    let mut rest = line;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return Ok(toks);
        };
        let word_len = |s: &str| s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len());
        // `s>`, `s>=`, `s/=` ...: signed operators, which start like a word.
        if let Some(p) = S_PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            toks.push(Tok::Punct(p));
            rest = &rest[p.len()..];
            continue;
        }
        if is_ident_start(c) {
            let n = word_len(rest);
            toks.push(Tok::Ident(&rest[..n]));
            rest = &rest[n..];
        } else if c.is_ascii_digit() {
            let n = word_len(rest);
            toks.push(Tok::Num(&rest[..n]));
            rest = &rest[n..];
        } else if c == '%' && rest[1..].starts_with(is_ident_start) {
            let n = word_len(&rest[1..]);
            toks.push(Tok::Pct(&rest[1..1 + n]));
            rest = &rest[1 + n..];
        } else if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            toks.push(Tok::Punct(p));
            rest = &rest[p.len()..];
        } else {
            return Err(AsmErrorKind::Syntax(format!("unexpected character {c:?}")));
        }
    }
}

/// A number as written: sign, magnitude and whether it was hex (the range rules differ).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Number {
    pub neg: bool,
    pub mag: u64,
    pub hex: bool,
    /// The text as written, sign included, for error messages.
    pub text: String,
}

impl Number {
    /// Parses the digits of a [`Tok::Num`] (`12`, `0x1f`).
    pub fn parse(neg: bool, plus: bool, digits: &str) -> Result<Number, AsmErrorKind> {
        let sign = if neg {
            "-"
        } else if plus {
            "+"
        } else {
            ""
        };
        let text = format!("{sign}{digits}");
        let (hex, body) = match digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            Some(h) => (true, h),
            None => (false, digits),
        };
        let radix = if hex { 16 } else { 10 };
        if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
            return Err(AsmErrorKind::InvalidNumber(text));
        }
        let mag = u64::from_str_radix(body, radix).map_err(|_| AsmErrorKind::ImmOutOfRange {
            text: text.clone(),
            bits: 64,
        })?;
        Ok(Number {
            neg,
            mag,
            hex,
            text,
        })
    }

    /// The value as written.
    pub fn value(&self) -> i128 {
        if self.neg {
            -(self.mag as i128)
        } else {
            self.mag as i128
        }
    }

    /// A 32-bit immediate, with the bpf_conformance assembler's rule: a decimal value must fit
    /// `i32`; a hex value must fit `u32` (`0x80000000`..`0xffffffff` give the same bits as the
    /// negative `i32`s) or, written with a minus, `i32`.
    pub fn imm32(&self) -> Result<i32, AsmErrorKind> {
        let v = self.value();
        let ok = if self.hex && !self.neg {
            v <= u32::MAX as i128
        } else {
            v >= i32::MIN as i128 && v <= i32::MAX as i128
        };
        if ok {
            Ok(v as u32 as i32)
        } else {
            Err(AsmErrorKind::ImmOutOfRange {
                text: self.text.clone(),
                bits: 32,
            })
        }
    }

    /// The 64-bit immediate of `lddw`: any `u64` or any `i64`.
    pub fn imm64(&self) -> Result<u64, AsmErrorKind> {
        let v = self.value();
        if v >= i64::MIN as i128 && v <= u64::MAX as i128 {
            Ok(v as u64)
        } else {
            Err(AsmErrorKind::ImmOutOfRange {
                text: self.text.clone(),
                bits: 64,
            })
        }
    }

    /// A signed 16-bit offset (memory operands and short jumps).
    pub fn off16(&self) -> Result<i16, AsmErrorKind> {
        i16::try_from(self.value()).map_err(|_| AsmErrorKind::OffsetOutOfRange {
            text: self.text.clone(),
            bits: 16,
        })
    }

    /// A signed 32-bit offset (`gotol`/`ja32`, local calls).
    pub fn off32(&self) -> Result<i32, AsmErrorKind> {
        i32::try_from(self.value()).map_err(|_| AsmErrorKind::OffsetOutOfRange {
            text: self.text.clone(),
            bits: 32,
        })
    }
}

/// Where a jump or local call goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Target {
    /// A relative offset in slots, as written.
    Offset(Number),
    /// A label, resolved once the whole program is read.
    Label(String),
}

/// A cursor over the tokens of one line.
pub(super) struct Cursor<'a> {
    toks: Vec<Tok<'a>>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(toks: Vec<Tok<'a>>) -> Self {
        Cursor { toks, pos: 0 }
    }

    pub fn peek(&self) -> Option<Tok<'a>> {
        self.toks.get(self.pos).copied()
    }

    pub fn peek_at(&self, n: usize) -> Option<Tok<'a>> {
        self.toks.get(self.pos.saturating_add(n)).copied()
    }

    pub fn next_tok(&mut self) -> Option<Tok<'a>> {
        let t = self.peek();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    /// Consumes the punctuation `p` when it comes next.
    pub fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(q)) if q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the word `w` (case-insensitive) when it comes next.
    pub fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(w)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// What comes next, for error messages.
    pub fn found(&self) -> String {
        match self.peek() {
            Some(t) => t.to_string(),
            None => "end of line".to_string(),
        }
    }

    pub fn error(&self, expected: &str) -> AsmErrorKind {
        AsmErrorKind::Syntax(format!("expected {expected}, found {}", self.found()))
    }

    pub fn expect(&mut self, p: &str) -> Result<(), AsmErrorKind> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(self.error(&format!("\"{p}\"")))
        }
    }

    pub fn expect_word(&mut self, w: &str) -> Result<(), AsmErrorKind> {
        if self.eat_word(w) {
            Ok(())
        } else {
            Err(self.error(&format!("\"{w}\"")))
        }
    }

    pub fn expect_end(&self) -> Result<(), AsmErrorKind> {
        if self.at_end() {
            Ok(())
        } else {
            Err(AsmErrorKind::Syntax(format!(
                "unexpected {} after the instruction",
                self.found()
            )))
        }
    }

    /// True when a (possibly signed) number comes next.
    pub fn at_number(&self) -> bool {
        match self.peek() {
            Some(Tok::Num(_)) => true,
            Some(Tok::Punct("-" | "+")) => matches!(self.peek_at(1), Some(Tok::Num(_))),
            _ => false,
        }
    }

    /// A number with an optional sign.
    pub fn number(&mut self) -> Result<Number, AsmErrorKind> {
        let save = self.pos;
        let neg = self.eat("-");
        let plus = !neg && self.eat("+");
        match self.next_tok() {
            Some(Tok::Num(d)) => Number::parse(neg, plus, d),
            _ => {
                self.pos = save;
                Err(self.error("a number"))
            }
        }
    }

    /// A jump target: a signed offset or a label. A trailing llvm-objdump symbol annotation
    /// (`<.text+0x40>`) is skipped.
    pub fn target(&mut self) -> Result<Target, AsmErrorKind> {
        let t = if self.at_number() {
            Target::Offset(self.number()?)
        } else {
            match self.next_tok() {
                Some(Tok::Ident(l)) => Target::Label(l.to_string()),
                _ => {
                    self.pos = self.pos.saturating_sub(1);
                    return Err(self.error("a label or an offset"));
                }
            }
        };
        if self.eat("<") {
            self.pos = self.toks.len();
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_both_syntaxes() {
        assert_eq!(
            tokenize("stxdw [%r10-8], %r0").unwrap(),
            vec![
                Tok::Ident("stxdw"),
                Tok::Punct("["),
                Tok::Pct("r10"),
                Tok::Punct("-"),
                Tok::Num("8"),
                Tok::Punct("]"),
                Tok::Punct(","),
                Tok::Pct("r0"),
            ]
        );
        assert_eq!(
            tokenize("if r1 s>= r2 goto +0x4").unwrap(),
            vec![
                Tok::Ident("if"),
                Tok::Ident("r1"),
                Tok::Punct("s>="),
                Tok::Ident("r2"),
                Tok::Ident("goto"),
                Tok::Punct("+"),
                Tok::Num("0x4"),
            ]
        );
        assert_eq!(tokenize("r0 s>>= r1").unwrap()[1], Tok::Punct("s>>="));
        assert_eq!(tokenize("r0 %= r1").unwrap()[1], Tok::Punct("%="));
        assert_eq!(tokenize("r0 = (s8)r1").unwrap()[3], Tok::Ident("s8"));
        assert!(tokenize("r0 = @").is_err());
        assert!(tokenize("r0 = é").is_err());
    }

    #[test]
    fn number_ranges() {
        let n = |neg, d| Number::parse(neg, false, d).unwrap();
        assert_eq!(n(false, "0x80000000").imm32(), Ok(i32::MIN));
        assert_eq!(n(false, "0xffffffff").imm32(), Ok(-1));
        assert!(n(false, "0x100000000").imm32().is_err());
        assert!(n(false, "2147483648").imm32().is_err());
        assert_eq!(n(true, "2147483648").imm32(), Ok(i32::MIN));
        assert!(n(true, "2147483649").imm32().is_err());
        assert_eq!(n(false, "0xffffffffffffffff").imm64(), Ok(u64::MAX));
        assert_eq!(n(true, "1").imm64(), Ok(u64::MAX));
        assert!(n(true, "0xffffffffffffffff").imm64().is_err());
        assert_eq!(n(true, "0x8000").off16(), Ok(i16::MIN));
        assert!(n(false, "0x8000").off16().is_err());
        assert!(Number::parse(false, false, "99999999999999999999").is_err());
        assert!(Number::parse(false, false, "0x").is_err());
        assert!(Number::parse(false, false, "12ab").is_err());
    }
}
