//! Simulated BPF maps with the kernel's semantics (Linux 6.18 is the reference).
//!
//! [`MapSet`] creates the maps of a loaded object from their [`MapDef`]s; each [`Map`] offers a
//! program side (what helpers call: lookups that return host addresses of values, updates,
//! queues, ring buffers, perf output) and a user side (what the `bpf()` syscall offers).
//! Failures carry the kernel's [`Errno`]; creation failures are [`MapError`]s.
//!
//! Values live in storage allocated once per map and never moved, so the addresses programs
//! hold stay valid; [`Map::value_regions`] tells the interpreter where programs may access
//! them.
//!
//! Modules: `def` (definitions and creation flags), `flags` (operation flags), `errno`,
//! `check` (creation checks), `arena` (the value storage, the only `unsafe` code), `value`
//! (copy rules), `pool` (free slots), one module per map family (`array`, `hash`, `lpm`, `queue`, `ringbuf`,
//! `perf`, `fdarray`), `map` (the [`Map`] type) and `set` ([`MapSet`]).

mod arena;
mod array;
mod check;
mod def;
mod errno;
mod fdarray;
pub mod flags;
mod hash;
mod lpm;
mod map;
mod perf;
mod pool;
#[cfg(test)]
mod proptests;
mod queue;
mod ringbuf;
mod set;
#[cfg(test)]
mod tests;
mod value;

pub use arena::ValueRegion;
pub use def::*;
pub use errno::{Errno, MapError};
pub use map::Map;
pub use perf::PerfEvent;
pub use set::{MapSet, MapSetConfig};
