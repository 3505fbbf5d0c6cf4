//! Which prototype a helper call is checked against (`env->ops->get_func_proto` and the
//! checks `check_helper_call` makes before it looks at the arguments).
//!
//! `do_check` asks a [`HelperModel`] for the prototype of every helper a program calls and
//! then checks R1–R5 and sets R0 from it (`do_check`'s `helper_call` module, the kernel's
//! `check_func_arg` and return-type switch). [`KernelHelpers`] answers with the kernel's
//! `bpf_func_proto` table of [`crate::helpers::proto`]: availability per program type,
//! GPL-only helpers, `allowed` hooks and sleepable helpers, with the kernel's messages.
//! [`MapHelpers`] is its former name, kept for callers that still use it.

use crate::helpers::proto::{self, HelperCallError, HelperProto, ProgSpec};

/// Where `do_check` gets helper prototypes from.
pub trait HelperModel {
    /// The prototype of helper `func_id` (the call's `imm`) for `prog`, or the kernel's
    /// refusal (`program of this type cannot use helper ...`, `invalid func unknown#N`, the
    /// GPL and sleep checks).
    fn prototype(
        &self,
        func_id: i32,
        prog: &ProgSpec<'_>,
        gpl_compatible: bool,
    ) -> Result<&'static HelperProto, HelperCallError>;
}

/// The kernel's prototypes ([`proto::check_call`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelHelpers;

impl HelperModel for KernelHelpers {
    fn prototype(
        &self,
        func_id: i32,
        prog: &ProgSpec<'_>,
        gpl_compatible: bool,
    ) -> Result<&'static HelperProto, HelperCallError> {
        proto::check_call(func_id, prog, gpl_compatible)
    }
}

pub use KernelHelpers as MapHelpers;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progtype::ProgType;

    #[test]
    fn prototypes_follow_the_availability_table() {
        let spec = ProgSpec::new(ProgType::SocketFilter, None);
        let p = KernelHelpers.prototype(1, &spec, true).unwrap();
        assert_eq!(p.name(), "bpf_map_lookup_elem");
        let e = KernelHelpers.prototype(53, &spec, true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "program of this type cannot use helper bpf_sock_map_update#53"
        );
    }
}
