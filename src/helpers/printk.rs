//! The format language of `bpf_trace_printk`, `bpf_snprintf` and `bpf_seq_printf`: which
//! formats the kernel accepts (bpf_bprintf_prepare: `%d %i %u %x %X` with `l`/`ll`, `%c`,
//! `%s`, `%p` and its `K x s S B i4 I4 i6 I6 ks us` forms, flags `0 + - space` and a width),
//! and the text they produce. A format the kernel refuses gives `Err(-EINVAL)`.

/// Reads memory for `%s`, `%pks`, `%pus` and the `%pi4`-style forms.
pub trait FormatMemory {
    /// A NUL-terminated string at `addr` (kernel or program memory; `user` for `%pus`).
    fn string(&self, addr: u64, user: bool) -> Option<Vec<u8>>;
    /// `len` bytes at `addr`.
    fn bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>>;
}

const EINVAL: i64 = -22;

/// Most bytes the formatted output keeps (the kernel's MAX_BPRINTF_BUF minus the NUL).
pub const MAX_OUTPUT: usize = 1023;

fn is_print(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn ends_spec(c: u8) -> bool {
    c == 0 || is_space(c) || c.is_ascii_punctuation()
}

struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    width: usize,
}

fn pad(out: &mut Vec<u8>, spec: &Spec, body: &[u8], numeric: bool) {
    let fill = spec.width.saturating_sub(body.len());
    if spec.left {
        out.extend_from_slice(body);
        out.extend(std::iter::repeat_n(b' ', fill));
    } else if spec.zero && numeric {
        // Zeros go after a sign.
        let (sign, digits) = match body.first() {
            Some(b'-' | b'+' | b' ') => body.split_at(1),
            _ => (&body[..0], body),
        };
        out.extend_from_slice(sign);
        out.extend(std::iter::repeat_n(b'0', fill));
        out.extend_from_slice(digits);
    } else {
        out.extend(std::iter::repeat_n(b' ', fill));
        out.extend_from_slice(body);
    }
}

/// Formats `fmt` (the bytes the program passed, which must hold a NUL) with `args`.
/// Returns the text (at most [`MAX_OUTPUT`] bytes) and the length the full text would have,
/// which is what the helpers return.
pub fn format(fmt: &[u8], args: &[u64], mem: &dyn FormatMemory) -> Result<(Vec<u8>, usize), i64> {
    let end = fmt.iter().position(|&c| c == 0).ok_or(EINVAL)?;
    let fmt = &fmt[..=end];
    let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut nspec = 0;
    let mut i = 0;
    while i < end {
        let c = fmt[i];
        if c.is_ascii() && !is_print(c) && !is_space(c) {
            return Err(EINVAL);
        }
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        if at(i + 1) == b'%' {
            out.push(b'%');
            i += 2;
            continue;
        }
        if nspec >= args.len() {
            return Err(EINVAL);
        }
        let arg = args[nspec];
        nspec += 1;
        i += 1;
        if !at(i).is_ascii() {
            return Err(EINVAL);
        }
        let mut spec = Spec {
            left: false,
            zero: false,
            plus: false,
            space: false,
            width: 0,
        };
        loop {
            match at(i) {
                b'0' => spec.zero = true,
                b'+' => spec.plus = true,
                b'-' => spec.left = true,
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        while at(i).is_ascii_digit() {
            spec.width = spec
                .width
                .saturating_mul(10)
                .saturating_add((at(i) - b'0') as usize);
            i += 1;
        }
        match at(i) {
            b'p' => {
                let next = at(i + 1);
                if ends_spec(next) {
                    pad(&mut out, &spec, format!("{arg:016x}").as_bytes(), false);
                    i += 1;
                } else if (next == b'k' || next == b'u') && at(i + 2) == b's' {
                    if !ends_spec(at(i + 3)) {
                        return Err(EINVAL);
                    }
                    let s = mem.string(arg, next == b'u').unwrap_or_default();
                    pad(&mut out, &spec, &s, false);
                    i += 3;
                } else if matches!(next, b'K' | b'x' | b's' | b'S' | b'B') {
                    pad(&mut out, &spec, format!("{arg:016x}").as_bytes(), false);
                    i += 2;
                } else if matches!(next, b'i' | b'I') && matches!(at(i + 2), b'4' | b'6') {
                    let v6 = at(i + 2) == b'6';
                    let len = if v6 { 16 } else { 4 };
                    let ip = mem.bytes(arg, len).unwrap_or_else(|| vec![0; len]);
                    let text = format_ip(&ip, v6, next == b'i');
                    pad(&mut out, &spec, text.as_bytes(), false);
                    i += 3;
                } else {
                    return Err(EINVAL);
                }
            }
            b's' => {
                if !ends_spec(at(i + 1)) {
                    return Err(EINVAL);
                }
                let s = mem.string(arg, false).unwrap_or_default();
                pad(&mut out, &spec, &s, false);
                i += 1;
            }
            b'c' => {
                pad(&mut out, &spec, &[arg as u8], false);
                i += 1;
            }
            _ => {
                let mut long = false;
                if at(i) == b'l' {
                    long = true;
                    i += 1;
                }
                if at(i) == b'l' {
                    i += 1;
                }
                let conv = at(i);
                let v = if long { arg } else { arg as u32 as u64 };
                let body = match conv {
                    b'd' | b'i' => {
                        let n = if long {
                            v as i64
                        } else {
                            v as u32 as i32 as i64
                        };
                        let sign = if n < 0 {
                            "-"
                        } else if spec.plus {
                            "+"
                        } else if spec.space {
                            " "
                        } else {
                            ""
                        };
                        format!("{sign}{}", n.unsigned_abs())
                    }
                    b'u' => v.to_string(),
                    b'x' => format!("{v:x}"),
                    b'X' => format!("{v:X}"),
                    _ => return Err(EINVAL),
                };
                pad(&mut out, &spec, body.as_bytes(), true);
                i += 1;
            }
        }
    }
    let full = out.len();
    out.truncate(MAX_OUTPUT);
    Ok((out, full))
}

fn format_ip(ip: &[u8], v6: bool, padded: bool) -> String {
    if !v6 {
        let parts: Vec<String> = ip
            .iter()
            .map(|b| {
                if padded {
                    format!("{b:03}")
                } else {
                    b.to_string()
                }
            })
            .collect();
        return parts.join(".");
    }
    let groups: Vec<String> = ip
        .chunks(2)
        .map(|g| format!("{:02x}{:02x}", g[0], g.get(1).copied().unwrap_or(0)))
        .collect();
    if padded {
        groups.concat()
    } else {
        groups.join(":")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mem;
    impl FormatMemory for Mem {
        fn string(&self, addr: u64, _user: bool) -> Option<Vec<u8>> {
            (addr == 0x10).then(|| b"hello".to_vec())
        }
        fn bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
            (addr == 0x20).then(|| (1..=len as u8).collect())
        }
    }

    fn f(fmt: &str, args: &[u64]) -> Result<String, i64> {
        let mut b = fmt.as_bytes().to_vec();
        b.push(0);
        format(&b, args, &Mem).map(|(s, _)| String::from_utf8_lossy(&s).into_owned())
    }

    #[test]
    fn integers_with_sizes_and_flags() {
        assert_eq!(f("x=%d y=%u", &[u64::MAX, 5]).unwrap(), "x=-1 y=5");
        assert_eq!(
            f("%ld %lld", &[u64::MAX, 1 << 40]).unwrap(),
            "-1 1099511627776"
        );
        assert_eq!(
            f("%x %lX", &[0xdead_beef_1234, 0xabc]).unwrap(),
            "beef1234 ABC"
        );
        assert_eq!(
            f("[%5d][%-4u][%05d][%+d]", &[42, 7, (-3i64) as u64]).unwrap_err(),
            -22
        );
        assert_eq!(
            f("[%5d][%-4u][%05d]", &[42, 7, (-3i64) as u64]).unwrap(),
            "[   42][7   ][-0003]"
        );
        assert_eq!(f("100%%", &[]).unwrap(), "100%");
    }

    #[test]
    fn strings_pointers_and_ips() {
        assert_eq!(f("%s!", &[0x10]).unwrap(), "hello!");
        assert_eq!(f("%s", &[0x99]).unwrap(), "");
        assert_eq!(
            f("%pI4 %pi4", &[0x20, 0x20]).unwrap(),
            "1.2.3.4 001.002.003.004"
        );
        assert_eq!(f("%c%c", &[b'o' as u64, b'k' as u64]).unwrap(), "ok");
        assert_eq!(f("%px", &[0x1234]).unwrap(), "0000000000001234");
    }

    #[test]
    fn refuses_what_the_kernel_refuses() {
        assert_eq!(f("%d %d %d %d", &[1, 2, 3]), Err(-22));
        assert_eq!(f("%q", &[1]), Err(-22));
        assert_eq!(f("%sx", &[0x10]), Err(-22));
        assert_eq!(f("bell\x07", &[]), Err(-22));
        assert_eq!(format(b"no nul", &[], &Mem), Err(-22));
        assert_eq!(f("%pZ", &[1]), Err(-22));
    }
}
