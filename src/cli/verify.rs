//! `bpfsim verify`: the verifier's verdict on each program of an object, as
//! `BPF_PROG_LOAD` would give it (loaded as root, with the object's maps, func_info and
//! line_info).
//!
//! Exit status: 0 when every chosen program is accepted, 1 when one is rejected, 2 when
//! the input cannot be used. `--json` prints one line per program; `--log` prints the
//! verifier log of each program first, in the kernel's style (`log_level` 1).

use super::CliError;
use crate::insn::RawInsn;
use crate::object::{Object, Program};
use crate::progtype::ProgType;
use crate::verifier::{MapRefs, PreflightOptions, verify as run_verifier, verify_with_log};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The BPF ELF object (or use --raw).
    #[arg(
        value_name = "OBJ",
        required_unless_present = "raw",
        conflicts_with = "raw"
    )]
    pub object: Option<PathBuf>,
    /// A raw program (little-endian 8-byte instruction slots, no maps), verified as one
    /// program of `--prog-type` (socket_filter when not given), as bare instructions given
    /// to `BPF_PROG_LOAD`.
    #[arg(long, value_name = "PROG.bin")]
    pub raw: Option<PathBuf>,
    /// Verify only this program (by function name).
    #[arg(long, value_name = "NAME")]
    pub program: Option<String>,
    /// Program type for every program, in libbpf's names (`xdp`, `sched_cls`, ...).
    #[arg(long, value_name = "TYPE")]
    pub prog_type: Option<String>,
    /// One JSON line per program.
    #[arg(long)]
    pub json: bool,
    /// Print each program's verifier log (instructions with the registers they change,
    /// pruned paths, the statistics line) before its verdict.
    #[arg(long)]
    pub log: bool,
}

pub fn verify(a: VerifyArgs) -> Result<(), CliError> {
    let prog_type = match &a.prog_type {
        Some(name) => Some(
            ProgType::from_name(name)
                .ok_or_else(|| CliError::Input(format!("unknown program type \"{name}\"")))?,
        ),
        None => None,
    };
    let (mut programs, maps, map_records, source) = match (&a.raw, &a.object) {
        (Some(raw), _) => {
            let bytes = super::read_file(raw)?;
            let slots = RawInsn::slots(&bytes)
                .map_err(|e| CliError::Input(format!("{}: {e}", raw.display())))?;
            let t = prog_type.unwrap_or(ProgType::SocketFilter);
            let program = Program::from_insns("raw", t, slots);
            (vec![program], Vec::new(), Vec::new(), raw)
        }
        (None, Some(path)) => {
            let obj = Object::from_file(path)
                .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
            let map_records = obj.map_records();
            (obj.programs, obj.maps, map_records, path)
        }
        (None, None) => return Err(CliError::Input("no object and no --raw program".into())),
    };
    if let Some(t) = prog_type {
        for p in &mut programs {
            p.set_prog_type(t);
        }
    }
    let chosen: Vec<_> = programs
        .iter()
        .filter(|p| a.program.as_ref().is_none_or(|n| &p.name == n))
        .collect();
    if chosen.is_empty() {
        return Err(CliError::Input(match &a.program {
            Some(n) => format!("{}: no program named \"{n}\"", source.display()),
            None => format!("{}: no programs", source.display()),
        }));
    }
    let mut rejected = 0;
    for p in &chosen {
        let mut options = PreflightOptions::for_object_program(p, &maps, &map_records);
        if a.raw.is_some() {
            options.maps = MapRefs::None;
        }
        let start = Instant::now();
        let v = if a.log {
            let (v, log) = verify_with_log(p, &options);
            out!("{log}");
            v
        } else {
            run_verifier(p, &options)
        };
        let time_us = start.elapsed().as_micros() as u64;
        if v.result.is_err() {
            rejected += 1;
        }
        if a.json {
            let (verdict, error, insn, line) = match &v.result {
                Ok(()) => ("accept", None, None, None),
                Err(e) => (
                    "reject",
                    Some(e.message().to_string()),
                    Some(e.insn()),
                    e.source_line()
                        .map(|l| format!("{}:{}", l.file.rsplit('/').next().unwrap_or(""), l.line)),
                ),
            };
            outln!(
                "{}",
                json!({
                    "program": p.name,
                    "section": p.section,
                    "prog_type": p.prog_type.name(),
                    "verdict": verdict,
                    "error": error,
                    "insn": insn,
                    "line": line,
                    "insns_processed": v.stats.insns_processed,
                    "states": v.stats.total_states,
                    "time_us": time_us,
                })
            );
        } else {
            match &v.result {
                Ok(()) => outln!(
                    "{} ({}): accept, processed {} insns, {} states",
                    p.name,
                    p.section,
                    v.stats.insns_processed,
                    v.stats.total_states
                ),
                Err(e) => {
                    outln!("{} ({}): reject: {e}", p.name, p.section);
                    if !e.path().is_empty() {
                        let path: Vec<String> = e
                            .path()
                            .iter()
                            .map(|(i, t)| format!("{i}{}", if *t { "+" } else { "-" }))
                            .collect();
                        outln!(
                            "  path (jump insn, + taken / - not taken): {}",
                            path.join(" ")
                        );
                    }
                }
            }
        }
    }
    if rejected > 0 {
        return Err(CliError::Run(format!(
            "{rejected} of {} programs rejected",
            chosen.len()
        )));
    }
    Ok(())
}
