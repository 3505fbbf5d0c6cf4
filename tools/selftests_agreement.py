#!/usr/bin/env python3
"""A hold-out measure for bpfsim's verifier: the kernel's own verifier selftests.

Compiles tools/testing/selftests/bpf/progs/verifier_*.c (or the files starting with the
--prefix values, e.g. `--prefix dynptr_ --prefix iters`) from a kernel source tree into a
work directory outside the repository, asks the running kernel for a verdict on every
program (/work/shared/tools/kernel_verdicts.py, default loading: no unpriv runs, no
BPF_F_* flags from the `__flag` annotations), runs `bpfsim verify --json` on the same
objects and prints the agreement, the false accepts and false rejects grouped by message
and by file, and how many reject messages equal the kernel's.

Nothing from the kernel tree is copied into the project: sources are read in place and
every generated file goes to --work.

Usage (root for the kernel verdicts; they are cached in WORK/kernel.jsonl):
    cargo build --release
    python3 tools/selftests_agreement.py [--src SELFTESTS_BPF_DIR] [--work DIR]
        [--bpfsim PATH] [--prefix P]... [--only SUBSTR] [--recompile] [--rekernel]
        [--json OUT]

The kernel verdicts are cached for the whole WORK/obj directory, so use one --work per
selection of --prefix values.

The kernel tree defaults to /tmp/ksrc/linux-source-6.12 (extracted from
/usr/src/linux-source-6.12.tar.xz when absent).
"""
import argparse, collections, concurrent.futures, json, os, re, shutil, subprocess, sys, tarfile

TARBALL = '/usr/src/linux-source-6.12.tar.xz'
KSRC = '/tmp/ksrc/linux-source-6.12'
DEFAULT_SRC = KSRC + '/tools/testing/selftests/bpf'
KERNEL_VERDICTS = '/work/shared/tools/kernel_verdicts.py'
CLANG = 'clang-19'


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def extract(members_prefixes, dest):
    """Extracts the tarball members under the given prefixes into dest (read-only use)."""
    if not os.path.exists(TARBALL):
        return False
    with tarfile.open(TARBALL) as t:
        sel = [m for m in t.getmembers() if any(m.name.startswith(p) for p in members_prefixes)]
        t.extractall(dest, members=sel)
    return True


def ensure_tree(src):
    """The kernel tree the selftests sit in (src/../../../..), extracted if missing."""
    root = os.path.abspath(os.path.join(src, '../../../..'))
    need = ['tools/testing/selftests/bpf', 'tools/lib/bpf', 'tools/include', 'scripts/bpf_doc.py']
    missing = [p for p in need if not os.path.exists(os.path.join(root, p))]
    if missing and os.path.basename(root) == 'linux-source-6.12':
        log('extracting %s from %s' % (missing, TARBALL))
        extract(['linux-source-6.12/' + p for p in missing], os.path.dirname(root))
    return root


def prepare_includes(root, work):
    """WORK/include: vmlinux.h (from the running kernel's BTF) and a bpf/ directory with
    the tree's libbpf headers plus a generated bpf_helper_defs.h."""
    inc = os.path.join(work, 'include')
    os.makedirs(os.path.join(inc, 'bpf'), exist_ok=True)
    vmlinux = os.path.join(inc, 'vmlinux.h')
    if not os.path.exists(vmlinux):
        out = subprocess.run(['bpftool', 'btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'],
                             check=True, capture_output=True).stdout
        with open(vmlinux, 'wb') as f:
            f.write(out)
    libdir = os.path.join(root, 'tools/lib/bpf')
    for h in os.listdir(libdir):
        if h.endswith('.h'):
            shutil.copy(os.path.join(libdir, h), os.path.join(inc, 'bpf', h))
    defs = os.path.join(inc, 'bpf', 'bpf_helper_defs.h')
    if not os.path.exists(defs):
        doc = os.path.join(root, 'scripts/bpf_doc.py')
        uapi = os.path.join(root, 'tools/include/uapi/linux/bpf.h')
        r = subprocess.run([sys.executable, doc, '--header', '--file', uapi], capture_output=True)
        if r.returncode == 0 and r.stdout:
            with open(defs, 'wb') as f:
                f.write(r.stdout)
        else:
            shutil.copy('/usr/include/bpf/bpf_helper_defs.h', defs)
    return inc


def sys_includes():
    r = subprocess.run([CLANG, '-v', '-E', '-'], input=b'', capture_output=True)
    text = r.stderr.decode(errors='replace')
    m = re.search(r'<\.\.\.> search starts here:\n(.*?)End of search list', text, re.S)
    out = []
    for line in (m.group(1) if m else '').splitlines():
        if line.strip():
            out += ['-idirafter', line.strip()]
    return out


def compile_one(args):
    src_c, obj, flags = args
    cmd = [CLANG] + flags + ['-O2', '--target=bpf', '-mcpu=v3', '-c', src_c, '-o', obj]
    r = subprocess.run(cmd, capture_output=True)
    err = r.stderr.decode(errors='replace').strip().splitlines()
    return src_c, r.returncode == 0, next((l for l in err if 'error' in l), err[-1] if err else '')


def compile_all(src, root, work, prefixes, only, recompile, jobs):
    inc = prepare_includes(root, work)
    objdir = os.path.join(work, 'obj')
    os.makedirs(objdir, exist_ok=True)
    flags = ['-g', '-Wall', '-D__TARGET_ARCH_x86', '-mlittle-endian',
             '-I' + inc, '-I' + src, '-I' + os.path.join(root, 'tools/include/uapi'),
             '-I' + os.path.join(root, 'tools/include'),
             '-Wno-compare-distinct-pointer-types', '-DENABLE_ATOMICS_TESTS'] + sys_includes()
    srcs = sorted(f for f in os.listdir(os.path.join(src, 'progs'))
                  if f.startswith(tuple(prefixes)) and f.endswith('.c') and (not only or only in f))
    todo, ok, failed = [], [], []
    for f in srcs:
        obj = os.path.join(objdir, f[:-2] + '.o')
        if os.path.exists(obj) and not recompile:
            ok.append(f)
        else:
            todo.append((os.path.join(src, 'progs', f), obj, flags))
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        for src_c, good, err in ex.map(compile_one, todo):
            name = os.path.basename(src_c)
            if good:
                ok.append(name)
            else:
                failed.append((name, err))
                obj = os.path.join(objdir, name[:-2] + '.o')
                if os.path.exists(obj):
                    os.unlink(obj)
    return objdir, sorted(ok), failed


def kernel_verdicts(objdir, work, rekernel, tool):
    out = os.path.join(work, 'kernel.jsonl')
    if rekernel or not os.path.exists(out):
        if os.geteuid() != 0:
            sys.exit('kernel verdicts need root (or a cached %s)' % out)
        log('asking the kernel (%s) ...' % tool)
        subprocess.run([sys.executable, tool, objdir, '-o', out], check=True,
                       stderr=subprocess.DEVNULL)
    recs = {}
    with open(out) as f:
        for line in f:
            r = json.loads(line)
            recs[(r['file'], r.get('program'))] = r
    return recs


def bpfsim_verdicts(bpfsim, objdir, files, kernel):
    """bpfsim verify --json per object; programs whose inferred type differs from the one
    the kernel loaded are rerun with --prog-type."""
    res = {}
    for f in files:
        obj = os.path.join(objdir, f[:-2] + '.o')
        r = subprocess.run([bpfsim, 'verify', '--json', obj], capture_output=True, timeout=600)
        lines = [l for l in r.stdout.decode(errors='replace').splitlines() if l.startswith('{')]
        if not lines:
            res[(f[:-2] + '.o', None)] = dict(verdict='error', error=r.stderr.decode(errors='replace').strip())
        for l in lines:
            j = json.loads(l)
            key = (f[:-2] + '.o', j['program'])
            k = kernel.get(key)
            if k and k.get('prog_type') and k['prog_type'] != j['prog_type']:
                r2 = subprocess.run([bpfsim, 'verify', '--json', obj, '--program', j['program'],
                                     '--prog-type', k['prog_type']], capture_output=True, timeout=600)
                l2 = [x for x in r2.stdout.decode(errors='replace').splitlines() if x.startswith('{')]
                if l2:
                    j = json.loads(l2[0])
            res[key] = j
    return res


def report(kernel, sim, failed, ok_files, out_json):
    total = agree = rejects = msg_eq = 0
    fa, fr, mism = [], [], []
    skipped = collections.Counter()
    post_verifier = 0
    for key, k in sorted(kernel.items(), key=lambda kv: (kv[0][0], kv[0][1] or '')):
        kv = k['kernel_verdict']
        if verifier_passed(k):
            # The verifier accepted; libbpf failed afterwards (EBADF filling a prog array
            # with programs it did not load).
            kv = 'accept'
            post_verifier += 1
        if kv not in ('accept', 'reject'):
            skipped[kv] += 1
            continue
        s = sim.get(key)
        if s is None or s.get('verdict') not in ('accept', 'reject'):
            skipped['bpfsim_missing'] += 1
            continue
        total += 1
        kline = k.get('error_line') or ''
        what = '%s %s' % (key[0], key[1])
        if kv == 'accept' and s['verdict'] == 'accept':
            agree += 1
        elif kv == 'accept':
            fr.append((s.get('error') or '', key[0], what, kline))
        elif s['verdict'] == 'accept':
            rejects += 1
            fa.append((kline, key[0], what, ''))
        else:
            rejects += 1
            agree += 1
            if (s.get('error') or '') == kline:
                msg_eq += 1
            else:
                mism.append((kline, s.get('error') or '', what))
    print('compiled %d files, %d failed to compile' % (len(ok_files), len(failed)))
    for name, err in failed:
        print('  compile failed: %s: %s' % (name, err[:120]))
    if skipped:
        print('not compared: %s' % dict(skipped))
    print('counted as accepted: %d rejected after the verifier passed (no error line, '
          'log ends with "processed")' % post_verifier)
    print('programs %d, agree %d (%.1f%%), false accepts %d, false rejects %d, '
          'reject messages equal %d/%d' % (total, agree, 100.0 * agree / max(total, 1), len(fa),
                                           len(fr), msg_eq, rejects))

    def groups(title, items):
        print('\n%s by message:' % title)
        by = collections.defaultdict(list)
        for m, f, what, _ in items:
            by[norm(m)].append(what)
        for m, ws in sorted(by.items(), key=lambda kv: -len(kv[1])):
            print('  %4d %s' % (len(ws), m))
            for w in ws[:3]:
                print('         %s' % w)
        print('%s by file:' % title)
        byf = collections.Counter(f for _, f, _, _ in items)
        for f, n in byf.most_common():
            print('  %4d %s' % (n, f))

    groups('false accepts (kernel message)', fa)
    groups('false rejects (bpfsim message)', fr)
    print('\nreject messages that differ (kernel | bpfsim), by kernel message:')
    by = collections.defaultdict(list)
    for km, sm, what in mism:
        by[norm(km)].append((sm, what))
    for m, ws in sorted(by.items(), key=lambda kv: -len(kv[1])):
        print('  %4d %s' % (len(ws), m))
        for sm, w in ws[:2]:
            print('         bpfsim: %s  (%s)' % (sm, w))
    if out_json:
        with open(out_json, 'w') as f:
            json.dump(dict(total=total, agree=agree, false_accepts=[x[2] for x in fa],
                           false_rejects=[[x[2], x[0], x[3]] for x in fr], rejects=rejects,
                           messages_equal=msg_eq, compile_failed=[x[0] for x in failed]), f, indent=1)


def verifier_passed(k):
    tail = k.get('log_tail') or []
    return (k['kernel_verdict'] == 'reject' and not k.get('error_line') and bool(tail)
            and tail[-1].startswith('processed '))


def norm(m):
    """Groups messages that differ only in numbers and register names."""
    return re.sub(r'\bR\d+\b', 'R#', re.sub(r'-?\b\d+\b', 'N', m or ''))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--src', default=DEFAULT_SRC, help='tools/testing/selftests/bpf of a kernel tree')
    ap.add_argument('--work', default='/tmp/selftests-agreement', help='objects, headers, verdicts')
    ap.add_argument('--bpfsim', default=None, help='the bpfsim binary (default: release build)')
    ap.add_argument('--kernel-verdicts', default=KERNEL_VERDICTS)
    ap.add_argument('--prefix', action='append', default=None,
                    help='compile progs/*.c files starting with this (repeatable; default verifier_)')
    ap.add_argument('--only', default=None, help='only files whose name contains this')
    ap.add_argument('--recompile', action='store_true')
    ap.add_argument('--rekernel', action='store_true', help='ask the kernel again')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--json', default=None, help='write the numbers and lists here')
    a = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if a.work and os.path.abspath(a.work).startswith(repo + os.sep):
        sys.exit('--work must be outside the repository')
    bpfsim = a.bpfsim or os.path.join(os.environ.get('CARGO_TARGET_DIR', os.path.join(repo, 'target')),
                                      'release', 'bpfsim')
    if not os.path.exists(bpfsim):
        sys.exit('no bpfsim binary at %s: cargo build --release, or --bpfsim' % bpfsim)
    root = ensure_tree(a.src)
    os.makedirs(a.work, exist_ok=True)
    objdir, ok, failed = compile_all(a.src, root, a.work, a.prefix or ['verifier_'], a.only, a.recompile, a.jobs)
    kernel = kernel_verdicts(objdir, a.work, a.rekernel, a.kernel_verdicts)
    files = set(f[:-2] + '.o' for f in ok)
    kernel = {k: v for k, v in kernel.items() if k[0] in files}
    sim = bpfsim_verdicts(bpfsim, objdir, ok, kernel)
    report(kernel, sim, failed, ok, a.json)


if __name__ == '__main__':
    main()
