//! The verifier log's rendering of scalar registers, as Linux 6.18's `print_reg_state` and
//! `print_scalar_ranges` (kernel/bpf/log.c) write them.
//!
//! A constant prints as its value: `R1=5`, `R1=-1`, `R1=0x100000000` (numbers in
//! `[-32768, 32767]`, or `[0, 65535]` for unsigned ones, print in decimal, others in hex).
//! Anything else prints as `scalar(...)` with the bounds that say something: a bound equal
//! to its type's extreme is left out, equal bounds are merged (`smax=umax=255`; signed and
//! unsigned merge only when both are non-negative or both negative), and `var_off` is
//! shown unless nothing is known about the bits:
//! `R1=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))`.

use super::scalar::ScalarBounds;
use std::fmt::{self, Write};

/// What besides the numbers the log shows for a scalar register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScalarDecor {
    /// Precision mark: prints a `P` before the value.
    pub precise: bool,
    /// The register's id, 0 for none (`id=N`).
    pub id: u32,
    /// The constant delta of a linked register (`BPF_ADD_CONST`): `id=3-300`.
    pub add_const: Option<i32>,
}

/// `verbose_unum`: decimal up to 65535, hex (`0x...`) above.
pub fn fmt_unum(num: u64) -> String {
    if num <= u16::MAX as u64 {
        num.to_string()
    } else {
        format!("{num:#x}")
    }
}

/// `verbose_snum`: decimal within `[-32768, 32767]`, the 64-bit two's complement in hex
/// otherwise.
pub fn fmt_snum(num: i64) -> String {
    if (i16::MIN as i64..=i16::MAX as i64).contains(&num) {
        num.to_string()
    } else {
        format!("{:#x}", num as u64)
    }
}

/// The comma-separated bounds of a non-constant scalar (`print_scalar_ranges`), without
/// `var_off`: `smin=smin32=0,smax=umax=smax32=umax32=255`. Empty when all are unbounded.
pub fn scalar_ranges(reg: &ScalarBounds) -> String {
    // The s32 bounds print sign-extended when they print in decimal, and as u32 in hex
    // (so that smin32=0xfffffffe is not shown as a 64-bit number).
    let s32 = |v: i32| -> u64 {
        if (i16::MIN as i32..=i16::MAX as i32).contains(&v) {
            v as i64 as u64
        } else {
            v as u32 as u64
        }
    };
    let mut minmaxs: [(&str, u64, bool); 8] = [
        ("smin", reg.smin_value as u64, reg.smin_value == i64::MIN),
        ("smax", reg.smax_value as u64, reg.smax_value == i64::MAX),
        ("umin", reg.umin_value, reg.umin_value == 0),
        ("umax", reg.umax_value, reg.umax_value == u64::MAX),
        (
            "smin32",
            s32(reg.s32_min_value),
            reg.s32_min_value == i32::MIN,
        ),
        (
            "smax32",
            s32(reg.s32_max_value),
            reg.s32_max_value == i32::MAX,
        ),
        ("umin32", reg.u32_min_value as u64, reg.u32_min_value == 0),
        (
            "umax32",
            reg.u32_max_value as u64,
            reg.u32_max_value == u32::MAX,
        ),
    ];
    let is_neg = |name: &str, val: u64| name.starts_with('s') && (val as i64) < 0;
    let mut out = String::new();
    for i in 0..minmaxs.len() {
        let (name, val, omit) = minmaxs[i];
        if omit {
            continue;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(name);
        out.push('=');
        // Later bounds of the same min/max kind with the same value join this one.
        for m2 in minmaxs.iter_mut().skip(i + 2).step_by(2) {
            let (name2, val2, omit2) = *m2;
            if omit2 || val2 != val || is_neg(name2, val2) != is_neg(name, val) {
                continue;
            }
            m2.2 = true;
            out.push_str(name2);
            out.push('=');
        }
        if name.starts_with('s') {
            out.push_str(&fmt_snum(val as i64));
        } else {
            out.push_str(&fmt_unum(val));
        }
    }
    out
}

/// The value part of a scalar register in the log (`print_reg_state` for `SCALAR_VALUE`),
/// what follows `R1=`.
pub fn scalar_state(reg: &ScalarBounds, decor: ScalarDecor) -> String {
    let mut out = String::new();
    if decor.precise {
        out.push('P');
    }
    if reg.var_off.is_const() {
        out.push_str(&fmt_snum(reg.var_off.value as i64));
        return out;
    }
    out.push_str("scalar(");
    let mut sep = "";
    if decor.id != 0 {
        let _ = write!(out, "id={}", decor.id);
        sep = ",";
    }
    if let Some(off) = decor.add_const {
        let _ = write!(out, "{off:+}");
    }
    let ranges = scalar_ranges(reg);
    if !ranges.is_empty() {
        out.push_str(sep);
        out.push_str(&ranges);
        sep = ",";
    }
    if !reg.var_off.is_unknown() {
        let _ = write!(out, "{sep}var_off={}", reg.var_off);
    }
    out.push(')');
    out
}

/// Reads back what [`scalar_state`] (or the kernel) printed for a scalar: `5`, `-1`,
/// `0x100000000`, `P5`, `scalar()`, `scalar(id=2,smin=smin32=0,...,var_off=(0x0; 0xff))`.
/// Omitted bounds are their type's extremes and an omitted `var_off` is unknown, so the
/// result is exactly the state printed. Ids and precision marks are skipped. `None` when
/// the text is not a scalar in that form.
pub fn parse_scalar_state(text: &str) -> Option<ScalarBounds> {
    let text = text.strip_prefix('P').unwrap_or(text);
    let Some(inner) = text
        .strip_prefix("scalar(")
        .and_then(|t| t.strip_suffix(')'))
    else {
        return parse_num(text).map(ScalarBounds::known);
    };
    let mut reg = ScalarBounds::unknown();
    let mut rest = inner;
    while !rest.is_empty() {
        if let Some(v) = rest.strip_prefix("var_off=(") {
            let (value, after) = v.split_once("; ")?;
            let (mask, after) = after.split_once(')')?;
            reg.var_off = super::tnum::Tnum::new(parse_num(value)?, parse_num(mask)?);
            rest = after.strip_prefix(',').unwrap_or(after);
            continue;
        }
        let (item, after) = rest.split_once(',').unwrap_or((rest, ""));
        rest = after;
        let names: Vec<&str> = item.split('=').collect();
        let (value, names) = names.split_last()?;
        if names.first() == Some(&"id") {
            continue;
        }
        let v = parse_num(value)?;
        for name in names {
            match *name {
                "smin" => reg.smin_value = v as i64,
                "smax" => reg.smax_value = v as i64,
                "umin" => reg.umin_value = v,
                "umax" => reg.umax_value = v,
                "smin32" => reg.s32_min_value = v as i32,
                "smax32" => reg.s32_max_value = v as i32,
                "umin32" => reg.u32_min_value = v as u32,
                "umax32" => reg.u32_max_value = v as u32,
                _ => return None,
            }
        }
    }
    Some(reg)
}

/// `123`, `-5` or `0x1f` as the log writes numbers (hex is the 64-bit pattern).
fn parse_num(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(d) = s.strip_prefix('-') {
        d.parse::<u64>().ok().map(|v| v.wrapping_neg())
    } else {
        s.parse().ok()
    }
}

/// `5`, `scalar()`, `scalar(smin=...)`: the log's form without id or precision mark.
impl fmt::Display for ScalarBounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&scalar_state(self, ScalarDecor::default()))
    }
}

#[cfg(test)]
mod tests;
