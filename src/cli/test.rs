//! `bpfsim test SPEC...`: runs spec files' cases (see [`crate::testing::spec`]) and prints
//! a pass/fail report with diffs, the events each case produced (as the spec's table, or
//! JSON lines with `--events-json`), and optionally JUnit XML.
//!
//! Exit status: 0 when every case passed, 1 when a case failed, 2 when a spec cannot be
//! used (it names the spec's file and line) or a case could not run.

use super::{CliError, write_file};
use crate::testing::spec::{self, report, run::Status};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Spec files (TOML), or directories to search for `*.toml` specs.
    #[arg(value_name = "SPEC", required = true)]
    pub specs: Vec<PathBuf>,
    /// Also write the results as JUnit XML here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print each event as one JSON line (with its spec and case) instead of the report.
    #[arg(long)]
    pub events_json: bool,
    /// Do not run the verifier before running programs.
    #[arg(long)]
    pub no_verify: bool,
    /// Run every case on this engine (`interp` or `jit`), whatever the spec says.
    #[arg(long, value_name = "ENGINE")]
    pub engine: Option<crate::engine::Engine>,
    /// Only the closing counts and the failures.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn test(a: TestArgs) -> Result<(), CliError> {
    let tty = std::io::stderr().is_terminal();
    let mut unusable = 0;
    let (mut passed, mut failed, mut errors) = (0, 0, 0);
    let mut suites = Vec::new();
    let mut specs = Vec::new();
    for p in &a.specs {
        if p.is_dir() {
            find_specs(p, &mut specs)?;
        } else {
            specs.push(p.clone());
        }
    }
    for path in &specs {
        let mut s = match spec::load(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("bpfsim: {e}");
                unusable += 1;
                continue;
            }
        };
        if a.no_verify {
            s.verify = false;
        }
        if let Some(e) = a.engine {
            for c in &mut s.cases {
                c.engine = e;
            }
        }
        let mut last_draw = std::time::Instant::now();
        let mut progress = |case: &str, done: usize, total: usize| {
            if tty && (done == total || last_draw.elapsed().as_millis() >= 100) {
                last_draw = std::time::Instant::now();
                eprint!("\r\x1b[K{case}: {done}/{total} packets");
                if done == total {
                    eprint!("\r\x1b[K");
                }
                let _ = std::io::stderr().flush();
            }
        };
        let reports = spec::run::run_spec(&s, &mut progress);
        for r in &reports {
            match r.status {
                Status::Pass => passed += 1,
                Status::Fail => failed += 1,
                Status::Error => errors += 1,
            }
        }
        if a.events_json {
            for r in &reports {
                for e in &r.events {
                    let mut v = e.to_json();
                    v["spec"] = serde_json::json!(path.display().to_string());
                    v["case"] = serde_json::json!(r.name);
                    out(&format!("{v}\n"));
                }
            }
        } else if a.quiet {
            for r in reports.iter().filter(|r| r.status != Status::Pass) {
                out(&format!(
                    "{}: {} failed:\n  {}\n",
                    path.display(),
                    r.name,
                    r.messages.join("\n  ")
                ));
            }
        } else {
            out(&report::text(&s, &reports, true));
        }
        suites.push((path.display().to_string(), reports));
    }
    if let Some(j) = &a.junit {
        write_file(j, report::junit(&suites).as_bytes())?;
    }
    let summary = format!(
        "test result: {passed} passed, {failed} failed, {errors} errors{}",
        if unusable > 0 {
            format!(", {unusable} unusable specs")
        } else {
            String::new()
        }
    );
    if a.events_json {
        eprintln!("{summary}");
    } else {
        out(&format!("{summary}\n"));
    }
    if unusable > 0 || errors > 0 {
        Err(CliError::Input(format!(
            "{} spec(s) could not be used, {errors} case(s) could not run",
            unusable
        )))
    } else if failed > 0 {
        Err(CliError::Run(format!("{failed} case(s) failed")))
    } else {
        Ok(())
    }
}

/// Writes to stdout, ignoring a closed pipe (`bpfsim test ... | head`).
fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

/// The `*.toml` files under `dir`, sorted, subdirectories included.
fn find_specs(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            find_specs(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
    Ok(())
}
