//! Support for tests/runs_kernel.rs: packets built by hand, map contents in one form for
//! bpfsim and the kernel, the recorded answers' types, and the live kernel's side (bpftool
//! loads and pins an object, the bpf() syscall test-runs its programs, bpftool dumps its
//! maps).

#![allow(dead_code)]

use bpfsim::progtype::{TestRunInput, TestRunOutput};
use bpfsim::session::Session;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The fixture object `name` (tests/fixtures/runs/NAME.o).
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runs")
        .join(format!("{name}.o"))
}

/// Set `BPFSIM_RECORD=1` to have the kernel tests print what the kernel answered in the
/// constants' syntax.
pub fn record() -> bool {
    std::env::var_os("BPFSIM_RECORD").is_some()
}

// ---------------------------------------------------------------------------------------
// Formatting.

/// Bytes in hex; outputs longer than 256 bytes as their length and FNV-1a digest.
pub fn hex(b: &[u8]) -> String {
    if b.len() > 256 {
        let h = b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
            (h ^ x as u64).wrapping_mul(0x0100_0000_01b3)
        });
        return format!("len={} fnv1a={h:016x}", b.len());
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The non-zero 32-bit little-endian words of a context, `(offset, value)`.
pub fn words(b: &[u8]) -> Vec<(u32, u32)> {
    b.chunks(4)
        .enumerate()
        .filter_map(|(i, c)| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            let v = u32::from_le_bytes(w);
            (v != 0).then_some((i as u32 * 4, v))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Packets.

pub mod pkt {
    pub const ETH_P_IP: u16 = 0x0800;
    pub const ETH_P_IPV6: u16 = 0x86dd;
    pub const ETH_P_ARP: u16 = 0x0806;
    pub const IPPROTO_ICMP: u8 = 1;
    pub const IPPROTO_TCP: u8 = 6;
    pub const IPPROTO_UDP: u8 = 17;
    pub const IPPROTO_ICMPV6: u8 = 58;

    /// Loopback's address (the test-run device): frames to it are PACKET_HOST.
    pub const HOST: [u8; 6] = [0; 6];
    pub const BCAST: [u8; 6] = [0xff; 6];
    pub const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
    pub const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];

    pub fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = Vec::with_capacity(14 + payload.len());
        f.extend_from_slice(&dst);
        f.extend_from_slice(&src);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    /// The Internet checksum of `data` (RFC 1071), as stored in a header.
    pub fn checksum(data: &[u8]) -> u16 {
        let mut sum: u32 = data
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    /// A 20-byte IPv4 header (id 0x1c46, DF) with a correct checksum, then `l4`.
    pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, ttl: u8, l4: &[u8]) -> Vec<u8> {
        let total = (20 + l4.len()) as u16;
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&[0x1c, 0x46, 0x40, 0, ttl, proto, 0, 0]);
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        let c = checksum(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h.extend_from_slice(l4);
        h
    }

    /// An IPv6 header, then `l4`.
    pub fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, hop: u8, l4: &[u8]) -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&(l4.len() as u16).to_be_bytes());
        h.extend_from_slice(&[next, hop]);
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        h.extend_from_slice(l4);
        h
    }

    /// 2001:db8::`last`.
    pub fn v6(last: u8) -> [u8; 16] {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        a[15] = last;
        a
    }

    /// A UDP header (checksum 0: none) and its payload.
    pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(payload);
        u
    }

    /// A 20-byte TCP header with `flags` (FIN 1, SYN 2, RST 4, PSH 8, ACK 16) and payload.
    pub fn tcp(sport: u16, dport: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t.extend_from_slice(&0x0102_0304u32.to_be_bytes()); // seq
        t.extend_from_slice(&0u32.to_be_bytes()); // ack
        t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(payload);
        t
    }

    /// `payload` followed by a counting pattern up to `len` bytes.
    pub fn padded(mut payload: Vec<u8>, len: usize) -> Vec<u8> {
        let mut i = 0u8;
        while payload.len() < len {
            payload.push(i);
            i = i.wrapping_add(7);
        }
        payload
    }
}

// ---------------------------------------------------------------------------------------
// Runs and maps, recorded and observed.

/// One test-run input. A context, when given, also asks for `ctx_out` (skb types).
#[derive(Clone, Debug)]
pub struct Input {
    pub data_in: Vec<u8>,
    pub ctx_in: Option<Vec<u8>>,
    /// Whether `ctx_out` is asked for (skb and XDP types only).
    pub ctx_out: bool,
}

impl Input {
    pub fn packet(data_in: Vec<u8>) -> Input {
        Input {
            data_in,
            ctx_in: None,
            ctx_out: false,
        }
    }

    pub fn packet_ctx(data_in: Vec<u8>, ctx_in: Vec<u8>) -> Input {
        Input {
            data_in,
            ctx_in: Some(ctx_in),
            ctx_out: true,
        }
    }

    pub fn args(ctx_in: Vec<u8>) -> Input {
        Input {
            data_in: Vec::new(),
            ctx_in: Some(ctx_in),
            ctx_out: false,
        }
    }

    pub fn as_test_run(&self) -> TestRunInput<'_> {
        TestRunInput {
            data_in: &self.data_in,
            ctx_in: self.ctx_in.as_deref(),
            ctx_out: self.ctx_out,
            ..Default::default()
        }
    }
}

/// A context blob of `size` bytes with little-endian 32-bit `words` at their offsets.
pub fn blob32(size: usize, words: &[(usize, u32)]) -> Vec<u8> {
    let mut b = vec![0u8; size];
    for &(off, v) in words {
        b[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    b
}

/// A context blob of little-endian 64-bit words.
pub fn blob64(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// What one run answered (recorded from the kernel).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ran {
    pub retval: u32,
    /// `data_out` as [`hex`] gives it.
    pub data_out: &'static str,
    /// The non-zero words of `ctx_out`, when one was asked for.
    pub ctx_out: Option<&'static [(u32, u32)]>,
}

/// A run's output in the recorded form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub retval: u32,
    pub data_out: String,
    pub ctx_out: Option<Vec<(u32, u32)>>,
}

impl Observed {
    pub fn of(out: &TestRunOutput) -> Observed {
        Observed {
            retval: out.retval,
            data_out: hex(&out.data_out),
            ctx_out: out.ctx_out.as_deref().map(words),
        }
    }

    pub fn matches(&self, r: &Ran) -> bool {
        self.retval == r.retval
            && self.data_out == r.data_out
            && self.ctx_out.as_deref() == r.ctx_out
    }

    /// In the syntax of a [`Ran`] constant.
    pub fn source(&self) -> String {
        let ctx = match &self.ctx_out {
            Some(w) => format!("Some(&{w:?})"),
            None => "None".into(),
        };
        format!(
            "Ran {{ retval: {:#x}, data_out: \"{}\", ctx_out: {ctx} }},",
            self.retval, self.data_out
        )
    }
}

/// A map as `BPF_MAP_CREATE` made it and, after the runs, what it held. Keys and values in
/// hex, sorted by key; per-CPU values summed over the CPUs (as little-endian u64 lanes:
/// the kernel's test run may have run on either CPU). Maps compared by keys only have
/// `"*"` for every value. Queues and stacks, which have no keys, are emptied by popping
/// (what reading them means): their "keys" are the pops' numbers, 0 first, as u32.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dump {
    pub name: &'static str,
    /// The kernel's name for the type (`bpftool map show`'s `type`).
    pub map_type: &'static str,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
    /// Whether user space may no longer change it (libbpf freezes `.rodata`).
    pub frozen: bool,
    pub entries: &'static [(&'static str, &'static str)],
}

/// A map's definition and contents, observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapState {
    pub name: String,
    pub map_type: String,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
    pub frozen: bool,
    pub entries: Vec<(String, String)>,
}

impl MapState {
    pub fn matches(&self, d: &Dump) -> bool {
        self.name == d.name
            && self.map_type == d.map_type
            && (self.key_size, self.value_size, self.max_entries, self.flags)
                == (d.key_size, d.value_size, d.max_entries, d.flags)
            && self.frozen == d.frozen
            && self.entries.len() == d.entries.len()
            && self
                .entries
                .iter()
                .zip(d.entries)
                .all(|((k, v), (dk, dv))| k == dk && v == dv)
    }

    /// In the syntax of a [`Dump`] constant.
    pub fn source(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Dump {{\n    name: \"{}\",\n    map_type: \"{}\",\n    key_size: {},\n    value_size: {},\n    max_entries: {},\n    flags: {:#x},\n    frozen: {},\n    entries: &[",
            self.name,
            self.map_type,
            self.key_size,
            self.value_size,
            self.max_entries,
            self.flags,
            self.frozen
        );
        for (k, v) in &self.entries {
            let _ = writeln!(s, "        (\"{k}\", \"{v}\"),");
        }
        s.push_str("    ],\n},");
        s
    }
}

fn is_per_cpu(map_type: &str) -> bool {
    matches!(map_type, "percpu_array" | "percpu_hash" | "lru_percpu_hash")
}

/// Sums per-CPU copies of a `value_size`-byte value as u64 lanes. `copies` holds each CPU's
/// value (at least `value_size` bytes each).
fn sum_per_cpu(copies: &[Vec<u8>], value_size: usize) -> Vec<u8> {
    assert!(
        value_size.is_multiple_of(8),
        "per-CPU values are summed as u64 lanes; {value_size} bytes do not split into them"
    );
    let mut out = vec![0u8; value_size];
    for lane in (0..value_size).step_by(8) {
        let sum = copies.iter().fold(0u64, |acc, c| {
            let w: [u8; 8] = c[lane..lane + 8].try_into().expect("8 bytes");
            acc.wrapping_add(u64::from_le_bytes(w))
        });
        out[lane..lane + 8].copy_from_slice(&sum.to_le_bytes());
    }
    out
}

/// Puts entries in the recorded form: hex, sorted by key, values hidden for keys-only maps.
fn normalise(mut entries: Vec<(Vec<u8>, Vec<u8>)>, keys_only: bool) -> Vec<(String, String)> {
    entries.sort();
    entries
        .into_iter()
        .map(|(k, v)| {
            let v = if keys_only { "*".to_string() } else { hex(&v) };
            (hex(&k), v)
        })
        .collect()
}

fn is_queue(map_type: &str) -> bool {
    matches!(map_type, "queue" | "stack")
}

/// Every map of a session, in the recorded form (`keys_only` names the maps whose values
/// are not compared). Empties the session's queues and stacks.
pub fn bpfsim_maps(session: &mut Session, keys_only: &[&str]) -> Vec<MapState> {
    let maps = session.maps_mut();
    let mut out = Vec::new();
    for i in 0..maps.len() {
        let Some(m) = maps.get_mut(i) else { continue };
        let map_type = m.map_type().name();
        let raw = if is_queue(&map_type) {
            let mut popped = Vec::new();
            while let Ok(v) = m.lookup_and_delete_user(&[]) {
                popped.push(((popped.len() as u32).to_le_bytes().to_vec(), v));
            }
            popped
        } else {
            m.entries()
        };
        let def = m.def();
        let vs = def.value_size as usize;
        let entries = if is_per_cpu(&map_type) {
            let stride = vs.div_ceil(8) * 8;
            raw.into_iter()
                .map(|(k, v)| {
                    let copies: Vec<Vec<u8>> = v.chunks(stride).map(|c| c[..vs].to_vec()).collect();
                    (k, sum_per_cpu(&copies, vs))
                })
                .collect()
        } else {
            raw
        };
        out.push(MapState {
            name: m.name().to_string(),
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: def.max_entries,
            flags: def.map_flags,
            frozen: m.is_frozen(),
            entries: normalise(entries, keys_only.contains(&m.name())),
            map_type,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Compares observed runs and maps with the recorded ones; the differences, one per line.
pub fn differences(
    what: &str,
    runs: &[Observed],
    maps: &[MapState],
    want_runs: &[Ran],
    want_maps: &[Dump],
) -> Vec<String> {
    let mut diffs = Vec::new();
    if runs.len() != want_runs.len() {
        diffs.push(format!(
            "{what}: {} runs, {} recorded",
            runs.len(),
            want_runs.len()
        ));
    }
    for (i, (got, want)) in runs.iter().zip(want_runs).enumerate() {
        if !got.matches(want) {
            diffs.push(format!(
                "{what}: run {i}: got\n    {}\n  recorded\n    {want:?}",
                got.source()
            ));
        }
    }
    let names: Vec<&str> = maps.iter().map(|m| m.name.as_str()).collect();
    let want_names: Vec<&str> = want_maps.iter().map(|d| d.name).collect();
    if names != want_names {
        diffs.push(format!("{what}: maps {names:?}, recorded {want_names:?}"));
    }
    for m in maps {
        match want_maps.iter().find(|d| d.name == m.name) {
            Some(d) if m.matches(d) => {}
            Some(d) => diffs.push(format!(
                "{what}: map {}: got\n{}\n  recorded\n{d:#?}",
                m.name,
                m.source()
            )),
            None => {}
        }
    }
    diffs
}

// ---------------------------------------------------------------------------------------
// The live kernel.

pub mod kernel {
    use super::{MapState, Observed, normalise, sum_per_cpu};
    use crate::common::sys::{TestAttr, bpf};
    use bpfsim::progtype::TestRunInput;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::atomic::{AtomicU32, Ordering};

    const BPF_OBJ_GET: libc::c_long = 7;
    const BPF_PROG_TEST_RUN: libc::c_long = 10;

    #[repr(C)]
    #[derive(Default)]
    struct ObjGetAttr {
        pathname: u64,
        bpf_fd: u32,
        file_flags: u32,
        path_fd: i32,
        _pad: u32,
    }

    /// `BPF_OBJ_GET`: a pinned program or map.
    fn obj_get(path: &Path) -> Result<OwnedFd, i32> {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| 22)?;
        let mut attr = ObjGetAttr {
            pathname: c.as_ptr() as u64,
            ..Default::default()
        };
        let fd = bpf(BPF_OBJ_GET, &mut attr)?;
        // SAFETY: a successful BPF_OBJ_GET returns a new file descriptor we own.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    /// `BPF_PROG_TEST_RUN` once over `input`; the errno on refusal.
    fn test_run(fd: &OwnedFd, input: &TestRunInput<'_>) -> Result<Observed, i32> {
        let mut data_out = vec![0u8; 64 * 1024];
        let mut ctx_out = vec![0u8; 4096];
        let mut attr = TestAttr {
            prog_fd: fd.as_raw_fd() as u32,
            flags: input.flags,
            ..Default::default()
        };
        if !input.data_in.is_empty() {
            attr.data_in = input.data_in.as_ptr() as u64;
            attr.data_size_in = input.data_in.len() as u32;
            attr.data_out = data_out.as_mut_ptr() as u64;
            attr.data_size_out = data_out.len() as u32;
        }
        if let Some(c) = input.ctx_in {
            attr.ctx_in = c.as_ptr() as u64;
            attr.ctx_size_in = c.len() as u32;
        }
        if input.ctx_out {
            attr.ctx_out = ctx_out.as_mut_ptr() as u64;
            attr.ctx_size_out = ctx_out.len() as u32;
        }
        bpf(BPF_PROG_TEST_RUN, &mut attr)?;
        data_out.truncate(if attr.data_out == 0 {
            0
        } else {
            attr.data_size_out as usize
        });
        ctx_out.truncate(attr.ctx_size_out as usize);
        Ok(Observed::of(&bpfsim::progtype::TestRunOutput {
            retval: attr.retval,
            data_out,
            ctx_out: input.ctx_out.then_some(ctx_out),
        }))
    }

    fn bpftool(args: &[&str]) -> Result<String, String> {
        let out = Command::new("bpftool")
            .args(args)
            .output()
            .map_err(|e| format!("bpftool: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            return Err(format!(
                "bpftool {}: {}{}",
                args.join(" "),
                stdout,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(stdout)
    }

    fn is_bpffs(dir: &str) -> bool {
        std::fs::read_to_string("/proc/mounts").is_ok_and(|m| {
            m.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() > 2 && f[1] == dir && f[2] == "bpf"
            })
        })
    }

    /// Why the live kernel cannot be asked here, if it cannot: not root, no bpftool, or the
    /// bpf() syscall refused.
    pub fn unavailable() -> Option<String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Some("not root".into());
        }
        if bpftool(&["version"]).is_err() {
            return Some("bpftool is not installed".into());
        }
        // BPF_OBJ_GET of a path that does not exist: ENOENT when bpf() works at all.
        match obj_get(Path::new("/sys/fs/bpf/bpfsim-runs-does-not-exist")) {
            Err(libc::EPERM) | Err(libc::ENOSYS) => Some("the bpf() syscall is unavailable".into()),
            _ => None,
        }
    }

    /// Pins the calling thread to one CPU (the first it may run on), so that all of its
    /// test runs run there: bpfsim runs everything on CPU 0, and what an LRU hash evicts
    /// depends on which CPU's free list a run takes from. The CPU's number does not matter
    /// (the CPUs are alike); that it is one CPU does. Per-CPU values are still summed.
    pub fn pin_to_one_cpu() -> Result<usize, String> {
        // SAFETY: cpu_set_t is plain data; sched_{get,set}affinity read and write only the
        // set passed, of the size passed.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            if libc::sched_getaffinity(0, size, &mut set) != 0 {
                return Err(std::io::Error::last_os_error().to_string());
            }
            let cpu = (0..libc::CPU_SETSIZE as usize)
                .find(|&c| libc::CPU_ISSET(c, &set))
                .ok_or("no CPU in the affinity mask")?;
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut one);
            if libc::sched_setaffinity(0, size, &one) != 0 {
                return Err(std::io::Error::last_os_error().to_string());
            }
            Ok(cpu)
        }
    }

    static NEXT: AtomicU32 = AtomicU32::new(0);

    /// An object loaded into the kernel by `bpftool prog loadall`, its programs and maps
    /// pinned under a bpffs directory of its own; dropping it removes the pins and unmounts
    /// the bpffs it mounted, if it had to mount one.
    pub struct Loaded {
        root: PathBuf,
        progs: PathBuf,
        maps: PathBuf,
        mounted: bool,
    }

    impl Loaded {
        /// Loads `object`; `Err` with bpftool's message (the verifier log) on refusal.
        pub fn load(object: &Path) -> Result<Loaded, String> {
            let unique = format!(
                "bpfsim-runs-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            // Pin under /sys/fs/bpf when a bpffs is mounted there; else mount one of our own
            // on a temporary directory.
            let (root, mounted) = if is_bpffs("/sys/fs/bpf") {
                (Path::new("/sys/fs/bpf").join(&unique), false)
            } else {
                let dir = std::env::temp_dir().join(&unique);
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let status = Command::new("mount")
                    .args(["-t", "bpf", "bpf"])
                    .arg(&dir)
                    .status()
                    .map_err(|e| format!("mount: {e}"))?;
                if !status.success() {
                    let _ = std::fs::remove_dir(&dir);
                    return Err(format!("could not mount a bpffs on {}", dir.display()));
                }
                (dir, true)
            };
            let loaded = Loaded {
                progs: root.join("progs"),
                maps: root.join("maps"),
                root,
                mounted,
            };
            if !mounted {
                std::fs::create_dir_all(&loaded.root).map_err(|e| e.to_string())?;
            }
            let progs = loaded.progs.to_string_lossy().into_owned();
            let maps = loaded.maps.to_string_lossy().into_owned();
            let obj = object.to_string_lossy().into_owned();
            bpftool(&["prog", "loadall", &obj, &progs, "pinmaps", &maps])?;
            Ok(loaded)
        }

        /// The programs pinned (libbpf pins each under its function name).
        pub fn programs(&self) -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(&self.progs)
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        }

        /// `BPF_MAP_UPDATE_ELEM` (through bpftool) on the map pinned as `name`.
        pub fn update_map(&self, name: &str, key: &[u8], value: &[u8]) -> Result<(), String> {
            let pin = self.maps.join(name).to_string_lossy().into_owned();
            let mut args: Vec<String> = ["map", "update", "pinned", &pin, "key", "hex"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            args.extend(key.iter().map(|b| format!("{b:02x}")));
            args.extend(["value".to_string(), "hex".to_string()]);
            args.extend(value.iter().map(|b| format!("{b:02x}")));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            bpftool(&refs).map(|_| ())
        }

        /// Test-runs program `name` once.
        pub fn run(&self, name: &str, input: &TestRunInput<'_>) -> Result<Observed, i32> {
            let fd = obj_get(&self.progs.join(name))?;
            test_run(&fd, input)
        }

        /// Every map, in the recorded form. Maps are matched to bpfsim's by the name the
        /// kernel holds (`bpftool map show`'s `name`; libbpf names global-data maps
        /// `<object name, cut>.bss` as bpfsim does), not by the pin's file name (libbpf
        /// 1.1 pins `xdp_stat.bss` as `xdp_stat_bss`).
        pub fn maps(&self, keys_only: &[&str]) -> Result<Vec<MapState>, String> {
            let mut out = Vec::new();
            let dir = std::fs::read_dir(&self.maps).map_err(|e| e.to_string())?;
            for entry in dir {
                let path = entry.map_err(|e| e.to_string())?.path();
                let p = path.to_string_lossy().into_owned();
                let show: serde_json::Value =
                    serde_json::from_str(&bpftool(&["-j", "map", "show", "pinned", &p])?)
                        .map_err(|e| format!("bpftool map show: {e}"))?;
                let num = |k: &str| show[k].as_u64().unwrap_or(u64::MAX) as u32;
                let name = show["name"].as_str().unwrap_or("?").to_string();
                let map_type = show["type"].as_str().unwrap_or("?").to_string();
                let value_size = num("bytes_value") as usize;
                let mut entries = Vec::new();
                if super::is_queue(&map_type) {
                    // bpftool cannot dump a queue or stack: pop until it is empty.
                    while let Ok(popped) = bpftool(&["-j", "map", "pop", "pinned", &p]) {
                        let v: serde_json::Value = serde_json::from_str(&popped)
                            .map_err(|e| format!("bpftool map pop: {e}"))?;
                        let index = (entries.len() as u32).to_le_bytes().to_vec();
                        entries.push((index, bytes(&v["value"])));
                    }
                }
                let dump: serde_json::Value = if super::is_queue(&map_type) {
                    serde_json::Value::Null
                } else {
                    serde_json::from_str(&bpftool(&["-j", "map", "dump", "pinned", &p])?)
                        .map_err(|e| format!("bpftool map dump: {e}"))?
                };
                for e in dump.as_array().into_iter().flatten() {
                    let key = bytes(&e["key"]);
                    let value = if let Some(per_cpu) = e["values"].as_array() {
                        let copies: Vec<Vec<u8>> =
                            per_cpu.iter().map(|c| bytes(&c["value"])).collect();
                        sum_per_cpu(&copies, value_size)
                    } else {
                        bytes(&e["value"])
                    };
                    entries.push((key, value));
                }
                out.push(MapState {
                    entries: normalise(entries, keys_only.contains(&name.as_str())),
                    name,
                    map_type,
                    key_size: num("bytes_key"),
                    value_size: value_size as u32,
                    max_entries: num("max_entries"),
                    flags: num("flags"),
                    frozen: show["frozen"].as_u64() == Some(1),
                });
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        }
    }

    /// bpftool's `["0x01", ...]`.
    fn bytes(v: &serde_json::Value) -> Vec<u8> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b.as_str())
            .filter_map(|s| u8::from_str_radix(s.trim_start_matches("0x"), 16).ok())
            .collect()
    }

    impl Drop for Loaded {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.progs);
            let _ = std::fs::remove_dir_all(&self.maps);
            if self.mounted {
                let _ = Command::new("umount").arg(&self.root).status();
            }
            let _ = std::fs::remove_dir(&self.root);
        }
    }
}
