//! The special fields of a map value (`struct btf_record`), found in the map's BTF value
//! type as the kernel's `btf_parse_fields` (kernel/bpf/btf.c, Linux 6.18) finds them at
//! `BPF_MAP_CREATE`: `bpf_spin_lock`, `bpf_res_spin_lock`, `bpf_timer`, `bpf_wq`,
//! `bpf_task_work`, `bpf_list_head`, `bpf_rb_root`, `bpf_refcount` (named structs of the
//! kernel's size) and kptrs (pointers tagged `kptr`, `kptr_untrusted`, `percpu_kptr`,
//! `uptr`), as members of the value struct, of structs nested in it, in arrays of either
//! (repeated per element), or as variables of a global-data section.
//!
//! The verifier refuses loads and stores that touch these fields and takes a
//! `bpf_spin_lock` only where the record has one. BTF the kernel would refuse at map
//! creation (two locks, untagged kptrs, misplaced fields) gives an empty record here: such
//! a map never reaches the verifier.

use super::btf::{BtfKind, BtfType, BtfTypes};

/// `MAX_RESOLVE_DEPTH`.
const MAX_RESOLVE_DEPTH: u32 = 32;
/// The most struct members and section variables one record's walk visits. Nested structs
/// can fan out exponentially within `MAX_RESOLVE_DEPTH` (two members of the next struct,
/// 31 times over); the kernel's BTF size checks make that costly to build there, but an
/// object's BTF is input here. Real map values have hundreds of members at most.
const MAX_MEMBERS_VISITED: u32 = 100_000;
/// `BTF_FIELDS_MAX`: the most fields one record holds.
const BTF_FIELDS_MAX: usize = 11;

/// `enum btf_field_type`, the kinds a map value may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    SpinLock,
    ResSpinLock,
    Timer,
    Workqueue,
    TaskWork,
    ListHead,
    RbRoot,
    Refcount,
    /// `__kptr_untrusted`.
    KptrUnref,
    /// `__kptr`.
    KptrRef,
    /// `__percpu_kptr`.
    KptrPercpu,
    /// `__uptr`.
    Uptr,
}

impl FieldKind {
    /// `btf_field_type_name`.
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::SpinLock => "bpf_spin_lock",
            FieldKind::ResSpinLock => "bpf_res_spin_lock",
            FieldKind::Timer => "bpf_timer",
            FieldKind::Workqueue => "bpf_wq",
            FieldKind::TaskWork => "bpf_task_work",
            FieldKind::ListHead => "bpf_list_head",
            FieldKind::RbRoot => "bpf_rb_root",
            FieldKind::Refcount => "bpf_refcount",
            FieldKind::KptrUnref | FieldKind::KptrRef => "kptr",
            FieldKind::KptrPercpu => "percpu_kptr",
            FieldKind::Uptr => "uptr",
        }
    }

    /// `btf_field_type_size`.
    pub fn size(self) -> u32 {
        match self {
            FieldKind::SpinLock | FieldKind::ResSpinLock | FieldKind::Refcount => 4,
            FieldKind::TaskWork
            | FieldKind::KptrUnref
            | FieldKind::KptrRef
            | FieldKind::KptrPercpu
            | FieldKind::Uptr => 8,
            FieldKind::Timer | FieldKind::Workqueue | FieldKind::ListHead | FieldKind::RbRoot => 16,
        }
    }

    /// `btf_field_type_align`.
    fn align(self) -> u32 {
        match self {
            FieldKind::SpinLock | FieldKind::ResSpinLock | FieldKind::Refcount => 4,
            _ => 8,
        }
    }

    /// A kptr kind (loads and stores of exactly 8 bytes are allowed).
    pub fn is_kptr(self) -> bool {
        matches!(
            self,
            FieldKind::KptrUnref | FieldKind::KptrRef | FieldKind::KptrPercpu | FieldKind::Uptr
        )
    }

    /// Only one of these per record (`is_unique` in `btf_get_field_type`).
    fn is_unique(self) -> bool {
        matches!(
            self,
            FieldKind::SpinLock
                | FieldKind::ResSpinLock
                | FieldKind::Timer
                | FieldKind::Workqueue
                | FieldKind::TaskWork
        )
    }

    /// The struct names `btf_get_field_type` matches, in its order (the map's field mask
    /// leaves out `bpf_list_node` and `bpf_rb_node`).
    fn by_struct_name(name: &str) -> Option<FieldKind> {
        Some(match name {
            "bpf_spin_lock" => FieldKind::SpinLock,
            "bpf_res_spin_lock" => FieldKind::ResSpinLock,
            "bpf_timer" => FieldKind::Timer,
            "bpf_wq" => FieldKind::Workqueue,
            "bpf_task_work" => FieldKind::TaskWork,
            "bpf_list_head" => FieldKind::ListHead,
            "bpf_rb_root" => FieldKind::RbRoot,
            "bpf_refcount" => FieldKind::Refcount,
            _ => return None,
        })
    }
}

/// One special field: what it is and its byte offset in the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapField {
    pub kind: FieldKind,
    pub offset: u32,
}

/// Why `btf_parse_fields` fails (the map is not created).
struct Refused;

/// `btf_parse_fields` for a map whose value is BTF type `value_type_id` of `value_size`
/// bytes: the fields sorted by offset; empty when there are none or the kernel would refuse
/// the record.
pub fn parse_fields(types: &BtfTypes, value_type_id: u32, value_size: u32) -> Vec<MapField> {
    let Some(t) = types.get(value_type_id) else {
        return Vec::new();
    };
    let mut budget = MAX_MEMBERS_VISITED;
    let found = match t.kind {
        BtfKind::Struct => find_struct_field(types, t, 0, &mut budget),
        BtfKind::DataSec => find_datasec_var(types, t, &mut budget),
        _ => return Vec::new(),
    };
    let Ok(mut fields) = found else {
        return Vec::new();
    };
    if fields.len() > BTF_FIELDS_MAX {
        return Vec::new();
    }
    fields.sort_by_key(|f| f.offset);
    let mut next_off = 0u32;
    for f in &fields {
        let end = f.offset.saturating_add(f.kind.size());
        if end > value_size || f.offset < next_off {
            return Vec::new();
        }
        next_off = end;
    }
    fields
}

/// `btf_find_struct_field`: the members of a struct, in order.
fn find_struct_field(
    types: &BtfTypes,
    t: &BtfType,
    level: u32,
    budget: &mut u32,
) -> Result<Vec<MapField>, Refused> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for m in &t.members {
        *budget = budget.checked_sub(1).ok_or(Refused)?;
        let bit_off = if t.kind_flag {
            m.offset & 0x00ff_ffff
        } else {
            m.offset
        };
        if !bit_off.is_multiple_of(8) {
            return Err(Refused);
        }
        let Some(mt) = types.get(m.type_id) else {
            return Err(Refused);
        };
        out.extend(find_field_one(
            types,
            mt,
            bit_off / 8,
            0,
            &mut seen,
            level,
            budget,
        )?);
    }
    Ok(out)
}

/// `btf_find_datasec_var`: the variables of a global-data section.
fn find_datasec_var(
    types: &BtfTypes,
    t: &BtfType,
    budget: &mut u32,
) -> Result<Vec<MapField>, Refused> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for v in &t.members {
        *budget = budget.checked_sub(1).ok_or(Refused)?;
        let Some(var_type) = types
            .get(v.type_id)
            .and_then(|var| types.get(var.size_or_type))
        else {
            return Err(Refused);
        };
        out.extend(find_field_one(
            types, var_type, v.offset, v.size, &mut seen, 0, budget,
        )?);
    }
    Ok(out)
}

/// `btf_find_field_one`: the fields one member (or variable) of type `t` at `off` holds.
fn find_field_one<'a>(
    types: &'a BtfTypes,
    mut t: &'a BtfType,
    off: u32,
    expected_size: u32,
    seen: &mut Vec<FieldKind>,
    level: u32,
    budget: &mut u32,
) -> Result<Vec<MapField>, Refused> {
    let mut nelems: u32 = 1;
    let mut depth = 0;
    while t.kind == BtfKind::Array {
        if depth == MAX_RESOLVE_DEPTH {
            return Err(Refused);
        }
        depth += 1;
        let Some((elem, _, n)) = t.array else {
            return Err(Refused);
        };
        nelems = nelems.wrapping_mul(n);
        t = types.get(elem).ok_or(Refused)?;
    }
    if nelems == 0 {
        return Ok(Vec::new());
    }
    let kind = field_type(types, t, seen)?;
    let Some(kind) = kind else {
        if t.kind != BtfKind::Struct {
            return Ok(Vec::new());
        }
        // A struct of no special name: its own fields, repeated per array element.
        let sz = t.size_or_type;
        if expected_size != 0 && Some(expected_size) != sz.checked_mul(nelems) {
            return Ok(Vec::new());
        }
        if level + 1 >= MAX_RESOLVE_DEPTH {
            return Err(Refused);
        }
        let inner = find_struct_field(types, t, level + 1, budget)?;
        return repeat(&inner, off, nelems, sz);
    };
    let sz = kind.size();
    if expected_size != 0 && Some(expected_size) != sz.checked_mul(nelems) {
        return Ok(Vec::new());
    }
    if !off.is_multiple_of(kind.align()) {
        return Ok(Vec::new());
    }
    let found = if kind.is_kptr() {
        // btf_find_kptr decided the kind already; nothing else to check here.
        true
    } else {
        // btf_find_struct (and btf_find_graph_root's size check).
        t.kind == BtfKind::Struct && t.size_or_type == sz
    };
    if !found {
        return Ok(Vec::new());
    }
    repeat(&[MapField { kind, offset: 0 }], off, nelems, sz)
}

/// The fields of one element at `off`, then again for every further element
/// (`btf_repeat_fields`, which allows only kptrs and graph roots to repeat).
fn repeat(
    fields: &[MapField],
    off: u32,
    nelems: u32,
    elem_size: u32,
) -> Result<Vec<MapField>, Refused> {
    if nelems > 1
        && fields.iter().any(|f| {
            !(f.kind.is_kptr() || matches!(f.kind, FieldKind::ListHead | FieldKind::RbRoot))
        })
    {
        return Err(Refused);
    }
    let count = (fields.len() as u64).saturating_mul(nelems as u64);
    if count > BTF_FIELDS_MAX as u64 {
        return Err(Refused);
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..nelems {
        for f in fields {
            let offset = f
                .offset
                .checked_add(off)
                .and_then(|o| o.checked_add(i.checked_mul(elem_size)?))
                .ok_or(Refused)?;
            out.push(MapField {
                kind: f.kind,
                offset,
            });
        }
    }
    Ok(out)
}

/// `btf_get_field_type` (with `btf_find_kptr`'s tag reading): the special kind of a member
/// type, `None` for an ordinary one.
fn field_type(
    types: &BtfTypes,
    t: &BtfType,
    seen: &mut Vec<FieldKind>,
) -> Result<Option<FieldKind>, Refused> {
    if let Some(kind) = FieldKind::by_struct_name(&t.name) {
        if kind.is_unique() {
            if seen.contains(&kind) {
                return Err(Refused);
            }
            seen.push(kind);
        }
        return Ok(Some(kind));
    }
    if t.kind == BtfKind::Struct {
        return Ok(None);
    }
    kptr_kind(types, t)
}

/// `btf_find_kptr`: a (volatile) pointer whose pointee starts with one type tag naming the
/// kptr kind and then (after modifiers) a struct.
fn kptr_kind<'a>(types: &'a BtfTypes, mut t: &'a BtfType) -> Result<Option<FieldKind>, Refused> {
    if t.kind == BtfKind::Volatile {
        t = types.get(t.size_or_type).ok_or(Refused)?;
    }
    if t.kind != BtfKind::Ptr {
        return Ok(None);
    }
    let tag = types.get(t.size_or_type).ok_or(Refused)?;
    if tag.kind != BtfKind::TypeTag || tag.kind_flag {
        return Ok(None);
    }
    let next = types.get(tag.size_or_type).ok_or(Refused)?;
    if next.kind == BtfKind::TypeTag {
        return Err(Refused);
    }
    let kind = match tag.name.as_str() {
        "kptr_untrusted" => FieldKind::KptrUnref,
        "kptr" => FieldKind::KptrRef,
        "percpu_kptr" => FieldKind::KptrPercpu,
        "uptr" => FieldKind::Uptr,
        _ => return Err(Refused),
    };
    let base = types
        .skip_mods(tag.size_or_type)
        .and_then(|id| types.get(id))
        .ok_or(Refused)?;
    if base.kind != BtfKind::Struct {
        return Err(Refused);
    }
    Ok(Some(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.BTF` bytes: type 1 an int, types 2..=depth+1 structs whose two members are both
    /// of the next struct (the last one's of the int), so a walk that enters every member
    /// visits 2^depth leaves.
    fn doubling_structs(depth: u32) -> Vec<u8> {
        let mut types = Vec::new();
        let word = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
        // int: name 0, kind INT (1), size 4, 32-bit encoding.
        for x in [0, 1 << 24, 4, 32] {
            word(&mut types, x);
        }
        for k in 0..depth {
            let id = 2 + k;
            let (member, member_size) = if k + 1 == depth {
                (1, 4)
            } else {
                (id + 1, 4 << (depth - k - 1))
            };
            for x in [
                0,
                (4 << 24) | 2,
                2 * member_size,
                0,
                member,
                0,
                0,
                member,
                member_size * 8,
            ] {
                word(&mut types, x);
            }
        }
        let mut btf = Vec::new();
        btf.extend_from_slice(&[0x9f, 0xeb, 1, 0]);
        for x in [24, 0, types.len() as u32, types.len() as u32, 1] {
            word(&mut btf, x);
        }
        btf.extend_from_slice(&types);
        btf.push(0);
        btf
    }

    #[test]
    fn deeply_fanned_out_structs_end_in_bounded_work() {
        // 2^27 leaves (the most whose member bit offsets fit in 32 bits): without a bound on
        // the members visited this takes seconds in release, minutes in debug.
        let types = BtfTypes::parse(&doubling_structs(27)).unwrap();
        let start = std::time::Instant::now();
        assert_eq!(parse_fields(&types, 2, 4 << 27), Vec::new());
        assert!(
            start.elapsed().as_millis() < 1000,
            "took {:?}",
            start.elapsed()
        );
        // A small one is walked whole (and holds no special field).
        let types = BtfTypes::parse(&doubling_structs(3)).unwrap();
        assert_eq!(parse_fields(&types, 2, 32), Vec::new());
    }
}
