// SPDX-License-Identifier: GPL-2.0
/* opensnoop for bpfsim: traces openat(2) with the syscall tracepoints, in the style of
 * libbpf-tools' opensnoop. sys_enter_openat remembers the filename pointer and flags per
 * thread; sys_exit_openat reads the name from user memory and sends one event per open
 * through a ring buffer (built on the stack and copied, as libbpf-tools does with its perf
 * buffer). Written for bpfsim's examples; built by build.sh. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define TASK_COMM_LEN 16
#define NAME_MAX 255
#define INVALID_UID ((__u32)-1)

/* The syscall tracepoints' records (include/trace/events/syscalls.h): the common header,
 * the syscall number, then the arguments or the return value. */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
};

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
};

struct args_t {
	const char *fname;
	int flags;
};

struct event {
	__u64 ts;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	int ret;
	int flags;
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX];
};

/* Keeps `struct event` in the object's BTF (clang emits types reachable from globals), so
 * user space (bpf2go's -type, bpfsim's event_type) can decode the records. */
const struct event *unused_event __attribute__((unused));

/* Filters, set by user space before loading (0 / INVALID_UID / false: no filter). */
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_uid = INVALID_UID;
const volatile int targ_failed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline int trace_allowed(__u32 tgid, __u32 uid)
{
	if (targ_tgid && targ_tgid != tgid)
		return 0;
	if (targ_uid != INVALID_UID && targ_uid != uid)
		return 0;
	return 1;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u32 tid = (__u32)id;
	struct args_t args = {};

	if (!trace_allowed(tgid, (__u32)bpf_get_current_uid_gid()))
		return 0;
	args.fname = (const char *)ctx->args[1];
	args.flags = (int)ctx->args[2];
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct event event = {};
	struct args_t *ap;
	int ret;

	ap = bpf_map_lookup_elem(&start, &tid);
	if (!ap)
		return 0; /* missed the entry */
	ret = (int)ctx->ret;
	if (targ_failed && ret >= 0)
		goto cleanup;

	event.ts = bpf_ktime_get_ns();
	event.pid = id >> 32;
	event.tid = tid;
	event.uid = (__u32)bpf_get_current_uid_gid();
	event.ret = ret;
	event.flags = ap->flags;
	bpf_get_current_comm(event.comm, sizeof(event.comm));
	bpf_probe_read_user_str(event.fname, sizeof(event.fname), ap->fname);
	bpf_ringbuf_output(&events, &event, sizeof(event), 0);
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
