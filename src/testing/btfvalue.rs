//! Bytes to named fields and back, through an object's BTF: what lets a test read a map
//! value or a ring buffer event as `{ pid = 42, comm = "cat" }` rather than hex, and write a
//! map seed the same way. Decoded values are JSON values: structs and unions become objects
//! (members by name, bitfields included), arrays of `char` strings (up to the first NUL),
//! other arrays lists, integers numbers with the BTF signedness, pointers addresses.

use crate::object::btf::{BtfKind, BtfTypes};
use serde_json::{Map, Value};

/// How deep nested types may go before a type is taken as malformed (cycles).
const MAX_DEPTH: usize = 32;

/// A decoded record: a struct's fields by name, with typed getters for tests.
#[derive(Clone, Debug, PartialEq)]
pub struct Record(pub Value);

impl Record {
    /// The field called `name` (`a.b` for nested members).
    pub fn get(&self, name: &str) -> Option<&Value> {
        name.split('.').try_fold(&self.0, |v, part| v.get(part))
    }

    /// An integer field as u64 (negative values wrap as in C).
    pub fn u64(&self, name: &str) -> Option<u64> {
        let v = self.get(name)?;
        v.as_u64().or_else(|| v.as_i64().map(|i| i as u64))
    }

    /// An integer field as i64.
    pub fn i64(&self, name: &str) -> Option<i64> {
        let v = self.get(name)?;
        v.as_i64().or_else(|| v.as_u64().map(|u| u as i64))
    }

    /// A `char[]` field as a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name)?.as_str()
    }
}

impl std::fmt::Display for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

fn le_uint(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .rev()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
}

fn number(raw: u128, bits: u32, signed: bool) -> Value {
    let bits = bits.clamp(1, 128);
    let mask = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let raw = raw & mask;
    if signed && bits < 128 && raw >> (bits - 1) & 1 == 1 {
        let v = (raw | !mask) as i128;
        return i64::try_from(v).map_or_else(|_| Value::String(v.to_string()), Value::from);
    }
    u64::try_from(raw).map_or_else(|_| Value::String(raw.to_string()), Value::from)
}

/// Whether `id` (before typedefs) is C's `char`.
fn is_char(btf: &BtfTypes, id: u32) -> bool {
    let Some(t) = btf.skip_mods(id).and_then(|i| btf.get(i)) else {
        return false;
    };
    t.kind == BtfKind::Int
        && t.size_or_type == 1
        && (t.name == "char" || t.int_encoding >> 24 & 2 != 0)
}

/// Decodes `bytes` as BTF type `id`. Bytes past the type's size are ignored; too few bytes
/// is an error.
pub fn decode(btf: &BtfTypes, id: u32, bytes: &[u8]) -> Result<Value, String> {
    decode_at(btf, id, bytes, 0)
}

fn decode_at(btf: &BtfTypes, id: u32, bytes: &[u8], depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("BTF types nest too deep".into());
    }
    let rid = btf
        .skip_mods(id)
        .ok_or_else(|| format!("BTF type {id} is malformed"))?;
    let t = btf.get(rid).ok_or_else(|| format!("no BTF type {rid}"))?;
    let size = btf.size_of(rid).unwrap_or(0) as usize;
    let b = bytes.get(..size).ok_or_else(|| {
        format!(
            "{} bytes are too few for {} {} ({size} bytes)",
            bytes.len(),
            kind_name(t.kind),
            t.name
        )
    })?;
    Ok(match t.kind {
        BtfKind::Int => {
            if t.int_encoding >> 24 & 4 != 0 {
                Value::Bool(b.iter().any(|&x| x != 0))
            } else {
                number(le_uint(b), 8 * size as u32, t.int_encoding >> 24 & 1 != 0)
            }
        }
        BtfKind::Ptr => number(le_uint(b), 64, false),
        BtfKind::Enum | BtfKind::Enum64 => number(le_uint(b), 8 * size as u32, t.kind_flag),
        BtfKind::Float => match size {
            4 => Value::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64),
            8 => Value::from(f64::from_le_bytes(b.try_into().map_err(|_| "float")?)),
            _ => Value::Null,
        },
        BtfKind::Array => {
            let (elem, _, n) = t.array.ok_or("array without element")?;
            if is_char(btf, elem) {
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                Value::String(String::from_utf8_lossy(&b[..end]).into_owned())
            } else {
                let esize = btf.size_of(elem).unwrap_or(0) as usize;
                let mut out = Vec::new();
                for i in 0..n as usize {
                    out.push(decode_at(btf, elem, &b[i * esize..], depth + 1)?);
                }
                Value::Array(out)
            }
        }
        BtfKind::Struct | BtfKind::Union => {
            let mut m = Map::new();
            for (i, member) in t.members.iter().enumerate() {
                let (bit_off, bit_size) = if t.kind_flag {
                    (member.offset & 0xff_ffff, member.offset >> 24)
                } else {
                    (member.offset, 0)
                };
                let name = if member.name.is_empty() {
                    format!("_{i}")
                } else {
                    member.name.clone()
                };
                let v = if bit_size != 0 || bit_off % 8 != 0 {
                    let width = if bit_size == 0 {
                        8 * btf.size_of(member.type_id).unwrap_or(0) as u32
                    } else {
                        bit_size
                    };
                    let start = (bit_off / 8) as usize;
                    let span = ((bit_off % 8 + width).div_ceil(8)) as usize;
                    let raw = le_uint(
                        b.get(start..start + span)
                            .ok_or("bitfield outside the struct")?,
                    );
                    let signed = btf
                        .skip_mods(member.type_id)
                        .and_then(|i| btf.get(i))
                        .is_some_and(|mt| mt.int_encoding >> 24 & 1 != 0);
                    number(raw >> (bit_off % 8), width, signed)
                } else {
                    let start = (bit_off / 8) as usize;
                    decode_at(
                        btf,
                        member.type_id,
                        b.get(start..).unwrap_or(&[]),
                        depth + 1,
                    )?
                };
                if member.name.is_empty() {
                    // Anonymous struct/union members: their fields belong to the parent.
                    if let Value::Object(inner) = v {
                        m.extend(inner);
                        continue;
                    }
                }
                m.insert(name, v);
            }
            Value::Object(m)
        }
        other => return Err(format!("cannot decode a {} type", kind_name(other))),
    })
}

fn kind_name(k: BtfKind) -> &'static str {
    match k {
        BtfKind::Int => "int",
        BtfKind::Ptr => "pointer",
        BtfKind::Array => "array",
        BtfKind::Struct => "struct",
        BtfKind::Union => "union",
        BtfKind::Enum | BtfKind::Enum64 => "enum",
        BtfKind::Float => "float",
        BtfKind::Func | BtfKind::FuncProto => "function",
        BtfKind::Fwd => "forward-declared",
        _ => "BTF",
    }
}

/// Encodes a value given as JSON (a number, a string for `char[]`, an object of named
/// members for a struct, a list for an array) as BTF type `id`. Members left out are zero;
/// unknown member names are errors.
pub fn encode(btf: &BtfTypes, id: u32, v: &Value) -> Result<Vec<u8>, String> {
    let size = btf
        .size_of(id)
        .ok_or_else(|| format!("BTF type {id} has no size"))? as usize;
    let mut out = vec![0u8; size];
    encode_into(btf, id, v, &mut out, 0)?;
    Ok(out)
}

fn int_bytes(v: &Value, size: usize) -> Result<Vec<u8>, String> {
    let n: i128 = match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .ok_or_else(|| format!("{n} is not an integer"))?,
        Value::Bool(b) => i128::from(*b),
        Value::String(s) => crate::testing::hex_number(s)
            .map(i128::from)
            .ok_or_else(|| {
                format!("expected an integer, found {s:?} (large numbers: \"0x...\")")
            })?,
        other => return Err(format!("expected an integer, found {other}")),
    };
    let bits = 8 * size as u32;
    if bits < 128 {
        let min = -(1i128 << (bits - 1));
        let max = (1i128 << bits) - 1;
        if n < min || n > max {
            return Err(format!("{n} does not fit in {size} bytes"));
        }
    }
    Ok(n.to_le_bytes()[..size].to_vec())
}

fn encode_into(
    btf: &BtfTypes,
    id: u32,
    v: &Value,
    out: &mut [u8],
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("BTF types nest too deep".into());
    }
    let rid = btf.skip_mods(id).ok_or("malformed BTF type")?;
    let t = btf.get(rid).ok_or("missing BTF type")?;
    let size = btf.size_of(rid).unwrap_or(0) as usize;
    let out = out.get_mut(..size).ok_or("value outside its parent")?;
    match t.kind {
        BtfKind::Int | BtfKind::Ptr | BtfKind::Enum | BtfKind::Enum64 => {
            out.copy_from_slice(&int_bytes(v, size)?);
        }
        BtfKind::Array => {
            let (elem, _, n) = t.array.ok_or("array without element")?;
            match v {
                Value::String(s) if is_char(btf, elem) => {
                    if s.len() > size {
                        return Err(format!("string {s:?} is longer than {size} bytes"));
                    }
                    out[..s.len()].copy_from_slice(s.as_bytes());
                }
                Value::Array(items) => {
                    if items.len() > n as usize {
                        return Err(format!("{} items for an array of {n}", items.len()));
                    }
                    let esize = btf.size_of(elem).unwrap_or(0) as usize;
                    for (i, item) in items.iter().enumerate() {
                        let slot = out
                            .get_mut(i * esize..)
                            .ok_or("array element outside the array")?;
                        encode_into(btf, elem, item, slot, depth + 1)?;
                    }
                }
                other => return Err(format!("expected a list for an array, found {other}")),
            }
        }
        BtfKind::Struct | BtfKind::Union => {
            let Value::Object(fields) = v else {
                return Err(format!(
                    "expected a table of fields for struct {}, found {v}",
                    t.name
                ));
            };
            for (name, fv) in fields {
                let member = t.members.iter().find(|m| &m.name == name).ok_or_else(|| {
                    let names: Vec<&str> = t.members.iter().map(|m| m.name.as_str()).collect();
                    format!(
                        "struct {} has no field {name:?} (it has: {})",
                        t.name,
                        names.join(", ")
                    )
                })?;
                let (bit_off, bit_size) = if t.kind_flag {
                    (member.offset & 0xff_ffff, member.offset >> 24)
                } else {
                    (member.offset, 0)
                };
                if bit_size != 0 || bit_off % 8 != 0 {
                    return Err(format!(
                        "field {name:?} is a bitfield, which seeds cannot set yet"
                    ));
                }
                let slot = out
                    .get_mut((bit_off / 8) as usize..)
                    .ok_or_else(|| format!("field {name:?} lies outside struct {}", t.name))?;
                encode_into(btf, member.type_id, fv, slot, depth + 1)?;
            }
        }
        other => return Err(format!("cannot encode a {} type", kind_name(other))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_sign() {
        assert_eq!(number(0xff, 8, true), Value::from(-1));
        assert_eq!(number(0xff, 8, false), Value::from(255));
        assert_eq!(number(u64::MAX as u128, 64, false), Value::from(u64::MAX));
        assert_eq!(number(0xffff_fffe, 32, true), Value::from(-2));
    }

    fn opensnoop_btf() -> BtfTypes {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/opensnoop/opensnoop.bpf.o"
        );
        let obj = crate::object::Object::from_file(path).expect("the example object");
        obj.btf.expect("BTF").types
    }

    #[test]
    fn structs_round_trip_through_btf() {
        let btf = opensnoop_btf();
        let id = crate::testing::events::find_type(&btf, "struct event").expect("struct event");
        let v = serde_json::json!({"pid": 7, "ret": -2, "comm": "cat", "fname": "/etc/passwd"});
        let bytes = encode(&btf, id, &v).unwrap();
        assert_eq!(bytes.len(), 304);
        let back = Record(decode(&btf, id, &bytes).unwrap());
        assert_eq!(back.u64("pid"), Some(7));
        assert_eq!(back.i64("ret"), Some(-2));
        assert_eq!(back.u64("ret"), Some(u64::MAX - 1));
        assert_eq!(back.str("comm"), Some("cat"));
        assert_eq!(back.str("fname"), Some("/etc/passwd"));
        assert_eq!(back.u64("ts"), Some(0));
        // Too few bytes, unknown fields, strings that do not fit: errors, not panics.
        assert!(
            decode(&btf, id, &bytes[..100])
                .unwrap_err()
                .contains("too few")
        );
        let e = encode(&btf, id, &serde_json::json!({"pdi": 1})).unwrap_err();
        assert!(e.contains("struct event has no field \"pdi\""), "{e}");
        let long = "x".repeat(17);
        assert!(encode(&btf, id, &serde_json::json!({ "comm": long })).is_err());
        assert!(encode(&btf, id, &serde_json::json!({"pid": -1})).is_ok());
        assert!(encode(&btf, id, &serde_json::json!({"pid": 1u64 << 32})).is_err());
    }

    #[test]
    fn ints_must_fit() {
        assert_eq!(int_bytes(&Value::from(-1), 4).unwrap(), vec![0xff; 4]);
        assert!(int_bytes(&Value::from(256), 1).is_err());
        assert!(int_bytes(&Value::from("x"), 4).is_err());
    }
}
