//! Helper calls against Linux 6.18: argument kinds, return types, references, map and
//! helper compatibility, tail calls and callbacks.
//!
//! The probes are the naked BPF programs of `tests/fixtures/verifier_helpers/*.c` (built
//! by `build.sh` there, objects committed), mostly accepted and rejected twins. Each one's
//! expectation in [`CASES`] is what the running kernel said when it loaded the object with
//! libbpf as root (`$BPFSIM_SHARED/tools/kernel_verdicts.py`): `accept`, or the last line
//! of the verifier log.
//!
//! `recorded_verdicts_hold` runs bpfsim's verifier over every probe and requires the same
//! verdict and, for a reject, the same message. `kernel_agrees_with_the_recorded_verdicts`
//! asks the kernel again (root and the shared tools needed, else it prints `skipped`).

mod common;

use bpfsim::object::Object;
use bpfsim::verifier::{MapRefs, PreflightOptions, verify};
use std::path::{Path, PathBuf};

/// (fixture object without `.o`, program, the kernel's verdict or error line).
const CASES: &[common::probes::Probe] = &[
    ("args", "key_ok", "accept"),
    (
        "args",
        "key_out_of_stack",
        "invalid read from stack R2 off=-2 size=4",
    ),
    (
        "args",
        "key_scalar",
        "R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    ),
    ("args", "key_uninit_reg", "R2 !read_ok"),
    ("args", "map_arg_not_a_map", "R1 type=fp expected=map_ptr"),
    (
        "args",
        "percpu_arg_scalar",
        "R1 type=scalar expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_",
    ),
    ("args", "key_from_map_value", "accept"),
    (
        "args",
        "key_from_small_map_value",
        "R2 min value is outside of the allowed memory range",
    ),
    ("args", "key_from_map_value_or_null", "accept"),
    ("args", "update_value_ok", "accept"),
    (
        "args",
        "update_value_past_stack",
        "invalid read from stack R3 off=-4 size=8",
    ),
    ("args", "update_flags_uninit", "R4 !read_ok"),
    (
        "args",
        "update_value_ctx",
        "R3 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    ),
    ("args", "mem_ok", "accept"),
    (
        "args",
        "mem_past_stack",
        "invalid write to stack R1 off=-8 size=16",
    ),
    (
        "args",
        "mem_below_stack",
        "invalid write to stack R1 off=-520 size=16",
    ),
    (
        "args",
        "mem_zero_size",
        "R2 invalid zero-sized read: u64=[0,0]",
    ),
    (
        "args",
        "mem_negative_size",
        "R2 min value is negative, either use unsigned or 'var &= const'",
    ),
    (
        "args",
        "mem_unbounded_size",
        "R2 invalid zero-sized read: u64=[0,4294967295]",
    ),
    ("args", "mem_bounded_size_ok", "accept"),
    (
        "args",
        "mem_bounded_size_too_big",
        "invalid write to stack R1 off=-16 size=32",
    ),
    (
        "args",
        "mem_size_maybe_zero",
        "R2 invalid zero-sized read: u64=[0,15]",
    ),
    (
        "args",
        "mem_ctx",
        "R1 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    ),
    (
        "args",
        "mem_null",
        "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    ),
    ("args", "mem_map_value_ok", "accept"),
    (
        "args",
        "mem_map_value_too_small",
        "R1 min value is outside of the allowed memory range",
    ),
    (
        "args",
        "mem_map_value_or_null",
        "R1 type=map_value_or_null expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    ),
    (
        "args",
        "mem_rodata_write",
        "write into map forbidden, value_size=12 off=0 size=8",
    ),
    ("args", "mem_data_write_ok", "accept"),
    ("args", "rdonly_mem_from_rodata_ok", "accept"),
    ("args", "rdonly_mem_uninit_stack_ok", "accept"),
    ("args", "ctx_ok", "accept"),
    ("args", "ctx_is_stack", "R1 type=fp expected=ctx"),
    (
        "args",
        "ctx_modified",
        "dereference of modified ctx ptr R1 off=4 disallowed",
    ),
    ("args", "anything_uninit", "R3 !read_ok"),
    ("args", "const_str_missing_args", "Invalid format string"),
    ("args", "const_str_no_args_ok", "accept"),
    (
        "args",
        "const_str_writable",
        "R3 does not point to a readonly map'",
    ),
    ("args", "const_str_stack", "R3 type=fp expected=map_value"),
    ("args", "args_clobbered", "R1 !read_ok"),
    ("args", "fork_zero_half_reaches_bad", "R9 !read_ok"),
    ("args", "fork_neither_half_reaches_bad_ok", "accept"),
    ("args", "fixed_size_ok", "accept"),
    (
        "args",
        "fixed_size_misaligned",
        "misaligned stack access off 0+-12+0 size 8",
    ),
    (
        "args",
        "fixed_size_past_stack",
        "invalid write to stack R4 off=-4 size=8",
    ),
    ("callbacks", "loop_ok", "accept"),
    (
        "callbacks",
        "loop_callback_returns_2",
        "At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]",
    ),
    ("callbacks", "loop_ctx_on_stack_ok", "accept"),
    (
        "callbacks",
        "loop_null_ctx_read",
        "R2 invalid mem access 'scalar'",
    ),
    (
        "callbacks",
        "loop_not_a_function",
        "R2 type=scalar expected=func",
    ),
    ("callbacks", "for_each_ok", "accept"),
    (
        "callbacks",
        "for_each_past_value",
        "R3 min value is outside of the allowed memory range",
    ),
    (
        "callbacks",
        "loop_unsafe_on_second_iteration",
        "R1 invalid mem access 'scalar'",
    ),
    (
        "callbacks",
        "loop_once_cannot_reach_second_iteration",
        "accept",
    ),
    ("callbacks", "subprog_exit_without_r0_ok", "accept"),
    ("callbacks", "subprog_r0_unset_used", "R0 !read_ok"),
    (
        "callbacks",
        "subprog_returns_stack_pointer",
        "cannot return stack pointer to the caller",
    ),
    (
        "globals",
        "global_deref_unchecked",
        "R1 invalid mem access 'mem_or_null'",
    ),
    ("globals", "global_deref_checked", "accept"),
    ("globals", "global_ctx_ok", "accept"),
    ("globals", "global_scalars_ok", "accept"),
    (
        "globals",
        "global_ctx_given_scalar",
        "Caller passes invalid args into func#1 ('skb_len')",
    ),
    (
        "globals",
        "global_mem_too_small",
        "Caller passes invalid args into func#1 ('deref_checked')",
    ),
    ("globals", "global_mem_null_ok", "accept"),
    (
        "globals",
        "global_scalar_given_pointer",
        "Caller passes invalid args into func#1 ('add')",
    ),
    ("globals", "const_key_in_range_ok", "accept"),
    (
        "globals",
        "const_key_out_of_range",
        "R0 invalid mem access 'map_value_or_null'",
    ),
    (
        "globals",
        "const_key_unknown",
        "R0 invalid mem access 'map_value_or_null'",
    ),
    (
        "globals",
        "const_key_hash",
        "R0 invalid mem access 'map_value_or_null'",
    ),
    ("globals", "const_key_null_branch_dead", "accept"),
    (
        "globals",
        "ld_abs_with_reference",
        "BPF_LD_[ABS|IND] would lead to reference leak",
    ),
    ("globals", "global_nonnull_ok", "accept"),
    ("globals", "global_nonnull_given_null", "accept"),
    ("globals", "global_ctx_tag_ok", "accept"),
    (
        "globals",
        "global_ctx_tag_given_stack",
        "Caller passes invalid args into func#1 ('ctx_tagged')",
    ),
    ("locks", "lock_unlock_ok", "accept"),
    (
        "locks",
        "lock_held_at_exit",
        "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region",
    ),
    (
        "locks",
        "unlock_without_lock",
        "bpf_spin_unlock without taking a lock",
    ),
    (
        "locks",
        "call_under_lock",
        "function calls are not allowed while holding a lock",
    ),
    (
        "locks",
        "unlock_other_value",
        "bpf_spin_unlock of different lock",
    ),
    (
        "locks",
        "ld_abs_under_lock",
        "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region",
    ),
    ("locks", "jeq_nonnull_infers_ok", "accept"),
    (
        "locks",
        "jne_nonnull_infers_nothing",
        "R7 invalid mem access 'map_value_or_null'",
    ),
    ("maps", "tail_call_ok", "accept"),
    ("maps", "tail_call_r0_unset", "R0 !read_ok"),
    (
        "maps",
        "tail_call_array",
        "expected prog array map for tail call",
    ),
    ("maps", "tail_call_not_ctx", "R1 type=fp expected=ctx"),
    (
        "maps",
        "lookup_prog_array",
        "cannot pass map_type 3 into func bpf_map_lookup_elem#1",
    ),
    ("maps", "perf_output_ok", "accept"),
    (
        "maps",
        "perf_output_array",
        "cannot pass map_type 2 into func bpf_perf_event_output#25",
    ),
    ("maps", "perf_output_zero_size_ok", "accept"),
    (
        "maps",
        "ringbuf_output_perf_map",
        "cannot pass map_type 4 into func bpf_ringbuf_output#130",
    ),
    ("maps", "ringbuf_query_ok", "accept"),
    ("maps", "lookup_ringbuf", "invalid zero-sized read"),
    (
        "maps",
        "redirect_map_array",
        "cannot pass map_type 2 into func bpf_redirect_map#51",
    ),
    ("maps", "inner_map_lookup_ok", "accept"),
    (
        "maps",
        "inner_map_value_too_small",
        "R0 min value is outside of the allowed memory range",
    ),
    (
        "maps",
        "inner_map_unchecked",
        "R1 type=map_value_or_null expected=map_ptr",
    ),
    ("maps", "inner_ringbuf_lookup", "invalid zero-sized read"),
    ("maps", "inner_ringbuf_reserve_ok", "accept"),
    ("maps", "void_helper_r0", "R0 !read_ok"),
    ("maps", "map_ptr_as_anything", "accept"),
    ("refs", "sk_release_ok", "accept"),
    (
        "refs",
        "sk_leak",
        "BPF_EXIT instruction in main prog would lead to reference leak",
    ),
    (
        "refs",
        "sk_leak_on_one_path",
        "BPF_EXIT instruction in main prog would lead to reference leak",
    ),
    (
        "refs",
        "sk_release_unchecked",
        "R1 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_",
    ),
    (
        "refs",
        "sk_release_twice",
        "R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_",
    ),
    (
        "refs",
        "sk_use_after_release",
        "R7 invalid mem access 'scalar'",
    ),
    (
        "refs",
        "sk_release_unacquired",
        "R1 must be referenced when passed to release function",
    ),
    (
        "refs",
        "sk_release_ctx",
        "R1 type=ctx expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_",
    ),
    ("refs", "sk_read_field_ok", "accept"),
    (
        "refs",
        "sk_read_unchecked",
        "R0 invalid mem access 'sock_or_null'",
    ),
    (
        "refs",
        "sk_tail_call_with_ref",
        "tail_call would lead to reference leak",
    ),
    (
        "refs",
        "sk_leak_through_spill",
        "BPF_EXIT instruction in main prog would lead to reference leak",
    ),
    ("refs", "sk_release_from_spill_ok", "accept"),
    (
        "refs",
        "sk_field_dst_port_bad_half",
        "R0 invalid sock access off=50 size=2",
    ),
    ("refs", "sk_field_dst_port_half_ok", "accept"),
    ("refs", "sk_field_write", "R0 cannot write into sock"),
    (
        "refs",
        "skb_sk_common_type_invalid",
        "R1 invalid sock_common access off=8 size=4",
    ),
    ("refs", "skb_sk_common_family_ok", "accept"),
    ("refs", "rb_submit_ok", "accept"),
    ("refs", "rb_discard_ok", "accept"),
    (
        "refs",
        "rb_leak",
        "BPF_EXIT instruction in main prog would lead to reference leak",
    ),
    (
        "refs",
        "rb_write_past_record",
        "R0 min value is outside of the allowed memory range",
    ),
    (
        "refs",
        "rb_size_not_constant",
        "R2 is not a known constant'",
    ),
    (
        "refs",
        "rb_wrong_map",
        "cannot pass map_type 2 into func bpf_ringbuf_reserve#131",
    ),
    (
        "refs",
        "rb_submit_unchecked",
        "R1 type=ringbuf_mem_or_null expected=ringbuf_mem",
    ),
    (
        "refs",
        "rb_submit_with_offset",
        "R1 must have zero offset when passed to release func or trusted arg to kfunc",
    ),
    ("refs", "rb_submit_stack", "R1 type=fp expected=ringbuf_mem"),
    (
        "refs",
        "rb_submit_twice",
        "R1 type=scalar expected=ringbuf_mem",
    ),
    ("refs", "rb_record_as_helper_mem_ok", "accept"),
    (
        "refs",
        "rb_record_as_helper_mem_too_big",
        "R1 min value is outside of the allowed memory range",
    ),
    ("refs", "rb_output_ok", "accept"),
    (
        "refs",
        "rb_output_null_zero",
        "R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    ),
    ("refs", "rb_output_stack_zero_ok", "accept"),
    ("refs", "sockmap_lookup_field_ok", "accept"),
    (
        "refs",
        "sockmap_lookup_leak",
        "BPF_EXIT instruction in main prog would lead to reference leak",
    ),
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verifier_helpers")
}

#[test]
fn recorded_verdicts_hold() {
    common::probes::check_recorded(&fixture_dir(), CASES);
}

#[test]
fn kernel_agrees_with_the_recorded_verdicts() {
    common::probes::check_kernel(&fixture_dir(), CASES);
}

/// Corpus programs the kernel refuses for a helper-call rule, with its error line.
const CORPUS_REJECTS: &[(&str, &str)] = &[
    (
        "build/badhelpercall.o",
        "invalid write to stack R1 off=-1 size=20",
    ),
    ("build/bpf2bpf.o", "R1 invalid mem access 'mem_or_null'"),
    ("build/ringbuf_in_map.o", "invalid zero-sized read"),
    ("build/tail_call.o", "R0 !read_ok"),
    (
        "build/tail_call_bad.o",
        "expected prog array map for tail call",
    ),
];

#[test]
fn corpus_helper_rejects_agree() {
    let dir = common::shared_dir().join("corpus");
    let Ok(text) = std::fs::read_to_string(dir.join("ebpf-samples.kernel-6.18.jsonl")) else {
        println!("skipped: corpus not found at {}", dir.display());
        return;
    };
    let mut wrong = Vec::new();
    for &(file, kernel) in CORPUS_REJECTS {
        let rec = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|r| r["file"] == file && r["kernel_verdict"] == "reject")
            .expect("the corpus records the reject");
        assert_eq!(
            rec["error_line"], kernel,
            "{file}: the recorded line changed"
        );
        let obj = Object::from_file(dir.join("ebpf-samples").join(file)).expect("object parses");
        let (Some(section), Some(name)) = (rec["section"].as_str(), rec["program"].as_str()) else {
            panic!("{file}: record without a program");
        };
        let mut prog = obj
            .programs
            .iter()
            .find(|p| p.name == name && p.section == section)
            .expect("program in object")
            .clone();
        if let Some(t) = rec["prog_type"]
            .as_str()
            .and_then(bpfsim::progtype::ProgType::from_name)
        {
            prog.set_prog_type(t);
        }
        prog.expected_attach_type = rec["expected_attach_type"].as_u64().map(|v| v as u32);
        let libbpf = rec["loader"].as_str() == Some("libbpf");
        let license = match rec["license"].as_str() {
            Some(l) if l.contains("used GPL") => Some("GPL"),
            _ => None,
        };
        let options = PreflightOptions {
            btf_info: libbpf && !prog.func_info.is_empty(),
            maps: MapRefs::Object(&obj.maps),
            license,
            ..PreflightOptions::default()
        };
        let got = match verify(&prog, &options).result {
            Ok(()) => "accept".to_string(),
            Err(e) => e.message().to_string(),
        };
        if got != kernel {
            wrong.push(format!("{file}: kernel {kernel:?}, bpfsim {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
