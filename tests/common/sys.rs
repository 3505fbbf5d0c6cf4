//! The `bpf()` system call for the tests that ask the running kernel (as root), and the
//! `BPF_PROG_TEST_RUN` attribute layout they share.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `bpf(cmd, attr, sizeof(attr))`: the result, or the errno.
pub fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> Result<libc::c_long, i32> {
    // SAFETY: `attr` is a live, initialised `bpf_attr` prefix of its own size; the pointers
    // inside it point to buffers the callers keep alive across the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut T as *mut libc::c_void,
            std::mem::size_of::<T>(),
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r)
    }
}

/// The `test` member of `union bpf_attr` (`BPF_PROG_TEST_RUN`).
#[repr(C)]
#[derive(Default)]
pub struct TestAttr {
    pub prog_fd: u32,
    pub retval: u32,
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
    pub _pad: u32,
}

/// `BPF_MAP_CREATE`.
pub const BPF_MAP_CREATE: libc::c_long = 0;
/// `BPF_MAP_UPDATE_ELEM`.
pub const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
/// `BPF_PROG_LOAD`.
pub const BPF_PROG_LOAD: libc::c_long = 5;
/// `BPF_PROG_TEST_RUN`.
pub const BPF_PROG_TEST_RUN: libc::c_long = 10;
/// `BPF_MAP_FREEZE`.
pub const BPF_MAP_FREEZE: libc::c_long = 22;

/// The `BPF_PROG_LOAD` prefix of `union bpf_attr`, up to the attach target.
#[repr(C)]
#[derive(Default)]
pub struct LoadAttr {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; 16],
    pub prog_ifindex: u32,
    pub expected_attach_type: u32,
    pub prog_btf_fd: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub func_info_cnt: u32,
    pub line_info_rec_size: u32,
    pub line_info: u64,
    pub line_info_cnt: u32,
    pub attach_btf_id: u32,
    pub attach_prog_fd: u32,
    pub _pad: u32,
}

/// The `BPF_MAP_CREATE` prefix of `union bpf_attr`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct MapCreateAttr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
}

/// A descriptor bpf() returned, owned from here on.
fn owned(fd: libc::c_long) -> OwnedFd {
    // SAFETY: a successful BPF_MAP_CREATE / BPF_PROG_LOAD returns a new descriptor that
    // nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

/// The element commands' part of `union bpf_attr` (`BPF_MAP_UPDATE_ELEM`, `BPF_MAP_FREEZE`).
#[repr(C)]
#[derive(Default)]
pub struct ElemAttr {
    pub map_fd: u32,
    pub _pad: u32,
    pub key: u64,
    pub value: u64,
    pub flags: u64,
}

/// Creates a map.
pub fn map_create(
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
) -> Result<OwnedFd, i32> {
    map_create_with(&MapCreateAttr {
        map_type,
        key_size,
        value_size,
        max_entries,
        map_flags: 0,
    })
}

/// Creates a map with every field of `attr` (flags included).
pub fn map_create_with(attr: &MapCreateAttr) -> Result<OwnedFd, i32> {
    let mut attr = MapCreateAttr { ..*attr };
    bpf(BPF_MAP_CREATE, &mut attr).map(owned)
}

/// `BPF_MAP_UPDATE_ELEM` with flags 0 (`BPF_ANY`).
pub fn map_update(map: &OwnedFd, key: &[u8], value: &[u8]) -> Result<(), i32> {
    let mut attr = ElemAttr {
        map_fd: map.as_raw_fd() as u32,
        key: key.as_ptr() as u64,
        value: value.as_ptr() as u64,
        ..Default::default()
    };
    // `attr` points to `key` and `value`, alive across the call.
    bpf(BPF_MAP_UPDATE_ELEM, &mut attr).map(|_| ())
}

/// `BPF_MAP_FREEZE`: the map becomes read-only for user space, as libbpf does `.rodata`.
pub fn map_freeze(map: &OwnedFd) -> Result<(), i32> {
    let mut attr = ElemAttr {
        map_fd: map.as_raw_fd() as u32,
        ..Default::default()
    };
    bpf(BPF_MAP_FREEZE, &mut attr).map(|_| ())
}

/// What a `BPF_PROG_LOAD` asks for besides the instructions.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions<'a> {
    pub prog_type: u32,
    pub license: &'a str,
    /// 0: no log; 1: the error and the path to it; 2: every instruction's state.
    pub log_level: u32,
    /// Bytes of log buffer, when `log_level` > 0.
    pub log_size: usize,
    pub prog_flags: u32,
    pub expected_attach_type: u32,
    /// The attach target's id in the kernel's BTF (tracing programs), 0 for none.
    pub attach_btf_id: u32,
}

impl Default for LoadOptions<'_> {
    fn default() -> Self {
        LoadOptions {
            prog_type: 1,
            license: "GPL",
            log_level: 0,
            log_size: 16 << 20,
            prog_flags: 0,
            expected_attach_type: 0,
            attach_btf_id: 0,
        }
    }
}

/// What the kernel said to a `BPF_PROG_LOAD`: the program (accepted) or the errno, and the
/// verifier log.
pub struct LoadResult {
    pub fd: Result<OwnedFd, i32>,
    pub log: String,
}

impl LoadResult {
    pub fn accepted(&self) -> bool {
        self.fd.is_ok()
    }

    /// The errno of a refusal, 0 when accepted.
    pub fn errno(&self) -> i32 {
        self.fd.as_ref().err().copied().unwrap_or(0)
    }

    /// The verifier's error line ([`error_line`]).
    pub fn error_line(&self) -> Option<&str> {
        error_line(&self.log)
    }

    /// `accept`, or the verifier's error line: the verdict as the probe tables record it.
    pub fn verdict(&self) -> String {
        if self.accepted() {
            "accept".to_string()
        } else {
            self.error_line().unwrap_or("").to_string()
        }
    }
}

/// A verifier log's last line that is not statistics or a state dump (`infinite loop
/// detected` prints the two states after itself): the verifier's error.
pub fn error_line(log: &str) -> Option<&str> {
    log.lines().rev().map(str::trim).find(|l| {
        !l.is_empty()
            && !l.starts_with("processed ")
            && !l.starts_with("verification time")
            && !l.starts_with("stack depth")
            && !l.starts_with("cur state:")
            && !l.starts_with("old state:")
    })
}

/// Loads raw instruction bytes as `options` say.
pub fn prog_load_with(insns: &[u8], options: &LoadOptions<'_>) -> LoadResult {
    let license = format!("{}\0", options.license);
    let mut log = vec![
        0u8;
        if options.log_level > 0 {
            options.log_size
        } else {
            0
        }
    ];
    let mut attr = LoadAttr {
        prog_type: options.prog_type,
        insn_cnt: (insns.len() / 8) as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        log_level: options.log_level,
        prog_flags: options.prog_flags,
        expected_attach_type: options.expected_attach_type,
        attach_btf_id: options.attach_btf_id,
        ..Default::default()
    };
    if options.log_level > 0 {
        attr.log_size = log.len() as u32;
        attr.log_buf = log.as_mut_ptr() as u64;
    }
    // `attr` points to `insns`, `license` and `log`, alive across the call.
    let fd = bpf(BPF_PROG_LOAD, &mut attr).map(owned);
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    LoadResult {
        fd,
        log: String::from_utf8_lossy(&log[..end]).into_owned(),
    }
}

/// Loads raw instruction bytes as a program of `prog_type` with `license`.
pub fn prog_load(prog_type: u32, insns: &[u8], license: &str, log_level: u32) -> LoadResult {
    prog_load_with(
        insns,
        &LoadOptions {
            prog_type,
            license,
            log_level,
            ..LoadOptions::default()
        },
    )
}

/// Whether bpf() works here (root, no sandbox forbidding it): loads `r0 = 0; exit`.
/// Prints why not, for the tests that then say they skipped.
pub fn bpf_available() -> bool {
    let prog = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0u8];
    let r = prog_load(1, &prog, "GPL", 0);
    if !r.accepted() {
        println!(
            "skipped: the bpf() syscall is unavailable (errno {})",
            r.errno()
        );
    }
    r.accepted()
}
