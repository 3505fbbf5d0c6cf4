//! Helper prototypes: what the verifier's helper-call check (`check_helper_call` and
//! `check_func_arg` in the kernel's `kernel/bpf/verifier.c`) knows about each helper, and which
//! program types may call which helper.
//!
//! Two halves, as in the kernel:
//! - **Prototypes** ([`HelperProto`], the kernel's `struct bpf_func_proto`): return type, the
//!   five argument types with their flags ([`ArgType`] = [`ArgBase`] + [`TypeFlags`]), the
//!   fixed size or BTF type of an argument where the prototype names one, `gpl_only`,
//!   `pkt_access`, `might_sleep`, `allow_fastcall`, the BTF type of a returned pointer and the
//!   prototype's `allowed` hook ([`AllowedHook`]). One helper can have several prototypes: a
//!   kprobe gets `bpf_perf_event_output_proto`, a tracepoint `bpf_perf_event_output_proto_tp`,
//!   a socket filter `bpf_skb_event_output_proto`. Each is a `static` here, named after the
//!   kernel's variable ([`HelperProto::proto_name`]); [`proto`] gives a helper's canonical one,
//!   [`variants`] all of them.
//! - **Availability** ([`proto_for`], [`allowed`]): the kernel's `*_func_proto(func_id, prog)`
//!   functions (`bpf_base_func_proto`, `bpf_tracing_func_proto`, `kprobe_prog_func_proto`,
//!   `sk_filter_func_proto`, `tc_cls_act_func_proto`, `xdp_func_proto`, the cgroup ones, ...),
//!   one Rust function each with the same fall-through structure, deciding by program type,
//!   expected attach type, sleepability and attach target ([`ProgSpec`]) which prototype, if
//!   any, a program gets. [`check_call`] then makes the checks `check_helper_call` makes
//!   before it looks at the arguments, with the kernel's messages ([`HelperCallError`]:
//!   `program of this type cannot use helper bpf_xxx#N`, `invalid func unknown#N`, ...).
//!
//! The reference-tracking facts the verifier reads beside the prototypes are here too:
//! [`is_acquire_function`] (`bpf_sk_lookup_tcp`, `bpf_ringbuf_reserve`, ...), releases
//! ([`HelperProto::release_arg`]: an `OBJ_RELEASE` argument, as in `bpf_sk_release` and
//! `bpf_ringbuf_submit`), pointer casts, dynptr references, callback-calling helpers and the
//! helpers that change packet data.
//!
//! Written from the Linux 6.12 sources (facts only), then corrected against the running 6.18
//! kernel, which decides where they differ. `tests/helper_protos_kernel.rs` compares with it:
//! the type, flag and helper numbers with the enumerations in its BTF; and, loading
//! `call N; exit` (and variants with every argument the context, or NULL) for every helper
//! and program type, availability, the GPL, sleep and `allowed` checks with their messages,
//! each prototype's number of arguments, which arguments take the context and which take
//! NULL. What 6.18 changed against 6.12, found that way:
//! - 6.16 moved a set of tracing helpers into `bpf_base_func_proto`, so every program type
//!   (with `CAP_PERFMON`) gets `bpf_get_current_comm`, `bpf_get_current_uid_gid`,
//!   `bpf_perf_event_read(_value)`, `bpf_send_signal(_thread)`, `bpf_get_task_stack`,
//!   `bpf_copy_from_user(_task)`, `bpf_task_storage_*`, `bpf_find_vma`,
//!   `bpf_get_branch_snapshot`, `bpf_current_task_under_cgroup` and `bpf_get_cgroup_classid`;
//! - socket filters, `cgroup_skb` and tc programs get `bpf_get_netns_cookie` (context or NULL);
//! - `cgroup_sock_addr` programs on the Unix `getpeername`/`getsockname` hooks get
//!   `bpf_setsockopt`/`bpf_getsockopt`; `lwt_seg6local` gets `bpf_skb_pull_data`;
//! - `bpf_loop`'s count is `ARG_ANYTHING` (6.12.y's `ARG_SCALAR` does not exist in 6.18), and
//!   `DYNPTR_TYPE_SKB_META` is a new type flag.
//!
//! Not compared with the kernel (it does not show them to a probe this simple), so as in the
//! 6.12 sources: the memory flags of arguments (`MEM_RDONLY`, `MEM_UNINIT`, `MEM_WRITE`,
//! `MEM_ALIGNED`), fixed sizes, BTF types, `pkt_access`, `allow_fastcall` and return types;
//! and the availability in `fentry`/`fexit`/`fmod_ret` and `lsm` programs, which this kernel
//! does not load.
//!
//! The running kernel's configuration is part of the answer, and is fixed here:
//! - lockdown in integrity mode: `bpf_probe_write_user` is refused everywhere;
//! - no `CONFIG_BPF_KPROBE_OVERRIDE`: no `bpf_override_return`;
//! - no `CONFIG_BPF_LIRC_MODE2`: the kernel refuses `lirc_mode2` programs outright (the
//!   table still answers for that type as a kernel with it would);
//! - the caller is privileged (`CAP_BPF`, `CAP_PERFMON`, `CAP_SYS_ADMIN`), as bpfsim's users
//!   are root: the capability-gated parts of `bpf_base_func_proto` are always open.
//!
//! What [`ProgSpec`] cannot express is documented there: `struct_ops` and `ext` programs
//! (their helpers come from what they attach to) and the sleepable LSM hooks.

use super::ids::helper_name;
use crate::maps::MapType;
use crate::progtype::ProgType;
use crate::progtype::section::attach as A;
use std::fmt;
use std::ops::BitOr;

/// Bits the kernel reserves for a base type in `bpf_arg_type` / `bpf_return_type` /
/// `bpf_reg_type`; the [`TypeFlags`] sit above them (`BPF_BASE_TYPE_BITS`).
pub const BPF_BASE_TYPE_BITS: u32 = 8;

/// The kernel's `enum bpf_type_flag`: modifiers of an argument, return or register type.
/// The bits are the kernel's (`BIT(n + BPF_BASE_TYPE_BITS)`), so [`ArgType::bits`] equals the
/// kernel's `enum bpf_arg_type` value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TypeFlags(u32);

const FLAG_NAMES: [&str; 20] = [
    "PTR_MAYBE_NULL",
    "MEM_RDONLY",
    "MEM_RINGBUF",
    "MEM_USER",
    "MEM_PERCPU",
    "OBJ_RELEASE",
    "PTR_UNTRUSTED",
    "MEM_UNINIT",
    "DYNPTR_TYPE_LOCAL",
    "DYNPTR_TYPE_RINGBUF",
    "MEM_FIXED_SIZE",
    "MEM_ALLOC",
    "PTR_TRUSTED",
    "MEM_RCU",
    "NON_OWN_REF",
    "DYNPTR_TYPE_SKB",
    "DYNPTR_TYPE_XDP",
    "MEM_ALIGNED",
    "MEM_WRITE",
    "DYNPTR_TYPE_SKB_META",
];

impl TypeFlags {
    const fn bit(n: u32) -> TypeFlags {
        TypeFlags(1 << (n + BPF_BASE_TYPE_BITS))
    }
    pub const NONE: TypeFlags = TypeFlags(0);
    /// The pointer may be NULL.
    pub const PTR_MAYBE_NULL: TypeFlags = TypeFlags::bit(0);
    /// Read-only memory; on an argument: read-only memory is accepted too.
    pub const MEM_RDONLY: TypeFlags = TypeFlags::bit(1);
    /// Memory of a ring buffer reservation.
    pub const MEM_RINGBUF: TypeFlags = TypeFlags::bit(2);
    /// User-space memory.
    pub const MEM_USER: TypeFlags = TypeFlags::bit(3);
    /// Per-CPU memory.
    pub const MEM_PERCPU: TypeFlags = TypeFlags::bit(4);
    /// The helper releases the reference this argument holds.
    pub const OBJ_RELEASE: TypeFlags = TypeFlags::bit(5);
    pub const PTR_UNTRUSTED: TypeFlags = TypeFlags::bit(6);
    /// The memory need not be initialised (the helper fills it).
    pub const MEM_UNINIT: TypeFlags = TypeFlags::bit(7);
    pub const DYNPTR_TYPE_LOCAL: TypeFlags = TypeFlags::bit(8);
    pub const DYNPTR_TYPE_RINGBUF: TypeFlags = TypeFlags::bit(9);
    /// The memory's size is the prototype's `arg_size`, not the next argument.
    pub const MEM_FIXED_SIZE: TypeFlags = TypeFlags::bit(10);
    pub const MEM_ALLOC: TypeFlags = TypeFlags::bit(11);
    pub const PTR_TRUSTED: TypeFlags = TypeFlags::bit(12);
    pub const MEM_RCU: TypeFlags = TypeFlags::bit(13);
    pub const NON_OWN_REF: TypeFlags = TypeFlags::bit(14);
    pub const DYNPTR_TYPE_SKB: TypeFlags = TypeFlags::bit(15);
    pub const DYNPTR_TYPE_XDP: TypeFlags = TypeFlags::bit(16);
    /// The memory must be aligned (with `MEM_FIXED_SIZE`).
    pub const MEM_ALIGNED: TypeFlags = TypeFlags::bit(17);
    /// The helper writes the memory (with `MEM_UNINIT`: only writes it).
    pub const MEM_WRITE: TypeFlags = TypeFlags::bit(18);
    /// A dynptr over an skb's metadata (new in 6.18's flag list).
    pub const DYNPTR_TYPE_SKB_META: TypeFlags = TypeFlags::bit(19);

    /// The kernel's numeric value of these flags.
    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn union(self, other: TypeFlags) -> TypeFlags {
        TypeFlags(self.0 | other.0)
    }

    pub const fn contains(self, other: TypeFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Every flag with its kernel name, lowest bit first.
    pub fn all() -> impl Iterator<Item = (&'static str, TypeFlags)> {
        (0..FLAG_NAMES.len() as u32).map(|i| (FLAG_NAMES[i as usize], TypeFlags::bit(i)))
    }

    /// The kernel's names of the flags set, lowest bit first.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        FLAG_NAMES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << (*i as u32 + BPF_BASE_TYPE_BITS)) != 0)
            .map(|(_, n)| *n)
    }
}

impl BitOr for TypeFlags {
    type Output = TypeFlags;
    fn bitor(self, rhs: TypeFlags) -> TypeFlags {
        self.union(rhs)
    }
}

impl fmt::Debug for TypeFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("NONE");
        }
        let names: Vec<_> = self.names().collect();
        f.write_str(&names.join(" | "))
    }
}

/// The base of the kernel's `enum bpf_arg_type` (its value is the kernel's number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ArgBase {
    /// Unused argument.
    DontCare = 0,
    /// A map (`ld_imm64` of a map fd).
    ConstMapPtr,
    /// Memory holding a key of the map in an earlier `ConstMapPtr` argument.
    PtrToMapKey,
    /// Memory holding a value of that map.
    PtrToMapValue,
    /// Memory (stack, packet, map value, ...) whose size is the next argument (or `arg_size`).
    PtrToMem,
    PtrToArena,
    /// Byte count of the previous `PtrToMem`, known at verification, not zero.
    ConstSize,
    /// As `ConstSize`, zero allowed.
    ConstSizeOrZero,
    /// The program's context.
    PtrToCtx,
    /// Any initialised value.
    Anything,
    PtrToSpinLock,
    PtrToSockCommon,
    PtrToSocket,
    /// A pointer to a kernel structure (BTF type in [`Arg::btf_id`]).
    PtrToBtfId,
    /// Memory of a ring buffer reservation.
    PtrToRingbufMem,
    /// Size of an allocation the helper makes (`bpf_ringbuf_reserve`).
    ConstAllocSizeOrZero,
    /// A `sock_common` as a BTF pointer or a `bpf_sock`.
    PtrToBtfIdSockCommon,
    PtrToPercpuBtfId,
    /// A callback: `ld_imm64` of a subprogram.
    PtrToFunc,
    PtrToStack,
    /// A NUL-terminated string in read-only map memory.
    PtrToConstStr,
    PtrToTimer,
    KptrXchgDest,
    /// A `struct bpf_dynptr` on the stack.
    PtrToDynptr,
}

const ARG_BASE_NAMES: [&str; 24] = [
    "ARG_DONTCARE",
    "ARG_CONST_MAP_PTR",
    "ARG_PTR_TO_MAP_KEY",
    "ARG_PTR_TO_MAP_VALUE",
    "ARG_PTR_TO_MEM",
    "ARG_PTR_TO_ARENA",
    "ARG_CONST_SIZE",
    "ARG_CONST_SIZE_OR_ZERO",
    "ARG_PTR_TO_CTX",
    "ARG_ANYTHING",
    "ARG_PTR_TO_SPIN_LOCK",
    "ARG_PTR_TO_SOCK_COMMON",
    "ARG_PTR_TO_SOCKET",
    "ARG_PTR_TO_BTF_ID",
    "ARG_PTR_TO_RINGBUF_MEM",
    "ARG_CONST_ALLOC_SIZE_OR_ZERO",
    "ARG_PTR_TO_BTF_ID_SOCK_COMMON",
    "ARG_PTR_TO_PERCPU_BTF_ID",
    "ARG_PTR_TO_FUNC",
    "ARG_PTR_TO_STACK",
    "ARG_PTR_TO_CONST_STR",
    "ARG_PTR_TO_TIMER",
    "ARG_KPTR_XCHG_DEST",
    "ARG_PTR_TO_DYNPTR",
];

impl ArgBase {
    /// Every base type, in the kernel's order.
    pub const ALL: [ArgBase; 24] = [
        ArgBase::DontCare,
        ArgBase::ConstMapPtr,
        ArgBase::PtrToMapKey,
        ArgBase::PtrToMapValue,
        ArgBase::PtrToMem,
        ArgBase::PtrToArena,
        ArgBase::ConstSize,
        ArgBase::ConstSizeOrZero,
        ArgBase::PtrToCtx,
        ArgBase::Anything,
        ArgBase::PtrToSpinLock,
        ArgBase::PtrToSockCommon,
        ArgBase::PtrToSocket,
        ArgBase::PtrToBtfId,
        ArgBase::PtrToRingbufMem,
        ArgBase::ConstAllocSizeOrZero,
        ArgBase::PtrToBtfIdSockCommon,
        ArgBase::PtrToPercpuBtfId,
        ArgBase::PtrToFunc,
        ArgBase::PtrToStack,
        ArgBase::PtrToConstStr,
        ArgBase::PtrToTimer,
        ArgBase::KptrXchgDest,
        ArgBase::PtrToDynptr,
    ];

    /// The kernel's name (`ARG_PTR_TO_MEM`).
    pub fn kernel_name(self) -> &'static str {
        ARG_BASE_NAMES[self as usize]
    }
}

/// An argument type: the kernel's `enum bpf_arg_type`, base type plus flags.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArgType {
    pub base: ArgBase,
    pub flags: TypeFlags,
}

impl ArgType {
    pub const fn new(base: ArgBase) -> ArgType {
        ArgType {
            base,
            flags: TypeFlags::NONE,
        }
    }

    /// This type with `flags` added.
    pub const fn with(self, flags: TypeFlags) -> ArgType {
        ArgType {
            base: self.base,
            flags: self.flags.union(flags),
        }
    }

    /// The kernel's numeric `enum bpf_arg_type` value.
    pub const fn bits(self) -> u32 {
        self.base as u32 | self.flags.bits()
    }

    pub const fn has(self, flags: TypeFlags) -> bool {
        self.flags.contains(flags)
    }

    /// Whether the helper releases the reference passed here (`OBJ_RELEASE`).
    pub const fn is_release(self) -> bool {
        self.has(TypeFlags::OBJ_RELEASE)
    }

    /// Whether NULL is accepted (`PTR_MAYBE_NULL`, the kernel's `type_may_be_null`).
    pub const fn may_be_null(self) -> bool {
        self.has(TypeFlags::PTR_MAYBE_NULL)
    }

    /// Whether this is a size argument (`arg_type_is_mem_size`).
    pub const fn is_mem_size(self) -> bool {
        matches!(self.base, ArgBase::ConstSize | ArgBase::ConstSizeOrZero)
    }

    /// Whether this argument is unused.
    pub const fn is_unused(self) -> bool {
        matches!(self.base, ArgBase::DontCare)
    }
}

impl fmt::Debug for ArgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base.kernel_name())?;
        for n in self.flags.names() {
            write!(f, " | {n}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ArgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The base of the kernel's `enum bpf_return_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum RetBase {
    Integer = 0,
    Void,
    PtrToMapValue,
    PtrToSocket,
    PtrToTcpSock,
    PtrToSockCommon,
    PtrToMem,
    PtrToMemOrBtfId,
    PtrToBtfId,
}

const RET_BASE_NAMES: [&str; 9] = [
    "RET_INTEGER",
    "RET_VOID",
    "RET_PTR_TO_MAP_VALUE",
    "RET_PTR_TO_SOCKET",
    "RET_PTR_TO_TCP_SOCK",
    "RET_PTR_TO_SOCK_COMMON",
    "RET_PTR_TO_MEM",
    "RET_PTR_TO_MEM_OR_BTF_ID",
    "RET_PTR_TO_BTF_ID",
];

impl RetBase {
    /// Every base type, in the kernel's order.
    pub const ALL: [RetBase; 9] = [
        RetBase::Integer,
        RetBase::Void,
        RetBase::PtrToMapValue,
        RetBase::PtrToSocket,
        RetBase::PtrToTcpSock,
        RetBase::PtrToSockCommon,
        RetBase::PtrToMem,
        RetBase::PtrToMemOrBtfId,
        RetBase::PtrToBtfId,
    ];

    /// The kernel's name (`RET_PTR_TO_MAP_VALUE`).
    pub fn kernel_name(self) -> &'static str {
        RET_BASE_NAMES[self as usize]
    }
}

/// A return type: the kernel's `enum bpf_return_type`, base type plus flags.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetType {
    pub base: RetBase,
    pub flags: TypeFlags,
}

impl RetType {
    pub const fn new(base: RetBase) -> RetType {
        RetType {
            base,
            flags: TypeFlags::NONE,
        }
    }

    pub const fn with(self, flags: TypeFlags) -> RetType {
        RetType {
            base: self.base,
            flags: self.flags.union(flags),
        }
    }

    /// The kernel's numeric `enum bpf_return_type` value.
    pub const fn bits(self) -> u32 {
        self.base as u32 | self.flags.bits()
    }

    pub const fn has(self, flags: TypeFlags) -> bool {
        self.flags.contains(flags)
    }

    /// Whether the returned pointer must be checked against NULL.
    pub const fn may_be_null(self) -> bool {
        self.has(TypeFlags::PTR_MAYBE_NULL)
    }
}

impl fmt::Debug for RetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base.kernel_name())?;
        for n in self.flags.names() {
            write!(f, " | {n}")?;
        }
        Ok(())
    }
}

impl fmt::Display for RetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

// The kernel's names for argument and return types, with the combinations it names.
pub const ARG_DONTCARE: ArgType = ArgType::new(ArgBase::DontCare);
pub const ARG_CONST_MAP_PTR: ArgType = ArgType::new(ArgBase::ConstMapPtr);
pub const ARG_PTR_TO_MAP_KEY: ArgType = ArgType::new(ArgBase::PtrToMapKey);
pub const ARG_PTR_TO_MAP_VALUE: ArgType = ArgType::new(ArgBase::PtrToMapValue);
pub const ARG_PTR_TO_MEM: ArgType = ArgType::new(ArgBase::PtrToMem);
pub const ARG_PTR_TO_ARENA: ArgType = ArgType::new(ArgBase::PtrToArena);
pub const ARG_CONST_SIZE: ArgType = ArgType::new(ArgBase::ConstSize);
pub const ARG_CONST_SIZE_OR_ZERO: ArgType = ArgType::new(ArgBase::ConstSizeOrZero);
pub const ARG_PTR_TO_CTX: ArgType = ArgType::new(ArgBase::PtrToCtx);
pub const ARG_ANYTHING: ArgType = ArgType::new(ArgBase::Anything);
pub const ARG_PTR_TO_SPIN_LOCK: ArgType = ArgType::new(ArgBase::PtrToSpinLock);
pub const ARG_PTR_TO_SOCK_COMMON: ArgType = ArgType::new(ArgBase::PtrToSockCommon);
pub const ARG_PTR_TO_SOCKET: ArgType = ArgType::new(ArgBase::PtrToSocket);
pub const ARG_PTR_TO_BTF_ID: ArgType = ArgType::new(ArgBase::PtrToBtfId);
pub const ARG_PTR_TO_RINGBUF_MEM: ArgType = ArgType::new(ArgBase::PtrToRingbufMem);
pub const ARG_CONST_ALLOC_SIZE_OR_ZERO: ArgType = ArgType::new(ArgBase::ConstAllocSizeOrZero);
pub const ARG_PTR_TO_BTF_ID_SOCK_COMMON: ArgType = ArgType::new(ArgBase::PtrToBtfIdSockCommon);
pub const ARG_PTR_TO_PERCPU_BTF_ID: ArgType = ArgType::new(ArgBase::PtrToPercpuBtfId);
pub const ARG_PTR_TO_FUNC: ArgType = ArgType::new(ArgBase::PtrToFunc);
pub const ARG_PTR_TO_STACK: ArgType = ArgType::new(ArgBase::PtrToStack);
pub const ARG_PTR_TO_CONST_STR: ArgType = ArgType::new(ArgBase::PtrToConstStr);
pub const ARG_PTR_TO_TIMER: ArgType = ArgType::new(ArgBase::PtrToTimer);
pub const ARG_KPTR_XCHG_DEST: ArgType = ArgType::new(ArgBase::KptrXchgDest);
pub const ARG_PTR_TO_DYNPTR: ArgType = ArgType::new(ArgBase::PtrToDynptr);
pub const ARG_PTR_TO_MAP_VALUE_OR_NULL: ArgType =
    ARG_PTR_TO_MAP_VALUE.with(TypeFlags::PTR_MAYBE_NULL);
pub const ARG_PTR_TO_MEM_OR_NULL: ArgType = ARG_PTR_TO_MEM.with(TypeFlags::PTR_MAYBE_NULL);
pub const ARG_PTR_TO_CTX_OR_NULL: ArgType = ARG_PTR_TO_CTX.with(TypeFlags::PTR_MAYBE_NULL);
pub const ARG_PTR_TO_SOCKET_OR_NULL: ArgType = ARG_PTR_TO_SOCKET.with(TypeFlags::PTR_MAYBE_NULL);
pub const ARG_PTR_TO_STACK_OR_NULL: ArgType = ARG_PTR_TO_STACK.with(TypeFlags::PTR_MAYBE_NULL);
pub const ARG_PTR_TO_BTF_ID_OR_NULL: ArgType = ARG_PTR_TO_BTF_ID.with(TypeFlags::PTR_MAYBE_NULL);
/// Memory the helper fills completely (or clears on error).
pub const ARG_PTR_TO_UNINIT_MEM: ArgType =
    ARG_PTR_TO_MEM.with(TypeFlags::MEM_UNINIT.union(TypeFlags::MEM_WRITE));
/// Memory of the size in the prototype's `arg_size`.
pub const ARG_PTR_TO_FIXED_SIZE_MEM: ArgType = ARG_PTR_TO_MEM.with(TypeFlags::MEM_FIXED_SIZE);

pub const RET_INTEGER: RetType = RetType::new(RetBase::Integer);
pub const RET_VOID: RetType = RetType::new(RetBase::Void);
pub const RET_PTR_TO_MAP_VALUE: RetType = RetType::new(RetBase::PtrToMapValue);
pub const RET_PTR_TO_SOCKET: RetType = RetType::new(RetBase::PtrToSocket);
pub const RET_PTR_TO_TCP_SOCK: RetType = RetType::new(RetBase::PtrToTcpSock);
pub const RET_PTR_TO_SOCK_COMMON: RetType = RetType::new(RetBase::PtrToSockCommon);
pub const RET_PTR_TO_MEM: RetType = RetType::new(RetBase::PtrToMem);
pub const RET_PTR_TO_MEM_OR_BTF_ID: RetType = RetType::new(RetBase::PtrToMemOrBtfId);
pub const RET_PTR_TO_BTF_ID: RetType = RetType::new(RetBase::PtrToBtfId);
pub const RET_PTR_TO_MAP_VALUE_OR_NULL: RetType =
    RET_PTR_TO_MAP_VALUE.with(TypeFlags::PTR_MAYBE_NULL);
pub const RET_PTR_TO_SOCKET_OR_NULL: RetType = RET_PTR_TO_SOCKET.with(TypeFlags::PTR_MAYBE_NULL);
pub const RET_PTR_TO_TCP_SOCK_OR_NULL: RetType =
    RET_PTR_TO_TCP_SOCK.with(TypeFlags::PTR_MAYBE_NULL);
pub const RET_PTR_TO_SOCK_COMMON_OR_NULL: RetType =
    RET_PTR_TO_SOCK_COMMON.with(TypeFlags::PTR_MAYBE_NULL);
/// `RET_PTR_TO_MEM | MEM_RINGBUF | PTR_MAYBE_NULL`.
pub const RET_PTR_TO_RINGBUF_MEM_OR_NULL: RetType =
    RET_PTR_TO_MEM.with(TypeFlags::MEM_RINGBUF.union(TypeFlags::PTR_MAYBE_NULL));
/// `RET_PTR_TO_MEM | PTR_MAYBE_NULL` (`bpf_dynptr_data`).
pub const RET_PTR_TO_DYNPTR_MEM_OR_NULL: RetType = RET_PTR_TO_MEM.with(TypeFlags::PTR_MAYBE_NULL);
pub const RET_PTR_TO_BTF_ID_OR_NULL: RetType = RET_PTR_TO_BTF_ID.with(TypeFlags::PTR_MAYBE_NULL);
pub const RET_PTR_TO_BTF_ID_TRUSTED: RetType = RET_PTR_TO_BTF_ID.with(TypeFlags::PTR_TRUSTED);

/// A BTF type a prototype names for an argument or a returned pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BtfId {
    /// `struct <name>` of the kernel's BTF (`task_struct`, `sock`, `pt_regs`, ...).
    Struct(&'static str),
    /// The kernel's `BPF_PTR_POISON`: the type comes from the map value the argument points
    /// into (`bpf_spin_lock`'s lock, `bpf_kptr_xchg`'s kptr field).
    FromMapField,
}

/// One argument of a prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    pub ty: ArgType,
    /// The kernel's `argN_btf_id`, for `ARG_PTR_TO_BTF_ID` and friends.
    pub btf_id: Option<BtfId>,
    /// The kernel's `argN_size`, for `MEM_FIXED_SIZE` memory.
    pub size: Option<u32>,
}

impl Arg {
    const UNUSED: Arg = Arg {
        ty: ARG_DONTCARE,
        btf_id: None,
        size: None,
    };
}

/// A prototype's `allowed` hook: a further condition on the program, checked after the GPL
/// check (`helper call is not allowed in probe` when it fails).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AllowedHook {
    /// `bpf_d_path_allowed`: iterators, sleepable LSM hooks, or an allowlist of traced
    /// functions.
    DPath,
    /// `bpf_sk_storage_tracing_allowed`: iterators, raw tracepoints, and fentry/fexit
    /// programs not attached to the socket storage's own functions.
    SkStorageTracing,
    /// `bpf_ima_inode_hash_allowed`: sleepable LSM hooks.
    ImaHash,
}

/// `btf_allowlist_d_path`: the functions a tracing program may call `bpf_d_path` from.
const D_PATH_ALLOWLIST: [&str; 9] = [
    "security_file_permission",
    "security_inode_getattr",
    "security_file_open",
    "security_path_truncate",
    "vfs_truncate",
    "vfs_fallocate",
    "dentry_open",
    "vfs_getattr",
    "filp_close",
];

impl AllowedHook {
    /// Whether the hook lets `prog` call the helper: `None` where bpfsim cannot tell (an LSM
    /// hook's sleepability, or an attach target `prog` does not name).
    pub fn allows(self, prog: &ProgSpec<'_>) -> Option<bool> {
        let t = prog.attach_type();
        let func = prog.attach_func;
        match (self, prog.prog_type) {
            (AllowedHook::DPath, ProgType::Tracing) if t == A::TRACE_ITER => Some(true),
            (AllowedHook::DPath, ProgType::Lsm) | (AllowedHook::ImaHash, ProgType::Lsm) => None,
            (AllowedHook::DPath, ProgType::Tracing) => func.map(|f| D_PATH_ALLOWLIST.contains(&f)),
            (AllowedHook::SkStorageTracing, _) => match t {
                A::TRACE_ITER | A::TRACE_RAW_TP => Some(true),
                A::TRACE_FENTRY | A::TRACE_FEXIT => func.map(|f| !f.starts_with("bpf_sk_storage")),
                _ => Some(false),
            },
            // No attach target: not on the allowlist, not a sleepable LSM hook.
            _ => Some(false),
        }
    }
}

/// A helper's prototype: the kernel's `struct bpf_func_proto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HelperProto {
    /// The helper this prototype is for.
    pub id: HelperId,
    /// The kernel variable holding it (`bpf_map_lookup_elem_proto`).
    pub proto_name: &'static str,
    /// Only programs with a GPL-compatible license may call it.
    pub gpl_only: bool,
    /// Packet pointers may be passed for memory arguments.
    pub pkt_access: bool,
    /// Only sleepable programs may call it.
    pub might_sleep: bool,
    /// The helper follows the `bpf_fastcall` contract.
    pub allow_fastcall: bool,
    pub ret: RetType,
    /// Arguments 1..=5 (`args[0]` is r1).
    pub args: [Arg; 5],
    /// The BTF type of a returned BTF pointer.
    pub ret_btf_id: Option<BtfId>,
    pub allowed: Option<AllowedHook>,
}

impl HelperProto {
    const fn new(id: HelperId, proto_name: &'static str, ret: RetType) -> HelperProto {
        HelperProto {
            id,
            proto_name,
            gpl_only: false,
            pkt_access: false,
            might_sleep: false,
            allow_fastcall: false,
            ret,
            args: [Arg::UNUSED; 5],
            ret_btf_id: None,
            allowed: None,
        }
    }

    const fn gpl(mut self) -> HelperProto {
        self.gpl_only = true;
        self
    }

    const fn pkt(mut self) -> HelperProto {
        self.pkt_access = true;
        self
    }

    const fn sleeps(mut self) -> HelperProto {
        self.might_sleep = true;
        self
    }

    const fn fastcall(mut self) -> HelperProto {
        self.allow_fastcall = true;
        self
    }

    const fn args(mut self, types: &[ArgType]) -> HelperProto {
        let mut i = 0;
        while i < types.len() {
            self.args[i].ty = types[i];
            i += 1;
        }
        self
    }

    /// Argument `n` (1-based) points to `struct <name>`.
    const fn btf(mut self, n: usize, name: &'static str) -> HelperProto {
        self.args[n - 1].btf_id = Some(BtfId::Struct(name));
        self
    }

    /// Argument `n` (1-based) takes its BTF type from a map value field.
    const fn btf_poison(mut self, n: usize) -> HelperProto {
        self.args[n - 1].btf_id = Some(BtfId::FromMapField);
        self
    }

    /// Argument `n` (1-based) is fixed-size memory of `size` bytes.
    const fn size(mut self, n: usize, size: u32) -> HelperProto {
        self.args[n - 1].size = Some(size);
        self
    }

    const fn ret_btf(mut self, id: BtfId) -> HelperProto {
        self.ret_btf_id = Some(id);
        self
    }

    const fn allowed_if(mut self, hook: AllowedHook) -> HelperProto {
        self.allowed = Some(hook);
        self
    }

    /// The helper's id number.
    pub fn func_id(&self) -> u32 {
        self.id as u32
    }

    /// The name the verifier prints (`bpf_map_lookup_elem`).
    pub fn name(&self) -> &'static str {
        self.id.kernel_name()
    }

    /// Argument `n` (1-based).
    pub fn arg(&self, n: usize) -> &Arg {
        &self.args[n - 1]
    }

    /// The argument types, r1 first.
    pub fn arg_types(&self) -> [ArgType; 5] {
        self.args.map(|a| a.ty)
    }

    /// How many arguments the helper takes (up to the last one that is not `ARG_DONTCARE`).
    pub fn arg_count(&self) -> usize {
        self.args
            .iter()
            .rposition(|a| !a.ty.is_unused())
            .map_or(0, |i| i + 1)
    }

    /// The index (0-based, 0 = r1) of the argument whose reference the helper releases
    /// (`OBJ_RELEASE`): `bpf_sk_release`, `bpf_ringbuf_submit`/`discard`(`_dynptr`),
    /// `bpf_kptr_xchg`.
    pub fn release_arg(&self) -> Option<usize> {
        self.args.iter().position(|a| a.ty.is_release())
    }

    /// Whether the helper releases a reference.
    pub fn is_release(&self) -> bool {
        self.release_arg().is_some()
    }

    /// Whether a call acquires a reference, as [`is_acquire_function`] decides (the map type
    /// matters for `bpf_map_lookup_elem`).
    pub fn acquires(&self, map_type: Option<MapType>) -> bool {
        is_acquire_function(self.func_id(), map_type)
    }
}

/// Helper ids: the kernel's `enum bpf_func_id` (`BPF_FUNC_map_lookup_elem` = 1, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub enum HelperId {
    MapLookupElem = 1,
    MapUpdateElem = 2,
    MapDeleteElem = 3,
    ProbeRead = 4,
    KtimeGetNs = 5,
    TracePrintk = 6,
    GetPrandomU32 = 7,
    GetSmpProcessorId = 8,
    SkbStoreBytes = 9,
    L3CsumReplace = 10,
    L4CsumReplace = 11,
    TailCall = 12,
    CloneRedirect = 13,
    GetCurrentPidTgid = 14,
    GetCurrentUidGid = 15,
    GetCurrentComm = 16,
    GetCgroupClassid = 17,
    SkbVlanPush = 18,
    SkbVlanPop = 19,
    SkbGetTunnelKey = 20,
    SkbSetTunnelKey = 21,
    PerfEventRead = 22,
    Redirect = 23,
    GetRouteRealm = 24,
    PerfEventOutput = 25,
    SkbLoadBytes = 26,
    GetStackid = 27,
    CsumDiff = 28,
    SkbGetTunnelOpt = 29,
    SkbSetTunnelOpt = 30,
    SkbChangeProto = 31,
    SkbChangeType = 32,
    SkbUnderCgroup = 33,
    GetHashRecalc = 34,
    GetCurrentTask = 35,
    ProbeWriteUser = 36,
    CurrentTaskUnderCgroup = 37,
    SkbChangeTail = 38,
    SkbPullData = 39,
    CsumUpdate = 40,
    SetHashInvalid = 41,
    GetNumaNodeId = 42,
    SkbChangeHead = 43,
    XdpAdjustHead = 44,
    ProbeReadStr = 45,
    GetSocketCookie = 46,
    GetSocketUid = 47,
    SetHash = 48,
    Setsockopt = 49,
    SkbAdjustRoom = 50,
    RedirectMap = 51,
    SkRedirectMap = 52,
    SockMapUpdate = 53,
    XdpAdjustMeta = 54,
    PerfEventReadValue = 55,
    PerfProgReadValue = 56,
    Getsockopt = 57,
    OverrideReturn = 58,
    SockOpsCbFlagsSet = 59,
    MsgRedirectMap = 60,
    MsgApplyBytes = 61,
    MsgCorkBytes = 62,
    MsgPullData = 63,
    Bind = 64,
    XdpAdjustTail = 65,
    SkbGetXfrmState = 66,
    GetStack = 67,
    SkbLoadBytesRelative = 68,
    FibLookup = 69,
    SockHashUpdate = 70,
    MsgRedirectHash = 71,
    SkRedirectHash = 72,
    LwtPushEncap = 73,
    LwtSeg6StoreBytes = 74,
    LwtSeg6AdjustSrh = 75,
    LwtSeg6Action = 76,
    RcRepeat = 77,
    RcKeydown = 78,
    SkbCgroupId = 79,
    GetCurrentCgroupId = 80,
    GetLocalStorage = 81,
    SkSelectReuseport = 82,
    SkbAncestorCgroupId = 83,
    SkLookupTcp = 84,
    SkLookupUdp = 85,
    SkRelease = 86,
    MapPushElem = 87,
    MapPopElem = 88,
    MapPeekElem = 89,
    MsgPushData = 90,
    MsgPopData = 91,
    RcPointerRel = 92,
    SpinLock = 93,
    SpinUnlock = 94,
    SkFullsock = 95,
    TcpSock = 96,
    SkbEcnSetCe = 97,
    GetListenerSock = 98,
    SkcLookupTcp = 99,
    TcpCheckSyncookie = 100,
    SysctlGetName = 101,
    SysctlGetCurrentValue = 102,
    SysctlGetNewValue = 103,
    SysctlSetNewValue = 104,
    Strtol = 105,
    Strtoul = 106,
    SkStorageGet = 107,
    SkStorageDelete = 108,
    SendSignal = 109,
    TcpGenSyncookie = 110,
    SkbOutput = 111,
    ProbeReadUser = 112,
    ProbeReadKernel = 113,
    ProbeReadUserStr = 114,
    ProbeReadKernelStr = 115,
    TcpSendAck = 116,
    SendSignalThread = 117,
    Jiffies64 = 118,
    ReadBranchRecords = 119,
    GetNsCurrentPidTgid = 120,
    XdpOutput = 121,
    GetNetnsCookie = 122,
    GetCurrentAncestorCgroupId = 123,
    SkAssign = 124,
    KtimeGetBootNs = 125,
    SeqPrintf = 126,
    SeqWrite = 127,
    SkCgroupId = 128,
    SkAncestorCgroupId = 129,
    RingbufOutput = 130,
    RingbufReserve = 131,
    RingbufSubmit = 132,
    RingbufDiscard = 133,
    RingbufQuery = 134,
    CsumLevel = 135,
    SkcToTcp6Sock = 136,
    SkcToTcpSock = 137,
    SkcToTcpTimewaitSock = 138,
    SkcToTcpRequestSock = 139,
    SkcToUdp6Sock = 140,
    GetTaskStack = 141,
    LoadHdrOpt = 142,
    StoreHdrOpt = 143,
    ReserveHdrOpt = 144,
    InodeStorageGet = 145,
    InodeStorageDelete = 146,
    DPath = 147,
    CopyFromUser = 148,
    SnprintfBtf = 149,
    SeqPrintfBtf = 150,
    SkbCgroupClassid = 151,
    RedirectNeigh = 152,
    PerCpuPtr = 153,
    ThisCpuPtr = 154,
    RedirectPeer = 155,
    TaskStorageGet = 156,
    TaskStorageDelete = 157,
    GetCurrentTaskBtf = 158,
    BprmOptsSet = 159,
    KtimeGetCoarseNs = 160,
    ImaInodeHash = 161,
    SockFromFile = 162,
    CheckMtu = 163,
    ForEachMapElem = 164,
    Snprintf = 165,
    SysBpf = 166,
    BtfFindByNameKind = 167,
    SysClose = 168,
    TimerInit = 169,
    TimerSetCallback = 170,
    TimerStart = 171,
    TimerCancel = 172,
    GetFuncIp = 173,
    GetAttachCookie = 174,
    TaskPtRegs = 175,
    GetBranchSnapshot = 176,
    TraceVprintk = 177,
    SkcToUnixSock = 178,
    KallsymsLookupName = 179,
    FindVma = 180,
    Loop = 181,
    Strncmp = 182,
    GetFuncArg = 183,
    GetFuncRet = 184,
    GetFuncArgCnt = 185,
    GetRetval = 186,
    SetRetval = 187,
    XdpGetBuffLen = 188,
    XdpLoadBytes = 189,
    XdpStoreBytes = 190,
    CopyFromUserTask = 191,
    SkbSetTstamp = 192,
    ImaFileHash = 193,
    KptrXchg = 194,
    MapLookupPercpuElem = 195,
    SkcToMptcpSock = 196,
    DynptrFromMem = 197,
    RingbufReserveDynptr = 198,
    RingbufSubmitDynptr = 199,
    RingbufDiscardDynptr = 200,
    DynptrRead = 201,
    DynptrWrite = 202,
    DynptrData = 203,
    TcpRawGenSyncookieIpv4 = 204,
    TcpRawGenSyncookieIpv6 = 205,
    TcpRawCheckSyncookieIpv4 = 206,
    TcpRawCheckSyncookieIpv6 = 207,
    KtimeGetTaiNs = 208,
    UserRingbufDrain = 209,
    CgrpStorageGet = 210,
    CgrpStorageDelete = 211,
}

use HelperId as H;

/// Every helper id, in order (index = id - 1).
#[rustfmt::skip]
const ALL_IDS: [HelperId; 211] = [
    H::MapLookupElem, H::MapUpdateElem, H::MapDeleteElem, H::ProbeRead, H::KtimeGetNs,
    H::TracePrintk, H::GetPrandomU32, H::GetSmpProcessorId, H::SkbStoreBytes, H::L3CsumReplace,
    H::L4CsumReplace, H::TailCall, H::CloneRedirect, H::GetCurrentPidTgid, H::GetCurrentUidGid,
    H::GetCurrentComm, H::GetCgroupClassid, H::SkbVlanPush, H::SkbVlanPop, H::SkbGetTunnelKey,
    H::SkbSetTunnelKey, H::PerfEventRead, H::Redirect, H::GetRouteRealm, H::PerfEventOutput,
    H::SkbLoadBytes, H::GetStackid, H::CsumDiff, H::SkbGetTunnelOpt, H::SkbSetTunnelOpt,
    H::SkbChangeProto, H::SkbChangeType, H::SkbUnderCgroup, H::GetHashRecalc, H::GetCurrentTask,
    H::ProbeWriteUser, H::CurrentTaskUnderCgroup, H::SkbChangeTail, H::SkbPullData, H::CsumUpdate,
    H::SetHashInvalid, H::GetNumaNodeId, H::SkbChangeHead, H::XdpAdjustHead, H::ProbeReadStr,
    H::GetSocketCookie, H::GetSocketUid, H::SetHash, H::Setsockopt, H::SkbAdjustRoom,
    H::RedirectMap, H::SkRedirectMap, H::SockMapUpdate, H::XdpAdjustMeta, H::PerfEventReadValue,
    H::PerfProgReadValue, H::Getsockopt, H::OverrideReturn, H::SockOpsCbFlagsSet,
    H::MsgRedirectMap, H::MsgApplyBytes, H::MsgCorkBytes, H::MsgPullData, H::Bind,
    H::XdpAdjustTail, H::SkbGetXfrmState, H::GetStack, H::SkbLoadBytesRelative, H::FibLookup,
    H::SockHashUpdate, H::MsgRedirectHash, H::SkRedirectHash, H::LwtPushEncap,
    H::LwtSeg6StoreBytes, H::LwtSeg6AdjustSrh, H::LwtSeg6Action, H::RcRepeat, H::RcKeydown,
    H::SkbCgroupId, H::GetCurrentCgroupId, H::GetLocalStorage, H::SkSelectReuseport,
    H::SkbAncestorCgroupId, H::SkLookupTcp, H::SkLookupUdp, H::SkRelease, H::MapPushElem,
    H::MapPopElem, H::MapPeekElem, H::MsgPushData, H::MsgPopData, H::RcPointerRel, H::SpinLock,
    H::SpinUnlock, H::SkFullsock, H::TcpSock, H::SkbEcnSetCe, H::GetListenerSock, H::SkcLookupTcp,
    H::TcpCheckSyncookie, H::SysctlGetName, H::SysctlGetCurrentValue, H::SysctlGetNewValue,
    H::SysctlSetNewValue, H::Strtol, H::Strtoul, H::SkStorageGet, H::SkStorageDelete,
    H::SendSignal, H::TcpGenSyncookie, H::SkbOutput, H::ProbeReadUser, H::ProbeReadKernel,
    H::ProbeReadUserStr, H::ProbeReadKernelStr, H::TcpSendAck, H::SendSignalThread, H::Jiffies64,
    H::ReadBranchRecords, H::GetNsCurrentPidTgid, H::XdpOutput, H::GetNetnsCookie,
    H::GetCurrentAncestorCgroupId, H::SkAssign, H::KtimeGetBootNs, H::SeqPrintf, H::SeqWrite,
    H::SkCgroupId, H::SkAncestorCgroupId, H::RingbufOutput, H::RingbufReserve, H::RingbufSubmit,
    H::RingbufDiscard, H::RingbufQuery, H::CsumLevel, H::SkcToTcp6Sock, H::SkcToTcpSock,
    H::SkcToTcpTimewaitSock, H::SkcToTcpRequestSock, H::SkcToUdp6Sock, H::GetTaskStack,
    H::LoadHdrOpt, H::StoreHdrOpt, H::ReserveHdrOpt, H::InodeStorageGet, H::InodeStorageDelete,
    H::DPath, H::CopyFromUser, H::SnprintfBtf, H::SeqPrintfBtf, H::SkbCgroupClassid,
    H::RedirectNeigh, H::PerCpuPtr, H::ThisCpuPtr, H::RedirectPeer, H::TaskStorageGet,
    H::TaskStorageDelete, H::GetCurrentTaskBtf, H::BprmOptsSet, H::KtimeGetCoarseNs,
    H::ImaInodeHash, H::SockFromFile, H::CheckMtu, H::ForEachMapElem, H::Snprintf, H::SysBpf,
    H::BtfFindByNameKind, H::SysClose, H::TimerInit, H::TimerSetCallback, H::TimerStart,
    H::TimerCancel, H::GetFuncIp, H::GetAttachCookie, H::TaskPtRegs, H::GetBranchSnapshot,
    H::TraceVprintk, H::SkcToUnixSock, H::KallsymsLookupName, H::FindVma, H::Loop, H::Strncmp,
    H::GetFuncArg, H::GetFuncRet, H::GetFuncArgCnt, H::GetRetval, H::SetRetval, H::XdpGetBuffLen,
    H::XdpLoadBytes, H::XdpStoreBytes, H::CopyFromUserTask, H::SkbSetTstamp, H::ImaFileHash,
    H::KptrXchg, H::MapLookupPercpuElem, H::SkcToMptcpSock, H::DynptrFromMem,
    H::RingbufReserveDynptr, H::RingbufSubmitDynptr, H::RingbufDiscardDynptr, H::DynptrRead,
    H::DynptrWrite, H::DynptrData, H::TcpRawGenSyncookieIpv4, H::TcpRawGenSyncookieIpv6,
    H::TcpRawCheckSyncookieIpv4, H::TcpRawCheckSyncookieIpv6, H::KtimeGetTaiNs,
    H::UserRingbufDrain, H::CgrpStorageGet, H::CgrpStorageDelete,
];

impl HelperId {
    /// The highest helper id Linux 6.18 knows (`__BPF_FUNC_MAX_ID - 1`).
    pub const MAX: u32 = 211;

    /// Every helper id, in order.
    pub fn all() -> impl Iterator<Item = HelperId> {
        ALL_IDS.iter().copied()
    }

    /// The id with this number (`None` for 0 and numbers past [`HelperId::MAX`]).
    pub fn from_u32(n: u32) -> Option<HelperId> {
        (n as usize)
            .checked_sub(1)
            .and_then(|i| ALL_IDS.get(i))
            .copied()
    }

    /// The helper's name without the `bpf_` prefix (`map_lookup_elem`).
    pub fn name(self) -> &'static str {
        helper_name(self as u64).unwrap_or("unknown")
    }

    /// The name the verifier prints (`bpf_map_lookup_elem`).
    pub fn kernel_name(self) -> &'static str {
        KERNEL_NAMES[self as usize - 1]
    }
}

impl fmt::Display for HelperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kernel_name())
    }
}

/// `bpf_<name>` of every helper, as `func_id_name` prints them (index = id - 1).
#[rustfmt::skip]
const KERNEL_NAMES: [&str; 211] = [
    "bpf_map_lookup_elem", "bpf_map_update_elem", "bpf_map_delete_elem", "bpf_probe_read",
    "bpf_ktime_get_ns", "bpf_trace_printk", "bpf_get_prandom_u32", "bpf_get_smp_processor_id",
    "bpf_skb_store_bytes", "bpf_l3_csum_replace", "bpf_l4_csum_replace", "bpf_tail_call",
    "bpf_clone_redirect", "bpf_get_current_pid_tgid", "bpf_get_current_uid_gid",
    "bpf_get_current_comm", "bpf_get_cgroup_classid", "bpf_skb_vlan_push", "bpf_skb_vlan_pop",
    "bpf_skb_get_tunnel_key", "bpf_skb_set_tunnel_key", "bpf_perf_event_read", "bpf_redirect",
    "bpf_get_route_realm", "bpf_perf_event_output", "bpf_skb_load_bytes", "bpf_get_stackid",
    "bpf_csum_diff", "bpf_skb_get_tunnel_opt", "bpf_skb_set_tunnel_opt", "bpf_skb_change_proto",
    "bpf_skb_change_type", "bpf_skb_under_cgroup", "bpf_get_hash_recalc", "bpf_get_current_task",
    "bpf_probe_write_user", "bpf_current_task_under_cgroup", "bpf_skb_change_tail",
    "bpf_skb_pull_data", "bpf_csum_update", "bpf_set_hash_invalid", "bpf_get_numa_node_id",
    "bpf_skb_change_head", "bpf_xdp_adjust_head", "bpf_probe_read_str", "bpf_get_socket_cookie",
    "bpf_get_socket_uid", "bpf_set_hash", "bpf_setsockopt", "bpf_skb_adjust_room",
    "bpf_redirect_map", "bpf_sk_redirect_map", "bpf_sock_map_update", "bpf_xdp_adjust_meta",
    "bpf_perf_event_read_value", "bpf_perf_prog_read_value", "bpf_getsockopt",
    "bpf_override_return", "bpf_sock_ops_cb_flags_set", "bpf_msg_redirect_map",
    "bpf_msg_apply_bytes", "bpf_msg_cork_bytes", "bpf_msg_pull_data", "bpf_bind",
    "bpf_xdp_adjust_tail", "bpf_skb_get_xfrm_state", "bpf_get_stack",
    "bpf_skb_load_bytes_relative", "bpf_fib_lookup", "bpf_sock_hash_update",
    "bpf_msg_redirect_hash", "bpf_sk_redirect_hash", "bpf_lwt_push_encap",
    "bpf_lwt_seg6_store_bytes", "bpf_lwt_seg6_adjust_srh", "bpf_lwt_seg6_action", "bpf_rc_repeat",
    "bpf_rc_keydown", "bpf_skb_cgroup_id", "bpf_get_current_cgroup_id", "bpf_get_local_storage",
    "bpf_sk_select_reuseport", "bpf_skb_ancestor_cgroup_id", "bpf_sk_lookup_tcp",
    "bpf_sk_lookup_udp", "bpf_sk_release", "bpf_map_push_elem", "bpf_map_pop_elem",
    "bpf_map_peek_elem", "bpf_msg_push_data", "bpf_msg_pop_data", "bpf_rc_pointer_rel",
    "bpf_spin_lock", "bpf_spin_unlock", "bpf_sk_fullsock", "bpf_tcp_sock", "bpf_skb_ecn_set_ce",
    "bpf_get_listener_sock", "bpf_skc_lookup_tcp", "bpf_tcp_check_syncookie",
    "bpf_sysctl_get_name", "bpf_sysctl_get_current_value", "bpf_sysctl_get_new_value",
    "bpf_sysctl_set_new_value", "bpf_strtol", "bpf_strtoul", "bpf_sk_storage_get",
    "bpf_sk_storage_delete", "bpf_send_signal", "bpf_tcp_gen_syncookie", "bpf_skb_output",
    "bpf_probe_read_user", "bpf_probe_read_kernel", "bpf_probe_read_user_str",
    "bpf_probe_read_kernel_str", "bpf_tcp_send_ack", "bpf_send_signal_thread", "bpf_jiffies64",
    "bpf_read_branch_records", "bpf_get_ns_current_pid_tgid", "bpf_xdp_output",
    "bpf_get_netns_cookie", "bpf_get_current_ancestor_cgroup_id", "bpf_sk_assign",
    "bpf_ktime_get_boot_ns", "bpf_seq_printf", "bpf_seq_write", "bpf_sk_cgroup_id",
    "bpf_sk_ancestor_cgroup_id", "bpf_ringbuf_output", "bpf_ringbuf_reserve", "bpf_ringbuf_submit",
    "bpf_ringbuf_discard", "bpf_ringbuf_query", "bpf_csum_level", "bpf_skc_to_tcp6_sock",
    "bpf_skc_to_tcp_sock", "bpf_skc_to_tcp_timewait_sock", "bpf_skc_to_tcp_request_sock",
    "bpf_skc_to_udp6_sock", "bpf_get_task_stack", "bpf_load_hdr_opt", "bpf_store_hdr_opt",
    "bpf_reserve_hdr_opt", "bpf_inode_storage_get", "bpf_inode_storage_delete", "bpf_d_path",
    "bpf_copy_from_user", "bpf_snprintf_btf", "bpf_seq_printf_btf", "bpf_skb_cgroup_classid",
    "bpf_redirect_neigh", "bpf_per_cpu_ptr", "bpf_this_cpu_ptr", "bpf_redirect_peer",
    "bpf_task_storage_get", "bpf_task_storage_delete", "bpf_get_current_task_btf",
    "bpf_bprm_opts_set", "bpf_ktime_get_coarse_ns", "bpf_ima_inode_hash", "bpf_sock_from_file",
    "bpf_check_mtu", "bpf_for_each_map_elem", "bpf_snprintf", "bpf_sys_bpf",
    "bpf_btf_find_by_name_kind", "bpf_sys_close", "bpf_timer_init", "bpf_timer_set_callback",
    "bpf_timer_start", "bpf_timer_cancel", "bpf_get_func_ip", "bpf_get_attach_cookie",
    "bpf_task_pt_regs", "bpf_get_branch_snapshot", "bpf_trace_vprintk", "bpf_skc_to_unix_sock",
    "bpf_kallsyms_lookup_name", "bpf_find_vma", "bpf_loop", "bpf_strncmp", "bpf_get_func_arg",
    "bpf_get_func_ret", "bpf_get_func_arg_cnt", "bpf_get_retval", "bpf_set_retval",
    "bpf_xdp_get_buff_len", "bpf_xdp_load_bytes", "bpf_xdp_store_bytes", "bpf_copy_from_user_task",
    "bpf_skb_set_tstamp", "bpf_ima_file_hash", "bpf_kptr_xchg", "bpf_map_lookup_percpu_elem",
    "bpf_skc_to_mptcp_sock", "bpf_dynptr_from_mem", "bpf_ringbuf_reserve_dynptr",
    "bpf_ringbuf_submit_dynptr", "bpf_ringbuf_discard_dynptr", "bpf_dynptr_read",
    "bpf_dynptr_write", "bpf_dynptr_data", "bpf_tcp_raw_gen_syncookie_ipv4",
    "bpf_tcp_raw_gen_syncookie_ipv6", "bpf_tcp_raw_check_syncookie_ipv4",
    "bpf_tcp_raw_check_syncookie_ipv6", "bpf_ktime_get_tai_ns", "bpf_user_ringbuf_drain",
    "bpf_cgrp_storage_get", "bpf_cgrp_storage_delete",
];

// ---------------------------------------------------------------------------------------------
// The prototypes. Each is the kernel variable of the same name (upper case, without `bpf_` and
// `_proto`); the comment before a group says which kernel file defines it.

use TypeFlags as F;

const MAP: ArgType = ARG_CONST_MAP_PTR;
const CTX: ArgType = ARG_PTR_TO_CTX;
const ANY: ArgType = ARG_ANYTHING;
const SIZE: ArgType = ARG_CONST_SIZE;
const SIZE0: ArgType = ARG_CONST_SIZE_OR_ZERO;
const UNINIT: ArgType = ARG_PTR_TO_UNINIT_MEM;
/// `ARG_PTR_TO_MEM | MEM_RDONLY`
const MEM_RO: ArgType = ARG_PTR_TO_MEM.with(F::MEM_RDONLY);
/// `ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY`
const MEM_RO_OR_NULL: ArgType = ARG_PTR_TO_MEM.with(F::PTR_MAYBE_NULL.union(F::MEM_RDONLY));
/// `ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED`: an aligned integer the
/// helper writes (the former `ARG_PTR_TO_LONG` / `ARG_PTR_TO_INT`).
const OUT_INT: ArgType =
    ARG_PTR_TO_FIXED_SIZE_MEM.with(F::MEM_UNINIT.union(F::MEM_WRITE).union(F::MEM_ALIGNED));
/// `ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE`
const SOCK_RELEASE: ArgType = ARG_PTR_TO_BTF_ID_SOCK_COMMON.with(F::OBJ_RELEASE);

const fn p(id: HelperId, name: &'static str, ret: RetType) -> HelperProto {
    HelperProto::new(id, name, ret)
}

const TASK: &str = "task_struct";

// kernel/bpf/helpers.c, kernel/bpf/core.c
static MAP_LOOKUP_ELEM: HelperProto = p(
    H::MapLookupElem,
    "bpf_map_lookup_elem_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.pkt()
.args(&[MAP, ARG_PTR_TO_MAP_KEY]);
static MAP_UPDATE_ELEM: HelperProto = p(H::MapUpdateElem, "bpf_map_update_elem_proto", RET_INTEGER)
    .pkt()
    .args(&[MAP, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ANY]);
static MAP_DELETE_ELEM: HelperProto = p(H::MapDeleteElem, "bpf_map_delete_elem_proto", RET_INTEGER)
    .pkt()
    .args(&[MAP, ARG_PTR_TO_MAP_KEY]);
static MAP_PUSH_ELEM: HelperProto = p(H::MapPushElem, "bpf_map_push_elem_proto", RET_INTEGER)
    .pkt()
    .args(&[MAP, ARG_PTR_TO_MAP_VALUE, ANY]);
static MAP_POP_ELEM: HelperProto = p(H::MapPopElem, "bpf_map_pop_elem_proto", RET_INTEGER).args(&[
    MAP,
    ARG_PTR_TO_MAP_VALUE.with(F::MEM_UNINIT.union(F::MEM_WRITE)),
]);
static MAP_PEEK_ELEM: HelperProto =
    p(H::MapPeekElem, "bpf_map_peek_elem_proto", RET_INTEGER).args(&[
        MAP,
        ARG_PTR_TO_MAP_VALUE.with(F::MEM_UNINIT.union(F::MEM_WRITE)),
    ]);
static MAP_LOOKUP_PERCPU_ELEM: HelperProto = p(
    H::MapLookupPercpuElem,
    "bpf_map_lookup_percpu_elem_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.pkt()
.args(&[MAP, ARG_PTR_TO_MAP_KEY, ANY]);
static GET_PRANDOM_U32: HelperProto = p(H::GetPrandomU32, "bpf_get_prandom_u32_proto", RET_INTEGER);
static GET_SMP_PROCESSOR_ID: HelperProto = p(
    H::GetSmpProcessorId,
    "bpf_get_smp_processor_id_proto",
    RET_INTEGER,
)
.fastcall();
static GET_RAW_SMP_PROCESSOR_ID: HelperProto = p(
    H::GetSmpProcessorId,
    "bpf_get_raw_smp_processor_id_proto",
    RET_INTEGER,
);
static GET_NUMA_NODE_ID: HelperProto =
    p(H::GetNumaNodeId, "bpf_get_numa_node_id_proto", RET_INTEGER);
static KTIME_GET_NS: HelperProto = p(H::KtimeGetNs, "bpf_ktime_get_ns_proto", RET_INTEGER);
static KTIME_GET_BOOT_NS: HelperProto = p(
    H::KtimeGetBootNs,
    "bpf_ktime_get_boot_ns_proto",
    RET_INTEGER,
);
static KTIME_GET_COARSE_NS: HelperProto = p(
    H::KtimeGetCoarseNs,
    "bpf_ktime_get_coarse_ns_proto",
    RET_INTEGER,
);
static KTIME_GET_TAI_NS: HelperProto =
    p(H::KtimeGetTaiNs, "bpf_ktime_get_tai_ns_proto", RET_INTEGER);
static GET_CURRENT_PID_TGID: HelperProto = p(
    H::GetCurrentPidTgid,
    "bpf_get_current_pid_tgid_proto",
    RET_INTEGER,
);
static GET_CURRENT_UID_GID: HelperProto = p(
    H::GetCurrentUidGid,
    "bpf_get_current_uid_gid_proto",
    RET_INTEGER,
);
static GET_CURRENT_COMM: HelperProto =
    p(H::GetCurrentComm, "bpf_get_current_comm_proto", RET_INTEGER).args(&[UNINIT, SIZE]);
static SPIN_LOCK: HelperProto = p(H::SpinLock, "bpf_spin_lock_proto", RET_VOID)
    .args(&[ARG_PTR_TO_SPIN_LOCK])
    .btf_poison(1);
static SPIN_UNLOCK: HelperProto = p(H::SpinUnlock, "bpf_spin_unlock_proto", RET_VOID)
    .args(&[ARG_PTR_TO_SPIN_LOCK])
    .btf_poison(1);
static JIFFIES64: HelperProto = p(H::Jiffies64, "bpf_jiffies64_proto", RET_INTEGER);
static GET_CURRENT_CGROUP_ID: HelperProto = p(
    H::GetCurrentCgroupId,
    "bpf_get_current_cgroup_id_proto",
    RET_INTEGER,
);
static GET_CURRENT_ANCESTOR_CGROUP_ID: HelperProto = p(
    H::GetCurrentAncestorCgroupId,
    "bpf_get_current_ancestor_cgroup_id_proto",
    RET_INTEGER,
)
.args(&[ANY]);
static STRTOL: HelperProto = p(H::Strtol, "bpf_strtol_proto", RET_INTEGER)
    .args(&[MEM_RO, SIZE, ANY, OUT_INT])
    .size(4, 8);
static STRTOUL: HelperProto = p(H::Strtoul, "bpf_strtoul_proto", RET_INTEGER)
    .args(&[MEM_RO, SIZE, ANY, OUT_INT])
    .size(4, 8);
static STRNCMP: HelperProto =
    p(H::Strncmp, "bpf_strncmp_proto", RET_INTEGER).args(&[MEM_RO, SIZE, ARG_PTR_TO_CONST_STR]);
static GET_NS_CURRENT_PID_TGID: HelperProto = p(
    H::GetNsCurrentPidTgid,
    "bpf_get_ns_current_pid_tgid_proto",
    RET_INTEGER,
)
.args(&[ANY, ANY, UNINIT, SIZE]);
static EVENT_OUTPUT_DATA: HelperProto = p(
    H::PerfEventOutput,
    "bpf_event_output_data_proto",
    RET_INTEGER,
)
.gpl()
.args(&[CTX, MAP, ANY, MEM_RO, SIZE0]);
static COPY_FROM_USER: HelperProto = p(H::CopyFromUser, "bpf_copy_from_user_proto", RET_INTEGER)
    .sleeps()
    .args(&[UNINIT, SIZE0, ANY]);
static COPY_FROM_USER_TASK: HelperProto = p(
    H::CopyFromUserTask,
    "bpf_copy_from_user_task_proto",
    RET_INTEGER,
)
.gpl()
.sleeps()
.args(&[UNINIT, SIZE0, ANY, ARG_PTR_TO_BTF_ID, ANY])
.btf(4, TASK);
static PER_CPU_PTR: HelperProto = p(
    H::PerCpuPtr,
    "bpf_per_cpu_ptr_proto",
    RET_PTR_TO_MEM_OR_BTF_ID.with(F::PTR_MAYBE_NULL.union(F::MEM_RDONLY)),
)
.args(&[ARG_PTR_TO_PERCPU_BTF_ID, ANY]);
static THIS_CPU_PTR: HelperProto = p(
    H::ThisCpuPtr,
    "bpf_this_cpu_ptr_proto",
    RET_PTR_TO_MEM_OR_BTF_ID.with(F::MEM_RDONLY),
)
.args(&[ARG_PTR_TO_PERCPU_BTF_ID]);
static SNPRINTF: HelperProto = p(H::Snprintf, "bpf_snprintf_proto", RET_INTEGER)
    .gpl()
    .args(&[
        ARG_PTR_TO_MEM_OR_NULL,
        SIZE0,
        ARG_PTR_TO_CONST_STR,
        MEM_RO_OR_NULL,
        SIZE0,
    ]);
static TIMER_INIT: HelperProto = p(H::TimerInit, "bpf_timer_init_proto", RET_INTEGER)
    .gpl()
    .args(&[ARG_PTR_TO_TIMER, MAP, ANY]);
static TIMER_SET_CALLBACK: HelperProto = p(
    H::TimerSetCallback,
    "bpf_timer_set_callback_proto",
    RET_INTEGER,
)
.gpl()
.args(&[ARG_PTR_TO_TIMER, ARG_PTR_TO_FUNC]);
static TIMER_START: HelperProto = p(H::TimerStart, "bpf_timer_start_proto", RET_INTEGER)
    .gpl()
    .args(&[ARG_PTR_TO_TIMER, ANY, ANY]);
static TIMER_CANCEL: HelperProto = p(H::TimerCancel, "bpf_timer_cancel_proto", RET_INTEGER)
    .gpl()
    .args(&[ARG_PTR_TO_TIMER]);
static KPTR_XCHG: HelperProto = p(
    H::KptrXchg,
    "bpf_kptr_xchg_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.ret_btf(BtfId::FromMapField)
.args(&[
    ARG_KPTR_XCHG_DEST,
    ARG_PTR_TO_BTF_ID_OR_NULL.with(F::OBJ_RELEASE),
])
.btf_poison(2);
static DYNPTR_FROM_MEM: HelperProto = p(H::DynptrFromMem, "bpf_dynptr_from_mem_proto", RET_INTEGER)
    .args(&[
        UNINIT,
        SIZE0,
        ANY,
        ARG_PTR_TO_DYNPTR.with(
            F::DYNPTR_TYPE_LOCAL
                .union(F::MEM_UNINIT)
                .union(F::MEM_WRITE),
        ),
    ]);
static DYNPTR_READ: HelperProto = p(H::DynptrRead, "bpf_dynptr_read_proto", RET_INTEGER).args(&[
    UNINIT,
    SIZE0,
    ARG_PTR_TO_DYNPTR.with(F::MEM_RDONLY),
    ANY,
    ANY,
]);
static DYNPTR_WRITE: HelperProto =
    p(H::DynptrWrite, "bpf_dynptr_write_proto", RET_INTEGER).args(&[
        ARG_PTR_TO_DYNPTR.with(F::MEM_RDONLY),
        ANY,
        MEM_RO,
        SIZE0,
        ANY,
    ]);
static DYNPTR_DATA: HelperProto = p(
    H::DynptrData,
    "bpf_dynptr_data_proto",
    RET_PTR_TO_DYNPTR_MEM_OR_NULL,
)
.args(&[
    ARG_PTR_TO_DYNPTR.with(F::MEM_RDONLY),
    ANY,
    ARG_CONST_ALLOC_SIZE_OR_ZERO,
]);
static CURRENT_TASK_UNDER_CGROUP: HelperProto = p(
    H::CurrentTaskUnderCgroup,
    "bpf_current_task_under_cgroup_proto",
    RET_INTEGER,
)
.args(&[MAP, ANY]);
static TAIL_CALL: HelperProto =
    p(H::TailCall, "bpf_tail_call_proto", RET_VOID).args(&[CTX, MAP, ANY]);

// kernel/bpf/bpf_iter.c, kernel/bpf/task_iter.c
static FOR_EACH_MAP_ELEM: HelperProto = p(
    H::ForEachMapElem,
    "bpf_for_each_map_elem_proto",
    RET_INTEGER,
)
.args(&[MAP, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ANY]);
/// 6.12.y stable has `ARG_SCALAR` for the loop count; 6.18 has `ARG_ANYTHING` (and no
/// `ARG_SCALAR` at all).
static LOOP: HelperProto = p(H::Loop, "bpf_loop_proto", RET_INTEGER).args(&[
    ANY,
    ARG_PTR_TO_FUNC,
    ARG_PTR_TO_STACK_OR_NULL,
    ANY,
]);
static FIND_VMA: HelperProto = p(H::FindVma, "bpf_find_vma_proto", RET_INTEGER)
    .args(&[
        ARG_PTR_TO_BTF_ID,
        ANY,
        ARG_PTR_TO_FUNC,
        ARG_PTR_TO_STACK_OR_NULL,
        ANY,
    ])
    .btf(1, TASK);

// kernel/bpf/ringbuf.c
static RINGBUF_RESERVE: HelperProto = p(
    H::RingbufReserve,
    "bpf_ringbuf_reserve_proto",
    RET_PTR_TO_RINGBUF_MEM_OR_NULL,
)
.args(&[MAP, ARG_CONST_ALLOC_SIZE_OR_ZERO, ANY]);
static RINGBUF_SUBMIT: HelperProto = p(H::RingbufSubmit, "bpf_ringbuf_submit_proto", RET_VOID)
    .args(&[ARG_PTR_TO_RINGBUF_MEM.with(F::OBJ_RELEASE), ANY]);
static RINGBUF_DISCARD: HelperProto = p(H::RingbufDiscard, "bpf_ringbuf_discard_proto", RET_VOID)
    .args(&[ARG_PTR_TO_RINGBUF_MEM.with(F::OBJ_RELEASE), ANY]);
static RINGBUF_OUTPUT: HelperProto =
    p(H::RingbufOutput, "bpf_ringbuf_output_proto", RET_INTEGER).args(&[MAP, MEM_RO, SIZE0, ANY]);
static RINGBUF_QUERY: HelperProto =
    p(H::RingbufQuery, "bpf_ringbuf_query_proto", RET_INTEGER).args(&[MAP, ANY]);
static RINGBUF_RESERVE_DYNPTR: HelperProto = p(
    H::RingbufReserveDynptr,
    "bpf_ringbuf_reserve_dynptr_proto",
    RET_INTEGER,
)
.args(&[
    MAP,
    ANY,
    ANY,
    ARG_PTR_TO_DYNPTR.with(
        F::DYNPTR_TYPE_RINGBUF
            .union(F::MEM_UNINIT)
            .union(F::MEM_WRITE),
    ),
]);
static RINGBUF_SUBMIT_DYNPTR: HelperProto = p(
    H::RingbufSubmitDynptr,
    "bpf_ringbuf_submit_dynptr_proto",
    RET_VOID,
)
.args(&[
    ARG_PTR_TO_DYNPTR.with(F::DYNPTR_TYPE_RINGBUF.union(F::OBJ_RELEASE)),
    ANY,
]);
static RINGBUF_DISCARD_DYNPTR: HelperProto = p(
    H::RingbufDiscardDynptr,
    "bpf_ringbuf_discard_dynptr_proto",
    RET_VOID,
)
.args(&[
    ARG_PTR_TO_DYNPTR.with(F::DYNPTR_TYPE_RINGBUF.union(F::OBJ_RELEASE)),
    ANY,
]);
static USER_RINGBUF_DRAIN: HelperProto = p(
    H::UserRingbufDrain,
    "bpf_user_ringbuf_drain_proto",
    RET_INTEGER,
)
.args(&[MAP, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ANY]);

// kernel/bpf/stackmap.c
static GET_STACKID: HelperProto = p(H::GetStackid, "bpf_get_stackid_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX, MAP, ANY]);
static GET_STACKID_PE: HelperProto =
    p(H::GetStackid, "bpf_get_stackid_proto_pe", RET_INTEGER).args(&[CTX, MAP, ANY]);
static GET_STACK: HelperProto = p(H::GetStack, "bpf_get_stack_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX, UNINIT, SIZE0, ANY]);
static GET_STACK_SLEEPABLE: HelperProto =
    p(H::GetStack, "bpf_get_stack_sleepable_proto", RET_INTEGER)
        .gpl()
        .sleeps()
        .args(&[CTX, UNINIT, SIZE0, ANY]);
static GET_STACK_PE: HelperProto = p(H::GetStack, "bpf_get_stack_proto_pe", RET_INTEGER)
    .gpl()
    .args(&[CTX, UNINIT, SIZE0, ANY]);
static GET_TASK_STACK: HelperProto = p(H::GetTaskStack, "bpf_get_task_stack_proto", RET_INTEGER)
    .args(&[ARG_PTR_TO_BTF_ID, UNINIT, SIZE0, ANY])
    .btf(1, TASK);
static GET_TASK_STACK_SLEEPABLE: HelperProto = p(
    H::GetTaskStack,
    "bpf_get_task_stack_sleepable_proto",
    RET_INTEGER,
)
.sleeps()
.args(&[ARG_PTR_TO_BTF_ID, UNINIT, SIZE0, ANY])
.btf(1, TASK);

// kernel/bpf/{bpf_inode_storage,bpf_task_storage,bpf_cgrp_storage}.c
static INODE_STORAGE_GET: HelperProto = p(
    H::InodeStorageGet,
    "bpf_inode_storage_get_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.args(&[
    MAP,
    ARG_PTR_TO_BTF_ID_OR_NULL,
    ARG_PTR_TO_MAP_VALUE_OR_NULL,
    ANY,
])
.btf(2, "inode");
static INODE_STORAGE_DELETE: HelperProto = p(
    H::InodeStorageDelete,
    "bpf_inode_storage_delete_proto",
    RET_INTEGER,
)
.args(&[MAP, ARG_PTR_TO_BTF_ID_OR_NULL])
.btf(2, "inode");
static TASK_STORAGE_GET: HelperProto = p(
    H::TaskStorageGet,
    "bpf_task_storage_get_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.args(&[
    MAP,
    ARG_PTR_TO_BTF_ID_OR_NULL,
    ARG_PTR_TO_MAP_VALUE_OR_NULL,
    ANY,
])
.btf(2, TASK);
static TASK_STORAGE_GET_RECUR: HelperProto = p(
    H::TaskStorageGet,
    "bpf_task_storage_get_recur_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.args(&[
    MAP,
    ARG_PTR_TO_BTF_ID_OR_NULL,
    ARG_PTR_TO_MAP_VALUE_OR_NULL,
    ANY,
])
.btf(2, TASK);
static TASK_STORAGE_DELETE: HelperProto = p(
    H::TaskStorageDelete,
    "bpf_task_storage_delete_proto",
    RET_INTEGER,
)
.args(&[MAP, ARG_PTR_TO_BTF_ID_OR_NULL])
.btf(2, TASK);
static TASK_STORAGE_DELETE_RECUR: HelperProto = p(
    H::TaskStorageDelete,
    "bpf_task_storage_delete_recur_proto",
    RET_INTEGER,
)
.args(&[MAP, ARG_PTR_TO_BTF_ID_OR_NULL])
.btf(2, TASK);
static CGRP_STORAGE_GET: HelperProto = p(
    H::CgrpStorageGet,
    "bpf_cgrp_storage_get_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.args(&[
    MAP,
    ARG_PTR_TO_BTF_ID_OR_NULL,
    ARG_PTR_TO_MAP_VALUE_OR_NULL,
    ANY,
])
.btf(2, "cgroup");
static CGRP_STORAGE_DELETE: HelperProto = p(
    H::CgrpStorageDelete,
    "bpf_cgrp_storage_delete_proto",
    RET_INTEGER,
)
.args(&[MAP, ARG_PTR_TO_BTF_ID_OR_NULL])
.btf(2, "cgroup");

// kernel/bpf/cgroup.c, kernel/bpf/local_storage.c
static GET_LOCAL_STORAGE: HelperProto = p(
    H::GetLocalStorage,
    "bpf_get_local_storage_proto",
    RET_PTR_TO_MAP_VALUE,
)
.args(&[MAP, ANY]);
static GET_RETVAL: HelperProto = p(H::GetRetval, "bpf_get_retval_proto", RET_INTEGER);
static SET_RETVAL: HelperProto = p(H::SetRetval, "bpf_set_retval_proto", RET_INTEGER).args(&[ANY]);
static SYSCTL_GET_NAME: HelperProto = p(H::SysctlGetName, "bpf_sysctl_get_name_proto", RET_INTEGER)
    .args(&[CTX, ARG_PTR_TO_MEM, SIZE, ANY]);
static SYSCTL_GET_CURRENT_VALUE: HelperProto = p(
    H::SysctlGetCurrentValue,
    "bpf_sysctl_get_current_value_proto",
    RET_INTEGER,
)
.args(&[CTX, UNINIT, SIZE]);
static SYSCTL_GET_NEW_VALUE: HelperProto = p(
    H::SysctlGetNewValue,
    "bpf_sysctl_get_new_value_proto",
    RET_INTEGER,
)
.args(&[CTX, UNINIT, SIZE]);
static SYSCTL_SET_NEW_VALUE: HelperProto = p(
    H::SysctlSetNewValue,
    "bpf_sysctl_set_new_value_proto",
    RET_INTEGER,
)
.args(&[CTX, MEM_RO, SIZE]);
static GET_NETNS_COOKIE_SOCKOPT: HelperProto = p(
    H::GetNetnsCookie,
    "bpf_get_netns_cookie_sockopt_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_CTX_OR_NULL]);

// kernel/bpf/bpf_lsm.c, kernel/bpf/btf.c, kernel/bpf/syscall.c
static BPRM_OPTS_SET: HelperProto = p(H::BprmOptsSet, "bpf_bprm_opts_set_proto", RET_INTEGER)
    .args(&[ARG_PTR_TO_BTF_ID, ANY])
    .btf(1, "linux_binprm");
static IMA_INODE_HASH: HelperProto = p(H::ImaInodeHash, "bpf_ima_inode_hash_proto", RET_INTEGER)
    .sleeps()
    .args(&[ARG_PTR_TO_BTF_ID, UNINIT, SIZE])
    .btf(1, "inode")
    .allowed_if(AllowedHook::ImaHash);
static IMA_FILE_HASH: HelperProto = p(H::ImaFileHash, "bpf_ima_file_hash_proto", RET_INTEGER)
    .sleeps()
    .args(&[ARG_PTR_TO_BTF_ID, UNINIT, SIZE])
    .btf(1, "file")
    .allowed_if(AllowedHook::ImaHash);
static GET_ATTACH_COOKIE_LSM: HelperProto = p(
    H::GetAttachCookie,
    "bpf_get_attach_cookie_proto",
    RET_INTEGER,
)
.args(&[CTX]);
static BTF_FIND_BY_NAME_KIND: HelperProto = p(
    H::BtfFindByNameKind,
    "bpf_btf_find_by_name_kind_proto",
    RET_INTEGER,
)
.sleeps()
.args(&[MEM_RO, SIZE, ANY, ANY]);
static SYS_BPF: HelperProto = p(H::SysBpf, "bpf_sys_bpf_proto", RET_INTEGER)
    .sleeps()
    .args(&[ANY, MEM_RO, SIZE]);
static SYS_CLOSE: HelperProto = p(H::SysClose, "bpf_sys_close_proto", RET_INTEGER)
    .sleeps()
    .args(&[ANY]);
static KALLSYMS_LOOKUP_NAME: HelperProto = p(
    H::KallsymsLookupName,
    "bpf_kallsyms_lookup_name_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_MEM, SIZE0, ANY, OUT_INT])
.size(4, 8);

// drivers/media/rc/bpf-lirc.c
static RC_REPEAT: HelperProto = p(H::RcRepeat, "rc_repeat_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX]);
static RC_KEYDOWN: HelperProto = p(H::RcKeydown, "rc_keydown_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX, ANY, ANY, ANY]);
static RC_POINTER_REL: HelperProto = p(H::RcPointerRel, "rc_pointer_rel_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX, ANY, ANY]);

// kernel/trace/bpf_trace.c
static OVERRIDE_RETURN: HelperProto =
    p(H::OverrideReturn, "bpf_override_return_proto", RET_INTEGER)
        .gpl()
        .args(&[CTX, ANY]);
static PROBE_READ_USER: HelperProto = p(H::ProbeReadUser, "bpf_probe_read_user_proto", RET_INTEGER)
    .gpl()
    .args(&[UNINIT, SIZE0, ANY]);
static PROBE_READ_USER_STR: HelperProto = p(
    H::ProbeReadUserStr,
    "bpf_probe_read_user_str_proto",
    RET_INTEGER,
)
.gpl()
.args(&[UNINIT, SIZE0, ANY]);
static PROBE_READ_KERNEL: HelperProto = p(
    H::ProbeReadKernel,
    "bpf_probe_read_kernel_proto",
    RET_INTEGER,
)
.gpl()
.args(&[UNINIT, SIZE0, ANY]);
static PROBE_READ_KERNEL_STR: HelperProto = p(
    H::ProbeReadKernelStr,
    "bpf_probe_read_kernel_str_proto",
    RET_INTEGER,
)
.gpl()
.args(&[UNINIT, SIZE0, ANY]);
static PROBE_READ_COMPAT: HelperProto = p(H::ProbeRead, "bpf_probe_read_compat_proto", RET_INTEGER)
    .gpl()
    .args(&[UNINIT, SIZE0, ANY]);
static PROBE_READ_COMPAT_STR: HelperProto = p(
    H::ProbeReadStr,
    "bpf_probe_read_compat_str_proto",
    RET_INTEGER,
)
.gpl()
.args(&[UNINIT, SIZE0, ANY]);
static PROBE_WRITE_USER: HelperProto =
    p(H::ProbeWriteUser, "bpf_probe_write_user_proto", RET_INTEGER)
        .gpl()
        .args(&[ANY, MEM_RO, SIZE]);
static TRACE_PRINTK: HelperProto = p(H::TracePrintk, "bpf_trace_printk_proto", RET_INTEGER)
    .gpl()
    .args(&[MEM_RO, SIZE]);
static TRACE_VPRINTK: HelperProto = p(H::TraceVprintk, "bpf_trace_vprintk_proto", RET_INTEGER)
    .gpl()
    .args(&[MEM_RO, SIZE, MEM_RO_OR_NULL, SIZE0]);
static SEQ_PRINTF: HelperProto = p(H::SeqPrintf, "bpf_seq_printf_proto", RET_INTEGER)
    .gpl()
    .args(&[ARG_PTR_TO_BTF_ID, MEM_RO, SIZE, MEM_RO_OR_NULL, SIZE0])
    .btf(1, "seq_file");
static SEQ_WRITE: HelperProto = p(H::SeqWrite, "bpf_seq_write_proto", RET_INTEGER)
    .gpl()
    .args(&[ARG_PTR_TO_BTF_ID, MEM_RO, SIZE0])
    .btf(1, "seq_file");
static SEQ_PRINTF_BTF: HelperProto = p(H::SeqPrintfBtf, "bpf_seq_printf_btf_proto", RET_INTEGER)
    .gpl()
    .args(&[ARG_PTR_TO_BTF_ID, MEM_RO, SIZE0, ANY])
    .btf(1, "seq_file");
static PERF_EVENT_READ: HelperProto = p(H::PerfEventRead, "bpf_perf_event_read_proto", RET_INTEGER)
    .gpl()
    .args(&[MAP, ANY]);
static PERF_EVENT_READ_VALUE: HelperProto = p(
    H::PerfEventReadValue,
    "bpf_perf_event_read_value_proto",
    RET_INTEGER,
)
.gpl()
.args(&[MAP, ANY, UNINIT, SIZE]);
static PERF_EVENT_OUTPUT: HelperProto = p(
    H::PerfEventOutput,
    "bpf_perf_event_output_proto",
    RET_INTEGER,
)
.gpl()
.args(&[CTX, MAP, ANY, MEM_RO, SIZE0]);
static PERF_EVENT_OUTPUT_TP: HelperProto = p(
    H::PerfEventOutput,
    "bpf_perf_event_output_proto_tp",
    RET_INTEGER,
)
.gpl()
.args(&[CTX, MAP, ANY, MEM_RO, SIZE0]);
static PERF_EVENT_OUTPUT_RAW_TP: HelperProto = p(
    H::PerfEventOutput,
    "bpf_perf_event_output_proto_raw_tp",
    RET_INTEGER,
)
.gpl()
.args(&[CTX, MAP, ANY, MEM_RO, SIZE0]);
static GET_CURRENT_TASK: HelperProto =
    p(H::GetCurrentTask, "bpf_get_current_task_proto", RET_INTEGER).gpl();
static GET_CURRENT_TASK_BTF: HelperProto = p(
    H::GetCurrentTaskBtf,
    "bpf_get_current_task_btf_proto",
    RET_PTR_TO_BTF_ID_TRUSTED,
)
.gpl()
.ret_btf(BtfId::Struct(TASK));
static TASK_PT_REGS: HelperProto = p(H::TaskPtRegs, "bpf_task_pt_regs_proto", RET_PTR_TO_BTF_ID)
    .gpl()
    .args(&[ARG_PTR_TO_BTF_ID])
    .btf(1, TASK)
    .ret_btf(BtfId::Struct("pt_regs"));
static SEND_SIGNAL: HelperProto =
    p(H::SendSignal, "bpf_send_signal_proto", RET_INTEGER).args(&[ANY]);
static SEND_SIGNAL_THREAD: HelperProto = p(
    H::SendSignalThread,
    "bpf_send_signal_thread_proto",
    RET_INTEGER,
)
.args(&[ANY]);
static D_PATH: HelperProto = p(H::DPath, "bpf_d_path_proto", RET_INTEGER)
    .args(&[ARG_PTR_TO_BTF_ID, ARG_PTR_TO_MEM, SIZE0])
    .btf(1, "path")
    .allowed_if(AllowedHook::DPath);
static SNPRINTF_BTF: HelperProto = p(H::SnprintfBtf, "bpf_snprintf_btf_proto", RET_INTEGER)
    .args(&[ARG_PTR_TO_MEM, SIZE, MEM_RO, SIZE, ANY]);
static GET_FUNC_IP_TRACING: HelperProto =
    p(H::GetFuncIp, "bpf_get_func_ip_proto_tracing", RET_INTEGER)
        .gpl()
        .args(&[CTX]);
static GET_FUNC_IP_KPROBE: HelperProto =
    p(H::GetFuncIp, "bpf_get_func_ip_proto_kprobe", RET_INTEGER)
        .gpl()
        .args(&[CTX]);
static GET_FUNC_IP_KPROBE_MULTI: HelperProto = p(
    H::GetFuncIp,
    "bpf_get_func_ip_proto_kprobe_multi",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_FUNC_IP_UPROBE_MULTI: HelperProto = p(
    H::GetFuncIp,
    "bpf_get_func_ip_proto_uprobe_multi",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_ATTACH_COOKIE_KMULTI: HelperProto = p(
    H::GetAttachCookie,
    "bpf_get_attach_cookie_proto_kmulti",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_ATTACH_COOKIE_UMULTI: HelperProto = p(
    H::GetAttachCookie,
    "bpf_get_attach_cookie_proto_umulti",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_ATTACH_COOKIE_TRACE: HelperProto = p(
    H::GetAttachCookie,
    "bpf_get_attach_cookie_proto_trace",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_ATTACH_COOKIE_PE: HelperProto = p(
    H::GetAttachCookie,
    "bpf_get_attach_cookie_proto_pe",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_ATTACH_COOKIE_TRACING: HelperProto = p(
    H::GetAttachCookie,
    "bpf_get_attach_cookie_proto_tracing",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_BRANCH_SNAPSHOT: HelperProto = p(
    H::GetBranchSnapshot,
    "bpf_get_branch_snapshot_proto",
    RET_INTEGER,
)
.gpl()
.args(&[UNINIT, SIZE0]);
static GET_FUNC_ARG: HelperProto = p(H::GetFuncArg, "bpf_get_func_arg_proto", RET_INTEGER)
    .args(&[CTX, ANY, OUT_INT])
    .size(3, 8);
static GET_FUNC_RET: HelperProto = p(H::GetFuncRet, "bpf_get_func_ret_proto", RET_INTEGER)
    .args(&[CTX, OUT_INT])
    .size(2, 8);
static GET_FUNC_ARG_CNT: HelperProto =
    p(H::GetFuncArgCnt, "bpf_get_func_arg_cnt_proto", RET_INTEGER).args(&[CTX]);
static GET_STACKID_TP: HelperProto = p(H::GetStackid, "bpf_get_stackid_proto_tp", RET_INTEGER)
    .gpl()
    .args(&[CTX, MAP, ANY]);
static GET_STACK_TP: HelperProto = p(H::GetStack, "bpf_get_stack_proto_tp", RET_INTEGER)
    .gpl()
    .args(&[CTX, UNINIT, SIZE0, ANY]);
static PERF_PROG_READ_VALUE: HelperProto = p(
    H::PerfProgReadValue,
    "bpf_perf_prog_read_value_proto",
    RET_INTEGER,
)
.gpl()
.args(&[CTX, UNINIT, SIZE]);
static READ_BRANCH_RECORDS: HelperProto = p(
    H::ReadBranchRecords,
    "bpf_read_branch_records_proto",
    RET_INTEGER,
)
.gpl()
.args(&[CTX, ARG_PTR_TO_MEM_OR_NULL, SIZE0, ANY]);
static GET_STACKID_RAW_TP: HelperProto =
    p(H::GetStackid, "bpf_get_stackid_proto_raw_tp", RET_INTEGER)
        .gpl()
        .args(&[CTX, MAP, ANY]);
static GET_STACK_RAW_TP: HelperProto = p(H::GetStack, "bpf_get_stack_proto_raw_tp", RET_INTEGER)
    .gpl()
    .args(&[CTX, MEM_RO, SIZE0, ANY]);

// net/core/filter.c
static SKB_STORE_BYTES: HelperProto = p(H::SkbStoreBytes, "bpf_skb_store_bytes_proto", RET_INTEGER)
    .args(&[CTX, ANY, MEM_RO, SIZE, ANY]);
static SKB_LOAD_BYTES: HelperProto =
    p(H::SkbLoadBytes, "bpf_skb_load_bytes_proto", RET_INTEGER).args(&[CTX, ANY, UNINIT, SIZE]);
static FLOW_DISSECTOR_LOAD_BYTES: HelperProto = p(
    H::SkbLoadBytes,
    "bpf_flow_dissector_load_bytes_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, UNINIT, SIZE]);
static SKB_LOAD_BYTES_RELATIVE: HelperProto = p(
    H::SkbLoadBytesRelative,
    "bpf_skb_load_bytes_relative_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, UNINIT, SIZE, ANY]);
static SKB_PULL_DATA: HelperProto =
    p(H::SkbPullData, "bpf_skb_pull_data_proto", RET_INTEGER).args(&[CTX, ANY]);
static SK_SKB_PULL_DATA: HelperProto =
    p(H::SkbPullData, "sk_skb_pull_data_proto", RET_INTEGER).args(&[CTX, ANY]);
static SK_FULLSOCK: HelperProto = p(
    H::SkFullsock,
    "bpf_sk_fullsock_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.args(&[ARG_PTR_TO_SOCK_COMMON]);
static L3_CSUM_REPLACE: HelperProto =
    p(H::L3CsumReplace, "bpf_l3_csum_replace_proto", RET_INTEGER).args(&[CTX, ANY, ANY, ANY, ANY]);
static L4_CSUM_REPLACE: HelperProto =
    p(H::L4CsumReplace, "bpf_l4_csum_replace_proto", RET_INTEGER).args(&[CTX, ANY, ANY, ANY, ANY]);
static CSUM_DIFF: HelperProto = p(H::CsumDiff, "bpf_csum_diff_proto", RET_INTEGER)
    .pkt()
    .args(&[MEM_RO_OR_NULL, SIZE0, MEM_RO_OR_NULL, SIZE0, ANY]);
static CSUM_UPDATE: HelperProto =
    p(H::CsumUpdate, "bpf_csum_update_proto", RET_INTEGER).args(&[CTX, ANY]);
static CSUM_LEVEL: HelperProto =
    p(H::CsumLevel, "bpf_csum_level_proto", RET_INTEGER).args(&[CTX, ANY]);
static CLONE_REDIRECT: HelperProto =
    p(H::CloneRedirect, "bpf_clone_redirect_proto", RET_INTEGER).args(&[CTX, ANY, ANY]);
static REDIRECT: HelperProto = p(H::Redirect, "bpf_redirect_proto", RET_INTEGER).args(&[ANY, ANY]);
static REDIRECT_PEER: HelperProto =
    p(H::RedirectPeer, "bpf_redirect_peer_proto", RET_INTEGER).args(&[ANY, ANY]);
static REDIRECT_NEIGH: HelperProto = p(H::RedirectNeigh, "bpf_redirect_neigh_proto", RET_INTEGER)
    .args(&[ANY, MEM_RO_OR_NULL, SIZE0, ANY]);
static MSG_APPLY_BYTES: HelperProto =
    p(H::MsgApplyBytes, "bpf_msg_apply_bytes_proto", RET_INTEGER).args(&[CTX, ANY]);
static MSG_CORK_BYTES: HelperProto =
    p(H::MsgCorkBytes, "bpf_msg_cork_bytes_proto", RET_INTEGER).args(&[CTX, ANY]);
static MSG_PULL_DATA: HelperProto =
    p(H::MsgPullData, "bpf_msg_pull_data_proto", RET_INTEGER).args(&[CTX, ANY, ANY, ANY]);
static MSG_PUSH_DATA: HelperProto =
    p(H::MsgPushData, "bpf_msg_push_data_proto", RET_INTEGER).args(&[CTX, ANY, ANY, ANY]);
static MSG_POP_DATA: HelperProto =
    p(H::MsgPopData, "bpf_msg_pop_data_proto", RET_INTEGER).args(&[CTX, ANY, ANY, ANY]);
static GET_CGROUP_CLASSID_CURR: HelperProto = p(
    H::GetCgroupClassid,
    "bpf_get_cgroup_classid_curr_proto",
    RET_INTEGER,
);
static SKB_CGROUP_CLASSID: HelperProto = p(
    H::SkbCgroupClassid,
    "bpf_skb_cgroup_classid_proto",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_CGROUP_CLASSID: HelperProto = p(
    H::GetCgroupClassid,
    "bpf_get_cgroup_classid_proto",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_ROUTE_REALM: HelperProto =
    p(H::GetRouteRealm, "bpf_get_route_realm_proto", RET_INTEGER).args(&[CTX]);
static GET_HASH_RECALC: HelperProto =
    p(H::GetHashRecalc, "bpf_get_hash_recalc_proto", RET_INTEGER).args(&[CTX]);
static SET_HASH_INVALID: HelperProto =
    p(H::SetHashInvalid, "bpf_set_hash_invalid_proto", RET_INTEGER).args(&[CTX]);
static SET_HASH: HelperProto = p(H::SetHash, "bpf_set_hash_proto", RET_INTEGER).args(&[CTX, ANY]);
static SKB_VLAN_PUSH: HelperProto =
    p(H::SkbVlanPush, "bpf_skb_vlan_push_proto", RET_INTEGER).args(&[CTX, ANY, ANY]);
static SKB_VLAN_POP: HelperProto =
    p(H::SkbVlanPop, "bpf_skb_vlan_pop_proto", RET_INTEGER).args(&[CTX]);
static SKB_CHANGE_PROTO: HelperProto =
    p(H::SkbChangeProto, "bpf_skb_change_proto_proto", RET_INTEGER).args(&[CTX, ANY, ANY]);
static SKB_CHANGE_TYPE: HelperProto =
    p(H::SkbChangeType, "bpf_skb_change_type_proto", RET_INTEGER).args(&[CTX, ANY]);
static SK_SKB_ADJUST_ROOM: HelperProto =
    p(H::SkbAdjustRoom, "sk_skb_adjust_room_proto", RET_INTEGER).args(&[CTX, ANY, ANY, ANY]);
static SKB_ADJUST_ROOM: HelperProto =
    p(H::SkbAdjustRoom, "bpf_skb_adjust_room_proto", RET_INTEGER).args(&[CTX, ANY, ANY, ANY]);
static SKB_CHANGE_TAIL: HelperProto =
    p(H::SkbChangeTail, "bpf_skb_change_tail_proto", RET_INTEGER).args(&[CTX, ANY, ANY]);
static SK_SKB_CHANGE_TAIL: HelperProto =
    p(H::SkbChangeTail, "sk_skb_change_tail_proto", RET_INTEGER).args(&[CTX, ANY, ANY]);
static SKB_CHANGE_HEAD: HelperProto =
    p(H::SkbChangeHead, "bpf_skb_change_head_proto", RET_INTEGER).args(&[CTX, ANY, ANY]);
static SK_SKB_CHANGE_HEAD: HelperProto =
    p(H::SkbChangeHead, "sk_skb_change_head_proto", RET_INTEGER).args(&[CTX, ANY, ANY]);
static XDP_GET_BUFF_LEN: HelperProto =
    p(H::XdpGetBuffLen, "bpf_xdp_get_buff_len_proto", RET_INTEGER).args(&[CTX]);
static XDP_GET_BUFF_LEN_TRACE: HelperProto = p(
    H::XdpGetBuffLen,
    "bpf_xdp_get_buff_len_trace_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_BTF_ID])
.btf(1, "xdp_buff");
static XDP_ADJUST_HEAD: HelperProto =
    p(H::XdpAdjustHead, "bpf_xdp_adjust_head_proto", RET_INTEGER).args(&[CTX, ANY]);
static XDP_LOAD_BYTES: HelperProto =
    p(H::XdpLoadBytes, "bpf_xdp_load_bytes_proto", RET_INTEGER).args(&[CTX, ANY, UNINIT, SIZE]);
static XDP_STORE_BYTES: HelperProto =
    p(H::XdpStoreBytes, "bpf_xdp_store_bytes_proto", RET_INTEGER).args(&[CTX, ANY, MEM_RO, SIZE]);
static XDP_ADJUST_TAIL: HelperProto =
    p(H::XdpAdjustTail, "bpf_xdp_adjust_tail_proto", RET_INTEGER).args(&[CTX, ANY]);
static XDP_ADJUST_META: HelperProto =
    p(H::XdpAdjustMeta, "bpf_xdp_adjust_meta_proto", RET_INTEGER).args(&[CTX, ANY]);
static XDP_REDIRECT: HelperProto =
    p(H::Redirect, "bpf_xdp_redirect_proto", RET_INTEGER).args(&[ANY, ANY]);
static XDP_REDIRECT_MAP: HelperProto =
    p(H::RedirectMap, "bpf_xdp_redirect_map_proto", RET_INTEGER).args(&[MAP, ANY, ANY]);
static SKB_EVENT_OUTPUT: HelperProto = p(
    H::PerfEventOutput,
    "bpf_skb_event_output_proto",
    RET_INTEGER,
)
.gpl()
.args(&[CTX, MAP, ANY, MEM_RO, SIZE0]);
static SKB_OUTPUT: HelperProto = p(H::SkbOutput, "bpf_skb_output_proto", RET_INTEGER)
    .gpl()
    .args(&[ARG_PTR_TO_BTF_ID, MAP, ANY, MEM_RO, SIZE0])
    .btf(1, "sk_buff");
static SKB_GET_TUNNEL_KEY: HelperProto = p(
    H::SkbGetTunnelKey,
    "bpf_skb_get_tunnel_key_proto",
    RET_INTEGER,
)
.args(&[CTX, UNINIT, SIZE, ANY]);
static SKB_GET_TUNNEL_OPT: HelperProto = p(
    H::SkbGetTunnelOpt,
    "bpf_skb_get_tunnel_opt_proto",
    RET_INTEGER,
)
.args(&[CTX, UNINIT, SIZE]);
static SKB_SET_TUNNEL_KEY: HelperProto = p(
    H::SkbSetTunnelKey,
    "bpf_skb_set_tunnel_key_proto",
    RET_INTEGER,
)
.args(&[CTX, MEM_RO, SIZE, ANY]);
static SKB_SET_TUNNEL_OPT: HelperProto = p(
    H::SkbSetTunnelOpt,
    "bpf_skb_set_tunnel_opt_proto",
    RET_INTEGER,
)
.args(&[CTX, MEM_RO, SIZE]);
static SKB_UNDER_CGROUP: HelperProto =
    p(H::SkbUnderCgroup, "bpf_skb_under_cgroup_proto", RET_INTEGER).args(&[CTX, MAP, ANY]);
static SKB_CGROUP_ID: HelperProto =
    p(H::SkbCgroupId, "bpf_skb_cgroup_id_proto", RET_INTEGER).args(&[CTX]);
static SKB_ANCESTOR_CGROUP_ID: HelperProto = p(
    H::SkbAncestorCgroupId,
    "bpf_skb_ancestor_cgroup_id_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY]);
static SK_CGROUP_ID: HelperProto =
    p(H::SkCgroupId, "bpf_sk_cgroup_id_proto", RET_INTEGER).args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON]);
static SK_ANCESTOR_CGROUP_ID: HelperProto = p(
    H::SkAncestorCgroupId,
    "bpf_sk_ancestor_cgroup_id_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ANY]);
static XDP_EVENT_OUTPUT: HelperProto = p(
    H::PerfEventOutput,
    "bpf_xdp_event_output_proto",
    RET_INTEGER,
)
.gpl()
.args(&[CTX, MAP, ANY, MEM_RO, SIZE0]);
static XDP_OUTPUT: HelperProto = p(H::XdpOutput, "bpf_xdp_output_proto", RET_INTEGER)
    .gpl()
    .args(&[ARG_PTR_TO_BTF_ID, MAP, ANY, MEM_RO, SIZE0])
    .btf(1, "xdp_buff");
static GET_SOCKET_COOKIE: HelperProto = p(
    H::GetSocketCookie,
    "bpf_get_socket_cookie_proto",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_SOCKET_COOKIE_SOCK_ADDR: HelperProto = p(
    H::GetSocketCookie,
    "bpf_get_socket_cookie_sock_addr_proto",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_SOCKET_COOKIE_SOCK: HelperProto = p(
    H::GetSocketCookie,
    "bpf_get_socket_cookie_sock_proto",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_SOCKET_PTR_COOKIE: HelperProto = p(
    H::GetSocketCookie,
    "bpf_get_socket_ptr_cookie_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON.with(F::PTR_MAYBE_NULL)]);
static GET_SOCKET_COOKIE_SOCK_OPS: HelperProto = p(
    H::GetSocketCookie,
    "bpf_get_socket_cookie_sock_ops_proto",
    RET_INTEGER,
)
.args(&[CTX]);
static GET_NETNS_COOKIE_SOCK: HelperProto = p(
    H::GetNetnsCookie,
    "bpf_get_netns_cookie_sock_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_CTX_OR_NULL]);
static GET_NETNS_COOKIE_SOCK_ADDR: HelperProto = p(
    H::GetNetnsCookie,
    "bpf_get_netns_cookie_sock_addr_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_CTX_OR_NULL]);
static GET_NETNS_COOKIE_SOCK_OPS: HelperProto = p(
    H::GetNetnsCookie,
    "bpf_get_netns_cookie_sock_ops_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_CTX_OR_NULL]);
static GET_NETNS_COOKIE_SK_MSG: HelperProto = p(
    H::GetNetnsCookie,
    "bpf_get_netns_cookie_sk_msg_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_CTX_OR_NULL]);
/// Linux 6.18 (not in 6.12): the netns cookie of a socket buffer's socket, for socket filters,
/// `cgroup_skb` and tc programs.
static GET_NETNS_COOKIE: HelperProto =
    p(H::GetNetnsCookie, "bpf_get_netns_cookie_proto", RET_INTEGER).args(&[ARG_PTR_TO_CTX_OR_NULL]);
static GET_SOCKET_UID: HelperProto =
    p(H::GetSocketUid, "bpf_get_socket_uid_proto", RET_INTEGER).args(&[CTX]);
static SK_SETSOCKOPT: HelperProto = p(H::Setsockopt, "bpf_sk_setsockopt_proto", RET_INTEGER)
    .args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ANY, ANY, MEM_RO, SIZE]);
static SK_GETSOCKOPT: HelperProto = p(H::Getsockopt, "bpf_sk_getsockopt_proto", RET_INTEGER)
    .args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ANY, ANY, UNINIT, SIZE]);
static UNLOCKED_SK_SETSOCKOPT: HelperProto = p(
    H::Setsockopt,
    "bpf_unlocked_sk_setsockopt_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ANY, ANY, MEM_RO, SIZE]);
static UNLOCKED_SK_GETSOCKOPT: HelperProto = p(
    H::Getsockopt,
    "bpf_unlocked_sk_getsockopt_proto",
    RET_INTEGER,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ANY, ANY, UNINIT, SIZE]);
static SOCK_ADDR_SETSOCKOPT: HelperProto =
    p(H::Setsockopt, "bpf_sock_addr_setsockopt_proto", RET_INTEGER)
        .args(&[CTX, ANY, ANY, MEM_RO, SIZE]);
static SOCK_ADDR_GETSOCKOPT: HelperProto =
    p(H::Getsockopt, "bpf_sock_addr_getsockopt_proto", RET_INTEGER)
        .args(&[CTX, ANY, ANY, UNINIT, SIZE]);
static SOCK_OPS_SETSOCKOPT: HelperProto =
    p(H::Setsockopt, "bpf_sock_ops_setsockopt_proto", RET_INTEGER)
        .args(&[CTX, ANY, ANY, MEM_RO, SIZE]);
static SOCK_OPS_GETSOCKOPT: HelperProto =
    p(H::Getsockopt, "bpf_sock_ops_getsockopt_proto", RET_INTEGER)
        .args(&[CTX, ANY, ANY, UNINIT, SIZE]);
static SOCK_OPS_CB_FLAGS_SET: HelperProto = p(
    H::SockOpsCbFlagsSet,
    "bpf_sock_ops_cb_flags_set_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY]);
static BIND: HelperProto = p(H::Bind, "bpf_bind_proto", RET_INTEGER).args(&[CTX, MEM_RO, SIZE]);
static SKB_GET_XFRM_STATE: HelperProto = p(
    H::SkbGetXfrmState,
    "bpf_skb_get_xfrm_state_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, UNINIT, SIZE, ANY]);
static XDP_FIB_LOOKUP: HelperProto = p(H::FibLookup, "bpf_xdp_fib_lookup_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX, ARG_PTR_TO_MEM, SIZE, ANY]);
static SKB_FIB_LOOKUP: HelperProto = p(H::FibLookup, "bpf_skb_fib_lookup_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX, ARG_PTR_TO_MEM, SIZE, ANY]);
/// `ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED`, 4 bytes: `bpf_check_mtu`'s MTU.
const MTU_LEN: ArgType = ARG_PTR_TO_FIXED_SIZE_MEM.with(F::MEM_WRITE.union(F::MEM_ALIGNED));
static SKB_CHECK_MTU: HelperProto = p(H::CheckMtu, "bpf_skb_check_mtu_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX, ANY, MTU_LEN, ANY, ANY])
    .size(3, 4);
static XDP_CHECK_MTU: HelperProto = p(H::CheckMtu, "bpf_xdp_check_mtu_proto", RET_INTEGER)
    .gpl()
    .args(&[CTX, ANY, MTU_LEN, ANY, ANY])
    .size(3, 4);
static LWT_IN_PUSH_ENCAP: HelperProto =
    p(H::LwtPushEncap, "bpf_lwt_in_push_encap_proto", RET_INTEGER).args(&[CTX, ANY, MEM_RO, SIZE]);
static LWT_XMIT_PUSH_ENCAP: HelperProto = p(
    H::LwtPushEncap,
    "bpf_lwt_xmit_push_encap_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, MEM_RO, SIZE]);
static LWT_SEG6_STORE_BYTES: HelperProto = p(
    H::LwtSeg6StoreBytes,
    "bpf_lwt_seg6_store_bytes_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, MEM_RO, SIZE]);
static LWT_SEG6_ACTION: HelperProto =
    p(H::LwtSeg6Action, "bpf_lwt_seg6_action_proto", RET_INTEGER).args(&[CTX, ANY, MEM_RO, SIZE]);
static LWT_SEG6_ADJUST_SRH: HelperProto = p(
    H::LwtSeg6AdjustSrh,
    "bpf_lwt_seg6_adjust_srh_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, ANY]);
/// The socket lookups' arguments: ctx, tuple, tuple size, netns, flags.
const LOOKUP_ARGS: [ArgType; 5] = [CTX, MEM_RO, SIZE0, ANY, ANY];
static SKC_LOOKUP_TCP: HelperProto = p(
    H::SkcLookupTcp,
    "bpf_skc_lookup_tcp_proto",
    RET_PTR_TO_SOCK_COMMON_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static SK_LOOKUP_TCP: HelperProto = p(
    H::SkLookupTcp,
    "bpf_sk_lookup_tcp_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static SK_LOOKUP_UDP: HelperProto = p(
    H::SkLookupUdp,
    "bpf_sk_lookup_udp_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static TC_SKC_LOOKUP_TCP: HelperProto = p(
    H::SkcLookupTcp,
    "bpf_tc_skc_lookup_tcp_proto",
    RET_PTR_TO_SOCK_COMMON_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static TC_SK_LOOKUP_TCP: HelperProto = p(
    H::SkLookupTcp,
    "bpf_tc_sk_lookup_tcp_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static TC_SK_LOOKUP_UDP: HelperProto = p(
    H::SkLookupUdp,
    "bpf_tc_sk_lookup_udp_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static SK_RELEASE: HelperProto =
    p(H::SkRelease, "bpf_sk_release_proto", RET_INTEGER).args(&[SOCK_RELEASE]);
static XDP_SK_LOOKUP_UDP: HelperProto = p(
    H::SkLookupUdp,
    "bpf_xdp_sk_lookup_udp_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static XDP_SKC_LOOKUP_TCP: HelperProto = p(
    H::SkcLookupTcp,
    "bpf_xdp_skc_lookup_tcp_proto",
    RET_PTR_TO_SOCK_COMMON_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static XDP_SK_LOOKUP_TCP: HelperProto = p(
    H::SkLookupTcp,
    "bpf_xdp_sk_lookup_tcp_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.pkt()
.args(&LOOKUP_ARGS);
static SOCK_ADDR_SKC_LOOKUP_TCP: HelperProto = p(
    H::SkcLookupTcp,
    "bpf_sock_addr_skc_lookup_tcp_proto",
    RET_PTR_TO_SOCK_COMMON_OR_NULL,
)
.args(&LOOKUP_ARGS);
static SOCK_ADDR_SK_LOOKUP_TCP: HelperProto = p(
    H::SkLookupTcp,
    "bpf_sock_addr_sk_lookup_tcp_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.args(&LOOKUP_ARGS);
static SOCK_ADDR_SK_LOOKUP_UDP: HelperProto = p(
    H::SkLookupUdp,
    "bpf_sock_addr_sk_lookup_udp_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.args(&LOOKUP_ARGS);
static TCP_SOCK: HelperProto = p(
    H::TcpSock,
    "bpf_tcp_sock_proto",
    RET_PTR_TO_TCP_SOCK_OR_NULL,
)
.args(&[ARG_PTR_TO_SOCK_COMMON]);
static GET_LISTENER_SOCK: HelperProto = p(
    H::GetListenerSock,
    "bpf_get_listener_sock_proto",
    RET_PTR_TO_SOCKET_OR_NULL,
)
.args(&[ARG_PTR_TO_SOCK_COMMON]);
static SKB_ECN_SET_CE: HelperProto =
    p(H::SkbEcnSetCe, "bpf_skb_ecn_set_ce_proto", RET_INTEGER).args(&[CTX]);
static TCP_CHECK_SYNCOOKIE: HelperProto = p(
    H::TcpCheckSyncookie,
    "bpf_tcp_check_syncookie_proto",
    RET_INTEGER,
)
.gpl()
.pkt()
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON, MEM_RO, SIZE, MEM_RO, SIZE]);
static TCP_GEN_SYNCOOKIE: HelperProto = p(
    H::TcpGenSyncookie,
    "bpf_tcp_gen_syncookie_proto",
    RET_INTEGER,
)
.gpl()
.pkt()
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON, MEM_RO, SIZE, MEM_RO, SIZE]);
static SK_ASSIGN: HelperProto = p(H::SkAssign, "bpf_sk_assign_proto", RET_INTEGER).args(&[
    CTX,
    ARG_PTR_TO_BTF_ID_SOCK_COMMON,
    ANY,
]);
static SOCK_OPS_LOAD_HDR_OPT: HelperProto = p(
    H::LoadHdrOpt,
    "bpf_sock_ops_load_hdr_opt_proto",
    RET_INTEGER,
)
.args(&[CTX, ARG_PTR_TO_MEM.with(F::MEM_WRITE), SIZE, ANY]);
static SOCK_OPS_STORE_HDR_OPT: HelperProto = p(
    H::StoreHdrOpt,
    "bpf_sock_ops_store_hdr_opt_proto",
    RET_INTEGER,
)
.args(&[CTX, MEM_RO, SIZE, ANY]);
static SOCK_OPS_RESERVE_HDR_OPT: HelperProto = p(
    H::ReserveHdrOpt,
    "bpf_sock_ops_reserve_hdr_opt_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, ANY]);
static SKB_SET_TSTAMP: HelperProto =
    p(H::SkbSetTstamp, "bpf_skb_set_tstamp_proto", RET_INTEGER).args(&[CTX, ANY, ANY]);
const IPHDR_LEN: u32 = 20;
const IPV6HDR_LEN: u32 = 40;
const TCPHDR_LEN: u32 = 20;
static TCP_RAW_GEN_SYNCOOKIE_IPV4: HelperProto = p(
    H::TcpRawGenSyncookieIpv4,
    "bpf_tcp_raw_gen_syncookie_ipv4_proto",
    RET_INTEGER,
)
.gpl()
.pkt()
.args(&[ARG_PTR_TO_FIXED_SIZE_MEM, ARG_PTR_TO_MEM, SIZE0])
.size(1, IPHDR_LEN);
static TCP_RAW_GEN_SYNCOOKIE_IPV6: HelperProto = p(
    H::TcpRawGenSyncookieIpv6,
    "bpf_tcp_raw_gen_syncookie_ipv6_proto",
    RET_INTEGER,
)
.gpl()
.pkt()
.args(&[ARG_PTR_TO_FIXED_SIZE_MEM, ARG_PTR_TO_MEM, SIZE0])
.size(1, IPV6HDR_LEN);
static TCP_RAW_CHECK_SYNCOOKIE_IPV4: HelperProto = p(
    H::TcpRawCheckSyncookieIpv4,
    "bpf_tcp_raw_check_syncookie_ipv4_proto",
    RET_INTEGER,
)
.gpl()
.pkt()
.args(&[ARG_PTR_TO_FIXED_SIZE_MEM, ARG_PTR_TO_FIXED_SIZE_MEM])
.size(1, IPHDR_LEN)
.size(2, TCPHDR_LEN);
static TCP_RAW_CHECK_SYNCOOKIE_IPV6: HelperProto = p(
    H::TcpRawCheckSyncookieIpv6,
    "bpf_tcp_raw_check_syncookie_ipv6_proto",
    RET_INTEGER,
)
.gpl()
.pkt()
.args(&[ARG_PTR_TO_FIXED_SIZE_MEM, ARG_PTR_TO_FIXED_SIZE_MEM])
.size(1, IPV6HDR_LEN)
.size(2, TCPHDR_LEN);
static SK_SELECT_REUSEPORT: HelperProto = p(
    H::SkSelectReuseport,
    "sk_select_reuseport_proto",
    RET_INTEGER,
)
.args(&[CTX, MAP, ARG_PTR_TO_MAP_KEY, ANY]);
static SK_REUSEPORT_LOAD_BYTES: HelperProto = p(
    H::SkbLoadBytes,
    "sk_reuseport_load_bytes_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, UNINIT, SIZE]);
static SK_REUSEPORT_LOAD_BYTES_RELATIVE: HelperProto = p(
    H::SkbLoadBytesRelative,
    "sk_reuseport_load_bytes_relative_proto",
    RET_INTEGER,
)
.args(&[CTX, ANY, UNINIT, SIZE, ANY]);
static SK_LOOKUP_ASSIGN: HelperProto = p(H::SkAssign, "bpf_sk_lookup_assign_proto", RET_INTEGER)
    .args(&[CTX, ARG_PTR_TO_SOCKET_OR_NULL, ANY]);
static SKC_TO_TCP6_SOCK: HelperProto = p(
    H::SkcToTcp6Sock,
    "bpf_skc_to_tcp6_sock_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON])
.ret_btf(BtfId::Struct("tcp6_sock"));
static SKC_TO_TCP_SOCK: HelperProto = p(
    H::SkcToTcpSock,
    "bpf_skc_to_tcp_sock_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON])
.ret_btf(BtfId::Struct("tcp_sock"));
static SKC_TO_TCP_TIMEWAIT_SOCK: HelperProto = p(
    H::SkcToTcpTimewaitSock,
    "bpf_skc_to_tcp_timewait_sock_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON])
.ret_btf(BtfId::Struct("tcp_timewait_sock"));
static SKC_TO_TCP_REQUEST_SOCK: HelperProto = p(
    H::SkcToTcpRequestSock,
    "bpf_skc_to_tcp_request_sock_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON])
.ret_btf(BtfId::Struct("tcp_request_sock"));
static SKC_TO_UDP6_SOCK: HelperProto = p(
    H::SkcToUdp6Sock,
    "bpf_skc_to_udp6_sock_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON])
.ret_btf(BtfId::Struct("udp6_sock"));
static SKC_TO_UNIX_SOCK: HelperProto = p(
    H::SkcToUnixSock,
    "bpf_skc_to_unix_sock_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.args(&[ARG_PTR_TO_BTF_ID_SOCK_COMMON])
.ret_btf(BtfId::Struct("unix_sock"));
static SKC_TO_MPTCP_SOCK: HelperProto = p(
    H::SkcToMptcpSock,
    "bpf_skc_to_mptcp_sock_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.args(&[ARG_PTR_TO_SOCK_COMMON])
.ret_btf(BtfId::Struct("mptcp_sock"));
static SOCK_FROM_FILE: HelperProto = p(
    H::SockFromFile,
    "bpf_sock_from_file_proto",
    RET_PTR_TO_BTF_ID_OR_NULL,
)
.ret_btf(BtfId::Struct("socket"))
.args(&[ARG_PTR_TO_BTF_ID])
.btf(1, "file");

// net/core/sock_map.c
static SOCK_MAP_UPDATE: HelperProto = p(H::SockMapUpdate, "bpf_sock_map_update_proto", RET_INTEGER)
    .pkt()
    .args(&[CTX, MAP, ARG_PTR_TO_MAP_KEY, ANY]);
static SOCK_HASH_UPDATE: HelperProto =
    p(H::SockHashUpdate, "bpf_sock_hash_update_proto", RET_INTEGER)
        .pkt()
        .args(&[CTX, MAP, ARG_PTR_TO_MAP_KEY, ANY]);
static SK_REDIRECT_MAP: HelperProto =
    p(H::SkRedirectMap, "bpf_sk_redirect_map_proto", RET_INTEGER).args(&[CTX, MAP, ANY, ANY]);
static SK_REDIRECT_HASH: HelperProto =
    p(H::SkRedirectHash, "bpf_sk_redirect_hash_proto", RET_INTEGER).args(&[
        CTX,
        MAP,
        ARG_PTR_TO_MAP_KEY,
        ANY,
    ]);
static MSG_REDIRECT_MAP: HelperProto =
    p(H::MsgRedirectMap, "bpf_msg_redirect_map_proto", RET_INTEGER).args(&[CTX, MAP, ANY, ANY]);
static MSG_REDIRECT_HASH: HelperProto = p(
    H::MsgRedirectHash,
    "bpf_msg_redirect_hash_proto",
    RET_INTEGER,
)
.args(&[CTX, MAP, ARG_PTR_TO_MAP_KEY, ANY]);

// net/core/bpf_sk_storage.c
static SK_STORAGE_GET: HelperProto = p(
    H::SkStorageGet,
    "bpf_sk_storage_get_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.args(&[
    MAP,
    ARG_PTR_TO_BTF_ID_SOCK_COMMON,
    ARG_PTR_TO_MAP_VALUE_OR_NULL,
    ANY,
]);
static SK_STORAGE_GET_CG_SOCK: HelperProto = p(
    H::SkStorageGet,
    "bpf_sk_storage_get_cg_sock_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.args(&[MAP, CTX, ARG_PTR_TO_MAP_VALUE_OR_NULL, ANY]);
static SK_STORAGE_DELETE: HelperProto = p(
    H::SkStorageDelete,
    "bpf_sk_storage_delete_proto",
    RET_INTEGER,
)
.args(&[MAP, ARG_PTR_TO_BTF_ID_SOCK_COMMON]);
static SK_STORAGE_GET_TRACING: HelperProto = p(
    H::SkStorageGet,
    "bpf_sk_storage_get_tracing_proto",
    RET_PTR_TO_MAP_VALUE_OR_NULL,
)
.args(&[
    MAP,
    ARG_PTR_TO_BTF_ID_OR_NULL,
    ARG_PTR_TO_MAP_VALUE_OR_NULL,
    ANY,
])
.btf(2, "sock")
.allowed_if(AllowedHook::SkStorageTracing);
static SK_STORAGE_DELETE_TRACING: HelperProto = p(
    H::SkStorageDelete,
    "bpf_sk_storage_delete_tracing_proto",
    RET_INTEGER,
)
.args(&[MAP, ARG_PTR_TO_BTF_ID_OR_NULL])
.btf(2, "sock")
.allowed_if(AllowedHook::SkStorageTracing);

// net/ipv4/bpf_tcp_ca.c (tcp_congestion_ops struct_ops programs)
static TCP_SEND_ACK: HelperProto = p(H::TcpSendAck, "bpf_tcp_send_ack_proto", RET_INTEGER)
    .args(&[ARG_PTR_TO_BTF_ID, ANY])
    .btf(1, "tcp_sock");

/// Every prototype in the table, each once, in the order of the kernel files they come from.
#[rustfmt::skip]
static ALL_PROTOS: [&HelperProto; 276] = [
    &MAP_LOOKUP_ELEM, &MAP_UPDATE_ELEM, &MAP_DELETE_ELEM, &MAP_PUSH_ELEM, &MAP_POP_ELEM,
    &MAP_PEEK_ELEM, &MAP_LOOKUP_PERCPU_ELEM, &GET_PRANDOM_U32, &GET_SMP_PROCESSOR_ID,
    &GET_RAW_SMP_PROCESSOR_ID, &GET_NUMA_NODE_ID, &KTIME_GET_NS, &KTIME_GET_BOOT_NS,
    &KTIME_GET_COARSE_NS, &KTIME_GET_TAI_NS, &GET_CURRENT_PID_TGID, &GET_CURRENT_UID_GID,
    &GET_CURRENT_COMM, &SPIN_LOCK, &SPIN_UNLOCK, &JIFFIES64, &GET_CURRENT_CGROUP_ID,
    &GET_CURRENT_ANCESTOR_CGROUP_ID, &STRTOL, &STRTOUL, &STRNCMP, &GET_NS_CURRENT_PID_TGID,
    &EVENT_OUTPUT_DATA, &COPY_FROM_USER, &COPY_FROM_USER_TASK, &PER_CPU_PTR, &THIS_CPU_PTR,
    &SNPRINTF, &TIMER_INIT, &TIMER_SET_CALLBACK, &TIMER_START, &TIMER_CANCEL, &KPTR_XCHG,
    &DYNPTR_FROM_MEM, &DYNPTR_READ, &DYNPTR_WRITE, &DYNPTR_DATA, &CURRENT_TASK_UNDER_CGROUP,
    &TAIL_CALL, &FOR_EACH_MAP_ELEM, &LOOP, &FIND_VMA, &RINGBUF_RESERVE, &RINGBUF_SUBMIT,
    &RINGBUF_DISCARD, &RINGBUF_OUTPUT, &RINGBUF_QUERY, &RINGBUF_RESERVE_DYNPTR,
    &RINGBUF_SUBMIT_DYNPTR, &RINGBUF_DISCARD_DYNPTR, &USER_RINGBUF_DRAIN, &GET_STACKID,
    &GET_STACKID_PE, &GET_STACK, &GET_STACK_SLEEPABLE, &GET_STACK_PE, &GET_TASK_STACK,
    &GET_TASK_STACK_SLEEPABLE, &INODE_STORAGE_GET, &INODE_STORAGE_DELETE, &TASK_STORAGE_GET,
    &TASK_STORAGE_GET_RECUR, &TASK_STORAGE_DELETE, &TASK_STORAGE_DELETE_RECUR, &CGRP_STORAGE_GET,
    &CGRP_STORAGE_DELETE, &GET_LOCAL_STORAGE, &GET_RETVAL, &SET_RETVAL, &SYSCTL_GET_NAME,
    &SYSCTL_GET_CURRENT_VALUE, &SYSCTL_GET_NEW_VALUE, &SYSCTL_SET_NEW_VALUE,
    &GET_NETNS_COOKIE_SOCKOPT, &BPRM_OPTS_SET, &IMA_INODE_HASH, &IMA_FILE_HASH,
    &GET_ATTACH_COOKIE_LSM, &BTF_FIND_BY_NAME_KIND, &SYS_BPF, &SYS_CLOSE, &KALLSYMS_LOOKUP_NAME,
    &RC_REPEAT, &RC_KEYDOWN, &RC_POINTER_REL, &OVERRIDE_RETURN, &PROBE_READ_USER,
    &PROBE_READ_USER_STR, &PROBE_READ_KERNEL, &PROBE_READ_KERNEL_STR, &PROBE_READ_COMPAT,
    &PROBE_READ_COMPAT_STR, &PROBE_WRITE_USER, &TRACE_PRINTK, &TRACE_VPRINTK, &SEQ_PRINTF,
    &SEQ_WRITE, &SEQ_PRINTF_BTF, &PERF_EVENT_READ, &PERF_EVENT_READ_VALUE, &PERF_EVENT_OUTPUT,
    &PERF_EVENT_OUTPUT_TP, &PERF_EVENT_OUTPUT_RAW_TP, &GET_CURRENT_TASK, &GET_CURRENT_TASK_BTF,
    &TASK_PT_REGS, &SEND_SIGNAL, &SEND_SIGNAL_THREAD, &D_PATH, &SNPRINTF_BTF, &GET_FUNC_IP_TRACING,
    &GET_FUNC_IP_KPROBE, &GET_FUNC_IP_KPROBE_MULTI, &GET_FUNC_IP_UPROBE_MULTI,
    &GET_ATTACH_COOKIE_KMULTI, &GET_ATTACH_COOKIE_UMULTI, &GET_ATTACH_COOKIE_TRACE,
    &GET_ATTACH_COOKIE_PE, &GET_ATTACH_COOKIE_TRACING, &GET_BRANCH_SNAPSHOT, &GET_FUNC_ARG,
    &GET_FUNC_RET, &GET_FUNC_ARG_CNT, &GET_STACKID_TP, &GET_STACK_TP, &PERF_PROG_READ_VALUE,
    &READ_BRANCH_RECORDS, &GET_STACKID_RAW_TP, &GET_STACK_RAW_TP, &SKB_STORE_BYTES,
    &SKB_LOAD_BYTES, &FLOW_DISSECTOR_LOAD_BYTES, &SKB_LOAD_BYTES_RELATIVE, &SKB_PULL_DATA,
    &SK_SKB_PULL_DATA, &SK_FULLSOCK, &L3_CSUM_REPLACE, &L4_CSUM_REPLACE, &CSUM_DIFF, &CSUM_UPDATE,
    &CSUM_LEVEL, &CLONE_REDIRECT, &REDIRECT, &REDIRECT_PEER, &REDIRECT_NEIGH, &MSG_APPLY_BYTES,
    &MSG_CORK_BYTES, &MSG_PULL_DATA, &MSG_PUSH_DATA, &MSG_POP_DATA, &GET_CGROUP_CLASSID_CURR,
    &SKB_CGROUP_CLASSID, &GET_CGROUP_CLASSID, &GET_ROUTE_REALM, &GET_HASH_RECALC,
    &SET_HASH_INVALID, &SET_HASH, &SKB_VLAN_PUSH, &SKB_VLAN_POP, &SKB_CHANGE_PROTO,
    &SKB_CHANGE_TYPE, &SK_SKB_ADJUST_ROOM, &SKB_ADJUST_ROOM, &SKB_CHANGE_TAIL, &SK_SKB_CHANGE_TAIL,
    &SKB_CHANGE_HEAD, &SK_SKB_CHANGE_HEAD, &XDP_GET_BUFF_LEN, &XDP_GET_BUFF_LEN_TRACE,
    &XDP_ADJUST_HEAD, &XDP_LOAD_BYTES, &XDP_STORE_BYTES, &XDP_ADJUST_TAIL, &XDP_ADJUST_META,
    &XDP_REDIRECT, &XDP_REDIRECT_MAP, &SKB_EVENT_OUTPUT, &SKB_OUTPUT, &SKB_GET_TUNNEL_KEY,
    &SKB_GET_TUNNEL_OPT, &SKB_SET_TUNNEL_KEY, &SKB_SET_TUNNEL_OPT, &SKB_UNDER_CGROUP,
    &SKB_CGROUP_ID, &SKB_ANCESTOR_CGROUP_ID, &SK_CGROUP_ID, &SK_ANCESTOR_CGROUP_ID,
    &XDP_EVENT_OUTPUT, &XDP_OUTPUT, &GET_SOCKET_COOKIE, &GET_SOCKET_COOKIE_SOCK_ADDR,
    &GET_SOCKET_COOKIE_SOCK, &GET_SOCKET_PTR_COOKIE, &GET_SOCKET_COOKIE_SOCK_OPS,
    &GET_NETNS_COOKIE_SOCK, &GET_NETNS_COOKIE_SOCK_ADDR, &GET_NETNS_COOKIE_SOCK_OPS,
    &GET_NETNS_COOKIE_SK_MSG, &GET_NETNS_COOKIE, &GET_SOCKET_UID, &SK_SETSOCKOPT, &SK_GETSOCKOPT,
    &UNLOCKED_SK_SETSOCKOPT, &UNLOCKED_SK_GETSOCKOPT, &SOCK_ADDR_SETSOCKOPT, &SOCK_ADDR_GETSOCKOPT,
    &SOCK_OPS_SETSOCKOPT, &SOCK_OPS_GETSOCKOPT, &SOCK_OPS_CB_FLAGS_SET, &BIND, &SKB_GET_XFRM_STATE,
    &XDP_FIB_LOOKUP, &SKB_FIB_LOOKUP, &SKB_CHECK_MTU, &XDP_CHECK_MTU, &LWT_IN_PUSH_ENCAP,
    &LWT_XMIT_PUSH_ENCAP, &LWT_SEG6_STORE_BYTES, &LWT_SEG6_ACTION, &LWT_SEG6_ADJUST_SRH,
    &SKC_LOOKUP_TCP, &SK_LOOKUP_TCP, &SK_LOOKUP_UDP, &TC_SKC_LOOKUP_TCP, &TC_SK_LOOKUP_TCP,
    &TC_SK_LOOKUP_UDP, &SK_RELEASE, &XDP_SK_LOOKUP_UDP, &XDP_SKC_LOOKUP_TCP, &XDP_SK_LOOKUP_TCP,
    &SOCK_ADDR_SKC_LOOKUP_TCP, &SOCK_ADDR_SK_LOOKUP_TCP, &SOCK_ADDR_SK_LOOKUP_UDP, &TCP_SOCK,
    &GET_LISTENER_SOCK, &SKB_ECN_SET_CE, &TCP_CHECK_SYNCOOKIE, &TCP_GEN_SYNCOOKIE, &SK_ASSIGN,
    &SOCK_OPS_LOAD_HDR_OPT, &SOCK_OPS_STORE_HDR_OPT, &SOCK_OPS_RESERVE_HDR_OPT, &SKB_SET_TSTAMP,
    &TCP_RAW_GEN_SYNCOOKIE_IPV4, &TCP_RAW_GEN_SYNCOOKIE_IPV6, &TCP_RAW_CHECK_SYNCOOKIE_IPV4,
    &TCP_RAW_CHECK_SYNCOOKIE_IPV6, &SK_SELECT_REUSEPORT, &SK_REUSEPORT_LOAD_BYTES,
    &SK_REUSEPORT_LOAD_BYTES_RELATIVE, &SK_LOOKUP_ASSIGN, &SKC_TO_TCP6_SOCK, &SKC_TO_TCP_SOCK,
    &SKC_TO_TCP_TIMEWAIT_SOCK, &SKC_TO_TCP_REQUEST_SOCK, &SKC_TO_UDP6_SOCK, &SKC_TO_UNIX_SOCK,
    &SKC_TO_MPTCP_SOCK, &SOCK_FROM_FILE, &SOCK_MAP_UPDATE, &SOCK_HASH_UPDATE, &SK_REDIRECT_MAP,
    &SK_REDIRECT_HASH, &MSG_REDIRECT_MAP, &MSG_REDIRECT_HASH, &SK_STORAGE_GET,
    &SK_STORAGE_GET_CG_SOCK, &SK_STORAGE_DELETE, &SK_STORAGE_GET_TRACING,
    &SK_STORAGE_DELETE_TRACING, &TCP_SEND_ACK,
];

/// Every prototype variant of every helper (the kernel's `bpf_func_proto` variables).
pub fn all_protos() -> impl Iterator<Item = &'static HelperProto> {
    ALL_PROTOS.iter().copied()
}

/// The prototype variants of helper `id`.
pub fn variants(id: u32) -> impl Iterator<Item = &'static HelperProto> {
    all_protos().filter(move |p| p.func_id() == id)
}

// ---------------------------------------------------------------------------------------------
// Availability: the kernel's `get_func_proto` callbacks, one function each, same structure.

/// What the kernel's `*_func_proto(func_id, prog)` functions look at in a program.
///
/// The attach target ([`ProgSpec::attach_func`]) matters to `tracing` and `lsm` programs
/// only: an iterator's target adds helpers (`bpf_iter_tcp`: `bpf_setsockopt` and
/// `bpf_getsockopt`), `lsm_cgroup` socket hooks get the socket options, and the `bpf_d_path`
/// and tracing `bpf_sk_storage_*` prototypes check the traced function. Not modelled:
/// - `struct_ops` and `ext` programs get no helpers here (theirs come from the struct_ops
///   type or from the program they extend);
/// - which LSM hooks are sleepable (`bpf_d_path` and `bpf_ima_*_hash` in LSM programs: their
///   [`AllowedHook`] answers `None`), and tracing programs attached to another BPF program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProgSpec<'a> {
    pub prog_type: ProgType,
    /// `expected_attach_type` as passed to `BPF_PROG_LOAD` (`None` = 0).
    pub expected_attach_type: Option<u32>,
    /// Loaded with `BPF_F_SLEEPABLE`.
    pub sleepable: bool,
    /// The attach target by its name in the kernel's BTF, where the program has one: the
    /// traced function (`vfs_read`), the LSM hook (`bpf_lsm_file_open`), the iterator
    /// (`bpf_iter_tcp`), the tracepoint (`btf_trace_sched_switch`).
    pub attach_func: Option<&'a str>,
}

impl ProgSpec<'static> {
    pub fn new(prog_type: ProgType, expected_attach_type: Option<u32>) -> ProgSpec<'static> {
        ProgSpec {
            prog_type,
            expected_attach_type,
            sleepable: false,
            attach_func: None,
        }
    }
}

impl<'a> ProgSpec<'a> {
    /// This program, loaded with `BPF_F_SLEEPABLE` or without.
    pub fn with_sleepable(self, sleepable: bool) -> ProgSpec<'a> {
        ProgSpec { sleepable, ..self }
    }

    /// This program, attached to `name` (its name in the kernel's BTF).
    pub fn with_attach_func<'b>(self, name: &'b str) -> ProgSpec<'b> {
        ProgSpec {
            prog_type: self.prog_type,
            expected_attach_type: self.expected_attach_type,
            sleepable: self.sleepable,
            attach_func: Some(name),
        }
    }

    /// The attach type the kernel works with: the one given, with
    /// `bpf_prog_load_fixup_attach_type`'s defaults (`cgroup_sock` without one is
    /// `inet_sock_create`, `sk_reuseport` is `select`).
    pub fn attach_type(&self) -> u32 {
        match (self.prog_type, self.expected_attach_type.unwrap_or(0)) {
            (ProgType::CgroupSock, 0) => A::CGROUP_INET_SOCK_CREATE,
            (ProgType::SkReuseport, 0) => A::SK_REUSEPORT_SELECT,
            (_, t) => t,
        }
    }

    fn eat(&self) -> u32 {
        self.attach_type()
    }

    /// The kernel's `bpf_prog_has_trampoline`.
    fn has_trampoline(&self) -> bool {
        let t = self.eat();
        (self.prog_type == ProgType::Tracing
            && matches!(t, A::TRACE_FENTRY | A::TRACE_FEXIT | A::MODIFY_RETURN))
            || (self.prog_type == ProgType::Lsm && t == A::LSM_MAC)
    }

    /// The kernel's `bpf_prog_check_recur`: whether the program may recurse into the task
    /// storage helpers (then it gets their `_recur` variants).
    fn check_recur(&self) -> bool {
        match self.prog_type {
            ProgType::Tracing => self.eat() != A::TRACE_ITER,
            ProgType::StructOps | ProgType::Lsm => false,
            _ => true,
        }
    }
}

type Proto = Option<&'static HelperProto>;

/// The prototype the kernel gives program `prog` for helper `id` (the kernel's
/// `env->ops->get_func_proto(func_id, prog)`), or `None` where it refuses the helper
/// (`program of this type cannot use helper ...`).
pub fn proto_for(id: u32, prog: &ProgSpec<'_>) -> Proto {
    let h = HelperId::from_u32(id)?;
    let p = prog;
    match prog.prog_type {
        ProgType::SocketFilter => sk_filter_func_proto(h, p),
        ProgType::Kprobe => kprobe_prog_func_proto(h, p),
        ProgType::SchedCls | ProgType::SchedAct => tc_cls_act_func_proto(h, p),
        ProgType::Tracepoint => tp_prog_func_proto(h, p),
        ProgType::Xdp => xdp_func_proto(h, p),
        ProgType::PerfEvent => pe_prog_func_proto(h, p),
        ProgType::CgroupSkb => cg_skb_func_proto(h, p),
        ProgType::CgroupSock => sock_filter_func_proto(h, p),
        ProgType::LwtIn => lwt_in_func_proto(h, p),
        ProgType::LwtOut => lwt_out_func_proto(h, p),
        ProgType::LwtXmit => lwt_xmit_func_proto(h, p),
        ProgType::LwtSeg6local => lwt_seg6local_func_proto(h, p),
        ProgType::SockOps => sock_ops_func_proto(h, p),
        ProgType::SkSkb => sk_skb_func_proto(h, p),
        ProgType::CgroupDevice => cgroup_dev_func_proto(h, p),
        ProgType::SkMsg => sk_msg_func_proto(h, p),
        ProgType::RawTracepoint | ProgType::RawTracepointWritable => raw_tp_prog_func_proto(h, p),
        ProgType::CgroupSockAddr => sock_addr_func_proto(h, p),
        ProgType::LircMode2 => lirc_mode2_func_proto(h),
        ProgType::SkReuseport => sk_reuseport_func_proto(h, p),
        ProgType::FlowDissector => flow_dissector_func_proto(h, p),
        ProgType::CgroupSysctl => sysctl_func_proto(h, p),
        ProgType::CgroupSockopt => cg_sockopt_func_proto(h, p),
        ProgType::Tracing => tracing_prog_func_proto(h, p),
        ProgType::Lsm => bpf_lsm_func_proto(h, p),
        ProgType::SkLookup => sk_lookup_func_proto(h, p),
        ProgType::Syscall => syscall_prog_func_proto(h, p),
        ProgType::Netfilter => bpf_base_func_proto(h, p),
        ProgType::Unspec | ProgType::StructOps | ProgType::Ext => None,
    }
}

/// Whether a program of type `prog_type` (loaded with `expected_attach_type`, not sleepable)
/// may call helper `id`, as the running kernel decides.
pub fn allowed(id: u32, prog_type: ProgType, expected_attach_type: Option<u32>) -> bool {
    proto_for(id, &ProgSpec::new(prog_type, expected_attach_type)).is_some()
}

/// The canonical prototype of helper `id`: the kernel's plain `bpf_<name>_proto` where the
/// helper has several (`bpf_perf_event_output_proto` for `bpf_perf_event_output`,
/// `bpf_sk_lookup_tcp_proto` for `bpf_sk_lookup_tcp`, `bpf_task_storage_get_proto` for
/// `bpf_task_storage_get`). The variant a given program gets is [`proto_for`]'s answer.
pub fn proto(id: u32) -> Option<&'static HelperProto> {
    HelperId::from_u32(id).map(canonical)
}

/// Every helper's canonical prototype (an exhaustive match: every id has one).
fn canonical(h: HelperId) -> &'static HelperProto {
    match h {
        H::MapLookupElem => &MAP_LOOKUP_ELEM,
        H::MapUpdateElem => &MAP_UPDATE_ELEM,
        H::MapDeleteElem => &MAP_DELETE_ELEM,
        H::ProbeRead => &PROBE_READ_COMPAT,
        H::KtimeGetNs => &KTIME_GET_NS,
        H::TracePrintk => &TRACE_PRINTK,
        H::GetPrandomU32 => &GET_PRANDOM_U32,
        H::GetSmpProcessorId => &GET_SMP_PROCESSOR_ID,
        H::SkbStoreBytes => &SKB_STORE_BYTES,
        H::L3CsumReplace => &L3_CSUM_REPLACE,
        H::L4CsumReplace => &L4_CSUM_REPLACE,
        H::TailCall => &TAIL_CALL,
        H::CloneRedirect => &CLONE_REDIRECT,
        H::GetCurrentPidTgid => &GET_CURRENT_PID_TGID,
        H::GetCurrentUidGid => &GET_CURRENT_UID_GID,
        H::GetCurrentComm => &GET_CURRENT_COMM,
        H::GetCgroupClassid => &GET_CGROUP_CLASSID,
        H::SkbVlanPush => &SKB_VLAN_PUSH,
        H::SkbVlanPop => &SKB_VLAN_POP,
        H::SkbGetTunnelKey => &SKB_GET_TUNNEL_KEY,
        H::SkbSetTunnelKey => &SKB_SET_TUNNEL_KEY,
        H::PerfEventRead => &PERF_EVENT_READ,
        H::Redirect => &REDIRECT,
        H::GetRouteRealm => &GET_ROUTE_REALM,
        H::PerfEventOutput => &PERF_EVENT_OUTPUT,
        H::SkbLoadBytes => &SKB_LOAD_BYTES,
        H::GetStackid => &GET_STACKID,
        H::CsumDiff => &CSUM_DIFF,
        H::SkbGetTunnelOpt => &SKB_GET_TUNNEL_OPT,
        H::SkbSetTunnelOpt => &SKB_SET_TUNNEL_OPT,
        H::SkbChangeProto => &SKB_CHANGE_PROTO,
        H::SkbChangeType => &SKB_CHANGE_TYPE,
        H::SkbUnderCgroup => &SKB_UNDER_CGROUP,
        H::GetHashRecalc => &GET_HASH_RECALC,
        H::GetCurrentTask => &GET_CURRENT_TASK,
        H::ProbeWriteUser => &PROBE_WRITE_USER,
        H::CurrentTaskUnderCgroup => &CURRENT_TASK_UNDER_CGROUP,
        H::SkbChangeTail => &SKB_CHANGE_TAIL,
        H::SkbPullData => &SKB_PULL_DATA,
        H::CsumUpdate => &CSUM_UPDATE,
        H::SetHashInvalid => &SET_HASH_INVALID,
        H::GetNumaNodeId => &GET_NUMA_NODE_ID,
        H::SkbChangeHead => &SKB_CHANGE_HEAD,
        H::XdpAdjustHead => &XDP_ADJUST_HEAD,
        H::ProbeReadStr => &PROBE_READ_COMPAT_STR,
        H::GetSocketCookie => &GET_SOCKET_COOKIE,
        H::GetSocketUid => &GET_SOCKET_UID,
        H::SetHash => &SET_HASH,
        H::Setsockopt => &SK_SETSOCKOPT,
        H::SkbAdjustRoom => &SKB_ADJUST_ROOM,
        H::RedirectMap => &XDP_REDIRECT_MAP,
        H::SkRedirectMap => &SK_REDIRECT_MAP,
        H::SockMapUpdate => &SOCK_MAP_UPDATE,
        H::XdpAdjustMeta => &XDP_ADJUST_META,
        H::PerfEventReadValue => &PERF_EVENT_READ_VALUE,
        H::PerfProgReadValue => &PERF_PROG_READ_VALUE,
        H::Getsockopt => &SK_GETSOCKOPT,
        H::OverrideReturn => &OVERRIDE_RETURN,
        H::SockOpsCbFlagsSet => &SOCK_OPS_CB_FLAGS_SET,
        H::MsgRedirectMap => &MSG_REDIRECT_MAP,
        H::MsgApplyBytes => &MSG_APPLY_BYTES,
        H::MsgCorkBytes => &MSG_CORK_BYTES,
        H::MsgPullData => &MSG_PULL_DATA,
        H::Bind => &BIND,
        H::XdpAdjustTail => &XDP_ADJUST_TAIL,
        H::SkbGetXfrmState => &SKB_GET_XFRM_STATE,
        H::GetStack => &GET_STACK,
        H::SkbLoadBytesRelative => &SKB_LOAD_BYTES_RELATIVE,
        H::FibLookup => &SKB_FIB_LOOKUP,
        H::SockHashUpdate => &SOCK_HASH_UPDATE,
        H::MsgRedirectHash => &MSG_REDIRECT_HASH,
        H::SkRedirectHash => &SK_REDIRECT_HASH,
        H::LwtPushEncap => &LWT_IN_PUSH_ENCAP,
        H::LwtSeg6StoreBytes => &LWT_SEG6_STORE_BYTES,
        H::LwtSeg6AdjustSrh => &LWT_SEG6_ADJUST_SRH,
        H::LwtSeg6Action => &LWT_SEG6_ACTION,
        H::RcRepeat => &RC_REPEAT,
        H::RcKeydown => &RC_KEYDOWN,
        H::SkbCgroupId => &SKB_CGROUP_ID,
        H::GetCurrentCgroupId => &GET_CURRENT_CGROUP_ID,
        H::GetLocalStorage => &GET_LOCAL_STORAGE,
        H::SkSelectReuseport => &SK_SELECT_REUSEPORT,
        H::SkbAncestorCgroupId => &SKB_ANCESTOR_CGROUP_ID,
        H::SkLookupTcp => &SK_LOOKUP_TCP,
        H::SkLookupUdp => &SK_LOOKUP_UDP,
        H::SkRelease => &SK_RELEASE,
        H::MapPushElem => &MAP_PUSH_ELEM,
        H::MapPopElem => &MAP_POP_ELEM,
        H::MapPeekElem => &MAP_PEEK_ELEM,
        H::MsgPushData => &MSG_PUSH_DATA,
        H::MsgPopData => &MSG_POP_DATA,
        H::RcPointerRel => &RC_POINTER_REL,
        H::SpinLock => &SPIN_LOCK,
        H::SpinUnlock => &SPIN_UNLOCK,
        H::SkFullsock => &SK_FULLSOCK,
        H::TcpSock => &TCP_SOCK,
        H::SkbEcnSetCe => &SKB_ECN_SET_CE,
        H::GetListenerSock => &GET_LISTENER_SOCK,
        H::SkcLookupTcp => &SKC_LOOKUP_TCP,
        H::TcpCheckSyncookie => &TCP_CHECK_SYNCOOKIE,
        H::SysctlGetName => &SYSCTL_GET_NAME,
        H::SysctlGetCurrentValue => &SYSCTL_GET_CURRENT_VALUE,
        H::SysctlGetNewValue => &SYSCTL_GET_NEW_VALUE,
        H::SysctlSetNewValue => &SYSCTL_SET_NEW_VALUE,
        H::Strtol => &STRTOL,
        H::Strtoul => &STRTOUL,
        H::SkStorageGet => &SK_STORAGE_GET,
        H::SkStorageDelete => &SK_STORAGE_DELETE,
        H::SendSignal => &SEND_SIGNAL,
        H::TcpGenSyncookie => &TCP_GEN_SYNCOOKIE,
        H::SkbOutput => &SKB_OUTPUT,
        H::ProbeReadUser => &PROBE_READ_USER,
        H::ProbeReadKernel => &PROBE_READ_KERNEL,
        H::ProbeReadUserStr => &PROBE_READ_USER_STR,
        H::ProbeReadKernelStr => &PROBE_READ_KERNEL_STR,
        H::TcpSendAck => &TCP_SEND_ACK,
        H::SendSignalThread => &SEND_SIGNAL_THREAD,
        H::Jiffies64 => &JIFFIES64,
        H::ReadBranchRecords => &READ_BRANCH_RECORDS,
        H::GetNsCurrentPidTgid => &GET_NS_CURRENT_PID_TGID,
        H::XdpOutput => &XDP_OUTPUT,
        H::GetNetnsCookie => &GET_NETNS_COOKIE_SOCK,
        H::GetCurrentAncestorCgroupId => &GET_CURRENT_ANCESTOR_CGROUP_ID,
        H::SkAssign => &SK_ASSIGN,
        H::KtimeGetBootNs => &KTIME_GET_BOOT_NS,
        H::SeqPrintf => &SEQ_PRINTF,
        H::SeqWrite => &SEQ_WRITE,
        H::SkCgroupId => &SK_CGROUP_ID,
        H::SkAncestorCgroupId => &SK_ANCESTOR_CGROUP_ID,
        H::RingbufOutput => &RINGBUF_OUTPUT,
        H::RingbufReserve => &RINGBUF_RESERVE,
        H::RingbufSubmit => &RINGBUF_SUBMIT,
        H::RingbufDiscard => &RINGBUF_DISCARD,
        H::RingbufQuery => &RINGBUF_QUERY,
        H::CsumLevel => &CSUM_LEVEL,
        H::SkcToTcp6Sock => &SKC_TO_TCP6_SOCK,
        H::SkcToTcpSock => &SKC_TO_TCP_SOCK,
        H::SkcToTcpTimewaitSock => &SKC_TO_TCP_TIMEWAIT_SOCK,
        H::SkcToTcpRequestSock => &SKC_TO_TCP_REQUEST_SOCK,
        H::SkcToUdp6Sock => &SKC_TO_UDP6_SOCK,
        H::GetTaskStack => &GET_TASK_STACK,
        H::LoadHdrOpt => &SOCK_OPS_LOAD_HDR_OPT,
        H::StoreHdrOpt => &SOCK_OPS_STORE_HDR_OPT,
        H::ReserveHdrOpt => &SOCK_OPS_RESERVE_HDR_OPT,
        H::InodeStorageGet => &INODE_STORAGE_GET,
        H::InodeStorageDelete => &INODE_STORAGE_DELETE,
        H::DPath => &D_PATH,
        H::CopyFromUser => &COPY_FROM_USER,
        H::SnprintfBtf => &SNPRINTF_BTF,
        H::SeqPrintfBtf => &SEQ_PRINTF_BTF,
        H::SkbCgroupClassid => &SKB_CGROUP_CLASSID,
        H::RedirectNeigh => &REDIRECT_NEIGH,
        H::PerCpuPtr => &PER_CPU_PTR,
        H::ThisCpuPtr => &THIS_CPU_PTR,
        H::RedirectPeer => &REDIRECT_PEER,
        H::TaskStorageGet => &TASK_STORAGE_GET,
        H::TaskStorageDelete => &TASK_STORAGE_DELETE,
        H::GetCurrentTaskBtf => &GET_CURRENT_TASK_BTF,
        H::BprmOptsSet => &BPRM_OPTS_SET,
        H::KtimeGetCoarseNs => &KTIME_GET_COARSE_NS,
        H::ImaInodeHash => &IMA_INODE_HASH,
        H::SockFromFile => &SOCK_FROM_FILE,
        H::CheckMtu => &SKB_CHECK_MTU,
        H::ForEachMapElem => &FOR_EACH_MAP_ELEM,
        H::Snprintf => &SNPRINTF,
        H::SysBpf => &SYS_BPF,
        H::BtfFindByNameKind => &BTF_FIND_BY_NAME_KIND,
        H::SysClose => &SYS_CLOSE,
        H::TimerInit => &TIMER_INIT,
        H::TimerSetCallback => &TIMER_SET_CALLBACK,
        H::TimerStart => &TIMER_START,
        H::TimerCancel => &TIMER_CANCEL,
        H::GetFuncIp => &GET_FUNC_IP_TRACING,
        H::GetAttachCookie => &GET_ATTACH_COOKIE_TRACE,
        H::TaskPtRegs => &TASK_PT_REGS,
        H::GetBranchSnapshot => &GET_BRANCH_SNAPSHOT,
        H::TraceVprintk => &TRACE_VPRINTK,
        H::SkcToUnixSock => &SKC_TO_UNIX_SOCK,
        H::KallsymsLookupName => &KALLSYMS_LOOKUP_NAME,
        H::FindVma => &FIND_VMA,
        H::Loop => &LOOP,
        H::Strncmp => &STRNCMP,
        H::GetFuncArg => &GET_FUNC_ARG,
        H::GetFuncRet => &GET_FUNC_RET,
        H::GetFuncArgCnt => &GET_FUNC_ARG_CNT,
        H::GetRetval => &GET_RETVAL,
        H::SetRetval => &SET_RETVAL,
        H::XdpGetBuffLen => &XDP_GET_BUFF_LEN,
        H::XdpLoadBytes => &XDP_LOAD_BYTES,
        H::XdpStoreBytes => &XDP_STORE_BYTES,
        H::CopyFromUserTask => &COPY_FROM_USER_TASK,
        H::SkbSetTstamp => &SKB_SET_TSTAMP,
        H::ImaFileHash => &IMA_FILE_HASH,
        H::KptrXchg => &KPTR_XCHG,
        H::MapLookupPercpuElem => &MAP_LOOKUP_PERCPU_ELEM,
        H::SkcToMptcpSock => &SKC_TO_MPTCP_SOCK,
        H::DynptrFromMem => &DYNPTR_FROM_MEM,
        H::RingbufReserveDynptr => &RINGBUF_RESERVE_DYNPTR,
        H::RingbufSubmitDynptr => &RINGBUF_SUBMIT_DYNPTR,
        H::RingbufDiscardDynptr => &RINGBUF_DISCARD_DYNPTR,
        H::DynptrRead => &DYNPTR_READ,
        H::DynptrWrite => &DYNPTR_WRITE,
        H::DynptrData => &DYNPTR_DATA,
        H::TcpRawGenSyncookieIpv4 => &TCP_RAW_GEN_SYNCOOKIE_IPV4,
        H::TcpRawGenSyncookieIpv6 => &TCP_RAW_GEN_SYNCOOKIE_IPV6,
        H::TcpRawCheckSyncookieIpv4 => &TCP_RAW_CHECK_SYNCOOKIE_IPV4,
        H::TcpRawCheckSyncookieIpv6 => &TCP_RAW_CHECK_SYNCOOKIE_IPV6,
        H::KtimeGetTaiNs => &KTIME_GET_TAI_NS,
        H::UserRingbufDrain => &USER_RINGBUF_DRAIN,
        H::CgrpStorageGet => &CGRP_STORAGE_GET,
        H::CgrpStorageDelete => &CGRP_STORAGE_DELETE,
    }
}

/// The kernel's `bpf_base_func_proto` (kernel/bpf/helpers.c) for a privileged loader, with
/// 6.16's additions (the tracing helpers every program type gets).
fn bpf_base_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::MapLookupElem => &MAP_LOOKUP_ELEM,
        H::MapUpdateElem => &MAP_UPDATE_ELEM,
        H::MapDeleteElem => &MAP_DELETE_ELEM,
        H::MapPushElem => &MAP_PUSH_ELEM,
        H::MapPopElem => &MAP_POP_ELEM,
        H::MapPeekElem => &MAP_PEEK_ELEM,
        H::MapLookupPercpuElem => &MAP_LOOKUP_PERCPU_ELEM,
        H::GetPrandomU32 => &GET_PRANDOM_U32,
        H::GetSmpProcessorId => &GET_RAW_SMP_PROCESSOR_ID,
        H::GetNumaNodeId => &GET_NUMA_NODE_ID,
        H::TailCall => &TAIL_CALL,
        H::KtimeGetNs => &KTIME_GET_NS,
        H::KtimeGetBootNs => &KTIME_GET_BOOT_NS,
        H::KtimeGetTaiNs => &KTIME_GET_TAI_NS,
        H::RingbufOutput => &RINGBUF_OUTPUT,
        H::RingbufReserve => &RINGBUF_RESERVE,
        H::RingbufSubmit => &RINGBUF_SUBMIT,
        H::RingbufDiscard => &RINGBUF_DISCARD,
        H::RingbufQuery => &RINGBUF_QUERY,
        H::Strncmp => &STRNCMP,
        H::Strtol => &STRTOL,
        H::Strtoul => &STRTOUL,
        H::GetCurrentPidTgid => &GET_CURRENT_PID_TGID,
        H::GetNsCurrentPidTgid => &GET_NS_CURRENT_PID_TGID,
        // CAP_BPF
        H::SpinLock => &SPIN_LOCK,
        H::SpinUnlock => &SPIN_UNLOCK,
        H::Jiffies64 => &JIFFIES64,
        H::PerCpuPtr => &PER_CPU_PTR,
        H::ThisCpuPtr => &THIS_CPU_PTR,
        H::TimerInit => &TIMER_INIT,
        H::TimerSetCallback => &TIMER_SET_CALLBACK,
        H::TimerStart => &TIMER_START,
        H::TimerCancel => &TIMER_CANCEL,
        H::KptrXchg => &KPTR_XCHG,
        H::ForEachMapElem => &FOR_EACH_MAP_ELEM,
        H::Loop => &LOOP,
        H::UserRingbufDrain => &USER_RINGBUF_DRAIN,
        H::RingbufReserveDynptr => &RINGBUF_RESERVE_DYNPTR,
        H::RingbufSubmitDynptr => &RINGBUF_SUBMIT_DYNPTR,
        H::RingbufDiscardDynptr => &RINGBUF_DISCARD_DYNPTR,
        H::DynptrFromMem => &DYNPTR_FROM_MEM,
        H::DynptrRead => &DYNPTR_READ,
        H::DynptrWrite => &DYNPTR_WRITE,
        H::DynptrData => &DYNPTR_DATA,
        H::CgrpStorageGet => &CGRP_STORAGE_GET,
        H::CgrpStorageDelete => &CGRP_STORAGE_DELETE,
        H::GetCurrentCgroupId => &GET_CURRENT_CGROUP_ID,
        H::GetCurrentAncestorCgroupId => &GET_CURRENT_ANCESTOR_CGROUP_ID,
        // CAP_PERFMON
        H::TracePrintk => &TRACE_PRINTK,
        H::GetCurrentTask => &GET_CURRENT_TASK,
        H::GetCurrentTaskBtf => &GET_CURRENT_TASK_BTF,
        H::ProbeReadUser => &PROBE_READ_USER,
        H::ProbeReadKernel => &PROBE_READ_KERNEL,
        H::ProbeReadUserStr => &PROBE_READ_USER_STR,
        H::ProbeReadKernelStr => &PROBE_READ_KERNEL_STR,
        H::SnprintfBtf => &SNPRINTF_BTF,
        H::Snprintf => &SNPRINTF,
        H::TaskPtRegs => &TASK_PT_REGS,
        H::TraceVprintk => &TRACE_VPRINTK,
        // Linux 6.16: tracing helpers for every program type.
        H::GetCurrentUidGid => &GET_CURRENT_UID_GID,
        H::GetCurrentComm => &GET_CURRENT_COMM,
        H::GetCgroupClassid => &GET_CGROUP_CLASSID_CURR,
        H::PerfEventRead => &PERF_EVENT_READ,
        H::PerfEventReadValue => &PERF_EVENT_READ_VALUE,
        H::CurrentTaskUnderCgroup => &CURRENT_TASK_UNDER_CGROUP,
        H::SendSignal => &SEND_SIGNAL,
        H::SendSignalThread => &SEND_SIGNAL_THREAD,
        H::GetTaskStack => get_task_stack(p),
        H::CopyFromUser => &COPY_FROM_USER,
        H::CopyFromUserTask => &COPY_FROM_USER_TASK,
        H::TaskStorageGet => task_storage_get(p),
        H::TaskStorageDelete => task_storage_delete(p),
        H::GetBranchSnapshot => &GET_BRANCH_SNAPSHOT,
        H::FindVma => &FIND_VMA,
        _ => return None,
    })
}

fn get_task_stack(p: &ProgSpec<'_>) -> &'static HelperProto {
    if p.sleepable {
        &GET_TASK_STACK_SLEEPABLE
    } else {
        &GET_TASK_STACK
    }
}

fn task_storage_get(p: &ProgSpec<'_>) -> &'static HelperProto {
    if p.check_recur() {
        &TASK_STORAGE_GET_RECUR
    } else {
        &TASK_STORAGE_GET
    }
}

fn task_storage_delete(p: &ProgSpec<'_>) -> &'static HelperProto {
    if p.check_recur() {
        &TASK_STORAGE_DELETE_RECUR
    } else {
        &TASK_STORAGE_DELETE
    }
}

/// The running kernel is locked down in integrity mode: `security_locked_down` refuses
/// `LOCKDOWN_BPF_WRITE_USER` and allows `LOCKDOWN_BPF_READ_KERNEL`.
const LOCKDOWN_WRITE_USER: bool = true;
const LOCKDOWN_READ_KERNEL: bool = false;
/// `CONFIG_BPF_KPROBE_OVERRIDE` is off in the running kernel.
const KPROBE_OVERRIDE: bool = false;

/// `bpf_tracing_func_proto` (kernel/trace/bpf_trace.c): what every tracing type shares.
fn bpf_tracing_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::MapLookupElem => &MAP_LOOKUP_ELEM,
        H::MapUpdateElem => &MAP_UPDATE_ELEM,
        H::MapDeleteElem => &MAP_DELETE_ELEM,
        H::MapPushElem => &MAP_PUSH_ELEM,
        H::MapPopElem => &MAP_POP_ELEM,
        H::MapPeekElem => &MAP_PEEK_ELEM,
        H::MapLookupPercpuElem => &MAP_LOOKUP_PERCPU_ELEM,
        H::KtimeGetNs => &KTIME_GET_NS,
        H::KtimeGetBootNs => &KTIME_GET_BOOT_NS,
        H::TailCall => &TAIL_CALL,
        H::GetCurrentTask => &GET_CURRENT_TASK,
        H::GetCurrentTaskBtf => &GET_CURRENT_TASK_BTF,
        H::TaskPtRegs => &TASK_PT_REGS,
        H::GetCurrentUidGid => &GET_CURRENT_UID_GID,
        H::GetCurrentComm => &GET_CURRENT_COMM,
        H::TracePrintk => &TRACE_PRINTK,
        H::GetSmpProcessorId => &GET_SMP_PROCESSOR_ID,
        H::GetNumaNodeId => &GET_NUMA_NODE_ID,
        H::PerfEventRead => &PERF_EVENT_READ,
        H::GetPrandomU32 => &GET_PRANDOM_U32,
        H::ProbeWriteUser if LOCKDOWN_WRITE_USER => return None,
        H::ProbeWriteUser => &PROBE_WRITE_USER,
        H::ProbeReadUser => &PROBE_READ_USER,
        H::ProbeReadUserStr => &PROBE_READ_USER_STR,
        H::ProbeReadKernel | H::ProbeReadKernelStr | H::ProbeRead | H::ProbeReadStr
            if LOCKDOWN_READ_KERNEL =>
        {
            return None;
        }
        H::ProbeReadKernel => &PROBE_READ_KERNEL,
        H::ProbeReadKernelStr => &PROBE_READ_KERNEL_STR,
        H::ProbeRead => &PROBE_READ_COMPAT,
        H::ProbeReadStr => &PROBE_READ_COMPAT_STR,
        H::CgrpStorageGet => &CGRP_STORAGE_GET,
        H::CgrpStorageDelete => &CGRP_STORAGE_DELETE,
        H::CurrentTaskUnderCgroup => &CURRENT_TASK_UNDER_CGROUP,
        H::SendSignal => &SEND_SIGNAL,
        H::SendSignalThread => &SEND_SIGNAL_THREAD,
        H::PerfEventReadValue => &PERF_EVENT_READ_VALUE,
        H::RingbufOutput => &RINGBUF_OUTPUT,
        H::RingbufReserve => &RINGBUF_RESERVE,
        H::RingbufSubmit => &RINGBUF_SUBMIT,
        H::RingbufDiscard => &RINGBUF_DISCARD,
        H::RingbufQuery => &RINGBUF_QUERY,
        H::Jiffies64 => &JIFFIES64,
        H::GetTaskStack => get_task_stack(p),
        H::CopyFromUser => &COPY_FROM_USER,
        H::CopyFromUserTask => &COPY_FROM_USER_TASK,
        H::SnprintfBtf => &SNPRINTF_BTF,
        H::PerCpuPtr => &PER_CPU_PTR,
        H::ThisCpuPtr => &THIS_CPU_PTR,
        H::TaskStorageGet => task_storage_get(p),
        H::TaskStorageDelete => task_storage_delete(p),
        H::ForEachMapElem => &FOR_EACH_MAP_ELEM,
        H::Snprintf => &SNPRINTF,
        H::GetFuncIp => &GET_FUNC_IP_TRACING,
        H::GetBranchSnapshot => &GET_BRANCH_SNAPSHOT,
        H::FindVma => &FIND_VMA,
        H::TraceVprintk => &TRACE_VPRINTK,
        _ => return bpf_base_func_proto(h, p),
    })
}

fn is_kprobe_multi(p: &ProgSpec<'_>) -> bool {
    matches!(p.eat(), A::TRACE_KPROBE_MULTI | A::TRACE_KPROBE_SESSION)
}

fn is_uprobe_multi(p: &ProgSpec<'_>) -> bool {
    matches!(p.eat(), A::TRACE_UPROBE_MULTI | A::TRACE_UPROBE_SESSION)
}

/// `kprobe_prog_func_proto`.
fn kprobe_prog_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::PerfEventOutput => &PERF_EVENT_OUTPUT,
        H::GetStackid => &GET_STACKID,
        H::GetStack if p.sleepable => &GET_STACK_SLEEPABLE,
        H::GetStack => &GET_STACK,
        H::OverrideReturn if KPROBE_OVERRIDE => &OVERRIDE_RETURN,
        H::OverrideReturn => return None,
        H::GetFuncIp if is_kprobe_multi(p) => &GET_FUNC_IP_KPROBE_MULTI,
        H::GetFuncIp if is_uprobe_multi(p) => &GET_FUNC_IP_UPROBE_MULTI,
        H::GetFuncIp => &GET_FUNC_IP_KPROBE,
        H::GetAttachCookie if is_kprobe_multi(p) => &GET_ATTACH_COOKIE_KMULTI,
        H::GetAttachCookie if is_uprobe_multi(p) => &GET_ATTACH_COOKIE_UMULTI,
        H::GetAttachCookie => &GET_ATTACH_COOKIE_TRACE,
        _ => return bpf_tracing_func_proto(h, p),
    })
}

/// `tp_prog_func_proto`.
fn tp_prog_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::PerfEventOutput => &PERF_EVENT_OUTPUT_TP,
        H::GetStackid => &GET_STACKID_TP,
        H::GetStack => &GET_STACK_TP,
        H::GetAttachCookie => &GET_ATTACH_COOKIE_TRACE,
        _ => return bpf_tracing_func_proto(h, p),
    })
}

/// `pe_prog_func_proto`.
fn pe_prog_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::PerfEventOutput => &PERF_EVENT_OUTPUT_TP,
        H::GetStackid => &GET_STACKID_PE,
        H::GetStack => &GET_STACK_PE,
        H::PerfProgReadValue => &PERF_PROG_READ_VALUE,
        H::ReadBranchRecords => &READ_BRANCH_RECORDS,
        H::GetAttachCookie => &GET_ATTACH_COOKIE_PE,
        _ => return bpf_tracing_func_proto(h, p),
    })
}

/// `raw_tp_prog_func_proto` (raw tracepoints, writable or not).
fn raw_tp_prog_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::PerfEventOutput => &PERF_EVENT_OUTPUT_RAW_TP,
        H::GetStackid => &GET_STACKID_RAW_TP,
        H::GetStack => &GET_STACK_RAW_TP,
        H::GetAttachCookie => &GET_ATTACH_COOKIE_TRACING,
        _ => return bpf_tracing_func_proto(h, p),
    })
}

/// `tracing_prog_func_proto` (fentry/fexit/fmod_ret, tp_btf, iter; also the fallback of
/// `lsm` and `syscall` programs).
fn tracing_prog_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    let iter = p.eat() == A::TRACE_ITER;
    Some(match h {
        H::SkbOutput => &SKB_OUTPUT,
        H::XdpOutput => &XDP_OUTPUT,
        H::SkcToTcp6Sock => &SKC_TO_TCP6_SOCK,
        H::SkcToTcpSock => &SKC_TO_TCP_SOCK,
        H::SkcToTcpTimewaitSock => &SKC_TO_TCP_TIMEWAIT_SOCK,
        H::SkcToTcpRequestSock => &SKC_TO_TCP_REQUEST_SOCK,
        H::SkcToUdp6Sock => &SKC_TO_UDP6_SOCK,
        H::SkcToUnixSock => &SKC_TO_UNIX_SOCK,
        H::SkcToMptcpSock => &SKC_TO_MPTCP_SOCK,
        H::SkStorageGet => &SK_STORAGE_GET_TRACING,
        H::SkStorageDelete => &SK_STORAGE_DELETE_TRACING,
        H::SockFromFile => &SOCK_FROM_FILE,
        H::GetSocketCookie => &GET_SOCKET_PTR_COOKIE,
        H::XdpGetBuffLen => &XDP_GET_BUFF_LEN_TRACE,
        H::SeqPrintf if iter => &SEQ_PRINTF,
        H::SeqWrite if iter => &SEQ_WRITE,
        H::SeqPrintfBtf if iter => &SEQ_PRINTF_BTF,
        H::SeqPrintf | H::SeqWrite | H::SeqPrintfBtf => return None,
        H::DPath => &D_PATH,
        H::GetFuncArg if p.has_trampoline() => &GET_FUNC_ARG,
        H::GetFuncRet if p.has_trampoline() => &GET_FUNC_RET,
        H::GetFuncArgCnt if p.has_trampoline() => &GET_FUNC_ARG_CNT,
        H::GetFuncArg | H::GetFuncRet | H::GetFuncArgCnt => return None,
        H::GetAttachCookie
            if (p.prog_type == ProgType::Tracing && p.eat() == A::TRACE_RAW_TP)
                || p.has_trampoline() =>
        {
            &GET_ATTACH_COOKIE_TRACING
        }
        H::GetAttachCookie => return None,
        _ => {
            return raw_tp_prog_func_proto(h, p).or_else(|| match iter {
                true => bpf_iter_get_func_proto(h, p),
                false => None,
            });
        }
    })
}

/// `bpf_iter_get_func_proto`: the helpers an iterator target adds (the TCP and Unix socket
/// iterators have the socket options).
fn bpf_iter_get_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    match (p.attach_func, h) {
        (Some("bpf_iter_tcp" | "bpf_iter_unix"), H::Setsockopt) => Some(&SK_SETSOCKOPT),
        (Some("bpf_iter_tcp" | "bpf_iter_unix"), H::Getsockopt) => Some(&SK_GETSOCKOPT),
        _ => None,
    }
}

/// `syscall_prog_func_proto` (kernel/bpf/syscall.c).
fn syscall_prog_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::SysBpf => &SYS_BPF,
        H::BtfFindByNameKind => &BTF_FIND_BY_NAME_KIND,
        H::SysClose => &SYS_CLOSE,
        H::KallsymsLookupName => &KALLSYMS_LOOKUP_NAME,
        _ => return tracing_prog_func_proto(h, p),
    })
}

/// `bpf_lsm_func_proto` (kernel/bpf/bpf_lsm.c).
fn bpf_lsm_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    if p.eat() == A::LSM_CGROUP
        && let Some(f) = cgroup_common_func_proto(h, p)
    {
        return Some(f);
    }
    Some(match h {
        H::InodeStorageGet => &INODE_STORAGE_GET,
        H::InodeStorageDelete => &INODE_STORAGE_DELETE,
        H::SkStorageGet => &SK_STORAGE_GET,
        H::SkStorageDelete => &SK_STORAGE_DELETE,
        H::SpinLock => &SPIN_LOCK,
        H::SpinUnlock => &SPIN_UNLOCK,
        H::BprmOptsSet => &BPRM_OPTS_SET,
        H::ImaInodeHash => &IMA_INODE_HASH,
        H::ImaFileHash => &IMA_FILE_HASH,
        H::GetAttachCookie if p.has_trampoline() => &GET_ATTACH_COOKIE_LSM,
        H::GetAttachCookie => return None,
        H::Setsockopt | H::Getsockopt if p.eat() != A::LSM_CGROUP => return None,
        H::Setsockopt | H::Getsockopt => {
            // `bpf_lsm_locked_sockopt_hooks` and `bpf_lsm_unlocked_sockopt_hooks`.
            let set = h == H::Setsockopt;
            return match p.attach_func {
                Some(
                    "bpf_lsm_sock_graft"
                    | "bpf_lsm_inet_csk_clone"
                    | "bpf_lsm_inet_conn_established",
                ) => Some(if set { &SK_SETSOCKOPT } else { &SK_GETSOCKOPT }),
                Some("bpf_lsm_socket_post_create" | "bpf_lsm_socket_socketpair") => Some(if set {
                    &UNLOCKED_SK_SETSOCKOPT
                } else {
                    &UNLOCKED_SK_GETSOCKOPT
                }),
                _ => None,
            };
        }
        _ => return tracing_prog_func_proto(h, p),
    })
}

/// `lirc_mode2_func_proto` (drivers/media/rc/bpf-lirc.c).
fn lirc_mode2_func_proto(h: HelperId) -> Proto {
    Some(match h {
        H::RcRepeat => &RC_REPEAT,
        H::RcKeydown => &RC_KEYDOWN,
        H::RcPointerRel => &RC_POINTER_REL,
        H::MapLookupElem => &MAP_LOOKUP_ELEM,
        H::MapUpdateElem => &MAP_UPDATE_ELEM,
        H::MapDeleteElem => &MAP_DELETE_ELEM,
        H::MapPushElem => &MAP_PUSH_ELEM,
        H::MapPopElem => &MAP_POP_ELEM,
        H::MapPeekElem => &MAP_PEEK_ELEM,
        H::KtimeGetNs => &KTIME_GET_NS,
        H::KtimeGetBootNs => &KTIME_GET_BOOT_NS,
        H::TailCall => &TAIL_CALL,
        H::GetPrandomU32 => &GET_PRANDOM_U32,
        H::TracePrintk => &TRACE_PRINTK,
        _ => return None,
    })
}

/// `cgroup_common_func_proto` (kernel/bpf/cgroup.c): what every cgroup hook shares.
fn cgroup_common_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    let no_retval = matches!(
        p.eat(),
        A::CGROUP_INET_INGRESS
            | A::CGROUP_INET_EGRESS
            | A::CGROUP_SOCK_OPS
            | A::CGROUP_UDP4_RECVMSG
            | A::CGROUP_UDP6_RECVMSG
            | A::CGROUP_UNIX_RECVMSG
            | A::CGROUP_INET4_GETPEERNAME
            | A::CGROUP_INET6_GETPEERNAME
            | A::CGROUP_UNIX_GETPEERNAME
            | A::CGROUP_INET4_GETSOCKNAME
            | A::CGROUP_INET6_GETSOCKNAME
            | A::CGROUP_UNIX_GETSOCKNAME
    );
    match h {
        H::GetLocalStorage => Some(&GET_LOCAL_STORAGE),
        H::GetRetval if !no_retval => Some(&GET_RETVAL),
        H::SetRetval if !no_retval => Some(&SET_RETVAL),
        _ => None,
    }
}

/// `cgroup_current_func_proto`: cgroup hooks that run in a process's context.
fn cgroup_current_func_proto(h: HelperId) -> Proto {
    Some(match h {
        H::GetCurrentUidGid => &GET_CURRENT_UID_GID,
        H::GetCurrentComm => &GET_CURRENT_COMM,
        H::GetCgroupClassid => &GET_CGROUP_CLASSID_CURR,
        H::CurrentTaskUnderCgroup => &CURRENT_TASK_UNDER_CGROUP,
        _ => return None,
    })
}

/// `cgroup_dev_func_proto`.
fn cgroup_dev_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    cgroup_common_func_proto(h, p)
        .or_else(|| cgroup_current_func_proto(h))
        .or_else(|| match h {
            H::PerfEventOutput => Some(&EVENT_OUTPUT_DATA),
            _ => bpf_base_func_proto(h, p),
        })
}

/// `sysctl_func_proto`.
fn sysctl_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    cgroup_common_func_proto(h, p)
        .or_else(|| cgroup_current_func_proto(h))
        .or_else(|| {
            Some(match h {
                H::SysctlGetName => &SYSCTL_GET_NAME,
                H::SysctlGetCurrentValue => &SYSCTL_GET_CURRENT_VALUE,
                H::SysctlGetNewValue => &SYSCTL_GET_NEW_VALUE,
                H::SysctlSetNewValue => &SYSCTL_SET_NEW_VALUE,
                H::KtimeGetCoarseNs => &KTIME_GET_COARSE_NS,
                H::PerfEventOutput => &EVENT_OUTPUT_DATA,
                _ => return bpf_base_func_proto(h, p),
            })
        })
}

/// `cg_sockopt_func_proto`.
fn cg_sockopt_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    let setsockopt = p.eat() == A::CGROUP_SETSOCKOPT;
    cgroup_common_func_proto(h, p)
        .or_else(|| cgroup_current_func_proto(h))
        .or_else(|| {
            Some(match h {
                H::GetNetnsCookie => &GET_NETNS_COOKIE_SOCKOPT,
                H::SkStorageGet => &SK_STORAGE_GET,
                H::SkStorageDelete => &SK_STORAGE_DELETE,
                H::Setsockopt if setsockopt => &SK_SETSOCKOPT,
                H::Getsockopt if setsockopt => &SK_GETSOCKOPT,
                H::Setsockopt | H::Getsockopt => return None,
                H::TcpSock => &TCP_SOCK,
                H::PerfEventOutput => &EVENT_OUTPUT_DATA,
                _ => return bpf_base_func_proto(h, p),
            })
        })
}

/// `bpf_sk_base_func_proto` (net/core/filter.c): the socket casts and the coarse clock on top
/// of `bpf_base_func_proto`.
fn bpf_sk_base_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::SkcToTcp6Sock => &SKC_TO_TCP6_SOCK,
        H::SkcToTcpSock => &SKC_TO_TCP_SOCK,
        H::SkcToTcpTimewaitSock => &SKC_TO_TCP_TIMEWAIT_SOCK,
        H::SkcToTcpRequestSock => &SKC_TO_TCP_REQUEST_SOCK,
        H::SkcToUdp6Sock => &SKC_TO_UDP6_SOCK,
        H::SkcToUnixSock => &SKC_TO_UNIX_SOCK,
        H::SkcToMptcpSock => &SKC_TO_MPTCP_SOCK,
        H::KtimeGetCoarseNs => &KTIME_GET_COARSE_NS,
        _ => return bpf_base_func_proto(h, p),
    })
}

/// `sock_filter_func_proto`: `cgroup_sock` programs.
fn sock_filter_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    cgroup_common_func_proto(h, p)
        .or_else(|| cgroup_current_func_proto(h))
        .or_else(|| {
            Some(match h {
                H::GetSocketCookie => &GET_SOCKET_COOKIE_SOCK,
                H::GetNetnsCookie => &GET_NETNS_COOKIE_SOCK,
                H::PerfEventOutput => &EVENT_OUTPUT_DATA,
                H::SkStorageGet => &SK_STORAGE_GET_CG_SOCK,
                H::KtimeGetCoarseNs => &KTIME_GET_COARSE_NS,
                _ => return bpf_base_func_proto(h, p),
            })
        })
}

/// `sock_addr_func_proto`: `cgroup_sock_addr` programs (bind, connect, sendmsg, ...).
fn sock_addr_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    let t = p.eat();
    let connect = matches!(t, A::CGROUP_INET4_CONNECT | A::CGROUP_INET6_CONNECT);
    let sockopt = matches!(
        t,
        A::CGROUP_INET4_BIND
            | A::CGROUP_INET6_BIND
            | A::CGROUP_INET4_CONNECT
            | A::CGROUP_INET6_CONNECT
            | A::CGROUP_UNIX_CONNECT
            | A::CGROUP_UDP4_RECVMSG
            | A::CGROUP_UDP6_RECVMSG
            | A::CGROUP_UNIX_RECVMSG
            | A::CGROUP_UDP4_SENDMSG
            | A::CGROUP_UDP6_SENDMSG
            | A::CGROUP_UNIX_SENDMSG
            | A::CGROUP_INET4_GETPEERNAME
            | A::CGROUP_INET6_GETPEERNAME
            | A::CGROUP_INET4_GETSOCKNAME
            | A::CGROUP_INET6_GETSOCKNAME
            | A::CGROUP_UNIX_GETPEERNAME
            | A::CGROUP_UNIX_GETSOCKNAME
    );
    cgroup_common_func_proto(h, p)
        .or_else(|| cgroup_current_func_proto(h))
        .or_else(|| {
            Some(match h {
                H::Bind if connect => &BIND,
                H::Bind => return None,
                H::GetSocketCookie => &GET_SOCKET_COOKIE_SOCK_ADDR,
                H::GetNetnsCookie => &GET_NETNS_COOKIE_SOCK_ADDR,
                H::PerfEventOutput => &EVENT_OUTPUT_DATA,
                H::SkLookupTcp => &SOCK_ADDR_SK_LOOKUP_TCP,
                H::SkLookupUdp => &SOCK_ADDR_SK_LOOKUP_UDP,
                H::SkRelease => &SK_RELEASE,
                H::SkcLookupTcp => &SOCK_ADDR_SKC_LOOKUP_TCP,
                H::SkStorageGet => &SK_STORAGE_GET,
                H::SkStorageDelete => &SK_STORAGE_DELETE,
                H::Setsockopt if sockopt => &SOCK_ADDR_SETSOCKOPT,
                H::Getsockopt if sockopt => &SOCK_ADDR_GETSOCKOPT,
                H::Setsockopt | H::Getsockopt => return None,
                _ => return bpf_sk_base_func_proto(h, p),
            })
        })
}

/// `sk_filter_func_proto`: socket filters, and the fallback of `cgroup_skb`.
fn sk_filter_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::SkbLoadBytes => &SKB_LOAD_BYTES,
        H::SkbLoadBytesRelative => &SKB_LOAD_BYTES_RELATIVE,
        H::GetSocketCookie => &GET_SOCKET_COOKIE,
        H::GetSocketUid => &GET_SOCKET_UID,
        H::PerfEventOutput => &SKB_EVENT_OUTPUT,
        H::GetNetnsCookie => &GET_NETNS_COOKIE,
        _ => return bpf_sk_base_func_proto(h, p),
    })
}

/// `cg_skb_func_proto`.
fn cg_skb_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    cgroup_common_func_proto(h, p).or_else(|| {
        Some(match h {
            H::SkFullsock => &SK_FULLSOCK,
            H::SkStorageGet => &SK_STORAGE_GET,
            H::SkStorageDelete => &SK_STORAGE_DELETE,
            H::PerfEventOutput => &SKB_EVENT_OUTPUT,
            H::SkbCgroupId => &SKB_CGROUP_ID,
            H::SkbAncestorCgroupId => &SKB_ANCESTOR_CGROUP_ID,
            H::SkCgroupId => &SK_CGROUP_ID,
            H::SkAncestorCgroupId => &SK_ANCESTOR_CGROUP_ID,
            H::SkLookupTcp => &SK_LOOKUP_TCP,
            H::SkLookupUdp => &SK_LOOKUP_UDP,
            H::SkRelease => &SK_RELEASE,
            H::SkcLookupTcp => &SKC_LOOKUP_TCP,
            H::TcpSock => &TCP_SOCK,
            H::GetListenerSock => &GET_LISTENER_SOCK,
            H::SkbEcnSetCe => &SKB_ECN_SET_CE,
            _ => return sk_filter_func_proto(h, p),
        })
    })
}

/// `tc_cls_act_func_proto`: `sched_cls` and `sched_act` programs.
fn tc_cls_act_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::SkbStoreBytes => &SKB_STORE_BYTES,
        H::SkbLoadBytes => &SKB_LOAD_BYTES,
        H::SkbLoadBytesRelative => &SKB_LOAD_BYTES_RELATIVE,
        H::SkbPullData => &SKB_PULL_DATA,
        H::CsumDiff => &CSUM_DIFF,
        H::CsumUpdate => &CSUM_UPDATE,
        H::CsumLevel => &CSUM_LEVEL,
        H::L3CsumReplace => &L3_CSUM_REPLACE,
        H::L4CsumReplace => &L4_CSUM_REPLACE,
        H::CloneRedirect => &CLONE_REDIRECT,
        H::GetCgroupClassid => &GET_CGROUP_CLASSID,
        H::SkbVlanPush => &SKB_VLAN_PUSH,
        H::SkbVlanPop => &SKB_VLAN_POP,
        H::SkbChangeProto => &SKB_CHANGE_PROTO,
        H::SkbChangeType => &SKB_CHANGE_TYPE,
        H::SkbAdjustRoom => &SKB_ADJUST_ROOM,
        H::SkbChangeTail => &SKB_CHANGE_TAIL,
        H::SkbChangeHead => &SKB_CHANGE_HEAD,
        H::SkbGetTunnelKey => &SKB_GET_TUNNEL_KEY,
        H::SkbSetTunnelKey => &SKB_SET_TUNNEL_KEY,
        H::SkbGetTunnelOpt => &SKB_GET_TUNNEL_OPT,
        H::SkbSetTunnelOpt => &SKB_SET_TUNNEL_OPT,
        H::Redirect => &REDIRECT,
        H::RedirectNeigh => &REDIRECT_NEIGH,
        H::RedirectPeer => &REDIRECT_PEER,
        H::GetRouteRealm => &GET_ROUTE_REALM,
        H::GetHashRecalc => &GET_HASH_RECALC,
        H::SetHashInvalid => &SET_HASH_INVALID,
        H::SetHash => &SET_HASH,
        H::PerfEventOutput => &SKB_EVENT_OUTPUT,
        H::GetSmpProcessorId => &GET_SMP_PROCESSOR_ID,
        H::SkbUnderCgroup => &SKB_UNDER_CGROUP,
        H::GetSocketCookie => &GET_SOCKET_COOKIE,
        H::GetSocketUid => &GET_SOCKET_UID,
        H::GetNetnsCookie => &GET_NETNS_COOKIE,
        H::FibLookup => &SKB_FIB_LOOKUP,
        H::CheckMtu => &SKB_CHECK_MTU,
        H::SkFullsock => &SK_FULLSOCK,
        H::SkStorageGet => &SK_STORAGE_GET,
        H::SkStorageDelete => &SK_STORAGE_DELETE,
        H::SkbGetXfrmState => &SKB_GET_XFRM_STATE,
        H::SkbCgroupClassid => &SKB_CGROUP_CLASSID,
        H::SkbCgroupId => &SKB_CGROUP_ID,
        H::SkbAncestorCgroupId => &SKB_ANCESTOR_CGROUP_ID,
        H::SkLookupTcp => &TC_SK_LOOKUP_TCP,
        H::SkLookupUdp => &TC_SK_LOOKUP_UDP,
        H::SkRelease => &SK_RELEASE,
        H::TcpSock => &TCP_SOCK,
        H::GetListenerSock => &GET_LISTENER_SOCK,
        H::SkcLookupTcp => &TC_SKC_LOOKUP_TCP,
        H::TcpCheckSyncookie => &TCP_CHECK_SYNCOOKIE,
        H::SkbEcnSetCe => &SKB_ECN_SET_CE,
        H::TcpGenSyncookie => &TCP_GEN_SYNCOOKIE,
        H::SkAssign => &SK_ASSIGN,
        H::SkbSetTstamp => &SKB_SET_TSTAMP,
        H::TcpRawGenSyncookieIpv4 => &TCP_RAW_GEN_SYNCOOKIE_IPV4,
        H::TcpRawGenSyncookieIpv6 => &TCP_RAW_GEN_SYNCOOKIE_IPV6,
        H::TcpRawCheckSyncookieIpv4 => &TCP_RAW_CHECK_SYNCOOKIE_IPV4,
        H::TcpRawCheckSyncookieIpv6 => &TCP_RAW_CHECK_SYNCOOKIE_IPV6,
        _ => return bpf_sk_base_func_proto(h, p),
    })
}

/// `xdp_func_proto`.
fn xdp_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::PerfEventOutput => &XDP_EVENT_OUTPUT,
        H::GetSmpProcessorId => &GET_SMP_PROCESSOR_ID,
        H::CsumDiff => &CSUM_DIFF,
        H::XdpAdjustHead => &XDP_ADJUST_HEAD,
        H::XdpAdjustMeta => &XDP_ADJUST_META,
        H::Redirect => &XDP_REDIRECT,
        H::RedirectMap => &XDP_REDIRECT_MAP,
        H::XdpAdjustTail => &XDP_ADJUST_TAIL,
        H::XdpGetBuffLen => &XDP_GET_BUFF_LEN,
        H::XdpLoadBytes => &XDP_LOAD_BYTES,
        H::XdpStoreBytes => &XDP_STORE_BYTES,
        H::FibLookup => &XDP_FIB_LOOKUP,
        H::CheckMtu => &XDP_CHECK_MTU,
        H::SkLookupUdp => &XDP_SK_LOOKUP_UDP,
        H::SkLookupTcp => &XDP_SK_LOOKUP_TCP,
        H::SkRelease => &SK_RELEASE,
        H::SkcLookupTcp => &XDP_SKC_LOOKUP_TCP,
        H::TcpCheckSyncookie => &TCP_CHECK_SYNCOOKIE,
        H::TcpGenSyncookie => &TCP_GEN_SYNCOOKIE,
        H::TcpRawGenSyncookieIpv4 => &TCP_RAW_GEN_SYNCOOKIE_IPV4,
        H::TcpRawGenSyncookieIpv6 => &TCP_RAW_GEN_SYNCOOKIE_IPV6,
        H::TcpRawCheckSyncookieIpv4 => &TCP_RAW_CHECK_SYNCOOKIE_IPV4,
        H::TcpRawCheckSyncookieIpv6 => &TCP_RAW_CHECK_SYNCOOKIE_IPV6,
        _ => return bpf_sk_base_func_proto(h, p),
    })
}

/// `sock_ops_func_proto`.
fn sock_ops_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    cgroup_common_func_proto(h, p).or_else(|| {
        Some(match h {
            H::Setsockopt => &SOCK_OPS_SETSOCKOPT,
            H::Getsockopt => &SOCK_OPS_GETSOCKOPT,
            H::SockOpsCbFlagsSet => &SOCK_OPS_CB_FLAGS_SET,
            H::SockMapUpdate => &SOCK_MAP_UPDATE,
            H::SockHashUpdate => &SOCK_HASH_UPDATE,
            H::GetSocketCookie => &GET_SOCKET_COOKIE_SOCK_OPS,
            H::PerfEventOutput => &EVENT_OUTPUT_DATA,
            H::SkStorageGet => &SK_STORAGE_GET,
            H::SkStorageDelete => &SK_STORAGE_DELETE,
            H::GetNetnsCookie => &GET_NETNS_COOKIE_SOCK_OPS,
            H::LoadHdrOpt => &SOCK_OPS_LOAD_HDR_OPT,
            H::StoreHdrOpt => &SOCK_OPS_STORE_HDR_OPT,
            H::ReserveHdrOpt => &SOCK_OPS_RESERVE_HDR_OPT,
            H::TcpSock => &TCP_SOCK,
            _ => return bpf_sk_base_func_proto(h, p),
        })
    })
}

/// `sk_msg_func_proto`.
fn sk_msg_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::MsgRedirectMap => &MSG_REDIRECT_MAP,
        H::MsgRedirectHash => &MSG_REDIRECT_HASH,
        H::MsgApplyBytes => &MSG_APPLY_BYTES,
        H::MsgCorkBytes => &MSG_CORK_BYTES,
        H::MsgPullData => &MSG_PULL_DATA,
        H::MsgPushData => &MSG_PUSH_DATA,
        H::MsgPopData => &MSG_POP_DATA,
        H::PerfEventOutput => &EVENT_OUTPUT_DATA,
        H::GetCurrentUidGid => &GET_CURRENT_UID_GID,
        H::SkStorageGet => &SK_STORAGE_GET,
        H::SkStorageDelete => &SK_STORAGE_DELETE,
        H::GetNetnsCookie => &GET_NETNS_COOKIE_SK_MSG,
        H::GetCgroupClassid => &GET_CGROUP_CLASSID_CURR,
        _ => return bpf_sk_base_func_proto(h, p),
    })
}

/// `sk_skb_func_proto`.
fn sk_skb_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::SkbStoreBytes => &SKB_STORE_BYTES,
        H::SkbLoadBytes => &SKB_LOAD_BYTES,
        H::SkbPullData => &SK_SKB_PULL_DATA,
        H::SkbChangeTail => &SK_SKB_CHANGE_TAIL,
        H::SkbChangeHead => &SK_SKB_CHANGE_HEAD,
        H::SkbAdjustRoom => &SK_SKB_ADJUST_ROOM,
        H::GetSocketCookie => &GET_SOCKET_COOKIE,
        H::GetSocketUid => &GET_SOCKET_UID,
        H::SkRedirectMap => &SK_REDIRECT_MAP,
        H::SkRedirectHash => &SK_REDIRECT_HASH,
        H::PerfEventOutput => &SKB_EVENT_OUTPUT,
        H::SkLookupTcp => &SK_LOOKUP_TCP,
        H::SkLookupUdp => &SK_LOOKUP_UDP,
        H::SkRelease => &SK_RELEASE,
        H::SkcLookupTcp => &SKC_LOOKUP_TCP,
        _ => return bpf_sk_base_func_proto(h, p),
    })
}

/// `flow_dissector_func_proto`.
fn flow_dissector_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    match h {
        H::SkbLoadBytes => Some(&FLOW_DISSECTOR_LOAD_BYTES),
        _ => bpf_sk_base_func_proto(h, p),
    }
}

/// `lwt_out_func_proto`: `lwt_out`, and the fallback of the other lightweight tunnels.
fn lwt_out_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::SkbLoadBytes => &SKB_LOAD_BYTES,
        H::SkbPullData => &SKB_PULL_DATA,
        H::CsumDiff => &CSUM_DIFF,
        H::GetCgroupClassid => &GET_CGROUP_CLASSID,
        H::GetRouteRealm => &GET_ROUTE_REALM,
        H::GetHashRecalc => &GET_HASH_RECALC,
        H::PerfEventOutput => &SKB_EVENT_OUTPUT,
        H::GetSmpProcessorId => &GET_SMP_PROCESSOR_ID,
        H::SkbUnderCgroup => &SKB_UNDER_CGROUP,
        _ => return bpf_sk_base_func_proto(h, p),
    })
}

/// `lwt_in_func_proto`.
fn lwt_in_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    match h {
        H::LwtPushEncap => Some(&LWT_IN_PUSH_ENCAP),
        _ => lwt_out_func_proto(h, p),
    }
}

/// `lwt_xmit_func_proto`.
fn lwt_xmit_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::SkbGetTunnelKey => &SKB_GET_TUNNEL_KEY,
        H::SkbSetTunnelKey => &SKB_SET_TUNNEL_KEY,
        H::SkbGetTunnelOpt => &SKB_GET_TUNNEL_OPT,
        H::SkbSetTunnelOpt => &SKB_SET_TUNNEL_OPT,
        H::Redirect => &REDIRECT,
        H::CloneRedirect => &CLONE_REDIRECT,
        H::SkbChangeTail => &SKB_CHANGE_TAIL,
        H::SkbChangeHead => &SKB_CHANGE_HEAD,
        H::SkbStoreBytes => &SKB_STORE_BYTES,
        H::CsumUpdate => &CSUM_UPDATE,
        H::CsumLevel => &CSUM_LEVEL,
        H::L3CsumReplace => &L3_CSUM_REPLACE,
        H::L4CsumReplace => &L4_CSUM_REPLACE,
        H::SetHashInvalid => &SET_HASH_INVALID,
        H::LwtPushEncap => &LWT_XMIT_PUSH_ENCAP,
        _ => return lwt_out_func_proto(h, p),
    })
}

/// `lwt_seg6local_func_proto` (6.12 refused `bpf_skb_pull_data` here; 6.18 does not).
fn lwt_seg6local_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::LwtSeg6StoreBytes => &LWT_SEG6_STORE_BYTES,
        H::LwtSeg6Action => &LWT_SEG6_ACTION,
        H::LwtSeg6AdjustSrh => &LWT_SEG6_ADJUST_SRH,
        _ => return lwt_out_func_proto(h, p),
    })
}

/// `sk_reuseport_func_proto`.
fn sk_reuseport_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::SkSelectReuseport => &SK_SELECT_REUSEPORT,
        H::SkbLoadBytes => &SK_REUSEPORT_LOAD_BYTES,
        H::SkbLoadBytesRelative => &SK_REUSEPORT_LOAD_BYTES_RELATIVE,
        H::GetSocketCookie => &GET_SOCKET_PTR_COOKIE,
        H::KtimeGetCoarseNs => &KTIME_GET_COARSE_NS,
        _ => return bpf_base_func_proto(h, p),
    })
}

/// `sk_lookup_func_proto`.
fn sk_lookup_func_proto(h: HelperId, p: &ProgSpec<'_>) -> Proto {
    Some(match h {
        H::PerfEventOutput => &EVENT_OUTPUT_DATA,
        H::SkAssign => &SK_LOOKUP_ASSIGN,
        H::SkRelease => &SK_RELEASE,
        _ => return bpf_sk_base_func_proto(h, p),
    })
}

// ---------------------------------------------------------------------------------------------
// The checks `check_helper_call` makes before it looks at the arguments.

/// Why the verifier refuses a helper call before checking its arguments. `Display` gives the
/// kernel's log line (without the newline); every one of them fails the load with `EINVAL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelperCallError {
    /// The id is outside the kernel's `enum bpf_func_id` (`imm` as the instruction has it).
    Unknown { imm: i32 },
    /// The program's type (or attach type) does not get this helper; `id` 0 included.
    NotAllowed { id: u32 },
    /// A `gpl_only` helper called by a program whose license is not GPL-compatible.
    GplOnly,
    /// The prototype's [`AllowedHook`] refused the program.
    NotAllowedInProbe,
    /// A `might_sleep` helper called by a program that is not sleepable.
    MightSleep,
}

impl HelperCallError {
    /// The errno of the failed `BPF_PROG_LOAD`.
    pub fn errno(&self) -> i32 {
        22 // EINVAL
    }
}

impl fmt::Display for HelperCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HelperCallError::Unknown { imm } => write!(f, "invalid func unknown#{imm}"),
            HelperCallError::NotAllowed { id } => write!(
                f,
                "program of this type cannot use helper {}#{id}",
                func_id_name(id)
            ),
            HelperCallError::GplOnly => {
                f.write_str("cannot call GPL-restricted function from non-GPL compatible program")
            }
            HelperCallError::NotAllowedInProbe => {
                f.write_str("helper call is not allowed in probe")
            }
            HelperCallError::MightSleep => {
                f.write_str("helper call might sleep in a non-sleepable prog")
            }
        }
    }
}

impl std::error::Error for HelperCallError {}

/// The kernel's `func_id_name`: `bpf_<name>` for an id below `__BPF_FUNC_MAX_ID` (`bpf_unspec`
/// for 0), `unknown` otherwise.
pub fn func_id_name(id: u32) -> &'static str {
    match id {
        0 => "bpf_unspec",
        _ => HelperId::from_u32(id).map_or("unknown", HelperId::kernel_name),
    }
}

/// The kernel's message for a helper the program may not call:
/// `program of this type cannot use helper bpf_xxx#N`.
pub fn not_allowed_message(id: u32) -> String {
    HelperCallError::NotAllowed { id }.to_string()
}

/// The kernel's message for a call to an id it does not have: `invalid func unknown#N`
/// (`imm` is the call instruction's signed immediate).
pub fn unknown_func_message(imm: i32) -> String {
    HelperCallError::Unknown { imm }.to_string()
}

/// The checks `check_helper_call` makes, in its order, before it looks at the arguments:
/// the id is known, the program gets a prototype for it, the license allows a `gpl_only`
/// helper, and a `might_sleep` helper is called from a sleepable program. Returns the
/// prototype the argument checks go on with.
///
/// The prototype's [`AllowedHook`] (checked between the license and sleep checks) counts as
/// passed where only the program's attach target would tell ([`AllowedHook::allows`] is
/// `None`).
pub fn check_call(
    imm: i32,
    prog: &ProgSpec<'_>,
    gpl_compatible: bool,
) -> Result<&'static HelperProto, HelperCallError> {
    let id = u32::try_from(imm)
        .ok()
        .filter(|&id| id <= HelperId::MAX)
        .ok_or(HelperCallError::Unknown { imm })?;
    let proto = proto_for(id, prog).ok_or(HelperCallError::NotAllowed { id })?;
    if proto.gpl_only && !gpl_compatible {
        return Err(HelperCallError::GplOnly);
    }
    if proto.allowed.and_then(|hook| hook.allows(prog)) == Some(false) {
        return Err(HelperCallError::NotAllowedInProbe);
    }
    if proto.might_sleep && !prog.sleepable {
        return Err(HelperCallError::MightSleep);
    }
    Ok(proto)
}

/// The kernel's `license_is_gpl_compatible`: the licenses that may call `gpl_only` helpers.
pub fn license_is_gpl_compatible(license: &str) -> bool {
    matches!(
        license,
        "GPL"
            | "GPL v2"
            | "GPL and additional rights"
            | "Dual BSD/GPL"
            | "Dual MIT/GPL"
            | "Dual MPL/GPL"
    )
}

// ---------------------------------------------------------------------------------------------
// What the verifier reads beside the prototypes (kernel/bpf/verifier.c).

/// `is_acquire_function`: calls that return a new reference the program must release
/// (`bpf_sk_lookup_tcp`/`udp`, `bpf_skc_lookup_tcp`, `bpf_ringbuf_reserve`, `bpf_kptr_xchg`, and
/// `bpf_map_lookup_elem` on a sockmap or sockhash).
pub fn is_acquire_function(id: u32, map_type: Option<MapType>) -> bool {
    match HelperId::from_u32(id) {
        Some(
            H::SkLookupTcp | H::SkLookupUdp | H::SkcLookupTcp | H::RingbufReserve | H::KptrXchg,
        ) => true,
        Some(H::MapLookupElem) => matches!(map_type, Some(MapType::SockMap | MapType::SockHash)),
        _ => false,
    }
}

/// `is_ptr_cast_function`: calls whose result shares the argument's reference
/// (`bpf_tcp_sock`, `bpf_sk_fullsock`, the `bpf_skc_to_*` casts).
pub fn is_ptr_cast_function(id: u32) -> bool {
    matches!(
        HelperId::from_u32(id),
        Some(
            H::TcpSock
                | H::SkFullsock
                | H::SkcToTcpSock
                | H::SkcToTcp6Sock
                | H::SkcToUdp6Sock
                | H::SkcToMptcpSock
                | H::SkcToTcpTimewaitSock
                | H::SkcToTcpRequestSock
        )
    )
}

/// `is_dynptr_ref_function`: `bpf_dynptr_data`, whose result lives as long as the dynptr.
pub fn is_dynptr_ref_function(id: u32) -> bool {
    id == H::DynptrData as u32
}

/// `helper_multiple_ref_obj_use`: a helper that would be more than one of acquire, cast and
/// dynptr reference (the verifier refuses such a prototype).
pub fn helper_multiple_ref_obj_use(id: u32, map_type: Option<MapType>) -> bool {
    let uses = [
        is_ptr_cast_function(id),
        is_acquire_function(id, map_type),
        is_dynptr_ref_function(id),
    ];
    uses.iter().filter(|&&b| b).count() > 1
}

/// `is_sync_callback_calling_function`: helpers that call a callback before they return.
pub fn is_sync_callback_calling_function(id: u32) -> bool {
    matches!(
        HelperId::from_u32(id),
        Some(H::ForEachMapElem | H::FindVma | H::Loop | H::UserRingbufDrain)
    )
}

/// `is_async_callback_calling_function`: `bpf_timer_set_callback`.
pub fn is_async_callback_calling_function(id: u32) -> bool {
    id == H::TimerSetCallback as u32
}

/// `is_callback_calling_function`.
pub fn is_callback_calling_function(id: u32) -> bool {
    is_sync_callback_calling_function(id) || is_async_callback_calling_function(id)
}

/// `is_storage_get_function`: the local storage getters.
pub fn is_storage_get_function(id: u32) -> bool {
    matches!(
        HelperId::from_u32(id),
        Some(H::SkStorageGet | H::InodeStorageGet | H::TaskStorageGet | H::CgrpStorageGet)
    )
}

/// `bpf_helper_changes_pkt_data`: calls after which every packet pointer is invalid. A
/// tail call counts, as the called program may change the packet.
pub fn helper_changes_pkt_data(id: u32) -> bool {
    matches!(
        HelperId::from_u32(id),
        Some(
            H::CloneRedirect
                | H::L3CsumReplace
                | H::L4CsumReplace
                | H::LwtPushEncap
                | H::LwtSeg6Action
                | H::LwtSeg6AdjustSrh
                | H::LwtSeg6StoreBytes
                | H::MsgPopData
                | H::MsgPullData
                | H::MsgPushData
                | H::SkbAdjustRoom
                | H::SkbChangeHead
                | H::SkbChangeProto
                | H::SkbChangeTail
                | H::SkbPullData
                | H::SkbStoreBytes
                | H::SkbVlanPop
                | H::SkbVlanPush
                | H::StoreHdrOpt
                | H::XdpAdjustHead
                | H::XdpAdjustMeta
                | H::XdpAdjustTail
                | H::TailCall
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(t: ProgType, eat: Option<u32>) -> ProgSpec<'static> {
        ProgSpec::new(t, eat)
    }

    /// Every prototype `proto_for` can hand out, over all program types and attach types.
    fn reachable() -> Vec<&'static HelperProto> {
        let mut out: Vec<&'static HelperProto> = HelperId::all().map(canonical).collect();
        for t in (0..33).filter_map(ProgType::from_u32) {
            for eat in (0..=60).map(Some).chain([None]) {
                for sleepable in [false, true] {
                    let s = spec(t, eat).with_sleepable(sleepable);
                    out.extend((0..=HelperId::MAX).filter_map(|id| proto_for(id, &s)));
                }
            }
        }
        out
    }

    #[test]
    fn ids_and_names_match_the_uapi_table() {
        assert_eq!(HelperId::all().count(), 211);
        for (i, h) in HelperId::all().enumerate() {
            assert_eq!(h as u32, i as u32 + 1);
            assert_eq!(HelperId::from_u32(h as u32), Some(h));
            assert_eq!(h.kernel_name(), format!("bpf_{}", h.name()));
        }
        assert_eq!(HelperId::from_u32(0), None);
        assert_eq!(HelperId::from_u32(212), None);
        assert_eq!(H::MapLookupElem as u32, 1);
        assert_eq!(H::CgrpStorageDelete as u32, 211);
        assert_eq!(H::TcpSendAck.kernel_name(), "bpf_tcp_send_ack");
    }

    #[test]
    fn kernel_numbers_of_types_and_flags() {
        for (i, b) in ArgBase::ALL.iter().enumerate() {
            assert_eq!(*b as usize, i, "{}", b.kernel_name());
        }
        for (i, b) in RetBase::ALL.iter().enumerate() {
            assert_eq!(*b as usize, i, "{}", b.kernel_name());
        }
        assert_eq!(TypeFlags::all().count(), 20);
        assert_eq!(TypeFlags::PTR_MAYBE_NULL.bits(), 1 << 8);
        assert_eq!(TypeFlags::MEM_WRITE.bits(), 1 << 26);
        assert_eq!(ARG_PTR_TO_MEM.bits(), 4);
        assert_eq!(ARG_PTR_TO_DYNPTR.bits(), 23);
        assert_eq!(ARG_PTR_TO_UNINIT_MEM.bits(), 67141636);
        assert_eq!(ARG_PTR_TO_STACK_OR_NULL.bits(), 275);
        assert_eq!(
            ARG_PTR_TO_UNINIT_MEM.bits(),
            4 | TypeFlags::MEM_UNINIT.bits() | TypeFlags::MEM_WRITE.bits()
        );
        assert_eq!(
            RET_PTR_TO_RINGBUF_MEM_OR_NULL.bits(),
            6 | (1 << 8) | (1 << 10),
            "RET_PTR_TO_MEM | MEM_RINGBUF | PTR_MAYBE_NULL"
        );
        assert_eq!(RET_PTR_TO_BTF_ID_TRUSTED.bits(), 8 | (1 << 20));
        assert_eq!(
            format!("{:?}", ARG_PTR_TO_UNINIT_MEM),
            "ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE"
        );
        assert_eq!(
            format!("{:?}", RET_PTR_TO_SOCKET_OR_NULL),
            "RET_PTR_TO_SOCKET | PTR_MAYBE_NULL"
        );
    }

    #[test]
    fn map_helpers() {
        let p = proto(1).expect("map_lookup_elem");
        assert_eq!(p.proto_name, "bpf_map_lookup_elem_proto");
        assert_eq!(p.name(), "bpf_map_lookup_elem");
        assert!(p.pkt_access && !p.gpl_only && !p.might_sleep);
        assert_eq!(p.ret, RET_PTR_TO_MAP_VALUE_OR_NULL);
        assert_eq!(
            p.arg_types(),
            [
                ARG_CONST_MAP_PTR,
                ARG_PTR_TO_MAP_KEY,
                ARG_DONTCARE,
                ARG_DONTCARE,
                ARG_DONTCARE
            ]
        );
        assert_eq!(p.arg_count(), 2);
        let u = proto(2).expect("map_update_elem");
        assert_eq!(u.arg(3).ty, ARG_PTR_TO_MAP_VALUE);
        assert_eq!(u.arg(4).ty, ARG_ANYTHING);
        let pop = proto(H::MapPopElem as u32).expect("pop");
        assert!(!pop.pkt_access);
        assert_eq!(
            pop.arg(2).ty,
            ARG_PTR_TO_MAP_VALUE.with(TypeFlags::MEM_UNINIT | TypeFlags::MEM_WRITE)
        );
        let local = proto(H::GetLocalStorage as u32).expect("get_local_storage");
        assert_eq!(local.ret, RET_PTR_TO_MAP_VALUE, "never NULL");
    }

    #[test]
    fn ring_buffer_references() {
        let reserve = proto(H::RingbufReserve as u32).expect("reserve");
        assert_eq!(reserve.ret, RET_PTR_TO_RINGBUF_MEM_OR_NULL);
        assert_eq!(reserve.arg(2).ty, ARG_CONST_ALLOC_SIZE_OR_ZERO);
        assert!(reserve.acquires(None));
        assert!(!reserve.is_release());
        for h in [H::RingbufSubmit, H::RingbufDiscard] {
            let p = proto(h as u32).expect("submit/discard");
            assert_eq!(p.ret, RET_VOID);
            assert_eq!(
                p.arg(1).ty,
                ARG_PTR_TO_RINGBUF_MEM.with(TypeFlags::OBJ_RELEASE)
            );
            assert_eq!(p.release_arg(), Some(0));
        }
        let submit = proto(H::RingbufSubmitDynptr as u32).expect("submit_dynptr");
        assert_eq!(
            submit.arg(1).ty,
            ARG_PTR_TO_DYNPTR.with(TypeFlags::DYNPTR_TYPE_RINGBUF | TypeFlags::OBJ_RELEASE)
        );
        assert_eq!(submit.release_arg(), Some(0));
        let reserve_dyn = proto(H::RingbufReserveDynptr as u32).expect("reserve_dynptr");
        assert!(reserve_dyn.arg(4).ty.has(TypeFlags::MEM_UNINIT));
        assert!(
            !reserve_dyn.acquires(None),
            "dynptr references are tracked on the stack"
        );
        let data = proto(H::DynptrData as u32).expect("dynptr_data");
        assert_eq!(data.ret, RET_PTR_TO_DYNPTR_MEM_OR_NULL);
        assert!(is_dynptr_ref_function(H::DynptrData as u32));
    }

    #[test]
    fn socket_references() {
        let tc = spec(ProgType::SchedCls, None);
        let lookup = proto_for(H::SkLookupTcp as u32, &tc).expect("tc lookup");
        assert_eq!(lookup.proto_name, "bpf_tc_sk_lookup_tcp_proto");
        assert_eq!(lookup.ret, RET_PTR_TO_SOCKET_OR_NULL);
        assert!(lookup.pkt_access);
        assert_eq!(
            lookup.arg_types(),
            [
                ARG_PTR_TO_CTX,
                ARG_PTR_TO_MEM.with(TypeFlags::MEM_RDONLY),
                ARG_CONST_SIZE_OR_ZERO,
                ARG_ANYTHING,
                ARG_ANYTHING
            ]
        );
        assert!(lookup.acquires(None));
        let skc = proto_for(H::SkcLookupTcp as u32, &tc).expect("skc lookup");
        assert_eq!(skc.ret, RET_PTR_TO_SOCK_COMMON_OR_NULL);
        assert!(is_acquire_function(H::SkcLookupTcp as u32, None));
        let release = proto_for(H::SkRelease as u32, &tc).expect("release");
        assert_eq!(
            release.arg(1).ty,
            ARG_PTR_TO_BTF_ID_SOCK_COMMON.with(TypeFlags::OBJ_RELEASE)
        );
        assert_eq!(release.release_arg(), Some(0));
        let addr = spec(ProgType::CgroupSockAddr, Some(A::CGROUP_INET4_CONNECT));
        let lookup = proto_for(H::SkLookupUdp as u32, &addr).expect("sock_addr lookup");
        assert_eq!(lookup.proto_name, "bpf_sock_addr_sk_lookup_udp_proto");
        assert!(!lookup.pkt_access, "no packet in a sock_addr program");
        assert!(is_acquire_function(1, Some(MapType::SockMap)));
        assert!(is_acquire_function(1, Some(MapType::SockHash)));
        assert!(!is_acquire_function(1, Some(MapType::Hash)));
        assert!(!is_acquire_function(1, None));
        let kx = proto(H::KptrXchg as u32).expect("kptr_xchg");
        assert_eq!(kx.release_arg(), Some(1));
        assert_eq!(kx.arg(2).btf_id, Some(BtfId::FromMapField));
        assert_eq!(kx.ret_btf_id, Some(BtfId::FromMapField));
        assert!(kx.acquires(None));
        assert!(is_ptr_cast_function(H::TcpSock as u32));
        assert!(is_ptr_cast_function(H::SkcToMptcpSock as u32));
        assert!(!is_ptr_cast_function(H::SkcToUnixSock as u32));
        assert!(!helper_multiple_ref_obj_use(H::SkLookupTcp as u32, None));
        let tcp = proto(H::TcpSock as u32).expect("tcp_sock");
        assert_eq!(tcp.ret, RET_PTR_TO_TCP_SOCK_OR_NULL);
        assert_eq!(tcp.arg(1).ty, ARG_PTR_TO_SOCK_COMMON);
    }

    #[test]
    fn btf_typed_arguments_and_returns() {
        let task = proto(H::GetCurrentTaskBtf as u32).expect("get_current_task_btf");
        assert_eq!(task.ret, RET_PTR_TO_BTF_ID_TRUSTED);
        assert_eq!(task.ret_btf_id, Some(BtfId::Struct("task_struct")));
        assert!(task.gpl_only);
        let regs = proto(H::TaskPtRegs as u32).expect("task_pt_regs");
        assert_eq!(regs.arg(1).btf_id, Some(BtfId::Struct("task_struct")));
        assert_eq!(regs.ret_btf_id, Some(BtfId::Struct("pt_regs")));
        let stack = proto(H::GetTaskStack as u32).expect("get_task_stack");
        assert_eq!(stack.arg(1).ty, ARG_PTR_TO_BTF_ID);
        assert_eq!(stack.arg(1).btf_id, Some(BtfId::Struct("task_struct")));
        assert_eq!(stack.arg(2).ty, ARG_PTR_TO_UNINIT_MEM);
        let tcp6 = proto(H::SkcToTcp6Sock as u32).expect("skc_to_tcp6_sock");
        assert_eq!(tcp6.ret, RET_PTR_TO_BTF_ID_OR_NULL);
        assert_eq!(tcp6.ret_btf_id, Some(BtfId::Struct("tcp6_sock")));
        let lock = proto(H::SpinLock as u32).expect("spin_lock");
        assert_eq!(lock.arg(1).ty, ARG_PTR_TO_SPIN_LOCK);
        assert_eq!(lock.arg(1).btf_id, Some(BtfId::FromMapField));
        let d_path = proto(H::DPath as u32).expect("d_path");
        assert_eq!(d_path.arg(1).btf_id, Some(BtfId::Struct("path")));
        assert_eq!(d_path.allowed, Some(AllowedHook::DPath));
        let cpu = proto(H::PerCpuPtr as u32).expect("per_cpu_ptr");
        assert_eq!(
            cpu.ret,
            RET_PTR_TO_MEM_OR_BTF_ID.with(TypeFlags::PTR_MAYBE_NULL | TypeFlags::MEM_RDONLY)
        );
        let tracing = spec(ProgType::Tracing, Some(A::TRACE_FENTRY));
        let storage = proto_for(H::SkStorageGet as u32, &tracing).expect("tracing sk storage");
        assert_eq!(storage.arg(2).ty, ARG_PTR_TO_BTF_ID_OR_NULL);
        assert_eq!(storage.arg(2).btf_id, Some(BtfId::Struct("sock")));
        assert_eq!(storage.allowed, Some(AllowedHook::SkStorageTracing));
    }

    #[test]
    fn fixed_size_arguments() {
        let strtol = proto(H::Strtol as u32).expect("strtol");
        assert_eq!(
            strtol.arg(4).ty,
            ARG_PTR_TO_FIXED_SIZE_MEM
                .with(TypeFlags::MEM_UNINIT | TypeFlags::MEM_WRITE | TypeFlags::MEM_ALIGNED)
        );
        assert_eq!(strtol.arg(4).size, Some(8));
        assert_eq!(strtol.arg(1).ty, ARG_PTR_TO_MEM.with(TypeFlags::MEM_RDONLY));
        assert_eq!(strtol.arg(2).ty, ARG_CONST_SIZE);
        let mtu = proto(H::CheckMtu as u32).expect("check_mtu");
        assert_eq!(mtu.arg(3).size, Some(4));
        assert!(
            !mtu.arg(3).ty.has(TypeFlags::MEM_UNINIT),
            "read and written"
        );
        let raw = proto(H::TcpRawCheckSyncookieIpv6 as u32).expect("raw syncookie");
        assert_eq!(raw.arg(1).size, Some(40));
        assert_eq!(raw.arg(2).size, Some(20));
        let arg = proto(H::GetFuncArg as u32).expect("get_func_arg");
        assert_eq!(arg.arg(3).size, Some(8));
    }

    #[test]
    fn gpl_sleep_and_packet_flags() {
        let gpl = |id: HelperId| canonical(id).gpl_only;
        assert!(gpl(H::TracePrintk));
        assert!(gpl(H::ProbeReadKernel));
        assert!(gpl(H::GetStack));
        assert!(gpl(H::PerfEventOutput));
        assert!(gpl(H::FibLookup));
        assert!(gpl(H::TimerInit));
        assert!(gpl(H::Snprintf));
        assert!(!gpl(H::KtimeGetNs));
        assert!(!gpl(H::SkLookupTcp));
        assert!(!gpl(H::RingbufOutput));
        let pe = spec(ProgType::PerfEvent, None);
        let stackid = proto_for(H::GetStackid as u32, &pe).expect("pe stackid");
        assert_eq!(stackid.proto_name, "bpf_get_stackid_proto_pe");
        assert!(!stackid.gpl_only, "the perf_event variant is not GPL-only");
        assert!(canonical(H::CopyFromUser).might_sleep);
        assert!(canonical(H::SysBpf).might_sleep);
        assert!(!canonical(H::ProbeReadUser).might_sleep);
        assert!(canonical(H::CsumDiff).pkt_access);
        assert!(canonical(H::GetSmpProcessorId).allow_fastcall);
        let kprobe = spec(ProgType::Kprobe, None);
        let stack = proto_for(H::GetStack as u32, &kprobe).expect("stack");
        assert!(!stack.might_sleep);
        let stack = proto_for(H::GetStack as u32, &kprobe.with_sleepable(true)).expect("stack");
        assert_eq!(stack.proto_name, "bpf_get_stack_sleepable_proto");
        assert!(stack.might_sleep);
    }

    #[test]
    fn variants_by_program_type() {
        let name = |id: HelperId, t: ProgType, eat: Option<u32>| {
            proto_for(id as u32, &spec(t, eat)).map(|p| p.proto_name)
        };
        use ProgType as T;
        let out = H::PerfEventOutput;
        assert_eq!(
            name(out, T::Kprobe, None),
            Some("bpf_perf_event_output_proto")
        );
        assert_eq!(
            name(out, T::Tracepoint, None),
            Some("bpf_perf_event_output_proto_tp")
        );
        assert_eq!(
            name(out, T::PerfEvent, None),
            Some("bpf_perf_event_output_proto_tp")
        );
        assert_eq!(
            name(out, T::RawTracepoint, None),
            Some("bpf_perf_event_output_proto_raw_tp")
        );
        assert_eq!(
            name(out, T::SocketFilter, None),
            Some("bpf_skb_event_output_proto")
        );
        assert_eq!(name(out, T::Xdp, None), Some("bpf_xdp_event_output_proto"));
        assert_eq!(
            name(out, T::SockOps, None),
            Some("bpf_event_output_data_proto")
        );
        assert_eq!(name(out, T::Netfilter, None), None);
        let cookie = H::GetSocketCookie;
        assert_eq!(
            name(cookie, T::SchedCls, None),
            Some("bpf_get_socket_cookie_proto")
        );
        assert_eq!(
            name(cookie, T::CgroupSock, None),
            Some("bpf_get_socket_cookie_sock_proto")
        );
        assert_eq!(
            name(cookie, T::SockOps, None),
            Some("bpf_get_socket_cookie_sock_ops_proto")
        );
        assert_eq!(
            name(cookie, T::SkReuseport, None),
            Some("bpf_get_socket_ptr_cookie_proto")
        );
        let smp = H::GetSmpProcessorId;
        assert_eq!(
            name(smp, T::Xdp, None),
            Some("bpf_get_smp_processor_id_proto")
        );
        assert_eq!(
            name(smp, T::SkMsg, None),
            Some("bpf_get_raw_smp_processor_id_proto")
        );
        let classid = H::GetCgroupClassid;
        assert_eq!(
            name(classid, T::SchedCls, None),
            Some("bpf_get_cgroup_classid_proto")
        );
        assert_eq!(
            name(classid, T::SocketFilter, None),
            Some("bpf_get_cgroup_classid_curr_proto")
        );
        let storage = H::TaskStorageGet;
        assert_eq!(
            name(storage, T::Lsm, Some(A::LSM_MAC)),
            Some("bpf_task_storage_get_proto")
        );
        assert_eq!(
            name(storage, T::Kprobe, None),
            Some("bpf_task_storage_get_recur_proto")
        );
        assert_eq!(
            name(H::SkStorageGet, T::CgroupSock, None),
            Some("bpf_sk_storage_get_cg_sock_proto")
        );
        assert_eq!(
            name(H::SkbLoadBytes, T::FlowDissector, None),
            Some("bpf_flow_dissector_load_bytes_proto")
        );
        assert_eq!(
            name(H::SkbPullData, T::SkSkb, None),
            Some("sk_skb_pull_data_proto")
        );
    }

    #[test]
    fn availability_by_program_type() {
        use ProgType as T;
        let xdp = |id: HelperId| allowed(id as u32, T::Xdp, None);
        assert!(xdp(H::XdpAdjustHead) && xdp(H::RedirectMap) && xdp(H::FibLookup));
        assert!(!xdp(H::SkbLoadBytes) && !xdp(H::SkbStoreBytes) && !xdp(H::GetSocketCookie));
        assert!(!allowed(H::XdpAdjustHead as u32, T::SocketFilter, None));
        assert!(allowed(H::SkbLoadBytes as u32, T::SocketFilter, None));
        assert!(!allowed(H::SkbStoreBytes as u32, T::SocketFilter, None));
        assert!(allowed(H::SkbStoreBytes as u32, T::SchedCls, None));
        assert!(allowed(H::SkbStoreBytes as u32, T::LwtXmit, None));
        assert!(!allowed(H::SkbStoreBytes as u32, T::LwtIn, None));
        assert!(
            allowed(H::SkbPullData as u32, T::LwtSeg6local, None),
            "6.18, not 6.12"
        );
        assert!(
            allowed(H::GetNetnsCookie as u32, T::SchedCls, None),
            "6.18, not 6.12"
        );
        assert!(!allowed(H::GetNetnsCookie as u32, T::SkSkb, None));
        assert!(allowed(H::ProbeRead as u32, T::Kprobe, None));
        assert!(!allowed(H::ProbeRead as u32, T::SocketFilter, None));
        assert!(
            !allowed(H::ProbeWriteUser as u32, T::Kprobe, None),
            "locked down"
        );
        assert!(
            !allowed(H::OverrideReturn as u32, T::Kprobe, None),
            "no override"
        );
        assert!(allowed(H::PerfProgReadValue as u32, T::PerfEvent, None));
        assert!(!allowed(H::PerfProgReadValue as u32, T::Kprobe, None));
        // Base helpers for everyone, including the 6.16 additions.
        for t in [
            T::SocketFilter,
            T::Xdp,
            T::Netfilter,
            T::SkLookup,
            T::CgroupDevice,
        ] {
            for h in [
                H::MapLookupElem,
                H::KtimeGetNs,
                H::Loop,
                H::GetCurrentComm,
                H::FindVma,
            ] {
                assert!(allowed(h as u32, t, None), "{h} in {t}");
            }
        }
        // cgroup_sock_addr: bind only on connect (INET, not UNIX).
        let addr = |h: HelperId, eat: u32| allowed(h as u32, T::CgroupSockAddr, Some(eat));
        assert!(addr(H::Bind, A::CGROUP_INET4_CONNECT));
        assert!(addr(H::Bind, A::CGROUP_INET6_CONNECT));
        assert!(!addr(H::Bind, A::CGROUP_INET4_BIND));
        assert!(!addr(H::Bind, A::CGROUP_UNIX_CONNECT));
        assert!(addr(H::Setsockopt, A::CGROUP_UDP4_SENDMSG));
        assert!(
            addr(H::Setsockopt, A::CGROUP_UNIX_GETPEERNAME),
            "6.18, not 6.12"
        );
        // get_retval/set_retval: not where the hook's return value is the verdict.
        assert!(!allowed(
            H::GetRetval as u32,
            T::CgroupSkb,
            Some(A::CGROUP_INET_EGRESS)
        ));
        assert!(!allowed(H::GetRetval as u32, T::SockOps, None));
        assert!(allowed(H::GetRetval as u32, T::CgroupSock, None));
        assert!(allowed(
            H::SetRetval as u32,
            T::CgroupSockopt,
            Some(A::CGROUP_GETSOCKOPT)
        ));
        assert!(!addr(H::GetRetval, A::CGROUP_UDP4_RECVMSG));
        assert!(addr(H::GetRetval, A::CGROUP_UDP4_SENDMSG));
        // cgroup_sockopt: the socket options only on setsockopt.
        let sockopt = |h: HelperId, eat: u32| allowed(h as u32, T::CgroupSockopt, Some(eat));
        assert!(sockopt(H::Setsockopt, A::CGROUP_SETSOCKOPT));
        assert!(!sockopt(H::Getsockopt, A::CGROUP_GETSOCKOPT));
        // Tracing programs: trampoline-only and iterator-only helpers.
        let fentry = spec(T::Tracing, Some(A::TRACE_FENTRY));
        let iter = spec(T::Tracing, Some(A::TRACE_ITER));
        assert!(proto_for(H::GetFuncArg as u32, &fentry).is_some());
        assert!(proto_for(H::GetFuncArg as u32, &iter).is_none());
        assert!(proto_for(H::SeqPrintf as u32, &iter).is_some());
        assert!(proto_for(H::SeqPrintf as u32, &fentry).is_none());
        assert!(!allowed(H::GetFuncArg as u32, T::RawTracepoint, None));
        assert!(allowed(H::SysBpf as u32, T::Syscall, None));
        assert!(!allowed(H::SysBpf as u32, T::Kprobe, None));
        assert!(allowed(H::RcKeydown as u32, T::LircMode2, None));
        for t in [T::Unspec, T::StructOps, T::Ext] {
            assert!(!allowed(1, t, None));
        }
        assert!(!allowed(0, T::SocketFilter, None));
        assert!(!allowed(212, T::SocketFilter, None));
    }

    #[test]
    fn attach_targets() {
        let iter = spec(ProgType::Tracing, Some(A::TRACE_ITER));
        let tcp = iter.with_attach_func("bpf_iter_tcp");
        let task = iter.with_attach_func("bpf_iter_task");
        let set = H::Setsockopt as u32;
        assert_eq!(
            proto_for(set, &tcp).map(|p| p.proto_name),
            Some("bpf_sk_setsockopt_proto")
        );
        assert!(proto_for(set, &task).is_none());
        assert!(proto_for(set, &iter).is_none());
        let lsm = spec(ProgType::Lsm, Some(A::LSM_CGROUP));
        let name = |f: &str, id: HelperId| {
            proto_for(id as u32, &lsm.with_attach_func(f)).map(|p| p.proto_name)
        };
        assert_eq!(
            name("bpf_lsm_sock_graft", H::Setsockopt),
            Some("bpf_sk_setsockopt_proto")
        );
        assert_eq!(
            name("bpf_lsm_socket_post_create", H::Getsockopt),
            Some("bpf_unlocked_sk_getsockopt_proto")
        );
        assert_eq!(name("bpf_lsm_file_open", H::Setsockopt), None);
        assert_eq!(
            name("bpf_lsm_file_open", H::GetRetval),
            Some("bpf_get_retval_proto")
        );
        let mac = spec(ProgType::Lsm, Some(A::LSM_MAC)).with_attach_func("bpf_lsm_sock_graft");
        assert!(proto_for(set, &mac).is_none(), "only lsm_cgroup");
        assert!(proto_for(H::GetRetval as u32, &mac).is_none());
        // bpf_d_path: the allowlist of traced functions, iterators; not syscall programs.
        let fentry = spec(ProgType::Tracing, Some(A::TRACE_FENTRY));
        let d_path = |p: &ProgSpec<'_>| check_call(H::DPath as i32, p, true).map(|_| ());
        assert_eq!(d_path(&fentry.with_attach_func("vfs_getattr")), Ok(()));
        assert_eq!(
            d_path(&fentry.with_attach_func("vfs_read")),
            Err(HelperCallError::NotAllowedInProbe)
        );
        assert_eq!(d_path(&fentry), Ok(()), "unknown target: not refused");
        assert_eq!(d_path(&iter), Ok(()));
        let syscall = spec(ProgType::Syscall, None).with_sleepable(true);
        assert_eq!(
            d_path(&syscall).unwrap_err().to_string(),
            "helper call is not allowed in probe"
        );
        // Tracing bpf_sk_storage_*: not from the socket storage's own functions.
        let get = |p: &ProgSpec<'_>| check_call(H::SkStorageGet as i32, p, true).map(|_| ());
        assert_eq!(get(&fentry.with_attach_func("tcp_connect")), Ok(()));
        assert_eq!(
            get(&fentry.with_attach_func("bpf_sk_storage_free")),
            Err(HelperCallError::NotAllowedInProbe)
        );
        assert_eq!(get(&spec(ProgType::Tracing, Some(A::TRACE_RAW_TP))), Ok(()));
        assert_eq!(get(&syscall), Err(HelperCallError::NotAllowedInProbe));
        let ima = spec(ProgType::Lsm, Some(A::LSM_MAC)).with_sleepable(true);
        assert_eq!(AllowedHook::ImaHash.allows(&ima), None);
    }

    #[test]
    fn attach_type_defaults() {
        assert_eq!(
            spec(ProgType::CgroupSock, None).attach_type(),
            A::CGROUP_INET_SOCK_CREATE
        );
        assert_eq!(
            spec(ProgType::SkReuseport, Some(0)).attach_type(),
            A::SK_REUSEPORT_SELECT
        );
        assert_eq!(spec(ProgType::SockOps, None).attach_type(), 0);
    }

    #[test]
    fn call_checks_and_messages() {
        let sf = spec(ProgType::SocketFilter, None);
        assert_eq!(
            check_call(-1, &sf, true).unwrap_err().to_string(),
            "invalid func unknown#-1"
        );
        assert_eq!(
            check_call(212, &sf, true).unwrap_err().to_string(),
            "invalid func unknown#212"
        );
        assert_eq!(unknown_func_message(1000), "invalid func unknown#1000");
        assert_eq!(
            check_call(0, &sf, true).unwrap_err().to_string(),
            "program of this type cannot use helper bpf_unspec#0"
        );
        assert_eq!(
            check_call(44, &sf, true).unwrap_err(),
            HelperCallError::NotAllowed { id: 44 }
        );
        assert_eq!(
            not_allowed_message(44),
            "program of this type cannot use helper bpf_xdp_adjust_head#44"
        );
        assert_eq!(
            check_call(6, &sf, false).unwrap_err().to_string(),
            "cannot call GPL-restricted function from non-GPL compatible program"
        );
        assert_eq!(check_call(6, &sf, true).map(|p| p.func_id()), Ok(6));
        assert_eq!(
            check_call(5, &sf, false).map(|p| p.proto_name),
            Ok("bpf_ktime_get_ns_proto")
        );
        // The availability check comes first, then the license, then sleepability.
        assert_eq!(
            check_call(4, &sf, false).unwrap_err(),
            HelperCallError::NotAllowed { id: 4 }
        );
        let syscall = spec(ProgType::Syscall, None);
        assert_eq!(
            check_call(H::CopyFromUserTask as u32 as i32, &syscall, false).unwrap_err(),
            HelperCallError::GplOnly
        );
        assert_eq!(
            check_call(H::CopyFromUser as u32 as i32, &syscall, true)
                .unwrap_err()
                .to_string(),
            "helper call might sleep in a non-sleepable prog"
        );
        assert!(
            check_call(
                H::CopyFromUser as u32 as i32,
                &syscall.with_sleepable(true),
                true
            )
            .is_ok()
        );
        assert_eq!(HelperCallError::GplOnly.errno(), 22);
        assert!(license_is_gpl_compatible("GPL"));
        assert!(license_is_gpl_compatible("Dual BSD/GPL"));
        assert!(!license_is_gpl_compatible("MIT"));
        assert!(!license_is_gpl_compatible("gpl"));
    }

    #[test]
    fn packet_changing_helpers() {
        assert!(helper_changes_pkt_data(H::SkbPullData as u32));
        assert!(helper_changes_pkt_data(H::XdpAdjustTail as u32));
        assert!(helper_changes_pkt_data(H::TailCall as u32));
        assert!(!helper_changes_pkt_data(H::SkbLoadBytes as u32));
        assert!(is_sync_callback_calling_function(H::Loop as u32));
        assert!(is_async_callback_calling_function(
            H::TimerSetCallback as u32
        ));
        assert!(!is_callback_calling_function(H::TimerStart as u32));
        assert!(is_storage_get_function(H::CgrpStorageGet as u32));
    }

    /// The kernel's `check_func_proto` (raw mode, argument pairs, BTF ids) and the r1 = ctx
    /// rule for packet-changing helpers hold for every prototype: a typo in the table would
    /// make the kernel say `kernel subsystem misconfigured func`.
    #[test]
    fn every_prototype_is_well_formed() {
        let mut names = std::collections::HashSet::new();
        for p in all_protos() {
            assert!(names.insert(p.proto_name), "{} twice", p.proto_name);
        }
        for p in reachable() {
            assert!(
                all_protos().any(|q| std::ptr::eq(p, q)),
                "{} is in ALL_PROTOS",
                p.proto_name
            );
        }
        for p in all_protos() {
            let raw = p
                .args
                .iter()
                .filter(|a| a.ty.base == ArgBase::PtrToMem && a.ty.has(TypeFlags::MEM_UNINIT))
                .count();
            assert!(raw <= 1, "{}: one raw-mode argument at most", p.proto_name);
            assert!(!p.args[0].ty.is_mem_size(), "{}: size first", p.proto_name);
            for i in 0..5 {
                let a = p.args[i];
                let next_is_size = i + 1 < 5 && p.args[i + 1].ty.is_mem_size();
                if a.ty.base == ArgBase::PtrToMem {
                    let fixed = a.ty.has(TypeFlags::MEM_FIXED_SIZE);
                    assert_eq!(fixed, a.size.is_some(), "{} arg{}", p.proto_name, i + 1);
                    assert_ne!(fixed, next_is_size, "{} arg{}", p.proto_name, i + 1);
                } else {
                    assert!(!next_is_size, "{} arg{} has no memory", p.proto_name, i + 2);
                    assert_eq!(a.size, None);
                }
                match a.ty.base {
                    ArgBase::PtrToBtfId => assert!(a.btf_id.is_some(), "{}", p.proto_name),
                    ArgBase::PtrToSpinLock => assert_eq!(a.btf_id, Some(BtfId::FromMapField)),
                    _ => assert_eq!(a.btf_id, None, "{} arg{}", p.proto_name, i + 1),
                }
            }
            let unused_tail = p.args[p.arg_count()..].iter().all(|a| a.ty.is_unused());
            assert!(unused_tail, "{}", p.proto_name);
            if helper_changes_pkt_data(p.func_id()) {
                assert_eq!(p.args[0].ty, ARG_PTR_TO_CTX, "{}", p.proto_name);
            }
            if p.ret.base == RetBase::PtrToBtfId {
                assert!(p.ret_btf_id.is_some(), "{}", p.proto_name);
            }
            assert!(!helper_multiple_ref_obj_use(p.func_id(), None));
        }
        assert_eq!(variants(H::PerfEventOutput as u32).count(), 6);
        assert_eq!(variants(H::KtimeGetNs as u32).count(), 1);
    }

    /// Every prototype `proto_for` gives is for the helper asked about.
    #[test]
    fn variants_belong_to_their_helper() {
        for t in (0..33).filter_map(ProgType::from_u32) {
            for id in 0..=HelperId::MAX + 1 {
                if let Some(p) = proto_for(id, &spec(t, None)) {
                    assert_eq!(p.func_id(), id, "{t} {}", p.proto_name);
                }
            }
        }
        for h in HelperId::all() {
            assert_eq!(canonical(h).id, h);
        }
    }
}
