//! The `bpf()` system call for the tests that ask the running kernel (as root), and the
//! `BPF_PROG_TEST_RUN` attribute layout they share.

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
/// `BPF_PROG_LOAD`.
pub const BPF_PROG_LOAD: libc::c_long = 5;

/// The `BPF_PROG_LOAD` prefix of `union bpf_attr` that loading plain programs needs.
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
}

/// The `BPF_MAP_CREATE` prefix of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
pub struct MapCreateAttr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
}

/// A file descriptor the kernel gave, closed on drop.
pub struct Fd(pub i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the descriptor came from bpf() and is owned by this value alone.
        unsafe { libc::close(self.0) };
    }
}

/// Creates a map.
pub fn map_create(
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
) -> Result<Fd, i32> {
    let mut attr = MapCreateAttr {
        map_type,
        key_size,
        value_size,
        max_entries,
        map_flags: 0,
    };
    bpf(BPF_MAP_CREATE, &mut attr).map(|fd| Fd(fd as i32))
}

/// What the kernel said to a `BPF_PROG_LOAD`: the program (accepted) or the errno, and the
/// verifier log (level 1: the error and the path to it, at the end).
pub struct LoadResult {
    pub fd: Result<Fd, i32>,
    pub log: String,
}

impl LoadResult {
    /// The log's last line that is not statistics or a state dump (`infinite loop detected`
    /// prints the two states after itself): the verifier's error.
    pub fn error_line(&self) -> Option<&str> {
        self.log.lines().rev().map(str::trim).find(|l| {
            !l.is_empty()
                && !l.starts_with("processed ")
                && !l.starts_with("verification time")
                && !l.starts_with("stack depth")
                && !l.starts_with("cur state:")
                && !l.starts_with("old state:")
        })
    }
}

/// Loads raw instruction bytes as a program of `prog_type` with `license`.
pub fn prog_load(prog_type: u32, insns: &[u8], license: &str, log_level: u32) -> LoadResult {
    let license = format!("{license}\0");
    let mut log = vec![0u8; 16 << 20];
    let mut attr = LoadAttr {
        prog_type,
        insn_cnt: (insns.len() / 8) as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        log_level,
        ..Default::default()
    };
    if log_level > 0 {
        attr.log_size = log.len() as u32;
        attr.log_buf = log.as_mut_ptr() as u64;
    }
    let fd = bpf(BPF_PROG_LOAD, &mut attr).map(|fd| Fd(fd as i32));
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    LoadResult {
        fd,
        log: String::from_utf8_lossy(&log[..end]).into_owned(),
    }
}
