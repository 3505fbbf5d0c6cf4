//! How `bpfsim test` prints a spec's events as a table, like the tool the program comes
//! from: a header line and a row template with `{field}` placeholders, each with an
//! optional filter and a width (`{pid:<6}`, `{ret|fd:>3}`). Filters turn a syscall return
//! value into what tools print: `fd` (the value when >= 0, else -1) and `errno` (minus the
//! value when < 0, else 0).

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field {
        name: String,
        filter: Option<String>,
        align: Align,
        width: usize,
    },
}

/// A parsed `[print]` table: header and row template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowFormat {
    pub header: Option<String>,
    pieces: Vec<Piece>,
}

const FILTERS: [&str; 2] = ["fd", "errno"];

impl RowFormat {
    /// Parses a row template; the error says what is wrong with which placeholder.
    pub fn parse(header: Option<String>, row: &str) -> Result<RowFormat, String> {
        let mut pieces = Vec::new();
        let mut rest = row;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed '{{' in {row:?}"))?
                + open;
            let inner = &rest[open + 1..close];
            let (spec, fmt) = inner.split_once(':').unwrap_or((inner, ""));
            let (name, filter) = match spec.split_once('|') {
                Some((n, f)) => {
                    if !FILTERS.contains(&f) {
                        return Err(format!(
                            "unknown filter {f:?} (known: {})",
                            FILTERS.join(", ")
                        ));
                    }
                    (n, Some(f.to_string()))
                }
                None => (spec, None),
            };
            if name.is_empty() {
                return Err("empty placeholder {}".into());
            }
            let (align, digits) = match fmt.chars().next() {
                Some('<') => (Align::Left, &fmt[1..]),
                Some('>') => (Align::Right, &fmt[1..]),
                _ => (Align::Left, fmt),
            };
            let width = if digits.is_empty() {
                0
            } else {
                digits
                    .parse()
                    .map_err(|_| format!("bad width {digits:?} in {{{inner}}}"))?
            };
            pieces.push(Piece::Field {
                name: name.to_string(),
                filter,
                align,
                width,
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(RowFormat { header, pieces })
    }

    /// The fields the template reads.
    pub fn fields(&self) -> Vec<&str> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Field { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// One row for a decoded event (missing fields print as `?`).
    pub fn row(&self, fields: &Value) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field {
                    name,
                    filter,
                    align,
                    width,
                } => {
                    let v = name.split('.').try_fold(fields, |v, k| v.get(k));
                    let s = match (v, filter.as_deref()) {
                        (Some(v), Some(f)) => match v.as_i64() {
                            Some(n) if f == "fd" => (if n >= 0 { n } else { -1 }).to_string(),
                            Some(n) => (if n < 0 { -n } else { 0 }).to_string(),
                            None => "?".into(),
                        },
                        (Some(Value::String(s)), None) => s.clone(),
                        (Some(v), None) => v.to_string(),
                        (None, _) => "?".into(),
                    };
                    match align {
                        Align::Left => out.push_str(&format!("{s:<width$}")),
                        Align::Right => out.push_str(&format!("{s:>width$}")),
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn opensnoop_row() {
        let f = RowFormat::parse(
            None,
            "{pid:<6} {comm:<16} {ret|fd:>3} {ret|errno:>3} {fname}",
        )
        .unwrap();
        let e = json!({"pid": 42, "comm": "cat", "ret": -2, "fname": "/x"});
        assert_eq!(f.row(&e), "42     cat               -1   2 /x");
        let e = json!({"pid": 42, "comm": "cat", "ret": 3, "fname": "/x"});
        assert_eq!(f.row(&e), "42     cat                3   0 /x");
        assert_eq!(f.fields(), vec!["pid", "comm", "ret", "ret", "fname"]);
    }

    #[test]
    fn errors() {
        assert!(RowFormat::parse(None, "{pid").is_err());
        assert!(RowFormat::parse(None, "{ret|hex}").is_err());
        assert!(RowFormat::parse(None, "{pid:>x}").is_err());
    }
}
