//! Replays verifier logs recorded from the running Linux 6.18 kernel against bpfsim's scalar
//! domain: for every instruction the kernel printed state for, the scalar registers bpfsim
//! computes must print exactly the same, and every branch it explores or skips must match.
//!
//! The programs (in `src/verifier/testdata/`) are random straight-line code over scalars that
//! start unknown (`bpf_get_prandom_u32`): every ALU op in 32 and 64 bits with register and
//! immediate operands, moves with sign extension, neg, byte swaps, and conditional jumps of
//! both widths whose taken side goes to an `exit` of its own. They were loaded with
//! `BPF_PROG_LOAD` at log level 2 (as root) and the log kept. The replay walks the program
//! with bpfsim's transfer functions in the kernel's order (fall-through first, pushed states
//! last in first out) and uses the log only for pruning decisions ("safe"), which are not
//! the scalar domain's business. Register ids and precision marks are not compared.
//!
//! `BPFSIM_KERNEL_LOGS=path.jsonl` replays another recording.

use crate::insn::{AluOp, CallTarget, Insn, Ld64Kind, RawInsn, Reg, Source, Width, decode_program};
use crate::verifier::print::{ScalarDecor, parse_scalar_state, scalar_state};
use crate::verifier::scalar::alu::{scalar_byte_swap, scalar_neg};
use crate::verifier::scalar::{
    ScalarBounds, adjust_scalar_min_max_vals, is_branch_taken, is_branch_taken_same_reg,
    reg_set_min_max, reg_set_min_max_same_reg,
};
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
enum RegVal {
    NotInit,
    Scalar(ScalarBounds),
    /// A pointer, printed as the kernel prints it (`ctx()`, `fp0`).
    Other(&'static str),
}

type Regs = [RegVal; Reg::COUNT];

#[derive(Debug)]
enum Event {
    /// `N: (op) text[ ; R1=... R2=...]`
    Insn {
        idx: usize,
        regs: Vec<(usize, String)>,
    },
    /// `N: R1=... R2=...`
    State {
        idx: usize,
        regs: Vec<(usize, String)>,
    },
    /// `from X to Y: R...` or `from X to Y: safe`
    From {
        from: usize,
        to: usize,
        regs: Option<Vec<(usize, String)>>,
    },
    /// `N: safe`
    Safe,
    /// `verifier bug: REG INVARIANTS VIOLATION ...`
    Bug(String),
}

/// `R1=ctx() R6=scalar(smin=...,var_off=(0x0; 0xff))` into (1, "ctx()"), (6, "scalar(...)").
fn parse_regs(s: &str) -> Vec<(usize, String)> {
    let mut starts = Vec::new();
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'R' && (i == 0 || b[i - 1] == b' ') {
            let digits: String = s[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if !digits.is_empty() && s[i + 1 + digits.len()..].starts_with('=') {
                starts.push((i, digits.parse::<usize>().unwrap(), i + 2 + digits.len()));
            }
        }
    }
    let mut out = Vec::new();
    for (k, &(_, reg, vstart)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(s.len(), |n| n.0);
        out.push((reg, s[vstart..end].trim().to_string()));
    }
    out
}

fn parse_line(line: &str) -> Option<Event> {
    if let Some(rest) = line.strip_prefix("from ") {
        let (from, rest) = rest.split_once(" to ")?;
        let (to, rest) = rest.split_once(':')?;
        let rest = rest.trim();
        let regs = if rest == "safe" {
            None
        } else {
            Some(parse_regs(rest))
        };
        return Some(Event::From {
            from: from.parse().ok()?,
            to: to.trim().parse().ok()?,
            regs,
        });
    }
    if line.starts_with("verifier bug") {
        return Some(Event::Bug(line.to_string()));
    }
    let (idx, rest) = line.split_once(": ")?;
    let idx: usize = idx.parse().ok()?;
    if rest == "safe" {
        return Some(Event::Safe);
    }
    if rest.starts_with('(') {
        let regs = match rest.split_once(" ; ") {
            Some((_, state)) => parse_regs(state),
            None => Vec::new(),
        };
        return Some(Event::Insn { idx, regs });
    }
    if rest.starts_with('R') {
        return Some(Event::State {
            idx,
            regs: parse_regs(rest),
        });
    }
    None
}

/// The kernel's text without ids and precision marks.
fn normalize(kernel: &str) -> String {
    let s = kernel.strip_prefix('P').unwrap_or(kernel);
    let mut out = String::new();
    let mut rest = s;
    while let Some(pos) = rest.find("id=") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 3..];
        let n = after
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i > 0 && (c == '+' || c == '-'))))
            .map_or(after.len(), |(i, _)| i);
        rest = &after[n..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    out.push_str(rest);
    out
}

fn show(v: &RegVal) -> String {
    match v {
        RegVal::NotInit => "<not init>".into(),
        RegVal::Scalar(s) => scalar_state(s, ScalarDecor::default()),
        RegVal::Other(s) => (*s).into(),
    }
}

struct Replay<'a> {
    insns: &'a [Insn],
    name: String,
    stack: Vec<(usize, usize, Regs)>,
    pending_bugs: Vec<String>,
    /// Lines compared, for the summary.
    compared: usize,
}

enum Step {
    Next(usize),
    Exit,
}

fn imm_src(imm: i32) -> ScalarBounds {
    ScalarBounds::known(imm as i64 as u64)
}

impl Replay<'_> {
    fn scalar(&self, regs: &Regs, r: Reg) -> ScalarBounds {
        match &regs[r.index() as usize] {
            RegVal::Scalar(s) => *s,
            other => panic!("{}: r{} is not a scalar: {other:?}", self.name, r.index()),
        }
    }

    fn violations(&mut self, v: Vec<crate::verifier::scalar::InvariantViolation>) {
        self.pending_bugs.extend(v.iter().map(|v| v.log_line()));
    }

    fn alu_check(&mut self, regs: &mut Regs, dst: Reg) {
        if let RegVal::Scalar(s) = &mut regs[dst.index() as usize]
            && let Err(v) = s.reg_bounds_sanity_check("alu")
        {
            self.pending_bugs.push(v.log_line());
        }
    }

    /// Executes `insns[pc]` on `regs`, pushing states as the kernel does.
    fn step(&mut self, pc: usize, regs: &mut Regs) -> Step {
        match self.insns[pc] {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => {
                let d = dst.index() as usize;
                match (op, src, width) {
                    (AluOp::Mov, Source::Imm(imm), Width::W64) => {
                        regs[d] = RegVal::Scalar(imm_src(imm));
                    }
                    (AluOp::Mov, Source::Imm(imm), Width::W32) => {
                        regs[d] = RegVal::Scalar(ScalarBounds::known(imm as u32 as u64));
                    }
                    (AluOp::Mov, Source::Reg(s), Width::W64) => {
                        regs[d] = regs[s.index() as usize].clone();
                    }
                    _ => {
                        let srcv = match src {
                            Source::Imm(imm) => imm_src(imm),
                            Source::Reg(s) => self.scalar(regs, s),
                        };
                        let mut dv = match op {
                            AluOp::Mov | AluOp::MovSx(_) => ScalarBounds::unknown(),
                            _ => self.scalar(regs, dst),
                        };
                        let before = regs.clone();
                        let fork = adjust_scalar_min_max_vals(&mut dv, op, &srcv, width);
                        if let Some(f) = fork {
                            let mut other = before;
                            other[d] = RegVal::Scalar(f.dst_before);
                            self.stack.push((pc, pc, other));
                        }
                        regs[d] = RegVal::Scalar(dv);
                    }
                }
                self.alu_check(regs, dst);
                Step::Next(pc + 1)
            }
            Insn::Neg { width, dst } => {
                let mut v = self.scalar(regs, dst);
                scalar_neg(&mut v, width);
                regs[dst.index() as usize] = RegVal::Scalar(v);
                self.alu_check(regs, dst);
                Step::Next(pc + 1)
            }
            Insn::Endian { order, bits, dst } => {
                let mut v = self.scalar(regs, dst);
                scalar_byte_swap(&mut v, order, bits);
                regs[dst.index() as usize] = RegVal::Scalar(v);
                self.alu_check(regs, dst);
                Step::Next(pc + 1)
            }
            Insn::Ld64 {
                kind: Ld64Kind::Imm,
                dst,
                imm,
                next_imm,
            } => {
                regs[dst.index() as usize] =
                    RegVal::Scalar(ScalarBounds::known(Insn::ld64_value(imm, next_imm)));
                Step::Next(pc + 2)
            }
            Insn::Call(CallTarget::Helper(7)) => {
                regs[0] = RegVal::Scalar(ScalarBounds::unknown());
                for r in regs.iter_mut().take(6).skip(1) {
                    *r = RegVal::NotInit;
                }
                Step::Next(pc + 1)
            }
            Insn::Jump {
                width,
                cond,
                dst,
                src,
                off,
            } => {
                let target = (pc as i64 + 1 + off as i64) as usize;
                let d = dst.index() as usize;
                let dv = self.scalar(regs, dst);
                match src {
                    Source::Reg(s) if s == dst => {
                        match is_branch_taken_same_reg(&dv, cond, width) {
                            Some(true) => Step::Next(target),
                            Some(false) => Step::Next(pc + 1),
                            None => {
                                let (b, v) = reg_set_min_max_same_reg(&dv, cond, width);
                                self.violations(v);
                                let mut taken = regs.clone();
                                taken[d] = RegVal::Scalar(b.taken);
                                regs[d] = RegVal::Scalar(b.fallthrough);
                                self.stack.push((pc, target, taken));
                                Step::Next(pc + 1)
                            }
                        }
                    }
                    _ => {
                        let sv = match src {
                            Source::Imm(imm) => imm_src(imm),
                            Source::Reg(s) => self.scalar(regs, s),
                        };
                        match is_branch_taken(&dv, &sv, cond, width) {
                            Some(true) => Step::Next(target),
                            Some(false) => Step::Next(pc + 1),
                            None => {
                                let (t, f, v) = reg_set_min_max(&dv, &sv, cond, width);
                                self.violations(v);
                                let mut taken = regs.clone();
                                taken[d] = RegVal::Scalar(t.dst);
                                regs[d] = RegVal::Scalar(f.dst);
                                if let Source::Reg(s) = src {
                                    taken[s.index() as usize] = RegVal::Scalar(t.src);
                                    regs[s.index() as usize] = RegVal::Scalar(f.src);
                                }
                                self.stack.push((pc, target, taken));
                                Step::Next(pc + 1)
                            }
                        }
                    }
                }
            }
            Insn::Exit => Step::Exit,
            other => panic!("{}: unexpected instruction {other:?}", self.name),
        }
    }

    fn compare(&mut self, what: &str, regs: &Regs, printed: &[(usize, String)]) {
        for (r, text) in printed {
            let mine = show(&regs[*r]);
            let theirs = normalize(text);
            // What the kernel printed reads back into a state that prints the same.
            if let Some(parsed) = parse_scalar_state(&theirs) {
                assert_eq!(parsed.to_string(), theirs, "{}: parse/print", self.name);
            }
            assert_eq!(
                mine, theirs,
                "{}: {what}: R{r} differs (kernel printed {text})",
                self.name
            );
            self.compared += 1;
        }
    }

    fn run(&mut self, log: &[String]) {
        let mut regs: Regs = std::array::from_fn(|_| RegVal::NotInit);
        regs[1] = RegVal::Other("ctx()");
        regs[10] = RegVal::Other("fp0");
        let mut pc: Option<usize> = Some(0);
        let mut last_insn: Option<usize> = None;
        for line in log {
            let Some(ev) = parse_line(line) else {
                continue;
            };
            match ev {
                Event::Insn { idx, regs: printed } => {
                    let here = pc.unwrap_or_else(|| {
                        panic!(
                            "{}: kernel ran insn {idx} on a path bpfsim ended",
                            self.name
                        )
                    });
                    assert_eq!(idx, here, "{}: kernel went elsewhere: {line}", self.name);
                    pc = match self.step(here, &mut regs) {
                        Step::Next(n) => Some(n),
                        Step::Exit => None,
                    };
                    last_insn = Some(idx);
                    self.compare(line, &regs, &printed);
                }
                Event::State { idx, regs: printed } => {
                    // After the insn line (interrupted by other output) it is the state after
                    // that insn; otherwise the state before insn `idx`.
                    if last_insn != Some(idx) {
                        assert_eq!(pc, Some(idx), "{}: {line}", self.name);
                    }
                    self.compare(line, &regs, &printed);
                }
                Event::From {
                    from,
                    to,
                    regs: printed,
                } => {
                    let (f, t, st) = self
                        .stack
                        .pop()
                        .unwrap_or_else(|| panic!("{}: bpfsim has no state for {line}", self.name));
                    assert_eq!((f, t), (from, to), "{}: popped another state", self.name);
                    regs = st;
                    last_insn = None;
                    match printed {
                        Some(p) => {
                            self.compare(line, &regs, &p);
                            pc = Some(to);
                        }
                        None => pc = None,
                    }
                }
                Event::Safe => pc = None,
                Event::Bug(text) => {
                    assert!(
                        !self.pending_bugs.is_empty(),
                        "{}: kernel reported {text}, bpfsim did not",
                        self.name
                    );
                    let mine = self.pending_bugs.remove(0);
                    assert_eq!(mine, text, "{}", self.name);
                }
            }
        }
        assert!(
            self.pending_bugs.is_empty(),
            "{}: bpfsim reported {:?}",
            self.name,
            self.pending_bugs
        );
        assert!(
            self.stack.is_empty(),
            "{}: bpfsim has states the kernel never explored",
            self.name
        );
    }
}

fn recordings() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("BPFSIM_KERNEL_LOGS") {
        return vec![PathBuf::from(p)];
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/verifier/testdata");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("src/verifier/testdata exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    v.sort();
    v
}

#[test]
fn scalar_states_match_linux_6_18_logs() {
    let mut programs = 0;
    let mut lines = 0;
    for path in recordings() {
        let text = std::fs::read_to_string(&path).expect("recording readable");
        for (n, line) in text.lines().enumerate() {
            let rec: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            let hex = rec["prog"].as_str().expect("prog");
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect();
            let slots = RawInsn::slots(&bytes).expect("whole slots");
            let insns = decode_program(&slots).expect("decodes");
            let log: Vec<String> = rec["log"]
                .as_array()
                .expect("log")
                .iter()
                .map(|l| l.as_str().expect("line").to_string())
                .collect();
            let mut replay = Replay {
                insns: &insns,
                name: format!("{}:{}", path.display(), n + 1),
                stack: Vec::new(),
                pending_bugs: Vec::new(),
                compared: 0,
            };
            replay.run(&log);
            programs += 1;
            lines += replay.compared;
        }
    }
    assert!(programs > 0, "no recordings found");
    println!("{programs} programs, {lines} register states compared");
}
