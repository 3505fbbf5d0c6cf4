//! Flags of map operations (`BPF_MAP_UPDATE_ELEM`, the ring buffer and perf output helpers),
//! with the kernel's values.

/// Create a new element or update an existing one.
pub const BPF_ANY: u64 = 0;
/// Create a new element only.
pub const BPF_NOEXIST: u64 = 1;
/// Update an existing element only.
pub const BPF_EXIST: u64 = 2;
/// Update (or read) under the value's `bpf_spin_lock`.
pub const BPF_F_LOCK: u64 = 4;

/// The perf event array index in `bpf_perf_event_output`'s flags.
pub const BPF_F_INDEX_MASK: u64 = 0xffff_ffff;
/// Index meaning "the current CPU's slot".
pub const BPF_F_CURRENT_CPU: u64 = BPF_F_INDEX_MASK;
/// Context bytes to append (`bpf_skb_event_output` / `bpf_xdp_event_output`).
pub const BPF_F_CTXLEN_MASK: u64 = 0xfffff << 32;

/// Ring buffer submit/output: do not wake the consumer.
pub const BPF_RB_NO_WAKEUP: u64 = 1 << 0;
/// Ring buffer submit/output: always wake the consumer.
pub const BPF_RB_FORCE_WAKEUP: u64 = 1 << 1;
/// `bpf_ringbuf_query`: bytes not yet consumed.
pub const BPF_RB_AVAIL_DATA: u64 = 0;
/// `bpf_ringbuf_query`: the data area's size.
pub const BPF_RB_RING_SIZE: u64 = 1;
/// `bpf_ringbuf_query`: the consumer position.
pub const BPF_RB_CONS_POS: u64 = 2;
/// `bpf_ringbuf_query`: the producer position.
pub const BPF_RB_PROD_POS: u64 = 3;

/// Ring buffer record header bit: reserved, not yet submitted or discarded.
pub const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;
/// Ring buffer record header bit: discarded (consumers skip it).
pub const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;
/// Size of a ring buffer record header.
pub const BPF_RINGBUF_HDR_SZ: u32 = 8;
