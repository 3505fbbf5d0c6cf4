//! `struct sk_msg_md`: the context of sk_msg programs. Only its access rules are modelled
//! (net/core/filter.c `sk_msg_is_valid_access`), for the verifier.

/// `sizeof(struct sk_msg_md)`.
pub const SK_MSG_CTX_SIZE: u32 = 80;

/// Offsets of the pointer fields.
pub mod off {
    pub const DATA: u32 = 0;
    pub const DATA_END: u32 = 8;
    /// `family`: the first 4-byte field.
    pub const FAMILY: u32 = 16;
    /// `sk`.
    pub const SK: u32 = 72;
}

/// Whether an sk_msg program may access `size` bytes at `off` of its context: loads only,
/// 8 bytes of the pointers, 4 of the others.
pub fn access_ok(off: u32, size: u32, write: bool) -> bool {
    if write || size == 0 || !off.is_multiple_of(size) || off >= SK_MSG_CTX_SIZE {
        return false;
    }
    match off {
        off::DATA..off::FAMILY | off::SK.. => size == 8,
        _ => size == 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_need_full_loads() {
        assert!(access_ok(off::DATA, 8, false));
        assert!(!access_ok(off::DATA + 4, 4, false));
        assert!(access_ok(68, 4, false));
        assert!(!access_ok(68, 2, false));
        assert!(!access_ok(off::FAMILY, 4, true));
        assert!(!access_ok(off::SK + 4, 4, false));
    }
}
