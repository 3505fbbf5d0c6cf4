//! Runs a checked [`Spec`]: each case gets a fresh copy of the object's maps and world, its
//! seeds, its input, then its expectations are compared with what happened.

use super::{Action, Case, Spec, Step};
use crate::maps::MapSetConfig;
use crate::progtype::TestRunInput;
use crate::session::{Session, SessionError};
use crate::testing::{Event, Harness, SysArg, TestError, hex, verdict};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How a case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    /// Expectations not met, or the program failed as it ran.
    Fail,
    /// The case could not run (engine unavailable, a seed the map refuses, a context the
    /// test run refuses).
    Error,
}

/// One case's outcome.
#[derive(Clone, Debug)]
pub struct CaseReport {
    pub name: String,
    pub line: usize,
    pub engine: crate::engine::Engine,
    pub status: Status,
    /// What differed (or the error), one entry each.
    pub messages: Vec<String>,
    pub events: Vec<Event>,
    pub runs: usize,
    /// Pcap cases: packets per verdict name.
    pub verdicts: BTreeMap<String, u64>,
    /// Pcap cases: each packet's verdict, in order.
    pub verdict_list: Vec<String>,
    pub printk: Vec<String>,
    pub duration: Duration,
}

/// Calls `progress(done, total)` now and then during long cases (pcap runs).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

/// Runs every case of a spec.
pub fn run_spec(spec: &Spec, progress: Progress<'_>) -> Vec<CaseReport> {
    spec.cases
        .iter()
        .map(|c| run_case(spec, c, progress))
        .collect()
}

fn new_harness(spec: &Spec, case: &Case) -> Result<Harness, TestError> {
    let session = Session::new(spec.object.clone(), MapSetConfig::default())?;
    let mut h = Harness::from_session(session, spec.object_path.clone());
    if let Some(t) = case.prog_type {
        h.set_prog_type(t);
    }
    if let Some((map, ty)) = &spec.event_type {
        match map {
            Some(m) => h.set_event_type(m, ty)?,
            None => h.set_event_type_all(ty)?,
        }
    }
    h.set_engine(case.engine);
    case.world.apply(h.world_mut());
    for s in &case.seeds {
        h.map_update(&s.map, &s.key, &s.value)?;
    }
    Ok(h)
}

fn programs_of(case: &Case, h: &Harness) -> Vec<String> {
    match &case.action {
        Action::Run { program, .. } | Action::Pcap { program, .. } => vec![program.clone()],
        Action::Steps(steps) => {
            let mut out: Vec<String> = Vec::new();
            for s in steps {
                match s {
                    Step::Tracepoint { program, .. } | Step::Words { program, .. } => {
                        out.push(program.clone())
                    }
                    Step::Syscall { name, .. } => {
                        for enter in [true, false] {
                            let secs = crate::testing::syscall::sections(name, enter);
                            out.extend(
                                h.session()
                                    .object()
                                    .programs
                                    .iter()
                                    .filter(|p| secs.contains(&p.section))
                                    .map(|p| p.name.clone()),
                            );
                        }
                    }
                }
            }
            out.sort();
            out.dedup();
            out
        }
    }
}

/// Whether an error means the case could not run at all (rather than failed). A program
/// that faults, or that the verifier refuses, fails its case (as `bpfsim run` and
/// `bpfsim verify` exit 1 for them).
fn is_error(e: &TestError) -> bool {
    !matches!(
        e,
        TestError::Session(SessionError::Run { .. }) | TestError::Verifier { .. }
    )
}

fn run_case(spec: &Spec, case: &Case, progress: Progress<'_>) -> CaseReport {
    let started = Instant::now();
    let mut report = CaseReport {
        name: case.name.clone(),
        line: case.line,
        engine: case.engine,
        status: Status::Pass,
        messages: Vec::new(),
        events: Vec::new(),
        runs: 0,
        verdicts: BTreeMap::new(),
        verdict_list: Vec::new(),
        printk: Vec::new(),
        duration: Duration::ZERO,
    };
    let outcome = execute(spec, case, &mut report, progress);
    report.duration = started.elapsed();
    match outcome {
        Ok(h) => {
            report.printk = h.printk().to_vec();
            check(case, &h, &mut report);
        }
        Err(e) => {
            report.status = if is_error(&e) {
                Status::Error
            } else {
                Status::Fail
            };
            let mut msg = e.to_string();
            if matches!(e, TestError::Verifier { .. }) {
                msg.push_str("\n(`verify = false` in the spec, or `bpfsim test --no-verify`, skips the verifier)");
            }
            report.messages.push(msg);
        }
    }
    if report.status == Status::Pass && !report.messages.is_empty() {
        report.status = Status::Fail;
    }
    report
}

fn execute(
    spec: &Spec,
    case: &Case,
    report: &mut CaseReport,
    progress: Progress<'_>,
) -> Result<Harness, TestError> {
    let mut h = new_harness(spec, case)?;
    if spec.verify {
        for p in programs_of(case, &h) {
            h.verify(&p)?;
        }
    }
    let mut last = None;
    match &case.action {
        Action::Run {
            program,
            data,
            ctx,
            repeat,
        } => {
            let input = TestRunInput {
                data_in: data,
                ctx_in: ctx.as_deref(),
                ctx_out: ctx.is_some(),
                ..TestRunInput::default()
            };
            let r = h.run_n(program, &input, *repeat);
            report.events.extend(h.take_events());
            last = Some(r?);
            report.runs += 1;
        }
        Action::Pcap { program, packets } => {
            let t = h
                .session()
                .object()
                .programs
                .iter()
                .find(|p| &p.name == program)
                .map(|p| p.prog_type)
                .unwrap_or(crate::progtype::ProgType::Unspec);
            for (i, p) in packets.iter().enumerate() {
                // A frame BPF_PROG_TEST_RUN refuses is counted, not fatal: captures hold them.
                let key = match h.run_packet(program, p) {
                    Ok(r) => verdict::name(t, r.output.retval),
                    Err(TestError::Session(SessionError::Context { source, .. })) => {
                        format!("refused (errno {})", source.errno())
                    }
                    Err(e) => return Err(e),
                };
                *report.verdicts.entry(key.clone()).or_insert(0) += 1;
                report.verdict_list.push(key);
                report.runs += 1;
                progress(&case.name, i + 1, packets.len());
            }
            report.events.extend(h.take_events());
        }
        Action::Steps(steps) => {
            for s in steps {
                match s {
                    Step::Syscall {
                        world,
                        name,
                        nr,
                        args,
                        ret,
                        enter,
                    } => {
                        world.apply(h.world_mut());
                        report.runs += h.syscall_nr(name, *nr, args, *ret, *enter)?.len();
                    }
                    Step::Words {
                        world,
                        program,
                        size,
                        words,
                    } => {
                        world.apply(h.world_mut());
                        let mut ctx = vec![0u8; *size];
                        for (off, arg) in words {
                            let v = match arg {
                                SysArg::Int(v) => *v,
                                SysArg::Str(s) => h.user_string(s),
                            };
                            if let Some(slot) = ctx.get_mut(*off..*off + 8) {
                                slot.copy_from_slice(&v.to_le_bytes());
                            }
                        }
                        h.run_ctx(program, &ctx)?;
                        report.runs += 1;
                    }
                    Step::Tracepoint {
                        world,
                        program,
                        ctx,
                    } => {
                        world.apply(h.world_mut());
                        h.run_ctx(program, ctx)?;
                        report.runs += 1;
                    }
                }
            }
            report.events.extend(h.take_events());
        }
    }
    if let Some(r) = last {
        let t = case.prog_type.or_else(|| match &case.action {
            Action::Run { program, .. } => h
                .session()
                .object()
                .programs
                .iter()
                .find(|p| &p.name == program)
                .map(|p| p.prog_type),
            _ => None,
        });
        report_last(case, t, &r, report);
    }
    Ok(h)
}

fn report_last(
    case: &Case,
    t: Option<crate::progtype::ProgType>,
    r: &crate::session::RunResult,
    report: &mut CaseReport,
) {
    if let Some(want) = case.expect.retval
        && r.output.retval != want
    {
        let show = |v: u32| match t {
            Some(t) => verdict::name(t, v),
            None => v.to_string(),
        };
        report.messages.push(format!(
            "retval: expected {}, got {}",
            show(want),
            show(r.output.retval)
        ));
    }
    if let Some(want) = &case.expect.packet
        && &r.output.data_out != want
    {
        let got = &r.output.data_out;
        let first = want
            .iter()
            .zip(got)
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(got.len()));
        report.messages.push(format!(
            "packet: differs from byte {first} (expected {} bytes, got {})\n  expected: {}\n  got:      {}",
            want.len(),
            got.len(),
            hex(want),
            hex(got)
        ));
    }
}

/// Whether a decoded field equals an expected value (numbers compared as numbers).
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            a.as_i64()
                .zip(b.as_i64())
                .map(|(x, y)| x == y)
                .or_else(|| a.as_u64().zip(b.as_u64()).map(|(x, y)| x == y))
                .unwrap_or(false)
                || a.as_u64()
                    .zip(b.as_i64())
                    .is_some_and(|(x, y)| x == y as u64)
        }
        (Value::Bool(a), Value::Number(b)) => Some(u64::from(*a)) == b.as_u64(),
        (Value::Number(a), Value::String(s)) => crate::testing::hex_number(s)
            .is_some_and(|n| a.as_u64() == Some(n) || a.as_i64() == Some(n as i64)),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => got == want,
    }
}

fn check(case: &Case, h: &Harness, report: &mut CaseReport) {
    let e = &case.expect;
    for m in &e.maps {
        // Per-CPU maps: the CPUs' values summed, as counters are read.
        let got = h.map_lookup_total(&m.map, &m.key).ok().flatten();
        match (&m.value, &got) {
            (Some(want), Some(g)) if want == g => {}
            (None, None) => {}
            (Some(want), g) => {
                let decoded = g
                    .as_ref()
                    .and_then(|_| h.map_record(&m.map, &m.key).ok().flatten());
                report.messages.push(format!(
                    "map {} key {} (spec line {}): expected {}, got {}{}",
                    m.map,
                    hex(&m.key),
                    m.line,
                    hex(want),
                    g.as_deref().map_or("no entry".into(), hex),
                    decoded.map_or(String::new(), |r| format!(" = {r}"))
                ));
            }
            (None, Some(g)) => report.messages.push(format!(
                "map {} key {} (spec line {}): expected no entry, found {}",
                m.map,
                hex(&m.key),
                m.line,
                hex(g)
            )),
        }
    }
    if let Some(want) = &e.events {
        if want.len() != report.events.len() {
            report.messages.push(format!(
                "events: expected {}, got {}",
                want.len(),
                report.events.len()
            ));
        }
        for (i, (w, g)) in want.iter().zip(&report.events).enumerate() {
            let Some(fields) = &g.fields else {
                report.messages.push(format!(
                    "event {i} (spec line {}): not decoded ({}); set event_type = \"...\" to name its BTF type",
                    w.line,
                    g.error.as_deref().unwrap_or("no type")
                ));
                continue;
            };
            for (k, v) in &w.fields {
                match fields.get(k) {
                    Some(got) if same(got, v) => {}
                    Some(got) => report.messages.push(format!(
                        "event {i} (spec line {}): {k}: expected {v}, got {got}",
                        w.line
                    )),
                    None => report.messages.push(format!(
                        "event {i} (spec line {}): no field {k:?} in {}",
                        w.line, fields
                    )),
                }
            }
        }
    }
    if let Some(want) = &e.printk
        && want != &report.printk
    {
        report.messages.push(format!(
            "printk: expected {want:?}, got {:?}",
            report.printk
        ));
    }
    if let Some(want) = &e.retvals {
        for (i, (w, g)) in want.iter().zip(&report.verdict_list).enumerate() {
            if w != g {
                report
                    .messages
                    .push(format!("packet {i}: expected {w}, got {g}"));
            }
        }
    }
    if let Some(want) = &e.verdicts {
        for (k, n) in want {
            let key = verdict::parse(k).map_or_else(|| k.clone(), |_| k.clone());
            let got = report.verdicts.get(&key).copied().unwrap_or(0);
            if got != *n {
                report.messages.push(format!(
                    "verdict {k}: expected {n} packets, got {got} (all: {:?})",
                    report.verdicts
                ));
            }
        }
    }
}
