//! A structure-aware program generator: turns arbitrary bytes into a mostly-valid BPF
//! program with maps and an input packet, for fuzzers (`fuzz/`: the verifier's soundness
//! oracle and interpreter-vs-JIT), property tests and the kernel differential check.
//!
//! Random bytes alone make programs the verifier refuses at the first instruction. This
//! generator instead builds programs out of *blocks* that real programs are made of: moves
//! and ALU on scalars, stack spills and fills, map lookups with (sometimes missing) null
//! checks, packet accesses behind (sometimes too short) bounds checks, context loads,
//! forward branches over the next block, bounded loops and helper calls. Each block draws
//! its registers, offsets and sizes from the bytes, usually inside the rules the kernel
//! enforces and sometimes just outside them, so both sides of each rule get exercised.
//! The same bytes always give the same program.

use crate::insn::RawInsn;
use crate::maps::{MapDef, MapOrigin, MapType};
use crate::progtype::ProgType;

/// What the generator made: a program for `prog_type` whose `lddw` map references index
/// `maps` (`BPF_PSEUDO_MAP_IDX`), and a packet to run it on.
#[derive(Clone, Debug)]
pub struct Generated {
    pub prog_type: ProgType,
    pub insns: Vec<RawInsn>,
    pub maps: Vec<MapDef>,
    pub packet: Vec<u8>,
}

/// Reads choices from the fuzzer's bytes; zeros once they run out.
pub struct ByteSource<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> ByteSource<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        ByteSource { bytes, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        if n <= 256 {
            u32::from(self.u8()) % n
        } else {
            self.u32() % n
        }
    }

    /// True with probability about `percent`/100.
    pub fn chance(&mut self, percent: u8) -> bool {
        self.u8() % 100 < percent
    }

    /// One of `items` (not empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

const BPF_LD: u8 = 0x00;
const BPF_LDX: u8 = 0x01;
const BPF_ST: u8 = 0x02;
const BPF_STX: u8 = 0x03;
const BPF_ALU: u8 = 0x04;
const BPF_JMP: u8 = 0x05;
const BPF_JMP32: u8 = 0x06;
const BPF_ALU64: u8 = 0x07;
const BPF_MEM: u8 = 0x60;
const BPF_X: u8 = 0x08;
const SIZE_W: u8 = 0x00;
const SIZES: [u8; 4] = [0x18, SIZE_W, 0x08, 0x10]; // dw, w, h, b
const SIZE_BYTES: [i16; 4] = [8, 4, 2, 1];
const ALU_OPS: [u8; 12] = [
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0,
];
const JMP_OPS: [u8; 11] = [
    0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0,
];
/// Registers blocks compute with (R6 keeps the context, R7/R8 the packet bounds).
const SCRATCH: [u8; 7] = [0, 1, 2, 3, 4, 5, 9];
const PSEUDO_MAP_IDX: u8 = 5;
const FUNC_MAP_LOOKUP: i32 = 1;
const FUNC_KTIME_GET_NS: i32 = 5;
const FUNC_GET_PRANDOM_U32: i32 = 7;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> RawInsn {
    RawInsn::new(code, dst, src, off, imm)
}

fn mov_imm(dst: u8, imm: i32) -> RawInsn {
    insn(BPF_ALU64 | 0xb0, dst, 0, 0, imm)
}

fn mov_reg(dst: u8, src: u8) -> RawInsn {
    insn(BPF_ALU64 | 0xb0 | BPF_X, dst, src, 0, 0)
}

fn add_imm(dst: u8, imm: i32) -> RawInsn {
    insn(BPF_ALU64, dst, 0, 0, imm)
}

fn call(id: i32) -> RawInsn {
    insn(BPF_JMP | 0x80, 0, 0, 0, id)
}

fn lddw_map(dst: u8, map: i32) -> [RawInsn; 2] {
    [
        insn(BPF_LD | 0x18, dst, PSEUDO_MAP_IDX, 0, map),
        insn(0, 0, 0, 0, 0),
    ]
}

/// Which packet-bounds registers the program type can load from its context, and where.
fn packet_fields(t: ProgType) -> Option<(i16, i16)> {
    match t {
        ProgType::Xdp => Some((0, 4)),
        ProgType::SchedCls | ProgType::SchedAct => Some((76, 80)),
        _ => None,
    }
}

/// Makes a program from `bytes`.
pub fn generate(bytes: &[u8]) -> Generated {
    generate_with(bytes, true)
}

/// Makes a program from `bytes`; with `pointer_values` false, ALU operations, stores and
/// comparisons only take scalar registers, so what the program computes does not depend
/// on where its context, stack and maps lie in memory (pointers stay load/store bases).
pub fn generate_with(bytes: &[u8], pointer_values: bool) -> Generated {
    let mut src = ByteSource::new(bytes);
    let prog_type = src.pick(&[
        ProgType::Xdp,
        ProgType::SchedCls,
        ProgType::SocketFilter,
        ProgType::Kprobe,
    ]);
    let value_size = src.pick(&[4u32, 8, 16, 48]);
    let maps = vec![
        MapDef {
            name: "array".into(),
            map_type: MapType::Array,
            key_size: 4,
            value_size,
            max_entries: 1 + src.below(8),
            map_flags: 0,
            inner: None,
            initial: Vec::new(),
            read_only: false,
            origin: MapOrigin::User,
        },
        MapDef {
            name: "hash".into(),
            map_type: MapType::Hash,
            key_size: 8,
            value_size,
            max_entries: 16,
            map_flags: 0,
            inner: None,
            initial: Vec::new(),
            read_only: false,
            origin: MapOrigin::User,
        },
    ];
    let mut g = Gen {
        src,
        prog_type,
        value_size: value_size as i16,
        has_packet: false,
        pointer_values,
    };
    let mut insns = vec![mov_reg(6, 1)];
    if let Some((data, end)) = packet_fields(prog_type) {
        g.has_packet = true;
        insns.push(insn(BPF_LDX | BPF_MEM | SIZE_W, 7, 6, data, 0));
        insns.push(insn(BPF_LDX | BPF_MEM | SIZE_W, 8, 6, end, 0));
    }
    // Scalars start known, as the kernel wants them initialised before use.
    for &r in &SCRATCH {
        if g.src.chance(80) {
            insns.push(mov_imm(r, i32::from(g.src.u8())));
        }
    }
    let nblocks = 1 + g.src.below(12);
    let mut blocks: Vec<Vec<RawInsn>> = Vec::new();
    for _ in 0..nblocks {
        if g.src.is_empty() {
            break;
        }
        blocks.push(g.block());
    }
    // Forward branches jump over the block after them: patch the offsets now.
    for i in 0..blocks.len() {
        let skip = blocks.get(i + 1).map_or(0, Vec::len) as i16;
        if let Some(last) = blocks[i].last_mut()
            && matches!(last.code & 0x07, BPF_JMP | BPF_JMP32)
            && last.off == i16::MIN
        {
            last.off = skip;
        }
    }
    insns.extend(blocks.into_iter().flatten());
    if g.src.chance(85) {
        insns.push(mov_imm(0, g.return_value()));
    }
    insns.push(insn(BPF_JMP | 0x90, 0, 0, 0, 0));
    let len = 14 + g.src.below(100) as usize;
    let packet = (0..len).map(|_| g.src.u8()).collect();
    Generated {
        prog_type,
        insns,
        maps,
        packet,
    }
}

struct Gen<'a> {
    src: ByteSource<'a>,
    prog_type: ProgType,
    value_size: i16,
    has_packet: bool,
    pointer_values: bool,
}

impl Gen<'_> {
    fn reg(&mut self) -> u8 {
        // Mostly scalars; now and then a pointer register, for pointer arithmetic rules.
        if !self.pointer_values || self.src.chance(90) {
            self.src.pick(&SCRATCH)
        } else {
            self.src.pick(&[6, 7, 8, 10])
        }
    }

    fn return_value(&mut self) -> i32 {
        match self.prog_type {
            ProgType::Xdp => self.src.below(5) as i32,
            ProgType::SchedCls => self.src.pick(&[0, 2, -1, 7]),
            _ => i32::from(self.src.u8()),
        }
    }

    /// A stack offset: mostly aligned and inside the 512-byte frame.
    fn stack_off(&mut self, size: i16) -> i16 {
        if self.src.chance(90) {
            let slots = (512 / size) as u32;
            -(size * (1 + self.src.below(slots.min(16)) as i16))
        } else {
            -(self.src.below(530) as i16) + 4
        }
    }

    fn size(&mut self) -> usize {
        self.src.below(4) as usize
    }

    fn block(&mut self) -> Vec<RawInsn> {
        match self.src.below(11) {
            0 => vec![mov_imm(self.reg(), self.src.u32() as i32)],
            1 | 2 => self.alu(),
            3 => self.stack_store(),
            4 => self.stack_load(),
            5 => self.map_lookup(),
            6 if self.has_packet => self.packet_access(),
            7 => self.branch(),
            8 => vec![call(
                self.src.pick(&[FUNC_KTIME_GET_NS, FUNC_GET_PRANDOM_U32]),
            )],
            9 => self.ctx_load(),
            _ => self.bounded_loop(),
        }
    }

    fn alu(&mut self) -> Vec<RawInsn> {
        let class = if self.src.chance(60) {
            BPF_ALU64
        } else {
            BPF_ALU
        };
        let op = self.src.pick(&ALU_OPS);
        let dst = self.reg();
        if self.src.chance(50) {
            let imm = match op {
                0x60 | 0x70 | 0xc0 => self.src.below(64) as i32,
                _ if self.src.chance(70) => i32::from(self.src.u8() as i8),
                _ => self.src.u32() as i32,
            };
            vec![insn(class | op, dst, 0, 0, imm)]
        } else {
            vec![insn(class | op | BPF_X, dst, self.reg(), 0, 0)]
        }
    }

    fn stack_store(&mut self) -> Vec<RawInsn> {
        let s = self.size();
        let off = self.stack_off(SIZE_BYTES[s]);
        if self.src.chance(50) {
            vec![insn(
                BPF_ST | BPF_MEM | SIZES[s],
                10,
                0,
                off,
                self.src.u8() as i32,
            )]
        } else {
            let r = self.reg();
            vec![insn(BPF_STX | BPF_MEM | SIZES[s], 10, r, off, 0)]
        }
    }

    fn stack_load(&mut self) -> Vec<RawInsn> {
        let s = self.size();
        let off = self.stack_off(SIZE_BYTES[s]);
        vec![insn(
            BPF_LDX | BPF_MEM | SIZES[s],
            self.src.pick(&SCRATCH),
            10,
            off,
            0,
        )]
    }

    /// `key` on the stack, `r0 = bpf_map_lookup_elem(map, &key)`, a null check (usually),
    /// then a load or store at an offset in the value (usually inside it), maybe through a
    /// variable offset masked to the value size.
    fn map_lookup(&mut self) -> Vec<RawInsn> {
        let map = self.src.below(2) as i32;
        let key_size: i16 = if map == 0 { 4 } else { 8 };
        let mut v = vec![insn(
            BPF_ST | BPF_MEM | if key_size == 4 { SIZE_W } else { 0x18 },
            10,
            0,
            -key_size,
            self.src.below(10) as i32,
        )];
        v.extend(lddw_map(1, map));
        v.push(mov_reg(2, 10));
        v.push(add_imm(2, -i32::from(key_size)));
        v.push(call(FUNC_MAP_LOOKUP));
        let mut access = Vec::new();
        if self.src.chance(30) {
            // A variable offset: r1 = scalar & mask; r0 += r1.
            let mask = self.src.pick(&[3, 7, 15, 63, 255]);
            access.push(mov_reg(1, self.src.pick(&SCRATCH)));
            access.push(insn(BPF_ALU64 | 0x50, 1, 0, 0, mask));
            access.push(insn(BPF_ALU64 | BPF_X, 0, 1, 0, 0));
        }
        let s = self.size();
        let width = SIZE_BYTES[s];
        let off = if self.src.chance(85) {
            self.src.below((self.value_size - width + 1).max(1) as u32) as i16
        } else {
            self.src.below(self.value_size as u32 + 9) as i16 - 4
        };
        if self.src.chance(50) {
            access.push(insn(BPF_LDX | BPF_MEM | SIZES[s], 3, 0, off, 0));
        } else {
            access.push(insn(BPF_ST | BPF_MEM | SIZES[s], 0, 0, off, 1));
        }
        if self.src.chance(90) {
            v.push(insn(BPF_JMP | 0x10, 0, 0, access.len() as i16, 0));
        }
        v.extend(access);
        v.push(mov_imm(0, 0));
        v
    }

    /// `r2 = data + n; if r2 > data_end goto +1; load at data + m` with m + size usually
    /// within n.
    fn packet_access(&mut self) -> Vec<RawInsn> {
        let n = 1 + self.src.below(64) as i32;
        let s = self.size();
        let width = SIZE_BYTES[s] as i32;
        let off = if self.src.chance(85) {
            self.src.below((n - width + 1).max(1) as u32) as i16
        } else {
            self.src.below(n as u32 + 8) as i16
        };
        let load = if self.src.chance(70) {
            insn(BPF_LDX | BPF_MEM | SIZES[s], 3, 7, off, 0)
        } else {
            insn(BPF_ST | BPF_MEM | SIZES[s], 7, 0, off, 0x55)
        };
        let cond = self.src.pick(&[0x20u8, 0x30, 0xa0]); // jgt, jge, jlt (reversed below)
        let check = if cond == 0xa0 {
            insn(BPF_JMP | 0xa0 | BPF_X, 8, 2, 1, 0)
        } else {
            insn(BPF_JMP | cond | BPF_X, 2, 8, 1, 0)
        };
        vec![mov_reg(2, 7), add_imm(2, n), check, load]
    }

    /// A conditional jump over the next block (its offset, `i16::MIN` until then, patched by
    /// [`generate`]).
    fn branch(&mut self) -> Vec<RawInsn> {
        let class = if self.src.chance(70) {
            BPF_JMP
        } else {
            BPF_JMP32
        };
        let op = self.src.pick(&JMP_OPS);
        let dst = self.reg();
        let j = if self.src.chance(60) {
            insn(class | op, dst, 0, i16::MIN, i32::from(self.src.u8() as i8))
        } else {
            insn(class | op | BPF_X, dst, self.reg(), i16::MIN, 0)
        };
        vec![j]
    }

    fn ctx_load(&mut self) -> Vec<RawInsn> {
        let s = self.src.pick(&[1usize, 1, 0, 2, 3]);
        let off = if self.src.chance(80) {
            (self.src.below(48) as i16) * SIZE_BYTES[s]
        } else {
            self.src.below(256) as i16
        };
        vec![insn(
            BPF_LDX | BPF_MEM | SIZES[s],
            self.src.pick(&SCRATCH),
            6,
            off,
            0,
        )]
    }

    /// `r9 = n; loop: body; r9 -= 1; if r9 != 0 goto loop` (sometimes without the
    /// decrement, an endless loop the verifier must refuse).
    fn bounded_loop(&mut self) -> Vec<RawInsn> {
        let n = 1 + self.src.below(20) as i32;
        let mut v = vec![mov_imm(9, n)];
        let body = self.alu();
        let decrement = self.src.chance(95);
        let body_len = body.len() + usize::from(decrement);
        v.extend(body);
        if decrement {
            v.push(add_imm(9, -1));
        }
        v.push(insn(BPF_JMP | 0x50, 9, 0, -(body_len as i16 + 1), 0));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::decode_program;

    fn bytes(seed: u32, len: u32) -> Vec<u8> {
        (0..len)
            .map(|i| {
                (i.wrapping_mul(2654435761)
                    .wrapping_add(seed.wrapping_mul(40503))
                    >> 11) as u8
            })
            .collect()
    }

    #[test]
    fn generated_programs_run_alike_on_the_interpreter_and_the_jit() {
        for seed in 0..300 {
            if let Err(m) = check_engines(&bytes(seed, 160)) {
                panic!("seed {seed}: {m}");
            }
        }
    }

    #[test]
    fn a_returned_pointer_is_not_an_engine_difference() {
        // Found by the jit_vs_interp fuzz target: a verified XDP program returns
        // `ctx->data`, the packet's address, which differs between the engines' sessions.
        let input = [
            180, 61, 1, 0, 0, 250, 255, 255, 255, 180, 33, 1, 0, 0, 0, 0, 0, 86, 1, 6, 0, 252, 91,
            255, 9, 0, 0, 0, 0, 0, 243, 255, 255, 255, 180, 4, 0, 0, 0, 188, 196, 0, 0, 0, 255, 0,
            0, 0, 5, 0, 86, 3, 2, 0, 0, 0, 0, 0, 183, 0, 0, 0, 1, 0, 0, 0, 149, 0, 0, 0, 0, 0, 0,
            0, 183, 0, 0, 0, 0, 0, 0, 0, 183, 0, 0, 0, 0, 0, 0, 0, 149, 0, 0, 250, 0, 0, 0, 0,
        ];
        if let Err(m) = check_engines(&input) {
            panic!("{m}");
        }
    }

    #[test]
    fn accepted_generated_programs_run_without_faults() {
        for seed in 0..300 {
            if let Err(bug) = check_soundness(&bytes(seed, 160)) {
                panic!("seed {seed}: {bug}");
            }
        }
    }

    #[test]
    #[ignore = "a survey: prints the soundness bugs found in 3,000 generated programs"]
    fn soundness_survey() {
        let (mut accepted, mut bugs) = (0, 0);
        let mut kinds = std::collections::BTreeMap::new();
        for seed in 0..3000 {
            match check_soundness(&bytes(seed, 160)) {
                Ok(Verdict::AcceptedAndRan) => accepted += 1,
                Ok(Verdict::Rejected) => {}
                Err(bug) => {
                    bugs += 1;
                    // The error without its instruction number and addresses.
                    let kind: String = bug
                        .error
                        .rsplit(": ")
                        .next()
                        .unwrap_or_default()
                        .chars()
                        .filter(|c| !c.is_ascii_digit())
                        .collect();
                    let n = kinds.entry(kind).or_insert(0);
                    *n += 1;
                    if *n == 1 {
                        println!("seed {seed}: {bug}");
                    }
                }
            }
        }
        println!("{kinds:#?}");
        println!("accepted and ran: {accepted}, soundness bugs: {bugs}");
    }

    #[test]
    fn the_same_bytes_give_the_same_program_and_programs_decode() {
        for seed in 0u32..500 {
            let bytes: Vec<u8> = (0..200u32)
                .map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed * 7919) >> 13) as u8)
                .collect();
            let a = generate(&bytes);
            let b = generate(&bytes);
            assert_eq!(a.insns, b.insns);
            assert!(
                decode_program(&a.insns).is_ok(),
                "seed {seed}: {:?}",
                a.insns
            );
            assert!(a.insns.last().is_some_and(|i| i.code == 0x95));
        }
    }
}

/// The instruction budget of one run in [`check_soundness`].
pub const SOUNDNESS_BUDGET: u64 = 1_000_000;

/// What [`check_soundness`] found wrong: the verifier accepted a program that then failed
/// as it ran (a bad access, a budget overrun, a helper misuse), which Linux's guarantees
/// forbid.
#[derive(Debug)]
pub struct SoundnessBug {
    pub generated: Generated,
    pub error: String,
}

impl std::fmt::Display for SoundnessBug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "the verifier accepted this {} program, which then failed: {}",
            self.generated.prog_type.name(),
            self.error
        )?;
        let bytes: Vec<u8> = self
            .generated
            .insns
            .iter()
            .flat_map(|i| i.to_bytes())
            .collect();
        match crate::insn::disasm::disassemble(&bytes) {
            Ok(text) => f.write_str(&text),
            Err(e) => write!(f, "  (does not decode: {e})"),
        }
    }
}

/// What happened to one generated program in [`check_soundness`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The verifier refused it.
    Rejected,
    /// Accepted, and it ran to its exit.
    AcceptedAndRan,
}

/// The soundness oracle: generates a program from `bytes`, verifies it, and when the
/// verifier accepts it, runs it in the interpreter (every access checked) on the generated
/// packet. An accepted program that fails as it runs is a verifier soundness bug.
pub fn check_soundness(bytes: &[u8]) -> Result<Verdict, Box<SoundnessBug>> {
    use crate::maps::MapSetConfig;
    use crate::object::{Object, Program};
    use crate::progtype::TestRunInput;
    use crate::session::{Session, SessionError};
    use crate::verifier::{MapRefs, PreflightOptions, verify};

    let generated = generate(bytes);
    let program = Program::from_insns("generated", generated.prog_type, generated.insns.clone());
    let options = PreflightOptions {
        maps: MapRefs::Object(&generated.maps),
        ..PreflightOptions::default()
    };
    if verify(&program, &options).result.is_err() {
        return Ok(Verdict::Rejected);
    }
    let bug = |error: String| {
        Box::new(SoundnessBug {
            generated: generated.clone(),
            error,
        })
    };
    let object = Object::from_program(program, generated.maps.clone());
    let config = MapSetConfig {
        max_memory: 1 << 24,
        ..MapSetConfig::default()
    };
    let mut session = Session::new(object, config).map_err(|e| bug(e.to_string()))?;
    // Far beyond what a verified program of this size runs; a runaway one stops quickly.
    session.set_budget(SOUNDNESS_BUDGET);
    match session.run("generated", &TestRunInput::new(&generated.packet), 1) {
        Ok(_) => Ok(Verdict::AcceptedAndRan),
        Err(e @ SessionError::Run { .. }) => Err(bug(e.to_string())),
        // The test run refused the input (e.g. a packet too short for the type): not the
        // verifier's business.
        Err(SessionError::Context { .. }) => Ok(Verdict::AcceptedAndRan),
        Err(e) => Err(bug(e.to_string())),
    }
}

/// What [`check_engines`] found: the interpreter and the JIT disagreed on a program.
#[derive(Debug)]
pub struct EngineMismatch {
    pub generated: Generated,
    /// What each engine gave, as text (result, packet, maps).
    pub interp: String,
    pub jit: String,
}

impl std::fmt::Display for EngineMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "interpreter and JIT disagree on this {} program:\n  interp: {}\n  jit:    {}",
            self.generated.prog_type.name(),
            self.interp,
            self.jit
        )
    }
}

/// r0 as text; a value in the range of host user-space addresses (2^44 to 2^47) as
/// `pointer`: a verified program may return a pointer (root may leak one, e.g. XDP's
/// `ctx->data`), and each engine's session puts its packet elsewhere.
fn r0_text(r0: u64) -> String {
    if (1u64 << 44..1u64 << 47).contains(&r0) {
        "pointer".into()
    } else {
        format!("{r0:#x}")
    }
}

/// Runs a generated program on one engine and describes everything it produced: the
/// result (or error), the packet, the instructions counted, and every map's contents.
fn run_on(
    generated: &Generated,
    engine: crate::engine::Engine,
    mode: crate::jit::JitMode,
) -> String {
    use crate::maps::MapSetConfig;
    use crate::object::{Object, Program};
    use crate::progtype::TestRunInput;
    use crate::session::{Session, SessionError};

    let program = Program::from_insns("generated", generated.prog_type, generated.insns.clone());
    let object = Object::from_program(program, generated.maps.clone());
    let config = MapSetConfig {
        max_memory: 1 << 24,
        ..MapSetConfig::default()
    };
    let mut session = match Session::new(object, config) {
        Ok(s) => s,
        Err(e) => return format!("session: {e}"),
    };
    session.set_budget(SOUNDNESS_BUDGET);
    session.set_engine(engine);
    session.set_jit_mode(mode);
    let mut out = match session.run("generated", &TestRunInput::new(&generated.packet), 1) {
        Ok(r) => format!(
            "r0={} insns={} packet={:02x?}",
            r0_text(r.r0),
            r.insns,
            r.output.data_out
        ),
        // The kind of fault and where, not its text: the text names host addresses, which
        // differ between sessions.
        Err(SessionError::Run { source, .. }) => format!(
            "error: {:?} at {:?}",
            std::mem::discriminant(&*source),
            source.pc()
        ),
        Err(e) => format!("error: {e}"),
    };
    for i in 0..session.maps().len() {
        if let Some(map) = session.maps().get(i) {
            let mut entries = map.entries();
            entries.sort();
            out += &format!(" {}={entries:02x?}", map.name());
        }
    }
    out
}

/// The interpreter-vs-JIT oracle: a generated program that bpfsim's verifier accepts runs
/// on the interpreter, on the JIT in checked mode and on the JIT in verified mode (no checks
/// on proven accesses), each over the same packet and fresh maps. Any difference in r0,
/// packet, maps, instruction count or fault is a bug.
///
/// Only verified programs, generated without pointer values: each engine runs in its own
/// session, so a program that computes with addresses, or reads R1–R5 after a helper call
/// (left undefined), may rightly differ. Unverified programs are compared on one shared
/// memory by `tests/jit_differential.rs`.
pub fn check_engines(bytes: &[u8]) -> Result<(), Box<EngineMismatch>> {
    use crate::engine::Engine;
    use crate::jit::JitMode;
    use crate::object::Program;
    use crate::verifier::{MapRefs, PreflightOptions, verify};

    let generated = generate_with(bytes, false);
    let program = Program::from_insns("generated", generated.prog_type, generated.insns.clone());
    let options = PreflightOptions {
        maps: MapRefs::Object(&generated.maps),
        ..PreflightOptions::default()
    };
    if verify(&program, &options).result.is_err() {
        return Ok(());
    }
    let interp = run_on(&generated, Engine::Interp, JitMode::Checked);
    let mismatch = |jit: String| {
        Box::new(EngineMismatch {
            generated: generated.clone(),
            interp: interp.clone(),
            jit,
        })
    };
    let checked = run_on(&generated, Engine::Jit, JitMode::Checked);
    if checked != interp {
        return Err(mismatch(checked));
    }
    let verified = run_on(&generated, Engine::Jit, JitMode::Verified);
    if verified != interp {
        return Err(mismatch(format!("(verified mode) {verified}")));
    }
    Ok(())
}
