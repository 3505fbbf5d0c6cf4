//! CO-RE (`.BTF.ext` core_relo records) through aya-obj: `aya_obj::Object::parse` reads the
//! object, `relocate_btf` patches its functions' instructions against a target BTF, and the
//! patched instruction ranges are copied over this loader's section text before linking.
//!
//! aya-obj 0.3.0 refuses some objects the kernel loads (unknown section names such as
//! `tc/tail` or `socket1`, legacy map layouts it does not know): for those the caller gets an
//! error, and decides whether that matters (it does not when the target is the object's own
//! BTF, where CO-RE gives back the compiled offsets).
//!
//! aya-obj indexes and unwraps on input in places (e.g. `.BTF.ext` section names), so every
//! call into it runs under `std::panic::catch_unwind`, as a last resort that turns a panic on
//! a malformed object into an error.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::insn::RawInsn;

/// Runs `f`, turning a panic into an error string (see the module doc).
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("aya-obj panicked in {what}: {msg}")
    })
}

/// Parses BTF with aya-obj (little-endian objects only).
pub(crate) fn parse_aya_btf(data: &[u8]) -> Result<aya_obj::btf::Btf, String> {
    guarded("Btf::parse", || {
        aya_obj::btf::Btf::parse(data, object::Endianness::Little)
    })?
    .map_err(|e| e.to_string())
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Function ranges patched by CO-RE: (section index, first instruction) → instructions.
pub(crate) type Patched = HashMap<(usize, usize), Vec<RawInsn>>;

/// Applies the object's CO-RE relocations against `target`.
pub(crate) fn relocate(bytes: &[u8], target: &aya_obj::btf::Btf) -> Result<Patched, String> {
    let mut obj = guarded("Object::parse", || aya_obj::Object::parse(bytes))?
        .map_err(|e| format!("aya-obj cannot read the object: {}", chain(&e)))?;
    guarded("relocate_btf", || obj.relocate_btf(target))?.map_err(|e| chain(&e))?;
    let mut out = Patched::new();
    for ((section, _), f) in &obj.functions {
        let insns = f
            .instructions
            .iter()
            .map(|i| RawInsn::new(i.code, i.dst_reg(), i.src_reg(), i.off, i.imm))
            .collect();
        out.insert((*section, f.section_offset / 8), insns);
    }
    Ok(out)
}
