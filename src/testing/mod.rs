//! bpfsim as a test tool: a [`Harness`] for Rust `#[test]`s (load an object, seed maps,
//! run a program over a packet, a context or a scripted syscall, then assert on the return
//! value, the packet, map contents, `bpf_trace_printk` lines and ring buffer / perf events
//! decoded through BTF), and the declarative spec files `bpfsim test` runs ([`spec`]).
//!
//! ```
//! use bpfsim::testing::{Harness, SysArg};
//!
//! let mut h = Harness::open("examples/opensnoop/opensnoop.bpf.o")?;
//! h.set_event_type("events", "event")?;
//! h.world_mut().task.pid = 4242;
//! h.world_mut().task.tgid = 4242;
//! h.world_mut().task.comm = "cat".into();
//! // openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3
//! h.syscall("openat", &[SysArg::Int(-100i64 as u64), SysArg::Str("/etc/passwd".into()),
//!                       SysArg::Int(0)], Some(3))?;
//! let events = h.take_events();
//! assert_eq!(events.len(), 1);
//! let e = events[0].fields.as_ref().expect("decoded through BTF");
//! assert_eq!(e.u64("pid"), Some(4242));
//! assert_eq!(e.str("comm"), Some("cat"));
//! assert_eq!(e.str("fname"), Some("/etc/passwd"));
//! assert_eq!(e.i64("ret"), Some(3));
//! // The entry was removed from the `start` map by the exit program.
//! assert!(h.map_entries("start")?.is_empty());
//! # Ok::<(), bpfsim::testing::TestError>(())
//! ```

pub mod btfvalue;
pub mod events;
pub mod pcap;
pub mod spec;
pub mod syscall;
pub mod verdict;

pub use btfvalue::Record;
pub use events::Event;

use crate::engine::Engine;
use crate::helpers::World;
use crate::maps::MapType;
use crate::object::btf::BtfTypes;
use crate::progtype::{ProgType, TestRunInput};
use crate::session::{RunResult, Session, SessionError};
use crate::verifier::PreflightOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses hex bytes; spaces, `:` and a leading `0x` are allowed.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let t: String = s
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if !t.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", t.len()));
    }
    (0..t.len() / 2)
        .map(|i| {
            u8::from_str_radix(&t[2 * i..2 * i + 2], 16)
                .map_err(|_| format!("{:?} is not a hex byte", &t[2 * i..2 * i + 2]))
        })
        .collect()
}

/// A number written as a string, for values TOML's 64-bit signed integers cannot hold
/// (kernel addresses): `"0xffffffff81000000"` (hex only, so file names stay strings).
pub fn hex_number(s: &str) -> Option<u64> {
    let h = s.strip_prefix("0x")?;
    if h.is_empty() || h.len() > 16 {
        return None;
    }
    u64::from_str_radix(&h.replace('_', ""), 16).ok()
}

/// Why a test step failed: each message says what, where, and (for programs) the source line.
#[derive(Debug, Error)]
pub enum TestError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("program {program} is refused by the verifier: {message}")]
    Verifier { program: String, message: String },
    #[error("no map named {name:?} (the object has: {})", .available.join(", "))]
    NoSuchMap {
        name: String,
        available: Vec<String>,
    },
    #[error("map {map}: {message}")]
    Map { map: String, message: String },
    #[error("no BTF type named {0:?} in the object")]
    NoSuchType(String),
    #[error("the object has no BTF")]
    NoBtf,
    #[error("no program traces syscall {0} (looked for sections {1})")]
    NoSyscallProgram(String, String),
    #[error("{0}")]
    Other(String),
}

/// A syscall argument: a number, or a string the harness places in the simulated user
/// memory (NUL-terminated) and passes the address of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SysArg {
    Int(u64),
    Str(String),
}

/// A map entry: key and value bytes.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Where strings for syscall arguments go in simulated user memory.
const USER_STRINGS: u64 = 0x0000_7ffd_0000_0000;

/// A loaded object ready to be tested: a [`Session`] plus the events collected so far and
/// the types used to decode them.
///
/// A packet program with map state, its map values read as named fields through BTF:
///
/// ```
/// use bpfsim::testing::{Harness, parse_hex};
///
/// let mut h = Harness::open("examples/tc_counter/tc_counter.bpf.o")?;
/// // Seed the TCP counter with named fields (struct proto_stat), as a spec would.
/// let key = 6u32.to_le_bytes();
/// let value = h.encode_for_map("proto_stats", true,
///                              &serde_json::json!({"packets": 41, "bytes": 1000}))?;
/// h.map_update("proto_stats", &key, &value)?;
/// // Ethernet + IPv4 (TTL 64, TCP) + TCP: 54 bytes.
/// let frame = parse_hex("020000000001 020000000002 0800 \
///                        450000280001000040060000 0a0000020a000001 \
///                        9c400016000000010000000050020000ffff0000").unwrap();
/// let r = h.run_packet("tc_counter", &frame)?;
/// assert_eq!(r.output.retval, 0); // TC_ACT_OK
/// let stat = h.map_record("proto_stats", &key)?.expect("an entry");
/// assert_eq!(stat.u64("packets"), Some(42));
/// assert_eq!(stat.u64("bytes"), Some(1054));
/// // A program the verifier refuses says why, with the source line.
/// let bad = Harness::open("tests/fixtures/testtool/rejected.o")?;
/// let e = bad.verify("unchecked").unwrap_err();
/// assert!(e.to_string().contains("R0 invalid mem access 'map_value_or_null'"));
/// assert!(e.to_string().contains("*n += 1;"));
/// # Ok::<(), bpfsim::testing::TestError>(())
/// ```
pub struct Harness {
    session: Session,
    path: PathBuf,
    event_types: HashMap<String, u32>,
    events: Vec<Event>,
    next_user: u64,
    verify: bool,
}

impl Harness {
    /// Loads an object and creates its maps.
    pub fn open(path: impl AsRef<Path>) -> Result<Harness, TestError> {
        let path = path.as_ref().to_path_buf();
        Ok(Harness::from_session(Session::open(&path)?, path))
    }

    /// Wraps a session that is already open. Event maps whose BTF value type is a struct
    /// (a perf event array or ring buffer declared with `__type(value, struct event)`)
    /// decode their events as that struct until told otherwise.
    pub fn from_session(session: Session, path: PathBuf) -> Harness {
        let event_types = declared_event_types(&session);
        Harness {
            session,
            path,
            event_types,
            events: Vec::new(),
            next_user: USER_STRINGS,
            verify: false,
        }
    }

    /// The object's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The session, with its maps and world as the runs left them.
    pub fn into_session(self) -> Session {
        self.session
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// The world the next runs see (task, clocks, user memory, ...).
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.session.world
    }

    /// Chooses the engine (the interpreter or the JIT in checked mode).
    pub fn set_engine(&mut self, engine: Engine) {
        self.session.set_engine(engine);
    }

    /// Overrides every program's type.
    pub fn set_prog_type(&mut self, t: ProgType) {
        self.session.set_prog_type(t);
    }

    /// Runs the verifier on each program before its first run (off by default, as
    /// BPF_PROG_TEST_RUN on an already loaded program would be).
    pub fn set_verify(&mut self, on: bool) {
        self.verify = on;
    }

    fn btf(&self) -> Result<&BtfTypes, TestError> {
        self.session
            .object()
            .btf
            .as_ref()
            .map(|b| &b.types)
            .ok_or(TestError::NoBtf)
    }

    /// Decodes the events of ring buffer or perf event array `map` as BTF type `type_name`
    /// (`event` or `struct event`).
    pub fn set_event_type(&mut self, map: &str, type_name: &str) -> Result<(), TestError> {
        self.map_index(map)?;
        let id = events::find_type(self.btf()?, type_name)
            .ok_or_else(|| TestError::NoSuchType(type_name.into()))?;
        self.event_types.insert(map.into(), id);
        Ok(())
    }

    /// Decodes the events of every event map as `type_name`.
    pub fn set_event_type_all(&mut self, type_name: &str) -> Result<(), TestError> {
        let id = events::find_type(self.btf()?, type_name)
            .ok_or_else(|| TestError::NoSuchType(type_name.into()))?;
        let names: Vec<String> = self
            .session
            .maps()
            .iter()
            .filter(|m| events::is_event_map(m.map_type()))
            .map(|m| m.name().to_string())
            .collect();
        for n in names {
            self.event_types.insert(n, id);
        }
        Ok(())
    }

    /// The index of map `name`.
    pub fn map_index(&self, name: &str) -> Result<usize, TestError> {
        self.session
            .maps()
            .index_of(name)
            .ok_or_else(|| TestError::NoSuchMap {
                name: name.into(),
                available: self
                    .session
                    .maps()
                    .iter()
                    .map(|m| m.name().to_string())
                    .collect(),
            })
    }

    /// For a per-CPU map: (number of CPUs, value size).
    fn per_cpu(&self, i: usize) -> Option<(usize, usize)> {
        let m = self.session.maps().get(i)?;
        matches!(
            m.map_type(),
            MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash
        )
        .then(|| (m.ncpus(), m.def().value_size as usize))
    }

    /// `BPF_MAP_UPDATE_ELEM` from user space with raw bytes. For per-CPU maps, one value
    /// (`value_size` bytes) is stored on every CPU; all CPUs' values (each rounded up to 8
    /// bytes) are taken as they are.
    pub fn map_update(&mut self, map: &str, key: &[u8], value: &[u8]) -> Result<(), TestError> {
        let i = self.map_index(map)?;
        let replicated;
        let value = match self.per_cpu(i) {
            Some((ncpus, vs)) if value.len() == vs => {
                let stride = vs.div_ceil(8) * 8;
                let mut all = vec![0u8; stride * ncpus];
                for c in 0..ncpus {
                    all[c * stride..c * stride + vs].copy_from_slice(value);
                }
                replicated = all;
                &replicated[..]
            }
            _ => value,
        };
        let m = self
            .session
            .maps_mut()
            .get_mut(i)
            .ok_or_else(|| TestError::Other(format!("map {map} vanished")))?;
        let (ks, vs) = (m.def().key_size as usize, m.def().value_size as usize);
        if key.len() != ks {
            return Err(TestError::Map {
                map: map.into(),
                message: format!("the key is {} bytes, the map's keys are {ks}", key.len()),
            });
        }
        m.update_user(key, value, 0).map_err(|e| TestError::Map {
            map: map.into(),
            message: if value.len() != vs && m.ncpus() > 0 {
                format!(
                    "update failed ({e}): the value is {} bytes, the map's values are {vs}",
                    value.len()
                )
            } else {
                format!("update failed: {e}")
            },
        })
    }

    /// The value under `key`, or `None`.
    pub fn map_lookup(&self, map: &str, key: &[u8]) -> Result<Option<Vec<u8>>, TestError> {
        let i = self.map_index(map)?;
        Ok(self
            .session
            .maps()
            .get(i)
            .and_then(|m| m.lookup_user(key).ok()))
    }

    /// The value under `key` as one value: for per-CPU maps, the CPUs' values summed as
    /// little-endian integer lanes (8 bytes when the size allows, else 4, else CPU 0's
    /// value), which is what counters mean; other maps as [`Harness::map_lookup`].
    pub fn map_lookup_total(&self, map: &str, key: &[u8]) -> Result<Option<Vec<u8>>, TestError> {
        let i = self.map_index(map)?;
        let Some(all) = self.map_lookup(map, key)? else {
            return Ok(None);
        };
        let Some((ncpus, vs)) = self.per_cpu(i) else {
            return Ok(Some(all));
        };
        let stride = vs.div_ceil(8) * 8;
        let lane = if vs % 8 == 0 {
            8
        } else if vs % 4 == 0 {
            4
        } else {
            0
        };
        if lane == 0 {
            return Ok(all.get(..vs).map(<[u8]>::to_vec));
        }
        let mut out = vec![0u8; vs];
        for off in (0..vs).step_by(lane) {
            let mut sum = 0u64;
            for c in 0..ncpus {
                let at = c * stride + off;
                let Some(b) = all.get(at..at + lane) else {
                    continue;
                };
                let mut w = [0u8; 8];
                w[..lane].copy_from_slice(b);
                sum = sum.wrapping_add(u64::from_le_bytes(w));
            }
            out[off..off + lane].copy_from_slice(&sum.to_le_bytes()[..lane]);
        }
        Ok(Some(out))
    }

    /// Every (key, value) of a map.
    pub fn map_entries(&self, map: &str) -> Result<Vec<Entry>, TestError> {
        let i = self.map_index(map)?;
        Ok(self
            .session
            .maps()
            .get(i)
            .map(|m| m.entries())
            .unwrap_or_default())
    }

    /// The BTF key and value type ids of a map (0 when unknown).
    pub fn map_btf_types(&self, map: &str) -> Result<(u32, u32), TestError> {
        let i = self.map_index(map)?;
        Ok(self
            .session
            .object()
            .map_sources
            .get(i)
            .map_or((0, 0), |s| (s.btf_key_type_id, s.btf_value_type_id)))
    }

    /// Encodes a key or value given as named fields (JSON) through the map's BTF type.
    pub fn encode_for_map(
        &self,
        map: &str,
        value: bool,
        v: &serde_json::Value,
    ) -> Result<Vec<u8>, TestError> {
        let (k, val) = self.map_btf_types(map)?;
        let id = if value { val } else { k };
        if id == 0 {
            return Err(TestError::Map {
                map: map.into(),
                message: format!(
                    "the map has no BTF {} type, give bytes (hex) instead",
                    if value { "value" } else { "key" }
                ),
            });
        }
        btfvalue::encode(self.btf()?, id, v).map_err(|message| TestError::Map {
            map: map.into(),
            message,
        })
    }

    /// The value under `key` decoded through the map's BTF value type (per-CPU maps:
    /// summed over the CPUs, see [`Harness::map_lookup_total`]).
    pub fn map_record(&self, map: &str, key: &[u8]) -> Result<Option<Record>, TestError> {
        let (_, vid) = self.map_btf_types(map)?;
        let Some(bytes) = self.map_lookup_total(map, key)? else {
            return Ok(None);
        };
        if vid == 0 {
            return Err(TestError::Map {
                map: map.into(),
                message: "the map has no BTF value type".into(),
            });
        }
        btfvalue::decode(self.btf()?, vid, &bytes)
            .map(|v| Some(Record(v)))
            .map_err(|message| TestError::Map {
                map: map.into(),
                message,
            })
    }

    /// Runs the verifier on program `name`: the kernel's message with the source line when
    /// it refuses.
    pub fn verify(&self, name: &str) -> Result<(), TestError> {
        verify_program(&self.session, name)
    }

    /// Runs a program over an input (as BPF_PROG_TEST_RUN), then collects its events.
    pub fn run(&mut self, program: &str, input: &TestRunInput<'_>) -> Result<RunResult, TestError> {
        self.run_n(program, input, 1)
    }

    /// [`Harness::run`] `repeat` times over one context, as BPF_PROG_TEST_RUN's `repeat`.
    pub fn run_n(
        &mut self,
        program: &str,
        input: &TestRunInput<'_>,
        repeat: u32,
    ) -> Result<RunResult, TestError> {
        if self.verify {
            self.verify(program)?;
        }
        let r = self.session.run(program, input, repeat);
        self.collect_events();
        Ok(r?)
    }

    /// Runs a packet program over a frame.
    pub fn run_packet(&mut self, program: &str, frame: &[u8]) -> Result<RunResult, TestError> {
        self.run(program, &TestRunInput::new(frame))
    }

    /// Runs a tracing program over a context blob (a tracepoint record, `pt_regs`, ...).
    pub fn run_ctx(&mut self, program: &str, ctx: &[u8]) -> Result<RunResult, TestError> {
        self.run(program, &TestRunInput::tracing(ctx))
    }

    /// Places a NUL-terminated string in simulated user memory; returns its address.
    pub fn user_string(&mut self, s: &str) -> u64 {
        let addr = self.next_user;
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        self.next_user += (bytes.len() as u64).div_ceil(0x100) * 0x100 + 0x100;
        self.session.world.user_memory.map(addr, bytes);
        addr
    }

    /// The program whose section is one of `sections`.
    fn program_in(&self, sections: &[String]) -> Option<String> {
        self.session
            .object()
            .programs
            .iter()
            .find(|p| sections.contains(&p.section))
            .map(|p| p.name.clone())
    }

    /// Replays one syscall made by the world's current task: the `sys_enter_NAME` program
    /// (if the object has one) with the arguments, then, when `ret` is given, the
    /// `sys_exit_NAME` program with the return value. Returns the runs made.
    pub fn syscall(
        &mut self,
        name: &str,
        args: &[SysArg],
        ret: Option<i64>,
    ) -> Result<Vec<RunResult>, TestError> {
        self.syscall_nr(
            name,
            syscall::syscall_nr(name).unwrap_or(-1),
            args,
            ret,
            true,
        )
    }

    /// [`Harness::syscall`] with an explicit number, and the entry optional (`enter`
    /// false: only the exit runs).
    pub fn syscall_nr(
        &mut self,
        name: &str,
        nr: i64,
        args: &[SysArg],
        ret: Option<i64>,
        enter: bool,
    ) -> Result<Vec<RunResult>, TestError> {
        let enter_secs = syscall::sections(name, true);
        let exit_secs = syscall::sections(name, false);
        let enter_prog = self.program_in(&enter_secs);
        let exit_prog = self.program_in(&exit_secs);
        if enter_prog.is_none() && exit_prog.is_none() {
            return Err(TestError::NoSyscallProgram(
                name.into(),
                [enter_secs, exit_secs].concat().join(", "),
            ));
        }
        let pid = self.session.world.task.pid;
        let mut runs = Vec::new();
        if enter && let Some(p) = enter_prog {
            let values: Vec<u64> = args
                .iter()
                .map(|a| match a {
                    SysArg::Int(v) => *v,
                    SysArg::Str(s) => self.user_string(s),
                })
                .collect();
            let rec = syscall::enter_record(pid, nr, &values).map_err(TestError::Other)?;
            runs.push(self.run_ctx(&p, &rec)?);
        }
        if let (Some(ret), Some(p)) = (ret, exit_prog) {
            let rec = syscall::exit_record(pid, nr, ret);
            runs.push(self.run_ctx(&p, &rec)?);
        }
        Ok(runs)
    }

    /// Runs a kprobe program over an x86-64 `struct pt_regs` whose registers are given by
    /// name (`di`, `si`, `dx`, ..., `ip`); strings are placed in user memory.
    ///
    /// ```
    /// use bpfsim::testing::{Harness, SysArg};
    ///
    /// // vfs_read(file, buf, count = 8192): the fixture returns the size class, 2.
    /// let mut h = Harness::open("tests/fixtures/runs/probes.o")?;
    /// let r = h.kprobe("kprobe_read", &[("si", SysArg::Str("buf".into())),
    ///                                  ("dx", SysArg::Int(8192))])?;
    /// assert_eq!(r.output.retval, 2);
    /// assert!(h.kprobe("kprobe_read", &[("rdi", SysArg::Int(0))]).is_err());
    /// # Ok::<(), bpfsim::testing::TestError>(())
    /// ```
    pub fn kprobe(
        &mut self,
        program: &str,
        regs: &[(&str, SysArg)],
    ) -> Result<RunResult, TestError> {
        let mut ctx = vec![0u8; crate::progtype::tracing::PT_REGS_SIZE];
        for (name, arg) in regs {
            let off = syscall::pt_reg_offset(name).ok_or_else(|| {
                TestError::Other(format!("unknown x86-64 pt_regs register {name:?}"))
            })?;
            let v = match arg {
                SysArg::Int(v) => *v,
                SysArg::Str(s) => self.user_string(s),
            };
            ctx[off..off + 8].copy_from_slice(&v.to_le_bytes());
        }
        self.run_ctx(program, &ctx)
    }

    fn collect_events(&mut self) {
        let types = &self.event_types;
        let new = events::drain(&mut self.session, &|m| types.get(m).copied());
        self.events.extend(new);
    }

    /// The events collected so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events collected so far.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Every `bpf_trace_printk` line printed so far.
    pub fn printk(&self) -> &[String] {
        &self.session.world.trace
    }
}

/// The event maps whose declared BTF value type is a struct or union, with that type.
fn declared_event_types(session: &Session) -> HashMap<String, u32> {
    let obj = session.object();
    let Some(btf) = obj.btf.as_ref().map(|b| &b.types) else {
        return HashMap::new();
    };
    obj.maps
        .iter()
        .zip(&obj.map_sources)
        .filter(|(d, s)| events::is_event_map(d.map_type) && s.btf_value_type_id != 0)
        .filter_map(|(d, s)| {
            let t = btf.get(btf.skip_mods(s.btf_value_type_id)?)?;
            matches!(
                t.kind,
                crate::object::btf::BtfKind::Struct | crate::object::btf::BtfKind::Union
            )
            .then(|| (d.name.clone(), s.btf_value_type_id))
        })
        .collect()
}

/// Runs the verifier on one program of a session's object; `Err` carries the kernel's
/// message with the source line, and says that `--no-verify` skips the check.
pub fn verify_program(session: &Session, name: &str) -> Result<(), TestError> {
    let obj = session.object();
    let p = obj
        .programs
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            TestError::Session(SessionError::NoSuchProgram {
                name: name.into(),
                available: obj.programs.iter().map(|p| p.name.clone()).collect(),
            })
        })?;
    let map_records = obj.map_records();
    let options = PreflightOptions::for_object_program(p, &obj.maps, &map_records);
    match crate::verifier::verify(p, &options).result {
        Ok(()) => Ok(()),
        Err(e) => Err(TestError::Verifier {
            program: name.into(),
            message: e.to_string(),
        }),
    }
}
