//! What a run touches outside the program: the memory regions, and the context translator
//! that stands in for the kernel's rewriting of context field accesses.

use super::memory::{MemoryMap, Region, RegionKind};
use crate::helpers::World;
use crate::maps::MapSet;
use std::fmt;

/// A context access the program type does not allow, in the kernel's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtxFault {
    pub off: u64,
    pub size: u64,
    pub write: bool,
}

impl fmt::Display for CtxFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid bpf_context access off={} size={}{}",
            self.off,
            self.size,
            if self.write { " (write)" } else { "" }
        )
    }
}

/// What a legacy packet load found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyLoad {
    Value(u64),
    /// Outside the packet: the kernel ends the program, returning 0.
    OutOfBounds,
    /// The context is not a socket buffer.
    NoSocketBuffer,
}

/// Translates loads and stores of context fields, as the kernel's convert_ctx_access does
/// (e.g. `__sk_buff.data`, a 32-bit field, loads as a full pointer to the packet).
pub trait CtxAccess {
    /// The value a `size`-byte load at offset `off` of the context gives (zero-extended).
    fn load(&mut self, off: u64, size: u64) -> Result<u64, CtxFault>;
    /// Stores the low `size` bytes of `value` at offset `off`.
    fn store(&mut self, off: u64, size: u64, value: u64) -> Result<(), CtxFault>;
    /// A legacy packet load (`ld_abs`/`ld_ind`) of `size` bytes at `off` relative to
    /// `skb->data` (or to the network / link-layer header for the `SKF_NET_OFF` /
    /// `SKF_LL_OFF` bases), converted from network byte order.
    fn legacy_load(&mut self, off: i64, size: u64) -> LegacyLoad {
        let _ = (off, size);
        LegacyLoad::NoSocketBuffer
    }
    /// The context as a value helpers can downcast (`bpf_skb_load_bytes` needs the packet
    /// behind an `__sk_buff`, `bpf_xdp_adjust_head` the one behind an `xdp_md`).
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any;
}

/// The world of one run: the memory it may access, and its context translator (if the
/// program type has one).
#[derive(Default)]
pub struct Env<'a> {
    pub mem: MemoryMap<'a>,
    pub ctx: Option<&'a mut dyn CtxAccess>,
    /// The deterministic outside world helpers read, and the output they produce.
    pub world: World,
    /// The maps of the loaded object (their values are regions of `mem`).
    pub maps: Option<&'a mut MapSet>,
}

impl<'a> Env<'a> {
    pub fn new(mem: MemoryMap<'a>) -> Self {
        Env {
            mem,
            ctx: None,
            world: World::default(),
            maps: None,
        }
    }

    /// Gives the run the object's maps: their values become accessible regions and the map
    /// helpers work on them.
    pub fn attach_maps(&mut self, maps: &'a mut MapSet) {
        for (index, v) in maps.regions_by_map() {
            let region = Region {
                kind: RegionKind::MapValues { index },
                start: v.start,
                len: v.len,
                writable: v.writable,
                stride: v.stride,
                elem_size: v.elem_size,
            };
            // SAFETY: a MapSet's value storage is allocated once per map, never moved or
            // freed while the set lives (here: for `'a`, as `maps` is borrowed for it), and
            // is only touched through raw pointers, by the program and by the map code that
            // helpers run between the program's accesses.
            unsafe { self.mem.add_raw(region) };
        }
        self.maps = Some(maps);
    }
}
