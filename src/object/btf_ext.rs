//! A panic-free reader of `.BTF.ext`: per ELF section, the func_info and line_info records
//! (instruction offsets converted from bytes to instruction indexes within the section) and the
//! number of CO-RE relocation records. The CO-RE records themselves are applied by aya-obj
//! (see `core.rs`).

use std::collections::HashMap;

use super::btf::BtfTypes;

/// One `bpf_func_info` record, offset in instructions from the start of its ELF section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawFuncInfo {
    pub insn: u32,
    pub type_id: u32,
}

/// One `bpf_line_info` record, offset in instructions from the start of its ELF section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawLineInfo {
    pub insn: u32,
    pub file_name_off: u32,
    pub line_off: u32,
    pub line_col: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct BtfExtInfo {
    pub func_info: HashMap<String, Vec<RawFuncInfo>>,
    pub line_info: HashMap<String, Vec<RawLineInfo>>,
    /// Number of CO-RE relocation records, all sections together.
    pub core_relos: usize,
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Walks one info subsection: `rec_size`, then blocks of (sec_name_off, num_info, records).
/// Calls `rec` with the section name and each record's bytes.
fn walk(
    data: &[u8],
    btf: &BtfTypes,
    what: &str,
    min_rec: usize,
    mut rec: impl FnMut(&str, &[u8]),
) -> Result<(), String> {
    if data.is_empty() {
        return Ok(());
    }
    let rec_size = u32_at(data, 0).ok_or_else(|| format!("{what}: truncated"))? as usize;
    if rec_size < min_rec {
        return Err(format!(
            "{what}: record size {rec_size} is smaller than {min_rec}"
        ));
    }
    let mut p = 4usize;
    while p < data.len() {
        let name_off = u32_at(data, p).ok_or_else(|| format!("{what}: truncated at {p:#x}"))?;
        let n = u32_at(data, p + 4).ok_or_else(|| format!("{what}: truncated at {p:#x}"))? as usize;
        let name = btf.string_at(name_off).ok_or_else(|| {
            format!("{what}: section name offset {name_off:#x} is not in the BTF strings")
        })?;
        p += 8;
        let len = n
            .checked_mul(rec_size)
            .filter(|l| p.checked_add(*l).is_some_and(|e| e <= data.len()))
            .ok_or_else(|| {
                format!("{what}: {n} records for section \"{name}\" run past the end")
            })?;
        for k in 0..n {
            let start = p + k * rec_size;
            if let Some(r) = data.get(start..start + rec_size) {
                rec(name, r);
            }
        }
        p += len;
    }
    Ok(())
}

impl BtfExtInfo {
    pub fn parse(data: &[u8], btf: &BtfTypes) -> Result<BtfExtInfo, String> {
        if data.get(0..2) != Some([0x9f, 0xeb].as_slice()) {
            return Err("bad magic".into());
        }
        let hdr_len = u32_at(data, 4).ok_or("truncated header")? as usize;
        let sub = |off_at: usize, what: &str| -> Result<&[u8], String> {
            if off_at + 8 > hdr_len {
                return Ok(&[]);
            }
            let off = u32_at(data, off_at).ok_or("truncated header")? as usize;
            let len = u32_at(data, off_at + 4).ok_or("truncated header")? as usize;
            hdr_len
                .checked_add(off)
                .and_then(|s| data.get(s..s.checked_add(len)?))
                .ok_or_else(|| {
                    format!("{what} (offset {off:#x}, length {len:#x}) is out of bounds")
                })
        };
        let mut out = BtfExtInfo::default();
        walk(sub(8, "func_info")?, btf, "func_info", 8, |sec, r| {
            if let (Some(off), Some(ty)) = (u32_at(r, 0), u32_at(r, 4)) {
                out.func_info
                    .entry(sec.to_string())
                    .or_default()
                    .push(RawFuncInfo {
                        insn: off / 8,
                        type_id: ty,
                    });
            }
        })?;
        walk(sub(16, "line_info")?, btf, "line_info", 16, |sec, r| {
            if let (Some(off), Some(f), Some(l), Some(c)) =
                (u32_at(r, 0), u32_at(r, 4), u32_at(r, 8), u32_at(r, 12))
            {
                out.line_info
                    .entry(sec.to_string())
                    .or_default()
                    .push(RawLineInfo {
                        insn: off / 8,
                        file_name_off: f,
                        line_off: l,
                        line_col: c,
                    });
            }
        })?;
        let mut core = 0usize;
        walk(
            sub(24, "CO-RE relocations")?,
            btf,
            "CO-RE relocations",
            16,
            |_, _| core += 1,
        )?;
        out.core_relos = core;
        Ok(out)
    }
}
