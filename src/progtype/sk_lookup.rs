//! `struct bpf_sk_lookup`: the context of sk_lookup programs. Only its access rules are
//! modelled (net/core/filter.c `sk_lookup_is_valid_access`), for the verifier: loads only,
//! `sk` as a whole 8-byte pointer (a socket or null), the 4-byte fields read narrow.

/// `sizeof(struct bpf_sk_lookup)`.
pub const SK_LOOKUP_CTX_SIZE: u32 = 72;

/// Offsets in `struct bpf_sk_lookup`.
pub mod off {
    /// `sk` (a union with `cookie`).
    pub const SK: u32 = 0;
    pub const FAMILY: u32 = 8;
    pub const REMOTE_PORT: u32 = 36;
    /// The zero padding after `remote_port`.
    pub const PAD: u32 = 38;
    pub const LOCAL_IP4: u32 = 40;
    /// `ingress_ifindex`, the last field; 4 bytes of padding follow.
    pub const INGRESS_IFINDEX: u32 = 64;
}

/// Whether an sk_lookup program may access `size` bytes at `off` of its context.
pub fn access_ok(off: u32, size: u32, write: bool) -> bool {
    use off::*;
    if write || size == 0 || off >= SK_LOOKUP_CTX_SIZE || !off.is_multiple_of(size) {
        return false;
    }
    let narrow = |field: u32| super::narrow_ok(size, field);
    match off {
        SK..FAMILY => size == 8,
        // `remote_port` is 2 bytes; a 4-byte load of it is allowed for compatibility.
        REMOTE_PORT..PAD => size == 4 || narrow(2),
        PAD..LOCAL_IP4 => narrow(2),
        FAMILY..REMOTE_PORT | LOCAL_IP4..SK_LOOKUP_CTX_SIZE if off < INGRESS_IFINDEX + 4 => {
            narrow(4)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_only_sk_whole() {
        assert!(access_ok(off::SK, 8, false));
        assert!(!access_ok(off::SK, 4, false));
        assert!(!access_ok(off::FAMILY, 8, false));
        assert!(access_ok(off::FAMILY + 1, 1, false));
        assert!(!access_ok(off::FAMILY, 4, true));
        assert!(access_ok(off::REMOTE_PORT, 4, false));
        assert!(access_ok(off::PAD, 2, false));
        assert!(access_ok(off::INGRESS_IFINDEX, 4, false));
        assert!(!access_ok(off::INGRESS_IFINDEX + 4, 4, false));
    }
}
