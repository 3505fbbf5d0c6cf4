//! `bpfsim bench OBJ --program NAME`: runs a user's program on every engine over the same
//! input, in one process, and prints a table of time per run, instructions per second and
//! the ratio to the interpreter.

use super::{CliError, choose_program, open_session, read_run_input};
use crate::engine::Engine;
use crate::progtype::TestRunInput;
use crate::session::{Session, SessionError};
use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The BPF ELF object.
    #[arg(value_name = "OBJ")]
    pub object: PathBuf,
    /// The program to measure (its function name); may be left out when the object has one.
    #[arg(long, value_name = "NAME")]
    pub program: Option<String>,
    /// Program type for every program, in libbpf's names (`xdp`, `sched_cls`, ...).
    #[arg(long, value_name = "TYPE")]
    pub prog_type: Option<String>,
    /// The packet (`data_in`).
    #[arg(long, value_name = "FILE")]
    pub data_in: Option<PathBuf>,
    /// The context (`ctx_in`).
    #[arg(long, value_name = "FILE")]
    pub ctx_in: Option<PathBuf>,
    /// How long to measure each engine, in milliseconds.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub time_ms: u64,
}

/// One engine's measurement.
struct Row {
    engine: Engine,
    result: Result<(Duration, u64), String>,
}

pub fn bench(a: BenchArgs) -> Result<(), CliError> {
    let path = &a.object;
    let (data, ctx) = read_run_input(a.data_in.as_deref(), a.ctx_in.as_deref())?;
    let input = TestRunInput {
        data_in: &data,
        ctx_in: ctx.as_deref(),
        ctx_out: ctx.is_some(),
        ..TestRunInput::default()
    };
    let mut rows = Vec::new();
    let mut program = String::new();
    for engine in [Engine::Interp, Engine::Jit] {
        // A fresh session per engine, so that both start from the same maps.
        let mut session = open_session(path, a.prog_type.as_deref())?;
        program = choose_program(&session, a.program.as_deref(), path)?;
        session.set_engine(engine);
        let result = measure(
            &mut session,
            &program,
            &input,
            Duration::from_millis(a.time_ms),
        );
        match &result {
            Err(e @ SessionError::Run { .. }) => {
                return Err(CliError::Run(format!("{}: {e}", path.display())));
            }
            // A program the JIT cannot compile is a row of the table, not a failure.
            Err(SessionError::Jit { .. }) | Ok(_) => {}
            Err(e) => return Err(CliError::Input(format!("{}: {e}", path.display()))),
        }
        rows.push(Row {
            engine,
            result: result.map_err(|e| e.to_string()),
        });
    }
    print_table(&program, &rows);
    Ok(())
}

/// Runs batches of runs until `time` has passed: the time of one run and the instructions
/// it executed.
fn measure(
    session: &mut Session,
    program: &str,
    input: &TestRunInput<'_>,
    time: Duration,
) -> Result<(Duration, u64), SessionError> {
    // Warm up (and compile, for the JIT) outside the measurement.
    let first = session.run(program, input, 1)?;
    let mut repeat = 1u32;
    let started = Instant::now();
    let (mut runs, mut spent) = (0u64, Duration::ZERO);
    while started.elapsed() < time {
        let r = session.run(program, input, repeat)?;
        runs += u64::from(repeat);
        spent += r.duration * repeat;
        if r.duration * repeat < Duration::from_millis(10) {
            repeat = repeat.saturating_mul(2);
        }
    }
    Ok((
        Duration::from_secs_f64(spent.as_secs_f64() / runs.max(1) as f64),
        first.insns,
    ))
}

fn print_table(program: &str, rows: &[Row]) {
    outln!("program {program}");
    outln!(
        "{:<8} {:>12} {:>14} {:>10}",
        "engine",
        "ns/run",
        "M insn/s",
        "vs interp"
    );
    let base = rows
        .iter()
        .find(|r| r.engine == Engine::Interp)
        .and_then(|r| r.result.as_ref().ok())
        .map(|(d, _)| d.as_secs_f64());
    for row in rows {
        match &row.result {
            Ok((per_run, insns)) => {
                let secs = per_run.as_secs_f64();
                let rate = if secs > 0.0 {
                    *insns as f64 / secs / 1e6
                } else {
                    0.0
                };
                let ratio = base.map_or(String::from("-"), |b| {
                    if secs > 0.0 {
                        format!("{:.2}x", b / secs)
                    } else {
                        "-".into()
                    }
                });
                outln!(
                    "{:<8} {:>12.1} {:>14.1} {:>10}",
                    row.engine.name(),
                    secs * 1e9,
                    rate,
                    ratio
                );
            }
            Err(e) => outln!("{:<8} {e}", row.engine.name()),
        }
    }
}
