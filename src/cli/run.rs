//! `bpfsim run`: run a program and print what BPF_PROG_TEST_RUN would report (like
//! `bpftool prog run`): an object's program over a packet and/or a context, or a raw program
//! over input memory (the bpf_conformance convention: r1 = memory, r2 = its length).

use super::{CliError, read_file, write_file};
use crate::engine::Engine;
use crate::helpers::HelperTable;
use crate::jit::{Jit, JitMode};
use crate::progtype::TestRunInput;
use crate::vm::Interpreter;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The BPF ELF object (or use --raw).
    #[arg(
        value_name = "OBJ",
        required_unless_present = "raw",
        conflicts_with = "raw"
    )]
    pub object: Option<PathBuf>,
    /// The program to run (its function name); may be left out when the object has one.
    #[arg(long, value_name = "NAME")]
    pub program: Option<String>,
    /// Program type for every program, in libbpf's names (`xdp`, `sched_cls`, ...).
    #[arg(long, value_name = "TYPE")]
    pub prog_type: Option<String>,
    /// The packet (`data_in`).
    #[arg(long, value_name = "FILE")]
    pub data_in: Option<PathBuf>,
    /// The context (`ctx_in`): `struct __sk_buff`, `struct xdp_md`, or a tracing blob.
    #[arg(long, value_name = "FILE")]
    pub ctx_in: Option<PathBuf>,
    /// Write the packet after the run (`data_out`) here.
    #[arg(long, value_name = "FILE")]
    pub data_out: Option<PathBuf>,
    /// Write the context after the run (`ctx_out`) here.
    #[arg(long, value_name = "FILE")]
    pub ctx_out: Option<PathBuf>,
    /// A raw program: little-endian 8-byte instruction slots.
    #[arg(long, value_name = "PROG.bin")]
    pub raw: Option<PathBuf>,
    /// With --raw: input memory; r1 points to a writable copy, r2 holds its length.
    #[arg(long, value_name = "FILE", requires = "raw")]
    pub mem_in: Option<PathBuf>,
    /// With --raw: write the input memory as the program left it here.
    #[arg(long, value_name = "FILE", requires = "raw")]
    pub mem_out: Option<PathBuf>,
    /// Run N times and report the average duration.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: u32,
    /// Most instructions one run may execute.
    #[arg(long, default_value_t = crate::vm::DEFAULT_BUDGET, value_name = "N")]
    pub budget: u64,
    /// The engine: `interp` (the interpreter) or `jit` (the x86-64 JIT, checked mode).
    #[arg(long, default_value_t = Engine::Interp, value_name = "ENGINE")]
    pub engine: Engine,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Skip the verifier (by default a program it refuses is not run).
    #[arg(long)]
    pub no_verify: bool,
    /// Run a packet program over every frame of a pcap file and count the verdicts.
    #[arg(long, value_name = "IN.pcap", conflicts_with_all = ["data_in", "raw"])]
    pub pcap: Option<PathBuf>,
    /// With --pcap: write the frames the program passed (as it left them) here.
    #[arg(long, value_name = "OUT.pcap", requires = "pcap")]
    pub pcap_out: Option<PathBuf>,
    /// Print the ring buffer / perf events the run produced as JSON lines.
    #[arg(long)]
    pub events_json: bool,
    /// Before running: store VALUE under KEY in map MAP (both in hex, e.g.
    /// `blocked_ports:1600:01`; per-CPU maps get the value on every CPU). Repeatable.
    #[arg(long, value_name = "MAP:KEY:VALUE")]
    pub map_update: Vec<String>,
    /// The BTF type (`event`) to decode events as, for --events-json.
    #[arg(long, value_name = "TYPE")]
    pub event_type: Option<String>,
}

pub fn run(a: RunArgs) -> Result<(), CliError> {
    match (&a.raw, &a.object) {
        (Some(raw), _) => run_raw(&a, raw.clone()),
        (None, Some(obj)) => run_object(&a, obj.clone()),
        (None, None) => Err(CliError::Input(
            "give an object file or --raw PROG.bin".into(),
        )),
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run_object(a: &RunArgs, path: PathBuf) -> Result<(), CliError> {
    let input_err =
        |e: crate::session::SessionError| CliError::Input(format!("{}: {e}", path.display()));
    let mut session = super::open_session(&path, a.prog_type.as_deref())?;
    session.set_budget(a.budget);
    session.set_engine(a.engine);
    let program = super::choose_program(&session, a.program.as_deref(), &path)?;
    if !a.no_verify {
        // As a loader: linking problems (unknown program, undefined symbols) come first,
        // then the verifier's verdict, as BPF_PROG_LOAD would give it.
        session.linked_insns(&program).map_err(input_err)?;
        crate::testing::verify_program(&session, &program).map_err(|e| match e {
            crate::testing::TestError::Verifier { .. } => CliError::Run(format!(
                "{}: {e}\n(the program was not run; --no-verify skips it)",
                path.display()
            )),
            other => CliError::Input(format!("{}: {other}", path.display())),
        })?;
    }
    if !a.map_update.is_empty() {
        let mut h = crate::testing::Harness::from_session(session, path.clone());
        for u in &a.map_update {
            let parts: Vec<&str> = u.splitn(3, ':').collect();
            let [map, key, value] = parts[..] else {
                return Err(CliError::Input(format!(
                    "--map-update {u:?}: expected MAP:KEYHEX:VALUEHEX"
                )));
            };
            let bytes = |h: &str| {
                crate::testing::parse_hex(h)
                    .map_err(|e| CliError::Input(format!("--map-update {u:?}: {e}")))
            };
            h.map_update(map, &bytes(key)?, &bytes(value)?)
                .map_err(|e| CliError::Input(format!("--map-update {u:?}: {e}")))?;
        }
        session = h.into_session();
    }
    if let Some(pcap) = &a.pcap {
        return super::pcap::run_pcap(a, &path, &mut session, &program, pcap);
    }
    let (data, ctx) = super::read_run_input(a.data_in.as_deref(), a.ctx_in.as_deref())?;
    let input = TestRunInput {
        data_in: &data,
        ctx_in: ctx.as_deref(),
        ctx_out: a.ctx_out.is_some() || ctx.is_some(),
        ..TestRunInput::default()
    };
    let result = session
        .run(&program, &input, a.repeat)
        .map_err(|e| match e.exit_code() {
            1 => CliError::Run(format!("{}: {e}", path.display())),
            _ => CliError::Input(format!("{}: {e}", path.display())),
        })?;
    if a.events_json {
        super::pcap::print_events(&mut session, a.event_type.as_deref())?;
    }
    if let Some(p) = &a.data_out {
        write_file(p, &result.output.data_out)?;
    }
    if let (Some(p), Some(ctx)) = (&a.ctx_out, &result.output.ctx_out) {
        write_file(p, ctx)?;
    }
    let duration_ns = result.duration.as_nanos() as u64;
    if a.json {
        let v = serde_json::json!({
            "program": program,
            "retval": result.output.retval,
            "r0": result.r0,
            "duration_ns": duration_ns,
            "insns": result.insns,
            "data_out": hex(&result.output.data_out),
            "ctx_out": result.output.ctx_out.as_deref().map(hex),
            "trace": result.trace,
        });
        outln!("{v}");
    } else {
        outln!(
            "Return value: {}, duration (average): {duration_ns}ns",
            result.output.retval
        );
        for line in &result.trace {
            outln!("trace: {line}");
        }
        if a.data_out.is_none() && !result.output.data_out.is_empty() {
            outln!("data_out: {}", hex(&result.output.data_out));
        }
    }
    Ok(())
}

/// A raw program made ready for the chosen engine.
enum RawVm {
    Interp(Interpreter),
    Jit(Jit),
}

impl RawVm {
    fn set_budget(&mut self, budget: u64) {
        match self {
            RawVm::Interp(vm) => vm.set_budget(budget),
            RawVm::Jit(jit) => jit.set_budget(budget),
        }
    }

    fn run_raw(&mut self, mem: &mut [u8]) -> Result<crate::vm::Outcome, crate::vm::VmError> {
        match self {
            RawVm::Interp(vm) => vm.run_raw(mem),
            RawVm::Jit(jit) => jit.run_raw(mem),
        }
    }
}

fn run_raw(a: &RunArgs, path: PathBuf) -> Result<(), CliError> {
    let prog = read_file(&path)?;
    let input = match &a.mem_in {
        Some(p) => read_file(p)?,
        None => Vec::new(),
    };
    let load_err = |e: String| CliError::Input(format!("{}: {e}", path.display()));
    let mut vm = match a.engine {
        Engine::Interp => RawVm::Interp(
            Interpreter::from_bytes(&prog, HelperTable::conformance())
                .map_err(|e| load_err(e.to_string()))?,
        ),
        // Checked mode: a raw program is not verified.
        Engine::Jit => RawVm::Jit(
            Jit::from_bytes(&prog, HelperTable::conformance(), JitMode::Checked)
                .map_err(|e| load_err(e.to_string()))?,
        ),
    };
    vm.set_budget(a.budget);
    let repeat = a.repeat.max(1);
    let mut mem = input.clone();
    let mut outcome = None;
    let start = Instant::now();
    for i in 0..repeat {
        if i > 0 {
            mem.copy_from_slice(&input);
        }
        outcome = Some(
            vm.run_raw(&mut mem)
                .map_err(|e| CliError::Run(e.to_string()))?,
        );
    }
    let elapsed = start.elapsed();
    let Some(out) = outcome else {
        return Err(CliError::Run("the program did not run".into()));
    };
    let avg_ns = elapsed.as_nanos() / repeat as u128;
    if let Some(p) = &a.mem_out {
        write_file(p, &mem)?;
    }
    if a.json {
        let v = serde_json::json!({
            "r0": out.r0,
            "r0_hex": format!("{:#x}", out.r0),
            "insns": out.insns,
            "repeat": repeat,
            "duration_ns": avg_ns as u64,
        });
        outln!("{v}");
    } else {
        outln!("Return value: {} ({:#x})", out.r0, out.r0);
        outln!("Instructions executed: {}", out.insns);
        if a.repeat > 1 {
            outln!("Duration (average of {repeat} runs): {avg_ns}ns");
        }
    }
    Ok(())
}
