#!/usr/bin/env python3
"""A second hold-out measure for bpfsim's verifier: the kernel's raw-instruction verifier
tests, tools/testing/selftests/bpf/verifier/*.c (the `struct bpf_test` initialisers
test_verifier runs).

This script compiles them, read in place from a kernel source tree, together with
test_verifier.c's own definitions (its `main` renamed), and a small dumper of ours that
prints each test as one JSON line: file, description, program type, expected attach type,
test_verifier flags, map fix-ups (kind -> instruction indices) and the instructions as hex
(the `fill_helper` tests are generated first). Everything goes to --work, never into the
repository. `examples/raw_selftests.rs` then asks the running kernel and bpfsim about each.

Usage:
    python3 tools/raw_selftests.py [--ksrc DIR] [--work DIR]
    sudo cargo run --release --example raw_selftests -- WORK/tests.jsonl

The kernel tree defaults to /tmp/ksrc/linux-source-6.12 (extracted from
/usr/src/linux-source-6.12.tar.xz when absent). Needs gcc and libbpf-dev (headers and
-lbpf, for test_verifier.c's includes).
"""
import argparse, os, subprocess, sys, tarfile

TARBALL = '/usr/src/linux-source-6.12.tar.xz'
KSRC = '/tmp/ksrc/linux-source-6.12'
NEEDED = ['tools/testing/selftests/bpf', 'tools/include', 'tools/arch/x86/include', 'tools/lib/bpf']

DUMPER = r"""#define main test_verifier_main
#include "test_verifier.c"
#undef main

static void hex_insns(const struct bpf_insn *p, int n) {
	const unsigned char *b = (const unsigned char *)p;
	putchar('"');
	for (int i = 0; i < n * 8; i++) printf("%02x", b[i]);
	putchar('"');
}
static void jstr(const char *s) {
	if (!s) { printf("null"); return; }
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') printf("\\%c", *s);
		else if (*s == '\n') printf("\\n");
		else if (*s == '\t') printf("\\t");
		else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
		else putchar(*s);
	}
	putchar('"');
}
static void fix(const char *name, int *a, int *first) {
	if (!a[0]) return;
	printf("%s\"%s\":[", *first ? "" : ",", name);
	*first = 0;
	for (int i = 0; a[i]; i++) printf("%s%d", i ? "," : "", a[i]);
	printf("]");
}
int main(void) {
	const char *file = "";
	for (unsigned i = 0; i < ARRAY_SIZE(tests); i++) {
		struct bpf_test *t = &tests[i];
		if (t->descr && !strncmp(t->descr, "@FILE ", 6)) { file = t->descr + 6; continue; }
		struct bpf_insn *prog = t->insns;
		int len;
		if (t->fill_helper) {
			t->fill_insns = calloc(MAX_TEST_INSNS, sizeof(struct bpf_insn));
			t->fill_helper(t);
			prog = t->fill_insns;
			len = t->prog_len;
		} else {
			len = probe_filter_length(prog);
		}
		printf("{\"file\":\"%s\",\"descr\":", file); jstr(t->descr);
		printf(",\"prog_type\":%d,\"expected_attach_type\":%d,\"flags\":%u,\"result\":%d,\"errstr\":",
		       t->prog_type, t->expected_attach_type, t->flags, t->result);
		jstr(t->errstr);
		printf(",\"kfunc\":"); jstr(t->kfunc);
		printf(",\"func_info_cnt\":%d,\"btf\":%d,\"fill\":%d", t->func_info_cnt, t->btf_types[0] ? 1 : 0, t->fill_helper ? 1 : 0);
		int kf = 0; for (int k = 0; k < MAX_FIXUPS && t->fixup_kfunc_btf_id[k].kfunc; k++) kf++;
		printf(",\"kfunc_fixups\":%d,\"fixups\":{", kf);
		int first = 1;
		fix("hash_8b", t->fixup_map_hash_8b, &first);
		fix("hash_48b", t->fixup_map_hash_48b, &first);
		fix("hash_16b", t->fixup_map_hash_16b, &first);
		fix("array_48b", t->fixup_map_array_48b, &first);
		fix("sockmap", t->fixup_map_sockmap, &first);
		fix("sockhash", t->fixup_map_sockhash, &first);
		fix("xskmap", t->fixup_map_xskmap, &first);
		fix("stacktrace", t->fixup_map_stacktrace, &first);
		fix("prog1", t->fixup_prog1, &first);
		fix("prog2", t->fixup_prog2, &first);
		fix("map_in_map", t->fixup_map_in_map, &first);
		fix("cgroup_storage", t->fixup_cgroup_storage, &first);
		fix("percpu_cgroup_storage", t->fixup_percpu_cgroup_storage, &first);
		fix("spin_lock", t->fixup_map_spin_lock, &first);
		fix("array_ro", t->fixup_map_array_ro, &first);
		fix("array_wo", t->fixup_map_array_wo, &first);
		fix("array_small", t->fixup_map_array_small, &first);
		fix("sk_storage", t->fixup_sk_storage_map, &first);
		fix("event_output", t->fixup_map_event_output, &first);
		fix("reuseport_array", t->fixup_map_reuseport_array, &first);
		fix("ringbuf", t->fixup_map_ringbuf, &first);
		fix("timer", t->fixup_map_timer, &first);
		fix("kptr", t->fixup_map_kptr, &first);
		printf("},\"insns\":");
		hex_insns(prog, len);
		printf("}\n");
	}
	return 0;
}
"""

# Functions testing_helpers.c refers to that an older system libbpf lacks; the dumper
# never calls them.
STUBS = r"""int bpf_link_get_info_by_fd(int fd, void *info, unsigned *len) { return -1; }
int bpf_prog_get_info_by_fd(int fd, void *info, unsigned *len) { return -1; }
"""


def extract(ksrc):
    missing = [p for p in NEEDED if not os.path.isdir(os.path.join(ksrc, p))]
    if not missing:
        return
    if not os.path.exists(TARBALL):
        sys.exit('no kernel tree at %s and no %s (apt-get install linux-source-6.12)' % (ksrc, TARBALL))
    top = os.path.basename(ksrc.rstrip('/'))
    prefixes = ['%s/%s' % (top, p) for p in missing]
    print('extracting %s from %s' % (', '.join(missing), TARBALL), file=sys.stderr)
    with tarfile.open(TARBALL) as t:
        members = [m for m in t.getmembers() if any(m.name.startswith(p) for p in prefixes)]
        t.extractall(os.path.dirname(ksrc.rstrip('/')), members=members)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--ksrc', default=KSRC)
    ap.add_argument('--work', default='/tmp/raw-selftests')
    a = ap.parse_args()
    extract(a.ksrc)
    st = os.path.join(a.ksrc, 'tools/testing/selftests/bpf')
    tools = os.path.join(a.ksrc, 'tools')
    os.makedirs(os.path.join(a.work, 'verifier'), exist_ok=True)
    files = sorted(f for f in os.listdir(os.path.join(st, 'verifier')) if f.endswith('.c'))
    # test_verifier.c includes <verifier/tests.h> inside its tests[] initialiser: ours puts a
    # marker element before each file's tests, so the dumper knows where each comes from.
    with open(os.path.join(a.work, 'verifier/tests.h'), 'w') as h:
        h.write('#ifdef FILL_ARRAY\n')
        for f in files:
            h.write('{ .descr = "@FILE %s" },\n#include "%s"\n' % (f, os.path.join(st, 'verifier', f)))
        h.write('#endif\n')
    for name, text in (('dumper.c', DUMPER), ('stubs.c', STUBS)):
        with open(os.path.join(a.work, name), 'w') as f:
            f.write(text)
    exe = os.path.join(a.work, 'dumper')
    cmd = ['gcc', '-O0', '-w', '-I' + a.work, '-I' + st, '-I' + tools + '/include',
           '-I' + tools + '/include/uapi', '-I/usr/include/x86_64-linux-gnu',
           os.path.join(a.work, 'dumper.c'), os.path.join(a.work, 'stubs.c'),
           os.path.join(st, 'testing_helpers.c'), os.path.join(st, 'unpriv_helpers.c'),
           os.path.join(st, 'cap_helpers.c'), '-lbpf', '-lelf', '-lz', '-o', exe]
    subprocess.run(cmd, check=True)
    out = os.path.join(a.work, 'tests.jsonl')
    with open(out, 'w') as f:
        subprocess.run([exe], check=True, stdout=f)
    n = sum(1 for _ in open(out))
    print('%d tests from %d files -> %s' % (n, len(files), out))


if __name__ == '__main__':
    main()
