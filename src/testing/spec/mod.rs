//! Spec files: declarative test cases for `bpfsim test`, in TOML. A spec names an object
//! (relative to the spec file), optionally a program, engine and program type, and holds
//! `[[case]]`s: map seeds, an input (a packet in hex, a packet file, a pcap, context fields,
//! or a sequence of syscalls / tracepoint records for tracing programs), and expectations
//! (return value, output packet, map contents, events, printk lines, pcap verdict counts).
//!
//! Loading checks everything against the object before anything runs: unknown programs,
//! maps, fields and keys, bad hex, wrong sizes are [`SpecError`]s naming the spec's file,
//! line and column. Running ([`run::run_spec`]) gives one [`run::CaseReport`] per case.
//!
//! ```toml
//! object = "opensnoop.bpf.o"
//! event_type = "event"
//!
//! [[case]]
//! name = "cat opens /etc/passwd"
//! [[case.syscalls]]
//! name = "openat"
//! pid = 4242
//! comm = "cat"
//! args = [-100, "/etc/passwd", 0]
//! ret = 3
//! [[case.expect.events]]
//! pid = 4242
//! fname = "/etc/passwd"
//! ```

pub mod print;
mod raw;
pub mod report;
mod resolve;
pub mod run;

use crate::engine::Engine;
use crate::object::Object;
use crate::progtype::ProgType;
use std::fmt;
use std::path::{Path, PathBuf};

pub use print::RowFormat;
pub use resolve::load;

/// A spec that cannot be used, with where in the spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: PathBuf,
    /// 1-based line and column; 0 when the error is about the whole file.
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The spec's line, for display.
    pub text: Option<String>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.file.display(), self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )?;
        if let Some(t) = &self.text {
            write!(f, "\n  {:>4} | {}", self.line, t)?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// Line and column (1-based) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

/// Settings of the simulated world a case or step applies before running.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorldSettings {
    pub pid: Option<u32>,
    pub tgid: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub comm: Option<String>,
    pub time_ns: Option<u64>,
    pub clock_step_ns: Option<u64>,
    pub cpu: Option<u32>,
}

impl WorldSettings {
    /// Applies the settings given (a `pid` without `tgid` sets both).
    pub fn apply(&self, w: &mut crate::helpers::World) {
        if let Some(p) = self.pid {
            w.task.pid = p;
            w.task.tgid = self.tgid.unwrap_or(p);
        } else if let Some(t) = self.tgid {
            w.task.tgid = t;
        }
        if let Some(u) = self.uid {
            w.task.uid = u;
        }
        if let Some(g) = self.gid {
            w.task.gid = g;
        }
        if let Some(c) = &self.comm {
            w.task.comm = c.clone();
        }
        if let Some(t) = self.time_ns {
            w.mono_ns = t;
        }
        if let Some(s) = self.clock_step_ns {
            w.clock_step_ns = s;
        }
        if let Some(c) = self.cpu {
            w.cpu = c;
        }
    }
}

/// A map update before a case runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    pub map: String,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// One step of a tracing case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A syscall made by the task: its entry and/or exit tracepoint programs run.
    Syscall {
        world: WorldSettings,
        name: String,
        nr: i64,
        args: Vec<crate::testing::SysArg>,
        ret: Option<i64>,
        enter: bool,
    },
    /// One program over a context of `size` bytes whose 8-byte words at the given offsets
    /// hold numbers or addresses of strings placed in user memory (kprobes' `pt_regs`).
    Words {
        world: WorldSettings,
        program: String,
        size: usize,
        words: Vec<(usize, crate::testing::SysArg)>,
    },
    /// One tracepoint program over a record.
    Tracepoint {
        world: WorldSettings,
        program: String,
        ctx: Vec<u8>,
    },
}

/// What a case runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// One run over a packet and/or a context.
    Run {
        program: String,
        data: Vec<u8>,
        ctx: Option<Vec<u8>>,
        repeat: u32,
    },
    /// One run per packet of a capture.
    Pcap {
        program: String,
        packets: Vec<Vec<u8>>,
    },
    /// Tracing steps in order.
    Steps(Vec<Step>),
}

/// An expected map entry (or its absence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapExpect {
    pub map: String,
    pub key: Vec<u8>,
    /// `None`: the key must be absent.
    pub value: Option<Vec<u8>>,
    pub line: usize,
}

/// An expected event: the fields given must match (others are not checked).
#[derive(Clone, Debug, PartialEq)]
pub struct EventExpect {
    pub fields: Vec<(String, serde_json::Value)>,
    pub line: usize,
}

/// What a case checks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expect {
    pub retval: Option<u32>,
    pub packet: Option<Vec<u8>>,
    pub maps: Vec<MapExpect>,
    pub events: Option<Vec<EventExpect>>,
    pub printk: Option<Vec<String>>,
    /// Pcap runs: how many packets got each verdict (by name or number).
    pub verdicts: Option<Vec<(String, u64)>>,
    /// Pcap runs: every packet's verdict, in order (names as reports print them, or
    /// numbers where the program type has no names).
    pub retvals: Option<Vec<String>>,
}

/// One resolved case.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub name: String,
    pub line: usize,
    pub engine: Engine,
    pub prog_type: Option<ProgType>,
    pub world: WorldSettings,
    pub seeds: Vec<Seed>,
    pub action: Action,
    pub expect: Expect,
}

/// A loaded, checked spec.
#[derive(Clone, Debug)]
pub struct Spec {
    pub path: PathBuf,
    pub object_path: PathBuf,
    pub object: Object,
    /// (event map or `None` for all, BTF type name).
    pub event_type: Option<(Option<String>, String)>,
    pub verify: bool,
    pub print: Option<RowFormat>,
    pub cases: Vec<Case>,
}

impl Spec {
    /// The spec's directory (paths in the spec are relative to it).
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}
