//! Property tests tying decoding, encoding, the disassembler and the assembler together:
//! typed instructions survive encode → disassemble → assemble; any bytes decode or fail
//! without panicking and re-encode exactly when they decode; the assembler returns `Ok` or
//! `Err` on any text.

use bpfsim::insn::asm::{assemble, assemble_bytes};
use bpfsim::insn::disasm::{disassemble, insn_text};
use bpfsim::insn::{
    AluOp, AtomicOp, ByteOrder, CallTarget, Insn, JmpCond, Ld64Kind, RawInsn, Reg, Size, Source,
    Width, decode_program, encode, encode_program,
};
use proptest::prelude::*;

fn reg() -> impl Strategy<Value = Reg> {
    (0u8..=10).prop_map(|n| Reg::new(n).expect("r0..r10"))
}

fn width() -> impl Strategy<Value = Width> {
    prop_oneof![Just(Width::W32), Just(Width::W64)]
}

/// Immediates with the edge cases over-represented.
fn imm() -> impl Strategy<Value = i32> {
    prop_oneof![
        any::<i32>(),
        Just(0),
        Just(-1),
        Just(i32::MIN),
        Just(i32::MAX),
        -16i32..16,
    ]
}

fn off16() -> impl Strategy<Value = i16> {
    prop_oneof![any::<i16>(), Just(i16::MIN), Just(i16::MAX), -4i16..4]
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![reg().prop_map(Source::Reg), imm().prop_map(Source::Imm)]
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![Just(Size::B), Just(Size::H), Just(Size::W), Just(Size::DW)]
}

fn small_size() -> impl Strategy<Value = Size> {
    prop_oneof![Just(Size::B), Just(Size::H), Just(Size::W)]
}

fn alu() -> impl Strategy<Value = Insn> {
    let plain = prop_oneof![
        Just(AluOp::Add),
        Just(AluOp::Sub),
        Just(AluOp::Mul),
        Just(AluOp::Div),
        Just(AluOp::SDiv),
        Just(AluOp::Or),
        Just(AluOp::And),
        Just(AluOp::Lsh),
        Just(AluOp::Rsh),
        Just(AluOp::Mod),
        Just(AluOp::SMod),
        Just(AluOp::Xor),
        Just(AluOp::Mov),
        Just(AluOp::Arsh),
    ];
    let ops = (width(), plain, reg(), source()).prop_map(|(width, op, dst, src)| Insn::Alu {
        width,
        op,
        dst,
        src,
    });
    let movsx = (
        width(),
        prop_oneof![Just(8u8), Just(16), Just(32)],
        reg(),
        reg(),
    )
        .prop_map(|(width, bits, dst, src)| Insn::Alu {
            // movsx32 exists only in ALU64.
            width: if bits == 32 { Width::W64 } else { width },
            op: AluOp::MovSx(bits),
            dst,
            src: Source::Reg(src),
        });
    prop_oneof![4 => ops, 1 => movsx]
}

fn cond() -> impl Strategy<Value = JmpCond> {
    prop_oneof![
        Just(JmpCond::Eq),
        Just(JmpCond::Gt),
        Just(JmpCond::Ge),
        Just(JmpCond::Set),
        Just(JmpCond::Ne),
        Just(JmpCond::Sgt),
        Just(JmpCond::Sge),
        Just(JmpCond::Lt),
        Just(JmpCond::Le),
        Just(JmpCond::Slt),
        Just(JmpCond::Sle),
    ]
}

fn ld64_kind() -> impl Strategy<Value = Ld64Kind> {
    prop_oneof![
        4 => Just(Ld64Kind::Imm),
        1 => Just(Ld64Kind::MapFd),
        1 => Just(Ld64Kind::MapValue),
        1 => Just(Ld64Kind::BtfId),
        1 => Just(Ld64Kind::Func),
        1 => Just(Ld64Kind::MapIdx),
        1 => Just(Ld64Kind::MapIdxValue),
    ]
}

fn atomic() -> impl Strategy<Value = Insn> {
    let op = prop_oneof![
        Just((AtomicOp::Add, false)),
        Just((AtomicOp::Add, true)),
        Just((AtomicOp::Or, false)),
        Just((AtomicOp::Or, true)),
        Just((AtomicOp::And, false)),
        Just((AtomicOp::And, true)),
        Just((AtomicOp::Xor, false)),
        Just((AtomicOp::Xor, true)),
        Just((AtomicOp::Xchg, true)),
        Just((AtomicOp::CmpXchg, true)),
    ];
    (
        prop_oneof![Just(Size::W), Just(Size::DW)],
        op,
        reg(),
        reg(),
        off16(),
    )
        .prop_map(|(size, (op, fetch), dst, src, off)| Insn::Atomic {
            size,
            op,
            fetch,
            dst,
            src,
            off,
        })
}

/// Any valid instruction (never the `lddw` tail, which is not an instruction of its own).
fn insn() -> impl Strategy<Value = Insn> {
    prop_oneof![
        6 => alu(),
        1 => (width(), reg()).prop_map(|(width, dst)| Insn::Neg { width, dst }),
        1 => (
            prop_oneof![Just(ByteOrder::ToLe), Just(ByteOrder::ToBe), Just(ByteOrder::Swap)],
            prop_oneof![Just(16u8), Just(32), Just(64)],
            reg(),
        )
            .prop_map(|(order, bits, dst)| Insn::Endian { order, bits, dst }),
        2 => (ld64_kind(), reg(), imm(), imm()).prop_map(|(kind, dst, imm, next_imm)| {
            // Map fd/idx loads have no value offset (Linux refuses a non-zero one).
            let next_imm = match kind {
                Ld64Kind::MapFd | Ld64Kind::MapIdx => 0,
                _ => next_imm,
            };
            Insn::Ld64 { kind, dst, imm, next_imm }
        }),
        2 => (size(), reg(), reg(), off16()).prop_map(|(size, dst, src, off)| Insn::Load {
            size,
            sign_extend: false,
            dst,
            src,
            off,
        }),
        1 => (small_size(), reg(), reg(), off16()).prop_map(|(size, dst, src, off)| {
            Insn::Load { size, sign_extend: true, dst, src, off }
        }),
        2 => (size(), reg(), off16(), source()).prop_map(|(size, dst, off, src)| {
            Insn::Store { size, dst, off, src }
        }),
        2 => atomic(),
        1 => (small_size(), imm()).prop_map(|(size, imm)| Insn::LdAbs { size, imm }),
        1 => (small_size(), reg(), imm()).prop_map(|(size, src, imm)| Insn::LdInd {
            size,
            src,
            imm
        }),
        1 => off16().prop_map(|off| Insn::Ja { off: off as i32, long: false }),
        1 => imm().prop_map(|off| Insn::Ja { off, long: true }),
        3 => (width(), cond(), reg(), source(), off16()).prop_map(
            |(width, cond, dst, src, off)| Insn::Jump { width, cond, dst, src, off }
        ),
        1 => off16().prop_map(|off| Insn::MayGoto { off }),
        1 => imm().prop_map(|id| Insn::Call(CallTarget::Helper(id))),
        1 => imm().prop_map(|off| Insn::Call(CallTarget::Local(off))),
        1 => (imm(), off16()).prop_map(|(btf_id, module)| {
            Insn::Call(CallTarget::Kfunc { btf_id, module })
        }),
        1 => reg().prop_map(|reg| Insn::CallX { reg }),
        1 => Just(Insn::Exit),
    ]
}

fn to_bytes(slots: &[RawInsn]) -> Vec<u8> {
    slots.iter().flat_map(|s| s.to_bytes()).collect()
}

/// Opcodes worth hitting when generating raw slots: every valid one plus some invalid ones.
fn opcode() -> impl Strategy<Value = u8> {
    let mut codes: Vec<u8> = Vec::new();
    for class in [0x04u8, 0x07, 0x05, 0x06] {
        for op in (0x00u8..=0xf0).step_by(0x10) {
            codes.push(class | op);
            codes.push(class | op | 0x08);
        }
    }
    codes.extend([
        0x18, 0x20, 0x28, 0x30, 0x38, 0x40, 0x48, 0x50, 0x58, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89,
        0x91, 0x99, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xcb, 0xd3, 0xdb, 0x00,
    ]);
    prop_oneof![4 => proptest::sample::select(codes), 1 => any::<u8>()]
}

/// Raw slots that are valid or nearly so (the fields mostly zero or meaningful).
fn raw_slot() -> impl Strategy<Value = RawInsn> {
    (
        opcode(),
        prop_oneof![3 => 0u8..=10, 1 => 0u8..=15],
        prop_oneof![3 => Just(0u8), 2 => 0u8..=10, 1 => 0u8..=15],
        prop_oneof![3 => Just(0i16), 1 => Just(1i16), 1 => Just(8i16), 1 => Just(16i16), 2 => any::<i16>()],
        prop_oneof![
            2 => Just(0i32),
            1 => Just(16i32),
            1 => Just(32i32),
            1 => Just(64i32),
            1 => proptest::sample::select(vec![0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]),
            2 => any::<i32>(),
        ],
    )
        .prop_map(|(code, dst, src, off, imm)| RawInsn::new(code, dst, src, off, imm))
}

/// Valid lines in both syntaxes, to mutate.
const SEED_LINES: &[&str] = &[
    "mov32 %r0, 1",
    "lddw %r0, 0x1122334455667788",
    "stxdw [%r10-8], %r0",
    "ldxb %r9, [%r0+0x1]",
    "lock fetch add32 [%r10-8], %r1",
    "lock cmpxchg [%r10-8], %r1",
    "movsx864 %r0, %r1",
    "be16 %r0",
    "ja32 L2",
    "jne %r0, %r1, exit",
    "call local func1",
    "call %r2",
    "L2: exit",
    "r0 = *(u32 *)(r1 + 0x4)",
    "if r1 > r7 goto +0x4",
    "w0 = w1",
    "r0 = 0x1122334455667788 ll",
    "lock *(u64 *)(r10 - 0x8) += r1",
    "r0 = atomic_fetch_add((u64 *)(r10 - 0x8), r0)",
    "w0 = cmpxchg32_32(r10 - 0x8, w0, w1)",
    "r1 = map_value(0x5, 0x8) ll",
    "r0 = *(u8 *)skb[r1 + 0x5]",
    "       0:\tb7 00 00 00 05 00 00 00\tr0 = 0x5",
];

/// A mutation of a line: delete, insert or replace one character, or cut the line.
fn mutated_line() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(SEED_LINES),
        any::<proptest::sample::Index>(),
        0u8..4,
        proptest::char::any(),
        proptest::sample::select(vec![
            '%', '[', ']', '-', '+', '*', '(', ')', ',', ':', '9', 'x', ' ',
        ]),
    )
        .prop_map(|(line, at, how, any_char, asm_char)| {
            let mut chars: Vec<char> = line.chars().collect();
            let i = at.index(chars.len() + 1);
            let c = if how % 2 == 0 { asm_char } else { any_char };
            match how {
                0 => {
                    if i < chars.len() {
                        chars.remove(i);
                    }
                }
                1 | 2 => chars.insert(i, c),
                _ => chars.truncate(i),
            }
            chars.into_iter().collect()
        })
}

proptest! {
    // 2000 cases each unless PROPTEST_CASES says otherwise.
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// encode → disassemble → assemble gives the same bytes, and decoding gives the
    /// instruction back.
    #[test]
    fn typed_insns_survive_text(insn in insn()) {
        let slots = encode(&insn);
        let bytes = to_bytes(&slots);
        let decoded = decode_program(&slots).expect("a generated insn decodes");
        prop_assert_eq!(decoded[0], insn);
        let text = disassemble(&bytes).expect("a generated insn disassembles");
        prop_assert_eq!(assemble_bytes(&text).map_err(|e| e.to_string()), Ok(bytes.clone()), "{}", text);
        let line = insn_text(&insn);
        prop_assert_eq!(assemble(&line).map_err(|e| e.to_string()), Ok(slots), "{}", line);
    }

    /// Whole programs too (lddw shifts the slot indices of later lines).
    #[test]
    fn typed_programs_survive_text(insns in proptest::collection::vec(insn(), 0..24)) {
        let slots = encode_program(&insns);
        let bytes = to_bytes(&slots);
        let text = disassemble(&bytes).expect("generated programs disassemble");
        prop_assert_eq!(assemble_bytes(&text).map_err(|e| e.to_string()), Ok(bytes));
    }

    /// Arbitrary bytes: decoding and disassembling return Ok or Err; what decodes re-encodes
    /// to the same slots and reassembles to the same bytes.
    #[test]
    fn any_bytes_decode_or_fail(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        check_bytes(&bytes)?;
    }

    /// Near-valid slots, so that most of them decode.
    #[test]
    fn raw_slots_decode_or_fail(slots in proptest::collection::vec(raw_slot(), 0..8)) {
        check_bytes(&to_bytes(&slots))?;
    }

    /// Any text gives Ok or Err.
    #[test]
    fn any_text_assembles_or_fails(src in any::<String>()) {
        let _ = assemble(&src);
    }

    /// Text built from assembler characters, to reach deeper into the parsers.
    #[test]
    fn asm_like_text_assembles_or_fails(src in "[a-z0-9%\\[\\]()*+,:=<>&|^!#/ \\t\\n-]{0,80}") {
        let _ = assemble(&src);
    }

    /// Valid lines with one mutation give Ok or Err, with the error on one of their lines
    /// (the mutation may have inserted a line break).
    #[test]
    fn mutated_lines_assemble_or_fail(line in mutated_line()) {
        if let Err(e) = assemble(&line) {
            prop_assert!(e.line >= 1 && e.line <= line.lines().count().max(1), "{}", e);
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn check_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
    let text = disassemble(bytes);
    match RawInsn::slots(bytes) {
        Err(_) => prop_assert!(text.is_err()),
        Ok(slots) => match decode_program(&slots) {
            Err(_) => prop_assert!(text.is_err()),
            Ok(insns) => {
                prop_assert_eq!(encode_program(&insns), slots);
                let text = text.expect("decodable bytes disassemble");
                prop_assert_eq!(
                    assemble_bytes(&text).map_err(|e| e.to_string()),
                    Ok(bytes.to_vec()),
                    "{}",
                    text
                );
            }
        },
    }
    Ok(())
}
