//! The kernel differential check: generated programs (`bpfsim::progen`) go to both the
//! running kernel's verifier (`BPF_PROG_LOAD`, as root) and bpfsim's, and every
//! disagreement on the verdict is shrunk to a minimal reproducer and printed.
//!
//! ```sh
//! sudo cargo run --release --example kernel_diff -- [COUNT] [FIRST_SEED]
//! ```
//!
//! Prints a summary line (programs, accepted by each, agreements, disagreements by kind)
//! and, for each kind of disagreement, the first minimal reproducer with both messages.
//! Exit code 0 when every verdict agreed, 1 otherwise, 2 when bpf() is not available.

#[path = "../tests/common/sys.rs"]
#[allow(dead_code)]
mod sys;

use bpfsim::insn::RawInsn;
use bpfsim::object::Program;
use bpfsim::progen::{Generated, generate};
use bpfsim::verifier::{MapRefs, PreflightOptions, verify};
use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::process::ExitCode;

/// `BPF_PSEUDO_MAP_FD`.
const PSEUDO_MAP_FD: u8 = 1;
/// The generator's map references (`BPF_PSEUDO_MAP_IDX`).
const PSEUDO_MAP_IDX: u8 = 5;

/// Both verdicts on one program: `Ok(())` or the error line.
struct Verdicts {
    kernel: Result<(), String>,
    bpfsim: Result<(), String>,
}

impl Verdicts {
    fn agree(&self) -> bool {
        self.kernel.is_ok() == self.bpfsim.is_ok()
    }

    /// A disagreement's kind: who accepted, and the refusing side's message without
    /// numbers.
    fn kind(&self) -> String {
        let strip = |s: &str| -> String { s.chars().filter(|c| !c.is_ascii_digit()).collect() };
        match (&self.kernel, &self.bpfsim) {
            (Err(k), Ok(())) => format!("false accept (kernel: {})", strip(k)),
            (Ok(()), Err(b)) => format!("false reject (bpfsim: {})", strip(b)),
            _ => "agree".into(),
        }
    }
}

struct Kernel {
    /// One kernel map per generated map (the generator always makes the same two shapes
    /// per value size, so they are created once per value size).
    maps: BTreeMap<(u32, u32, u32, u32), std::os::fd::OwnedFd>,
}

impl Kernel {
    fn verdict(&mut self, g: &Generated) -> Result<Result<(), String>, i32> {
        let mut fds = Vec::new();
        for m in &g.maps {
            let key = (m.map_type.as_u32(), m.key_size, m.value_size, m.max_entries);
            let fd = match self.maps.entry(key) {
                std::collections::btree_map::Entry::Occupied(e) => e.get().as_raw_fd(),
                std::collections::btree_map::Entry::Vacant(e) => e
                    .insert(sys::map_create(key.0, key.1, key.2, key.3)?)
                    .as_raw_fd(),
            };
            fds.push(fd);
        }
        let bytes: Vec<u8> = g
            .insns
            .iter()
            .flat_map(|i| {
                let mut i = *i;
                if i.code == 0x18 && i.src == PSEUDO_MAP_IDX {
                    let fd = fds.get(i.imm as usize).copied().unwrap_or(-1);
                    i.src = PSEUDO_MAP_FD;
                    i.imm = fd;
                }
                i.to_bytes()
            })
            .collect();
        let r = sys::prog_load(g.prog_type.as_u32(), &bytes, "GPL", 1);
        Ok(match r.fd {
            Ok(_) => Ok(()),
            Err(errno) => Err(r
                .error_line()
                .map(str::to_string)
                .unwrap_or_else(|| format!("errno {errno}, no log"))),
        })
    }
}

fn bpfsim_verdict(g: &Generated) -> Result<(), String> {
    let program = Program::from_insns("generated", g.prog_type, g.insns.clone());
    let options = PreflightOptions {
        maps: MapRefs::Object(&g.maps),
        ..PreflightOptions::default()
    };
    verify(&program, &options)
        .result
        .map_err(|e| e.message().to_string())
}

fn verdicts(kernel: &mut Kernel, g: &Generated) -> Result<Verdicts, i32> {
    Ok(Verdicts {
        kernel: kernel.verdict(g)?,
        bpfsim: bpfsim_verdict(g),
    })
}

/// Shrinks a disagreeing program: replaces instructions with `ja +0` (which keeps every
/// jump offset valid) for as long as the same kind of disagreement remains.
fn shrink(kernel: &mut Kernel, g: &Generated, kind: &str) -> Generated {
    let nop = RawInsn::new(0x05, 0, 0, 0, 0);
    let mut best = g.clone();
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..best.insns.len() {
            let insn = best.insns[i];
            // Keep the final exit, lddw pairs, and what is already a no-op.
            if insn == nop || insn.code == 0x95 || insn.code == 0x18 || insn.code == 0 {
                continue;
            }
            let mut candidate = best.clone();
            candidate.insns[i] = nop;
            if let Ok(v) = verdicts(kernel, &candidate)
                && !v.agree()
                && v.kind() == kind
            {
                best = candidate;
                changed = true;
            }
        }
    }
    best
}

fn disasm(g: &Generated) -> String {
    let bytes: Vec<u8> = g.insns.iter().flat_map(|i| i.to_bytes()).collect();
    bpfsim::insn::disasm::disassemble(&bytes).unwrap_or_else(|e| format!("(undecodable: {e})"))
}

/// The bytes for seed `n`: a fixed pseudo-random stream (xorshift), so a seed names a
/// program for good.
fn seed_bytes(n: u64) -> Vec<u8> {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let first: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let mut kernel = Kernel {
        maps: BTreeMap::new(),
    };
    let (mut agree, mut k_acc, mut b_acc) = (0u64, 0u64, 0u64);
    let mut kinds: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for seed in first..first + count {
        let g = generate(&seed_bytes(seed));
        let v = match verdicts(&mut kernel, &g) {
            Ok(v) => v,
            Err(errno) => {
                eprintln!("bpf() is not available here (errno {errno}): run as root");
                return ExitCode::from(2);
            }
        };
        k_acc += u64::from(v.kernel.is_ok());
        b_acc += u64::from(v.bpfsim.is_ok());
        if v.agree() {
            agree += 1;
            continue;
        }
        let kind = v.kind();
        let entry = kinds.entry(kind.clone()).or_insert((0, seed));
        entry.0 += 1;
        if entry.0 == 1 {
            let small = shrink(&mut kernel, &g, &kind);
            let sv = verdicts(&mut kernel, &small).ok();
            println!("== seed {seed}: {kind}");
            println!("   prog type {}", small.prog_type.name());
            if let Some(sv) = sv {
                println!("   kernel: {:?}\n   bpfsim: {:?}", sv.kernel, sv.bpfsim);
            }
            print!("{}", disasm(&small));
        }
    }
    println!(
        "{count} programs: kernel accepted {k_acc}, bpfsim accepted {b_acc}, verdicts agree on {agree} ({:.2}%)",
        agree as f64 * 100.0 / count.max(1) as f64
    );
    for (kind, (n, seed)) in &kinds {
        println!("  {n:>6}  {kind}  (first: seed {seed})");
    }
    if kinds.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
