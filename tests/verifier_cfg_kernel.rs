//! The structural passes ([`bpfsim::verifier::preflight`]) against Linux 6.18.
//!
//! Each case is a small program that probes one rule of `add_subprog_and_kfunc`,
//! `check_subprogs`, `resolve_pseudo_ldimm64` or `check_cfg`, mostly in accepted and
//! rejected twins. Its expectation is the running kernel's verdict, recorded from
//! `bpf(BPF_PROG_LOAD)` as root: `accept`, or the last line of the verifier log that is not
//! `processed ...`. A case is one of
//! - `Pre`: the kernel decides in the structural passes; `preflight` must give the same
//!   verdict and, on refusal, exactly the same message;
//! - `Fields(i)`: the kernel refuses at `do_check` for the reserved fields of instruction
//!   `i`, the first one a path reaches: `preflight` must pass and
//!   `fields::check_fields` must give the kernel's message for that instruction.
//!
//! `recorded_verdicts_hold` checks these constants without a kernel;
//! `kernel_agrees_with_the_recorded_verdicts` asks the kernel again (and compares the
//! subprogram starts and SCC numbers its level-2 log prints with `preflight`'s), printing
//! `skipped` where bpf() is unavailable. Set `BPFSIM_RECORD=1` to print what the kernel
//! says in the constants' syntax. `kernel_agrees_on_random_structural_programs` loads
//! generated programs and requires `preflight` to refuse exactly those the kernel refuses
//! with a structural message, with that message.
//!
//! `corpus_programs_pass_preflight_as_in_the_kernel` runs `preflight` over every program
//! of `$BPFSIM_SHARED/corpus/ebpf-samples` and compares with the kernel's recorded verdicts
//! (`ebpf-samples.kernel-6.18.jsonl`).

mod common;

use bpfsim::insn::RawInsn;
use bpfsim::insn::asm::assemble;
use bpfsim::verifier::fields::check_fields;
use bpfsim::verifier::{Preflight, PreflightOptions, VerifierError, preflight_insns};

/// How a case's program is written.
#[derive(Clone, Copy)]
enum Prog {
    /// llvm syntax for `assemble`.
    Asm(&'static str),
    /// Raw slots `(code, dst, src, off, imm)`, for what the assembler cannot write.
    Raw(&'static [(u8, u8, u8, i16, i32)]),
}

/// Where the kernel decides.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    Pre,
    Fields(usize),
}

struct Case {
    name: &'static str,
    prog: Prog,
    license: &'static str,
    stage: Stage,
    /// `accept`, or the kernel's error line.
    kernel: &'static str,
}

const fn case(name: &'static str, prog: Prog, kernel: &'static str) -> Case {
    Case {
        name,
        prog,
        license: "GPL",
        stage: Stage::Pre,
        kernel,
    }
}

const fn fields(name: &'static str, prog: Prog, insn: usize, kernel: &'static str) -> Case {
    Case {
        name,
        prog,
        license: "GPL",
        stage: Stage::Fields(insn),
        kernel,
    }
}

const fn licensed(
    name: &'static str,
    prog: Prog,
    license: &'static str,
    kernel: &'static str,
) -> Case {
    Case {
        name,
        prog,
        license,
        stage: Stage::Pre,
        kernel,
    }
}

use Prog::{Asm, Raw};

const EXIT: (u8, u8, u8, i16, i32) = (0x95, 0, 0, 0, 0);
const R0_0: (u8, u8, u8, i16, i32) = (0xb7, 0, 0, 0, 0);

const CASES: &[Case] = &[
    // Unreachable code.
    case("straight line", Asm("r0 = 0\nexit"), "accept"),
    case(
        "code after exit",
        Asm("r0 = 0\nexit\nr0 = 1\nexit"),
        "unreachable insn 2",
    ),
    case(
        "both branches reach",
        Asm("r0 = 0\nif r1 == 0 goto l\nr0 = 1\nl: exit"),
        "accept",
    ),
    case(
        "goto skips code",
        Asm("r0 = 0\ngoto l\nr0 = 1\nl: exit"),
        "unreachable insn 2",
    ),
    // Jumps into the middle of lddw.
    case(
        "jump over lddw",
        Asm("r0 = 0\nif r1 == 0 goto +2\nr0 = 0x100000000 ll\nexit"),
        "accept",
    ),
    case(
        "jump into lddw",
        Asm("r0 = 0\nif r1 == 0 goto +1\nr0 = 0x100000000 ll\nexit"),
        "jump into the middle of ldimm64 insn 2",
    ),
    case(
        "goto into lddw leaves it unreachable",
        Asm("r0 = 0\ngoto +1\nr0 = 0x100000000 ll\nexit"),
        "unreachable insn 2",
    ),
    // Jumps out of range.
    case(
        "jump forward out",
        Asm("r0 = 0\nif r1 == 0 goto +5\nexit"),
        "jump out of range from insn 1 to 7",
    ),
    case(
        "jump backward out",
        Asm("goto -5\nexit"),
        "jump out of range from insn 0 to -4",
    ),
    case(
        "gotol wraps",
        Raw(&[R0_0, (0x06, 0, 0, 0, 0x7fff_ffff), EXIT]),
        "jump out of range from insn 1 to -2147483647",
    ),
    case(
        "gotol in range",
        Raw(&[(0x06, 0, 0, 0, 1), R0_0, R0_0, EXIT]),
        "unreachable insn 1",
    ),
    // Falling off the end.
    case("no exit", Asm("r0 = 0"), "last insn is not an exit or jmp"),
    case(
        "ends in a conditional",
        Asm("r0 = 0\nif r1 == 0 goto -2"),
        "last insn is not an exit or jmp",
    ),
    case(
        "ends in a call",
        Asm("r0 = 0\ncall 5"),
        "last insn is not an exit or jmp",
    ),
    case(
        "ends in lddw",
        Asm("r0 = 0x100000000 ll"),
        "last insn is not an exit or jmp",
    ),
    case(
        "ends in half an lddw",
        Raw(&[R0_0, (0x18, 0, 0, 0, 1)]),
        "last insn is not an exit or jmp",
    ),
    // Back-edges: root may loop; may_goto bounds a loop.
    case(
        "bounded loop",
        Asm("r0 = 0\nl: r0 += 1\nif r0 < 10 goto l\nexit"),
        "accept",
    ),
    case(
        "may_goto loop",
        Asm("r0 = 0\nl: may_goto +1\ngoto l\nexit"),
        "accept",
    ),
    case(
        "loop in a subprogram",
        Asm("call local f\nexit\nf: r0 = 0\nl: r0 += 1\nif r0 < 3 goto l\nexit"),
        "accept",
    ),
    // Functions.
    case(
        "local call",
        Asm("call local f\nr0 = 0\nexit\nf: r0 = 1\nexit"),
        "accept",
    ),
    case(
        "call into the middle of a function",
        Asm("call local f\ncall local g\nexit\nf: r0 = 0\ng: r0 = 1\nexit"),
        "last insn is not an exit or jmp",
    ),
    case(
        "jump into another function",
        Asm("call local f\nr0 = 0\ngoto f2\nf: r0 = 0\nf2: exit"),
        "jump out of range from insn 2 to 4",
    ),
    case(
        "jump out of a function",
        Asm("call local f\nl: r0 = 0\nexit\nf: r0 = 0\ngoto l"),
        "jump out of range from insn 4 to 1",
    ),
    case(
        "main falls into a function",
        Asm("call local f\nr0 = 0\nf: r0 = 1\nexit"),
        "last insn is not an exit or jmp",
    ),
    case(
        "call into the second half of lddw",
        Asm("call local +2\nr0 = 0\nr1 = 0x100000000 ll\nexit"),
        "last insn is not an exit or jmp",
    ),
    case(
        "uncalled function",
        Asm("r0 = 0\nexit\nf: r0 = 1\nexit"),
        "unreachable insn 2",
    ),
    case(
        "function ends in goto",
        Asm("call local f\nexit\nf: r0 = 0\ngoto +0\nexit"),
        "accept",
    ),
    // Bad call targets.
    case(
        "call before the program",
        Raw(&[(0x85, 0, 1, 0, -2), EXIT]),
        "call to invalid destination",
    ),
    case(
        "call past the program",
        Raw(&[(0x85, 0, 1, 0, 1), EXIT]),
        "call to invalid destination",
    ),
    case(
        "callback past the program",
        Raw(&[(0x18, 1, 4, 0, 100), (0, 0, 0, 0, 0), R0_0, EXIT]),
        "call to invalid destination",
    ),
    case(
        "call target wraps",
        Raw(&[R0_0, (0x85, 0, 1, 0, 0x7fff_ffff), EXIT]),
        "call to invalid destination",
    ),
    // Bad lddw forms.
    case(
        "lddw second slot has an opcode",
        Raw(&[(0x18, 0, 0, 0, 1), (0x18, 0, 0, 0, 0), EXIT]),
        "invalid bpf_ld_imm64 insn",
    ),
    case(
        "lddw second slot has a register",
        Raw(&[(0x18, 0, 0, 0, 1), (0, 1, 0, 0, 0), EXIT]),
        "invalid bpf_ld_imm64 insn",
    ),
    case(
        "lddw unknown pseudo source",
        Raw(&[(0x18, 0, 7, 0, 1), (0, 0, 0, 0, 0), EXIT]),
        "unrecognized bpf_ld_imm64 insn",
    ),
    case(
        "map fd load with an offset",
        Raw(&[(0x18, 1, 1, 0, -1), (0, 0, 0, 0, 8), R0_0, EXIT]),
        "unrecognized bpf_ld_imm64 insn",
    ),
    case(
        "map fd that is no map",
        Raw(&[(0x18, 1, 1, 0, -1), (0, 0, 0, 0, 0), R0_0, EXIT]),
        "fd -1 is not pointing to valid bpf_map",
    ),
    case(
        "map index without fd array",
        Raw(&[(0x18, 1, 5, 0, 0), (0, 0, 0, 0, 0), R0_0, EXIT]),
        "fd_idx without fd_array is invalid",
    ),
    case(
        "ksym from a module fd that is none",
        Raw(&[(0x18, 1, 3, 0, 1), (0, 0, 0, 0, -1), R0_0, EXIT]),
        "invalid module BTF object FD specified.",
    ),
    case(
        "lddw is checked before the cfg",
        Raw(&[R0_0, EXIT, (0x18, 0, 7, 0, 1), (0, 0, 0, 0, 0), EXIT]),
        "unrecognized bpf_ld_imm64 insn",
    ),
    // Unknown opcodes and reserved fields found before do_check.
    case(
        "unknown opcode",
        Raw(&[R0_0, (0x8c, 0, 0, 0, 0), EXIT]),
        "unknown opcode 8c",
    ),
    case(
        "unknown opcode 00",
        Raw(&[R0_0, (0x00, 0, 0, 0, 0), EXIT]),
        "unknown opcode 00",
    ),
    case(
        "gotox is unknown",
        Raw(&[R0_0, (0x0d, 1, 0, 0, 0), EXIT]),
        "unknown opcode 0d",
    ),
    case(
        "ldx with imm",
        Raw(&[R0_0, (0x61, 0, 1, 0, 1), EXIT]),
        "BPF_LDX uses reserved fields",
    ),
    case(
        "ldx in abs mode",
        Raw(&[R0_0, (0x21, 0, 1, 0, 0), EXIT]),
        "BPF_LDX uses reserved fields",
    ),
    case(
        "ldsx dw",
        Raw(&[R0_0, (0x99, 0, 1, 0, 0), EXIT]),
        "unknown opcode 99",
    ),
    case(
        "unknown opcode in unreachable code",
        Raw(&[R0_0, EXIT, (0xff, 0, 0, 0, 0), EXIT]),
        "unknown opcode ff",
    ),
    case(
        "jumps are checked before opcodes",
        Raw(&[(0x05, 0, 0, 5, 0), (0xff, 0, 0, 0, 0), EXIT]),
        "jump out of range from insn 0 to 6",
    ),
    case(
        "an unknown jump opcode is still a jump",
        Raw(&[R0_0, (0xf5, 0, 0, 9, 0), EXIT]),
        "jump out of range from insn 1 to 11",
    ),
    // Reserved fields that do_check finds where a path reaches them, and a dead-code twin.
    fields(
        "alu with an offset",
        Raw(&[R0_0, (0x07, 0, 0, 1, 1), EXIT]),
        1,
        "BPF_ALU uses reserved fields",
    ),
    case(
        "alu with an offset in dead code",
        Raw(&[R0_0, (0x15, 0, 0, 1, 0), (0x07, 0, 0, 1, 1), EXIT]),
        "accept",
    ),
    fields(
        "exit with imm",
        Raw(&[R0_0, (0x95, 0, 0, 0, 1)]),
        1,
        "BPF_EXIT uses reserved fields",
    ),
    fields(
        "goto with imm",
        Raw(&[R0_0, (0x05, 0, 0, 0, 1), EXIT]),
        1,
        "BPF_JA uses reserved fields",
    ),
    fields(
        "call with a bad source",
        Raw(&[R0_0, (0x85, 0, 3, 0, 5), EXIT]),
        1,
        "BPF_CALL uses reserved fields",
    ),
    fields(
        "store with a source register",
        Raw(&[R0_0, (0x62, 10, 1, -8, 0), EXIT]),
        1,
        "BPF_ST uses reserved fields",
    ),
    fields(
        "mov imm with a source register",
        Raw(&[(0xb7, 0, 1, 0, 0), EXIT]),
        0,
        "BPF_MOV uses reserved fields",
    ),
    fields(
        "conditional with a source register",
        Raw(&[R0_0, (0x15, 0, 1, 0, 0), EXIT]),
        1,
        "BPF_JMP/JMP32 uses reserved fields",
    ),
    fields(
        "may_goto with imm",
        Raw(&[R0_0, (0xe5, 0, 0, 0, 1), EXIT]),
        1,
        "invalid may_goto imm 1",
    ),
    fields(
        "lddw with an offset",
        Raw(&[(0x18, 0, 0, 1, 0), (0, 0, 0, 0, 0), EXIT]),
        0,
        "BPF_LD_IMM64 uses reserved fields",
    ),
    // Kernel functions.
    licensed(
        "kfunc from a non-GPL program",
        Raw(&[R0_0, (0x85, 0, 2, 0, 0), EXIT]),
        "MIT",
        "cannot call kernel function from non-GPL compatible program",
    ),
    case(
        "kfunc with a negative module offset",
        Raw(&[R0_0, (0x85, 0, 2, -1, 1), EXIT]),
        "failed to find BTF for kernel function",
    ),
    case(
        "module kfunc without fd array",
        Raw(&[R0_0, (0x85, 0, 2, 1, 1), EXIT]),
        "failed to find BTF for kernel function",
    ),
    case(
        "kfunc 0 in dead code",
        Raw(&[R0_0, (0x15, 0, 0, 1, 0), (0x85, 0, 2, 0, 0), EXIT]),
        "accept",
    ),
];

fn insns_of(prog: Prog) -> Vec<RawInsn> {
    match prog {
        Asm(src) => assemble(src).unwrap_or_else(|e| panic!("{src}: {e}")),
        Raw(slots) => slots
            .iter()
            .map(|&(c, d, s, o, i)| RawInsn::new(c, d, s, o, i))
            .collect(),
    }
}

fn run(c: &Case) -> (Vec<RawInsn>, Result<Preflight, VerifierError>) {
    let insns = insns_of(c.prog);
    let r = preflight_insns(&insns, Some(c.license), &PreflightOptions::default());
    (insns, r)
}

/// What bpfsim predicts the kernel says: `accept` or the error line.
fn predicted(c: &Case) -> String {
    let (insns, r) = run(c);
    match (r, c.stage) {
        (Err(e), _) => e.message().to_string(),
        (Ok(_), Stage::Pre) => "accept".into(),
        (Ok(_), Stage::Fields(i)) => match insns.get(i).map(|x| check_fields(x, false)) {
            Some(Err(m)) => m,
            _ => "accept".into(),
        },
    }
}

#[test]
fn recorded_verdicts_hold() {
    let mut bad = Vec::new();
    for c in CASES {
        let got = predicted(c);
        if got != c.kernel {
            bad.push(format!(
                "{}: kernel says {:?}, bpfsim {:?}",
                c.name, c.kernel, got
            ));
        }
        if let (Stage::Fields(_), Err(e)) = (c.stage, run(c).1) {
            bad.push(format!(
                "{}: preflight refused ({e}), do_check decides",
                c.name
            ));
        }
    }
    let accepted = CASES.iter().filter(|c| c.kernel == "accept").count();
    println!(
        "{} cases, {accepted} accepted, {} refused",
        CASES.len(),
        CASES.len() - accepted
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn errors_name_the_instruction() {
    let c = CASES
        .iter()
        .find(|c| c.name == "code after exit")
        .expect("case");
    let e = run(c).1.expect_err("refused");
    assert_eq!(e.insn(), 2);
    assert_eq!(e.to_string(), "insn 2: unreachable insn 2");
}

/// Reading the kernel's verifier log.
mod kernel {

    /// `func#N @START` lines of a level-2 log.
    pub fn subprog_starts(log: &str) -> Vec<usize> {
        log.lines()
            .filter_map(|l| l.strip_prefix("func#")?.split(" @").nth(1)?.parse().ok())
            .collect()
    }

    /// The SCC numbers of the `Live regs before insn:` table of a level-2 log, by
    /// instruction (`None` when the log has no table).
    pub fn sccs(log: &str) -> Option<Vec<(usize, u32)>> {
        let mut lines = log.lines().skip_while(|l| *l != "Live regs before insn:");
        lines.next()?;
        let mut out = Vec::new();
        for l in lines {
            // "%3d " or four spaces, then "%3d: ".
            let (Some(scc), Some(rest)) = (l.get(..4), l.get(4..)) else {
                break;
            };
            let Some((idx, _)) = rest.split_once(": ") else {
                break;
            };
            let Ok(idx) = idx.trim().parse::<usize>() else {
                break;
            };
            let scc = if scc.trim().is_empty() {
                0
            } else {
                match scc.trim().parse() {
                    Ok(n) => n,
                    Err(_) => break,
                }
            };
            out.push((idx, scc));
        }
        Some(out)
    }
}

fn bytes(insns: &[RawInsn]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.to_bytes()).collect()
}

#[test]
fn kernel_agrees_with_the_recorded_verdicts() {
    if !common::sys::bpf_available() {
        return;
    }
    let record = std::env::var_os("BPFSIM_RECORD").is_some();
    let mut bad = Vec::new();
    let mut scc_checked = 0;
    for c in CASES {
        let (insns, pre) = run(c);
        let loaded = common::sys::prog_load(1, &bytes(&insns), c.license, 1);
        let said = loaded.verdict();
        if record {
            println!("{:?} => {said:?}", c.name);
        }
        if said != c.kernel {
            bad.push(format!(
                "{}: recorded {:?}, kernel now says {said:?}",
                c.name, c.kernel
            ));
        }
        // Where preflight passes, the kernel's level-2 log shows the subprogram starts and
        // SCCs it computed before do_check.
        if let Ok(p) = pre {
            let log2 = common::sys::prog_load(1, &bytes(&insns), c.license, 2).log;
            let starts: Vec<_> = p.subprogs.info.iter().map(|s| s.start).collect();
            if kernel::subprog_starts(&log2) != starts {
                bad.push(format!(
                    "{}: kernel subprogs {:?}, bpfsim {starts:?}",
                    c.name,
                    kernel::subprog_starts(&log2)
                ));
            }
            if let Some(k) = kernel::sccs(&log2) {
                let ours: Vec<_> = k.iter().map(|&(i, _)| (i, p.cfg.aux[i].scc)).collect();
                if ours != k {
                    bad.push(format!("{}: kernel SCCs {k:?}, bpfsim {ours:?}", c.name));
                }
                scc_checked += 1;
            }
        }
    }
    println!(
        "{} cases asked, {scc_checked} SCC tables compared",
        CASES.len()
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Messages only the structural passes give.
const PREFLIGHT_MESSAGES: &[&str] = &[
    "unreachable insn ",
    "jump out of range from insn ",
    "last insn is not an exit or jmp",
    "back-edge from insn ",
    "jump into the middle of ldimm64 insn ",
    "call to invalid destination",
    "too many subprograms",
    "invalid bpf_ld_imm64 insn",
    "unrecognized bpf_ld_imm64 insn",
    "unknown opcode ",
    "BPF_LDX uses reserved fields",
    "fd_idx without fd_array is invalid",
    "invalid module BTF object FD specified.",
    "failed to find BTF for kernel function",
    "cannot call kernel function from non-GPL compatible program",
    "LD_ABS is not allowed in subprogs without BTF",
    "tail_call is not allowed in subprogs without BTF",
];

fn is_preflight_message(line: &str) -> bool {
    PREFLIGHT_MESSAGES.iter().any(|m| line.starts_with(m))
        || (line.starts_with("fd ") && line.ends_with(" is not pointing to valid bpf_map"))
}

/// A small deterministic generator (xorshift) of structure-heavy programs: jumps, calls,
/// exits, `lddw` of every pseudo source, kfunc calls, legacy loads and stray opcodes.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }

    fn off(&mut self) -> i16 {
        (self.below(11) - 5) as i16
    }

    /// A program; `tame` ones use only well-formed instructions and end in `exit`, so
    /// that more of them get past the early passes to the CFG walk.
    fn program(&mut self, tame: bool) -> Vec<RawInsn> {
        let len = 2 + self.below(10) as usize;
        let mut p = Vec::new();
        while p.len() < len {
            let r = |c, d, s, o, i| RawInsn::new(c, d, s, o, i);
            let kind = if tame {
                [0, 1, 3, 5, 6, 7, 8, 10, 11, 14, 15][self.below(11) as usize]
            } else {
                self.below(16)
            };
            match kind {
                0..=2 => p.push(r(0xb7, 0, 0, 0, self.below(3) as i32)),
                3..=4 => p.push(r(0x95, 0, 0, 0, 0)),
                5 => p.push(r(0x05, 0, 0, self.off(), 0)),
                6 => p.push(r(0x15, 0, 0, self.off(), 0)),
                7 => p.push(r(0x85, 0, 1, 0, self.off() as i32)),
                8 => {
                    let src = self.below(8) as u8;
                    let imm = if src == 4 { self.off() as i32 } else { 0 };
                    p.push(r(0x18, 1, src, 0, imm));
                    let junk = self.below(6) == 0;
                    p.push(r(
                        if junk { 0x18 } else { 0 },
                        0,
                        0,
                        0,
                        self.below(2) as i32,
                    ));
                }
                9 => p.push(r(
                    0x85,
                    0,
                    2,
                    self.below(3) as i16 - 1,
                    self.below(2) as i32,
                )),
                10 => p.push(r(0x85, 0, 0, 0, 12)),
                11 => p.push(r(0x30, 0, 0, 0, 0)),
                12 => p.push(r(self.next() as u8, 0, 0, self.off(), 0)),
                13 => p.push(r(0x61, 0, 1, 0, self.below(2) as i32)),
                14 => p.push(r(0xe5, 0, 0, self.off(), 0)),
                _ => p.push(r(0x06, 0, 0, 0, self.off() as i32)),
            }
        }
        if tame {
            p.push(RawInsn::new(0xb7, 0, 0, 0, 0));
            p.push(RawInsn::new(0x95, 0, 0, 0, 0));
            // Keep jump and call targets inside the program.
            let n = p.len() as i64;
            for (i, x) in p.iter_mut().enumerate() {
                let i = i as i64;
                let uses_imm = x.code == 0x06 || x.code == 0x85;
                let is_jump =
                    matches!(x.code, 0x05 | 0x15 | 0xe5 | 0x06) || (x.code == 0x85 && x.src == 1);
                let off = if uses_imm { x.imm as i64 } else { x.off as i64 };
                if is_jump && !(0..n).contains(&(i + off + 1)) {
                    let fixed = (n - 1 - i - 1) as i16;
                    if uses_imm {
                        x.imm = fixed as i32;
                    } else {
                        x.off = fixed;
                    }
                }
            }
        }
        p
    }
}

#[test]
fn kernel_agrees_on_random_structural_programs() {
    if !common::sys::bpf_available() {
        return;
    }
    // The kfunc checks look ids up in the running kernel's BTF.
    let vmlinux = std::fs::read("/sys/kernel/btf/vmlinux")
        .ok()
        .and_then(|b| bpfsim::object::btf::BtfTypes::parse(&b).ok());
    let Some(vmlinux) = vmlinux else {
        println!("skipped: /sys/kernel/btf/vmlinux is not readable");
        return;
    };
    let options = PreflightOptions {
        kernel_btf: Some(&vmlinux),
        ..PreflightOptions::default()
    };
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let (mut decided, mut passed, mut bad) = (0, 0, Vec::new());
    let mut by_message = std::collections::BTreeMap::new();
    for n in 0..6000 {
        let insns = g.program(n % 2 == 1);
        let license = if n % 7 == 0 { "MIT" } else { "GPL" };
        let loaded = common::sys::prog_load(1, &bytes(&insns), license, 1);
        let said = loaded.verdict();
        let pre = preflight_insns(&insns, Some(license), &options);
        let agree = match &pre {
            Err(e) => e.message() == said,
            Ok(_) => !is_preflight_message(&said),
        };
        match &pre {
            Err(e) => {
                decided += 1;
                let kind: String = e
                    .message()
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .collect();
                *by_message.entry(kind).or_insert(0) += 1;
            }
            Ok(p) => {
                passed += 1;
                let log2 = common::sys::prog_load(1, &bytes(&insns), license, 2).log;
                let starts: Vec<_> = p.subprogs.info.iter().map(|s| s.start).collect();
                let sccs_agree = kernel::sccs(&log2).is_none_or(|k| {
                    k.iter()
                        .all(|&(i, scc)| p.cfg.aux.get(i).map(|a| a.scc) == Some(scc))
                });
                if kernel::subprog_starts(&log2) != starts || !sccs_agree {
                    bad.push(format!(
                        "{insns:?}\n  subprogram starts or SCCs differ:\n{log2}"
                    ));
                }
            }
        }
        if !agree && bad.len() < 20 {
            let pre = pre
                .map(|_| "pass".to_string())
                .unwrap_or_else(|e| e.message().into());
            bad.push(format!("{insns:?}\n  kernel: {said:?}\n  bpfsim: {pre:?}"));
        }
    }
    println!("random programs: {decided} refused by preflight, {passed} passed to do_check");
    for (m, n) in &by_message {
        println!("  {n:5} {m}");
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Whether an error line is one the structural passes give (or the BTF-info checks that
/// run between them).
fn is_structural(line: &str) -> bool {
    is_preflight_message(line)
        || line.starts_with("missing bpf_line_info")
        || line.starts_with("func_info BTF section")
        || line.starts_with("number of funcs in func_info")
        || line.starts_with("Invalid line_info")
}

#[test]
fn corpus_programs_pass_preflight_as_in_the_kernel() {
    use bpfsim::object::Object;
    use bpfsim::verifier::{MapRefs, preflight};
    use std::collections::BTreeMap;

    let dir = common::shared_dir().join("corpus");
    let objs = dir.join("ebpf-samples");
    let Ok(text) = std::fs::read_to_string(dir.join("ebpf-samples.kernel-6.18.jsonl")) else {
        println!("skipped: corpus not found at {}", dir.display());
        return;
    };
    let mut parsed: BTreeMap<String, Option<Object>> = BTreeMap::new();
    let (mut accepted, mut structural, mut other_rejects, mut skipped) = (0, 0, 0, 0);
    let mut bad = Vec::new();
    for line in text.lines() {
        let rec: serde_json::Value = serde_json::from_str(line).expect("jsonl line is JSON");
        let verdict = rec["kernel_verdict"].as_str().unwrap_or("");
        let (Some(file), Some(section), Some(name)) = (
            rec["file"].as_str(),
            rec["section"].as_str(),
            rec["program"].as_str(),
        ) else {
            skipped += 1;
            continue;
        };
        if verdict != "accept" && verdict != "reject" {
            // Refused before the verifier (relocations, map creation, ELF).
            skipped += 1;
            continue;
        }
        let obj = parsed
            .entry(file.to_string())
            .or_insert_with(|| Object::from_file(objs.join(file)).ok());
        let Some(prog) = obj.as_ref().and_then(|o| {
            o.programs
                .iter()
                .find(|p| p.name == name && p.section == section)
        }) else {
            bad.push(format!("{file} {section}/{name}: not found by the loader"));
            continue;
        };
        let maps = obj.as_ref().map_or(&[][..], |o| &o.maps[..]);
        let libbpf = rec["loader"].as_str() == Some("libbpf");
        let license = match rec["license"].as_str() {
            Some(l) if l.contains("used GPL") => Some("GPL"),
            _ => None,
        };
        let options = PreflightOptions {
            btf_info: libbpf && !prog.func_info.is_empty(),
            maps: MapRefs::Object(maps),
            license,
            ..PreflightOptions::default()
        };
        let got = preflight(prog, &options);
        let error_line = rec["error_line"].as_str().unwrap_or("");
        let what = format!("{file} {section}/{name}");
        match verdict {
            "accept" => {
                accepted += 1;
                if let Err(e) = got {
                    bad.push(format!("{what}: the kernel accepts, preflight says {e}"));
                }
            }
            _ if is_structural(error_line) => {
                structural += 1;
                match got {
                    Err(e) if e.message() == error_line => {}
                    Err(e) => bad.push(format!("{what}: kernel {error_line:?}, preflight {e}")),
                    Ok(_) => bad.push(format!("{what}: kernel {error_line:?}, preflight passes")),
                }
            }
            _ => {
                other_rejects += 1;
                if let Err(e) = got {
                    bad.push(format!(
                        "{what}: the kernel refuses later ({error_line:?}), preflight says {e}"
                    ));
                }
            }
        }
    }
    println!(
        "corpus: {accepted} accepted programs pass preflight, {structural} structural rejects \
         refused with the kernel's message, {other_rejects} later rejects pass preflight, \
         {skipped} records refused before the verifier; {} mismatches",
        bad.len()
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

mod fuzz {
    use super::*;
    use bpfsim::maps::{MapDef, MapOrigin, MapType};
    use bpfsim::verifier::MapRefs;
    use proptest::prelude::*;

    /// Slots drawn mostly from the opcodes the structural passes look at, with any fields.
    fn slot() -> impl Strategy<Value = RawInsn> {
        let code = prop_oneof![
            any::<u8>(),
            Just(0x95u8),
            Just(0x05),
            Just(0x06),
            Just(0x15),
            Just(0x85),
            Just(0x18),
            Just(0x00),
            Just(0xe5),
            Just(0x61),
            Just(0x30),
            Just(0xb7),
        ];
        let off = prop_oneof![-8i16..8, any::<i16>()];
        let imm = prop_oneof![-8i32..8, any::<i32>(), Just(12), Just(181)];
        (code, 0u8..16, 0u8..16, off, imm).prop_map(|(c, d, s, o, i)| RawInsn::new(c, d, s, o, i))
    }

    fn map(map_type: MapType, max_entries: u32) -> MapDef {
        MapDef {
            name: "m".into(),
            map_type,
            key_size: 4,
            value_size: 8,
            max_entries,
            map_flags: 0,
            inner: None,
            initial: Vec::new(),
            read_only: false,
            origin: MapOrigin::User,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Any instruction stream: preflight returns, without panicking, and a refusal
        /// names an instruction of the program.
        #[test]
        fn preflight_always_returns(
            insns in proptest::collection::vec(slot(), 0..40),
            capable in any::<bool>(),
            gpl in any::<bool>(),
            with_maps in any::<bool>(),
        ) {
            let maps = [map(MapType::Array, 1), map(MapType::Hash, 4), map(MapType::CgroupStorage, 1)];
            let options = PreflightOptions {
                bpf_capable: capable,
                maps: if with_maps { MapRefs::Object(&maps) } else { MapRefs::None },
                ..PreflightOptions::default()
            };
            let license = if gpl { "GPL" } else { "Proprietary" };
            match preflight_insns(&insns, Some(license), &options) {
                Ok(p) => {
                    prop_assert_eq!(p.cfg.aux.len(), insns.len());
                    prop_assert!(p.cfg.postorder.len() <= insns.len());
                    prop_assert!(p.subprogs.info.first().is_some_and(|s| s.start == 0));
                }
                Err(e) => prop_assert!(insns.is_empty() || e.insn() < insns.len()),
            }
        }
    }
}
