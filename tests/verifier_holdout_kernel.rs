//! Verifier rules the kernel's own selftests exercise, against Linux 6.18: the return-value
//! range at exit by program and attach type (`check_return_code`), the special fields of
//! map values (`bpf_spin_lock`, `bpf_timer`: `check_map_access`, `process_spin_lock`,
//! `check_map_prog_compatibility`), map access flags through helper arguments, legacy packet
//! loads in subprograms (their failure returns 0; `check_btf_func`), pruning that compares
//! the locks and references held (`refsafe`), flow keys and writable tracepoint buffers,
//! `may_goto` loops (the jump first, the next iteration deeper and widened), scalar spills
//! narrower than 8 bytes, sleepable sections, `arg:trusted` global function parameters and
//! the pointers a comparison with 0 decides, callbacks called again from a widened state,
//! loads through map pointers, the maps sleepable programs may use.
//!
//! The probes are the naked BPF programs of `tests/fixtures/verifier_holdout/*.c` (built by
//! `build.sh` there, objects committed), mostly accepted and rejected twins. Each one's
//! expectation in [`CASES`] is what the running kernel said when it loaded the object with
//! libbpf as root (`$BPFSIM_SHARED/tools/kernel_verdicts.py`): `accept`, or the last line
//! of the verifier log.
//!
//! `recorded_verdicts_hold` runs bpfsim's verifier over every probe (with the objects' map
//! records, as `bpfsim verify` does) and requires the same verdict and, for a reject, the
//! same message. `kernel_agrees_with_the_recorded_verdicts` asks the kernel again (root
//! and the shared tools needed, else it prints `skipped`).

mod common;

use bpfsim::object::Object;
use std::path::{Path, PathBuf};

/// (fixture object without `.o`, program, the kernel's verdict or error line).
const CASES: &[common::probes::Probe] = &[
    ("fields", "load_next_to_lock", "accept"),
    (
        "fields",
        "load_of_lock",
        "bpf_spin_lock cannot be accessed directly by load/store",
    ),
    (
        "fields",
        "wide_load_over_lock",
        "bpf_spin_lock cannot be accessed directly by load/store",
    ),
    (
        "fields",
        "store_to_lock",
        "bpf_spin_lock cannot be accessed directly by load/store",
    ),
    (
        "fields",
        "load_of_nested_lock",
        "bpf_spin_lock cannot be accessed directly by load/store",
    ),
    (
        "fields",
        "helper_reads_over_lock",
        "bpf_spin_lock cannot be accessed directly by load/store",
    ),
    ("fields", "helper_reads_past_lock", "accept"),
    ("fields", "lock_at_its_offset", "accept"),
    (
        "fields",
        "lock_at_wrong_offset",
        "off 0 doesn't point to 'struct bpf_spin_lock' that is at 4",
    ),
    (
        "fields",
        "lock_in_map_without_lock",
        "map 'no_lock' has no valid bpf_spin_lock",
    ),
    (
        "fields",
        "lock_at_variable_offset",
        "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset",
    ),
    (
        "fields",
        "load_of_timer",
        "bpf_timer cannot be accessed directly by load/store",
    ),
    ("fields", "load_before_timer", "accept"),
    (
        "fields",
        "timer_map_in_kprobe",
        "tracing progs cannot use bpf_timer yet",
    ),
    (
        "fields",
        "lock_map_in_kprobe",
        "tracing progs cannot use bpf_spin_lock yet",
    ),
    ("fields", "plain_map_in_kprobe", "accept"),
    (
        "fields",
        "lock_map_in_socket_filter",
        "socket filter progs cannot use bpf_spin_lock yet",
    ),
    (
        "map_flags",
        "helper_writes_rdonly",
        "write into map forbidden, value_size=8 off=0 size=8",
    ),
    ("map_flags", "helper_reads_rdonly", "accept"),
    (
        "map_flags",
        "helper_reads_wronly",
        "read from map forbidden, value_size=8 off=0 size=8",
    ),
    ("map_flags", "helper_writes_wronly", "accept"),
    ("returns", "bind4_ret3", "accept"),
    (
        "returns",
        "bind4_ret4",
        "At program exit the register R0 has smin=4 smax=4 should have been in [0, 3]",
    ),
    (
        "returns",
        "bind6_ret_neg",
        "At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 3]",
    ),
    ("returns", "connect4_ret1", "accept"),
    (
        "returns",
        "connect4_ret2",
        "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]",
    ),
    ("returns", "recvmsg4_ret1", "accept"),
    (
        "returns",
        "recvmsg4_ret0",
        "At program exit the register R0 has smin=0 smax=0 should have been in [1, 1]",
    ),
    (
        "returns",
        "getpeername6_ret0",
        "At program exit the register R0 has smin=0 smax=0 should have been in [1, 1]",
    ),
    ("returns", "getsockname4_ret1", "accept"),
    (
        "returns",
        "sendmsg6_ret2",
        "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]",
    ),
    ("returns", "egress_ret3", "accept"),
    (
        "returns",
        "egress_ret4",
        "At program exit the register R0 has smin=4 smax=4 should have been in [0, 3]",
    ),
    (
        "returns",
        "ingress_ret2",
        "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]",
    ),
    (
        "returns",
        "sk_lookup_ret2",
        "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]",
    ),
    ("returns", "tp_btf_any", "accept"),
    ("returns", "raw_tp_any", "accept"),
    ("returns", "kprobe_any", "accept"),
    ("returns", "xdp_any", "accept"),
    (
        "returns",
        "connect6_ret_unknown",
        "At program exit the register R0 has smin=0 smax=4294967295 should have been in [0, 1]",
    ),
    (
        "returns",
        "connect6_ret_pointer",
        "At program exit the register R0 is not a known value (fp)",
    ),
    ("ld_abs", "ldabs_zero_return_seen", "R9 !read_ok"),
    ("ld_abs", "ldind_zero_return_seen", "R9 !read_ok"),
    ("ld_abs", "ldabs_two_never_returned", "accept"),
    (
        "ld_abs",
        "ldabs_in_void_subprog",
        "LD_ABS is only allowed in functions that return 'int'.",
    ),
    ("ld_abs", "ldabs_in_main", "accept"),
    (
        "prune_refs",
        "unlock_on_one_branch",
        "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region",
    ),
    ("prune_refs", "unlock_on_both_branches", "accept"),
    (
        "prune_refs",
        "release_on_one_branch",
        "BPF_EXIT instruction in main prog would lead to reference leak",
    ),
    ("prune_refs", "release_on_both_branches", "accept"),
    ("ctx_pointers", "flow_keys_read", "accept"),
    (
        "ctx_pointers",
        "flow_keys_read_past_end",
        "invalid access to flow keys off=53 size=4",
    ),
    ("ctx_pointers", "flow_keys_write", "accept"),
    ("ctx_pointers", "flow_keys_constant_add", "accept"),
    (
        "ctx_pointers",
        "flow_keys_constant_add_past_end",
        "invalid access to flow keys off=50 size=8",
    ),
    (
        "ctx_pointers",
        "flow_keys_variable_add",
        "R7 pointer arithmetic on flow_keys prohibited",
    ),
    ("ctx_pointers", "tp_buffer_write", "accept"),
    (
        "ctx_pointers",
        "tp_buffer_negative",
        "R6 invalid tracepoint buffer access: off=-8, size=8",
    ),
    ("ctx_pointers", "tp_buffer_constant_add", "accept"),
    (
        "ctx_pointers",
        "tp_buffer_variable_add",
        "R6 invalid variable buffer offset: off=0, var_off=(0x0; 0x8)",
    ),
    ("linked", "stale_delta_dropped", "div by zero"),
    ("linked", "linked_distance_kept", "accept"),
    ("may_goto", "counter_loop", "accept"),
    ("may_goto", "counter_loop_two_vars", "accept"),
    (
        "may_goto",
        "pointer_walks_off_value",
        "R7 min value is outside of the allowed memory range",
    ),
    ("may_goto", "pointer_walk_bounded", "accept"),
    ("may_goto", "fallthrough_checked", "R9 !read_ok"),
    ("spills", "narrow_spill_keeps_constant", "accept"),
    ("spills", "narrow_spill_other_bytes_unknown", "R9 !read_ok"),
    ("spills", "narrow_st_imm_keeps_constant", "accept"),
    ("spills", "narrow_spill_links_register", "accept"),
    ("spills", "narrowing_spill_breaks_link", "R9 !read_ok"),
    ("spills", "narrow_fill_of_wide_spill", "accept"),
    ("sleep_trusted", "sleepable_copy", "accept"),
    (
        "sleep_trusted",
        "not_sleepable_copy",
        "helper call might sleep in a non-sleepable prog",
    ),
    ("sleep_trusted", "trusted_gets_task", "accept"),
    (
        "sleep_trusted",
        "trusted_gets_null",
        "Caller passes invalid args into func#1 ('take_task')",
    ),
    ("sleep_trusted", "trusted_nullable_gets_null", "accept"),
    (
        "sleep_trusted",
        "trusted_gets_scalar",
        "Caller passes invalid args into func#1 ('take_task')",
    ),
    ("not_null", "socket_checked_twice", "accept"),
    ("not_null", "map_pointer_never_null", "accept"),
    ("not_null", "stack_pointer_not_decided", "R9 !read_ok"),
    ("not_null", "ctx_pointer_not_decided", "R9 !read_ok"),
    ("callbacks", "loop_bumps_counter", "accept"),
    ("callbacks", "loop_counter_indexes", "accept"),
    ("map_ptr", "array_struct_read", "accept"),
    (
        "map_ptr",
        "array_struct_negative",
        "R1 is bpf_array invalid negative access: off=-8",
    ),
    (
        "map_ptr",
        "array_struct_write",
        "only read from bpf_array is supported",
    ),
    (
        "map_ptr",
        "hash_struct_negative",
        "R1 is bpf_htab invalid negative access: off=-4",
    ),
    (
        "map_ptr",
        "hash_struct_write",
        "only read from bpf_htab is supported",
    ),
    ("sleepable_maps", "sleepable_uses_array", "accept"),
    (
        "sleepable_maps",
        "sleepable_uses_perf_array",
        "Sleepable programs can only use array, hash, ringbuf and local storage maps",
    ),
    ("sleepable_maps", "not_sleepable_uses_perf_array", "accept"),
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verifier_holdout")
}

#[test]
fn recorded_verdicts_hold() {
    common::probes::check_recorded(&fixture_dir(), CASES);
}

#[test]
fn kernel_agrees_with_the_recorded_verdicts() {
    common::probes::check_kernel(&fixture_dir(), CASES);
}

#[test]
fn map_records_come_from_the_value_btf() {
    use bpfsim::object::map_fields::{FieldKind, MapField};
    let obj = Object::from_file(fixture_dir().join("fields.o")).expect("fixture parses");
    let record = |name: &str| {
        let i = obj.map_index(name).expect("map exists");
        obj.map_record(i)
    };
    let field = |kind, offset| MapField { kind, offset };
    assert_eq!(record("locked"), Some(vec![field(FieldKind::SpinLock, 4)]));
    // A lock inside a struct member: its offset in the outer value.
    assert_eq!(
        record("nested_lock"),
        Some(vec![field(FieldKind::SpinLock, 12)])
    );
    assert_eq!(record("timers"), Some(vec![field(FieldKind::Timer, 8)]));
    assert_eq!(record("no_lock"), Some(Vec::new()));
}
