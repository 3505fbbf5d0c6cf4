//! bpfsim's engines against the kernel's JIT, on the same object in one run: each program
//! of `benches/fixtures/bench.o` runs `REPEAT` times over a 1,514-byte frame in the kernel
//! (`bpftool prog loadall` + `bpftool prog run ... data_in ... repeat N`, which reports the
//! average duration of one run) and in a bpfsim `Session` (the interpreter, the JIT in
//! checked mode, the JIT in verified mode). The rounds alternate between the kernel and
//! bpfsim and the best round of each is kept. The kernel's test-run timer stops while the
//! loop yields the CPU to other tasks; so that a busy machine does not count against bpfsim
//! only, bpfsim's runs are timed in CPU time of the running thread
//! (`CLOCK_THREAD_CPUTIME_ID`), and in wall time as well (`Session::run`'s own average).
//!
//! `cargo run --release --example jit_vs_kernel [REPEAT] [ROUNDS]` (as root with bpftool for the
//! kernel column; without them it prints bpfsim's numbers only).

use bpfsim::engine::Engine;
use bpfsim::jit::JitMode;
use bpfsim::progtype::TestRunInput;
use bpfsim::session::Session;
use std::path::Path;
use std::process::Command;

const PROGRAMS: [&str; 4] = ["arith", "csum", "helper_loop", "local_call"];
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

/// CPU time of the calling thread, in ns.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
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
    let mut best_kernel: Option<Vec<f64>> = None;
    let mut kernel_note = None;
    let mut best = vec![[f64::INFINITY; PROGRAMS.len()]; engines.len()];
    let mut best_wall = best.clone();
    for _ in 0..rounds {
        match kernel_round(&obj, &frame_path, repeat) {
            Ok(t) => {
                let b = best_kernel.get_or_insert_with(|| vec![f64::INFINITY; t.len()]);
                for (b, t) in b.iter_mut().zip(t) {
                    *b = b.min(t);
                }
            }
            Err(e) => kernel_note = Some(e),
        }
        for (e, s) in sessions.iter_mut().enumerate() {
            for (i, p) in PROGRAMS.iter().enumerate() {
                let t0 = thread_cpu_ns();
                let out = s.run(p, &input, repeat).expect("runs");
                let cpu = (thread_cpu_ns() - t0) as f64 / repeat as f64;
                insns[i] = out.insns;
                best[e][i] = best[e][i].min(cpu);
                best_wall[e][i] = best_wall[e][i].min(out.duration.as_nanos() as f64);
            }
        }
    }
    let _ = std::fs::remove_file(&frame_path);
    println!(
        "{:<12} {:>8} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "program",
        "insns",
        "kernel JIT",
        "interp",
        "jit checked",
        "jit verified",
        "verif/kern",
        "chk/verif"
    );
    for (i, p) in PROGRAMS.iter().enumerate() {
        let k = best_kernel.as_ref().map(|k| k[i]);
        let fmt = |ns: f64| {
            if ns >= 10_000.0 {
                format!("{:.1} µs", ns / 1000.0)
            } else {
                format!("{ns:.0} ns")
            }
        };
        println!(
            "{:<12} {:>8} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10}",
            p,
            insns[i],
            k.map_or("-".into(), fmt),
            fmt(best[0][i]),
            fmt(best[1][i]),
            fmt(best[2][i]),
            k.map_or("-".into(), |k| format!("{:.2}x", best[2][i] / k)),
            format!("{:.2}x", best[1][i] / best[2][i]),
        );
    }
    println!("bpfsim in wall time (interp / jit checked / jit verified):");
    for (i, p) in PROGRAMS.iter().enumerate() {
        println!(
            "{:<12} {:.0} ns / {:.0} ns / {:.0} ns",
            p, best_wall[0][i], best_wall[1][i], best_wall[2][i]
        );
    }
    if let Some(note) = kernel_note.filter(|_| best_kernel.is_none()) {
        println!("kernel: not measured ({note})");
    }
    println!("best of {rounds} rounds of {repeat} runs each");
}
