//! `struct bpf_sock_ops`: the context of sock_ops programs. Only its access rules are
//! modelled (net/core/filter.c `sock_ops_is_valid_access`), for the verifier; these programs
//! have no test run in the kernel.

/// `sizeof(struct bpf_sock_ops)`.
pub const SOCK_OPS_CTX_SIZE: u32 = 224;

/// Offsets of the fields whose access rules differ from the 4-byte default.
pub mod off {
    /// `reply` (in the `args` union).
    pub const REPLY: u32 = 4;
    pub const SK_TXHASH: u32 = 164;
    pub const BYTES_RECEIVED: u32 = 168;
    /// `bytes_acked` ends here.
    pub const BYTES_ACKED_END: u32 = 184;
    /// `__bpf_md_ptr(struct bpf_sock *, sk)`.
    pub const SK: u32 = 184;
    pub const SKB_DATA: u32 = 192;
    pub const SKB_DATA_END: u32 = 200;
    pub const SKB_LEN: u32 = 208;
    pub const SKB_TCP_FLAGS: u32 = 212;
    pub const SKB_HWTSTAMP: u32 = 216;
}

/// Whether a sock_ops program may access `size` bytes at `off` of its context.
pub fn access_ok(off: u32, size: u32, write: bool) -> bool {
    if off >= SOCK_OPS_CTX_SIZE || size == 0 || !off.is_multiple_of(size) {
        return false;
    }
    if write {
        return matches!(off, off::REPLY | off::SK_TXHASH) && size == 4;
    }
    match off {
        off::BYTES_RECEIVED..off::BYTES_ACKED_END => size == 8,
        // sk, skb_data, skb_data_end: pointers.
        off::SK..off::SKB_LEN => size == 8,
        off::SKB_TCP_FLAGS => super::narrow_ok(size, 4),
        off::SKB_HWTSTAMP.. => size == 8,
        _ => size == 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_and_wide_fields_need_full_loads() {
        assert!(access_ok(off::SK, 8, false));
        assert!(!access_ok(off::SK + 4, 4, false));
        assert!(!access_ok(off::SKB_DATA + 4, 4, false));
        assert!(access_ok(off::SKB_TCP_FLAGS, 1, false));
        assert!(!access_ok(off::SKB_TCP_FLAGS + 1, 1, false));
        assert!(access_ok(off::REPLY, 4, true));
        assert!(!access_ok(0, 4, true));
        assert!(access_ok(0, 4, false));
        assert!(!access_ok(0, 2, false));
    }
}
