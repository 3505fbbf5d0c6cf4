//! The socket contexts of cgroup programs, access rules only (for the verifier):
//! `struct bpf_sock` of cgroup_sock programs (net/core/filter.c `bpf_sock_is_valid_access`
//! and `__sock_filter_check_attach_type`) and `struct bpf_sock_addr` of cgroup_sock_addr
//! programs (`sock_addr_is_valid_access`). Both depend on the attach type. Linux 6.18 was
//! asked about every offset, size and direction (tests/progtype_kernel.rs).

use super::narrow_ok;
use super::section::attach::*;

/// `sizeof(struct bpf_sock)`.
pub const SOCK_CTX_SIZE: u32 = 80;
/// `sizeof(struct bpf_sock_addr)`.
pub const SOCK_ADDR_CTX_SIZE: u32 = 72;

/// `bpf_ctx_wide_access_ok`: an aligned 8-byte access inside the array `[start, end)`.
fn wide_ok(off: u32, size: u32, start: u32, end: u32) -> bool {
    size == 8 && off >= start && off + 8 <= end && off.is_multiple_of(8)
}

/// Offsets in `struct bpf_sock`.
mod sock_off {
    pub const BOUND_DEV_IF: u32 = 0;
    pub const FAMILY: u32 = 4;
    pub const TYPE: u32 = 8;
    pub const PROTOCOL: u32 = 12;
    pub const MARK: u32 = 16;
    pub const PRIORITY: u32 = 20;
    pub const SRC_IP4: u32 = 24;
    pub const SRC_IP6: u32 = 28;
    pub const SRC_PORT: u32 = 44;
    pub const DST_PORT: u32 = 48;
    pub const DST_IP4: u32 = 52;
    pub const STATE: u32 = 72;
    pub const RX_QUEUE_MAPPING: u32 = 76;
}

/// `bpf_sock_is_valid_access`: what any program may access of a `struct bpf_sock`.
pub fn bpf_sock_access_ok(off: u32, size: u32) -> bool {
    use sock_off::*;
    if off >= SOCK_CTX_SIZE || size == 0 || !off.is_multiple_of(size) {
        return false;
    }
    match off {
        FAMILY | TYPE | PROTOCOL | SRC_PORT | STATE | RX_QUEUE_MAPPING => narrow_ok(size, 4),
        SRC_IP4..SRC_PORT | DST_IP4..STATE => narrow_ok(size, 4),
        // `dst_port` is 2 bytes; a 4-byte load of it is allowed for compatibility.
        DST_PORT..50 => narrow_ok(size, if size == 4 { 4 } else { 2 }),
        50..DST_IP4 => false,
        _ => size == 4,
    }
}

/// Whether a cgroup_sock program attached as `attach` (`None`: the default,
/// `BPF_CGROUP_INET_SOCK_CREATE`) may access `size` bytes at `off` of its `struct bpf_sock`.
pub fn sock_access_ok(attach: Option<u32>, off: u32, size: u32, write: bool) -> bool {
    use sock_off::*;
    if !bpf_sock_access_ok(off, size) {
        return false;
    }
    let attach = attach.unwrap_or(CGROUP_INET_SOCK_CREATE);
    match off {
        BOUND_DEV_IF | MARK | PRIORITY => {
            matches!(attach, CGROUP_INET_SOCK_CREATE | CGROUP_INET_SOCK_RELEASE)
        }
        SRC_IP4..SRC_IP6 => attach == CGROUP_INET4_POST_BIND && !write,
        SRC_IP6..SRC_PORT => attach == CGROUP_INET6_POST_BIND && !write,
        SRC_PORT..DST_PORT => {
            matches!(attach, CGROUP_INET4_POST_BIND | CGROUP_INET6_POST_BIND) && !write
        }
        _ => !write,
    }
}

/// Offsets in `struct bpf_sock_addr`.
mod addr_off {
    pub const USER_FAMILY: u32 = 0;
    pub const USER_IP4: u32 = 4;
    pub const USER_IP6: u32 = 8;
    pub const USER_PORT: u32 = 24;
    pub const FAMILY: u32 = 28;
    pub const MSG_SRC_IP4: u32 = 40;
    pub const MSG_SRC_IP6: u32 = 44;
    pub const MSG_SRC_IP6_END: u32 = 60;
    pub const SK: u32 = 64;
}

/// Whether a cgroup_sock_addr program attached as `attach` may access `size` bytes at `off`
/// of its `struct bpf_sock_addr`: each address field only for the hooks of its family (and
/// the source address only for sendmsg), addresses and port read narrow or written whole,
/// 8-byte accesses to aligned halves of the IPv6 arrays, `sk` an 8-byte load.
pub fn sock_addr_access_ok(attach: Option<u32>, off: u32, size: u32, write: bool) -> bool {
    use addr_off::*;
    if off >= SOCK_ADDR_CTX_SIZE || size == 0 || !off.is_multiple_of(size) {
        return false;
    }
    let attach = attach.unwrap_or(u32::MAX);
    let family_ok = match off {
        USER_IP4..USER_IP6 => matches!(
            attach,
            CGROUP_INET4_BIND
                | CGROUP_INET4_CONNECT
                | CGROUP_INET4_GETPEERNAME
                | CGROUP_INET4_GETSOCKNAME
                | CGROUP_UDP4_SENDMSG
                | CGROUP_UDP4_RECVMSG
        ),
        USER_IP6..USER_PORT => matches!(
            attach,
            CGROUP_INET6_BIND
                | CGROUP_INET6_CONNECT
                | CGROUP_INET6_GETPEERNAME
                | CGROUP_INET6_GETSOCKNAME
                | CGROUP_UDP6_SENDMSG
                | CGROUP_UDP6_RECVMSG
        ),
        MSG_SRC_IP4..MSG_SRC_IP6 => attach == CGROUP_UDP4_SENDMSG,
        MSG_SRC_IP6..MSG_SRC_IP6_END => attach == CGROUP_UDP6_SENDMSG,
        _ => true,
    };
    if !family_ok {
        return false;
    }
    match off {
        USER_IP4..FAMILY | MSG_SRC_IP4..MSG_SRC_IP6_END => {
            if wide_ok(off, size, USER_IP6, USER_PORT)
                || wide_ok(off, size, MSG_SRC_IP6, MSG_SRC_IP6_END)
            {
                true
            } else if write {
                size == 4
            } else {
                narrow_ok(size, 4)
            }
        }
        SK.. => !write && size == 8,
        USER_FAMILY..USER_IP4 | FAMILY..MSG_SRC_IP4 => !write && size == 4,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sock_addr_fields_follow_the_attach_family() {
        let v4 = Some(CGROUP_INET4_CONNECT);
        let v6 = Some(CGROUP_INET6_CONNECT);
        assert!(sock_addr_access_ok(v4, addr_off::USER_IP4, 4, true));
        assert!(!sock_addr_access_ok(v6, addr_off::USER_IP4, 4, false));
        assert!(sock_addr_access_ok(v6, addr_off::USER_IP6, 8, true));
        assert!(!sock_addr_access_ok(v6, addr_off::USER_IP6 + 4, 8, false));
        assert!(!sock_addr_access_ok(v4, addr_off::USER_PORT, 2, true));
        assert!(sock_addr_access_ok(v4, addr_off::USER_PORT, 2, false));
        assert!(!sock_addr_access_ok(
            Some(CGROUP_UDP6_SENDMSG),
            addr_off::MSG_SRC_IP6,
            8,
            false
        ));
        assert!(sock_addr_access_ok(Some(CGROUP_UDP6_SENDMSG), 48, 8, false));
        assert!(!sock_addr_access_ok(v4, addr_off::FAMILY + 8, 4, true));
        assert!(sock_addr_access_ok(v4, addr_off::SK, 8, false));
        assert!(!sock_addr_access_ok(v4, 60, 4, false));
    }

    #[test]
    fn sock_writes_only_at_create_and_release() {
        assert!(sock_access_ok(None, sock_off::MARK, 4, true));
        assert!(!sock_access_ok(
            Some(CGROUP_INET4_POST_BIND),
            sock_off::MARK,
            4,
            false
        ));
        assert!(sock_access_ok(
            Some(CGROUP_INET4_POST_BIND),
            sock_off::SRC_IP4,
            1,
            false
        ));
        assert!(!sock_access_ok(None, sock_off::SRC_IP4, 4, false));
        assert!(sock_access_ok(None, sock_off::DST_PORT + 1, 1, false));
        assert!(!sock_access_ok(None, sock_off::FAMILY + 1, 1, false));
        assert!(!sock_access_ok(None, sock_off::FAMILY, 4, true));
    }
}
