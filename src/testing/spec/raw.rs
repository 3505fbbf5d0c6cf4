//! The spec file as TOML gives it: every field that an error may point at keeps its span.
//! Unknown keys are refused (`deny_unknown_fields`), so a typo is an error at its line.

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    pub object: S<String>,
    pub program: Option<S<String>>,
    pub engine: Option<S<String>>,
    pub prog_type: Option<S<String>>,
    /// The BTF type of events (ring buffer / perf event array records).
    pub event_type: Option<S<String>>,
    /// Decode only this map's events with `event_type` (default: every event map).
    pub event_map: Option<S<String>>,
    /// Run the verifier before the first run of each program (default true).
    pub verify: Option<bool>,
    pub print: Option<RawPrint>,
    pub world: Option<RawWorld>,
    #[serde(default)]
    pub maps: Vec<RawSeed>,
    #[serde(default, rename = "case")]
    pub cases: Vec<S<RawCase>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrint {
    pub header: Option<String>,
    pub row: S<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorld {
    pub pid: Option<u32>,
    pub tgid: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub comm: Option<S<String>>,
    pub time_ns: Option<u64>,
    pub clock_step_ns: Option<u64>,
    pub cpu: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSeed {
    pub map: S<String>,
    pub key: S<toml::Value>,
    pub value: S<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    pub name: S<String>,
    pub program: Option<S<String>>,
    pub engine: Option<S<String>>,
    pub prog_type: Option<S<String>>,
    pub world: Option<RawWorld>,
    #[serde(default)]
    pub maps: Vec<RawSeed>,
    pub packet: Option<S<String>>,
    pub packet_file: Option<S<String>>,
    pub pcap: Option<S<String>>,
    pub ctx: Option<S<toml::Table>>,
    pub ctx_hex: Option<S<String>>,
    pub repeat: Option<u32>,
    #[serde(default)]
    pub syscalls: Vec<S<RawSyscall>>,
    #[serde(default)]
    pub tracepoints: Vec<S<RawTracepoint>>,
    #[serde(default)]
    pub kprobes: Vec<S<RawKprobe>>,
    pub expect: Option<RawExpect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSyscall {
    pub name: S<String>,
    pub nr: Option<i64>,
    pub pid: Option<u32>,
    pub tgid: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub comm: Option<S<String>>,
    pub time_ns: Option<u64>,
    #[serde(default)]
    pub args: Vec<S<toml::Value>>,
    pub ret: Option<i64>,
    /// `enter`, `exit` or `both` (default): which programs this step runs.
    pub phase: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTracepoint {
    pub program: S<String>,
    /// 8-byte words laid out after the 8-byte common header.
    #[serde(default)]
    pub args: Vec<S<toml::Value>>,
    /// The whole record, header included, in hex (instead of `args`).
    pub ctx_hex: Option<S<String>>,
    pub pid: Option<u32>,
    pub tgid: Option<u32>,
    pub comm: Option<S<String>>,
    pub time_ns: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKprobe {
    pub program: S<String>,
    /// `struct pt_regs` by register name (`di`, `si`, `dx`, `cx`, `r8`, `r9`, `ax`, `ip`,
    /// `sp`, ...); strings are placed in simulated user memory and passed by address.
    pub regs: S<toml::Table>,
    pub pid: Option<u32>,
    pub tgid: Option<u32>,
    pub comm: Option<S<String>>,
    pub time_ns: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub retval: Option<S<toml::Value>>,
    pub packet: Option<S<String>>,
    #[serde(default)]
    pub maps: Vec<RawMapExpect>,
    pub events: Option<S<Vec<S<toml::Table>>>>,
    pub printk: Option<S<Vec<String>>>,
    pub verdicts: Option<S<toml::Table>>,
    /// Pcap runs: the verdict of every packet, in order (names or numbers).
    pub retvals: Option<S<Vec<S<toml::Value>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMapExpect {
    pub map: S<String>,
    pub key: S<toml::Value>,
    pub value: Option<S<toml::Value>>,
    /// The key must not be in the map.
    pub absent: Option<bool>,
}
