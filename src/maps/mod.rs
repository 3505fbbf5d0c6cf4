//! Simulated BPF maps with the kernel's semantics.

mod def;

pub use def::{BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, MapDef, MapOrigin, MapType};
