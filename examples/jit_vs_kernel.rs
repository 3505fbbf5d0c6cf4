//! bpfsim's engines against the kernel's JIT, on the same object in one run: each program
//! of `benches/fixtures/bench.o` runs `REPEAT` times over a 1,514-byte frame in the kernel
//! (`bpftool prog loadall` + `bpftool prog run ... data_in ... repeat N`, which reports the
//! average duration of one run) and in a bpfsim `Session` (the interpreter, the JIT in
//! checked mode, the JIT in verified mode). The rounds alternate between the kernel and
//! bpfsim. Times are the best round of each; a ratio is the median over the rounds of the
//! ratio within one round, which a slow spell of the machine (its CPU time stolen by the
//! host) moves far less than it moves two independent bests. The kernel's test-run timer stops while the
//! loop yields the CPU to other tasks; so that a busy machine does not count against bpfsim
//! only, bpfsim's runs are timed in CPU time of the running thread
//! (`CLOCK_THREAD_CPUTIME_ID`), and in wall time as well (`Session::run`'s own average).
//!
//! Both sides run on one CPU: the process pins itself to the CPU it starts on (or to `CPU`),
//! and bpftool inherits that. On a shared VM the two virtual CPUs are not equally fast (a
//! busy sibling thread on the host slows one of them), and a run that timed the kernel on
//! one and bpfsim on the other measured that difference, by up to 25%.
//!
//! `cargo run --release --example jit_vs_kernel [REPEAT] [ROUNDS] [CPU]` (as root with bpftool
//! for the kernel column; without them it prints bpfsim's numbers only).

#[path = "../benches/common/mod.rs"]
mod common;

use bpfsim::engine::Engine;
use bpfsim::jit::JitMode;
use bpfsim::progtype::TestRunInput;
use bpfsim::session::Session;
use common::thread_cpu_ns;
use std::path::Path;
use std::process::Command;

const PROGRAMS: [&str; 5] = ["arith", "csum", "fields", "helper_loop", "local_call"];
/// Rounds when the second argument does not say.
const ROUNDS: usize = 5;

fn frame() -> Vec<u8> {
    let mut f = vec![0xffu8; 6];
    f.extend([2, 0, 0, 0, 0, 1, 8, 0]);
    f.extend([
        0x45, 0, 5, 0xdc, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    f.extend((0..1514 - 34).map(|i| i as u8));
    f
}

/// The kernel's average duration (ns) per program, or why it cannot be measured.
fn kernel_round(obj: &Path, frame: &Path, repeat: u32) -> Result<Vec<f64>, String> {
    let dir = format!("/sys/fs/bpf/bpfsim_jit_vs_kernel_{}", std::process::id());
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new("bpftool")
        .args(["prog", "loadall"])
        .arg(obj)
        .arg(&dir)
        .output()
        .map_err(|e| format!("bpftool: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "bpftool prog loadall: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut times = Vec::new();
    for p in PROGRAMS {
        let out = Command::new("bpftool")
            .args(["prog", "run", "pinned", &format!("{dir}/{p}"), "data_in"])
            .arg(frame)
            .args(["repeat", &repeat.to_string()])
            .output()
            .map_err(|e| format!("bpftool: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let ns = text
            .split("duration (average): ")
            .nth(1)
            .and_then(|t| t.trim().trim_end_matches("ns").parse::<f64>().ok())
            .ok_or_else(|| format!("bpftool prog run {p}: {text}"))?;
        times.push(ns);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(times)
}

/// Pins the process (and so the bpftool it starts) to `cpu`, or to the CPU it runs on now.
/// Returns the CPU, or why it could not pin.
fn pin(cpu: Option<usize>) -> Result<usize, String> {
    // SAFETY: sched_getcpu has no arguments; it returns the CPU or -1.
    let current = unsafe { libc::sched_getcpu() };
    let cpu = match cpu {
        Some(c) => c,
        None => usize::try_from(current).map_err(|_| "sched_getcpu failed".to_string())?,
    };
    // SAFETY: cpu_set_t is plain data that CPU_ZERO/CPU_SET initialise; sched_setaffinity
    // reads one set of the size given.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        return Err(format!("CPU {cpu}: {}", std::io::Error::last_os_error()));
    }
    Ok(cpu)
}

fn main() {
    let repeat: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(ROUNDS);
    let cpu = match pin(std::env::args().nth(3).and_then(|a| a.parse().ok())) {
        Ok(c) => format!("on CPU {c}"),
        Err(e) => format!("not pinned ({e})"),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let obj = root.join("benches/fixtures/bench.o");
    let frame = frame();
    let frame_path = std::env::temp_dir().join(format!("bpfsim_frame_{}.bin", std::process::id()));
    std::fs::write(&frame_path, &frame).expect("write the frame");
    let input = TestRunInput::new(&frame);
    let engines = [
        ("interp", Engine::Interp, JitMode::Checked),
        ("jit checked", Engine::Jit, JitMode::Checked),
        ("jit verified", Engine::Jit, JitMode::Verified),
    ];
    let mut sessions: Vec<Session> = engines
        .iter()
        .map(|&(_, engine, mode)| {
            let mut s = Session::open(&obj).expect("bench.o");
            s.set_engine(engine);
            s.set_jit_mode(mode);
            s
        })
        .collect();
    let mut insns = [0u64; PROGRAMS.len()];
    // Per round: the kernel's time per program (if measured), bpfsim's per engine and program.
    let mut kernel_rounds: Vec<Vec<f64>> = Vec::new();
    let mut kernel_note = None;
    let mut rounds_cpu: Vec<Vec<[f64; PROGRAMS.len()]>> = Vec::new();
    let mut best_wall = vec![[f64::INFINITY; PROGRAMS.len()]; engines.len()];
    for _ in 0..rounds {
        match kernel_round(&obj, &frame_path, repeat) {
            Ok(t) => kernel_rounds.push(t),
            Err(e) => kernel_note = Some(e),
        }
        let mut cpu = vec![[0.0; PROGRAMS.len()]; engines.len()];
        // A program's engines run back to back, so a slow spell of the machine falls on all
        // of them and their ratio within the round stays what the code makes it.
        for (i, p) in PROGRAMS.iter().enumerate() {
            for (e, s) in sessions.iter_mut().enumerate() {
                let t0 = thread_cpu_ns();
                let out = s.run(p, &input, repeat).expect("runs");
                cpu[e][i] = (thread_cpu_ns() - t0) / repeat as f64;
                insns[i] = out.insns;
                best_wall[e][i] = best_wall[e][i].min(out.duration.as_nanos() as f64);
            }
        }
        rounds_cpu.push(cpu);
    }
    let best = |e: usize, i: usize| {
        rounds_cpu
            .iter()
            .map(|r| r[e][i])
            .fold(f64::INFINITY, f64::min)
    };
    let best_kernel = |i: usize| kernel_rounds.iter().map(|k| k[i]).reduce(f64::min);
    // The median over rounds of a ratio taken within each round.
    let median_ratio = |ratio: &dyn Fn(usize) -> Option<f64>| {
        let mut r: Vec<f64> = (0..rounds_cpu.len()).filter_map(ratio).collect();
        r.sort_by(f64::total_cmp);
        (!r.is_empty()).then(|| r[r.len() / 2])
    };
    let (checked, verified) = (1, 2);
    println!(
        "{:<12} {:>8} {:>11} {:>11} {:>11} {:>12} {:>10} {:>10} {:>10}",
        "program",
        "insns",
        "kernel JIT",
        "interp",
        "jit checked",
        "jit verified",
        "v/k bests",
        "v/k median",
        "chk/verif"
    );
    let ratio_text = |r: Option<f64>| r.map_or("-".into(), |r| format!("{r:.2}x"));
    for (i, p) in PROGRAMS.iter().enumerate() {
        let fmt = |ns: f64| {
            if ns >= 10_000.0 {
                format!("{:.1} µs", ns / 1000.0)
            } else {
                format!("{ns:.0} ns")
            }
        };
        let verif_kern = median_ratio(&|r| {
            let k = kernel_rounds.get(r)?;
            Some(rounds_cpu[r][verified][i] / k[i])
        });
        let chk_verif =
            median_ratio(&|r| Some(rounds_cpu[r][checked][i] / rounds_cpu[r][verified][i]));
        println!(
            "{:<12} {:>8} {:>11} {:>11} {:>11} {:>12} {:>10} {:>10} {:>10}",
            p,
            insns[i],
            best_kernel(i).map_or("-".into(), fmt),
            fmt(best(0, i)),
            fmt(best(checked, i)),
            fmt(best(verified, i)),
            ratio_text(best_kernel(i).map(|k| best(verified, i) / k)),
            ratio_text(verif_kern),
            ratio_text(chk_verif),
        );
    }
    println!("bpfsim in wall time (interp / jit checked / jit verified):");
    for (i, p) in PROGRAMS.iter().enumerate() {
        println!(
            "{:<12} {:.0} ns / {:.0} ns / {:.0} ns",
            p, best_wall[0][i], best_wall[1][i], best_wall[2][i]
        );
    }
    if let Some(note) = kernel_note.filter(|_| kernel_rounds.is_empty()) {
        println!("kernel: not measured ({note})");
    }
    println!(
        "times: the best of {rounds} rounds of {repeat} runs each; v/k bests: the ratio of \
         the best times; v/k median, chk/verif: the median over the rounds of the ratio \
         within a round; {cpu}"
    );
    let _ = std::fs::remove_file(&frame_path);
}
