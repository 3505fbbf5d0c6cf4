//! A loaded object, ready to run: its programs prepared for the interpreter (map references
//! resolved to the simulated maps), its maps, the deterministic world helpers see, and a
//! `run` that follows BPF_PROG_TEST_RUN. What `bpfsim run OBJ` and the library's users build
//! on.

use crate::engine::Engine;
use crate::helpers::{HelperTable, World};
use crate::insn::{Insn, RawInsn, decode_program, opcode};
use crate::jit::{Jit, JitError, JitMode};
use crate::maps::{MapDef, MapError, MapSet, MapSetConfig, MapType};
use crate::object::{ExternKind, Object, ObjectError, SourceLine};
use crate::progtype::{ContextError, ProgType, TestRun, TestRunInput, TestRunOutput};
use crate::vm::{CALLBACK_TAG, Interpreter, PrepareError, VmError};
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use thiserror::Error;

/// Why a session could not load or run a program. Each names the program and, for a run
/// that failed, the instruction and its source line.
#[derive(Debug, Error)]
pub enum SessionError {
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error(transparent)]
    Maps(#[from] MapError),
    #[error("no program named {name:?} (the object has: {})", .available.join(", "))]
    NoSuchProgram {
        name: String,
        available: Vec<String>,
    },
    #[error("program {program}: instruction {insn}: {message}")]
    Link {
        program: String,
        insn: usize,
        message: String,
    },
    #[error("program {program}: {source}")]
    Decode {
        program: String,
        source: crate::insn::DecodeError,
    },
    #[error("program {program}: {source}")]
    Prepare {
        program: String,
        source: PrepareError,
    },
    #[error("program {program}: {source}")]
    Context {
        program: String,
        source: ContextError,
    },
    #[error("program {program}: the JIT cannot compile it: {source}")]
    Jit { program: String, source: JitError },
    #[error("program {program}: {source}{}", at_line(.line))]
    Run {
        program: String,
        source: Box<VmError>,
        line: Option<Box<SourceLine>>,
    },
}

fn at_line(line: &Option<Box<SourceLine>>) -> String {
    match line {
        Some(l) => format!("\n  at {}:{}: {}", l.file, l.line, l.text.trim()),
        None => String::new(),
    }
}

impl SessionError {
    /// 1 when the program itself failed, 2 when the input could not be used.
    pub fn exit_code(&self) -> u8 {
        match self {
            SessionError::Run { .. } => 1,
            _ => 2,
        }
    }
}

/// What one run (or the last of `repeat` runs) gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    /// BPF_PROG_TEST_RUN's `retval` (r0 truncated to 32 bits), `data_out` and `ctx_out`.
    pub output: TestRunOutput,
    /// The full 64-bit r0.
    pub r0: u64,
    /// Instructions the last run executed.
    pub insns: u64,
    /// Average wall time per run.
    pub duration: Duration,
    /// Lines `bpf_trace_printk` printed during the runs.
    pub trace: Vec<String>,
}

/// The adjustments loaders make to map definitions before `BPF_MAP_CREATE` (libbpf's
/// `map_set_def_max_entries` and friends; the same ones the corpus's kernel verdicts were
/// taken with): perf event arrays get 4-byte keys and values and one slot per CPU, ring
/// buffers no key or value, fd arrays and map-in-maps 4-byte (fd/id) values, and maps
/// declared with no entries one per CPU.
fn loader_fixups(defs: &mut [MapDef], ncpus: usize) -> Vec<String> {
    let mut notes = Vec::new();
    for d in defs.iter_mut() {
        let before = (d.key_size, d.value_size, d.max_entries);
        match d.map_type {
            MapType::PerfEventArray => {
                d.key_size = 4;
                d.value_size = 4;
            }
            MapType::RingBuf => {
                d.key_size = 0;
                d.value_size = 0;
                if d.max_entries == 0 {
                    d.max_entries = 4096;
                }
            }
            MapType::ArrayOfMaps | MapType::HashOfMaps => {
                d.key_size = if d.key_size == 0 { 4 } else { d.key_size };
                d.value_size = 4;
            }
            MapType::ProgArray
            | MapType::CgroupArray
            | MapType::DevMap
            | MapType::CpuMap
            | MapType::XskMap => {
                if d.key_size == 0 {
                    d.key_size = 4;
                }
                if d.value_size == 0 {
                    d.value_size = 4;
                }
            }
            _ => {}
        }
        if d.max_entries == 0 && d.map_type != MapType::RingBuf {
            d.max_entries = ncpus as u32;
        }
        let after = (d.key_size, d.value_size, d.max_entries);
        if before != after {
            // libbpf leaves a ring buffer's sizes alone, and BPF_MAP_CREATE refuses
            // them with EINVAL: the object would not load there.
            let libbpf = if d.map_type == MapType::RingBuf && (before.0, before.1) != (0, 0) {
                " (libbpf would not load this map: a ring buffer takes no key or value type)"
            } else {
                ""
            };
            notes.push(format!(
                "map {}: key/value/max_entries {}/{}/{} -> {}/{}/{}{libbpf}",
                d.name, before.0, before.1, before.2, after.0, after.1, after.2
            ));
        }
    }
    notes
}

/// An object with its maps, ready to run its programs.
pub struct Session {
    object: Object,
    maps: MapSet,
    /// The world the next run sees (clock, task, kernel memory, ...); its `trace` collects
    /// what runs print.
    pub world: World,
    helpers: HelperTable,
    budget: u64,
    engine: Engine,
    /// Every program of the object, prepared on the first run (indices as in the object,
    /// so program arrays can name tail-call targets), and whether each could be.
    vm: Option<Interpreter>,
    /// The same programs compiled (checked mode), once the JIT engine ran; it holds the
    /// interpreter meanwhile.
    jit: Option<Jit>,
    jit_mode: JitMode,
    prepared: Vec<bool>,
    fixups: Vec<String>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("object", &self.object.name)
            .field("maps", &self.maps.len())
            .finish()
    }
}

impl Session {
    /// Loads an object file and creates its maps.
    pub fn open(path: impl AsRef<Path>) -> Result<Session, SessionError> {
        Session::new(Object::from_file(path)?, MapSetConfig::default())
    }

    /// Creates the maps of a parsed object.
    pub fn new(object: Object, config: MapSetConfig) -> Result<Session, SessionError> {
        let mut defs = object.maps.clone();
        let fixups = loader_fixups(&mut defs, config.ncpus);
        let mut maps = MapSet::new(&defs, config)?;
        for i in 0..object.maps.len() {
            if let (Some(off), Some(map)) = (object.spin_lock_offset(i), maps.get_mut(i)) {
                map.set_spin_lock(Some(off))
                    .map_err(|errno| MapError::Create {
                        name: object.maps[i].name.clone(),
                        errno,
                        reason: format!("a bpf_spin_lock at offset {off} of the value"),
                    })?;
            }
        }
        let world = World {
            ncpus: config.ncpus as u32,
            ..World::default()
        };
        Ok(Session {
            object,
            maps,
            world,
            helpers: HelperTable::kernel(),
            budget: crate::vm::DEFAULT_BUDGET,
            engine: Engine::Interp,
            vm: None,
            jit: None,
            jit_mode: JitMode::Checked,
            prepared: Vec::new(),
            fixups,
        })
    }

    pub fn object(&self) -> &Object {
        &self.object
    }

    /// What was changed in the object's map definitions before creating them, as loaders
    /// do (libbpf, cilium/ebpf, Falco's): e.g. `map events: max_entries 0 -> 2 (CPUs)`.
    pub fn fixups(&self) -> &[String] {
        &self.fixups
    }

    pub fn maps(&self) -> &MapSet {
        &self.maps
    }

    pub fn maps_mut(&mut self) -> &mut MapSet {
        &mut self.maps
    }

    /// Sets how many instructions one run may execute.
    pub fn set_budget(&mut self, budget: u64) {
        self.budget = budget;
        if let Some(vm) = &mut self.vm {
            vm.set_budget(budget);
        }
        if let Some(jit) = &mut self.jit {
            jit.set_budget(budget);
        }
    }

    /// Chooses the engine the next runs use.
    pub fn set_engine(&mut self, engine: Engine) {
        self.engine = engine;
    }

    /// The JIT's mode (checked unless set). [`JitMode::Verified`] drops the checks of
    /// memory accesses: only for programs the kernel's verifier accepts (bpfsim's verifier is
    /// not complete yet, so nothing chooses it for you); the benchmarks use it.
    pub fn set_jit_mode(&mut self, mode: JitMode) {
        if mode != self.jit_mode {
            self.jit_mode = mode;
            if let Some(jit) = self.jit.take() {
                self.vm = Some(jit.into_interpreter());
            }
        }
    }

    /// The engine runs use.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Overrides the type of every program (`--prog-type`).
    pub fn set_prog_type(&mut self, t: ProgType) {
        for p in &mut self.object.programs {
            p.set_prog_type(t);
        }
        self.vm = None;
        self.jit = None;
    }

    fn program_index(&self, name: &str) -> Result<usize, SessionError> {
        self.object
            .programs
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| SessionError::NoSuchProgram {
                name: name.into(),
                available: self
                    .object
                    .programs
                    .iter()
                    .map(|p| p.name.clone())
                    .collect(),
            })
    }

    /// The program's instructions with map references resolved to this session's maps:
    /// `BPF_PSEUDO_MAP_IDX` becomes the map's pointer, `BPF_PSEUDO_MAP_IDX_VALUE` the address
    /// of its value plus the offset (global data).
    pub fn linked_insns(&mut self, name: &str) -> Result<Vec<Insn>, SessionError> {
        let index = self.program_index(name)?;
        self.linked_insns_of(index)
    }

    fn linked_insns_of(&mut self, index: usize) -> Result<Vec<Insn>, SessionError> {
        let program = &self.object.programs[index];
        let name = program.name.as_str();
        // A call to a function the object does not define (memset, a kfunc) cannot be
        // linked; the loaders refuse such a program before the kernel sees it.
        if let Some(ext) = program.externs.iter().find(|e| e.kind == ExternKind::Call) {
            return Err(SessionError::Link {
                program: name.into(),
                insn: ext.insn,
                message: format!("call to undefined symbol {}", ext.name),
            });
        }
        let mut raw = program.insns.clone();
        for pc in 0..raw.len() {
            if raw[pc].code != opcode::LDDW || pc + 1 >= raw.len() {
                continue;
            }
            let link_err = |message: String| SessionError::Link {
                program: name.into(),
                insn: pc,
                message,
            };
            let value = match raw[pc].src {
                opcode::PSEUDO_MAP_IDX => {
                    let i = raw[pc].imm as usize;
                    if self.maps.get(i).is_none() {
                        return Err(link_err(format!("map index {i} out of range")));
                    }
                    self.maps.map_ptr(i)
                }
                opcode::PSEUDO_MAP_IDX_VALUE => {
                    let i = raw[pc].imm as usize;
                    let off = raw[pc + 1].imm as u32;
                    let map = self
                        .maps
                        .get_mut(i)
                        .ok_or_else(|| link_err(format!("map index {i} out of range")))?;
                    if off >= map.def().value_size {
                        return Err(link_err(format!(
                            "offset {off} is past the {}-byte value of map {}",
                            map.def().value_size,
                            map.name()
                        )));
                    }
                    let base = map.lookup(&0u32.to_le_bytes(), 0).ok_or_else(|| {
                        link_err(format!("map {} has no direct value access", map.name()))
                    })?;
                    base + off as u64
                }
                opcode::PSEUDO_FUNC => {
                    let target = pc as i64 + 1 + raw[pc].imm as i64;
                    if !(0..raw.len() as i64).contains(&target) {
                        return Err(link_err(format!(
                            "callback target {target} is outside the program"
                        )));
                    }
                    CALLBACK_TAG | target as u64
                }
                _ => continue,
            };
            raw[pc] = RawInsn::new(opcode::LDDW, raw[pc].dst, 0, 0, value as u32 as i32);
            raw[pc + 1] = RawInsn::new(0, 0, 0, 0, (value >> 32) as u32 as i32);
        }
        decode_program(&raw).map_err(|source| SessionError::Decode {
            program: name.into(),
            source,
        })
    }

    /// Prepares every program of the object (once): the interpreter holds them all, at their
    /// object indices, so a program array can name any of them as a tail-call target.
    fn prepare_all(&mut self) {
        if self.vm.is_some() || self.jit.is_some() {
            return;
        }
        let mut vm = Interpreter::empty(self.helpers.clone());
        vm.set_budget(self.budget);
        self.prepared.clear();
        for index in 0..self.object.programs.len() {
            let ok = self
                .linked_insns_of(index)
                .ok()
                .and_then(|insns| vm.add_program(&insns).ok())
                .is_some();
            if !ok {
                vm.add_unavailable();
            }
            self.prepared.push(ok);
        }
        self.vm = Some(vm);
    }

    /// Prepares the program called `name`, or says why it cannot be.
    fn prepare(&mut self, name: &str) -> Result<usize, SessionError> {
        let index = self.program_index(name)?;
        self.prepare_all();
        if self.prepared.get(index) != Some(&true) {
            let insns = self.linked_insns_of(index)?;
            return Err(match Interpreter::new(&insns, self.helpers.clone()) {
                Err(source) => SessionError::Prepare {
                    program: name.into(),
                    source,
                },
                Ok(_) => SessionError::NoSuchProgram {
                    name: name.into(),
                    available: Vec::new(),
                },
            });
        }
        Ok(index)
    }

    /// Moves the prepared programs to the chosen engine: compiles them (once) for the JIT,
    /// or gives the interpreter back.
    fn switch_engine(&mut self, name: &str) -> Result<(), SessionError> {
        match self.engine {
            Engine::Jit => {
                if let Some(vm) = self.vm.take() {
                    let jit = Jit::new(vm, self.jit_mode).map_err(|source| SessionError::Jit {
                        program: name.into(),
                        source,
                    })?;
                    self.jit = Some(jit);
                }
            }
            Engine::Interp => {
                if let Some(jit) = self.jit.take() {
                    self.vm = Some(jit.into_interpreter());
                }
            }
        }
        Ok(())
    }

    /// Runs a program `repeat` times (at least once) over `input`, as BPF_PROG_TEST_RUN
    /// does: the runs share one context and packet, and maps and the world carry over from
    /// run to run (and from call to call). `duration` is the average time of one run.
    pub fn run(
        &mut self,
        name: &str,
        input: &TestRunInput<'_>,
        repeat: u32,
    ) -> Result<RunResult, SessionError> {
        let index = self.prepare(name)?;
        self.switch_engine(name)?;
        let program = &self.object.programs[index];
        let prog_type = program.prog_type;
        let context_err = |source| SessionError::Context {
            program: name.into(),
            source,
        };
        let trace_before = self.world.trace.len();
        let repeat = repeat.max(1);
        let mut vm = match (self.vm.as_mut(), self.jit.as_mut()) {
            (Some(vm), _) => Runner::Interp(vm),
            (None, Some(jit)) => Runner::Jit(jit),
            (None, None) => {
                return Err(SessionError::NoSuchProgram {
                    name: name.into(),
                    available: Vec::new(),
                });
            }
        };
        // As BPF_PROG_TEST_RUN: one context and packet, the program run `repeat` times over
        // them (so what one run changes, the next one sees), the time taken by the runs only.
        let mut run = TestRun::new(prog_type, input).map_err(context_err)?;
        let args = run.args();
        let (outcome, elapsed) = {
            let mut env = run.env();
            env.world = std::mem::take(&mut self.world);
            env.attach_maps(&mut self.maps);
            let started = Instant::now();
            let outcome = vm.run_repeated(index, &mut env, args, repeat);
            let elapsed = started.elapsed();
            self.world = std::mem::take(&mut env.world);
            (outcome, elapsed)
        };
        let outcome = outcome.map_err(|source| SessionError::Run {
            program: name.into(),
            line: source
                .pc()
                .and_then(|pc| program.source_line(pc))
                .map(|l| Box::new(l.clone())),
            source: Box::new(source),
        })?;
        let output = run.finish(outcome.r0).map_err(context_err)?;
        Ok(RunResult {
            output,
            r0: outcome.r0,
            insns: outcome.insns,
            duration: elapsed / repeat,
            trace: self.world.trace[trace_before..].to_vec(),
        })
    }
}

/// The engine a run uses.
enum Runner<'a> {
    Interp(&'a mut Interpreter),
    Jit(&'a mut Jit),
}

impl Runner<'_> {
    fn run_program(
        &mut self,
        index: usize,
        env: &mut crate::vm::Env<'_>,
        args: [u64; 5],
    ) -> Result<crate::vm::Outcome, VmError> {
        match self {
            Runner::Interp(vm) => vm.run_program(index, env, args),
            Runner::Jit(jit) => jit.run_program(index, env, args),
        }
    }

    /// Runs the program `repeat` times (at least once), stopping at the first error; the
    /// last outcome. The loop keeps only the small `Outcome` of each run, not a `Result`
    /// as large as an error.
    fn run_repeated(
        &mut self,
        index: usize,
        env: &mut crate::vm::Env<'_>,
        args: [u64; 5],
        repeat: u32,
    ) -> Result<crate::vm::Outcome, VmError> {
        let mut last = self.run_program(index, env, args)?;
        for _ in 1..repeat {
            last = self.run_program(index, env, args)?;
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::MapOrigin;

    fn def(name: &str, map_type: MapType, key_size: u32, value_size: u32) -> MapDef {
        MapDef {
            name: name.into(),
            map_type,
            key_size,
            value_size,
            max_entries: 4096,
            map_flags: 0,
            inner: None,
            initial: Vec::new(),
            read_only: false,
            origin: MapOrigin::Btf,
        }
    }

    #[test]
    fn a_ring_buffer_with_a_value_type_is_fixed_and_said_to_fail_in_libbpf() {
        let mut defs = [
            def("events", MapType::RingBuf, 0, 20),
            def("plain", MapType::RingBuf, 0, 0),
            def("perf", MapType::PerfEventArray, 0, 0),
        ];
        let notes = loader_fixups(&mut defs, 2);
        assert_eq!((defs[0].key_size, defs[0].value_size), (0, 0));
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("map events: key/value/max_entries 0/20/4096 -> 0/0/4096"));
        assert!(
            notes[0].contains("libbpf would not load this map"),
            "{}",
            notes[0]
        );
        assert!(!notes[1].contains("libbpf"), "{}", notes[1]);
    }
}
