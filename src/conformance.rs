//! The bpf_conformance `.data` test format: `-- asm`, `-- raw`, `-- mem`, `-- result` and
//! `-- error` sections (see `shared/conformance/PROTOCOL.md`). Used by the conformance tests
//! and by anyone who keeps their own cases in that format.

use thiserror::Error;

/// One parsed `.data` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataFile {
    /// The `-- asm` section, verbatim (comments included).
    pub asm: Option<String>,
    /// The `-- raw` section: one 64-bit slot per entry.
    pub raw: Option<Vec<u64>>,
    /// The `-- mem` section's bytes (empty when absent).
    pub mem: Vec<u8>,
    /// The expected r0.
    pub result: Option<u64>,
    /// The expected error text (may be empty: "some error").
    pub error: Option<String>,
}

/// A `.data` file that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct DataFileError {
    pub line: usize,
    pub message: String,
}

impl DataFile {
    /// Parses the text of a `.data` file. Unknown sections (`-- c`, prose after `--`) are kept
    /// out of every field, as the reference runner ignores them.
    pub fn parse(text: &str) -> Result<DataFile, DataFileError> {
        let mut out = DataFile::default();
        let mut section: Option<&str> = None;
        let mut body: Vec<(usize, &str)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if let Some(rest) = line.strip_prefix("--") {
                out.finish(section, &body)?;
                body.clear();
                section = Some(rest.trim());
                continue;
            }
            if section.is_some() {
                body.push((i + 1, line));
            }
        }
        out.finish(section, &body)?;
        Ok(out)
    }

    fn finish(
        &mut self,
        section: Option<&str>,
        body: &[(usize, &str)],
    ) -> Result<(), DataFileError> {
        let text = || body.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        let values = || {
            body.iter().flat_map(|&(n, l)| {
                let l = l.split('#').next().unwrap_or("");
                l.split_whitespace().map(move |w| (n, w))
            })
        };
        match section {
            Some("asm") => self.asm = Some(text()),
            Some("raw") => {
                let mut slots = Vec::new();
                let words: Vec<_> = values().collect();
                // Either 0x-prefixed 64-bit words or lines of 8 hex bytes.
                if words.iter().all(|(_, w)| w.starts_with("0x")) {
                    for (n, w) in words {
                        slots.push(
                            parse_u64(w).ok_or_else(|| err(n, format!("bad raw slot {w:?}")))?,
                        );
                    }
                } else {
                    let bytes = hex_bytes(&words)?;
                    if bytes.len() % 8 != 0 {
                        return Err(err(
                            body.first().map_or(0, |b| b.0),
                            "raw bytes are not whole slots".into(),
                        ));
                    }
                    for c in bytes.chunks_exact(8) {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(c);
                        slots.push(u64::from_le_bytes(b));
                    }
                }
                self.raw = Some(slots);
            }
            Some("mem") => self.mem = hex_bytes(&values().collect::<Vec<_>>())?,
            Some("result") => {
                if let Some((n, w)) = values().next() {
                    self.result =
                        Some(parse_u64(w).ok_or_else(|| err(n, format!("bad result {w:?}")))?);
                }
            }
            Some("error") => self.error = Some(text().trim().to_string()),
            _ => {}
        }
        Ok(())
    }

    /// The raw program as bytes, when the file has a `-- raw` section.
    pub fn raw_bytes(&self) -> Option<Vec<u8>> {
        self.raw
            .as_ref()
            .map(|slots| slots.iter().flat_map(|s| s.to_le_bytes()).collect())
    }
}

fn err(line: usize, message: String) -> DataFileError {
    DataFileError { line, message }
}

fn parse_u64(w: &str) -> Option<u64> {
    if let Some(h) = w.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(d) = w.strip_prefix('-') {
        d.parse::<u64>().ok().map(|v| v.wrapping_neg())
    } else {
        w.parse().ok()
    }
}

fn hex_bytes(words: &[(usize, &str)]) -> Result<Vec<u8>, DataFileError> {
    words
        .iter()
        .map(|&(n, w)| u8::from_str_radix(w, 16).map_err(|_| err(n, format!("bad hex byte {w:?}"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections() {
        let f = DataFile::parse(
            "# c\n-- asm\nmov %r0, 1\nexit\n-- mem\n00 01\nff\n-- result\n0x1\n-- no register offset\nfoo\n",
        )
        .unwrap();
        assert_eq!(f.asm.as_deref(), Some("mov %r0, 1\nexit"));
        assert_eq!(f.mem, vec![0, 1, 0xff]);
        assert_eq!(f.result, Some(1));
    }

    #[test]
    fn parses_raw_in_both_forms() {
        let a = DataFile::parse("-- raw\n0x0000000000000095\n").unwrap();
        let b = DataFile::parse("-- raw\n95 00 00 00 00 00 00 00\n").unwrap();
        assert_eq!(a.raw_bytes(), b.raw_bytes());
    }
}
