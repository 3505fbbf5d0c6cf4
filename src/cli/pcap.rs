//! `bpfsim run OBJ --pcap IN [--pcap-out OUT]`: a packet program over every frame of a
//! capture, with the verdict counts, the frames it passed written to a new capture; and
//! `--events-json` for what programs sent through ring buffers and perf event arrays.

use super::run::RunArgs;
use super::{CliError, read_file, write_file};
use crate::progtype::{ProgType, TestRunInput};
use crate::session::{Session, SessionError};
use crate::testing::pcap::Pcap;
use crate::testing::{events, verdict};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Whether a verdict lets the frame go on (to the stack or back out).
fn passes(t: ProgType, retval: u32) -> bool {
    match t {
        ProgType::Xdp => matches!(retval, 2..=4),
        ProgType::SchedCls | ProgType::SchedAct => !matches!(retval, 2 | 4 | 5 | 8),
        _ => retval != 0,
    }
}

pub(super) fn run_pcap(
    a: &RunArgs,
    path: &Path,
    session: &mut Session,
    program: &str,
    pcap: &Path,
) -> Result<(), CliError> {
    let cap = Pcap::parse(&read_file(pcap)?)
        .map_err(|e| CliError::Input(format!("{}: {e}", pcap.display())))?;
    let t = session
        .object()
        .programs
        .iter()
        .find(|p| p.name == program)
        .map_or(ProgType::Unspec, |p| p.prog_type);
    if !verdict::is_packet_type(t) {
        return Err(CliError::Input(format!(
            "{}: program {program} is a {} program; --pcap needs a packet program (xdp, tc, socket filter, ...)",
            path.display(),
            t.name()
        )));
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = Pcap {
        nanos: cap.nanos,
        ..Pcap::new()
    };
    let tty = std::io::stderr().is_terminal();
    let total = cap.packets.len();
    for (i, p) in cap.packets.iter().enumerate() {
        match session.run(program, &TestRunInput::new(&p.data), a.repeat) {
            Ok(r) => {
                *counts.entry(verdict::name(t, r.output.retval)).or_insert(0) += 1;
                if passes(t, r.output.retval) {
                    out.push(p.ts_sec, p.ts_frac, r.output.data_out);
                }
            }
            Err(SessionError::Context { source, .. }) => {
                *counts
                    .entry(format!("refused (errno {})", source.errno()))
                    .or_insert(0) += 1;
            }
            Err(e) => {
                return Err(CliError::Run(format!(
                    "{}: packet {i} of {}: {e}",
                    path.display(),
                    pcap.display()
                )));
            }
        }
        if tty && (i + 1) % 1000 == 0 {
            eprint!("\r{}/{total} packets", i + 1);
            let _ = std::io::stderr().flush();
        }
    }
    if tty && total >= 1000 {
        eprint!("\r\x1b[K");
    }
    if let Some(o) = &a.pcap_out {
        write_file(o, &out.to_bytes())?;
    }
    if a.json {
        let v = serde_json::json!({
            "program": program,
            "packets": total,
            "verdicts": counts,
            "written": a.pcap_out.as_ref().map(|_| out.packets.len()),
        });
        outln!("{v}");
    } else {
        outln!("{total} packets through {program}:");
        for (k, n) in &counts {
            outln!("  {k:<20} {n}");
        }
        if let Some(o) = &a.pcap_out {
            outln!("wrote {} packets to {}", out.packets.len(), o.display());
        }
    }
    if a.events_json {
        print_events(session, a.event_type.as_deref())?;
    }
    Ok(())
}

/// Prints (and takes) the session's events as JSON lines, decoded as `event_type` when
/// given.
pub(super) fn print_events(
    session: &mut Session,
    event_type: Option<&str>,
) -> Result<(), CliError> {
    let id = match event_type {
        Some(name) => {
            let btf = session
                .object()
                .btf
                .as_ref()
                .ok_or_else(|| CliError::Input("--event-type: the object has no BTF".into()))?;
            Some(events::find_type(&btf.types, name).ok_or_else(|| {
                CliError::Input(format!("--event-type: no BTF type named {name:?}"))
            })?)
        }
        None => None,
    };
    for e in events::drain(session, &|_| id) {
        outln!("{}", e.to_json());
    }
    Ok(())
}
