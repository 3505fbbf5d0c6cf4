//! The kernel's `resolve_pseudo_ldimm64` (kernel/bpf/verifier.c, Linux 6.18): the pass
//! that checks every slot against the opcode table and every `lddw` for its form and its
//! pseudo source (map, map value, kernel BTF id, function), resolving map references.
//!
//! It runs after the subprogram passes and before `check_cfg`, over every slot in order,
//! stopping at the first bad one:
//! - an `LDX` whose mode is neither `MEM` nor `MEMSX`, or whose `imm` is not 0:
//!   `BPF_LDX uses reserved fields`;
//! - an `lddw` that is the last slot or whose second slot is not all zero except `imm`:
//!   `invalid bpf_ld_imm64 insn`; a pseudo source the kernel does not know, or a map
//!   (`MAP_FD`/`MAP_IDX`) load with a second immediate: `unrecognized bpf_ld_imm64 insn`;
//! - any other opcode that is not in the kernel's table (`bpf_opcode_in_insntable`):
//!   `unknown opcode %02x`.
//!
//! The second slot of an `lddw` is skipped, as in the kernel. Other reserved fields
//! (`BPF_ALU uses reserved fields`, ...) are `do_check`'s business, at the instruction
//! when a path reaches it: see [`super::fields`].

use super::error::{Errno, Pass, VerifierError};
use crate::insn::RawInsn;
use crate::insn::opcode::*;
use crate::maps::{MapDef, MapType};
use crate::object::btf::{BtfKind, BtfTypes};

/// `MAX_USED_MAPS`: at most this many distinct maps per program.
pub const MAX_USED_MAPS: usize = 64;
/// `BPF_MAX_VAR_OFF`: the largest direct map-value offset plus one.
pub const BPF_MAX_VAR_OFF: u32 = 1 << 29;

/// `bpf_opcode_in_insntable` (kernel/bpf/core.c): whether the interpreter knows `code`.
/// `lddw` (`LD|IMM|DW`) is in the table; its second slot is never looked up.
pub fn opcode_in_insntable(code: u8) -> bool {
    let class = code & CLASS_MASK;
    let op = code & OP_MASK;
    let src = code & SRC_MASK;
    let mode = code & MODE_MASK;
    let size = code & SIZE_MASK;
    match class {
        ALU | ALU64 => match op {
            ADD | SUB | AND | OR | LSH | RSH | XOR | MUL | MOV | ARSH | DIV | MOD => true,
            // NEG has no source bit; ALU64 END exists only as bswap (TO_LE).
            NEG => src == K,
            END => class == ALU || src == K,
            _ => false,
        },
        JMP => match op {
            CALL | EXIT | JA | JCOND => src == K,
            JEQ | JNE | JGT | JLT | JGE | JLE | JSGT | JSLT | JSGE | JSLE | JSET => true,
            _ => false,
        },
        JMP32 => match op {
            JA => src == K,
            JEQ | JNE | JGT | JLT | JGE | JLE | JSGT | JSLT | JSGE | JSLE | JSET => true,
            _ => false,
        },
        STX => mode == ATOMIC || mode == MEM,
        ST => mode == MEM,
        LDX => mode == MEM || (mode == MEMSX && size != DW),
        _ => code == LDDW || ((mode == ABS || mode == IND) && size != DW),
    }
}

/// What an `lddw` loads, once resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LdImm64 {
    /// A plain 64-bit constant.
    Imm(u64),
    /// A map pointer; `map` indexes [`Resolved::used_maps`].
    Map { map: usize },
    /// A pointer `off` bytes into a map's (single) value; `map` indexes
    /// [`Resolved::used_maps`].
    MapValue { map: usize, off: u32 },
    /// A kernel variable or function by vmlinux BTF id (`BPF_PSEUDO_BTF_ID`); `kind` is
    /// known when the kernel BTF was given.
    BtfId { btf_id: u32, kind: Option<BtfKind> },
    /// A subprogram's address (`BPF_PSEUDO_FUNC`), starting at slot `target`.
    Func { target: i64 },
}

/// The maps that map references in `lddw` resolve against.
#[derive(Clone, Copy, Debug, Default)]
pub enum MapRefs<'a> {
    /// No maps and no fd array: what bare instructions given to `BPF_PROG_LOAD` meet.
    /// `MAP_FD` loads name fds that are not maps; `MAP_IDX` loads have no fd array.
    #[default]
    None,
    /// An object's maps, as loaded by libbpf: `BPF_PSEUDO_MAP_IDX[_VALUE]` immediates
    /// index this slice (as if it were the fd array). `MAP_FD` immediates name no map.
    Object(&'a [MapDef]),
}

/// What `resolve_pseudo_ldimm64` leaves for the later passes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Per slot: what the `lddw` starting there loads (`None` for other slots).
    pub ld_imm64: Vec<Option<LdImm64>>,
    /// The maps the program uses (indexes into the [`MapRefs::Object`] slice), in first-use
    /// order (`env->used_maps`).
    pub used_maps: Vec<usize>,
}

impl Resolved {
    /// The slot of the first `lddw` that names used map `k`.
    pub fn first_use(&self, k: usize) -> Option<usize> {
        self.ld_imm64.iter().position(|l| {
            matches!(l, Some(LdImm64::Map { map } | LdImm64::MapValue { map, .. }) if *map == k)
        })
    }
}

fn err(at: usize, errno: Errno, msg: impl Into<String>) -> VerifierError {
    VerifierError::new(Pass::ResolvePseudoLdimm64, at, errno, msg)
}

fn is_cgroup_storage(t: MapType) -> bool {
    matches!(t, MapType::CgroupStorage | MapType::PercpuCgroupStorage)
}

/// `add_used_map` / `__add_used_map` with the map-independent part of
/// `check_map_prog_compatibility`; returns the index into `used_maps`.
fn add_used_map(
    resolved: &mut Resolved,
    maps: &[MapDef],
    idx: usize,
    at: usize,
) -> Result<usize, VerifierError> {
    if let Some(k) = resolved.used_maps.iter().position(|&m| m == idx) {
        return Ok(k);
    }
    if resolved.used_maps.len() >= MAX_USED_MAPS {
        return Err(err(
            at,
            Errno::TooBig,
            format!(
                "The total number of maps per program has reached the limit of {MAX_USED_MAPS}"
            ),
        ));
    }
    let Some(def) = maps.get(idx) else {
        return Err(err(
            at,
            Errno::BadF,
            format!("fd {idx} is not pointing to valid bpf_map"),
        ));
    };
    if def.map_type == MapType::StructOps {
        return Err(err(
            at,
            Errno::Inval,
            "bpf_struct_ops map cannot be used in prog",
        ));
    }
    let same_kind = |t: MapType| {
        resolved
            .used_maps
            .iter()
            .filter_map(|&m| maps.get(m))
            .any(|d| d.map_type == t)
    };
    if is_cgroup_storage(def.map_type) && same_kind(def.map_type) {
        return Err(err(
            at,
            Errno::Busy,
            "only one cgroup storage of each type is allowed",
        ));
    }
    if def.map_type == MapType::Arena && same_kind(MapType::Arena) {
        return Err(err(at, Errno::Busy, "Only one arena per program"));
    }
    resolved.used_maps.push(idx);
    Ok(resolved.used_maps.len() - 1)
}

/// The kernel's `resolve_pseudo_ldimm64`, over raw slots.
pub fn resolve_pseudo_ldimm64(
    insns: &[RawInsn],
    maps: MapRefs<'_>,
    kernel_btf: Option<&BtfTypes>,
) -> Result<Resolved, VerifierError> {
    let mut resolved = Resolved {
        ld_imm64: vec![None; insns.len()],
        used_maps: Vec::new(),
    };
    let mut i = 0;
    while i < insns.len() {
        let insn = insns[i];
        let mode = insn.code & MODE_MASK;
        if insn.code & CLASS_MASK == LDX && ((mode != MEM && mode != MEMSX) || insn.imm != 0) {
            return Err(err(i, Errno::Inval, "BPF_LDX uses reserved fields"));
        }
        if insn.code != LDDW {
            if !opcode_in_insntable(insn.code) {
                return Err(err(
                    i,
                    Errno::Inval,
                    format!("unknown opcode {:02x}", insn.code),
                ));
            }
            i += 1;
            continue;
        }
        let next = match insns.get(i + 1) {
            Some(n) if n.code == 0 && n.dst == 0 && n.src == 0 && n.off == 0 => *n,
            _ => return Err(err(i, Errno::Inval, "invalid bpf_ld_imm64 insn")),
        };
        let loaded = match insn.src {
            0 => LdImm64::Imm(crate::insn::Insn::ld64_value(insn.imm, next.imm)),
            PSEUDO_BTF_ID => check_pseudo_btf_id(&insn, &next, kernel_btf, i)?,
            PSEUDO_FUNC => LdImm64::Func {
                target: super::subprog::rel_target(i, insn.imm),
            },
            PSEUDO_MAP_VALUE | PSEUDO_MAP_IDX_VALUE => {
                resolve_map(&mut resolved, &insn, &next, maps, i)?
            }
            PSEUDO_MAP_FD | PSEUDO_MAP_IDX if next.imm == 0 => {
                resolve_map(&mut resolved, &insn, &next, maps, i)?
            }
            _ => return Err(err(i, Errno::Inval, "unrecognized bpf_ld_imm64 insn")),
        };
        resolved.ld_imm64[i] = Some(loaded);
        i += 2;
    }
    Ok(resolved)
}

/// `check_pseudo_btf_id` as far as it can be decided here.
fn check_pseudo_btf_id(
    insn: &RawInsn,
    next: &RawInsn,
    kernel_btf: Option<&BtfTypes>,
    at: usize,
) -> Result<LdImm64, VerifierError> {
    if next.imm != 0 {
        // A module BTF fd: the simulation has no open BTF objects.
        return Err(err(
            at,
            Errno::Inval,
            "invalid module BTF object FD specified.",
        ));
    }
    let btf_id = insn.imm as u32;
    let Some(btf) = kernel_btf else {
        return Ok(LdImm64::BtfId { btf_id, kind: None });
    };
    let Some(t) = btf.get(btf_id) else {
        return Err(err(
            at,
            Errno::NoEnt,
            format!("ldimm64 insn specifies invalid btf_id {}.", insn.imm),
        ));
    };
    if t.kind != BtfKind::Var && t.kind != BtfKind::Func {
        return Err(err(
            at,
            Errno::Inval,
            format!(
                "pseudo btf_id {} in ldimm64 isn't KIND_VAR or KIND_FUNC",
                insn.imm
            ),
        ));
    }
    Ok(LdImm64::BtfId {
        btf_id,
        kind: Some(t.kind),
    })
}

/// The map part of `resolve_pseudo_ldimm64`: finds the map, records it as used and checks
/// a direct value offset.
fn resolve_map(
    resolved: &mut Resolved,
    insn: &RawInsn,
    next: &RawInsn,
    maps: MapRefs<'_>,
    at: usize,
) -> Result<LdImm64, VerifierError> {
    let by_idx = matches!(insn.src, PSEUDO_MAP_IDX | PSEUDO_MAP_IDX_VALUE);
    let object = match maps {
        MapRefs::None if by_idx => {
            return Err(err(at, Errno::Proto, "fd_idx without fd_array is invalid"));
        }
        MapRefs::Object(defs) if by_idx => defs,
        // A map fd: no fd of the simulation is a map.
        _ => {
            return Err(err(
                at,
                Errno::BadF,
                format!("fd {} is not pointing to valid bpf_map", insn.imm),
            ));
        }
    };
    let idx = insn.imm as u32 as usize;
    let map = add_used_map(resolved, object, idx, at)?;
    if matches!(insn.src, PSEUDO_MAP_IDX) {
        return Ok(LdImm64::Map { map });
    }
    let off = next.imm as u32;
    if off >= BPF_MAX_VAR_OFF {
        return Err(err(
            at,
            Errno::Inval,
            format!("direct value offset of {off} is not allowed"),
        ));
    }
    let Some(def) = object.get(idx) else {
        return Err(err(
            at,
            Errno::BadF,
            format!("fd {idx} is not pointing to valid bpf_map"),
        ));
    };
    match def.map_type {
        MapType::Array => {
            if def.max_entries != 1 || off >= def.value_size {
                let errno = if def.max_entries != 1 {
                    Errno::NotSupp
                } else {
                    Errno::Inval
                };
                return Err(err(
                    at,
                    errno,
                    format!(
                        "invalid access to map value pointer, value_size={} off={off}",
                        def.value_size
                    ),
                ));
            }
        }
        MapType::Arena => {}
        _ => {
            return Err(err(
                at,
                Errno::Inval,
                "no direct value access support for this map type",
            ));
        }
    }
    Ok(LdImm64::MapValue { map, off })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::MapOrigin;

    fn raw(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> RawInsn {
        RawInsn::new(code, dst, src, off, imm)
    }

    const EXIT_I: RawInsn = RawInsn::new(EXIT_OP, 0, 0, 0, 0);

    fn msg(insns: &[RawInsn]) -> String {
        match resolve_pseudo_ldimm64(insns, MapRefs::None, None) {
            Ok(_) => "ok".into(),
            Err(e) => e.message().to_string(),
        }
    }

    #[test]
    fn the_opcode_table_has_the_kernels_size() {
        // 13 ALU ops x 2 sources x 2 classes - (NEG X) x 2 - ALU64 END X, JMP: 11 conditions x
        // 2 x 2 + CALL, EXIT, JA, JCOND + JMP32 JA, STX: 4 MEM + 4 ATOMIC, ST: 4, LDX: 4 MEM +
        // 3 MEMSX, LD: lddw + 3 ABS + 3 IND.
        let n = (0..=255u8).filter(|&c| opcode_in_insntable(c)).count();
        assert_eq!(n, 2 * (12 * 2 + 1 + 2) - 1 + 11 * 4 + 4 + 1 + 8 + 4 + 7 + 7);
        for code in [
            0x84u8,
            0xd4,
            0xdc,
            0xd7,
            0x85,
            0x95,
            0x05,
            0x06,
            0xe5,
            0x99 - 0x18,
        ] {
            assert!(opcode_in_insntable(code), "{code:#x}");
        }
        for code in [
            0x8cu8, 0xdf, 0x8d, 0x86, 0x96, 0x0d, 0x0e, 0xe6, 0xed, 0x99, 0x00, 0x38,
        ] {
            assert!(!opcode_in_insntable(code), "{code:#x}");
        }
    }

    #[test]
    fn lddw_forms() {
        let lddw = |src, next: RawInsn| [raw(LDDW, 1, src, 0, 1), next, EXIT_I];
        assert_eq!(msg(&lddw(0, raw(0, 0, 0, 0, 7))), "ok");
        assert_eq!(
            msg(&lddw(0, raw(0, 1, 0, 0, 7))),
            "invalid bpf_ld_imm64 insn"
        );
        assert_eq!(
            msg(&lddw(0, raw(0x18, 0, 0, 0, 0))),
            "invalid bpf_ld_imm64 insn"
        );
        assert_eq!(msg(&[raw(LDDW, 1, 0, 0, 1)]), "invalid bpf_ld_imm64 insn");
        assert_eq!(
            msg(&lddw(7, raw(0, 0, 0, 0, 0))),
            "unrecognized bpf_ld_imm64 insn"
        );
        assert_eq!(
            msg(&lddw(PSEUDO_MAP_FD, raw(0, 0, 0, 0, 4))),
            "unrecognized bpf_ld_imm64 insn"
        );
        assert_eq!(
            msg(&lddw(PSEUDO_MAP_FD, raw(0, 0, 0, 0, 0))),
            "fd 1 is not pointing to valid bpf_map"
        );
        assert_eq!(
            msg(&lddw(PSEUDO_MAP_IDX_VALUE, raw(0, 0, 0, 0, 4))),
            "fd_idx without fd_array is invalid"
        );
        assert_eq!(
            msg(&lddw(PSEUDO_BTF_ID, raw(0, 0, 0, 0, 3))),
            "invalid module BTF object FD specified."
        );
        assert_eq!(msg(&lddw(PSEUDO_FUNC, raw(0, 0, 0, 0, 0))), "ok");
        // The second slot is never looked up in the opcode table.
        assert_eq!(
            msg(&[raw(LDDW, 1, 0, 0, 1), raw(0, 0, 0, 0, 0), EXIT_I]),
            "ok"
        );
    }

    #[test]
    fn reserved_ldx_and_unknown_opcodes() {
        assert_eq!(
            msg(&[raw(LDX | MEM | W, 0, 1, 0, 1), EXIT_I]),
            "BPF_LDX uses reserved fields"
        );
        assert_eq!(
            msg(&[raw(LDX | ABS | W, 0, 1, 0, 0), EXIT_I]),
            "BPF_LDX uses reserved fields"
        );
        assert_eq!(
            msg(&[raw(LDX | MEMSX | DW, 0, 1, 0, 0), EXIT_I]),
            "unknown opcode 99"
        );
        assert_eq!(msg(&[raw(0x8c, 0, 1, 0, 0), EXIT_I]), "unknown opcode 8c");
        assert_eq!(msg(&[raw(0x00, 0, 0, 0, 0), EXIT_I]), "unknown opcode 00");
        // The first bad slot wins.
        assert_eq!(
            msg(&[raw(0xff, 0, 0, 0, 0), raw(LDX | MEM | W, 0, 1, 0, 1)]),
            "unknown opcode ff"
        );
    }

    fn def(map_type: MapType, value_size: u32, max_entries: u32) -> MapDef {
        MapDef {
            name: "m".into(),
            map_type,
            key_size: 4,
            value_size,
            max_entries,
            map_flags: 0,
            inner: None,
            initial: Vec::new(),
            read_only: false,
            origin: MapOrigin::User,
        }
    }

    #[test]
    fn object_maps_resolve_by_index() {
        let maps = [def(MapType::Array, 16, 1), def(MapType::Hash, 8, 4)];
        let run = |src, idx, off| {
            let prog = [raw(LDDW, 1, src, 0, idx), raw(0, 0, 0, 0, off), EXIT_I];
            resolve_pseudo_ldimm64(&prog, MapRefs::Object(&maps), None)
        };
        let r = run(PSEUDO_MAP_IDX_VALUE, 0, 8).unwrap();
        assert_eq!(r.ld_imm64[0], Some(LdImm64::MapValue { map: 0, off: 8 }));
        assert_eq!(r.used_maps, [0]);
        let r = run(PSEUDO_MAP_IDX, 1, 0).unwrap();
        assert_eq!(r.ld_imm64[0], Some(LdImm64::Map { map: 0 }));
        assert_eq!(r.used_maps, [1]);
        let e = run(PSEUDO_MAP_IDX_VALUE, 0, 16).unwrap_err();
        assert_eq!(
            e.message(),
            "invalid access to map value pointer, value_size=16 off=16"
        );
        let e = run(PSEUDO_MAP_IDX_VALUE, 1, 0).unwrap_err();
        assert_eq!(
            e.message(),
            "no direct value access support for this map type"
        );
        let e = run(PSEUDO_MAP_IDX_VALUE, 0, 1 << 29).unwrap_err();
        assert_eq!(
            e.message(),
            "direct value offset of 536870912 is not allowed"
        );
        let e = run(PSEUDO_MAP_IDX, 2, 0).unwrap_err();
        assert_eq!(e.message(), "fd 2 is not pointing to valid bpf_map");
    }
}
